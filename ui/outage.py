"""Working through an outage of the shared database, in the GUI (issue 13, item 5).

A save the form could not make (``DatabaseUnavailableError``) goes to the local journal
(``supportline.sync.journal``); this object pushes the journal on the task runner with back-off
until the database answers again, and keeps the banner text: "Shared database unreachable since
03:12 — 4 calls waiting to be sent". Pushed records go back to their open forms; a conflict is
handed to the window (the form shows the conflict view).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from supportline.db import Database
from supportline.services.actor import Actor
from supportline.services.call_types import CallData
from supportline.sync.journal import Journal, JournalEntry, PushResult
from ui.tasks import TaskRunner

#: The journal's own lane: a push waiting on the network holds up nothing else.
JOURNAL_LANE = "journal"
FIRST_RETRY_MS = 1000
LONGEST_RETRY_MS = 60_000


class Outage(QObject):
    #: The banner's text; "" when nothing waits.
    state_changed = Signal(str)
    #: ``CallRecord``s the push delivered.
    pushed = Signal(object)
    #: ``(JournalEntry, ConflictError)`` for a journaled save someone else's change refused.
    conflicted = Signal(object, object)
    #: ``(JournalEntry, ServiceError)`` for a journaled save the database refused (e.g. invalid).
    refused = Signal(object, object)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        journal: Journal,
        tasks: TaskRunner,
        zone: ZoneInfo,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._actor, self.journal, self._tasks, self._zone = db, actor, journal, tasks, zone
        self._since: datetime | None = None
        self._busy = False
        self._delay = FIRST_RETRY_MS
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.push_now)
        self.banner = ""
        if journal.entries(actor.user_id):  # left from before a quit or a crash
            self._since = datetime.now(UTC)
            self._timer.start(0)
        self._update()

    def journal_save(self, data: CallData, expected_version: int | None, save_id: uuid.UUID) -> JournalEntry:
        """Keep a save the database did not take (durable on return) and try again later."""
        entry = self.journal.add(self._actor, data, expected_version=expected_version, save_id=save_id)
        self._since = self._since or datetime.now(UTC)
        self._update()
        if not self._timer.isActive() and not self._busy:
            self._timer.start(self._delay)
        return entry

    @Slot()
    def push_now(self) -> None:
        if self._busy:
            return
        self._busy = True
        db, actor, journal = self._db, self._actor, self.journal
        self._tasks.run(
            lambda: journal.push(db, actor),
            on_success=self._pushed,
            on_failure=self._failed,
            owner=self,
            lane=JOURNAL_LANE,
        )

    def _pushed(self, result: PushResult) -> None:
        self._busy = False
        if result.sent:
            self.pushed.emit(result.sent)
        for entry, error in result.conflicts:
            self.conflicted.emit(entry, error)
        for entry, refusal in result.refused:
            self.refused.emit(entry, refusal)
        if result.unavailable is not None:
            self._delay = min(self._delay * 2, LONGEST_RETRY_MS)
            self._timer.start(self._delay)
        else:
            self._delay = FIRST_RETRY_MS
            if not self.journal.entries(self._actor.user_id) or not result.remaining - len(result.conflicts):
                self._since = None
        self._update()

    def _failed(self, _exc: BaseException) -> None:
        self._busy = False
        self._delay = min(self._delay * 2, LONGEST_RETRY_MS)
        self._timer.start(self._delay)
        self._update()

    def _update(self) -> None:
        waiting = len([e for e in self.journal.entries(self._actor.user_id) if e.conflict is None])
        if not waiting:
            self._since = None
        if self._since is not None and waiting:
            at = self._since.astimezone(self._zone)
            count = self.tr("1 call") if waiting == 1 else self.tr("%d calls") % waiting
            text = self.tr(
                "Shared database unreachable since %s — %s waiting to be sent; "
                "lists and searches may be incomplete"
            ) % (
                f"{at:%H:%M}",
                count,
            )
        else:
            text = ""
        if text != self.banner:
            self.banner = text
            self.state_changed.emit(text)
