"""The call list model: Qt's own model checks, the window of held pages, sorting and columns."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QTableView
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from supportline.db import Database, create_database
from supportline.services import accounts
from supportline.services.actor import Actor
from supportline.services.call_types import CallQuery, SortKey
from supportline.services.demo import generate_demo
from tests.factories import PASSWORD
from tests.ui.conftest import MANY
from ui.models.call_list import CALL_ID_ROLE, PAGE_SIZE, PLACEHOLDER, CallListModel, Column
from ui.tasks import TaskRunner

DEMO_CALLS = 3000


def _loaded(qtbot: QtBot, model: CallListModel, start: bool = True) -> None:
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        if start:
            model.refresh()


def _page(qtbot: QtBot, model: CallListModel, row: int) -> None:
    """Ask for a row that is not held and wait for its page."""
    assert model.index(row, Column.REFERENCE).data() == PLACEHOLDER
    with qtbot.waitSignal(model.page_loaded, timeout=10_000):
        pass


def test_empty_database_passes_the_model_checks(
    qtbot: QtBot, qtmodeltester: ModelTester, sqlite_db: Database, admin: Actor, tasks: TaskRunner
) -> None:
    model = CallListModel(sqlite_db, admin, tasks)
    assert not model.loaded_once
    qtmodeltester.check(model)
    _loaded(qtbot, model)
    assert model.rowCount() == 0
    assert model.is_empty
    assert model.columnCount() == len(Column) == 10


def test_counts_the_whole_query_and_holds_only_the_first_page(
    qtbot: QtBot, qtmodeltester: ModelTester, many_calls_db: tuple[Database, Actor], tasks: TaskRunner
) -> None:
    db, actor = many_calls_db
    model = CallListModel(db, actor, tasks)
    qtmodeltester.check(model)
    _loaded(qtbot, model)
    assert model.rowCount() == MANY == model.total
    assert model.rows_held() == PAGE_SIZE
    assert model.pages_held() == (0,)
    # A row further down is a placeholder until its page arrives, then real, announced by dataChanged.
    with qtbot.waitSignal(model.dataChanged, timeout=10_000) as changed:
        assert model.index(MANY - 1, Column.REFERENCE).data() == PLACEHOLDER
        assert model.index(MANY - 1, Column.REFERENCE).data(CALL_ID_ROLE) is None
    first, last = changed.args[0], changed.args[1]
    assert (first.row(), last.row()) == (2 * PAGE_SIZE, MANY - 1)
    assert model.index(MANY - 1, Column.REFERENCE).data().startswith("SL-")
    assert model.pages_held() == (0, 2)
    qtmodeltester.check(model)  # again, with held pages and placeholders mixed

    # Newest first, no call twice, and the id the view hands on is the row's.
    held = [model.summary(r) for r in range(model.rowCount())]
    opened = [s.opened_at for s in held if s is not None]
    assert opened == sorted(opened, reverse=True)
    assert len({s.id for s in held if s is not None}) == len(opened) == PAGE_SIZE + (MANY - 2 * PAGE_SIZE)
    assert model.index(7, 0).data(CALL_ID_ROLE) == model.call_id(7)
    assert model.row_of(model.call_id(MANY - 1)) == MANY - 1  # type: ignore[arg-type]


def test_a_page_asked_for_again_while_in_flight_is_fetched_once(
    qtbot: QtBot, many_calls_db: tuple[Database, Actor], tasks: TaskRunner
) -> None:
    db, actor = many_calls_db
    model = CallListModel(db, actor, tasks)
    _loaded(qtbot, model)
    for _ in range(50):  # a view painting the rows of one page asks for each cell
        model.index(PAGE_SIZE + 3, Column.CALLER).data()
    tasks.wait_until_idle()
    assert model.pages_fetched == 2
    assert model.pages_held() == (0, 1)


def test_the_least_recently_used_page_goes_first(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, add_calls: Callable[[int], list[str]], tasks: TaskRunner
) -> None:
    add_calls(20)
    model = CallListModel(sqlite_db, admin, tasks, page_size=3, max_pages=3)
    _loaded(qtbot, model)
    for row in (3, 6):
        _page(qtbot, model, row)
    model.index(0, 0).data()  # page 0 used again: page 1 is now the oldest
    _page(qtbot, model, 9)
    assert model.pages_held() == (2, 0, 3)
    assert model.max_rows_held == 9


def test_a_new_query_drops_the_results_of_an_older_one(
    qtbot: QtBot, many_calls_db: tuple[Database, Actor], tasks: TaskRunner
) -> None:
    db, actor = many_calls_db
    model = CallListModel(db, actor, tasks)
    _loaded(qtbot, model)
    loads: list[int] = []
    model.loaded.connect(lambda: loads.append(model.total))
    model.set_filters(CallQuery(text="Call 1"))  # on its way …
    model.set_filters(CallQuery(text="Call 12"))  # … made stale before it lands
    assert model.loading
    qtbot.waitUntil(lambda: not model.loading, timeout=10_000)
    tasks.wait_until_idle()
    assert loads == [len([n for n in range(MANY) if f"Call {n}:".startswith("Call 12")])]
    assert model.query.text == "Call 12"


def test_sorting_is_done_by_the_database(
    qtbot: QtBot, qtmodeltester: ModelTester, many_calls_db: tuple[Database, Actor], tasks: TaskRunner
) -> None:
    db, actor = many_calls_db
    model = CallListModel(db, actor, tasks)
    qtmodeltester.check(model)
    _loaded(qtbot, model)
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.sort(Column.CALLER, Qt.SortOrder.AscendingOrder)
    assert (model.query.sort, model.query.descending) == (SortKey.CALLER, False)
    callers = [model.index(r, Column.CALLER).data() for r in range(PAGE_SIZE)]
    assert callers == sorted(callers)
    assert callers[0] == "DC Priya Hallam"
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.sort(Column.OPENED, Qt.SortOrder.AscendingOrder)
    assert model.index(0, Column.SUMMARY).data().startswith(f"Call {MANY - 1}:")  # the oldest first

    before = model.query
    model.sort(Column.SUMMARY, Qt.SortOrder.DescendingOrder)  # not sortable: nothing happens
    model.sort(Column.ROUTES, Qt.SortOrder.AscendingOrder)
    assert model.query == before and not model.loading
    # A new filter keeps the sort chosen from the header.
    with qtbot.waitSignal(model.loaded, timeout=10_000):
        model.set_filters(CallQuery(text="hand car wash"))
    assert (model.query.sort, model.query.descending, model.query.text) == (
        SortKey.OPENED,
        False,
        "hand car wash",
    )


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    path.write_bytes(_sqlite_template.read_bytes())
    db = create_database(f"sqlite:///{path}")
    generate_demo(db, calls=DEMO_CALLS, password=PASSWORD, seed=7)
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture
def demo_db(_demo_template: Path, tmp_path: Path) -> Iterator[tuple[Database, Actor]]:
    path = tmp_path / "demo.db"
    path.write_bytes(_demo_template.read_bytes())
    db = create_database(f"sqlite:///{path}")
    yield db, accounts.authenticate(db, "demo-operator", PASSWORD)
    db.dispose()


def test_scrolling_the_whole_list_holds_no_more_than_the_window(
    qtbot: QtBot, demo_db: tuple[Database, Actor], tasks: TaskRunner
) -> None:
    """The 1,000,000-call promise, at a smaller scale: pages of 50, at most 4 held (200 rows)."""
    db, actor = demo_db
    model = CallListModel(db, actor, tasks, page_size=50, max_pages=4)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(900, 500)
    view.show()
    _loaded(qtbot, model)
    assert model.rowCount() == DEMO_CALLS
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=5000)
    visible = view.rowAt(view.viewport().height() - 1) - view.rowAt(0)
    assert visible > 5

    def rows_on_screen() -> range:
        top = view.rowAt(0)
        bottom = view.rowAt(view.viewport().height() - 1)
        return range(top, (bottom if bottom >= 0 else model.rowCount() - 1) + 1)

    def all_real() -> bool:
        view.viewport().repaint()  # a paint asks the model for the rows on screen
        return all(model.index(r, Column.REFERENCE).data() != PLACEHOLDER for r in rows_on_screen())

    seen = 0
    position = 0
    while position < bar.maximum():
        position = min(position + visible, bar.maximum())
        bar.setValue(position)
        qtbot.waitUntil(all_real, timeout=10_000)
        assert model.rows_held() <= 200
        seen = max(seen, rows_on_screen()[-1])
    view.scrollToBottom()
    qtbot.waitUntil(all_real, timeout=10_000)
    assert seen == rows_on_screen()[-1] == DEMO_CALLS - 1
    assert model.max_rows_held <= 200
    assert model.pages_fetched >= DEMO_CALLS // 50
    assert len(model.pages_held()) <= 4


def test_columns_show_the_call_in_the_lines_zone(
    qtbot: QtBot,
    sqlite_db: Database,
    admin: Actor,
    add_calls: Callable[[int], list[str]],
    tasks: TaskRunner,
) -> None:
    references = add_calls(2)
    model = CallListModel(sqlite_db, admin, tasks)
    _loaded(qtbot, model)

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
    assert model.headerData(Column.SUMMARY, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) == (
        "This column cannot be sorted"
    )


def test_summer_times_show_in_british_summer_time(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, tasks: TaskRunner
) -> None:
    from datetime import UTC, datetime

    from supportline.services import calls
    from tests.ui.conftest import sample_call

    calls.save_call(
        sqlite_db,
        admin,
        dataclasses.replace(sample_call(0), opened_at=datetime(2026, 7, 4, 23, 30, tzinfo=UTC)),
    )
    model = CallListModel(sqlite_db, admin, tasks)
    _loaded(qtbot, model)
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
    model = CallListModel(sqlite_db, admin, tasks, page_size=page_size, max_pages=20)
    qtmodeltester.check(model)
    _loaded(qtbot, model)

    def every_row_real() -> bool:
        return all(model.index(r, 0).data() != PLACEHOLDER for r in range(model.rowCount()))

    qtbot.waitUntil(every_row_real, timeout=10_000)
    assert [model.index(r, Column.REFERENCE).data() for r in range(model.rowCount())] == references
    assert model.rowCount(QModelIndex()) == 7
