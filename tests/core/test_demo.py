"""The demo data generator: fictitious, valid for the services, repeatable, and never mixed with real data."""

from __future__ import annotations

import dataclasses
import re
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from supportline.db import Database, create_database
from supportline.db.models import (
    AuditEvent,
    Call,
    CallExploitationType,
    Case,
    Person,
    PersonLanguage,
    PersonNationality,
    RouteAdvice,
    User,
)
from supportline.enums import (
    AgeGroup,
    AgencyType,
    AuditCategory,
    CallStatus,
    NrmConsent,
    Role,
    Route,
    Urgency,
)
from supportline.reference_data import language_codes, nationality_codes
from supportline.services import accounts, audit, calls
from supportline.services.actor import Actor
from supportline.services.call_validation import validate_call
from supportline.services.demo import DEMO_USERS, DemoRefusedError, generate_demo
from supportline.services.errors import ValidationError
from tests.factories import PASSWORD, full_call, make_admin

DEMO_PASSWORD = "demo password 2026"
REFERENCE = re.compile(r"SL-(\d{4})-(\d{6})")
CASE_REFERENCE = re.compile(r"CASE-\d{4}-\d{6}")
DRAMA_PHONE = re.compile(r"\+447700900\d{3}")
EXAMPLE_EMAIL = re.compile(r"[a-z0-9.]+@example\.(org|com|net)")


def _count(db: Database, model: type, *where: object) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


@pytest.fixture
def another_sqlite_db(_sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A second fresh SQLite database, to compare two runs."""
    path = tmp_path / "second.db"
    shutil.copyfile(_sqlite_template, path)
    db = create_database(f"sqlite:///{path}")
    yield db
    db.dispose()


def _content(db: Database) -> list[tuple[object, ...]]:
    """What the same seed must reproduce: everything but UUIDs and clock-relative times."""
    with db.read() as session:
        rows = session.execute(
            select(
                Call.reference, Call.caller_name, Call.caller_rank, Call.caller_organisation,
                Call.caller_phone, Call.caller_email, Call.urgency, Call.summary, Call.narrative,
                Call.force_area, Call.nrm_consent,
            ).order_by(Call.reference)
        ).all()  # fmt: skip
        people = session.execute(
            select(Call.reference, Person.position, Person.name, Person.age_group, Person.sex)
            .join(Person, Person.call_id == Call.id)
            .order_by(Call.reference, Person.position)
        ).all()
    return [tuple(r) for r in rows] + [tuple(p) for p in people]


# --- what a run writes -------------------------------------------------------------------------


def test_generates_the_calls_the_cases_and_the_demo_accounts(db: Database) -> None:
    reported: list[tuple[int, int]] = []
    summary = generate_demo(
        db, calls=120, password=DEMO_PASSWORD, seed=11, batch_size=50,
        progress=lambda done, total: reported.append((done, total)),
    )  # fmt: skip
    assert summary.calls == 120 == _count(db, Call)
    assert reported == [(50, 120), (100, 120), (120, 120)]
    assert summary.cases == _count(db, Case) and 60 < summary.cases < 120  # some cases span several calls
    assert summary.persons == _count(db, Person) > 60
    assert summary.users_created == tuple(name for name, _, _ in DEMO_USERS)
    assert summary.seconds > 0
    assert 120 <= _count(db, RouteAdvice) <= 360
    assert _count(db, Call, Call.is_demo.is_(False)) == 0
    assert _count(db, Case, Case.is_demo.is_(False)) == 0

    with db.read() as session:
        rows = session.execute(
            select(Call.reference, Call.opened_at).order_by(Call.opened_at, Call.reference)
        ).all()
        case_refs = session.scalars(select(Case.reference)).all()
    references = [r for r, _ in rows]
    assert len(set(references)) == 120
    assert all(CASE_REFERENCE.fullmatch(r) for r in case_refs) and len(set(case_refs)) == len(case_refs)
    for reference, opened_at in rows:
        match = REFERENCE.fullmatch(reference)
        assert match, reference
        assert int(match[1]) == opened_at.astimezone(db.zone).year  # the year the call was opened
    # Numbers run in the order the calls came in, as they do when calls are saved one by one.
    numbers = [(int(m[1]), int(m[2])) for m in (REFERENCE.fullmatch(r) for r in references) if m]
    assert numbers == sorted(numbers)


def test_demo_accounts_have_their_roles_and_sign_in(db: Database) -> None:
    generate_demo(db, calls=3, password=DEMO_PASSWORD, seed=1)
    with db.read() as session:
        users = {u.username: u for u in session.scalars(select(User))}
    assert set(users) == {"demo-operator", "demo-adviser", "demo-supervisor", "demo-admin"}
    for username, display_name, role in DEMO_USERS:
        user = users[username]
        assert (user.role, user.display_name, user.is_demo, user.active) == (role, display_name, True, True)
        assert user.password_hash.startswith("$argon2id$")
        actor = accounts.authenticate(db, username, DEMO_PASSWORD)
        assert actor.role is role
    assert {u.role for u in users.values()} == set(Role)


def test_every_call_is_valid_for_the_call_service(db: Database) -> None:
    generate_demo(db, calls=80, password=DEMO_PASSWORD, seed=5)
    actor = accounts.authenticate(db, "demo-supervisor", DEMO_PASSWORD)
    with db.read() as session:
        ids = session.scalars(select(Call.id).order_by(Call.reference)).all()
        staff = set(session.scalars(select(User.id)))
    nationalities, languages = nationality_codes(), language_codes()
    for call_id in ids:
        record = calls.get_call(db, actor, call_id)
        data = record.data
        assert validate_call(data) == data  # the bulk rows pass the service's own validation
        assert record.is_demo and record.version == 1 and record.handler_id in staff
        assert REFERENCE.fullmatch(record.reference) and CASE_REFERENCE.fullmatch(record.case_reference)
        assert data.caller.name and data.summary and data.narrative and data.force_area
        assert data.caller.phone == "" or DRAMA_PHONE.fullmatch(data.caller.phone)
        assert data.caller.email == "" or EXAMPLE_EMAIL.fullmatch(data.caller.email), data.caller.email
        if data.status is CallStatus.CLOSED:
            assert data.closed_at is not None
            assert timedelta(minutes=5) <= data.closed_at - data.opened_at <= timedelta(minutes=61)
        else:
            assert data.closed_at is None
        assert 1 <= len(data.routes) <= 3 and all(r.chosen for r in data.routes)
        for person in data.persons:
            assert 1 <= len(person.nationalities) <= 2 and set(person.nationalities) <= nationalities
            assert 1 <= len(person.languages) <= 2 and set(person.languages) <= languages
            assert not person.interpreter_needed or person.languages[0] != "eng"
        adults = [p for p in data.persons if p.age_group is AgeGroup.ADULT]
        if data.persons and not adults:
            assert data.nrm_consent is NrmConsent.NOT_APPLICABLE  # children need no consent
        if data.nrm_consent is NrmConsent.NOT_APPLICABLE:
            assert not adults
        if any(p.age_group is AgeGroup.CHILD or p.age_disputed for p in data.persons):
            assert Route.VICTIM in {r.route for r in data.routes}  # a child always gets victim advice
        for follow_up in data.follow_ups:
            assert follow_up.due_at > data.opened_at
    # A demo call can be edited through the service like any other.
    first = calls.get_call(db, actor, ids[0], audit_view=False)
    saved = calls.save_call(db, actor, first.data, expected_version=first.version, is_demo=True)
    assert saved.version == 2 and saved.data == first.data


def test_persons_belong_to_the_case_of_their_call_and_cases_span_calls(db: Database) -> None:
    generate_demo(db, calls=150, password=DEMO_PASSWORD, seed=8)
    with db.read() as session:
        mismatched = session.scalar(
            select(func.count()).select_from(Person).join(Call, Call.id == Person.call_id)
            .where(Person.case_id != Call.case_id)
        )  # fmt: skip
        calls_per_case = session.execute(select(Call.case_id, func.count()).group_by(Call.case_id)).all()
    assert mismatched == 0
    assert max(n for _, n in calls_per_case) >= 2


def test_phone_numbers_come_only_from_the_drama_range(sqlite_db: Database) -> None:
    generate_demo(sqlite_db, calls=500, password=DEMO_PASSWORD, seed=3)
    with sqlite_db.read() as session:
        phones = session.scalars(select(Call.caller_phone)).all()
        emails = session.scalars(select(Call.caller_email).where(Call.caller_email != "")).all()
    assert len(phones) == 500 and sum(1 for p in phones if p) > 400
    assert all(
        p == "" or ("+447700900000" <= p <= "+447700900999" and DRAMA_PHONE.fullmatch(p)) for p in phones
    )
    assert emails and all(EXAMPLE_EMAIL.fullmatch(e) for e in emails)


def test_the_mix_is_plausible(sqlite_db: Database) -> None:
    generate_demo(sqlite_db, calls=1500, password=DEMO_PASSWORD, seed=2026)
    with sqlite_db.read() as session:
        agencies = Counter(session.scalars(select(Call.caller_agency_type)))
        forces = Counter(session.scalars(select(Call.force_area)))
        urgencies = Counter(session.scalars(select(Call.urgency)))
        statuses = Counter(session.scalars(select(Call.status)))
        opened = session.scalars(select(Call.opened_at)).all()
        types = Counter(session.scalars(select(CallExploitationType.value)))
        county_lines_ages = Counter(
            session.scalars(
                select(Person.age_group).join(Call, Call.id == Person.call_id).where(Call.county_lines)
            )
        )
        ages = Counter(session.scalars(select(Person.age_group)))
        disputed = session.scalar(select(func.count()).select_from(Person).where(Person.age_disputed)) or 0
        nationalities = Counter(session.scalars(select(PersonNationality.code)))
        languages = Counter(session.scalars(select(PersonLanguage.code)))
    assert agencies.most_common(1)[0][0] is AgencyType.POLICE and agencies[AgencyType.POLICE] > 600
    assert len(agencies) >= 10  # immigration, NGOs, children's services … all call
    assert forces.most_common(1)[0][0] == "Metropolitan Police Service" and len(forces) > 30
    assert urgencies[Urgency.CRISIS] == min(urgencies.values()) and urgencies[Urgency.ROUTINE] > 500
    assert statuses[CallStatus.CLOSED] > 1400
    assert {t for t, _ in types.most_common(3)} == {"criminal", "labour", "sexual"}
    assert county_lines_ages[AgeGroup.CHILD] > county_lines_ages[AgeGroup.ADULT]
    assert 0.15 < ages[AgeGroup.CHILD] / sum(ages.values()) < 0.5 and disputed > 10
    assert nationalities.most_common(1)[0][0] == "GB" and len(nationalities) > 20
    assert languages["eng"] > 0 and len(languages) > 15
    local_hours = Counter(t.astimezone(sqlite_db.zone).hour for t in opened)
    night = sum(local_hours[h] for h in range(0, 6))
    day = sum(local_hours[h] for h in range(10, 16))
    assert 0 < night < day / 2  # 24/7, busier by day
    assert min(opened) > max(opened) - timedelta(days=366)


# --- repeatable --------------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_data(sqlite_db: Database, another_sqlite_db: Database) -> None:
    first = generate_demo(sqlite_db, calls=200, password=DEMO_PASSWORD, seed=42, batch_size=64)
    second = generate_demo(another_sqlite_db, calls=200, password=DEMO_PASSWORD, seed=42)
    assert (first.calls, first.cases, first.persons) == (second.calls, second.cases, second.persons)
    content = _content(sqlite_db)
    assert len(content) > 200
    assert content == _content(another_sqlite_db)


def test_a_different_seed_gives_different_data(sqlite_db: Database, another_sqlite_db: Database) -> None:
    generate_demo(sqlite_db, calls=50, password=DEMO_PASSWORD, seed=1)
    generate_demo(another_sqlite_db, calls=50, password=DEMO_PASSWORD, seed=2)
    assert _content(sqlite_db) != _content(another_sqlite_db)


def test_the_audit_event_records_the_run_and_its_seed(db: Database) -> None:
    generate_demo(db, calls=25, password=DEMO_PASSWORD)  # no seed given: one is chosen and recorded
    with db.read() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "demo.generate")).all()
        admin_id = session.scalar(select(User.id).where(User.username == "demo-admin"))
    assert len(events) == 1
    event = events[0]
    assert (event.category, event.actor_id, event.actor_name) == (
        AuditCategory.COLLECTION,
        admin_id,
        "demo-admin",
    )
    actor = accounts.authenticate(db, "demo-admin", DEMO_PASSWORD)
    details = audit.recent_events(db, actor, action="demo.generate")[0].details
    assert details["calls"] == 25 and isinstance(details["seed"], int)
    assert details["users_created"] == [name for name, _, _ in DEMO_USERS]


def test_the_recorded_seed_reproduces_the_run(sqlite_db: Database, another_sqlite_db: Database) -> None:
    generate_demo(sqlite_db, calls=40, password=DEMO_PASSWORD)
    actor = accounts.authenticate(sqlite_db, "demo-admin", DEMO_PASSWORD)
    seed = audit.recent_events(sqlite_db, actor, action="demo.generate")[0].details["seed"]
    generate_demo(another_sqlite_db, calls=40, password=DEMO_PASSWORD, seed=seed)
    assert _content(sqlite_db) == _content(another_sqlite_db)


# --- demo data only ------------------------------------------------------------------------------


def test_refuses_a_database_with_a_real_account_and_writes_nothing(db: Database) -> None:
    accounts.create_first_admin(db, "ada.admin", "Ada Admin", PASSWORD)
    events = _count(db, AuditEvent)
    with pytest.raises(DemoRefusedError, match="the database holds 1 account that is not demo data"):
        generate_demo(db, calls=10, password=DEMO_PASSWORD, seed=1)
    assert (_count(db, User), _count(db, Call), _count(db, Case), _count(db, AuditEvent)) == (1, 0, 0, events)


def test_refuses_real_calls_and_names_them(db: Database) -> None:
    admin = make_admin(db)
    calls.save_call(db, admin, full_call())
    calls.save_call(db, admin, full_call())
    with pytest.raises(DemoRefusedError, match="holds 2 calls, 2 cases and 1 account that are not demo data"):
        generate_demo(db, calls=10, password=DEMO_PASSWORD, seed=1)
    assert _count(db, Call) == 2 and _count(db, User) == 1


def test_running_twice_adds_calls_and_keeps_the_accounts(db: Database) -> None:
    first = generate_demo(db, calls=30, password=DEMO_PASSWORD, seed=1)
    second = generate_demo(db, calls=20, password="another password 99", seed=1)  # the same seed again
    assert second.users_created == () and len(first.users_created) == 4
    assert _count(db, User) == 4 and _count(db, Call) == 50
    with db.read() as session:
        references = session.scalars(select(Call.reference)).all()
    assert len(set(references)) == 50
    accounts.authenticate(db, "demo-operator", DEMO_PASSWORD)  # existing accounts keep their password
    assert _count(db, AuditEvent, AuditEvent.action == "demo.generate") == 2


def test_zero_calls_creates_only_the_accounts(sqlite_db: Database) -> None:
    reported: list[tuple[int, int]] = []
    summary = generate_demo(
        sqlite_db, calls=0, password=DEMO_PASSWORD, progress=lambda d, t: reported.append((d, t))
    )
    assert (summary.calls, summary.cases, summary.persons, reported) == (0, 0, 0, [])
    assert _count(sqlite_db, User) == 4 and _count(sqlite_db, Call) == 0


def test_refuses_bad_input_and_writes_nothing(sqlite_db: Database) -> None:
    with pytest.raises(ValidationError) as caught:
        generate_demo(sqlite_db, calls=-1, password="short")
    assert set(caught.value.fields) == {"calls", "password"}
    assert _count(sqlite_db, User) == 0 and _count(sqlite_db, AuditEvent) == 0


# --- fast, batch by batch ------------------------------------------------------------------------


def test_each_batch_is_committed_before_progress_is_reported(sqlite_db: Database) -> None:
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, _count(sqlite_db, Call)))

    generate_demo(sqlite_db, calls=250, password=DEMO_PASSWORD, seed=4, batch_size=100, progress=progress)
    assert seen == [(100, 100), (200, 200), (250, 250)]


def test_a_thousand_calls_take_seconds_not_minutes(sqlite_db: Database) -> None:
    summary = generate_demo(sqlite_db, calls=1000, password=DEMO_PASSWORD, seed=1000)
    assert summary.calls == 1000 == _count(sqlite_db, Call)
    assert summary.seconds < 10  # about 1 s on a developer machine


def test_the_demo_has_a_rota_with_a_gap_and_open_follow_ups(db: Database) -> None:
    """Issue 14: two weeks of rota (so "copy last week" has a week to copy) and follow-ups with a
    status; Immigration has nobody at night, so the gap is there to be flagged."""
    from datetime import UTC, datetime, time
    from zoneinfo import ZoneInfo

    from supportline.db.models import FollowUp, RotaShift
    from supportline.enums import FollowUpStatus, Route
    from supportline.services import rota

    generate_demo(db, calls=300, password=DEMO_PASSWORD, seed=14)
    generate_demo(db, calls=0, password=DEMO_PASSWORD, seed=15)  # a second run keeps the rota
    assert _count(db, RotaShift) == 14 * (4 + 3 + 1)
    operator = accounts.actor_for(accounts.get_user(db, _admin(db), "demo-operator"))
    zone = ZoneInfo("Europe/London")
    noon = datetime.combine(datetime.now(zone).date(), time(12), tzinfo=zone).astimezone(UTC)
    lines = rota.escalation_lines(db, operator, noon)
    assert lines[Route.LEGAL] == (
        "Legal: duty adviser D. D. Adviser until 19:00, then D. Supervisor; deputy D. Supervisor"
    )
    assert (
        lines[Route.IMMIGRATION]
        == "Immigration: duty adviser D. D. Adviser until 19:00, then no one on the rota"
    )
    assert {g.route for g in rota.gaps(db, operator, noon)} == {Route.IMMIGRATION}
    with db.read() as session:
        statuses = set(session.scalars(select(FollowUp.status)))
        booked_by = session.scalar(
            select(func.count()).select_from(FollowUp).where(FollowUp.created_by_id.is_(None))
        )
    assert statuses == {FollowUpStatus.OPEN, FollowUpStatus.DONE} and booked_by == 0


def _admin(db: Database) -> Actor:
    with db.read() as session:
        admin = session.scalar(select(User).where(User.username == "demo-admin"))
        assert admin is not None
        return accounts.actor_for(admin)


def test_a_batch_may_take_longer_than_one_ordinary_write(db: Database) -> None:
    """A batch is one transaction whose limit grows with its calls: with the ordinary write
    limit far below what a 600-call batch takes, the batch still goes through (on PostgreSQL it
    did not when a batch had the ordinary limit: a 5,000-call batch was cut short on a loaded
    machine)."""
    generate_demo(db, calls=0, password=DEMO_PASSWORD, seed=6)  # the accounts (one Argon2id hash)
    # Far below what 600 calls take anywhere (a fast machine wrote them in 0.28 s: a 0.3 s
    # limit let the batch finish inside it, and the test proved nothing).
    db.timeouts = dataclasses.replace(db.timeouts, write_s=0.02)
    started = time.monotonic()
    summary = generate_demo(db, calls=600, password=DEMO_PASSWORD, seed=6, batch_size=600)
    assert summary.calls == 600 == _count(db, Call)
    assert time.monotonic() - started > 0.02  # the batch did outlast the ordinary limit
