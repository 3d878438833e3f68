"""person age: an optional age in years and date of birth beside a potential victim's age group

NRM figures count victims as adults or children and age is often disputed, so the age as given
(``age_years``) or a date of birth (``date_of_birth``) is kept beside ``age_group`` and
``age_disputed``. Both are optional: existing people get neither (NULL).

SQLite: added in place (ADD COLUMN, no copy of the table); dropped with ALTER TABLE … DROP COLUMN
(SQLite 3.35+), as 0003 does.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = ("age_years", "date_of_birth")


def upgrade() -> None:
    with op.batch_alter_table("persons", recreate="never") as batch:
        batch.add_column(sa.Column("age_years", sa.SmallInteger(), nullable=True))
        batch.add_column(sa.Column("date_of_birth", sa.Date(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in COLUMNS:
            op.execute(f"ALTER TABLE persons DROP COLUMN {name}")
    else:
        for name in COLUMNS:
            op.drop_column("persons", name)
