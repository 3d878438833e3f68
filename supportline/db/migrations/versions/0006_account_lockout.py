"""accounts: a lockout that ends by itself, and a password that must be changed

``users.locked_until``: set when ``max_failed_logins`` wrong passwords in a row lock an account,
for ``lockout_minutes``; an administrator can clear it earlier. ``users.must_change_password``:
set by an administrator's password reset; the next sign-in asks for a new password.

Existing accounts get neither, so an account locked for good by the old counter (which had no
time-out) can sign in again with its right password.

SQLite: the columns are added in place (``recreate="never"``) and dropped with
ALTER TABLE … DROP COLUMN (SQLite 3.35+): a copy of ``users`` is not needed.

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from supportline.db.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", recreate="never") as batch:
        batch.add_column(sa.Column("locked_until", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("locked_until", "must_change_password"):
            op.execute(f"ALTER TABLE users DROP COLUMN {name}")
    else:
        op.drop_column("users", "must_change_password")
        op.drop_column("users", "locked_until")
