"""The duty rota as a week grid: a row per route and place (duty adviser, deputy), a column per
local day, each cell the shifts that start that day ("A. Khan 19:00 → Tue 07:00"; a shift whose
length the clocks change says so: "23:00 → Sun 07:00 · 9 h, clocks change").

Keyboard first: the arrows move, Enter or F2 edits the cell (a new shift, or one of its shifts:
person, start and end), Delete removes the cell's shift (Ctrl+Z puts it back), Alt+P / Alt+N the
previous and next week, "Copy last week" fills the week on show from the one before it
(``rota.copy_week``: same wall-clock times). Supervisors edit; everyone else reads. Every read
and write runs on the task runner; a stale edit (someone changed the shift meanwhile) and every
refusal are said in words under the grid, and the grid reads the week again.

Supervisors also see a banner of the routes with no duty adviser now or in the next 12 hours.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QHideEvent, QKeyEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from supportline.db import Database
from supportline.enums import DutyRole, Route
from supportline.services import accounts, local_time, rota
from supportline.services.actor import Actor, Permission
from supportline.services.errors import ConflictError, ServiceError, ValidationError
from ui import style
from ui.tasks import TaskRunner
from ui.widgets.local_time import LocalDateTimeEdit

#: The grid's rows, top to bottom.
ROWS: tuple[tuple[Route, DutyRole], ...] = tuple((r, d) for r in Route for d in DutyRole)
#: How often an open grid reads the week again.
REFRESH_MS = 60_000
FIELD_WORDS = {"starts_at": "Start", "ends_at": "End", "user_id": "Person"}


def _now() -> datetime:
    return datetime.now(UTC)


def error_words(exc: BaseException) -> str:
    """A service's refusal as a sentence for the screen (fields by their on-screen names)."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{FIELD_WORDS.get(e.field, e.field)}: {e.message}" for e in exc.errors)
    if isinstance(exc, ServiceError):
        return str(exc)
    return f"the database could not be reached ({exc})"


def shift_text(
    shift: rota.ShiftRecord, zone: ZoneInfo, *, week_start: datetime | None = None, sep: str = "  "
) -> str:
    """One shift in a cell: who, then when (the end's day when it is another day; its length
    when the clocks change during it; "from Sun" when it began before the week on show)."""
    start, end = shift.starts_at.astimezone(zone), shift.ends_at.astimezone(zone)
    when = local_time.clock(shift.starts_at, zone)
    if week_start is not None and shift.starts_at < week_start:
        when = f"from {start:%a} {when}"
    if end.date() != start.date():
        when += f" → {end:%a} {local_time.clock(shift.ends_at, zone)}"
    else:
        when += f"–{local_time.clock(shift.ends_at, zone)}"
    real = shift.ends_at - shift.starts_at
    wall = end.replace(tzinfo=None) - start.replace(tzinfo=None)
    if real != wall:
        when += f" · {real.total_seconds() / 3600:g} h, clocks change"
    return f"{rota.short_name(shift.user_name)}{sep}{when}"


@dataclass(frozen=True)
class Cell:
    route: Route
    role: DutyRole
    day: date  # local
    shifts: tuple[rota.ShiftRecord, ...]


@dataclass(frozen=True)
class ShiftEdit:
    """What the shift dialog gives back: ``shift`` None for a new one."""

    cell: Cell
    shift: rota.ShiftRecord | None
    user_id: uuid.UUID
    starts: datetime  # aware
    ends: datetime


class ShiftDialog(QDialog):
    """A cell's shift: which one (or a new one), the person, the start and the end (local time)."""

    def __init__(
        self,
        cell: Cell,
        people: Sequence[accounts.Handler],
        zone: ZoneInfo,
        *,
        remove: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.cell, self._zone, self.removing = cell, zone, remove
        what = f"{cell.route.label} {cell.role.label.lower()}, {cell.day:%a %d %b}"
        self.setWindowTitle(("Remove a shift: " if remove else "Shift: ") + what)
        self.choice = QComboBox()
        self.choice.setAccessibleName("Shift")
        for s in cell.shifts:
            self.choice.addItem(shift_text(s, zone), s.id)
        if not remove:
            self.choice.addItem("A new shift", None)
        self.person = QComboBox()
        self.person.setAccessibleName("Person")
        for p in people:
            if p.active:
                self.person.addItem(p.display_name, p.id)
        self.starts = LocalDateTimeEdit(zone)
        self.starts.setAccessibleName("Start")
        self.ends = LocalDateTimeEdit(zone)
        self.ends.setAccessibleName("End")
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.hide()
        form = QFormLayout()
        form.addRow("S&hift:", self.choice)
        if not remove:
            form.addRow("&Person:", self.person)
            form.addRow("&Start:", self.starts)
            form.addRow("&End:", self.ends)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Remove" if remove else "Save")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.choice.currentIndexChanged.connect(self._chosen)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 64)
        self._chosen()
        # A new shift first when adding (the likely wish); the only shift when there is one.
        if not remove and cell.shifts:
            self.choice.setCurrentIndex(len(cell.shifts))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        (self.choice if self.cell.shifts else self.person).setFocus()

    def shift(self) -> rota.ShiftRecord | None:
        wanted = self.choice.currentData()
        return next((s for s in self.cell.shifts if s.id == wanted), None)

    def _chosen(self) -> None:
        s = self.shift()
        if s is not None:
            index = self.person.findData(s.user_id)
            if index < 0:  # a disabled account still holds the shift: shown, not offered anew
                self.person.addItem(s.user_name, s.user_id)
                index = self.person.count() - 1
            self.person.setCurrentIndex(index)
            self.starts.set_moment(s.starts_at)
            self.ends.set_moment(s.ends_at)
            return
        # A new shift: after the cell's last one, else the day shift (07:00 for 12 hours).
        last = max((x.ends_at for x in self.cell.shifts), default=None)
        start = last or datetime.combine(self.cell.day, time(7), tzinfo=self._zone).astimezone(UTC)
        self.starts.set_moment(start)
        self.ends.set_moment(_wall_plus(start, timedelta(hours=12), self._zone))

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def edit(self) -> ShiftEdit:
        return ShiftEdit(
            self.cell, self.shift(), self.person.currentData(), self.starts.moment(), self.ends.moment()
        )


def _wall_plus(moment: datetime, span: timedelta, zone: ZoneInfo) -> datetime:
    """``span`` later on the wall clock (07:00 + 12 h is 19:00 on any day)."""
    local = moment.astimezone(zone).replace(tzinfo=None) + span
    return local.replace(tzinfo=zone).astimezone(UTC)


class RotaWindow(QDialog):
    """The week grid (see the module docstring)."""

    #: The week on show was read (and drawn).
    loaded = Signal()
    #: A change finished: the words shown (refusals too).
    change_done = Signal(str)
    #: The rota was changed here (the window's escalation lines read again).
    rota_changed = Signal()

    def __init__(
        self,
        db: Database,
        actor: Actor,
        tasks: TaskRunner,
        *,
        clock: Callable[[], datetime] = _now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db, self.actor, self._tasks, self._clock = db, actor, tasks, clock
        self.zone = db.zone
        self.editable = actor.can(Permission.ROTA_WRITE)
        self.monday = clock().astimezone(self.zone).date()
        self.monday -= timedelta(days=self.monday.weekday())
        self.shifts: list[rota.ShiftRecord] = []
        self.people: tuple[accounts.Handler, ...] = ()
        self.gaps: list[rota.Gap] = []
        self.dialog: ShiftDialog | None = None
        self._undo: rota.ShiftRecord | None = None
        self._cells: dict[tuple[int, int], Cell] = {}
        self.setWindowTitle("Duty rota")
        self.resize(1280, 680)

        self.week_label = QLabel()
        font = self.week_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.week_label.setFont(font)
        self.previous_button = QPushButton("&Previous week")
        self.this_week_button = QPushButton("&This week")
        self.next_button = QPushButton("&Next week")
        self.copy_button = QPushButton("&Copy last week")
        self.copy_button.setToolTip("Copy the week before into this one, at the same local times")
        self.copy_button.setVisible(self.editable)
        top = QHBoxLayout()
        top.addWidget(self.week_label, 1)
        for b in (self.previous_button, self.this_week_button, self.next_button, self.copy_button):
            top.addWidget(b)

        self.banner = QLabel()
        self.banner.setObjectName("rotaGaps")
        self.banner.setWordWrap(True)
        self.banner.setAccessibleName("Routes without a duty adviser")
        t = style.current()
        self.banner.setStyleSheet(
            f"QLabel#rotaGaps {{ color: {t.warning}; border: 1px solid {t.warning}; border-radius: 3px;"
            " padding: 4px 8px; font-weight: 600; }"
        )
        self.banner.hide()

        self.table = QTableWidget(len(ROWS), 7)
        self.table.setAccessibleName("Duty rota, week grid")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setWordWrap(True)
        self.table.setTabKeyNavigation(False)  # Tab leaves the grid; the arrows move in it
        self.table.setVerticalHeaderLabels([f"{r.label} – {d.label.lower()}" for r, d in ROWS])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.installEventFilter(self)
        self.table.cellDoubleClicked.connect(lambda row, column: self.edit_cell(row, column))

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Rota messages")
        self.undo_button = QPushButton("&Undo remove")
        self.undo_button.hide()
        self.undo_button.clicked.connect(self.undo_remove)
        hint = QLabel(
            "Arrows move · Enter or F2 edits the cell · Delete removes its shift (Ctrl+Z puts it back)"
            if self.editable
            else "The rota is edited by supervisors; you can read it here."
        )
        hint.setObjectName("muted")
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.undo_button)
        bottom.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)
        layout.addLayout(bottom)

        self.previous_button.clicked.connect(lambda: self.show_week(self.monday - timedelta(days=7)))
        self.next_button.clicked.connect(lambda: self.show_week(self.monday + timedelta(days=7)))
        self.this_week_button.clicked.connect(self.show_this_week)
        self.copy_button.clicked.connect(self.copy_last_week)
        undo = QAction(self)
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        undo.triggered.connect(self.undo_remove)
        self.addAction(undo)
        for b in (self.previous_button, self.this_week_button, self.next_button, self.copy_button):
            b.setAutoDefault(False)
        close.setAutoDefault(False)
        self._load_people()
        self.refresh()
        self.table.setFocus()
        # Edits at other workstations show within a minute (a stale edit is refused anyway).
        self._poll = QTimer(self)
        self._poll.setInterval(REFRESH_MS)
        self._poll.timeout.connect(self._poll_refresh)
        self._poll.start()

    def _poll_refresh(self) -> None:
        if self.isVisible() and (self.dialog is None or not self.dialog.isVisible()):
            self.refresh()

    def hideEvent(self, event: QHideEvent) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.reject()  # closed by the screen lock too: the cell's dialog goes with it
        super().hideEvent(event)

    # --- reading --------------------------------------------------------------------------------

    def week_bounds(self) -> tuple[datetime, datetime]:
        start = rota.week_start(self.monday, self.zone)
        return start, rota.week_start(self.monday + timedelta(days=7), self.zone)

    def show_this_week(self) -> None:
        today = self._clock().astimezone(self.zone).date()
        self.show_week(today - timedelta(days=today.weekday()))

    def show_week(self, monday: date) -> None:
        self.monday = monday
        self.refresh()

    def refresh(self) -> None:
        db, actor = self.db, self.actor
        start, end = self.week_bounds()
        at = self._clock()
        editable = self.editable

        def read() -> tuple[list[rota.ShiftRecord], list[rota.Gap]]:
            shifts = rota.list_shifts(db, actor, start, end)
            return shifts, rota.gaps(db, actor, at) if editable else []

        self._tasks.run(read, on_success=self._arrived, on_failure=self._read_failed, owner=self)

    def _load_people(self) -> None:
        db, actor = self.db, self.actor
        self._tasks.run(
            lambda: accounts.list_handlers(db, actor),
            on_success=lambda people: setattr(self, "people", tuple(people)),
            on_failure=self._read_failed,
            owner=self,
        )

    def _read_failed(self, exc: BaseException) -> None:
        self.say(f"The rota could not be read: {error_words(exc)}")
        self.loaded.emit()

    def _arrived(self, found: tuple[list[rota.ShiftRecord], list[rota.Gap]]) -> None:
        self.shifts, self.gaps = found
        start, _end = self.week_bounds()
        last = self.monday + timedelta(days=6)
        self.week_label.setText(
            f"Week of Monday {self.monday:%d %B %Y} to Sunday {last:%d %B} ({self.zone.key})"
        )
        days = [self.monday + timedelta(days=i) for i in range(7)]
        self.table.setHorizontalHeaderLabels([f"{d:%a %d %b}" for d in days])
        today = self._clock().astimezone(self.zone).date()
        self._cells = {}
        for row, (route, role) in enumerate(ROWS):
            for column, day in enumerate(days):
                mine = tuple(
                    s
                    for s in self.shifts
                    if s.route is route
                    and s.role is role
                    and max(s.starts_at, start).astimezone(self.zone).date() == day
                )
                cell = Cell(route, role, day, mine)
                self._cells[(row, column)] = cell
                # In the cell, who on one line and when on the next (a narrow column wraps less).
                lines = (shift_text(s, self.zone, week_start=start, sep="\n") for s in mine)
                item = QTableWidgetItem("\n".join(lines) or "—")
                item.setToolTip(item.text())
                spoken = f"{route.label} {role.label.lower()}, {day:%A %d %B}: " + (
                    "; ".join(shift_text(s, self.zone, week_start=start) for s in mine) or "nobody"
                )
                item.setData(Qt.ItemDataRole.AccessibleTextRole, spoken)
                if not mine:
                    item.setForeground(self.palette().placeholderText())
                if day == today:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
        if self.table.currentRow() < 0:
            self.table.setCurrentCell(0, max(0, min(6, (today - self.monday).days)))
        self.table.resizeRowsToContents()
        self._show_gaps()
        self.loaded.emit()

    def _show_gaps(self) -> None:
        if not self.gaps:
            self.banner.hide()
            return
        parts = []
        for g in self.gaps:
            a, b = g.starts_at.astimezone(self.zone), g.ends_at.astimezone(self.zone)
            parts.append(
                f"{g.route.label} from {a:%a} {local_time.clock(g.starts_at, self.zone)} "
                f"to {b:%a} {local_time.clock(g.ends_at, self.zone)}"
            )
        self.banner.setText("No duty adviser on the rota now or in the next 12 hours: " + "; ".join(parts))
        self.banner.show()

    def cell(self, row: int, column: int) -> Cell:
        return self._cells[(row, column)]

    def cell_text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def say(self, text: str, *, error: bool = False) -> None:
        self.status.setObjectName("error" if error else "")
        self.status.setStyleSheet(f"color: {style.current().error};" if error else "")
        self.status.setText(text)

    # --- keys -----------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F2):
                self.edit_cell(self.table.currentRow(), self.table.currentColumn())
                return True
            if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
                self.remove_in_cell(self.table.currentRow(), self.table.currentColumn())
                return True
        return super().eventFilter(watched, event)

    # --- editing --------------------------------------------------------------------------------

    def _may_edit(self) -> bool:
        if not self.editable:
            self.say("Only supervisors edit the duty rota.", error=True)
        return self.editable

    def edit_cell(self, row: int, column: int) -> ShiftDialog | None:
        """Open the cell's shift dialog (non-modal to the test, modal to the person)."""
        if row < 0 or column < 0 or not self._may_edit():
            return None
        dialog = ShiftDialog(self.cell(row, column), self.people, self.zone, parent=self)
        self._open(dialog)
        return dialog

    def remove_in_cell(self, row: int, column: int) -> ShiftDialog | None:
        """Delete: the cell's only shift goes at once (Ctrl+Z puts it back); with several, which."""
        if row < 0 or column < 0 or not self._may_edit():
            return None
        cell = self.cell(row, column)
        if not cell.shifts:
            self.say("There is no shift in this cell to remove.")
            return None
        if len(cell.shifts) == 1:
            self._remove(cell.shifts[0])
            return None
        dialog = ShiftDialog(cell, self.people, self.zone, remove=True, parent=self)
        self._open(dialog)
        return dialog

    def _open(self, dialog: ShiftDialog) -> None:
        self.dialog = dialog
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.accepted.connect(lambda d=dialog: self._dialog_done(d))
        dialog.finished.connect(lambda _r: self._back_to_grid())
        dialog.open()

    def _back_to_grid(self) -> None:
        self.activateWindow()
        self.table.setFocus()

    def _dialog_done(self, dialog: ShiftDialog) -> None:
        if dialog.removing:
            chosen = dialog.shift()
            if chosen is not None:
                self._remove(chosen)
            return
        edit = dialog.edit()
        db, actor = self.db, self.actor
        if edit.user_id is None:
            self.say("Choose the person on duty.", error=True)
            return
        if edit.shift is None:
            cell = edit.cell

            def work() -> rota.ShiftRecord:
                return rota.add_shift(db, actor, cell.route, cell.role, edit.user_id, edit.starts, edit.ends)

            verb = "Added"
        else:
            shift = edit.shift

            def work() -> rota.ShiftRecord:
                return rota.change_shift(
                    db, actor, shift.id, expected_version=shift.version, user_id=edit.user_id,
                    starts=edit.starts, ends=edit.ends,
                )  # fmt: skip

            verb = "Changed"
        self._tasks.run(
            work,
            on_success=lambda s: self._changed(f"{verb}: {s.route.label} {s.role.label.lower()}, "
                                               f"{shift_text(s, self.zone)}."),
            on_failure=lambda exc: self._refused(exc, dialog),
            owner=self,
        )  # fmt: skip

    def _remove(self, shift: rota.ShiftRecord) -> None:
        db, actor = self.db, self.actor

        def removed(_none: None) -> None:
            self._undo = shift
            self.undo_button.show()
            self._changed(
                f"Removed {rota.short_name(shift.user_name)}'s {shift.role.label.lower()} shift on "
                f"{shift.route.label} ({shift_text(shift, self.zone)}). Ctrl+Z puts it back."
            )

        self._tasks.run(
            lambda: rota.remove_shift(db, actor, shift.id, expected_version=shift.version),
            on_success=removed,
            on_failure=lambda exc: self._refused(exc, None),
            owner=self,
        )

    def undo_remove(self) -> None:
        shift = self._undo
        if shift is None or not self.editable:
            return
        self._undo = None
        self.undo_button.hide()
        db, actor = self.db, self.actor
        self._tasks.run(
            lambda: rota.add_shift(
                db, actor, shift.route, shift.role, shift.user_id, shift.starts_at, shift.ends_at
            ),
            on_success=lambda s: self._changed(f"Put back: {shift_text(s, self.zone)}."),
            on_failure=lambda exc: self._refused(exc, None),
            owner=self,
        )

    def copy_last_week(self) -> None:
        if not self._may_edit():
            return
        db, actor, monday = self.db, self.actor, self.monday
        self.say("Copying last week…")
        self._tasks.run(
            lambda: rota.copy_week(db, actor, monday),
            on_success=self._copied,
            on_failure=lambda exc: self._refused(exc, None),
            owner=self,
        )

    def _copied(self, result: rota.CopyResult) -> None:
        words = [f"Copied {len(result.created)} shift(s) from last week."]
        if result.moved:
            moved = "; ".join(shift_text(s, self.zone) for s in result.moved)
            words.append(f"Moved past the clock change: {moved}.")
        if result.skipped:
            left = "; ".join(
                f"{s.route.label} {s.role.label.lower()} {shift_text(s, self.zone)}: {why}"
                for s, why in result.skipped
            )
            words.append(f"Left out, the place is taken: {left}.")
        self._changed(" ".join(words))

    def _changed(self, text: str) -> None:
        self.say(text)
        self.rota_changed.emit()
        self.refresh()
        self.change_done.emit(text)

    def _refused(self, exc: BaseException, dialog: ShiftDialog | None) -> None:
        if isinstance(exc, ConflictError):
            text = f"Not saved: {exc}. The week has been read again."
            self.refresh()
        else:
            text = f"Not saved: {error_words(exc)}"
        self.say(text, error=True)
        if dialog is not None and not dialog.removing and not isinstance(exc, ConflictError):
            # The person's input stays: the dialog opens again with the reason. (After a
            # conflict the cell is read again first: what is there now is the base.)
            edit = dialog.edit()
            again = ShiftDialog(edit.cell, self.people, self.zone, parent=self)
            if edit.shift is not None:
                again.choice.setCurrentIndex(max(0, again.choice.findData(edit.shift.id)))
            else:
                again.choice.setCurrentIndex(again.choice.count() - 1)
            again.person.setCurrentIndex(max(0, again.person.findData(edit.user_id)))
            again.starts.set_moment(edit.starts)
            again.ends.set_moment(edit.ends)
            again.show_error(text)
            self._open(again)
        self.change_done.emit(text)
