"""Help (issue 16, item 4): F1 opens the page of the screen in front of you, the pages ship with the
program, and what they say is true of the app: every shortcut and every menu entry they name
exists."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu, QWidget
from pytestqt.qtbot import QtBot

from supportline import config
from supportline.bootstrap import load_environment
from supportline.db import Database
from supportline.enums import Route
from supportline.resources import HELP_PAGES, SHIPPED, resource_path
from supportline.services.actor import Actor
from supportline.training import TRAINING_PASSWORD, create_training_database, open_training_database
from tests.ui.conftest import MakeWindow
from tests.ui.keyboard_helpers import ALT, Key, press
from ui import training_mode
from ui.main_window import MainWindow, QuitChoice
from ui.tasks import TaskRunner
from ui.views import help_window
from ui.views.call_form import CallForm
from ui.views.database_dialog import DatabaseDialog
from ui.views.help_window import TOPICS, HelpWindow, page_text
from ui.views.login import LoginDialog
from ui.views.setup_wizard import SetupWizard

ROOT = Path(__file__).resolve().parents[2]
DOCS = [*sorted((ROOT / "docs").glob("guide-*.md")), ROOT / "docs" / "troubleshooting.md"]
#: Keys a page may name that are not the app's own shortcuts (typing, moving, the system's).
#: Keys Qt's own widgets answer, not the app's actions: editing text, and F2 (an item view's edit
#: key, QAbstractItemView.EditKeyPressed: the rota grid's and the handover's cells).
TYPING_KEYS = {"Ctrl+A", "Ctrl+C", "Ctrl+V", "Ctrl+X", "Ctrl+Z", "F2"}
KEY_RE = re.compile(r"\b((?:Ctrl\+)?(?:Shift\+)?(?:F\d{1,2}|[A-Z0-9](?![a-z])|Tab|Enter|PgUp|PgDown))\b")
MENU_RE = re.compile(r"\b(File|Call|View|Help) ▸ (.*)")


@pytest.fixture(autouse=True)
def _quiet_close(monkeypatch: pytest.MonkeyPatch, qapp: QApplication) -> Iterator[None]:
    monkeypatch.setattr(MainWindow, "ask_quit", lambda self, count: QuitChoice.DISCARD)
    yield
    training_mode.uninstall(qapp)


def _pages() -> dict[str, str]:
    return {f"resources/help/{topic}.md": page_text(topic) for topic in TOPICS}


def test_every_screen_has_a_short_page_that_ships_with_the_program() -> None:
    folder = resource_path("help")
    assert sorted(p.stem for p in folder.glob("*.md")) == sorted(TOPICS)
    assert tuple(TOPICS) == HELP_PAGES  # and so in SHIPPED: in the bundle, and self-tested
    assert SHIPPED["help"] == tuple(f"{page}.md" for page in TOPICS)
    for topic, title in TOPICS.items():
        text = page_text(topic)
        assert text.startswith(f"# {title}\n"), topic
        assert len(text.splitlines()) <= 45, f"{topic}: keep the page short"


# --- what the pages say is true ----------------------------------------------------------------


def _keys_of(widget: QWidget) -> set[str]:
    keys: set[str] = set()
    for action in widget.findChildren(QAction):
        keys.update(s.toString() for s in action.shortcuts())
    for shortcut in widget.findChildren(QShortcut):
        keys.add(shortcut.key().toString())
    return keys


def _menu_entries(window: MainWindow) -> dict[str, set[str]]:
    """Every entry of each menu, as the pages write it: "Export calls…", "Theme", "Reset layout"."""
    entries: dict[str, set[str]] = {}

    def walk(menu: QMenu, title: str) -> None:
        for action in menu.actions():
            if action.text():
                entries.setdefault(title, set()).add(action.text().replace("&", "").split("\t")[0])
            if action.menu() is not None:
                walk(action.menu(), title)  # a submenu's entries are named after its own title too

    for action in window.menuBar().actions():
        if action.menu() is not None:
            walk(action.menu(), action.text().replace("&", ""))
    return entries


@pytest.fixture
def every_window(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow, tasks: TaskRunner
) -> Iterator[tuple[set[str], dict[str, set[str]]]]:
    """The shortcuts and menu entries of a live administrator's window with a call, its guidance,
    the export dialog and the statistics open, and of a training window."""
    window = make_window(sqlite_db, admin)
    form = window.new_call()
    form.advice.routes.boxes[Route.VICTIM].setChecked(True)
    qtbot.waitUntil(lambda: Route.VICTIM in form.panes)
    for show in (window.show_export_dialog, window.show_statistics, window.show_audit_viewer):
        assert show() is not None
    keys = _keys_of(window) | {"F1", "F3", "Shift+F3"}
    menus = _menu_entries(window)
    env = load_environment()
    create_training_database(env, calls=3)
    trainee_db = open_training_database(env)
    from supportline.services import accounts

    trainee = MainWindow(env, trainee_db, accounts.authenticate(trainee_db, "demo-admin", TRAINING_PASSWORD))
    qtbot.addWidget(trainee)
    for title, found in _menu_entries(trainee).items():
        menus.setdefault(title, set()).update(found)
    yield keys, menus
    trainee.close()
    trainee_db.dispose()


def test_every_shortcut_and_menu_entry_the_help_and_the_guides_name_exists(
    every_window: tuple[set[str], dict[str, set[str]]],
) -> None:
    keys, menus = every_window
    texts = {**_pages(), **{str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in DOCS}}
    problems: list[str] = []
    for name, text in texts.items():
        for match in re.finditer(r"\*\*([^*]+)\*\*|`([^`]+)`|\(([^()]*)\)", text):
            for key in KEY_RE.findall(match.group(0)):
                if ("Ctrl+" in key or key.startswith(("F", "Shift+F"))) and re.fullmatch(
                    r"(Ctrl\+)?(Shift\+)?(F\d+|[A-Z0-9]|Tab|Enter|PgUp|PgDown)", key
                ):
                    normal = QKeySequence(key).toString()
                    if normal not in keys and normal not in TYPING_KEYS:
                        problems.append(f"{name}: {key} is no shortcut of the app")
        for line in text.splitlines():
            for menu, rest in MENU_RE.findall(line):
                rest = rest.replace("**", "")
                if not any(rest.startswith(entry) for entry in menus.get(menu, ())):
                    problems.append(f"{name}: no entry {menu} ▸ {rest[:40]!r}")
    assert problems == []


def test_every_menu_entry_the_programs_own_texts_name_exists(
    every_window: tuple[set[str], dict[str, set[str]]],
) -> None:
    """Messages and notes in the windows (the setup's training page, say) name menu entries too."""
    _keys, menus = every_window
    problems: list[str] = []
    for path in sorted((ROOT / "ui").rglob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            for menu, rest in MENU_RE.findall(line):
                rest = rest.replace("**", "")
                if not any(rest.startswith(entry.rstrip("…")) for entry in menus.get(menu, ())):
                    problems.append(f"{path.relative_to(ROOT)}: no entry {menu} ▸ {rest[:40]!r}")
    assert problems == []


# --- F1 ---------------------------------------------------------------------------------------------


def _help_of(window: QWidget) -> HelpWindow:
    found = getattr(window, "help_window", None) or getattr(window, "_help_window", None)
    assert isinstance(found, HelpWindow), f"no help window for {type(window).__name__}"
    return found


def _title(help_: HelpWindow) -> str:
    return help_.text().splitlines()[0]


def test_f1_in_the_main_window_opens_the_page_of_what_is_on_show(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    window = make_window(sqlite_db, admin)
    window.activateWindow()
    window.calls_tab.table.setFocus()
    press(Key.Key_F1)
    help_ = _help_of(window)
    qtbot.waitUntil(help_.isVisible)
    assert _title(help_) == "The call list"
    assert "Keyboard shortcuts" in help_.text() and "Ctrl+Shift+A" in help_.text()
    window.activateWindow()
    form = window.new_call()
    assert isinstance(form, CallForm)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is form.caller.name)
    press(Key.Key_F1)
    assert _title(help_) == "Taking a call"
    window.activateWindow()
    press(Key.Key_I, ALT)
    while QApplication.focusWidget() is not form.advice.routes.boxes[Route.VICTIM]:
        press(Key.Key_Tab)
    press(Key.Key_Space)
    qtbot.waitUntil(lambda: Route.VICTIM in form.panes)
    press(Key.Key_F6)
    assert form.guidance_section.isAncestorOf(QApplication.focusWidget())
    press(Key.Key_F1)
    assert _title(help_) == "The guidance pane"
    help_.browser.anchorClicked.emit(QUrl("call-form.md"))  # a link between pages
    assert _title(help_) == "Taking a call"
    assert help_.topics.currentItem().text() == "Taking a call"


def _dialogs(window: MainWindow, tasks: TaskRunner) -> dict[str, Callable[[], QWidget | None]]:
    paths = config.Paths.from_environment()
    return {
        "Exporting calls": window.show_export_dialog,
        "Statistics": window.show_statistics,
        "Accounts": window.show_accounts,
        "The audit trail": window.show_audit_viewer,
        "Retention and erasure": window.show_retention,
        "The guidance pane": window.show_guidance_library,
        "The shared database": lambda: DatabaseDialog(paths, config.load_settings(paths), tasks, window),
        "Signing in": lambda: LoginDialog(tasks=tasks),
        "Setting up Supportline": lambda: SetupWizard(load_environment(), tasks),
    }


@pytest.mark.parametrize(
    "page",
    [
        "Exporting calls", "Statistics", "Accounts", "The audit trail", "Retention and erasure",
        "The guidance pane", "The shared database", "Signing in", "Setting up Supportline",
    ],
)  # fmt: skip
def test_f1_in_each_window_opens_its_page(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow, tasks: TaskRunner, page: str
) -> None:
    window = make_window(sqlite_db, admin)
    dialog = _dialogs(window, tasks)[page]()
    assert dialog is not None
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)  # F1 goes to the window in front
    target = dialog.focusWidget() or dialog
    QTest.keyClick(target, Key.Key_F1)
    help_ = _help_of(dialog)
    qtbot.waitUntil(help_.isVisible)
    assert _title(help_) == page
    assert help_.parent() is dialog  # it stays with the window it explains
    help_.close()


def test_the_help_window_shows_every_page_from_its_list(qtbot: QtBot) -> None:
    help_ = HelpWindow()
    qtbot.addWidget(help_)
    help_.show()
    for row, title in enumerate(TOPICS.values()):
        help_.topics.setCurrentRow(row)
        assert _title(help_) == title
    help_.show_topic("no-such-page")
    assert _title(help_) == "The call list"
    assert help_window.topic_of(LoginDialog()) == "sign-in"


def test_each_role_has_a_guide_whose_pictures_exist() -> None:
    guides = {p.stem for p in DOCS}
    assert guides >= {"guide-operator", "guide-adviser", "guide-supervisor", "guide-administrator"}
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        pictures = re.findall(r"\]\((screenshots/[^)]+\.png)\)", text)
        assert pictures or path.stem == "troubleshooting", f"{path.name} has no screenshot"
        for picture in pictures:
            assert (path.parent / picture).is_file(), f"{path.name}: {picture} is missing"
        for link in re.findall(r"\]\(([a-z-]+\.md)(?:#[^)]*)?\)", text):
            assert (path.parent / link).is_file(), f"{path.name}: link to {link}"
