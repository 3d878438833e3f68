"""The Due panel, booking a follow-up from the call list, and handing a call to the duty adviser
(issue 14), in the real main window with a fixed clock, driven by keyboard, on both dialects.
Every person and call is invented."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from supportline.bootstrap import Environment
from supportline.db import Database, create_database
from supportline.db.models import AuditEvent, CallHandoff, FollowUp
from supportline.enums import (
    DutyRole,
    FollowUpKind,
    FollowUpPriority,
    FollowUpStatus,
    HandoffStatus,
    Role,
    Route,
)
from supportline.services import calls, followups, rota
from supportline.services.actor import Actor
from supportline.services.call_types import CallRecord
from supportline.services.permissions import RULES, Action, role_has
from tests.conftest import PG_URL
from tests.factories import full_call, make_admin, make_user, without_advice
from tests.ui.keyboard_helpers import (
    ALT,
    CTRL,
    SHIFT,
    Key,
    clashes,
    focused,
    mnemonic_of,
    press,
    type_text,
    walk_tab,
)
from ui.main_window import MainWindow, QuitChoice
from ui.tasks import TaskRunner
from ui.views.due_panel import CompleteDialog, SnoozeDialog
from ui.views.follow_up_dialogs import BookFollowUpDialog, HandOffDialog, set_wall

NOW = datetime(2026, 11, 28, 14, 5, tzinfo=UTC)
CALLBACK = FollowUpKind.CALLBACK.label  # "Callback to the officer"


@dataclass
class Clock:
    """The window's clock, fixed until a test moves it on."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    db: Database
    admin: Actor
    operator: Actor
    khan: Actor
    call: CallRecord


@pytest.fixture
def world(db: Database) -> World:
    admin = make_admin(db)
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    khan = make_user(db, admin, "aisha.khan", Role.ADVISER)
    call = calls.save_call(
        db, operator,
        without_advice(full_call(id=uuid.uuid4(), persons=(), closed_at=None, status="open", follow_ups=())),
    )  # fmt: skip
    return World(db, admin, operator, khan, call)


@pytest.fixture
def other_workstation(db: Database, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A second session on the same database (another workstation)."""
    if db.is_sqlite:
        other = create_database(db.url)
    else:
        schema: str = request.getfixturevalue("_pg_schema")
        other = create_database(PG_URL, schema=schema, application_name=f"sl-due-{uuid.uuid4().hex[:8]}")
    yield other
    other.dispose()


OpenWindow = Callable[..., MainWindow]


@pytest.fixture
def open_window(
    qtbot: QtBot, env: Environment, tasks: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> Iterator[OpenWindow]:
    windows: list[MainWindow] = []
    monkeypatch.setattr(MainWindow, "ask_quit", lambda self, count: QuitChoice.KEEP_DRAFTS)

    def make(db: Database, actor: Actor, clock: Clock, *, tray: bool = False) -> MainWindow:
        window = MainWindow(env, db, actor, tasks=tasks, clock=clock)
        window.due_notifier.tray_available = lambda: tray
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        qtbot.waitUntil(lambda: window.model.loaded_once, timeout=10_000)
        qtbot.waitUntil(lambda: window.due_panel.current is not None, timeout=10_000)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=5000)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()


def relist(qtbot: QtBot, window: MainWindow) -> followups.DueList:
    """List again and wait until every listing asked for has arrived, the last at the window's
    time now (one asked for before may arrive first)."""
    panel, at = window.due_panel, window.clock().astimezone(UTC)
    before = panel.current
    panel.refresh()
    qtbot.waitUntil(
        lambda: panel.current is not before and not panel.listing and panel.current.at == at,  # type: ignore[union-attr]
        timeout=10_000,
    )
    assert panel.current is not None
    return panel.current


def book(w: World, due: datetime, **kw: object) -> followups.FollowUpRecord:
    booked_at = min(NOW, due)  # booked before it fell due
    return followups.book_follow_up(w.db, w.operator, w.call.id, due, now=booked_at, **kw)  # type: ignore[arg-type]


def stored(db: Database, follow_up_id: uuid.UUID) -> FollowUp:
    with db.read() as session:
        row = session.get(FollowUp, follow_up_id)
        assert row is not None
        session.expunge(row)
        return row


def aware(value: datetime | None) -> datetime | None:
    """SQLite gives naive UTC back; PostgreSQL aware."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def settle() -> None:
    QApplication.processEvents()


# --- falling due: listed, counted, notified -----------------------------------------------------


def test_a_follow_up_falling_due_is_listed_counted_and_noticed_in_the_window(
    qtbot: QtBot, world: World, open_window: OpenWindow
) -> None:
    w = world
    record = book(w, NOW + timedelta(minutes=10), assignee_id=w.operator.user_id, note="Call the DS back")
    clock = Clock(NOW)
    window = open_window(w.db, w.operator, clock, tray=False)
    panel = window.due_panel
    rows = panel.rows()
    assert rows[0] == ["Due in the next 4 hours (1)"]
    assert rows[1] == ["14:15", w.call.reference, f"{CALLBACK}\nOlu Operator\nCall the DS back"]
    assert window.due_label.text() == "Nothing due"
    assert window.due_notice.isHidden()  # nothing is due yet: nothing to say

    notes: list[tuple[str, str, str]] = []
    window.due_notifier.notified.connect(lambda how, title, text: notes.append((how, title, text)))
    clock.now = NOW + timedelta(minutes=11)
    listed = relist(qtbot, window)
    assert [i.follow_up.id for i in listed.due_now] == [record.id]
    assert panel.rows()[0] == ["Due now (1)"]
    assert window.due_label.text() == "1 due now"
    assert notes == [("window", "1 follow-up due", f"{w.call.reference}: {CALLBACK}")]
    assert window.due_notice.isVisible()
    assert w.call.reference in window.due_notice.text() and "F9" in window.due_notice.text()

    clock.now = NOW + timedelta(minutes=40)  # past the quarter of an hour of "due now"
    relist(qtbot, window)
    assert panel.rows()[0] == ["Overdue (1)"]
    assert window.due_label.text() == "1 overdue"
    assert len(notes) == 1  # it fell due once: told once


def test_where_there_is_a_tray_the_notification_goes_to_the_tray(
    qtbot: QtBot, world: World, open_window: OpenWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = world
    book(w, NOW + timedelta(minutes=5), assignee_route=Route.LEGAL, priority=FollowUpPriority.HIGH)
    rota.add_shift(w.db, w.admin, Route.LEGAL, DutyRole.DUTY, w.khan.user_id, NOW - timedelta(hours=1),
                   NOW + timedelta(hours=7))  # fmt: skip
    shown: list[tuple[str, str]] = []
    original = QSystemTrayIcon.showMessage

    def spy(self: QSystemTrayIcon, title: str, text: str, *args: object) -> None:
        shown.append((title, text))
        original(self, title, text, *args)  # type: ignore[call-overload]

    monkeypatch.setattr(QSystemTrayIcon, "showMessage", spy)
    clock = Clock(NOW)
    window = open_window(w.db, w.khan, clock, tray=True)  # the adviser on duty for Legal holds it
    assert window.due_panel.rows()[1][2] == f"{CALLBACK} (high priority)\nLegal duty adviser: A. Khan"
    assert shown == []
    clock.now = NOW + timedelta(minutes=6)
    relist(qtbot, window)
    assert shown == [("1 follow-up due", f"{w.call.reference}: {CALLBACK}")]
    assert window.due_notifier.tray is not None and window.due_notifier.tray.isVisible()
    assert window.due_notice.isHidden()  # the tray said it; no notice in the window as well


def test_while_locked_the_notification_names_no_call_and_the_panel_hides(
    qtbot: QtBot, world: World, open_window: OpenWindow
) -> None:
    w = world
    book(w, NOW + timedelta(minutes=5), assignee_id=w.operator.user_id)
    clock = Clock(NOW)
    window = open_window(w.db, w.operator, clock)
    window.toggle_due_panel()
    assert window.due_panel.isVisible()
    notes: list[str] = []
    window.due_notifier.notified.connect(lambda _how, _title, text: notes.append(text))
    window.lock()
    assert window.due_panel.isHidden()  # nothing of a call behind the lock
    clock.now = NOW + timedelta(minutes=6)
    relist(qtbot, window)
    assert notes == ["Unlock Supportline to see them (F9: the Due panel)."]
    assert w.call.reference not in notes[0]


# --- keyboard: F9, Enter, complete, snooze, Tab ---------------------------------------------------


def test_f9_focuses_the_panel_enter_opens_the_call_and_f9_again_hides_it(
    qtbot: QtBot, world: World, open_window: OpenWindow
) -> None:
    w = world
    book(w, NOW + timedelta(minutes=1), assignee_id=w.operator.user_id)
    window = open_window(w.db, w.operator, Clock(NOW))
    window.calls_tab.table.setFocus()
    settle()
    assert window.due_panel.isHidden()
    press(Key.Key_F9)
    assert window.due_panel.isVisible()
    assert focused() is window.due_panel.tree
    assert window.due_panel.selected() is not None
    with qtbot.waitSignal(window.form_opened, timeout=10_000) as opened:
        press(Key.Key_Return)
    assert opened.args[0].call_id() == w.call.id
    window.tabs.setCurrentWidget(window.calls_tab)
    window.due_panel.focus_list()
    settle()
    press(Key.Key_F9)
    assert window.due_panel.isHidden()
    assert focused() is window.calls_tab.table


def test_tab_goes_through_the_panel_and_comes_back_and_no_letter_clashes(
    qtbot: QtBot, world: World, open_window: OpenWindow
) -> None:
    w = world
    book(w, NOW + timedelta(minutes=1), assignee_id=w.operator.user_id)
    window = open_window(w.db, w.operator, Clock(NOW))
    press(Key.Key_F9)
    panel = window.due_panel
    seen, closed = walk_tab(panel.tree)
    assert closed, "Tab never came back to the Due panel's list"
    for button in (panel.open_button, panel.complete_button, panel.snooze_button):
        assert button in seen, button.text()
    assert panel.take_button not in seen  # disabled: the item is a follow-up, not a hand-off
    assert window.calls_tab.table in seen  # the panel is part of the window's one loop
    assert clashes(window) == {}
    for menu in (window.call_menu, window.view_menu):
        letters = [mnemonic_of(a.text()) for a in menu.actions() if a.text()]
        assert len(letters) == len(set(letters)), letters


def test_completing_by_keyboard_records_what_happened_and_can_open_a_call_in_the_case(
    qtbot: QtBot, world: World, open_window: OpenWindow
) -> None:
    w = world
    record = book(w, NOW - timedelta(minutes=5), assignee_id=w.operator.user_id)
    clock = Clock(NOW)
    window = open_window(w.db, w.operator, clock)
    assert window.due_label.text() == "1 due now"
    press(Key.Key_F9)
    press(Key.Key_Tab)  # Open call
    press(Key.Key_Tab)  # Complete…
    assert focused() is window.due_panel.complete_button
    press(Key.Key_Space)
    dialog = window.due_panel.dialog
    assert isinstance(dialog, CompleteDialog)
    qtbot.waitUntil(dialog.isVisible)
    assert focused() is dialog.outcome
    press(Key.Key_Tab)
    press(Key.Key_Tab)  # to Complete, with nothing said
    press(Key.Key_Space)
    assert dialog.isVisible() and dialog.error.text() == "Say what happened before completing it."
    assert focused() is dialog.outcome
    type_text("Spoke to the DS; referral made")
    press(Key.Key_Tab)
    assert focused() is dialog.follow_on
    press(Key.Key_Space)  # and open a new call in the case
    assert dialog.follow_on.isChecked()
    with qtbot.waitSignal(window.form_opened, timeout=10_000) as opened:
        press(Key.Key_Return)  # the default button: Complete
    row = stored(w.db, record.id)
    assert row.status is FollowUpStatus.DONE and row.outcome == "Spoke to the DS; referral made"
    assert row.done_by_id == w.operator.user_id and aware(row.done_at) == NOW
    form = opened.args[0]
    assert form.call_id() != w.call.id
    assert form.call_data().case_id == w.call.data.case_id  # the new call goes into the case
    assert form.caller.name.text() == w.call.data.caller.name
    qtbot.waitUntil(lambda: window.due_label.text() == "Nothing due", timeout=10_000)


def test_snoozing_by_keyboard_needs_a_reason_and_puts_it_off(
    qtbot: QtBot, world: World, open_window: OpenWindow
) -> None:
    w = world
    record = book(w, NOW - timedelta(minutes=30), assignee_id=w.operator.user_id)
    window = open_window(w.db, w.operator, Clock(NOW))
    assert window.due_label.text() == "1 overdue"
    press(Key.Key_F9)
    for _ in range(3):
        press(Key.Key_Tab)  # Open call, Complete…, Snooze…
    assert focused() is window.due_panel.snooze_button
    press(Key.Key_Space)
    dialog = window.due_panel.dialog
    assert isinstance(dialog, SnoozeDialog)
    qtbot.waitUntil(dialog.isVisible)
    assert focused() is dialog.reason
    press(Key.Key_Return)
    assert dialog.isVisible() and dialog.error.text() == "Give a reason for putting it off."
    press(Key.Key_F, ALT)  # &For: to the choice of how long
    assert focused() is dialog.span
    press(Key.Key_Down)  # 1 hour → 2 hours
    press(Key.Key_R, ALT)
    type_text("The DS is in court until four")
    press(Key.Key_Return)
    qtbot.waitUntil(dialog.isHidden, timeout=10_000)
    relist(qtbot, window)
    row = stored(w.db, record.id)
    assert row.status is FollowUpStatus.SNOOZED and row.snooze_reason == "The DS is in court until four"
    assert aware(row.snoozed_until) == NOW + timedelta(hours=2)
    assert window.due_panel.rows()[0] == ["Due in the next 4 hours (1)"]
    assert window.due_panel.rows()[1][:3] == [
        "16:05",
        w.call.reference,
        f"{CALLBACK}, snoozed\nOlu Operator",
    ]
    assert window.due_label.text() == "Nothing due"


def test_opening_the_panel_is_audited_once_and_its_refreshes_are_not(
    qtbot: QtBot, world: World, open_window: OpenWindow
) -> None:
    w = world
    window = open_window(w.db, w.operator, Clock(NOW))

    def consultations() -> int:
        with w.db.read() as session:
            return len(
                session.scalars(select(AuditEvent.id).where(AuditEvent.action == "followup.due")).all()
            )

    assert consultations() == 0  # listed for the status bar only
    press(Key.Key_F9)
    qtbot.waitUntil(lambda: consultations() == 1, timeout=10_000)
    relist(qtbot, window)
    assert consultations() == 1


# --- Ctrl+B: booking, with the October night's 01:30 -------------------------------------------


def _select_first_call(qtbot: QtBot, window: MainWindow) -> None:
    window.tabs.setCurrentWidget(window.calls_tab)
    window.calls_tab.table.setFocus()
    window.calls_tab.table.selectRow(0)
    settle()


def test_ctrl_b_books_a_follow_up_and_asks_which_01_30_on_the_october_night(
    qtbot: QtBot, world: World, open_window: OpenWindow
) -> None:
    w = world
    clock = Clock(datetime(2026, 10, 24, 20, 0, tzinfo=UTC))  # the Saturday before the clocks go back
    window = open_window(w.db, w.operator, clock)
    _select_first_call(qtbot, window)
    press(Key.Key_B, CTRL)
    dialog = window.follow_up_dialog
    assert isinstance(dialog, BookFollowUpDialog)
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.reference == w.call.reference
    assert focused() is dialog.kind
    press(Key.Key_Down)  # Callback → Chase a referral
    assert dialog.kind.currentText() == FollowUpKind.CHASE_REFERRAL.label
    set_wall(dialog.due, datetime(2026, 10, 25, 1, 30))
    press(Key.Key_A, ALT)
    assert focused() is dialog.assignee
    dialog.assignee.setCurrentIndex(dialog.assignee.findText("Whoever is on duty for Legal then"))
    press(Key.Key_N, ALT)
    type_text("Chase the NRM decision")
    press(Key.Key_Return)  # Book
    qtbot.waitUntil(lambda: dialog.which.isVisible(), timeout=10_000)
    assert "01:30 happens twice" in dialog.error.text()
    assert "BST" in dialog.first.text() and "GMT" in dialog.second.text()
    assert focused() is dialog.first
    with w.db.read() as session:
        assert session.scalars(select(FollowUp.id)).all() == []  # nothing booked on a guess
    press(Key.Key_Return)
    assert dialog.error.text() == "This time happens twice tonight: choose which one first."
    press(Key.Key_Down)  # to the second 01:30, after the clocks went back
    assert focused() is dialog.second
    press(Key.Key_Space)
    assert dialog.second.isChecked() and not dialog.first.isChecked()
    with qtbot.waitSignal(dialog.booked, timeout=10_000) as booked:
        press(Key.Key_Return)
    assert dialog.isHidden()
    record = booked.args[0]
    row = stored(w.db, record.id)
    assert aware(row.due_at) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT
    assert row.kind is FollowUpKind.CHASE_REFERRAL and row.assignee_route is Route.LEGAL
    assert row.note == "Chase the NRM decision" and row.priority is FollowUpPriority.NORMAL
    assert w.call.reference in window.statusBar().currentMessage()

    # In the panel, a time the clocks show twice says which it is.
    followups.book_follow_up(
        w.db, w.operator, w.call.id, datetime(2026, 10, 25, 1, 30), fold=0, assignee_id=w.operator.user_id,
        now=clock.now,
    )  # fmt: skip
    clock.now = datetime(2026, 10, 24, 23, 0, tzinfo=UTC)  # midnight BST
    relist(qtbot, window)
    assert window.due_panel.rows()[1][0] == "01:30 BST"


def test_a_time_the_clocks_skip_is_refused_in_the_dialog(
    qtbot: QtBot, world: World, open_window: OpenWindow
) -> None:
    w = world
    window = open_window(w.db, w.operator, Clock(datetime(2027, 3, 27, 12, 0, tzinfo=UTC)))
    _select_first_call(qtbot, window)
    dialog = window.book_follow_up()
    assert dialog is not None
    set_wall(dialog.due, datetime(2027, 3, 28, 1, 30))
    QTest.keyClick(dialog.book_button, Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10_000)
    assert "01:30 on 28 March 2027 does not exist" in dialog.error.text()
    assert dialog.isVisible() and dialog.which.isHidden()
    assert focused() is dialog.due
    dialog.reject()


# --- handing a call to the duty adviser ----------------------------------------------------------


def test_a_call_handed_to_the_duty_adviser_appears_in_their_panel_in_another_session(
    qtbot: QtBot, world: World, open_window: OpenWindow, other_workstation: Database
) -> None:
    w = world
    rota.add_shift(w.db, w.admin, Route.LEGAL, DutyRole.DUTY, w.khan.user_id, NOW - timedelta(hours=1),
                   NOW + timedelta(hours=5))  # fmt: skip
    adviser = open_window(other_workstation, w.khan, Clock(NOW))
    assert adviser.due_label.text() == "Nothing due"
    told: list[tuple[str, str]] = []
    adviser.due_notifier.notified.connect(lambda how, _title, text: told.append((how, text)))
    operator = open_window(w.db, w.operator, Clock(NOW))
    _select_first_call(qtbot, operator)
    press(Key.Key_D, CTRL | SHIFT)
    dialog = operator.follow_up_dialog
    assert isinstance(dialog, HandOffDialog)
    qtbot.waitUntil(dialog.isVisible)
    qtbot.waitUntil(lambda: bool(dialog.lines), timeout=10_000)
    assert focused() is dialog.route
    dialog.route.setCurrentIndex(dialog.route.findData(Route.VICTIM))
    assert dialog.on_duty.text() == "Victim: no duty adviser on the rota in the next 12 hours"
    press(Key.Key_Return)  # nobody to hand it to: said, nothing handed
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10_000)
    assert "nobody is on duty for Victim now" in dialog.error.text()
    dialog.route.setCurrentIndex(dialog.route.findData(Route.LEGAL))
    assert dialog.on_duty.text() == "Legal: duty adviser A. Khan until 19:05, then no one on the rota"
    press(Key.Key_N, ALT)
    type_text("s.45 defence question tonight")
    with qtbot.waitSignal(dialog.handed, timeout=10_000):
        press(Key.Key_Return)
    with w.db.read() as session:
        handoff = session.scalars(select(CallHandoff)).one()
        assert (handoff.adviser_id, handoff.status) == (w.khan.user_id, HandoffStatus.WAITING)

    # The adviser's window, another session, hears of it through the live updates.
    qtbot.waitUntil(lambda: adviser.due_label.text() == "1 handed to you", timeout=10_000)
    rows = adviser.due_panel.rows()
    assert rows[0] == ["Calls handed to you (1)"]
    assert rows[1] == [
        "14:05",
        w.call.reference,
        "Handed to you (Legal)\nfrom Olu Operator\ns.45 defence question tonight",
    ]
    assert told == [("window", f"{w.call.reference}: handed to you (Legal)")]

    adviser.activateWindow()
    adviser.due_panel.show()
    adviser.due_panel.focus_list()
    settle()
    assert adviser.due_panel.take_button.isEnabled()
    assert not adviser.due_panel.complete_button.isEnabled()
    with qtbot.waitSignal(adviser.due_panel.acted, timeout=10_000):
        QTest.keyClick(adviser.due_panel.take_button, Key.Key_Space)
    with w.db.read() as session:
        taken = session.scalars(select(CallHandoff)).one()
        assert (taken.status, taken.taken_by_id) == (HandoffStatus.TAKEN, w.khan.user_id)
    qtbot.waitUntil(lambda: adviser.due_label.text() == "Nothing due", timeout=10_000)


def test_a_saved_call_is_handed_over_from_its_form(
    qtbot: QtBot, world: World, open_window: OpenWindow
) -> None:
    w = world
    rota.add_shift(w.db, w.admin, Route.LEGAL, DutyRole.DUTY, w.khan.user_id, NOW - timedelta(hours=1),
                   NOW + timedelta(hours=5))  # fmt: skip
    window = open_window(w.db, w.operator, Clock(NOW))
    with qtbot.waitSignal(window.form_opened, timeout=10_000):
        window.open_call(w.call.id)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    press(Key.Key_D, CTRL | SHIFT)
    dialog = window.follow_up_dialog
    assert isinstance(dialog, HandOffDialog) and dialog.call_id == w.call.id
    dialog.reject()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.new_call()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    before = window.follow_up_dialog
    press(Key.Key_D, CTRL | SHIFT)  # a new call, not saved yet: nothing to hand over
    assert window.follow_up_dialog is before
    assert "Save the call first" in window.statusBar().currentMessage()


# --- permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_each_role_has_the_actions_its_permissions_allow(
    qtbot: QtBot, sqlite_db: Database, open_window: OpenWindow, role: Role
) -> None:
    admin = make_admin(sqlite_db)
    actor = admin if role is Role.ADMIN else make_user(sqlite_db, admin, f"pat.{role.value}", role)
    window = open_window(sqlite_db, actor, Clock(NOW))
    book_allowed = role_has(role, RULES[Action.FOLLOWUP_BOOK].permission)
    hand_allowed = role_has(role, RULES[Action.CALL_HANDOFF].permission)
    assert (window.book_follow_up_action is not None) == book_allowed
    assert (window.hand_off_action is not None) == hand_allowed
    keys = {a.shortcut().toString() for a in window.actions() if not a.shortcut().isEmpty()}
    assert ("Ctrl+B" in keys) == book_allowed and ("Ctrl+Shift+D" in keys) == hand_allowed
    assert "F9" in keys
    panel = window.due_panel
    assert panel.complete_button.isVisibleTo(panel) == role_has(
        role, RULES[Action.FOLLOWUP_COMPLETE].permission
    )
    assert panel.take_button.isVisibleTo(panel) == role_has(role, RULES[Action.HANDOFF_TAKE].permission)
    assert QKeySequence("F9").toString() in {k for k, _ in window.shortcuts()}
