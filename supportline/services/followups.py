"""Follow-ups (callbacks promised, referrals to chase, cases to review) and calls handed to a
route's duty adviser: booking them, what is due, completing, snoozing, taking.

**Where a follow-up comes from.** With the call: the form's "Book a follow-up" (the outcome
"follow-up booked") lists it in ``CallData.follow_ups`` and the call save books it, as a callback
of normal priority — it is never typed twice. On its own: :func:`book_follow_up` (the call list's
Ctrl+B), with a kind, priority and an assignee that is a person or "whoever is on duty for route
R when it falls due". Booking is a change to the call (its follow-ups are part of it), so it moves
the call's version on: a form opened before sees a conflict rather than dropping it at its save.
What becomes of a follow-up (done, snoozed) is its own, under its own ``version``; the call save
never reopens or removes a done or snoozed one.

**Times.** ``due``/``until`` are instants (aware datetimes) or local times (naive) in the line's
zone; a local time the clocks skip is refused, one they repeat needs ``fold``
(:mod:`supportline.services.local_time`). Every function that depends on the clock takes
``now`` (default: the real time), so a screen or a test can use a fixed clock.

**What is due** (:func:`due`), relative to ``now``, by each follow-up's *next due time* (its
snooze's end while snoozed, else its due time):

* ``overdue``: due more than :data:`DUE_NOW_GRACE` ago;
* ``due_now``: due within the last :data:`DUE_NOW_GRACE` (or exactly now);
* ``upcoming``: due after now and within ``within`` (default :data:`DEFAULT_WITHIN`);
* ``handoffs``: calls handed to a duty adviser and not yet taken.

A follow-up for a route goes to the route's duty adviser (the deputy when there is none) at its
due time, or, once due, to whoever holds the route *now*. The ``assignee_id`` filter keeps what
goes to that person (``include_unassigned`` adds what nobody holds); the ``route`` filter keeps
follow-ups for that route or on calls advised on it, and hand-offs to it.

**Who may.** Anyone who logs calls books follow-ups and hands calls on. A follow-up is completed
or snoozed by its assignee (for a route: its duty adviser or deputy at the due time, or now),
by anyone if it is unassigned, or by a supervisor; a hand-off is taken by the adviser it was
handed to or a supervisor. Every action is audited with ids, never the note, outcome or reason.

**For the GUI** (frozen dataclasses; ``expected_version`` from the record shown):
:func:`due` → :class:`DueList`; :func:`newly_due` (what to notify); :func:`for_call`;
:func:`book_follow_up`, :func:`complete_follow_up` (the record carries ``case_id`` to open a new
call in the case), :func:`snooze_follow_up`; :func:`hand_to_duty_adviser`, :func:`take_handoff`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, case, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from supportline.db.engine import Database
from supportline.db.models import NOTE_MAX, SUMMARY_MAX, Call, CallHandoff, FollowUp, RouteAdvice, User
from supportline.enums import (
    AuditCategory,
    DutyRole,
    FollowUpKind,
    FollowUpPriority,
    FollowUpStatus,
    HandoffStatus,
    Route,
    Urgency,
)
from supportline.services import audit, local_time, permissions, rota
from supportline.services.actor import Actor
from supportline.services.call_validation import EARLIEST_TIME, LATEST_TIME
from supportline.services.errors import ConflictError, FieldError, NotFoundError, ValidationError
from supportline.services.permissions import Action
from supportline.sync import changes

#: A follow-up is "due now" for this long after its time; after that it is overdue.
DUE_NOW_GRACE = timedelta(minutes=15)
#: How far ahead "due in the next hours" looks by default.
DEFAULT_WITHIN = timedelta(hours=4)
#: At most this many overdue follow-ups are listed (the most recent).
MAX_OVERDUE = 1000
#: The longest a follow-up may be snoozed for at once.
MAX_SNOOZE = timedelta(days=30)


class DueState(StrEnum):
    OVERDUE = "overdue"
    DUE_NOW = "due_now"
    UPCOMING = "upcoming"


@dataclass(frozen=True)
class FollowUpRecord:
    id: uuid.UUID
    call_id: uuid.UUID
    call_reference: str
    case_id: uuid.UUID
    call_urgency: Urgency
    kind: FollowUpKind
    priority: FollowUpPriority
    status: FollowUpStatus
    due_at: datetime  # as booked
    snoozed_until: datetime | None
    assignee_id: uuid.UUID | None
    assignee_name: str  # "" when unassigned or for a route
    assignee_route: Route | None
    note: str
    outcome: str
    snooze_reason: str
    done_at: datetime | None
    done_by_name: str
    created_at: datetime
    created_by_name: str
    version: int

    @property
    def next_due(self) -> datetime:
        """When it is due next: the snooze's end while snoozed, else the booked time."""
        if self.status is FollowUpStatus.SNOOZED and self.snoozed_until is not None:
            return self.snoozed_until
        return self.due_at


@dataclass(frozen=True)
class DueItem:
    follow_up: FollowUpRecord
    state: DueState
    #: Who it is with: the assignee, or for a route the duty adviser (deputy) resolved as the
    #: module docstring says; None when nobody (unassigned, or a route nobody holds).
    holder_id: uuid.UUID | None
    holder_name: str


@dataclass(frozen=True)
class HandoffRecord:
    id: uuid.UUID
    call_id: uuid.UUID
    call_reference: str
    call_urgency: Urgency
    route: Route
    adviser_id: uuid.UUID
    adviser_name: str
    note: str
    status: HandoffStatus
    handed_at: datetime
    handed_by_name: str
    taken_at: datetime | None
    version: int


@dataclass(frozen=True)
class DueList:
    at: datetime
    within: timedelta
    overdue: tuple[DueItem, ...]
    due_now: tuple[DueItem, ...]
    upcoming: tuple[DueItem, ...]
    handoffs: tuple[HandoffRecord, ...]
    #: More than MAX_OVERDUE follow-ups are overdue: ``overdue`` holds the most recent of them.
    overdue_truncated: bool = False

    @property
    def counts(self) -> dict[str, int]:
        """For the status bar: overdue, due now, upcoming, hand-offs."""
        return {
            "overdue": len(self.overdue),
            "due_now": len(self.due_now),
            "upcoming": len(self.upcoming),
            "handoffs": len(self.handoffs),
        }

    def items(self) -> tuple[DueItem, ...]:
        return self.overdue + self.due_now + self.upcoming


def newly_due(
    before: DueList | None, after: DueList
) -> tuple[tuple[DueItem, ...], tuple[HandoffRecord, ...]]:
    """What fell due (or was handed over) between two listings: the items of ``after`` that are
    due now or overdue and were not so in ``before``, and its new hand-offs. What the tray
    notification says; ``before`` None (the first listing) notifies what is due now."""
    if before is None:
        return after.due_now, after.handoffs
    seen = {i.follow_up.id for i in before.overdue + before.due_now}
    handed = {h.id for h in before.handoffs}
    fell = tuple(i for i in after.due_now + after.overdue if i.follow_up.id not in seen)
    return fell, tuple(h for h in after.handoffs if h.id not in handed)


# --- reading -------------------------------------------------------------------------------------


def _next_due() -> ColumnElement[datetime]:
    return case((FollowUp.status == FollowUpStatus.SNOOZED, FollowUp.snoozed_until), else_=FollowUp.due_at)


_Assignee, _Done, _Creator = aliased(User), aliased(User), aliased(User)


def _follow_up_query() -> Select[FollowUp, str, uuid.UUID, Urgency, str, str, str]:
    return (
        select(
            FollowUp, Call.reference, Call.case_id, Call.urgency,
            _Assignee.display_name, _Done.display_name, _Creator.display_name,
        )
        .join(Call, Call.id == FollowUp.call_id)
        .outerjoin(_Assignee, _Assignee.id == FollowUp.assignee_id)
        .outerjoin(_Done, _Done.id == FollowUp.done_by_id)
        .join(_Creator, _Creator.id == FollowUp.created_by_id)
    )  # fmt: skip


def _to_record(row: Sequence[object]) -> FollowUpRecord:
    f, reference, case_id, urgency, assignee, done_by, creator = row
    assert isinstance(f, FollowUp)
    return FollowUpRecord(
        id=f.id, call_id=f.call_id, call_reference=str(reference), case_id=case_id,  # type: ignore[arg-type]
        call_urgency=urgency,  # type: ignore[arg-type]
        kind=f.kind, priority=f.priority, status=f.status, due_at=f.due_at, snoozed_until=f.snoozed_until,
        assignee_id=f.assignee_id, assignee_name=str(assignee or ""), assignee_route=f.assignee_route,
        note=f.note, outcome=f.outcome, snooze_reason=f.snooze_reason, done_at=f.done_at,
        done_by_name=str(done_by or ""), created_at=f.created_at, created_by_name=str(creator or ""),
        version=f.version,
    )  # fmt: skip


def _load(session: Session, follow_up_id: uuid.UUID) -> FollowUpRecord:
    row = session.execute(_follow_up_query().where(FollowUp.id == follow_up_id)).first()
    if row is None:
        raise NotFoundError("this follow-up is no longer on record")
    return _to_record(tuple(row))


def for_call(db: Database, actor: Actor, call_id: uuid.UUID) -> tuple[FollowUpRecord, ...]:
    """The call's follow-ups in their order, with their status (the call form and detail pane;
    not audited: opening the call is)."""
    permissions.check(db, actor, Action.FOLLOWUP_DUE, call_id)
    with db.read() as session:
        rows = session.execute(
            _follow_up_query().where(FollowUp.call_id == call_id).order_by(FollowUp.position, FollowUp.id)
        ).all()
        return tuple(_to_record(tuple(r)) for r in rows)


def open_follow_ups(session: Session, before: datetime) -> list[FollowUpRecord]:
    """Every follow-up not done whose next due time is before ``before``, soonest first (for
    services sharing a transaction: the handover's pre-fill)."""
    rows = session.execute(
        _follow_up_query()
        .where(FollowUp.status != FollowUpStatus.DONE, _next_due() < before)
        .order_by(_next_due(), FollowUp.id)
    ).all()
    return [_to_record(tuple(r)) for r in rows]


def _handoff_query() -> Select[CallHandoff, str, Urgency, str, str]:
    adviser, handed_by = aliased(User), aliased(User)
    return (
        select(CallHandoff, Call.reference, Call.urgency, adviser.display_name, handed_by.display_name)
        .join(Call, Call.id == CallHandoff.call_id)
        .join(adviser, adviser.id == CallHandoff.adviser_id)
        .join(handed_by, handed_by.id == CallHandoff.handed_by_id)
    )


def _handoff_record(row: Sequence[object]) -> HandoffRecord:
    h, reference, urgency, adviser, handed_by = row
    assert isinstance(h, CallHandoff)
    return HandoffRecord(
        id=h.id, call_id=h.call_id, call_reference=str(reference), call_urgency=urgency,  # type: ignore[arg-type]
        route=h.route, adviser_id=h.adviser_id, adviser_name=str(adviser), note=h.note, status=h.status,
        handed_at=h.handed_at, handed_by_name=str(handed_by), taken_at=h.taken_at, version=h.version,
    )  # fmt: skip


def waiting_handoffs(session: Session) -> list[HandoffRecord]:
    """Every hand-off not yet taken, oldest first (for services sharing a transaction)."""
    rows = session.execute(
        _handoff_query().where(CallHandoff.status == HandoffStatus.WAITING).order_by(CallHandoff.handed_at)
    ).all()
    return [_handoff_record(tuple(r)) for r in rows]


def _state(next_due: datetime, now: datetime) -> DueState:
    if next_due > now:
        return DueState.UPCOMING
    return DueState.DUE_NOW if now - next_due <= DUE_NOW_GRACE else DueState.OVERDUE


def _holders(
    session: Session, records: Sequence[FollowUpRecord], now: datetime
) -> dict[uuid.UUID, tuple[uuid.UUID | None, str]]:
    """Who holds each route follow-up: the duty adviser (else the deputy) of its route at its
    next due time, or now once it is due."""
    routed = [r for r in records if r.assignee_route is not None]
    if not routed:
        return {}
    times = [max(r.next_due, now) for r in routed]
    shifts = rota.shifts_between(session, min(times), max(times) + timedelta(microseconds=1))
    out: dict[uuid.UUID, tuple[uuid.UUID | None, str]] = {}
    for record, at in zip(routed, times, strict=True):
        found = {s.role: s for s in shifts if s.route is record.assignee_route and s.covers(at)}
        holder = found.get(DutyRole.DUTY) or found.get(DutyRole.DEPUTY)
        out[record.id] = (holder.user_id, holder.user_name) if holder else (None, "")
    return out


def due(
    db: Database,
    actor: Actor,
    *,
    now: datetime | None = None,
    within: timedelta = DEFAULT_WITHIN,
    route: Route | None = None,
    assignee_id: uuid.UUID | None = None,
    include_unassigned: bool = True,
    audited: bool = True,
) -> DueList:
    """What is overdue, due now and due within ``within`` of ``now``, and the hand-offs waiting
    (see the module docstring). A consultation of the calls: audited (``followup.due``, the
    filters and the counts) unless ``audited=False`` (a refresh of a panel already open)."""
    permissions.check(db, actor, Action.FOLLOWUP_DUE)
    at = (now or datetime.now(UTC)).astimezone(UTC)
    if within < timedelta(0) or within > timedelta(days=31):
        raise ValidationError([FieldError("within", "must be from 0 to 31 days")])
    with db.read() as session:
        query = _follow_up_query().where(FollowUp.status != FollowUpStatus.DONE, _next_due() <= at + within)
        if route is not None:
            advised = exists().where(
                RouteAdvice.call_id == FollowUp.call_id,
                RouteAdvice.route == route,
                RouteAdvice.chosen.is_(True),
            )
            query = query.where(or_(FollowUp.assignee_route == route, advised))
        # Everything due from the "due now" window on; of the overdue, the most recent
        # MAX_OVERDUE (a line that let thousands lapse needs a report, not a panel).
        cutoff = at - DUE_NOW_GRACE
        recent = session.execute(query.where(_next_due() >= cutoff).order_by(_next_due(), FollowUp.id)).all()
        late = session.execute(
            query.where(_next_due() < cutoff).order_by(_next_due().desc(), FollowUp.id).limit(MAX_OVERDUE + 1)
        ).all()
        truncated = len(late) > MAX_OVERDUE
        records = [_to_record(tuple(r)) for r in reversed(late[:MAX_OVERDUE])]
        records += [_to_record(tuple(r)) for r in recent]
        holders = _holders(session, records, at)
        handoff_query = _handoff_query().where(CallHandoff.status == HandoffStatus.WAITING)
        if route is not None:
            handoff_query = handoff_query.where(CallHandoff.route == route)
        if assignee_id is not None:
            handoff_query = handoff_query.where(CallHandoff.adviser_id == assignee_id)
        handoffs = tuple(
            _handoff_record(tuple(r)) for r in session.execute(handoff_query.order_by(CallHandoff.handed_at))
        )
    items: list[DueItem] = []
    for record in records:
        holder_id, holder_name = holders.get(record.id, (record.assignee_id, record.assignee_name))
        unassigned = record.assignee_id is None and record.assignee_route is None
        if assignee_id is not None and holder_id != assignee_id and not (include_unassigned and unassigned):
            continue
        items.append(DueItem(record, _state(record.next_due, at), holder_id, holder_name))
    order = {FollowUpPriority.HIGH: 0, FollowUpPriority.NORMAL: 1, FollowUpPriority.LOW: 2}
    items.sort(key=lambda i: (i.follow_up.next_due, order[i.follow_up.priority], str(i.follow_up.id)))
    result = DueList(
        at=at,
        within=within,
        overdue=tuple(i for i in items if i.state is DueState.OVERDUE),
        due_now=tuple(i for i in items if i.state is DueState.DUE_NOW),
        upcoming=tuple(i for i in items if i.state is DueState.UPCOMING),
        handoffs=handoffs,
        overdue_truncated=truncated,
    )
    if audited:
        filters = {"route": route.value if route else "", "assignee_id": str(assignee_id or "")}
        with db.write() as session:
            audit.record(
                session, actor, AuditCategory.CONSULTATION, "followup.due", "follow_up", "",
                filters={k: v for k, v in filters.items() if v}, hours=within.total_seconds() / 3600,
                counts=result.counts,
            )  # fmt: skip
    return result


# --- writing -------------------------------------------------------------------------------------


def _text(errors: list[FieldError], field: str, value: str, limit: int, *, required: bool = False) -> str:
    if not isinstance(value, str):
        errors.append(FieldError(field, "must be text"))
        return ""
    cleaned = value.strip()
    if required and not cleaned:
        errors.append(FieldError(field, "required"))
    if len(cleaned) > limit:
        errors.append(FieldError(field, f"is longer than {limit:,} characters"))
    if "\x00" in cleaned:
        errors.append(FieldError(field, "contains a NUL character"))
    return cleaned


def _moment(
    db: Database, errors: list[FieldError], field: str, value: datetime, fold: int | None
) -> datetime | None:
    if not isinstance(value, datetime):
        errors.append(FieldError(field, "must be a date and time"))
        return None
    try:
        moment = local_time.instant(value, db.zone, fold=fold, field=field)
    except ValidationError as exc:
        if len(exc.errors) == 1 and not errors:
            raise  # an ambiguous or skipped time on its own: keep its type (the GUI asks which)
        errors += exc.errors
        return None
    if not EARLIEST_TIME <= moment < LATEST_TIME:
        errors.append(FieldError(field, "is out of range"))
        return None
    return moment


def _announce(session: Session, db: Database, call_id: uuid.UUID) -> None:
    version = session.scalar(select(Call.version).where(Call.id == call_id))
    if version is not None:
        changes.announce_call_saved(session, db, call_id, version)


def book_follow_up(
    db: Database,
    actor: Actor,
    call_id: uuid.UUID,
    due: datetime,
    *,
    kind: FollowUpKind = FollowUpKind.CALLBACK,
    priority: FollowUpPriority = FollowUpPriority.NORMAL,
    assignee_id: uuid.UUID | None = None,
    assignee_route: Route | None = None,
    note: str = "",
    fold: int | None = None,
    now: datetime | None = None,
) -> FollowUpRecord:
    """Book a follow-up on ``call_id`` due at ``due`` (see the module docstring for local times),
    for a person or a route's duty adviser (not both), or nobody in particular."""
    permissions.check(db, actor, Action.FOLLOWUP_BOOK, call_id)
    at = (now or datetime.now(UTC)).astimezone(UTC)
    errors: list[FieldError] = []
    moment = _moment(db, errors, "due_at", due, fold)
    if moment is not None and moment < at - timedelta(minutes=1):
        errors.append(FieldError("due_at", "is in the past"))
    text = _text(errors, "note", note, NOTE_MAX)
    try:
        kind, priority = FollowUpKind(kind), FollowUpPriority(priority)
        route = Route(assignee_route) if assignee_route is not None else None
    except ValueError as exc:
        errors.append(FieldError("kind", str(exc)))
        route = None
    if assignee_id is not None and route is not None:
        errors.append(FieldError("assignee", "give a person or a route, not both"))
    if errors:
        raise ValidationError(errors)
    assert moment is not None
    with db.write() as session:
        call = session.execute(select(Call.id, Call.reference).where(Call.id == call_id)).first()
        if call is None:
            raise NotFoundError("this call is no longer on record")
        if assignee_id is not None:
            user = session.get(User, assignee_id)
            if user is None or not user.active:
                raise ValidationError([FieldError("assignee_id", "no such active account")])
        position = session.scalar(select(func.max(FollowUp.position)).where(FollowUp.call_id == call_id))
        row = FollowUp(
            id=uuid.uuid4(), call_id=call_id, position=(position if position is not None else -1) + 1,
            due_at=moment, assignee_id=assignee_id, assignee_route=route, note=text, kind=kind,
            priority=priority, status=FollowUpStatus.OPEN, created_at=at, created_by_id=actor.user_id,
            updated_at=at, updated_by_id=actor.user_id,
        )  # fmt: skip
        session.add(row)
        # The follow-ups are part of the call: a form holding the call without this one must
        # not save over it (its version is now stale), and the lists reload.
        session.execute(
            update(Call).where(Call.id == call_id).values(version=Call.version + 1, updated_at=at)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        session.flush()
        audit.record(
            session, actor, AuditCategory.COLLECTION, "followup.book", "follow_up", row.id,
            call_id=str(call_id), reference=call.reference, kind=kind.value, priority=priority.value,
            assignee="person" if assignee_id else ("route" if route else "none"),
            route=route.value if route else "",
        )  # fmt: skip
        _announce(session, db, call_id)
        return _load(session, row.id)


def _may_act(session: Session, actor: Actor, row: FollowUp, at: datetime) -> bool:
    if actor.can(permissions.Permission.HANDOVER_WRITE):  # supervisors
        return True
    if row.assignee_id is None and row.assignee_route is None:
        return True
    if row.assignee_id is not None:
        return row.assignee_id == actor.user_id
    moments = {max(_record_next_due(row), at), at}
    for moment in moments:
        holders = rota.on_duty(session, moment, [row.assignee_route])  # type: ignore[list-item]
        duty = holders[row.assignee_route]  # type: ignore[index]
        if actor.user_id in {s.user_id for s in (duty.duty, duty.deputy) if s is not None}:
            return True
    return False


def _record_next_due(row: FollowUp) -> datetime:
    if row.status is FollowUpStatus.SNOOZED and row.snoozed_until is not None:
        return row.snoozed_until
    return row.due_at


def _changing(
    session: Session,
    actor: Actor,
    follow_up_id: uuid.UUID,
    expected_version: int,
    action: Action,
    at: datetime,
) -> FollowUp:
    row = session.get(FollowUp, follow_up_id)
    if row is None:
        raise NotFoundError("this follow-up is no longer on record")
    if row.version != expected_version:
        raise ConflictError(
            "this follow-up was changed by someone else since you opened it; look at it again",
            expected_version=expected_version, stored_version=row.version,
        )  # fmt: skip
    if not _may_act(session, actor, row, at):
        raise permissions.refusal(
            actor, action, follow_up_id,
            text=f"{actor.username} may not {permissions.RULES[action].doing}: it is assigned to someone "
            "else; its assignee or a supervisor may",
            reason="not the assignee",
        )  # fmt: skip
    if row.status is FollowUpStatus.DONE:
        raise ValidationError([FieldError("status", "this follow-up is done already")])
    return row


@permissions.audits_refusals
def complete_follow_up(
    db: Database,
    actor: Actor,
    follow_up_id: uuid.UUID,
    *,
    expected_version: int,
    outcome: str,
    now: datetime | None = None,
) -> FollowUpRecord:
    """Record what happened (``outcome``, required) and mark the follow-up done."""
    permissions.check(db, actor, Action.FOLLOWUP_COMPLETE, follow_up_id)
    at = (now or datetime.now(UTC)).astimezone(UTC)
    errors: list[FieldError] = []
    text = _text(errors, "outcome", outcome, NOTE_MAX, required=True)
    if errors:
        raise ValidationError(errors)
    try:
        with db.write() as session:
            row = _changing(session, actor, follow_up_id, expected_version, Action.FOLLOWUP_COMPLETE, at)
            row.status, row.done_at, row.done_by_id, row.outcome = (
                FollowUpStatus.DONE,
                at,
                actor.user_id,
                text,
            )
            row.snoozed_until = None
            row.updated_at, row.updated_by_id = at, actor.user_id
            session.flush()
            audit.record(
                session, actor, AuditCategory.ALTERATION, "followup.complete", "follow_up", row.id,
                call_id=str(row.call_id), version=row.version,
            )  # fmt: skip
            _announce(session, db, row.call_id)
            return _load(session, row.id)
    except StaleDataError as exc:
        raise ConflictError("this follow-up was changed by someone else meanwhile; look at it again") from exc


@permissions.audits_refusals
def snooze_follow_up(
    db: Database,
    actor: Actor,
    follow_up_id: uuid.UUID,
    *,
    expected_version: int,
    until: datetime,
    reason: str,
    fold: int | None = None,
    now: datetime | None = None,
) -> FollowUpRecord:
    """Put the follow-up off until ``until`` (after now, at most :data:`MAX_SNOOZE` ahead); a
    ``reason`` is required."""
    permissions.check(db, actor, Action.FOLLOWUP_SNOOZE, follow_up_id)
    at = (now or datetime.now(UTC)).astimezone(UTC)
    errors: list[FieldError] = []
    text = _text(errors, "reason", reason, SUMMARY_MAX, required=True)
    moment = _moment(db, errors, "until", until, fold)
    if moment is not None and moment <= at:
        errors.append(FieldError("until", "must be later than now"))
    elif moment is not None and moment > at + MAX_SNOOZE:
        errors.append(FieldError("until", f"a follow-up is snoozed for at most {MAX_SNOOZE.days} days"))
    if errors:
        raise ValidationError(errors)
    assert moment is not None
    try:
        with db.write() as session:
            row = _changing(session, actor, follow_up_id, expected_version, Action.FOLLOWUP_SNOOZE, at)
            row.status, row.snoozed_until, row.snooze_reason = FollowUpStatus.SNOOZED, moment, text
            row.updated_at, row.updated_by_id = at, actor.user_id
            session.flush()
            audit.record(
                session, actor, AuditCategory.ALTERATION, "followup.snooze", "follow_up", row.id,
                call_id=str(row.call_id), version=row.version,
                minutes=int((moment - at).total_seconds() // 60),
            )  # fmt: skip
            _announce(session, db, row.call_id)
            return _load(session, row.id)
    except StaleDataError as exc:
        raise ConflictError("this follow-up was changed by someone else meanwhile; look at it again") from exc


# --- hand-offs -----------------------------------------------------------------------------------


def _load_handoff(session: Session, handoff_id: uuid.UUID) -> HandoffRecord:
    row = session.execute(_handoff_query().where(CallHandoff.id == handoff_id)).first()
    if row is None:
        raise NotFoundError("this hand-off is no longer on record")
    return _handoff_record(tuple(row))


def hand_to_duty_adviser(
    db: Database,
    actor: Actor,
    call_id: uuid.UUID,
    route: Route,
    *,
    note: str = "",
    now: datetime | None = None,
) -> HandoffRecord:
    """Hand the call to whoever is duty adviser for ``route`` now (the deputy when there is no
    duty adviser): it waits in their due list until they take it. Refused, naming who is next,
    when nobody holds the route now, and when the call waits for that route already."""
    permissions.check(db, actor, Action.CALL_HANDOFF, call_id)
    at = (now or datetime.now(UTC)).astimezone(UTC)
    errors: list[FieldError] = []
    text = _text(errors, "note", note, NOTE_MAX)
    try:
        route = Route(route)
    except ValueError:
        errors.append(FieldError("route", "is not an advice route"))
    if errors:
        raise ValidationError(errors)
    with db.write() as session:
        call = session.execute(select(Call.id, Call.reference).where(Call.id == call_id)).first()
        if call is None:
            raise NotFoundError("this call is no longer on record")
        holders = rota.on_duty(session, at, [route])[route]
        holder = holders.duty or holders.deputy
        if holder is None:
            later = [
                s
                for s in rota.shifts_between(session, at, at + rota.HORIZON, route=route)
                if s.starts_at > at
            ]
            nxt = (
                f"; next on the rota: {rota.short_name(later[0].user_name)} from "
                f"{local_time.clock(later[0].starts_at, db.zone)}"
                if later
                else f"; nobody is on the rota for {route.label} in the next 12 hours"
            )
            raise ValidationError(
                [
                    FieldError(
                        "route", f"nobody is on duty for {route.label} now{nxt}; book a follow-up instead"
                    )
                ]
            )
        waiting = session.execute(
            select(CallHandoff.id, User.display_name)
            .join(User, User.id == CallHandoff.adviser_id)
            .where(
                CallHandoff.call_id == call_id,
                CallHandoff.route == route,
                CallHandoff.status == HandoffStatus.WAITING,
            )
        ).first()
        if waiting is not None:
            raise ValidationError(
                [FieldError("route", f"{call.reference} is waiting for {rota.short_name(waiting[1])} "
                                     f"({route.label}) already, not yet taken")]
            )  # fmt: skip
        row = CallHandoff(
            id=uuid.uuid4(), call_id=call_id, route=route, adviser_id=holder.user_id, note=text,
            status=HandoffStatus.WAITING, handed_at=at, handed_by_id=actor.user_id,
        )  # fmt: skip
        session.add(row)
        session.flush()
        audit.record(
            session, actor, AuditCategory.ALTERATION, "call.handoff", "call", call_id,
            reference=call.reference, route=route.value, adviser_id=str(holder.user_id),
            role=holder.role.value, handoff_id=str(row.id),
        )  # fmt: skip
        _announce(session, db, call_id)
        return _load_handoff(session, row.id)


@permissions.audits_refusals
def take_handoff(
    db: Database, actor: Actor, handoff_id: uuid.UUID, *, expected_version: int, now: datetime | None = None
) -> HandoffRecord:
    """The adviser takes the call handed to them (a supervisor may take it for them)."""
    permissions.check(db, actor, Action.HANDOFF_TAKE, handoff_id)
    at = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        with db.write() as session:
            row = session.get(CallHandoff, handoff_id)
            if row is None:
                raise NotFoundError("this hand-off is no longer on record")
            if row.version != expected_version:
                raise ConflictError(
                    "this hand-off was changed since you saw it; look again",
                    expected_version=expected_version, stored_version=row.version,
                )  # fmt: skip
            if row.adviser_id != actor.user_id and not actor.can(permissions.Permission.HANDOVER_WRITE):
                raise permissions.refusal(
                    actor, Action.HANDOFF_TAKE, handoff_id,
                    text=f"{actor.username} may not take this call: it was handed to another adviser; "
                    "they or a supervisor may",
                    reason="handed to someone else",
                )  # fmt: skip
            if row.status is HandoffStatus.TAKEN:
                raise ValidationError([FieldError("status", "this call was taken already")])
            row.status, row.taken_at, row.taken_by_id = HandoffStatus.TAKEN, at, actor.user_id
            session.flush()
            audit.record(
                session, actor, AuditCategory.ALTERATION, "handoff.take", "handoff", row.id,
                call_id=str(row.call_id), route=row.route.value,
            )  # fmt: skip
            _announce(session, db, row.call_id)
            return _load_handoff(session, row.id)
    except StaleDataError as exc:
        raise ConflictError("this hand-off was changed by someone else meanwhile; look again") from exc
