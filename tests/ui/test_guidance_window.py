"""Guidance from the main window: Ctrl+G opens the library; Ctrl+F inside a guidance pane finds
in the pane (the window's Ctrl+F, search the calls, answers everywhere else)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from supportline.db import Database
from supportline.enums import Role, Route
from supportline.guidance.loader import GuidanceLibrary
from supportline.services.actor import Actor
from tests.factories import make_user
from tests.ui.conftest import MakeWindow
from tests.ui.guidance_helpers import BROKEN, write_templates
from ui.main_window import MainWindow, QuitChoice

CTRL = Qt.KeyboardModifier.ControlModifier


def test_ctrl_g_opens_the_library_and_ctrl_f_finds_in_a_pane(
    qtbot: QtBot,
    sqlite_db: Database,
    admin: Actor,
    make_window: MakeWindow,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(MainWindow, "ask_quit", lambda self, count: QuitChoice.DISCARD)
    window = make_window(sqlite_db, admin)
    window.activateWindow()
    assert [s.toString() for s in window.guidance_action.shortcuts()] == ["Ctrl+G"]
    form = window.new_call()
    box = form.advice.routes.boxes[Route.VICTIM]
    box.setFocus()
    QTest.keyClick(box, Qt.Key.Key_Space)
    pane = form.panes[Route.VICTIM]
    qtbot.waitUntil(lambda: pane.template is not None, timeout=5000)
    pane.browser.setFocus()
    QApplication.processEvents()
    QTest.keyClick(pane.browser, Qt.Key.Key_F, CTRL)
    assert pane.find_bar.isVisible()
    assert window.tabs.currentWidget() is form  # not sent to the calls' search
    assert QApplication.focusWidget() is pane.find_bar.edit

    form.caller.name.setFocus()
    QTest.keyClick(form.caller.name, Qt.Key.Key_F, CTRL)
    assert window.tabs.currentWidget() is window.calls_tab  # elsewhere Ctrl+F searches the calls

    QTest.keyClick(window.calls_tab, Qt.Key.Key_G, CTRL)
    library = window.guidance_window
    assert library is not None
    qtbot.waitUntil(lambda: len(library.listed_ids()) > 0, timeout=5000)
    assert library.isVisible()


def test_the_window_picks_up_changed_guidance_and_tells_only_admins_of_problems(
    qtbot: QtBot,
    sqlite_db: Database,
    admin: Actor,
    make_window: MakeWindow,
    tmp_path: Path,
) -> None:
    folder = write_templates(tmp_path / "guidance")
    operator = make_user(sqlite_db, admin, "olu", Role.OPERATOR)
    windows = {actor.username: make_window(sqlite_db, actor) for actor in (admin, operator)}
    for window in windows.values():
        window.guidance = GuidanceLibrary(folder)
        window.refresh_guidance()
        qtbot.waitUntil(lambda w=window: not w._guidance_busy, timeout=5000)
        assert window.guidance_label.isHidden()
        assert window.guidance.get("victim") is not None

    (folder / "broken.md").write_text(BROKEN, encoding="utf-8")
    (folder / "legal.md").unlink()
    for window in windows.values():
        window.refresh_guidance()
        qtbot.waitUntil(lambda w=window: not w._guidance_busy, timeout=5000)
        assert window.guidance.get("legal") is None  # the removed file is gone; the rest still load
        assert window.guidance.get("victim") is not None
    admin_label = windows[admin.username].guidance_label
    assert not admin_label.isHidden()
    assert "1 problem" in admin_label.text() and "broken.md" in admin_label.toolTip()
    assert windows[operator.username].guidance_label.isHidden()
