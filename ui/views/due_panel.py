"""The Due panel (issue 14): a dock listing the signed-in person's follow-ups that are overdue,
due now and due in the next hours, and the calls handed to them, each with its call.

The listing comes from :func:`supportline.services.followups.due` on the runner's own lane
(:data:`LANE`: a slow listing never holds up the call list), on a timer and whenever a call is
saved elsewhere (the live updates). What the person is asked to do comes as dialogs: *Complete…*
records what happened (and can open a new call in the case), *Snooze…* needs a reason, *Take*
takes a handed-over call. The clock is the window's (``clock``), so a test fixes it.

:class:`DueNotifier` says when something newly falls due (:func:`followups.newly_due`): a
desktop notification where the desktop has a tray, else a notice in the window.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSystemTrayIcon,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from supportline.db import Database
from supportline.enums import FollowUpPriority, FollowUpStatus
from supportline.services import followups, local_time, rota
from supportline.services.actor import Actor
from supportline.services.errors import ConflictError, NotFoundError, ServiceError, ValidationError
from supportline.services.followups import DueItem, DueList, DueState, FollowUpRecord, HandoffRecord
from supportline.services.permissions import RULES, Action
from ui import formatting as fmt
from ui import style
from ui.tasks import TaskRunner

#: The runner's lane for the listing and the panel's actions.
LANE = "followups"
#: How often the panel lists again on its own (a save elsewhere lists at once).
REFRESH_MS = 30_000
#: How far ahead "due in the next hours" looks.
WITHIN = followups.DEFAULT_WITHIN

Clock = Callable[[], datetime]

COLUMNS = ("When", "Call", "What, who holds it, note")

#: What a person may put a follow-up off for.
SNOOZE_CHOICES = (
    (timedelta(minutes=15), "15 minutes"),
    (timedelta(minutes=30), "30 minutes"),
    (timedelta(hours=1), "1 hour"),
    (timedelta(hours=2), "2 hours"),
    (timedelta(hours=4), "4 hours"),
    (timedelta(hours=8), "8 hours"),
    (timedelta(days=1), "1 day"),
)


def may(actor: Actor, action: Action) -> bool:
    """Whether ``actor``'s role holds the permission ``action`` needs (the services check again,
    with the finer rules: an assignee, a supervisor)."""
    return actor.can(RULES[action].permission)


def counts_text(listed: DueList) -> str:
    """For the status bar: "2 overdue · 1 due now · 1 handed to you"; "Nothing due" when nothing is."""
    counts = listed.counts
    parts = []
    if counts["overdue"]:
        parts.append(f"{counts['overdue']} overdue")
    if counts["due_now"]:
        parts.append(f"{counts['due_now']} due now")
    if counts["handoffs"]:
        parts.append(f"{counts['handoffs']} handed to you")
    return " · ".join(parts) if parts else "Nothing due"


def _what(record: FollowUpRecord) -> str:
    text = record.kind.label
    if record.priority is not FollowUpPriority.NORMAL:
        text += f" ({record.priority.label.lower()} priority)"
    if record.status is FollowUpStatus.SNOOZED:
        text += ", snoozed"
    return text


def _who(item: DueItem) -> str:
    record = item.follow_up
    if record.assignee_route is not None:
        holder = rota.short_name(item.holder_name) if item.holder_name else "nobody on the rota"
        return f"{record.assignee_route.label} duty adviser: {holder}"
    return item.holder_name or "Anyone"


class DuePanel(QDockWidget):
    #: A call to open (its id): Enter on an item, or Open call.
    open_requested = Signal(object)
    #: A follow-up was completed with "open a new call in the case": the follow-up's record.
    follow_on_requested = Signal(object)
    #: A listing arrived (the :class:`DueList`), after the panel shows it.
    listed = Signal(object)
    #: The status bar's text changed ("2 overdue · 1 due now").
    counts_changed = Signal(str)
    #: What newly fell due since the listing before: (follow-up items, hand-offs).
    fell_due = Signal(object, object)
    #: A complete, snooze or take went through (a text for the status bar).
    acted = Signal(str)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        tasks: TaskRunner,
        zone: ZoneInfo,
        clock: Clock,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db, self.actor, self._tasks, self._zone, self.clock = db, actor, tasks, zone, clock
        self.setObjectName("duePanel")  # the window keeps its place and visibility per user
        self.setWindowTitle(self.tr("Due"))
        self.setAllowedAreas(Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
        self.current: DueList | None = None
        self._busy = False
        self._again = False
        self._audit_next = False
        self.dialog: QDialog | None = None

        self.tree = QTreeWidget()
        self.tree.setAccessibleName(self.tr("Follow-ups due"))
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels([self.tr(c) for c in COLUMNS])
        self.tree.setRootIsDecorated(False)
        self.tree.setItemsExpandable(False)
        self.tree.setUniformRowHeights(False)  # an item with a note has two lines
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.tree.header()
        header.setStretchLastSection(True)
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemActivated.connect(lambda _item, _col: self.open_selected())
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())

        # No mnemonics here: the panel sits beside a call form whose letters are all taken.
        # Tab reaches each button; Enter on an item opens its call.
        self.open_button = QPushButton(self.tr("Open call"))
        self.complete_button = QPushButton(self.tr("Complete…"))
        self.snooze_button = QPushButton(self.tr("Snooze…"))
        self.take_button = QPushButton(self.tr("Take"))
        self.open_button.clicked.connect(self.open_selected)
        self.complete_button.clicked.connect(self.complete_selected)
        self.snooze_button.clicked.connect(self.snooze_selected)
        self.take_button.clicked.connect(self.take_selected)
        self.complete_button.setVisible(may(actor, Action.FOLLOWUP_COMPLETE))
        self.snooze_button.setVisible(may(actor, Action.FOLLOWUP_SNOOZE))
        self.take_button.setVisible(may(actor, Action.HANDOFF_TAKE))
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Due panel state"))

        buttons = QHBoxLayout()
        for button in (self.open_button, self.complete_button, self.snooze_button, self.take_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.setWidget(body)
        self.setMinimumWidth(460)
        self._update_buttons()

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.visibilityChanged.connect(self._visibility_changed)

    # --- listing ----------------------------------------------------------------------------

    def start(self) -> None:
        self.timer.start()
        self.refresh()

    def stop(self) -> None:
        self.timer.stop()

    @property
    def listing(self) -> bool:
        """A listing is running (or another is asked for after it)."""
        return self._busy or self._again

    def _visibility_changed(self, visible: bool) -> None:
        if visible:
            self._audit_next = True  # opening the panel is a consultation; its refreshes are not
            self.refresh()

    def refresh(self) -> None:
        """List again on the runner (one listing at a time; one asked for meanwhile follows)."""
        if self._busy:
            self._again = True
            return
        self._busy, self._again = True, False
        db, actor, now = self.db, self.actor, self.clock()
        audited, self._audit_next = self._audit_next, False
        self._tasks.run(
            lambda: followups.due(
                db, actor, now=now, within=WITHIN, assignee_id=actor.user_id, audited=audited
            ),
            on_success=self._arrived,
            on_failure=self._failed,
            owner=self,
            lane=LANE,
        )

    def _settle(self) -> None:
        self._busy = False
        if self._again:
            self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(self.tr("The follow-ups could not be listed: %s") % exc)
        self._settle()

    def _arrived(self, listed: DueList) -> None:
        before, self.current = self.current, listed
        self._show(listed)
        text = counts_text(listed)
        self.status.setText(self.tr("Checked at %s") % fmt.clock(listed.at, self._zone))
        self.counts_changed.emit(text)
        fell, handed = followups.newly_due(before, listed)
        if fell or handed:
            self.fell_due.emit(fell, handed)
        self.listed.emit(listed)
        self._settle()

    def _show(self, listed: DueList) -> None:
        chosen = self.selected()
        chosen_id = chosen.follow_up.id if isinstance(chosen, DueItem) else getattr(chosen, "id", None)
        theme = style.current()
        groups: list[tuple[str, str, list[DueItem] | list[HandoffRecord]]] = [
            (self.tr("Overdue"), theme.error, list(listed.overdue)),
            (self.tr("Due now"), theme.warning, list(listed.due_now)),
            (self.tr("Due in the next %d hours") % (WITHIN.total_seconds() // 3600), theme.muted,
             list(listed.upcoming)),
            (self.tr("Calls handed to you"), theme.accent, list(listed.handoffs)),
        ]  # fmt: skip
        self.tree.clear()
        first: QTreeWidgetItem | None = None
        keep: QTreeWidgetItem | None = None
        for title, colour, rows in groups:
            if not rows:
                continue
            head = QTreeWidgetItem([f"{title} ({len(rows)})"])
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a heading: not selectable, not an item
            head.setFirstColumnSpanned(True)
            font = head.font(0)
            font.setBold(True)
            head.setFont(0, font)
            head.setForeground(0, QBrush(QColor(colour)))
            self.tree.addTopLevelItem(head)
            head.setFirstColumnSpanned(True)
            for row in rows:
                item = self._item(row, colour, listed.at)
                head.addChild(item)
                first = first or item
                if chosen_id is not None and item.data(0, Qt.ItemDataRole.UserRole + 1) == chosen_id:
                    keep = item
            head.setExpanded(True)
        if self.tree.topLevelItemCount() == 0:
            empty = QTreeWidgetItem([self.tr("Nothing overdue, due or handed to you.")])
            empty.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(empty)
            empty.setFirstColumnSpanned(True)
        target = keep or first
        if target is not None:
            self.tree.setCurrentItem(target)
        self._update_buttons()

    def _item(self, row: DueItem | HandoffRecord, colour: str, at: datetime) -> QTreeWidgetItem:
        if isinstance(row, DueItem):
            record = row.follow_up
            what, who = _what(record), _who(row)
            when, call, note, item_id = record.next_due, record.call_reference, record.note, record.id
        else:
            what = self.tr("Handed to you (%s)") % row.route.label
            who = self.tr("from %s") % row.handed_by_name
            when, call, note, item_id = row.handed_at, row.call_reference, row.note, row.id
        # A line each, so that a narrow dock shows them whole: what it is, who holds it, the note.
        values = [self._when(when, at), call, "\n".join(t for t in (what, who, note) if t)]
        item = QTreeWidgetItem(values)
        item.setData(0, Qt.ItemDataRole.UserRole, row)
        item.setData(0, Qt.ItemDataRole.UserRole + 1, item_id)
        item.setForeground(0, QBrush(QColor(colour)))
        item.setToolTip(2, values[2])
        for column in (0, 1):  # beside the first line of the text, not its middle
            item.setTextAlignment(column, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        return item

    def _when(self, moment: datetime, at: datetime) -> str:
        """The time alone on the day of the listing, else with its day ("Sun 25 Oct 01:30"); with
        the zone's name where the clocks show that time twice ("01:30 GMT")."""
        local, today = moment.astimezone(self._zone), at.astimezone(self._zone)
        text = f"{local:%H:%M}"
        if local.date() != today.date():
            text = fmt.when(moment, self._zone).rsplit(" ", 2)[0] + " " + text
        if local_time.is_ambiguous(moment, self._zone):
            text += f" {local.tzname()}"
        return text

    def rows(self) -> list[list[str]]:
        """What the panel shows, group headings and items, as text (tests and the screenshot)."""
        out = []
        for head in self._heads():
            out.append([head.text(0)])
            for child in self._children(head):
                out.append([child.text(c) for c in range(len(COLUMNS))])
        return out

    def _heads(self) -> list[QTreeWidgetItem]:
        heads = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return [h for h in heads if h is not None]

    @staticmethod
    def _children(head: QTreeWidgetItem) -> list[QTreeWidgetItem]:
        children = (head.child(j) for j in range(head.childCount()))
        return [c for c in children if c is not None]

    def selected(self) -> DueItem | HandoffRecord | None:
        item = self.tree.currentItem()
        value = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        return value if isinstance(value, DueItem | HandoffRecord) else None

    def select(self, item_id: uuid.UUID) -> bool:
        """Make the item of this follow-up or hand-off the current one."""
        for head in self._heads():
            for child in self._children(head):
                if child.data(0, Qt.ItemDataRole.UserRole + 1) == item_id:
                    self.tree.setCurrentItem(child)
                    return True
        return False

    def focus_list(self) -> None:
        self.tree.setFocus(Qt.FocusReason.ShortcutFocusReason)
        if self.selected() is None:
            self._update_buttons()

    def _update_buttons(self) -> None:
        chosen = self.selected()
        self.open_button.setEnabled(chosen is not None)
        self.complete_button.setEnabled(isinstance(chosen, DueItem))
        self.snooze_button.setEnabled(isinstance(chosen, DueItem))
        self.take_button.setEnabled(isinstance(chosen, HandoffRecord))

    # --- acting -----------------------------------------------------------------------------

    def open_selected(self) -> None:
        chosen = self.selected()
        if isinstance(chosen, DueItem):
            self.open_requested.emit(chosen.follow_up.call_id)
        elif isinstance(chosen, HandoffRecord):
            self.open_requested.emit(chosen.call_id)

    def complete_selected(self) -> CompleteDialog | None:
        chosen = self.selected()
        if not isinstance(chosen, DueItem) or not self.complete_button.isVisible():
            return None
        dialog = CompleteDialog(self, chosen.follow_up)
        self._open(dialog)
        return dialog

    def snooze_selected(self) -> SnoozeDialog | None:
        chosen = self.selected()
        if not isinstance(chosen, DueItem) or not self.snooze_button.isVisible():
            return None
        dialog = SnoozeDialog(self, chosen.follow_up)
        self._open(dialog)
        return dialog

    def _open(self, dialog: QDialog) -> None:
        self.dialog = dialog
        dialog.finished.connect(lambda _r: self.tree.setFocus(Qt.FocusReason.OtherFocusReason))
        dialog.open()

    def take_selected(self) -> None:
        chosen = self.selected()
        if not isinstance(chosen, HandoffRecord) or not self.take_button.isVisible():
            return
        db, actor, now = self.db, self.actor, self.clock()
        self.take_button.setEnabled(False)
        self._tasks.run(
            lambda: followups.take_handoff(db, actor, chosen.id, expected_version=chosen.version, now=now),
            on_success=lambda taken: self._done(self.tr("You took %s") % taken.call_reference),
            on_failure=lambda exc: self._refused(self.tr("Not taken"), exc),
            owner=self,
            lane=LANE,
        )

    def _done(self, text: str) -> None:
        self.status.setText(text)
        self.acted.emit(text)
        self.refresh()

    def _refused(self, what: str, exc: BaseException) -> None:
        self.status.setText(f"{what}: {problem_text(exc)}")
        self._update_buttons()
        self.refresh()


def problem_text(exc: BaseException) -> str:
    """What a refusal says, in a sentence (a validation error names its fields' problems)."""
    if isinstance(exc, ValidationError):
        return "; ".join(e.message for e in exc.errors)
    if isinstance(exc, ConflictError | NotFoundError | ServiceError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class _ItemDialog(QDialog):
    """What the Complete and Snooze dialogs share: the follow-up described, an error line, OK."""

    def __init__(self, panel: DuePanel, record: FollowUpRecord, title: str, ok: str) -> None:
        super().__init__(panel)
        self.panel, self.record = panel, record
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.about = QLabel(
            f"{record.call_reference} · {record.kind.label} · "
            f"{self.tr('due')} {fmt.when(record.next_due, panel._zone)}"
            + (f"\n{record.note}" if record.note else "")
        )
        self.about.setWordWrap(True)
        self.about.setTextFormat(Qt.TextFormat.PlainText)
        self.error = QLabel()
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.hide()
        self.form = QFormLayout()
        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton(ok, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.about)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.ok_button.setDefault(True)  # once in the dialog: the dialog's own default, kept

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def submit(self) -> None:
        raise NotImplementedError

    def _run(self, work: Callable[[], FollowUpRecord], done: Callable[[FollowUpRecord], None]) -> None:
        self.ok_button.setEnabled(False)

        def failed(exc: BaseException) -> None:
            self.ok_button.setEnabled(True)
            self.show_error(problem_text(exc))

        self.panel._tasks.run(work, on_success=done, on_failure=failed, owner=self, lane=LANE)


class CompleteDialog(_ItemDialog):
    """Complete a follow-up: what happened (required); optionally a new call in the case."""

    def __init__(self, panel: DuePanel, record: FollowUpRecord) -> None:
        super().__init__(panel, record, panel.tr("Complete a follow-up"), panel.tr("&Complete"))
        self.outcome = QPlainTextEdit()
        self.outcome.setTabChangesFocus(True)
        self.outcome.setPlaceholderText(self.tr("e.g. Spoke to the DS; the NRM referral went in on Monday"))
        self.outcome.setAccessibleName(self.tr("What happened"))
        self.outcome.setFixedHeight(self.fontMetrics().height() * 5)
        self.follow_on = QCheckBox(self.tr("&Open a new call in this case afterwards"))
        self.form.addRow(self.tr("&What happened:"), self.outcome)
        self.form.addRow("", self.follow_on)
        self.outcome.setFocus()

    def submit(self) -> None:
        text = self.outcome.toPlainText().strip()
        if not text:
            self.show_error(self.tr("Say what happened before completing it."))
            self.outcome.setFocus()
            return
        db, actor, now, record = self.panel.db, self.panel.actor, self.panel.clock(), self.record
        follow_on = self.follow_on.isChecked()

        def done(completed: FollowUpRecord) -> None:
            self.accept()
            self.panel._done(self.tr("%s: follow-up completed") % completed.call_reference)
            if follow_on:
                self.panel.follow_on_requested.emit(completed)

        self._run(
            lambda: followups.complete_follow_up(
                db, actor, record.id, expected_version=record.version, outcome=text, now=now
            ),
            done,
        )


class SnoozeDialog(_ItemDialog):
    """Put a follow-up off, for a while and with a reason (required)."""

    def __init__(self, panel: DuePanel, record: FollowUpRecord) -> None:
        super().__init__(panel, record, panel.tr("Snooze a follow-up"), panel.tr("&Snooze"))
        self.span = QComboBox()
        for delta, text in SNOOZE_CHOICES:
            self.span.addItem(self.tr(text), delta)
        self.span.setCurrentIndex(2)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("e.g. The DS is in court until the afternoon"))
        self.form.addRow(self.tr("&For:"), self.span)
        self.form.addRow(self.tr("&Reason:"), self.reason)
        self.reason.setFocus()

    def submit(self) -> None:
        reason = self.reason.text().strip()
        if not reason:
            self.show_error(self.tr("Give a reason for putting it off."))
            self.reason.setFocus()
            return
        db, actor, now, record = self.panel.db, self.panel.actor, self.panel.clock(), self.record
        until = now + self.span.currentData()

        def done(snoozed: FollowUpRecord) -> None:
            self.accept()
            self.panel._done(
                self.tr("%s: snoozed until %s") % (snoozed.call_reference, fmt.when(until, self.panel._zone))
            )

        self._run(
            lambda: followups.snooze_follow_up(
                db, actor, record.id, expected_version=record.version, until=until, reason=reason, now=now
            ),
            done,
        )


class DueNotifier(QObject):
    """Tells the person what fell due: a tray notification where there is a tray, else the
    window's notice (``notice``). While the screen is locked it names no call."""

    #: Emitted for each notification: (how: "tray" or "window", title, text).
    notified = Signal(str, str, str)

    def __init__(
        self,
        notice: QLabel,
        icon: QIcon,
        *,
        locked: Callable[[], bool],
        tray_available: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.notice, self._icon, self._locked = notice, icon, locked
        self.tray_available = tray_available
        self.tray: QSystemTrayIcon | None = None
        self._hide = QTimer(self)
        self._hide.setSingleShot(True)
        self._hide.setInterval(120_000)
        self._hide.timeout.connect(self.notice.hide)

    def message(self, fell: tuple[DueItem, ...], handed: tuple[HandoffRecord, ...]) -> tuple[str, str]:
        """The notification's title and text."""
        parts = []
        if fell:
            parts.append(f"{len(fell)} follow-up{'s' if len(fell) != 1 else ''} due")
        if handed:
            parts.append(f"{len(handed)} call{'s' if len(handed) != 1 else ''} handed to you")
        title = " and ".join(parts)
        if self._locked():
            return title, "Unlock Supportline to see them (F9: the Due panel)."
        lines = [
            f"{i.follow_up.call_reference}: {i.follow_up.kind.label}"
            + (" (overdue)" if i.state is DueState.OVERDUE else "")
            for i in fell[:5]
        ]
        lines += [f"{h.call_reference}: handed to you ({h.route.label})" for h in handed[:5]]
        return title, "\n".join(lines)

    def notify(self, fell: tuple[DueItem, ...], handed: tuple[HandoffRecord, ...]) -> None:
        title, text = self.message(fell, handed)
        if self.tray_available():
            if self.tray is None:
                self.tray = QSystemTrayIcon(self._icon, self)
                self.tray.setToolTip("Supportline")
            self.tray.show()
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 15_000)
            self.notified.emit("tray", title, text)
            return
        self.notice.setText(f"{title}: {text.replace(chr(10), '; ')}. F9 opens the Due panel.")
        self.notice.show()
        self._hide.start()
        self.notified.emit("window", title, text)
