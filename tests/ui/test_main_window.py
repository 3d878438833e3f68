"""The main window: the list, the detail pane, the status bar and the empty state."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QModelIndex
from pytestqt.qtbot import QtBot
from sqlalchemy import select

import supportline
from supportline.bootstrap import Environment, load_environment
from supportline.db import Database
from supportline.db.models import AuditEvent
from supportline.services import calls
from supportline.services.actor import Actor
from tests.factories import full_call
from tests.ui.conftest import MANY
from ui.main_window import HIDDEN_AT_FIRST, MainWindow
from ui.models.call_list import PAGE_SIZE, Column
from ui.tasks import TaskRunner


@pytest.fixture
def env() -> Environment:
    return load_environment()


@pytest.fixture
def make_window(
    qtbot: QtBot, env: Environment, tasks: TaskRunner
) -> Iterator[Callable[[Database, Actor], MainWindow]]:
    windows: list[MainWindow] = []

    def make(db: Database, actor: Actor) -> MainWindow:
        window = MainWindow(env, db, actor, tasks=tasks)
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        qtbot.waitUntil(lambda: window.model.loaded_once, timeout=10_000)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()


def test_lists_calls_newest_first_and_shows_the_selected_one(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: Callable[[Database, Actor], MainWindow]
) -> None:
    record = calls.save_call(sqlite_db, admin, full_call())
    window = make_window(sqlite_db, admin)
    assert window.pages.currentWidget() is window.splitter
    assert window.model.rowCount() == 1
    assert window.model.index(0, Column.REFERENCE).data() == record.reference
    qtbot.waitUntil(lambda: "1 in total" in window.count_label.text(), timeout=5000)

    window.table.selectRow(0)
    qtbot.waitUntil(lambda: window.detail.record is not None, timeout=10_000)
    shown = window.detail.toPlainText()
    assert window.detail.record == record
    for expected in (
        record.reference,
        record.case_reference,
        "Sun 14 Jun 2026 03:17 BST",  # 02:17 UTC in summer
        "DS Morwenna Tregarthen",
        "Detective Sergeant",
        "07700 900417",
        "Urgent",
        "Closed",
        "Car wash workers living on site; passports held by the manager",
        "Interpreter requested.",
        "Person A",
        "Vietnam",
        "Vietnamese (interpreter needed)",
        "Albania, Greece",
        "Victim",
        "Children's services and police; NRM referral without consent.",
        "NRM referral advised",
        "Plymouth City Council",
        "Call back the DS",
    ):
        assert expected in shown, expected
    with sqlite_db.read() as session:  # opening a call is an audited consultation
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.action == "call.view")).all() == [
            "call.view"
        ]


def test_text_from_callers_is_shown_as_text_not_markup(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: Callable[[Database, Actor], MainWindow]
) -> None:
    calls.save_call(sqlite_db, admin, full_call(summary="<b>not bold</b> & <a href='x'>no link</a>"))
    window = make_window(sqlite_db, admin)
    window.table.selectRow(0)
    qtbot.waitUntil(lambda: window.detail.record is not None, timeout=10_000)
    assert "<b>not bold</b> & <a href='x'>no link</a>" in window.detail.toPlainText()


def test_status_bar_names_the_user_role_database_and_time(
    sqlite_db: Database, admin: Actor, make_window: Callable[[Database, Actor], MainWindow]
) -> None:
    window = make_window(sqlite_db, admin)
    assert window.user_label.text() == "Signed in as Ada Admin (Administrator)"
    assert window.database_label.toolTip() == sqlite_db.describe()
    assert window.database_label.toolTip().startswith("SQLite ")
    assert window.clock_label.text().endswith(("GMT", "BST"))
    assert window.user_label.isVisible() and window.clock_label.isVisible()


def test_an_empty_database_shows_a_friendly_empty_state(
    sqlite_db: Database, admin: Actor, make_window: Callable[[Database, Actor], MainWindow]
) -> None:
    window = make_window(sqlite_db, admin)
    assert window.pages.currentWidget() is window.empty_state
    assert window.empty_title.text() == "No calls yet"
    assert window.empty_title.isVisible()


def test_refresh_picks_up_new_calls_and_keeps_column_choices(
    qtbot: QtBot,
    sqlite_db: Database,
    admin: Actor,
    add_calls: Callable[[int], list[str]],
    make_window: Callable[[Database, Actor], MainWindow],
) -> None:
    window = make_window(sqlite_db, admin)
    assert window.model.is_empty
    add_calls(3)
    with qtbot.waitSignal(window.model.page_loaded, timeout=10_000):
        window.refresh_action.trigger()
    assert window.model.rowCount() == 3
    assert window.pages.currentWidget() is window.splitter
    assert window.refresh_action.shortcut().toString() == "F5"
    assert window.quit_action.shortcut().toString() == "Ctrl+Q"
    assert all(window.table.isColumnHidden(c) for c in HIDDEN_AT_FIRST)
    assert not window.table.isColumnHidden(Column.SUMMARY)


def test_scrolling_fetches_further_pages(
    qtbot: QtBot,
    many_calls_db: tuple[Database, Actor],
    make_window: Callable[[Database, Actor], MainWindow],
) -> None:
    db, actor = many_calls_db
    window = make_window(db, actor)
    assert window.model.rowCount() == PAGE_SIZE
    window.table.scrollToBottom()
    qtbot.waitUntil(lambda: window.model.rowCount() == 2 * PAGE_SIZE, timeout=10_000)
    assert window.model.canFetchMore(QModelIndex())
    qtbot.waitUntil(lambda: f"{MANY} in total" in window.count_label.text(), timeout=5000)


def test_about_names_the_version(
    sqlite_db: Database, admin: Actor, make_window: Callable[[Database, Actor], MainWindow]
) -> None:
    window = make_window(sqlite_db, admin)
    assert f"Supportline {supportline.__version__}" in window.about_text()
    assert "Europe/London" in window.about_text()
