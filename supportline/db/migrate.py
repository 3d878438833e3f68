"""Alembic migrations, run from code: ``supportline db upgrade`` and at every start.

The same scripts serve both dialects (batch mode on SQLite). Before a local SQLite file is
migrated a consistent copy of it is written to the backups folder, so a failed or unwanted
migration can always be undone by hand.
"""

from __future__ import annotations

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

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class MigrationError(RuntimeError):
    """The schema could not be brought to the version this program needs."""


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
            command.upgrade(_config(conn), revision)
    except Exception as exc:
        hint = f"; the database before migrating is saved at {copy}" if copy else ""
        raise MigrationError(f"migrating {db.describe()} to {revision} failed: {exc}{hint}") from exc
    return copy


def downgrade(db: Database, revision: str) -> None:
    with db.engine.begin() as conn:
        command.downgrade(_config(conn), revision)


def schema_diff(db: Database) -> list[Any]:
    """Differences between the live schema and the models (empty when they agree)."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))
