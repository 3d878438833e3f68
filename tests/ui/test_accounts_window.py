"""The Accounts window and the forced password change at sign-in, driven by the keyboard."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from supportline.config import DEFAULT_SYSTEM_USE_NOTICE
from supportline.db import Database
from supportline.db.models import AuditEvent
from supportline.enums import Role
from supportline.services import accounts
from supportline.services.actor import Actor
from supportline.services.errors import AuthenticationError
from tests.factories import PASSWORD, make_user
from ui.tasks import TaskRunner
from ui.views.accounts import AccountsWindow
from ui.views.login import LoginDialog

FIRST_PW = "Bramble-gate-at-noon"
OWN_PW = "Kestrel over the weir"


@pytest.fixture
def window(qtbot: QtBot, sqlite_db: Database, admin: Actor, tasks: TaskRunner) -> AccountsWindow:
    win = AccountsWindow(sqlite_db, admin, tasks)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: len(win.users) == 1, timeout=10_000)
    win.table.setFocus()
    QApplication.processEvents()
    return win


def _wait_loaded(qtbot: QtBot, win: AccountsWindow, action) -> None:
    with qtbot.waitSignal(win.loaded, timeout=10_000):
        action()


def _key(qtbot: QtBot, widget: QWidget, key: Qt.Key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key to whatever has the focus in ``widget``'s window (as a person's keyboard would)."""
    target = QApplication.focusWidget()
    if target is None or target.window() is not widget.window():
        target = widget
    qtbot.keyClick(target, key, modifier)
    QApplication.processEvents()


def _type(qtbot: QtBot, text: str) -> None:
    focus = QApplication.focusWidget()
    assert focus is not None
    qtbot.keyClicks(focus, text)


def _tab(qtbot: QtBot) -> None:
    focus = QApplication.focusWidget()
    assert focus is not None
    qtbot.keyClick(focus, Qt.Key.Key_Tab)


def _row(win: AccountsWindow, username: str) -> list[str]:
    for row, user in enumerate(win.users):
        if user.username == username:
            return [win.table.item(row, c).text() for c in range(win.table.columnCount())]
    raise AssertionError(f"{username} is not listed")


def _actions(db: Database, prefix: str) -> list[str]:
    with db.read() as session:
        return [
            a
            for a in session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))
            if a.startswith(prefix)
        ]


def test_add_an_account_by_keyboard(qtbot: QtBot, window: AccountsWindow, sqlite_db: Database) -> None:
    window.activateWindow()
    _key(qtbot, window, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)  # &Add…
    qtbot.waitUntil(lambda: window.add_dialog is not None, timeout=5_000)  # a button's animated click
    dialog = window.add_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.username, timeout=5_000)
    _type(qtbot, "olu.okafor")
    _tab(qtbot)
    _type(qtbot, "Olu Okafor")
    _tab(qtbot)
    assert QApplication.focusWidget() is dialog.role
    _key(qtbot, dialog.role, Qt.Key.Key_Down)  # Operator → Adviser
    _tab(qtbot)
    _type(qtbot, "olu okafor's secret")  # contains his name: refused, shown in the dialog
    _tab(qtbot)
    _type(qtbot, "olu okafor's secret")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=10_000)
    assert "your user name or your name" in dialog.message.text()
    assert dialog.isVisible() and dialog.username.text() == "olu.okafor"  # nothing typed is lost
    assert QApplication.focusWidget() is dialog.passwords.password
    dialog.passwords.password.clear()
    _type(qtbot, FIRST_PW)
    _tab(qtbot)
    dialog.passwords.confirm.clear()
    _type(qtbot, FIRST_PW)
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert not dialog.isVisible()
    assert _row(window, "olu.okafor")[1:4] == ["Olu Okafor", Role.ADVISER.label, "Must change password"]
    assert window.status.text() == "Added olu.okafor."
    with pytest.raises(accounts.PasswordChangeRequiredError):
        accounts.authenticate(sqlite_db, "olu.okafor", FIRST_PW)


def test_disable_and_enable_by_keyboard(
    qtbot: QtBot, window: AccountsWindow, sqlite_db: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(sqlite_db, admin, "olu.operator", Role.OPERATOR)
    _wait_loaded(qtbot, window, window.refresh)
    asked: list[str] = []
    monkeypatch.setattr(window, "confirm", lambda title, text: asked.append(text) or True)
    window.table.setFocus()
    _key(qtbot, window.table, Qt.Key.Key_Home)
    _key(qtbot, window.table, Qt.Key.Key_Down)
    assert window.selected() is not None and window.selected().username == "olu.operator"
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        _key(qtbot, window, Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)  # &Disable…
    assert asked and "olu.operator" in asked[0]
    assert _row(window, "olu.operator")[3] == "Disabled"
    with pytest.raises(AuthenticationError, match="disabled"):
        accounts.authenticate(sqlite_db, "olu.operator", PASSWORD)
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        _key(qtbot, window, Qt.Key.Key_E, Qt.KeyboardModifier.AltModifier)  # &Enable
    assert _row(window, "olu.operator")[3] == "Active"
    assert _actions(sqlite_db, "user.") == ["user.create", "user.create", "user.disable", "user.enable"]


def test_reset_password_by_keyboard(
    qtbot: QtBot, window: AccountsWindow, sqlite_db: Database, admin: Actor
) -> None:
    make_user(sqlite_db, admin, "olu.operator", Role.OPERATOR)
    _wait_loaded(qtbot, window, lambda: window.refresh(keep="olu.operator"))
    window.activateWindow()
    _key(qtbot, window, Qt.Key.Key_P, Qt.KeyboardModifier.AltModifier)  # Reset &password…
    qtbot.waitUntil(lambda: window.reset_dialog is not None, timeout=5_000)
    dialog = window.reset_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.passwords.password, timeout=5_000)
    _type(qtbot, "password1234")
    _tab(qtbot)
    _type(qtbot, "password1234")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.message.isVisible(), timeout=10_000)
    assert "common" in dialog.message.text() and "password1234" not in dialog.message.text()
    _type(qtbot, FIRST_PW)
    _tab(qtbot)
    _type(qtbot, FIRST_PW)
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert "Must change password" in _row(window, "olu.operator")[3]
    with pytest.raises(accounts.PasswordChangeRequiredError):
        accounts.authenticate(sqlite_db, "olu.operator", FIRST_PW)


def test_unlock_by_keyboard(qtbot: QtBot, window: AccountsWindow, sqlite_db: Database, admin: Actor) -> None:
    make_user(sqlite_db, admin, "olu.operator", Role.OPERATOR)
    for _ in range(sqlite_db.max_failed_logins):
        with pytest.raises(AuthenticationError):
            accounts.authenticate(sqlite_db, "olu.operator", "not his password")
    _wait_loaded(qtbot, window, lambda: window.refresh(keep="olu.operator"))
    assert _row(window, "olu.operator")[3].startswith("Locked until ")
    assert window.unlock_button.isEnabled()
    with qtbot.waitSignal(window.loaded, timeout=10_000):
        _key(qtbot, window, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)  # &Unlock
    assert _row(window, "olu.operator")[3] == "Active"
    assert accounts.authenticate(sqlite_db, "olu.operator", PASSWORD).username == "olu.operator"


def test_the_last_admin_refusal_is_shown_in_words(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, tasks: TaskRunner
) -> None:
    bea = make_user(sqlite_db, admin, "bea.admin", Role.ADMIN)
    accounts.disable_user(sqlite_db, bea, admin.user_id)  # Ada's window stays open meanwhile
    win = AccountsWindow(sqlite_db, admin, tasks)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(lambda: len(win.users) == 2, timeout=10_000)
    win.select("bea.admin")
    win.role.setFocus()
    win.role.setCurrentIndex(win.role.findData(Role.OPERATOR))
    with qtbot.waitSignal(win.refused, timeout=10_000) as blocker:
        _key(qtbot, win, Qt.Key.Key_S, Qt.KeyboardModifier.AltModifier)  # &Set role
    assert blocker.args == [
        "Bea.admin is the last active administrator: make another account an administrator first"
    ]
    assert win.message.isVisible() and win.message.text() == blocker.args[0]
    assert accounts.get_user(sqlite_db, bea, "bea.admin").role is Role.ADMIN
    assert _actions(sqlite_db, "user.role") == ["user.role.refused"]


def test_own_account_cannot_be_disabled_or_demoted_from_the_window(window: AccountsWindow) -> None:
    window.select("ada.admin")
    assert not window.disable_button.isEnabled()
    assert not window.role_button.isEnabled() and not window.role.isEnabled()
    assert window.reset_button.isEnabled()  # one's own password may be changed


def test_tab_reaches_every_control(
    qtbot: QtBot, window: AccountsWindow, sqlite_db: Database, admin: Actor
) -> None:
    make_user(sqlite_db, admin, "olu.operator", Role.OPERATOR)
    _wait_loaded(qtbot, window, lambda: window.refresh(keep="olu.operator"))
    window.activateWindow()
    window.table.setFocus()
    seen: set[QWidget] = set()
    for _ in range(30):
        focus = QApplication.focusWidget()
        assert focus is not None
        seen.add(focus)
        qtbot.keyClick(focus, Qt.Key.Key_Tab)
    enabled = {
        w
        for w in (
            window.table, window.add_button, window.disable_button, window.enable_button,
            window.reset_button, window.unlock_button, window.role, window.role_button,
            window.refresh_button, window.close_button,
        )
        if w.isEnabled()
    }  # fmt: skip
    assert window.role in enabled and window.disable_button in enabled
    assert enabled <= seen


def test_sign_in_shows_the_notice_and_forces_a_new_password_after_a_reset(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, tasks: TaskRunner
) -> None:
    operator = make_user(sqlite_db, admin, "olu.operator", Role.OPERATOR)
    accounts.reset_password(sqlite_db, admin, operator.user_id, FIRST_PW)
    dialog = LoginDialog.for_database(sqlite_db, tasks=tasks, notice=DEFAULT_SYSTEM_USE_NOTICE)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.notice.isVisible() and "authorised" in dialog.notice.text()
    assert not dialog.new_password.isVisible()
    dialog.username.setText("olu.operator")
    dialog.password.setText(FIRST_PW)
    with qtbot.waitSignal(dialog.refused, timeout=10_000):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.changing_password and dialog.actor is None
    assert dialog.new_password.isVisible() and dialog.confirm_password.isVisible()
    assert not dialog.password.isVisible() and dialog.username.isReadOnly()
    assert "reset" in dialog.message.text()
    assert QApplication.focusWidget() is dialog.new_password
    # A weak new password is refused there, in words.
    qtbot.keyClicks(dialog.new_password, "aaaaaaaaaaaa")
    qtbot.keyClick(dialog.new_password, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.confirm_password, "aaaaaaaaaaaa")
    with qtbot.waitSignal(dialog.refused, timeout=10_000) as blocker:
        qtbot.keyClick(dialog.confirm_password, Qt.Key.Key_Return)
    assert blocker.args[0].startswith("The new password is a character or a short pattern repeated")
    assert dialog.changing_password and QApplication.focusWidget() is dialog.new_password
    # Mismatch: caught before the service.
    qtbot.keyClicks(dialog.new_password, OWN_PW)
    qtbot.keyClicks(dialog.confirm_password, OWN_PW + "!")
    qtbot.keyClick(dialog.confirm_password, Qt.Key.Key_Return)
    assert tasks.pending == 0 and "not the same" in dialog.message.text()
    qtbot.keyClicks(dialog.confirm_password, OWN_PW)
    with qtbot.waitSignal(dialog.signed_in, timeout=10_000) as signed:
        qtbot.keyClick(dialog.confirm_password, Qt.Key.Key_Return)
    assert signed.args[0].user_id == operator.user_id
    assert not dialog.changing_password
    assert accounts.authenticate(sqlite_db, "olu.operator", OWN_PW).user_id == operator.user_id
    with sqlite_db.read() as session:
        change = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.password.change")).one()
    assert json.loads(change.details) == {"at_sign_in": True}


def test_file_accounts_opens_the_accounts_window_and_only_admins_have_it(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window
) -> None:
    supervisor = make_user(sqlite_db, admin, "sam.supervisor", Role.SUPERVISOR)
    theirs = make_window(sqlite_db, supervisor)
    assert "Acco&unts…" not in [a.text() for a in theirs.file_menu.actions()]
    assert theirs.accounts_action is None and theirs.show_accounts() is None
    window = make_window(sqlite_db, admin)
    assert window.accounts_action is not None
    assert window.accounts_action in window.file_menu.actions()
    # No key is taken twice among the window's actions.
    keys = [k.toString() for a in window.actions() for k in a.shortcuts()]
    assert len(keys) == len(set(keys)), keys
    window.activateWindow()
    window.calls_tab.table.setFocus()
    qtbot.keyClick(
        window, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert window.accounts_window is not None
    qtbot.waitUntil(lambda: len(window.accounts_window.users) == 2, timeout=10_000)
    assert ("Ctrl+Shift+A", "Accounts: add, disable, unlock, reset passwords") in window.shortcuts()


def test_screen_lock_unlock_and_sign_out_are_audited(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window, tasks: TaskRunner
) -> None:
    window = make_window(sqlite_db, admin)
    window.lock()
    window.lock_view.password.setText(PASSWORD)
    with qtbot.waitSignal(window.lock_view.unlocked, timeout=10_000):
        window.lock_view.unlock()
    window.close()
    tasks.wait_until_idle()
    assert _actions(sqlite_db, "screen.") == ["screen.lock", "screen.unlock"]
    assert _actions(sqlite_db, "logout") == ["logout"]


def test_a_mnemonic_moves_to_the_check_box_without_changing_it(qtbot: QtBot, window: AccountsWindow) -> None:
    dialog = window.show_add_dialog()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.username, timeout=5_000)
    assert dialog.must_change.isChecked()
    qtbot.keyClick(dialog.username, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)
    qtbot.wait(300)  # longer than a button's animated click
    assert QApplication.focusWidget() is dialog.must_change
    assert dialog.must_change.isChecked()  # unchanged
    qtbot.keyClick(dialog.must_change, Qt.Key.Key_Space)
    assert not dialog.must_change.isChecked()
    dialog.reject()
