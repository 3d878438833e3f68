"""The call codec: every CallData survives JSON unchanged, and a bad payload names its key."""

from __future__ import annotations

import copy
import dataclasses
import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportline.enums import (
    AgeGroup,
    AgencyType,
    CallStatus,
    Channel,
    ChecklistState,
    ConsentLevel,
    ExploitationType,
    Indicator,
    NrmConsent,
    Outcome,
    ReferralTarget,
    Route,
    Sex,
    Urgency,
    WhereExploited,
)
from supportline.services.call_codec import FORMAT, from_jsonable, to_jsonable
from supportline.services.call_types import (
    CallData,
    Caller,
    ChecklistEntry,
    FollowUpData,
    PersonData,
    ReferralData,
    RouteData,
)
from supportline.services.call_validation import validate_call
from supportline.services.errors import ValidationError
from tests.factories import full_call

# --- strategies -----------------------------------------------------------------------------------

offsets = st.timedeltas(
    min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
)
zones = st.one_of(st.just(UTC), offsets.map(timezone))
times = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=zones, allow_imaginary=False
)
texts = st.text()  # any Unicode text, control characters, NULs and right-to-left scripts included
short_lists = st.lists(texts, max_size=3).map(tuple)


def enums(cls: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from(list(cls))


callers = st.builds(
    Caller,
    name=texts,
    agency_type=enums(AgencyType),
    rank=texts,
    organisation=texts,
    collar_number=texts,
    phone=texts,
    email=texts,
)
persons = st.builds(
    PersonData,
    age_group=enums(AgeGroup),
    sex=enums(Sex),
    age_disputed=st.booleans(),
    age_years=st.none() | st.integers(min_value=0, max_value=120),
    date_of_birth=st.none() | st.dates(),
    nationalities=short_lists,
    languages=short_lists,
    interpreter_needed=st.booleans(),
    name=texts,
    notes=texts,
    id=st.uuids(),
)
checklist = st.builds(ChecklistEntry, item_id=texts, state=enums(ChecklistState), at=times, skip_reason=texts)
routes = st.builds(
    RouteData,
    route=enums(Route),
    chosen=st.booleans(),
    suggested=st.booleans(),
    suggestion_reasons=short_lists,
    template_id=texts,
    template_hash=st.none() | texts,
    adviser_id=st.none() | st.uuids(),
    advice_summary=texts,
    checklist=st.lists(checklist, max_size=3).map(tuple),
    closed_at=st.none() | times,
)
referrals = st.builds(
    ReferralData,
    target=enums(ReferralTarget),
    organisation=texts,
    reference=texts,
    made_at=st.none() | times,
    notes=texts,
    id=st.uuids(),
)
follow_ups = st.builds(
    FollowUpData,
    due_at=times,
    note=texts,
    assignee_id=st.none() | st.uuids(),
    done_at=st.none() | times,
    id=st.uuids(),
)
calls = st.builds(
    CallData,
    caller=callers,
    opened_at=times,
    id=st.uuids(),
    closed_at=st.none() | times,
    status=enums(CallStatus),
    channel=enums(Channel),
    urgency=enums(Urgency),
    consent_level=enums(ConsentLevel),
    summary=texts,
    narrative=texts,
    force_area=texts,
    where_exploited=enums(WhereExploited),
    county_lines=st.booleans(),
    suspect_may_be_victim=st.booleans(),
    victim_at_scene=st.booleans(),
    nrm_consent=st.none() | enums(NrmConsent),
    exploitation_types=st.frozensets(enums(ExploitationType)),
    indicators=st.frozensets(enums(Indicator)),
    outcomes=st.frozensets(enums(Outcome)),
    persons=st.lists(persons, max_size=3).map(tuple),
    routes=st.lists(routes, max_size=3).map(tuple),
    referrals=st.lists(referrals, max_size=2).map(tuple),
    follow_ups=st.lists(follow_ups, max_size=2).map(tuple),
    case_id=st.none() | st.uuids(),
)


# --- round trips ----------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls)
def test_any_call_round_trips_through_json_text(data: CallData) -> None:
    encoded = to_jsonable(data)
    text = json.dumps(encoded, ensure_ascii=False)
    decoded = from_jsonable(json.loads(text))
    assert decoded == data
    assert type(decoded.status) is CallStatus
    assert isinstance(decoded.exploitation_types, frozenset)
    assert isinstance(decoded.persons, tuple)
    # Encoding is deterministic: sets come out sorted, so equal data gives equal text.
    assert json.dumps(to_jsonable(decoded), ensure_ascii=False) == text


def test_every_field_is_encoded() -> None:
    """A field added to CallData (or a part of it) without the codec knowing fails here."""
    data = full_call()
    encoded = to_jsonable(data)
    assert set(encoded) == {f.name for f in dataclasses.fields(CallData)} | {"format"}
    assert encoded["format"] == FORMAT
    parts: list[tuple[type, dict[str, Any]]] = [
        (Caller, encoded["caller"]),
        (PersonData, encoded["persons"][0]),
        (RouteData, encoded["routes"][0]),
        (ChecklistEntry, encoded["routes"][0]["checklist"][0]),
        (ReferralData, encoded["referrals"][0]),
        (FollowUpData, encoded["follow_ups"][0]),
    ]
    for cls, obj in parts:
        assert set(obj) == {f.name for f in dataclasses.fields(cls)}, cls.__name__


def test_full_call_round_trips_and_reads_well() -> None:
    data = validate_call(full_call())
    encoded = to_jsonable(data)
    assert encoded["opened_at"] == "2026-06-14T02:17:31.123456+00:00"
    assert encoded["status"] == "closed"
    assert encoded["exploitation_types"] == ["criminal", "labour"]
    assert encoded["id"] == str(data.id)
    assert encoded["nrm_consent"] == "consents"
    assert encoded["routes"][1]["template_hash"] is None
    assert from_jsonable(encoded) == data


def test_half_filled_form_round_trips_without_business_validation() -> None:
    opened = datetime(2026, 6, 14, 3, 41, tzinfo=UTC)
    half = CallData(
        caller=Caller(name="", agency_type=AgencyType.OTHER, phone="0770"),
        opened_at=opened,
        narrative="  officer says  ",
        persons=(PersonData(nationalities=("ZZ",)),),
    )
    with pytest.raises(ValidationError):
        validate_call(half)  # not a call that could be saved ...
    assert from_jsonable(to_jsonable(half)) == half  # ... but a draft that must survive


def test_zoned_times_keep_their_instant_and_offset() -> None:
    london = ZoneInfo("Europe/London")
    # 01:30 on 25 October 2026 happens twice in London; fold=1 is the second (GMT) one.
    first = datetime(2026, 10, 25, 1, 30, tzinfo=london)
    second = first.replace(fold=1)
    data = full_call(opened_at=first, closed_at=second)
    encoded = to_jsonable(data)
    assert encoded["opened_at"] == "2026-10-25T01:30:00+01:00"
    assert encoded["closed_at"] == "2026-10-25T01:30:00+00:00"
    decoded = from_jsonable(encoded)
    assert decoded.opened_at.astimezone(UTC) == first.astimezone(UTC)
    assert decoded.closed_at is not None
    assert decoded.closed_at.astimezone(UTC) == second.astimezone(UTC)
    assert decoded.opened_at.utcoffset() == timedelta(hours=1)


def test_naive_time_is_a_programming_error_when_encoding() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_jsonable(full_call(opened_at=datetime(2026, 1, 1, 12, 0)))


# --- bad payloads ---------------------------------------------------------------------------------


def _good() -> dict[str, Any]:
    return copy.deepcopy(to_jsonable(validate_call(full_call())))


def _set(obj: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = obj
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def _drop(obj: dict[str, Any], path: tuple[Any, ...]) -> None:
    target: Any = obj
    for step in path[:-1]:
        target = target[step]
    del target[path[-1]]


BAD_VALUES = [
    (("persons", 0, "sex"), "yes", "persons[0].sex", "not one of"),
    (("persons", 1, "age_disputed"), "true", "persons[1].age_disputed", "true or false"),
    (("persons", 0, "age_years"), "15", "persons[0].age_years", "a whole number or null, not text"),
    (("persons", 0, "age_years"), True, "persons[0].age_years", "a whole number or null"),
    (("persons", 0, "age_years"), 15.5, "persons[0].age_years", "a whole number or null, not a number"),
    (("persons", 0, "date_of_birth"), "15/03/2011", "persons[0].date_of_birth", "YYYY-MM-DD"),
    (("persons", 0, "date_of_birth"), "20110315", "persons[0].date_of_birth", "YYYY-MM-DD"),
    (("persons", 0, "date_of_birth"), 2011, "persons[0].date_of_birth", "a date (YYYY-MM-DD) or null"),
    (("persons", 1, "nationalities"), ["AL", 5], "persons[1].nationalities[1]", "must be text"),
    (("persons", 0, "id"), "1234", "persons[0].id", "not a UUID"),
    (("persons",), {}, "persons", "must be a list"),
    (("caller", "phone"), 7700900417, "caller.phone", "must be text, not a number"),
    (("caller", "agency_type"), None, "caller.agency_type", "must be text, not null"),
    (("caller",), "DS Tregarthen", "caller", "must be an object"),
    (("opened_at",), "2026-06-14T02:17:31", "opened_at", "no UTC offset"),
    (("opened_at",), "last Tuesday", "opened_at", "is not a valid time (ISO 8601"),
    (("closed_at",), 1781403451, "closed_at", "must be a date and time in text"),
    (("routes", 0, "checklist", 1, "at"), "2026-06-14", "routes[0].checklist[1].at", "no UTC offset"),
    (("routes", 0, "checklist", 0, "state"), "TICKED", "routes[0].checklist[0].state", "not one of"),
    (("routes", 1, "adviser_id"), 42, "routes[1].adviser_id", "UUID"),
    (("referrals", 0, "target"), "the police", "referrals[0].target", "not one of"),
    (("follow_ups", 0, "due_at"), None, "follow_ups[0].due_at", "must be a date and time"),
    (("exploitation_types",), ["labour", "labour"], "exploitation_types[1]", "listed twice"),
    (("indicators",), ["debt_bondage", "curfew"], "indicators[1]", "not one of"),
    (("county_lines",), 0, "county_lines", "true or false"),
    (("nrm_consent",), "maybe", "nrm_consent", "not one of"),
    (("id",), "{" + str(uuid.UUID(int=1)) + "}", "id", "not a UUID"),
    (("case_id",), "", "case_id", "not a UUID"),
    (("narrative",), ["a", "b"], "narrative", "must be text, not a list"),
]


@pytest.mark.parametrize(("path", "value", "field", "message"), BAD_VALUES, ids=[b[2] for b in BAD_VALUES])
def test_bad_value_names_its_key(path: tuple[Any, ...], value: Any, field: str, message: str) -> None:
    payload = _good()
    _set(payload, path, value)
    with pytest.raises(ValidationError) as caught:
        from_jsonable(payload)
    assert caught.value.fields == (field,)
    assert message in caught.value.errors[0].message


MISSING = [
    (("narrative",), "narrative"),
    (("caller",), "caller"),
    (("caller", "email"), "caller.email"),
    (("persons", 1, "languages"), "persons[1].languages"),
    (("routes", 0, "checklist", 0, "skip_reason"), "routes[0].checklist[0].skip_reason"),
    (("follow_ups", 0, "done_at"), "follow_ups[0].done_at"),
]


@pytest.mark.parametrize(("path", "field"), MISSING, ids=[m[1] for m in MISSING])
def test_missing_key_is_named(path: tuple[Any, ...], field: str) -> None:
    payload = _good()
    _drop(payload, path)
    with pytest.raises(ValidationError) as caught:
        from_jsonable(payload)
    assert caught.value.fields == (field,)
    assert caught.value.errors[0].message == "missing"


def test_unknown_keys_are_named() -> None:
    payload = _good()
    payload["colour"] = "red"
    payload["referrals"][1]["priority"] = 1
    with pytest.raises(ValidationError) as caught:
        from_jsonable(payload)
    assert set(caught.value.fields) == {"colour", "referrals[1].priority"}
    assert {e.message for e in caught.value.errors} == {"unknown key"}


def test_every_problem_is_reported_at_once() -> None:
    payload = _good()
    payload["urgency"] = "very"
    payload["persons"][0]["sex"] = 1
    del payload["summary"]
    with pytest.raises(ValidationError) as caught:
        from_jsonable(payload)
    assert set(caught.value.fields) == {"urgency", "persons[0].sex", "summary"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": 2}, "not a format this version reads"),
        ({"format": True}, "not a format this version reads"),
        ({"format": "1"}, "not a format this version reads"),
    ],
)
def test_unknown_format_is_refused(change: dict[str, Any], message: str) -> None:
    payload = {**_good(), **change}
    with pytest.raises(ValidationError, match=message) as caught:
        from_jsonable(payload)
    assert caught.value.fields == ("format",)


def test_missing_format_and_non_objects_are_refused() -> None:
    payload = _good()
    del payload["format"]
    with pytest.raises(ValidationError) as caught:
        from_jsonable(payload)
    assert caught.value.fields == ("format",)
    for bad in ([], "call", None, 3):
        with pytest.raises(ValidationError, match="must be an object"):
            from_jsonable(bad)  # type: ignore[arg-type]


def test_a_payload_from_before_the_guidance_facts_reads_them_as_false() -> None:
    """Drafts saved before ``suspect_may_be_victim`` and ``victim_at_scene`` existed still open."""
    data = dataclasses.replace(full_call(), suspect_may_be_victim=True, victim_at_scene=True)
    encoded = to_jsonable(data)
    assert from_jsonable(encoded) == data
    old = {k: v for k, v in encoded.items() if k not in {"suspect_may_be_victim", "victim_at_scene"}}
    decoded = from_jsonable(old)
    assert (decoded.suspect_may_be_victim, decoded.victim_at_scene) == (False, False)
    assert dataclasses.replace(decoded, suspect_may_be_victim=True, victim_at_scene=True) == data
    with pytest.raises(ValidationError) as caught:
        from_jsonable({**encoded, "victim_at_scene": "yes"})
    assert [e.field for e in caught.value.errors] == ["victim_at_scene"]


def test_drafts_from_before_a_persons_age_existed_still_open() -> None:
    """A person written before ``age_years`` and ``date_of_birth`` existed reads with neither."""
    person = dataclasses.replace(full_call().persons[0], age_years=15, date_of_birth=date(2011, 3, 15))
    data = dataclasses.replace(full_call(), persons=(person,))
    encoded = to_jsonable(data)
    assert (encoded["persons"][0]["age_years"], encoded["persons"][0]["date_of_birth"]) == (15, "2011-03-15")
    assert from_jsonable(encoded) == data
    for key in ("age_years", "date_of_birth"):
        del encoded["persons"][0][key]
    decoded = from_jsonable(encoded)
    assert (decoded.persons[0].age_years, decoded.persons[0].date_of_birth) == (None, None)
