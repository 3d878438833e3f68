"""Shift handover (Ctrl+Shift+H): the outgoing supervisor starts it (the app fills in what the
database holds: calls still open, follow-ups overdue and due next shift, the shift's crisis and
urgent calls, calls handed to advisers and not taken, routes without a duty adviser, the shift's
figures), adds a note per item and an overall note, and saves; the incoming supervisor reads it
and acknowledges it with their own user name and password (never the author: the service refuses
it, and the refusal is said here in words). An acknowledged handover is read-only.

On the left, the history (``handover.search_handovers``: newest shift first, searched in notes
and items); on the right, the handover on show. Print writes its PDF (with the protective
marking) where the person chooses. Every service call runs on the task runner.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from supportline.db import Database
from supportline.services import handover, local_time
from supportline.services.actor import Actor, Permission
from supportline.services.errors import AuthenticationError
from supportline.services.handover import HandoverItem, HandoverRecord, HandoverSummary, Section
from ui import style
from ui.tasks import TaskRunner
from ui.views.rota_grid import error_words

#: The columns of the items table.
COLUMNS = ("Reference", "When", "What the app found", "Note")
NOTE = 3


def _now() -> datetime:
    return datetime.now(UTC)


class AcknowledgeDialog(QDialog):
    """The incoming supervisor signs: their own user name and password."""

    def __init__(
        self, record: HandoverRecord, username: str, zone_words: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Acknowledge the handover")
        intro = QLabel(
            f"The handover of the shift {zone_words}, written by {record.author_name}. "
            "The incoming supervisor signs it with their own user name and password; "
            "once acknowledged it cannot be changed."
        )
        intro.setWordWrap(True)
        self.username = QLineEdit(username)
        self.username.setAccessibleName("User name")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        form = QFormLayout()
        form.addRow("&User name:", self.username)
        form.addRow("&Password:", self.password)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Acknowledge")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 70)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.activateWindow()
        (self.password if self.username.text() else self.username).setFocus()


class HandoverWindow(QDialog):
    """The handover on show and the history (see the module docstring)."""

    #: The history was (re)read.
    history_loaded = Signal()
    #: A handover is on show (started, opened, saved, refreshed or acknowledged).
    shown = Signal(object)
    #: An action finished: the words shown (refusals too).
    said = Signal(str)
    #: Enter (or a double click) on an item: open its call (the call's id).
    call_requested = Signal(object)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        tasks: TaskRunner,
        *,
        marking: str,
        changes: Sequence[time] = handover.DEFAULT_SHIFT_CHANGES,
        clock: Callable[[], datetime] = _now,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db, self.actor, self._tasks = db, actor, tasks
        self.zone = db.zone
        self._marking, self._changes, self._clock = marking, tuple(changes), clock
        self.record: HandoverRecord | None = None
        self.history: tuple[HandoverSummary, ...] = ()
        self._rows: list[HandoverItem | None] = []  # the table's rows: an item, or a heading/"none"
        self._filling = False
        self._dirty = False
        self._history_asked = 0
        self.ack_dialog: AcknowledgeDialog | None = None
        self.setWindowTitle("Shift handover")
        self.resize(1300, 720)

        # --- the history ---
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search notes, references and items")
        self.search.setClearButtonEnabled(True)
        search_label = QLabel("Searc&h the history:")
        search_label.setBuddy(self.search)
        self.list = QListWidget()
        self.list.setAccessibleName("Handover history")
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setSpacing(2)
        self.start_button = QPushButton("&Start this shift's handover")
        self.start_button.setVisible(actor.can(Permission.HANDOVER_WRITE))
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.start_button)
        left_layout.addWidget(search_label)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.list, 1)

        # --- the handover on show ---
        self.heading = QLabel("No handover on show: start this shift's, or choose one from the history.")
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.heading.setFont(font)
        self.heading.setWordWrap(True)
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.state.setObjectName("handoverState")
        self.figures = QLabel()
        self.figures.setWordWrap(True)
        self.figures.setObjectName("muted")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setAccessibleName("Handover items")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        self.table.setTabKeyNavigation(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        items_label = QLabel("&Items (Enter opens the call; F2 or typing writes the note):")
        items_label.setBuddy(self.table)
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setAccessibleName("Overall note")
        self.notes.setPlaceholderText("What the next shift must know, beyond the items")
        self.notes.setMaximumHeight(self.fontMetrics().height() * 5)
        notes_label = QLabel("&Overall note:")
        notes_label.setBuddy(self.notes)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Handover messages")
        self.save_button = QPushButton("Sa&ve notes")
        self.refresh_button = QPushButton("&Refresh items")
        self.refresh_button.setToolTip("Read what the database holds again; every note is kept")
        self.ack_button = QPushButton("&Acknowledge…")
        self.print_button = QPushButton("&Print to PDF…")
        close = QPushButton("Close")
        buttons = QHBoxLayout()
        for b in (self.save_button, self.refresh_button, self.ack_button, self.print_button):
            buttons.addWidget(b)
            b.setAutoDefault(False)
        buttons.addStretch(1)
        buttons.addWidget(close)
        close.setAutoDefault(False)
        self.start_button.setAutoDefault(False)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.heading)
        right_layout.addWidget(self.state)
        right_layout.addWidget(self.figures)
        right_layout.addWidget(items_label)
        right_layout.addWidget(self.table, 1)
        right_layout.addWidget(notes_label)
        right_layout.addWidget(self.notes)
        right_layout.addWidget(self.message)
        right_layout.addLayout(buttons)

        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([330, 970])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        self.start_button.clicked.connect(self.start)
        self.search.returnPressed.connect(self.load_history)
        self.list.itemActivated.connect(self._history_chosen)
        self.save_button.clicked.connect(self.save)
        self.refresh_button.clicked.connect(self.refresh_items)
        self.ack_button.clicked.connect(self.ask_acknowledge)
        self.print_button.clicked.connect(self.print_pdf)
        close.clicked.connect(self.reject)
        self.notes.textChanged.connect(self._edited)
        self.table.cellActivated.connect(self._item_activated)
        self.table.itemChanged.connect(lambda _item: self._edited())
        self._show(None)
        self.load_history()

    def hideEvent(self, event: QHideEvent) -> None:
        # Closed by the screen lock too: a half-typed password does not wait behind it.
        if self.ack_dialog is not None and self.ack_dialog.isVisible():
            self.ack_dialog.password.clear()
            self.ack_dialog.reject()
        super().hideEvent(event)

    # --- words ----------------------------------------------------------------------------------

    def _when(self, value: datetime) -> str:
        local = value.astimezone(self.zone)
        return f"{local:%a %d %b} {local_time.clock(value, self.zone)}"

    def shift_words(self, start: datetime, end: datetime) -> str:
        return f"{self._when(start)} to {self._when(end)}"

    def say(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {style.current().error};" if error else "")
        self.message.setText(text)
        self.said.emit(text)

    # --- the history ----------------------------------------------------------------------------

    def load_history(self) -> None:
        db, actor, text = self.db, self.actor, self.search.text()
        self._history_asked += 1
        asked = self._history_asked
        self._tasks.run(
            lambda: handover.search_handovers(db, actor, text=text, limit=200),
            # Only the latest search is shown (an earlier one finishing later would hide it).
            on_success=lambda found: self._history_arrived(found) if asked == self._history_asked else None,
            on_failure=lambda exc: self.say(f"The history could not be read: {error_words(exc)}", error=True),
            owner=self,
        )

    def _history_arrived(self, found: tuple[HandoverSummary, ...]) -> None:
        self.history = tuple(found)
        self.list.clear()
        for h in self.history:
            if h.acknowledged_at is not None:
                state = f"acknowledged by {h.acknowledged_by_name}, {self._when(h.acknowledged_at)}"
            else:
                state = "not acknowledged yet"
            item = QListWidgetItem(
                f"{self.shift_words(h.shift_start, h.shift_end)}\n"
                f"by {h.author_name} · {h.items} item(s) · {state}"
            )
            item.setData(Qt.ItemDataRole.UserRole, str(h.id))
            self.list.addItem(item)
        if not self.history:
            empty = QListWidgetItem("No handovers found" if self.search.text() else "No handovers yet")
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(empty)
        self.history_loaded.emit()

    def _history_chosen(self, item: QListWidgetItem) -> None:
        value = item.data(Qt.ItemDataRole.UserRole)
        if value:
            self.open_handover(uuid.UUID(value))

    def open_handover(self, handover_id: uuid.UUID) -> None:
        if not self._may_leave():
            return
        db, actor = self.db, self.actor
        self._tasks.run(
            lambda: handover.get_handover(db, actor, handover_id),
            on_success=self._show,
            on_failure=lambda exc: self.say(
                f"The handover could not be opened: {error_words(exc)}", error=True
            ),
            owner=self,
        )

    def _may_leave(self) -> bool:
        if self._dirty:
            self.say("Save the notes first (Alt+V): they are not saved yet.", error=True)
            return False
        return True

    # --- the handover on show -------------------------------------------------------------------

    def start(self) -> None:
        """The outgoing supervisor: this shift's handover (started now, or the one started already)."""
        if not self._may_leave():
            return
        db, actor, now, changes = self.db, self.actor, self._clock(), self._changes
        self.say("Reading what the shift hands over…")
        self._tasks.run(
            lambda: handover.start_handover(db, actor, now=now, changes=changes),
            on_success=lambda record: self._done(record, "This shift's handover: add your notes, then save."),
            on_failure=lambda exc: self.say(
                f"The handover could not be started: {error_words(exc)}", error=True
            ),
            owner=self,
        )

    def _done(self, record: HandoverRecord, text: str) -> None:
        self._show(record)
        self.say(text)
        self.load_history()

    @property
    def editable(self) -> bool:
        r = self.record
        return r is not None and not r.acknowledged and r.author_id == self.actor.user_id

    def _show(self, record: HandoverRecord | None) -> None:
        self.record = record
        self._filling = True
        try:
            self._fill(record)
        finally:
            self._filling = False
        self._dirty = False
        self._update_buttons()
        if record is not None:
            self.shown.emit(record)

    def _fill(self, record: HandoverRecord | None) -> None:
        self.table.setRowCount(0)
        self._rows = []
        if record is None:
            self.heading.setText("No handover on show: start this shift's, or choose one from the history.")
            self.state.clear()
            self.figures.clear()
            self.notes.setPlainText("")
            return
        self.heading.setText(
            f"Handover of the shift {self.shift_words(record.shift_start, record.shift_end)}"
        )
        t = style.current()
        if record.acknowledged_at is not None:
            self.state.setText(
                f"Written by {record.author_name}. Acknowledged by {record.acknowledged_by_name} at "
                f"{self._when(record.acknowledged_at)}: read-only, kept as it was signed."
            )
            self.state.setStyleSheet(f"color: {t.muted};")
        else:
            self.state.setText(
                f"Written by {record.author_name}; items read at {self._when(record.prefilled_at)}. "
                "Not acknowledged yet: the incoming supervisor signs it with their own password."
            )
            self.state.setStyleSheet(f"color: {t.warning}; font-weight: 600;")
        f = record.figures
        urgency = ", ".join(f"{u.label} {n}" for u, n in f.by_urgency if n)
        routes = ", ".join(f"{r.label} {n}" for r, n in f.by_route if n)
        self.figures.setText(
            f"The shift's figures: {f.calls} call(s), {f.cases} case(s), {f.potential_victims} potential "
            f"victim(s), {f.nrm_referrals} NRM referral(s), {f.dtn_reports} duty-to-notify"
            + (f" · by urgency: {urgency}" if urgency else "")
            + (f" · by route: {routes}" if routes else "")
        )
        self.notes.setPlainText(record.notes)
        self.notes.setReadOnly(not self.editable)
        bold = self.table.font()
        bold.setBold(True)
        for section in Section:
            items = record.section(section)
            self._add_row(None, [f"{section.heading} ({len(items)})", "", "", ""], font=bold)
            if not items:
                self._add_row(None, ["", "", "None.", ""])
            for item in items:
                text = item.text if item.current else f"{item.text} (no longer current)"
                self._add_row(item, [item.reference, self._when(item.at) if item.at else "", text, item.note])
        self.table.resizeRowsToContents()

    def _add_row(self, item: HandoverItem | None, cells: list[str], *, font: object = None) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self._rows.append(item)
        for column, text in enumerate(cells):
            cell = QTableWidgetItem(text)
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if item is not None and column == NOTE and self.editable:
                flags |= Qt.ItemFlag.ItemIsEditable
            cell.setFlags(flags)
            if font is not None:
                cell.setFont(font)  # type: ignore[arg-type]
            self.table.setItem(row, column, cell)
        if item is None and cells[0]:
            self.table.setSpan(row, 0, 1, len(COLUMNS))

    def _item_activated(self, row: int, _column: int) -> None:
        item = self._rows[row] if 0 <= row < len(self._rows) else None
        if item is not None and item.call_id is not None:
            self.call_requested.emit(item.call_id)

    def item_rows(self) -> dict[str, int]:
        """Each item's key and its row in the table."""
        return {item.key: row for row, item in enumerate(self._rows) if item is not None}

    def _edited(self) -> None:
        if self._filling or not self.editable:
            return
        self._dirty = True
        self._update_buttons()

    def _update_buttons(self) -> None:
        r = self.record
        writer = self.actor.can(Permission.HANDOVER_WRITE)
        self.save_button.setEnabled(self.editable and self._dirty)
        self.refresh_button.setEnabled(self.editable)
        self.ack_button.setEnabled(r is not None and not r.acknowledged and writer)
        self.print_button.setEnabled(r is not None)

    def note_values(self) -> dict[str, str]:
        out = {}
        for key, row in self.item_rows().items():
            cell = self.table.item(row, NOTE)
            out[key] = cell.text() if cell is not None else ""
        return out

    def save(self) -> None:
        r = self.record
        if r is None or not self.editable:
            return
        db, actor, notes, items = self.db, self.actor, self.notes.toPlainText(), self.note_values()
        version, now = r.version, self._clock()
        self._tasks.run(
            lambda: handover.update_notes(
                db, actor, r.id, expected_version=version, notes=notes, item_notes=items, now=now
            ),
            on_success=lambda record: self._done(record, "Notes saved."),
            on_failure=lambda exc: self.say(f"Not saved: {error_words(exc)}", error=True),
            owner=self,
        )

    def refresh_items(self) -> None:
        """Save the notes typed, then read the items again (every note is kept)."""
        r = self.record
        if r is None or not self.editable:
            return
        db, actor, notes, items = self.db, self.actor, self.notes.toPlainText(), self.note_values()
        dirty, now, changes = self._dirty, self._clock(), self._changes

        def work() -> HandoverRecord:
            record = r
            if dirty:
                record = handover.update_notes(
                    db, actor, r.id, expected_version=r.version, notes=notes, item_notes=items, now=now
                )
            return handover.refresh_handover(
                db, actor, record.id, expected_version=record.version, now=now, changes=changes
            )

        self._tasks.run(
            work,
            on_success=lambda record: self._done(record, "Items read again; every note is kept."),
            on_failure=lambda exc: self.say(f"Not refreshed: {error_words(exc)}", error=True),
            owner=self,
        )

    # --- acknowledging --------------------------------------------------------------------------

    def ask_acknowledge(self) -> AcknowledgeDialog | None:
        r = self.record
        if r is None or r.acknowledged:
            return None
        if self._dirty:
            self.say("Save the notes first (Alt+V): the incoming supervisor signs what is saved.", error=True)
            return None
        # At the incoming supervisor's own desk their name is there already; at the author's, empty.
        name = "" if r.author_id == self.actor.user_id else self.actor.username
        dialog = AcknowledgeDialog(r, name, self.shift_words(r.shift_start, r.shift_end), parent=self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.accepted.connect(lambda: self._acknowledge(dialog.username.text(), dialog.password.text()))
        dialog.finished.connect(lambda _r: self._back())
        self.ack_dialog = dialog
        dialog.open()
        return dialog

    def _back(self) -> None:
        self.activateWindow()
        (self.ack_button if self.ack_button.isEnabled() else self.table).setFocus()

    def _acknowledge(self, username: str, password: str) -> None:
        r = self.record
        if r is None:
            return
        db, actor, now = self.db, self.actor, self._clock()
        self._tasks.run(
            lambda: handover.acknowledge(
                db,
                actor,
                r.id,
                password,
                expected_version=r.version,
                username=username.strip() or None,
                now=now,
            ),
            on_success=lambda record: self._done(
                record, f"Acknowledged by {record.acknowledged_by_name}: the handover is now read-only."
            ),
            on_failure=self._refused,
            owner=self,
        )

    def _refused(self, exc: BaseException) -> None:
        if isinstance(exc, AuthenticationError):
            self.say(f"Not acknowledged: {exc}", error=True)
        else:
            self.say(f"Not acknowledged: {error_words(exc)}", error=True)

    # --- printing -------------------------------------------------------------------------------

    def ask_pdf_path(self, suggested: str) -> Path | None:
        """Where to write the PDF (tests replace this)."""
        name, _filter = QFileDialog.getSaveFileName(
            self, "Print the handover to PDF", suggested, "PDF (*.pdf)"
        )
        return Path(name) if name else None

    def print_pdf(self) -> None:
        r = self.record
        if r is None:
            return
        local = r.shift_start.astimezone(self.zone)
        path = self.ask_pdf_path(f"handover-{local:%Y-%m-%d-%H%M}.pdf")
        if path is None:
            return
        if path.suffix.lower() != ".pdf":
            path = path.with_suffix(".pdf")
        db, actor, marking, now = self.db, self.actor, self._marking, self._clock()
        self._tasks.run(
            lambda: handover.print_handover(db, actor, r.id, path, marking=marking, now=now),
            on_success=lambda _digest: self.say(f"Written to {path} (recorded in the audit log)."),
            on_failure=lambda exc: self.say(f"Not printed: {error_words(exc)}", error=True),
            owner=self,
        )
