"""Training mode (issue 16, item 3): ``supportline --training`` opens the training database, every
window says TRAINING, nothing reaches the live database or its audit trail, and a scripted call
walks a new operator through logging, routing and guidance by keyboard."""

from __future__ import annotations

import hashlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QToolBar, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from supportline.bootstrap import Environment, load_environment
from supportline.db import Database
from supportline.db.migrate import upgrade
from supportline.db.models import AuditEvent, Call
from supportline.enums import Route
from supportline.gui_hooks import is_gui_invocation
from supportline.services import accounts, calls
from supportline.services.actor import Actor
from supportline.training import (
    TRAINING_PASSWORD,
    create_training_database,
    open_training_database,
    training_path,
)
from tests.factories import full_call, make_admin
from tests.ui.conftest import MakeWindow, sample_call
from tests.ui.keyboard_helpers import ALT, CTRL, Key, clashes, focused, press, tab_problems, type_text
from ui import app, training_mode
from ui.main_window import MainWindow, QuitChoice
from ui.tasks import TaskRunner
from ui.views.call_form import CallForm
from ui.views.login import LoginDialog

TIMEOUT = 20_000


@pytest.fixture(autouse=True)
def _training_ends(qapp: QApplication, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(MainWindow, "ask_quit", lambda self, count: QuitChoice.DISCARD)
    yield
    training_mode.uninstall(qapp)


@pytest.fixture
def errors(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(app, "show_error", lambda title, text, parent=None: shown.append((title, text)))
    return shown


def _live(env: Environment) -> Path:
    """A live database with an administrator and a call, as a workstation has it."""
    from supportline.bootstrap import open_database

    db = open_database(env)
    upgrade(db)
    admin = make_admin(db)
    calls.save_call(db, admin, full_call())
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return env.paths.default_database


def _fingerprint(folder: Path) -> dict[str, str]:
    """SHA-256 of every file of the live database (its -wal and -shm too, if any)."""
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.name.startswith("supportline.db")
    }


def _visible(kind: type[QWidget]) -> list[QWidget]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def _banner_shown(window: QWidget) -> bool:
    return any(
        label.isVisible() and label.text().startswith("TRAINING")
        for label in window.findChildren(QWidget, "trainingBanner")
    )


def test_training_mode_leaves_the_live_database_and_its_audit_trail_byte_for_byte(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, errors: list[tuple[str, str]], tmp_path: Path
) -> None:
    env = load_environment()
    _live(env)
    before = _fingerprint(env.paths.data_dir)
    seen: list[str] = []
    wait = LoginDialog.wait

    def login(dialog: LoginDialog) -> Actor | None:
        seen.append(dialog.windowTitle())
        assert "TRAINING" in dialog.notice.text() and TRAINING_PASSWORD in dialog.notice.text()
        assert dialog.username.text() == "demo-operator" and _banner_shown(dialog)
        dialog.username.setText("demo-supervisor")
        dialog.password.setText(TRAINING_PASSWORD)
        dialog.sign_in_button.click()
        return wait(dialog)

    def exec_app(_app: object) -> int:
        [window] = _visible(MainWindow)
        assert isinstance(window, MainWindow)
        qtbot.addWidget(window)
        qtbot.waitUntil(lambda: window.model.loaded_once, timeout=TIMEOUT)
        seen.append(window.windowTitle())
        assert _banner_shown(window) and window.db.training
        [band] = [bar for bar in window.findChildren(QToolBar) if bar.objectName() == "trainingBand"]
        assert band.geometry().bottom() < window.toolbar.geometry().top()  # its own row, on top
        calls.save_call(window.db, window.actor, full_call())  # a call practised, and audited, here
        dialog = window.show_export_dialog()
        assert dialog is not None
        qtbot.waitExposed(dialog)
        seen.append(dialog.windowTitle())
        assert _banner_shown(dialog)
        dialog.reject()
        window.lock()
        assert _banner_shown(window)  # the band stays while the screen is locked
        seen.append(window.windowTitle())
        window.close()
        return 0

    monkeypatch.setattr(LoginDialog, "wait", login)
    monkeypatch.setattr(app, "exec_app", exec_app)
    assert app.run(["--training"]) == 0
    assert errors == []
    assert seen == [
        "Sign in – Supportline — TRAINING",
        "Supportline — TRAINING – Demo Supervisor",
        "Export calls – Supportline — TRAINING",
        "Supportline — TRAINING – locked",
    ]
    assert _fingerprint(env.paths.data_dir) == before  # not one byte of the live database changed
    trainee = open_training_database(env)
    try:
        with trainee.read() as session:
            assert session.scalar(select(func.count()).select_from(Call)) > 1
            assert session.scalar(select(func.count()).select_from(AuditEvent)) > 0
    finally:
        trainee.dispose()


def test_a_shared_database_setting_is_never_used_in_training(
    qapp: object, monkeypatch: pytest.MonkeyPatch, errors: list[tuple[str, str]]
) -> None:
    monkeypatch.setenv("SUPPORTLINE_DB_URL", "postgresql+psycopg://nobody@127.0.0.1:9/supportline")
    where: list[str] = []

    def login(dialog: LoginDialog) -> None:
        where.append(dialog.where.text())
        return None

    monkeypatch.setattr(LoginDialog, "wait", login)
    assert app.run(["--training"]) == 0
    assert errors == []
    [text] = where
    assert "TRAINING SQLite" in text and "training.db" in text


def test_the_live_database_where_the_training_file_goes_is_refused_and_untouched(
    qapp: object, monkeypatch: pytest.MonkeyPatch, errors: list[tuple[str, str]]
) -> None:
    env = load_environment()
    live = _live(env)
    shutil.copyfile(live, training_path(env.paths))
    before = training_path(env.paths).read_bytes()
    monkeypatch.setattr(LoginDialog, "wait", lambda dialog: pytest.fail("no sign-in to live data"))
    assert app.run(["--training"]) == app.EXIT_DATABASE
    [(title, text)] = errors
    assert title == "Training database refused"
    assert "is not a training database" in text and "The live database was not touched" in text
    assert training_path(env.paths).read_bytes() == before


def test_reset_training_starts_on_a_new_file(
    qapp: object, monkeypatch: pytest.MonkeyPatch, errors: list[tuple[str, str]]
) -> None:
    env = load_environment()
    create_training_database(env, calls=3)
    db = open_training_database(env)
    actor = accounts.authenticate(db, "demo-operator", TRAINING_PASSWORD)
    calls.save_call(db, actor, sample_call(1))
    db.dispose()
    counted: list[int] = []

    def login(dialog: LoginDialog) -> None:
        trainee = open_training_database(env)
        with trainee.read() as session:
            counted.append(session.scalar(select(func.count()).select_from(Call)) or 0)
        trainee.dispose()
        return None

    monkeypatch.setattr(LoginDialog, "wait", login)
    assert app.run(["--reset-training"]) == 0
    assert errors == []
    assert counted and counted[0] > 4  # the full demo set again, without the call practised


def test_the_training_options_start_the_gui() -> None:
    assert is_gui_invocation(["--training"]) and is_gui_invocation(["--reset-training"])
    assert not is_gui_invocation(["--version"])


def _menu_clashes(menu: QMenu) -> dict[str, list[str]]:
    """Letters claimed by two entries of one menu (Alt+letter inside it would pick only one)."""
    from tests.ui.keyboard_helpers import mnemonic_of

    found: dict[str, list[str]] = {}
    for action in menu.actions():
        letter = mnemonic_of(action.text())
        if letter and action.isVisible():
            found.setdefault(letter, []).append(action.text())
    return {letter: texts for letter, texts in found.items() if len(texts) > 1}


# --- the windows ------------------------------------------------------------------------------------


@pytest.fixture
def training_db() -> Iterator[Database]:
    env = load_environment()
    create_training_database(env, calls=20)
    db = open_training_database(env)
    yield db
    db.dispose()


@pytest.fixture
def training_window(
    qtbot: QtBot, training_db: Database, tasks: TaskRunner, request: pytest.FixtureRequest
) -> Iterator[MainWindow]:
    role = getattr(request, "param", "demo-admin")
    actor = accounts.authenticate(training_db, role, TRAINING_PASSWORD)
    window = MainWindow(load_environment(), training_db, actor, tasks=tasks)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: window.model.loaded_once, timeout=TIMEOUT)
    yield window
    window.close()


def test_a_draft_the_training_database_does_not_take_is_kept_in_trainings_own_local_file(
    qtbot: QtBot, training_window: MainWindow, request: pytest.FixtureRequest
) -> None:
    """Drafts a database refuses (read-only, full) are kept on this computer (issue 13); a
    training window's go to training's own file, never into the live line's journal.db."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from supportline.sync.local_drafts import LocalDrafts
    from supportline.sync.local_store import LOCAL_FILE, TRAINING_LOCAL_FILE
    from tests.db.faults import away_database

    window = training_window
    data_dir = load_environment().paths.data_dir
    assert window.local_drafts is not None
    assert window.local_drafts.path == data_dir / TRAINING_LOCAL_FILE
    with away_database(window.db, request, mode="read-only") as away:
        window.new_call()
        qtbot.waitUntil(lambda: window.current_form() is not None, timeout=TIMEOUT)
        form = window.current_form()
        assert isinstance(form, CallForm)
        QTest.keyClicks(form.caller.name, "DS Ottoline Pengelly")
        form.call.summary.setFocus()
        QTest.keyClicks(form.call.summary, "Practice: men held at a car wash")
        away.go_away()
        with qtbot.waitSignal(form.save_failed, timeout=TIMEOUT):
            QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: form.draft_kept == "computer", timeout=TIMEOUT)
        [kept] = LocalDrafts(data_dir / TRAINING_LOCAL_FILE).local_drafts(window.actor)
        assert kept.call_id == form.call_id()
        assert not (data_dir / LOCAL_FILE).exists()  # the live line's own file: never made, never touched
        away.come_back()


def test_every_window_opened_in_training_says_so(qtbot: QtBot, training_window: MainWindow) -> None:
    window = training_window
    assert window.windowTitle() == "Supportline — TRAINING – Demo Administrator"
    [band] = [bar for bar in window.findChildren(QToolBar) if bar.objectName() == "trainingBand"]
    # A row of its own across the window, above the toolbar (not squeezed in beside it).
    assert band.geometry().bottom() < window.toolbar.geometry().top()
    assert band.width() >= window.width() * 0.95
    assert "TRAINING" in window.database_label.toolTip()
    opened: list[QWidget] = [window]
    for show in (
        window.show_export_dialog,
        window.show_statistics,
        window.show_audit_viewer,
        window.show_accounts,
        window.show_guidance_library,
        window.show_retention,
        window.show_erasure,
    ):
        shown = show()
        assert shown is not None, show.__name__
        qtbot.waitExposed(shown)
        opened.append(shown)
    window.show_help()
    assert window.help_window is not None
    qtbot.waitExposed(window.help_window)
    opened.append(window.help_window)
    box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes", "A question", parent=window)
    box.show()
    qtbot.waitExposed(box)
    opened.append(box)
    for shown in opened:
        assert "TRAINING" in shown.windowTitle(), type(shown).__name__
        assert _banner_shown(shown), type(shown).__name__
    box.close()


def test_the_band_stays_above_the_toolbar_in_a_layout_saved_without_it(
    qtbot: QtBot, sqlite_db: Database, training_db: Database, tasks: TaskRunner
) -> None:
    """A live account with the same name saved its window layout (no band in it): restored in
    training, the band still gets its own row on top."""
    env = load_environment()
    live = MainWindow(env, sqlite_db, make_admin(sqlite_db, "demo-admin"), tasks=tasks)
    qtbot.addWidget(live)
    live.show()
    live.close()  # saves its layout
    window = MainWindow(
        env, training_db, accounts.authenticate(training_db, "demo-admin", TRAINING_PASSWORD), tasks=tasks
    )
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    [band] = [bar for bar in window.findChildren(QToolBar) if bar.objectName() == "trainingBand"]
    qtbot.waitUntil(lambda: band.geometry().bottom() < window.toolbar.geometry().top(), timeout=2000)
    assert band.width() >= window.width() * 0.95
    window.close()


def test_a_live_window_starts_training_as_a_process_of_its_own(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(training_mode, "start_detached", lambda p, a: started.append((p, a)) or True)
    window = make_window(sqlite_db, admin)
    assert window.training_action in window.help_menu.actions()
    assert "TRAINING" not in window.windowTitle() and not _banner_shown(window)
    window.training_action.trigger()
    assert started == [(sys.executable, ["-m", "ui.launcher", "--training"])]
    assert window.isVisible()  # the live window stays as it is
    assert clashes(window) == {}
    for menu in (window.file_menu, window.view_menu, window.help_menu):
        assert _menu_clashes(menu) == {}, menu.title()


def test_reset_from_the_menu_restarts_training_on_a_new_file(
    qtbot: QtBot, training_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(training_mode, "start_detached", lambda p, a: started.append((p, a)) or True)
    monkeypatch.setattr(training_mode, "ask_reset", lambda parent: True)
    window = training_window
    assert window.reset_training_action in window.help_menu.actions()
    assert _menu_clashes(window.help_menu) == {} and _menu_clashes(window.file_menu) == {}
    assert window.training_action is None  # no "Training mode…" inside training
    window.reset_training_action.trigger()
    assert started == [(sys.executable, ["-m", "ui.launcher", "--training", "--reset-training"])]
    assert not window.isVisible()


# --- the scripted training call ------------------------------------------------------------------


@pytest.mark.parametrize("training_window", ["demo-operator"], indirect=True)
def test_the_scripted_call_walks_an_operator_through_by_keyboard(
    qtbot: QtBot, training_window: MainWindow
) -> None:
    window = training_window
    [action] = window.scenario_actions
    assert action.text() == "Workers at a hand car wash"
    action.trigger()
    panel = window.training_panel
    assert panel is not None and panel.isVisible()
    assert panel.progress.text() == "Step 1 of 10" and "Ctrl+N" in panel.do.text()
    window.calls_tab.table.setFocus()

    def step(number: int) -> None:
        qtbot.waitUntil(lambda: panel.index >= number, timeout=5000)
        assert panel.index == number, (panel.index, panel.do.text())

    press(Key.Key_N, CTRL)
    step(1)
    form = window.current_form()
    assert isinstance(form, CallForm) and focused() is form.caller.name
    assert panel.officer.text() == "“Hello, it's Detective Constable Rowan Ashdown.”"
    type_text("DC Rowan Ashdown")
    step(2)
    press(Key.Key_R, ALT)
    type_text("Northumb")
    press(Key.Key_Return)  # the completer's suggestion
    step(3)
    press(Key.Key_B, ALT)
    type_text("07700 900412")
    press(Key.Key_L, ALT)
    type_text("4471")
    step(4)
    press(Key.Key_Y, ALT)
    type_text("Workers at a hand car wash, one says he is 16")
    press(Key.Key_U, ALT)
    type_text("u")  # Urgent
    step(5)
    press(Key.Key_D, ALT)
    press(Key.Key_Space)  # a potential victim's row
    qtbot.waitUntil(lambda: len(form.case.persons.rows) == 1)
    [row] = form.case.persons.rows
    while focused() is not row.age:
        press(Key.Key_Tab)
    type_text("16")
    press(Key.Key_Tab)  # leaving it: an age under 18 makes the age group Child
    step(6)
    press(Key.Key_I, ALT)
    while focused() is not form.advice.routes.boxes[Route.VICTIM]:
        press(Key.Key_Tab)
    press(Key.Key_Space)
    step(7)
    qtbot.waitUntil(lambda: Route.VICTIM in form.panes and bool(form.panes[Route.VICTIM].rows))
    pane = form.panes[Route.VICTIM]
    # The child's guidance: offered as soon as the suggestions are worked out from the age.
    qtbot.waitUntil(lambda: pane.template is not None and pane.template.id == "victim-child", timeout=5000)
    assert not pane.editable  # an operator reads it; the duty adviser records the ticks
    assert panel.index == 7  # not before the focus is in the guidance
    press(Key.Key_F6)
    assert form.guidance_section.isAncestorOf(focused())
    step(8)
    press(Key.Key_T, ALT)
    type_text("Boy of 16 at a car wash, safe with the officer. Duty adviser to call back.")
    step(9)
    press(Key.Key_S, CTRL)
    step(10)
    assert panel.is_finished and panel.progress.text() == "All 10 steps done"
    saved = calls.get_call(window.db, window.actor, form.call_id())
    assert saved.data.caller.name == "DC Rowan Ashdown" and saved.data.caller.phone == "+447700900412"
    assert clashes(window) == {}
    panel.restart_button.click()
    assert panel.index == 0 and panel.progress.text() == "Step 1 of 10"
    window.activateWindow()
    # The save's callbacks (the list's refresh, the Due panel, the form's refocus) move the focus
    # when they land: let them land first, or the Tab walk is cut short by one (1 run in 5).
    qtbot.waitUntil(lambda: window._tasks.pending == 0, timeout=10_000)
    qtbot.wait(300)
    assert tab_problems(window, panel.restart_button) == []


def test_a_bad_scenario_is_named_by_file_and_step(tmp_path: Path) -> None:
    from supportline.training_script import ScenarioError, load_scenarios

    (tmp_path / "bad.toml").write_text(
        'id = "x"\ntitle = "X"\n[[step]]\ndo = "Type"\n'
        'check = { field = "caller.nickname", filled = true }\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=r"bad.toml: step 1: 'caller.nickname' is not a field"):
        load_scenarios(tmp_path)
