"""The call list model: Qt's own model checks, lazy paging, and what each column shows."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from supportline.db import Database
from supportline.services.actor import Actor
from tests.ui.conftest import MANY
from ui.models.call_list import CALL_ID_ROLE, PAGE_SIZE, CallListModel, Column
from ui.tasks import TaskRunner


def _first_page(qtbot: QtBot, model: CallListModel) -> None:
    with qtbot.waitSignal(model.page_loaded, timeout=10_000):
        model.fetchMore(QModelIndex())


def test_empty_database_passes_the_model_checks(
    qtbot: QtBot, qtmodeltester: ModelTester, sqlite_db: Database, admin: Actor, tasks: TaskRunner
) -> None:
    model = CallListModel(sqlite_db, admin, tasks)
    assert model.canFetchMore(QModelIndex())
    assert not model.loaded_once
    qtmodeltester.check(model)
    qtbot.waitUntil(lambda: model.loaded_once, timeout=10_000)
    assert model.rowCount() == 0
    assert model.is_empty
    assert not model.canFetchMore(QModelIndex())
    assert model.columnCount() == len(Column) == 10


def test_pages_through_many_calls_holding_only_what_was_fetched(
    qtbot: QtBot, qtmodeltester: ModelTester, many_calls_db: tuple[Database, Actor], tasks: TaskRunner
) -> None:
    db, actor = many_calls_db
    model = CallListModel(db, actor, tasks)
    qtmodeltester.check(model)  # asks for the first page itself, then watches every insert
    qtbot.waitUntil(lambda: model.pages_fetched == 1, timeout=10_000)
    assert model.rowCount() == PAGE_SIZE == len(model._rows)
    assert model.canFetchMore(QModelIndex())

    _fetch_next(qtbot, model)
    assert model.rowCount() == 2 * PAGE_SIZE == len(model._rows)
    _fetch_next(qtbot, model)
    assert model.rowCount() == MANY == len(model._rows)
    assert not model.canFetchMore(QModelIndex())
    assert model.pages_fetched == 3

    # Newest first, no row twice, every row's id is the one the view hands on.
    opened = [model.summary(row).opened_at for row in range(model.rowCount())]
    assert opened == sorted(opened, reverse=True)
    assert len({model.call_id(row) for row in range(model.rowCount())}) == MANY
    assert model.index(7, 0).data(CALL_ID_ROLE) == model.call_id(7)


def _fetch_next(qtbot: QtBot, model: CallListModel) -> None:
    with qtbot.waitSignal(model.page_loaded, timeout=10_000):
        model.fetchMore(QModelIndex())


def test_a_fetch_in_flight_is_not_repeated(
    qtbot: QtBot, many_calls_db: tuple[Database, Actor], tasks: TaskRunner
) -> None:
    db, actor = many_calls_db
    model = CallListModel(db, actor, tasks)
    model.fetchMore(QModelIndex())
    assert model.loading and not model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())  # the view may ask again while scrolling: ignored
    qtbot.waitUntil(lambda: not model.loading, timeout=10_000)
    tasks.wait_until_idle()
    assert model.rowCount() == PAGE_SIZE
    assert model.pages_fetched == 1


def test_refresh_drops_rows_and_ignores_a_stale_page(
    qtbot: QtBot, many_calls_db: tuple[Database, Actor], tasks: TaskRunner
) -> None:
    db, actor = many_calls_db
    model = CallListModel(db, actor, tasks)
    _first_page(qtbot, model)
    _fetch_next(qtbot, model)
    assert model.rowCount() == 2 * PAGE_SIZE
    model.fetchMore(QModelIndex())  # third page in flight …
    with qtbot.waitSignal(model.page_loaded, timeout=10_000):
        model.refresh()  # … made stale by the refresh
    tasks.wait_until_idle()
    assert model.rowCount() == PAGE_SIZE
    assert model.pages_fetched == 1


def test_columns_show_the_call_in_the_lines_zone(
    qtbot: QtBot,
    sqlite_db: Database,
    admin: Actor,
    add_calls: Callable[[int], list[str]],
    tasks: TaskRunner,
) -> None:
    references = add_calls(2)
    model = CallListModel(sqlite_db, admin, tasks)
    _first_page(qtbot, model)

    def cell(row: int, column: Column) -> object:
        return model.index(row, column).data(Qt.ItemDataRole.DisplayRole)

    assert sqlite_db.zone == ZoneInfo("Europe/London")
    assert cell(0, Column.REFERENCE) == references[0]
    assert cell(0, Column.OPENED) == "Sat 28 Nov 2026 14:05"  # 14:05 UTC is 14:05 GMT in November
    assert cell(1, Column.OPENED) == "Sat 28 Nov 2026 13:05"
    assert cell(0, Column.URGENCY) == "Routine"
    assert cell(1, Column.URGENCY) == "Urgent"
    assert cell(0, Column.STATUS) == "Open"
    assert cell(0, Column.CALLER) == "DC Priya Hallam"
    assert cell(0, Column.AGENCY) == "Police"
    assert cell(0, Column.FORCE_AREA) == "Northumbria Police"
    assert cell(0, Column.ROUTES) == "Victim"
    assert cell(0, Column.SUMMARY) == "Call 0: workers housed above a hand car wash"
    assert cell(0, Column.HANDLER) == "Ada Admin"
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in Column]
    assert headers == [
        "Reference", "Opened", "Urgency", "Status", "Caller", "Agency", "Force area", "Routes", "Summary",
        "Handler",
    ]  # fmt: skip


def test_summer_times_show_in_british_summer_time(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, tasks: TaskRunner
) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime

    from supportline.services import calls
    from tests.ui.conftest import sample_call

    calls.save_call(
        sqlite_db, admin, replace(sample_call(0), opened_at=datetime(2026, 7, 4, 23, 30, tzinfo=UTC))
    )
    model = CallListModel(sqlite_db, admin, tasks)
    _first_page(qtbot, model)
    assert model.index(0, Column.OPENED).data() == "Sun 05 Jul 2026 00:30"
    assert model.index(0, Column.OPENED).data(Qt.ItemDataRole.ToolTipRole) == "Sun 05 Jul 2026 00:30 BST"


@pytest.mark.parametrize("page_size", [1, 3])
def test_small_pages_line_up_without_gaps(
    qtbot: QtBot,
    qtmodeltester: ModelTester,
    sqlite_db: Database,
    admin: Actor,
    add_calls: Callable[[int], list[str]],
    tasks: TaskRunner,
    page_size: int,
) -> None:
    references = add_calls(7)
    model = CallListModel(sqlite_db, admin, tasks, page_size=page_size)
    qtmodeltester.check(model)
    while model.canFetchMore(QModelIndex()) or model.loading:
        if model.canFetchMore(QModelIndex()):
            model.fetchMore(QModelIndex())
        qtbot.waitUntil(lambda: not model.loading, timeout=10_000)
    assert [model.index(r, Column.REFERENCE).data() for r in range(model.rowCount())] == references
