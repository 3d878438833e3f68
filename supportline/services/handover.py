"""Shift handover: what one shift hands to the next, as a checked, signed record.

**Shifts.** The line's supervisors change at fixed local times (the ``shift_changes`` setting,
default 07:00, 15:00 and 23:00 in the line's zone): a shift runs from one change to the next,
so the night shift is 8 hours, 9 on the October night the clocks go back and 7 in March
(:func:`shift_window`). A change time that the clocks skip is taken just after the gap; one they
repeat is its first occurrence.

**Pre-fill** (:func:`prefill`; :func:`start_handover` stores it). For the shift ``[start, end)``
and the next one ``[end, next_end)``, read at ``now``:

* ``open_calls``: every call still open;
* ``overdue_follow_ups``: follow-ups not done whose next due time is before ``end``;
* ``follow_ups_next_shift``: follow-ups not done, next due in ``[end, next_end)``;
* ``crisis_urgent``: calls opened in ``[start, end)`` with the urgency crisis or urgent;
* ``handoffs_waiting``: calls handed to a duty adviser and not yet taken;
* ``routes_without_duty``: each stretch of the next shift with no duty adviser on a route;
* the figures of the calls opened in the shift (``exports.figures``: totals, urgency, routes).

Each item holds references, times, urgency, routes and staff names, never call content (no
caller, summary or note): an acknowledged handover cannot be changed, so it must hold nothing an
erasure would have to reach. The screen and the PDF show the items; the call is one click away.

**Notes and acknowledgement.** The author adds a note per item and an overall note
(:func:`update_notes`, with ``expected_version``); :func:`refresh_handover` reads the pre-fill
again, keeping every note (an item that has gone stays, marked not current, when it has a note).
The incoming supervisor acknowledges it with their own password (:func:`acknowledge`): not its
author; a wrong password is refused, counted towards the account's lockout, and audited. From
then on the handover is read-only: the service refuses changes (:class:`HandoverReadOnlyError`)
and a database trigger refuses any UPDATE or DELETE of the row (migration 0009).

**Checks.** :func:`shift_checks` flags a shift that has no acknowledged handover
:data:`ACKNOWLEDGE_WITHIN` (30 minutes) after it started.

**For the GUI** (frozen dataclasses): :func:`shift_window`, :func:`prefill`,
:func:`start_handover`, :func:`get_handover`, :func:`update_notes`, :func:`refresh_handover`,
:func:`acknowledge`, :func:`search_handovers` (history), :func:`shift_checks`,
:func:`print_handover` (PDF). Handovers are for supervisors and administrators.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from supportline.atomic_files import atomic_write
from supportline.db.engine import Database
from supportline.db.models import NOTE_MAX, Call, Handover, RouteAdvice, User
from supportline.enums import AuditCategory, CallStatus, DutyRole, Route, Urgency
from supportline.services import accounts, audit, followups, local_time, permissions, rota
from supportline.services.actor import Actor
from supportline.services.call_types import CallQuery
from supportline.services.errors import (
    AuthenticationError,
    ConflictError,
    FieldError,
    NotFoundError,
    ServiceError,
    ValidationError,
)
from supportline.services.permissions import Action

DEFAULT_SHIFT_CHANGES: tuple[time, ...] = (time(7), time(15), time(23))
#: A shift whose handover is not acknowledged this long after it started is flagged.
ACKNOWLEDGE_WITHIN = timedelta(minutes=30)
#: At most this many handovers per search.
MAX_RESULTS = 500


class HandoverReadOnlyError(ServiceError):
    """The handover has been acknowledged: it is kept as it was signed."""


class Section(StrEnum):
    OPEN_CALLS = "open_calls"
    OVERDUE_FOLLOW_UPS = "overdue_follow_ups"
    FOLLOW_UPS_NEXT_SHIFT = "follow_ups_next_shift"
    CRISIS_URGENT = "crisis_urgent"
    HANDOFFS_WAITING = "handoffs_waiting"
    ROUTES_WITHOUT_DUTY = "routes_without_duty"

    @property
    def heading(self) -> str:
        return SECTION_TITLES[self]


SECTION_TITLES: dict[Section, str] = {
    Section.OPEN_CALLS: "Calls still open",
    Section.OVERDUE_FOLLOW_UPS: "Follow-ups overdue or due by the end of the shift",
    Section.FOLLOW_UPS_NEXT_SHIFT: "Follow-ups due in the next shift",
    Section.CRISIS_URGENT: "Crisis and urgent calls of the shift",
    Section.HANDOFFS_WAITING: "Calls handed to advisers, not yet taken",
    Section.ROUTES_WITHOUT_DUTY: "Routes without a duty adviser in the next shift",
}


@dataclass(frozen=True)
class HandoverItem:
    section: Section
    #: Unique and stable within a handover: "open_calls:<call id>", "crisis_urgent:<call id>" (a
    #: call can be in both, with a note in each), "follow_up:<id>" (the same key whichever of the
    #: two follow-up sections it is in, so a refresh keeps its note), "handoffs_waiting:<id>",
    #: "routes_without_duty:<route>:<start>".
    key: str
    record_id: uuid.UUID | None  # the call, follow-up or hand-off (None for a rota gap)
    call_id: uuid.UUID | None  # the call to open, when there is one
    reference: str  # the call's reference, or the route's name
    at: datetime | None  # when: opened, due, handed, or the gap's start
    text: str  # one line for people, no call content
    note: str = ""  # the outgoing supervisor's note
    current: bool = True  # False: gone from the latest pre-fill, kept for its note


@dataclass(frozen=True)
class ShiftFigures:
    calls: int
    cases: int
    potential_victims: int
    nrm_referrals: int
    dtn_reports: int
    by_urgency: tuple[tuple[Urgency, int], ...]
    by_route: tuple[tuple[Route, int], ...]


@dataclass(frozen=True)
class Prefill:
    shift_start: datetime
    shift_end: datetime
    next_end: datetime
    at: datetime
    items: tuple[HandoverItem, ...]
    figures: ShiftFigures

    def section(self, section: Section) -> tuple[HandoverItem, ...]:
        return tuple(i for i in self.items if i.section is section)


@dataclass(frozen=True)
class HandoverRecord:
    id: uuid.UUID
    shift_start: datetime
    shift_end: datetime
    author_id: uuid.UUID
    author_name: str
    notes: str
    items: tuple[HandoverItem, ...]
    figures: ShiftFigures
    prefilled_at: datetime
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by_id: uuid.UUID | None
    acknowledged_by_name: str
    version: int

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    def section(self, section: Section) -> tuple[HandoverItem, ...]:
        return tuple(i for i in self.items if i.section is section)


@dataclass(frozen=True)
class HandoverSummary:
    id: uuid.UUID
    shift_start: datetime
    shift_end: datetime
    author_name: str
    acknowledged_at: datetime | None
    acknowledged_by_name: str
    items: int
    version: int


@dataclass(frozen=True)
class ShiftCheck:
    """The shift that started at ``starts_at`` and the handover into it (of the shift before)."""

    starts_at: datetime
    handover_from: datetime  # the outgoing shift's start
    handover_id: uuid.UUID | None
    acknowledged_at: datetime | None
    #: No acknowledged handover ACKNOWLEDGE_WITHIN after the shift started (as of ``now``).
    flagged: bool
    acknowledged_late: bool


# --- shifts --------------------------------------------------------------------------------------


def _change_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant of a change time on a local day: the first of a repeated time; a skipped one
    as the wall time would be without the jump (just after the gap)."""
    return datetime.combine(day, at, tzinfo=zone).replace(fold=0).astimezone(UTC)


def _boundaries(around: datetime, zone: ZoneInfo, changes: Sequence[time], days: int = 2) -> list[datetime]:
    local_day = around.astimezone(zone).date()
    out = {
        _change_instant(local_day + timedelta(days=d), c, zone)
        for d in range(-days, days + 1)
        for c in changes
    }
    return sorted(out)


def shift_window(
    at: datetime, zone: ZoneInfo, changes: Sequence[time] = DEFAULT_SHIFT_CHANGES
) -> tuple[datetime, datetime]:
    """The shift holding the instant ``at``: ``[start, end)`` as aware UTC instants."""
    if not changes:
        raise ValueError("no shift change times")
    moment = at.astimezone(UTC)
    points = _boundaries(moment, zone, changes)
    start = max(p for p in points if p <= moment)
    end = min(p for p in points if p > moment)
    return start, end


def previous_shift(
    at: datetime, zone: ZoneInfo, changes: Sequence[time] = DEFAULT_SHIFT_CHANGES
) -> tuple[datetime, datetime]:
    """The shift before the one holding ``at``."""
    start, _ = shift_window(at, zone, changes)
    return shift_window(start - timedelta(microseconds=1), zone, changes)


# --- the pre-fill --------------------------------------------------------------------------------


def _routes_of(session: Session, call_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Route]]:
    out: dict[uuid.UUID, list[Route]] = {}
    if not call_ids:
        return out
    rows = session.execute(
        select(RouteAdvice.call_id, RouteAdvice.route)
        .where(RouteAdvice.call_id.in_(call_ids), RouteAdvice.chosen.is_(True))
        .order_by(RouteAdvice.call_id, RouteAdvice.position)
    ).all()
    for call_id, route in rows:
        out.setdefault(call_id, []).append(route)
    return out


def _when(value: datetime, zone: ZoneInfo) -> str:
    local = value.astimezone(zone)
    return f"{local:%a %d %b} {local_time.clock(value, zone)}"


def _call_items(
    session: Session, section: Section, where: Sequence[Any], zone: ZoneInfo
) -> list[HandoverItem]:
    handler = aliased(User)
    rows = session.execute(
        select(Call.id, Call.reference, Call.urgency, Call.status, Call.opened_at, handler.display_name)
        .join(handler, handler.id == Call.handler_id)
        .where(*where)
        .order_by(Call.opened_at, Call.id)
    ).all()
    routes = _routes_of(session, [r[0] for r in rows])
    items = []
    for call_id, reference, urgency, status, opened, handler_name in rows:
        bits = [urgency.label, f"opened {_when(opened, zone)}"]
        if section is Section.CRISIS_URGENT:
            bits.append(status.label.lower())
        chosen = routes.get(call_id, [])
        bits.append(", ".join(r.label for r in chosen) if chosen else "no route chosen")
        bits.append(f"handled by {rota.short_name(handler_name)}")
        items.append(
            HandoverItem(
                section, f"{section.value}:{call_id}", call_id, call_id, reference, opened, "; ".join(bits)
            )
        )
    return items


def _follow_up_text(f: followups.FollowUpRecord, holder: str, zone: ZoneInfo) -> str:
    bits = [f.kind.label, f"due {_when(f.next_due, zone)}"]
    if f.status.value == "snoozed":
        bits.append("snoozed")
    if f.priority.value != "normal":
        bits.append(f"{f.priority.label.lower()} priority")
    if f.assignee_route is not None:
        bits.append(f"for the {f.assignee_route.label} duty adviser" + (f" ({holder})" if holder else ""))
    elif f.assignee_name:
        bits.append(f"for {rota.short_name(f.assignee_name)}")
    else:
        bits.append("unassigned")
    return "; ".join(bits)


def _compute(
    db: Database, session: Session, start: datetime, end: datetime, next_end: datetime
) -> tuple[list[HandoverItem], ShiftFigures]:
    from supportline.exports import figures as figures_module

    zone = db.zone
    items = _call_items(session, Section.OPEN_CALLS, [Call.status == CallStatus.OPEN], zone)
    for f in followups.open_follow_ups(session, next_end):
        section = Section.OVERDUE_FOLLOW_UPS if f.next_due < end else Section.FOLLOW_UPS_NEXT_SHIFT
        holder = ""
        if f.assignee_route is not None:
            held = rota.on_duty(session, max(f.next_due, end), [f.assignee_route])[f.assignee_route]
            shift = held.duty or held.deputy
            holder = rota.short_name(shift.user_name) if shift else "nobody on the rota"
        items.append(
            HandoverItem(
                section,
                f"follow_up:{f.id}",
                f.id,
                f.call_id,
                f.call_reference,
                f.next_due,
                _follow_up_text(f, holder, zone),
            )
        )
    items += _call_items(
        session,
        Section.CRISIS_URGENT,
        [Call.opened_at >= start, Call.opened_at < end, Call.urgency.in_([Urgency.CRISIS, Urgency.URGENT])],
        zone,
    )
    for h in followups.waiting_handoffs(session):
        items.append(
            HandoverItem(
                Section.HANDOFFS_WAITING,
                f"{Section.HANDOFFS_WAITING.value}:{h.id}",
                h.id,
                h.call_id,
                h.call_reference,
                h.handed_at,
                f"{h.route.label}: handed to {rota.short_name(h.adviser_name)} at {_when(h.handed_at, zone)} "
                f"by {rota.short_name(h.handed_by_name)}; {h.call_urgency.label.lower()}",
            )
        )
    shifts = rota.shifts_between(session, end, next_end, role=DutyRole.DUTY)
    for gap in rota.route_gaps(shifts, end, next_end):
        items.append(
            HandoverItem(
                Section.ROUTES_WITHOUT_DUTY,
                f"{Section.ROUTES_WITHOUT_DUTY.value}:{gap.route.value}:{gap.starts_at.isoformat()}",
                None,
                None,
                gap.route.label,
                gap.starts_at,
                f"no duty adviser from {_when(gap.starts_at, zone)} to {_when(gap.ends_at, zone)}",
            )
        )
    counted = figures_module.compute(db, CallQuery(opened_from=start, opened_to=end), previous=False)
    t = counted.totals
    figures = ShiftFigures(
        calls=t.calls, cases=t.cases, potential_victims=t.potential_victims, nrm_referrals=t.nrm_referrals,
        dtn_reports=t.dtn_reports, by_urgency=counted.by_urgency, by_route=counted.by_route,
    )  # fmt: skip
    return items, figures


def _window(
    db: Database, start: datetime | None, end: datetime | None, at: datetime, changes: Sequence[time]
) -> tuple[datetime, datetime]:
    if start is None or end is None:
        return shift_window(at, db.zone, changes)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        raise ValidationError([FieldError("shift_end", "must be after the shift's start")])
    if end - start > timedelta(hours=24):
        raise ValidationError([FieldError("shift_end", "a shift is at most 24 hours")])
    return start, end


def _next_end(db: Database, end: datetime, changes: Sequence[time], length: timedelta) -> datetime:
    nxt = shift_window(end, db.zone, changes)
    return nxt[1] if nxt[0] == end else end + length


def prefill(
    db: Database,
    actor: Actor,
    shift_start: datetime | None = None,
    shift_end: datetime | None = None,
    *,
    now: datetime | None = None,
    changes: Sequence[time] = DEFAULT_SHIFT_CHANGES,
) -> Prefill:
    """What the app finds for the shift ``[shift_start, shift_end)`` (default: the shift holding
    ``now``), read at ``now``: the items and figures of the module docstring. Not stored."""
    permissions.check(db, actor, Action.HANDOVER_VIEW)
    at = (now or datetime.now(UTC)).astimezone(UTC)
    start, end = _window(db, shift_start, shift_end, at, changes)
    next_end = _next_end(db, end, changes, end - start)
    with db.read() as session:
        items, figures = _compute(db, session, start, end, next_end)
    return Prefill(start, end, next_end, at, tuple(items), figures)


# --- stored handovers ----------------------------------------------------------------------------


def _item_json(item: HandoverItem) -> dict[str, Any]:
    return {
        "section": item.section.value, "key": item.key,
        "record_id": str(item.record_id) if item.record_id else None,
        "call_id": str(item.call_id) if item.call_id else None,
        "reference": item.reference, "at": item.at.isoformat() if item.at else None, "text": item.text,
        "note": item.note, "current": item.current,
    }  # fmt: skip


def _item(data: Mapping[str, Any]) -> HandoverItem:
    def uid(value: Any) -> uuid.UUID | None:
        return uuid.UUID(value) if value else None

    return HandoverItem(
        section=Section(data["section"]), key=str(data["key"]), record_id=uid(data.get("record_id")),
        call_id=uid(data.get("call_id")), reference=str(data.get("reference", "")),
        at=datetime.fromisoformat(data["at"]).astimezone(UTC) if data.get("at") else None,
        text=str(data.get("text", "")), note=str(data.get("note", "")),
        current=bool(data.get("current", True)),
    )  # fmt: skip


def _figures_json(f: ShiftFigures) -> dict[str, Any]:
    return {
        "calls": f.calls, "cases": f.cases, "potential_victims": f.potential_victims,
        "nrm_referrals": f.nrm_referrals, "dtn_reports": f.dtn_reports,
        "by_urgency": [[u.value, n] for u, n in f.by_urgency],
        "by_route": [[r.value, n] for r, n in f.by_route],
    }  # fmt: skip


def _figures(data: Mapping[str, Any]) -> ShiftFigures:
    return ShiftFigures(
        calls=int(data.get("calls", 0)), cases=int(data.get("cases", 0)),
        potential_victims=int(data.get("potential_victims", 0)),
        nrm_referrals=int(data.get("nrm_referrals", 0)),
        dtn_reports=int(data.get("dtn_reports", 0)),
        by_urgency=tuple((Urgency(u), int(n)) for u, n in data.get("by_urgency", [])),
        by_route=tuple((Route(r), int(n)) for r, n in data.get("by_route", [])),
    )  # fmt: skip


def _dump(items: Sequence[HandoverItem]) -> str:
    return json.dumps([_item_json(i) for i in items], ensure_ascii=False, sort_keys=True)


_Author, _Signer = aliased(User), aliased(User)


def _record(session: Session, handover_id: uuid.UUID) -> HandoverRecord:
    row = session.execute(
        select(Handover, _Author.display_name, _Signer.display_name)
        .join(_Author, _Author.id == Handover.from_user_id)
        .outerjoin(_Signer, _Signer.id == Handover.acknowledged_by_id)
        .where(Handover.id == handover_id)
    ).first()
    if row is None:
        raise NotFoundError("there is no such handover")
    h, author, signer = row
    return HandoverRecord(
        id=h.id, shift_start=h.shift_start, shift_end=h.shift_end, author_id=h.from_user_id,
        author_name=author, notes=h.notes, items=tuple(_item(i) for i in json.loads(h.items)),
        figures=_figures(json.loads(h.figures)), prefilled_at=h.prefilled_at, created_at=h.created_at,
        updated_at=h.updated_at, acknowledged_at=h.acknowledged_at, acknowledged_by_id=h.acknowledged_by_id,
        acknowledged_by_name=signer or "", version=h.version,
    )  # fmt: skip


def _counts(items: Sequence[HandoverItem]) -> dict[str, int]:
    return {s.value: sum(1 for i in items if i.section is s) for s in Section}


def start_handover(
    db: Database,
    actor: Actor,
    shift_start: datetime | None = None,
    shift_end: datetime | None = None,
    *,
    now: datetime | None = None,
    changes: Sequence[time] = DEFAULT_SHIFT_CHANGES,
) -> HandoverRecord:
    """The handover of the shift ``[shift_start, shift_end)`` (default: the shift holding ``now``),
    created with its pre-fill, or the one already started for that shift (not yet acknowledged:
    one acknowledged is refused, :class:`HandoverReadOnlyError`)."""
    permissions.check(db, actor, Action.HANDOVER_WRITE, operation="create")
    at = (now or datetime.now(UTC)).astimezone(UTC)
    start, end = _window(db, shift_start, shift_end, at, changes)
    next_end = _next_end(db, end, changes, end - start)
    try:
        return _start(db, actor, start, end, next_end, at)
    except IntegrityError:
        # Another supervisor started this shift's handover at the same moment: open theirs.
        return _start(db, actor, start, end, next_end, at)


def _start(
    db: Database, actor: Actor, start: datetime, end: datetime, next_end: datetime, at: datetime
) -> HandoverRecord:
    with db.write() as session:
        existing = session.scalar(
            select(Handover.id).where(Handover.shift_start == start, Handover.shift_end == end)
        )
        if existing is not None:
            record = _record(session, existing)
            if record.acknowledged:
                raise HandoverReadOnlyError(
                    f"the handover of this shift was acknowledged by {record.acknowledged_by_name} at "
                    f"{_when(record.acknowledged_at or at, db.zone)}; it is kept as it was signed"
                )
            return record
        items, figures = _compute(db, session, start, end, next_end)
        row = Handover(
            id=uuid.uuid4(), from_user_id=actor.user_id, shift_start=start, shift_end=end, notes="",
            items=_dump(items), figures=json.dumps(_figures_json(figures), sort_keys=True),
            prefilled_at=at, created_at=at, updated_at=at,
        )  # fmt: skip
        session.add(row)
        session.flush()
        audit.record(
            session, actor, AuditCategory.COLLECTION, "handover.create", "handover", row.id,
            shift_start=start.isoformat(), shift_end=end.isoformat(), items=_counts(items),
        )  # fmt: skip
        return _record(session, row.id)


def get_handover(
    db: Database, actor: Actor, handover_id: uuid.UUID, *, audited: bool = True
) -> HandoverRecord:
    """One handover, whole (a consultation: audited as ``handover.view``)."""
    permissions.check(db, actor, Action.HANDOVER_VIEW, handover_id, operation="view")
    with db.read() as session:
        record = _record(session, handover_id)
    if audited:
        with db.write() as session:
            audit.record(session, actor, AuditCategory.CONSULTATION, "handover.view", "handover", handover_id)
    return record


def _editable(session: Session, actor: Actor, handover_id: uuid.UUID, expected_version: int) -> Handover:
    row = session.get(Handover, handover_id)
    if row is None:
        raise NotFoundError("there is no such handover")
    if row.acknowledged_at is not None:
        raise HandoverReadOnlyError("this handover has been acknowledged: it is read-only")
    if row.version != expected_version:
        raise ConflictError(
            "this handover was changed since you opened it; open it again "
            "(your notes are kept on the screen)",
            expected_version=expected_version, stored_version=row.version,
        )  # fmt: skip
    if row.from_user_id != actor.user_id:
        raise permissions.refusal(
            actor, Action.HANDOVER_WRITE, handover_id, operation="update",
            text=f"{actor.username} may not change this handover: only the supervisor who wrote it may",
            reason="not the author",
        )  # fmt: skip
    return row


@permissions.audits_refusals
def update_notes(
    db: Database,
    actor: Actor,
    handover_id: uuid.UUID,
    *,
    expected_version: int,
    notes: str | None = None,
    item_notes: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> HandoverRecord:
    """Set the overall note and/or notes of items (by :attr:`HandoverItem.key`); only the author,
    only before it is acknowledged."""
    permissions.check(db, actor, Action.HANDOVER_WRITE, handover_id, operation="update")
    at = (now or datetime.now(UTC)).astimezone(UTC)
    errors: list[FieldError] = []
    for field, text in [
        ("notes", notes or ""),
        *((f"items[{k}].note", v) for k, v in (item_notes or {}).items()),
    ]:
        if not isinstance(text, str):
            errors.append(FieldError(field, "must be text"))
        elif len(text) > NOTE_MAX:
            errors.append(FieldError(field, f"is longer than {NOTE_MAX:,} characters"))
        elif "\x00" in text:
            errors.append(FieldError(field, "contains a NUL character"))
    if errors:
        raise ValidationError(errors)
    try:
        with db.write() as session:
            row = _editable(session, actor, handover_id, expected_version)
            items = [_item(i) for i in json.loads(row.items)]
            keys = {i.key for i in items}
            unknown = [k for k in (item_notes or {}) if k not in keys]
            if unknown:
                raise ValidationError(
                    [FieldError(f"items[{k}]", "is not an item of this handover") for k in unknown]
                )
            changed: list[str] = []
            if notes is not None and notes != row.notes:
                row.notes = notes
                changed.append("notes")
            wanted = dict(item_notes or {})
            new_items = []
            for item in items:
                if item.key in wanted and wanted[item.key] != item.note:
                    item = replace(item, note=wanted[item.key])
                    changed.append("item_note")
                new_items.append(item)
            if changed:
                row.items = _dump(new_items)
                row.updated_at = at
                session.flush()
                audit.record(
                    session, actor, AuditCategory.ALTERATION, "handover.update", "handover", row.id,
                    overall_note="notes" in changed, item_notes=changed.count("item_note"),
                    version=row.version,
                )  # fmt: skip
            return _record(session, row.id)
    except StaleDataError as exc:
        raise ConflictError("this handover was changed by someone else meanwhile; open it again") from exc


@permissions.audits_refusals
def refresh_handover(
    db: Database,
    actor: Actor,
    handover_id: uuid.UUID,
    *,
    expected_version: int,
    now: datetime | None = None,
    changes: Sequence[time] = DEFAULT_SHIFT_CHANGES,
) -> HandoverRecord:
    """Read the pre-fill again (before acknowledging, when the shift has moved on). Every note is
    kept: an item found again keeps its note; one gone with a note stays, marked not current."""
    permissions.check(db, actor, Action.HANDOVER_WRITE, handover_id, operation="update")
    at = (now or datetime.now(UTC)).astimezone(UTC)
    try:
        with db.write() as session:
            row = _editable(session, actor, handover_id, expected_version)
            old = {i.key: i for i in (_item(x) for x in json.loads(row.items))}
            next_end = _next_end(db, row.shift_end, changes, row.shift_end - row.shift_start)
            fresh, figures = _compute(db, session, row.shift_start, row.shift_end, next_end)
            merged = [replace(i, note=old[i.key].note) if i.key in old else i for i in fresh]
            found = {i.key for i in fresh}
            merged += [replace(i, current=False) for k, i in old.items() if k not in found and i.note]
            row.items = _dump(merged)
            row.figures = json.dumps(_figures_json(figures), sort_keys=True)
            row.prefilled_at = row.updated_at = at
            session.flush()
            audit.record(
                session, actor, AuditCategory.ALTERATION, "handover.update", "handover", row.id,
                refreshed=True, items=_counts(merged), version=row.version,
            )  # fmt: skip
            return _record(session, row.id)
    except StaleDataError as exc:
        raise ConflictError("this handover was changed by someone else meanwhile; open it again") from exc


def acknowledge(
    db: Database,
    actor: Actor,
    handover_id: uuid.UUID,
    password: str,
    *,
    expected_version: int,
    username: str | None = None,
    now: datetime | None = None,
) -> HandoverRecord:
    """The incoming supervisor signs the handover with their own password.

    ``username`` is who signs (default: ``actor``, the person signed in; at a shared desk the
    outgoing supervisor may be signed in while the incoming one types their name and password).
    The signer must be a supervisor or administrator and not the handover's author. A wrong
    password raises :class:`AuthenticationError`: audited (``handover.acknowledge`` refused, and
    the password check itself, which counts towards the lockout). Once signed it is read-only.
    """
    at = (now or datetime.now(UTC)).astimezone(UTC)
    name = username or actor.username
    try:
        signer = accounts.confirm_password(db, name, password, purpose="handover.acknowledge", now=at)
    except AuthenticationError:
        with db.write() as session:
            audit.record(
                session, actor, AuditCategory.ALTERATION, "handover.acknowledge", "handover", handover_id,
                outcome="refused", reason="password not accepted", signer_given=name != actor.username,
            )  # fmt: skip
        raise
    permissions.check(db, signer, Action.HANDOVER_ACKNOWLEDGE, handover_id)
    try:
        try:
            with db.write() as session:
                row = session.get(Handover, handover_id)
                if row is None:
                    raise NotFoundError("there is no such handover")
                if row.acknowledged_at is not None:
                    raise HandoverReadOnlyError(
                        "this handover has been acknowledged already: it is read-only"
                    )
                if row.version != expected_version:
                    raise ConflictError(
                        "this handover was changed since you read it; read it again before acknowledging",
                        expected_version=expected_version, stored_version=row.version,
                    )  # fmt: skip
                if row.from_user_id == signer.user_id:
                    raise permissions.refusal(
                        signer, Action.HANDOVER_ACKNOWLEDGE, handover_id,
                        text="the supervisor who wrote a handover cannot acknowledge it: the incoming "
                        "supervisor signs it with their own password",
                        reason="own handover",
                    )  # fmt: skip
                row.acknowledged_at, row.acknowledged_by_id, row.updated_at = at, signer.user_id, at
                session.flush()
                audit.record(
                    session, signer, AuditCategory.ALTERATION, "handover.acknowledge", "handover", row.id,
                    version=row.version,
                    at_workstation_of=str(actor.user_id) if actor.user_id != signer.user_id else "",
                )  # fmt: skip
                return _record(session, row.id)
        except permissions.ActionRefusedError as error:
            permissions.audit_refusal(db, signer, error)
            raise
    except StaleDataError as exc:
        raise ConflictError("this handover was changed by someone else meanwhile; read it again") from exc


def search_handovers(
    db: Database,
    actor: Actor,
    *,
    text: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    acknowledged: bool | None = None,
    limit: int = 100,
) -> tuple[HandoverSummary, ...]:
    """The history, newest shift first: handovers whose shift ends in ``[start, end)``, whose
    notes or items (references, lines, notes) contain ``text`` (case-insensitive; plain text,
    never a pattern), acknowledged or not. Audited (``handover.search``: the text's length and
    the number found, never the text)."""
    permissions.check(db, actor, Action.HANDOVER_VIEW, operation="search")
    if not 1 <= limit <= MAX_RESULTS:
        raise ValidationError([FieldError("limit", f"must be from 1 to {MAX_RESULTS}")])
    query = (
        select(Handover, _Author.display_name, _Signer.display_name)
        .join(_Author, _Author.id == Handover.from_user_id)
        .outerjoin(_Signer, _Signer.id == Handover.acknowledged_by_id)
        .order_by(Handover.shift_end.desc(), Handover.id)
        .limit(limit)
    )
    if start is not None:
        query = query.where(Handover.shift_end >= start)
    if end is not None:
        query = query.where(Handover.shift_end < end)
    if acknowledged is not None:
        query = query.where(
            Handover.acknowledged_at.is_not(None) if acknowledged else Handover.acknowledged_at.is_(None)
        )
    needle = text.strip().lower()
    if needle:
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                func.lower(Handover.notes).like(pattern, escape="\\"),
                func.lower(Handover.items).like(pattern, escape="\\"),
            )
        )
    with db.read() as session:
        rows = session.execute(query).all()
    found = []
    for h, author, signer in rows:
        if needle and needle not in h.notes.lower() and not _items_contain(h.items, needle):
            continue  # matched only the JSON's own keys or escapes, not what people wrote or read
        found.append(
            HandoverSummary(
                id=h.id,
                shift_start=h.shift_start,
                shift_end=h.shift_end,
                author_name=author,
                acknowledged_at=h.acknowledged_at,
                acknowledged_by_name=signer or "",
                items=len(json.loads(h.items)),
                version=h.version,
            )
        )
    with db.write() as session:
        audit.record(
            session, actor, AuditCategory.CONSULTATION, "handover.search", "handover", "",
            text_length=len(needle), results=len(found),
            acknowledged="" if acknowledged is None else acknowledged,
        )  # fmt: skip
    return tuple(found)


def _items_contain(items_json: str, needle: str) -> bool:
    for item in json.loads(items_json):
        for key in ("reference", "text", "note"):
            if needle in str(item.get(key, "")).lower():
                return True
    return False


def shift_checks(
    db: Database,
    actor: Actor,
    *,
    now: datetime | None = None,
    hours: int = 24,
    changes: Sequence[time] = DEFAULT_SHIFT_CHANGES,
) -> tuple[ShiftCheck, ...]:
    """Each shift that started in the last ``hours`` (newest first) and its handover: flagged
    when, :data:`ACKNOWLEDGE_WITHIN` after it started, none is acknowledged."""
    permissions.check(db, actor, Action.HANDOVER_VIEW)
    at = (now or datetime.now(UTC)).astimezone(UTC)
    points = [p for p in _boundaries(at, db.zone, changes) if at - timedelta(hours=hours) < p <= at]
    with db.read() as session:
        rows = (
            session.execute(
                select(Handover.id, Handover.shift_start, Handover.shift_end, Handover.acknowledged_at).where(
                    Handover.shift_end.in_(points)
                )
            ).all()
            if points
            else []
        )
    by_end: dict[datetime, tuple[uuid.UUID, datetime | None]] = {}
    for hid, _start, end, acked in rows:
        best = by_end.get(end)
        if best is None or (best[1] is None and acked is not None):
            by_end[end] = (hid, acked)
    out = []
    for start in sorted(points, reverse=True):
        handover_id, acked = by_end.get(start, (None, None))
        due = start + ACKNOWLEDGE_WITHIN
        flagged = at >= due and (acked is None or acked > at)
        late = acked is not None and acked > due
        out.append(
            ShiftCheck(start, previous_shift(start, db.zone, changes)[0], handover_id, acked, flagged, late)
        )
    return tuple(out)


#: The triggers that keep an acknowledged handover read-only (migration 0009 creates them).
SQLITE_TRIGGERS = ("handovers_acknowledged_no_update", "handovers_acknowledged_no_delete")
POSTGRESQL_TRIGGERS = ("handovers_read_only",)


def missing_triggers(db: Database) -> list[str]:
    """The read-only triggers of ``handovers`` that are not there or not enabled (``db check``)."""
    with db.engine.connect() as conn:
        if db.is_sqlite:
            present = set(
                conn.execute(
                    sql_text(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'handovers'"
                    )
                ).scalars()
            )
            return [name for name in SQLITE_TRIGGERS if name not in present]
        rows = conn.execute(
            sql_text(
                "SELECT tgname, tgenabled FROM pg_trigger "
                "WHERE tgrelid = to_regclass('handovers') AND NOT tgisinternal"
            )
        ).all()
    state = {row.tgname: row.tgenabled for row in rows}
    return [
        name if name not in state else f"{name} (disabled)"
        for name in POSTGRESQL_TRIGGERS
        if name not in state or state[name] == "D"
    ]


def print_handover(
    db: Database,
    actor: Actor,
    handover_id: uuid.UUID,
    path: Path,
    *,
    marking: str,
    now: datetime | None = None,
) -> str:
    """Write the handover as a PDF (the protective marking in every header and footer) to
    ``path``, atomically, with its audit event (``handover.print``, a disclosure: the file's
    name and SHA-256) in place before the file is; returns the SHA-256."""
    permissions.check(db, actor, Action.HANDOVER_PRINT, handover_id)
    from supportline.exports import handover_pdf

    at = (now or datetime.now(UTC)).astimezone(UTC)
    with db.read() as session:
        record = _record(session, handover_id)
    buffer = io.BytesIO()  # a handover is a few pages: made in memory, hashed, then written
    handover_pdf.write(
        buffer, record, zone=db.zone, marking=marking, printed_by=actor.display_name, printed_at=at,
        training=db.training,
    )  # fmt: skip
    content = buffer.getvalue()
    digest = hashlib.sha256(content).hexdigest()
    with atomic_write(path, "wb") as out:
        out.write(content)
        with db.write() as session:
            audit.record(
                session, actor, AuditCategory.DISCLOSURE, "handover.print", "handover", handover_id,
                file_name=path.name, sha256=digest, acknowledged=record.acknowledged,
            )  # fmt: skip
    return digest


__all__ = [
    "ACKNOWLEDGE_WITHIN",
    "DEFAULT_SHIFT_CHANGES",
    "HandoverItem",
    "HandoverReadOnlyError",
    "HandoverRecord",
    "HandoverSummary",
    "Prefill",
    "Section",
    "ShiftCheck",
    "ShiftFigures",
    "acknowledge",
    "get_handover",
    "missing_triggers",
    "prefill",
    "previous_shift",
    "print_handover",
    "refresh_handover",
    "search_handovers",
    "shift_checks",
    "shift_window",
    "start_handover",
    "update_notes",
]
