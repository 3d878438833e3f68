"""Tab through every screen (issue 11): sign-in, main window, call form with 0, 1 and 4 routes
chosen, export dialog, statistics, guidance library and lock. Each fails on a loop that skips a
control (or never comes back), a stop with no name, or a focused widget mostly out of view; and
every window's mnemonics are listed, failing on a letter claimed twice."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from supportline.db import Database
from supportline.enums import Route
from supportline.services.actor import Actor
from tests.ui.conftest import MakeWindow
from tests.ui.keyboard_helpers import ALT, CTRL, Key, clashes, mnemonics, press, tab_problems, tab_stops
from ui.main_window import MainWindow, QuitChoice
from ui.tasks import TaskRunner
from ui.views.call_form import CallForm
from ui.views.login import LoginDialog

TIMEOUT = 15_000

#: A screen: (the window to walk, the widget the walk starts from).
Screen = tuple[QWidget, QWidget]


@pytest.fixture(autouse=True)
def _never_ask_on_close(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MainWindow, "ask_quit", lambda self, count: QuitChoice.DISCARD)


def _form(qtbot: QtBot, window: MainWindow, routes: int) -> Screen:
    press(Key.Key_N, CTRL)
    form = window.current_form()
    assert isinstance(form, CallForm)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is form.caller.name, timeout=TIMEOUT)
    if routes:
        press(Key.Key_I, ALT)  # the focus to the first route; Space chooses, Tab moves on
        for route in list(Route)[:routes]:
            assert QApplication.focusWidget() is form.advice.routes.boxes[route]
            press(Key.Key_Space)
            press(Key.Key_Tab)
        qtbot.waitUntil(lambda: all(r in form.panes and form.panes[r].rows for r in list(Route)[:routes]))
    return window, form.save_button


def _main(qtbot: QtBot, window: MainWindow) -> Screen:
    return window, window.calls_tab.filters.search


def _export(qtbot: QtBot, window: MainWindow) -> Screen:
    dialog = window.show_export_dialog()
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog, dialog.export_button


def _statistics(qtbot: QtBot, window: MainWindow) -> Screen:
    stats = window.show_statistics()
    assert stats is not None
    qtbot.waitExposed(stats)
    return stats, stats.refresh_button


def _library(qtbot: QtBot, window: MainWindow) -> Screen:
    library = window.show_guidance_library()
    qtbot.waitExposed(library)
    start = library.focusWidget() or next(iter(tab_stops(library)))
    return library, start


def _lock(qtbot: QtBot, window: MainWindow) -> Screen:
    window.lock()
    qtbot.waitUntil(lambda: window.lock_view.isVisible())
    return window, window.lock_view.password


SCREENS: dict[str, Callable[[QtBot, MainWindow], Screen]] = {
    "main window": _main,
    "call form, no route": lambda qtbot, window: _form(qtbot, window, 0),
    "call form, one route": lambda qtbot, window: _form(qtbot, window, 1),
    "call form, four routes": lambda qtbot, window: _form(qtbot, window, 4),
    "export dialog": _export,
    "statistics": _statistics,
    "guidance library": _library,
    "lock": _lock,
}


@pytest.mark.parametrize("screen", list(SCREENS))
def test_tab_goes_round_every_control_of_the_screen(
    qtbot: QtBot,
    sqlite_db: Database,
    admin: Actor,
    make_window: MakeWindow,
    add_calls: Callable[[int], list[str]],
    screen: str,
) -> None:
    add_calls(3)
    window = make_window(sqlite_db, admin)
    root, start = SCREENS[screen](qtbot, window)
    root.activateWindow()
    QApplication.processEvents()
    assert tab_problems(root, start) == []


@pytest.mark.parametrize("screen", list(SCREENS))
def test_no_mnemonic_is_claimed_twice_in_any_window(
    qtbot: QtBot,
    sqlite_db: Database,
    admin: Actor,
    make_window: MakeWindow,
    add_calls: Callable[[int], list[str]],
    screen: str,
) -> None:
    add_calls(3)
    window = make_window(sqlite_db, admin)
    root, _start = SCREENS[screen](qtbot, window)
    QApplication.processEvents()
    if screen.startswith("call form"):
        form = window.current_form()
        assert form is not None
        form.case.persons.add_row()  # the rows' buttons show too
        form.advice.referrals.add_row()
        QApplication.processEvents()
    found = mnemonics(root)
    assert found, "a window with no mnemonics at all"
    assert clashes(root) == {}


def test_tab_goes_round_the_sign_in(qtbot: QtBot, tasks: TaskRunner) -> None:
    dialog = LoginDialog(tasks=tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    assert tab_problems(dialog, dialog.username) == []
    assert clashes(dialog) == {}


def test_no_mnemonic_is_claimed_twice_within_a_menu(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow
) -> None:
    """Inside an open menu a letter picks its entry: two entries with one letter make the key
    only cycle between them. An administrator's menus hold every entry there is."""
    from PySide6.QtWidgets import QMenu

    from tests.ui.keyboard_helpers import mnemonic_of

    window = make_window(sqlite_db, admin)
    menus = [action.menu() for action in window.menuBar().actions()]
    found: dict[str, dict[str, list[str]]] = {}
    while menus:
        menu = menus.pop()
        assert isinstance(menu, QMenu)
        letters: dict[str, list[str]] = {}
        for action in menu.actions():
            if action.menu() is not None:
                menus.append(action.menu())
            if action.isVisible() and not action.isSeparator() and mnemonic_of(action.text()):
                letters.setdefault(mnemonic_of(action.text()), []).append(action.text())
        found[menu.title()] = {letter: texts for letter, texts in letters.items() if len(texts) > 1}
    assert "&File" in found and "Sign &out and close" in [a.text() for a in window.file_menu.actions()]
    assert {title: clash for title, clash in found.items() if clash} == {}
