"""Opening the configured database, the same way for the GUI, the CLI and the self-test.

Settings and logging need nothing heavy; the database layer (SQLAlchemy and the models) is
imported when a database is opened. The GUI relies on that: it reads the settings and shows
the sign-in while the database layer loads on its task runner (``ui/app.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from supportline.config import Paths, Settings, database_url, get_database_password, load_settings

if TYPE_CHECKING:
    from supportline.db import Database

#: Asked for the shared database's password when the keyring has none; returns None to give up.
PasswordPrompt = Callable[[str], str | None]


@dataclass(frozen=True)
class Environment:
    paths: Paths
    settings: Settings


def load_environment() -> Environment:
    """Paths and settings (raises ``ConfigError`` naming the bad key)."""
    paths = Paths.from_environment()
    return Environment(paths=paths, settings=load_settings(paths))


def configure_logging(paths: Paths, level: int = logging.INFO, *, retention_days: int | None = None) -> Path:
    """Log to a daily rotating file in the log folder (0600 in a 0700 folder), kept
    ``retention_days`` (the ``log_retention_days`` setting). Never personal data or passwords:
    exceptions are logged as type and frames only (``supportline.logging_setup``)."""
    from supportline import logging_setup  # here: the GUI's first screen does without it (ui/app.py)

    days = Settings().log_retention_days if retention_days is None else retention_days
    return logging_setup.configure(paths.log_dir, retention_days=days, level=level)


def open_database(env: Environment, prompt: PasswordPrompt | None = None) -> Database:
    """Connect to the configured database; for PostgreSQL the password comes from the keyring,
    then from ``prompt``. Raises ``DatabaseUnavailableError`` with a message a person can act on.
    """
    from supportline.db import PasswordRequiredError, check_connection

    env.paths.ensure()
    url = database_url(env.settings, env.paths)
    password: str | None = None
    if url.get_backend_name() == "postgresql" and not url.password:
        password = get_database_password(url)
    db = _create(env, url, password)
    try:
        check_connection(db)
    except PasswordRequiredError:
        db.dispose()
        if prompt is None:
            raise
        password = prompt(f"Password for {url.username or 'the database user'} on {url.host or 'the server'}")
        if password is None:
            raise
        db = _create(env, url, password)
        check_connection(db)
    return db


def _create(env: Environment, url: object, password: str | None) -> Database:
    from sqlalchemy.engine import URL

    from supportline.db import Timeouts, create_database

    assert isinstance(url, URL)
    return create_database(
        url,
        zone=env.settings.zone,
        password=password,
        busy_timeout_ms=env.settings.sqlite_busy_timeout_ms,
        max_failed_logins=env.settings.max_failed_logins,
        lockout_minutes=env.settings.lockout_minutes,
        timeouts=Timeouts(**env.settings.db_timeouts()),
    )


def migrate(env: Environment, db: Database) -> Path | None:
    """Bring the schema to head; a SQLite file is copied first. Returns the copy's path, if any."""
    from supportline.db.schema_version import is_current

    if is_current(db):  # every start: one query, without loading Alembic
        return None
    from supportline.db.migrate import upgrade

    return upgrade(db, backup_dir=env.paths.backup_dir, keep_backups=env.settings.backups_to_keep)
