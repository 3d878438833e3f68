"""Importing calls (issue 5): round trips through CSV and JSON Lines into an empty database on both
dialects, exact problem reports, all or nothing, no duplicates, references and placeholders.

Every person, number and address here is invented; phone numbers are from Ofcom's drama range.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from supportline.db import Database
from supportline.db.models import AuditEvent, Call, Case, GuidanceVersion, Person, User
from supportline.enums import AuditCategory, ChecklistState, Role, Route
from supportline.exports import service
from supportline.exports.common import ExportFormat, Profile
from supportline.exports.csv_export import COLUMNS
from supportline.guidance import provenance
from supportline.guidance.loader import load_folder, shipped_guidance_dir
from supportline.services import accounts, audit, call_import
from supportline.services.actor import Actor
from supportline.services.call_import import ImportRefusedError, Problem, import_calls
from supportline.services.call_types import CallData, CallQuery, ChecklistEntry, RouteData
from supportline.services.calls import get_call, save_call
from supportline.services.demo import generate_demo
from supportline.services.errors import AuthenticationError, PermissionDeniedError
from tests.conftest import Run
from tests.factories import PASSWORD, full_call, make_admin, make_user, outcome

START = datetime(2026, 6, 14, 2, 17, 31, 123456, tzinfo=UTC)
PURPOSE = "Moving the line's call log to the new server"
DEMO_PASSWORD = "demo password 2026"
#: Text that trips up encoders, spreadsheets, line splitters and normalisers.
ODD = (
    "Zoë Ødegård-Ñúñez 李小龍 Ἀθηνᾶ Дмитрий مرحبا עברית "
    "e\u0301 (combining) \u200d👩‍👩‍👧 \U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f"
    " line\u2028separator para\u2029graph nel\x85 tab\tcr\r\nlf\n"
    "=cmd|' /C calc'!A0 +1 -1 @SUM 'quoted ''twice \ufeffbom-inside \ufffd"
)

csv.field_size_limit(call_import.CSV_FIELD_LIMIT)  # the 1 MB narrative, read back in the tests


def _count(db: Database, model: type, *where: Any) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def export_file(db: Database, actor: Actor, path: Path, fmt: ExportFormat) -> Path:
    service.export(db, actor, format=fmt, query=CallQuery(), profile=Profile.FULL, path=path, purpose=PURPOSE)
    return path


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().split(b"\n") if line]


def exported_rows(db: Database, actor: Actor, path: Path, fmt: ExportFormat) -> list[Any]:
    export_file(db, actor, path, fmt)
    return read_csv(path) if fmt is ExportFormat.CSV else read_jsonl(path)


def shipped_template(route: Route) -> Any:
    return next(t for t in load_folder(shipped_guidance_dir()).templates if t.route is route)


def call_with_guidance(db: Database, opened: datetime) -> CallData:
    """A call whose closed victim route rests on a shipped template, every required item ticked."""
    template = shipped_template(Route.VICTIM)
    content_hash = provenance.remember(db, template)
    base = full_call(opened)
    route = RouteData(
        route=Route.VICTIM,
        suggested=True,
        suggestion_reasons=("a child may be present",),
        template_id=template.id,
        template_hash=content_hash,
        advice_summary="Children's services and police.",
        checklist=tuple(
            ChecklistEntry(item.id, ChecklistState.TICKED, opened + timedelta(minutes=2))
            for item in template.checklist
        ),
        closed_at=opened + timedelta(minutes=20),
    )
    return dataclasses.replace(base, routes=(route, base.routes[1]))


@dataclass
class Source:
    db: Database
    actor: Actor
    special: list[CallData]


@pytest.fixture
def source(db: Database) -> Source:
    """Demo calls plus calls with guidance, odd Unicode, a 1 MB narrative and a shared case."""
    generate_demo(db, calls=40, password=DEMO_PASSWORD, seed=5, batch_size=20)
    actor = accounts.authenticate(db, "demo-admin", DEMO_PASSWORD)
    guided = save_call(db, actor, call_with_guidance(db, START))
    odd = full_call(START + timedelta(hours=1), summary="Zoë Ødegård-Ñúñez 李小龍 =1+1", narrative=ODD)
    odd = dataclasses.replace(odd, caller=dataclasses.replace(odd.caller, name="Ἀθηνᾶ =HYPERLINK()"))
    odd_saved = save_call(db, actor, odd)
    big = "Ünïcödé narrative line — with a little of everything 李 👩‍👧.\n" * 20_000
    big_saved = save_call(
        db, actor, full_call(START + timedelta(hours=2), narrative=big, case_id=odd_saved.data.case_id)
    )
    assert len(big_saved.data.narrative) > 1_000_000
    return Source(db, actor, [guided.data, odd_saved.data, big_saved.data])


@pytest.fixture
def target(other_db: Database) -> Actor:
    return make_admin(other_db)


# --- round trips ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [ExportFormat.CSV, ExportFormat.JSONL])
def test_round_trip_into_an_empty_database(
    source: Source,
    other_db: Database,
    target: Actor,
    tmp_path: Path,
    fmt: ExportFormat,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(call_import, "CHUNK", 4)  # many chunks: lookups and writes cross their ends
    first = tmp_path / f"first{fmt.suffix}"
    rows = exported_rows(source.db, source.actor, first, fmt)
    assert len(rows) == 43 + (1 if fmt is ExportFormat.CSV else 0)
    assert _count(other_db, Call) == 0

    result = import_calls(other_db, target, first)
    assert (result.format.value, result.rows, result.imported, result.skipped) == (fmt.value, 43, 43, 0)
    assert result.guidance_stored == 1 and result.placeholder_users >= 1 and not result.dry_run

    again = exported_rows(other_db, target, tmp_path / f"again{fmt.suffix}", fmt)
    assert again == rows  # every column of every row, in the same order
    # The special cases arrived exactly (not only as exported text).
    for data in source.special:
        assert get_call(other_db, target, data.id, audit_view=False).data == data
    assert _count(other_db, Case) == _count(source.db, Case)
    assert _count(other_db, Person) == _count(source.db, Person)
    with other_db.read() as session:
        stored = session.get_one(GuidanceVersion, source.special[0].routes[0].template_hash)
        assert stored.text == shipped_template(Route.VICTIM).text


def test_reimport_creates_no_duplicates(
    source: Source, other_db: Database, target: Actor, tmp_path: Path
) -> None:
    path = export_file(source.db, source.actor, tmp_path / "calls.csv", ExportFormat.CSV)
    import_calls(other_db, target, path)
    counts = [_count(other_db, m) for m in (Call, Case, Person, User, GuidanceVersion)]
    again = import_calls(other_db, target, path)
    assert (again.imported, again.skipped, again.cases_created, again.placeholder_users) == (0, 43, 0, 0)
    assert again.differing == ()  # every call read back equals the file's
    assert [_count(other_db, m) for m in (Call, Case, Person, User, GuidanceVersion)] == counts
    jsonl = export_file(source.db, source.actor, tmp_path / "calls.jsonl", ExportFormat.JSONL)
    from_jsonl = import_calls(other_db, target, jsonl)
    assert (from_jsonl.imported, from_jsonl.differing) == (0, ())
    assert [_count(other_db, m) for m in (Call, Case, Person, User, GuidanceVersion)] == counts
    # Each run is audited as a combination (DPA 2018 s.62), with the file's hash and what it did.
    runs = audit.recent_events(other_db, target, action="calls.import")
    assert [(e.category, e.details["imported"], e.details["skipped"]) for e in runs] == [
        (AuditCategory.COMBINATION, 0, 43), (AuditCategory.COMBINATION, 0, 43),
        (AuditCategory.COMBINATION, 43, 0),
    ]  # fmt: skip
    assert runs[-1].details["file_name"] == "calls.csv" and len(runs[-1].details["sha256"]) == 64
    assert _count(other_db, AuditEvent, AuditEvent.action == "call.import") == 43


def test_calls_already_present_are_compared_and_differences_named(
    db: Database, other_db: Database, target: Actor, tmp_path: Path
) -> None:
    """An import never changes a call; it says which known calls the file has otherwise."""
    admin = make_admin(db)
    saved = [save_call(db, admin, full_call(START + timedelta(hours=i))) for i in range(3)]
    path = export_file(db, admin, tmp_path / "three.jsonl", ExportFormat.JSONL)
    assert import_calls(other_db, target, path).imported == 3
    # The same instants written with another offset are the same call.
    rows = read_jsonl(path)
    rows[0]["opened_at"] = (
        datetime.fromisoformat(rows[0]["opened_at"])
        .astimezone(timezone(timedelta(hours=5, minutes=30)))
        .isoformat()
    )
    # Edited in the target since: the file's version differs from the database's.
    changed = dataclasses.replace(
        get_call(other_db, target, saved[2].id, audit_view=False).data, summary="Edited here"
    )
    save_call(other_db, target, changed, expected_version=1)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    for dry_run in (True, False):
        result = import_calls(other_db, target, path, dry_run=dry_run)
        assert (result.imported, result.skipped, result.differing) == (0, 3, (saved[2].reference,))
        assert (
            f"1 of those differ from the file (an import keeps the database's version): {saved[2].reference}"
            in (call_import.describe(result))
        )
    assert get_call(other_db, target, saved[2].id, audit_view=False).data.summary == "Edited here"
    [event, *_] = audit.recent_events(other_db, target, action="calls.import")
    assert event.details["differing"] == 1


def test_a_file_with_new_and_known_calls_adds_only_the_new(
    db: Database, other_db: Database, target: Actor, tmp_path: Path
) -> None:
    admin = make_admin(db)
    first = save_call(db, admin, full_call(START))
    path = export_file(db, admin, tmp_path / "one.csv", ExportFormat.CSV)
    assert import_calls(other_db, target, path).imported == 1
    save_call(db, admin, full_call(START + timedelta(days=1), case_id=first.data.case_id))
    path = export_file(db, admin, tmp_path / "two.csv", ExportFormat.CSV)
    result = import_calls(other_db, target, path)
    assert (result.imported, result.skipped, result.cases_created) == (1, 1, 0)
    assert _count(other_db, Call) == 2 and _count(other_db, Case) == 1


# --- references, counters, placeholders ----------------------------------------------------------


def test_references_are_kept_and_counters_move_past_them(
    db: Database, other_db: Database, target: Actor, tmp_path: Path
) -> None:
    admin = make_admin(db)
    saved = [save_call(db, admin, full_call(START + timedelta(hours=i))) for i in range(3)]
    path = export_file(db, admin, tmp_path / "calls.csv", ExportFormat.CSV)
    import_calls(other_db, target, path)
    for record in saved:
        here = get_call(other_db, target, record.id, audit_view=False)
        assert (here.reference, here.case_reference) == (record.reference, record.case_reference)
        assert here.data.case_id == record.data.case_id and here.handler_id == admin.user_id
    # A call saved afterwards never collides: its numbers come after the imported ones.
    new = save_call(other_db, target, full_call(START + timedelta(days=2)))
    assert new.reference == "SL-2026-000004" and new.case_reference == "CASE-2026-000004"


def test_missing_users_become_placeholders_that_cannot_sign_in(
    db: Database, other_db: Database, target: Actor, tmp_path: Path
) -> None:
    admin = make_admin(db)
    handler = make_user(db, admin, "olu.operator", Role.OPERATOR)
    adviser = make_user(db, admin, "ade.adviser", Role.ADVISER)
    data = full_call(START)
    routes = (dataclasses.replace(data.routes[1], adviser_id=adviser.user_id),)
    # The operator logs the call; the adviser records the advice (an operator may not).
    logged = save_call(db, handler, dataclasses.replace(data, routes=()))
    save_call(db, adviser, dataclasses.replace(logged.data, routes=routes), expected_version=logged.version)
    path = export_file(db, admin, tmp_path / "calls.jsonl", ExportFormat.JSONL)
    result = import_calls(other_db, target, path)
    assert result.placeholder_users == 2
    with other_db.read() as session:
        users = {u.id: u for u in session.scalars(select(User))}
    placeholder = users[handler.user_id]
    assert placeholder.display_name == "Olu Operator" and placeholder.username.startswith("imported-")
    assert users[adviser.user_id].display_name.startswith("Imported user ")
    for user_id in (handler.user_id, adviser.user_id):
        user = users[user_id]
        assert (user.active, user.role) == (False, Role.OPERATOR)
        with pytest.raises(AuthenticationError, match="disabled"):
            accounts.authenticate(other_db, user.username, PASSWORD)
    # Even switched on by mistake, a placeholder has no password that could match.
    with other_db.write() as session:
        session.execute(update(User).where(User.id == handler.user_id).values(active=True))
    with pytest.raises(AuthenticationError):
        accounts.authenticate(other_db, placeholder.username, PASSWORD)
    with pytest.raises(AuthenticationError):
        accounts.authenticate(other_db, placeholder.username, call_import.PLACEHOLDER_PASSWORD_HASH)
    created = audit.recent_events(other_db, target, action="user.create")
    assert {e.record_id for e in created if e.details.get("placeholder")} == {
        str(handler.user_id),
        str(adviser.user_id),
    }


# --- problems: every bad row, exactly where -------------------------------------------------------


@pytest.fixture
def three_rows(db: Database, tmp_path: Path) -> list[list[str]]:
    """A header and three exported rows; the first row's narrative spans lines 2-4 of the file."""
    admin = make_admin(db)
    for i, narrative in enumerate(["first line\nsecond line\nthird line", "one line", "one line"]):
        save_call(db, admin, full_call(START + timedelta(hours=i), narrative=narrative))
    return read_csv(export_file(db, admin, tmp_path / "good.csv", ExportFormat.CSV))


def _set(row: list[str], column: str, value: str) -> None:
    row[COLUMNS.index(column)] = value


def where(problems: tuple[Problem, ...]) -> list[tuple[int, str, str]]:
    return [(p.line, p.column, p.field) for p in problems]


def test_every_bad_csv_row_is_reported_and_nothing_is_imported(
    db: Database, three_rows: list[list[str]], other_db: Database, target: Actor, tmp_path: Path
) -> None:
    header, first, second, third = three_rows
    _set(first, "urgency", "panic")
    _set(second, "caller_phone", "'+44 not a phone")
    _set(second, "county_lines", "maybe")
    _set(third, "persons", "[{broken")
    _set(third, "exploitation_types", "labour; bogus")
    path = write_csv(tmp_path / "bad.csv", [header, first, second, third])
    with pytest.raises(ImportRefusedError) as refused:
        import_calls(other_db, target, path)
    assert where(refused.value.problems) == [
        (2, "urgency", ""),
        (5, "county_lines", ""),
        (5, "caller_phone", ""),
        (6, "persons", ""),
        (6, "exploitation_types", "exploitation_types[1]"),
    ]
    messages = [p.message for p in refused.value.problems]
    # What is wrong, never the cell's value (issue 12: a cell may hold a name or a phone number).
    assert messages[0].startswith("is not one of: crisis") and messages[1] == "must be true or false"
    assert "not valid JSON" in messages[3] and messages[4].startswith("is not one of: ")
    assert not [m for m in messages if "panic" in m or "maybe" in m or "bogus" in m]
    assert str(refused.value.problems[0]).startswith("line 2, column urgency: is not one of")
    assert _count(other_db, Call) == 0 and _count(other_db, User) == 1
    assert _count(other_db, AuditEvent, AuditEvent.action.like("call.%")) == 0
    [refusal] = audit.recent_events(other_db, target, action="calls.import")  # refused, and audited
    assert (outcome(refusal), refusal.details["problems"]) == ("refused", 5)


def test_bytes_that_are_not_utf8_are_reported_by_line_and_column(
    db: Database, three_rows: list[list[str]], other_db: Database, target: Actor, tmp_path: Path
) -> None:
    """A cell saved by a spreadsheet in Latin-1 is named; accented UTF-8 text is not."""
    header, first, second, third = three_rows
    _set(second, "caller_name", "PC Zoë Ærøskøbing 👮")  # good UTF-8
    _set(third, "narrative", "CAFE-MARKER")
    path = write_csv(tmp_path / "latin1.csv", [header, first, second, third])
    path.write_bytes(path.read_bytes().replace(b"CAFE-MARKER", b"caf\xe9 owner"))
    with pytest.raises(ImportRefusedError) as refused:
        import_calls(other_db, target, path)
    assert where(refused.value.problems) == [(6, "narrative", "")]
    assert refused.value.problems[0].message == "is not UTF-8 text"
    assert _count(other_db, Call) == 0


def test_a_pseudonymised_export_is_refused_naming_its_pseudonyms(
    db: Database, other_db: Database, target: Actor, tmp_path: Path
) -> None:
    """Without phone numbers or emails (which fail their own checks) its rows would otherwise be
    valid: the pseudonyms would be stored as people's names."""
    admin = make_admin(db)
    base = full_call(START)
    save_call(
        db, admin, dataclasses.replace(base, caller=dataclasses.replace(base.caller, phone="", email=""))
    )
    path = tmp_path / "pseudonymised.csv"
    service.export(
        db, admin, format=ExportFormat.CSV, query=CallQuery(), profile=Profile.PSEUDONYMISED, path=path,
        purpose=PURPOSE,
    )  # fmt: skip
    with pytest.raises(ImportRefusedError) as refused:
        import_calls(other_db, target, path)
    assert {(p.column, p.field) for p in refused.value.problems} == {
        ("caller_name", ""),
        ("caller_collar_number", ""),
        ("handler", ""),
        ("persons", "persons[0].name"),
        ("referrals", "referrals[0].reference"),
        ("routes", "routes[0].checklist[1].skip_reason"),  # emptied with the other free text
    }
    named = next(p for p in refused.value.problems if p.column == "caller_name")
    assert named.line == 2 and "a pseudonymised export cannot be imported" in named.message
    assert "is a pseudonym (P- and 8 hexadecimal digits)" in named.message
    assert not re.search(r"P-[0-9A-F]{8}", " ".join(p.message for p in refused.value.problems))
    assert _count(other_db, Call) == 0


def test_problems_inside_json_columns_and_between_rows(
    db: Database, three_rows: list[list[str]], other_db: Database, target: Actor, tmp_path: Path
) -> None:
    header, first, second, third = three_rows
    persons = json.loads(first[COLUMNS.index("persons")])
    persons[1]["sex"] = "unknowable"
    _set(first, "persons", json.dumps(persons))
    _set(second, "routes_chosen", "legal")
    _set(third, "reference", second[COLUMNS.index("reference")])  # a reference used twice
    persons = json.loads(third[COLUMNS.index("persons")])
    persons[0]["nationalities"] = ["QQ"]
    _set(third, "persons", json.dumps(persons))
    duplicate = list(second)  # the same call twice (line 7)
    path = write_csv(tmp_path / "bad.csv", [header, first, second, third, duplicate])
    with pytest.raises(ImportRefusedError) as refused:
        import_calls(other_db, target, path)
    assert where(refused.value.problems) == [
        (2, "persons", "persons[1].sex"),
        (5, "routes_chosen", ""),
        (6, "persons", "persons[0].nationalities"),
        (6, "reference", ""),
        (7, "routes_chosen", ""),
        (7, "id", ""),
    ]
    assert "already used on line 5" in refused.value.problems[3].message
    assert refused.value.problems[2].message == "entry 1 is not a known code"
    assert "already on line 5" in refused.value.problems[5].message
    assert "says legal but the routes column chooses victim" in refused.value.problems[1].message


def test_header_problems_are_on_line_one(
    three_rows: list[list[str]], other_db: Database, target: Actor, tmp_path: Path
) -> None:
    header, *rows = three_rows
    narrative = header.index("narrative")
    cut = [[*r[:narrative], *r[narrative + 1 :], "blue"] for r in [header, *rows]]
    cut[0][-1] = "colour"
    with pytest.raises(ImportRefusedError) as refused:
        import_calls(other_db, target, write_csv(tmp_path / "bad.csv", cut))
    assert [(p.line, p.column, p.message) for p in refused.value.problems] == [
        (1, "colour", "unknown column"),
        (1, "narrative", "missing from the header"),
    ]
    with pytest.raises(ImportRefusedError, match="empty"):
        import_calls(other_db, target, write_csv(tmp_path / "empty.csv", []))
    with pytest.raises(ImportRefusedError, match="no calls"):
        import_calls(other_db, target, write_csv(tmp_path / "header-only.csv", [header]))


def test_bad_json_lines_are_reported_by_line_and_key(
    db: Database, other_db: Database, target: Actor, tmp_path: Path
) -> None:
    admin = make_admin(db)
    for i in range(3):
        save_call(db, admin, full_call(START + timedelta(hours=i)))
    good = read_jsonl(export_file(db, admin, tmp_path / "good.jsonl", ExportFormat.JSONL))
    yes = {**good[1], "county_lines": "yes", "colour": "blue"}
    no_narrative = {k: v for k, v in good[2].items() if k != "narrative"}
    lines = [
        json.dumps(good[0]),  # 1: fine
        '{"id": "not finished',  # 2
        "",  # 3: a blank line is allowed
        json.dumps(yes),  # 4
        json.dumps(no_narrative),  # 5
        "[1, 2]",  # 6
    ]
    path = tmp_path / "bad.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode() + b'{"caller_name": "\xff"}\n')
    with pytest.raises(ImportRefusedError) as refused:
        import_calls(other_db, target, path)
    assert [(p.line, p.column) for p in refused.value.problems] == [
        (2, ""), (4, "colour"), (4, "county_lines"), (5, "narrative"), (6, ""), (7, ""),
    ]  # fmt: skip
    messages = [p.message for p in refused.value.problems]
    assert messages[0].startswith("is not valid JSON") and messages[1] == "unknown key"
    assert messages[2] == "must be true or false, not text" and messages[3] == "missing"
    assert "JSON object" in messages[4] and "not UTF-8" in messages[5]
    assert _count(other_db, Call) == 0


def test_unknown_guidance_is_refused_naming_the_row_and_the_hash(
    source: Source, other_db: Database, target: Actor, tmp_path: Path
) -> None:
    rows = read_csv(export_file(source.db, source.actor, tmp_path / "calls.csv", ExportFormat.CSV))
    known = source.special[0].routes[0].template_hash
    assert known is not None
    unknown = "ab" * 32
    line = 1 + next(i for i, r in enumerate(rows) if r[0] == str(source.special[0].id))
    # Each earlier row starts one line further down per line break inside it.
    line += sum(cell.count("\n") for r in rows[: line - 1] for cell in r)
    index = COLUMNS.index("routes")
    rows = [[*r[:index], r[index].replace(known, unknown), *r[index + 1 :]] for r in rows]
    with pytest.raises(ImportRefusedError) as refused:
        import_calls(other_db, target, write_csv(tmp_path / "unknown.csv", rows))
    [problem] = refused.value.problems
    assert (problem.line, problem.column, problem.field) == (line, "routes", "routes[0].template_hash")
    assert unknown in problem.message and "guidance library" in problem.message
    assert _count(other_db, Call) == 0 and _count(other_db, GuidanceVersion) == 0


def test_references_and_ids_taken_in_the_target_are_refused(
    db: Database, other_db: Database, target: Actor, tmp_path: Path
) -> None:
    admin = make_admin(db)
    save_call(db, admin, full_call(START))
    path = export_file(db, admin, tmp_path / "calls.csv", ExportFormat.CSV)
    # The target already has its own SL-2026-000001 and CASE-2026-000001, and a person with the
    # same id on another call.
    source_person = get_call(db, admin, uuid.UUID(read_csv(path)[1][0]), audit_view=False).data
    clash = full_call(START, persons=(source_person.persons[0],), referrals=(), follow_ups=())
    save_call(other_db, target, clash)
    with pytest.raises(ImportRefusedError) as refused:
        import_calls(other_db, target, path)
    assert [(p.line, p.column) for p in refused.value.problems] == [
        (2, "reference"), (2, "case_reference"), (2, "persons"),
    ]  # fmt: skip
    assert refused.value.problems[0].message == "is another call's reference in this database"
    assert _count(other_db, Call) == 1


# --- dry run, permissions, the command line ------------------------------------------------------


def test_dry_run_checks_and_reports_without_writing(
    source: Source, other_db: Database, target: Actor, tmp_path: Path
) -> None:
    path = export_file(source.db, source.actor, tmp_path / "calls.jsonl", ExportFormat.JSONL)
    before = [_count(other_db, m) for m in (Call, Case, User, GuidanceVersion, AuditEvent)]
    result = import_calls(other_db, target, path, dry_run=True)
    assert (result.dry_run, result.rows, result.imported, result.skipped) == (True, 43, 43, 0)
    assert result.guidance_stored == 1 and result.placeholder_users == 4
    assert [_count(other_db, m) for m in (Call, Case, User, GuidanceVersion, AuditEvent)] == before
    assert "would import 43 of 43 call(s)" in call_import.describe(result)
    # The same file, broken, is refused by a dry run just as by an import.
    path.write_bytes(path.read_bytes().replace(b'"urgency":"', b'"urgency":"x', 1))
    with pytest.raises(ImportRefusedError) as refused:
        import_calls(other_db, target, path, dry_run=True)
    assert where(refused.value.problems) == [(1, "urgency", "")]


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.ADVISER])
def test_only_supervisors_and_admins_may_import(
    db: Database, other_db: Database, target: Actor, tmp_path: Path, role: Role
) -> None:
    admin = make_admin(db)
    save_call(db, admin, full_call(START))
    path = export_file(db, admin, tmp_path / "calls.csv", ExportFormat.CSV)
    person = make_user(other_db, target, f"{role.value}.one", role)
    before = _count(other_db, AuditEvent)
    for dry_run in (False, True):
        with pytest.raises(PermissionDeniedError, match="'import'"):
            import_calls(other_db, person, path, dry_run=dry_run)
    assert _count(other_db, Call) == 0 and _count(other_db, AuditEvent) == before + 2  # both refusals
    refusals = audit.recent_events(other_db, target, action="calls.import")
    assert [(e.actor_name, outcome(e)) for e in refusals] == [(person.username, "refused")] * 2
    supervisor = make_user(other_db, target, "sam.supervisor", Role.SUPERVISOR)
    assert import_calls(other_db, supervisor, path).imported == 1


ADMIN_PW = "Saffron-kettle-41"


def test_command_line_import(sqlite_db: Database, tmp_path: Path, run: Run) -> None:
    admin = make_admin(sqlite_db)
    for i in range(2):
        save_call(sqlite_db, admin, full_call(START + timedelta(hours=i)))
    path = export_file(sqlite_db, admin, tmp_path / "calls.csv", ExportFormat.CSV)
    added = run("users", "add", "ada.admin", "--role", "admin", "--password-stdin", stdin=f"{ADMIN_PW}\n")
    assert added.code == 0, added.err
    base = ("calls", "import", str(path), "--user", "ada.admin", "--password-stdin")

    dry = run(*base, "--dry-run", stdin=f"{ADMIN_PW}\n")
    assert (dry.code, dry.out.strip()) == (
        0,
        "would import 2 of 2 call(s); 2 new case(s); 1 placeholder user(s) that cannot sign in",
    ), dry.err
    done = run(*base, stdin=f"{ADMIN_PW}\n")
    assert done.code == 0 and done.out.startswith("imported 2 of 2 call(s)"), done.err
    again = run(*base, "--format", "csv", stdin=f"{ADMIN_PW}\n")
    assert again.code == 0 and "imported 0 of 2 call(s); 2 already in the database" in again.out

    rows = read_csv(path)
    _set(rows[2], "urgency", "panic")
    bad = write_csv(tmp_path / "bad.csv", rows)
    refused = run(
        "calls", "import", str(bad), "--user", "ada.admin", "--password-stdin", stdin=f"{ADMIN_PW}\n"
    )
    assert refused.code == 1
    assert refused.err.splitlines()[0].startswith("line 4, column urgency: is not one of")
    assert "panic" not in refused.err
    assert refused.err.splitlines()[-1] == "bad.csv: 1 problem; nothing was imported"
    wrong = run(*base, "--format", "jsonl", stdin=f"{ADMIN_PW}\n")
    assert wrong.code == 1 and "line 1" in wrong.err  # a CSV file read as JSON Lines
    missing = run("calls", "import", str(tmp_path / "nope.csv"), "--user", "ada.admin", "--password-stdin")
    assert missing.code == 2 and "is not a file" in missing.err


def test_blank_references_get_new_numbers_and_a_bom_is_read(
    db: Database, other_db: Database, target: Actor, tmp_path: Path
) -> None:
    admin = make_admin(db)
    for i in range(2):
        save_call(db, admin, full_call(START + timedelta(hours=i)))
    header, first, second = read_csv(export_file(db, admin, tmp_path / "calls.csv", ExportFormat.CSV))
    for column in ("reference", "case_id", "case_reference"):
        _set(second, column, "")
    path = tmp_path / "bom.csv"
    write_csv(path, [header, first, second])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())  # as a spreadsheet program saves it
    result = import_calls(other_db, target, path)
    assert (result.imported, result.cases_created) == (2, 2)
    kept = get_call(other_db, target, uuid.UUID(first[0]), audit_view=False)
    fresh = get_call(other_db, target, uuid.UUID(second[0]), audit_view=False)
    assert (kept.reference, kept.case_reference) == ("SL-2026-000001", "CASE-2026-000001")
    assert (fresh.reference, fresh.case_reference) == ("SL-2026-000002", "CASE-2026-000002")
    assert fresh.data.case_id not in (None, kept.data.case_id)
    # Half a case (an id without its reference) is refused rather than guessed.
    _set(first, "case_reference", "")
    with pytest.raises(ImportRefusedError) as refused:
        import_calls(other_db, target, write_csv(tmp_path / "half.csv", [header, first]))
    assert where(refused.value.problems) == [(2, "case_reference", "")]
