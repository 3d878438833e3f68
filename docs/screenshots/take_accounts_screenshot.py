"""Take the administrator page's screenshots: the Accounts window and the sign-in with its notice.

Run under Xvfb on a demo database (as ``take_screenshots.py``)::

    export SUPPORTLINE_HOME=$(mktemp -d)
    supportline db upgrade
    echo "a demo password here" | supportline demo --calls 50 --seed 11 --password-stdin
    xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb \\
        python docs/screenshots/take_accounts_screenshot.py docs/screenshots "a demo password here"

It adds three fictitious accounts to the demo database (one with a password to change, one
locked by wrong guesses, one disabled) so that the window shows each state.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable

from PySide6.QtWidgets import QApplication, QWidget

from supportline.bootstrap import load_environment, open_database
from supportline.enums import Role
from supportline.services import accounts
from supportline.services.errors import AuthenticationError, ValidationError
from ui import style
from ui.main_window import MainWindow
from ui.tasks import TaskRunner
from ui.views.login import LoginDialog

PEOPLE = (
    ("n.adeyemi", "Nkechi Adeyemi", Role.SUPERVISOR),
    ("t.pengelly", "Tamsin Pengelly", Role.ADVISER),
    ("g.morcambe", "Gethin Morcambe", Role.OPERATOR),
)
FIRST_PASSWORD = "Bramble-gate-at-noon"  # noqa: S105 (a fictitious demo password)


def main(out: str, password: str) -> None:
    app = QApplication(["supportline"])
    style.apply(app, style.LIGHT)
    env = load_environment()
    db = open_database(env)
    admin = accounts.authenticate(db, "demo-admin", password)
    tasks = TaskRunner()

    def pump(seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            tasks.wait_until_idle(20)
            time.sleep(0.01)

    def wait(condition: Callable[[], bool], seconds: float = 20) -> None:
        end = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > end:
                raise SystemExit("the window did not get there in time")
            pump(0.05)

    def shot(widget: QWidget, name: str) -> None:
        pump(0.6)
        widget.grab().save(f"{out}/{name}.png")
        print("saved", f"{out}/{name}.png")

    existing = {u.username for u in accounts.list_users(db, admin)}
    for username, display_name, role in PEOPLE:
        if username not in existing:
            with contextlib.suppress(ValidationError):
                accounts.create_user(
                    db, admin, username, display_name, role, FIRST_PASSWORD, must_change_password=True
                )
    pengelly = accounts.get_user(db, admin, "t.pengelly")
    if pengelly.must_change_password:
        accounts.change_password_at_sign_in(db, "t.pengelly", FIRST_PASSWORD, "Quiet-estuary-at-dawn")
    for _ in range(db.max_failed_logins):
        with contextlib.suppress(AuthenticationError):
            accounts.authenticate(db, "t.pengelly", "a wrong guess at it")
    morcambe = accounts.get_user(db, admin, "g.morcambe")
    if morcambe.active:
        accounts.disable_user(db, admin, morcambe.id)

    window = MainWindow(env, db, admin, tasks=tasks)
    window.setGeometry(window.screen().availableGeometry())
    window.show()
    wait(lambda: window.model.loaded_once)
    dialog = window.show_accounts()
    assert dialog is not None
    dialog.resize(900, 500)
    wait(lambda: len(dialog.users) >= 4)
    dialog.select("t.pengelly")
    dialog.table.setFocus()
    shot(dialog, "accounts")
    dialog.close()

    login = LoginDialog.for_database(db, tasks=tasks, notice=env.settings.system_use_notice)
    login.username.setText("demo-operator")
    login.show()
    login.password.setFocus()
    shot(login, "login-notice")
    login.hide()
    window.close()
    tasks.wait_until_idle()
    db.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:3])
