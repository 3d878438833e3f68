"""A call copied to the clipboard is a disclosure (DPA 2018 s.62): each copy is in the audit trail.

A call reaches the clipboard in two ways. **Call ▸ Copy call** puts the whole call on show
beside the list there as text: it is recorded first and copied once the event is written, so a
copy that is refused, or cannot be recorded, never happens. **Ctrl+C** (Cut, a context menu's
Copy) in a widget that shows a call — its row in the list, the detail pane, its form (a new
call's too, before its first save), the form's earlier calls — has copied by the time the app
hears of it (:attr:`ui.clipboard.ClipboardGuard.copied`): when that copy cannot be recorded it is
taken off the clipboard again (if it is still there) and the status bar says why.

Copies of one call within :data:`COPY_DEBOUNCE_S` of its last recorded copy are one event: a
name, then a number, then a reference copied from one call in a few seconds are one disclosure
of that call, not three.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from supportline.db import Database
from supportline.services import calls
from supportline.services.actor import Actor
from supportline.services.errors import PermissionDeniedError
from ui import clipboard
from ui.tasks import TaskRunner

log = logging.getLogger(__name__)

#: Seconds after a call's recorded copy in which further copies of it are not recorded again.
COPY_DEBOUNCE_S = 5.0


class CopyAudit(QObject):
    """Records copies of calls for one signed-in person (one per main window)."""

    #: A copy's event is written (the call's id).
    recorded = Signal(object)
    #: A copy did not stand: refused, or its event could not be written (the sentence to show).
    failed = Signal(str)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        tasks: TaskRunner,
        parent: QObject | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._tasks = tasks
        self.clock = clock
        self._last: dict[uuid.UUID, float] = {}  # when each call's last copy was recorded (asked for)

    def record(self, call_id: uuid.UUID, source: str, then: Callable[[], None] | None = None) -> None:
        """Audit a copy of ``call_id`` from ``source`` (where it was copied from: a name, no
        content). ``then`` makes the copy once it is recorded; without it the copy has been
        made already, and is taken back if it cannot be recorded."""
        now = self.clock()
        last = self._last.get(call_id)
        if last is not None and now - last < COPY_DEBOUNCE_S:
            if then is not None:
                then()
            return
        self._last[call_id] = now  # a burst of copies while the first is being recorded is one event
        db, actor = self._db, self._actor
        self._tasks.run(
            lambda: calls.record_disclosure(db, actor, call_id, means="copy", source=source),
            on_success=lambda _none: self._recorded(call_id, then),
            on_failure=lambda exc: self._failed(call_id, then, exc),
            owner=self,
        )

    def _recorded(self, call_id: uuid.UUID, then: Callable[[], None] | None) -> None:
        if then is not None:
            then()
        self.recorded.emit(call_id)

    def _failed(self, call_id: uuid.UUID, then: Callable[[], None] | None, exc: BaseException) -> None:
        self._last.pop(call_id, None)  # the next copy is recorded (or refused) again
        if then is None:
            clipboard.clear_ours()  # an unrecorded copy does not stay on the clipboard
        if isinstance(exc, PermissionDeniedError):
            why = str(exc)  # names the person, role and permission; the refusal is audited
        else:
            log.warning("a copy of a call could not be recorded: %s", type(exc).__name__)
            why = self.tr("it could not be recorded in the audit log (%s)") % type(exc).__name__
        if then is not None:
            self.failed.emit(self.tr("Nothing was copied: %s.") % why)
        else:
            self.failed.emit(self.tr("The copy was taken off the clipboard: %s.") % why)
