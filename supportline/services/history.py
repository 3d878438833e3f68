"""A call's edit history for people: who created, changed, closed or reopened it, and what changed.

There is no history table: ``calls.save_call`` writes an audit event in the same transaction as
every change (``call.create``, and ``call.update`` with the names of the changed fields), and
the history is read from those. The audit log records which fields changed, not their old
values, so neither does the history.

Whether an update closed or reopened the call is worked out from the status: it has two values,
so walking back from the call's current status, every update that changed it flipped it.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import select

from supportline.db.engine import Database
from supportline.db.models import AuditEvent, Call, User
from supportline.enums import AuditCategory, CallStatus
from supportline.services import audit, permissions
from supportline.services.actor import Actor
from supportline.services.errors import NotFoundError

CREATE: Final = "call.create"
UPDATE: Final = "call.update"
MAX_EVENTS: Final = 10_000

# The names calls.save_call records (CallData's fields; dotted paths for parts of one), as people say them.
FIELD_LABELS: Final[dict[str, str]] = {
    "id": "call id",
    "caller": "caller details",
    "caller.name": "officer name",
    "caller.agency_type": "agency type",
    "caller.rank": "rank or role",
    "caller.organisation": "organisation or force",
    "caller.collar_number": "collar or warrant number",
    "caller.phone": "callback number",
    "caller.email": "email",
    "opened_at": "start time",
    "closed_at": "end time",
    "status": "status",
    "channel": "channel",
    "urgency": "urgency",
    "consent_level": "consent level",
    "summary": "summary",
    "narrative": "narrative",
    "force_area": "force area",
    "where_exploited": "where exploited",
    "county_lines": "county lines",
    "nrm_consent": "NRM consent",
    "exploitation_types": "exploitation types",
    "indicators": "indicators",
    "outcomes": "outcomes",
    "persons": "potential victims",
    "routes": "advice routes",
    "referrals": "referrals",
    "follow_ups": "follow-ups",
    "case_id": "linked case",
}
_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor_name: str
    action: str  # "created", "edited", "closed", "reopened"
    fields: tuple[str, ...]  # what changed, as people say it; () for "created"


def field_label(name: str) -> str:
    """``caller.phone`` → ``callback number``; ``persons[2].sex`` → ``potential victims``."""
    name = _INDEX.split(name, maxsplit=1)[0]
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    head = name.split(".", 1)[0]
    if "." in name and head in FIELD_LABELS:
        return FIELD_LABELS[head]
    return name.replace("_", " ").replace(".", " ")


def field_labels(names: Iterable[str]) -> tuple[str, ...]:
    """Labels for ``names`` in their order, each once."""
    return tuple(dict.fromkeys(field_label(n) for n in names))


def _fields(details: dict[str, Any]) -> list[str]:
    names = details.get("fields", [])
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def _actions(events: Sequence[tuple[str, list[str]]], current: CallStatus) -> list[str]:
    """Each event's human action, walking back from the current status to know each one's effect."""
    status_after = current
    out: list[str] = []
    for action, fields in reversed(events):
        if action == CREATE:
            out.append("created")
        elif "status" in fields:
            out.append("closed" if status_after is CallStatus.CLOSED else "reopened")
        else:
            out.append("edited")
        if "status" in fields:
            status_after = CallStatus.OPEN if status_after is CallStatus.CLOSED else CallStatus.CLOSED
    return out[::-1]


def call_history(db: Database, actor: Actor, call_id: uuid.UUID) -> tuple[HistoryEntry, ...]:
    """Every creation and change of call ``call_id``, oldest first. A view of a call's history
    is a consultation (DPA 2018 s.62): audited, in the same transaction as the reading."""
    permissions.check(db, actor, permissions.Action.CALL_HISTORY, call_id)
    with db.write() as session:
        status = session.scalar(select(Call.status).where(Call.id == call_id))
        if status is None:
            raise NotFoundError(f"no call with id {call_id}")
        rows = session.execute(
            select(
                AuditEvent.at, AuditEvent.action, AuditEvent.details, AuditEvent.actor_name, User.display_name
            )
            .outerjoin(User, User.id == AuditEvent.actor_id)
            .where(
                AuditEvent.record_type == "call",
                AuditEvent.record_id == str(call_id),
                AuditEvent.action.in_((CREATE, UPDATE)),
            )
            .order_by(AuditEvent.at, AuditEvent.id)
            .limit(MAX_EVENTS)
        ).all()
        audit.record(
            session, actor, AuditCategory.CONSULTATION, "call.history", "call", call_id, entries=len(rows)
        )
    events = [(row.action, _fields(json.loads(row.details or "{}"))) for row in rows]
    actions = _actions(events, status)
    return tuple(
        HistoryEntry(
            at=row.at,
            actor_name=row.display_name or row.actor_name,
            action=action,
            fields=() if action == "created" else field_labels(fields),
        )
        for row, action, (_name, fields) in zip(rows, actions, events, strict=True)
    )
