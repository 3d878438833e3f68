"""The exports' fast reader (``calls.read_records``, Core selects) gives exactly the records the
ORM reader (``calls.load_records``) and ``get_call`` give, on both dialects.

Every person, number and address here is invented; phone numbers are from Ofcom's drama range.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Select, select

from supportline.db import Database
from supportline.db.models import Call
from supportline.enums import AgencyType, ChecklistState, ReferralTarget, Role, Route, Urgency
from supportline.exports.common import conditions_for, iter_records
from supportline.services import accounts
from supportline.services.actor import Actor
from supportline.services.call_types import (
    CallData,
    Caller,
    CallQuery,
    CallRecord,
    ChecklistEntry,
    FollowUpData,
    PersonData,
    ReferralData,
    RouteData,
)
from supportline.services.calls import get_call, load_records, read_records, save_call
from supportline.services.demo import generate_demo
from tests.factories import full_call, make_admin, make_user

START = datetime(2026, 3, 28, 23, 59, 59, 999999, tzinfo=UTC)
DEMO_PASSWORD = "demo password 2026"
ODD = "Zoë Ærøskøbing-Ñúñez 👩🏽‍⚕️ Ωμέγα Дарья مرحبا 中文 𝔘𝔫𝔦 e\u0301 \u200b\u00a0tab\there"


def all_calls() -> Select[Call]:
    return select(Call).order_by(Call.opened_at, Call.id)


def both_readers(db: Database, statement: Select[Call] | None = None) -> list[CallRecord]:
    """The records of ``statement`` (default: every call, oldest first) read the fast way, after
    checking they equal what the ORM reader gives, in the same order."""
    statement = all_calls() if statement is None else statement
    with db.read() as session:
        slow = load_records(session, statement)
    with db.read() as session:
        fast = read_records(session, statement)
    assert [r.id for r in fast] == [r.id for r in slow]
    for a, b in zip(fast, slow, strict=True):
        assert a.data == b.data
        assert a == b
    return fast


def check_get_call(db: Database, actor: Actor, records: list[CallRecord]) -> None:
    for record in records:
        assert record == get_call(db, actor, record.id, audit_view=False)


def minimal_call(opened_at: datetime = START, **changes: object) -> CallData:
    data = CallData(
        caller=Caller(name="PC Idris Penhallow", agency_type=AgencyType.POLICE), opened_at=opened_at
    )
    return dataclasses.replace(data, **changes)  # type: ignore[arg-type]


@pytest.fixture
def admin(db: Database) -> Actor:
    return make_admin(db)


def test_full_call_equals_orm_reader_and_get_call(db: Database, admin: Actor) -> None:
    saved = save_call(db, admin, full_call()).data
    [record] = both_readers(db)
    check_get_call(db, admin, [record])
    data = record.data
    # Every collection is filled, so the equality above compares real content.
    assert data.id == saved.id and data.case_id is not None
    assert [p.nationalities for p in data.persons] == [("VN",), ("AL", "GR")]
    assert [p.languages for p in data.persons] == [("vie",), ("sqi", "ell")]
    assert [r.route for r in data.routes] == [Route.VICTIM, Route.IMMIGRATION]
    assert [e.item_id for e in data.routes[0].checklist] == ["safety", "interpreter"]
    assert data.routes[0].suggestion_reasons == ("a child may be present", "victim present at scene")
    assert [r.target for r in data.referrals] == [ReferralTarget.CHILDRENS_SERVICES, ReferralTarget.NRM]
    assert len(data.follow_ups) == 1 and len(data.exploitation_types) == 2
    assert isinstance(data.exploitation_types, frozenset) and isinstance(data.outcomes, frozenset)
    assert record.handler_name == "Ada Admin" and record.case_reference.startswith("CASE-")


def test_call_without_children(db: Database, admin: Actor) -> None:
    save_call(db, admin, minimal_call())
    [record] = both_readers(db)
    check_get_call(db, admin, [record])
    data = record.data
    assert (data.persons, data.routes, data.referrals, data.follow_ups) == ((), (), (), ())
    assert not (data.exploitation_types or data.indicators or data.outcomes)
    assert isinstance(data.indicators, frozenset)
    assert data.closed_at is None and data.nrm_consent is None


def test_odd_unicode(db: Database, admin: Actor) -> None:
    data = full_call(START)
    data = dataclasses.replace(
        data,
        caller=dataclasses.replace(data.caller, name=ODD[:200], organisation=ODD, rank="Сержант"),
        summary=ODD,
        narrative=(ODD + "\r\n") * 50 + "\u2028line separator\u2029paragraph",
        force_area="Heddlu Dyfed-Powys",
        persons=(dataclasses.replace(data.persons[0], name=ODD, notes="«citation» “quotes” ‘single’"),),
        referrals=(dataclasses.replace(data.referrals[0], organisation="Cyngor Sir Ynys Môn", notes=ODD),),
        follow_ups=(dataclasses.replace(data.follow_ups[0], note=ODD),),
    )
    save_call(db, admin, data)
    [record] = both_readers(db)
    check_get_call(db, admin, [record])
    assert record.data.summary == ODD and record.data.persons[0].name == ODD
    assert record.data.narrative.endswith("\u2028line separator\u2029paragraph")


def test_collections_follow_their_positions_not_the_order_rows_were_added(db: Database, admin: Actor) -> None:
    opened = START - timedelta(days=3)
    base = full_call(opened)
    extra = PersonData(nationalities=("RO", "MD", "UA"), languages=("ron", "rus"), name="Person C")
    first = dataclasses.replace(
        base,
        persons=(*base.persons, extra),
        routes=(
            dataclasses.replace(base.routes[0], closed_at=None),
            base.routes[1],
            RouteData(route=Route.LEGAL, suggested=True, suggestion_reasons=("under 18",)),
        ),
        referrals=(*base.referrals, ReferralData(target=ReferralTarget.POLICE, reference="CAD 42")),
        follow_ups=(
            *base.follow_ups,
            FollowUpData(due_at=opened + timedelta(days=2), note="Second follow-up"),
        ),
    )
    saved = save_call(db, admin, first)
    # Reverse every ordered collection: the rows stay (same ids), only their positions change.
    victim = first.routes[0]
    reversed_ticks = (
        *reversed(victim.checklist),
        ChecklistEntry("referral-made", ChecklistState.TICKED, opened + timedelta(minutes=9)),
    )
    second = dataclasses.replace(
        saved.data,
        persons=tuple(
            dataclasses.replace(
                p, nationalities=tuple(reversed(p.nationalities)), languages=p.languages[::-1]
            )
            for p in reversed(saved.data.persons)
        ),
        routes=(
            saved.data.routes[2],
            dataclasses.replace(saved.data.routes[0], checklist=reversed_ticks),
            saved.data.routes[1],
        ),
        referrals=tuple(reversed(saved.data.referrals)),
        follow_ups=tuple(reversed(saved.data.follow_ups)),
    )
    save_call(db, admin, second, expected_version=saved.version)
    [record] = both_readers(db)
    check_get_call(db, admin, [record])
    data = record.data
    assert [p.name for p in data.persons] == ["Person C", "", "Person A"]
    assert data.persons[0].nationalities == ("UA", "MD", "RO") and data.persons[0].languages == ("rus", "ron")
    assert data.persons[1].nationalities == ("GR", "AL")
    assert [r.route for r in data.routes] == [Route.LEGAL, Route.VICTIM, Route.IMMIGRATION]
    assert [e.item_id for e in data.routes[1].checklist] == ["interpreter", "safety", "referral-made"]
    assert [r.target for r in data.referrals] == [
        ReferralTarget.POLICE, ReferralTarget.NRM, ReferralTarget.CHILDRENS_SERVICES,
    ]  # fmt: skip
    assert [f.note for f in data.follow_ups] == ["Second follow-up", "Call back the DS"]
    assert record.version == 2


def test_handlers_cases_and_order_of_many_calls(db: Database, admin: Actor) -> None:
    # An adviser: the handler's calls carry route advice, which operators may not record.
    handler = make_user(db, admin, "dee.adviser", Role.ADVISER)
    first = save_call(db, handler, full_call(START))
    save_call(db, admin, minimal_call(START + timedelta(hours=1), case_id=first.data.case_id))
    # Two calls opened at the same instant: the order falls back to the id, as the paging's does.
    for _ in range(2):
        save_call(db, admin, full_call(START - timedelta(hours=1)))
    save_call(db, handler, minimal_call(START - timedelta(days=400)))
    records = both_readers(db)
    check_get_call(db, admin, records)
    assert len(records) == 5
    assert [r.data.opened_at for r in records] == sorted(r.data.opened_at for r in records)
    assert {r.handler_name for r in records} == {"Ada Admin", "Dee Adviser"}
    # Pages of one: the two calls of the same instant straddle a page boundary.
    assert list(iter_records(db, CallQuery(), page_size=1)) == records
    shared = [r for r in records if r.data.case_id == first.data.case_id]
    assert len(shared) == 2 and {r.case_reference for r in shared} == {first.case_reference}
    # Newest first, a page of two, skipping one: the statement's order and limit are kept.
    page = select(Call).order_by(Call.opened_at.desc(), Call.id.desc()).offset(1).limit(2)
    assert [r.id for r in both_readers(db, page)] == [r.id for r in records[::-1][1:3]]
    nothing = select(Call).where(Call.opened_at > START + timedelta(days=1))
    assert both_readers(db, nothing) == []


def test_seeded_demo_database(db: Database) -> None:
    generate_demo(db, calls=240, password=DEMO_PASSWORD, seed=20260614)
    records = both_readers(db)
    assert len(records) == 240
    # The demo fills every kind of child row somewhere.
    assert any(len(p.nationalities) > 1 for r in records for p in r.data.persons)
    assert any(p.languages for r in records for p in r.data.persons)
    assert any(r.data.referrals for r in records) and any(r.data.follow_ups for r in records)
    assert any(r.data.indicators for r in records) and any(r.data.routes for r in records)
    # The export's keyset pages give the same records, in the same order, whatever the page size.
    for page_size in (1, 7, 500):
        paged = list(iter_records(db, CallQuery(), page_size=page_size))
        assert paged == records
    supervisor = accounts.authenticate(db, "demo-supervisor", DEMO_PASSWORD)
    check_get_call(db, supervisor, records[:: len(records) // 12])


def test_iter_records_stops_at_an_exact_page(db: Database, admin: Actor) -> None:
    for i in range(4):
        save_call(db, admin, full_call(START + timedelta(minutes=i)))
    records = both_readers(db)
    for page_size in (2, 4):
        assert list(iter_records(db, CallQuery(), page_size=page_size)) == records
    later = CallQuery(opened_from=START + timedelta(minutes=2))
    assert list(iter_records(db, later, page_size=1)) == records[2:]
    assert list(itertools.islice(iter_records(db, CallQuery(), page_size=3), 1)) == records[:1]


def test_search_text_and_filters_read_the_same(db: Database, admin: Actor) -> None:
    save_call(db, admin, full_call(START))
    nail_bar = full_call(START + timedelta(hours=1), summary="Nail bar workers above the shop in Truro")
    save_call(
        db,
        admin,
        dataclasses.replace(
            nail_bar, caller=dataclasses.replace(nail_bar.caller, name="PC Kerensa Nancarrow")
        ),
    )
    save_call(db, admin, minimal_call(START + timedelta(hours=2), force_area="Kent Police"))
    queries = (
        CallQuery(text="Kerensa"),
        CallQuery(text="tregarthen"),
        CallQuery(force_area="Kent Police"),
        CallQuery(urgency=Urgency.URGENT, text="Morwenna"),
    )
    for query in queries:
        statement = all_calls().where(*conditions_for(db, query))
        expected = both_readers(db, statement)
        assert expected, query
        assert list(iter_records(db, query, page_size=1)) == expected
