"""The schema revision this program needs, and the one a database holds — without Alembic.

Every start checks the revision; importing Alembic only for that costs ~85 ms of a cold start,
so the check is one plain query and Alembic is loaded only when a migration is actually due.
``HEAD_REVISION`` must name the newest script in ``migrations/versions`` (a test holds it to
Alembic's own head).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from supportline.db.engine import Database

HEAD_REVISION = "0009"


class MigrationError(RuntimeError):
    """The schema could not be brought to the version this program needs."""


def stored_revision(db: Database) -> str | None:
    """The revision recorded in the database; ``None`` for a database never migrated."""
    with db.engine.connect() as conn:
        try:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        except DBAPIError:  # no alembic_version table yet: a new, empty database
            conn.rollback()
            return None
    return rows[0] if len(rows) == 1 else None


def is_current(db: Database) -> bool:
    return stored_revision(db) == HEAD_REVISION
