"""The call service: open, update, close, get and list calls.

A call is saved whole: ``save_call`` creates it (allocating its reference, and a case if none is
given) or updates it, in one transaction with its audit event. Saving the same UUID again
updates the same row, so a retried save never duplicates a call.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from supportline.db import bulk, columns, page_ids
from supportline.db.engine import Database, DatabaseUnavailableError
from supportline.db.models import (
    SUMMARY_MAX,
    Call,
    CallExploitationType,
    CallIndicator,
    CallOutcome,
    Case,
    ChecklistTick,
    FollowUp,
    GuidanceVersion,
    Person,
    PersonLanguage,
    PersonNationality,
    Referral,
    RouteAdvice,
    User,
)
from supportline.enums import (
    AuditCategory,
    CallStatus,
    ChecklistState,
    FollowUpKind,
    FollowUpPriority,
    FollowUpStatus,
    Outcome,
)
from supportline.guidance import provenance
from supportline.services import audit, audit_chain, call_search, permissions, references
from supportline.services.actor import Actor
from supportline.services.call_types import (
    CallData,
    Caller,
    CallPage,
    CallQuery,
    CallRecord,
    CallSummary,
    ChecklistEntry,
    FollowUpData,
    PersonData,
    ReferralData,
    RouteData,
)
from supportline.services.call_validation import PhoneNumberError, normalise_phone, validate_call
from supportline.services.errors import ConflictError, FieldError, NotFoundError, ValidationError
from supportline.sync import changes

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
S = TypeVar("S")  # a Select of any columns
MAX_PAGE = 1000
REASON_SEPARATOR = "\n"


def split_reasons(stored: str) -> tuple[str, ...]:
    """A route's suggestion reasons as stored (one text, ``REASON_SEPARATOR`` between them)."""
    return tuple(x for x in stored.split(REASON_SEPARATOR) if x)


# --- reading ORM rows into records -----------------------------------------------------------


def _person_data(p: Person) -> PersonData:
    return PersonData(
        id=p.id,
        age_group=p.age_group,
        sex=p.sex,
        age_disputed=p.age_disputed,
        age_years=p.age_years,
        date_of_birth=p.date_of_birth,
        nationalities=tuple(n.code for n in p.nationalities),
        languages=tuple(lang.code for lang in p.languages),
        interpreter_needed=p.interpreter_needed,
        name=p.name,
        notes=p.notes,
    )


def _route_data(r: RouteAdvice) -> RouteData:
    return RouteData(
        route=r.route,
        chosen=r.chosen,
        suggested=r.suggested,
        suggestion_reasons=split_reasons(r.suggestion_reasons),
        template_id=r.template_id,
        template_hash=r.template_hash,
        adviser_id=r.adviser_id,
        advice_summary=r.advice_summary,
        checklist=tuple(
            ChecklistEntry(item_id=t.item_id, state=t.state, at=t.at, skip_reason=t.skip_reason)
            for t in r.checklist
        ),
        closed_at=r.closed_at,
    )


def _call_data(call: Call) -> CallData:
    return CallData(
        id=call.id,
        caller=Caller(
            name=call.caller_name,
            agency_type=call.caller_agency_type,
            rank=call.caller_rank,
            organisation=call.caller_organisation,
            collar_number=call.caller_collar_number,
            phone=call.caller_phone,
            email=call.caller_email,
        ),
        opened_at=call.opened_at,
        closed_at=call.closed_at,
        status=call.status,
        channel=call.channel,
        urgency=call.urgency,
        consent_level=call.consent_level,
        summary=call.summary,
        narrative=call.narrative,
        force_area=call.force_area,
        where_exploited=call.where_exploited,
        county_lines=call.county_lines,
        suspect_may_be_victim=call.suspect_may_be_victim,
        victim_at_scene=call.victim_at_scene,
        nrm_consent=call.nrm_consent,
        exploitation_types=frozenset(x.value for x in call.exploitation_types),
        indicators=frozenset(x.value for x in call.indicators),
        outcomes=frozenset(x.value for x in call.outcomes),
        persons=tuple(_person_data(p) for p in call.persons),
        routes=tuple(_route_data(r) for r in call.route_advice),
        referrals=tuple(
            ReferralData(
                id=r.id,
                target=r.target,
                organisation=r.organisation,
                reference=r.reference,
                made_at=r.made_at,
                notes=r.notes,
            )
            for r in call.referrals
        ),
        follow_ups=tuple(
            FollowUpData(
                id=f.id,
                due_at=f.due_at,
                note=f.note,
                assignee_id=f.assignee_id,
                done_at=f.done_at,
                status=f.status,
            )
            for f in call.follow_ups
        ),
        case_id=call.case_id,
    )


def _record(call: Call, handler_name: str | None = None) -> CallRecord:
    return CallRecord(
        data=_call_data(call),
        reference=call.reference,
        case_reference=call.case.reference,
        handler_id=call.handler_id,
        handler_name=call.handler.display_name if handler_name is None else handler_name,
        version=call.version,
        created_at=call.created_at,
        updated_at=call.updated_at,
        is_demo=call.is_demo,
    )


_LOAD_WHOLE_CALL = (
    selectinload(Call.case),
    selectinload(Call.handler),
    selectinload(Call.exploitation_types),
    selectinload(Call.indicators),
    selectinload(Call.outcomes),
    selectinload(Call.persons).selectinload(Person.nationalities),
    selectinload(Call.persons).selectinload(Person.languages),
    selectinload(Call.route_advice).selectinload(RouteAdvice.checklist),
    selectinload(Call.referrals),
    selectinload(Call.follow_ups),
)


def _load(session: Session, call_id: uuid.UUID) -> Call | None:
    return session.scalar(select(Call).where(Call.id == call_id).options(*_LOAD_WHOLE_CALL))


def load_records(session: Session, statement: Select[Call]) -> list[CallRecord]:
    """The whole calls ``statement`` selects (children loaded in a few queries), as records:
    for services that read many calls at once, such as exports."""
    return [_record(call) for call in session.scalars(statement.options(*_LOAD_WHOLE_CALL)).all()]


# --- reading whole calls with Core selects (exports) ----------------------------------------
#
# ``load_records`` makes an ORM instance of every row of every child table (a hundred thousand
# calls are over a million instances, each tracked by the identity map) only to copy them into
# the frozen records. ``read_records`` reads the same rows as plain tuples: the page of calls
# joined to its case and handler, then one select per child table for the page's call ids (bound
# as one parameter: supportline.db.page_ids), grouped in dicts. UUID columns are read as the
# driver returns them (page_ids.raw): keys used only to group rows (the children's call_id,
# person and route ids) are never made into ``uuid.UUID``s, the ids a record holds are made by
# :func:`_to_uuid`, each user's only once.


_ENUM_TABLES = (CallExploitationType.__table__.c, CallIndicator.__table__.c, CallOutcome.__table__.c)


_raw = page_ids.raw  # SQLite: 32 hex digits; psycopg: a UUID


_new_object = object.__new__
_set_attribute = object.__setattr__


def _as_date(value: Any) -> date | None:
    """A date column as read: a date (both drivers, through SQLAlchemy's type), or ISO text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _to_uuid(value: Any) -> uuid.UUID:
    """A UUID column read raw (``page_ids.raw``), as a UUID. psycopg returns UUIDs; SQLite the
    32 hex digits SQLAlchemy's ``Uuid`` stores, made into the UUID ``uuid.UUID(hex=value)`` makes
    (its two attributes) without its parsing of every form of UUID text, which takes twice as long."""
    if isinstance(value, uuid.UUID):
        return value
    if len(value) != 32:  # never written by SQLAlchemy: let uuid.UUID say what is wrong with it
        return uuid.UUID(hex=value)
    result: uuid.UUID = _new_object(uuid.UUID)
    _set_attribute(result, "int", int(value, 16))
    _set_attribute(result, "is_safe", uuid.SafeUUID.unknown)
    return result


class _UserIds(dict[Any, uuid.UUID]):
    """Raw user ids (a handful of users, met on every call) as UUIDs, each made once."""

    def __missing__(self, raw: Any) -> uuid.UUID:
        value = self[raw] = _to_uuid(raw)
        return value

    def optional(self, raw: Any) -> uuid.UUID | None:
        return None if raw is None else self[raw]


_PAGE_COLUMNS = (
    _raw(columns.calls.id),
    columns.calls.caller_name,
    columns.calls.caller_agency_type,
    columns.calls.caller_rank,
    columns.calls.caller_organisation,
    columns.calls.caller_collar_number,
    columns.calls.caller_phone,
    columns.calls.caller_email,
    columns.calls.opened_at,
    columns.calls.closed_at,
    columns.calls.status,
    columns.calls.channel,
    columns.calls.urgency,
    columns.calls.consent_level,
    columns.calls.summary,
    columns.calls.narrative,
    columns.calls.force_area,
    columns.calls.where_exploited,
    columns.calls.county_lines,
    columns.calls.suspect_may_be_victim,
    columns.calls.victim_at_scene,
    columns.calls.nrm_consent,
    _raw(columns.calls.case_id),
    columns.calls.reference,
    columns.cases.reference,
    _raw(columns.calls.handler_id),
    columns.users.display_name,
    columns.calls.version,
    columns.calls.created_at,
    columns.calls.updated_at,
    columns.calls.is_demo,
)


def _grouped(connection: Connection, statement: Select[Any], ids: dict[str, Any]) -> dict[Any, list[Any]]:
    """The rows of ``statement`` (a child select of :func:`child_selects`, whose first column is
    the raw key to group by) for the page's ``ids``, grouped by that key, each group in order."""
    groups: dict[Any, list[Any]] = defaultdict(list)
    for row in connection.execute(statement, ids).all():
        groups[row[0]].append(row)
    return groups


def _enum_values(table: Any, dialect: str) -> Select[Any]:
    return select(_raw(table.call_id), table.value).where(page_ids.in_page(table.call_id, dialect))


def _person_rows(dialect: str) -> Select[Any]:
    p = columns.persons
    return (
        select(
            _raw(p.call_id),
            _raw(p.id),
            p.age_group,
            p.sex,
            p.age_disputed,
            p.interpreter_needed,
            p.name,
            p.notes,
            p.age_years,
            p.date_of_birth,
        )
        .where(page_ids.in_page(p.call_id, dialect))
        .order_by(p.position, p.id)
    )


def _codes(table: Any, dialect: str) -> Select[Any]:
    """Nationality or language codes of the persons of some calls, keyed by person."""
    return (
        select(_raw(table.person_id), table.code)
        .join_from(table.person_id.table, Person.__table__, columns.persons.id == table.person_id)
        .where(page_ids.in_page(columns.persons.call_id, dialect))
        .order_by(table.position, table.code)
    )


def _route_rows(dialect: str) -> Select[Any]:
    r = columns.routes
    return (
        select(
            _raw(r.call_id),
            _raw(r.id),
            r.route,
            r.chosen,
            r.suggested,
            r.suggestion_reasons,
            r.template_id,
            r.template_hash,
            _raw(r.adviser_id),
            r.advice_summary,
            r.closed_at,
        )
        .where(page_ids.in_page(r.call_id, dialect))
        .order_by(r.position, r.id)
    )


def _tick_rows(dialect: str) -> Select[Any]:
    t = columns.ticks
    return (
        select(_raw(t.route_advice_id), t.item_id, t.state, t.at, t.skip_reason)
        .join_from(ChecklistTick.__table__, RouteAdvice.__table__, columns.routes.id == t.route_advice_id)
        .where(page_ids.in_page(columns.routes.call_id, dialect))
        .order_by(t.position, t.item_id)
    )


def _referral_rows(dialect: str) -> Select[Any]:
    r = columns.referrals
    return (
        select(_raw(r.call_id), _raw(r.id), r.target, r.organisation, r.reference, r.made_at, r.notes)
        .where(page_ids.in_page(r.call_id, dialect))
        .order_by(r.position, r.id)
    )


def _follow_up_rows(dialect: str) -> Select[Any]:
    f = columns.follow_ups
    return (
        select(_raw(f.call_id), _raw(f.id), f.due_at, f.note, _raw(f.assignee_id), f.done_at, f.status)
        .where(page_ids.in_page(f.call_id, dialect))
        .order_by(f.position, f.id)
    )


@dataclasses.dataclass(frozen=True)
class ChildSelects:
    exploitation_types: Select[Any]
    indicators: Select[Any]
    outcomes: Select[Any]
    nationalities: Select[Any]
    languages: Select[Any]
    ticks: Select[Any]
    persons: Select[Any]
    routes: Select[Any]
    referrals: Select[Any]
    follow_ups: Select[Any]


@functools.cache
def child_selects(dialect: str) -> ChildSelects:
    """The child selects of :func:`read_records` (and, run on the driver's cursor, of the CSV
    export's ``call_cells``), made once per dialect: each binds a page's ids as one parameter
    (:mod:`supportline.db.page_ids`), so it compiles once. The first column of each is the raw
    key its rows are grouped by."""
    exploitation_types, indicators, outcomes = (_enum_values(table, dialect) for table in _ENUM_TABLES)
    return ChildSelects(
        exploitation_types=exploitation_types,
        indicators=indicators,
        outcomes=outcomes,
        nationalities=_codes(columns.nationalities, dialect),
        languages=_codes(columns.languages, dialect),
        ticks=_tick_rows(dialect),
        persons=_person_rows(dialect),
        routes=_route_rows(dialect),
        referrals=_referral_rows(dialect),
        follow_ups=_follow_up_rows(dialect),
    )


def read_records(session: Session, statement: Select[Any]) -> list[CallRecord]:
    """The records :func:`load_records` gives for ``statement`` (a ``select(Call)`` whose
    conditions, order and limit are on ``calls`` alone), in its order, equal to them, read with
    Core selects in a fraction of the time: for reading many calls at once, as exports do."""
    page = (
        statement.with_only_columns(*_PAGE_COLUMNS, maintain_column_froms=False)
        .join_from(Call.__table__, Case.__table__, columns.cases.id == columns.calls.case_id)
        .join_from(Call.__table__, User.__table__, columns.users.id == columns.calls.handler_id)
    )
    connection = session.connection()  # plain rows: no ORM loading at all
    rows = connection.execute(page).all()
    if not rows:
        return []
    ids = [_to_uuid(row[0]) for row in rows]
    dialect = connection.dialect.name
    keys = page_ids.bind([row[0] for row in rows], dialect)
    selects = child_selects(dialect)
    user_ids = _UserIds()
    exploitation_types, indicators, outcomes = (
        _grouped(connection, statement, keys)
        for statement in (selects.exploitation_types, selects.indicators, selects.outcomes)
    )
    nationalities = _grouped(connection, selects.nationalities, keys)
    languages = _grouped(connection, selects.languages, keys)
    checklists = _grouped(connection, selects.ticks, keys)
    persons = {
        key: tuple(
            PersonData(
                id=_to_uuid(person_key),
                age_group=age_group,
                sex=sex,
                age_disputed=age_disputed,
                age_years=age_years,
                date_of_birth=_as_date(born),
                nationalities=tuple(n[1] for n in nationalities.get(person_key, ())),
                languages=tuple(lang[1] for lang in languages.get(person_key, ())),
                interpreter_needed=interpreter_needed,
                name=name,
                notes=notes,
            )
            for (
                _,
                person_key,
                age_group,
                sex,
                age_disputed,
                interpreter_needed,
                name,
                notes,
                age_years,
                born,
            ) in group
        )
        for key, group in _grouped(connection, selects.persons, keys).items()
    }
    routes = {
        key: tuple(
            RouteData(
                route=route,
                chosen=chosen,
                suggested=suggested,
                suggestion_reasons=split_reasons(reasons),
                template_id=template_id,
                template_hash=template_hash,
                adviser_id=user_ids.optional(adviser_id),
                advice_summary=advice_summary,
                checklist=tuple(
                    ChecklistEntry(item_id=item_id, state=state, at=at, skip_reason=skip_reason)
                    for _, item_id, state, at, skip_reason in checklists.get(route_key, ())
                ),
                closed_at=closed_at,
            )
            for (
                _,
                route_key,
                route,
                chosen,
                suggested,
                reasons,
                template_id,
                template_hash,
                adviser_id,
                advice_summary,
                closed_at,
            ) in group
        )
        for key, group in _grouped(connection, selects.routes, keys).items()
    }
    referrals = {
        key: tuple(
            ReferralData(
                id=_to_uuid(id_),
                target=target,
                organisation=organisation,
                reference=reference,
                made_at=made_at,
                notes=notes,
            )
            for _, id_, target, organisation, reference, made_at, notes in group
        )
        for key, group in _grouped(connection, selects.referrals, keys).items()
    }
    follow_ups = {
        key: tuple(
            FollowUpData(
                id=_to_uuid(id_),
                due_at=due_at,
                note=note,
                assignee_id=user_ids.optional(assignee_id),
                done_at=done_at,
                status=FollowUpStatus(status),
            )
            for _, id_, due_at, note, assignee_id, done_at, status in group
        )
        for key, group in _grouped(connection, selects.follow_ups, keys).items()
    }
    records = []
    for call_id, row in zip(ids, rows, strict=True):
        (
            key, caller_name, agency_type, rank, organisation, collar_number, phone, email, opened_at,
            closed_at, status, channel, urgency, consent_level, summary, narrative, force_area,
            where_exploited, county_lines, suspect_may_be_victim, victim_at_scene, nrm_consent, case_id,
            reference, case_reference, handler_id, handler_name, version, created_at, updated_at,
            is_demo,
        ) = row  # fmt: skip
        data = CallData(
            id=call_id,
            caller=Caller(
                name=caller_name,
                agency_type=agency_type,
                rank=rank,
                organisation=organisation,
                collar_number=collar_number,
                phone=phone,
                email=email,
            ),
            opened_at=opened_at,
            closed_at=closed_at,
            status=status,
            channel=channel,
            urgency=urgency,
            consent_level=consent_level,
            summary=summary,
            narrative=narrative,
            force_area=force_area,
            where_exploited=where_exploited,
            county_lines=county_lines,
            suspect_may_be_victim=suspect_may_be_victim,
            victim_at_scene=victim_at_scene,
            nrm_consent=nrm_consent,
            exploitation_types=frozenset(r[1] for r in exploitation_types.get(key, ())),
            indicators=frozenset(r[1] for r in indicators.get(key, ())),
            outcomes=frozenset(r[1] for r in outcomes.get(key, ())),
            persons=persons.get(key, ()),
            routes=routes.get(key, ()),
            referrals=referrals.get(key, ()),
            follow_ups=follow_ups.get(key, ()),
            case_id=_to_uuid(case_id),
        )
        records.append(
            CallRecord(
                data=data,
                reference=reference,
                case_reference=case_reference,
                handler_id=user_ids[handler_id],
                handler_name=handler_name,
                version=version,
                created_at=created_at,
                updated_at=updated_at,
                is_demo=is_demo,
            )
        )
    return records


def _exists(session: Session, call_id: uuid.UUID) -> bool:
    return session.scalar(select(Call.id).where(Call.id == call_id)) is not None


# --- writing ----------------------------------------------------------------------------------


def _sync(
    collection: list[T],
    wanted: Sequence[Any],
    key_of_row: Callable[[T], K],
    key_of_item: Callable[[Any], K],
    make: Callable[[Any], T],
    update: Callable[[T, Any, int], None],
) -> None:
    """Make ``collection`` match ``wanted`` in order, keeping rows whose key is still wanted.

    Keeping rows (rather than deleting and re-inserting) avoids primary-key churn and keeps the
    unit of work's statements to what really changed.
    """
    existing = {key_of_row(row): row for row in collection}
    result: list[T] = []
    for position, item in enumerate(wanted):
        row = existing.pop(key_of_item(item), None)
        if row is None:
            row = make(item)
        update(row, item, position)
        result.append(row)
    collection[:] = result


def _sync_values(collection: list[Any], values: Iterable[Any], factory: Callable[[Any], Any]) -> None:
    _sync(collection, sorted(values), lambda r: r.value, lambda v: v, factory, lambda _r, _v, _p: None)


def _sync_codes(collection: list[Any], codes: Sequence[str], factory: Callable[..., Any]) -> None:
    def update(row: Any, _code: str, position: int) -> None:
        row.position = position

    _sync(collection, codes, lambda r: r.code, lambda c: c, lambda c: factory(code=c), update)


def _apply(session: Session, call: Call, data: CallData, now: datetime, actor_id: uuid.UUID) -> None:
    caller = data.caller
    call.opened_at = data.opened_at
    call.closed_at = data.closed_at
    call.status = data.status
    call.channel = data.channel
    call.urgency = data.urgency
    call.consent_level = data.consent_level
    call.caller_name = caller.name
    call.caller_rank = caller.rank
    call.caller_agency_type = caller.agency_type
    call.caller_organisation = caller.organisation
    call.caller_collar_number = caller.collar_number
    call.caller_phone = caller.phone
    call.caller_email = caller.email
    call.summary = data.summary
    call.narrative = data.narrative
    call.force_area = data.force_area
    call.where_exploited = data.where_exploited
    call.county_lines = data.county_lines
    call.suspect_may_be_victim = data.suspect_may_be_victim
    call.victim_at_scene = data.victim_at_scene
    call.nrm_consent = data.nrm_consent
    call.updated_at = now  # always dirty: the version counter moves on every save

    _sync_values(call.exploitation_types, data.exploitation_types, lambda v: CallExploitationType(value=v))
    _sync_values(call.indicators, data.indicators, lambda v: CallIndicator(value=v))
    _sync_values(call.outcomes, data.outcomes, lambda v: CallOutcome(value=v))

    def make_person(p: PersonData) -> Person:
        return Person(id=p.id, case_id=call.case_id)

    def update_person(row: Person, p: PersonData, position: int) -> None:
        row.case_id = call.case_id
        row.position = position
        row.name = p.name
        row.age_group = p.age_group
        row.age_disputed = p.age_disputed
        row.age_years = p.age_years
        row.date_of_birth = p.date_of_birth
        row.sex = p.sex
        row.interpreter_needed = p.interpreter_needed
        row.notes = p.notes
        _sync_codes(row.nationalities, p.nationalities, PersonNationality)
        _sync_codes(row.languages, p.languages, PersonLanguage)

    _sync(call.persons, data.persons, lambda r: r.id, lambda p: p.id, make_person, update_person)

    def update_route(row: RouteAdvice, r: RouteData, position: int) -> None:
        row.position = position
        row.chosen = r.chosen
        row.suggested = r.suggested
        row.suggestion_reasons = REASON_SEPARATOR.join(r.suggestion_reasons)
        row.template_id = r.template_id
        row.template_hash = r.template_hash
        row.adviser_id = r.adviser_id
        row.advice_summary = r.advice_summary
        row.closed_at = r.closed_at

        def update_tick(tick: ChecklistTick, e: ChecklistEntry, pos: int) -> None:
            tick.position = pos
            tick.state = e.state
            tick.skip_reason = e.skip_reason
            tick.at = e.at

        _sync(
            row.checklist,
            r.checklist,
            lambda t: t.item_id,
            lambda e: e.item_id,
            lambda e: ChecklistTick(item_id=e.item_id),
            update_tick,
        )

    _sync(
        call.route_advice,
        data.routes,
        lambda r: r.route,
        lambda r: r.route,
        lambda r: RouteAdvice(id=uuid.uuid4(), route=r.route),
        update_route,
    )

    def update_referral(row: Referral, r: ReferralData, position: int) -> None:
        row.position = position
        row.target = r.target
        row.organisation = r.organisation
        row.reference = r.reference
        row.made_at = r.made_at
        row.notes = r.notes

    _sync(
        call.referrals,
        data.referrals,
        lambda r: r.id,
        lambda r: r.id,
        lambda r: Referral(id=r.id),
        update_referral,
    )

    _sync_follow_ups(call, data, actor_id, now)


def _sync_follow_ups(call: Call, data: CallData, actor_id: uuid.UUID, now: datetime) -> None:
    """The call's follow-ups as ``data`` lists them, by the rules of issue 14:

    * one not stored yet is booked (a callback of normal priority, by ``actor_id``; done at once
      when it comes with ``done_at``, as an import may);
    * one stored keeps what the follow-ups service made of it: a save never reopens a follow-up
      that is done (a form opened before it was completed still holds it open), and it may
      complete one (``done_at``); what was booked (due time, note, assignee) may change while it
      is not done (a done one is refused by :func:`follow_up_problems` first);
    * one stored and no longer listed is removed, unless it is done or snoozed (refused first).
    """
    stored = {row.id: row for row in call.follow_ups}
    rows: list[FollowUp] = []
    for position, f in enumerate(data.follow_ups):
        row = stored.pop(f.id, None)
        if row is None:
            row = FollowUp(
                id=f.id, due_at=f.due_at, note=f.note, assignee_id=f.assignee_id,
                kind=FollowUpKind.CALLBACK, priority=FollowUpPriority.NORMAL,
                status=FollowUpStatus.DONE if f.done_at is not None else FollowUpStatus.OPEN,
                done_at=f.done_at, done_by_id=actor_id if f.done_at is not None else None,
                created_at=now, created_by_id=actor_id, updated_at=now, updated_by_id=actor_id,
            )  # fmt: skip
        elif row.status is not FollowUpStatus.DONE:
            changed = False
            if (row.due_at, row.note) != (f.due_at, f.note):
                row.due_at, row.note = f.due_at, f.note
                changed = True
            if f.assignee_id is not None and f.assignee_id != row.assignee_id:
                row.assignee_id, row.assignee_route = f.assignee_id, None
                changed = True
            elif f.assignee_id is None and row.assignee_id is not None:
                row.assignee_id = None
                changed = True
            if f.done_at is not None:
                row.status, row.done_at, row.done_by_id = FollowUpStatus.DONE, f.done_at, actor_id
                row.snoozed_until = None
                changed = True
            if changed:
                row.updated_at, row.updated_by_id = now, actor_id
        if row.position != position:
            row.position = position
        rows.append(row)
    call.follow_ups[:] = rows


def follow_up_problems(call: Call | None, data: CallData) -> list[FieldError]:
    """What a save may not do to the call's follow-ups (see :func:`_sync_follow_ups`), and the
    outcome "follow-up booked" newly given without the follow-up itself."""
    errors: list[FieldError] = []
    stored = {row.id: row for row in call.follow_ups} if call is not None else {}
    for i, f in enumerate(data.follow_ups):
        row = stored.get(f.id)
        if row is None or row.status is not FollowUpStatus.DONE:
            continue
        if (row.due_at, row.note, row.assignee_id) != (f.due_at, f.note, f.assignee_id):
            errors.append(
                FieldError(f"follow_ups[{i}]", "this follow-up is done: what was booked stays as it was")
            )
    listed = {f.id for f in data.follow_ups}
    for row in stored.values():
        if row.id not in listed and row.status is not FollowUpStatus.OPEN:
            state = "done" if row.status is FollowUpStatus.DONE else "snoozed"
            errors.append(
                FieldError(
                    "follow_ups",
                    f"a follow-up that is {state} stays on the call (due "
                    f"{row.due_at:%Y-%m-%d %H:%M} UTC); it cannot be removed by saving the call",
                )
            )
    had = {o.value for o in call.outcomes} if call is not None else set()
    if (
        Outcome.FOLLOW_UP_BOOKED in data.outcomes
        and Outcome.FOLLOW_UP_BOOKED not in had
        and not data.follow_ups
    ):
        errors.append(
            FieldError(
                "follow_ups",
                "the outcome 'follow-up booked' needs the follow-up itself: give its due time "
                "(it is booked with the call, not typed again)",
            )
        )
    return errors


def _check_references(session: Session, data: CallData, call_case_id: uuid.UUID | None) -> None:
    errors: list[FieldError] = []
    if data.case_id is not None and session.get(Case, data.case_id) is None:
        errors.append(FieldError("case_id", "no such case"))
    hashes = {r.template_hash for r in data.routes if r.template_hash}
    if hashes:
        known = set(
            session.scalars(
                select(GuidanceVersion.content_hash).where(GuidanceVersion.content_hash.in_(hashes))
            )
        )
        for i, r in enumerate(data.routes):
            if r.template_hash and r.template_hash not in known:
                errors.append(FieldError(f"routes[{i}].template_hash", "unknown guidance version"))
        errors += _unfinished_checklists(session, data, known)
    user_ids = {r.adviser_id for r in data.routes if r.adviser_id} | {
        f.assignee_id for f in data.follow_ups if f.assignee_id
    }
    if user_ids:
        known_users = set(session.scalars(select(User.id).where(User.id.in_(user_ids))))
        for i, r in enumerate(data.routes):
            if r.adviser_id and r.adviser_id not in known_users:
                errors.append(FieldError(f"routes[{i}].adviser_id", "no such user"))
        for i, f in enumerate(data.follow_ups):
            if f.assignee_id and f.assignee_id not in known_users:
                errors.append(FieldError(f"follow_ups[{i}].assignee_id", "no such user"))
    # A person, referral or follow-up already recorded under another call belongs to that call
    # (one query; the ids are UUIDs, unique across the tables).
    owned: list[tuple[Any, str, Sequence[Any], str]] = [
        (Person, "persons", data.persons, "this person is recorded on another call"),
        (Referral, "referrals", data.referrals, "this referral is recorded on another call"),
        (FollowUp, "follow_ups", data.follow_ups, "this follow-up is recorded on another call"),
    ]
    queries = [
        select(model.id).where(model.id.in_([x.id for x in items]), model.call_id != data.id)
        for model, _name, items, _message in owned
        if items
    ]
    if queries:
        elsewhere = set(session.scalars(queries[0] if len(queries) == 1 else union_all(*queries)))
        for _model, name, items, message in owned:
            errors += [FieldError(f"{name}[{i}]", message) for i, x in enumerate(items) if x.id in elsewhere]
    if errors:
        raise ValidationError(errors)


def _unfinished_checklists(session: Session, data: CallData, known: set[str]) -> list[FieldError]:
    """A closed route must have every required item of its stored template ticked, or skipped with
    a reason (validation has already refused a skip without one)."""
    texts: dict[str, str] = {}

    def text_of(content_hash: str) -> str | None:
        if content_hash not in known:
            return None
        if content_hash not in texts:
            texts[content_hash] = session.get_one(GuidanceVersion, content_hash).text
        return texts[content_hash]

    return unfinished_checklists(data, text_of)


def unfinished_checklists(data: CallData, text_of: Callable[[str], str | None]) -> list[FieldError]:
    """The closed routes of ``data`` whose required checklist items (of the guidance text
    ``text_of(template_hash)`` gives; ``None``: not known, not checked here) are neither ticked nor
    skipped with a reason. Shared by :func:`save_call` and the import."""
    errors: list[FieldError] = []
    for i, r in enumerate(data.routes):
        if r.closed_at is None or not r.template_hash:
            continue
        text = text_of(r.template_hash)
        if text is None:
            continue
        try:
            template = provenance.parse_stored(text, r.template_id or "stored")
        except provenance.StoredGuidanceError:
            errors.append(FieldError(f"routes[{i}].template_hash", "the stored guidance cannot be read"))
            continue
        done = {
            e.item_id
            for e in r.checklist
            if e.state == ChecklistState.TICKED
            or (e.state == ChecklistState.SKIPPED and e.skip_reason.strip())
        }
        missing = [item.id for item in template.required_items if item.id not in done]
        if missing:
            errors.append(
                FieldError(
                    f"routes[{i}].checklist",
                    "before the route is closed, tick these required items or skip them with a reason: "
                    + ", ".join(missing),
                )
            )
    return errors


def _changed_fields(before: CallData, after: CallData) -> list[str]:
    """The names of what changed (never the values: the audit log holds no call content);
    the caller's details one by one, e.g. ``caller.phone``."""
    changed: list[str] = []
    for f in dataclasses.fields(CallData):
        old, new = getattr(before, f.name), getattr(after, f.name)
        if old == new:
            continue
        if f.name == "caller":
            changed += [
                f"caller.{g.name}"
                for g in dataclasses.fields(Caller)
                if getattr(old, g.name) != getattr(new, g.name)
            ]
        else:
            changed.append(f.name)
    return changed


def _check_advice_and_link(actor: Actor, call: Call | None, data: CallData) -> uuid.UUID | None:
    """Refuse (inside the save's transaction) a save that records route advice without
    ``ADVICE_WRITE`` or links the call to another case without its permission. Returns the case
    the call was in before (``None`` for a new call), for :func:`_audit_link`."""
    before = tuple(_route_data(r) for r in call.route_advice) if call is not None else ()
    if not actor.can(permissions.RULES[permissions.Action.ADVICE_RECORD].permission):
        changed = permissions.advice_changes(before, data.routes)
        if changed:
            raise permissions.refusal(
                actor, permissions.Action.ADVICE_RECORD, data.id,
                detail="this save changes " + ", ".join(changed), fields=changed,
            )  # fmt: skip
    previous = call.case_id if call is not None else None
    linking = data.case_id is not None and data.case_id != previous
    if linking and not actor.can(permissions.RULES[permissions.Action.CALL_LINK].permission):
        raise permissions.refusal(actor, permissions.Action.CALL_LINK, data.id, case_id=str(data.case_id))
    return previous


def _audit_link(
    session: Session, actor: Actor, call: Call, data: CallData, previous: uuid.UUID | None
) -> None:
    """A call saved into an existing case it was not in (``data.case_id``, given) is a combination
    of records (DPA 2018 s.62): audited with ids and references, no content."""
    if data.case_id is None or data.case_id == previous:
        return
    audit.record_many(
        session,
        [_link_event(actor, call.id, call.reference, call.case.reference, call.case_id, previous)],
    )


def _link_event(
    actor: Actor,
    call_id: uuid.UUID,
    reference: str,
    case_reference: str,
    case_id: uuid.UUID,
    previous: uuid.UUID | None,
) -> dict[str, Any]:
    """The ``call.link`` event of a call saved into case ``case_id`` (it was in ``previous``)."""
    return audit.event_row(
        actor, AuditCategory.COMBINATION, "call.link", "call", call_id,
        reference=reference, case=case_reference, case_id=str(case_id),
        previous_case_id=str(previous) if previous else "",
    )  # fmt: skip


@permissions.audits_refusals
def save_call(
    db: Database,
    actor: Actor,
    data: CallData,
    *,
    expected_version: int | None = None,
    is_demo: bool = False,
    save_id: uuid.UUID | None = None,
) -> CallRecord:
    """Create or update the call ``data.id``.

    ``expected_version`` is the version the editor opened; if somebody saved since, the edit is
    refused with :class:`ConflictError` (carrying their record). ``None`` means "a new call":
    if the UUID is already stored, that is a conflict too, never an overwrite.

    A dropped connection is retried at once, within ``db.timeouts.write_s`` in all; ``save_id``
    (a fresh one if not given; pass the same one to repeat a save yourself) makes the retry
    idempotent: a save whose commit went through but whose reply was lost is found by its id and
    not applied again. When it gives up it raises ``DatabaseUnavailableError``.
    """
    permissions.check(db, actor, permissions.Action.CALL_SAVE, data.id)
    data = validate_call(data)
    token = save_id or uuid.uuid4()
    with db.bounded(db.timeouts.write_s):
        for attempt in itertools.count(1):
            try:
                return _save_once(db, actor, data, expected_version, is_demo, token)
            except DatabaseUnavailableError as exc:
                if not exc.retryable or attempt >= SAVE_ATTEMPTS or db.time_left() < RETRY_PAUSE_S * 4:
                    raise
            except IntegrityError:
                # Two saves of one new UUID at once (a retry racing its own first try): the next
                # attempt finds the row and either recognises the save or reports the conflict.
                if attempt >= SAVE_ATTEMPTS:
                    raise
            pause = min(RETRY_PAUSE_MAX_S, RETRY_PAUSE_S * 2 ** min(attempt, 5))
            time.sleep(min(pause * (0.5 + random.random()), max(0.0, db.time_left() - 0.1)))  # noqa: S311
    raise AssertionError("unreachable")  # pragma: no cover


#: Tries of one save at most when the connection keeps dropping (the time limit usually ends
#: them first); the pause between tries doubles from RETRY_PAUSE_S up to RETRY_PAUSE_MAX_S.
SAVE_ATTEMPTS = 50
RETRY_PAUSE_S = 0.01
RETRY_PAUSE_MAX_S = 0.25


def _save_once(
    db: Database,
    actor: Actor,
    data: CallData,
    expected_version: int | None,
    is_demo: bool,
    save_id: uuid.UUID,
) -> CallRecord:
    now = datetime.now(UTC)
    try:
        with db.write() as session:
            # A new call (the usual case) skips loading the whole call graph.
            call = _load(session, data.id) if _exists(session, data.id) else None
            if call is not None and call.last_save_id == save_id:
                return _record(call)  # this very save was applied (its commit reply was lost)
            if call is None and expected_version is not None:
                raise NotFoundError(
                    "this call is no longer in the database (it may have been deleted); "
                    "save it as a new call to keep what you typed"
                )
            if call is not None and expected_version != call.version:
                theirs = _record(call)
                raise ConflictError(
                    _conflict_message(call.reference, expected_version, call.version),
                    expected_version=expected_version,
                    stored_version=call.version,
                    theirs=theirs,
                )
            _check_references(session, data, call.case_id if call else None)
            if problems := follow_up_problems(call, data):
                raise ValidationError(problems)
            previous_case = _check_advice_and_link(actor, call, data)
            if call is None:
                return _insert_new_call(session, db, actor, data, now, is_demo, save_id, previous_case)
            else:
                before = _call_data(call)
                if data.case_id is None:
                    data = dataclasses.replace(data, case_id=call.case_id)
                elif data.case_id != call.case_id:
                    call.case_id = data.case_id
                    call.case = session.get_one(Case, data.case_id)
                call.last_save_id = save_id
                _apply(session, call, data, now, actor.user_id)
                session.flush()
                record = _record(call)  # before the audit event, as for a new call
                changes.announce_call_saved(session, db, call.id, call.version)
                audit.record(
                    session, actor, AuditCategory.ALTERATION, "call.update", "call", call.id,
                    reference=call.reference, fields=_changed_fields(before, data), version=call.version,
                )  # fmt: skip
                _audit_link(session, actor, call, data, previous_case)
            return record
    except StaleDataError as exc:
        # Somebody's save committed between our read and our write: report it like any conflict.
        with db.read() as session:
            stored = _load(session, data.id)
            latest = _record(stored) if stored is not None else None
        raise ConflictError(
            _conflict_message(
                stored.reference if stored else "this call",
                expected_version,
                latest.version if latest else None,
            ),
            expected_version=expected_version,
            stored_version=latest.version if latest else None,
            theirs=latest,
        ) from exc


def _conflict_message(reference: str, expected: int | None, stored: int | None) -> str:
    if expected is None:
        return (
            f"{reference} was already saved (version {stored}) by someone else; "
            "compare their version with yours before saving again"
        )
    return (
        f"{reference} was changed by someone else since you opened it "
        f"(version {stored}, you had {expected}); compare their change with yours before saving again"
    )


def _numbered_last(db: Database) -> bool:
    """Whether a new call is numbered at the end of its transaction (PostgreSQL: the counter's
    row lock, which every new call's save waits for, is then held only for the audit event and
    the commit). SQLite's whole write transaction holds the database's one write lock anyway."""
    return not db.is_sqlite


def _insert_new_call(
    session: Session,
    db: Database,
    actor: Actor,
    data: CallData,
    now: datetime,
    is_demo: bool,
    save_id: uuid.UUID,
    previous_case: uuid.UUID | None,
) -> CallRecord:
    """Write a new call (and its new case, unless ``data.case_id`` names one) with Core INSERTs,
    the rows :func:`import_rows` makes, and its audit events; return the saved record.

    A new call has nothing to compare with, so the ORM's unit of work (sorting a dozen objects'
    dependencies, one INSERT per table, each a round trip) is not needed: on PostgreSQL every row
    goes in one statement (:func:`supportline.db.bulk.insert_rows`), then one round trip sends the change
    notification, numbers the call and its case, takes the audit chain's lock and reads its head;
    the audit events and the COMMIT follow. Every new call's save waits for the reference
    counter's row lock and every save for the audit chain's, so both are held only for the
    events' INSERT and the COMMIT (docs/performance.md, "Issue 13: load"). SQLite's write
    transaction holds its one write lock throughout, so there the numbers are allocated first.
    """
    year = data.opened_at.astimezone(db.zone).year
    late = _numbered_last(db)

    def reference(prefix: str, row_id: uuid.UUID) -> str:
        if late:
            return references.placeholder(row_id)  # numbered below, just before the audit event
        return references.format_reference(prefix, year, references.allocate(session, prefix, year))

    call_reference = reference(references.CALL_PREFIX, data.id)
    tables = Case.metadata.tables
    new_case: dict[str, Any] | None = None
    if data.case_id is None:
        case_id = uuid.uuid4()
        new_case = case_row(
            case_id, reference(references.CASE_PREFIX, case_id), data.summary[:SUMMARY_MAX], now,
            actor.user_id, is_demo=is_demo,
        )  # fmt: skip
        case_reference = new_case["reference"]
    else:
        case_id = data.case_id
        case_reference = session.get_one(Case, case_id).reference  # loaded by _check_references
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in IMPORT_TABLES}
    import_rows(
        data, reference=call_reference, case_id=case_id, handler_id=actor.user_id, now=now,
        actor_id=actor.user_id, into=rows,
    )  # fmt: skip
    rows["calls"][0].update(is_demo=is_demo, last_save_id=save_id)
    bulk.insert_rows(
        session,
        [(tables["cases"], [new_case] if new_case else []), *((tables[n], rows[n]) for n in IMPORT_TABLES)],
    )
    if late:
        statement = references.number_new_call_sql(year, data.id, case_id if new_case else None)
        row = audit_chain.run_then_hold(session, statement, before=changes.announcement_sql(data.id, 1))
        if row is None or (new_case and row[1] is None):
            raise RuntimeError(f"call {data.id} (or its new case) was not numbered")
        call_reference = str(row[0])
        if new_case:
            case_reference = str(row[1])
    events = [
        audit.event_row(
            actor,
            AuditCategory.COLLECTION,
            "call.create",
            "call",
            data.id,
            reference=call_reference,
            case=case_reference,
        )
    ]
    if data.case_id is not None:  # saved into an existing case: a combination of records
        events.append(_link_event(actor, data.id, call_reference, case_reference, case_id, previous_case))
    audit.record_many(session, events)
    stored = dataclasses.replace(
        data,
        case_id=case_id,
        routes=tuple(
            dataclasses.replace(
                r, suggestion_reasons=split_reasons(REASON_SEPARATOR.join(r.suggestion_reasons))
            )
            for r in data.routes
        ),
        follow_ups=tuple(
            dataclasses.replace(
                f, status=FollowUpStatus.DONE if f.done_at is not None else FollowUpStatus.OPEN
            )
            for f in data.follow_ups
        ),
    )
    return CallRecord(
        data=stored,
        reference=call_reference,
        case_reference=case_reference,
        handler_id=actor.user_id,
        handler_name=actor.display_name,  # the handler's row is not loaded: the actor carries it
        version=1,
        created_at=now,
        updated_at=now,
        is_demo=is_demo,
    )


def case_row(
    case_id: uuid.UUID, reference: str, title: str, now: datetime, actor_id: uuid.UUID, *, is_demo: bool
) -> dict[str, Any]:
    """The ``cases`` row of a case a new call (saved or imported) starts."""
    return {
        "id": case_id,
        "reference": reference,
        "title": title,
        "created_at": now,
        "created_by_id": actor_id,
        "is_demo": is_demo,
        "version": 1,
    }


#: The tables an imported call's rows go into, in the order they must be inserted.
IMPORT_TABLES: tuple[str, ...] = (
    "calls",
    "call_exploitation_types",
    "call_indicators",
    "call_outcomes",
    "persons",
    "person_nationalities",
    "person_languages",
    "route_advice",
    "checklist_ticks",
    "referrals",
    "follow_ups",
)


def import_rows(
    data: CallData,
    *,
    reference: str,
    case_id: uuid.UUID,
    handler_id: uuid.UUID,
    now: datetime,
    actor_id: uuid.UUID,
    into: dict[str, list[dict[str, Any]]],
) -> None:
    """Append the rows of a call read from an import file to ``into`` (by table name, for Core
    INSERTs of many calls at once): the rows :func:`save_call` writes for a new call, with the
    call's own id, reference, case and handler kept (nothing is allocated here).

    ``data`` must have passed :func:`validate_call` and the importer must have checked what
    :func:`save_call` checks against the database (users, guidance versions, ids of persons,
    referrals and follow-ups); the caller inserts, audits and commits. Follow-ups are booked
    by ``actor_id`` (the person importing), as :func:`_sync_follow_ups` books a new one.
    """
    caller = data.caller
    call_id = data.id
    into["calls"].append(
        {
            "id": call_id,
            "reference": reference,
            "case_id": case_id,
            "handler_id": handler_id,
            "opened_at": data.opened_at,
            "closed_at": data.closed_at,
            "channel": data.channel,
            "urgency": data.urgency,
            "status": data.status,
            "consent_level": data.consent_level,
            "caller_name": caller.name,
            "caller_rank": caller.rank,
            "caller_agency_type": caller.agency_type,
            "caller_organisation": caller.organisation,
            "caller_collar_number": caller.collar_number,
            "caller_phone": caller.phone,
            "caller_email": caller.email,
            "summary": data.summary,
            "narrative": data.narrative,
            "force_area": data.force_area,
            "where_exploited": data.where_exploited,
            "county_lines": data.county_lines,
            "suspect_may_be_victim": data.suspect_may_be_victim,
            "victim_at_scene": data.victim_at_scene,
            "nrm_consent": data.nrm_consent,
            "is_demo": False,
            "created_at": now,
            "updated_at": now,
            "version": 1,
            "last_save_id": None,
        }
    )
    for table, values in (
        ("call_exploitation_types", data.exploitation_types),
        ("call_indicators", data.indicators),
        ("call_outcomes", data.outcomes),
    ):
        into[table].extend({"call_id": call_id, "value": v} for v in sorted(values))
    for position, p in enumerate(data.persons):
        into["persons"].append(
            {
                "id": p.id,
                "case_id": case_id,
                "call_id": call_id,
                "position": position,
                "name": p.name,
                "age_group": p.age_group,
                "age_disputed": p.age_disputed,
                "age_years": p.age_years,
                "date_of_birth": p.date_of_birth,
                "sex": p.sex,
                "interpreter_needed": p.interpreter_needed,
                "notes": p.notes,
            }
        )
        for table, codes in (("person_nationalities", p.nationalities), ("person_languages", p.languages)):
            into[table].extend({"person_id": p.id, "code": c, "position": i} for i, c in enumerate(codes))
    for position, r in enumerate(data.routes):
        route_id = uuid.uuid4()
        into["route_advice"].append(
            {
                "id": route_id,
                "call_id": call_id,
                "route": r.route,
                "position": position,
                "suggested": r.suggested,
                "suggestion_reasons": REASON_SEPARATOR.join(r.suggestion_reasons),
                "chosen": r.chosen,
                "template_id": r.template_id,
                "template_hash": r.template_hash,
                "adviser_id": r.adviser_id,
                "advice_summary": r.advice_summary,
                "closed_at": r.closed_at,
            }
        )
        into["checklist_ticks"].extend(
            {
                "route_advice_id": route_id,
                "item_id": e.item_id,
                "position": i,
                "state": e.state,
                "skip_reason": e.skip_reason,
                "at": e.at,
            }
            for i, e in enumerate(r.checklist)
        )
    for position, f in enumerate(data.referrals):
        into["referrals"].append(
            {
                "id": f.id,
                "call_id": call_id,
                "position": position,
                "target": f.target,
                "organisation": f.organisation,
                "reference": f.reference,
                "made_at": f.made_at,
                "notes": f.notes,
            }
        )
    for position, w in enumerate(data.follow_ups):
        into["follow_ups"].append(
            {
                "id": w.id,
                "call_id": call_id,
                "position": position,
                "due_at": w.due_at,
                "assignee_id": w.assignee_id,
                "note": w.note,
                "done_at": w.done_at,
                # As _sync_follow_ups books a follow-up not stored yet: a callback of normal
                # priority by the actor, done at once when it comes with its done time.
                "done_by_id": actor_id if w.done_at is not None else None,
                "kind": FollowUpKind.CALLBACK,
                "priority": FollowUpPriority.NORMAL,
                "assignee_route": None,
                "status": FollowUpStatus.DONE if w.done_at is not None else FollowUpStatus.OPEN,
                "outcome": "",
                "snooze_reason": "",
                "snoozed_until": None,
                "created_at": now,
                "created_by_id": actor_id,
                "updated_at": now,
                "updated_by_id": actor_id,
                "version": 1,
            }
        )


def close_call(
    db: Database,
    actor: Actor,
    call_id: uuid.UUID,
    closed_at: datetime,
    *,
    expected_version: int | None = None,
) -> CallRecord:
    """Close an open call at ``closed_at`` (after it was opened)."""
    permissions.check(db, actor, permissions.Action.CALL_CLOSE, call_id)
    current = get_call(db, actor, call_id, audit_view=False)
    data = dataclasses.replace(current.data, status=CallStatus.CLOSED, closed_at=closed_at)
    return save_call(
        db, actor, data, expected_version=current.version if expected_version is None else expected_version
    )


def get_call(db: Database, actor: Actor, call_id: uuid.UUID, *, audit_view: bool = True) -> CallRecord:
    """One call, whole. Opening a record is a consultation, and is logged as one."""
    permissions.check(db, actor, permissions.Action.CALL_VIEW, call_id)
    if not audit_view:
        with db.read() as session:
            call = _load(session, call_id)
            if call is None:
                raise NotFoundError(f"no call with id {call_id}")
            return _record(call)
    with db.write() as session:
        call = _load(session, call_id)
        if call is None:
            raise NotFoundError(f"no call with id {call_id}")
        audit.record(session, actor, AuditCategory.CONSULTATION, "call.view", "call", call.id)
        return _record(call)


# --- listing and search ----------------------------------------------------------------------


def _check_page(offset: int, limit: int) -> None:
    errors = []
    if not 1 <= limit <= MAX_PAGE:
        errors.append(FieldError("limit", f"must be between 1 and {MAX_PAGE}"))
    if offset < 0:
        errors.append(FieldError("offset", "must not be negative"))
    if errors:
        raise ValidationError(errors)


def list_calls(
    db: Database, actor: Actor, query: CallQuery | None = None, *, audited: bool = True
) -> CallPage:
    """One page of the call list in the query's order (newest first by default).

    A listing shows officers' names and a text search finds personal data: both are
    consultations, audited once per listing, with its first page (``offset`` 0): the filters set
    and the number of results, the length of the text, never the text itself (see
    :func:`record_listing`). ``audited=False`` leaves that to the caller, who must then call
    :func:`record_listing` (the GUI, once a query typed as the person searches has settled; the
    command line, with the number of calls it printed).
    """
    query = query or CallQuery()
    permissions.check(db, actor, _listing_action(query))
    _check_page(query.offset, query.limit)
    search = call_search.parse(query.text)
    with db.read() as session:
        ids = call_search.page_ids(
            session, db.dialect, query, search, query.offset, query.limit + 1, zone=db.zone
        )
        rows = call_search.summaries(session, ids[: query.limit])
    if audited and query.offset == 0:
        record_listing(db, actor, query, results=len(rows))
    return CallPage(rows=tuple(rows), offset=query.offset, has_more=len(ids) > query.limit)


def _listing_action(query: CallQuery) -> permissions.Action:
    return permissions.Action.CALL_SEARCH if query.text.strip() else permissions.Action.CALL_LIST


_LISTING_FILTERS = (
    "status", "urgency", "route", "agency_type", "force_area", "handler_id", "exploitation_type",
    "outcome", "opened_hour",
)  # fmt: skip


def record_listing(db: Database, actor: Actor, query: CallQuery, *, results: int) -> None:
    """Audit one listing or text search of calls (``call.list`` or ``call.search``), in its own
    transaction: the period and the names of the other filters set, the number of results and
    the text's length; never the text or a filter's value."""
    action = _listing_action(query)
    permissions.check(db, actor, action)
    text = query.text.strip()
    details: dict[str, Any] = {
        "filters": [name for name in _LISTING_FILTERS if getattr(query, name) not in (None, "")],
        "results": results,
    }
    for name in ("opened_from", "opened_to"):
        value = getattr(query, name)
        if value is not None:
            details[name] = value.isoformat()
    if text:
        details["text_length"] = len(text)
    with db.write() as session:
        audit.record(session, actor, AuditCategory.CONSULTATION, action.value, "call", "", **details)


def record_disclosure(
    db: Database, actor: Actor, call_id: uuid.UUID, *, means: str, source: str = ""
) -> None:
    """Audit a call leaving the system other than by an export: ``means`` is "copy" (to the
    clipboard) or "print"; ``source`` names where it was copied from (the call list, its detail
    pane, the call's form…). Call it when it happens; it is refused without the permission.

    A copy may come from a new call's form before its first save: the call has its id already
    (it is saved under it), so the event names that id, with ``saved: false``. A print needs
    a saved call."""
    actions = {"copy": permissions.Action.CALL_COPY, "print": permissions.Action.CALL_PRINT}
    if means not in actions:
        raise ValidationError([FieldError("means", f"must be one of: {', '.join(actions)}")])
    action = actions[means]
    permissions.check(db, actor, action, call_id)
    details: dict[str, Any] = {"source": source} if source else {}
    with db.write() as session:
        reference = session.scalar(select(Call.reference).where(Call.id == call_id))
        if reference is None and means != "copy":
            raise NotFoundError(f"no call with id {call_id}")
        if reference is None:
            details["saved"] = False
        else:
            details["reference"] = reference
        audit.record(session, actor, AuditCategory.DISCLOSURE, action.value, "call", call_id, **details)


def count_calls(db: Database, actor: Actor, query: CallQuery | None = None) -> int:
    """How many calls the query's filters and text match (its sort and page do not matter)."""
    permissions.check(db, actor, permissions.Action.CALL_COUNT)
    query = query or CallQuery()
    with db.read() as session:
        return call_search.count(session, db.dialect, query, call_search.parse(query.text), zone=db.zone)


def earlier_calls(
    db: Database,
    actor: Actor,
    *,
    collar_number: str = "",
    phone: str = "",
    exclude_call_id: uuid.UUID | None = None,
    limit: int = 20,
) -> tuple[CallSummary, ...]:
    """The same officer's earlier calls, newest first: the collar number exactly (ignoring case)
    or the phone number (compared normalised, so any format matches). Empty input, or a phone
    number not yet complete enough to read, finds nothing. Each lookup is audited."""
    permissions.check(db, actor, permissions.Action.CALL_EARLIER)
    _check_page(0, limit)
    collar = collar_number.strip()
    try:
        number = normalise_phone(phone)
    except PhoneNumberError:
        number = ""
    if not collar and not number:
        return ()
    matches = []
    if collar:
        matches.append(call_search.collar_condition(db.dialect, collar))
    if number:
        matches.append(Call.caller_phone == number)
    statement = select(Call.id).where(or_(*matches))
    if exclude_call_id is not None:
        statement = statement.where(Call.id != exclude_call_id)
    statement = statement.order_by(Call.opened_at.desc(), Call.id.desc()).limit(limit)
    with db.read() as session:
        rows = call_search.summaries(session, list(session.scalars(statement)))
    with db.write() as session:
        audit.record(
            session, actor, AuditCategory.CONSULTATION, "call.earlier", "call", "",
            by=[name for name, given in (("collar_number", collar), ("phone", number)) if given],
            results=len(rows),
        )  # fmt: skip
    return tuple(rows)
