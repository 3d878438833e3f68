"""The append-only audit log (DPA 2018 s.62): written in the same transaction as the change."""

from __future__ import annotations

import csv
import json
import re
import socket
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, event, select
from sqlalchemy.orm import Session

from supportline.atomic_files import atomic_write
from supportline.db.engine import Database
from supportline.db.models import AuditEvent
from supportline.enums import AuditCategory
from supportline.services import audit_chain  # also chains every new event before it is flushed
from supportline.services.actor import Actor, Permission, require
from supportline.services.permissions import RULES, Action, check

#: The result of an audited action: done, or refused (a refused action is audited too).
OUTCOMES = ("allowed", "refused")


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
    workstation: str = ""
    outcome: str = "allowed"
    event_hash: str = ""


def record(
    session: Session,
    actor: Actor | None,
    category: AuditCategory,
    action: str,
    record_type: str = "",
    record_id: object = "",
    *,
    outcome: str = "allowed",
    actor_name: str | None = None,
    at: datetime | None = None,
    **details: Any,
) -> None:
    """Add one audit event to ``session``'s transaction.

    ``outcome`` is ``"allowed"`` or ``"refused"``. The event records the workstation (host name)
    and takes its place in the hash chain when the session flushes (``audit_chain``); if it
    cannot be written, the transaction — and so the action — fails.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"audit outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    session.add(
        AuditEvent(
            at=at or datetime.now(UTC),
            workstation=workstation(),
            outcome=outcome,
            actor_id=actor.user_id if actor else None,
            actor_name=actor_name if actor_name is not None else (actor.username if actor else "system"),
            category=category,
            action=action,
            record_type=record_type,
            record_id=str(record_id),
            details=json.dumps(details, default=str, ensure_ascii=False, sort_keys=True),
        )
    )


def event_row(
    actor: Actor | None,
    category: AuditCategory,
    action: str,
    record_type: str = "",
    record_id: object = "",
    *,
    at: datetime | None = None,
    **details: Any,
) -> dict[str, Any]:
    """One allowed event as the columns :func:`record_many` inserts (what :func:`record` adds)."""
    return {
        "at": at or datetime.now(UTC),
        "workstation": workstation(),
        "outcome": "allowed",
        "actor_id": actor.user_id if actor else None,
        "actor_name": actor.username if actor else "system",
        "category": category,
        "action": action,
        "record_type": record_type,
        "record_id": str(record_id),
        "details": json.dumps(details, default=str, ensure_ascii=False, sort_keys=True),
    }


def record_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add many events (:func:`event_row`) to ``session``'s transaction with one INSERT, each
    in its place in the hash chain (the bulk path, for an import's event per call)."""
    audit_chain.insert_events(session, rows)


def workstation() -> str:
    """This computer's host name, as an audit event records it."""
    try:
        return socket.gethostname()[:100]
    except OSError:
        return ""


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
    require_audited(db, actor, Permission.AUDIT_READ, "audit.list")
    with db.read() as session:
        query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
        if action:
            query = query.where(AuditEvent.action == action)
        return [_to_record(row) for row in session.scalars(query).all()]


# --- the audit trail itself: list and export (supervisors and admins) -------------------------------

#: The most events one page of ``list_events`` returns.
MAX_PAGE = 1000
#: Events read per query while exporting (the export streams: memory does not grow with the trail).
EXPORT_PAGE = 2000
CSV_COLUMNS = (
    "id",
    "at_utc",
    "user",
    "workstation",
    "category",
    "action",
    "outcome",
    "record_type",
    "record_id",
    "details",
    "event_hash",
)


@dataclass(frozen=True)
class AuditFilter:
    """Which events: every field given must match (``None``/empty: any)."""

    user: str | None = None  # the user name recorded with the event, exactly
    action: str | None = None  # exactly, or a prefix ending in "*" ("call.*")
    record_id: str | None = None  # exactly
    since: datetime | None = None  # at or after
    until: datetime | None = None  # before
    outcome: str | None = None  # "allowed" | "refused"

    def describe(self) -> dict[str, str]:
        """The filter as audit details: user names, actions, ids and times, never anything else.

        The boxes are free text, and somebody may type a caller's name into one: a value not in
        the shape of what the box is for is recorded only as its length.
        """
        described: dict[str, str] = {}
        for name, value in asdict(self).items():
            if value in (None, ""):
                continue
            if isinstance(value, datetime):
                described[name] = value.astimezone(UTC).isoformat()
            elif _FILTER_SHAPES[name].match(str(value)):
                described[name] = str(value)
            else:
                described[name] = f"(other text, {len(str(value))} characters)"
        return described


# What each filter's value looks like when it is what the box is for (see AuditFilter.describe).
_FILTER_SHAPES = {
    "user": re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$"),  # accounts.USERNAME_RE
    "action": re.compile(r"^[a-z0-9_.-]{1,64}\*?$"),
    "record_id": re.compile(r"^[0-9A-Za-z-]{1,40}$"),  # a UUID, a number or a reference
    "outcome": re.compile(r"^(allowed|refused)$"),
}


def _filtered(query: Select[Any], filters: AuditFilter) -> Select[Any]:
    if filters.user:
        query = query.where(AuditEvent.actor_name == filters.user)
    if filters.action:
        if filters.action.endswith("*"):
            prefix = filters.action[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(AuditEvent.action.like(prefix + "%", escape="\\"))
        else:
            query = query.where(AuditEvent.action == filters.action)
    if filters.record_id:
        query = query.where(AuditEvent.record_id == filters.record_id)
    if filters.since is not None:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.at < filters.until)
    if filters.outcome:
        query = query.where(AuditEvent.outcome == filters.outcome)
    return query


def _check_filter(filters: AuditFilter) -> None:
    if filters.outcome and filters.outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
    for name in ("since", "until"):
        value = getattr(filters, name)
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ValueError(f"{name} must be a time with a time zone")


#: The audit trail's operations and the action of the permission table each is.
_ACTIONS = {
    "audit.list": Action.AUDIT_LIST,
    "audit.export": Action.AUDIT_LIST,
    "audit.verify": Action.AUDIT_VERIFY,
    "audit.anchor": Action.AUDIT_VERIFY,
}


def require_audited(db: Database, actor: Actor, permission: Permission, action: str) -> None:
    """:func:`permissions.check` for the trail's operation ``action`` (``audit.list``,
    ``audit.export``, ``audit.verify``, ``audit.anchor``, each needing ``permission``): a refusal is
    written to the trail under ``action`` with ``outcome="refused"``, the table's kind of
    processing and the permission, in a transaction of its own."""
    table_action = _ACTIONS[action]
    if RULES[table_action].permission is not permission:  # pragma: no cover
        raise ValueError(f"{action} needs {RULES[table_action].permission.value!r}")
    check(db, actor, table_action, event=action)


def list_events(
    db: Database,
    actor: Actor,
    filters: AuditFilter | None = None,
    *,
    limit: int = 200,
    before_id: int | None = None,
) -> list[AuditRecord]:
    """The events ``filters`` matches, newest first, at most ``limit`` (pages: ``before_id``).

    Reading the trail is itself audited (a consultation: it names the people who acted).
    """
    filters = filters or AuditFilter()
    _check_filter(filters)
    require_audited(db, actor, Permission.AUDIT_READ, "audit.list")
    limit = max(1, min(limit, MAX_PAGE))
    query = _filtered(select(AuditEvent), filters).order_by(AuditEvent.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    with db.write() as session:
        rows = [_to_record(row) for row in session.scalars(query).all()]
        record(
            session, actor, AuditCategory.CONSULTATION, "audit.list", "audit_event", "",
            filters=filters.describe(), rows=len(rows),
        )  # fmt: skip
    return rows


def _stream(db: Database, filters: AuditFilter) -> Iterator[AuditRecord]:
    """Matching events oldest first, a page of ids at a time."""
    last: int | None = None
    while True:
        query = _filtered(select(AuditEvent), filters).order_by(AuditEvent.id).limit(EXPORT_PAGE)
        if last is not None:
            query = query.where(AuditEvent.id > last)
        with db.read() as session:
            rows = [_to_record(row) for row in session.scalars(query).all()]
        yield from rows
        if len(rows) < EXPORT_PAGE:
            return
        last = rows[-1].id


def csv_row(event: AuditRecord) -> list[str]:
    return [
        str(event.id),
        event.at.astimezone(UTC).isoformat(),
        event.actor_name,
        event.workstation,
        event.category.value,
        event.action,
        event.outcome,
        event.record_type,
        event.record_id,
        json.dumps(event.details, ensure_ascii=False, sort_keys=True, default=str),
        event.event_hash,
    ]


def export_csv(db: Database, actor: Actor, filters: AuditFilter | None, path: Path) -> int:
    """Write the matching events to ``path`` as CSV (oldest first); returns how many.

    A disclosure: audited before the file takes its place, so there is no export without its
    record (if the audit event cannot be written, no file appears).
    """
    filters = filters or AuditFilter()
    _check_filter(filters)
    require_audited(db, actor, Permission.AUDIT_READ, "audit.export")
    path = Path(path)
    rows = 0
    with atomic_write(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for event_ in _stream(db, filters):
            writer.writerow(csv_row(event_))
            rows += 1
        with db.write() as session:
            record(
                session, actor, AuditCategory.DISCLOSURE, "audit.export", "audit_event", "",
                filters=filters.describe(), rows=rows, file_name=path.name, format="csv",
            )  # fmt: skip
    return rows


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
        workstation=row.workstation,
        outcome=row.outcome,
        event_hash=row.event_hash,
    )


class AuditLogIsAppendOnlyError(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent):
            raise AuditLogIsAppendOnlyError("audit events can be added, never changed or deleted")
