"""First start and sign-in, driven through the dialogs' own widgets."""

from __future__ import annotations

from functools import partial

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from supportline.db import Database
from supportline.db.models import AuditEvent
from supportline.enums import Role
from supportline.services import accounts
from supportline.services.actor import Actor
from tests.factories import PASSWORD
from ui.tasks import TaskRunner
from ui.views.first_admin import FirstAdminDialog
from ui.views.login import LoginDialog


def _fill(dialog: FirstAdminDialog, password: str, confirm: str | None = None) -> None:
    dialog.username.setText("Nkechi.Adeyemi")
    dialog.display_name.setText("Nkechi Adeyemi")
    dialog.password.setText(password)
    dialog.confirm.setText(password if confirm is None else confirm)


def test_first_admin_dialog_creates_the_administrator(
    qtbot: QtBot, sqlite_db: Database, tasks: TaskRunner
) -> None:
    dialog = FirstAdminDialog(sqlite_db, tasks=tasks)
    qtbot.addWidget(dialog)
    _fill(dialog, PASSWORD)
    with qtbot.waitSignal(dialog.created, timeout=10_000):
        dialog.create_button.click()
    assert dialog.result() == FirstAdminDialog.DialogCode.Accepted
    assert dialog.record is not None
    assert dialog.record.username == "nkechi.adeyemi"
    assert dialog.record.role == Role.ADMIN
    users = accounts.list_users(sqlite_db, accounts.actor_for(dialog.record))
    assert [(u.username, u.display_name) for u in users] == [("nkechi.adeyemi", "Nkechi Adeyemi")]


def test_a_short_password_is_shown_beside_its_field_and_nothing_typed_is_lost(
    qtbot: QtBot, sqlite_db: Database, tasks: TaskRunner
) -> None:
    dialog = FirstAdminDialog(sqlite_db, tasks=tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    _fill(dialog, "short")
    with qtbot.waitSignal(dialog.refused, timeout=10_000):
        dialog.create_button.click()
    assert dialog.error_text("password") == "Must be at least 12 characters (a few words make a good one)"
    assert dialog.errors["password"].isVisible()
    assert dialog.error_text("username") == ""
    assert dialog.error_text("display_name") == ""
    assert (dialog.username.text(), dialog.display_name.text(), dialog.password.text()) == (
        "Nkechi.Adeyemi", "Nkechi Adeyemi", "short",
    )  # fmt: skip
    assert dialog.record is None and dialog.isVisible()
    assert accounts.count_users(sqlite_db) == 0
    assert dialog.create_button.isEnabled()


def test_every_bad_field_is_named_at_once(qtbot: QtBot, sqlite_db: Database, tasks: TaskRunner) -> None:
    dialog = FirstAdminDialog(sqlite_db, tasks=tasks)
    qtbot.addWidget(dialog)
    dialog.username.setText("no spaces please")
    dialog.password.setText("short")
    dialog.confirm.setText("short")
    with qtbot.waitSignal(dialog.refused, timeout=10_000):
        dialog.create_button.click()
    assert dialog.error_text("username").startswith("Use 1-64 lower-case letters")
    assert dialog.error_text("display_name") == "Required"
    assert dialog.error_text("password") == "Must be at least 12 characters (a few words make a good one)"


def test_a_mismatched_confirmation_is_caught_before_the_service(
    qtbot: QtBot, sqlite_db: Database, tasks: TaskRunner
) -> None:
    dialog = FirstAdminDialog(sqlite_db, tasks=tasks)
    qtbot.addWidget(dialog)
    _fill(dialog, PASSWORD, confirm=PASSWORD + "!")
    dialog.create_button.click()
    assert tasks.pending == 0
    assert dialog.error_text("confirm") == "Does not match the password"
    assert accounts.count_users(sqlite_db) == 0


def test_sign_in_succeeds_on_the_task_runner(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, tasks: TaskRunner
) -> None:
    dialog = LoginDialog.for_database(sqlite_db, tasks=tasks)
    qtbot.addWidget(dialog)
    dialog.username.setText("ADA.ADMIN ")
    dialog.password.setText(PASSWORD)
    with qtbot.waitSignal(dialog.signed_in, timeout=10_000) as blocker:
        dialog.sign_in_button.click()
        assert dialog.busy  # the GUI thread did not wait for Argon2
    assert blocker.args == [admin]
    assert dialog.actor == admin
    assert dialog.result() == LoginDialog.DialogCode.Accepted
    assert dialog.password.text() == ""


def test_a_wrong_password_is_refused_clearing_only_the_password(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, tasks: TaskRunner
) -> None:
    dialog = LoginDialog.for_database(sqlite_db, tasks=tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.username.setText("ada.admin")
    dialog.password.setText("not the password")
    with qtbot.waitSignal(dialog.refused, timeout=10_000):
        dialog.sign_in_button.click()
    assert dialog.message.isVisible()
    assert dialog.message.text().lower() == "wrong user name or password"
    assert dialog.password.text() == ""
    assert dialog.username.text() == "ada.admin"
    assert dialog.actor is None and dialog.isVisible()
    assert not dialog.busy
    with sqlite_db.read() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("login.%"))).all()
    assert actions == ["login.refused"]


def test_an_unknown_user_gets_the_same_message(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, tasks: TaskRunner
) -> None:
    dialog = LoginDialog.for_database(sqlite_db, tasks=tasks)
    qtbot.addWidget(dialog)
    dialog.username.setText("nobody")
    dialog.password.setText(PASSWORD)
    with qtbot.waitSignal(dialog.refused, timeout=10_000) as blocker:
        dialog.sign_in_button.click()
    assert blocker.args == ["Wrong user name or password"]


def test_empty_fields_are_not_sent(qtbot: QtBot, sqlite_db: Database, tasks: TaskRunner) -> None:
    dialog = LoginDialog.for_database(sqlite_db, username="ada.admin", tasks=tasks)
    qtbot.addWidget(dialog)
    dialog.sign_in_button.click()
    assert tasks.pending == 0
    assert dialog.message.text() == "Enter your user name and password."


def test_a_sign_in_pressed_before_the_database_is_ready_waits_then_goes_ahead(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, tasks: TaskRunner
) -> None:
    dialog = LoginDialog(tasks=tasks)  # the first screen of a start: no database yet
    qtbot.addWidget(dialog)
    assert not dialog.ready and dialog.where.text() == "Opening the database…"
    dialog.username.setText("ada.admin")
    dialog.password.setText(PASSWORD)
    dialog.sign_in_button.click()
    assert dialog.busy and tasks.pending == 0  # kept, not sent anywhere
    assert dialog.sign_in_button.text() == "Signing in…"
    assert dialog.password.isReadOnly()
    with qtbot.waitSignal(dialog.signed_in, timeout=10_000) as blocker:
        dialog.attach(partial(accounts.authenticate, sqlite_db), sqlite_db.describe())
    assert blocker.args == [admin]
    assert dialog.where.text() == f"Database: {sqlite_db.describe()}"


def test_an_administrator_created_meanwhile_replaces_what_was_typed_ahead(
    qtbot: QtBot, tasks: TaskRunner
) -> None:
    dialog = LoginDialog(tasks=tasks)
    qtbot.addWidget(dialog)
    dialog.username.setText("someone")
    dialog.password.setText("typed before there was any account")
    dialog.sign_in_button.click()
    dialog.set_username("femi.okonkwo")
    assert not dialog.busy and not dialog.password.isReadOnly()
    assert dialog.username.text() == "femi.okonkwo" and dialog.password.text() == ""
    dialog.attach(lambda _u, _p: pytest.fail("nothing typed ahead is sent"), "SQLite test")
    assert tasks.pending == 0


def test_enter_in_the_password_signs_in_and_never_cancels(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, tasks: TaskRunner
) -> None:
    """Before: the Sign in button was made default before it was in the dialog, so on show
    Cancel became the default button and Enter in the password box closed the sign-in."""
    dialog = LoginDialog.for_database(sqlite_db, tasks=tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.username.setText("ada.admin")
    dialog.password.setText(PASSWORD)
    with qtbot.waitSignal(dialog.signed_in, timeout=10_000):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.result() == LoginDialog.DialogCode.Accepted and dialog.actor == admin


def test_enter_in_the_first_admin_dialog_creates_the_account(
    qtbot: QtBot, sqlite_db: Database, tasks: TaskRunner
) -> None:
    dialog = FirstAdminDialog(sqlite_db, tasks=tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    _fill(dialog, PASSWORD)
    with qtbot.waitSignal(dialog.created, timeout=10_000):
        qtbot.keyClick(dialog.confirm, Qt.Key.Key_Return)
    assert dialog.record is not None
