"""Issue 15: a search typed into the call list is audited once it has settled, off the typing path.

The pages are read unaudited; the record of what was on show (``call.search``, or ``call.list``)
is written on a lane of its own once the query settles, or at once when the person opens a
call, locks the screen or closes the window — so no search whose results were shown goes
unaudited, and no page waits for the audit's commit.
"""

from __future__ import annotations

import json
import threading
import uuid

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from supportline.db import Database
from supportline.db.engine import DatabaseUnavailableError
from supportline.db.models import AuditEvent
from supportline.enums import Role
from supportline.services import calls, permissions
from supportline.services.actor import Actor
from supportline.services.call_types import CallQuery
from supportline.services.permissions import Permission
from tests.factories import full_call, make_user, outcome, without_advice
from tests.ui.conftest import MakeWindow
from ui.models import call_list
from ui.models.call_list import CallListModel
from ui.tasks import TaskRunner

TIMEOUT = 10_000
TEXT = "Interpreter"  # in every factory call's narrative


def _consultations(db: Database) -> list[tuple[str, str, dict[str, object]]]:
    with db.read() as session:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(("call.list", "call.search")))
            .order_by(AuditEvent.id)
        ).all()
    return [(r.action, outcome(r), json.loads(r.details or "{}")) for r in rows]


def _add_calls(db: Database, actor: Actor, n: int = 3) -> list[uuid.UUID]:
    calls_made = [without_advice(full_call(id=uuid.uuid4(), persons=())) for _ in range(n)]
    return [calls.save_call(db, actor, call).id for call in calls_made]


@pytest.fixture
def never_settles(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settle timer never fires during a test: only the other moments record."""
    monkeypatch.setattr(call_list, "SETTLE_MS", 600_000)


def _search(qtbot: QtBot, model: CallListModel, text: str) -> None:
    with qtbot.waitSignal(model.loaded, timeout=TIMEOUT):
        model.set_query(CallQuery(text=text))


@pytest.mark.usefixtures("never_settles")
def test_closing_the_window_right_after_a_search_records_it(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow, tasks: TaskRunner
) -> None:
    _add_calls(sqlite_db, admin)
    window = make_window(sqlite_db, admin)
    _search(qtbot, window.model, TEXT)
    assert window.model.audit_pending
    qtbot.waitUntil(lambda: len(_consultations(sqlite_db)) == 1, timeout=TIMEOUT)  # the list, replaced
    assert [a for a, _o, _d in _consultations(sqlite_db)] == ["call.list"]
    window.close()  # at once: nothing has settled
    tasks.wait_until_idle()
    events = _consultations(sqlite_db)
    assert [(a, o) for a, o, _d in events] == [("call.list", "allowed"), ("call.search", "allowed")]
    assert events[1][2] == {"filters": [], "results": 3, "text_length": len(TEXT)}  # never the text
    assert not window.model.audit_pending


@pytest.mark.usefixtures("never_settles")
def test_locking_and_opening_a_call_record_the_search_on_show(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, make_window: MakeWindow, tasks: TaskRunner
) -> None:
    ids = _add_calls(sqlite_db, admin)
    window = make_window(sqlite_db, admin)
    _search(qtbot, window.model, TEXT)
    window.open_call(ids[0])  # acting on a result
    tasks.wait_until_idle()
    assert [a for a, _o, _d in _consultations(sqlite_db)] == ["call.list", "call.search"]

    _search(qtbot, window.model, "Officer")
    assert window.model.audit_pending
    window.lock()
    tasks.wait_until_idle()
    events = _consultations(sqlite_db)
    assert [a for a, _o, _d in events] == ["call.list", "call.search", "call.search"]
    assert events[2][2]["text_length"] == len("Officer")


def test_typing_fast_records_the_settled_text_once(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, tasks: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_calls(sqlite_db, admin)
    monkeypatch.setattr(call_list, "SETTLE_MS", 400)
    model = CallListModel(sqlite_db, admin, tasks)
    typed = ["I", "In", "Int", "Inte", "Inter", "Interp", TEXT]
    for text in typed:  # each one's page shown, and replaced before it settles
        _search(qtbot, model, text)
    qtbot.waitUntil(lambda: not model.audit_pending, timeout=TIMEOUT)
    tasks.wait_until_idle()
    events = _consultations(sqlite_db)
    assert len(events) == 1 < len(typed)  # seven refreshes, one audit row
    assert events[0][0] == "call.search" and events[0][2]["text_length"] == len(TEXT)


def test_a_page_never_waits_for_the_audit_commit(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, tasks: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_calls(sqlite_db, admin)
    monkeypatch.setattr(call_list, "SETTLE_MS", 600_000)
    real = calls.record_listing
    started, release = threading.Event(), threading.Event()

    def slow_record(*args: object, **kwargs: object) -> None:
        started.set()
        release.wait(TIMEOUT / 1000)  # a commit held up (a busy disk, a slow network)
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(calls, "record_listing", slow_record)
    model = CallListModel(sqlite_db, admin, tasks)
    _search(qtbot, model, TEXT)
    model.record_consultation()
    assert started.wait(TIMEOUT / 1000)
    try:
        _search(qtbot, model, "Officer")  # the next search's count and page arrive meanwhile
        assert not release.is_set() and model.total == 3
    finally:
        release.set()
    model.record_consultation()
    tasks.wait_until_idle()
    assert [d["text_length"] for _a, _o, d in _consultations(sqlite_db)] == [len(TEXT), len("Officer")]


def test_a_record_lost_to_an_outage_is_pending_again(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, tasks: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_calls(sqlite_db, admin)
    monkeypatch.setattr(call_list, "SETTLE_MS", 600_000)
    real = calls.record_listing
    failures = [DatabaseUnavailableError("the database could not be reached")]

    def flaky(*args: object, **kwargs: object) -> None:
        if failures:
            raise failures.pop()
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(calls, "record_listing", flaky)
    model = CallListModel(sqlite_db, admin, tasks)
    _search(qtbot, model, TEXT)
    model.record_consultation()
    tasks.wait_until_idle()
    assert model.audit_pending and _consultations(sqlite_db) == []
    model.record_consultation()  # the next moment that records (closing, locking, the timer)
    tasks.wait_until_idle()
    assert [a for a, _o, _d in _consultations(sqlite_db)] == ["call.search"]


def test_a_refused_search_is_audited_as_refused(
    qtbot: QtBot, sqlite_db: Database, admin: Actor, tasks: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_calls(sqlite_db, admin)
    operator = make_user(sqlite_db, admin, "olu.operator", Role.OPERATOR)
    monkeypatch.setitem(permissions.ROLE_PERMISSIONS, Role.OPERATOR, frozenset({Permission.CALL_WRITE}))
    model = CallListModel(sqlite_db, operator, tasks)
    with qtbot.waitSignal(model.load_failed, timeout=TIMEOUT):
        model.set_query(CallQuery(text=TEXT))
    tasks.wait_until_idle()
    assert not model.audit_pending  # nothing was shown
    events = _consultations(sqlite_db)
    assert [(a, o) for a, o, _d in events] == [("call.search", "refused")]
    assert TEXT not in json.dumps(events[0][2])
