"""The call list's filters, sorts and free-text search, and earlier calls, on both dialects."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from supportline.db.models import AuditEvent, Call
from supportline.enums import AgencyType, CallStatus, Role, Route, Urgency
from supportline.services import accounts, call_search, calls
from supportline.services.call_types import CallData, Caller, CallQuery, CallSummary, RouteData, SortKey
from supportline.services.errors import ValidationError
from tests.factories import PASSWORD, make_admin, make_user

BASE = datetime(2026, 4, 1, 9, tzinfo=UTC)


def _save(db, actor, *, name="PC Ivo Marsh", at=BASE, **changes) -> calls.CallRecord:
    caller_fields = {
        k: changes.pop(k) for k in ("agency_type", "organisation", "collar_number", "phone") if k in changes
    }
    caller = Caller(
        name=name, agency_type=caller_fields.pop("agency_type", AgencyType.POLICE), **caller_fields
    )
    return calls.save_call(db, actor, CallData(caller=caller, opened_at=at, **changes))


def _found(db, actor, text_: str, **query) -> list[str]:
    page = calls.list_calls(db, actor, CallQuery(text=text_, limit=1000, **query))
    refs = [r.reference for r in page.rows]
    assert calls.count_calls(db, actor, CallQuery(text=text_, **query)) == len(refs)
    return refs


def _events(db, action: str) -> int:
    with db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))
            or 0
        )


# --- filters ------------------------------------------------------------------------------------


def test_every_filter_alone_and_with_text(db):
    admin = make_admin(db)
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    saved = []
    for i in range(12):
        actor = operator if i % 3 == 0 else admin
        record = _save(
            db,
            actor,
            at=BASE + timedelta(hours=i),
            agency_type=[AgencyType.POLICE, AgencyType.NGO][i % 2],
            urgency=[Urgency.CRISIS, Urgency.ROUTINE, Urgency.URGENT][i % 3],
            force_area="Kent Police" if i % 4 == 0 else "Essex Police",
            routes=(RouteData(route=Route.LEGAL),)
            if i % 5 == 0
            else (RouteData(route=Route.VICTIM, chosen=False),),
            summary="farm workers" if i % 2 == 0 else "car wash",
        )
        if i % 6 == 0:
            record = calls.close_call(db, actor, record.id, record.data.opened_at + timedelta(minutes=5))
        saved.append(record)

    def refs(where):
        return sorted(s.reference for s in saved if where(s))

    cases = [
        (CallQuery(status=CallStatus.CLOSED), lambda s: s.data.status is CallStatus.CLOSED),
        (CallQuery(urgency=Urgency.URGENT), lambda s: s.data.urgency is Urgency.URGENT),
        (CallQuery(agency_type=AgencyType.NGO), lambda s: s.data.caller.agency_type is AgencyType.NGO),
        (CallQuery(force_area="Kent Police"), lambda s: s.data.force_area == "Kent Police"),
        (CallQuery(handler_id=operator.user_id), lambda s: s.handler_id == operator.user_id),
        (CallQuery(route=Route.LEGAL), lambda s: any(r.route is Route.LEGAL for r in s.data.routes)),
        (CallQuery(route=Route.VICTIM), lambda s: False),  # advised on, never chosen
        (
            CallQuery(opened_from=BASE + timedelta(hours=2), opened_to=BASE + timedelta(hours=5)),
            lambda s: BASE + timedelta(hours=2) <= s.data.opened_at < BASE + timedelta(hours=5),
        ),
    ]
    for query, where in cases:
        page = calls.list_calls(db, admin, dataclasses.replace(query, limit=100))
        assert sorted(r.reference for r in page.rows) == refs(where), query
        assert calls.count_calls(db, admin, query) == len(refs(where)), query
        with_text = dataclasses.replace(query, text="farm", limit=100)
        expected = refs(lambda s, where=where: where(s) and "farm" in s.data.summary)
        assert sorted(r.reference for r in calls.list_calls(db, admin, with_text).rows) == expected, query
        assert calls.count_calls(db, admin, with_text) == len(expected), query


def test_summary_rows_carry_case_collar_and_phone(db):
    admin = make_admin(db)
    record = _save(db, admin, collar_number="DC 4471", phone="07700 900417", organisation="Kent Police")
    (row,) = calls.list_calls(db, admin).rows
    assert isinstance(row, CallSummary)
    assert (row.case_id, row.case_reference) == (record.data.case_id, record.case_reference)
    assert (row.caller_collar_number, row.caller_phone) == ("DC 4471", "+447700900417")
    assert row.handler_name == "Ada Admin" and row.caller_organisation == "Kent Police"


def test_page_limits_are_checked(db):
    admin = make_admin(db)
    for bad in (CallQuery(limit=0), CallQuery(limit=1001), CallQuery(offset=-1)):
        with pytest.raises(ValidationError):
            calls.list_calls(db, admin, bad)


# --- sorting --------------------------------------------------------------------------------------

NAMES = ("Baker", "Adams", "Baker", "Clark", "Davies", "Adams")
FORCES = ("Kent Police", "Essex Police", "Avon and Somerset Constabulary")


def _sorted_set(db):
    """Calls with ties on every sort key (the same name, the same minute) and two handlers."""
    admin = make_admin(db)
    bea = make_user(db, admin, "bea.zed", Role.OPERATOR)  # "Bea Zed", after "Ada Admin"
    records = []
    for i in range(15):
        records.append(
            _save(
                db,
                bea if i % 4 == 0 else admin,
                name=NAMES[i % len(NAMES)],
                at=BASE + timedelta(minutes=10 * (i // 2)),  # pairs opened at the same moment
                agency_type=[AgencyType.NGO, AgencyType.POLICE, AgencyType.CPS][i % 3],
                urgency=tuple(Urgency)[i % 4],
                force_area=FORCES[i % 3],
                summary="farm",
            )
        )
        if i % 5 == 0:
            calls.close_call(db, admin, records[-1].id, records[-1].data.opened_at + timedelta(minutes=3))
    return admin, [calls.get_call(db, admin, r.id, audit_view=False) for r in records]


def _key(sort: SortKey, record: calls.CallRecord):
    d = record.data
    then = (d.opened_at, d.id)
    if sort is SortKey.REFERENCE:
        return (record.reference,)
    first = {
        SortKey.OPENED: (),
        SortKey.URGENCY: (tuple(Urgency).index(d.urgency),),
        SortKey.STATUS: (tuple(CallStatus).index(d.status),),
        SortKey.CALLER: (d.caller.name,),
        SortKey.AGENCY: (tuple(AgencyType).index(d.caller.agency_type),),
        SortKey.FORCE_AREA: (d.force_area,),
        SortKey.HANDLER: (record.handler_name, record.handler_id),
    }[sort]
    return (*first, *then)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", list(SortKey))
def test_every_sort_both_ways_pages_stably(db, monkeypatch, sort, descending):
    admin, records = _sorted_set(db)
    expected = [r.reference for r in sorted(records, key=lambda r: _key(sort, r), reverse=descending)]
    # With no text, and with text matching every call found each way the search can go: the
    # match set leading (sorted after), the sort index leading (the match set only checked), and
    # (time order) window by window, in one window or many, or giving up for the match set.
    plans = [
        ("", {}),
        ("farm", {"SMALL_MATCH": 20_000}),
        ("farm", {"SMALL_MATCH": 0}),
        ("farm", {"SMALL_MATCH": 0, "WINDOW_ROWS": 2, "WINDOW_FACTOR": 0, "WINDOWS": 100}),
        ("farm", {"SMALL_MATCH": 0, "WINDOW_ROWS": 2, "WINDOW_FACTOR": 0, "WINDOWS": 1}),
        ("farm", {"SMALL_MATCH": 0, "WINDOW_SPREAD": 0}),
    ]
    for text_, patches in plans:
        for name, value in patches.items():
            monkeypatch.setattr(call_search, name, value)
        query = CallQuery(sort=sort, descending=descending, text=text_)
        whole = calls.list_calls(db, admin, dataclasses.replace(query, limit=100))
        assert [r.reference for r in whole.rows] == expected, (text_, patches)
        paged: list[str] = []
        for offset in range(0, 20, 4):
            page = calls.list_calls(db, admin, dataclasses.replace(query, offset=offset, limit=4))
            paged += [r.reference for r in page.rows]
            assert page.has_more == (offset + 4 < len(records))
        assert paged == expected, (text_, patches)
        monkeypatch.undo()


def test_sort_with_a_filter_walks_only_the_filtered_calls(db):
    admin, records = _sorted_set(db)
    query = CallQuery(sort=SortKey.URGENCY, urgency=Urgency.URGENT, status=CallStatus.OPEN, limit=2)
    expected = sorted(
        (r for r in records if r.data.urgency is Urgency.URGENT and r.data.status is CallStatus.OPEN),
        key=lambda r: _key(SortKey.URGENCY, r),
        reverse=True,
    )
    got = [
        r.reference
        for o in range(0, 6, 2)
        for r in calls.list_calls(db, admin, dataclasses.replace(query, offset=o)).rows
    ]
    assert got == [r.reference for r in expected]


# --- text search ----------------------------------------------------------------------------------


@pytest.fixture
def people(db):
    admin = make_admin(db)
    made = {
        "obrien": _save(
            db, admin, name="PC Siobhan O'Brien", collar_number="DC 4471", summary="Car wash workers"
        ),
        "dsouza": _save(db, admin, name="DS Anil D'Souza", summary="Cannabis farm in a loft"),
        "zoe": _save(
            db, admin, name="DC Zoë Ångström", organisation="Devon and Cornwall Police", summary="Nail bar"
        ),
        "arabic": _save(
            db, admin, name="نور الهدى القحطاني", agency_type=AgencyType.NGO, summary="farm labour"
        ),
        "hebrew": _save(
            db, admin, name="אביגיל בן־דוד", agency_type=AgencyType.NGO, summary="domestic servitude"
        ),
        "chinese": _save(db, admin, name="王小明", agency_type=AgencyType.NGO, summary="restaurant kitchen"),
        "phone": _save(
            db, admin, name="Sgt Ravi Patel", phone="+44 7700 900123", summary="Farm workers at a kent farm"
        ),
        "other_phone": _save(db, admin, name="PC Lee Hart", phone="07700 900456", force_area="Kent Police"),
    }
    return admin, made


def _refs(made, *keys):
    return sorted(made[k].reference for k in keys)


@pytest.mark.parametrize(
    ("typed", "keys"),
    [
        ("o'brien", ["obrien"]),
        ("O’Brien", ["obrien"]),  # a typographic apostrophe
        ("siobhan o'br", ["obrien"]),  # as you type: the last word is a prefix
        ("siobhan o'b", []),  # … from its second letter on
        ("o", ["obrien"]),  # one letter: a whole word
        ("d", ["dsouza"]),
        ("D'Souza", ["dsouza"]),
        ("d'sou", ["dsouza"]),
        ("zoe", ["zoe"]),
        ("ZOË", ["zoe"]),
        ("Zoe\u0308", ["zoe"]),  # decomposed: e + combining diaeresis
        ("angstrom", ["zoe"]),
        ("ångst", ["zoe"]),
        ("القحطاني", ["arabic"]),
        ("نور الهد", ["arabic"]),
        ("אביגיל", ["hebrew"]),
        ("בן־דוד", ["hebrew"]),
        ("王小明", ["chinese"]),
        ("小明", ["chinese"]),  # part of a name: no word boundary in Chinese
        ("farm", ["arabic", "dsouza", "phone"]),
        ("far", ["arabic", "dsouza", "phone"]),
        ("arm", []),  # a fragment inside a word is not a word (no trigram matching, decision 12)
        ("ouza", []),
        ("farm kent", ["phone"]),  # every word must match
        ("kent farm", ["phone"]),
        ("farm devon", []),
        ("4471", ["obrien"]),
        ("dc 4471", ["obrien"]),
        ("07700 900123", ["phone"]),
        ("07700900123", ["phone"]),
        ("+44 7700 900123", ["phone"]),
        ("+447700900123", ["phone"]),
        ("0044 7700 900123", ["phone"]),
        ("+44 (0)7700 900123", ["phone"]),
        ("07700 9001", ["phone"]),  # a number as it is typed
        ("07700 900", ["other_phone", "phone"]),
        ("07700 900999", []),
    ],
)
def test_text_search(db, people, typed, keys):
    admin, made = people
    assert sorted(_found(db, admin, typed)) == _refs(made, *keys)


def test_references_whole_and_in_part(db, people):
    admin, made = people
    ref = made["zoe"].reference  # SL-2026-000003
    assert _found(db, admin, ref) == [ref]
    assert _found(db, admin, ref.lower()) == [ref]
    assert _found(db, admin, ref.split("-")[-1]) == [ref]
    assert ref in _found(db, admin, ref[:-1])  # as typed, one digit short
    assert sorted(_found(db, admin, "SL-2026")) == sorted(r.reference for r in made.values())


@pytest.mark.parametrize(
    "typed",
    [
        '"farm',
        "farm\"'",
        "farm AND",
        "farm OR kent",
        "NOT farm",
        "NEAR(farm kent)",
        "farm*",
        "*farm",
        "^farm",
        "summary:farm",
        "caller_name : farm",
        "(farm)",
        "-farm",
        "farm & kent | !x",
        "farm <-> kent",
        "'farm':*",
        "farm\\",
        "%farm_",
    ],
)
def test_query_syntax_is_plain_text(db, people, typed):
    """Operators, quotes and wildcards are never syntax: they are the separators they look like."""
    admin, made = people
    found = _found(db, admin, typed)
    assert found == _found(db, admin, re.sub(r"[^\w\s]|_", " ", typed))
    if re.sub(r"[^\w\s]|_", "", typed).strip() == "farm":
        assert sorted(found) == _refs(made, "arabic", "dsouza", "phone")


@pytest.mark.parametrize("typed", ["'", '"', "*", "()", ":", "-", "''", "—", "   ", "\x00", "\ud800"])
def test_nothing_searchable_lists_everything(db, people, typed):
    admin, made = people
    assert len(_found(db, admin, typed)) == len(made)


def test_results_as_you_type_never_fail(db, people):
    admin, _made = people
    for phrase in ("Siobhan O'Brien", "+44 (0)7700 900123", "王小明", "D'Souza farm"):
        for end in range(1, len(phrase) + 1):
            calls.count_calls(db, admin, CallQuery(text=phrase[:end]))
            calls.list_calls(db, admin, CallQuery(text=phrase[:end], limit=5))
        assert _found(db, admin, phrase)


def test_words_of_a_one_megabyte_narrative(db):
    admin = make_admin(db)
    filler = "The officer described the premises and the people there in some detail. " * 7_000
    narrative = "kestrel " + filler + " heron " + filler + " osprey"
    assert len(narrative.encode()) > 1_000_000
    saved = _save(db, admin, narrative=narrative)
    _save(db, admin, narrative="nothing of note")
    for word in ("kestrel", "heron", "ospr", "some detail"):
        assert _found(db, admin, word) == [saved.reference], word


def test_edits_and_deletes_keep_the_index_in_step(db):
    admin = make_admin(db)
    saved = _save(db, admin, narrative="A kestrel over the yard", summary="first")
    assert _found(db, admin, "kestrel") == [saved.reference]
    edited = calls.save_call(
        db,
        admin,
        dataclasses.replace(saved.data, narrative="An osprey over the yard"),
        expected_version=saved.version,
    )
    assert _found(db, admin, "kestrel") == []
    assert _found(db, admin, "osprey") == [saved.reference]
    # An edit of fields outside the index leaves it as it was.
    edited = calls.save_call(
        db, admin, dataclasses.replace(edited.data, urgency=Urgency.CRISIS), expected_version=edited.version
    )
    assert _found(db, admin, "osprey yard") == [saved.reference]
    calls.save_call(
        db,
        admin,
        dataclasses.replace(edited.data, caller=dataclasses.replace(edited.data.caller, name="PC Wren")),
        expected_version=edited.version,
    )
    assert _found(db, admin, "wren") == [saved.reference] and _found(db, admin, "marsh") == []
    with db.write() as session:
        session.delete(session.get_one(Call, saved.id))
    assert _found(db, admin, "osprey") == []
    assert _found(db, admin, "wren") == []


def test_a_text_search_is_audited_once(db, people):
    admin, _made = people
    before = _events(db, "call.search")
    calls.list_calls(db, admin, CallQuery(text="farm"))
    calls.list_calls(db, admin, CallQuery())  # no text: no search
    calls.count_calls(db, admin, CallQuery(text="farm"))
    assert _events(db, "call.search") == before + 1


def test_sqlite_search_survives_vacuum(sqlite_db):
    """The FTS5 index points at calls' rowids; VACUUM must not break it."""
    admin = make_admin(sqlite_db)
    first = _save(sqlite_db, admin, narrative="kestrel")
    for i in range(20):
        _save(sqlite_db, admin, narrative=f"filler {i}")
    with sqlite_db.write() as session:
        for call in session.scalars(select(Call).where(Call.narrative.like("filler 1%"))):
            session.delete(call)
    last = _save(sqlite_db, admin, narrative="osprey")
    with sqlite_db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.execute("VACUUM")
        raw.execute("INSERT INTO calls_fts(calls_fts, rank) VALUES ('integrity-check', 1)")  # raises if not
    assert _found(sqlite_db, admin, "kestrel") == [first.reference]
    assert _found(sqlite_db, admin, "osprey") == [last.reference]


_any_text = st.text(max_size=40) | st.text(alphabet="\"'*()^:-+ 0123456789ANDORNEAR_%\\", max_size=20)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typed=_any_text)
def test_arbitrary_text_never_raises(db, typed):
    if accounts.count_users(db) == 0:
        admin = make_admin(db)
        _save(db, admin, name="PC Siobhan O'Brien", phone="07700 900123", summary="farm 王小明")
    admin = accounts.authenticate(db, "ada.admin", PASSWORD)
    for sort in (SortKey.OPENED, SortKey.URGENCY):
        page = calls.list_calls(db, admin, CallQuery(text=typed, sort=sort, limit=5))
        assert calls.count_calls(db, admin, CallQuery(text=typed)) == len(page.rows)


# --- earlier calls --------------------------------------------------------------------------------


def test_earlier_calls_by_collar_or_phone(db):
    admin = make_admin(db)
    mine = [
        _save(db, admin, at=BASE + timedelta(days=i), collar_number="DC 4471", phone="07700 900417")
        for i in range(3)
    ]
    by_phone_only = _save(db, admin, at=BASE + timedelta(days=5), phone="+44 7700 900417")
    _save(db, admin, at=BASE + timedelta(days=6), collar_number="DC 44710", phone="07700 900999")
    _save(db, admin, at=BASE + timedelta(days=7), collar_number="DC-4471")
    newest_first = [r.reference for r in reversed(mine)]

    def refs(**kw):
        return [r.reference for r in calls.earlier_calls(db, admin, **kw)]

    assert refs(collar_number="dc 4471") == newest_first
    assert refs(collar_number="  DC 4471 ") == newest_first
    assert refs(collar_number="DC 447") == []
    for typed in ("07700 900417", "+44 7700 900417", "0044 7700-900-417", "+447700900417"):
        assert refs(phone=typed) == [by_phone_only.reference, *newest_first], typed
    assert refs(collar_number="DC 4471", phone="07700 900417") == [by_phone_only.reference, *newest_first]
    assert refs(collar_number="dc 4471", exclude_call_id=mine[2].id) == newest_first[1:]
    assert refs(collar_number="dc 4471", limit=2) == newest_first[:2]
    assert refs(phone="07700 9004") == []  # not yet a whole number
    (row, *_) = calls.earlier_calls(db, admin, collar_number="DC 4471")
    assert row.case_reference == mine[2].case_reference and row.caller_phone == "+447700900417"


def test_earlier_calls_are_audited_per_lookup(db):
    admin = make_admin(db)
    _save(db, admin, collar_number="DC 4471")
    assert calls.earlier_calls(db, admin) == ()
    assert calls.earlier_calls(db, admin, collar_number="  ", phone="0") == ()
    assert _events(db, "call.earlier") == 0
    calls.earlier_calls(db, admin, collar_number="dc 4471")
    calls.earlier_calls(db, admin, phone="07700 900417")
    assert _events(db, "call.earlier") == 2
    with db.read() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "call.earlier")).first()
    assert event is not None and "4471" not in event.details


def test_earlier_calls_need_a_sane_limit(db):
    admin = make_admin(db)
    with pytest.raises(ValidationError):
        calls.earlier_calls(db, admin, collar_number="DC 1", limit=0)


# --- the parser, without a database -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("07700 900123", "447700900123"),
        ("+44 (0)7700 900123", "447700900123"),
        ("0044 7700", "447700"),
        ("+33 1 99", "33199"),
        ("0770", ""),  # too short to be worth comparing yet
        ("000058", "0058"),  # 00: an international prefix
        ("farm 07700", ""),
        ("", ""),
    ],
)
def test_phone_digits(typed, digits):
    assert call_search.parse(typed).phone_digits == digits


def test_queries_quote_everything_typed():
    assert call_search.sqlite_match(['o"brien', "xy*"], True) == '"o""brien" AND "xy*" *'
    assert call_search.pg_tsquery(["O'Brien", "Zoë"], True) == "('o' <-> 'brien') & ('zoe':*)"
    assert call_search.pg_tsquery(["&|!"], False) == ""
