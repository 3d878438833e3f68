"""The duty rota's week grid (issue 14), driven by the keyboard on SQLite and PostgreSQL: add a
day shift and a night shift crossing midnight, edit one, remove one and put it back, copy last
week across the October clock change, a stale edit said in words; an operator only reads; the
route chooser and the guidance pane say who to escalate to now, with a fixed clock.

Every person is invented; the week is 19-25 October 2026 (the clocks go back on the 25th).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtWidgets import QApplication, QDateTimeEdit
from pytestqt.qtbot import QtBot

from supportline.db import Database
from supportline.enums import DutyRole, Role, Route
from supportline.services import rota
from supportline.services.actor import Actor
from tests.factories import make_admin, make_user
from tests.ui.keyboard_helpers import ALT, CTRL, Key, clashes, focused, press, type_text
from ui.escalation import EscalationFeed
from ui.tasks import TaskRunner
from ui.views.rota_grid import ROWS, RotaWindow

LONDON = ZoneInfo("Europe/London")
#: Wednesday 21 October 2026, 10:00 in London (BST).
NOW = datetime(2026, 10, 21, 10, 0, tzinfo=LONDON).astimezone(UTC)
WED = 2  # the grid's column of Wednesday


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON).astimezone(UTC)  # type: ignore[misc]


def row_of(route: Route, role: DutyRole = DutyRole.DUTY) -> int:
    return ROWS.index((route, role))


@dataclass
class Staff:
    db: Database
    supervisor: Actor
    khan: Actor
    osei: Actor
    operator: Actor


@pytest.fixture
def staff(db: Database) -> Staff:
    admin = make_admin(db)
    return Staff(
        db,
        make_user(db, admin, "sam.supervisor", Role.SUPERVISOR),
        make_user(db, admin, "aisha.khan", Role.ADVISER),
        make_user(db, admin, "joe.osei", Role.ADVISER),
        make_user(db, admin, "olu.operator", Role.OPERATOR),
    )


def open_grid(qtbot: QtBot, tasks: TaskRunner, s: Staff, actor: Actor) -> RotaWindow:
    window = RotaWindow(s.db, actor, tasks, clock=lambda: NOW)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        window.show()
    qtbot.waitUntil(lambda: bool(window.people), timeout=10_000)
    window.activateWindow()
    window.table.setFocus()
    return window


def go_to(window: RotaWindow, row: int, column: int) -> None:
    """From the top left corner by the arrow keys."""
    press(Key.Key_Home, CTRL)
    for _ in range(row):
        press(Key.Key_Down)
    for _ in range(column):
        press(Key.Key_Right)
    assert (window.table.currentRow(), window.table.currentColumn()) == (row, column)


def stored(s: Staff) -> list[rota.ShiftRecord]:
    return rota.list_shifts(s.db, s.supervisor, london(2026, 10, 12), london(2026, 11, 2))


def test_the_grid_by_keyboard_add_a_day_and_a_night_shift_edit_remove_and_undo(
    qtbot: QtBot, tasks: TaskRunner, staff: Staff
) -> None:
    s = staff
    window = open_grid(qtbot, tasks, s, s.supervisor)
    assert window.week_label.text().startswith("Week of Monday 19 October 2026")
    assert clashes(window) == {}
    legal = row_of(Route.LEGAL)
    go_to(window, legal, WED)

    # Enter: a new shift, 07:00 to 19:00 that day; the person chosen by typing their name.
    press(Key.Key_Return)
    qtbot.waitUntil(lambda: window.dialog is not None and window.dialog.isVisible())
    dialog = window.dialog
    assert dialog is not None and focused() is dialog.person
    type_text("Aisha")
    assert dialog.person.currentText() == "Aisha Khan"
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        press(Key.Key_Return)
    assert window.cell_text(legal, WED) == "A. Khan\n07:00–19:00"
    assert window.status.text() == "Added: Legal duty adviser, A. Khan  07:00–19:00."

    # Enter again on the same cell: "A new shift" follows on, 19:00 to 07:00 the next morning.
    press(Key.Key_Return)
    qtbot.waitUntil(lambda: window.dialog is not dialog and window.dialog is not None)
    dialog = window.dialog
    assert dialog is not None and dialog.choice.currentText() == "A new shift"
    dialog.person.setFocus()
    type_text("Joe")
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        press(Key.Key_Return)
    assert window.cell_text(legal, WED) == "A. Khan\n07:00–19:00\nJ. Osei\n19:00 → Thu 07:00"
    night = next(x for x in stored(s) if x.user_id == s.osei.user_id)
    assert (night.starts_at, night.ends_at) == (london(2026, 10, 21, 19), london(2026, 10, 22, 7))

    # F2 edits: the day shift (chosen with Up), given to Joe Osei, ending an hour later.
    press(Key.Key_F2)
    qtbot.waitUntil(lambda: window.dialog is not dialog and window.dialog is not None)
    dialog = window.dialog
    assert dialog is not None and focused() is dialog.choice
    press(Key.Key_Home)
    assert dialog.choice.currentText() == "A. Khan  07:00–19:00"
    dialog.ends.setFocus()
    dialog.ends.setCurrentSection(QDateTimeEdit.Section.HourSection)
    press(Key.Key_Down)  # 18:00: it ends an hour earlier
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        press(Key.Key_Return)
    assert window.cell_text(legal, WED) == "A. Khan\n07:00–18:00\nJ. Osei\n19:00 → Thu 07:00"

    # Delete in Thursday's deputy cell (empty): nothing to remove, said so.
    go_to(window, row_of(Route.LEGAL, DutyRole.DEPUTY), WED + 1)
    press(Key.Key_Delete)
    assert window.status.text() == "There is no shift in this cell to remove."
    # A cell of one shift: Delete removes it, Ctrl+Z puts it back.
    khan = rota.add_shift(
        s.db, s.supervisor, Route.VICTIM, DutyRole.DUTY, s.khan.user_id,
        london(2026, 10, 23, 9), london(2026, 10, 23, 17),
    )  # fmt: skip
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        window.refresh()
    victim = row_of(Route.VICTIM)
    go_to(window, victim, 4)
    assert window.cell_text(victim, 4) == "A. Khan\n09:00–17:00"
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        press(Key.Key_Delete)
    assert window.cell_text(victim, 4) == "—"
    assert khan.id not in {x.id for x in stored(s)}
    assert "Ctrl+Z puts it back" in window.status.text()
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        press(Key.Key_Z, CTRL)
    assert window.cell_text(victim, 4) == "A. Khan\n09:00–17:00"
    back = [x for x in stored(s) if x.route is Route.VICTIM]
    assert [(x.user_id, x.starts_at, x.ends_at) for x in back] == [
        (s.khan.user_id, khan.starts_at, khan.ends_at)
    ]


def test_copy_last_week_across_the_clock_change_and_the_week_buttons(
    qtbot: QtBot, tasks: TaskRunner, staff: Staff
) -> None:
    s = staff
    # Last week: a Saturday night shift of 8 hours (no clock change that night).
    rota.add_shift(
        s.db, s.supervisor, Route.TACTICAL, DutyRole.DUTY, s.osei.user_id,
        datetime(2026, 10, 17, 23), datetime(2026, 10, 18, 7),
    )  # fmt: skip
    window = open_grid(qtbot, tasks, s, s.supervisor)
    tactical = row_of(Route.TACTICAL)
    assert window.cell_text(tactical, 5) == "—"
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        press(Key.Key_P, ALT)  # Alt+P: the previous week, where the shift is
    qtbot.waitUntil(lambda: window.week_label.text().startswith("Week of Monday 12 October"))
    qtbot.waitUntil(lambda: window.cell_text(tactical, 5) == "J. Osei\n23:00 → Sun 07:00")
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        press(Key.Key_N, ALT)
    assert window.week_label.text().startswith("Week of Monday 19 October")
    with qtbot.waitSignal(window.change_done, timeout=10_000):
        press(Key.Key_C, ALT)
    qtbot.waitUntil(lambda: window.cell_text(tactical, 5) != "—")
    # The copy keeps the wall-clock times: the night the clocks go back it is 9 hours long.
    assert window.cell_text(tactical, 5) == "J. Osei\n23:00 → Sun 07:00 · 9 h, clocks change"
    assert window.status.text() == "Copied 1 shift(s) from last week."
    copied = [x for x in stored(s) if x.starts_at >= london(2026, 10, 19)]
    assert [(x.starts_at, x.ends_at) for x in copied] == [(london(2026, 10, 24, 23), london(2026, 10, 25, 7))]
    assert copied[0].ends_at - copied[0].starts_at == timedelta(hours=9)
    # Again: the place is taken now, so it is left out and said so.
    with qtbot.waitSignal(window.change_done, timeout=10_000):
        press(Key.Key_C, ALT)
    qtbot.waitUntil(lambda: "Left out" in window.status.text())
    assert (
        "Copied 0 shift(s)" in window.status.text()
        and "J. Osei is on the rota then already" in window.status.text()
    )


def test_a_stale_edit_and_a_refusal_are_said_in_words(qtbot: QtBot, tasks: TaskRunner, staff: Staff) -> None:
    s = staff
    shift = rota.add_shift(
        s.db,
        s.supervisor,
        Route.LEGAL,
        DutyRole.DUTY,
        s.khan.user_id,
        london(2026, 10, 21, 7),
        london(2026, 10, 21, 19),
    )
    window = open_grid(qtbot, tasks, s, s.supervisor)
    legal = row_of(Route.LEGAL)
    go_to(window, legal, WED)
    # Someone else changes it meanwhile (another workstation).
    rota.change_shift(s.db, s.supervisor, shift.id, expected_version=shift.version, user_id=s.osei.user_id)
    press(Key.Key_Return)
    qtbot.waitUntil(lambda: window.dialog is not None and window.dialog.isVisible())
    press(Key.Key_Home)  # the shift as read, not a new one
    assert window.dialog is not None and window.dialog.choice.currentText() == "A. Khan  07:00–19:00"
    with qtbot.waitSignal(window.change_done, timeout=10_000):
        press(Key.Key_Return)
    assert window.status.text() == (
        "Not saved: this shift was changed by someone else since you opened the rota; look again. "
        "The week has been read again."
    )
    qtbot.waitUntil(lambda: window.cell_text(legal, WED) == "J. Osei\n07:00–19:00")
    # An operator cannot be rostered: the service's reason, with the field's on-screen name.
    press(Key.Key_Return)
    qtbot.waitUntil(lambda: window.dialog is not None and window.dialog.isVisible())
    dialog = window.dialog
    assert dialog is not None
    press(Key.Key_End)  # "A new shift"
    dialog.person.setFocus()
    type_text("Olu")
    with qtbot.waitSignal(window.change_done, timeout=10_000):
        press(Key.Key_Return)
    assert window.status.text().startswith("Not saved: Person: olu.operator is an operator")
    again = window.dialog
    assert again is not None and again is not dialog and again.isVisible()
    assert again.error.text() == window.status.text() and again.person.currentText() == "Olu Operator"
    again.reject()


def test_an_operator_reads_the_rota_and_supervisors_see_the_gaps(
    qtbot: QtBot, tasks: TaskRunner, staff: Staff
) -> None:
    s = staff
    for route in Route:
        if route is not Route.IMMIGRATION:
            rota.add_shift(
                s.db,
                s.supervisor,
                route,
                DutyRole.DUTY,
                s.khan.user_id,
                london(2026, 10, 21, 7),
                london(2026, 10, 22, 7),
            )
    reader = open_grid(qtbot, tasks, s, s.operator)
    assert not reader.copy_button.isVisible() and reader.banner.isHidden()
    go_to(reader, row_of(Route.LEGAL), WED)
    press(Key.Key_Return)
    assert reader.dialog is None
    assert reader.status.text() == "Only supervisors edit the duty rota."
    reader.close()
    window = open_grid(qtbot, tasks, s, s.supervisor)
    assert window.banner.isVisible()
    assert window.banner.text() == (
        "No duty adviser on the rota now or in the next 12 hours: Immigration from Wed 10:00 to Wed 22:00"
    )


def test_escalation_now_in_the_route_chooser_and_the_guidance_pane(
    qtbot: QtBot, tasks: TaskRunner, staff: Staff
) -> None:
    from supportline.bootstrap import load_environment
    from supportline.guidance.loader import GuidanceLibrary, configured_dir
    from ui.views.call_form import CallForm

    s = staff
    rota.add_shift(
        s.db,
        s.supervisor,
        Route.LEGAL,
        DutyRole.DUTY,
        s.khan.user_id,
        london(2026, 10, 20, 19),
        london(2026, 10, 21, 7),
    )
    rota.add_shift(
        s.db,
        s.supervisor,
        Route.LEGAL,
        DutyRole.DUTY,
        s.osei.user_id,
        london(2026, 10, 21, 7),
        london(2026, 10, 21, 19),
    )
    at = london(2026, 10, 21, 3)  # 03:00 on the night shift
    feed = EscalationFeed(s.db, s.operator, tasks, clock=lambda: at)
    with qtbot.waitSignal(feed.loaded, timeout=10_000):
        feed.start()
    library = GuidanceLibrary(configured_dir(load_environment().settings))
    form = CallForm(s.db, s.operator, tasks, s.db.zone, library=library)
    qtbot.addWidget(form)
    form.set_escalation(feed)
    form.show()
    expected = "Legal: duty adviser A. Khan until 07:00, then J. Osei"
    assert expected in form.advice.escalation.text().splitlines()
    assert "Victim: no duty adviser on the rota in the next 12 hours" in form.advice.escalation.text()
    form.advice.routes.boxes[Route.LEGAL].setChecked(True)
    qtbot.waitUntil(lambda: Route.LEGAL in form.panes)
    pane = form.panes[Route.LEGAL]
    assert pane.escalation.text() == "Escalate to: " + expected
    # The clock moves on to the day shift; the next read says so everywhere.
    at = london(2026, 10, 21, 8)
    with qtbot.waitSignal(feed.changed, timeout=10_000):
        feed.refresh()
    assert (
        pane.escalation.text()
        == "Escalate to: Legal: duty adviser J. Osei until 19:00, then no one on the rota"
    )
    assert "Legal: duty adviser J. Osei until 19:00, then no one on the rota" in form.advice.escalation.text()
    QApplication.processEvents()
    feed.stop()


def test_tab_goes_round_the_rota_and_its_shift_dialog(qtbot: QtBot, tasks: TaskRunner, staff: Staff) -> None:
    from tests.ui.keyboard_helpers import tab_problems

    s = staff
    window = open_grid(qtbot, tasks, s, s.supervisor)
    assert tab_problems(window, window.table) == []
    go_to(window, row_of(Route.LEGAL), WED)
    press(Key.Key_Return)
    qtbot.waitUntil(lambda: window.dialog is not None and window.dialog.isActiveWindow())
    dialog = window.dialog
    assert dialog is not None
    assert tab_problems(dialog, dialog.choice) == [] and clashes(dialog) == {}
    dialog.reject()


def test_an_edit_at_another_workstation_shows_in_an_open_grid(
    qtbot: QtBot, tasks: TaskRunner, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ui.views.rota_grid as grid_module

    monkeypatch.setattr(grid_module, "REFRESH_MS", 200)
    s = staff
    window = open_grid(qtbot, tasks, s, s.operator)
    legal = row_of(Route.LEGAL)
    assert window.cell_text(legal, WED) == "—"
    rota.add_shift(
        s.db, s.supervisor, Route.LEGAL, DutyRole.DUTY, s.khan.user_id,
        london(2026, 10, 21, 7), london(2026, 10, 21, 19),
    )  # fmt: skip
    qtbot.waitUntil(lambda: window.cell_text(legal, WED) == "A. Khan\n07:00–19:00", timeout=10_000)
