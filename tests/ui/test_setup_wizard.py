"""The first-run setup (issue 16, item 2), driven from the keyboard only: the local database, a
shared PostgreSQL database (the real test server, as the least-privilege application role an
administrator prepared with ``init-shared``), the administrator, the training offer, going back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import text
from sqlalchemy.engine import make_url

from supportline import config
from supportline.bootstrap import load_environment
from supportline.db import Database, create_database, shared_setup
from supportline.services import accounts
from supportline.training import TRAINING_PASSWORD, is_training_file, training_path
from tests.conftest import PG_URL
from tests.factories import PASSWORD, make_admin
from tests.ui.keyboard_helpers import ALT, CTRL, Key, clashes, focused, press, tab_problems, type_text
from ui.tasks import TaskRunner
from ui.views.setup_wizard import PAGE_ADMIN, PAGE_DATABASE, PAGE_SHARED, PAGE_TRAINING, SetupWizard

TIMEOUT = 30_000


@pytest.fixture
def wizard(qtbot: QtBot, tasks: TaskRunner) -> Iterator[SetupWizard]:
    widget = SetupWizard(load_environment(), tasks)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    QApplication.processEvents()
    yield widget
    tasks.wait_until_idle()


def _button(qtbot: QtBot, wizard: SetupWizard, key: Key, page: int) -> None:
    """Alt+letter on a wizard button (a button's mnemonic clicks it after a short animation)."""
    press(key, ALT)
    qtbot.waitUntil(lambda: wizard.currentId() == page, timeout=2000)


def _type_admin(username: str = "femi.okonkwo", password: str = PASSWORD, confirm: str | None = None) -> None:
    """On the administrator page, from its first field, by keyboard (ending in the last field)."""
    for i, value in enumerate((username, "Femi Okonkwo", password, password if confirm is None else confirm)):
        if i:
            press(Key.Key_Tab)
        type_text(value)


def _walk_is_sound(wizard: SetupWizard) -> None:
    QApplication.processEvents()
    start = focused()
    assert tab_problems(wizard, start) == []
    assert clashes(wizard) == {}


def test_the_local_path_by_keyboard_with_a_training_database_going_back_on_the_way(
    qtbot: QtBot, wizard: SetupWizard
) -> None:
    env = load_environment()
    assert wizard.currentId() == PAGE_DATABASE and wizard.database_page.local.isChecked()
    _walk_is_sound(wizard)
    press(Key.Key_Return)  # Next: the local database needs nothing set up
    assert wizard.currentId() == PAGE_ADMIN
    assert focused() is wizard.admin_page.username
    _type_admin()
    _walk_is_sound(wizard)  # the walk ends where it began: in the last field
    press(Key.Key_Return)
    assert wizard.currentId() == PAGE_TRAINING
    assert focused() is wizard.training_page.create_training
    _walk_is_sound(wizard)
    _button(qtbot, wizard, Key.Key_B, PAGE_ADMIN)  # back: everything typed is still there
    assert wizard.admin_page.details() == ("femi.okonkwo", "Femi Okonkwo", PASSWORD)
    _button(qtbot, wizard, Key.Key_B, PAGE_DATABASE)
    assert not env.paths.default_database.exists()  # nothing written before Finish
    _button(qtbot, wizard, Key.Key_N, PAGE_ADMIN)
    _button(qtbot, wizard, Key.Key_N, PAGE_TRAINING)
    press(Key.Key_Space)  # the training database, too
    assert wizard.training_page.create_training.isChecked()
    assert "makes the training database" in wizard.training_page.summary.text()
    with qtbot.waitSignal(wizard.set_up, timeout=TIMEOUT) as done:
        press(Key.Key_Return)  # Finish
    result = done.args[0]
    assert result.username == "femi.okonkwo" and not result.shared
    assert not wizard.isVisible()
    db = create_database(f"sqlite:///{env.paths.default_database}")
    try:
        assert accounts.authenticate(db, "femi.okonkwo", PASSWORD).role.value == "admin"
    finally:
        db.dispose()
    assert not env.paths.settings_file.exists()  # the local database is the default: nothing to save
    assert is_training_file(training_path(env.paths))
    assert result.training is not None and result.training.calls > 0
    trainee = create_database(f"sqlite:///{training_path(env.paths)}")
    try:
        accounts.authenticate(trainee, "demo-operator", TRAINING_PASSWORD)
        with pytest.raises(accounts.AuthenticationError):
            accounts.authenticate(trainee, "femi.okonkwo", PASSWORD)  # live accounts stay live
    finally:
        trainee.dispose()


def test_the_administrator_page_names_every_problem_and_keeps_what_was_typed(
    qtbot: QtBot, wizard: SetupWizard
) -> None:
    press(Key.Key_Return)
    _type_admin(username="Femi Okonkwo", password="short", confirm="shorter")
    press(Key.Key_Return)
    page = wizard.admin_page
    assert wizard.currentId() == PAGE_ADMIN
    assert "lower-case" in page.error_text("username")
    assert "characters" in page.error_text("password")
    assert page.error_text("confirm") == "Does not match the password"
    assert focused() is page.username  # the first field with a problem
    assert page.details() == ("Femi Okonkwo", "Femi Okonkwo", "short")
    assert not load_environment().paths.default_database.exists()


def test_without_a_training_database_none_is_made(qtbot: QtBot, wizard: SetupWizard) -> None:
    press(Key.Key_Return)
    _type_admin()
    press(Key.Key_Return)
    with qtbot.waitSignal(wizard.set_up, timeout=TIMEOUT) as done:
        press(Key.Key_Return)
    assert done.args[0].training is None
    assert not training_path(load_environment().paths).exists()


def test_a_finish_that_fails_says_why_and_goes_on_when_pressed_again(
    qtbot: QtBot, wizard: SetupWizard, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.views import setup_wizard

    real = setup_wizard.create_training_database
    monkeypatch.setattr(
        setup_wizard, "create_training_database", lambda env: (_ for _ in ()).throw(OSError("disk full"))
    )
    press(Key.Key_Return)
    _type_admin()
    press(Key.Key_Return)
    press(Key.Key_Space)
    with qtbot.waitSignal(wizard.setup_failed, timeout=TIMEOUT) as failed:
        press(Key.Key_Return)
    assert failed.args[0] == "Not set up: disk full."
    assert wizard.training_page.status.text() == "Not set up: disk full."
    assert wizard.isVisible() and wizard.currentId() == PAGE_TRAINING
    monkeypatch.setattr(setup_wizard, "create_training_database", real)
    with qtbot.waitSignal(wizard.set_up, timeout=TIMEOUT) as done:
        press(Key.Key_F, ALT)  # &Finish again
    assert done.args[0].username == "femi.okonkwo"  # created by the first Finish, not twice
    assert done.args[0].training is not None


# --- the shared database ----------------------------------------------------------------------------


@pytest.fixture
def prepared(pg_db: Database) -> Iterator[tuple[str, str]]:
    """A schema prepared with ``init-shared`` and its application role, which lands in that
    schema when it connects (its search_path): what an administrator sets up for a line."""
    schema, role = f"sl_wizard_{uuid.uuid4().hex[:10]}", f"sl_wiz_{uuid.uuid4().hex[:10]}"
    yield from _schema_and_role(pg_db, schema, role, prepare=True)


@pytest.fixture
def unprepared(pg_db: Database) -> Iterator[tuple[str, str]]:
    schema, role = f"sl_wizard_{uuid.uuid4().hex[:10]}", f"sl_wiz_{uuid.uuid4().hex[:10]}"
    yield from _schema_and_role(pg_db, schema, role, prepare=False)


def _schema_and_role(pg_db: Database, schema: str, role: str, *, prepare: bool) -> Iterator[tuple[str, str]]:
    with pg_db.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        if not prepare:
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    if prepare:
        owner = create_database(PG_URL, schema=schema)
        try:
            shared_setup.init_shared(owner, role)
        finally:
            owner.dispose()
    with pg_db.engine.begin() as conn:
        database = conn.execute(text("SELECT current_database()")).scalar()
        conn.execute(text(f'ALTER ROLE "{role}" IN DATABASE "{database}" SET search_path = "{schema}"'))
    yield schema, role
    with pg_db.engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        conn.execute(text(f'DROP OWNED BY "{role}"'))
        conn.execute(text(f'DROP ROLE "{role}"'))


def _to_shared_page(qtbot: QtBot, wizard: SetupWizard) -> None:
    press(Key.Key_S, ALT)  # the shared database
    qtbot.waitUntil(wizard.database_page.shared.isChecked, timeout=2000)
    press(Key.Key_Return)
    assert wizard.currentId() == PAGE_SHARED
    _walk_is_sound(wizard)


def _type_connection(wizard: SetupWizard, role: str, database: str | None = None) -> None:
    server = make_url(PG_URL)
    fields = wizard.shared_page.fields
    press(Key.Key_H, ALT)  # &Host
    assert focused() is fields.host
    for value in (server.host or "", str(server.port or 5432), "", database or server.database or "", role):
        press(Key.Key_A, CTRL)  # what is there (a default, an earlier try) is typed over
        type_text(value)
        press(Key.Key_Tab)
    assert (fields.host.text(), fields.user.text()) == (server.host, role)


def _shared_by_keyboard(qtbot: QtBot, wizard: SetupWizard, role: str) -> str:
    """To the page after the shared one; the connection test's message."""
    _to_shared_page(qtbot, wizard)
    _type_connection(wizard, role)
    with qtbot.waitSignal(
        wizard.connection_tested, timeout=TIMEOUT, check_params_cb=lambda t: t != "Connecting…"
    ) as tested:
        press(Key.Key_Return)  # Next: tests first, then goes on
    message: str = tested.args[0]
    qtbot.waitUntil(lambda: wizard.currentId() != PAGE_SHARED, timeout=TIMEOUT)
    return message


@pytest.mark.postgres
def test_the_shared_path_tests_the_connection_then_creates_the_administrator_there(
    qtbot: QtBot, wizard: SetupWizard, prepared: tuple[str, str]
) -> None:
    schema, role = prepared
    message = _shared_by_keyboard(qtbot, wizard, role)
    assert message.startswith("Connected to PostgreSQL 15") and "no account yet" in message
    assert wizard.currentId() == PAGE_ADMIN
    paths = load_environment().paths
    assert not paths.settings_file.exists()  # tested, not saved
    _button(qtbot, wizard, Key.Key_B, PAGE_SHARED)  # back to the connection: still there, still tested
    assert wizard.shared_page.fields.user.text() == role
    _button(qtbot, wizard, Key.Key_N, PAGE_ADMIN)  # no second test for the same details
    assert focused() is wizard.admin_page.username
    _type_admin()
    press(Key.Key_Return)
    assert wizard.currentId() == PAGE_TRAINING
    assert "connects to the shared database" in wizard.training_page.summary.text()
    with qtbot.waitSignal(wizard.set_up, timeout=TIMEOUT) as done:
        press(Key.Key_Return)
    assert done.args[0].shared and done.args[0].username == "femi.okonkwo"
    saved = config.load_settings(paths)
    assert make_url(saved.database_url).username == role
    assert not paths.default_database.exists()  # no local database on a shared workstation
    owner = create_database(PG_URL, schema=schema)
    try:
        assert accounts.authenticate(owner, "femi.okonkwo", PASSWORD).role.value == "admin"
    finally:
        owner.dispose()


@pytest.mark.postgres
def test_a_shared_database_with_accounts_skips_the_administrator(
    qtbot: QtBot, wizard: SetupWizard, prepared: tuple[str, str]
) -> None:
    schema, role = prepared
    owner = create_database(PG_URL, schema=schema)
    make_admin(owner)
    owner.dispose()
    message = _shared_by_keyboard(qtbot, wizard, role)
    assert "already has 1 account(s)" in message
    assert wizard.currentId() == PAGE_TRAINING
    _button(qtbot, wizard, Key.Key_B, PAGE_SHARED)
    _button(qtbot, wizard, Key.Key_N, PAGE_TRAINING)
    with qtbot.waitSignal(wizard.set_up, timeout=TIMEOUT) as done:
        press(Key.Key_Return)
    assert done.args[0].username is None and done.args[0].shared
    assert make_url(config.load_settings(load_environment().paths).database_url).username == role


@pytest.mark.postgres
def test_an_unprepared_or_missing_database_is_named_and_the_page_stays(
    qtbot: QtBot, wizard: SetupWizard, unprepared: tuple[str, str]
) -> None:
    _schema, role = unprepared
    _to_shared_page(qtbot, wizard)
    _type_connection(wizard, role)
    with qtbot.waitSignal(
        wizard.connection_tested, timeout=TIMEOUT, check_params_cb=lambda t: t != "Connecting…"
    ) as tested:
        press(Key.Key_Return)
    assert "not prepared for Supportline yet" in tested.args[0] and "init-shared" in tested.args[0]
    assert wizard.currentId() == PAGE_SHARED
    _type_connection(wizard, role, database="no_such_database_sl")
    with qtbot.waitSignal(
        wizard.connection_tested, timeout=TIMEOUT, check_params_cb=lambda t: t != "Connecting…"
    ) as tested:
        press(Key.Key_Return)
    assert "there is no database 'no_such_database_sl'" in tested.args[0]
    assert "Nothing was saved" in tested.args[0]
    assert wizard.currentId() == PAGE_SHARED
    assert not load_environment().paths.settings_file.exists()


@pytest.mark.postgres
def test_a_change_after_the_test_means_testing_again(
    qtbot: QtBot, wizard: SetupWizard, prepared: tuple[str, str]
) -> None:
    _schema, role = prepared
    _shared_by_keyboard(qtbot, wizard, role)
    _button(qtbot, wizard, Key.Key_B, PAGE_SHARED)
    page = wizard.shared_page
    press(Key.Key_D, ALT)  # &Database
    press(Key.Key_A, CTRL)
    type_text("no_such_database_sl")
    assert page.status.text() == "Changed since the test: Next tests again."
    with qtbot.waitSignal(
        wizard.connection_tested, timeout=TIMEOUT, check_params_cb=lambda t: t != "Connecting…"
    ):
        press(Key.Key_Return)
    assert wizard.currentId() == PAGE_SHARED
