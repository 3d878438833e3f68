"""The daily copy of the local database, taken while the app runs (settings ``daily_backup``,
``daily_backups_to_keep``, ``daily_backup_dir``).

A timer asks every hour whether a copy is due (none in the last 24 hours); the first time a
minute after sign-in, so the copy does not compete with the start. The copy itself is
``supportline.db.backup.take_daily_backup`` (SQLite's online backup API, rotation) on the task
runner's own ``backups`` lane: the GUI thread never waits for it and the call list never queues
behind it. A failure is logged (its kind only, as every log line) and tried again at the next
check. Nothing is done for a shared PostgreSQL database, which is backed up on its server, nor
for a database other than the configured one (a training or demo file opened instead).
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from supportline.bootstrap import Environment
from supportline.config import daily_backup_folder, database_url
from supportline.db import Database
from supportline.db.backup import take_daily_backup
from ui.tasks import BACKUPS, TaskRunner

log = logging.getLogger(__name__)

CHECK_EVERY_MS = 60 * 60 * 1000
FIRST_CHECK_MS = 60 * 1000


def _is_configured(env: Environment, db: Database) -> bool:
    configured = database_url(env.settings, env.paths).database
    opened = db.url.database
    if not configured or not opened:
        return False
    return Path(configured).expanduser().resolve() == Path(opened).expanduser().resolve()


class DailyBackup(QObject):
    #: A copy was written (its path).
    written = Signal(str)
    #: A copy could not be written (the kind of error).
    failed = Signal(str)

    def __init__(
        self,
        env: Environment,
        db: Database,
        tasks: TaskRunner,
        parent: QObject | None = None,
        *,
        first_check_ms: int = FIRST_CHECK_MS,
        check_every_ms: int = CHECK_EVERY_MS,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._tasks = tasks
        self._folder: Path = daily_backup_folder(env.settings, env.paths)
        self._keep = env.settings.daily_backups_to_keep
        # Only the configured database: never a throw-away one (a training or demo file) opened
        # instead, whose copies would rotate the real ones out of the folder.
        self.enabled = env.settings.daily_backup and db.is_sqlite and _is_configured(env, db)
        self._busy = False
        self._first_check_ms = first_check_ms
        self._timer = QTimer(self)
        self._timer.setInterval(check_every_ms)
        self._timer.timeout.connect(self.check)

    @property
    def folder(self) -> Path:
        return self._folder

    def start(self) -> None:
        """Check now-ish, then every hour (nothing at all when it is switched off)."""
        if not self.enabled:
            return
        QTimer.singleShot(self._first_check_ms, self, self.check)
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def check(self) -> None:
        """Take the copy in the background if one is due (one at a time)."""
        if not self.enabled or self._busy:
            return
        self._busy = True
        self._tasks.run(
            partial(take_daily_backup, self._db, self._folder, self._keep),
            on_success=self._done,
            on_failure=self._failed,
            owner=self,
            lane=BACKUPS,
        )

    def _done(self, path: Path | None) -> None:
        self._busy = False
        if path is not None:
            log.info("daily backup written (keeping the newest %d)", self._keep)
            self.written.emit(str(path))

    def _failed(self, error: BaseException) -> None:
        self._busy = False
        log.warning("daily backup failed (%s); it is tried again within the hour", type(error).__name__)
        self.failed.emit(type(error).__name__)
