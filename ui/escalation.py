"""Who to escalate to now, per advice route: the rota's "Legal: duty adviser A. Khan until 07:00,
then J. Osei" (``rota.escalation_lines``), read on the task runner and read again every minute
(and whenever the rota is edited here), for the route chooser and the guidance panes.

One feed per window: every open call form shows the same lines, from one read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QObject, QTimer, Signal

from supportline.db import Database
from supportline.enums import Route
from supportline.services import rota
from supportline.services.actor import Actor
from ui.tasks import TaskRunner

#: How often the lines are read again (a shift ends, someone edits the rota elsewhere).
REFRESH_MS = 60_000
#: The task runner's lane of the reads made on a timer (the lines here, the supervisors' checks
#: in ui/operations.py): a slow shared database holds up only these, not what a person asked for.
LANE = "operations"


def _now() -> datetime:
    return datetime.now(UTC)


class EscalationFeed(QObject):
    """The latest lines; ``changed`` after each read that found different ones."""

    changed = Signal()
    #: A read finished (whether or not the lines changed); tests wait on it.
    loaded = Signal()

    def __init__(
        self,
        db: Database,
        actor: Actor,
        tasks: TaskRunner,
        *,
        clock: Callable[[], datetime] = _now,
        interval_ms: int = REFRESH_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._actor, self._tasks, self._clock = db, actor, tasks, clock
        self.lines: dict[Route, str] = {}
        self.problem = ""
        self._busy = False
        self._again = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.refresh)

    def start(self) -> None:
        self.refresh()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def line(self, route: Route) -> str:
        return self.lines.get(route, "")

    def refresh(self) -> None:
        """Read the lines again (one read at a time; one asked for meanwhile follows it)."""
        if self._busy:
            self._again = True
            return
        self._busy = True
        db, actor, at = self._db, self._actor, self._clock()
        self._tasks.run(
            lambda: rota.escalation_lines(db, actor, at),
            on_success=self._arrived,
            on_failure=self._failed,
            owner=self,
            lane=LANE,
        )

    def _arrived(self, lines: dict[Route, str]) -> None:
        self._finish()
        self.problem = ""
        if lines != self.lines:
            self.lines = dict(lines)
            self.changed.emit()
        self.loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        self._finish()
        # The lines shown stay (they say until when); the reason is kept for a tooltip.
        self.problem = f"Who is on duty could not be read: {exc}"
        self.loaded.emit()

    def _finish(self) -> None:
        self._busy = False
        if self._again:
            self._again = False
            self.refresh()
