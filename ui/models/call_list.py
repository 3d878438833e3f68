"""The call list as a windowed, lazy Qt table model over the whole database.

A line builds up hundreds of thousands of calls, and the list must scroll through all of them
without holding them. The model knows how many rows the query matches (``count_calls``) and
holds only a few pages of rows, least recently used out first: when the view asks for a row that
is not held, the model answers with a placeholder, asks the task runner for that row's page
(``list_calls`` with offset and limit) and announces the real rows with ``dataChanged`` when the
page arrives. Sorting is the database's (``sort()`` changes the query's sort key). A new query
or a refresh bumps a generation number: pages and counts from before it are thrown away, so a
slow search never overwrites a newer one. The rows on screen stay until the new ones arrive, so
typing in the search box does not make the list blink.

What the list shows is a consultation of personal data (DPA 2018 s.62), audited once per
*settled* query (``call.list``, or ``call.search`` with the text's length only): when its rows
have been on show for :data:`SETTLE_MS`, or are replaced by a query without text before then.
The words of a search still being typed (each replaced by the next within that time) are not
each audited, and neither are the pages scrolled through nor a refresh of the same query.
The pages themselves are read unaudited (``list_calls(audited=False)``): no page or keystroke
waits for an audit commit. The record is written on a lane of its own (:data:`ui.tasks.AUDIT`),
never the one that loads pages; and what is on show unaudited is recorded at once when the
person acts on it (opens a call), locks the screen, signs out or closes the window
(:meth:`CallListModel.record_consultation`), so no search whose results were shown goes unaudited.
A refused listing is refused, and audited as refused, by ``list_calls`` itself.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections import OrderedDict
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor

from supportline.db import Database
from supportline.enums import Urgency
from supportline.services import calls
from supportline.services.actor import Actor, signed_in
from supportline.services.call_types import CallPage, CallQuery, CallSummary, SortKey
from supportline.services.errors import PermissionDeniedError
from ui import formatting as fmt
from ui import style
from ui.tasks import AUDIT, TaskRunner

log = logging.getLogger(__name__)

PAGE_SIZE = 200
#: Pages held at once: 10 pages of 200 is at most 2,000 rows, whatever the size of the database.
MAX_PAGES = 10
#: Page requests queued on the runner at once; further wishes wait, the latest first, so a fast
#: scroll fetches where the view stopped rather than every page it flew past.
MAX_IN_FLIGHT = 2
PLACEHOLDER = "…"
#: A query's rows on show this long count as consulted (and are audited).
SETTLE_MS = 1500
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

    @property
    def sort_key(self) -> SortKey | None:
        """The database sort behind the column; None for columns that cannot be sorted."""
        return _SORT_KEYS.get(self)


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

_SORT_KEYS = {
    Column.REFERENCE: SortKey.REFERENCE,
    Column.OPENED: SortKey.OPENED,
    Column.URGENCY: SortKey.URGENCY,
    Column.STATUS: SortKey.STATUS,
    Column.CALLER: SortKey.CALLER,
    Column.AGENCY: SortKey.AGENCY,
    Column.FORCE_AREA: SortKey.FORCE_AREA,
    Column.HANDLER: SortKey.HANDLER,
}
COLUMN_OF_SORT_KEY = {key: column for column, key in _SORT_KEYS.items()}


def _short(exc: BaseException) -> str:
    """The driver's own first line, without SQLAlchemy's statement dump and link."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


class CallListModel(QAbstractTableModel):
    """Rows are :class:`CallSummary` records of ``query``, fetched by page on demand."""

    #: The count and first page of a new query (or refresh) are in; emitted once per reset.
    loaded = Signal()
    #: A page of rows arrived; the argument is the page number.
    page_loaded = Signal(int)
    #: The query could not be run; the argument is a message for the person at the screen.
    load_failed = Signal(str)

    def __init__(
        self,
        db: Database,
        actor: Actor | None,
        tasks: TaskRunner,
        *,
        query: CallQuery | None = None,
        page_size: int = PAGE_SIZE,
        max_pages: int = MAX_PAGES,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        if page_size < 1 or max_pages < 2:
            raise ValueError("page_size must be at least 1 and max_pages at least 2")
        self._db = db
        self._actor = actor
        self._tasks = tasks
        self._page_size = page_size
        self._max_pages = max_pages
        self._wanted_query = dataclasses.replace(query or CallQuery(), offset=0, limit=page_size)
        self._query = self._wanted_query  # the query of the rows on show
        self._generation = 0  # bumped by every new query or refresh
        self._shown_generation = 0  # the generation of the rows on show
        self._count = 0
        self._pages: OrderedDict[int, tuple[CallSummary, ...]] = OrderedDict()
        self._wanted: OrderedDict[int, None] = OrderedDict()
        self._in_flight: set[int] = set()
        self._pages_fetched = 0
        #: The most rows ever held at once (the memory test's counting hook).
        self.max_rows_held = 0
        self.error = ""
        # The audit of what is on show: the query waiting to settle (with its count), the last audited.
        self._unaudited: tuple[CallQuery, int] | None = None
        self._audited: CallQuery | None = None
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.timeout.connect(self.record_consultation)

    @property
    def actor(self) -> Actor:
        """Whose list this is. A window built before anyone signed in has none, and loads nothing."""
        return signed_in(self._actor, "the call list")

    def set_actor(self, actor: Actor) -> None:
        if actor != self._actor:
            self.record_consultation()  # what the previous person saw is theirs
        self._actor = actor

    # --- state the window and the tests look at -----------------------------------------------

    @property
    def query(self) -> CallQuery:
        """The query being shown, or the one on its way if a new one was asked for."""
        return self._wanted_query

    @property
    def page_size(self) -> int:
        return self._page_size

    @property
    def max_pages(self) -> int:
        return self._max_pages

    @property
    def loading(self) -> bool:
        """A new query or refresh has been asked for and its first page is not in yet."""
        return self._generation != self._shown_generation

    @property
    def loaded_once(self) -> bool:
        return self._shown_generation > 0

    @property
    def is_empty(self) -> bool:
        """Known to match no calls at all (not merely not loaded yet)."""
        return self.loaded_once and self._count == 0

    @property
    def total(self) -> int:
        return self._count

    @property
    def pages_fetched(self) -> int:
        """Pages that arrived since the last reset, the first one included."""
        return self._pages_fetched

    def rows_held(self) -> int:
        return sum(len(rows) for rows in self._pages.values())

    def pages_held(self) -> tuple[int, ...]:
        return tuple(self._pages)

    def summary(self, row: int) -> CallSummary | None:
        """The row's call if its page is held (without touching the page's age)."""
        rows = self._pages.get(row // self._page_size)
        offset = row % self._page_size
        return rows[offset] if rows is not None and offset < len(rows) else None

    def call_id(self, row: int) -> uuid.UUID | None:
        summary = self.summary(row)
        return summary.id if summary is not None else None

    def row_of(self, call_id: uuid.UUID) -> int | None:
        """Where a held call is on show (a call in no held page is not looked for)."""
        for page, rows in self._pages.items():
            for offset, summary in enumerate(rows):
                if summary.id == call_id:
                    return page * self._page_size + offset
        return None

    # --- asking for rows ----------------------------------------------------------------------

    def set_query(self, query: CallQuery) -> None:
        """Show ``query``'s calls (filters and sort); the rows on show stay until they arrive."""
        query = dataclasses.replace(query, offset=0, limit=self._page_size)
        if query == self._wanted_query and (self.loaded_once or self.loading):
            return  # on show, or on its way
        self._wanted_query = query
        self.refresh()

    def set_filters(self, filters: CallQuery) -> None:
        """New filters, keeping the sort chosen by clicking a header."""
        current = self._wanted_query
        self.set_query(dataclasses.replace(filters, sort=current.sort, descending=current.descending))

    def refresh(self) -> None:
        """Count and fetch the first page again (F5, after a save, a new query)."""
        self._generation += 1
        generation = self._generation
        query = self._wanted_query
        db, actor = self._db, self.actor

        def first_page() -> tuple[int, CallPage]:
            # Audited once the query has settled (record_consultation), not on every keystroke. The
            # page is asked first: a refused listing or search is refused (and audited) as that.
            page = calls.list_calls(db, actor, query, audited=False)
            return calls.count_calls(db, actor, query), page

        self._tasks.run(
            first_page,
            on_success=lambda result: self._reset_arrived(generation, query, *result),
            on_failure=lambda exc: self._reset_failed(generation, query, exc),
            owner=self,
        )

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in the database; columns without a sort key (routes, summary) are ignored."""
        if not 0 <= column < len(Column):
            return
        key = Column(column).sort_key
        if key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        current = self._wanted_query
        if current.sort == key and current.descending == descending and (self.loaded_once or self.loading):
            return
        self._wanted_query = dataclasses.replace(current, sort=key, descending=descending)
        if self.loaded_once or self.loading:
            self.refresh()

    def sort_column(self) -> Column:
        return COLUMN_OF_SORT_KEY.get(self._wanted_query.sort, Column.OPENED)

    def sort_order(self) -> Qt.SortOrder:
        return Qt.SortOrder.DescendingOrder if self._wanted_query.descending else Qt.SortOrder.AscendingOrder

    def _reset_arrived(self, generation: int, query: CallQuery, count: int, page: CallPage) -> None:
        if generation != self._generation:
            return  # a newer query or refresh is on its way
        self.beginResetModel()
        self._query = query
        self._shown_generation = generation
        self._count = count
        self._pages.clear()
        self._wanted.clear()
        self._in_flight.clear()
        self._pages_fetched = 1
        self.error = ""
        if page.rows:
            self._pages[0] = page.rows
        self._note_held()
        self.endResetModel()
        self._on_show(query, count)
        self.loaded.emit()
        self.page_loaded.emit(0)

    # --- auditing what is on show -------------------------------------------------------------

    @staticmethod
    def _consulted(query: CallQuery) -> CallQuery:
        """What a query consults: its filters and text (not its page or sort)."""
        return dataclasses.replace(query, offset=0, limit=1, sort=SortKey.OPENED, descending=True)

    def _on_show(self, query: CallQuery, count: int) -> None:
        key = self._consulted(query)
        if (
            self._unaudited is not None
            and self._unaudited[0] != key
            and not (self._unaudited[0].text.strip() and key.text.strip())
        ):
            self.record_consultation()  # seen, then replaced by something other than more typing
        if key == self._audited:
            self._unaudited = None
            self._settle.stop()
            return
        self._unaudited = (key, count)
        self._settle.start(SETTLE_MS)

    @property
    def audit_pending(self) -> bool:
        """Rows are on show whose consultation is not audited yet."""
        return self._unaudited is not None

    def record_consultation(self) -> None:
        """Audit the query on show now (the settle timer, or before the rows go)."""
        self._settle.stop()
        if self._unaudited is None or self._actor is None:
            return
        query, count = self._unaudited
        self._unaudited = None
        self._audited = query
        db, actor = self._db, self._actor
        self._tasks.run(
            lambda: calls.record_listing(db, actor, query, results=count),
            on_failure=lambda exc: self._record_failed(query, count, exc),
            owner=self,  # the record is written all the same; only the callback needs the model
            lane=AUDIT,  # its own thread: the pages and the next search never wait for the commit
        )

    def _record_failed(self, query: CallQuery, count: int, exc: BaseException) -> None:
        """The record did not reach the database (an outage): it is pending again, and written
        with the next one asked for (the timer, an action, locking or closing)."""
        log.error("the consultation of the call list could not be audited", exc_info=exc)
        if isinstance(exc, PermissionDeniedError):
            return  # refused, and that refusal is audited
        if self._audited == query:
            self._audited = None
        if self._unaudited is None:
            self._unaudited = (query, count)

    def _reset_failed(self, generation: int, query: CallQuery, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self.beginResetModel()
        self._query = query
        self._shown_generation = generation
        self._count = 0
        self._pages.clear()
        self._wanted.clear()
        self._in_flight.clear()
        self._pages_fetched = 0
        self.error = _short(exc)
        self.endResetModel()
        self.load_failed.emit(self.error)

    def _want(self, page: int) -> None:
        if page in self._in_flight or page in self._pages:
            return
        self._wanted[page] = None
        self._wanted.move_to_end(page)
        while len(self._wanted) > self._max_pages:
            self._wanted.popitem(last=False)
        self._pump()

    def _pump(self) -> None:
        while self._wanted and len(self._in_flight) < MAX_IN_FLIGHT:
            page, _ = self._wanted.popitem(last=True)
            self._fetch(page)

    def _fetch(self, page: int) -> None:
        self._in_flight.add(page)
        generation = self._shown_generation
        query = dataclasses.replace(self._query, offset=page * self._page_size, limit=self._page_size)
        db, actor = self._db, self.actor
        self._tasks.run(
            lambda: calls.list_calls(db, actor, query, audited=False),  # the query's, audited once
            on_success=lambda result: self._page_arrived(generation, page, result),
            on_failure=lambda exc: self._page_failed(generation, page, exc),
            owner=self,
        )

    def _page_arrived(self, generation: int, page: int, result: CallPage) -> None:
        if generation != self._shown_generation:
            return  # the rows it belongs to are gone; what is wanted now has been asked for
        self._in_flight.discard(page)
        self._pages[page] = result.rows  # kept even if short: the count moved; no asking again
        self._pages.move_to_end(page)
        while len(self._pages) > self._max_pages:
            self._pages.popitem(last=False)
        self._note_held()
        self._pages_fetched += 1
        first = page * self._page_size
        last = min(self._count, first + self._page_size) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(Column) - 1))
        self.page_loaded.emit(page)
        self._pump()

    def _page_failed(self, generation: int, page: int, exc: BaseException) -> None:
        if generation != self._shown_generation:
            return
        self._in_flight.discard(page)
        self._pages[page] = ()  # shown as placeholders until the next refresh; no retry storm
        self.error = _short(exc)
        self.load_failed.emit(self.error)
        self._pump()

    def _note_held(self) -> None:
        self.max_rows_held = max(self.max_rows_held, self.rows_held())

    def restyle(self) -> None:
        """The theme changed: the urgency colours follow it."""
        if self._count:
            self.dataChanged.emit(
                self.index(0, Column.URGENCY),
                self.index(self._count - 1, Column.URGENCY),
                [Qt.ItemDataRole.ForegroundRole],
            )

    # --- the table ----------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._count

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
            column = Column(section)
            if role == Qt.ItemDataRole.DisplayRole:
                return column.title
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
            if role == Qt.ItemDataRole.ToolTipRole:
                if column.sort_key is None:
                    return QCoreApplication.translate("CallListModel", "This column cannot be sorted")
                return QCoreApplication.translate("CallListModel", "Click to sort by %s") % column.title
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.parent().isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < self._count and 0 <= column < len(Column)):
            return None
        page, offset = divmod(row, self._page_size)
        rows = self._pages.get(page)
        if rows is None:
            self._want(page)
            if role == Qt.ItemDataRole.DisplayRole:
                return PLACEHOLDER if column == Column.REFERENCE else ""
            if role == Qt.ItemDataRole.ForegroundRole:
                return QColor(style.current().placeholder)
            return None
        self._pages.move_to_end(page)
        if offset >= len(rows):
            return "" if role == Qt.ItemDataRole.DisplayRole else None
        summary = rows[offset]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(summary, Column(column))
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(summary, Column(column))
        if role == Qt.ItemDataRole.ForegroundRole and column == Column.URGENCY:
            theme = style.current()
            colour = {Urgency.CRISIS: theme.error, Urgency.URGENT: theme.warning}.get(summary.urgency)
            return QColor(colour) if colour else None
        if role == CALL_ID_ROLE:
            return summary.id
        if role == Qt.ItemDataRole.AccessibleTextRole and column == Column.REFERENCE:
            return f"{summary.reference}, {summary.urgency.label}, {summary.status.label}"
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
