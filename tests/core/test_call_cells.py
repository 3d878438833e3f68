"""The CSV writer's fast path (``call_cells.iter_cells``: cells straight from the driver's rows)
gives exactly the cells ``csv_export.row_cells`` makes from the records ``iter_records`` reads, in
both profiles, on SQLite and PostgreSQL.

Every person, number and address here is invented; phone numbers are from Ofcom's drama range.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from supportline.db import Database
from supportline.enums import (
    AgencyType,
    CallStatus,
    ChecklistState,
    ExploitationType,
    Outcome,
    ReferralTarget,
    Role,
    Route,
    Urgency,
)
from supportline.exports import call_cells
from supportline.exports.call_cells import iter_cells
from supportline.exports.common import Pseudonymiser, iter_records, pseudonymise
from supportline.exports.csv_export import COLUMNS, FORMULA_STARTS, row_cells
from supportline.services.actor import Actor
from supportline.services.call_types import (
    CallData,
    Caller,
    CallQuery,
    ChecklistEntry,
    FollowUpData,
    PersonData,
    ReferralData,
    RouteData,
)
from supportline.services.calls import save_call
from supportline.services.demo import generate_demo
from tests.factories import full_call, make_admin, make_user

START = datetime(2026, 3, 28, 23, 59, 59, 999999, tzinfo=UTC)
ON_THE_SECOND = datetime(2026, 7, 1, 9, 30, 0, tzinfo=UTC)
KEY = b"k" * 32
ODD = "Zoë Ærøskøbing-Ñúñez 👩🏽‍⚕️ Ωμέγα Дарья مرحبا 中文 𝔘𝔫𝔦 e\u0301 \u200b\u00a0tab\there"


@pytest.fixture
def admin(db: Database) -> Actor:
    return make_admin(db)


def same_cells(
    db: Database, query: CallQuery | None = None, page_sizes: tuple[int | None, ...] = (None,)
) -> list[list[str]]:
    """The fast path's cells, after checking they equal ``row_cells`` of the records, full and
    pseudonymised (the same key), at every page size."""
    query = query or CallQuery()
    records = list(iter_records(db, query))
    expected = [row_cells(r) for r in records]
    hidden = [row_cells(pseudonymise(r, Pseudonymiser(KEY))) for r in records]
    for page_size in page_sizes:
        got = list(iter_cells(db, query, page_size=page_size))
        for want, cells in zip(expected, got, strict=True):
            assert dict(zip(COLUMNS, cells, strict=True)) == dict(zip(COLUMNS, want, strict=True))
        assert got == expected
        assert list(iter_cells(db, query, Pseudonymiser(KEY), page_size=page_size)) == hidden
    return expected


def minimal_call(opened_at: datetime = START, **changes: object) -> CallData:
    data = CallData(
        caller=Caller(name="PC Idris Penhallow", agency_type=AgencyType.POLICE), opened_at=opened_at
    )
    return dataclasses.replace(data, **changes)  # type: ignore[arg-type]


def test_full_call(db: Database, admin: Actor) -> None:
    save_call(db, admin, full_call())
    [cells] = same_cells(db)
    row = dict(zip(COLUMNS, cells, strict=True))
    # Every collection is filled, so the equality compares real content.
    assert row["persons"].count('"id"') == 2 and '"nationalities": ["AL", "GR"]' in row["persons"]
    assert row["routes"].count('"route"') == 2 and '"item_id": "safety"' in row["routes"]
    assert row["referrals"] != "[]" and row["follow_ups"] != "[]" and row["exploitation_types"]


def test_call_without_children_or_optional_values(db: Database, admin: Actor) -> None:
    save_call(db, admin, minimal_call())
    [cells] = same_cells(db)
    row = dict(zip(COLUMNS, cells, strict=True))
    assert (row["persons"], row["routes"], row["referrals"], row["follow_ups"]) == ("[]",) * 4
    assert row["closed_at"] == row["nrm_consent"] == row["indicators"] == ""


def test_times_on_the_second_and_closed_calls(db: Database, admin: Actor) -> None:
    """``isoformat`` writes no fraction for a whole second: the fast path must not either."""
    base = full_call(ON_THE_SECOND)
    save_call(
        db,
        admin,
        dataclasses.replace(
            base,
            status=CallStatus.CLOSED,
            closed_at=ON_THE_SECOND + timedelta(minutes=20),
            routes=(dataclasses.replace(base.routes[0], closed_at=ON_THE_SECOND + timedelta(minutes=19)),),
            follow_ups=(
                dataclasses.replace(
                    base.follow_ups[0],
                    due_at=ON_THE_SECOND + timedelta(days=1),
                    done_at=ON_THE_SECOND + timedelta(days=1, microseconds=1),
                ),
            ),
        ),
    )
    [cells] = same_cells(db)
    row = dict(zip(COLUMNS, cells, strict=True))
    assert row["opened_at"] == "2026-07-01T09:30:00+00:00"
    assert row["closed_at"] == "2026-07-01T09:50:00+00:00"
    assert '"done_at": "2026-07-02T09:30:00.000001+00:00"' in row["follow_ups"]


def test_odd_unicode_and_formula_like_text(db: Database, admin: Actor) -> None:
    data = full_call(START)
    data = dataclasses.replace(
        data,
        caller=dataclasses.replace(data.caller, name='=HYPERLINK("x")', organisation=ODD, rank="Сержант"),
        summary=ODD,
        narrative=(ODD + "\r\n") * 50 + "\u2028line separator\u2029paragraph",
        force_area="Heddlu Dyfed-Powys",
        persons=(dataclasses.replace(data.persons[0], name="@O'Brien", notes="«citation» “quotes”"),),
        referrals=(dataclasses.replace(data.referrals[0], organisation="Cyngor Sir Ynys Môn", notes=ODD),),
        follow_ups=(dataclasses.replace(data.follow_ups[0], note="-1 call back"),),
    )
    save_call(db, admin, data)
    [cells] = same_cells(db)
    assert cells[COLUMNS.index("caller_name")] == '=HYPERLINK("x")'  # neutralised by the writer, not here


def test_positions_handlers_cases_and_pages(db: Database, admin: Actor) -> None:
    # An adviser: the handler's calls carry route advice, which operators may not record.
    handler = make_user(db, admin, "dee.adviser", Role.ADVISER)
    first = save_call(db, handler, full_call(START))
    save_call(db, admin, minimal_call(START + timedelta(hours=1), case_id=first.data.case_id))
    for _ in range(2):  # the same instant: the order falls back to the id, across page boundaries
        save_call(db, admin, full_call(START - timedelta(hours=1)))
    base = full_call(START - timedelta(days=3))
    save_call(
        db,
        handler,
        dataclasses.replace(
            base,
            persons=(
                PersonData(nationalities=("RO", "MD", "UA"), languages=("ron", "rus"), name="Person C"),
                *base.persons,
            ),
            routes=(
                RouteData(route=Route.LEGAL, suggested=True, suggestion_reasons=("under 18",), chosen=False),
                dataclasses.replace(
                    base.routes[0],
                    checklist=(
                        *reversed(base.routes[0].checklist),
                        ChecklistEntry("referral-made", ChecklistState.SKIPPED, START, "Officer to do it"),
                    ),
                ),
            ),
            referrals=(*base.referrals, ReferralData(target=ReferralTarget.POLICE, reference="CAD 42")),
            follow_ups=(
                *base.follow_ups,
                FollowUpData(due_at=START, note="Second", assignee_id=handler.user_id),
            ),
        ),
    )
    cells = same_cells(db, page_sizes=(1, 2, 3, None))
    assert len(cells) == 5
    assert {row[COLUMNS.index("handler")] for row in cells} == {"Ada Admin", "Dee Adviser"}


def test_filters_and_search(db: Database, admin: Actor) -> None:
    save_call(db, admin, full_call(START))
    save_call(
        db,
        admin,
        minimal_call(START + timedelta(hours=1), summary="Nail bar workers above the shop in Truro"),
    )
    save_call(
        db, admin, minimal_call(START + timedelta(hours=2), force_area="Kent Police", urgency=Urgency.URGENT)
    )
    for query in (
        CallQuery(text="Truro"),
        CallQuery(force_area="Kent Police"),
        CallQuery(urgency=Urgency.URGENT),
        CallQuery(opened_from=START + timedelta(minutes=30)),
        CallQuery(exploitation_type=ExploitationType.LABOUR.value),
        CallQuery(outcome=Outcome.NRM_ADVISED.value),
    ):
        same_cells(db, query, page_sizes=(1, None))
    assert same_cells(db, CallQuery(text="no such word anywhere")) == []


def test_seeded_demo_database(db: Database) -> None:
    generate_demo(db, calls=240, password="demo password 2026", seed=20260614)
    cells = same_cells(db, page_sizes=(7, None))
    assert len(cells) == 240
    joined = ["\x1f".join(row) for row in cells]
    assert any('"languages": ["' in row for row in joined) and any('"due_at"' in row for row in joined)


def test_sqlite_times_stored_in_other_forms(sqlite_db: Database) -> None:
    """Times SQLAlchemy did not write (another tool's ``T`` or whole seconds) read the same way."""
    admin = make_admin(sqlite_db)
    saved = save_call(sqlite_db, admin, full_call(START))
    with sqlite_db.write() as session:
        session.execute(
            text(
                "UPDATE calls SET opened_at = '2026-03-28T23:59:59', closed_at = '2026-03-29 00:10:00' "
                "WHERE id = :id"
            ),
            {"id": saved.data.id.hex},
        )
        session.execute(text("UPDATE follow_ups SET due_at = '2026-04-01 08:00:00.5'"))
    [cells] = same_cells(sqlite_db)
    assert cells[COLUMNS.index("opened_at")] == "2026-03-28T23:59:59+00:00"
    assert call_cells._sqlite_id(uuid.UUID(int=255).hex) == str(uuid.UUID(int=255))


# Arbitrary storable text (no NUL, no lone surrogate) and formula-like starts.
_storable = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
_text = st.one_of(
    st.text(_storable, max_size=40),
    st.tuples(st.sampled_from([*FORMULA_STARTS, "'"]), st.text(_storable, max_size=10)).map("".join),
)
_times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2025, 12, 31), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=0) if t.microsecond % 3 == 0 else t)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=_text.filter(lambda s: s.strip()),
    words=st.lists(_text, min_size=6, max_size=6),
    opened_at=_times,
    closed=st.none() | st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2)),
    flags=st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_any_call_gives_the_same_cells(
    db: Database,
    admin: Actor,
    name: str,
    words: list[str],
    opened_at: datetime,
    closed: timedelta | None,
    flags: list[bool],
) -> None:
    base = full_call(opened_at)
    person, route, referral, follow_up = (
        base.persons[0],
        base.routes[0],
        base.referrals[0],
        base.follow_ups[0],
    )
    data = dataclasses.replace(
        base,
        id=uuid.UUID(int=7),  # one call, saved over and over
        caller=dataclasses.replace(base.caller, name=name, organisation=words[0], email=""),
        summary=words[1],
        narrative=words[2],
        county_lines=flags[0],
        victim_at_scene=flags[1],
        status=CallStatus.CLOSED if closed is not None else CallStatus.OPEN,
        closed_at=None if closed is None else opened_at + closed,
        persons=(
            dataclasses.replace(
                person,
                name=words[3],
                age_disputed=flags[2],
                interpreter_needed=flags[3],
                age_years=None if flags[3] else 16,
                date_of_birth=(opened_at - timedelta(days=5900)).date() if flags[3] else None,
            ),
        ),
        routes=(
            dataclasses.replace(
                route,
                chosen=flags[4],
                advice_summary=words[4],
                closed_at=None if closed is None else opened_at + closed,
                checklist=tuple(
                    dataclasses.replace(
                        e,
                        at=opened_at,
                        skip_reason=(words[5] if words[5].strip() else "Declined") if e.skip_reason else "",
                    )
                    for e in route.checklist
                ),
            ),
        ),
        referrals=(dataclasses.replace(referral, reference=words[5], made_at=opened_at),),
        follow_ups=(dataclasses.replace(follow_up, due_at=opened_at, note=words[4]),),
    )
    with db.read() as session:  # saved over and over: each save names the version it replaces
        stored = session.execute(text("SELECT version FROM calls")).scalar()
    saved = save_call(db, admin, data, expected_version=stored).data
    [cells] = same_cells(db)
    assert cells[COLUMNS.index("caller_name")] == saved.caller.name  # as saved (trimmed)
