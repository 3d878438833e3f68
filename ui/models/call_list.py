"""The call list as a lazy Qt table model.

A busy line builds up tens of thousands of calls; the model asks the call service for one page
at a time (``canFetchMore``/``fetchMore``, which the view calls as the user scrolls) and keeps
only the rows it has fetched. Pages load on the task runner, so scrolling never waits on the
database; a refresh bumps a generation number so a page from before it is thrown away.
"""

from __future__ import annotations

import dataclasses
import uuid
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from supportline.db import Database
from supportline.enums import Urgency
from supportline.services import calls
from supportline.services.actor import Actor
from supportline.services.call_types import CallPage, CallQuery, CallSummary
from ui import formatting as fmt
from ui.tasks import TaskRunner

PAGE_SIZE = 200
CALL_ID_ROLE = Qt.ItemDataRole.UserRole + 1

AnyIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    REFERENCE = 0
    OPENED = 1
    URGENCY = 2
    STATUS = 3
    CALLER = 4
    AGENCY = 5
    FORCE_AREA = 6
    ROUTES = 7
    SUMMARY = 8
    HANDLER = 9

    @property
    def title(self) -> str:
        return QCoreApplication.translate("CallListModel", _TITLES[self])


_TITLES = {
    Column.REFERENCE: "Reference",
    Column.OPENED: "Opened",
    Column.URGENCY: "Urgency",
    Column.STATUS: "Status",
    Column.CALLER: "Caller",
    Column.AGENCY: "Agency",
    Column.FORCE_AREA: "Force area",
    Column.ROUTES: "Routes",
    Column.SUMMARY: "Summary",
    Column.HANDLER: "Handler",
}

# Muted rather than alarming: the colour marks the row, the word says why.
_URGENCY_COLOURS = {Urgency.CRISIS: QColor("#a3261b"), Urgency.URGENT: QColor("#9a5b00")}


def _short(exc: BaseException) -> str:
    """The driver's own first line, without SQLAlchemy's statement dump and link."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


class CallListModel(QAbstractTableModel):
    """Rows are :class:`CallSummary` records, newest first, fetched page by page."""

    #: A page arrived; the argument is the number of rows now held.
    page_loaded = Signal(int)
    #: A page could not be fetched; the argument is a message for the person at the screen.
    load_failed = Signal(str)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        tasks: TaskRunner,
        *,
        query: CallQuery | None = None,
        page_size: int = PAGE_SIZE,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._tasks = tasks
        self._query = query or CallQuery()
        self._page_size = page_size
        self._rows: list[CallSummary] = []
        self._has_more = True  # nothing fetched yet: the first page is "more"
        self._generation = 0
        self._in_flight = False
        self._pages_fetched = 0
        self.error = ""

    # --- state the window and the tests look at ---------------------------------------------

    @property
    def loading(self) -> bool:
        return self._in_flight

    @property
    def loaded_once(self) -> bool:
        """At least one page (possibly empty) has arrived since the last refresh."""
        return self._pages_fetched > 0

    @property
    def is_empty(self) -> bool:
        """Known to hold no calls at all (not merely not loaded yet)."""
        return self.loaded_once and not self._rows and not self._has_more

    @property
    def pages_fetched(self) -> int:
        return self._pages_fetched

    def call_id(self, row: int) -> uuid.UUID:
        return self._rows[row].id

    def summary(self, row: int) -> CallSummary:
        return self._rows[row]

    def row_of(self, call_id: uuid.UUID) -> int | None:
        for row, summary in enumerate(self._rows):
            if summary.id == call_id:
                return row
        return None

    def refresh(self) -> None:
        """Forget every fetched row and load the first page again."""
        self.beginResetModel()
        self._generation += 1
        self._rows = []
        self._has_more = True
        self._in_flight = False
        self._pages_fetched = 0
        self.error = ""
        self.endResetModel()
        self.fetchMore(QModelIndex())

    # --- lazy paging ----------------------------------------------------------------------------

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._has_more and not self._in_flight

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if not self.canFetchMore(parent):
            return
        self._in_flight = True
        generation = self._generation
        query = dataclasses.replace(self._query, offset=len(self._rows), limit=self._page_size)
        db, actor = self._db, self._actor
        self._tasks.run(
            lambda: calls.list_calls(db, actor, query),
            on_success=lambda page: self._page_arrived(generation, page),
            on_failure=lambda exc: self._page_failed(generation, exc),
            owner=self,
        )

    def _page_arrived(self, generation: int, page: CallPage) -> None:
        if generation != self._generation:
            return
        if page.rows:
            # Still "in flight" while the rows go in: a view or tester asking for more from inside
            # the insert signals would otherwise fetch the same offset twice.
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page.rows) - 1)
            self._rows.extend(page.rows)
            self.endInsertRows()
        self._in_flight = False
        self._has_more = page.has_more
        self._pages_fetched += 1
        self.page_loaded.emit(len(self._rows))

    def _page_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._in_flight = False
        self._has_more = False  # stop the view asking again and again; F5 tries afresh
        self._pages_fetched += 1
        self.error = _short(exc)
        self.load_failed.emit(self.error)

    # --- the table ------------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(Column):
            if role == Qt.ItemDataRole.DisplayRole:
                return Column(section).title
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._rows) and 0 <= column < len(Column)):
            return None
        summary = self._rows[row]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(summary, Column(column))
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(summary, Column(column))
        if role == Qt.ItemDataRole.ForegroundRole and column == Column.URGENCY:
            return _URGENCY_COLOURS.get(summary.urgency)
        if role == CALL_ID_ROLE:
            return summary.id
        return None

    def _display(self, s: CallSummary, column: Column) -> str:
        match column:
            case Column.REFERENCE:
                return s.reference
            case Column.OPENED:
                return fmt.when(s.opened_at, self._db.zone)
            case Column.URGENCY:
                return s.urgency.label
            case Column.STATUS:
                return s.status.label
            case Column.CALLER:
                return s.caller_name
            case Column.AGENCY:
                return s.caller_agency_type.label
            case Column.FORCE_AREA:
                return s.force_area
            case Column.ROUTES:
                return fmt.labels(s.routes)
            case Column.SUMMARY:
                return " ".join(s.summary.split())
            case Column.HANDLER:
                return s.handler_name

    def _tooltip(self, s: CallSummary, column: Column) -> str | None:
        if column == Column.SUMMARY and s.summary:
            return s.summary
        if column == Column.AGENCY and s.caller_organisation:
            return f"{s.caller_agency_type.label}: {s.caller_organisation}"
        if column == Column.OPENED:
            return fmt.when_with_zone(s.opened_at, self._db.zone)
        return None
