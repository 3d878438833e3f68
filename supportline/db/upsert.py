"""``INSERT … ON CONFLICT`` for the database in use, without importing the other dialect.

SQLAlchemy's dialect-specific ``insert`` (with ``on_conflict_do_update`` / ``_do_nothing``) lives
in each dialect's package. Importing the PostgreSQL package also imports every PostgreSQL driver
module SQLAlchemy ships (about 30 ms): a workstation on the local SQLite database should not pay
that on every start, so the package is imported only when the database is PostgreSQL.
"""

from __future__ import annotations

from typing import Any


def dialect_insert(dialect: str) -> Any:
    """The ``insert`` construct of ``dialect`` (``"postgresql"`` or ``"sqlite"``)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert
    raise ValueError(f"no upsert for the {dialect!r} dialect: Supportline supports postgresql and sqlite")
