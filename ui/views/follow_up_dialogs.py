"""Booking a follow-up on a call (Ctrl+B in the call list) and handing a call to a route's duty
adviser (Ctrl+Shift+D): two dialogs over :mod:`supportline.services.followups` (issue 14).

**Local times without guessing.** The due time is typed as the line's wall clock and sent as
such (a naive datetime), so the service decides: a time the clocks skip (the March night) comes
back refused and the dialog says so at the field; one they repeat (01:30 on the October night)
comes back ambiguous with both instants, and the dialog asks which of the two — "01:30 BST, the
first" or "01:30 GMT, the second" — before it books.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QDateTime, QTime, QTimeZone, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from supportline.db import Database
from supportline.enums import FollowUpKind, FollowUpPriority, Route
from supportline.services import accounts, followups, rota
from supportline.services.actor import Actor
from supportline.services.followups import FollowUpRecord, HandoffRecord
from supportline.services.local_time import AmbiguousLocalTimeError, NonexistentLocalTimeError
from ui import formatting as fmt
from ui.tasks import TaskRunner
from ui.views.due_panel import LANE, Clock, problem_text
from ui.widgets.local_time import DISPLAY_FORMAT

#: What the due time starts at: this long after now, on the minute.
DEFAULT_LEAD = timedelta(hours=1)


def _wall(edit: QDateTimeEdit) -> datetime:
    """The wall-clock time the edit shows, naive (the edit keeps it as UTC so that Qt's idea of
    the workstation's zone never shifts it)."""
    qdt = edit.dateTime()
    d, t = qdt.date(), qdt.time()
    return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())


def set_wall(edit: QDateTimeEdit, wall: datetime) -> None:
    edit.setDateTime(
        QDateTime(
            QDate(wall.year, wall.month, wall.day),
            QTime(wall.hour, wall.minute),
            QTimeZone(QTimeZone.Initialization.UTC),
        )
    )


class BookFollowUpDialog(QDialog):
    """Book a follow-up on one call: kind, due (local), assignee, priority, note."""

    #: The follow-up was booked (its record).
    booked = Signal(object)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        tasks: TaskRunner,
        zone: ZoneInfo,
        clock: Clock,
        call_id: uuid.UUID,
        reference: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db, self.actor, self._tasks, self._zone, self.clock = db, actor, tasks, zone, clock
        self.call_id, self.reference = call_id, reference
        self.setWindowTitle(self.tr("Book a follow-up on %s") % reference)
        self.setMinimumWidth(560)

        self.kind = QComboBox()
        for kind in FollowUpKind:
            self.kind.addItem(kind.label, kind)
        self.due = QDateTimeEdit()
        self.due.setTimeZone(QTimeZone(QTimeZone.Initialization.UTC))
        self.due.setDisplayFormat(DISPLAY_FORMAT)
        self.due.setCalendarPopup(True)
        start = (clock() + DEFAULT_LEAD).astimezone(zone).replace(second=0, microsecond=0, tzinfo=None)
        set_wall(self.due, start)
        self.due.dateTimeChanged.connect(self._due_changed)
        self.due_hint = QLabel(self.tr("The line's time (%s)") % zone.key)
        self.due_hint.setObjectName("muted")
        # Shown only when the time happens twice (the October night): which of the two.
        self.which = QGroupBox(self.tr("Whic&h 01:30?"))
        self.which.setAccessibleName(self.tr("Which of the two times"))
        self.first = QRadioButton()
        self.second = QRadioButton()
        self._which_group = QButtonGroup(self)
        self._which_group.addButton(self.first, 0)
        self._which_group.addButton(self.second, 1)
        which = QVBoxLayout(self.which)
        which.addWidget(self.first)
        which.addWidget(self.second)
        self.which.hide()
        self.assignee = QComboBox()
        self.assignee.setAccessibleName(self.tr("Assignee"))
        # Each choice's data is text ("person:<id>", "route:<route>"): Qt keeps text as it is.
        self.assignee.addItem(self.tr("Nobody in particular (whoever is free)"), "")
        self.assignee.addItem(self.tr("Me (%s)") % actor.display_name, f"person:{actor.user_id}")
        for route in Route:
            self.assignee.addItem(
                self.tr("Whoever is on duty for %s then") % route.label, f"route:{route.value}"
            )
        self.priority = QComboBox()
        for priority in FollowUpPriority:
            self.priority.addItem(priority.label, priority)
        self.priority.setCurrentIndex(list(FollowUpPriority).index(FollowUpPriority.NORMAL))
        self.note = QLineEdit()
        self.note.setPlaceholderText(self.tr("e.g. Call the DS back after the NRM decision"))
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setAccessibleName(self.tr("Why it was not booked"))
        self.error.hide()

        form = QFormLayout()
        form.addRow(self.tr("&Kind:"), self.kind)
        form.addRow(self.tr("&Due:"), self.due)
        form.addRow("", self.due_hint)
        form.addRow("", self.which)
        form.addRow(self.tr("&Assignee:"), self.assignee)
        form.addRow(self.tr("&Priority:"), self.priority)
        form.addRow(self.tr("&Note:"), self.note)
        self.buttons = QDialogButtonBox()
        self.book_button = self.buttons.addButton(self.tr("&Book"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("A follow-up on %s, listed in its assignee's Due panel.") % reference)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.book_button.setDefault(True)  # once in the dialog: the dialog's own default, kept
        self._load_people()
        self.kind.setFocus()

    def _load_people(self) -> None:
        """Everyone active, after "Me" (any reader of calls may list them)."""
        db, actor = self.db, self.actor

        def add(people: list[tuple[uuid.UUID, str]]) -> None:
            at = 2
            for user_id, name in people:
                if user_id != actor.user_id:
                    self.assignee.insertItem(at, name, f"person:{user_id}")
                    at += 1

        self._tasks.run(
            lambda: [(h.id, h.display_name) for h in accounts.list_handlers(db, actor) if h.active],
            on_success=add,
            on_failure=lambda _exc: None,
            owner=self,
            lane=LANE,
        )

    def _due_changed(self) -> None:
        self.which.hide()  # asked again for another time, if it too happens twice
        self._which_group.setExclusive(False)
        self.first.setChecked(False)
        self.second.setChecked(False)
        self._which_group.setExclusive(True)

    def fold(self) -> int | None:
        """Which of two equal wall times was chosen (None: not asked, or not answered)."""
        if self.which.isHidden():
            return None
        chosen = self._which_group.checkedId()
        return chosen if chosen in (0, 1) else None

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def submit(self) -> None:
        if not self.which.isHidden() and self.fold() is None:
            self.show_error(self.tr("This time happens twice tonight: choose which one first."))
            self.first.setFocus()
            return
        # Qt hands enum members back as their text: made members again here.
        what, _, key = str(self.assignee.currentData() or "").partition(":")
        person = uuid.UUID(key) if what == "person" else None
        route = Route(key) if what == "route" else None
        db, actor, call_id, now = self.db, self.actor, self.call_id, self.clock()
        wall, fold = _wall(self.due), self.fold()
        kind, priority = FollowUpKind(self.kind.currentData()), FollowUpPriority(self.priority.currentData())
        note = self.note.text()
        self.book_button.setEnabled(False)
        self.show_error("")
        self._tasks.run(
            lambda: followups.book_follow_up(
                db,
                actor,
                call_id,
                wall,
                kind=kind,
                priority=priority,
                assignee_id=person,
                assignee_route=route,
                note=note,
                fold=fold,
                now=now,
            ),
            on_success=self._booked,
            on_failure=self._refused,
            owner=self,
            lane=LANE,
        )

    def _booked(self, record: FollowUpRecord) -> None:
        self.booked.emit(record)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.book_button.setEnabled(True)
        if isinstance(exc, AmbiguousLocalTimeError):
            first, second = (c.astimezone(self._zone) for c in exc.choices)
            self.which.setTitle(self.tr("Whic&h %s?") % f"{exc.local:%H:%M}")
            self.first.setText(
                self.tr("The first: %s %s, before the clocks go back")
                % (fmt.when(first, self._zone), first.tzname())
            )
            self.second.setText(
                self.tr("The second: %s %s, after the clocks go back")
                % (fmt.when(second, self._zone), second.tzname())
            )
            self.which.show()
            self.show_error(
                self.tr("%s happens twice that night (the clocks go back): choose which, then Book.")
                % f"{exc.local:%H:%M}"
            )
            self.first.setFocus()
            return
        if isinstance(exc, NonexistentLocalTimeError):
            self.show_error(problem_text(exc))
            self.due.setFocus()
            return
        self.show_error(problem_text(exc))


class HandOffDialog(QDialog):
    """Hand a call to whoever is duty adviser for a route now: the route, who that is (the
    escalation line), a note."""

    #: The call was handed over (its :class:`HandoffRecord`).
    handed = Signal(object)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        tasks: TaskRunner,
        clock: Clock,
        call_id: uuid.UUID,
        reference: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db, self.actor, self._tasks, self.clock = db, actor, tasks, clock
        self.call_id, self.reference = call_id, reference
        self.lines: dict[Route, str] = {}
        self.setWindowTitle(self.tr("Hand %s to a duty adviser") % reference)
        self.setMinimumWidth(560)
        self.route = QComboBox()
        for route in Route:
            self.route.addItem(route.label, route)
        self.route.currentIndexChanged.connect(self._show_line)
        self.on_duty = QLabel(self.tr("Looking up who is on duty…"))
        self.on_duty.setWordWrap(True)
        self.on_duty.setAccessibleName(self.tr("Who is on duty"))
        self.note = QLineEdit()
        self.note.setPlaceholderText(self.tr("e.g. Needs a decision on a s.45 defence tonight"))
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setAccessibleName(self.tr("Why it was not handed over"))
        self.error.hide()
        form = QFormLayout()
        form.addRow(self.tr("&Route:"), self.route)
        form.addRow(self.tr("On duty:"), self.on_duty)
        form.addRow(self.tr("&Note:"), self.note)
        self.buttons = QDialogButtonBox()
        accept = QDialogButtonBox.ButtonRole.AcceptRole
        self.hand_button = self.buttons.addButton(self.tr("&Hand over"), accept)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(self.tr("The call waits in the duty adviser's Due panel until they take it."))
        )
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.hand_button.setDefault(True)
        now = clock()
        self._tasks.run(
            lambda: rota.escalation_lines(db, actor, now),
            on_success=self._lines_arrived,
            on_failure=lambda exc: self.on_duty.setText(self.tr("The rota could not be read: %s") % exc),
            owner=self,
            lane=LANE,
        )
        self.route.setFocus()

    def _lines_arrived(self, lines: dict[Route, str]) -> None:
        self.lines = lines
        self._show_line()

    def _show_line(self) -> None:
        route = Route(self.route.currentData())
        if route in self.lines:
            self.on_duty.setText(self.lines[route])
        self.error.hide()

    def submit(self) -> None:
        db, actor, call_id, now = self.db, self.actor, self.call_id, self.clock()
        route, note = Route(self.route.currentData()), self.note.text()
        self.hand_button.setEnabled(False)
        self._tasks.run(
            lambda: followups.hand_to_duty_adviser(db, actor, call_id, route, note=note, now=now),
            on_success=self._handed,
            on_failure=self._refused,
            owner=self,
            lane=LANE,
        )

    def _handed(self, record: HandoffRecord) -> None:
        self.handed.emit(record)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.hand_button.setEnabled(True)
        self.error.setText(problem_text(exc))
        self.error.show()
