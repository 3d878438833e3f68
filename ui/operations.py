"""What a supervisor must not miss, watched while the app runs: routes with no duty adviser now or
in the next 12 hours (``rota.gaps``), and a shift that has no acknowledged handover 30 minutes
after it started (``handover.shift_checks``). Read on the task runner every few minutes; the
main window shows the words in a banner above the tabs (empty: nothing to flag).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time

from PySide6.QtCore import QObject, QTimer, Signal

from supportline.db import Database
from supportline.services import handover, local_time, rota
from supportline.services.actor import Actor, Permission
from ui.escalation import LANE
from ui.tasks import TaskRunner

#: How often the rota and the handovers are looked at again.
WATCH_MS = 120_000


def _now() -> datetime:
    return datetime.now(UTC)


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class OperationsWatch(QObject):
    #: The words to show (empty: nothing to flag).
    notice = Signal(str)
    #: A look finished (tests wait on it).
    checked = Signal()

    def __init__(
        self,
        db: Database,
        actor: Actor,
        tasks: TaskRunner,
        *,
        changes: Sequence[time] = handover.DEFAULT_SHIFT_CHANGES,
        clock: Callable[[], datetime] = _now,
        interval_ms: int = WATCH_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._actor, self._tasks, self._clock = db, actor, tasks, clock
        self._changes = tuple(changes)
        self.text = ""
        self._busy = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)

    @staticmethod
    def wanted(actor: Actor) -> bool:
        """Supervisors (and administrators): those who edit the rota or write handovers."""
        return actor.can(Permission.ROTA_WRITE) or actor.can(Permission.HANDOVER_WRITE)

    def start(self) -> None:
        self.check()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def check(self) -> None:
        if self._busy:
            return
        self._busy = True
        db, actor, at, changes = self._db, self._actor, self._clock(), self._changes

        def look() -> tuple[list[rota.Gap], tuple[handover.ShiftCheck, ...]]:
            gaps = rota.gaps(db, actor, at) if actor.can(Permission.ROTA_WRITE) else []
            checks = (
                handover.shift_checks(db, actor, now=at, changes=changes)
                if actor.can(Permission.HANDOVER_READ)
                else ()
            )
            return gaps, checks

        self._tasks.run(look, on_success=self._arrived, on_failure=self._failed, owner=self, lane=LANE)

    def words(self, gaps: Sequence[rota.Gap], checks: Sequence[handover.ShiftCheck]) -> str:
        zone = self._db.zone

        def when(value: datetime) -> str:
            return f"{value.astimezone(zone):%a} {local_time.clock(value, zone)}"

        parts = []
        if gaps:
            # Routes with the same gap are named together ("Tactical, Victim and Legal …").
            spans: dict[tuple[datetime, datetime], list[str]] = {}
            for g in gaps:
                spans.setdefault((g.starts_at, g.ends_at), []).append(g.route.label)
            routes = "; ".join(
                f"{_and(names)} {when(start)} to {when(end)}" for (start, end), names in spans.items()
            )
            parts.append(f"No duty adviser on the rota: {routes} (Duty rota, in the View menu).")
        # The shift under way (the newest): an earlier shift's missing signature is history.
        flagged = [c for c in checks[:1] if c.flagged]
        if flagged:
            shifts = ", ".join(when(c.starts_at) for c in flagged)
            parts.append(
                f"No acknowledged handover for the shift that started {shifts} "
                "(Ctrl+Shift+H: Shift handover)."
            )
        return " ".join(parts)

    def _arrived(self, found: tuple[list[rota.Gap], tuple[handover.ShiftCheck, ...]]) -> None:
        self._busy = False
        self._set(self.words(*found))

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self._set(f"The rota and the handovers could not be checked: {exc}")

    def _set(self, text: str) -> None:
        if text != self.text:
            self.text = text
            self.notice.emit(text)
        self.checked.emit()
