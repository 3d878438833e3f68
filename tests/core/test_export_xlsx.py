"""XLSX export (issue 5): typed cells, the sheets, figures equal to independent SQL, pseudonyms,
cancel, and memory that does not grow with the number of calls.

Every workbook is written through ``service.export`` and read back with openpyxl. Every person,
number and address here is invented; phone numbers are from Ofcom's drama range.
"""

from __future__ import annotations

import dataclasses
import errno
import io
import os
import re
import sys
import uuid
import zipfile
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet import _writer as openpyxl_writer
from openpyxl.writer.excel import ExcelWriter
from sqlalchemy import text

from supportline.db import Database
from supportline.enums import (
    AgencyType,
    CallStatus,
    ExploitationType,
    Outcome,
    ReferralTarget,
    Role,
    Route,
    Sex,
    Urgency,
    WhereExploited,
)
from supportline.exports import atomic, common, figures, service, xlsx_export
from supportline.exports.common import ExportCancelled, ExportJob, ExportOptions, ExportResult, Profile
from supportline.exports.csv_export import COLUMNS, row_cells
from supportline.exports.xlsx_export import CELL_MAX, CUT_MARK, DATETIME_FORMAT, text_cell
from supportline.reference_data import country_name
from supportline.services import accounts
from supportline.services.actor import Actor
from supportline.services.call_types import CallData, CallQuery, PersonData, ReferralData
from supportline.services.calls import get_call, save_call
from supportline.services.demo import generate_demo
from tests.factories import full_call, make_admin, make_user

SUMMER = datetime(2026, 6, 14, 2, 17, 31, 123456, tzinfo=UTC)  # 03:17:31 in London (BST)
WINTER = datetime(2026, 1, 20, 23, 45, 0, tzinfo=UTC)  # 23:45 in London (GMT)
PURPOSE = "Monthly return to the regional anti-slavery partnership"
LONDON = ZoneInfo("Europe/London")
FORMULA_LIKE = (
    "=1+1",
    '=HYPERLINK("https://example.org","click")',
    "=cmd|' /C calc'!A0",
    "+44 7700 900123",
    "-2+3",
    "@SUM(A1:A2)",
    "#N/A",
    "#DIV/0!",
    "#REF!",
    "'already quoted",
)


def export(db: Database, actor: Actor, path: Path, **kwargs: Any) -> ExportResult:
    options: dict[str, Any] = {"query": CallQuery(), "profile": Profile.FULL, "purpose": PURPOSE}
    options.update(kwargs)
    return service.export(db, actor, format="xlsx", path=path, **options)


def cells(workbook: Any) -> Iterator[Any]:
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            yield from row


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(atomic.TEMP_PREFIX))


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


@pytest.fixture
def admin(db: Database) -> Actor:
    return make_admin(db)


@pytest.fixture
def supervisor(db: Database, admin: Actor) -> Actor:
    return make_user(db, admin, "sam.supervisor", Role.SUPERVISOR)


# --- the Calls sheet ------------------------------------------------------------------------------


def expected_cell(column: str, value: str, record: Any) -> Any:
    """What the Calls sheet holds for ``column``, from the CSV cell of the same call."""
    data = record.data
    if column in xlsx_export.TIME_COLUMNS:
        at = getattr(data, column)
        return None if at is None else at.astimezone(LONDON).replace(tzinfo=None)
    if column in xlsx_export.FLAG_COLUMNS:
        return getattr(data, column)
    return value or None


def test_calls_sheet_has_typed_cells(db: Database, admin: Actor, out_dir: Path) -> None:
    summer = save_call(
        db,
        admin,
        full_call(
            SUMMER,
            caller=dataclasses.replace(full_call().caller, name="=cmd|' /C calc'!A0"),
            summary="#N/A",
            force_area="@SUM(A1:A2)",
            county_lines=True,
        ),
    )
    winter = save_call(
        db, admin, full_call(WINTER, status="open", closed_at=None, nrm_consent=None, summary="=1+1")
    )
    path = out_dir / "calls.xlsx"
    result = export(db, admin, path)
    assert result.rows == 2 and result.format.value == "xlsx"
    book = load_workbook(path)
    assert book.sheetnames == ["Calls", "Figures", "About"]
    sheet = book["Calls"]
    header, *rows = list(sheet.iter_rows())
    assert tuple(c.value for c in header) == COLUMNS
    assert all(c.font.b for c in header)
    assert len(rows) == 2
    by_id = {row[0].value: row for row in rows}
    for saved in (summer, winter):
        record = get_call(db, admin, saved.id, audit_view=False)
        row = by_id[str(saved.id)]
        for column, value, cell in zip(COLUMNS, row_cells(record), row, strict=True):
            expected = expected_cell(column, value, record)
            if isinstance(expected, datetime):
                assert cell.is_date and cell.number_format == DATETIME_FORMAT, column
                assert abs(cell.value - expected) < timedelta(milliseconds=1), column  # Excel keeps ms
            else:
                assert cell.value == expected, column
                assert type(cell.value) is type(expected), column
            if isinstance(expected, str):
                assert cell.data_type == "s", column
    first = {c: cell.value for c, cell in zip(COLUMNS, by_id[str(summer.id)], strict=True)}
    # Local time: 02:17:31 UTC is 03:17:31 British Summer Time; 23:45 UTC in January is 23:45 GMT.
    assert first["opened_at"].replace(microsecond=0) == datetime(2026, 6, 14, 3, 17, 31)
    assert by_id[str(winter.id)][4].value == datetime(2026, 1, 20, 23, 45)
    assert by_id[str(winter.id)][5].value is None  # an open call has no closing time: an empty cell
    assert first["county_lines"] is True and first["victim_at_scene"] is False
    assert first["caller_phone"] == "+447700900417"  # text, no apostrophe, not a number
    # Formula-like texts stay texts, exactly, and carry Excel's quote prefix where Excel would run them.
    assert first["caller_name"] == "=cmd|' /C calc'!A0" and first["summary"] == "#N/A"
    assert first["force_area"] == "@SUM(A1:A2)"
    assert by_id[str(winter.id)][COLUMNS.index("summary")].value == "=1+1"
    for row in rows:
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                assert cell.quotePrefix, cell.coordinate
    assert not [c.coordinate for c in cells(book) if c.data_type in {"f", "e"}]
    # The header stays put, has a filter over every row, and every column is wide enough for its heading.
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:AI3"
    assert sheet.print_title_rows == "$1:$1"  # the header on every printed page
    widths = [sheet.column_dimensions[c.column_letter].width for c in header]
    assert all(w >= len(c.value) + 2 for w, c in zip(widths, header, strict=True))
    assert widths[COLUMNS.index("id")] >= 36 and widths[COLUMNS.index("narrative")] >= 50


def test_calls_past_the_sheet_limit_go_on_to_more_sheets(
    db: Database, admin: Actor, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx_export, "SHEET_ROWS", 2)  # Excel's is 1,048,575 calls
    ids = [str(save_call(db, admin, full_call(SUMMER + timedelta(hours=i))).id) for i in range(5)]
    path = out_dir / "split.xlsx"
    assert export(db, admin, path).rows == 5
    book = load_workbook(path)
    assert book.sheetnames == ["Calls", "Calls 2", "Calls 3", "Figures", "About"]
    written = []
    for name, count in (("Calls", 2), ("Calls 2", 2), ("Calls 3", 1)):
        sheet = book[name]
        header, *rows = list(sheet.iter_rows(values_only=True))
        assert header == COLUMNS and len(rows) == count
        assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:AI{count + 1}"
        written += [r[0] for r in rows]
    assert written == ids  # oldest first, each call once


def test_no_calls_gives_a_header_only_sheet(db: Database, admin: Actor, out_dir: Path) -> None:
    path = out_dir / "empty.xlsx"
    assert export(db, admin, path).rows == 0
    sheet = load_workbook(path)["Calls"]
    assert [tuple(r) for r in sheet.iter_rows(values_only=True)] == [COLUMNS]
    assert sheet.auto_filter.ref == "A1:AI1"


def test_long_and_unprintable_text(db: Database, admin: Actor, out_dir: Path) -> None:
    narrative = "Long account. " * 3000  # 42,000 characters: more than a cell holds
    saved = save_call(db, admin, full_call(narrative=narrative, summary="Bell\x07 and\ttab")).data
    path = out_dir / "long.xlsx"
    export(db, admin, path)
    sheet = load_workbook(path)["Calls"]
    row = next(sheet.iter_rows(min_row=2, values_only=True))
    cell = row[COLUMNS.index("narrative")]
    assert row[0] == str(saved.id)
    assert len(cell) == CELL_MAX and cell.endswith(CUT_MARK)
    assert cell.startswith(narrative[: CELL_MAX - len(CUT_MARK)])
    stored_summary = get_call(db, admin, saved.id, audit_view=False).data.summary
    assert row[COLUMNS.index("summary")] == stored_summary.replace("\x07", "\ufffd")


@settings(max_examples=60, deadline=None)
@given(
    value=st.one_of(
        st.text(st.characters(exclude_categories=["Cs"]), min_size=1),
        st.tuples(st.sampled_from(["=", "+", "-", "@", "#", "'"]), st.text()).map("".join),
        st.sampled_from(FORMULA_LIKE),
    )
)
def test_any_text_stays_text(value: str) -> None:
    """Whatever a text holds, it reads back as the same text (less what XML cannot carry)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("T")
    sheet.append([text_cell(sheet, value)])
    out = io.BytesIO()
    book.save(out)
    [[cell]] = load_workbook(out).active.iter_rows()
    expected = xlsx_export.cell_text(value)
    if not expected:
        assert cell.value is None
        return
    # Excel drops nothing, but XML turns a lone carriage return into a line feed on reading.
    assert cell.value == expected.replace("\r\n", "\n").replace("\r", "\n") or cell.value == expected
    assert cell.data_type == "s"


def test_cell_text_rules() -> None:
    assert xlsx_export.cell_text("a\x00b\x1fc\x0bd") == "a\ufffdb\ufffdc\ufffdd"
    assert xlsx_export.cell_text("tab\tline\nfeed\r") == "tab\tline\nfeed\r"
    assert xlsx_export.cell_text("x" * CELL_MAX) == "x" * CELL_MAX
    cut = xlsx_export.cell_text("y" * (CELL_MAX + 1))
    assert len(cut) == CELL_MAX and cut.endswith(CUT_MARK)


# --- the About sheet and the marking -------------------------------------------------------------


def test_about_sheet_and_marking(db: Database, admin: Actor, supervisor: Actor, out_dir: Path) -> None:
    for i in range(3):
        save_call(db, admin, full_call(SUMMER + timedelta(days=i), urgency=Urgency.URGENT))
    start = datetime(2026, 6, 1, tzinfo=LONDON)
    query = CallQuery(
        opened_from=start,
        opened_to=datetime(2026, 7, 1, tzinfo=LONDON),
        urgency=Urgency.URGENT,
        agency_type=AgencyType.POLICE,
        text="Tregarthen",
    )
    path = out_dir / "about.xlsx"
    options = ExportOptions(marking="OFFICIAL-SENSITIVE: PERSONAL")
    result = export(db, supervisor, path, query=query, options=options)
    assert result.rows == 3
    book = load_workbook(path)
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True) if row[0]}
    assert about["Protective marking"] == "OFFICIAL-SENSITIVE: PERSONAL"
    assert about["Profile"].startswith("Full")
    assert about["Period"] == "Calls opened from 1 June 2026 to 30 June 2026"
    # The same words as the PDF's title page (exports.common.filter_words).
    assert about["Filters"] == "Caller agency: Police; Urgency: Urgent; Only calls matching a text search"
    assert "Tregarthen" not in str(about)  # the search text may name someone: never in the file
    assert about["Time zone"].startswith("Europe/London")
    assert about["Calls written"] == 3
    assert about["Exported by"] == "Sam Supervisor"
    assert isinstance(about["Exported at"], datetime)
    assert book["Figures"]["B2"].value is None and "1 June 2026" in book["Figures"]["A2"].value
    for sheet in book.worksheets:  # the marking on every printed page, top and bottom
        assert sheet.oddHeader.center.text == "OFFICIAL-SENSITIVE: PERSONAL"
        assert sheet.oddFooter.center.text == "OFFICIAL-SENSITIVE: PERSONAL"
        assert sheet.oddFooter.right.text == "Page &P of &N"


# --- figures: equal to figures.compute and to independent SQL ------------------------------------


def figure_tables(sheet: Any) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """The Figures sheet read back by its layout: title (bold, 12 pt), note (italic), headings
    (bold), rows until a blank row."""
    rows = list(sheet.iter_rows())
    tables: dict[str, tuple[list[str], list[list[Any]]]] = {}
    i = 0
    while i < len(rows):
        first = rows[i][0]
        if first.value is not None and first.font.b and first.font.sz == 12:
            title = first.value
            i += 1
            if rows[i][0].font.i:
                i += 1
            columns = [c.value for c in rows[i] if c.value is not None]
            assert all(c.font.b for c in rows[i][: len(columns)])
            i += 1
            body = []
            while i < len(rows) and any(c.value is not None for c in rows[i]):
                body.append([c.value for c in rows[i]][: len(columns)])
                i += 1
            tables[title] = (columns, body)
        i += 1
    return tables


class RawCounts:
    """Counts by hand-written SQL, nothing shared with the figures module."""

    def __init__(self, db: Database, start: datetime, end: datetime) -> None:
        self.db = db
        self.params = {"start": self._bound(start), "end": self._bound(end)}

    def _bound(self, at: datetime) -> Any:
        utc = at.astimezone(UTC)
        if self.db.dialect == "sqlite":  # naive UTC text, as the column stores it
            return utc.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        return utc

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        sql = sql.replace("IN_PERIOD", "c.opened_at >= :start AND c.opened_at < :end")
        with self.db.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), self.params)]

    def one(self, sql: str) -> int:
        [(value,)] = self.rows(sql)
        return int(value)

    def grouped(self, sql: str) -> dict[str, int]:
        return {("" if k is None else str(k)): int(n) for k, n in self.rows(sql)}


def raw_totals(raw: RawCounts) -> dict[str, int]:
    outcomes = raw.grouped(
        "SELECT o.value, COUNT(*) FROM call_outcomes o JOIN calls c ON c.id = o.call_id "
        "WHERE IN_PERIOD GROUP BY o.value"
    )
    return {
        "Calls": raw.one("SELECT COUNT(*) FROM calls c WHERE IN_PERIOD"),
        "Cases": raw.one("SELECT COUNT(DISTINCT c.case_id) FROM calls c WHERE IN_PERIOD"),
        "Potential victims": raw.one(
            "SELECT COUNT(*) FROM persons p JOIN calls c ON c.id = p.call_id WHERE IN_PERIOD"
        ),
        "NRM referrals made": outcomes.get("nrm_made", 0),
        "Duty-to-notify reports advised": outcomes.get("dtn_advised", 0),
        "Calls that were not modern slavery": outcomes.get("not_modern_slavery", 0),
    }


def by_label(pairs: dict[str, int], enum: Any) -> dict[str, int]:
    return {member.label: pairs.get(member.value, 0) for member in enum}


@pytest.fixture
def demo(db: Database) -> tuple[Database, Actor]:
    generate_demo(db, calls=240, password="demo password 2026", seed=23)
    return db, accounts.authenticate(db, "demo-supervisor", "demo password 2026")


def test_figures_sheet_equals_compute_and_independent_sql(
    demo: tuple[Database, Actor], out_dir: Path
) -> None:
    db, supervisor = demo
    today = datetime.now(LONDON).date()
    first_day, days = today - timedelta(days=119), 120
    start = datetime.combine(first_day, time(0), LONDON)
    end = datetime.combine(today + timedelta(days=1), time(0), LONDON)
    query = CallQuery(opened_from=start.astimezone(UTC), opened_to=end.astimezone(UTC))
    path = out_dir / "figures.xlsx"
    result = export(db, supervisor, path, query=query)
    book = load_workbook(path)
    sheet_tables = figure_tables(book["Figures"])

    # 1. Exactly what figures.compute says, every table, every row, in order.
    computed = figures.compute(db, query)
    assert list(sheet_tables) == [t.title for t in computed.tables()]
    for table in computed.tables():
        columns, body = sheet_tables[table.title]
        assert columns == list(table.columns), table.title
        assert body == [[None if v == "" else v for v in row] for row in table.rows], table.title

    # 2. Equal to counts by independent SQL.
    raw = RawCounts(db, start, end)
    totals = raw_totals(raw)
    assert totals["Calls"] == result.rows > 0
    assert totals["Calls"] == len(list(book["Calls"].iter_rows(min_row=2)))

    def column(title: str, index: int = 1) -> dict[str, Any]:
        return {row[0]: row[index] for row in sheet_tables[title][1]}

    summary = column("Summary")
    for label, count in totals.items():
        assert summary[label] == count, label
    previous_start = datetime.combine(first_day - timedelta(days=days), time(0), LONDON)
    previous = raw_totals(RawCounts(db, previous_start, start))
    assert previous["Calls"] > 0  # the demo year reaches back far enough for a real comparison
    change = sheet_tables["Change against the previous period"][1]
    for label, now, before, pct in change:
        assert (now, before) == (totals[label], previous[label]), label
        expected = None if not before else round((now - before) * 100 / before, 1)
        assert pct == expected, label

    chosen = raw.grouped(
        "SELECT r.route, COUNT(*) FROM route_advice r JOIN calls c ON c.id = r.call_id "
        "WHERE r.chosen AND IN_PERIOD GROUP BY r.route"
    )
    assert column("Calls by advice route") == by_label(chosen, Route)
    agency = raw.grouped("SELECT c.caller_agency_type, COUNT(*) FROM calls c WHERE IN_PERIOD GROUP BY 1")
    assert column("Calls by caller agency") == {**by_label(agency, AgencyType), "Total": totals["Calls"]}
    forces = raw.grouped("SELECT c.force_area, COUNT(*) FROM calls c WHERE IN_PERIOD GROUP BY c.force_area")
    ranked = sorted(forces.items(), key=lambda kv: (-kv[1], kv[0]))
    assert sheet_tables["Calls by force area"][1] == [
        *([name or "Not recorded", n] for name, n in ranked),
        ["Total", totals["Calls"]],
    ]
    urgency = raw.grouped("SELECT c.urgency, COUNT(*) FROM calls c WHERE IN_PERIOD GROUP BY c.urgency")
    assert column("Calls by urgency") == {**by_label(urgency, Urgency), "Total": totals["Calls"]}
    status = raw.grouped("SELECT c.status, COUNT(*) FROM calls c WHERE IN_PERIOD GROUP BY c.status")
    assert column("Calls by status") == {**by_label(status, CallStatus), "Total": totals["Calls"]}
    outcomes = raw.grouped(
        "SELECT o.value, COUNT(*) FROM call_outcomes o JOIN calls c ON c.id = o.call_id "
        "WHERE IN_PERIOD GROUP BY o.value"
    )
    assert column("Outcomes") == by_label(outcomes, Outcome)
    referrals = raw.grouped(
        "SELECT f.target, COUNT(*) FROM referrals f JOIN calls c ON c.id = f.call_id "
        "WHERE IN_PERIOD GROUP BY f.target"
    )
    assert column("Referrals onward by target") == {
        **by_label(referrals, ReferralTarget),
        "Total": sum(referrals.values()),
    }

    by_type_age = raw.rows(
        "SELECT COALESCE(e.value, 'unknown'), "
        "CASE WHEN p.age_disputed THEN 'child' ELSE p.age_group END, COUNT(*) "
        "FROM persons p JOIN calls c ON c.id = p.call_id "
        "LEFT JOIN call_exploitation_types e ON e.call_id = c.id "
        "WHERE IN_PERIOD GROUP BY 1, 2"
    )
    grid: Counter[tuple[str, str]] = Counter()
    for kind, age, n in by_type_age:
        grid[(str(kind), str(age))] += int(n)
    expected_grid = [
        [m.label, grid[(m.value, "adult")], grid[(m.value, "child")], grid[(m.value, "unknown")]]
        for m in ExploitationType
    ]
    for row in expected_grid:
        row.append(sum(row[1:]))
    assert sheet_tables["Potential victims by exploitation type and age group"][1] == expected_grid
    assert sum(grid.values()) >= totals["Potential victims"] > 0

    sex = raw.grouped(
        "SELECT p.sex, COUNT(*) FROM persons p JOIN calls c ON c.id = p.call_id "
        "WHERE IN_PERIOD GROUP BY p.sex"
    )
    assert column("Potential victims by sex") == {**by_label(sex, Sex), "Total": totals["Potential victims"]}
    where = raw.grouped(
        "SELECT c.where_exploited, COUNT(*) FROM persons p JOIN calls c ON c.id = p.call_id "
        "WHERE IN_PERIOD GROUP BY c.where_exploited"
    )
    assert column("Potential victims by where exploited") == {
        **by_label(where, WhereExploited),
        "Total": totals["Potential victims"],
    }
    nationalities = raw.grouped(
        "SELECT n.code, COUNT(*) FROM persons p JOIN calls c ON c.id = p.call_id "
        "LEFT JOIN person_nationalities n ON n.person_id = p.id AND n.position = "
        "(SELECT MIN(m.position) FROM person_nationalities m WHERE m.person_id = p.id) "
        "WHERE IN_PERIOD GROUP BY n.code"
    )
    top = sorted(nationalities.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    assert sheet_tables["Potential victims: top 10 nationalities"][1] == [
        [country_name(code) if code else "Not recorded", n] for code, n in top
    ]
    county = column("County lines")
    assert county["Calls about county lines"] == raw.one(
        "SELECT COUNT(*) FROM calls c WHERE c.county_lines AND IN_PERIOD"
    )
    assert county["Potential victims on those calls"] == raw.one(
        "SELECT COUNT(*) FROM persons p JOIN calls c ON c.id = p.call_id WHERE c.county_lines AND IN_PERIOD"
    )

    # Days and hours: local (Europe/London), bucketed here from the raw opened_at values.
    per_day: Counter[date] = Counter()
    per_hour: Counter[int] = Counter()
    for (opened,) in raw.rows("SELECT c.opened_at FROM calls c WHERE IN_PERIOD"):
        at = datetime.fromisoformat(opened) if isinstance(opened, str) else opened
        local = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(LONDON)
        per_day[local.date()] += 1
        per_hour[local.hour] += 1
    day_rows = sheet_tables["Calls per day"][1]
    assert len(day_rows) == days + 1  # every day, zeros kept, and the total
    expected_days = [first_day + timedelta(days=i) for i in range(days)]
    assert [n for _, n in day_rows[:-1]] == [per_day[d] for d in expected_days]
    assert [label for label, _ in day_rows[:-1]] == [figures.day_label(d) for d in expected_days]
    assert day_rows[-1] == ["Total", totals["Calls"]]
    hour_rows = sheet_tables["Calls by hour of day"][1]
    assert [n for _, n in hour_rows[:-1]] == [per_hour[h] for h in range(24)]
    # Every figure is a number cell, never text that looks like one.
    for columns, body in sheet_tables.values():
        for row in body:
            assert all(v is None or isinstance(v, int | float) for v in row[1:]), (columns, row)


def test_figures_profile_has_no_calls(demo: tuple[Database, Actor], out_dir: Path) -> None:
    db, supervisor = demo
    path = out_dir / "figures-only.xlsx"
    result = export(db, supervisor, path, profile="figures")
    book = load_workbook(path)
    assert book.sheetnames == ["Figures", "About"]
    total = RawCounts(db, datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    assert result.rows == total.one("SELECT COUNT(*) FROM calls c WHERE IN_PERIOD")
    tables = figure_tables(book["Figures"])
    assert {r[0]: r[1] for r in tables["Summary"][1]}["Calls"] == result.rows
    assert "Change against the previous period" not in tables  # no date range: nothing to compare
    about = {row[0]: row[1] for row in book["About"].iter_rows(values_only=True) if row[0]}
    assert about["Calls counted"] == result.rows and about["Profile"].startswith("Figures")
    # No row per call anywhere: no call or case reference, no caller name, no UUID.
    with db.engine.connect() as conn:
        references = [r for (r,) in conn.execute(text("SELECT reference FROM calls"))]
        names = [n for (n,) in conn.execute(text("SELECT caller_name FROM calls")) if n]
    written = " ".join(str(c.value) for c in cells(book) if c.value is not None)
    assert not [r for r in references if r in written]
    assert not [n for n in names if n in written]
    assert "CASE-" not in written
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", written)


# --- pseudonymised profile ----------------------------------------------------------------------

CANARIES = (
    "Zebediah", "Quillfeather", "900999", "7700900999", "zeb.canary", "example.net", "QX 90417",
    "90417", "marmalade", "hyacinth", "Wolstenholme", "Bathsheba", "CANARY-555", "periwinkle",
    "snapdragon", "gooseberry", "Ada Admin", "Tregarthen",
)  # fmt: skip


def canary_call() -> CallData:
    base = full_call()
    return dataclasses.replace(
        base,
        caller=dataclasses.replace(
            base.caller,
            name="Zebediah Quillfeather",
            phone="07700 900999",
            email="zeb.canary@example.net",
            collar_number="QX 90417",
        ),
        summary="periwinkle summary",
        narrative="The marmalade hyacinth was seen near the depot.",
        persons=(PersonData(name="Bathsheba Wolstenholme", notes="snapdragon"),),
        referrals=(
            ReferralData(target=base.referrals[0].target, reference="CANARY-555", notes="gooseberry"),
        ),
    )


def test_pseudonymised_profile_leaks_no_canary(
    db: Database, admin: Actor, supervisor: Actor, out_dir: Path
) -> None:
    first = save_call(db, admin, canary_call()).data
    second = save_call(
        db,
        admin,
        dataclasses.replace(
            canary_call(),
            id=uuid.uuid4(),
            opened_at=SUMMER + timedelta(hours=1),
            closed_at=SUMMER + timedelta(hours=2),
            persons=(),
            referrals=(),
            follow_ups=(),
        ),
    ).data
    full_path, pseudo_path = out_dir / "full.xlsx", out_dir / "pseudo.xlsx"
    export(db, supervisor, full_path)
    full_text = " ".join(str(c.value) for c in cells(load_workbook(full_path)))
    assert "Quillfeather" in full_text and "+447700900999" in full_text  # the canaries are really there

    result = export(db, supervisor, pseudo_path, profile="pseudonymised")
    assert result.rows == 2
    book = load_workbook(pseudo_path)
    written = " ".join(str(c.value) for c in cells(book) if c.value is not None).lower()
    with zipfile.ZipFile(pseudo_path) as archive:  # every part of the file, not only the cells
        raw = " ".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist()).lower()
    for word in CANARIES:
        assert word.lower() not in written, word
        assert word.lower() not in raw, word
    rows = {
        r[0]: dict(zip(COLUMNS, r, strict=True)) for r in book["Calls"].iter_rows(min_row=2, values_only=True)
    }
    a, b = rows[str(first.id)], rows[str(second.id)]
    for key in ("caller_name", "caller_phone", "caller_email", "caller_collar_number", "handler"):
        assert a[key].startswith("P-") and len(a[key]) == 10 and a[key] == b[key]
    assert a["summary"] is None and a["narrative"] is None
    assert a["caller_organisation"] == "Devon and Cornwall Police"
    assert book["About"]["B4"].value.startswith("Pseudonymised")


# --- cancel ---------------------------------------------------------------------------------------


def openpyxl_temp_files() -> set[str]:
    return {p for p in openpyxl_writer.ALL_TEMP_FILES if os.path.exists(p)}


@pytest.mark.parametrize(("profile", "cancel_at"), [("full", 3), ("full", 9), ("figures", 1)])
def test_cancel_leaves_no_file(
    db: Database,
    admin: Actor,
    out_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    profile: str,
    cancel_at: int,
) -> None:
    """Cancelled while writing calls (3rd call), while counting the figures (after the 5 calls),
    and in the figures profile: no file, no temporary file of ours or openpyxl's."""
    monkeypatch.setattr(common, "PAGE_SIZE", 2)
    for i in range(5):
        save_call(db, admin, full_call(SUMMER + timedelta(hours=i)))
    asked: list[int] = []

    def cancel() -> bool:
        asked.append(1)
        return len(asked) >= cancel_at

    before = openpyxl_temp_files()
    target = out_dir / "cancelled.xlsx"
    with pytest.raises(ExportCancelled):
        export(db, admin, target, profile=profile, cancelled=cancel)
    assert len(asked) == cancel_at
    assert not target.exists() and leftovers(out_dir) == []
    assert openpyxl_temp_files() <= before


def test_cancel_keeps_the_previous_file(db: Database, admin: Actor, out_dir: Path) -> None:
    save_call(db, admin, full_call())
    target = out_dir / "calls.xlsx"
    export(db, admin, target)
    before = target.read_bytes()
    with pytest.raises(ExportCancelled):
        export(db, admin, target, cancelled=lambda: True)
    assert target.read_bytes() == before and leftovers(out_dir) == []


def test_disk_full_leaves_no_file_and_keeps_the_previous_one(
    db: Database, admin: Actor, out_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_call(db, admin, full_call())
    target = out_dir / "calls.xlsx"
    target.write_bytes(b"the previous export")
    real = ExcelWriter.write_worksheet
    written: list[str] = []

    def fills_up(self: Any, sheet: Any) -> None:
        if written:  # the second sheet finds the disk full
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(sheet.title)
        real(self, sheet)

    monkeypatch.setattr(ExcelWriter, "write_worksheet", fills_up)
    before = openpyxl_temp_files()
    with pytest.raises(OSError, match="No space left"):
        export(db, admin, target)
    assert written == ["Calls"]
    assert target.read_bytes() == b"the previous export" and leftovers(out_dir) == []
    assert openpyxl_temp_files() <= before


# --- memory -------------------------------------------------------------------------------------


def test_memory_does_not_grow_with_the_calls(sqlite_db: Database, tmp_path: Path) -> None:
    """Memory blocks in use, sampled every 100 calls while 800 are written: flat, where keeping
    anything per call (a cell, a row, a string) would add at least 600 blocks. (tracemalloc
    gives the same answer, ten times slower: see the issue-5 report.)"""
    admin = make_admin(sqlite_db)
    record = get_call(sqlite_db, admin, save_call(sqlite_db, admin, full_call()).id, audit_view=False)
    calls = 800
    blocks: dict[int, int] = {}

    def records() -> Iterator[Any]:
        for i in range(calls):
            if i % 100 == 0:
                blocks[i] = sys.getallocatedblocks()
            yield record

    job = ExportJob(
        db=sqlite_db, query=CallQuery(), profile=Profile.FULL, options=ExportOptions(), total=calls
    )
    job.records = records  # type: ignore[method-assign]
    path = tmp_path / "many.xlsx"
    with path.open("wb") as out:
        xlsx_export.write(out, job)
    assert job.rows == calls
    assert len(list(load_workbook(path, read_only=True)["Calls"].rows)) == calls + 1
    settled = [n for i, n in blocks.items() if i >= 200]  # after openpyxl's first-use caches
    assert max(settled) - min(settled) < 300, blocks


def test_about_sheet_names_the_handler_filtered_on_and_hides_it_when_pseudonymised(
    db: Database, supervisor: Actor, out_dir: Path
) -> None:
    query = CallQuery(handler_id=supervisor.user_id)
    path = out_dir / "handler.xlsx"
    export(db, supervisor, path, query=query)
    about = {row[0]: row[1] for row in load_workbook(path)["About"].iter_rows(values_only=True) if row[0]}
    assert about["Filters"] == "Call handler: Sam Supervisor"
    export(db, supervisor, path, query=query, profile=Profile.PSEUDONYMISED)
    about = {row[0]: row[1] for row in load_workbook(path)["About"].iter_rows(values_only=True) if row[0]}
    assert re.fullmatch(r"Call handler: P-[0-9A-F]{8}", about["Filters"])
    export(db, supervisor, path, query=CallQuery())
    about = {row[0]: row[1] for row in load_workbook(path)["About"].iter_rows(values_only=True) if row[0]}
    assert about["Filters"] == "None: every call in the period"
