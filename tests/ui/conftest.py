"""Fixtures for the GUI tests: a task runner per test, an administrator, and calls to list.

Every name, force and number here is invented; phone numbers are from Ofcom's drama range.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from supportline.bootstrap import Environment, load_environment
from supportline.db import Database, create_database
from supportline.db.migrate import upgrade
from supportline.enums import AgencyType, CallStatus, Route, Urgency
from supportline.services import accounts, calls
from supportline.services.actor import Actor
from supportline.services.call_types import CallData, Caller, PersonData, RouteData
from tests.factories import PASSWORD, make_admin
from ui import style
from ui.main_window import MainWindow, QuitChoice
from ui.tasks import TaskRunner

MANY = 450
START = datetime(2026, 11, 28, 14, 5, tzinfo=UTC)

CALLERS = (
    ("DC Priya Hallam", AgencyType.POLICE, "Northumbria Police"),
    ("Tomasz Wierzbicki", AgencyType.NGO, "Harbour Lights Refuge"),
    ("PC Gethin Morcambe", AgencyType.POLICE, "Dyfed-Powys Police"),
    ("Imogen Saltire", AgencyType.CHILDRENS_SERVICES, "Wyvern County Council"),
)
URGENCIES = (Urgency.ROUTINE, Urgency.URGENT, Urgency.CRISIS, Urgency.INFORMATION)


def sample_call(n: int) -> CallData:
    """The n-th fictitious call: one hour older than the one before."""
    name, agency, organisation = CALLERS[n % len(CALLERS)]
    return CallData(
        caller=Caller(
            name=name, agency_type=agency, organisation=organisation, phone=f"07700 900{n % 1000:03d}"
        ),
        opened_at=START - timedelta(hours=n),
        urgency=URGENCIES[n % len(URGENCIES)],
        status=CallStatus.OPEN,
        summary=f"Call {n}: workers housed above a hand car wash",
        narrative=f"Narrative of call {n}.",
        force_area=organisation if agency == AgencyType.POLICE else "",
        persons=(PersonData(nationalities=("VN",), languages=("vie",), name=f"Person {n}"),),
        routes=(RouteData(route=Route.VICTIM),),
    )


@pytest.fixture
def tasks(qapp: object) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    runner.wait_until_idle()
    runner.deleteLater()


@pytest.fixture
def admin(sqlite_db: Database) -> Actor:
    return make_admin(sqlite_db)


@pytest.fixture
def add_calls(sqlite_db: Database, admin: Actor) -> Callable[[int], list[str]]:
    def add(count: int) -> list[str]:
        return [calls.save_call(sqlite_db, admin, sample_call(n)).reference for n in range(count)]

    return add


@pytest.fixture(scope="session")
def _many_calls_template(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Path:
    """A migrated SQLite file holding an admin and MANY calls, built once (saving 450 calls takes
    a few seconds) and copied for each test that needs it."""
    path = tmp_path_factory.mktemp("many") / "many.db"
    shutil.copyfile(_sqlite_template, path)
    db = create_database(f"sqlite:///{path}")
    upgrade(db)
    actor = make_admin(db)
    for n in range(MANY):
        calls.save_call(db, actor, sample_call(n))
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture
def many_calls_db(_many_calls_template: Path, tmp_path: Path) -> Iterator[tuple[Database, Actor]]:
    path = tmp_path / "many.db"
    shutil.copyfile(_many_calls_template, path)
    db = create_database(f"sqlite:///{path}")
    yield db, accounts.authenticate(db, "ada.admin", PASSWORD)
    db.dispose()


MakeWindow = Callable[[Database, Actor], MainWindow]


@pytest.fixture
def env() -> Environment:
    return load_environment()


@pytest.fixture
def make_window(
    qtbot: QtBot, env: Environment, tasks: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MakeWindow]:
    windows: list[MainWindow] = []
    # Set before any window exists: pytest-qt closes the widgets it was given (qtbot.addWidget)
    # in its own teardown hook, before this fixture's teardown runs, so a window left with an
    # unsaved form asked the real question there — a modal box nobody answers, and the test run
    # hung. A test that wants another answer sets its own.
    monkeypatch.setattr(MainWindow, "ask_quit", lambda self, count: QuitChoice.KEEP_DRAFTS)

    def make(db: Database, actor: Actor) -> MainWindow:
        window = MainWindow(env, db, actor, tasks=tasks)
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        qtbot.waitUntil(lambda: window.model.loaded_once, timeout=10_000)
        windows.append(window)
        return window

    yield make
    monkeypatch.setattr(MainWindow, "ask_quit", lambda self, count: QuitChoice.KEEP_DRAFTS)
    for window in windows:
        window.close()
    style.apply(QApplication.instance(), style.LIGHT)  # type: ignore[arg-type]
