"""The GUI shows what a role may do: route advice is read-only for an operator (the service
refuses it too), and the call list audits a settled search once, not every keystroke."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from supportline.db import Database
from supportline.db.models import AuditEvent
from supportline.enums import ChecklistState, Role, Route
from supportline.guidance.loader import GuidanceLibrary
from supportline.services import calls
from supportline.services.actor import Actor
from supportline.services.call_types import CallQuery, ChecklistEntry, RouteData
from tests.factories import full_call, make_admin, make_user, outcome, without_advice
from tests.ui.guidance_helpers import write_templates
from tests.ui.test_guidance_pane import choose, fill_caller, row_for, save
from ui.models import call_list
from ui.models.call_list import CallListModel
from ui.tasks import TaskRunner
from ui.views.call_form import CallForm

TIMEOUT = 15_000


@pytest.fixture
def library(tmp_path: Path) -> GuidanceLibrary:
    return GuidanceLibrary(write_templates(tmp_path / "guidance"))


@pytest.fixture
def people(db: Database) -> dict[Role, Actor]:
    admin = make_admin(db)
    return {
        Role.ADMIN: admin,
        Role.OPERATOR: make_user(db, admin, "olu.operator", Role.OPERATOR),
        Role.ADVISER: make_user(db, admin, "ada.adviser", Role.ADVISER),
    }


@pytest.fixture
def make_form(
    qtbot: QtBot, db: Database, tasks: TaskRunner, library: GuidanceLibrary
) -> Iterator[Callable[..., CallForm]]:
    forms: list[CallForm] = []

    def make(actor: Actor, **kwargs: object) -> CallForm:
        form = CallForm(db, actor, tasks, db.zone, library=library, **kwargs)  # type: ignore[arg-type]
        form.resize(1366, 760)
        form.show()
        qtbot.waitExposed(form)
        forms.append(form)
        return form

    yield make
    for form in forms:
        form.discard_draft()
        form.close()
        form.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    tasks.wait_until_idle()


def _refusals(db: Database) -> list[str]:
    with db.read() as session:
        rows = session.scalars(select(AuditEvent)).all()
    return [r.action for r in rows if outcome(r) == "refused"]


def test_an_operator_reads_the_guidance_but_cannot_record_advice(
    qtbot: QtBot,
    db: Database,
    tasks: TaskRunner,
    people: dict[Role, Actor],
    make_form: Callable[..., CallForm],
) -> None:
    operator = people[Role.OPERATOR]
    form = make_form(operator)
    fill_caller(form)
    pane = choose(form, Route.VICTIM)  # choosing a route is part of logging the call
    qtbot.waitUntil(lambda: pane.template is not None, timeout=TIMEOUT)
    assert "Original body" in pane.browser.toPlainText()
    assert not pane.editable
    assert pane.rows and not any(row.box.isEnabled() or row.skip_button.isEnabled() for row in pane.rows)
    assert pane.advice.isReadOnly()
    assert not pane.close_button.isEnabled()
    assert "advice and ticks are recorded by duty advisers" in pane.missing.text()
    assert pane.adviser.text() == "Adviser: none recorded yet"
    pane.close_route()  # what a shortcut would do: nothing
    assert pane.route_data().closed_at is None

    record = save(qtbot, form)
    tasks.wait_until_idle()
    [route] = calls.get_call(db, operator, record.id).data.routes
    assert (route.route, route.chosen, route.template_hash, route.checklist) == (Route.VICTIM, True, None, ())
    assert _refusals(db) == []


def test_an_operator_editing_an_advised_call_keeps_the_advice(
    qtbot: QtBot,
    db: Database,
    tasks: TaskRunner,
    people: dict[Role, Actor],
    make_form: Callable[..., CallForm],
) -> None:
    adviser, operator = people[Role.ADVISER], people[Role.OPERATOR]
    data = without_advice(full_call(closed_at=None, status="open", persons=()))
    first = calls.save_call(db, operator, data)
    advised = dataclasses.replace(
        first.data,
        routes=(
            RouteData(
                route=Route.VICTIM,
                advice_summary="Safety first.",
                adviser_id=adviser.user_id,
                checklist=(ChecklistEntry("safety", ChecklistState.TICKED, first.data.opened_at),),
            ),
        ),
    )
    second = calls.save_call(db, adviser, advised, expected_version=first.version)
    form = make_form(operator, record=calls.get_call(db, operator, second.id))
    pane = form.panes[Route.VICTIM]
    qtbot.waitUntil(lambda: bool(pane.rows), timeout=TIMEOUT)
    safety = row_for(pane, "safety")
    assert safety.box.isChecked() and not safety.box.isEnabled()
    assert pane.advice.toPlainText() == "Safety first." and pane.advice.isReadOnly()

    form.call.narrative.setPlainText("Called back; the officer is on scene.")
    record = save(qtbot, form)
    tasks.wait_until_idle()
    stored = calls.get_call(db, operator, record.id).data
    [route] = stored.routes
    assert route.advice_summary == "Safety first." and route.adviser_id == adviser.user_id
    assert [(e.item_id, e.state) for e in route.checklist] == [("safety", ChecklistState.TICKED)]
    assert stored.narrative == "Called back; the officer is on scene."
    assert _refusals(db) == []


def test_an_adviser_records_advice(
    qtbot: QtBot, db: Database, people: dict[Role, Actor], make_form: Callable[..., CallForm]
) -> None:
    form = make_form(people[Role.ADVISER])
    fill_caller(form)
    pane = choose(form, Route.VICTIM)
    qtbot.waitUntil(lambda: bool(pane.rows), timeout=TIMEOUT)
    assert pane.editable and row_for(pane, "safety").box.isEnabled() and not pane.advice.isReadOnly()


# --- the call list: a search is audited once it has settled -------------------------------------


def _consultations(db: Database) -> list[tuple[str, dict[str, object]]]:
    with db.read() as session:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(("call.list", "call.search")))
            .order_by(AuditEvent.id)
        ).all()
    return [(r.action, json.loads(r.details or "{}")) for r in rows]


def test_search_as_you_type_is_audited_once_per_settled_query(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, tasks: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = sqlite_db
    for _ in range(3):
        calls.save_call(db, admin, without_advice(full_call(id=uuid.uuid4(), persons=())))
    monkeypatch.setattr(call_list, "SETTLE_MS", 300)
    model = CallListModel(db, admin, tasks, page_size=2)
    with qtbot.waitSignal(model.loaded, timeout=TIMEOUT):
        model.refresh()
    qtbot.waitUntil(lambda: not model.audit_pending, timeout=TIMEOUT)
    tasks.wait_until_idle()
    assert [a for a, _d in _consultations(db)] == ["call.list"]

    # Typed a letter at a time: each intermediate query is replaced before it settles.
    for text in ("C", "Ca", "Car", "Car wa"):
        with qtbot.waitSignal(model.loaded, timeout=TIMEOUT):
            model.set_query(CallQuery(text=text))
    qtbot.waitUntil(lambda: not model.audit_pending, timeout=TIMEOUT)
    tasks.wait_until_idle()
    events = _consultations(db)
    assert [a for a, _d in events] == ["call.list", "call.search"]
    assert events[1][1] == {"filters": [], "results": 3, "text_length": 6}

    # Scrolling to the next page, and a refresh of the same query, are the same consultation.
    model.index(2, 0).data()
    with qtbot.waitSignal(model.page_loaded, timeout=TIMEOUT):
        pass
    with qtbot.waitSignal(model.loaded, timeout=TIMEOUT):
        model.refresh()
    qtbot.wait(400)
    tasks.wait_until_idle()
    assert len(_consultations(db)) == 2

    # Results seen and then cleared before they settle are audited all the same.
    monkeypatch.setattr(call_list, "SETTLE_MS", 60_000)
    with qtbot.waitSignal(model.loaded, timeout=TIMEOUT):
        model.set_query(CallQuery(text="Devon"))
    with qtbot.waitSignal(model.loaded, timeout=TIMEOUT):
        model.set_query(CallQuery())
    model.record_consultation()
    tasks.wait_until_idle()
    assert [a for a, _d in _consultations(db)] == ["call.list", "call.search", "call.search", "call.list"]
