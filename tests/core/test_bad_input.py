"""Bad input in import, the command line and the figures CSV (issue 17), and import messages that
name the place of a problem, never the personal data in it (issue 12).

Each fault ends in a clear message naming the line and column (or the command-line argument),
never a traceback. Every person and number here is invented; phone numbers are from Ofcom's
drama range.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from supportline.db import Database
from supportline.db.models import Call, User
from supportline.exports import figures, service
from supportline.exports.common import ExportFormat, Profile
from supportline.exports.csv_export import COLUMNS, unneutralise
from supportline.services import call_import
from supportline.services.actor import Actor
from supportline.services.call_import import ImportRefusedError, Problem, import_calls
from supportline.services.call_types import CallQuery
from supportline.services.call_validation import OUT_OF_RANGE
from supportline.services.calls import get_call, save_call
from tests.conftest import Run
from tests.factories import full_call, make_admin

START = datetime(2026, 6, 14, 2, 17, 31, 123456, tzinfo=UTC)
PURPOSE = "Checking what the import refuses"
ADMIN_PW = "Saffron-kettle-41"

csv.field_size_limit(call_import.CSV_FIELD_LIMIT)


# --- helpers --------------------------------------------------------------------------------------


def _count(db: Database, model: type) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def export_file(
    db: Database, actor: Actor, path: Path, fmt: ExportFormat, profile: Profile = Profile.FULL
) -> Path:
    service.export(db, actor, format=fmt, query=CallQuery(), profile=profile, path=path, purpose=PURPOSE)
    return path


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(rows)
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().split(b"\n") if line]


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return path


def cell(row: list[str], column: str) -> str:
    return row[COLUMNS.index(column)]


def set_cell(row: list[str], column: str, value: str) -> None:
    row[COLUMNS.index(column)] = value


def places(problems: tuple[Problem, ...]) -> list[tuple[int, str, str]]:
    return [(p.line, p.column, p.field) for p in problems]


@dataclasses.dataclass
class Exported:
    db: Database
    actor: Actor
    csv_rows: list[list[str]]  # header and one row
    jsonl: dict[str, Any]  # the same call as a JSON Lines object


def _exported(db: Database, tmp_path: Path) -> Exported:
    admin = make_admin(db)
    save_call(db, admin, full_call(START))
    rows = read_csv(export_file(db, admin, tmp_path / "one.csv", ExportFormat.CSV))
    (line,) = read_jsonl(export_file(db, admin, tmp_path / "one.jsonl", ExportFormat.JSONL))
    return Exported(db, admin, rows, line)


@pytest.fixture
def exported(db: Database, tmp_path: Path) -> Exported:
    """One call saved and exported (CSV and JSON Lines), on SQLite and on PostgreSQL."""
    return _exported(db, tmp_path)


@pytest.fixture
def exported_sqlite(sqlite_db: Database, tmp_path: Path) -> Exported:
    """The same on SQLite only, for what the database plays no part in (reading the file)."""
    return _exported(sqlite_db, tmp_path)


@pytest.fixture
def target(other_db: Database) -> Actor:
    """An admin of a second, empty database on the same dialect, to import into."""
    return make_admin(other_db, "ida.importer")


def refused(db: Database, actor: Actor, path: Path) -> tuple[Problem, ...]:
    with pytest.raises(ImportRefusedError) as caught:
        import_calls(db, actor, path)
    return caught.value.problems


# --- 1. times out of range ------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00"])
def test_times_out_of_range_are_refused_by_line_and_column(
    exported: Exported, other_db: Database, target: Actor, tmp_path: Path, value: str
) -> None:
    """opened_at, a follow-up's due_at and a referral's made_at: OverflowError before."""
    header, row = exported.csv_rows
    set_cell(row, "opened_at", value)
    follow_ups = json.loads(cell(row, "follow_ups"))
    follow_ups[0]["due_at"] = value
    set_cell(row, "follow_ups", json.dumps(follow_ups))
    referrals = json.loads(cell(row, "referrals"))
    referrals[1]["made_at"] = value
    set_cell(row, "referrals", json.dumps(referrals))
    problems = refused(other_db, target, write_csv(tmp_path / "times.csv", [header, row]))
    assert places(problems) == [
        (2, "opened_at", ""),
        (2, "referrals", "referrals[1].made_at"),
        (2, "follow_ups", "follow_ups[0].due_at"),
    ]
    assert {p.message for p in problems} == {OUT_OF_RANGE}

    line = {**exported.jsonl, "opened_at": value, "follow_ups": follow_ups}
    problems = refused(other_db, target, write_jsonl(tmp_path / "times.jsonl", [json.dumps(line)]))
    assert places(problems) == [(1, "opened_at", ""), (1, "follow_ups", "follow_ups[0].due_at")]
    assert _count(other_db, Call) == 0


def test_a_follow_up_may_be_due_far_ahead_but_not_beyond_the_range(
    exported: Exported, other_db: Database, target: Actor, tmp_path: Path
) -> None:
    header, row = exported.csv_rows
    follow_ups = json.loads(cell(row, "follow_ups"))
    follow_ups[0]["due_at"] = "2999-12-31T12:00:00+00:00"
    set_cell(row, "follow_ups", json.dumps(follow_ups))
    assert import_calls(other_db, target, write_csv(tmp_path / "ahead.csv", [header, row])).imported == 1


# --- 2. the command line: days out of range --------------------------------------------------------


@pytest.fixture
def cli_admin(run: Run) -> None:
    added = run("users", "add", "ada.admin", "--role", "admin", "--password-stdin", stdin=f"{ADMIN_PW}\n")
    assert added.code == 0, added.err


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (("stats", "--from", "2026-01-01", "--to", "9999-12-31"), "--to"),
        (("stats", "--from", "0001-01-01", "--to", "0001-01-03"), "--from"),
        (("calls", "list", "--from", "2026-01-01", "--to", "9999-12-31"), "--to"),
        (("export", "--from", "2026-01-01", "--to", "9999-12-31", "--format", "csv"), "--to"),
    ],
)
def test_days_out_of_range_are_a_usage_error(
    run: Run, cli_admin: None, tmp_path: Path, argv: tuple[str, ...], named: str
) -> None:
    extra: tuple[str, ...] = ()
    if argv[0] == "export":
        extra = ("--output", str(tmp_path / "out.csv"), "--purpose", PURPOSE, "--profile", "figures")
    result = run(*argv, *extra, "--user", "ada.admin", "--password-stdin", stdin=f"{ADMIN_PW}\n")
    assert result.code == 2, result.err
    assert f"argument {named}" in result.err and "out of range" in result.err
    assert "from 1900-01-01 to 2999-12-31" in result.err
    assert not (tmp_path / "out.csv").exists()


def test_the_widest_range_the_command_line_accepts_has_figures(run: Run, cli_admin: None) -> None:
    result = run(
        "stats", "--from", "1900-01-01", "--to", "2999-12-31", "--format", "json",
        "--user", "ada.admin", "--password-stdin", stdin=f"{ADMIN_PW}\n",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert json.loads(result.out)["totals"]["calls"] == 0


def test_no_previous_period_before_the_first_day_there_is() -> None:
    zone = ZoneInfo("Europe/London")
    start = datetime(1, 1, 2, tzinfo=UTC)
    assert figures.previous_period(start, start + timedelta(days=2), zone) is None
    assert figures.previous_period(start + timedelta(hours=1), start + timedelta(days=3), zone) is None
    first = figures.local_midnight(date(2026, 3, 29), zone)
    assert figures.previous_period(first, figures.local_midnight(date(2026, 4, 5), zone), zone) == (
        figures.local_midnight(date(2026, 3, 22), zone),
        first,
    )


# --- 3. JSON that json.loads cannot read or should not ---------------------------------------------


def test_huge_numbers_deep_nesting_and_duplicate_keys_in_json_lines(
    exported_sqlite: Exported, tmp_path: Path
) -> None:
    good = json.dumps(exported_sqlite.jsonl)
    lines = [
        good.replace('"county_lines": false', '"county_lines": ' + "7" * 5001),  # 1
        "[" * 100_000,  # 2
        good.replace('"summary": ', '"summary": "first", "summary": '),  # 3: the key twice
        good.replace('"sex": "male"', '"sex": "male", "sex": "female"', 1),  # 4: inside persons
        good.replace('"county_lines": false', '"county_lines": -' + "7" * 5001),  # 5
    ]
    assert good not in lines
    problems = refused(exported_sqlite.db, exported_sqlite.actor, write_jsonl(tmp_path / "bad.jsonl", lines))
    assert [(p.line, p.column) for p in problems] == [(1, ""), (2, ""), (3, ""), (4, ""), (5, "")]
    messages = [p.message for p in problems]
    assert messages[0] == "is not valid JSON here: a number has more than 100 digits"
    assert messages[1] == "is not valid JSON here: it is nested too deeply"
    assert messages[2] == "is not valid JSON here: the key 'summary' is given twice in one object"
    assert messages[3] == "is not valid JSON here: the key 'sex' is given twice in one object"
    assert messages[4] == messages[0]


def test_huge_numbers_deep_nesting_and_duplicate_keys_in_csv_json_columns(
    exported_sqlite: Exported, tmp_path: Path
) -> None:
    header, row = exported_sqlite.csv_rows
    rows = [header]
    for column, value in [
        ("persons", "[" + "9" * 5001 + "]"),
        ("routes", "[" * 100_000),
        ("referrals", cell(row, "referrals").replace('"target": ', '"target": "nrm", "target": ', 1)),
    ]:
        bad = list(row)
        bad[0] = str(uuid.uuid4())  # a call of its own on each line
        set_cell(bad, column, value)
        rows.append(bad)
    problems = refused(exported_sqlite.db, exported_sqlite.actor, write_csv(tmp_path / "bad.csv", rows))
    found = [(p.line, p.column, p.message) for p in problems]
    # Each row starts two lines after the one before: its narrative has a line break.
    assert (2, "persons", "is not valid JSON here: a number has more than 100 digits") in found
    assert (4, "routes", "is not valid JSON here: it is nested too deeply") in found
    assert (6, "referrals", "is not valid JSON here: the key 'target' is given twice in one object") in found


# --- 4. the handler column is checked like other text ----------------------------------------------


def test_a_nul_in_the_handler_is_refused_on_both_dialects(
    exported: Exported, other_db: Database, target: Actor, tmp_path: Path
) -> None:
    """It was stored on SQLite (and shown on other calls of that handler) and failed on
    PostgreSQL without a line or column."""
    header, row = exported.csv_rows
    set_cell(row, "handler", "Ada\x00Admin")
    problems = refused(other_db, target, write_csv(tmp_path / "nul.csv", [header, row]))
    assert [(p.line, p.column, p.message) for p in problems] == [(2, "handler", "contains a NUL character")]
    assert _count(other_db, Call) == 0 and _count(other_db, User) == 1


def test_a_lone_surrogate_in_the_handler_is_refused_on_both_dialects(
    exported: Exported, other_db: Database, target: Actor, tmp_path: Path
) -> None:
    """JSON may spell a lone surrogate (\\ud800); it raised UnicodeEncodeError."""
    line = json.dumps({**exported.jsonl, "handler": "Ada \ud800 Admin"})
    assert "\\ud800" in line
    problems = refused(other_db, target, write_jsonl(tmp_path / "surrogate.jsonl", [line]))
    assert [(p.line, p.column) for p in problems] == [(1, "handler")]
    assert "not valid Unicode text" in problems[0].message
    assert _count(other_db, Call) == 0


def test_an_over_long_handler_is_refused(exported_sqlite: Exported, tmp_path: Path) -> None:
    header, row = exported_sqlite.csv_rows
    set_cell(row, "handler", "A" * 10_000)
    problems = refused(
        exported_sqlite.db, exported_sqlite.actor, write_csv(tmp_path / "long.csv", [header, row])
    )
    assert [(p.line, p.column) for p in problems] == [(2, "handler")]
    assert "the limit is" in problems[0].message


# --- 5. whitespace is kept exactly ------------------------------------------------------------------

PADDED = {
    "caller_rank": "\t=1+1",
    "caller_name": "  Padded  ",
    "caller_organisation": "\t\r\n Organisation with a leading tab, CR, LF and space ",
    "caller_collar_number": " DC 4471",
    "summary": "Summary \t",
    "force_area": " Kent Police",
}


def test_import_keeps_text_exactly_and_an_export_imports_again_unchanged(
    exported: Exported, other_db: Database, target: Actor, tmp_path: Path
) -> None:
    header, row = exported.csv_rows
    for column, value in PADDED.items():
        set_cell(row, column, value)
    persons = json.loads(cell(row, "persons"))
    persons[0]["name"] = " Person A "
    set_cell(row, "persons", json.dumps(persons))
    set_cell(row, "handler", "  Ada Admin ")
    path = write_csv(tmp_path / "padded.csv", [header, row])
    assert import_calls(other_db, target, path).imported == 1

    call = get_call(other_db, target, uuid.UUID(cell(row, "id")), audit_view=False).data
    assert call.caller.rank == "\t=1+1" and call.caller.name == "  Padded  "
    assert call.caller.organisation == PADDED["caller_organisation"]
    assert call.caller.collar_number == " DC 4471"
    assert (call.summary, call.force_area) == ("Summary \t", " Kent Police")
    assert call.persons[0].name == " Person A "

    # Exported again (CSV and JSON Lines), every value is the one imported...
    again = read_csv(export_file(other_db, target, tmp_path / "again.csv", ExportFormat.CSV))
    for column, value in PADDED.items():
        assert unneutralise(cell(again[1], column)) == value, column
    assert cell(again[1], "caller_rank") == "'\t=1+1"  # still neutralised for a spreadsheet
    (line,) = read_jsonl(export_file(other_db, target, tmp_path / "again.jsonl", ExportFormat.JSONL))
    assert {column: line[column] for column in PADDED} == PADDED
    # ... and importing either export finds the same call, not a different one.
    for name in ("again.csv", "again.jsonl"):
        result = import_calls(other_db, target, tmp_path / name)
        assert (result.imported, result.skipped, result.differing) == (0, 1, ()), name


def test_whitespace_only_is_still_a_missing_name(exported_sqlite: Exported, tmp_path: Path) -> None:
    header, row = exported_sqlite.csv_rows
    set_cell(row, "caller_name", " \t ")
    problems = refused(
        exported_sqlite.db, exported_sqlite.actor, write_csv(tmp_path / "blank.csv", [header, row])
    )
    assert [(p.line, p.column, p.message) for p in problems] == [(2, "caller_name", "required")]


def test_the_form_still_trims_what_a_person_types(sqlite_db: Database) -> None:
    admin = make_admin(sqlite_db)
    base = full_call(START)
    data = dataclasses.replace(base, caller=dataclasses.replace(base.caller, name="  Padded  "))
    assert save_call(sqlite_db, admin, data).data.caller.name == "Padded"


# --- 6. the figures CSV writes numbers as numbers ---------------------------------------------------


def test_negative_figures_are_numbers_in_the_csv(db: Database, tmp_path: Path) -> None:
    admin = make_admin(db)
    day = timedelta(days=1)
    for at in (START - 3 * day, START - 4 * day, START - 5 * day):  # 3 in the previous period
        save_call(db, admin, full_call(at, id=uuid.uuid4()))
    save_call(db, admin, full_call(START, id=uuid.uuid4()))  # 1 now: calls -66.7 %
    zone = db.zone
    local = START.astimezone(zone).date()
    query = CallQuery(
        opened_from=figures.local_midnight(local - timedelta(days=2), zone),
        opened_to=figures.local_midnight(local + timedelta(days=1), zone),
    )
    path = tmp_path / "figures.csv"
    service.export(db, admin, format=ExportFormat.CSV, query=query, profile=Profile.FIGURES, path=path,
                   purpose=PURPOSE)  # fmt: skip
    rows = read_csv(path)
    change = {(r[1], r[2]): r[3] for r in rows[1:] if r[0] == "change"}
    assert change[("calls", "Change (%)")] == "-66.7"
    assert change[("calls", "This period")] == "1" and change[("calls", "Previous period")] == "3"
    assert not [r for r in rows[1:] if r[3].startswith("'")]  # no number written as text
    for r in rows[1:]:
        float(r[3])


def test_text_in_the_figures_csv_is_still_neutralised(db: Database, tmp_path: Path) -> None:
    admin = make_admin(db)
    save_call(db, admin, full_call(START, force_area="-Kent Police"))
    path = tmp_path / "figures.csv"
    service.export(db, admin, format=ExportFormat.CSV, query=CallQuery(), profile=Profile.FIGURES, path=path,
                   purpose=PURPOSE)  # fmt: skip
    rows = read_csv(path)
    forces = [r for r in rows[1:] if r[0] == "calls_by_force_area"]
    assert forces and all(r[1] == "'-Kent Police" for r in forces if "Kent" in r[1])
    assert any("Kent" in r[1] for r in forces)


# --- a UTF-16 file: one message -------------------------------------------------------------------


@pytest.mark.parametrize(("encoding", "name"), [("utf-16", "UTF-16"), ("utf-32", "UTF-32")])
def test_a_utf16_or_utf32_file_is_refused_once(
    exported_sqlite: Exported, tmp_path: Path, encoding: str, name: str
) -> None:
    path = write_csv(tmp_path / "wide.csv", exported_sqlite.csv_rows, encoding=encoding)
    problems = refused(exported_sqlite.db, exported_sqlite.actor, path)
    assert [(p.line, p.column, p.message) for p in problems] == [
        (0, "", f"the file is not UTF-8 but {name} text: save it as UTF-8")
    ]
    jsonl = tmp_path / "wide.jsonl"
    jsonl.write_bytes((json.dumps(exported_sqlite.jsonl) + "\n").encode(encoding))
    assert len(refused(exported_sqlite.db, exported_sqlite.actor, jsonl)) == 1


def test_utf16_without_a_byte_order_mark_is_refused_once(exported_sqlite: Exported, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "wide.csv", exported_sqlite.csv_rows, encoding="utf-16-le")
    problems = refused(exported_sqlite.db, exported_sqlite.actor, path)
    assert len(problems) == 1 and problems[0].line == 0 and "not UTF-8" in problems[0].message
    jsonl = tmp_path / "wide.jsonl"
    jsonl.write_bytes((json.dumps(exported_sqlite.jsonl) + "\n").encode("utf-16-le"))
    assert len(refused(exported_sqlite.db, exported_sqlite.actor, jsonl)) == 1


def test_a_header_that_is_not_utf8_is_one_problem(exported_sqlite: Exported, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "latin1.csv", exported_sqlite.csv_rows)
    path.write_bytes(path.read_bytes().replace(b"summary", b"r\xe9sum\xe9", 1))
    problems = refused(exported_sqlite.db, exported_sqlite.actor, path)
    assert [(p.line, p.column, p.message) for p in problems] == [
        (1, "", "the header is not UTF-8 text: save the file as UTF-8")
    ]


# --- issue 12: a message names the place, never the personal data in it ----------------------------

NAME = "Morwenna Tregarthen"
PHONE = "07700 900417"


def test_import_messages_never_show_the_values_of_bad_cells(
    sqlite_db: Database, tmp_path: Path, run: Run, cli_admin: None
) -> None:
    admin = make_admin(sqlite_db)
    save_call(sqlite_db, admin, full_call(START))
    header, row = read_csv(export_file(sqlite_db, admin, tmp_path / "one.csv", ExportFormat.CSV))
    later = list(row)  # a second row whose cells are read, then checked (line 4)
    later[0] = str(uuid.uuid4())
    third = list(row)  # and a third (line 6)
    third[0] = str(uuid.uuid4())
    set_cell(row, "urgency", NAME)  # a name in the wrong column
    set_cell(row, "status", PHONE)
    set_cell(row, "county_lines", PHONE)
    set_cell(row, "opened_at", NAME)
    set_cell(row, "case_id", NAME)
    set_cell(row, "exploitation_types", f"labour; {NAME}")
    persons = json.loads(cell(row, "persons"))
    persons[0]["sex"] = PHONE
    persons[0]["id"] = NAME
    set_cell(row, "persons", json.dumps(persons))
    follow_ups = json.loads(cell(row, "follow_ups"))
    follow_ups[0]["due_at"] = PHONE
    set_cell(row, "follow_ups", json.dumps(follow_ups))
    set_cell(later, "routes_chosen", NAME)
    set_cell(later, "caller_phone", f"'{NAME}")
    set_cell(later, "caller_email", NAME)
    set_cell(later, "reference", NAME)  # a name as a reference, twice
    set_cell(third, "reference", NAME)
    persons = json.loads(cell(later, "persons"))
    persons[0]["nationalities"] = ["VN", NAME]
    set_cell(later, "persons", json.dumps(persons))
    path = write_csv(tmp_path / "misplaced.csv", [header, row, later, third])

    result = run(
        "calls", "import", str(path), "--user", "ada.admin", "--password-stdin", stdin=f"{ADMIN_PW}\n"
    )
    assert result.code == 1
    output = result.out + result.err
    for secret in (NAME, "Tregarthen", "Morwenna", PHONE, "900417"):
        assert secret not in output, secret
    lines = result.err.splitlines()
    for line, column in [
        (2, "urgency"), (2, "status"), (2, "county_lines"), (2, "opened_at"), (2, "case_id"),
        (2, "exploitation_types"), (2, "persons"), (2, "follow_ups"),
        (4, "routes_chosen"), (4, "caller_phone"), (4, "caller_email"), (4, "persons"), (6, "reference"),
    ]:  # fmt: skip
        assert any(text.startswith(f"line {line}, column {column}") for text in lines), (line, column, lines)
    assert "line 4, column persons (persons[0].nationalities): entry 2 is not a known code" in lines
    assert "line 6, column reference: the same reference is already used on line 4" in lines
    assert "line 2, column opened_at: is not a valid time (ISO 8601, e.g. 2026-06-14T09:30:00+01:00)" in lines
    assert lines[-1].endswith("nothing was imported")


def test_a_file_without_its_header_does_not_show_its_first_row(
    exported_sqlite: Exported, tmp_path: Path
) -> None:
    """Its first row was taken for the header: every cell came back as an "unknown column"."""
    _header, row = exported_sqlite.csv_rows
    path = write_csv(tmp_path / "headless.csv", [row])
    problems = refused(exported_sqlite.db, exported_sqlite.actor, path)
    assert [(p.line, p.column) for p in problems] == [(1, "")]
    assert "must name the columns" in problems[0].message
    assert "Tregarthen" not in str(problems[0]) and "Tregarthen" in cell(row, "caller_name")


def test_a_pseudonym_is_named_as_one_without_showing_it(exported_sqlite: Exported, tmp_path: Path) -> None:
    header, row = exported_sqlite.csv_rows
    set_cell(row, "caller_name", "P-3F9A1C2B")
    problems = refused(
        exported_sqlite.db, exported_sqlite.actor, write_csv(tmp_path / "p.csv", [header, row])
    )
    assert [(p.line, p.column) for p in problems] == [(2, "caller_name")]
    assert "pseudonym" in problems[0].message and "3F9A1C2B" not in problems[0].message


def test_the_cli_reports_bad_json_and_a_wide_file_without_a_traceback(
    sqlite_db: Database, tmp_path: Path, run: Run, cli_admin: None
) -> None:
    admin = make_admin(sqlite_db)
    save_call(sqlite_db, admin, full_call(START))
    (good,) = read_jsonl(export_file(sqlite_db, admin, tmp_path / "one.jsonl", ExportFormat.JSONL))
    deep = write_jsonl(tmp_path / "deep.jsonl", ["[" * 100_000, json.dumps({**good, "handler": "A\x00B"})])
    result = run(
        "calls", "import", str(deep), "--user", "ada.admin", "--password-stdin", stdin=f"{ADMIN_PW}\n"
    )
    assert result.code == 1
    assert result.err.splitlines()[:2] == [
        "line 1: is not valid JSON here: it is nested too deeply",
        "line 2, column handler: contains a NUL character",
    ]
    wide = tmp_path / "wide.jsonl"
    wide.write_bytes((json.dumps(good) + "\n").encode("utf-16"))
    result = run(
        "calls", "import", str(wide), "--user", "ada.admin", "--password-stdin", stdin=f"{ADMIN_PW}\n"
    )
    assert result.code == 1
    assert result.err.splitlines() == [
        "the file: the file is not UTF-8 but UTF-16 text: save it as UTF-8",
        "wide.jsonl: 1 problem; nothing was imported",
    ]


def test_a_template_hash_that_is_not_a_digest_is_one_problem_and_never_looked_up(
    exported: Exported, other_db: Database, target: Actor, tmp_path: Path
) -> None:
    """A lone surrogate in it raised UnicodeEncodeError (looked up in the database); other text
    was reported twice, the second time with its value."""
    routes = exported.jsonl["routes"]
    for value in ("\ud800" + "a" * 63, NAME, "a" * 64 + "\n"):
        changed = [{**routes[0], "template_hash": value}, *routes[1:]]
        line = json.dumps({**exported.jsonl, "routes": changed})
        problems = refused(other_db, target, write_jsonl(tmp_path / "hash.jsonl", [line]))
        assert [(p.line, p.column, p.field, p.message) for p in problems] == [
            (1, "routes", "routes[0].template_hash", "must be a SHA-256 hex digest")
        ]


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (("stats", "--from", "2026-01-01", "--to", "2026-01-02", "--force", "Kent \udcff"), "--force"),
        (("stats", "--from", "2026-01-01", "--to", "2026-01-02", "--handler=\udcff"), "--handler"),
        (("export", "--from", "2026-01-01", "--to", "2026-01-02", "--purpose", "\udcff"), "--purpose"),
    ],
)
def test_an_argument_that_is_not_utf8_is_a_usage_error(
    run: Run, cli_admin: None, tmp_path: Path, argv: tuple[str, ...], named: str
) -> None:
    """Bytes that are not UTF-8 reach Python as lone surrogates: UnicodeEncodeError in the
    database driver before."""
    extra = ("--output", str(tmp_path / "out.csv")) if argv[0] == "export" else ()
    result = run(*argv, *extra, "--user", "ada.admin", "--password-stdin", stdin=f"{ADMIN_PW}\n")
    assert result.code == 2, result.err
    assert result.err.startswith(f"supportline: error: {named}: the value is not UTF-8 text")
    assert not (tmp_path / "out.csv").exists()


def test_an_output_file_name_that_is_not_utf8_is_a_usage_error(
    run: Run, cli_admin: None, tmp_path: Path
) -> None:
    out = str(tmp_path / "calls-\udcff.csv")
    result = run(
        "export", "--from", "2026-01-01", "--to", "2026-01-02", "--purpose", PURPOSE, "--output", out,
        "--user", "ada.admin", "--password-stdin", stdin=f"{ADMIN_PW}\n",
    )  # fmt: skip
    assert result.code == 2 and "--output: the value is not UTF-8 text" in result.err
    assert list(tmp_path.iterdir()) == []
