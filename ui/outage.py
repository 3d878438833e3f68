"""Working through an outage of the shared database, in the GUI (issue 13, item 5).

A save the form could not make (``DatabaseUnavailableError``) goes to the local journal
(``supportline.sync.journal``), a draft the database did not take to this computer
(``supportline.sync.local_drafts``). Any task that found the database away (a list, a search, a
draft) tells this object too (``TaskRunner.database_unavailable``). It then tries again on the
task runner with back-off (1 s doubling to 60 s) until the database answers
(``supportline.sync.recovery``: a cheap probe, then the journal pushed in order and the drafts
moved), and keeps the banner text: "Shared database unreachable since 03:12 — 4 calls waiting to
be sent; lists and searches may be incomplete". Pushed records go back to their open forms; a
conflict is handed to the window (the form shows the conflict view).
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
from supportline.sync.local_drafts import LocalDrafts
from supportline.sync.recovery import recover
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
    #: The database answers again after it was found away (lists may be loaded again).
    recovered = Signal()

    def __init__(
        self,
        db: Database,
        actor: Actor,
        journal: Journal,
        tasks: TaskRunner,
        zone: ZoneInfo,
        parent: QObject | None = None,
        *,
        local_drafts: LocalDrafts | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._actor, self.journal, self._tasks, self._zone = db, actor, journal, tasks, zone
        self.local_drafts = local_drafts
        #: When the database was first found away, while it still is; None while it answers.
        self._since: datetime | None = None
        self._noticed: datetime | None = None  # a failure seen, not yet confirmed by a try
        self._busy = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.push_now)
        self.banner = ""
        #: The delay before the next try (ms), and how many tries found the database away.
        self.delay_ms = FIRST_RETRY_MS
        self.failed_tries = 0
        if journal.entries(actor.user_id):  # left from before a quit or a crash: sent at once
            self._timer.start(0)
        self._update()

    @property
    def since(self) -> datetime | None:
        """Since when the shared database is unreachable (None: it answers, as far as is known)."""
        return self._since

    @Slot(object)
    def note_unavailable(self, _error: object = None) -> None:
        """A task found the database away: try at once (the banner shows if that fails too)."""
        self._noticed = self._noticed or datetime.now(UTC)
        if not self._busy and not self._timer.isActive():
            self._timer.start(0)

    def journal_save(self, data: CallData, expected_version: int | None, save_id: uuid.UUID) -> JournalEntry:
        """Keep a save the database did not take (durable on return) and try again later."""
        entry = self.journal.add(self._actor, data, expected_version=expected_version, save_id=save_id)
        self._since = self._since or self._noticed or datetime.now(UTC)
        self._update()
        if not self._timer.isActive() and not self._busy:
            self._timer.start(self.delay_ms)
        return entry

    def settle(self, call_id: uuid.UUID) -> None:
        """The call's refused journaled saves were resolved in its form and saved: forget them."""
        self.journal.discard_call(self._actor.user_id, call_id)
        self._update()

    @Slot()
    def push_now(self) -> None:
        if self._busy:
            return
        self._busy = True
        db, actor, journal, local = self._db, self._actor, self.journal, self.local_drafts
        self._tasks.run(
            lambda: recover(db, actor, journal, local),
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
            self._since = self._since or self._noticed or datetime.now(UTC)
            self._retry_later()
        else:
            was_away = self._since is not None or self._noticed is not None
            self._since = self._noticed = None
            self.delay_ms = FIRST_RETRY_MS
            self.failed_tries = 0
            if was_away:
                self.recovered.emit()
        self._update()

    def _failed(self, _exc: BaseException) -> None:
        self._busy = False
        self._retry_later()
        self._update()

    def _retry_later(self) -> None:
        """Back-off: the next try after the delay, which doubles each time up to a minute."""
        self.failed_tries += 1
        self._timer.start(self.delay_ms)
        self.delay_ms = min(self.delay_ms * 2, LONGEST_RETRY_MS)

    def _update(self) -> None:
        waiting = len([e for e in self.journal.entries(self._actor.user_id) if e.conflict is None])
        count = self.tr("1 call") if waiting == 1 else self.tr("%d calls") % waiting
        if self._since is not None:
            at = f"{self._since.astimezone(self._zone):%H:%M}"
            if waiting:
                text = self.tr(
                    "Shared database unreachable since %s — %s waiting to be sent; "
                    "lists and searches may be incomplete"
                ) % (at, count)
            else:
                text = (
                    self.tr("Shared database unreachable since %s — lists and searches may be incomplete")
                    % at
                )
        elif waiting:  # kept from before a quit or a crash, being sent now
            text = self.tr("%s kept on this computer waiting to be sent to the shared database") % count
        else:
            text = ""
        if text != self.banner:
            self.banner = text
            self.state_changed.emit(text)
