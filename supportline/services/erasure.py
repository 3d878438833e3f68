"""Erasure of one call or one person, on request, under the two-person rule.

A supervisor asks (:func:`request_erasure`, with a reason); a *different* supervisor or an
administrator approves (:func:`approve_erasure`): the requester's own approval is refused, and
the refusal audited. Approval erases at once, in one transaction:

- a **call**: the call row and everything recorded on it (persons with their nationalities and
  languages, route advice with its checklist ticks and advice text, referrals, follow-ups, the
  multi-valued facts), every user's drafts of it, and its entry in the full-text index; its case
  goes too when no other call is left in it, else the case's title is emptied if it was taken
  from this call;
- a **person** (a potential victim): the person row with nationalities and languages, and every
  draft of the call they were recorded on (a draft may hold their details). Text about them in
  the call's narrative or notes is not found automatically: erase the call for that.

An :class:`ErasureRecord` is kept: which tables and fields, which row ids, when, why, asked by
whom and approved by whom — never the erased content. Audit events name ids only, so the audit
trail needs no change (it is append-only and hash-chained).

A case on legal hold (``services/retention.py``) is never erased: the request is refused until
the hold is released.

After the transaction, :func:`scrub` makes the erased text unrecoverable from a SQLite file:
``secure_delete`` (set on every connection, ``db/engine.py``) has zeroed the deleted cells; the
FTS5 index is optimised, because an external-content FTS5 table removes a row by adding a delete
marker and keeps the old terms in its segments (``calls_fts_data``) until they are merged —
even ``VACUUM`` leaves them; then the WAL is checkpointed and truncated, since it still holds
page images from before the erasure. PostgreSQL: see docs/administration.md (VACUUM).
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import delete, func, literal_column, select, text, update
from sqlalchemy.orm import Session, aliased

from supportline.db.engine import Database
from supportline.db.models import (
    SUMMARY_MAX,
    Call,
    CallExploitationType,
    CallHandoff,
    CallIndicator,
    CallOutcome,
    Case,
    CaseHold,
    ChecklistTick,
    Draft,
    ErasureRecord,
    ErasureRequest,
    FollowUp,
    Person,
    PersonLanguage,
    PersonNationality,
    Referral,
    RouteAdvice,
    User,
)
from supportline.enums import AuditCategory
from supportline.services import audit
from supportline.services.actor import Actor, Permission
from supportline.services.errors import (
    ConflictError,
    FieldError,
    NotFoundError,
    PermissionDeniedError,
    ServiceError,
    ValidationError,
)
from supportline.services.permissions import RULES, Action, check

log = logging.getLogger(__name__)

TARGET_CALL: Final = "call"
TARGET_PERSON: Final = "person"
TARGETS: Final = (TARGET_CALL, TARGET_PERSON)
PENDING: Final = "pending"
DONE: Final = "done"

#: The text fields of a call: what "the call's personal data" means, field by field.
CALL_TEXT_FIELDS: Final = (
    "caller_name",
    "caller_rank",
    "caller_organisation",
    "caller_collar_number",
    "caller_phone",
    "caller_email",
    "summary",
    "narrative",
    "force_area",
)
PERSON_FIELDS: Final = ("name", "notes", "age_group", "sex", "age_disputed", "interpreter_needed")

#: {table: {"action": "deleted" | "emptied", "fields": [...], "ids": [...]}}
Erased = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class ErasureRequestRecord:
    id: uuid.UUID
    target_type: str
    target_id: uuid.UUID
    target_reference: str
    reason: str
    status: str
    requested_at: datetime
    requested_by: str
    approved_at: datetime | None
    approved_by: str | None


@dataclass(frozen=True)
class ScrubResult:
    """What was done after an erasure so that no copy of the text is left in the database files."""

    search_index_optimised: bool
    wal_truncated: bool | None  # None: not SQLite (or not in WAL mode)


@dataclass(frozen=True)
class ErasureResult:
    request: ErasureRequestRecord
    record_id: uuid.UUID
    erased: Mapping[str, Mapping[str, Any]]
    scrub: ScrubResult


class LegalHoldError(ConflictError):
    """The case is on legal hold: nothing of it may be erased until the hold is released."""


# --- the permission check, audited when refused ------------------------------------------------


#: The erasure and retention operations and the action of the permission table each is.
_ACTIONS: Final[Mapping[str, Action]] = {
    "erasure.request": Action.ERASURE_REQUEST,
    "erasure.list": Action.ERASURE_REQUEST,
    "erasure.approve": Action.ERASURE_APPROVE,
    "erasure.records": Action.ERASURE_APPROVE,
    "retention.review": Action.RETENTION_REVIEW,
    "retention.run": Action.RETENTION_RUN,
    "case.hold": Action.LEGAL_HOLD,
    "case.release": Action.LEGAL_HOLD,
    "case.holds": Action.LEGAL_HOLD,
}


def require_audited(
    db: Database, actor: Actor, permission: Permission, action: str, record_id: object = ""
) -> None:
    """:func:`permissions.check` for the operation ``action`` (``erasure.request``,
    ``case.release`` …, each needing ``permission``): a refusal is written to the trail under
    ``action`` with ``outcome="refused"``, the table's kind of processing, the permission and the
    role, in a transaction of its own, and raised with the table's one-line reason."""
    table_action = _ACTIONS[action]
    if RULES[table_action].permission is not permission:
        raise ValueError(f"{action} needs {RULES[table_action].permission.value!r}, not {permission.value!r}")
    check(db, actor, table_action, record_id, event=action)


def refused(db: Database, actor: Actor, action: str, record_id: object = "", **details: Any) -> None:
    with db.write() as session:
        audit.record(
            session, actor, AuditCategory.ERASURE, action, "", record_id, outcome="refused", **details
        )


# --- the erasure itself (also used by the retention schedule) -----------------------------------


def active_hold(session: Session, case_id: uuid.UUID) -> CaseHold | None:
    return session.scalars(
        select(CaseHold).where(CaseHold.case_id == case_id, CaseHold.released_at.is_(None)).limit(1)
    ).first()


def _ids(session: Session, statement: Any) -> list[str]:
    return [str(v) for v in session.scalars(statement).all()]


def _fts_rowid(session: Session, call_id: uuid.UUID) -> int | None:
    """The call's rowid on SQLite: the key of its entry in the FTS5 index."""
    if session.get_bind().dialect.name != "sqlite":
        return None
    rowid = session.execute(
        select(literal_column("calls.rowid")).select_from(Call).where(Call.id == call_id)
    ).scalar()
    return int(rowid) if rowid is not None else None


def erase_call_rows(session: Session, call_id: uuid.UUID) -> Erased:
    """Delete call ``call_id`` and all that is recorded on it, in ``session``'s transaction.

    Returns what was erased (tables, fields, ids), for the erasure record. The caller checks the
    permission and the legal hold, and audits.
    """
    call = session.execute(
        select(Call.id, Call.case_id, Call.summary, Call.created_at).where(Call.id == call_id)
    ).first()
    if call is None:
        raise NotFoundError(f"no call with id {call_id}")
    erased: Erased = {}
    person_ids = _ids(session, select(Person.id).where(Person.call_id == call_id))
    route_ids = _ids(session, select(RouteAdvice.id).where(RouteAdvice.call_id == call_id))
    ticks = [
        f"{rid}:{item}"
        for rid, item in session.execute(
            select(ChecklistTick.route_advice_id, ChecklistTick.item_id).where(
                ChecklistTick.route_advice_id.in_(
                    select(RouteAdvice.id).where(RouteAdvice.call_id == call_id)
                )
            )
        ).all()
    ]
    children: list[tuple[str, tuple[str, ...], list[str]]] = [
        ("persons", PERSON_FIELDS, person_ids),
        ("person_nationalities", ("code",), person_ids if person_ids else []),
        ("person_languages", ("code",), person_ids if person_ids else []),
        ("route_advice", ("suggestion_reasons", "advice_summary", "template_id"), route_ids),
        ("checklist_ticks", ("state", "skip_reason"), ticks),
        (
            "referrals",
            ("organisation", "reference", "notes"),
            _ids(session, select(Referral.id).where(Referral.call_id == call_id)),
        ),
        (
            "follow_ups",
            ("note", "due_at", "outcome", "snooze_reason"),
            _ids(session, select(FollowUp.id).where(FollowUp.call_id == call_id)),
        ),
        (
            "call_handoffs",
            ("note",),
            _ids(session, select(CallHandoff.id).where(CallHandoff.call_id == call_id)),
        ),
    ]
    for table, fields, ids in children:
        if ids:
            erased[table] = {"action": "deleted", "fields": list(fields), "ids": ids}
    for model in (CallExploitationType, CallIndicator, CallOutcome):
        if session.scalar(select(func.count()).select_from(model).where(model.call_id == call_id)):
            erased[model.__tablename__] = {"action": "deleted", "fields": ["value"], "ids": [str(call_id)]}
    rowid = _fts_rowid(session, call_id)
    draft_ids = _ids(session, select(Draft.id).where(Draft.call_id == call_id))
    # ON DELETE CASCADE takes every child row; the FTS5 delete trigger (or PostgreSQL's generated
    # column, which goes with the row) takes the call out of the search index.
    session.execute(delete(Call).where(Call.id == call_id))
    erased["calls"] = {"action": "deleted", "fields": list(CALL_TEXT_FIELDS), "ids": [str(call_id)]}
    if rowid is not None:
        erased["calls_fts"] = {"action": "deleted", "fields": ["all indexed terms"], "ids": [str(rowid)]}
    else:
        erased["calls.search_vector"] = {
            "action": "deleted",
            "fields": ["search_vector"],
            "ids": [str(call_id)],
        }
    if draft_ids:
        session.execute(delete(Draft).where(Draft.call_id == call_id))
        erased["drafts"] = {"action": "deleted", "fields": ["payload"], "ids": draft_ids}
    erased.update(_tidy_case(session, call.case_id, call.summary, call.created_at))
    return erased


def _tidy_case(session: Session, case_id: uuid.UUID, summary: str, call_created_at: datetime) -> Erased:
    """An empty case is deleted; a case that lives on loses a title taken from the erased call."""
    others = session.scalar(select(func.count()).select_from(Call).where(Call.case_id == case_id))
    case = session.execute(select(Case.title, Case.created_at).where(Case.id == case_id)).first()
    if case is None:
        return {}
    if not others and not session.scalar(
        select(func.count()).select_from(Person).where(Person.case_id == case_id)
    ):
        session.execute(delete(CaseHold).where(CaseHold.case_id == case_id))
        session.execute(delete(Case).where(Case.id == case_id))
        return {"cases": {"action": "deleted", "fields": ["title"], "ids": [str(case_id)]}}
    if case.title and (case.title == summary[:SUMMARY_MAX] or case.created_at == call_created_at):
        session.execute(update(Case).where(Case.id == case_id).values(title=""))
        return {"cases": {"action": "emptied", "fields": ["title"], "ids": [str(case_id)]}}
    return {}


def erase_person_rows(session: Session, person_id: uuid.UUID) -> Erased:
    person = session.execute(select(Person.id, Person.call_id).where(Person.id == person_id)).first()
    if person is None:
        raise NotFoundError(f"no person with id {person_id}")
    erased: Erased = {
        "persons": {"action": "deleted", "fields": list(PERSON_FIELDS), "ids": [str(person_id)]}
    }
    for model in (PersonNationality, PersonLanguage):
        if session.scalar(select(func.count()).select_from(model).where(model.person_id == person_id)):
            erased[model.__tablename__] = {"action": "deleted", "fields": ["code"], "ids": [str(person_id)]}
    session.execute(delete(Person).where(Person.id == person_id))
    draft_ids = _ids(session, select(Draft.id).where(Draft.call_id == person.call_id))
    if draft_ids:
        session.execute(delete(Draft).where(Draft.call_id == person.call_id))
        erased["drafts"] = {"action": "deleted", "fields": ["payload"], "ids": draft_ids}
    return erased


def optimise_search_index(session: Session) -> bool:
    """Merge the FTS5 index into one segment, dropping the terms of deleted rows (SQLite only)."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    session.execute(text("INSERT INTO calls_fts(calls_fts) VALUES ('optimize')"))
    return True


def checkpoint_wal(db: Database, attempts: int = 20) -> bool | None:
    """Copy the WAL into the database file and truncate it to nothing (SQLite only).

    Returns False if readers kept it busy on every attempt (it is tried again after the next
    erasure, and SQLite's own checkpoints copy it later; the pages are zeroed in the file)."""
    if not db.is_sqlite:
        return None
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            for attempt in range(attempts):
                row = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if row is None or row[1] == -1:  # not in WAL mode
                    return None
                if row[0] == 0:
                    return True
                time.sleep(0.05 * (attempt + 1))
        finally:
            cursor.close()
    finally:
        raw.close()
    log.warning("the WAL could not be truncated after an erasure: readers kept it busy")
    return False


def scrub(db: Database) -> ScrubResult:
    """After an erasure has been committed: no copy of the erased text left in the files."""
    optimised = False
    if db.is_sqlite:
        with db.write() as session:
            optimised = optimise_search_index(session)
    return ScrubResult(search_index_optimised=optimised, wal_truncated=checkpoint_wal(db))


# --- requests and approval ---------------------------------------------------------------------


def _check_reason(reason: str) -> str:
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError([FieldError("reason", "say why (for example the request's reference)")])
    if len(reason) > SUMMARY_MAX:
        raise ValidationError([FieldError("reason", f"at most {SUMMARY_MAX} characters")])
    return reason


def _find_call(session: Session, target: str) -> tuple[uuid.UUID, str, uuid.UUID]:
    """(id, reference, case id) of the call named by its reference or id."""
    wanted = target.strip()
    condition = Call.reference == wanted.upper()
    with contextlib.suppress(ValueError):
        condition = condition | (Call.id == uuid.UUID(wanted))
    row = session.execute(select(Call.id, Call.reference, Call.case_id).where(condition)).first()
    if row is None:
        raise NotFoundError(f"no call {wanted!r}: give its reference (SL-YYYY-NNNNNN) or id")
    return row.id, row.reference, row.case_id


def _find_person(session: Session, target: str) -> tuple[uuid.UUID, str, uuid.UUID]:
    try:
        person_id = uuid.UUID(target.strip())
    except ValueError:
        raise ValidationError([FieldError("target", "a person is named by their id (a UUID)")]) from None
    row = session.execute(
        select(Person.id, Call.reference, Person.case_id)
        .join(Call, Call.id == Person.call_id)
        .where(Person.id == person_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no person with id {person_id}")
    return row.id, row.reference, row.case_id


def _check_hold(session: Session, case_id: uuid.UUID) -> None:
    hold = active_hold(session, case_id)
    if hold is not None:
        reference = session.scalar(select(Case.reference).where(Case.id == case_id)) or str(case_id)
        raise LegalHoldError(
            f"{reference} is on legal hold since {hold.placed_at:%Y-%m-%d}: "
            "nothing of it can be erased until the hold is released"
        )


def request_erasure(
    db: Database, actor: Actor, target_type: str, target: str, reason: str
) -> ErasureRequestRecord:
    """Ask for the erasure of one call (reference or id) or one person (id)."""
    require_audited(db, actor, Permission.ERASURE_REQUEST, "erasure.request")
    if target_type not in TARGETS:
        raise ValidationError([FieldError("target_type", f"must be one of {', '.join(TARGETS)}")])
    reason = _check_reason(reason)
    now = datetime.now(UTC)
    try:
        with db.write() as session:
            finder = _find_call if target_type == TARGET_CALL else _find_person
            target_id, reference, case_id = finder(session, target)
            _check_hold(session, case_id)
    except LegalHoldError:
        refused(db, actor, "erasure.request", target_id, reason="legal hold")
        raise
    with db.write() as session:
        pending = session.scalar(
            select(ErasureRequest.id).where(
                ErasureRequest.target_id == target_id, ErasureRequest.status == PENDING
            )
        )
        if pending is not None:
            raise ConflictError(
                f"the erasure of this {target_type} was already requested (request {pending})"
            )
        row = ErasureRequest(
            id=uuid.uuid4(),
            target_type=target_type,
            target_id=target_id,
            target_reference=reference,
            reason=reason,
            status=PENDING,
            requested_at=now,
            requested_by_id=actor.user_id,
        )
        session.add(row)
        session.flush()
        audit.record(
            session, actor, AuditCategory.ERASURE, "erasure.request", "erasure_request", row.id,
            target_type=target_type, target_id=str(target_id), outcome="allowed",
        )  # fmt: skip
        return _request_record(session, row)


def _target_case(session: Session, row: ErasureRequest) -> uuid.UUID:
    if row.target_type == TARGET_CALL:
        case_id = session.scalar(select(Call.case_id).where(Call.id == row.target_id))
    else:
        case_id = session.scalar(select(Person.case_id).where(Person.id == row.target_id))
    if case_id is None:
        raise NotFoundError(f"the {row.target_type} of request {row.id} no longer exists")
    return case_id


def _pending(session: Session, request_id: uuid.UUID, *, lock: bool) -> ErasureRequest:
    query = select(ErasureRequest).where(ErasureRequest.id == request_id)
    row = session.scalars(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFoundError(f"no erasure request {request_id}")
    if row.status != PENDING:
        raise ConflictError(f"erasure request {request_id} is already {row.status}")
    return row


def _approval_refusal(db: Database, actor: Actor, request_id: uuid.UUID) -> ServiceError | None:
    """Why ``actor`` may not approve this request now (the two-person rule, a legal hold)."""
    with db.read() as session:
        row = _pending(session, request_id, lock=False)
        if row.requested_by_id == actor.user_id:
            return PermissionDeniedError(
                "two-person rule: you asked for this erasure, "
                "so another supervisor or an administrator must approve it"
            )
        try:
            _check_hold(session, _target_case(session, row))
        except LegalHoldError as exc:
            return exc
    return None


def approve_erasure(db: Database, actor: Actor, request_id: uuid.UUID) -> ErasureResult:
    """Approve a pending request (not one's own) and erase its target at once."""
    require_audited(db, actor, Permission.ERASURE_APPROVE, "erasure.approve", request_id)
    refusal = _approval_refusal(db, actor, request_id)
    if refusal is not None:
        why = "two-person rule" if isinstance(refusal, PermissionDeniedError) else "legal hold"
        refused(db, actor, "erasure.approve", request_id, reason=why)
        raise refusal
    now = datetime.now(UTC)
    with db.write() as session:
        row = _pending(session, request_id, lock=True)
        case_id = _target_case(session, row)
        # The case row locked (PostgreSQL), as placing a hold locks it: a hold is placed before
        # this erasure or after it, never during; checked again here for one placed meanwhile.
        session.execute(select(Case.id).where(Case.id == case_id).with_for_update())
        _check_hold(session, case_id)
        erase = erase_call_rows if row.target_type == TARGET_CALL else erase_person_rows
        erased = erase(session, row.target_id)
        record = ErasureRecord(
            id=uuid.uuid4(),
            erased_at=now,
            basis="request",
            target_type=row.target_type,
            target_id=row.target_id,
            target_reference=row.target_reference,
            reason=row.reason,
            request_id=row.id,
            requested_by_id=row.requested_by_id,
            erased_by_id=actor.user_id,
            erased=json.dumps(erased, sort_keys=True),
        )
        session.add(record)
        row.status = DONE
        row.approved_at = now
        row.approved_by_id = actor.user_id
        session.flush()
        audit.record(
            session, actor, AuditCategory.ERASURE, "erasure.approve", "erasure_request", row.id,
            erasure_record=str(record.id), outcome="allowed",
        )  # fmt: skip
        audit.record(
            session, actor, AuditCategory.ERASURE, f"{row.target_type}.erase", row.target_type, row.target_id,
            basis="request", request=str(row.id), erasure_record=str(record.id),
            tables=sorted(erased), rows=sum(len(v["ids"]) for v in erased.values()),
        )  # fmt: skip
        request = _request_record(session, row)
        record_id = record.id
    log.info("erasure %s done (%s %s)", record_id, request.target_type, request.target_id)
    return ErasureResult(request=request, record_id=record_id, erased=erased, scrub=scrub(db))


def list_requests(
    db: Database, actor: Actor, *, status: str | None = None, limit: int = 200
) -> list[ErasureRequestRecord]:
    if not (actor.can(Permission.ERASURE_REQUEST) or actor.can(Permission.ERASURE_APPROVE)):
        require_audited(db, actor, Permission.ERASURE_REQUEST, "erasure.list")
    with db.read() as session:
        query = select(ErasureRequest).order_by(ErasureRequest.requested_at.desc()).limit(limit)
        if status:
            query = query.where(ErasureRequest.status == status)
        return [_request_record(session, row) for row in session.scalars(query).all()]


@dataclass(frozen=True)
class ErasureRecordView:
    id: uuid.UUID
    erased_at: datetime
    basis: str
    target_type: str
    target_id: uuid.UUID
    target_reference: str
    reason: str
    requested_by: str | None
    erased_by: str
    erased: Mapping[str, Mapping[str, Any]]


def list_records(db: Database, actor: Actor, *, limit: int = 200) -> list[ErasureRecordView]:
    """The erasure records, newest first: what was erased, when, why and by whom."""
    require_audited(db, actor, Permission.ERASURE_APPROVE, "erasure.records")
    requester = aliased(User)
    eraser = aliased(User)
    with db.read() as session:
        rows = session.execute(
            select(ErasureRecord, requester.username, eraser.username)
            .outerjoin(requester, requester.id == ErasureRecord.requested_by_id)
            .join(eraser, eraser.id == ErasureRecord.erased_by_id)
            .order_by(ErasureRecord.erased_at.desc())
            .limit(limit)
        ).all()
    return [
        ErasureRecordView(
            id=r.id,
            erased_at=r.erased_at,
            basis=r.basis,
            target_type=r.target_type,
            target_id=r.target_id,
            target_reference=r.target_reference,
            reason=r.reason,
            requested_by=req,
            erased_by=by,
            erased=json.loads(r.erased or "{}"),
        )
        for r, req, by in rows
    ]


def _username(session: Session, user_id: uuid.UUID | None) -> str | None:
    if user_id is None:
        return None
    return session.scalar(select(User.username).where(User.id == user_id)) or str(user_id)


def _request_record(session: Session, row: ErasureRequest) -> ErasureRequestRecord:
    return ErasureRequestRecord(
        id=row.id,
        target_type=row.target_type,
        target_id=row.target_id,
        target_reference=row.target_reference,
        reason=row.reason,
        status=row.status,
        requested_at=row.requested_at,
        requested_by=_username(session, row.requested_by_id) or "",
        approved_at=row.approved_at,
        approved_by=_username(session, row.approved_by_id),
    )
