"""The guidance library window: lists and searches templates, shows problems to administrators,
and picks up changed files while it is open."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from supportline.enums import Role
from supportline.guidance.loader import GuidanceLibrary
from supportline.services.actor import Actor
from tests.ui.guidance_helpers import TACTICAL, write_templates
from ui.tasks import TaskRunner
from ui.views.guidance_library import GuidanceLibraryWindow, matches

TIMEOUT = 15_000

Open = Callable[[Role], GuidanceLibraryWindow]


def person(role: Role) -> Actor:
    return Actor(user_id=uuid.uuid4(), username=role.value, display_name=f"Test {role.value}", role=role)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return write_templates(tmp_path / "guidance", broken=True)


@pytest.fixture
def open_window(qtbot: QtBot, tasks: TaskRunner, folder: Path) -> Iterator[Open]:
    windows: list[GuidanceLibraryWindow] = []

    def open_(role: Role) -> GuidanceLibraryWindow:
        window = GuidanceLibraryWindow(GuidanceLibrary(folder), tasks, person(role))
        with qtbot.waitSignal(window.loaded, timeout=TIMEOUT):
            window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield open_
    for window in windows:
        window.close()
        window.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    tasks.wait_until_idle()


def test_lists_every_template_by_route_and_shows_one(open_window: Open) -> None:
    window = open_window(Role.ADVISER)
    assert window.listed_ids() == ["tactical", "victim", "victim-child", "legal"]
    assert window.count.text() == "4 of 4 templates"
    template = window.current_template()
    assert template is not None and template.id == "tactical"
    assert window.title.text() == "Tactical advice (test)"
    assert window.badge.isVisibleTo(window)
    text = window.browser.toPlainText()
    assert "Act now." in text and "Safety plan agreed" in text and "Test source D" in text


def test_search_covers_title_body_and_checklist(open_window: Open) -> None:
    window = open_window(Role.ADVISER)
    window.search.setText("interpreter")  # a checklist item only
    assert window.listed_ids() == ["victim"]
    window.search.setText("statutory defence")  # the body
    assert window.listed_ids() == ["legal"]
    assert window.current_template() is not None
    window.search.setText("A CHILD")  # the title, any case
    assert window.listed_ids() == ["victim-child"]
    window.search.setText("nothing like this")
    assert window.listed_ids() == []
    assert window.title.text() == "No template matches"
    window.search.clear()
    assert len(window.listed_ids()) == 4


def test_problems_are_shown_to_an_admin_only(open_window: Open, folder: Path) -> None:
    admin = open_window(Role.ADMIN)
    assert admin.problems_box.isVisibleTo(admin)
    lines = [admin.problems.item(i).text() for i in range(admin.problems.count())]  # type: ignore[union-attr]
    assert lines and all(line.startswith(str(folder / "broken.md") + ":") for line in lines)
    assert any("colour" in line for line in lines)
    assert "1 problem(s)" in admin.problems_title.text()
    adviser = open_window(Role.ADVISER)
    assert not adviser.problems_box.isVisibleTo(adviser)
    assert "broken" not in adviser.listed_ids()


def test_changed_files_are_picked_up(qtbot: QtBot, open_window: Open, folder: Path) -> None:
    window = open_window(Role.ADMIN)
    (folder / "broken.md").unlink()
    (folder / "tactical-two.md").write_text(
        TACTICAL.replace('id = "tactical"', 'id = "tactical-two"').replace(
            "Tactical advice (test)", "Second tactical"
        ),
        encoding="utf-8",
    )
    with qtbot.waitSignal(window.loaded, timeout=TIMEOUT):
        window.refresh()
    assert "tactical-two" in window.listed_ids()
    assert not window.problems_box.isVisibleTo(window)


def test_matcher_words(tmp_path: Path) -> None:
    library = GuidanceLibrary(write_templates(tmp_path / "g"))
    victim = library.get("victim")
    assert victim is not None
    assert matches(victim, "")
    assert matches(victim, "safe interpreter")
    assert not matches(victim, "safe tigrinya")
