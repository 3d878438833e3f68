"""The first main window: the calls of the database, and one call read in full.

Read-only for now. Everything that touches the database goes through the task runner: the list
model fetches its pages there, and opening a call (an audited consultation) runs there too, so
the window stays responsive on a slow shared database.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

import supportline
from supportline.bootstrap import Environment
from supportline.db import Database
from supportline.enums import CallStatus, Urgency
from supportline.services import calls
from supportline.services.actor import Actor
from supportline.services.call_types import CallRecord
from ui import formatting as fmt
from ui.models.call_list import CallListModel, Column
from ui.tasks import TaskRunner, default_runner
from ui.views.call_detail import CallDetailPane

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


class MainWindow(QMainWindow):
    def __init__(
        self,
        env: Environment,
        db: Database,
        actor: Actor,
        *,
        tasks: TaskRunner | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.env = env
        self.db = db
        self.actor = actor
        self._tasks = tasks or default_runner()
        self._detail_request = 0
        self._shown_call: uuid.UUID | None = None
        self.setWindowTitle(self.tr("Supportline – %s") % actor.display_name)
        self.setMinimumSize(960, 600)

        self.model = CallListModel(db, actor, self._tasks, parent=self)
        self.table = self._make_table()
        self.detail = CallDetailPane(db.zone)
        self.count_label = QLabel(self.tr("Calls"))
        self.count_label.setObjectName("muted")

        list_side = QWidget()
        list_layout = QVBoxLayout(list_side)
        list_layout.setContentsMargins(0, 0, 0, 0)
        list_layout.setSpacing(6)
        list_layout.addWidget(self.count_label)
        list_layout.addWidget(self.table)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(list_side)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([930, 416])

        self.empty_state = self._make_empty_state()
        self.pages = QStackedWidget()
        self.pages.setContentsMargins(10, 10, 10, 4)
        self.pages.addWidget(self.splitter)
        self.pages.addWidget(self.empty_state)
        self.setCentralWidget(self.pages)

        self._make_menus()
        self._make_status_bar()
        self.model.page_loaded.connect(self._page_loaded)
        self.model.load_failed.connect(self._load_failed)
        self.model.modelReset.connect(self._list_reset)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.refresh()

    # --- building ---------------------------------------------------------------------------------

    def _make_table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideRight)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        table.verticalHeader().hide()
        row_height = table.fontMetrics().height() + 12
        table.verticalHeader().setDefaultSectionSize(row_height)
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        metrics = table.fontMetrics()
        for column, sample in COLUMN_SAMPLES.items():
            table.setColumnWidth(column, metrics.horizontalAdvance(sample) + 24)
        for column in HIDDEN_AT_FIRST:
            table.setColumnHidden(column, True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._column_menu)
        return table

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

    def _make_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        self.refresh_action = QAction(self.tr("&Refresh"), self)
        self.refresh_action.setShortcut(QKeySequence(Qt.Key.Key_F5))
        self.refresh_action.triggered.connect(self.refresh)
        file_menu.addAction(self.refresh_action)
        file_menu.addSeparator()
        self.quit_action = QAction(self.tr("&Quit"), self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        self.about_action = QAction(self.tr("&About Supportline"), self)
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.about_action.triggered.connect(self.show_about)
        help_menu.addAction(self.about_action)

    def _make_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        self.user_label = QLabel(
            self.tr("Signed in as %s (%s)") % (self.actor.display_name, self.actor.role.label)
        )
        described = self.db.describe()
        self.database_label = QLabel(
            self.database_label_text(described, self.fontMetrics().averageCharWidth() * 60)
        )
        self.database_label.setToolTip(described)
        self.clock_label = QLabel()
        bar.addPermanentWidget(self.user_label)
        bar.addPermanentWidget(self.database_label)
        bar.addPermanentWidget(self.clock_label)
        self._clock = QTimer(self)
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self._clock.start()
        self._tick()

    def database_label_text(self, described: str, width: int) -> str:
        """Long SQLite paths lose their middle, not the file name."""
        return self.fontMetrics().elidedText(described, Qt.TextElideMode.ElideMiddle, width)

    # --- behaviour --------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the list from the database (F5); the call on show stays on show."""
        self.statusBar().showMessage(self.tr("Loading calls…"))
        self.model.refresh()
        db, actor = self.db, self.actor
        self._tasks.run(
            lambda: calls.count_calls(db, actor),
            on_success=self._show_count,
            on_failure=lambda _exc: self.count_label.setText(self.tr("Calls")),
            owner=self,
        )

    def about_text(self) -> str:
        return self.tr(
            "<h3>Supportline %s</h3>"
            "<p>Call logging and guidance for the advice line serving officers working "
            "human-trafficking and modern-slavery cases.</p>"
            "<p>Database: %s<br>Times are shown in %s.</p>"
        ) % (supportline.__version__, self.db.describe(), self.db.zone.key)

    def show_about(self) -> None:
        QMessageBox.about(self, self.tr("About Supportline"), self.about_text())

    def _show_count(self, total: int) -> None:
        self.count_label.setText(self.tr("Calls · %s in total, newest first") % f"{total:,}")

    def _list_reset(self) -> None:
        self.table.clearSelection()

    def _page_loaded(self, rows: int) -> None:
        empty = self.model.is_empty
        self.pages.setCurrentWidget(self.empty_state if empty else self.splitter)
        if empty:
            self.empty_title.setText(self.tr("No calls yet"))
            self.empty_text.setText(self.tr("Calls recorded on this line will be listed here."))
        self.statusBar().showMessage(self.tr("%s calls loaded") % f"{rows:,}", 4000)
        if self._shown_call is not None and self.model.pages_fetched == 1:
            row = self.model.row_of(self._shown_call)
            if row is not None:
                self.table.selectRow(row)

    def _load_failed(self, message: str) -> None:
        self.statusBar().showMessage(self.tr("The calls could not be loaded: %s") % message)
        if not self.model.rowCount():
            self.empty_title.setText(self.tr("The calls could not be loaded"))
            self.empty_text.setText(message + "\n\n" + self.tr("Press F5 to try again."))
            self.pages.setCurrentWidget(self.empty_state)

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        self.open_call(rows[0])

    def open_call(self, index: QModelIndex) -> None:
        call_id = self.model.call_id(index.row())
        if call_id == self._shown_call and self.detail.record is not None:
            return
        self._detail_request += 1
        request = self._detail_request
        self._shown_call = call_id
        self.detail.show_placeholder(self.tr("Opening %s…") % self.model.summary(index.row()).reference)
        db, actor = self.db, self.actor
        self._tasks.run(
            lambda: calls.get_call(db, actor, call_id),
            on_success=lambda record: self._call_arrived(request, record),
            on_failure=lambda exc: self._call_failed(request, exc),
            owner=self,
        )

    def _call_arrived(self, request: int, record: CallRecord) -> None:
        if request == self._detail_request:
            self.detail.show_record(record)

    def _call_failed(self, request: int, exc: BaseException) -> None:
        if request == self._detail_request:
            self.detail.show_placeholder(self.tr("This call could not be opened: %s") % exc)

    def _column_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        for column in Column:
            action = menu.addAction(column.title)
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(column))
            action.toggled.connect(lambda shown, c=column: self.table.setColumnHidden(c, not shown))
        menu.exec(self.table.horizontalHeader().mapToGlobal(position))

    def _tick(self) -> None:
        text = fmt.clock(datetime.now(UTC), self.db.zone)
        if text != self.clock_label.text():  # minutes, not seconds: a ticking second hand distracts
            self.clock_label.setText(text)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Let a page or a call that is still loading finish before the database goes away."""
        self._clock.stop()
        self._tasks.wait_until_idle(10_000)
        super().closeEvent(event)
