"""The training database: a throw-away SQLite file of demo calls, never the live database.

Training mode (``supportline --training``) opens this file and nothing else, so a new operator
can practise on fictitious calls without any chance of touching live data or its audit trail:

- **Its own file**: ``training.db`` in the data folder, beside (never instead of) the live
  ``supportline.db``. The ``database_url`` setting and ``SUPPORTLINE_DB_URL`` are not read in
  training mode: a shared database is live data by definition.
- **Refused URLs**: :func:`check_training_url` refuses anything but a SQLite file that is not
  the live database (the same path, or another name for the same file). The engine refuses too
  (``create_database(training=True)`` on PostgreSQL raises).
- **Marked**: a training file carries ``PRAGMA application_id`` = :data:`APPLICATION_ID`; a
  file at the training path without the mark (a copy of the live database, say) is refused,
  never filled or reset.
- **Made whole or not at all**: a new (or reset) training file is built beside the target and
  renamed into place, with the four demo accounts (:data:`TRAINING_PASSWORD`, printed on the
  training sign-in: the data is fictitious) and :data:`TRAINING_CALLS` demo calls.
- **Its own local file**: drafts a training database does not take (read-only, full) are kept on
  this computer in ``training-journal.db`` (``supportline.sync.local_store``), never in the live
  line's ``journal.db``; a reset removes it with the old training file.

The :class:`~supportline.db.engine.Database` it returns has ``training=True``: the GUI shows a
TRAINING banner on every window and exports mark every page (``supportline.exports``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from supportline.config import Paths, database_url
from supportline.services.errors import ServiceError
from supportline.sync.local_store import local_file

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from supportline.bootstrap import Environment
    from supportline.db import Database

TRAINING_FILE = "training.db"
#: ``PRAGMA application_id`` of a training file: "SLTR" (SupportLine TRaining) in ASCII.
APPLICATION_ID = 0x534C5452
#: The demo accounts' password in a training database (fictitious data only; shown on its sign-in).
TRAINING_PASSWORD = "practise-on-fictitious-calls"  # noqa: S105 (documented, for fictitious data)
#: Demo calls a new training database holds.
TRAINING_CALLS = 150
TRAINING_SEED = 2016
#: Words for every window title, banner and exported page of training mode.
TRAINING_BANNER = "TRAINING – fictitious data, not the live database"


class TrainingRefusedError(ServiceError):
    """Training mode was asked to open something other than its own training file."""


@dataclass(frozen=True)
class TrainingSummary:
    path: Path
    calls: int
    accounts: tuple[str, ...]


def training_path(paths: Paths) -> Path:
    return paths.data_dir / TRAINING_FILE


def training_url(paths: Paths) -> URL:
    from sqlalchemy.engine import URL

    return URL.create("sqlite", database=str(training_path(paths)))


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    with contextlib.suppress(OSError):
        return a.exists() and b.exists() and os.path.samefile(a, b)
    return False


def check_training_url(url: URL, live: URL) -> Path:
    """The file ``url`` names, if training mode may open it; else :class:`TrainingRefusedError`.

    Refused: any database that is not SQLite (a shared database is live data), a SQLite
    database in memory or given as a ``file:`` URI, and the live database's own file."""
    if url.get_backend_name() != "sqlite":
        raise TrainingRefusedError(
            f"training mode never opens a {url.get_backend_name()} database: a shared database is "
            "live data; training uses its own local file"
        )
    name = url.database or ""
    if not name or name == ":memory:" or name.startswith("file:"):
        raise TrainingRefusedError("training mode opens only its own training file in the data folder")
    path = Path(name)
    if live.get_backend_name() == "sqlite" and live.database and _same_file(path, Path(live.database)):
        raise TrainingRefusedError(f"{path} is the live database: training mode never opens it")
    return path


def is_training_file(path: Path) -> bool:
    """Whether ``path`` is a SQLite file marked as a training database (read only, never changed)."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return False
    try:
        row = conn.execute("PRAGMA application_id").fetchone()
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()
    return bool(row) and row[0] == APPLICATION_ID


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(f"{path}{suffix}")


def _refuse_unmarked(path: Path) -> None:
    if path.exists() and not is_training_file(path):
        raise TrainingRefusedError(
            f"{path} is not a training database (it has no training mark): training mode neither "
            "opens nor replaces it; move it away if it is a copy of the live database"
        )


def _checked_path(env: Environment) -> Path:
    path = check_training_url(training_url(env.paths), database_url(env.settings, env.paths))
    _refuse_unmarked(path)
    return path


def create_training_database(
    env: Environment, *, replace: bool = False, calls: int = TRAINING_CALLS, seed: int = TRAINING_SEED
) -> TrainingSummary:
    """Make the training file (demo accounts and ``calls`` demo calls); with ``replace``, a new
    one in place of the old (the reset). An existing file is kept unless ``replace``."""
    from supportline.db import create_database
    from supportline.db.migrate import upgrade
    from supportline.services.demo import DEMO_USERS, generate_demo

    env.paths.ensure()
    path = _checked_path(env)
    accounts = tuple(name for name, _, _ in DEMO_USERS)
    if path.exists() and not replace:
        return TrainingSummary(path, 0, accounts)
    building = path.with_name(".training-new.db")
    _remove_sqlite(building)
    db = create_database(f"sqlite:///{building}", zone=env.settings.zone)
    try:
        upgrade(db)
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
        summary = generate_demo(db, calls=calls, password=TRAINING_PASSWORD, seed=seed)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        db.dispose()
        _remove_sqlite(building)
        raise
    db.dispose()
    _remove_sqlite(path)
    os.replace(building, path)
    _remove_sqlite(building)  # its -wal and -shm, empty after the checkpoint
    # Drafts kept on this computer for the old file's calls go with it (never the live line's).
    _remove_sqlite(local_file(env.paths.data_dir, training=True))
    return TrainingSummary(path, summary.calls, accounts)


def open_training_database(env: Environment) -> Database:
    """The training database (made first if there is none), brought to the current schema, with
    ``training=True``. Never the live database: see the module's docstring."""
    from supportline.db import Timeouts, create_database
    from supportline.db.migrate import upgrade
    from supportline.db.schema_version import is_current

    path = _checked_path(env)
    if not path.exists():
        create_training_database(env)
    db = create_database(
        training_url(env.paths),
        zone=env.settings.zone,
        busy_timeout_ms=env.settings.sqlite_busy_timeout_ms,
        max_failed_logins=env.settings.max_failed_logins,
        lockout_minutes=env.settings.lockout_minutes,
        timeouts=Timeouts(**env.settings.db_timeouts()),
        training=True,
    )
    try:
        if not is_current(db):
            upgrade(db)  # no copy first: the file is thrown away at every reset
    except BaseException:
        db.dispose()
        raise
    return db
