"""call guidance facts: two booleans on calls that route suggestions rest on

``suspect_may_be_victim``: someone treated as a suspect may be a victim (the s.45 defence, the
legal route); ``victim_at_scene``: a potential victim is with the caller now (the tactical route).
Existing calls get false.

SQLite: the columns are added inside a batch that needs no copy of the table (ADD COLUMN in
place), and dropped with ALTER TABLE … DROP COLUMN (SQLite 3.35+): a copy of ``calls`` would
renumber its rowids, which the full-text index of 0002 is keyed by, and drop its triggers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = ("suspect_may_be_victim", "victim_at_scene")


def upgrade() -> None:
    # recreate="never": ADD COLUMN in place, never a copy of the table (see above).
    with op.batch_alter_table("calls", recreate="never") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in COLUMNS:
            op.execute(f"ALTER TABLE calls DROP COLUMN {name}")
    else:
        for name in COLUMNS:
            op.drop_column("calls", name)
