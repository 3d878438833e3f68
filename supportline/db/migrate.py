"""Alembic migrations, run from code: ``supportline db upgrade`` and at every start.

The same scripts serve both dialects (batch mode on SQLite). Before a local SQLite file is
migrated a consistent copy of it is written to the backups folder, so a failed or unwanted
migration can always be undone by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from supportline.db.backup import backup_sqlite, prune_backups
from supportline.db.engine import Database
from supportline.db.models import Base
from supportline.db.schema_version import MigrationError

__all__ = ["MigrationError", "current_revision", "downgrade", "head_revision", "schema_diff", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _config(connection: Any = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def needs_upgrade(db: Database) -> bool:
    return current_revision(db) != head_revision()


def upgrade(
    db: Database,
    revision: str = "head",
    *,
    backup_dir: Path | None = None,
    keep_backups: int = 10,
) -> Path | None:
    """Bring the schema to ``revision``; returns the pre-migration copy of a SQLite file, if one was made."""
    copy: Path | None = None
    current = current_revision(db)
    if current == head_revision() and revision == "head":
        return None
    if db.is_sqlite and backup_dir is not None and current is not None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        copy = backup_dir / f"supportline-{stamp}-before-{current}.db"
        backup_sqlite(db, copy)
        prune_backups(backup_dir, keep_backups)
    try:
        with db.engine.begin() as conn:
            _no_statement_limit(db, conn)
            command.upgrade(_config(conn), revision)
    except Exception as exc:
        hint = f"; the database before migrating is saved at {copy}" if copy else ""
        raise MigrationError(f"migrating {db.describe()} to {revision} failed: {exc}{hint}") from exc
    return copy


def downgrade(db: Database, revision: str) -> None:
    with db.engine.begin() as conn:
        _no_statement_limit(db, conn)
        command.downgrade(_config(conn), revision)


def _no_statement_limit(db: Database, conn: Any) -> None:
    """A migration may rightly take longer than an application statement (an index on a million
    calls): lift ``statement_timeout`` for its transaction (``lock_timeout`` stays, so it never
    queues every workstation behind it for long)."""
    if not db.is_sqlite:
        conn.exec_driver_sql("SET LOCAL statement_timeout = 0")


# The full-text search objects of migration 0002, which the models do not describe: SQLite's FTS5
# table and its shadow tables; PostgreSQL's generated tsvector column and its GIN index.
FULL_TEXT_TABLES = frozenset(
    ("calls_fts", *(f"calls_fts_{shadow}" for shadow in ("data", "idx", "docsize", "config", "content")))
)
FULL_TEXT_COLUMNS = frozenset({("calls", "search_vector")})
FULL_TEXT_INDEXES = frozenset({"ix_calls_search_vector"})


def is_full_text_object(name: str | None, type_: str, parent_names: Mapping[str, str | None]) -> bool:
    if type_ == "table":
        return name in FULL_TEXT_TABLES
    if type_ == "column":
        return (parent_names.get("table_name"), name) in FULL_TEXT_COLUMNS
    if type_ == "index":
        return name in FULL_TEXT_INDEXES
    return False


def _include_name(name: str | None, type_: str, parent_names: Mapping[str, str | None]) -> bool:
    return not is_full_text_object(name, type_, parent_names)


def schema_diff(db: Database) -> list[Any]:
    """Differences between the live schema and the models (empty when they agree).

    The full-text search objects are left out: they are maintained by migrations only.
    """
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": _include_name})
        return list(compare_metadata(context, Base.metadata))
