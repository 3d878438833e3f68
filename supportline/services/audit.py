"""The append-only audit log (DPA 2018 s.62): written in the same transaction as the change."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from supportline.db.engine import Database
from supportline.db.models import AuditEvent
from supportline.enums import AuditCategory
from supportline.services.actor import Actor, Permission, require


@dataclass(frozen=True)
class AuditRecord:
    id: int
    at: datetime
    actor_id: uuid.UUID | None
    actor_name: str
    category: AuditCategory
    action: str
    record_type: str
    record_id: str
    details: dict[str, Any]


def record(
    session: Session,
    actor: Actor | None,
    category: AuditCategory,
    action: str,
    record_type: str = "",
    record_id: object = "",
    *,
    actor_name: str | None = None,
    at: datetime | None = None,
    outcome: str = "allowed",
    **details: Any,
) -> None:
    """Add one audit event to ``session``'s transaction.

    ``outcome`` is "allowed" or "refused" (kept in ``details`` until it has a column of its own)."""
    if outcome != "allowed":
        details["outcome"] = outcome
    session.add(
        AuditEvent(
            at=at or datetime.now(UTC),
            actor_id=actor.user_id if actor else None,
            actor_name=actor_name if actor_name is not None else (actor.username if actor else "system"),
            category=category,
            action=action,
            record_type=record_type,
            record_id=str(record_id),
            details=json.dumps(details, default=str, ensure_ascii=False, sort_keys=True),
        )
    )


def events_for(db: Database, actor: Actor, record_id: object, limit: int = 500) -> list[AuditRecord]:
    """The audit trail of one record, oldest first (an edit history needs no extra table)."""
    require(actor, Permission.CALL_READ)
    with db.read() as session:
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.record_id == str(record_id))
            .order_by(AuditEvent.at, AuditEvent.id)
            .limit(limit)
        ).all()
        return [_to_record(row) for row in rows]


def recent_events(
    db: Database, actor: Actor, *, action: str | None = None, limit: int = 100
) -> list[AuditRecord]:
    require(actor, Permission.AUDIT_READ)
    with db.read() as session:
        query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
        if action:
            query = query.where(AuditEvent.action == action)
        return [_to_record(row) for row in session.scalars(query).all()]


def _to_record(row: AuditEvent) -> AuditRecord:
    return AuditRecord(
        id=row.id,
        at=row.at,
        actor_id=row.actor_id,
        actor_name=row.actor_name,
        category=row.category,
        action=row.action,
        record_type=row.record_type,
        record_id=row.record_id,
        details=json.loads(row.details or "{}"),
    )


class AuditLogIsAppendOnlyError(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent):
            raise AuditLogIsAppendOnlyError("audit events can be added, never changed or deleted")
