"""The filter bar: local days to UTC, and every filter and the search narrowing the real list.

Driven through the Calls tab's own widgets, on SQLite and PostgreSQL. Names and numbers are
invented; phone numbers are from Ofcom's drama range.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QWidget
from pytestqt.qtbot import QtBot

from supportline.db import Database
from supportline.enums import AgencyType, CallStatus, Role, Route, Urgency
from supportline.services import calls
from supportline.services.actor import Actor
from supportline.services.call_types import CallData, Caller, CallQuery, RouteData
from tests.factories import make_admin, make_user
from tests.ui.conftest import sample_call
from ui.models.call_list import CallListModel
from ui.tasks import TaskRunner
from ui.views.calls_tab import CallsTab
from ui.views.filter_bar import DEBOUNCE_MS, FilterBar, local_days_to_utc, select_value

LONDON = ZoneInfo("Europe/London")


def test_local_days_become_utc_bounds_across_clock_changes() -> None:
    # The day the clocks go forward is 23 hours long, the day they go back 25.
    start, end = local_days_to_utc(date(2026, 3, 29), date(2026, 3, 29), LONDON)
    assert (start, end) == (datetime(2026, 3, 29, 0, tzinfo=UTC), datetime(2026, 3, 29, 23, tzinfo=UTC))
    start, end = local_days_to_utc(date(2026, 10, 25), date(2026, 10, 25), LONDON)
    assert start is not None and end is not None and end - start == timedelta(hours=25)
    # Summer: local midnight is 23:00 UTC the evening before.
    assert local_days_to_utc(date(2026, 7, 1), None, LONDON) == (datetime(2026, 6, 30, 23, tzinfo=UTC), None)
    assert local_days_to_utc(None, None, LONDON) == (None, None)
    # Where the clocks jump at midnight, the day starts at its first real instant (01:00 -03).
    start, _ = local_days_to_utc(date(2026, 9, 6), None, ZoneInfo("America/Santiago"))
    assert start == datetime(2026, 9, 6, 4, tzinfo=UTC)


def test_the_bar_builds_its_query_and_clears_it(qtbot: QtBot, sqlite_db: Database, admin: Actor) -> None:
    bar = FilterBar(LONDON, (admin.user_id, admin.display_name))
    qtbot.addWidget(bar)
    assert bar.query() == CallQuery() and not bar.clear_button.isEnabled()
    with qtbot.waitSignal(bar.changed, timeout=1000):
        select_value(bar.urgency, Urgency.CRISIS)
    with qtbot.waitSignal(bar.changed, timeout=1000):
        bar.date_to.set_value(date(2026, 11, 28))
    query = bar.query()
    assert query.urgency == Urgency.CRISIS
    assert query.opened_to == datetime(2026, 11, 29, 0, tzinfo=UTC)
    assert bar.clear_button.isEnabled() and bar.is_filtered()
    generation = bar.generation
    with qtbot.waitSignal(bar.changed, timeout=1000):
        bar.clear_button.click()
    assert bar.query() == CallQuery()
    assert bar.generation == generation + 1  # one announcement for the whole clearing


def test_typing_is_debounced_and_escape_empties_the_box(qtbot: QtBot, admin: Actor) -> None:
    bar = FilterBar(LONDON, (admin.user_id, admin.display_name))
    qtbot.addWidget(bar)
    bar.show()
    announced: list[str] = []
    bar.changed.connect(lambda: announced.append(bar.query().text))
    QTest.keyClicks(bar.search, "Tregarthen")
    assert announced == []  # not one query per key
    qtbot.waitUntil(lambda: announced == ["Tregarthen"], timeout=DEBOUNCE_MS * 8)
    QTest.keyClick(bar.search, Qt.Key.Key_Escape)
    assert bar.search.text() == ""
    assert announced == ["Tregarthen", ""]


# --- the list narrowed, on both dialects ---------------------------------------------------------


def _call(n: int, **changes: object) -> CallData:
    return dataclasses.replace(sample_call(n), **changes)  # type: ignore[arg-type]


@pytest.fixture
def world(db: Database) -> tuple[Database, Actor, Actor, dict[str, str]]:
    """Calls that differ in one way each; returns the admin, an operator and references by name."""
    admin = make_admin(db)
    operator = make_user(db, admin, "owen.operator", Role.OPERATOR)
    made = {
        "apostrophe": _call(
            0,
            caller=Caller(
                name="DS Siobhán O'Connor",
                agency_type=AgencyType.POLICE,
                organisation="Devon and Cornwall Police",
                collar_number="DC 4471",
                phone="07700 900417",
            ),
            force_area="Devon and Cornwall Police",
            urgency=Urgency.CRISIS,
            routes=(RouteData(route=Route.TACTICAL),),
            opened_at=datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # 00:30 GMT, Sunday 29 March
            summary="Nail bar workers sleeping on site",
        ),
        "unicode": _call(
            1,
            caller=Caller(
                name="Zoë Ødegård", agency_type=AgencyType.NGO, organisation="Harbour Lights Refuge"
            ),
            urgency=Urgency.URGENT,
            status=CallStatus.CLOSED,
            opened_at=datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # Saturday 28 March locally
            closed_at=datetime(2026, 3, 29, 0, 10, tzinfo=UTC),
            routes=(RouteData(route=Route.LEGAL),),
            summary="Ngũgĩ's passport held by the employer",
        ),
        "summer": _call(
            2,
            caller=Caller(
                name="PC Gethin Morcambe", agency_type=AgencyType.POLICE, organisation="Dyfed-Powys Police"
            ),
            force_area="Dyfed-Powys Police",
            urgency=Urgency.ROUTINE,
            opened_at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC),  # 00:30 BST on Wednesday 1 July
            routes=(RouteData(route=Route.IMMIGRATION),),
            summary="Farm labour, caravans on site",
        ),
    }
    references = {name: calls.save_call(db, admin, data).reference for name, data in made.items()}
    references["operator's"] = calls.save_call(
        db, operator, _call(3, opened_at=datetime(2026, 5, 1, 12, tzinfo=UTC), urgency=Urgency.INFORMATION)
    ).reference
    return db, admin, operator, references


@pytest.fixture
def calls_tab(
    qtbot: QtBot, world: tuple[Database, Actor, Actor, dict[str, str]], tasks: TaskRunner
) -> tuple[CallsTab, dict[str, str], Actor]:
    db, admin, operator, references = world
    tab = CallsTab(db, admin, tasks, model=CallListModel(db, admin, tasks))
    qtbot.addWidget(tab)
    tab.resize(1300, 700)
    tab.show()
    with qtbot.waitSignal(tab.model.loaded, timeout=10_000):
        tab.start()
    qtbot.waitUntil(lambda: tab.filters.handler.count() == 3, timeout=10_000)  # Any, Me, the operator
    return tab, references, operator


def type_text(widget: QWidget, text: str) -> None:
    """Type like a keyboard would; QTest.keyClicks only knows ASCII, so the rest go as key events
    carrying their text (as from an input method or a national keyboard)."""
    for char in text:
        if char.isascii():
            QTest.keyClick(widget, char)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(
                widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char)
            )


def _shown(tab: CallsTab) -> set[str]:
    return {tab.model.index(r, 0).data() for r in range(tab.model.rowCount())}


def _change(qtbot: QtBot, tab: CallsTab, act: Callable[[], None]) -> set[str]:
    with qtbot.waitSignal(tab.model.loaded, timeout=10_000):
        act()
    return _shown(tab)


def test_each_filter_narrows_the_list(
    qtbot: QtBot, calls_tab: tuple[CallsTab, dict[str, str], Actor]
) -> None:
    tab, ref, operator = calls_tab
    bar = tab.filters
    everything = set(ref.values())
    assert _shown(tab) == everything

    def pick(combo: QComboBox, value: object) -> Callable[[], None]:
        return lambda: select_value(combo, value)

    def one_day() -> None:
        bar.date_from.set_value(date(2026, 3, 29))
        bar.date_to.set_value(date(2026, 3, 29))

    checks: list[tuple[Callable[[], None], set[str]]] = [
        (pick(bar.status, CallStatus.CLOSED), {ref["unicode"]}),
        (pick(bar.urgency, Urgency.CRISIS), {ref["apostrophe"]}),
        (pick(bar.route, Route.IMMIGRATION), {ref["summer"]}),
        (pick(bar.agency, AgencyType.NGO), {ref["unicode"]}),
        (pick(bar.handler, operator.user_id), {ref["operator's"]}),
        (lambda: bar.date_from.set_value(date(2026, 3, 29)), everything - {ref["unicode"]}),
        # Sunday 29 March in London: 00:30 GMT is in, Saturday 23:30 GMT is not.
        (one_day, {ref["apostrophe"]}),
        # 30 June 23:30 UTC is 1 July 00:30 BST.
        (lambda: bar.date_from.set_value(date(2026, 7, 1)), {ref["summer"]}),
    ]
    for act, expected in checks:
        qtbot.waitUntil(lambda: not tab.model.loading, timeout=10_000)
        act()
        qtbot.waitUntil(lambda: not tab.model.loading, timeout=10_000)
        assert _shown(tab) == expected
        with qtbot.waitSignal(tab.model.loaded, timeout=10_000):
            bar.clear()
        assert _shown(tab) == everything

    bar.force.setText("Dyfed-Powys Police")
    assert _change(qtbot, tab, lambda: bar.force.editingFinished.emit()) == {ref["summer"]}
    assert tab.count_label.text() == "1 matching call"
    assert _change(qtbot, tab, bar.clear) == everything
    assert tab.count_label.text() == "Calls · 4 in total"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("O'Connor", "apostrophe"),
        ("siobhán", "apostrophe"),
        ("ødegård", "unicode"),
        ("Ngũgĩ", "unicode"),
        ("DC 4471", "apostrophe"),
        ("caravans", "summer"),
    ],
)
def test_search_as_you_type_with_unicode_and_apostrophes(
    qtbot: QtBot, calls_tab: tuple[CallsTab, dict[str, str], Actor], typed: str, expected: str
) -> None:
    tab, ref, _operator = calls_tab
    tab.focus_search()
    with qtbot.waitSignal(tab.model.loaded, timeout=10_000):
        type_text(tab.filters.search, typed)
    assert _shown(tab) == {ref[expected]}
    with qtbot.waitSignal(tab.model.loaded, timeout=10_000):
        QTest.keyClick(tab.filters.search, Qt.Key.Key_Escape)
    assert len(_shown(tab)) == 4


def test_no_match_says_so(qtbot: QtBot, calls_tab: tuple[CallsTab, dict[str, str], Actor]) -> None:
    tab, _ref, _operator = calls_tab
    with qtbot.waitSignal(tab.model.loaded, timeout=10_000):
        QTest.keyClicks(tab.filters.search, "Quixotic Zebra")
    assert tab.model.is_empty
    assert tab.list_pages.currentWidget() is tab.empty_state
    assert tab.empty_title.text() == "No calls match"
