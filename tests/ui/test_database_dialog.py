"""The Database dialog: test a connection in plain words, save only one that works."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy.engine import make_url

from supportline import config
from supportline.db import Database
from tests.conftest import PG_URL
from ui.tasks import TaskRunner
from ui.views.database_dialog import DatabaseDialog

pytestmark = pytest.mark.postgres


@pytest.fixture
def dialog(qtbot: QtBot, tasks: TaskRunner, pg_db: Database) -> Iterator[DatabaseDialog]:
    paths = config.Paths.from_environment()
    widget = DatabaseDialog(paths, config.load_settings(paths), tasks)
    qtbot.addWidget(widget)
    server = make_url(PG_URL)
    widget.host.setText(server.host or "")
    widget.port.setValue(server.port or 5432)
    widget.database.setText(server.database or "")
    widget.user.setText(server.username or "")
    widget.sslmode.setCurrentText("prefer")
    widget.show()
    yield widget
    tasks.wait_until_idle()


def _result(qtbot: QtBot, dialog: DatabaseDialog, action: str) -> str:
    with qtbot.waitSignal(dialog.tested, timeout=15_000, check_params_cb=lambda t: t != "Connecting…") as got:
        getattr(dialog, action + "_button").click()
    text: str = got.args[0]
    return text


def test_testing_a_working_connection_says_so_and_saves_nothing(qtbot: QtBot, dialog: DatabaseDialog) -> None:
    text = _result(qtbot, dialog, "test")
    assert text.startswith("Connected to PostgreSQL 15")
    assert config.load_settings(config.Paths.from_environment()).database_url == ""
    assert dialog.keyring_note.isVisible()  # the test machine has no secure keyring


def test_a_missing_database_is_named_and_nothing_saved(qtbot: QtBot, dialog: DatabaseDialog) -> None:
    dialog.database.setText("no_such_database_sl")
    text = _result(qtbot, dialog, "save")
    assert "there is no database 'no_such_database_sl'" in text and "Nothing was saved" in text
    assert config.load_settings(config.Paths.from_environment()).database_url == ""
    assert dialog.isVisible()


def test_saving_a_working_connection_writes_the_url_and_never_the_password(
    qtbot: QtBot, dialog: DatabaseDialog
) -> None:
    dialog.password.setText("Fictitious-Secret-2")  # the test server trusts local users: unused
    dialog.standbys.setText("127.0.0.1:1")
    with qtbot.waitSignal(dialog.saved, timeout=15_000) as saved:
        dialog.save_button.click()
    url = make_url(saved.args[0])
    assert url.query["target_session_attrs"] == "read-write"
    assert url.query["host"][1] == "127.0.0.1:1"
    settings_text = config.Paths.from_environment().settings_file.read_text(encoding="utf-8")
    assert "Fictitious-Secret-2" not in settings_text
    assert make_url(config.load_settings(config.Paths.from_environment()).database_url) == url
    assert not dialog.isVisible()


def test_missing_fields_are_named(qtbot: QtBot, dialog: DatabaseDialog) -> None:
    dialog.host.clear()
    dialog.user.clear()
    dialog.test_button.click()
    assert dialog.status.text() == "Not tested: the host and user must be given."


def test_administrators_open_it_from_the_file_menu(
    qtbot: QtBot, pg_db: Database, make_window: object
) -> None:
    from supportline.enums import Role
    from tests.factories import make_admin, make_user

    admin = make_admin(pg_db)
    window = make_window(pg_db, admin)  # type: ignore[operator]
    assert window.database_action in window.file_menu.actions()
    window.database_action.trigger()
    qtbot.waitUntil(lambda: window.database_dialog.isVisible(), timeout=5000)
    window.database_dialog.reject()
    operator = make_user(pg_db, admin, "olu.operator", Role.OPERATOR)
    other = make_window(pg_db, operator)  # type: ignore[operator]
    assert not hasattr(other, "database_action")
