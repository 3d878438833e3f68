"""Issue 15: the call list's pages are read unaudited and the consultation is recorded once, by
``record_listing``; a refused listing is audited as refused either way. On both dialects."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from supportline.db import Database
from supportline.db.models import AuditEvent
from supportline.enums import Role
from supportline.services import calls, permissions
from supportline.services.call_types import CallQuery
from supportline.services.errors import PermissionDeniedError
from supportline.services.permissions import Permission
from tests.factories import full_call, make_admin, make_user, outcome, without_advice

WORD = "Interpreter"  # in every factory call's narrative


def _events(db: Database, after: int = 0) -> list[AuditEvent]:
    with db.read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id)))


def _last_id(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.max(AuditEvent.id))) or 0


def test_pages_read_unaudited_then_one_record_without_the_text(db: Database) -> None:
    admin = make_admin(db)
    for _ in range(3):
        call = full_call(id=uuid.uuid4(), persons=(), status="open", closed_at=None)
        calls.save_call(db, admin, without_advice(call))
    query = CallQuery(text=WORD, status="open", opened_from=datetime(2020, 1, 1, tzinfo=UTC), limit=2)
    before = _last_id(db)
    for typed in ("I", "Int", WORD):  # as the list reads while the person types
        page = calls.list_calls(db, admin, CallQuery(text=typed, limit=2), audited=False)
    page = calls.list_calls(db, admin, query, audited=False)
    assert len(page.rows) == 2 and page.has_more
    assert _events(db, before) == []  # no commit on the typing path

    calls.record_listing(db, admin, query, results=calls.count_calls(db, admin, query))
    [event] = _events(db, before)
    assert (event.action, event.category.value, outcome(event)) == ("call.search", "consultation", "allowed")
    details = json.loads(event.details)
    assert details == {
        "filters": ["status"],
        "results": 3,
        "opened_from": "2020-01-01T00:00:00+00:00",
        "text_length": len(WORD),
    }
    assert WORD not in event.details and "open" not in json.dumps(details["filters"])


@pytest.mark.parametrize(("text", "action"), [(WORD, "call.search"), ("", "call.list")])
def test_a_refused_listing_read_unaudited_is_audited_as_refused(
    db: Database, monkeypatch: pytest.MonkeyPatch, text: str, action: str
) -> None:
    admin = make_admin(db)
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    monkeypatch.setitem(permissions.ROLE_PERMISSIONS, Role.OPERATOR, frozenset({Permission.CALL_WRITE}))
    before = _last_id(db)
    with pytest.raises(PermissionDeniedError):
        calls.list_calls(db, operator, CallQuery(text=text), audited=False)
    with pytest.raises(PermissionDeniedError):
        calls.record_listing(db, operator, CallQuery(text=text), results=0)
    events = _events(db, before)
    assert [(e.action, outcome(e)) for e in events] == [(action, "refused")] * 2
    assert all(WORD not in (e.details or "") for e in events)
