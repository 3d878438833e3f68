"""A half-filled call survives the application being killed, and comes back on the next start.

The first run is a real child process: the main window for a signed-in operator, Ctrl+N, a
half-typed form, the draft autosaved to the database, then SIGKILL (no chance to clean up). The
next start, in this process, must offer the draft and restore what was typed into a form tab.
Also here: the recovery dialog's own buttons.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from supportline.bootstrap import load_environment
from supportline.db import Database, create_database
from supportline.db.migrate import upgrade
from supportline.services import accounts, drafts
from supportline.services.drafts import DraftRecord
from tests.factories import PASSWORD
from ui.main_window import MainWindow, QuitChoice
from ui.tasks import TaskRunner
from ui.views.drafts_dialog import DraftChoice, DraftsDialog

ROOT = Path(__file__).resolve().parents[2]
NAME = "DS Morwenna Tregarthen"
RANK = "Detective Sergeant"

CHILD = textwrap.dedent(
    """
    import sys, time
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from supportline.bootstrap import load_environment, open_database
    from supportline.services import accounts, drafts
    from ui import style
    from ui.main_window import MainWindow, QuitChoice
    from ui.tasks import TaskRunner

    app = QApplication(["supportline"])
    style.apply(app)
    env = load_environment()
    db = open_database(env)
    actor = accounts.authenticate(db, "olu.operator", sys.argv[1])
    tasks = TaskRunner()
    window = MainWindow(env, db, actor, tasks=tasks)
    window.resize(1366, 768)
    window.show()
    window.activateWindow()

    def wait(condition, seconds=30):
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                print("TIMEOUT", flush=True)
                sys.exit(3)
            app.processEvents()
            time.sleep(0.01)

    wait(lambda: window.model.loaded_once)
    QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    wait(lambda: window.current_form() is not None)
    form = window.current_form()
    wait(lambda: QApplication.focusWidget() is not None and form.isAncestorOf(QApplication.focusWidget()))
    written = []
    form.draft_saved.connect(lambda: written.append(True))  # the autosave, seconds after typing
    QTest.keyClicks(QApplication.focusWidget(), sys.argv[2])  # the first field: the officer's name
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    QTest.keyClicks(QApplication.focusWidget(), sys.argv[3])  # the next: rank or role
    wait(lambda: bool(written))
    assert len(drafts.list_drafts(db, actor)) == 1
    print("READY", form.title(), flush=True)
    app.exec()  # until killed
    """
)


@pytest.fixture
def home_db(tmp_path: Path) -> tuple[Path, str]:
    """A migrated SQLite database in this test's SUPPORTLINE_HOME, with an operator."""
    env = load_environment()
    env.paths.ensure()
    db = create_database(f"sqlite:///{env.paths.default_database}")
    upgrade(db)
    admin = accounts.actor_for(accounts.create_first_admin(db, "ada.admin", "Ada Admin", PASSWORD))
    from supportline.enums import Role

    accounts.create_user(db, admin, "olu.operator", "Olu Operator", Role.OPERATOR, PASSWORD)
    db.dispose()
    return env.paths.default_database, "olu.operator"


def _run_child_until_ready() -> tuple[subprocess.Popen[str], str]:
    environ = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, PASSWORD, NAME, RANK],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    deadline = time.monotonic() + 90
    line = ""
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if line.startswith("READY") or not line:
            break
    if not line.startswith("READY"):
        child.kill()
        _out, err = child.communicate(timeout=10)
        pytest.fail(f"the child never got ready: {line!r}\n{err[-3000:]}")
    return child, line.removeprefix("READY").strip()


def test_a_killed_session_offers_its_draft_and_restores_what_was_typed(
    qtbot: QtBot, home_db: tuple[Path, str], tasks: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, username = home_db
    child, title = _run_child_until_ready()
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=10) == -signal.SIGKILL
    child.communicate()

    env = load_environment()
    db = create_database(f"sqlite:///{path}")
    try:
        actor = accounts.authenticate(db, username, PASSWORD)
        shown: list[DraftsDialog] = []

        def ask_drafts(
            window: MainWindow, found: list[DraftRecord]
        ) -> tuple[DraftChoice, tuple[DraftRecord, ...]]:
            dialog = DraftsDialog(found, db.zone, parent=window)
            shown.append(dialog)
            dialog.show()
            dialog.restore_all_button.click()
            return dialog.choice, dialog.chosen

        monkeypatch.setattr(MainWindow, "ask_drafts", ask_drafts)
        window = MainWindow(env, db, actor, tasks=tasks)
        qtbot.addWidget(window)
        window.show()
        with qtbot.waitSignal(window.form_opened, timeout=10_000) as opened:
            window.offer_drafts()
        [dialog] = shown
        assert dialog.list.count() == 1
        assert dialog.list.item(0).text().startswith(f"{title}  ·  new call, last saved ")
        form = opened.args[0]
        assert window.tabs.count() == 2 and window.tabs.currentWidget() is form
        data = form.call_data()
        assert (data.caller.name, data.caller.rank) == (NAME, RANK)
        assert form.has_unsaved_changes()  # restored, not yet saved
        monkeypatch.setattr(MainWindow, "ask_quit", lambda self, count: QuitChoice.DISCARD)
        assert window.close()
        tasks.wait_until_idle()
        assert drafts.list_drafts(db, actor) == ()
    finally:
        tasks.wait_until_idle()
        db.dispose()


# --- the recovery dialog ---------------------------------------------------------------------------


def _draft(title: str, is_edit: bool = False) -> DraftRecord:
    return DraftRecord(
        id=uuid.uuid4(),
        call_id=uuid.uuid4(),
        is_edit=is_edit,
        title=title,
        payload={},
        updated_at=datetime(2026, 11, 28, 3, 41, tzinfo=UTC),
    )


def test_the_dialog_restores_all_some_or_discards_after_a_second_yes(qtbot: QtBot) -> None:
    from zoneinfo import ZoneInfo

    found = [_draft("New call 03:41"), _draft("SL-2026-000123", is_edit=True), _draft("New call 02:10")]
    answers: list[bool] = [False, True]
    asked: list[int] = []

    def confirm(_parent: object, count: int) -> bool:
        asked.append(count)
        return answers.pop(0)

    dialog = DraftsDialog(found, ZoneInfo("Europe/London"), confirm=confirm)
    qtbot.addWidget(dialog)
    texts = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert texts[0] == "New call 03:41  ·  new call, last saved Sat 28 Nov 2026 03:41"
    assert texts[1].startswith("SL-2026-000123  ·  changes to a saved call")
    assert dialog.selected() == tuple(found)  # all selected to begin with

    dialog.list.clearSelection()
    assert not dialog.restore_selected_button.isEnabled()
    dialog.list.item(1).setSelected(True)
    dialog.discard_button.click()  # "no" to the second question: nothing happens
    assert asked == [1] and dialog.result() == 0 and dialog.choice == DraftChoice.LATER
    dialog.discard_button.click()
    assert dialog.choice == DraftChoice.DISCARD and dialog.chosen == (found[1],)

    again = DraftsDialog(found, ZoneInfo("Europe/London"))
    qtbot.addWidget(again)
    again.list.clearSelection()
    again.list.item(2).setSelected(True)
    again.restore_selected_button.click()
    assert (again.choice, again.chosen) == (DraftChoice.RESTORE, (found[2],))

    later = DraftsDialog(found, ZoneInfo("Europe/London"))
    qtbot.addWidget(later)
    later.later_button.click()
    assert (later.choice, later.chosen) == (DraftChoice.LATER, ())


def test_discarding_from_the_window_deletes_the_drafts(
    qtbot: QtBot, home_db: tuple[Path, str], tasks: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, username = home_db
    db = create_database(f"sqlite:///{path}")
    try:
        actor = accounts.authenticate(db, username, PASSWORD)
        for title in ("New call 03:41", "New call 03:52"):
            drafts.save_draft(
                db, actor, draft_id=uuid.uuid4(), call_id=uuid.uuid4(), is_edit=False, title=title, payload={}
            )
        monkeypatch.setattr(MainWindow, "ask_drafts", lambda self, found: (DraftChoice.DISCARD, tuple(found)))
        window = MainWindow(load_environment(), db, actor, tasks=tasks)
        qtbot.addWidget(window)
        with qtbot.waitSignal(window.drafts_checked, timeout=10_000):
            window.offer_drafts()
        tasks.wait_until_idle()
        assert drafts.list_drafts(db, actor) == ()
        assert window.tabs.count() == 1
        window.close()
    finally:
        tasks.wait_until_idle()
        db.dispose()


# --- while the database is away (issue 13) ---------------------------------------------------------


@pytest.mark.parametrize(
    "db", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_input_typed_while_the_database_is_away_survives_a_kill_and_is_offered_at_the_next_start(
    qtbot: QtBot,
    db: Database,
    request: pytest.FixtureRequest,
    tasks: TaskRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Drafts are autosaved to the database; while it is unreachable (PostgreSQL: a proxy gone
    silent) or read-only (SQLite), the draft is kept on this computer instead. The app is killed;
    at the next start the draft is offered, to its user only, and restored; it is in the database
    from then on and gone from this computer."""
    from sqlalchemy.engine import make_url

    from supportline.enums import Role
    from supportline.sync.local_drafts import LocalDrafts
    from supportline.sync.local_store import LOCAL_FILE
    from tests.conftest import PG_URL
    from tests.db.tcp_proxy import TcpProxy
    from tests.factories import make_admin, make_user
    from tests.ui.outage_child import NAME as TYPED_NAME
    from tests.ui.outage_child import RANK as TYPED_RANK
    from tests.ui.outage_child import Child

    admin = make_admin(db)
    other = make_user(db, admin, "olu.operator", Role.OPERATOR)
    env = load_environment()
    proxy: TcpProxy | None = None
    try:
        if db.is_sqlite:
            child = Child("draft", db.url.render_as_string(hide_password=False), PASSWORD)
        else:
            url = make_url(PG_URL)
            proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
            through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
            child = Child("draft", through, PASSWORD, request.getfixturevalue("_pg_schema"))
        child.read_until("SIGNED_IN")
        if proxy is not None:
            proxy.go_silent()  # the shared database becomes unreachable
        child.go_on()
        title = child.read_until("READY")
        assert child.kill() == -signal.SIGKILL
    finally:
        if proxy is not None:
            proxy.close()

    # What was typed is on this computer, for its user only; it never reached the database.
    local = LocalDrafts(env.paths.data_dir / LOCAL_FILE)
    assert drafts.list_drafts(db, admin) == ()
    [kept] = local.local_drafts(admin)
    assert kept.title == title
    assert local.local_drafts(other) == () and local.list_drafts(db, other).drafts == ()

    actor = accounts.authenticate(db, "ada.admin", PASSWORD)
    shown: list[DraftsDialog] = []

    def ask_drafts(
        window: MainWindow, found: list[DraftRecord]
    ) -> tuple[DraftChoice, tuple[DraftRecord, ...]]:
        dialog = DraftsDialog(found, db.zone, parent=window)
        shown.append(dialog)
        dialog.restore_all_button.click()
        return dialog.choice, dialog.chosen

    monkeypatch.setattr(MainWindow, "ask_drafts", ask_drafts)
    window = MainWindow(env, db, actor, tasks=tasks)
    qtbot.addWidget(window)
    window.show()
    try:
        with qtbot.waitSignal(window.form_opened, timeout=20_000) as opened:
            window.offer_drafts()
        [dialog] = shown
        assert [dialog.list.item(i).text().split("  ·  ")[0] for i in range(dialog.list.count())] == [title]
        form = opened.args[0]
        data = form.call_data()
        assert (data.caller.name, data.caller.rank) == (TYPED_NAME, TYPED_RANK)
        assert form.has_unsaved_changes()
        tasks.wait_until_idle()
        # Moved to the database, keeping the time it was typed; nothing left on this computer.
        [stored] = drafts.list_drafts(db, actor)
        assert (stored.id, stored.updated_at) == (kept.id, kept.updated_at)
        assert local.local_drafts(admin) == ()
        monkeypatch.setattr(MainWindow, "ask_quit", lambda self, count: QuitChoice.DISCARD)
        assert window.close()
    finally:
        tasks.wait_until_idle()
