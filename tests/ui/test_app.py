"""Start-up: each failure ends in a message naming what is wrong and a non-zero exit code."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from supportline.bootstrap import Environment
from supportline.db import Database
from supportline.db.migrate import MigrationError
from supportline.services import accounts
from supportline.services.accounts import UserRecord
from supportline.services.actor import Actor
from tests.factories import PASSWORD, make_admin
from ui import app
from ui.main_window import MainWindow
from ui.tasks import TaskRunner
from ui.views.first_admin import FirstAdminDialog
from ui.views.login import LoginDialog
from ui.views.setup_wizard import SetupResult, SetupWizard


@pytest.fixture
def errors(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(app, "show_error", lambda title, text, parent=None: shown.append((title, text)))
    return shown


def test_a_bad_setting_is_named_and_exits_2(qapp: object, errors: list[tuple[str, str]]) -> None:
    config = Path(os.environ["SUPPORTLINE_HOME"]) / "config"  # a fresh folder per test (conftest)
    config.mkdir()
    (config / "settings.toml").write_text("idle_lock_minutes = 'ten'\n")
    assert app.run([]) == app.EXIT_CONFIG
    [(title, text)] = errors
    assert title == "Settings problem"
    assert "idle_lock_minutes" in text


def test_an_unreachable_database_is_explained_and_exits_non_zero(
    qapp: object, monkeypatch: pytest.MonkeyPatch, errors: list[tuple[str, str]]
) -> None:
    monkeypatch.setenv("SUPPORTLINE_DB_URL", "postgresql+psycopg://nobody@127.0.0.1:9/supportline")
    monkeypatch.setattr(app, "ask_password", lambda label: None)
    assert app.run([]) == app.EXIT_DATABASE
    [(title, text)] = errors
    assert title == "Database unavailable"
    assert "PostgreSQL nobody@127.0.0.1/supportline" in text
    assert "Traceback" not in text


def test_a_failed_migration_is_explained(
    qapp: object, monkeypatch: pytest.MonkeyPatch, errors: list[tuple[str, str]]
) -> None:
    def fail(env: object, db: Database) -> None:
        raise MigrationError("migrating SQLite x to head failed: disk I/O error")

    _deployed_settings()
    monkeypatch.setattr(app, "migrate", fail)
    assert app.run([]) == app.EXIT_MIGRATION
    assert errors[0][0] == "Database upgrade failed"
    assert "disk I/O error" in errors[0][1]


def _deployed_settings() -> None:
    """A settings file as a managed deployment leaves it (no database yet): no setup wizard."""
    config = Path(os.environ["SUPPORTLINE_HOME"]) / "config"
    config.mkdir(exist_ok=True)
    (config / "settings.toml").write_text("", encoding="utf-8")


def _visible_windows() -> list[MainWindow]:
    return [w for w in app.QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]


def test_a_workstation_without_settings_is_set_up_then_signs_in_then_shows_the_window(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, errors: list[tuple[str, str]]
) -> None:
    """The setup wizard (the real one, filled in by its own methods), then the sign-in with the
    new administrator's name in it, then the window."""
    steps: list[str] = []
    sign_in = LoginDialog.wait

    def setup(env: Environment, tasks: TaskRunner, parent: object = None) -> SetupResult | None:
        steps.append(f"setup, sign-in on screen: {bool(_visible_sign_in())}")
        wizard = SetupWizard(env, tasks)
        qtbot.addWidget(wizard)
        wizard.show()
        wizard.next()  # the local database
        page = wizard.admin_page
        page.username.setText("femi.okonkwo")
        page.display_name.setText("Femi Okonkwo")
        page.password.setText(PASSWORD)
        page.confirm.setText(PASSWORD)
        wizard.next()
        with qtbot.waitSignal(wizard.set_up, timeout=20_000):
            wizard.accept()  # Finish
        return wizard.result_

    def login(dialog: LoginDialog) -> Actor | None:
        steps.append(f"login as {dialog.username.text()}")
        dialog.password.setText(PASSWORD)
        dialog.sign_in_button.click()
        return sign_in(dialog)

    def exec_app(_app: object) -> int:
        [window] = _visible_windows()
        qtbot.addWidget(window)
        qtbot.waitUntil(lambda: window.model.loaded_once, timeout=10_000)
        steps.append(f"window for {window.actor.username}, empty={window.model.is_empty}")
        window.close()
        return 0

    monkeypatch.setattr(SetupWizard, "ask", setup)
    monkeypatch.setattr(FirstAdminDialog, "ask", lambda *a, **k: pytest.fail("the wizard made the admin"))
    monkeypatch.setattr(LoginDialog, "wait", login)
    monkeypatch.setattr(app, "exec_app", exec_app)
    assert app.run([]) == 0
    assert errors == []
    assert steps == [
        "setup, sign-in on screen: False",
        "login as femi.okonkwo",
        "window for femi.okonkwo, empty=True",
    ]
    assert app.QApplication.applicationName() == "Supportline"


def test_cancelling_the_setup_exits_without_a_window_or_a_database(
    qapp: object, monkeypatch: pytest.MonkeyPatch, errors: list[tuple[str, str]]
) -> None:
    monkeypatch.setattr(SetupWizard, "ask", lambda env, tasks, parent=None: None)
    monkeypatch.setattr(LoginDialog, "wait", lambda dialog: pytest.fail("no sign-in without an account"))
    assert app.run([]) == app.EXIT_CANCELLED
    assert not _visible_windows()
    home = Path(os.environ["SUPPORTLINE_HOME"])
    assert not (home / "data" / "supportline.db").exists()
    assert not (home / "config" / "settings.toml").exists()


def test_deployed_settings_without_a_database_ask_for_the_administrator_then_sign_in(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, errors: list[tuple[str, str]]
) -> None:
    _deployed_settings()
    steps: list[str] = []

    def first_admin(db: Database, **_kw: object) -> UserRecord:
        steps.append("first admin")
        return accounts.create_first_admin(db, "femi.okonkwo", "Femi Okonkwo", PASSWORD)

    def login(dialog: LoginDialog) -> Actor | None:
        steps.append(f"login as {dialog.username.text()}")
        return None

    monkeypatch.setattr(SetupWizard, "ask", lambda *a, **k: pytest.fail("settings were deployed: no wizard"))
    monkeypatch.setattr(FirstAdminDialog, "ask", first_admin)
    monkeypatch.setattr(LoginDialog, "wait", login)
    assert app.run([]) == 0
    assert steps == ["first admin", "login as femi.okonkwo"]


def test_cancelling_the_first_admin_exits_without_a_window(
    qapp: object, monkeypatch: pytest.MonkeyPatch, errors: list[tuple[str, str]]
) -> None:
    _deployed_settings()
    monkeypatch.setattr(FirstAdminDialog, "ask", lambda db, **kw: None)
    monkeypatch.setattr(LoginDialog, "wait", lambda dialog: pytest.fail("no sign-in without an account"))
    assert app.run([]) == app.EXIT_CANCELLED
    assert not _visible_windows()


def test_drafts_left_by_a_crash_are_offered_after_sign_in(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, errors: list[tuple[str, str]]
) -> None:
    import uuid

    from supportline.services import drafts
    from ui.views.drafts_dialog import DraftChoice

    offered: list[list[str]] = []
    opened: list[Database] = []

    def first_admin(db: Database, **_kw: object) -> UserRecord:
        opened.append(db)
        return accounts.create_first_admin(db, "femi.okonkwo", "Femi Okonkwo", PASSWORD)

    def login(dialog: LoginDialog) -> Actor:
        [db] = opened
        actor = accounts.authenticate(db, dialog.username.text(), PASSWORD)
        drafts.save_draft(
            db, actor, draft_id=uuid.uuid4(), call_id=uuid.uuid4(), is_edit=False, title="New call 03:41",
            payload={"call": {}},
        )  # fmt: skip
        return actor

    def ask_drafts(window: MainWindow, found: list[drafts.DraftRecord]) -> tuple[DraftChoice, tuple[()]]:
        offered.append([d.title for d in found])
        return DraftChoice.LATER, ()

    def exec_app(_app: object) -> int:
        [window] = [
            w for w in app.QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        ]
        qtbot.addWidget(window)
        with qtbot.waitSignal(window.drafts_checked, timeout=10_000):
            pass
        window.close()
        return 0

    _deployed_settings()
    monkeypatch.setattr(FirstAdminDialog, "ask", first_admin)
    monkeypatch.setattr(LoginDialog, "wait", login)
    monkeypatch.setattr(MainWindow, "ask_drafts", ask_drafts)
    monkeypatch.setattr(app, "exec_app", exec_app)
    assert app.run([]) == 0
    assert offered == [["New call 03:41"]]
    assert errors == []


def test_the_theme_setting_is_checked(qapp: object, errors: list[tuple[str, str]]) -> None:
    config = Path(os.environ["SUPPORTLINE_HOME"]) / "config"
    config.mkdir()
    (config / "settings.toml").write_text("theme = 'midnight'\n")
    assert app.run([]) == app.EXIT_CONFIG
    assert "theme" in errors[0][1] and "light" in errors[0][1]


def _visible_sign_in() -> list[LoginDialog]:
    return [w for w in app.QApplication.topLevelWidgets() if isinstance(w, LoginDialog) and w.isVisible()]


def test_the_sign_in_is_on_screen_before_the_database_opens_and_typing_ahead_signs_in(
    qtbot: QtBot, cli_db: Database, monkeypatch: pytest.MonkeyPatch, errors: list[tuple[str, str]]
) -> None:
    """A start with a database: the sign-in shows at once; a person who types and presses Enter
    before the database is ready is signed in the moment it is, without pressing again."""
    make_admin(cli_db)
    cli_db.dispose()
    steps: list[str] = []
    real_open = app.open_database

    def open_database(env: object, **kw: object) -> Database:
        [dialog] = _visible_sign_in()
        steps.append(f"database opened with the sign-in on screen: {dialog.where.text()}")
        dialog.username.setText("ada.admin")
        dialog.password.setText(PASSWORD)
        dialog.sign_in_button.click()  # before the database is ready
        assert dialog.busy and not dialog.ready
        return real_open(env, **kw)  # type: ignore[arg-type]

    def exec_app(_app: object) -> int:
        [window] = [
            w for w in app.QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        ]
        qtbot.addWidget(window)
        steps.append(f"window for {window.actor.username}")
        assert not _visible_sign_in()
        window.close()
        return 0

    monkeypatch.setattr(app, "open_database", open_database)
    monkeypatch.setattr(app, "exec_app", exec_app)
    assert app.run([]) == 0
    assert errors == []
    assert steps == [
        "database opened with the sign-in on screen: Opening the database…",
        "window for ada.admin",
    ]


def test_giving_up_at_the_sign_in_while_the_start_goes_on_exits_quietly(
    qtbot: QtBot, cli_db: Database, monkeypatch: pytest.MonkeyPatch, errors: list[tuple[str, str]]
) -> None:
    make_admin(cli_db)
    cli_db.dispose()
    opened: list[bool] = []

    def load_the_rest() -> None:
        opened.append(False)

    def cancel_soon() -> None:
        for dialog in _visible_sign_in():  # the person presses Cancel while the start goes on
            dialog.buttons.button(dialog.buttons.StandardButton.Cancel).click()

    monkeypatch.setattr(app, "load_the_rest", load_the_rest)
    monkeypatch.setattr(app, "open_database", lambda env, **kw: opened.append(True))
    monkeypatch.setattr(app, "wait_for", _cancelling_first(app.wait_for, cancel_soon))
    assert app.run([]) == 0
    assert opened == [False]  # the rest loaded, the database was not opened
    assert errors == [] and not _visible_sign_in()


def _cancelling_first(wait_for: Callable[..., object], cancel: Callable[[], None]) -> Callable[..., object]:
    def wrapped(tasks: object, work: Callable[[], object]) -> object:
        cancel()
        return wait_for(tasks, work)

    return wrapped


def test_a_first_start_asks_for_the_administrator_without_showing_the_sign_in_first(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, errors: list[tuple[str, str]]
) -> None:
    _deployed_settings()
    seen: list[int] = []

    def first_admin(db: Database, **_kw: object) -> None:
        seen.append(len(_visible_sign_in()))
        return None

    monkeypatch.setattr(FirstAdminDialog, "ask", first_admin)
    assert app.run([]) == app.EXIT_CANCELLED
    assert seen == [0]


def test_a_broken_installation_is_named_instead_of_a_traceback(
    qapp: object, monkeypatch: pytest.MonkeyPatch, errors: list[tuple[str, str]]
) -> None:
    def load_the_rest() -> None:
        raise ModuleNotFoundError("No module named 'sqlalchemy'", name="sqlalchemy")

    monkeypatch.setattr(app, "load_the_rest", load_the_rest)
    assert app.run([]) == app.EXIT_INSTALLATION
    [(title, text)] = errors
    assert title == "Installation problem"
    assert "No module named 'sqlalchemy'" in text


def test_the_log_says_when_the_start_is_ready_for_sign_in(
    qtbot: QtBot,
    cli_db: Database,
    monkeypatch: pytest.MonkeyPatch,
    errors: list[tuple[str, str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The line the bundle's CI check (``.ci/run``) waits for in the log file: written once the
    database is open, its schema checked and the main window built, before anyone signs in."""
    make_admin(cli_db)
    cli_db.dispose()
    caplog.set_level(logging.INFO, logger="ui.app")
    seen: list[list[str]] = []

    def wait(dialog: LoginDialog) -> Actor | None:
        seen.append([r.getMessage() for r in caplog.records if r.name == "ui.app"])
        return None  # the person closes the sign-in

    monkeypatch.setattr(LoginDialog, "wait", wait)
    assert app.run([]) == 0
    assert errors == []
    assert seen == [["ready for sign-in: SQLite database open, schema current"]]


def test_after_sign_in_the_daily_backup_runs_with_the_window(
    qtbot: QtBot, cli_db: Database, monkeypatch: pytest.MonkeyPatch, errors: list[tuple[str, str]]
) -> None:
    from ui.daily_backup import DailyBackup

    make_admin(cli_db)
    cli_db.dispose()
    found: list[DailyBackup] = []

    def exec_app(_app: object) -> int:
        [window] = [
            w for w in app.QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        ]
        qtbot.addWidget(window)
        found.extend(window.findChildren(DailyBackup))
        window.close()
        return 0

    monkeypatch.setattr(app, "exec_app", exec_app)
    monkeypatch.setattr(LoginDialog, "wait", _typing(LoginDialog.wait))
    assert app.run([]) == 0
    assert errors == []
    [backups] = found
    assert backups.enabled
    assert backups.folder == Path(os.environ["SUPPORTLINE_HOME"]) / "data" / "backups" / "daily"


def _typing(wait: Callable[[LoginDialog], Actor | None]) -> Callable[[LoginDialog], Actor | None]:
    def typed(dialog: LoginDialog) -> Actor | None:
        dialog.username.setText("ada.admin")
        dialog.password.setText(PASSWORD)
        dialog.sign_in_button.click()
        return wait(dialog)

    return typed
