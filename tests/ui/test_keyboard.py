"""Issue 11's faults in the operator workspace, each driven in the real main window by keyboard
alone, widgets found by the name a screen reader hears. Every name and number is invented; the
phone numbers are from Ofcom's drama range."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QWidget
from pytestqt.qtbot import QtBot

from supportline.db import Database
from supportline.enums import AgeGroup, AgencyType, Route
from supportline.services import calls
from supportline.services.actor import Actor
from supportline.services.call_types import CallData, Caller, CallRecord
from tests.ui.conftest import MakeWindow
from tests.ui.keyboard_helpers import (
    ALT,
    CTRL,
    SHIFT,
    Key,
    clashes,
    mnemonics,
    named,
    press,
    spoken_name,
    type_text,
    visible_fraction,
    walk_tab,
    wrapped_lines,
)
from ui.main_window import MainWindow, QuitChoice
from ui.views.call_form import CallForm

TIMEOUT = 15_000


@pytest.fixture(autouse=True)
def _never_ask_on_close(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest-qt closes the windows before the fixtures' own clean-up: unsaved forms must not ask."""
    monkeypatch.setattr(MainWindow, "ask_quit", lambda self, count: QuitChoice.DISCARD)


def new_call(qtbot: QtBot, window: MainWindow) -> CallForm:
    press(Key.Key_N, CTRL)
    form = window.current_form()
    assert form is not None
    qtbot.waitUntil(lambda: QApplication.focusWidget() is named(form, "Officer name"), timeout=TIMEOUT)
    return form


def choose_route(qtbot: QtBot, form: CallForm, route: Route) -> None:
    """Alt+I to the routes, Tab to ``route``, Space; its guidance pane appears."""
    press(Key.Key_I, ALT)
    box = form.advice.routes.boxes[route]
    for _ in range(len(Route)):
        if QApplication.focusWidget() is box:
            break
        press(Key.Key_Tab)
    assert QApplication.focusWidget() is box
    press(Key.Key_Space)
    qtbot.waitUntil(lambda: route in form.panes and bool(form.panes[route].rows), timeout=TIMEOUT)


def settle() -> None:
    """Long enough for a button's animated click (100 ms) to land, had a key started one."""
    QTest.qWait(250)


# --- 1. Tab loop once a route is chosen ---------------------------------------------------------


def test_tab_from_save_goes_on_round_the_whole_window_once_a_route_is_chosen(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    window = make_window(sqlite_db, admin)
    form = new_call(qtbot, window)
    choose_route(qtbot, form, Route.TACTICAL)
    stops, closed = walk_tab(named(form, "Save"))
    names = [spoken_name(w) for w in stops]
    assert closed, f"Tab loops: {names[:6]} … never back to Save"
    for name in (
        "Open calls",
        "Call started",
        "Officer name",
        "Guidance for the chosen routes",
        "Guidance text",
    ):
        assert name in names, name
    assert names.index("Open calls") < names.index("Call started") < names.index("Officer name")


# --- 2. A mnemonic moves the focus and never changes a value ------------------------------------


def test_group_mnemonics_move_the_focus_and_tick_nothing(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    window = make_window(sqlite_db, admin)
    form = new_call(qtbot, window)
    for key, first in (
        (Key.Key_X, "Sexual"),
        (Key.Key_O, "Advice given only"),
        (Key.Key_P, "Book a follow-up"),
    ):
        press(key, ALT)
        settle()
        box = named(form, first)
        assert QApplication.focusWidget() is box, first
        assert not box.isChecked(), f"Alt+{chr(key.value)} ticked {first!r}"  # type: ignore[attr-defined]
    press(Key.Key_D, ALT)  # A&dd a potential victim: to the button, nobody added
    settle()
    assert QApplication.focusWidget() is named(form, "Add a potential victim")
    assert form.case.persons.rows == []
    choose_route(qtbot, form, Route.TACTICAL)
    press(Key.Key_Y, ALT)  # anywhere else first
    press(Key.Key_I, ALT)
    settle()
    assert QApplication.focusWidget() is form.advice.routes.boxes[Route.TACTICAL]
    assert form.advice.routes.values() == {Route.TACTICAL}  # still chosen
    assert form.guidance_section.isVisible() and form.panes[Route.TACTICAL].isVisible()


# --- 3. Each letter once ----------------------------------------------------------------------


def test_no_letter_is_claimed_twice_in_the_call_form_window(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    window = make_window(sqlite_db, admin)
    form = new_call(qtbot, window)
    press(Key.Key_D, ALT)
    press(Key.Key_Space)  # a potential victim, and a referral, so their buttons show
    qtbot.waitUntil(lambda: len(form.case.persons.rows) == 1)
    choose_route(qtbot, form, Route.VICTIM)
    assert clashes(window) == {}
    letters = mnemonics(window)
    # The letters issue 11 found claimed twice, each now once.
    for letter in "acfhs":
        assert len(letters.get(letter, [])) <= 1, (letter, letters.get(letter))


# --- 4. The focused widget and its label on screen ---------------------------------------------


def _label_for(form: CallForm, widget: QWidget) -> QLabel:
    label = form.label_for(widget)
    assert label is not None, spoken_name(widget)
    return label


def test_the_focused_widget_and_its_label_are_scrolled_into_view(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    window = make_window(sqlite_db, admin)
    form = new_call(qtbot, window)
    choose_route(qtbot, form, Route.TACTICAL)
    text = named(form, "Guidance text")
    for _ in range(80):
        if QApplication.focusWidget() is text:
            break
        press(Key.Key_Tab)
    assert QApplication.focusWidget() is text
    QApplication.processEvents()
    assert visible_fraction(text) > 0.9, f"{visible_fraction(text):.0%} of Guidance text in view"
    # Back up the form with Shift+Tab: each field arrives with its label in view.
    name = named(form, "Officer name")
    for _ in range(200):
        if QApplication.focusWidget() is name:
            break
        press(Key.Key_Tab, SHIFT)
        widget = QApplication.focusWidget()
        assert widget is not None
        QApplication.processEvents()
        assert visible_fraction(widget) > 0.9, spoken_name(widget)
    assert QApplication.focusWidget() is name
    assert visible_fraction(_label_for(form, name)) == 1.0


# --- 5. Said, not only shown ------------------------------------------------------------------


def test_hints_errors_the_call_tabs_and_route_suggestions_are_announced(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    window = make_window(sqlite_db, admin)
    form = new_call(qtbot, window)
    assert spoken_name(window.tabs.tabBar()) == "Open calls"
    press(Key.Key_B, ALT)
    phone = named(form, "Callback number")
    assert QApplication.focusWidget() is phone
    type_text("07700 900123")
    assert phone.accessibleDescription() == "Saved as +447700900123"
    for _ in range(8):
        press(Key.Key_Backspace)  # "0770": not a number yet
    press(Key.Key_Tab)
    hint = form.caller.phone_hint
    assert hint.objectName() == "error" and hint.text()
    assert phone.accessibleDescription() == hint.text()
    # A refused save: each message is said with its field.
    with qtbot.waitSignal(form.save_failed, timeout=TIMEOUT):
        press(Key.Key_S, CTRL)
    name = named(form, "Officer name")
    assert "Required" in name.accessibleDescription()
    assert form.error_text("caller.name") in name.accessibleDescription()
    # A suggested route says so in its name, and why in its description.
    qtbot.waitUntil(lambda: bool(form.suggestions()), timeout=TIMEOUT)
    victim = form.advice.routes.boxes[Route.VICTIM]
    assert spoken_name(victim) == "Victim, suggested"
    assert victim.accessibleDescription().startswith("Suggested: ")
    assert spoken_name(form.advice.routes.boxes[Route.TACTICAL]) == "Tactical"


# --- 6. A potential victim's age --------------------------------------------------------------


def _caller(qtbot: QtBot, form: CallForm) -> None:
    type_text("DC Priya Hallam")
    press(Key.Key_G, ALT)
    type_text("P")


def _saved(qtbot: QtBot, form: CallForm) -> CallRecord:
    with qtbot.waitSignal(form.saved, timeout=TIMEOUT) as blocker:
        press(Key.Key_S, CTRL)
    record: CallRecord = blocker.args[0]
    return record


def test_an_age_typed_beside_the_age_group_is_kept_and_makes_a_child(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    window = make_window(sqlite_db, admin)
    form = new_call(qtbot, window)
    _caller(qtbot, form)
    press(Key.Key_D, ALT)
    press(Key.Key_Space)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is named(form, "Person 1: Age group"))
    press(Key.Key_Tab)
    age = named(form, "Person 1: Age or date of birth")
    assert QApplication.focusWidget() is age
    type_text("15")
    press(Key.Key_Tab)  # leaving the field: under 18 makes the age group child
    group = named(form, "Person 1: Age group")
    assert isinstance(group, QComboBox) and group.currentText() == "Child"
    assert "counted as a child" in age.accessibleDescription()
    press(Key.Key_D, ALT)
    press(Key.Key_Space)
    press(Key.Key_Tab)
    type_text("15/03/1990")  # a date of birth: an adult now, the group left as it is
    record = _saved(qtbot, form)
    first, second = calls.get_call(sqlite_db, admin, record.id).data.persons
    assert (first.age_group, first.age_years, first.date_of_birth) == (AgeGroup.CHILD, 15, None)
    assert (second.age_group, second.age_years) == (AgeGroup.UNKNOWN, None)
    assert second.date_of_birth is not None and second.date_of_birth.year == 1990
    assert "15" not in first.name and "15" not in first.notes  # not in the description any more


def test_an_age_that_cannot_be_read_is_named_and_nothing_is_lost(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    window = make_window(sqlite_db, admin)
    form = new_call(qtbot, window)
    _caller(qtbot, form)
    press(Key.Key_D, ALT)
    press(Key.Key_Space)
    press(Key.Key_Tab)
    type_text("fifteen")
    with qtbot.waitSignal(form.save_failed, timeout=TIMEOUT) as blocker:
        press(Key.Key_S, CTRL)
    assert "1 field needs attention" in blocker.args[0]
    age = named(form, "Person 1: Age or date of birth")
    assert QApplication.focusWidget() is age
    assert "age in years (e.g. 15) or a date of birth" in form.error_text("persons[0].age_years")
    assert age.text() == "fifteen"  # kept
    assert form.record() is None  # not saved


# --- 7. Small visual faults -------------------------------------------------------------------


def test_small_faults_star_gap_trailing_comma_and_suggestion_lines(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    window = make_window(sqlite_db, admin)
    form = new_call(qtbot, window)
    # The nationalities field keeps no trailing comma once left.
    press(Key.Key_D, ALT)
    press(Key.Key_Space)
    nationalities = named(form, "Person 1: Nationalities")
    for _ in range(8):
        if QApplication.focusWidget() is nationalities:
            break
        press(Key.Key_Tab)
    type_text("viet")
    press(Key.Key_Return)
    press(Key.Key_Tab)
    assert nationalities.text() == "Vietnam"  # type: ignore[attr-defined]
    # The suggestions fit in a line or two of their narrow columns.
    qtbot.waitUntil(lambda: bool(form.suggestions()), timeout=TIMEOUT)
    line = form.fontMetrics().lineSpacing()
    for route, label in form.advice.suggestion_labels.items():
        if label.isVisible():
            assert label.height() <= 2 * line + 4, (route, label.text())
    # A required item's "*" stays on its last word's line.
    choose_route(qtbot, form, Route.VICTIM)
    pane = form.panes[Route.VICTIM]
    for row in pane.rows:
        if row.item.required:
            assert row.label.text().endswith("\u00a0*"), row.item.text
            lines = wrapped_lines(row.label)
            assert lines[-1].strip() != "*" and len(lines[-1].split()) >= 1, lines
    # Closed, the route's state sits under the adviser's name, not far below it.
    press(Key.Key_F6)
    while pane.missing_items():
        press(Key.Key_Space)
        press(Key.Key_F6)
    named(pane, "Close route").setFocus()
    press(Key.Key_Space)
    assert pane.missing.text().startswith("Route closed at")
    QApplication.processEvents()
    gap = (
        pane.missing.mapTo(pane, pane.missing.rect().topLeft()).y()
        - pane.adviser.mapTo(pane, pane.adviser.rect().bottomLeft()).y()
    )
    assert gap <= form.fontMetrics().height() * 2, gap


# --- Fewer keys: a repeat caller --------------------------------------------------------------


def test_one_key_fills_a_repeat_caller_and_one_links_the_case(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    earlier = calls.save_call(
        sqlite_db,
        admin,
        CallData(
            caller=Caller(
                name="DS Morwenna Tregarthen", agency_type=AgencyType.POLICE, rank="Detective Sergeant",
                organisation="Devon and Cornwall Police", collar_number="DC 4471", phone="+447700900417",
                email="m.tregarthen@example.org",
            ),
            opened_at=datetime.now(UTC) - timedelta(days=2),
        ),
    )  # fmt: skip
    window = make_window(sqlite_db, admin)
    form = new_call(qtbot, window)
    press(Key.Key_L, ALT)
    with qtbot.waitSignal(form.earlier.results_shown, timeout=TIMEOUT, check_params_cb=lambda n: n == 1):
        type_text("DC 4471")
    press(Key.Key_R, CTRL)
    qtbot.waitUntil(lambda: form.caller.email.text() == "m.tregarthen@example.org", timeout=TIMEOUT)
    press(Key.Key_K, CTRL)
    assert form.caller.collar.text() == "DC 4471"  # Ctrl+R and Ctrl+K typed nothing
    record = _saved(qtbot, form)
    assert record.data.caller == earlier.data.caller
    assert record.data.case_id == earlier.data.case_id


def test_choosing_a_force_fills_the_agency(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    window = make_window(sqlite_db, admin)
    form = new_call(qtbot, window)
    type_text("PC Gethin Morcambe")
    press(Key.Key_R, ALT)  # Organisation / fo&rce
    type_text("dyfed")
    press(Key.Key_Return)
    agency = named(form, "Agency type")
    assert isinstance(agency, QComboBox) and agency.currentText() == "Police"
    assert form.call_data().channel.value == "phone" and form.call_data().urgency.value == "routine"
