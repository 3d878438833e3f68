"""Live updates in the GUI: the change feed (``supportline.sync.changes``) brought to the GUI
thread. A burst of saves elsewhere becomes one ``calls_changed`` signal a moment later, so the
call list loads once, not once per save."""

from __future__ import annotations

import uuid

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from supportline.db import Database
from supportline.sync.changes import ChangeFeed

#: How long to gather changes before telling the window (well inside the 2 s a change may take).
COALESCE_MS = 250


class LiveUpdates(QObject):
    #: On the GUI thread: {call id: version saved} for the calls saved, or None ("something changed").
    calls_changed = Signal(object)
    _arrived = Signal(object)  # emitted on the feed's thread; queued to this object's thread

    def __init__(self, db: Database, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: dict[uuid.UUID, int] | None = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COALESCE_MS)
        self._timer.timeout.connect(self._flush)
        self._arrived.connect(self._gather)
        self.feed = ChangeFeed(db, self._arrived.emit)

    def start(self) -> None:
        self.feed.start()

    def stop(self) -> None:
        self.feed.stop()

    @Slot(object)
    def _gather(self, saved: dict[uuid.UUID, int] | None) -> None:
        if saved is None or self._pending is None:
            self._pending = None
        else:
            for call_id, version in saved.items():
                self._pending[call_id] = max(version, self._pending.get(call_id, 0))
        if not self._timer.isActive():
            self._timer.start()

    @Slot()
    def _flush(self) -> None:
        changed, self._pending = self._pending, {}
        self.calls_changed.emit(changed)
