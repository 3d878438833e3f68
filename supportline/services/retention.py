"""The retention schedule: what is due for erasure, and erasing it in resumable batches.

Periods are settings (``config.Settings``; sample defaults an organisation replaces with its
own schedule):

- a **closed call** is due ``retention_closed_call_days`` after it was closed, unless its case
  is on **legal hold**, has a call still open, or has a follow-up not yet done;
- a **draft** is due ``retention_draft_days`` after its last change;
- **application logs** older than ``log_retention_days`` are deleted;
- **audit events** older than ``retention_audit_days`` are *reported*, never erased here: the
  audit trail is append-only in the database (triggers refuse DELETE) and hash-chained, each
  event sealing the one before it, so deleting the oldest events would make ``audit verify``
  fail for every event after them. Their erasure needs an anchored cut of the chain (prove the
  trail up to an anchor, archive it, restart the chain from it), which is left to the audit
  trail's own design.

:func:`review` lists what is due, with the reason for each, and what was kept and why.
:func:`run` erases it: each batch is its own transaction, the run's progress is stored in
``retention_runs``, and a run interrupted (Ctrl+C, a crash, a lost connection) is continued by
the next :func:`run` with the same ``as_of``. Every erased record gets an :class:`ErasureRecord`
and one audit event naming its id, never its content.

A legal hold (:func:`place_hold`, with a reason; :func:`release_hold`) keeps every call of its
case whatever its age, from the schedule and from erasure on request. Both are audited.
"""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Exists, Select, and_, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from supportline.config import Settings
from supportline.db.engine import Database
from supportline.db.models import (
    SUMMARY_MAX,
    AuditEvent,
    Call,
    Case,
    CaseHold,
    Draft,
    ErasureRecord,
    FollowUp,
    RetentionRun,
    User,
)
from supportline.enums import AuditCategory, CallStatus
from supportline.services import audit, erasure
from supportline.services.actor import Actor, Permission
from supportline.services.errors import ConflictError, FieldError, NotFoundError, ValidationError

log = logging.getLogger(__name__)

DEFAULT_BATCH: Final = 200
ERASE: Final = "erase"
KEEP: Final = "keep"
REPORT: Final = "report"

AUDIT_NOT_ERASED: Final = (
    "audit events are append-only and hash-chained: erasing the oldest would break "
    "`audit verify` for every later event, so they are reported, not erased"
)


@dataclass(frozen=True)
class RetentionItem:
    kind: str  # "call", "draft", "audit", "log"
    id: str
    reference: str
    action: str  # ERASE, KEEP or REPORT
    reason: str


@dataclass(frozen=True)
class RetentionReview:
    as_of: datetime
    items: tuple[RetentionItem, ...]

    def of(self, action: str, kind: str | None = None) -> tuple[RetentionItem, ...]:
        return tuple(i for i in self.items if i.action == action and (kind is None or i.kind == kind))

    @property
    def due(self) -> tuple[RetentionItem, ...]:
        return self.of(ERASE)


@dataclass(frozen=True)
class RetentionRunResult:
    run_id: uuid.UUID
    as_of: datetime
    resumed: bool
    calls_erased: int  # by the whole run, its earlier interrupted part included
    drafts_erased: int
    logs_deleted: int
    audit_events_due: int
    scrub: erasure.ScrubResult


@dataclass(frozen=True)
class HoldRecord:
    id: uuid.UUID
    case_id: uuid.UUID
    case_reference: str
    reason: str
    placed_at: datetime
    placed_by: str
    released_at: datetime | None


def _as_of(as_of: datetime | None) -> datetime:
    if as_of is None:
        return datetime.now(UTC)
    if as_of.tzinfo is None:
        raise ValidationError([FieldError("as_of", "must carry a time zone")])
    return as_of.astimezone(UTC)


# --- what is due ---------------------------------------------------------------------------------


def _blockers(case_id: Any) -> tuple[Exists, Exists, Exists]:
    """(on legal hold, has an open call, has a follow-up not done) for the case ``case_id``:
    EXISTS subqueries correlated to the outer query's ``calls`` row."""
    other = aliased(Call)
    held = exists().where(CaseHold.case_id == case_id, CaseHold.released_at.is_(None))
    open_call = exists().where(other.case_id == case_id, other.status == CallStatus.OPEN)
    pending = exists().where(
        FollowUp.done_at.is_(None), FollowUp.call_id == other.id, other.case_id == case_id
    )
    return held, open_call, pending


def _old_closed_calls(settings: Settings, as_of: datetime) -> Any:  # a Select of seven columns
    cutoff = as_of - timedelta(days=settings.retention_closed_call_days)
    held, open_call, pending = _blockers(Call.case_id)
    return (
        select(
            Call.id,
            Call.reference,
            Call.closed_at,
            Case.reference,
            held.label("held"),
            open_call.label("open_call"),
            pending.label("pending"),
        )
        .join(Case, Case.id == Call.case_id)
        .where(Call.status == CallStatus.CLOSED, Call.closed_at.is_not(None), Call.closed_at < cutoff)
        .order_by(Call.closed_at, Call.id)
    )


def _due_call_ids(settings: Settings, as_of: datetime, limit: int) -> Select[Any]:
    cutoff = as_of - timedelta(days=settings.retention_closed_call_days)
    held, open_call, pending = _blockers(Call.case_id)
    return (
        select(Call.id)
        .where(
            Call.status == CallStatus.CLOSED,
            Call.closed_at.is_not(None),
            Call.closed_at < cutoff,
            ~held,
            ~open_call,
            ~pending,
        )
        .order_by(Call.closed_at, Call.id)
        .limit(limit)
    )


def _due_drafts(settings: Settings, as_of: datetime) -> Any:  # a Select of (id, updated_at)
    cutoff = as_of - timedelta(days=settings.retention_draft_days)
    return (
        select(Draft.id, Draft.updated_at)
        .where(Draft.updated_at < cutoff)
        .order_by(Draft.updated_at, Draft.id)
    )


def _due_logs(log_dir: Path | None, settings: Settings, as_of: datetime) -> list[Path]:
    if log_dir is None or not Path(log_dir).is_dir():
        return []
    from supportline.logging_setup import LOG_NAME

    limit = (as_of - timedelta(days=settings.log_retention_days)).timestamp()
    return sorted(p for p in Path(log_dir).glob(LOG_NAME + ".*") if p.is_file() and p.stat().st_mtime < limit)


def _audit_due(session: Session, settings: Settings, as_of: datetime) -> tuple[int, datetime | None]:
    cutoff = as_of - timedelta(days=settings.retention_audit_days)
    count, oldest = session.execute(
        select(func.count(), func.min(AuditEvent.at)).where(AuditEvent.at < cutoff)
    ).one()
    return int(count or 0), oldest


def review(
    db: Database,
    actor: Actor,
    settings: Settings,
    *,
    as_of: datetime | None = None,
    log_dir: Path | None = None,
) -> RetentionReview:
    """What the schedule would erase on ``as_of`` (default now), and what it keeps, with reasons."""
    erasure.require_audited(db, actor, Permission.RETENTION_ADMIN, "retention.review")
    when = _as_of(as_of)
    zone = db.zone  # dates in reasons are the line's days, as --as-of is
    local = when.astimezone(zone)
    days = settings.retention_closed_call_days
    items: list[RetentionItem] = []
    with db.write() as session:
        for call_id, reference, closed_at, case_ref, held, open_call, pending in session.execute(
            _old_closed_calls(settings, when)
        ):
            closed = (
                f"closed {closed_at.astimezone(zone):%Y-%m-%d} (over {days} days before {local:%Y-%m-%d})"
            )
            blockers = [
                text
                for flag, text in (
                    (held, f"{case_ref} is on legal hold"),
                    (open_call, f"{case_ref} has a call still open"),
                    (pending, f"{case_ref} has a follow-up not done"),
                )
                if flag
            ]
            if blockers:
                items.append(
                    RetentionItem(
                        "call", str(call_id), reference, KEEP, f"{closed}, but " + "; ".join(blockers)
                    )
                )
            else:
                items.append(
                    RetentionItem(
                        "call",
                        str(call_id),
                        reference,
                        ERASE,
                        f"{closed}; {case_ref}: no open call, no follow-up due, no legal hold",
                    )
                )
        for draft_id, updated_at in session.execute(_due_drafts(settings, when)):
            items.append(
                RetentionItem(
                    "draft",
                    str(draft_id),
                    "",
                    ERASE,
                    f"unsaved draft last changed {updated_at.astimezone(zone):%Y-%m-%d}, "
                    f"more than {settings.retention_draft_days} days before {local:%Y-%m-%d}",
                )
            )
        count, oldest = _audit_due(session, settings, when)
        if count and oldest is not None:
            items.append(
                RetentionItem(
                    "audit",
                    "",
                    f"{count} events",
                    REPORT,
                    f"{count} audit events older than {settings.retention_audit_days} days "
                    f"(oldest {oldest.astimezone(zone):%Y-%m-%d}); {AUDIT_NOT_ERASED}",
                )
            )
        for path in _due_logs(log_dir, settings, when):
            items.append(
                RetentionItem(
                    "log",
                    path.name,
                    "",
                    ERASE,
                    f"application log older than {settings.log_retention_days} days",
                )
            )
        audit.record(
            session, actor, AuditCategory.CONSULTATION, "retention.review", "", "",
            as_of=when.isoformat(), due=sum(1 for i in items if i.action == ERASE),
            kept=sum(1 for i in items if i.action == KEEP), outcome="allowed",
        )  # fmt: skip
    return RetentionReview(as_of=when, items=tuple(items))


# --- erasing it -----------------------------------------------------------------------------------


def _call_reason(settings: Settings, as_of: datetime) -> str:
    return (
        f"retention: closed more than {settings.retention_closed_call_days} days before "
        f"{as_of:%Y-%m-%d}, no open call, follow-up or legal hold in its case"
    )


def _erase_call_batch(
    db: Database, actor: Actor, settings: Settings, run_id: uuid.UUID, as_of: datetime, batch: int
) -> int:
    now = datetime.now(UTC)
    with db.write() as session:
        ids = list(session.scalars(_due_call_ids(settings, as_of, batch)).all())
        if not ids:
            return 0
        # Lock the cases (PostgreSQL): a hold placed meanwhile waits for this batch, or is seen.
        cases = session.execute(
            select(Case.id).where(Case.id.in_(select(Call.case_id).where(Call.id.in_(ids)))).with_for_update()
        ).all()
        held = {c.id for c in cases if erasure.active_hold(session, c.id) is not None}
        reason = _call_reason(settings, as_of)
        done = 0
        for call_id in ids:
            row = session.execute(select(Call.reference, Call.case_id).where(Call.id == call_id)).first()
            if row is None or row.case_id in held:
                continue
            erased = erasure.erase_call_rows(session, call_id)
            record_id = uuid.uuid4()
            session.add(
                ErasureRecord(
                    id=record_id,
                    erased_at=now,
                    basis="retention",
                    target_type="call",
                    target_id=call_id,
                    target_reference=row.reference,
                    reason=reason,
                    retention_run_id=run_id,
                    erased_by_id=actor.user_id,
                    erased=json.dumps(erased, sort_keys=True),
                )
            )
            audit.record(
                session, actor, AuditCategory.ERASURE, "call.erase", "call", call_id,
                basis="retention", run=str(run_id), erasure_record=str(record_id),
                tables=sorted(erased), rows=sum(len(v["ids"]) for v in erased.values()),
            )  # fmt: skip
            done += 1
        session.execute(
            update(RetentionRun)
            .where(RetentionRun.id == run_id)
            .values(calls_erased=RetentionRun.calls_erased + done)
        )
        return len(ids)


def _erase_draft_batch(
    db: Database, actor: Actor, settings: Settings, run_id: uuid.UUID, as_of: datetime, batch: int
) -> int:
    now = datetime.now(UTC)
    from sqlalchemy import delete

    with db.write() as session:
        rows = session.execute(_due_drafts(settings, as_of).limit(batch)).all()
        for draft_id, _updated in rows:
            session.execute(delete(Draft).where(Draft.id == draft_id))
            record_id = uuid.uuid4()
            erased = {"drafts": {"action": "deleted", "fields": ["payload"], "ids": [str(draft_id)]}}
            session.add(
                ErasureRecord(
                    id=record_id,
                    erased_at=now,
                    basis="retention",
                    target_type="draft",
                    target_id=draft_id,
                    reason=f"retention: draft unchanged for more than {settings.retention_draft_days} days",
                    retention_run_id=run_id,
                    erased_by_id=actor.user_id,
                    erased=json.dumps(erased),
                )
            )
            audit.record(
                session, actor, AuditCategory.ERASURE, "draft.erase", "draft", draft_id,
                basis="retention", run=str(run_id), erasure_record=str(record_id),
            )  # fmt: skip
        session.execute(
            update(RetentionRun)
            .where(RetentionRun.id == run_id)
            .values(drafts_erased=RetentionRun.drafts_erased + len(rows))
        )
        return len(rows)


def _start_or_resume(db: Database, actor: Actor, as_of: datetime | None) -> tuple[uuid.UUID, datetime, bool]:
    now = datetime.now(UTC)
    with db.write() as session:
        unfinished = session.scalars(
            select(RetentionRun)
            .where(RetentionRun.finished_at.is_(None))
            .order_by(RetentionRun.started_at)
            .limit(1)
            .with_for_update()
        ).first()
        if unfinished is not None:
            audit.record(
                session, actor, AuditCategory.ERASURE, "retention.run.resume", "retention_run", unfinished.id,
                as_of=unfinished.as_of.isoformat(), outcome="allowed",
            )  # fmt: skip
            return unfinished.id, unfinished.as_of, True
        when = _as_of(as_of)
        run_id = uuid.uuid4()
        session.add(
            RetentionRun(
                id=run_id,
                as_of=when,
                started_at=now,
                started_by_id=actor.user_id,
                calls_erased=0,
                drafts_erased=0,
            )
        )
        audit.record(
            session, actor, AuditCategory.ERASURE, "retention.run.start", "retention_run", run_id,
            as_of=when.isoformat(), outcome="allowed",
        )  # fmt: skip
        return run_id, when, False


def run(
    db: Database,
    actor: Actor,
    settings: Settings,
    *,
    as_of: datetime | None = None,
    batch_size: int = DEFAULT_BATCH,
    log_dir: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> RetentionRunResult:
    """Erase everything due on ``as_of``, ``batch_size`` records per transaction.

    An unfinished earlier run is continued first, with its own ``as_of`` (``resumed`` says so).
    ``progress(erased so far in this call)`` is called after each committed batch; an exception
    from it (a cancel) stops the run, which the next call continues.
    """
    erasure.require_audited(db, actor, Permission.RETENTION_ADMIN, "retention.run")
    if not 1 <= batch_size <= 10_000:
        raise ValidationError([FieldError("batch_size", "must be between 1 and 10,000")])
    run_id, when, resumed = _start_or_resume(db, actor, as_of)
    done = 0
    try:
        for step in (_erase_call_batch, _erase_draft_batch):
            while True:
                count = step(db, actor, settings, run_id, when, batch_size)
                if not count:
                    break
                done += count
                if progress is not None:
                    progress(done)
    except BaseException:
        # Interrupted: what the finished batches erased is scrubbed from the files all the same.
        if done:
            try:
                erasure.scrub(db)
            except Exception:  # the interruption is what the caller must hear about
                log.warning("the search index and WAL could not be scrubbed after an interrupted run")
        raise
    scrubbed = erasure.scrub(db)
    logs = _due_logs(log_dir, settings, when)
    for path in logs:
        path.unlink(missing_ok=True)
    now = datetime.now(UTC)
    with db.write() as session:
        audit_due, _oldest = _audit_due(session, settings, when)
        session.execute(update(RetentionRun).where(RetentionRun.id == run_id).values(finished_at=now))
        totals = session.execute(
            select(RetentionRun.calls_erased, RetentionRun.drafts_erased).where(RetentionRun.id == run_id)
        ).one()
        audit.record(
            session, actor, AuditCategory.ERASURE, "retention.run.finish", "retention_run", run_id,
            calls=totals.calls_erased, drafts=totals.drafts_erased, logs=len(logs),
            audit_events_due=audit_due, audit_events_erased=0, outcome="allowed",
        )  # fmt: skip
    log.info(
        "retention run %s finished: %s calls, %s drafts", run_id, totals.calls_erased, totals.drafts_erased
    )
    return RetentionRunResult(
        run_id=run_id,
        as_of=when,
        resumed=resumed,
        calls_erased=totals.calls_erased,
        drafts_erased=totals.drafts_erased,
        logs_deleted=len(logs),
        audit_events_due=audit_due,
        scrub=scrubbed,
    )


# --- legal holds ----------------------------------------------------------------------------------


def _find_case(session: Session, case: str) -> tuple[uuid.UUID, str]:
    wanted = case.strip()
    condition = Case.reference == wanted.upper()
    with contextlib.suppress(ValueError):
        condition = condition | (Case.id == uuid.UUID(wanted))
    row = session.execute(select(Case.id, Case.reference).where(condition).with_for_update()).first()
    if row is None:
        raise NotFoundError(f"no case {wanted!r}: give its reference (CASE-YYYY-NNNNNN) or id")
    return row.id, row.reference


def _reason(reason: str, field: str = "reason") -> str:
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationError(
            [FieldError(field, "a legal hold needs a reason (e.g. the court order's reference)")]
        )
    if len(reason) > SUMMARY_MAX:
        raise ValidationError([FieldError(field, f"at most {SUMMARY_MAX} characters")])
    return reason


def place_hold(db: Database, actor: Actor, case: str, reason: str) -> HoldRecord:
    """Put case ``case`` (reference or id) on legal hold: none of its calls is erased meanwhile."""
    erasure.require_audited(db, actor, Permission.LEGAL_HOLD, "case.hold")
    reason = _reason(reason)
    now = datetime.now(UTC)
    with db.write() as session:
        case_id, reference = _find_case(session, case)
        if erasure.active_hold(session, case_id) is not None:
            raise ConflictError(f"{reference} is already on legal hold")
        hold = CaseHold(
            id=uuid.uuid4(), case_id=case_id, reason=reason, placed_at=now, placed_by_id=actor.user_id,
            release_reason="",
        )  # fmt: skip
        session.add(hold)
        session.flush()
        audit.record(
            session,
            actor,
            AuditCategory.ALTERATION,
            "case.hold",
            "case",
            case_id,
            hold=str(hold.id),
            outcome="allowed",
        )
        return HoldRecord(hold.id, case_id, reference, reason, now, actor.username, None)


def release_hold(db: Database, actor: Actor, case: str, reason: str) -> HoldRecord:
    erasure.require_audited(db, actor, Permission.LEGAL_HOLD, "case.release")
    reason = _reason(reason)
    now = datetime.now(UTC)
    with db.write() as session:
        case_id, reference = _find_case(session, case)
        hold = erasure.active_hold(session, case_id)
        if hold is None:
            raise ConflictError(f"{reference} is not on legal hold")
        hold.released_at = now
        hold.released_by_id = actor.user_id
        hold.release_reason = reason
        audit.record(
            session, actor, AuditCategory.ALTERATION, "case.release", "case", case_id, hold=str(hold.id),
            outcome="allowed",
        )  # fmt: skip
        placed_by = session.scalar(select(User.username).where(User.id == hold.placed_by_id)) or ""
        return HoldRecord(hold.id, case_id, reference, hold.reason, hold.placed_at, placed_by, now)


def list_holds(db: Database, actor: Actor, *, include_released: bool = False) -> list[HoldRecord]:
    erasure.require_audited(db, actor, Permission.LEGAL_HOLD, "case.holds")
    with db.read() as session:
        query = (
            select(CaseHold, Case.reference, User.username)
            .join(Case, Case.id == CaseHold.case_id)
            .join(User, User.id == CaseHold.placed_by_id)
            .order_by(CaseHold.placed_at.desc())
        )
        if not include_released:
            query = query.where(and_(CaseHold.released_at.is_(None)))
        return [
            HoldRecord(h.id, h.case_id, ref, h.reason, h.placed_at, who, h.released_at)
            for h, ref, who in session.execute(query).all()
        ]
