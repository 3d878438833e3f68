"""The statistics dashboard: the numbers for a seeded database, the period, the theme, and a click
on a bar opening the matching calls in the call list.

On SQLite and PostgreSQL. The expected numbers are counted by hand from the calls seeded here
(not by the figures module). Every name and number is invented; phone numbers are from Ofcom's
drama range.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from supportline.bootstrap import Environment, load_environment
from supportline.db import Database
from supportline.enums import (
    AgeGroup,
    AgencyType,
    ExploitationType,
    Outcome,
    Role,
    Route,
    Sex,
    Urgency,
)
from supportline.services import calls
from supportline.services.actor import Actor
from supportline.services.call_types import CallData, Caller, CallQuery, FollowUpData, PersonData, RouteData
from supportline.services.errors import PermissionDeniedError
from tests.factories import make_admin, make_user
from ui import style
from ui.main_window import MainWindow, QuitChoice
from ui.tasks import TaskRunner
from ui.views.filter_bar import local_days_to_utc
from ui.views.stats_dashboard import BarChart, Period, StatsDashboard, change_text, period_days

TODAY = date(2026, 11, 28)  # the last 7 days: Sunday 22 to Saturday 28 November (GMT)
WEEK = (date(2026, 11, 22), date(2026, 11, 28))
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)  # GMT in November: UTC is local


def caller(name: str, agency: AgencyType) -> Caller:
    return Caller(name=name, agency_type=agency, organisation="Wessex Constabulary", phone="07700 900123")


def call(opened: datetime, agency: AgencyType, routes: tuple[Route, ...], **changes: Any) -> CallData:
    data = CallData(
        caller=caller("DC Priya Hallam" if agency is AgencyType.POLICE else "Imogen Saltire", agency),
        opened_at=opened,
        urgency=Urgency.ROUTINE,
        summary="Workers housed above a hand car wash",
        routes=tuple(RouteData(route=r) for r in routes),
    )
    return dataclasses.replace(data, **changes)


@dataclasses.dataclass
class World:
    db: Database
    admin: Actor
    supervisor: Actor
    operator: Actor
    refs: dict[str, str]


@pytest.fixture
def world(db: Database) -> World:
    """Four calls in the week (A and D in one case), two the week before, one the day after."""
    admin = make_admin(db)
    supervisor = make_user(db, admin, "sam.supervisor", Role.SUPERVISOR)
    operator = make_user(db, admin, "owen.operator", Role.OPERATOR)
    police, ngo, childrens = AgencyType.POLICE, AgencyType.NGO, AgencyType.CHILDRENS_SERVICES
    a = calls.save_call(
        db,
        admin,
        call(
            at(23, 9, 15), police, (Route.TACTICAL,),
            exploitation_types=frozenset({ExploitationType.LABOUR}),
            outcomes=frozenset({Outcome.NRM_MADE}),
            persons=(
                PersonData(age_group=AgeGroup.ADULT, sex=Sex.MALE, nationalities=("AL",)),
                PersonData(age_group=AgeGroup.CHILD, sex=Sex.FEMALE, nationalities=("AL",)),
            ),
        ),
    )  # fmt: skip
    made = {
        "B": call(
            at(23, 14, 40), ngo, (Route.VICTIM, Route.LEGAL),
            exploitation_types=frozenset({ExploitationType.SEXUAL, ExploitationType.CRIMINAL}),
            outcomes=frozenset({Outcome.DTN_ADVISED}),
            persons=(PersonData(age_group=AgeGroup.ADULT, age_disputed=True, sex=Sex.FEMALE),),  # a child
        ),
        "C": call(at(25, 9, 5), police, (Route.VICTIM,), outcomes=frozenset({Outcome.NOT_MODERN_SLAVERY})),
        "D": call(
            at(28, 23, 30), childrens, (Route.IMMIGRATION,), case_id=a.data.case_id,
            exploitation_types=frozenset({ExploitationType.LABOUR}),
            outcomes=frozenset({Outcome.NRM_MADE, Outcome.FOLLOW_UP_BOOKED}),
            follow_ups=(FollowUpData(due_at=at(29, 9, 0), note="Chase the NRM decision"),),  # booked with it
            persons=(PersonData(),),  # age unknown
        ),
        "E (the week before)": call(at(21, 23, 59), police, (Route.TACTICAL,)),
        "G (the week before)": call(at(16, 10), police, (Route.VICTIM,)),
        "F (the day after)": call(datetime(2026, 11, 29, 0, 10, tzinfo=UTC), police, (Route.VICTIM,)),
    }  # fmt: skip
    refs = {"A": a.reference}
    refs.update({name: calls.save_call(db, admin, data).reference for name, data in made.items()})
    return World(db, admin, supervisor, operator, refs)


@pytest.fixture
def dashboard(qtbot: QtBot, world: World, tasks: TaskRunner) -> StatsDashboard:
    board = StatsDashboard(world.db, world.supervisor, tasks, today=lambda: TODAY)
    qtbot.addWidget(board)
    board.resize(1366, 740)
    board.show()
    qtbot.waitUntil(lambda: board.figures is not None, timeout=20_000)
    return board


def values(chart: BarChart, set_index: int = 0) -> list[int]:
    return [chart.value(i, set_index) for i in range(chart.category_count())]


def by_key(chart: BarChart, set_index: int = 0) -> dict[Any, int]:
    return {key: v for key, v in zip(chart.bars.keys, values(chart, set_index), strict=True) if v}


# --- the numbers -----------------------------------------------------------------------------------


def test_the_dashboard_shows_the_numbers_of_the_seeded_calls(qtbot: QtBot, dashboard: StatsDashboard) -> None:
    assert dashboard.chosen_period() is Period.LAST_30
    with qtbot.waitSignal(dashboard.loaded, timeout=20_000):
        dashboard.set_period(Period.LAST_7)
    cards = {name: card.number.text() for name, card in dashboard.cards.items()}
    assert cards == {
        "calls": "4",
        "cases": "3",  # A and D share a case
        "potential_victims": "4",
        "nrm_referrals": "2",
        "dtn_reports": "1",
        "not_modern_slavery": "1",
    }
    assert dashboard.cards["calls"].change.text() == "▲ 100% on the previous 7 days (2)"
    assert dashboard.period_label.text() == "22 Nov 2026 to 28 Nov 2026 (7 days, Europe/London)"

    assert dashboard.per_day.bars.keys == tuple(date(2026, 11, d) for d in range(22, 29))
    assert values(dashboard.per_day) == [0, 2, 0, 1, 0, 0, 1]  # D at 23:30 GMT is still the 28th
    hours = values(dashboard.per_hour)
    assert len(hours) == 24 and hours[9] == 2 and hours[14] == 1 and hours[23] == 1 and sum(hours) == 4
    assert by_key(dashboard.by_route) == {
        Route.TACTICAL: 1,
        Route.IMMIGRATION: 1,
        Route.VICTIM: 2,
        Route.LEGAL: 1,
    }
    assert dashboard.by_route.bars.labels == ("Tactical", "Immigration", "Victim", "Legal")
    assert by_key(dashboard.by_agency) == {
        AgencyType.POLICE: 2,
        AgencyType.NGO: 1,
        AgencyType.CHILDRENS_SERVICES: 1,
    }
    assert dashboard.by_agency.category_count() == len(AgencyType)  # zeros are shown too
    assert by_key(dashboard.outcomes) == {
        Outcome.NRM_MADE: 2,
        Outcome.DTN_ADVISED: 1,
        Outcome.NOT_MODERN_SLAVERY: 1,
        Outcome.FOLLOW_UP_BOOKED: 1,
    }
    adults, children, unknown = (by_key(dashboard.by_exploitation, s) for s in range(3))
    assert adults == {ExploitationType.LABOUR: 1}
    assert children == {ExploitationType.LABOUR: 1, ExploitationType.SEXUAL: 1, ExploitationType.CRIMINAL: 1}
    assert unknown == {ExploitationType.LABOUR: 1}
    # A horizontal chart reads top down in the enum's order, like the tables in the report.
    assert dashboard.by_agency.bars.labels[0] == AgencyType.POLICE.label
    assert dashboard.by_agency.sets[0].at(len(AgencyType) - 1) == 2  # drawn bottom up
    assert "Victim 2" in dashboard.by_route.accessibleDescription()


def test_periods_and_the_change_in_words(qtbot: QtBot, dashboard: StatsDashboard) -> None:
    assert period_days(Period.LAST_7, TODAY) == WEEK
    assert period_days(Period.LAST_30, TODAY) == (date(2026, 10, 30), TODAY)
    assert period_days(Period.QUARTER, TODAY) == (date(2026, 10, 1), TODAY)
    assert period_days(Period.QUARTER, date(2026, 3, 31)) == (date(2026, 1, 1), date(2026, 3, 31))
    assert period_days(Period.CUSTOM, TODAY) is None
    assert change_text(4, 2, 100.0, 7) == "▲ 100% on the previous 7 days (2)"
    assert change_text(3, 4, -25.0, 30) == "▼ 25% on the previous 30 days (4)"
    assert change_text(2, 0, None, 7) == "none in the previous 7 days"
    assert change_text(5, 5, 0.0, 1) == "same as the day before (5)"
    assert change_text(5, None, None, 7) == ""

    # Custom days: the dates are editable only then; Monday 23rd alone holds A and B.
    assert not dashboard.date_from.isEnabled()
    with qtbot.waitSignal(dashboard.loaded, timeout=20_000):
        dashboard.set_period(Period.CUSTOM, date(2026, 11, 23), date(2026, 11, 23))
    assert dashboard.date_from.isEnabled() and dashboard.date_to.isEnabled()
    assert dashboard.cards["calls"].number.text() == "2"
    assert dashboard.cards["calls"].change.text() == "none in the day before"  # Sunday 22nd: none
    assert values(dashboard.per_day) == [2]
    with qtbot.waitSignal(dashboard.loaded, timeout=20_000):
        dashboard.date_to.set_value(date(2026, 11, 29))  # now F, just after midnight, is in too
    assert dashboard.cards["calls"].number.text() == "5"
    with qtbot.waitSignal(dashboard.loaded, timeout=20_000):
        dashboard.period.setCurrentIndex(dashboard.period.findData(Period.QUARTER))
    assert not dashboard.date_from.isEnabled()
    assert dashboard.date_from.value() == date(2026, 10, 1)
    assert dashboard.cards["calls"].number.text() == "6"  # all but F, the day after "today"


def test_the_charts_follow_the_theme(qtbot: QtBot, dashboard: StatsDashboard) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        style.apply(app, style.DARK)
        dashboard.restyle()
        chart = dashboard.by_route
        assert chart.chart_.backgroundBrush().color() == QColor(style.DARK_THEME.base)
        assert chart.sets[0].color() == QColor(style.DARK_THEME.accent)
        style.apply(app, style.LIGHT)
        dashboard.restyle()
        assert chart.chart_.backgroundBrush().color() == QColor(style.LIGHT_THEME.base)
    finally:
        style.apply(app, style.LIGHT)


def test_only_those_who_may_export_figures_open_it(world: World, tasks: TaskRunner) -> None:
    with pytest.raises(PermissionDeniedError):
        StatsDashboard(world.db, world.operator, tasks)


# --- a bar opens its calls -------------------------------------------------------------------------


@pytest.fixture
def window(
    qtbot: QtBot, world: World, tasks: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    env: Environment = load_environment()
    main = MainWindow(env, world.db, world.supervisor, tasks=tasks)
    qtbot.addWidget(main)
    main.resize(1366, 768)
    main.show()
    qtbot.waitUntil(lambda: main.model.loaded_once, timeout=10_000)
    yield main
    monkeypatch.setattr(MainWindow, "ask_quit", lambda self, count: QuitChoice.KEEP_DRAFTS)
    main.close()


def listed(window: MainWindow) -> set[str]:
    model = window.model
    return {model.index(r, 0).data() for r in range(model.rowCount())}


def test_a_bar_click_lists_the_matching_calls(qtbot: QtBot, world: World, window: MainWindow) -> None:
    QTest.keyClick(
        window, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    board = window.stats_window
    assert board is not None and board.isVisible()
    board.resize(1366, 740)
    qtbot.waitUntil(lambda: board.figures is not None, timeout=20_000)
    with qtbot.waitSignal(board.loaded, timeout=20_000):
        board.set_period(Period.CUSTOM, *WEEK)
    start, end = local_days_to_utc(*WEEK, world.db.zone)
    refs = world.refs

    def click(chart: BarChart, key: object) -> None:
        index = chart.bars.keys.index(key)

        def on_screen() -> bool:
            body = board.scroll_area.widget()
            assert body is not None
            spot = chart.viewport().mapTo(body, chart.bar_position(index))
            board.scroll_area.ensureVisible(spot.x(), spot.y(), 20, 20)
            return chart.viewport().visibleRegion().contains(chart.bar_position(index))

        qtbot.waitUntil(on_screen, timeout=5000)
        with qtbot.waitSignal(window.model.loaded, timeout=10_000):
            QTest.mouseClick(chart.viewport(), Qt.MouseButton.LeftButton, pos=chart.bar_position(index))

    click(board.by_route, Route.VICTIM)
    assert window.tabs.currentWidget() is window.calls_tab
    bar = window.calls_tab.filters
    assert bar.query() == CallQuery(opened_from=start, opened_to=end, route=Route.VICTIM)
    assert (bar.date_from.value(), bar.date_to.value()) == WEEK
    assert listed(window) == {refs["B"], refs["C"]}  # not G, the week before

    click(board.by_exploitation, ExploitationType.LABOUR)
    assert bar.query() == CallQuery(
        opened_from=start, opened_to=end, exploitation_type=ExploitationType.LABOUR
    )
    assert bar.exploitation.currentData() == ExploitationType.LABOUR and bar.route.currentIndex() == 0
    assert listed(window) == {refs["A"], refs["D"]}

    click(board.outcomes, Outcome.NOT_MODERN_SLAVERY)
    assert bar.query().outcome == Outcome.NOT_MODERN_SLAVERY
    assert listed(window) == {refs["C"]}

    click(board.per_day, date(2026, 11, 23))
    day_start, day_end = local_days_to_utc(date(2026, 11, 23), date(2026, 11, 23), world.db.zone)
    assert bar.query() == CallQuery(opened_from=day_start, opened_to=day_end)
    assert listed(window) == {refs["A"], refs["B"]}

    # The keyboard: Tab to the agency chart, Down to the first bar (Police), Enter.
    board.activateWindow()  # the list's window came forward with each click
    qtbot.waitUntil(board.isActiveWindow, timeout=5000)
    board.by_agency.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(board.by_agency.hasFocus, timeout=5000)
    assert board.by_agency.chart_.backgroundPen().color() == QColor(style.current().accent)  # focus shows
    QTest.keyClick(board.by_agency, Qt.Key.Key_Down)
    assert board.by_agency.current == 0 and board.by_agency.sets[0].isBarSelected(len(AgencyType) - 1)
    assert "Police: Calls 2" in board.by_agency.accessibleDescription()
    with qtbot.waitSignal(window.model.loaded, timeout=10_000):
        QTest.keyClick(board.by_agency, Qt.Key.Key_Return)
    assert bar.query() == CallQuery(opened_from=start, opened_to=end, agency_type=AgencyType.POLICE)
    assert listed(window) == {refs["A"], refs["C"]}

    # An hour of the day: the period's calls opened in that local hour, whatever the day.
    click(board.per_hour, 9)
    assert bar.query() == CallQuery(opened_from=start, opened_to=end, opened_hour=9)
    assert bar.hour.currentData() == 9 and bar.hour.currentText() == "09:00–09:59"
    assert listed(window) == {refs["A"], refs["C"]}


def test_the_window_offers_no_statistics_to_operators(
    qtbot: QtBot, world: World, tasks: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    main = MainWindow(load_environment(), world.db, world.operator, tasks=tasks)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitUntil(lambda: main.model.loaded_once, timeout=10_000)
    QTest.keyClick(
        main, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert main.stats_window is None and main.stats_action is None
    monkeypatch.setattr(MainWindow, "ask_quit", lambda self, count: QuitChoice.KEEP_DRAFTS)
    main.close()
