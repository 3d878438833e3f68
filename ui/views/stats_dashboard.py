"""The statistics dashboard: the line's figures for a period, as numbers and bar charts.

Supervisors pick a period (the last 7 or 30 days, this quarter, or any two local dates) and see
the totals with the change on the previous period of the same length, then calls per day and per
hour of the day, by advice route, by caller agency, potential victims by exploitation type, and
outcomes. The figures are :func:`supportline.exports.figures.compute`'s, on the task runner, so
they are the numbers the CLI, the spreadsheet and the PDF report give.

A click on a bar (or arrow keys to a bar and Enter) asks for the calls behind it:
:attr:`StatsDashboard.calls_requested` carries the query (the period and the bar's route,
agency, exploitation type, outcome or hour of the day; a day's bar, that day), which the main
window puts in the call list's filters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QHorizontalStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QDate, QMargins, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFocusEvent, QFont, QKeyEvent, QKeySequence, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from supportline.db import Database
from supportline.exports import figures as figures_module
from supportline.exports.figures import Figures
from supportline.services.actor import Actor, Permission, require
from supportline.services.call_types import CallQuery
from ui import style
from ui.tasks import TaskRunner
from ui.views.filter_bar import DateEdit, local_days_to_utc

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Period(StrEnum):
    LAST_7 = "last_7"
    LAST_30 = "last_30"
    QUARTER = "quarter"
    CUSTOM = "custom"


PERIOD_LABELS = {
    Period.LAST_7: "Last 7 days",
    Period.LAST_30: "Last 30 days",
    Period.QUARTER: "This quarter",
    Period.CUSTOM: "Custom dates",
}


def period_days(period: Period, today: date) -> tuple[date, date] | None:
    """The first and last local day of a preset period ending today (None for custom)."""
    if period is Period.LAST_7:
        return today - timedelta(days=6), today
    if period is Period.LAST_30:
        return today - timedelta(days=29), today
    if period is Period.QUARTER:
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    return None


def day_label(day: date) -> str:
    return f"{day.day:02d} {_MONTHS[day.month - 1]}"


def change_text(now: int, before: int | None, percent: float | None, days: int) -> str:
    """How a total compares with the previous period of the same length."""
    if before is None:
        return ""
    span = f"the previous {days} days" if days > 1 else "the day before"
    if percent is None:
        return f"none in {span}" if now else f"none in {span} either"
    if percent == 0:
        return f"same as {span} ({before:,})"
    arrow = "▲" if percent > 0 else "▼"
    return f"{arrow} {abs(percent):g}% on {span} ({before:,})"


# --- one chart ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bars:
    """What one chart shows: a label and a key per category, one list of values per set."""

    labels: tuple[str, ...]
    keys: tuple[Any, ...]
    sets: tuple[tuple[str, tuple[int, ...]], ...]  # (set name, value per category)


class BarChart(QChartView):
    """A bar chart whose bars can be clicked, or reached with the arrow keys and opened with Enter.

    ``horizontal`` charts suit long category names (agencies, outcomes); ``sparse_labels`` puts
    a label under every few bars only (a day per bar over a quarter)."""

    #: The bar for this key was clicked or chosen with Enter.
    bar_clicked = Signal(object)

    def __init__(
        self,
        title: str,
        *,
        horizontal: bool = False,
        stacked: bool = False,
        sparse_labels: bool = False,
        values_on_bars: bool = True,
        clickable: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        chart = QChart()
        super().__init__(chart, parent)
        self.chart_ = chart
        self.title = title
        self.horizontal = horizontal
        self.stacked = stacked
        self.sparse_labels = sparse_labels
        self.values_on_bars = values_on_bars
        self.clickable = clickable
        self.bars = Bars((), (), ())
        self.current = -1
        self.sets: list[QBarSet] = []
        self.series: QAbstractBarSeries | None = None
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(title)
        chart.setTitle(title)
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setBackgroundRoundness(3)
        chart.legend().setVisible(False)
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        self.setMinimumHeight(self.fontMetrics().height() * 14)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_bars(self, bars: Bars) -> None:
        chart = self.chart_
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)
        self.bars = bars
        self.current = -1
        if self.horizontal:
            series: QAbstractBarSeries = (
                QHorizontalStackedBarSeries() if self.stacked else QHorizontalBarSeries()
            )
        else:
            series = QBarSeries()
        self.sets = []
        for name, values in bars.sets:
            bar_set = QBarSet(name)
            bar_set.append([float(values[self._place(i)]) for i in range(len(values))])
            bar_set.clicked.connect(lambda place: self._clicked(self._place(place)))
            bar_set.hovered.connect(lambda state, place: self._hovered(state, self._place(place)))
            series.append(bar_set)
            self.sets.append(bar_set)
        series.setBarWidth(0.75 if not self.sparse_labels else 0.9)
        if self.values_on_bars:
            series.setLabelsVisible(True)
            series.setLabelsFormat("@value")
            series.setLabelsPosition(
                QAbstractBarSeries.LabelsPosition.LabelsCenter
                if self.stacked
                else QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd
            )
        chart.addSeries(series)
        self.series = series
        chart.legend().setVisible(len(bars.sets) > 1)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)

        categories = self._category_axis([bars.labels[self._place(i)] for i in range(len(bars.labels))])
        value_axis = QValueAxis()
        value_axis.setLabelFormat("%d")
        totals = [sum(v[i] for _n, v in bars.sets) for i in range(len(bars.labels))] or [0]
        top = max(totals) if self.stacked else max((max(v, default=0) for _n, v in bars.sets), default=0)
        value_axis.setRange(0, _nice_top(top))
        value_axis.setTickCount(5)
        if self.horizontal:
            chart.addAxis(categories, Qt.AlignmentFlag.AlignLeft)
            chart.addAxis(value_axis, Qt.AlignmentFlag.AlignBottom)
        else:
            chart.addAxis(categories, Qt.AlignmentFlag.AlignBottom)
            chart.addAxis(value_axis, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(categories)
        series.attachAxis(value_axis)
        categories.setTruncateLabels(False)  # Qt elides every label to "…" once one is too long
        described = "; ".join(
            f"{label} {', '.join(str(v[i]) for _n, v in bars.sets)}" for i, label in enumerate(bars.labels)
        )
        self.setAccessibleDescription(f"{self.title}: {described}")
        self.restyle()

    def _category_axis(self, labels: Sequence[str]) -> QBarCategoryAxis | QCategoryAxis:
        if not self.sparse_labels:
            categories = QBarCategoryAxis()
            categories.append(list(labels))
            return categories
        # A label every few bars: bars sit at 0..n-1 on a value axis labelled where wanted.
        axis = QCategoryAxis()
        axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        count = len(labels)
        axis.setRange(-0.5, max(count, 1) - 0.5)
        step = max(1, -(-count // 10))
        for index in range(0, count, step):
            axis.append(labels[index], index)
        axis.setGridLineVisible(False)
        return axis

    def _place(self, index: int) -> int:
        """Category ``index``'s place in the series, and back: a horizontal chart is drawn from
        the bottom up, so its categories go in reversed to read top down like a table."""
        return len(self.bars.labels) - 1 - index if self.horizontal else index

    def value(self, index: int, set_index: int = 0) -> int:
        """The number drawn for category ``index`` (as :attr:`bars` orders them)."""
        return int(self.sets[set_index].at(self._place(index)))

    def bar_position(self, index: int) -> QPoint:
        """Where category ``index``'s bar is on screen, in the view's viewport (a click there
        chooses it)."""
        series = self.series
        assert series is not None
        total = (
            sum(self.value(index, s) for s in range(len(self.sets))) if self.stacked else self.value(index)
        )
        middle = max(total / 2, 0.5)
        point = (
            QPointF(middle, self._place(index)) if self.horizontal else QPointF(self._place(index), middle)
        )
        scene = self.chart_.mapToScene(self.chart_.mapToPosition(point, series))
        return self.mapFromScene(scene)

    def category_count(self) -> int:
        return len(self.bars.labels)

    def restyle(self) -> None:
        t = style.current()
        chart = self.chart_
        chart.setBackgroundBrush(QColor(t.base))
        # The keyboard's place shows: the chart with focus has an accent frame.
        chart.setBackgroundPen(
            QPen(QColor(t.accent if self.hasFocus() else t.border), 2 if self.hasFocus() else 1)
        )
        chart.setTitleBrush(QColor(t.text))
        font = QFont(self.font())
        font.setBold(True)
        chart.setTitleFont(font)
        chart.legend().setLabelColor(QColor(t.text))
        for axis in chart.axes():
            axis.setLabelsBrush(QColor(t.muted))
            axis.setLinePenColor(QColor(t.border))
            axis.setGridLineColor(QColor(t.border))
        palette = (t.accent, t.warning, t.muted)
        for index, bar_set in enumerate(self.sets):
            colour = QColor(palette[index % len(palette)])
            bar_set.setColor(colour)
            bar_set.setBorderColor(colour)
            bar_set.setSelectedColor(QColor(t.text))
            bar_set.setLabelColor(QColor(t.on_accent) if self.stacked else QColor(t.text))
        self.setBackgroundBrush(QColor(t.window))

    # --- choosing a bar -------------------------------------------------------------------------

    def _clicked(self, index: int) -> None:
        self.choose(index)
        self.open_current()

    def _hovered(self, state: bool, index: int) -> None:
        if not state or not (0 <= index < len(self.bars.labels)):
            QToolTip.hideText()
            return
        parts = [f"{self.bars.labels[index]}"]
        parts += [f"{name}: {values[index]:,}" for name, values in self.bars.sets]
        if self.clickable:
            parts.append(self.tr("Click to list these calls"))
        QToolTip.showText(self.cursor().pos(), "\n".join(parts), self)

    def choose(self, index: int) -> None:
        """Highlight bar ``index`` (the keyboard's cursor among the bars)."""
        if not self.bars.labels:
            return
        self.current = max(0, min(index, len(self.bars.labels) - 1))
        for bar_set in self.sets:
            bar_set.deselectAllBars()
            bar_set.selectBar(self._place(self.current))
        values = ", ".join(f"{name} {v[self.current]:,}" for name, v in self.bars.sets)
        self.setAccessibleDescription(f"{self.title}: {self.bars.labels[self.current]}: {values}")

    def open_current(self) -> None:
        if self.clickable and 0 <= self.current < len(self.bars.keys):
            self.bar_clicked.emit(self.bars.keys[self.current])

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        previous = Qt.Key.Key_Up if self.horizontal else Qt.Key.Key_Left
        following = Qt.Key.Key_Down if self.horizontal else Qt.Key.Key_Right
        if key in (previous, following) and self.bars.labels:
            step = 1 if key == following else -1
            self.choose(0 if self.current < 0 else self.current + step)
            event.accept()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and self.current >= 0:
            self.open_current()
            event.accept()
            return
        super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.restyle()
        area = self.parentWidget()
        while area is not None and not isinstance(area, QScrollArea):
            area = area.parentWidget()
        body = area.widget() if area is not None else None
        if area is not None and body is not None:  # the whole chart into view, not just its corner
            middle = self.mapTo(body, self.rect().center())
            area.ensureVisible(middle.x(), middle.y(), self.width() // 2, self.height() // 2)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        for bar_set in self.sets:
            bar_set.deselectAllBars()
        self.current = -1
        super().focusOutEvent(event)
        self.restyle()


def _nice_top(top: int) -> int:
    """A round end for the value axis a little above ``top``, in four whole steps (0, step, …)."""
    padded = max(top * 1.1, 4)
    magnitude = 1
    while True:
        for base in (1, 2, 3, 4, 5, 6, 8):
            step = base * magnitude
            if 4 * step >= padded:
                return 4 * step
        magnitude *= 10


# --- the totals -----------------------------------------------------------------------------------


class TotalCard(QFrame):
    """One total: the number, what it counts, and the change on the previous period."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statCard")
        self.number = QLabel("–")
        self.number.setObjectName("statNumber")
        font = self.number.font()
        font.setPointSizeF(font.pointSizeF() * 1.9)
        font.setBold(True)
        self.number.setFont(font)
        self.caption = QLabel(title)
        self.caption.setObjectName("muted")
        self.caption.setWordWrap(True)
        self.change = QLabel()
        self.change.setObjectName("muted")
        self.change.setWordWrap(True)
        small = self.change.font()
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.change.setFont(small)
        layout = QVBoxLayout(self)
        em = self.fontMetrics().height()
        layout.setContentsMargins(int(em * 0.8), int(em * 0.5), int(em * 0.8), int(em * 0.5))
        layout.setSpacing(1)
        layout.addWidget(self.number)
        layout.addWidget(self.caption)
        layout.addWidget(self.change)
        layout.addStretch(1)
        self.setAccessibleName(title)

    def set_value(self, value: int, change: str) -> None:
        self.number.setText(f"{value:,}")
        self.change.setText(change)
        self.setAccessibleDescription(f"{value:,}. {change}".strip(". "))

    def restyle(self) -> None:
        t = style.current()
        self.setStyleSheet(
            f"QFrame#statCard {{ background: {t.base}; border: 1px solid {t.border}; border-radius: 4px; }}"
            f"QLabel#statNumber {{ color: {t.text}; }}"
        )


# --- the window -----------------------------------------------------------------------------------


class StatsDashboard(QWidget):
    """A window of its own (View ▸ Statistics). ``figures`` holds what is on show."""

    #: F1 opens this help page (``resources/help/statistics.md``; ``views/help_window``).
    help_topic = "statistics"

    #: The figures for the chosen period are on show.
    loaded = Signal()
    #: Computing the figures failed (the message is on show).
    load_failed = Signal(str)
    #: Open these calls in the call list (a bar was clicked).
    calls_requested = Signal(object)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        tasks: TaskRunner,
        *,
        today: Callable[[], date] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        require(actor, Permission.EXPORT_FIGURES)
        self._db, self._actor, self._tasks = db, actor, tasks
        self._zone = db.zone
        self._today = today or (lambda: _now_date(self._zone))
        self._request = 0
        self.figures: Figures | None = None
        self.setWindowTitle(self.tr("Statistics – Supportline"))
        self.resize(1240, 720)
        self._build()
        self.restyle()
        self.refresh()

    def _build(self) -> None:
        em = self.fontMetrics().height()
        heading = QLabel(self.tr("Statistics"))
        heading.setObjectName("heading")
        self.period_label = QLabel()
        self.period_label.setObjectName("muted")
        self.period = QComboBox()
        for period in Period:
            self.period.addItem(PERIOD_LABELS[period], period)
        self.period.setCurrentIndex(1)
        self.period.setAccessibleName(self.tr("Period"))
        period_label = QLabel(self.tr("&Period"))
        period_label.setBuddy(self.period)
        self.date_from = DateEdit(self.tr("Choose"))
        self.date_from.setAccessibleName(self.tr("First day (local date)"))
        self.date_to = DateEdit(self.tr("Choose"))
        self.date_to.setAccessibleName(self.tr("Last day (local date)"))
        for edit in (self.date_from, self.date_to):
            edit.setMinimumWidth(self.fontMetrics().horizontalAdvance("00 Sep 0000") + 48)
        from_label = QLabel(self.tr("&From"))
        from_label.setBuddy(self.date_from)
        to_label = QLabel(self.tr("&to"))
        to_label.setBuddy(self.date_to)
        to_label.setObjectName("muted")
        self.refresh_button = QPushButton(self.tr("&Refresh"))
        self.refresh_button.setToolTip(self.tr("Count again (F5)"))
        self.status = QLabel()
        self.status.setObjectName("muted")

        top = QHBoxLayout()
        top.setSpacing(8)
        title_column = QVBoxLayout()
        title_column.setSpacing(0)
        title_column.addWidget(heading)
        title_column.addWidget(self.period_label)
        top.addLayout(title_column)
        top.addStretch(1)
        top.addWidget(self.status)
        top.addSpacing(em)
        top.addWidget(period_label)
        top.addWidget(self.period)
        top.addSpacing(4)
        top.addWidget(from_label)
        top.addWidget(self.date_from)
        top.addWidget(to_label)
        top.addWidget(self.date_to)
        top.addWidget(self.refresh_button)

        self.cards: dict[str, TotalCard] = {}
        cards = QHBoxLayout()
        cards.setSpacing(int(em * 0.6))
        for name in figures_module.TOTALS_FIELDS:
            card = TotalCard(figures_module.TOTALS_LABELS.get(name, name))
            self.cards[name] = card
            cards.addWidget(card, 1)

        self.per_day = BarChart(self.tr("Calls per day"), sparse_labels=True, values_on_bars=False)
        self.per_hour = BarChart(self.tr("Calls by hour of the day (local time)"), values_on_bars=False)
        self.by_route = BarChart(self.tr("Calls by advice route"))
        self.by_agency = BarChart(self.tr("Calls by caller agency"), horizontal=True)
        self.by_exploitation = BarChart(
            self.tr("Potential victims by exploitation type"), horizontal=True, stacked=True
        )
        self.outcomes = BarChart(self.tr("Calls by outcome"), horizontal=True)
        tall = em * 26
        for chart in (self.by_agency, self.by_exploitation, self.outcomes):
            chart.setMinimumHeight(tall)
        self.per_day.bar_clicked.connect(self._day_clicked)
        self.per_hour.bar_clicked.connect(lambda hour: self._open(opened_hour=hour))
        self.by_route.bar_clicked.connect(lambda key: self._open(route=key))
        self.by_agency.bar_clicked.connect(lambda key: self._open(agency_type=key))
        self.by_exploitation.bar_clicked.connect(lambda key: self._open(exploitation_type=key))
        self.outcomes.bar_clicked.connect(lambda key: self._open(outcome=key))

        grid = QGridLayout()
        grid.setSpacing(int(em * 0.6))
        grid.addWidget(self.per_day, 0, 0, 1, 2)
        grid.addWidget(self.per_hour, 1, 0)
        grid.addWidget(self.by_route, 1, 1)
        grid.addWidget(self.by_agency, 2, 0)
        grid.addWidget(self.outcomes, 2, 1)
        grid.addWidget(self.by_exploitation, 3, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        hint = QLabel(
            self.tr(
                "Click a bar, or Tab to a chart, choose a bar with the arrow keys and press Enter, "
                "to list those calls. Victims are counted under every exploitation type of their call."
            )
        )
        hint.setObjectName("muted")
        hint.setWordWrap(True)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, int(em * 0.4), 0)
        body_layout.setSpacing(int(em * 0.6))
        body_layout.addLayout(cards)
        body_layout.addLayout(grid)
        body_layout.addWidget(hint)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidget(body)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        # A Tab stop (the arrow keys scroll it): a screen reader names it (issue 11).
        self.scroll_area.setAccessibleName(self.tr("Figures and charts"))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(em, int(em * 0.8), em, int(em * 0.6))
        layout.setSpacing(int(em * 0.6))
        layout.addLayout(top)
        layout.addWidget(self.scroll_area, 1)

        self.refresh_action = QAction(self.tr("Refresh"), self)
        self.refresh_action.setShortcut(QKeySequence("F5"))
        self.refresh_action.triggered.connect(self.refresh)
        self.addAction(self.refresh_action)
        close = QAction(self.tr("Close"), self)
        close.setShortcuts([QKeySequence("Ctrl+W"), QKeySequence("Esc")])
        close.triggered.connect(self.close)
        self.addAction(close)

        self.period.currentIndexChanged.connect(lambda _i: self._period_changed())
        for edit in (self.date_from, self.date_to):
            edit.dateChanged.connect(lambda _d: self._dates_edited())
        self.refresh_button.clicked.connect(self.refresh)
        self._period_changed(load=False)

    def charts(self) -> tuple[BarChart, ...]:
        return (
            self.per_day, self.per_hour, self.by_route, self.by_agency, self.outcomes,
            self.by_exploitation,
        )  # fmt: skip

    # --- the period -----------------------------------------------------------------------------

    def chosen_period(self) -> Period:
        return Period(self.period.currentData())

    def set_period(self, period: Period, first: date | None = None, last: date | None = None) -> None:
        """Choose a preset, or custom days ``first``..``last`` (then the figures are computed)."""
        if period is Period.CUSTOM and first is not None and last is not None:
            for edit, day in ((self.date_from, first), (self.date_to, last)):
                edit.blockSignals(True)
                edit.set_value(day)
                edit.blockSignals(False)
        self.period.blockSignals(True)
        self.period.setCurrentIndex(list(Period).index(period))
        self.period.blockSignals(False)
        self._period_changed()

    def days(self) -> tuple[date, date] | None:
        preset = period_days(self.chosen_period(), self._today())
        if preset is not None:
            return preset
        first, last = self.date_from.value(), self.date_to.value()
        if first is None or last is None:
            return None
        return (first, last) if first <= last else (last, first)

    def query(self) -> CallQuery:
        span = self.days()
        if span is None:
            return CallQuery()
        start, end = local_days_to_utc(span[0], span[1], self._zone)
        return CallQuery(opened_from=start, opened_to=end)

    def _period_changed(self, *, load: bool = True) -> None:
        custom = self.chosen_period() is Period.CUSTOM
        preset = period_days(self.chosen_period(), self._today())
        if preset is not None:
            for edit, day in zip((self.date_from, self.date_to), preset, strict=True):
                edit.blockSignals(True)
                edit.set_value(day)
                edit.blockSignals(False)
        for edit in (self.date_from, self.date_to):
            edit.setEnabled(custom)
            edit.setMaximumDate(QDate(2999, 12, 31))
        if load:
            self.refresh()

    def _dates_edited(self) -> None:
        if self.chosen_period() is Period.CUSTOM:
            self.refresh()

    # --- loading --------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Compute the figures for the period on the runner (a later request supersedes)."""
        span = self.days()
        if span is None:
            self.status.setText(self.tr("Choose the first and last day"))
            return
        self._request += 1
        request = self._request
        self.status.setText(self.tr("Counting…"))
        db, actor, query = self._db, self._actor, self.query()

        def compute() -> Figures:
            return figures_module.figures_for(db, actor, query)  # checked and audited

        self._tasks.run(
            compute,
            on_success=lambda f: self._arrived(request, f),
            on_failure=lambda exc: self._failed(request, exc),
            owner=self,
        )

    def _failed(self, request: int, exc: BaseException) -> None:
        if request == self._request:
            message = self.tr("The figures could not be computed: %s") % exc
            self.status.setText(message)
            self.load_failed.emit(message)

    def _arrived(self, request: int, f: Figures) -> None:
        if request != self._request:
            return
        self.figures = f
        self.status.setText("")
        span = self.days()
        days = (span[1] - span[0]).days + 1 if span else 0
        if span is not None:
            first, last = span
            self.period_label.setText(
                self.tr("%s to %s (%d days, %s)") % (_long_day(first), _long_day(last), days, self._zone.key)
            )
        for name, (now, before, percent) in f.change().items():
            self.cards[name].set_value(now, change_text(now, before, percent, days))

        self.per_day.set_bars(
            Bars(
                tuple(day_label(d) for d, _n in f.calls_per_day),
                tuple(d for d, _n in f.calls_per_day),
                (("Calls", tuple(n for _d, n in f.calls_per_day)),),
            )
        )
        self.per_hour.set_bars(
            Bars(tuple(f"{h:02d}" for h in range(24)), tuple(range(24)), (("Calls", f.calls_per_hour),))
        )
        self.by_route.set_bars(_enum_bars(f.by_route, "Calls"))
        self.by_agency.set_bars(_enum_bars(f.by_agency, "Calls"))
        self.outcomes.set_bars(_enum_bars(f.outcomes, "Calls"))
        rows = f.victims_by_type_age
        self.by_exploitation.set_bars(
            Bars(
                tuple(t.label for t, *_rest in rows),
                tuple(t for t, *_rest in rows),
                (
                    ("Adults", tuple(a for _t, a, _c, _u in rows)),
                    ("Children (or age disputed)", tuple(c for _t, _a, c, _u in rows)),
                    ("Age unknown", tuple(u for _t, _a, _c, u in rows)),
                ),
            )
        )
        self.loaded.emit()

    # --- opening calls --------------------------------------------------------------------------

    def _open(self, **filters: Any) -> None:
        self.calls_requested.emit(replace(self.query(), **filters))

    def _day_clicked(self, day: date) -> None:
        start, end = local_days_to_utc(day, day, self._zone)
        self.calls_requested.emit(CallQuery(opened_from=start, opened_to=end))

    # --- looks ----------------------------------------------------------------------------------

    def restyle(self) -> None:
        for chart in self.charts():
            chart.restyle()
        for card in self.cards.values():
            card.restyle()


def _enum_bars(pairs: Sequence[tuple[Any, int]], name: str) -> Bars:
    return Bars(
        tuple(getattr(m, "label", str(m)) for m, _n in pairs),
        tuple(m for m, _n in pairs),
        ((name, tuple(n for _m, n in pairs)),),
    )


def _long_day(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _now_date(zone: Any) -> date:
    return datetime.now(zone).date()
