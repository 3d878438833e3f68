"""audit trail as evidence: workstation, outcome, a hash chain, append-only also against TRUNCATE

Adds to ``audit_events``: ``workstation`` (host name), ``outcome`` (allowed / refused, checked),
``prev_hash`` and ``event_hash`` (the SHA-256 chain of ``supportline.services.audit_chain``).
The events already stored are chained here, in id order; older events get an empty workstation
and the outcome "allowed".

The append-only triggers of 0001 are lifted for the length of the chaining and put back; on
PostgreSQL a statement trigger now refuses TRUNCATE too.

SQLite: the columns are added in place (a batch with ``recreate="never"``): a copy of the table
would drop its triggers. Downgrade drops them with ALTER TABLE … DROP COLUMN (SQLite 3.35+).

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from supportline.db.types import UTCDateTime
from supportline.services.audit_chain import GENESIS_HASH, event_hash

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PAGE = 1000
OUTCOME_CHECK = "outcome IN ('allowed', 'refused')"

_events = sa.table(
    "audit_events",
    sa.column("id", sa.BigInteger()),
    sa.column("at", UTCDateTime()),
    sa.column("actor_id", sa.Uuid()),
    sa.column("actor_name", sa.String()),
    sa.column("workstation", sa.String()),
    sa.column("category", sa.String()),
    sa.column("action", sa.String()),
    sa.column("record_type", sa.String()),
    sa.column("record_id", sa.String()),
    sa.column("outcome", sa.String()),
    sa.column("details", sa.Text()),
    sa.column("prev_hash", sa.String()),
    sa.column("event_hash", sa.String()),
)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("audit_events", recreate="never") as batch:
        batch.add_column(sa.Column("workstation", sa.String(100), nullable=False, server_default=""))
    # ADD COLUMN with a named CHECK works in place on both dialects (no copy of the table).
    op.execute(
        "ALTER TABLE audit_events ADD COLUMN outcome VARCHAR(10) DEFAULT 'allowed' NOT NULL "
        f"CONSTRAINT ck_audit_events_outcome CHECK ({OUTCOME_CHECK})"
    )
    with op.batch_alter_table("audit_events", recreate="never") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("event_hash", sa.String(64), nullable=False, server_default=""))
    if postgresql:
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
    else:
        for name in ("update", "delete"):
            op.execute(f"DROP TRIGGER audit_events_no_{name}")
    _chain_stored_events()
    if postgresql:
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )
    else:
        _create_sqlite_triggers()


def _chain_stored_events() -> None:
    """Chain the events already stored, oldest id first, a page at a time."""
    conn = op.get_bind()
    prev = GENESIS_HASH
    last = None
    update = (
        sa.update(_events)
        .where(_events.c.id == sa.bindparam("event_id"))
        .values(prev_hash=sa.bindparam("new_prev"), event_hash=sa.bindparam("new_hash"))
    )
    while True:
        query = sa.select(_events).order_by(_events.c.id).limit(PAGE)
        if last is not None:
            query = query.where(_events.c.id > last)
        rows = conn.execute(query).all()
        if not rows:
            return
        changes = []
        for row in rows:
            values = dict(row._mapping)
            digest = event_hash(values, prev)
            changes.append({"event_id": row.id, "new_prev": prev, "new_hash": digest})
            prev = digest
        conn.execute(update, changes)
        last = rows[-1].id


def _create_sqlite_triggers() -> None:
    for name in ("update", "delete"):
        op.execute(
            f"CREATE TRIGGER audit_events_no_{name} BEFORE {name.upper()} ON audit_events "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
        )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
        for name in ("event_hash", "prev_hash", "outcome", "workstation"):
            op.drop_column("audit_events", name)
    else:
        for name in ("event_hash", "prev_hash", "outcome", "workstation"):
            op.execute(f"ALTER TABLE audit_events DROP COLUMN {name}")
