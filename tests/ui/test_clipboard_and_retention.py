"""Clipboard hygiene (cleared on lock and quit, only if it still holds what the app put there)
and the administrators' retention review window."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from supportline.db import Database
from supportline.db.models import Call
from supportline.enums import Role
from supportline.services.actor import Actor
from supportline.services.calls import save_call
from tests.factories import full_call, make_user
from tests.ui.conftest import MakeWindow
from ui import clipboard
from ui.views.retention import RetentionDialog

SECRET = "SL-2026-000123 DS Morwenna Tregarthen 07700 900417"


def board() -> str:
    return QGuiApplication.clipboard().text()


def test_what_the_app_copied_is_cleared_on_lock(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    window = make_window(sqlite_db, admin)
    clipboard.copy(SECRET)
    assert board() == SECRET
    window.lock()
    assert board() == ""


def test_someone_elses_copy_is_left_alone(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    window = make_window(sqlite_db, admin)
    clipboard.copy(SECRET)
    window.hide()  # another program has the focus now
    qtbot.waitUntil(lambda: QApplication.activeWindow() is None, timeout=5000)
    QGuiApplication.clipboard().setText("copied in another program")
    window.show()
    window.lock()
    assert board() == "copied in another program"


def test_ctrl_c_in_a_field_counts_as_the_apps_and_is_cleared_on_quit(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    window = make_window(sqlite_db, admin)
    field = QLineEdit(SECRET, window)
    field.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    field.setFocus()
    field.selectAll()
    QTest.keySequence(field, QKeySequence(QKeySequence.StandardKey.Copy))
    assert board() == SECRET
    assert clipboard.guard().holds_ours()
    window.close()
    assert board() == ""


def test_the_retention_review_is_for_administrators_and_erases_after_a_confirm(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow, env, tasks
) -> None:
    save_call(sqlite_db, admin, full_call(opened_at=datetime(2026, 1, 6, 9, tzinfo=UTC), follow_ups=()))
    supervisor = make_user(sqlite_db, admin, "sam.super", Role.SUPERVISOR)
    assert make_window(sqlite_db, supervisor).retention_action is None  # not in a supervisor's menu

    window = make_window(sqlite_db, admin)
    assert window.retention_action is not None
    assert window.retention_action in window.file_menu.actions()
    dialog = window.show_retention()
    assert isinstance(dialog, RetentionDialog)
    qtbot.waitUntil(lambda: dialog.review_result is not None, timeout=10_000)
    assert not dialog.erase_button.isEnabled()  # nothing is due today

    dialog.as_of.setDate(dialog.as_of.date().addYears(8))
    with qtbot.waitSignal(dialog.reviewed, timeout=10_000):
        dialog.review_button.click()
    assert dialog.table.rowCount() == 2  # the call, and the audit events (reported only)
    assert [dialog.table.item(r, 0).text() for r in range(2)] == ["Erase", "Report only"]
    assert "no legal hold" in dialog.table.item(0, 3).text()
    assert dialog.erase_button.isEnabled()

    asked: list[int] = []
    dialog.confirm = lambda count: asked.append(count) is not None  # type: ignore[method-assign]  # "Cancel"
    dialog.erase_button.click()
    assert asked == [1]
    with sqlite_db.read() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 1

    dialog.confirm = lambda count: True  # type: ignore[method-assign]
    with qtbot.waitSignal(dialog.run_finished, timeout=10_000) as finished:
        dialog.erase_button.click()
    assert finished.args[0].calls_erased == 1
    with sqlite_db.read() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == 0
    assert "Erased 1 calls" in dialog.last_run.text()


def test_the_guard_compares_before_clearing_even_unnotified(qtbot: QtBot) -> None:
    """Some platforms tell a program late, or never, that another one took the clipboard."""
    board_ = QGuiApplication.clipboard()
    guard = clipboard.ClipboardGuard(board_)
    guard.copy(SECRET)
    board_.blockSignals(True)
    try:
        board_.setText("copied in another program")
    finally:
        board_.blockSignals(False)
    assert not guard.holds_ours()
    assert guard.clear_ours() is False
    assert board() == "copied in another program"
    guard.copy(SECRET)
    assert guard.clear_ours() is True
    assert board() == ""


def test_erasure_requests_in_the_app_need_a_second_person(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    call = save_call(sqlite_db, admin, full_call())
    operator = make_user(sqlite_db, admin, "oli.operator", Role.OPERATOR)
    assert make_window(sqlite_db, operator).erasure_action is None
    first = make_user(sqlite_db, admin, "sam.first", Role.SUPERVISOR)
    second = make_user(sqlite_db, admin, "kim.second", Role.SUPERVISOR)

    window = make_window(sqlite_db, first)
    dialog = window.show_erasure()
    assert dialog is not None
    dialog.call.setText(call.reference)
    dialog.reason.setText("DSR-2026-11")
    dialog.request_button.click()
    qtbot.waitUntil(lambda: len(dialog.requests) == 1, timeout=10_000)
    assert [r.target_reference for r in dialog.requests] == [call.reference]
    assert "must approve it" in dialog.status.text()
    dialog.table.selectRow(0)
    dialog.confirm = lambda request: True  # type: ignore[method-assign]
    with qtbot.waitSignal(dialog.finished_action, timeout=10_000) as own:
        dialog.approve_button.click()
    assert own.args == [False]
    assert "two-person rule" in dialog.status.text()

    other = make_window(sqlite_db, second).show_erasure()
    assert other is not None
    qtbot.waitUntil(lambda: len(other.requests) == 1, timeout=10_000)
    other.table.selectRow(0)
    assert other.approve_button.isEnabled()
    other.confirm = lambda request: True  # type: ignore[method-assign]
    with qtbot.waitSignal(other.loaded, timeout=10_000):
        other.approve_button.click()
    assert other.requests[0].status == "done"
    with sqlite_db.read() as session:
        assert session.get(Call, call.id) is None
