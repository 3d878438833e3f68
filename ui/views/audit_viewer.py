"""The audit viewer (View ▸ Audit trail): who did what to which record, and when.

For supervisors and admins (``Permission.AUDIT_READ``). Filters by user, action (exact, or a
prefix ending in ``*``), record id, local days and outcome; newest first, a page at a time.
A call's event opens the call in the main window (:attr:`AuditViewer.record_requested`). The
events the filters select can be exported as CSV, which is audited as a disclosure; reading the
trail is audited too (by the services).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from supportline.db import Database
from supportline.services import audit
from supportline.services.actor import Actor, Permission, require
from supportline.services.audit import AuditFilter, AuditRecord
from ui import formatting as fmt
from ui.tasks import TaskRunner
from ui.views.filter_bar import DateEdit, local_days_to_utc

PAGE = 200
ModelIndex = QModelIndex | QPersistentModelIndex


class AuditModel(QAbstractTableModel):
    """The events on show, newest first."""

    HEADERS = ("Time", "User", "Workstation", "Action", "Outcome", "Record", "Record id", "Details")

    def __init__(self, zone: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._zone = zone
        self.events: list[AuditRecord] = []

    def rowCount(self, parent: ModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.events)

    def columnCount(self, parent: ModelIndex | None = None) -> int:
        return 0 if parent is not None and parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.tr(self.HEADERS[section])
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        event = self.events[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(event, index.column())
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 0:
            return fmt.when_with_zone(event.at, self._zone)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 7:
            return json.dumps(event.details, ensure_ascii=False, indent=1, sort_keys=True, default=str)
        return None

    def _cell(self, event: AuditRecord, column: int) -> str:
        match column:
            case 0:
                return event.at.astimezone(self._zone).strftime("%d %b %Y %H:%M:%S")
            case 1:
                return event.actor_name
            case 2:
                return event.workstation
            case 3:
                return event.action
            case 4:
                return event.outcome
            case 5:
                return event.record_type
            case 6:
                return event.record_id
            case _:
                text = json.dumps(event.details, ensure_ascii=False, sort_keys=True, default=str)
                return text if len(text) <= 120 else text[:119] + "…"

    def set_events(self, events: Sequence[AuditRecord], *, append: bool = False) -> None:
        self.beginResetModel()
        self.events = [*self.events, *events] if append else list(events)
        self.endResetModel()


class DayEdit(DateEdit):
    """The filter bar's day box, which Tab also leaves while it shows "Any" (the filter bar's
    own keeps Tab inside: with no date there are no sections to step through)."""

    def focusNextPrevChild(self, next: bool) -> bool:
        if self.value() is None:
            return QWidget.focusNextPrevChild(self, next)
        return super().focusNextPrevChild(next)


def choose_export_path(parent: QWidget) -> Path | None:
    """Ask where to write the CSV file (tests replace it)."""
    name, _ = QFileDialog.getSaveFileName(
        parent, parent.tr("Export audit events"), "audit-events.csv", parent.tr("CSV files (*.csv)")
    )
    return Path(name) if name else None


class AuditViewer(QWidget):
    """A window of its own. ``model.events`` holds what is on show."""

    #: F1 opens this help page (``resources/help/audit-viewer.md``; ``views/help_window``).
    help_topic = "audit-viewer"

    #: The events for the filters are on show.
    loaded = Signal()
    #: Reading or exporting failed (the message is on show).
    failed = Signal(str)
    #: Open this call (its id) in the main window.
    record_requested = Signal(object)
    #: An export was written: how many events.
    exported = Signal(int)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        tasks: TaskRunner,
        *,
        choose_path: Callable[[QWidget], Path | None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        require(actor, Permission.AUDIT_READ)
        self._db, self._actor, self._tasks = db, actor, tasks
        self._choose_path = choose_path or choose_export_path
        self._request = 0
        self._has_more = False
        self.setWindowTitle(self.tr("Audit trail – Supportline"))
        self.resize(1240, 680)
        self._build()
        self.refresh()

    def _build(self) -> None:
        heading = QLabel(self.tr("Audit trail"))
        heading.setObjectName("heading")
        intro = QLabel(
            self.tr(
                "Every action on the records, newest first. Reading and exporting the trail are "
                "recorded in it too."
            )
        )
        intro.setObjectName("subheading")
        intro.setWordWrap(True)

        self.user_edit = QLineEdit()
        self.user_edit.setPlaceholderText(self.tr("any user"))
        self.action_edit = QLineEdit()
        self.action_edit.setPlaceholderText(self.tr("e.g. call.view, or call.*"))
        self.record_edit = QLineEdit()
        self.record_edit.setPlaceholderText(self.tr("any record id"))
        self.date_from = DayEdit(self.tr("Any"))
        self.date_to = DayEdit(self.tr("Any"))
        self.outcome = QComboBox()
        self.outcome.addItem(self.tr("Any"), None)
        self.outcome.addItem(self.tr("Allowed"), "allowed")
        self.outcome.addItem(self.tr("Refused"), "refused")
        self.apply_button = QPushButton(self.tr("A&pply"))
        self.apply_button.setObjectName("primary")
        self.apply_button.clicked.connect(self.refresh)
        for edit in (self.user_edit, self.action_edit, self.record_edit):
            edit.returnPressed.connect(self.refresh)

        grid = QGridLayout()
        fields: list[tuple[str, QWidget, str]] = [
            (self.tr("&User"), self.user_edit, self.tr("User")),
            (self.tr("&Action"), self.action_edit, self.tr("Action")),
            (self.tr("&Record"), self.record_edit, self.tr("Record id")),
            (self.tr("&From"), self.date_from, self.tr("From day")),
            (self.tr("&To"), self.date_to, self.tr("To day")),
            (self.tr("Out&come"), self.outcome, self.tr("Outcome")),
        ]
        for column, (text, widget, name) in enumerate(fields):
            label = QLabel(text)
            label.setBuddy(widget)  # the mnemonic moves focus, never changes a value
            widget.setAccessibleName(name)
            grid.addWidget(label, 0, column)
            grid.addWidget(widget, 1, column)
        grid.addWidget(self.apply_button, 1, len(fields))

        self.model = AuditModel(self._db.zone, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Audit events"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)  # ids and times break at hyphens and spaces otherwise
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((165, 130, 110, 130, 80, 95, 290)):
            self.table.setColumnWidth(column, width)
        self.table.doubleClicked.connect(lambda _index: self.open_record())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

        self.status = QLabel()
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.open_button = QPushButton(self.tr("&Open call"))
        self.open_button.clicked.connect(self.open_record)
        self.more_button = QPushButton(self.tr("Load &more"))
        self.more_button.clicked.connect(self.load_more)
        self.export_button = QPushButton(self.tr("&Export CSV…"))
        self.export_button.clicked.connect(self.export)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        for button in (self.open_button, self.more_button, self.export_button, self.close_button):
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addLayout(grid)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    # --- filters and loading --------------------------------------------------------------------

    def filters(self) -> AuditFilter:
        since, until = local_days_to_utc(self.date_from.value(), self.date_to.value(), self._db.zone)
        return AuditFilter(
            user=self.user_edit.text().strip() or None,
            action=self.action_edit.text().strip() or None,
            record_id=self.record_edit.text().strip() or None,
            since=since,
            until=until,
            outcome=self.outcome.currentData(),
        )

    def _valid_filters(self) -> AuditFilter | None:
        first, last = self.date_from.value(), self.date_to.value()
        if first is not None and last is not None and last < first:
            self._show_problem(self.tr("The “To” day is before the “From” day."))
            return None
        return self.filters()

    def refresh(self) -> None:
        filters = self._valid_filters()
        if filters is not None:
            self._load(filters, before_id=None)

    def load_more(self) -> None:
        filters = self._valid_filters()
        if filters is not None and self.model.events:
            self._load(filters, before_id=self.model.events[-1].id)

    def _load(self, filters: AuditFilter, before_id: int | None) -> None:
        self._request += 1
        request = self._request
        db, actor = self._db, self._actor
        self.status.setText(self.tr("Loading…"))

        def arrived(events: list[AuditRecord]) -> None:
            if request != self._request:
                return  # a newer filter was applied meanwhile
            self._has_more = len(events) == PAGE
            self.model.set_events(events, append=before_id is not None)
            shown = self.model.rowCount()
            more = self.tr(" – more are older: Load more") if self._has_more else ""
            self.status.setText(self.tr("%n event(s) shown", "", shown) + more)
            self._update_buttons()
            self.loaded.emit()

        self._tasks.run(
            lambda: audit.list_events(db, actor, filters, limit=PAGE, before_id=before_id),
            on_success=arrived,
            on_failure=lambda exc: self._failed(request, exc),
            owner=self,
        )

    def _failed(self, request: int, exc: BaseException) -> None:
        if request == self._request:
            self._show_problem(self.tr("The audit trail could not be read: %s") % exc)

    def _show_problem(self, message: str) -> None:
        self.status.setText(message)
        self.failed.emit(message)

    # --- the selected event ----------------------------------------------------------------------

    def selected_event(self) -> AuditRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.events[rows[0].row()] if rows else None

    def _call_id(self, event: AuditRecord | None) -> uuid.UUID | None:
        if event is None or event.record_type != "call":
            return None
        try:
            return uuid.UUID(event.record_id)
        except ValueError:
            return None

    def _update_buttons(self) -> None:
        self.open_button.setEnabled(self._call_id(self.selected_event()) is not None)
        self.more_button.setEnabled(self._has_more)
        self.export_button.setEnabled(bool(self.model.events))

    def open_record(self) -> None:
        call_id = self._call_id(self.selected_event())
        if call_id is not None:
            self.record_requested.emit(call_id)

    # --- export ------------------------------------------------------------------------------------

    def export(self) -> None:
        filters = self._valid_filters()
        if filters is None:
            return
        path = self._choose_path(self)
        if path is None:
            return
        db, actor = self._db, self._actor
        self.status.setText(self.tr("Exporting…"))

        def done(rows: int) -> None:
            self.status.setText(self.tr("%n event(s) exported to", "", rows) + f" {path}")
            self.exported.emit(rows)

        self._tasks.run(
            lambda: audit.export_csv(db, actor, filters, path),
            on_success=done,
            on_failure=lambda exc: self._show_problem(self.tr("The export failed: %s") % exc),
            owner=self,
        )
