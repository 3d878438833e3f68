"""call save token: the id of the save that last wrote each call

A save that is retried because its commit reply was lost (a dropped connection, a time limit)
carries the same ``last_save_id``; finding it on the row means the save was applied already, so
it is never applied twice (docs/architecture.md, "Retried saves are idempotent").

SQLite: ADD COLUMN in place (no copy of ``calls``, whose rowids key the full-text index of 0002).

Revision ID: 0008
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls", recreate="never") as batch:
        batch.add_column(sa.Column("last_save_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE calls DROP COLUMN last_save_id")
    else:
        op.drop_column("calls", "last_save_id")
