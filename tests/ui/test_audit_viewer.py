"""The audit viewer: filters, a call's event opening the call in the main window, the CSV export
(audited), and no viewer for operators. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from supportline.bootstrap import load_environment
from supportline.db import Database
from supportline.db.models import AuditEvent
from supportline.enums import AuditCategory, Role
from supportline.services import audit, calls
from supportline.services.errors import PermissionDeniedError
from tests.factories import full_call, make_admin, make_user
from tests.ui.conftest import MakeWindow
from ui.main_window import MainWindow, QuitChoice
from ui.views.audit_viewer import AuditViewer


@pytest.fixture
def trail(db: Database):
    admin = make_admin(db)
    supervisor = make_user(db, admin, "sam.supervisor", Role.SUPERVISOR)
    saved = calls.save_call(db, admin, full_call())
    calls.get_call(db, supervisor, saved.id)
    with db.write() as session:
        audit.record(
            session, supervisor, AuditCategory.ACCESS, "call.delete", "call", saved.id, outcome="refused"
        )
    return admin, supervisor, saved


def _viewer(qtbot: QtBot, db, actor, tasks, **kwargs) -> AuditViewer:
    viewer = AuditViewer(db, actor, tasks, **kwargs)
    qtbot.addWidget(viewer)
    with qtbot.waitSignal(viewer.loaded, timeout=10_000):
        viewer.show()
    return viewer


def _apply(qtbot: QtBot, viewer: AuditViewer) -> None:
    with qtbot.waitSignal(viewer.loaded, timeout=10_000):
        QTest.mouseClick(viewer.apply_button, Qt.MouseButton.LeftButton)


def _actions(viewer: AuditViewer) -> list[str]:
    return [viewer.model.index(row, 3).data() for row in range(viewer.model.rowCount())]


def test_the_viewer_filters_by_user_action_record_and_outcome(qtbot, db, tasks, trail):
    admin, _supervisor, saved = trail
    viewer = _viewer(qtbot, db, admin, tasks)
    assert _actions(viewer)[:3] == ["call.delete", "call.view", "call.create"]
    viewer.user_edit.setText("sam.supervisor")
    _apply(qtbot, viewer)
    assert _actions(viewer) == ["call.delete", "call.view"]
    assert viewer.model.index(0, 4).data() == "refused"
    viewer.user_edit.clear()
    viewer.action_edit.setText("call.*")
    viewer.record_edit.setText(str(saved.id))
    _apply(qtbot, viewer)
    assert _actions(viewer) == ["call.delete", "call.view", "call.create"]
    viewer.outcome.setCurrentIndex(viewer.outcome.findData("refused"))
    _apply(qtbot, viewer)
    assert _actions(viewer) == ["call.delete"]
    # A day range with nothing in it, and one the wrong way round (said, nothing loaded).
    viewer.outcome.setCurrentIndex(0)
    viewer.date_from.set_value(datetime(2001, 1, 1, tzinfo=UTC).date())
    viewer.date_to.set_value(datetime(2001, 1, 2, tzinfo=UTC).date())
    _apply(qtbot, viewer)
    assert viewer.model.rowCount() == 0 and not viewer.export_button.isEnabled()
    viewer.date_from.set_value(datetime(2001, 1, 3, tzinfo=UTC).date())
    with qtbot.waitSignal(viewer.failed, timeout=2000) as problem:
        viewer.apply_button.click()
    assert "before" in problem.args[0]


def test_mnemonics_move_focus_and_every_filter_is_reached_by_tab(qtbot, db, tasks, trail):
    admin, _supervisor, _saved = trail
    viewer = _viewer(qtbot, db, admin, tasks)
    viewer.activateWindow()
    QTest.keyClick(viewer, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: viewer.record_edit.hasFocus(), timeout=2000)
    assert viewer.record_edit.text() == ""
    viewer.user_edit.setFocus()
    reached = set()
    for _ in range(20):
        reached.add(viewer.focusWidget())
        QTest.keyClick(viewer.focusWidget(), Qt.Key.Key_Tab)
    for widget in (viewer.action_edit, viewer.record_edit, viewer.outcome, viewer.apply_button, viewer.table):
        assert widget in reached


def test_a_call_event_opens_the_call_in_the_main_window(qtbot, db, tasks, trail, make_window: MakeWindow):
    admin, _supervisor, saved = trail
    window = make_window(db, admin)
    viewer = window.show_audit_viewer()
    assert viewer is not None
    qtbot.waitUntil(lambda: viewer.model.rowCount() > 0, timeout=10_000)
    row = next(r for r in range(viewer.model.rowCount()) if viewer.model.events[r].action == "call.create")
    viewer.table.selectRow(row)
    assert viewer.open_button.isEnabled()
    viewer.open_button.click()
    qtbot.waitUntil(lambda: window.form_for(saved.id) is not None, timeout=10_000)
    # An event about a user has no call to open.
    row = next(r for r in range(viewer.model.rowCount()) if viewer.model.events[r].action == "user.create")
    viewer.table.selectRow(row)
    assert not viewer.open_button.isEnabled()
    # Locking the main window closes the viewer (it shows who did what).
    window.lock()
    assert not viewer.isVisible()


def test_export_writes_the_selection_as_csv_and_is_audited(qtbot, db, tasks, trail, tmp_path: Path):
    admin, _supervisor, _saved = trail
    target = tmp_path / "audit.csv"
    viewer = _viewer(qtbot, db, admin, tasks, choose_path=lambda _parent: target)
    viewer.action_edit.setText("call.*")
    _apply(qtbot, viewer)
    with qtbot.waitSignal(viewer.exported, timeout=10_000) as done:
        viewer.export_button.click()
    assert done.args == [3]
    with target.open(newline="", encoding="utf-8") as handle:
        assert [r["action"] for r in csv.DictReader(handle)] == ["call.create", "call.view", "call.delete"]
    with db.read() as session:
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last is not None and (last.action, last.category) == ("audit.export", AuditCategory.DISCLOSURE)
    assert json.loads(last.details)["filters"] == {"action": "call.*"}


def test_operators_get_no_audit_viewer(qtbot, db, tasks, trail, monkeypatch):
    admin, _supervisor, _saved = trail
    operator = make_user(db, admin, "olly.operator", Role.OPERATOR)
    with pytest.raises(PermissionDeniedError):
        AuditViewer(db, operator, tasks)
    main = MainWindow(load_environment(), db, operator, tasks=tasks)
    qtbot.addWidget(main)
    assert main.audit_action is None and main.show_audit_viewer() is None
    monkeypatch.setattr(MainWindow, "ask_quit", lambda self, count: QuitChoice.KEEP_DRAFTS)
    tasks.wait_until_idle()
    main.close()


def test_supervisors_find_it_in_the_view_menu(qtbot, db, tasks, trail, make_window: MakeWindow):
    _admin, supervisor, _saved = trail
    window = make_window(db, supervisor)
    assert window.audit_action is not None
    assert window.audit_action in window.view_menu.actions()
    window.audit_action.trigger()
    assert window.audit_window is not None
    qtbot.waitUntil(lambda: window.audit_window.model.rowCount() > 0, timeout=10_000)
