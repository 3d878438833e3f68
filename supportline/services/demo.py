"""Fictitious, realistic demo data: calls, cases, potential victims, and one account per role.

``generate_demo`` fills a new (or demo-only) database fast: rows are built as plain dicts and
written with bulk INSERTs, one transaction per batch, so a million calls take constant memory.
Calls are generated in time order (sorted uniform variates mapped through a time-of-day weighted
calendar), so references run in the same order as the calls were opened, as they would in use.

The same ``seed`` gives the same data (names, facts, texts); only the UUIDs differ, so a second
run with the same seed can add to the same database. Decisions that depend on the clock (is the
call still open?) never change how many random numbers are drawn, so they cannot shift the rest.
"""

from __future__ import annotations

import bisect
import secrets
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from random import Random
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from supportline.db.engine import Database
from supportline.db.models import (
    SUMMARY_MAX,
    Base,
    Call,
    CallExploitationType,
    CallIndicator,
    CallOutcome,
    Case,
    FollowUp,
    Person,
    PersonLanguage,
    PersonNationality,
    Referral,
    RotaShift,
    RouteAdvice,
    User,
)
from supportline.enums import (
    AgeGroup,
    AgencyType,
    AuditCategory,
    CallStatus,
    Channel,
    DutyRole,
    ExploitationType,
    FollowUpKind,
    FollowUpPriority,
    FollowUpStatus,
    Indicator,
    NrmConsent,
    Outcome,
    ReferralTarget,
    Role,
    Route,
    Sex,
    Urgency,
    WhereExploited,
)
from supportline.reference_data import (
    POLICE_FORCES,
    TERRITORIAL_FORCES_ENGLAND_WALES,
    country_name,
    language_name,
)
from supportline.services import accounts, audit, references
from supportline.services import demo_data as words
from supportline.services.errors import FieldError, ServiceError, ValidationError

T = TypeVar("T")
Row = dict[str, Any]

DEMO_USERS: tuple[tuple[str, str, Role], ...] = (
    ("demo-operator", "Demo Operator", Role.OPERATOR),
    ("demo-adviser", "Demo Duty Adviser", Role.ADVISER),
    ("demo-supervisor", "Demo Supervisor", Role.SUPERVISOR),
    ("demo-admin", "Demo Administrator", Role.ADMIN),
)
#: Changes whenever the same seed would give different data (the benchmarks' cached data sets are
#: keyed by it).
DATA_VERSION = 1
PERIOD = timedelta(days=365)
FOLLOW_UP_CALL_SHARE = 0.15  # calls that add to a case opened by an earlier call
RECENT_CASES = 400  # how many recent cases a follow-up call may belong to
#: (age below which, chance) that a call is still open: most recent calls are, a very few old ones too.
STILL_OPEN: tuple[tuple[timedelta, float], ...] = (
    (timedelta(hours=2), 0.8),
    (timedelta(hours=36), 0.3),
    (PERIOD * 2, 0.003),
)


class DemoRefusedError(ServiceError):
    """The database holds real (non-demo) data: demo data must never mix with it."""


@dataclass(frozen=True)
class DemoSummary:
    calls: int
    cases: int
    persons: int
    users_created: tuple[str, ...]
    seconds: float


#: A batch's transaction may take this much longer per call than one ordinary write (about ten
#: times what a loaded 2-core machine takes: 4.5 ms a call at a load of 12 on SQLite).
SECONDS_PER_CALL = 0.05


def generate_demo(
    db: Database,
    *,
    calls: int,
    password: str,
    seed: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 5000,
) -> DemoSummary:
    """Add ``calls`` fictitious calls and any missing demo account (all with ``password``).

    Refuses (:class:`DemoRefusedError`) a database holding any account, call or case that is not
    demo data. ``progress(done, total)`` is called after each committed batch. One audit event
    (``demo.generate``, with the seed actually used) records the run.
    """
    errors = list(accounts._password_errors(password))
    if isinstance(calls, bool) or not isinstance(calls, int) or calls < 0:
        errors.append(FieldError("calls", "must be a whole number, 0 or more"))
    if batch_size < 1:
        errors.append(FieldError("batch_size", "must be at least 1"))
    if errors:
        raise ValidationError(errors)
    started = time.perf_counter()
    seed = secrets.randbelow(2**31) if seed is None else seed
    with db.read() as session:
        _refuse_real_data(session)  # before spending time on hashing; checked again when writing
        missing = len(DEMO_USERS) - len(_demo_users(session))
    # One Argon2id hash for the accounts still missing: they share the one password by design,
    # and hashing (a fifth of a second each) is slower than generating a thousand calls.
    password_hash = accounts.hasher().hash(password) if missing else None
    with db.write() as session:
        _refuse_real_data(session)
        staff, created = _ensure_users(session, password, password_hash)
        audit.record(
            session, accounts.actor_for(staff.admin), AuditCategory.COLLECTION, "demo.generate", "demo", "",
            calls=calls, seed=seed, users_created=list(created),
        )  # fmt: skip
        staff_ids = _StaffIds(staff.operator.id, staff.adviser.id, staff.supervisor.id)
        _demo_rota(session, staff, datetime.now(UTC), db.zone)
    generator = _Generator(Random(seed), staff_ids, datetime.now(UTC), db.zone)
    done = cases = persons = 0
    for batch in generator.batches(calls, batch_size):
        # One batch is one transaction: its time limit grows with the batch (still a limit). The
        # ordinary write limit cut a 5,000-call batch short on a loaded 2-core machine.
        with db.bounded(db.timeouts.write_s + len(batch.calls) * SECONDS_PER_CALL), db.write() as session:
            _write(session, db.zone, batch)
        done += len(batch.calls)
        cases += len(batch.cases)
        persons += len(batch.persons)
        if progress is not None:
            progress(done, calls)
    return DemoSummary(done, cases, persons, created, time.perf_counter() - started)


# --- accounts and the refusal --------------------------------------------------------------------


def _refuse_real_data(session: Session) -> None:
    found: list[str] = []
    for model, noun in ((Call, "call"), (Case, "case"), (User, "account")):
        count = session.scalar(select(func.count()).select_from(model).where(model.is_demo.is_(False))) or 0
        if count:
            found.append(f"{count} {noun}{'' if count == 1 else 's'}")
    if found:
        listed = found[0] if len(found) == 1 else ", ".join(found[:-1]) + " and " + found[-1]
        verb = "is" if len(found) == 1 and found[0].startswith("1 ") else "are"
        raise DemoRefusedError(
            f"the database holds {listed} that {verb} not demo data; "
            "demo data goes only into a new database (or one holding nothing but demo data)"
        )


@dataclass(frozen=True)
class _Staff:
    operator: User
    adviser: User
    supervisor: User
    admin: User


@dataclass(frozen=True)
class _StaffIds:
    operator: uuid.UUID
    adviser: uuid.UUID
    supervisor: uuid.UUID


def _demo_users(session: Session) -> dict[str, User]:
    names = [username for username, _, _ in DEMO_USERS]
    return {u.username: u for u in session.scalars(select(User).where(User.username.in_(names)))}


def _ensure_users(
    session: Session, password: str, password_hash: str | None
) -> tuple[_Staff, tuple[str, ...]]:
    """The four demo accounts; existing ones are kept as they are (their password too)."""
    users = _demo_users(session)
    created: list[str] = []
    for username, display_name, role in DEMO_USERS:
        if username not in users:
            password_hash = password_hash or accounts.hasher().hash(password)
            users[username] = User(
                id=uuid.uuid4(),
                username=username,
                display_name=display_name,
                role=role,
                password_hash=password_hash,
                active=True,
                is_demo=True,
                failed_logins=0,
                created_at=datetime.now(UTC),
            )
            session.add(users[username])
            created.append(username)
    session.flush()
    return _Staff(*(users[username] for username, _, _ in DEMO_USERS)), tuple(created)


# --- the duty rota (issue 14) --------------------------------------------------------------------

#: Day and night shifts, local wall-clock times.
DEMO_DAY, DEMO_NIGHT = dt_time(7), dt_time(19)


def _demo_rota(session: Session, staff: _Staff, now: datetime, zone: ZoneInfo) -> None:
    """Last week's and this week's rota, once (a second run keeps the rota it finds): the duty
    adviser by day and the supervisor by night on every route, but nobody on Immigration at night
    (so the gap is flagged), and the supervisor as Legal's deputy by day."""
    if session.scalar(select(func.count()).select_from(RotaShift)):
        return
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday() + 7)
    rows: list[Row] = []

    def shift(route: Route, role: DutyRole, user: User, day: date, start: dt_time, end: dt_time) -> None:
        starts = datetime.combine(day, start, tzinfo=zone).astimezone(UTC)
        ends = datetime.combine(day + timedelta(days=1 if end <= start else 0), end, tzinfo=zone).astimezone(
            UTC
        )
        rows.append(
            {
                "id": uuid.uuid4(), "route": route, "role": role, "user_id": user.id, "starts_at": starts,
                "ends_at": ends, "created_at": now, "created_by_id": staff.supervisor.id, "updated_at": now,
                "updated_by_id": staff.supervisor.id, "version": 1,
            }
        )  # fmt: skip

    for offset in range(14):
        day = monday + timedelta(days=offset)
        for route in Route:
            shift(route, DutyRole.DUTY, staff.adviser, day, DEMO_DAY, DEMO_NIGHT)
            if route is not Route.IMMIGRATION:
                shift(route, DutyRole.DUTY, staff.supervisor, day, DEMO_NIGHT, DEMO_DAY)
        shift(Route.LEGAL, DutyRole.DEPUTY, staff.supervisor, day, DEMO_DAY, DEMO_NIGHT)
    session.execute(insert(_table(RotaShift)), rows)


# --- random helpers ------------------------------------------------------------------------------


class _Weighted(Generic[T]):
    """A fixed weighted choice, picked with one random number."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.items = [item for item, _ in pairs]
        self.cumulative: list[float] = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cumulative.append(total)
        self.total = total

    def pick(self, rng: Random) -> T:
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


class _Timeline:
    """Maps sorted uniforms in [0, 1) to times over the last year, weighted by local hour and weekday."""

    def __init__(self, now: datetime, zone: ZoneInfo) -> None:
        start = (now - PERIOD).replace(minute=0, second=0, microsecond=0)
        self.starts: list[datetime] = []
        self.rates: list[float] = []  # weight per second
        self.cumulative: list[float] = []
        total = 0.0
        slot = start
        span = (now - start).total_seconds()
        while slot < now:
            local = slot.astimezone(zone)
            # A slow rise over the year: the line gets better known.
            growth = 0.85 + 0.3 * (slot - start).total_seconds() / span
            rate = words.HOUR_WEIGHTS[local.hour] * words.WEEKDAY_WEIGHTS[local.weekday()] * growth
            width = (min(slot + timedelta(hours=1), now) - slot).total_seconds()
            total += rate * width
            self.starts.append(slot)
            self.rates.append(rate)
            self.cumulative.append(total)
            slot += timedelta(hours=1)
        self.total = total

    def at(self, fraction: float) -> datetime:
        target = fraction * self.total
        i = min(bisect.bisect_right(self.cumulative, target), len(self.starts) - 1)
        before = self.cumulative[i - 1] if i else 0.0
        seconds = int((target - before) / self.rates[i])
        return self.starts[i] + timedelta(seconds=seconds)

    def times(self, rng: Random, n: int) -> Iterator[datetime]:
        """``n`` times in ascending order, in constant memory (order statistics of uniforms)."""
        top = 1.0
        for k in range(n, 0, -1):
            top *= (1.0 - rng.random()) ** (1.0 / k)  # the largest of k uniforms below `top`
            yield self.at(min(1.0 - top, 1.0 - 1e-12))


# --- one batch of rows ---------------------------------------------------------------------------


@dataclass
class _Batch:
    cases: list[Row] = field(default_factory=list)
    calls: list[Row] = field(default_factory=list)
    exploitation_types: list[Row] = field(default_factory=list)
    indicators: list[Row] = field(default_factory=list)
    outcomes: list[Row] = field(default_factory=list)
    persons: list[Row] = field(default_factory=list)
    nationalities: list[Row] = field(default_factory=list)
    languages: list[Row] = field(default_factory=list)
    routes: list[Row] = field(default_factory=list)
    referrals: list[Row] = field(default_factory=list)
    follow_ups: list[Row] = field(default_factory=list)
    case_opened: list[datetime] = field(default_factory=list)  # when each new case's first call came in


def _write(session: Session, zone: ZoneInfo, batch: _Batch) -> None:
    """Allocate the batch's references (calls come in time order) and insert every row."""
    _assign_references(session, zone, batch.cases, batch.case_opened, references.CASE_PREFIX)
    _assign_references(
        session, zone, batch.calls, [c["opened_at"] for c in batch.calls], references.CALL_PREFIX
    )
    for model, rows in (
        (Case, batch.cases),
        (Call, batch.calls),
        (CallExploitationType, batch.exploitation_types),
        (CallIndicator, batch.indicators),
        (CallOutcome, batch.outcomes),
        (Person, batch.persons),
        (PersonNationality, batch.nationalities),
        (PersonLanguage, batch.languages),
        (RouteAdvice, batch.routes),
        (Referral, batch.referrals),
        (FollowUp, batch.follow_ups),
    ):
        if rows:
            # Core INSERT on the table: one executemany per table. (The ORM's bulk path leaves out
            # None values, splitting rows with and without them into many small statements.)
            session.execute(insert(_table(model)), rows)


def _table(model: type[Base]) -> Table:
    return Base.metadata.tables[model.__tablename__]


def _assign_references(
    session: Session, zone: ZoneInfo, rows: list[Row], opened: list[datetime], prefix: str
) -> None:
    """Give ``rows`` (in time order) consecutive references per year (in ``zone``) of ``opened``."""
    years = [when.astimezone(zone).year for when in opened]
    i = 0
    while i < len(rows):
        year = years[i]
        j = i
        while j < len(rows) and years[j] == year:
            j += 1
        first = references.allocate(session, prefix, year, j - i)
        for offset, row in enumerate(rows[i:j]):
            row["reference"] = references.format_reference(prefix, year, first + offset)
        i = j


# --- the generator ---------------------------------------------------------------------------------


@dataclass
class _Case:
    """The situation a case is about: a later call on the same case repeats it."""

    id: uuid.UUID
    agency: AgencyType
    caller: Row
    force_area: str
    area: str
    kind: str  # "labour", "sexual", "criminal", "county_lines", "domestic_servitude" or "other"
    main: str  # the main exploitation type's value, or "county_lines"
    topic: str  # what a general question (or a call that was not modern slavery) was about
    types: frozenset[ExploitationType]
    county_lines: bool
    where: WhereExploited
    nationality: str
    place: str
    information: bool  # a general question, not a situation
    not_ms: bool  # not modern slavery
    has_child: bool = False
    has_adult: bool = False
    foreign: bool = False


@dataclass
class _CallFacts:
    case: _Case
    follow_up: bool
    call_id: uuid.UUID
    opened: datetime
    closed: datetime | None
    end: datetime  # closed_at, or now for an open call: nothing on the call happens later
    urgency: Urgency
    agency: AgencyType
    caller: Row
    persons: int = 0
    disputed: bool = False
    who: str = ""
    languages: set[str] = field(default_factory=set)


class _Generator:
    def __init__(self, rng: Random, staff: _StaffIds, now: datetime, zone: ZoneInfo) -> None:
        self.rng = rng
        self.staff = staff
        self.now = now
        self.timeline = _Timeline(now, zone)
        self.recent: deque[_Case] = deque(maxlen=RECENT_CASES)
        forces = [(f, words.FORCE_WEIGHTS.get(f, words.DEFAULT_FORCE_WEIGHT)) for f in POLICE_FORCES]
        self.forces = _Weighted(forces)
        self.territorial = _Weighted([(f, w) for f, w in forces if f in TERRITORIAL_FORCES_ENGLAND_WALES])
        self.agencies = _Weighted(words.AGENCIES)
        self.urgencies = _Weighted(words.URGENCIES)
        self.types = _Weighted(words.EXPLOITATION)
        self.ranks = _Weighted(words.POLICE_RANKS)
        self.caller_backgrounds = _Weighted(words.CALLER_BACKGROUNDS)
        self.gb_backgrounds = _Weighted(words.GB_BACKGROUNDS)
        self.nationalities = {kind: _Weighted(mix) for kind, mix in words.NATIONALITY_MIX.items()}
        self.channels = _Weighted(words.CHANNELS)
        self.consent = _Weighted(words.CONSENT)
        self.consent_private = _Weighted(words.CONSENT_PRIVATE_CALLER)
        self.where = _Weighted(words.WHERE_EXPLOITED)
        self.person_counts = _Weighted(words.PERSON_COUNTS)
        self.areas: dict[str, list[str]] = {}
        for area, force in words.LOCAL_AREAS:
            self.areas.setdefault(force, []).append(area)
        self.handlers = _Weighted([(staff.operator, 60.0), (staff.adviser, 28.0), (staff.supervisor, 12.0)])

    def batches(self, calls: int, batch_size: int) -> Iterator[_Batch]:
        batch = _Batch()
        for opened in self.timeline.times(self.rng, calls):
            self.call(batch, opened)
            if len(batch.calls) >= batch_size:
                yield batch
                batch = _Batch()
        if batch.calls:
            yield batch

    # -- small helpers --

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def choice(self, items: Sequence[T]) -> T:
        return items[int(self.rng.random() * len(items))]

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        return self.rng.sample(items, min(k, len(items)))

    def name(self, background: str, female: bool, *, surname: bool = True) -> str:
        firsts_f, firsts_m, lasts = words.NAMES[background]
        first = self.choice(firsts_f if female else firsts_m)
        if not surname:
            return first
        if self.chance(0.1):  # families mix: now and then a surname from another background
            lasts = words.NAMES[self.caller_backgrounds.pick(self.rng)][2]
        return f"{first} {self.choice(lasts)}"

    # -- one call --

    def call(self, batch: _Batch, opened: datetime) -> None:
        rng = self.rng
        # Drawn first and always: whether a call is still open depends on the clock, and must not
        # change how many numbers are drawn (the same seed gives the same data whenever it runs).
        duration = timedelta(seconds=rng.randint(5 * 60, 60 * 60))
        saved = min(opened + timedelta(seconds=rng.randint(30, 240)), self.now)
        open_roll = rng.random()
        age = self.now - opened
        left_open = open_roll < next(p for limit, p in STILL_OPEN if age < limit)
        closed = None if left_open or opened + duration > self.now else opened + duration
        urgency = self.urgencies.pick(rng)
        handler = self.handlers.pick(rng)

        case = self.earlier_case()
        if case is None:
            facts = self.new_case_facts(opened, closed, urgency)
        else:
            facts = self.follow_up_facts(case, opened, closed, urgency)
        groups = self.persons(batch, facts)
        nrm_consent = self.nrm_consent(facts, groups)
        indicators = self.indicators(facts)
        routes = self.routes(facts)
        outcomes = self.outcomes(facts, routes, nrm_consent)
        self.referrals(batch, facts, outcomes)
        self.follow_ups(batch, facts, outcomes, handler, saved)
        summary = self.summary(facts)[:SUMMARY_MAX]
        narrative = self.narrative(facts, indicators, routes, outcomes)
        channel = self.channels.pick(rng)
        private = facts.agency in _PRIVATE_CALLERS
        consent = (self.consent_private if private else self.consent).pick(rng)

        if not facts.follow_up:
            batch.cases.append(
                {
                    "id": facts.case.id,
                    "title": summary,
                    "created_at": saved,
                    "created_by_id": handler,
                    "is_demo": True,
                    "version": 1,
                }
            )
            batch.case_opened.append(opened)
        caller = facts.caller
        if channel is Channel.EMAIL and not caller["caller_email"]:
            caller = {**caller, "caller_email": "enquiries@" + self.choice(words.EMAIL_DOMAINS)}
        batch.calls.append(
            {
                "id": facts.call_id,
                "case_id": facts.case.id,
                "handler_id": handler,
                "opened_at": opened,
                "closed_at": closed,
                "channel": channel,
                "urgency": urgency,
                "status": CallStatus.OPEN if closed is None else CallStatus.CLOSED,
                "consent_level": consent,
                **caller,
                "caller_agency_type": facts.agency,
                "summary": summary,
                "narrative": narrative,
                "force_area": facts.case.force_area,
                "where_exploited": facts.case.where,
                "county_lines": facts.case.county_lines,
                "nrm_consent": nrm_consent,
                "is_demo": True,
                "created_at": saved,
                "updated_at": closed or saved,
                "version": 1,
            }
        )
        call_id = facts.call_id
        batch.exploitation_types.extend({"call_id": call_id, "value": t} for t in sorted(facts.case.types))
        batch.indicators.extend({"call_id": call_id, "value": i} for i in sorted(indicators))
        batch.outcomes.extend({"call_id": call_id, "value": o} for o in sorted(outcomes))
        for position, (route, reasons) in enumerate(routes):
            batch.routes.append(
                {
                    "id": uuid.uuid4(),
                    "call_id": call_id,
                    "route": route,
                    "position": position,
                    "suggested": bool(reasons),
                    "suggestion_reasons": "\n".join(reasons),
                    "chosen": True,
                    "template_id": "",
                    "template_hash": None,
                    "adviser_id": self.staff.adviser if self.chance(0.75) else self.staff.supervisor,
                    "advice_summary": self.advice(facts, route),
                    "closed_at": closed,
                }
            )

    def advice(self, facts: _CallFacts, route: Route) -> str:
        """One or two lines of advice that fit the facts of the call."""
        case = facts.case
        facts_known = {
            "",
            "child" if case.has_child else "",
            "adult" if case.has_adult else "",
            "foreign" if case.foreign else "",
            "disputed" if facts.disputed else "",
            "suspect" if case.kind in ("criminal", "county_lines") else "",
        }
        lines = [text for needs, text in words.ROUTE_ADVICE[route] if needs in facts_known]
        lines = lines or [text for _, text in words.ROUTE_ADVICE[route]]
        return " ".join(self.sample(lines, self.rng.randint(1, 2)))

    def earlier_case(self) -> _Case | None:
        """Now and then a call adds to a recent case (more often a very recent one)."""
        if not self.recent or not self.chance(FOLLOW_UP_CALL_SHARE):
            return None
        back = min(int(self.rng.expovariate(1 / 40)), len(self.recent) - 1)
        return self.recent[-1 - back]

    def caller(self, agency: AgencyType, force: str = "") -> tuple[Row, str, str]:
        """The caller's columns, the force area of the call and a local authority area."""
        rng = self.rng
        female = self.chance(0.45 if agency is AgencyType.POLICE else 0.65)
        name = self.name(self.caller_backgrounds.pick(rng), female)
        collar = ""
        if agency is AgencyType.POLICE:
            organisation = force or self.forces.pick(rng)
            rank = self.ranks.pick(rng)
            if rank != "Civilian investigator":
                collar = str(rng.randint(100, 29999))
            # British Transport Police work on the railways across every territorial force's area.
            transport = organisation == "British Transport Police"
            force_area = self.territorial.pick(rng) if transport else organisation
            area = self.area_in(force_area)
        else:
            organisations, titles = words.ORGANISATIONS[agency]
            template, rank = self.choice(organisations), self.choice(titles)
            if "{area}" in template:  # a local service: the force is the one covering it
                area, force_area = self.choice(words.LOCAL_AREAS)
            else:
                force_area = self.territorial.pick(rng)
                area = self.area_in(force_area)
            organisation = template.format(area=area)
        private = agency in _PRIVATE_CALLERS
        if private and self.chance(0.5):
            name = "Anonymous caller"
        phone = f"+447700900{rng.randrange(1000):03d}" if self.chance(0.93) else ""
        email = ""
        if not private and self.chance(0.6):
            local = ".".join("".join(ch for ch in part if ch.isalnum()) for part in name.lower().split())
            email = f"{local}@{self.choice(words.EMAIL_DOMAINS)}"
        row = {
            "caller_name": name,
            "caller_rank": rank,
            "caller_organisation": organisation,
            "caller_collar_number": collar,
            "caller_phone": phone,
            "caller_email": email,
        }
        return row, force_area, area

    def area_in(self, force: str) -> str:
        """A local authority area the force covers (named after the force when none is listed)."""
        areas = self.areas.get(force)
        if areas:
            return self.choice(areas)
        for affix in (" Constabulary", " Police Service", " Police", "Police Service of ", "Police "):
            force = force.replace(affix, "")
        return force

    def new_case_facts(self, opened: datetime, closed: datetime | None, urgency: Urgency) -> _CallFacts:
        rng = self.rng
        agency = self.agencies.pick(rng)
        caller, force_area, area = self.caller(agency)
        information = urgency is Urgency.INFORMATION and self.chance(0.7)
        not_ms = not information and self.chance(0.05 if agency is AgencyType.POLICE else 0.12)
        labour_agency = agency in (AgencyType.GLAA, AgencyType.HMRC)
        main = ExploitationType.LABOUR if labour_agency else self.types.pick(rng)
        types = {main}
        if main in words.SECOND_TYPE and self.chance(0.15):
            types.add(self.choice(words.SECOND_TYPE[main]))
        county_lines = main is ExploitationType.CRIMINAL and self.chance(0.55)
        kind = "county_lines" if county_lines else main.value if main.value in words.PLACES else "other"
        where = self.where.pick(rng)
        nationality = self.nationalities.get(kind, self.nationalities["other"]).pick(rng)
        if nationality == "GB" and where is WhereExploited.OVERSEAS:
            where = WhereExploited.UK
        topic = ""
        if information or not_ms:
            types, county_lines, where = set(), False, WhereExploited.UNKNOWN
            topic = self.choice(words.INFORMATION_TOPICS if information else words.NOT_MODERN_SLAVERY)
        case = _Case(
            id=uuid.uuid4(), agency=agency, caller=caller, force_area=force_area, area=area, kind=kind,
            main="county_lines" if county_lines else main.value, topic=topic, types=frozenset(types),
            county_lines=county_lines, where=where, nationality=nationality,
            place=self.choice(words.PLACES[kind]), information=information, not_ms=not_ms,
        )  # fmt: skip
        if not (information or not_ms):
            self.recent.append(case)
        end = closed or self.now
        return _CallFacts(case, False, uuid.uuid4(), opened, closed, end, urgency, agency, caller)

    def follow_up_facts(
        self, case: _Case, opened: datetime, closed: datetime | None, urgency: Urgency
    ) -> _CallFacts:
        """The same caller calling back, or an officer taking the case on."""
        if self.chance(0.6):
            agency, caller = case.agency, case.caller
        else:
            agency, caller = AgencyType.POLICE, self.caller(AgencyType.POLICE, case.force_area)[0]
        if urgency is Urgency.INFORMATION:
            urgency = Urgency.ROUTINE
        end = closed or self.now
        return _CallFacts(case, True, uuid.uuid4(), opened, closed, end, urgency, agency, caller)

    def persons(self, batch: _Batch, facts: _CallFacts) -> list[AgeGroup]:
        rng, case = self.rng, facts.case
        if facts.follow_up:
            count = 1 if self.chance(0.3) else 0
        elif case.information:
            count = 0
        elif case.not_ms:
            count = 1 if self.chance(0.2) else 0
        else:
            count = self.person_counts.pick(rng)
        groups: list[AgeGroup] = []
        nationalities: set[str] = set()
        child_share = words.CHILD_SHARE.get(case.kind, words.DEFAULT_CHILD_SHARE)
        female_share = words.FEMALE_SHARE.get(case.kind, words.DEFAULT_FEMALE_SHARE)
        for position in range(count):
            person_id = uuid.uuid4()
            nationality = case.nationality if self.chance(0.8) else self.nationalities["other"].pick(rng)
            codes = [nationality]
            if self.chance(0.07):
                second = self.nationalities["other"].pick(rng)
                if second != nationality:
                    codes.append(second)
            background, spoken = words.NATIONALITIES[nationality]
            languages = [spoken[0] if self.chance(0.7) else self.choice(spoken)]
            if languages[0] != "eng" and self.chance(0.3):
                languages.append("eng")
            interpreter = languages[0] != "eng" and self.chance(0.85)
            roll = rng.random()
            disputed = nationality != "GB" and roll < 0.08
            if disputed:  # says they are a child, or nobody knows: treated as a child either way
                age = AgeGroup.CHILD if roll < 0.055 else AgeGroup.UNKNOWN
            elif roll > 0.95:
                age = AgeGroup.UNKNOWN
            else:
                age = AgeGroup.CHILD if self.chance(child_share) else AgeGroup.ADULT
            roll = rng.random()
            sex = Sex.FEMALE if roll < female_share else Sex.MALE
            if roll > 0.97:
                sex = Sex.UNKNOWN if roll > 0.975 else Sex.OTHER
            if nationality == "GB":
                background = self.gb_backgrounds.pick(rng)
            name = self.name(background, sex is Sex.FEMALE, surname=False) if self.chance(0.45) else ""
            batch.persons.append(
                {
                    "id": person_id,
                    "case_id": case.id,
                    "call_id": facts.call_id,
                    "position": position,
                    "name": name,
                    "age_group": age,
                    "age_disputed": disputed,
                    "sex": sex,
                    "interpreter_needed": interpreter,
                    "notes": self.choice(words.PERSON_NOTES) if self.chance(0.3) else "",
                }
            )
            for table, values in ((batch.nationalities, codes), (batch.languages, languages)):
                table.extend({"person_id": person_id, "code": c, "position": i} for i, c in enumerate(values))
            groups.append(age)
            nationalities.update(codes)
            if interpreter:
                facts.languages.add(languages[0])
            facts.disputed = facts.disputed or disputed
        facts.persons = count
        case.has_child = case.has_child or AgeGroup.CHILD in groups or facts.disputed
        case.has_adult = case.has_adult or AgeGroup.ADULT in groups
        case.foreign = case.foreign or any(code != "GB" for code in nationalities)
        if groups:
            facts.who = _describe(groups, sorted(nationalities))
        else:
            facts.who = "no new potential victims" if facts.follow_up else "none identified yet"
        return groups

    def nrm_consent(self, facts: _CallFacts, groups: list[AgeGroup]) -> NrmConsent | None:
        """A child (or age disputed) needs no consent; an adult consents or declines (duty to notify)."""
        roll = self.rng.random()
        if not groups or facts.case.information or facts.case.not_ms:
            return None
        if AgeGroup.ADULT not in groups:
            return NrmConsent.NOT_APPLICABLE
        return NrmConsent.CONSENTS if roll < 0.62 else NrmConsent.DECLINES if roll < 0.9 else None

    def indicators(self, facts: _CallFacts) -> set[Indicator]:
        case = facts.case
        if case.not_ms:
            return set()
        kind = "criminal" if case.kind == "county_lines" else case.kind
        typical = words.INDICATORS.get(kind, words.INDICATORS["other"])
        chosen = set(
            self.sample(typical, self.rng.randint(0, 1) if case.information else self.rng.randint(1, 4))
        )
        if self.chance(0.15):
            chosen.add(self.choice(_ALL_INDICATORS))
        return chosen

    def routes(self, facts: _CallFacts) -> list[tuple[Route, list[str]]]:
        """1-3 routes, each with the facts that suggested it (child → victim, foreign → immigration …)."""
        r, case = words.ROUTE_REASONS, facts.case
        rules: dict[Route, tuple[tuple[bool, float, str], ...]] = {
            Route.TACTICAL: (
                (facts.urgency is Urgency.CRISIS, 0.95, r["crisis"]),
                (facts.agency is AgencyType.POLICE and facts.urgency is Urgency.URGENT, 0.6, r["police"]),
                (facts.persons > 0 and not case.information, 0.35, r["scene"]),
            ),
            Route.IMMIGRATION: ((case.foreign, 0.7, r["foreign"]), (facts.disputed, 0.9, r["disputed"])),
            Route.VICTIM: ((case.has_child, 1.0, r["child"]), (case.has_adult, 0.6, r["victim"])),
            Route.LEGAL: (
                (case.kind in ("criminal", "county_lines") and not case.information, 0.35, r["suspect"]),
                (facts.agency is AgencyType.CPS, 0.9, r["cps"]),
                (case.information, 0.45, r["law"]),
            ),
        }
        scored: list[tuple[float, Route, list[str]]] = []
        for route, checks in rules.items():
            reasons = [reason for applies, p, reason in checks if applies and self.chance(p)]
            if reasons:
                must = route is Route.VICTIM and case.has_child  # a child always gets victim advice
                scored.append((len(reasons) + self.rng.random() + 10 * must, route, reasons))
        if not scored:
            fallback = Route.LEGAL if case.information else Route.VICTIM if case.not_ms else Route.TACTICAL
            scored.append((0.0, fallback, []))
        scored.sort(key=lambda s: s[0], reverse=True)
        return [(route, reasons) for _, route, reasons in scored[:3]]

    def outcomes(
        self, facts: _CallFacts, routes: list[tuple[Route, list[str]]], nrm: NrmConsent | None
    ) -> set[Outcome]:
        chance, case = self.chance, facts.case
        out: set[Outcome] = set()
        if case.not_ms:
            out.add(Outcome.NOT_MODERN_SLAVERY)
            if chance(0.6):
                out.add(Outcome.SIGNPOSTED)
            return out
        chosen = {route for route, _ in routes}
        victims = facts.persons > 0
        possible: tuple[tuple[bool, float, Outcome], ...] = (
            (victims and case.has_child, 0.75, Outcome.CHILDRENS_SERVICES_REFERRAL),
            (victims and case.has_child, 0.35, Outcome.CHILD_TRAFFICKING_GUARDIAN),
            (nrm is NrmConsent.CONSENTS, 0.45, Outcome.SUPPORT_PROVIDER_REFERRAL),
            (nrm is NrmConsent.DECLINES, 1.0, Outcome.DTN_ADVISED),
            (victims and case.has_adult, 0.1, Outcome.ADULT_SAFEGUARDING_REFERRAL),
            (victims, 0.45 if facts.agency is AgencyType.POLICE else 0.3, Outcome.CRIME_RECORDED),
            (Route.IMMIGRATION in chosen, 0.35, Outcome.IMMIGRATION_LIAISON),
            (Route.LEGAL in chosen and not case.information, 0.2, Outcome.CPS_COMPLEX_CASEWORK),
            (facts.urgency is Urgency.CRISIS, 0.4, Outcome.TACTICAL_ADVISER_DEPLOYED),
            (not case.information, 0.25, Outcome.INTELLIGENCE_SUBMITTED),
            (
                True,
                0.3 if facts.urgency in (Urgency.CRISIS, Urgency.URGENT) else 0.12,
                Outcome.FOLLOW_UP_BOOKED,
            ),
            (case.information, 0.2, Outcome.SIGNPOSTED),
        )
        out.update(outcome for applies, p, outcome in possible if applies and chance(p))
        if (victims and case.has_child) or nrm is NrmConsent.CONSENTS:
            out.add(Outcome.NRM_MADE if chance(0.4) else Outcome.NRM_ADVISED)
        if not out or case.information:
            out.add(Outcome.ADVICE_ONLY)
        return out

    def referrals(self, batch: _Batch, facts: _CallFacts, outcomes: set[Outcome]) -> None:
        """Most onward referrals are recorded with a row of their own."""
        position = 0
        for outcome, target, organisation in words.REFERRALS:
            if outcome not in outcomes or not self.chance(0.8):
                continue
            made = min(facts.opened + timedelta(minutes=self.rng.randint(3, 50)), facts.end)
            number = self.rng.randrange(1_000_000)
            if target is ReferralTarget.SUPPORT_PROVIDER and number % 5 == 0:
                organisation = "Migrant Help"
            reference = {ReferralTarget.NRM: "NRM", ReferralTarget.POLICE: "CRIME"}.get(target)
            batch.referrals.append(
                {
                    "id": uuid.uuid4(),
                    "call_id": facts.call_id,
                    "position": position,
                    "target": target,
                    "organisation": organisation.format(area=facts.case.area, force=facts.case.force_area),
                    "reference": f"{reference}-DEMO-{number:06d}" if reference else "",
                    # A duty-to-notify report is often left to the caller to make after the call.
                    "made_at": None if target is ReferralTarget.DUTY_TO_NOTIFY and number % 2 else made,
                    "notes": "",
                }
            )
            position += 1

    def follow_ups(
        self, batch: _Batch, facts: _CallFacts, outcomes: set[Outcome], handler: uuid.UUID, saved: datetime
    ) -> None:
        if Outcome.FOLLOW_UP_BOOKED not in outcomes:
            return
        due = facts.opened + timedelta(hours=self.choice(words.FOLLOW_UP_HOURS))
        done = max(due + timedelta(minutes=self.rng.randint(-60, 600)), facts.opened)
        assignee = self.staff.adviser if self.chance(0.7) else self.staff.supervisor
        is_done = facts.closed is not None and done <= self.now
        # Kind and priority follow from the call (no more random numbers: the same seed gives
        # the same data as before issue 14).
        referred = outcomes & {
            Outcome.NRM_MADE,
            Outcome.CHILDRENS_SERVICES_REFERRAL,
            Outcome.SUPPORT_PROVIDER_REFERRAL,
        }
        batch.follow_ups.append(
            {
                "id": uuid.uuid4(),
                "call_id": facts.call_id,
                "position": 0,
                "due_at": due,
                "assignee_id": assignee,
                "note": self.choice(words.FOLLOW_UP_NOTES),
                "done_at": done if is_done else None,
                "done_by_id": assignee if is_done else None,
                "kind": FollowUpKind.CHASE_REFERRAL if referred else FollowUpKind.CALLBACK,
                "priority": (
                    FollowUpPriority.HIGH
                    if facts.urgency in (Urgency.CRISIS, Urgency.URGENT)
                    else FollowUpPriority.NORMAL
                ),
                "assignee_route": None,
                "status": FollowUpStatus.DONE if is_done else FollowUpStatus.OPEN,
                "outcome": "Called back; nothing further needed." if is_done else "",
                "snooze_reason": "",
                "snoozed_until": None,
                "created_at": saved,
                "created_by_id": handler,
                "updated_at": done if is_done else saved,
                "updated_by_id": assignee if is_done else handler,
                "version": 2 if is_done else 1,
            }
        )

    def summary(self, facts: _CallFacts) -> str:
        case = facts.case
        if case.information:
            return "General query: " + case.topic
        if case.not_ms:
            return "Not modern slavery: " + case.topic
        phrase = words.TYPE_PHRASES[case.main]
        template = self.choice(words.FOLLOW_UP_SUMMARIES if facts.follow_up else words.SUMMARIES)
        return template.format(
            type=phrase, Type=phrase[0].upper() + phrase[1:], place=case.place,
            who=facts.who, Who=facts.who[0].upper() + facts.who[1:],
        )  # fmt: skip

    def narrative(
        self,
        facts: _CallFacts,
        indicators: set[Indicator],
        routes: list[tuple[Route, list[str]]],
        outcomes: set[Outcome],
    ) -> str:
        case, caller = facts.case, facts.caller
        who = f"{caller['caller_rank']} {caller['caller_name']}".strip()
        org = caller["caller_organisation"] or "member of the public"
        area = f" in the {case.force_area} area"
        if case.information:
            parts = [f"{who} ({org}) asked about {case.topic}."]
        elif case.not_ms:
            parts = [f"{who} ({org}) described {case.topic}{area}."]
            parts.append("No indicators of modern slavery; signposted to the right service.")
        else:
            about = "called back about" if facts.follow_up else "called about"
            parts = [f"{who} ({org}) {about} {words.TYPE_PHRASES[case.main]} at {case.place}{area}."]
            parts.append(self.choice(words.SITUATIONS.get(case.kind, words.SITUATIONS["other"])))
            parts.append(f"Potential victims on this call: {facts.who}.")
            if facts.languages:
                parts.append(
                    f"Interpreter needed ({', '.join(language_name(c) for c in sorted(facts.languages))})."
                )
        if indicators:
            parts.append("Indicators: " + ", ".join(i.label.lower() for i in sorted(indicators)) + ".")
        parts.append("Routes: " + ", ".join(route.label.lower() for route, _ in routes) + ".")
        parts.append("Outcome: " + "; ".join(o.label for o in sorted(outcomes)) + ".")
        parts.append(self.choice(words.CLOSINGS_INFORMATION if case.information else words.CLOSINGS))
        return " ".join(parts)


def _describe(groups: list[AgeGroup], nationalities: list[str]) -> str:
    """For example 'one adult and two children (Albania, United Kingdom)'."""
    parts = []
    for group, singular, plural in (
        (AgeGroup.ADULT, "adult", "adults"),
        (AgeGroup.CHILD, "child", "children"),
        (AgeGroup.UNKNOWN, "person of unknown age", "people of unknown age"),
    ):
        n = groups.count(group)
        if n:
            parts.append(f"{words.COUNT_WORDS[n]} {singular if n == 1 else plural}")
    return f"{' and '.join(parts)} ({', '.join(country_name(code) for code in nationalities)})"


_PRIVATE_CALLERS = frozenset({AgencyType.PUBLIC, AgencyType.POTENTIAL_VICTIM})
_ALL_INDICATORS = tuple(Indicator)
_PRESSING = frozenset({Urgency.CRISIS, Urgency.URGENT})
