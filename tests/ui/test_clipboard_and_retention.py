"""Clipboard hygiene (cleared on lock and quit, only if it still holds what the app put there)
and the administrators' retention review window."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from supportline.db import Database
from supportline.db.models import Call
from supportline.enums import Role
from supportline.services.actor import Actor
from supportline.services.calls import save_call
from tests.factories import full_call, make_admin, make_user
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


# --- a copy of a call is a disclosure (DPA 2018 s.62) -------------------------------------------


CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def _copies(db: Database) -> list[tuple[str, str, str, dict[str, object]]]:
    """(user, outcome, record id, details) of every call.copy event, oldest first."""
    import json

    from supportline.db.models import AuditEvent

    with db.read() as session:
        rows = session.execute(
            select(AuditEvent.actor_name, AuditEvent.outcome, AuditEvent.record_id, AuditEvent.details)
            .where(AuditEvent.action == "call.copy")
            .order_by(AuditEvent.id)
        ).all()
    return [(who, outcome, record_id, json.loads(details)) for who, outcome, record_id, details in rows]


def _focused_window(qtbot: QtBot, window: QWidget) -> None:
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)


def _ctrl_c(widget: QWidget) -> None:
    widget.setFocus()
    QTest.keySequence(widget, QKeySequence(QKeySequence.StandardKey.Copy))


def _shown(qtbot: QtBot, window, row: int = 0):  # the window; returns the record on show
    window.calls_tab.table.setFocus()
    window.calls_tab.table.selectRow(row)
    qtbot.waitUntil(lambda: window.calls_tab.detail.record is not None, timeout=10_000)
    return window.calls_tab.detail.record


def test_ctrl_c_of_a_saved_call_is_audited_once_per_burst_by_its_id(
    qtbot: QtBot, db: Database, tasks, make_window: MakeWindow
) -> None:
    from ui.copy_audit import COPY_DEBOUNCE_S

    admin = make_admin(db)
    saved = save_call(db, admin, full_call())
    window = make_window(db, admin)
    _focused_window(qtbot, window)
    record = _shown(qtbot, window)
    assert record.id == saved.id
    assert window.copy_audit is not None
    now = [1000.0]
    window.copy_audit.clock = lambda: now[0]

    window.calls_tab.detail.selectAll()
    with qtbot.waitSignal(window.copy_audit.recorded, timeout=10_000):
        _ctrl_c(window.calls_tab.detail)
    assert saved.reference in board()
    assert _copies(db) == [("ada.admin", "allowed", str(saved.id), {"reference": saved.reference,
                                                                     "source": "detail pane"})]  # fmt: skip
    # More copies of the same call within a few seconds are the same disclosure.
    now[0] += COPY_DEBOUNCE_S - 1
    _ctrl_c(window.calls_tab.table)  # the list copies the current cell
    assert board() and board() != SECRET
    tasks.wait_until_idle()
    assert len(_copies(db)) == 1
    now[0] += 2  # and later ones are recorded again
    with qtbot.waitSignal(window.copy_audit.recorded, timeout=10_000):
        _ctrl_c(window.calls_tab.table)
    assert [(c[2], c[3]["source"]) for c in _copies(db)] == [
        (str(saved.id), "detail pane"), (str(saved.id), "call list")
    ]  # fmt: skip
    # A copy in a box that shows no call (the search) is no copy of a call.
    window.calls_tab.filters.search.setText("Tregarthen")
    window.calls_tab.filters.search.selectAll()
    _ctrl_c(window.calls_tab.filters.search)
    tasks.wait_until_idle()
    assert len(_copies(db)) == 2
    assert clipboard.guard().holds_ours()  # and it is still cleared at the end of the session


def test_ctrl_c_in_a_new_call_before_its_first_save_is_audited_under_the_id_it_is_saved_with(
    qtbot: QtBot, db: Database, tasks, make_window: MakeWindow
) -> None:
    admin = make_admin(db)
    window = make_window(db, admin)
    _focused_window(qtbot, window)
    form = window.new_call()
    field = form.caller.name
    field.setText("DS Morwenna Tregarthen")
    field.selectAll()
    assert window.copy_audit is not None
    with qtbot.waitSignal(window.copy_audit.recorded, timeout=10_000):
        _ctrl_c(field)
    assert board() == "DS Morwenna Tregarthen"
    assert _copies(db) == [
        ("ada.admin", "allowed", str(form.call_id()), {"saved": False, "source": "call form"})
    ]
    # Saved later, the call has that id: the copy's event names it.
    from tests.ui.test_call_form import log_complete_call_by_keyboard

    log_complete_call_by_keyboard(form)
    with qtbot.waitSignal(form.saved, timeout=15_000) as saved:
        form.save()
    assert saved.args[0].id == form.call_id()


def test_copy_call_copies_the_call_on_show_once_it_is_recorded(
    qtbot: QtBot, db: Database, tasks, make_window: MakeWindow
) -> None:
    admin = make_admin(db)
    saved = save_call(db, admin, full_call())
    window = make_window(db, admin)
    _focused_window(qtbot, window)
    assert window.copy_call_action in window.menuBar().actions()[1].menu().actions()
    assert [k.toString() for k in window.copy_call_action.shortcuts()] == ["Ctrl+Shift+C"]
    QApplication.clipboard().setText("")
    QTest.keyClick(
        window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert "Select a call first" in window.statusBar().currentMessage() and board() == ""
    _shown(qtbot, window)
    assert window.copy_audit is not None
    with qtbot.waitSignal(window.copy_audit.recorded, timeout=10_000):
        QTest.keyClick(window, Qt.Key.Key_C, CTRL_SHIFT)
    assert board() == window.calls_tab.detail.toPlainText() and saved.reference in board()
    assert clipboard.guard().holds_ours()
    assert "recorded in the audit log" in window.statusBar().currentMessage()
    assert [(c[2], c[3]["source"]) for c in _copies(db)] == [(str(saved.id), "copy call")]
    window.new_call()  # on a form's tab it copies nothing (it is the list's)
    assert not window.copy_call_action.isEnabled()


def test_a_refused_copy_is_audited_and_does_not_stay_on_the_clipboard(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, tasks, make_window: MakeWindow, monkeypatch
) -> None:
    """Every role shipped may read calls and so copy them; an organisation may take call.read
    from a role. That role's copies are refused, audited, and taken back."""
    from supportline.services.actor import ROLE_PERMISSIONS, Permission

    saved = save_call(sqlite_db, admin, full_call())
    operator = make_user(sqlite_db, admin, "olu.operator", Role.OPERATOR)
    window = make_window(sqlite_db, operator)
    _focused_window(qtbot, window)
    _shown(qtbot, window)
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.OPERATOR, frozenset({Permission.CALL_WRITE}))
    assert window.copy_audit is not None
    window.calls_tab.detail.selectAll()
    with qtbot.waitSignal(window.copy_audit.failed, timeout=10_000) as failed:
        _ctrl_c(window.calls_tab.detail)
    assert board() == ""  # taken back
    assert "may not copy a call to the clipboard" in failed.args[0]
    assert failed.args[0] in window.statusBar().currentMessage()
    QTest.keyClick(
        window, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    qtbot.waitUntil(lambda: len(_copies(sqlite_db)) == 2, timeout=10_000)
    tasks.wait_until_idle()
    assert board() == ""  # Copy call copies nothing it could not record
    assert [(who, outcome, record_id) for who, outcome, record_id, _d in _copies(sqlite_db)] == [
        ("olu.operator", "refused", str(saved.id)), ("olu.operator", "refused", str(saved.id))
    ]  # fmt: skip
