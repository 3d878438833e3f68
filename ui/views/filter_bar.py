"""The filters above the call list: free text as you type, dates in the line's time, and facets.

The bar only builds a :class:`CallQuery`; the list model runs it. Typing is debounced (a query
per pause, not per key) and every other filter applies at once. Dates are whole local days:
"from 30 Mar to 30 Mar" is that day's midnight to the next midnight in the line's zone, turned
into UTC by ``zoneinfo`` so a day with a clock change is 23 or 25 hours long, as it should be.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from PySide6.QtCore import QCoreApplication, QDate, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDateEdit,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from supportline.enums import AgencyType, CallStatus, ExploitationType, Outcome, Route, Urgency
from supportline.reference_data import POLICE_FORCES
from supportline.services.call_types import CallQuery
from ui.widgets.flow import FlowLayout

DEBOUNCE_MS = 250
_NO_DATE = QDate(2000, 1, 1)


def local_days_to_utc(
    first: date | None, last: date | None, zone: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """[first 00:00, day after last 00:00) in ``zone``, as aware UTC datetimes (None: open end)."""

    def midnight(day: date) -> datetime:
        # A zone that skips midnight (clocks going forward at 00:00) gets the first real instant.
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)

    start = midnight(first) if first is not None else None
    end = midnight(last + timedelta(days=1)) if last is not None else None
    return start, end


class DateEdit(QDateEdit):
    """A date or "Any"; its calendar opens on this month rather than on the "no date" sentinel."""

    def __init__(self, any_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("dd MMM yyyy")
        self.setMinimumDate(_NO_DATE)
        self.setSpecialValueText(any_text)
        self.setDate(_NO_DATE)
        self.calendarWidget().installEventFilter(self)

    def value(self) -> date | None:
        return None if self.date() == _NO_DATE else self.date().toPython()  # type: ignore[return-value]

    def set_value(self, day: date | None) -> None:
        self.setDate(_NO_DATE if day is None else QDate(day.year, day.month, day.day))

    def focusNextPrevChild(self, next: bool) -> bool:
        # Tab leaves the edit (arrow keys move between its parts), as in every other field; Qt's
        # own Tab steps through the parts and, while "Any date" shows, never leaves (issue 11).
        return QWidget.focusNextPrevChild(self, next)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show and self.date() == _NO_DATE:
            today = QDate.currentDate()
            self.calendarWidget().setCurrentPage(today.year(), today.month())
        return super().eventFilter(watched, event)


class _SearchEdit(QLineEdit):
    """Esc empties the box (and says so, so the bar can apply at once)."""

    escaped = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            self.escaped.emit()
            event.accept()
            return
        super().keyPressEvent(event)


def make_combo(any_text: str, values: Sequence[tuple[str, object]], accessible: str) -> QComboBox:
    combo = QComboBox()
    combo.addItem(any_text, None)
    for text, value in values:
        combo.addItem(text, value)
    combo.setAccessibleName(accessible)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo


def compact(combo: QComboBox, characters: int) -> QComboBox:
    """A combo about ``characters`` wide whatever its longest item (its list opens wider)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(characters)
    width = max(combo.fontMetrics().horizontalAdvance(combo.itemText(i)) for i in range(combo.count()))
    combo.view().setMinimumWidth(width + 32)
    return combo


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The local day ``moment`` falls on."""
    return moment.astimezone(zone).date()


E = TypeVar("E", bound=StrEnum)


def chosen(combo: QComboBox, kind: type[E]) -> E | None:
    """The combo's value as a member of ``kind`` (Qt hands a string enum's data back as ``str``)."""
    value = combo.currentData()
    return None if value is None else kind(value)


def index_of(combo: QComboBox, value: object) -> int:
    """The item holding ``value`` (``findData`` cannot compare Python objects such as UUIDs)."""
    return next((i for i in range(combo.count()) if combo.itemData(i) == value), -1)


def select_value(combo: QComboBox, value: object) -> None:
    combo.setCurrentIndex(max(index_of(combo, value), 0))


def enum_items(values: Sequence[StrEnum]) -> list[tuple[str, object]]:
    return [(getattr(v, "label", str(v)), v) for v in values]


class FilterFields:
    """The filter widgets the call list's bar and the export dialog both have: a mixin of both,
    so each widget (its items, names and sizes) is defined once, in :meth:`_make_filter_fields`."""

    date_from: DateEdit
    date_to: DateEdit
    status: QComboBox
    urgency: QComboBox
    route: QComboBox
    agency: QComboBox
    exploitation: QComboBox
    outcome: QComboBox
    handler: QComboBox
    hour: QComboBox
    force: QLineEdit
    force_completer: QCompleter
    _me_id: uuid.UUID | None

    def _make_filter_fields(
        self,
        me: tuple[uuid.UUID, str] | None,
        metrics: QFontMetrics,
        *,
        exploitation_chars: int | None,
        outcome_chars: int,
    ) -> None:
        """Make the widgets (``None`` for ``exploitation_chars``: as wide as its longest item)."""

        def tr(text: str) -> str:
            return QCoreApplication.translate("FilterFields", text)

        self._me_id = None
        self.date_from = DateEdit(tr("Any date"))
        self.date_from.setAccessibleName(tr("Opened from (local date)"))
        self.date_to = DateEdit(tr("Any date"))
        self.date_to.setAccessibleName(tr("Opened up to and including (local date)"))
        for edit in (self.date_from, self.date_to):
            edit.setMinimumWidth(metrics.horizontalAdvance("00 Sep 0000") + 48)
        self.status = make_combo(tr("Any status"), enum_items(list(CallStatus)), tr("Status"))
        self.urgency = make_combo(tr("Any urgency"), enum_items(list(Urgency)), tr("Urgency"))
        self.route = make_combo(tr("Any route"), enum_items(list(Route)), tr("Route"))
        self.agency = make_combo(tr("Any agency"), enum_items(list(AgencyType)), tr("Caller agency"))
        self.exploitation = make_combo(
            tr("Any exploitation"), enum_items(list(ExploitationType)), tr("Exploitation type")
        )
        if exploitation_chars is not None:
            compact(self.exploitation, exploitation_chars)
        self.outcome = compact(
            make_combo(tr("Any outcome"), enum_items(list(Outcome)), tr("Outcome")), outcome_chars
        )
        self.force = QLineEdit()
        self.force.setPlaceholderText(tr("Any force area"))
        self.force.setAccessibleName(tr("Force area"))
        self.force.setClearButtonEnabled(True)
        self.force_completer = QCompleter(list(POLICE_FORCES), self.force)
        self.force_completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.force_completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.force.setCompleter(self.force_completer)
        self.handler = make_combo(tr("Any handler"), [(tr("Me"), None)], tr("Handler"))
        if me is not None:
            self.set_me(me)
        self.hour = make_combo(
            tr("Any hour"), [(f"{h:02d}:00–{h:02d}:59", h) for h in range(24)], tr("Hour of the day opened")
        )
        self.hour.setToolTip(tr("Calls opened in this hour of the day, local time, on any day of the period"))

    def _filter_combos(self) -> tuple[QComboBox, ...]:
        return (
            self.status, self.urgency, self.route, self.agency, self.exploitation, self.outcome,
            self.handler, self.hour,
        )  # fmt: skip

    def set_me(self, me: tuple[uuid.UUID, str]) -> None:
        """The signed-in user's own entry, second in the handler list (a bar built before
        anyone signed in gets it at sign-in)."""
        self._me_id = me[0]
        self.handler.setItemText(1, QCoreApplication.translate("FilterFields", "Me (%s)") % me[1])
        self.handler.setItemData(1, me[0])

    def set_handlers(self, handlers: Sequence[tuple[uuid.UUID, str]]) -> None:
        """Everyone who may have handled a call (the signed-in user's own entry stays as "Me");
        the handler chosen stays chosen, under its id if it is not among them."""
        chosen = self.handler.currentData()
        self.handler.blockSignals(True)
        while self.handler.count() > 2:
            self.handler.removeItem(2)
        for user_id, name in handlers:
            if user_id != self._me_id:
                self.handler.addItem(name, user_id)
        if chosen is not None and index_of(self.handler, chosen) < 0:
            self.handler.addItem(unknown_handler(chosen), chosen)
        select_value(self.handler, chosen)
        self.handler.blockSignals(False)


def unknown_handler(user_id: uuid.UUID) -> str:
    """A handler filtered on whose name is not known (yet)."""
    return QCoreApplication.translate("FilterFields", "Handler %s") % str(user_id)[:8]


def read_filters(fields: FilterFields, text: str, zone: ZoneInfo) -> CallQuery:
    """The query the widgets show (paging and sort are the caller's)."""
    start, end = local_days_to_utc(fields.date_from.value(), fields.date_to.value(), zone)
    return CallQuery(
        opened_from=start,
        opened_to=end,
        status=chosen(fields.status, CallStatus),
        urgency=chosen(fields.urgency, Urgency),
        route=chosen(fields.route, Route),
        agency_type=chosen(fields.agency, AgencyType),
        force_area=fields.force.text().strip() or None,
        handler_id=fields.handler.currentData(),
        exploitation_type=chosen(fields.exploitation, ExploitationType),
        outcome=chosen(fields.outcome, Outcome),
        opened_hour=fields.hour.currentData(),
        text=text.strip(),
    )


def show_filters(fields: FilterFields, query: CallQuery, zone: ZoneInfo) -> None:
    """Set the widgets to ``query``'s filters (not its text). Dates become the local days the
    bounds fall in (the end is exclusive: a bound at midnight ends the day before); a handler not
    listed yet is added under its id (:func:`unknown_handler`) until the names arrive."""
    fields.force.setText(query.force_area or "")
    fields.date_from.set_value(local_day(query.opened_from, zone) if query.opened_from is not None else None)
    last = (
        local_day(query.opened_to - timedelta(microseconds=1), zone) if query.opened_to is not None else None
    )
    fields.date_to.set_value(last)
    if query.handler_id is not None and index_of(fields.handler, query.handler_id) < 0:
        fields.handler.addItem(unknown_handler(query.handler_id), query.handler_id)
    for combo, value in (
        (fields.status, query.status),
        (fields.urgency, query.urgency),
        (fields.route, query.route),
        (fields.agency, query.agency_type),
        (fields.exploitation, query.exploitation_type),
        (fields.outcome, query.outcome),
        (fields.handler, query.handler_id),
        (fields.hour, query.opened_hour),
    ):
        select_value(combo, value)


class FilterBar(QFrame, FilterFields):
    """Emits :attr:`changed` when the query it describes changes (text after a pause)."""

    changed = Signal()

    def __init__(
        self, zone: ZoneInfo, me: tuple[uuid.UUID, str] | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("filterBar")
        self._zone = zone
        self._applied: CallQuery | None = None
        #: Bumped each time a new query is announced; a search's results carry it (stale ones drop).
        self.generation = 0

        self.search = _SearchEdit()
        self.search.setPlaceholderText(
            self.tr("Search reference, officer, collar number, force, phone or narrative  (Ctrl+F)")
        )
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(self.tr("Search calls"))
        self.search.setMinimumWidth(360)
        self._make_filter_fields(me, self.fontMetrics(), exploitation_chars=16, outcome_chars=14)
        self.force.setMinimumWidth(self.fontMetrics().horizontalAdvance("Devon and Cornwall Police") + 40)
        # As wide as a long force's name: in a wrapping row only the search box takes the rest.
        self.force.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.clear_button = QPushButton(self.tr("Clear filters"))
        self.clear_button.setToolTip(self.tr("Show every call again"))
        self.clear_button.setEnabled(False)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._maybe_announce)

        self.search.textEdited.connect(lambda _t: self._timer.start())
        self.search.textChanged.connect(lambda t: self._maybe_announce() if not t else None)
        self.search.escaped.connect(self._maybe_announce)
        self.search.returnPressed.connect(self._maybe_announce)
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(lambda _d: self._maybe_announce())
        for combo in self._filter_combos():
            combo.currentIndexChanged.connect(lambda _i: self._maybe_announce())
        self.force.editingFinished.connect(self._maybe_announce)
        self.force_completer.activated.connect(lambda _t: self._maybe_announce())
        self.force.textChanged.connect(lambda t: self._maybe_announce() if not t else None)
        self.clear_button.clicked.connect(self.clear)

        opened = QLabel(self.tr("&Opened"))
        opened.setObjectName("muted")
        opened.setBuddy(self.date_from)
        to = QLabel(self.tr("to"))
        to.setObjectName("muted")
        # One row on a wide screen, as many as it takes on a narrow one or with large fonts
        # (issue 16): the filters wrap; the search box takes the width its line has left.
        dates = QWidget()
        dates_row = QHBoxLayout(dates)
        dates_row.setContentsMargins(0, 0, 0, 0)
        dates_row.setSpacing(8)
        for widget in (opened, self.date_from, to, self.date_to):
            dates_row.addWidget(widget)
        layout = FlowLayout(self, spacing=8, line_spacing=6)
        item: QWidget
        for item in (
            self.search,
            dates,
            self.exploitation,
            self.outcome,
            self.status,
            self.urgency,
            self.route,
            self.agency,
            self.force,
            self.handler,
            self.hour,
            self.clear_button,
        ):
            layout.addWidget(item)
        self._applied = self.query()

    # --- what the bar says -------------------------------------------------------------------

    def query(self) -> CallQuery:
        """The filters as a query (paging and sort are the model's)."""
        return read_filters(self, self.search.text(), self._zone)

    def is_filtered(self) -> bool:
        return self.query() != CallQuery()

    # --- acting ------------------------------------------------------------------------------

    def _widgets(self) -> tuple[QWidget, ...]:
        return (self.search, self.date_from, self.date_to, self.force, *self._filter_combos())

    def clear(self) -> None:
        """Every filter back to "any" (one query, not one per widget)."""
        self.set_query(CallQuery())

    def set_query(self, query: CallQuery) -> None:
        """Show ``query``'s filters (one announcement for all of them). Dates become the local
        days the bounds fall in (the end is exclusive: a bound at midnight ends the day before);
        a handler the bar does not list yet is added under its id until the names arrive."""
        widgets = self._widgets()
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.search.setText(query.text)
            show_filters(self, query, self._zone)
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self._maybe_announce()

    def apply_now(self) -> None:
        """Skip the typing pause (Enter in the search box, tests)."""
        self._maybe_announce()

    def _maybe_announce(self) -> None:
        self._timer.stop()
        query = self.query()
        self.clear_button.setEnabled(query != CallQuery())
        if query != self._applied:
            self._applied = query
            self.generation += 1
            self.changed.emit()
