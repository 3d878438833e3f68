from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from supportline.db.models import AuditEvent, Call, Case, Person
from supportline.enums import AgencyType, CallStatus, Role, Route, Urgency
from supportline.services import accounts, audit, calls
from supportline.services.call_types import CallData, Caller, CallQuery, PersonData, RouteData
from supportline.services.errors import ConflictError, PermissionDeniedError, ValidationError
from tests.factories import PASSWORD, full_call, make_admin, make_user, without_advice

LONDON = ZoneInfo("Europe/London")


def _expected(sent: CallData, record: calls.CallRecord) -> CallData:
    return dataclasses.replace(sent, case_id=record.data.case_id)


def _count(db, model) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_round_trip_every_field(db):
    admin = make_admin(db)
    sent = full_call()
    saved = calls.save_call(db, admin, sent)
    assert re.fullmatch(r"SL-2026-\d{6}", saved.reference)
    assert re.fullmatch(r"CASE-2026-\d{6}", saved.case_reference)
    fetched = calls.get_call(db, admin, sent.id)
    assert fetched.data == _expected(sent, saved)
    assert saved.data == fetched.data
    assert fetched.data.status is CallStatus.CLOSED
    assert fetched.handler_name == "Ada Admin"
    assert fetched.data.opened_at.tzinfo is not None


def test_one_megabyte_narrative_and_right_to_left_names(db):
    admin = make_admin(db)
    narrative = ("مرحبا بالعالم — שלום עולם — 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ✓\n" * 40_000)[: 1_048_576 + 7]
    assert len(narrative.encode("utf-8")) > 1_000_000
    sent = full_call(
        narrative=narrative,
        caller=Caller(name="نور الهدى القحطاني", agency_type=AgencyType.NGO, organisation="עמותת דוגמה"),
        persons=(PersonData(name="אביגיל בן־דוד", nationalities=("IL",), languages=("heb",)),),
    )
    saved = calls.save_call(db, admin, sent)
    fetched = calls.get_call(db, admin, sent.id)
    assert fetched.data.narrative == narrative
    assert fetched.data.caller.name == "نور الهدى القحطاني"
    assert fetched.data.persons[0].name == "אביגיל בן־דוד"
    assert fetched.data == _expected(sent, saved)


@pytest.mark.parametrize(
    ("local", "fold", "utc"),
    [
        # Spring forward, 29 March 2026: 00:59 GMT is followed by 02:00 BST.
        (datetime(2026, 3, 29, 0, 59, 59), 0, datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC)),
        (datetime(2026, 3, 29, 2, 0, 0), 0, datetime(2026, 3, 29, 1, 0, 0, tzinfo=UTC)),
        # Fall back, 25 October 2026: 01:30 happens twice.
        (datetime(2026, 10, 25, 1, 30), 0, datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        (datetime(2026, 10, 25, 1, 30), 1, datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
    ],
)
def test_times_across_dst_changes_round_trip(db, local, fold, utc):
    admin = make_admin(db)
    opened = local.replace(tzinfo=LONDON, fold=fold)
    # Python adds to wall-clock time within one zone (and drops fold): add in UTC.
    sent = full_call(opened_at=opened, closed_at=opened.astimezone(UTC) + timedelta(minutes=10))
    calls.save_call(db, admin, sent)
    fetched = calls.get_call(db, admin, sent.id)
    assert fetched.data.opened_at == utc
    assert fetched.data.opened_at.utcoffset() == timedelta(0)
    assert fetched.data.closed_at - fetched.data.opened_at == timedelta(minutes=10)
    # The two 01:30s of the autumn change are different instants and stay so.
    assert fetched.data.opened_at.astimezone(LONDON).fold == fold


def test_reference_year_follows_the_line_time_zone(db):
    admin = make_admin(db)
    # 23:30 UTC on 31 December 2025 is still 2025 in London (GMT).
    saved = calls.save_call(db, admin, full_call(opened_at=datetime(2025, 12, 31, 23, 30, tzinfo=UTC)))
    assert saved.reference.startswith("SL-2025-")


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=200
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=_text.filter(lambda s: s.strip()),
    summary=_text,
    narrative=_text,
    collar=_text.map(lambda s: s[:100]),
)
def test_arbitrary_unicode_round_trips(db, name, summary, narrative, collar):
    admin = (
        make_admin(db) if accounts.count_users(db) == 0 else accounts.authenticate(db, "ada.admin", PASSWORD)
    )
    sent = CallData(
        caller=Caller(name=name, agency_type=AgencyType.PUBLIC, collar_number=collar),
        opened_at=datetime(2026, 5, 1, 12, tzinfo=UTC),
        summary=summary[:500],
        narrative=narrative,
    )
    saved = calls.save_call(db, admin, sent)
    fetched = calls.get_call(db, admin, sent.id, audit_view=False)
    # Leading and trailing white space of one-line fields is trimmed; narratives keep theirs.
    assert fetched.data.caller.name == name.strip()
    assert fetched.data.caller.collar_number == collar.strip()
    assert fetched.data.summary == summary[:500].strip()
    assert fetched.data.narrative == narrative
    assert fetched.data == saved.data


def test_nul_and_lone_surrogates_are_refused_by_name(db):
    admin = make_admin(db)
    bad = CallData(
        caller=Caller(name="Ann\x00e", agency_type=AgencyType.POLICE),
        opened_at=datetime(2026, 5, 1, 12, tzinfo=UTC),
        summary="broken \ud800 text",
    )
    with pytest.raises(ValidationError) as info:
        calls.save_call(db, admin, bad)
    assert set(info.value.fields) == {"caller.name", "summary"}
    assert _count(db, Call) == 0


def test_invalid_input_names_every_field_and_writes_nothing(db):
    admin = make_admin(db)
    opened = datetime(2026, 5, 1, 12, tzinfo=UTC)
    bad = CallData(
        caller=Caller(name="  ", agency_type="detective agency", phone="12345", email="not-an-email"),  # type: ignore[arg-type]
        opened_at=opened,
        closed_at=opened - timedelta(minutes=5),
        status="closed",  # type: ignore[arg-type]
        urgency="whenever",  # type: ignore[arg-type]
        summary="x" * 501,
        narrative="y" * 2_000_001,
        persons=(PersonData(nationalities=("ZZ",), languages=("klingon",)),),
        routes=(RouteData(route="advice"),),  # type: ignore[arg-type]
    )
    events_before = _count(db, AuditEvent)
    with pytest.raises(ValidationError) as info:
        calls.save_call(db, admin, bad)
    fields = set(info.value.fields)
    assert {
        "caller.name",
        "caller.agency_type",
        "caller.phone",
        "caller.email",
        "closed_at",
        "urgency",
        "summary",
        "narrative",
        "persons[0].nationalities",
        "persons[0].languages",
        "routes[0].route",
    } <= fields
    messages = {e.field: e.message for e in info.value.errors}
    assert "before the call was opened" in messages["closed_at"]
    assert "whenever" in messages["urgency"]
    assert "limit is 500" in messages["summary"]
    assert (_count(db, Call), _count(db, Case), _count(db, Person)) == (0, 0, 0)
    assert _count(db, AuditEvent) == events_before


def test_missing_caller_and_naive_time_are_refused(db):
    admin = make_admin(db)
    with pytest.raises(ValidationError) as info:
        calls.save_call(db, admin, CallData(caller=None, opened_at=datetime(2026, 5, 1, 12)))  # type: ignore[arg-type]
    assert set(info.value.fields) >= {"caller", "opened_at"}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("07700 900123", "+447700900123"),
        ("+44 (0)7700 900123", "+447700900123"),
        ("0044 7700-900-123", "+447700900123"),
        ("(020) 7946 0991", "+442079460991"),
        ("+33 1 99 00 12 34", "+33199001234"),
    ],
)
def test_phone_numbers_are_stored_normalised(sqlite_db, typed, stored):
    admin = make_admin(sqlite_db)
    sent = full_call(caller=Caller(name="PC Ivo Marsh", agency_type=AgencyType.POLICE, phone=typed))
    assert calls.save_call(sqlite_db, admin, sent).data.caller.phone == stored


def test_saving_the_same_uuid_twice_updates_never_duplicates(db):
    admin = make_admin(db)
    sent = full_call()
    first = calls.save_call(db, admin, sent)
    again = calls.save_call(db, admin, dataclasses.replace(sent, summary="retried"), expected_version=1)
    assert _count(db, Call) == 1
    assert _count(db, Case) == 1
    assert again.reference == first.reference
    assert again.version == first.version + 1
    assert again.data.summary == "retried"


def test_update_changes_children_and_records_what_changed(db):
    admin = make_admin(db)
    saved = calls.save_call(db, admin, full_call())
    changed = dataclasses.replace(
        saved.data,
        urgency=Urgency.CRISIS,
        persons=(*saved.data.persons[1:], PersonData(nationalities=("ER",), languages=("tir",))),
        routes=(RouteData(route=Route.LEGAL),),
        outcomes=frozenset(),
    )
    updated = calls.save_call(db, admin, changed, expected_version=saved.version)
    assert updated.data == changed
    assert _count(db, Person) == 2
    history = audit.events_for(db, admin, saved.id)
    assert [e.action for e in history] == ["call.create", "call.update"]
    assert set(history[1].details["fields"]) == {"urgency", "persons", "routes", "outcomes"}
    assert history[1].actor_name == admin.username


def test_stale_edit_is_refused_not_overwritten(db):
    admin = make_admin(db)
    saved = calls.save_call(db, admin, full_call())
    calls.save_call(db, admin, dataclasses.replace(saved.data, summary="first editor"), expected_version=1)
    with pytest.raises(ConflictError, match="changed by someone else"):
        calls.save_call(
            db, admin, dataclasses.replace(saved.data, summary="second editor"), expected_version=1
        )
    assert calls.get_call(db, admin, saved.id).data.summary == "first editor"


def test_close_call(db):
    admin = make_admin(db)
    opened = datetime(2026, 5, 1, 12, tzinfo=UTC)
    sent = CallData(caller=Caller(name="PC Ivo Marsh", agency_type=AgencyType.POLICE), opened_at=opened)
    saved = calls.save_call(db, admin, sent)
    closed = calls.close_call(db, admin, saved.id, opened + timedelta(minutes=7))
    assert closed.data.status is CallStatus.CLOSED
    assert closed.data.closed_at == opened + timedelta(minutes=7)
    with pytest.raises(ValidationError, match="before the call was opened"):
        calls.close_call(db, admin, saved.id, opened - timedelta(minutes=1))


def test_linking_a_call_to_an_existing_case(db):
    admin = make_admin(db)
    first = calls.save_call(db, admin, full_call())
    second = calls.save_call(db, admin, full_call(id=uuid.uuid4(), persons=(), case_id=first.data.case_id))
    assert second.case_reference == first.case_reference
    with pytest.raises(ValidationError) as info:
        calls.save_call(db, admin, full_call(id=uuid.uuid4(), case_id=uuid.uuid4()))
    assert info.value.fields == ("case_id",)


def test_every_write_and_view_is_audited(db):
    admin = make_admin(db)
    saved = calls.save_call(db, admin, full_call())
    calls.get_call(db, admin, saved.id)
    events = audit.events_for(db, admin, saved.id)
    assert [(e.category.value, e.action) for e in events] == [
        ("collection", "call.create"),
        ("consultation", "call.view"),
    ]
    assert all(e.at.tzinfo is not None for e in events)


def test_permissions_are_checked(db):
    admin = make_admin(db)
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    saved = calls.save_call(db, operator, without_advice(full_call()))
    assert saved.handler_name == "Olu Operator"
    with pytest.raises(PermissionDeniedError):
        audit.recent_events(db, operator)


def _saved_many(db, admin, n: int) -> list[calls.CallRecord]:
    base = datetime(2026, 4, 1, 9, tzinfo=UTC)
    out = []
    for i in range(n):
        out.append(
            calls.save_call(
                db,
                admin,
                CallData(
                    caller=Caller(
                        name=["PC O'Brien", "DC Zoë Ångström", "Sgt Li Wei"][i % 3],
                        agency_type=[AgencyType.POLICE, AgencyType.NGO][i % 2],
                        collar_number=f"C{i:04d}",
                    ),
                    opened_at=base + timedelta(hours=i),
                    urgency=[Urgency.CRISIS, Urgency.ROUTINE][i % 2],
                    summary=f"call number {i}",
                    force_area="Kent Police" if i % 4 == 0 else "Essex Police",
                    routes=(RouteData(route=Route.LEGAL),) if i % 5 == 0 else (),
                ),
            )
        )
    return out


def test_list_pages_and_filters(db):
    admin = make_admin(db)
    saved = _saved_many(db, admin, 12)
    page = calls.list_calls(db, admin, CallQuery(limit=5))
    assert [r.reference for r in page.rows] == [s.reference for s in reversed(saved)][:5]
    assert page.has_more
    last = calls.list_calls(db, admin, CallQuery(limit=5, offset=10))
    assert len(last.rows) == 2 and not last.has_more
    assert calls.count_calls(db, admin) == 12
    assert calls.count_calls(db, admin, CallQuery(urgency=Urgency.CRISIS)) == 6
    assert calls.count_calls(db, admin, CallQuery(force_area="Kent Police")) == 3
    assert calls.count_calls(db, admin, CallQuery(route=Route.LEGAL)) == 3
    assert calls.count_calls(db, admin, CallQuery(agency_type=AgencyType.NGO)) == 6
    window = CallQuery(opened_from=saved[2].data.opened_at, opened_to=saved[5].data.opened_at)
    assert calls.count_calls(db, admin, window) == 3
    routes = {r.reference: r.routes for r in calls.list_calls(db, admin).rows}
    assert routes[saved[0].reference] == (Route.LEGAL,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("o'brien", 4),
        ("ZOË", 4),
        ("ångström", 4),
        ("C0007", 1),
        ("100%", 0),
        ("c_007", 0),  # not a LIKE wildcard: "_" separates words, and no call has "c" then "007…"
        ("SL-2026", 12),
    ],
)
def test_text_search_unicode_apostrophes_and_wildcards(db, text, expected):
    admin = make_admin(db)
    _saved_many(db, admin, 12)
    assert calls.count_calls(db, admin, CallQuery(text=text)) == expected


def test_a_call_read_back_carries_each_follow_ups_stored_status(db):
    """The call form shows a done or snoozed follow-up read-only (issue 14): both ways of reading
    a call (one call, and a page of them as exports read) say which is which."""
    from supportline.enums import FollowUpStatus
    from supportline.services import followups
    from supportline.services.call_types import FollowUpData

    actor = make_admin(db)
    now = datetime.now(UTC).replace(microsecond=0)
    data = dataclasses.replace(
        full_call(status=CallStatus.OPEN, closed_at=None),
        follow_ups=tuple(FollowUpData(due_at=now + timedelta(hours=h), note=f"item {h}") for h in (1, 2, 3)),
    )
    saved = calls.save_call(db, actor, data)
    done, snoozed, _ = followups.for_call(db, actor, saved.id)
    followups.complete_follow_up(db, actor, done.id, expected_version=done.version, outcome="Rang back")
    followups.snooze_follow_up(
        db,
        actor,
        snoozed.id,
        expected_version=snoozed.version,
        until=now + timedelta(hours=5),
        reason="Later",
    )
    expected = [FollowUpStatus.DONE, FollowUpStatus.SNOOZED, FollowUpStatus.OPEN]
    assert [f.status for f in calls.get_call(db, actor, saved.id).data.follow_ups] == expected
    with db.read() as session:
        (record,) = calls.read_records(session, select(Call).where(Call.id == saved.id))
    assert [f.status for f in record.data.follow_ups] == expected
