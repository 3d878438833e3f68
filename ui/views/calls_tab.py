"""The "Calls" tab: filters over the list of every call, and the selected call beside it.

The list is the windowed model (a few pages held, whatever the size of the database); sorting is
the database's. Selecting a row opens the call in the detail pane (an audited consultation, on
the task runner, after a short pause so arrowing down the list does not open every call passed);
Enter or a double-click asks the window to open it for editing in a tab.
"""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMenu,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from supportline.db import Database
from supportline.enums import CallStatus, Urgency
from supportline.services import accounts, calls, history
from supportline.services.actor import Actor, signed_in
from supportline.services.call_types import CallQuery
from ui.models.call_list import CallListModel, Column
from ui.tasks import TaskRunner
from ui.views.call_detail import CallDetailPane
from ui.views.filter_bar import FilterBar

#: What each column must fit without eliding (longer names, organisations and summaries elide,
#: with the whole value in the tooltip and the detail pane).
COLUMN_SAMPLES = {
    Column.REFERENCE: "SL-2026-000000",
    Column.OPENED: "Wed 28 Nov 2026 00:00",
    Column.URGENCY: max((u.label for u in Urgency), key=len),
    Column.STATUS: max((s.label for s in CallStatus), key=len),
    Column.CALLER: "DS Morwenna Tregarthen",
    Column.AGENCY: "Children's services",
    Column.FORCE_AREA: "Devon and Cornwall Police",
    Column.ROUTES: "Victim, Immigration",
    Column.SUMMARY: "Workers living on site",  # then it takes what room is left
    Column.HANDLER: "Morwenna Tregarthen",
}
#: Hidden until someone asks for them through the header's menu; the detail pane shows them all.
HIDDEN_AT_FIRST = (Column.AGENCY, Column.FORCE_AREA, Column.ROUTES, Column.HANDLER)
DETAIL_DELAY_MS = 150


class CallTable(QTableView):
    """The list's view: rows, no grid, one selected at a time."""

    def __init__(self, model: CallListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setAccessibleName(self.tr("Calls"))
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 12)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.default_columns()
        header.setSortIndicator(Column.OPENED, Qt.SortOrder.DescendingOrder)

    def default_columns(self) -> None:
        metrics = self.fontMetrics()
        header = self.horizontalHeader()
        for column in Column:
            header.moveSection(header.visualIndex(column), column)
            self.setColumnWidth(column, metrics.horizontalAdvance(COLUMN_SAMPLES[column]) + 24)
            self.setColumnHidden(column, column in HIDDEN_AT_FIRST)


class CallsTab(QWidget):
    #: Enter or double-click on a row: open this call for editing.
    open_requested = Signal(object)
    #: The selected call's record and history are on show in the detail pane.
    detail_shown = Signal(object)

    def __init__(
        self,
        db: Database,
        actor: Actor | None,
        tasks: TaskRunner,
        *,
        model: CallListModel,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._tasks = tasks
        self._detail_request = 0
        self._shown_call: uuid.UUID | None = None
        self._incomplete = False  # the shared database is unreachable (ui/outage.py)
        self.model = model

        self.filters = FilterBar(db.zone, (actor.user_id, actor.display_name) if actor else None)
        self.table = CallTable(model)
        # Tab leaves the list (the arrow keys move in it): with tab-key navigation Tab walked
        # cell by cell through every call, and never reached the detail pane (issue 11).
        self.table.setTabKeyNavigation(False)
        self.detail = CallDetailPane(db.zone)
        self.count_label = QLabel(self.tr("Calls"))
        self.count_label.setObjectName("muted")

        list_side = QWidget()
        list_layout = QVBoxLayout(list_side)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.setSpacing(6)
        list_layout.addWidget(self.count_label)
        self.list_pages = QStackedWidget()
        self.list_pages.addWidget(self.table)
        self.empty_state = self._make_empty_state()
        self.list_pages.addWidget(self.empty_state)
        list_layout.addWidget(self.list_pages)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(list_side)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([920, 430])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 4)
        layout.setSpacing(8)
        layout.addWidget(self.filters)
        layout.addWidget(self.splitter, 1)

        self._detail_timer = QTimer(self)
        self._detail_timer.setSingleShot(True)
        self._detail_timer.setInterval(DETAIL_DELAY_MS)
        self._detail_timer.timeout.connect(self._show_selected)

        self.filters.changed.connect(self._filters_changed)
        model.loaded.connect(self._loaded)
        model.load_failed.connect(self._load_failed)
        model.modelReset.connect(self.table.clearSelection)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.activated.connect(self._activated)
        header = self.table.horizontalHeader()
        header.customContextMenuRequested.connect(self._column_menu)
        header.sortIndicatorChanged.connect(self._sort_indicator_changed)

    def _make_empty_state(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(2)
        self.empty_title = QLabel(self.tr("No calls yet"))
        self.empty_title.setObjectName("emptyTitle")
        self.empty_text = QLabel(self.tr("Calls recorded on this line will be listed here."))
        self.empty_text.setObjectName("emptyText")
        self.empty_text.setWordWrap(True)
        for label in (self.empty_title, self.empty_text):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addWidget(label)
        layout.addStretch(3)
        return page

    # --- starting ---------------------------------------------------------------------------

    def start(self) -> None:
        """Sorting on (the header's indicator, perhaps restored, sets the query), then load."""
        header = self.table.horizontalHeader()
        column = header.sortIndicatorSection()
        if not (0 <= column < len(Column)) or Column(column).sort_key is None:
            header.setSortIndicator(Column.OPENED, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)  # calls model.sort() with the indicator
        self.model.set_filters(self.filters.query())
        self.load_handlers()

    @property
    def actor(self) -> Actor:
        """Who is signed in (a tab built before the sign-in has nobody, and loads nothing)."""
        return signed_in(self._actor, "the Calls tab")

    def set_actor(self, actor: Actor) -> None:
        self._actor = actor
        self.model.set_actor(actor)
        self.filters.set_me((actor.user_id, actor.display_name))

    def load_handlers(self) -> None:
        """Everyone who may appear as a handler (any reader of calls may list them)."""
        db, actor = self._db, self.actor
        self._tasks.run(
            lambda: [(h.id, h.display_name) for h in accounts.list_handlers(db, actor)],
            on_success=self.filters.set_handlers,
            on_failure=lambda _exc: None,
            owner=self,
        )

    # --- behaviour --------------------------------------------------------------------------

    def refresh(self) -> None:
        self.model.refresh()

    def focus_search(self) -> None:
        self.filters.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filters.search.selectAll()

    def show_query(self, query: CallQuery) -> None:
        """List the calls ``query``'s filters match (the filter bar shows them; the list follows)."""
        self.filters.set_query(query)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def selected_call(self) -> uuid.UUID | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.call_id(rows[0].row()) if rows else None

    def restyle(self) -> None:
        self.detail.restyle()
        self.model.restyle()

    def _filters_changed(self) -> None:
        self.model.set_filters(self.filters.query())

    def set_incomplete(self, incomplete: bool) -> None:
        """While the shared database is unreachable the list on show, and any search, may miss
        calls (saved elsewhere meanwhile, or kept on this computer until they are sent): say so."""
        if incomplete != self._incomplete:
            self._incomplete = incomplete
            self._show_count()

    def _count_text(self) -> str:
        total = self.model.total
        if self.filters.is_filtered():
            return self.tr("%s matching calls") % f"{total:,}" if total != 1 else self.tr("1 matching call")
        return self.tr("Calls · %s in total") % f"{total:,}"

    def _show_count(self, problem: str = "") -> None:
        failed = bool(self.model.error) and not self.model.rowCount()  # no count to show
        text = self.tr("Calls") if failed else self._count_text()
        if problem:
            text += " — " + self.tr("may be incomplete: %s") % problem.rstrip(".")
        elif self._incomplete:
            text += " — " + self.tr("may be incomplete: the shared database cannot be reached")
        self.count_label.setText(text)

    def _loaded(self) -> None:
        self._show_count()
        empty = self.model.is_empty
        filtered = self.filters.is_filtered()
        self.list_pages.setCurrentWidget(self.empty_state if empty else self.table)
        if empty and filtered:
            self.empty_title.setText(self.tr("No calls match"))
            self.empty_text.setText(
                self.tr("Change the search or the filters, or clear them (Esc in the search box).")
            )
        elif empty:
            self.empty_title.setText(self.tr("No calls yet"))
            self.empty_text.setText(
                self.tr("Calls recorded on this line will be listed here. Ctrl+N starts one.")
            )
        if self._shown_call is not None:
            row = self.model.row_of(self._shown_call)
            if row is not None:
                self.table.selectRow(row)

    def _load_failed(self, message: str) -> None:
        if self.model.rowCount():
            self._show_count(message)  # a page failed; the list on show stays, and says so
            return
        self._show_count()
        self.empty_title.setText(self.tr("The calls could not be loaded"))
        self.empty_text.setText(message + "\n\n" + self.tr("Press F5 to try again."))
        self.list_pages.setCurrentWidget(self.empty_state)

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        if self.table.selectionModel().selectedRows():
            self._detail_timer.start()

    def _show_selected(self) -> None:
        call_id = self.selected_call()
        if call_id is None or (call_id == self._shown_call and self.detail.record is not None):
            return
        self.show_call(call_id)

    def show_call(self, call_id: uuid.UUID) -> None:
        """Open ``call_id`` in the detail pane (record and history)."""
        self._detail_request += 1
        request = self._detail_request
        self._shown_call = call_id
        self.detail.show_placeholder(self.tr("Opening the call…"))
        db, actor = self._db, self.actor

        def load() -> tuple[Any, Any]:
            return calls.get_call(db, actor, call_id), history.call_history(db, actor, call_id)

        self._tasks.run(
            load,
            on_success=lambda result: self._call_arrived(request, *result),
            on_failure=lambda exc: self._call_failed(request, exc),
            owner=self,
        )

    def _call_arrived(self, request: int, record: Any, entries: Any) -> None:
        if request == self._detail_request:
            self.detail.show_record(record, entries)
            self.detail_shown.emit(record)

    def _call_failed(self, request: int, exc: BaseException) -> None:
        if request == self._detail_request:
            self.detail.show_placeholder(self.tr("This call could not be opened: %s") % exc)

    def _activated(self, index: QModelIndex) -> None:
        call_id = self.model.call_id(index.row())
        if call_id is not None:
            self.open_requested.emit(call_id)

    def _sort_indicator_changed(self, column: int, _order: Qt.SortOrder) -> None:
        """A click on a column that cannot be sorted puts the indicator back where the sort is."""
        if 0 <= column < len(Column) and Column(column).sort_key is None:
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            header.setSortIndicator(self.model.sort_column(), self.model.sort_order())
            header.blockSignals(False)

    def _column_menu(self, position: QPoint) -> None:
        self.column_menu().exec(self.table.horizontalHeader().mapToGlobal(position))

    def column_menu(self, parent: QWidget | None = None) -> QMenu:
        menu = QMenu(self.tr("&Columns"), parent or self)
        for column in Column:
            action = menu.addAction(column.title)
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(column))
            action.toggled.connect(lambda shown, c=column: self.table.setColumnHidden(c, not shown))
        return menu
