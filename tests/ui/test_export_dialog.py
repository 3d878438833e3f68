"""The export dialog: filters from the call list, the preview count, a real export and its audit
event, cancel, the required purpose, and who sees the menu entries.

On SQLite and PostgreSQL wherever a database is involved. Every name and number is invented;
phone numbers are from Ofcom's drama range.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from supportline.bootstrap import Environment
from supportline.db import Database
from supportline.enums import AgencyType, AuditCategory, ExploitationType, Role, Route, Urgency
from supportline.exports import atomic, csv_export
from supportline.exports.common import ExportFormat, ExportJob, Profile, count_matching
from supportline.services import audit, calls
from supportline.services.actor import Actor
from supportline.services.call_types import CallData, Caller, CallQuery, RouteData
from tests.factories import make_admin, make_user
from tests.ui.conftest import MakeWindow, sample_call
from ui.main_window import MainWindow, QuitChoice
from ui.tasks import TaskRunner
from ui.views.export_dialog import ExportDialog, allowed_profiles, available_formats, default_file_name
from ui.views.filter_bar import local_days_to_utc, select_value

PURPOSE = "Quarterly figures for the Wessex anti-slavery partnership (to its chair, Dr Ama Quartey)"
DAY = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
CRISIS = Urgency.CRISIS


@dataclasses.dataclass
class World:
    db: Database
    admin: Actor
    supervisor: Actor
    operator: Actor
    refs: dict[str, str]


def _call(n: int, **changes: Any) -> CallData:
    """The n-th sample call (its summary says "Call n:"), routine unless told otherwise."""
    return dataclasses.replace(sample_call(n), **{"urgency": Urgency.ROUTINE, **changes})


@pytest.fixture
def world(db: Database) -> World:
    """Six calls: four victim-route calls over three days (one of them labour exploitation, one
    from an NGO), a tactical call and a legal call a week earlier."""
    admin = make_admin(db)
    supervisor = make_user(db, admin, "sam.supervisor", Role.SUPERVISOR)
    operator = make_user(db, admin, "owen.operator", Role.OPERATOR)
    victim = (RouteData(route=Route.VICTIM),)
    made = {
        "victim-1": _call(0, opened_at=DAY, routes=victim),
        "victim-2": _call(
            2,
            opened_at=DAY + timedelta(days=1),
            routes=victim,
            exploitation_types=frozenset({ExploitationType.LABOUR}),
        ),
        "victim-3": _call(
            1,
            opened_at=DAY + timedelta(days=2),
            routes=victim,
            caller=Caller(
                name="Tomasz Wierzbicki", agency_type=AgencyType.NGO, organisation="Harbour Lights"
            ),
        ),
        "victim-4": _call(
            3, opened_at=DAY + timedelta(days=2, hours=3), routes=victim, urgency=Urgency.CRISIS
        ),
        "tactical": _call(6, opened_at=DAY - timedelta(days=7), routes=(RouteData(route=Route.TACTICAL),)),
        "legal": _call(8, opened_at=DAY - timedelta(days=7, hours=2), routes=(RouteData(route=Route.LEGAL),)),
    }
    refs = {name: calls.save_call(db, admin, data).reference for name, data in made.items()}
    return World(db, admin, supervisor, operator, refs)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


def open_dialog(qtbot: QtBot, world: World, tasks: TaskRunner, folder: Path, **kwargs: Any) -> ExportDialog:
    dialog = ExportDialog(world.db, world.supervisor, tasks, folder=folder, **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.count is not None, timeout=10_000)
    return dialog


def recounted(qtbot: QtBot, dialog: ExportDialog, act: Callable[[], None]) -> int:
    with qtbot.waitSignal(dialog.counted, timeout=10_000) as blocker:
        act()
    assert blocker.args is not None
    assert blocker.args[0] == dialog.count
    return int(blocker.args[0])


def disclosures(world: World) -> list[Any]:
    """The export events in the audit log (read as the administrator)."""
    return list(audit.recent_events(world.db, world.admin, action="calls.export"))


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(atomic.TEMP_PREFIX))


def references_in(path: Path) -> set[str]:
    with path.open(encoding="utf-8", newline="") as f:
        return {row["reference"] for row in csv.DictReader(f)}


# --- filters and the preview count -----------------------------------------------------------------


def test_filters_come_prefilled_from_the_call_list(
    qtbot: QtBot, world: World, make_window: MakeWindow
) -> None:
    window = make_window(world.db, world.supervisor)
    bar = window.calls_tab.filters
    with qtbot.waitSignal(window.model.loaded, timeout=10_000):
        select_value(bar.route, Route.VICTIM)
    bar.date_from.set_value(date(2026, 11, 21))
    bar.date_to.set_value(date(2026, 11, 22))
    with qtbot.waitSignal(window.model.loaded, timeout=10_000):
        bar.search.setText("hand car wash")
        bar.apply_now()
    assert window.model.total == 3  # victim-2, victim-3 and victim-4

    QTest.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)  # Ctrl+E
    dialog = window.export_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.count is not None, timeout=10_000)
    start, end = local_days_to_utc(date(2026, 11, 21), date(2026, 11, 22), world.db.zone)
    assert (
        dialog.query()
        == bar.query()
        == CallQuery(opened_from=start, opened_to=end, route=Route.VICTIM, text="hand car wash")
    )
    assert dialog.route.currentData() == Route.VICTIM
    assert type(dialog.query().route) is Route and type(bar.query().route) is Route  # members, not str
    assert (dialog.date_from.value(), dialog.date_to.value()) == (date(2026, 11, 21), date(2026, 11, 22))
    assert dialog.text.text() == "hand car wash"
    assert dialog.count == 3 and dialog.count_label.text() == "3 calls match"
    assert Path(dialog.path.text()).name == "supportline-calls-2026-11-21-to-2026-11-22.csv"
    assert QApplication.focusWidget() is dialog.purpose  # the one thing that must be typed
    dialog.reject()


def test_the_preview_counts_the_matching_calls_as_the_filters_change(
    qtbot: QtBot, world: World, tasks: TaskRunner, out_dir: Path
) -> None:
    dialog = open_dialog(qtbot, world, tasks, out_dir)
    assert dialog.count == 6 and dialog.count_label.text() == "6 calls match"
    assert recounted(qtbot, dialog, lambda: select_value(dialog.route, Route.VICTIM)) == 4
    assert recounted(qtbot, dialog, lambda: select_value(dialog.agency, AgencyType.NGO)) == 1
    assert dialog.count_label.text() == "1 call matches"
    assert recounted(qtbot, dialog, lambda: select_value(dialog.agency, None)) == 4
    assert recounted(qtbot, dialog, lambda: select_value(dialog.exploitation, ExploitationType.LABOUR)) == 1
    assert recounted(qtbot, dialog, lambda: select_value(dialog.exploitation, None)) == 4
    assert recounted(qtbot, dialog, lambda: select_value(dialog.urgency, Urgency.CRISIS)) == 1
    assert recounted(qtbot, dialog, lambda: select_value(dialog.route, Route.LEGAL)) == 0
    assert dialog.count_label.text() == "No calls match"
    select_value(dialog.urgency, None)

    def one_week() -> None:  # the tactical and legal calls, a week before the others
        dialog.date_from.set_value(date(2026, 11, 13))
        dialog.date_to.set_value(date(2026, 11, 13))

    select_value(dialog.route, None)
    assert recounted(qtbot, dialog, one_week) == 2
    assert Path(dialog.path.text()).name == "supportline-calls-2026-11-13-to-2026-11-13.csv"
    QTest.keyClicks(dialog.text, "Call 6:")
    qtbot.waitUntil(lambda: dialog.count == 1, timeout=10_000)


def test_the_file_name_follows_format_and_profile(
    qtbot: QtBot, world: World, tasks: TaskRunner, out_dir: Path
) -> None:
    assert default_file_name(
        Profile.FIGURES, ExportFormat.PDF, date(2026, 7, 1), date(2026, 9, 30), date(2026, 11, 28)
    ) == ("supportline-figures-2026-07-01-to-2026-09-30.pdf")
    assert default_file_name(Profile.FULL, ExportFormat.CSV, None, None, date(2026, 11, 28)) == (
        "supportline-calls-all-to-2026-11-28.csv"
    )
    dialog = open_dialog(qtbot, world, tasks, out_dir)
    assert (
        [Profile(dialog.profile.itemData(i)) for i in range(dialog.profile.count())]
        == allowed_profiles(world.supervisor)
        == [Profile.FULL, Profile.PSEUDONYMISED, Profile.FIGURES]
    )
    select_value(dialog.profile, Profile.PSEUDONYMISED)
    assert Path(dialog.path.text()).name.startswith("supportline-calls-pseudonymised-")
    assert Path(dialog.path.text()).parent == out_dir
    # A name typed by hand is kept; a change of format changes only its ending.
    dialog.path.clear()
    QTest.keyClicks(dialog.path, str(out_dir / "for-the-chair.csv"))
    jsonl = dialog.format.findData(ExportFormat.JSONL)
    if jsonl >= 0:
        dialog.format.setCurrentIndex(jsonl)
        assert dialog.path.text() == str(out_dir / "for-the-chair.jsonl")
        assert not dialog.bom.isEnabled()
        dialog.format.setCurrentIndex(dialog.format.findData(ExportFormat.CSV))
    assert dialog.path.text() == str(out_dir / "for-the-chair.csv")
    assert dialog.bom.isEnabled()


# --- exporting -------------------------------------------------------------------------------------


def test_a_full_export_writes_the_file_and_an_audit_event(
    qtbot: QtBot, world: World, tasks: TaskRunner, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = open_dialog(qtbot, world, tasks, out_dir, query=CallQuery(route=Route.VICTIM))
    assert dialog.count == 4
    revealed: list[Path] = []
    monkeypatch.setattr(dialog, "reveal", revealed.append)
    dialog.bom.setChecked(True)
    QTest.keyClicks(dialog.purpose, PURPOSE)
    target = Path(dialog.path.text())
    assert not target.exists()
    with qtbot.waitSignal(dialog.exported, timeout=20_000) as blocker:
        QTest.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert blocker.args is not None
    result = blocker.args[0]
    assert result.path == target and result.rows == 4
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert hashlib.sha256(raw).hexdigest() == result.sha256
    with target.open(encoding="utf-8-sig", newline="") as f:
        assert {row["reference"] for row in csv.DictReader(f)} == {
            world.refs[name] for name in ("victim-1", "victim-2", "victim-3", "victim-4")
        }
    [event] = disclosures(world)
    details = event.details
    assert event.category is AuditCategory.DISCLOSURE and event.actor_id == world.supervisor.user_id
    assert details["purpose"] == PURPOSE and details["rows"] == 4 and details["sha256"] == result.sha256
    assert details["format"] == "csv" and details["profile"] == "full" and details["bom"] is True
    assert details["filters"] == {"route": "victim"} and details["file_name"] == target.name
    assert leftovers(out_dir) == []
    # Done: what was written, where, its hash; the folder can be opened.
    assert dialog.progress.value() == dialog.progress.maximum()
    assert str(target) in dialog.status_label.text() and result.sha256 in dialog.status_label.text()
    assert "4 calls exported" in dialog.status_label.text()
    assert dialog.open_folder_button.isVisible() and dialog.close_button.text() == "Close"
    QTest.mouseClick(dialog.open_folder_button, Qt.MouseButton.LeftButton)
    assert revealed == [out_dir]


def test_a_figures_export_has_no_row_per_call(
    qtbot: QtBot, world: World, tasks: TaskRunner, out_dir: Path
) -> None:
    dialog = open_dialog(qtbot, world, tasks, out_dir)
    select_value(dialog.profile, Profile.FIGURES)
    dialog.purpose.setText(PURPOSE)
    target = Path(dialog.path.text())
    assert target.name.startswith("supportline-figures-")
    with qtbot.waitSignal(dialog.exported, timeout=20_000):
        dialog.export_button.click()
    with target.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == csv_export.FIGURE_COLUMNS
    assert not any(world.refs["victim-1"] in cell for row in rows for cell in row)
    [calls_total] = [row for row in rows[1:] if row[:2] == ["totals", "calls"]]
    assert calls_total[3] == "6"
    [event] = disclosures(world)
    assert event.details["profile"] == "figures" and event.details["rows"] == 6
    assert "Figures for 6 calls exported" in dialog.status_label.text()


@pytest.mark.parametrize("fmt", list(ExportFormat), ids=[f.value for f in ExportFormat])
def test_every_format_exports_through_the_dialog(
    qtbot: QtBot, world: World, tasks: TaskRunner, out_dir: Path, fmt: ExportFormat
) -> None:
    if fmt not in available_formats():
        pytest.skip(f"the {fmt.value} writer is not installed yet")
    dialog = open_dialog(qtbot, world, tasks, out_dir, query=CallQuery(route=Route.VICTIM))
    dialog.format.setCurrentIndex(dialog.format.findData(fmt))
    select_value(dialog.profile, Profile.PSEUDONYMISED)
    if fmt is ExportFormat.PDF:
        assert dialog.marking.isEnabled() and dialog.appendix.isEnabled()
        dialog.appendix.setChecked(True)
    dialog.purpose.setText(PURPOSE)
    target = Path(dialog.path.text())
    assert target.suffix == fmt.suffix
    with qtbot.waitSignal(dialog.exported, timeout=60_000):
        dialog.export_button.click()
    assert target.stat().st_size > 0 and leftovers(out_dir) == []
    [event] = disclosures(world)
    assert (event.details["format"], event.details["profile"], event.details["rows"]) == (
        fmt.value,
        "pseudonymised",
        4,
    )
    assert hashlib.sha256(target.read_bytes()).hexdigest() == event.details["sha256"]


class _HeldWriter:
    """The CSV writer, held after its first call until the test lets it go on."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.resume = threading.Event()
        self._real = csv_export.write

    def __call__(self, out: IO[bytes], job: ExportJob) -> None:
        tick = job.tick

        def held_tick() -> None:
            tick()
            if job.rows == 1:
                self.started.set()
                assert self.resume.wait(20)

        job.tick = held_tick  # type: ignore[method-assign]
        self._real(out, job)


@pytest.mark.parametrize("already_there", [False, True], ids=["new-file", "existing-file"])
def test_cancel_leaves_no_file_and_an_existing_file_untouched(
    qtbot: QtBot,
    world: World,
    tasks: TaskRunner,
    out_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    already_there: bool,
) -> None:
    writer = _HeldWriter()
    monkeypatch.setattr(csv_export, "write", writer)
    dialog = open_dialog(qtbot, world, tasks, out_dir)
    asked: list[Path] = []

    def confirm(path: Path) -> bool:
        asked.append(path)
        return True

    monkeypatch.setattr(dialog, "confirm_replace", confirm)
    target = Path(dialog.path.text())
    before = b"id,reference\r\nan earlier export\r\n"
    if already_there:
        target.write_bytes(before)
    dialog.purpose.setText(PURPOSE)
    dialog.export_button.click()
    qtbot.waitUntil(writer.started.is_set, timeout=10_000)
    assert dialog.running and not dialog.inputs.isEnabled() and dialog.progress.isVisible()
    assert dialog.close_button.text() == "&Cancel export"
    # The export has its own worker: the call list's work is not held up behind it.
    counted: list[int] = []
    tasks.run(lambda: count_matching(world.db, CallQuery()), on_success=counted.append)
    qtbot.waitUntil(lambda: counted == [6], timeout=10_000)
    if already_there:
        QTest.keyClick(dialog, Qt.Key.Key_Escape)  # Esc cancels the export, not the dialog
    else:
        QTest.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.status_label.text() == "Cancelling…"
    with qtbot.waitSignal(dialog.stopped, timeout=10_000):
        writer.resume.set()
    assert not dialog.running and dialog.inputs.isEnabled()
    assert asked == ([target] if already_there else [])
    if already_there:
        assert target.read_bytes() == before
        assert (
            dialog.status_label.text()
            == "Cancelled: no file was written; the file already there is unchanged."
        )
    else:
        assert not target.exists()
        assert dialog.status_label.text() == "Cancelled: no file was written."
    assert leftovers(out_dir) == []
    assert disclosures(world) == []
    assert not dialog.open_folder_button.isVisible()


def test_purpose_is_required(qtbot: QtBot, world: World, tasks: TaskRunner, out_dir: Path) -> None:
    dialog = open_dialog(qtbot, world, tasks, out_dir)
    target = Path(dialog.path.text())
    dialog.export_button.click()
    assert dialog.purpose_error.message() == "Required: say why the calls are exported and to whom."
    assert QApplication.focusWidget() is dialog.purpose
    QTest.keyClicks(dialog.purpose, "   ")
    QTest.keyClick(dialog.purpose, Qt.Key.Key_Return)  # Enter is Export, the default button
    assert dialog.purpose_error.message().startswith("Required")
    assert not dialog.running
    tasks.wait_until_idle()
    assert not target.exists() and disclosures(world) == []
    QTest.keyClicks(dialog.purpose, "For the chair")
    assert dialog.purpose_error.message() == ""  # typing clears the message


def test_a_folder_that_does_not_exist_is_named(
    qtbot: QtBot, world: World, tasks: TaskRunner, out_dir: Path
) -> None:
    dialog = open_dialog(qtbot, world, tasks, out_dir)
    dialog.purpose.setText(PURPOSE)
    dialog.path.setText(str(out_dir / "missing" / "calls.csv"))
    dialog.export_button.click()
    assert dialog.path_error.message() == f"The folder {out_dir / 'missing'} does not exist."
    assert not dialog.running and disclosures(world) == []


# --- who may -------------------------------------------------------------------------------------


def _menu_texts(window: MainWindow) -> list[str]:
    texts = []
    for top in window.menuBar().actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            texts += [a.text() for a in menu.actions()]
    return texts


def test_operators_do_not_see_the_menu_entries(qtbot: QtBot, world: World, make_window: MakeWindow) -> None:
    operator_window = make_window(world.db, world.operator)
    texts = _menu_texts(operator_window)
    assert "&Export calls…" not in texts and "&Statistics" not in texts
    assert operator_window.export_action is None and operator_window.stats_action is None
    bound = {k.toString() for a in operator_window.actions() for k in a.shortcuts()}
    assert "Ctrl+E" not in bound and "Ctrl+Shift+T" not in bound
    QTest.keyClick(operator_window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert operator_window.export_dialog is None and operator_window.show_export_dialog() is None
    assert operator_window.show_statistics() is None
    assert "Ctrl+E" not in dict(operator_window.shortcuts())
    operator_window.close()

    window = make_window(world.db, world.supervisor)
    texts = _menu_texts(window)
    assert "&Export calls…" in texts and "&Statistics" in texts
    assert window.export_action is not None and window.stats_action is not None
    assert window.export_action.shortcut() == QKeySequence("Ctrl+E")
    assert window.stats_action.shortcut() == QKeySequence("Ctrl+Shift+T")
    assert {"Ctrl+E", "Ctrl+Shift+T"} <= set(dict(window.shortcuts()))
    assert allowed_profiles(world.operator) == []


def test_locking_the_screen_closes_the_dialog_and_the_statistics(
    qtbot: QtBot, world: World, make_window: MakeWindow
) -> None:
    window = make_window(world.db, world.supervisor)
    dialog = window.show_export_dialog()
    board = window.show_statistics()
    assert dialog is not None and dialog.isVisible() and board is not None and board.isVisible()
    QTest.keyClicks(dialog.purpose, "For the chair")
    window.lock()
    assert not dialog.isVisible() and not board.isVisible()  # nothing readable over the lock
    assert window.locked


def test_the_marking_defaults_to_the_setting(
    qtbot: QtBot, world: World, env: Environment, tasks: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The protective marking a PDF carries starts as the line's ``protective_marking`` setting."""
    settings = dataclasses.replace(env.settings, protective_marking="OFFICIAL – HANDLE WITH CARE")
    window = MainWindow(dataclasses.replace(env, settings=settings), world.db, world.supervisor, tasks=tasks)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.model.loaded_once, timeout=10_000)
    dialog = window.show_export_dialog()
    assert dialog is not None
    assert dialog.marking.text() == "OFFICIAL – HANDLE WITH CARE"
    dialog.reject()
    monkeypatch.setattr(MainWindow, "ask_quit", lambda self, count: QuitChoice.KEEP_DRAFTS)
    window.close()
