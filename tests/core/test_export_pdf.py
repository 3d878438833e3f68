"""The PDF report (issue 5): run through ``service.export(format="pdf")`` on SQLite and PostgreSQL
and read back with poppler (``pdftotext``, ``pdffonts``, ``pdftoppm``): the figures equal
independent, hand-written SQL counts on a seeded demo database; the protective marking is in the
header and footer and "Page X of N" on every page; Greek and Cyrillic names print intact in the
appendix; the pseudonymised appendix leaks no name; the pages render.

Set ``SUPPORTLINE_PDF_PAGES`` to a folder to keep PNGs of the rendered pages for looking at.
Every person and number is invented; phone numbers are from Ofcom's drama range.
"""

# ruff: noqa: S608  (the SQL text is built from this file's constants: no input)

from __future__ import annotations

import dataclasses
import html
import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import bindparam, text

from supportline.db import Database
from supportline.db.types import UTCDateTime
from supportline.enums import AgencyType, ExploitationType, Outcome, ReferralTarget, Role, Route, Sex
from supportline.exports import service
from supportline.exports.common import ExportCancelled, ExportOptions, ExportResult, Profile
from supportline.services import accounts, audit
from supportline.services.actor import Actor
from supportline.services.call_types import CallQuery, PersonData
from supportline.services.calls import save_call
from supportline.services.demo import generate_demo
from tests.conftest import IN_CI
from tests.factories import full_call, make_admin, make_user

LONDON = ZoneInfo("Europe/London")
DEMO_PASSWORD = "demo password 2026"
DEMO_CALLS = 300
DAYS = 120
PURPOSE = "Quarterly figures for the modern slavery programme board (zebra-purpose-canary)"
POPPLER = ("pdftotext", "pdffonts", "pdftoppm", "pdfinfo")
MINUS = "\u2212"


@pytest.fixture(autouse=True)
def _poppler() -> None:
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        message = f"poppler-utils missing ({', '.join(missing)}): apt-get install poppler-utils"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


# --- reading the PDF back --------------------------------------------------------------------------


def page_texts(path: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True)
    pages = out.stdout.decode("utf-8").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def page_count(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    match = re.search(r"^Pages:\s+(\d+)$", info, re.MULTILINE)
    assert match, info
    return int(match[1])


@dataclasses.dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


_WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


def page_words(path: Path) -> list[list[Word]]:
    """Every word of every page with its box (``pdftotext -bbox``), in reading order."""
    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True)
    pages = out.stdout.decode("utf-8").split("<page ")[1:]
    return [
        [
            Word(html.unescape(m[5]), float(m[1]), float(m[2]), float(m[3]), float(m[4]))
            for m in _WORD.finditer(p)
        ]
        for p in pages
    ]


_NUMBER = re.compile(rf"^[+{MINUS}]?[\d,]+(\.\d)?%?$")
GAP = 8.0  # points: more than a space between two words of a label, less than label to number


def table_rows(pages: list[list[Word]], *headings: str) -> dict[str, list[str]]:
    """label -> the numbers printed right of it, for every table row from the last of
    ``headings`` on (each heading found after the one before it), read in the heading's column
    (two tables may stand side by side); the first row of each label wins. A label that wraps
    over two lines is found whole."""
    page, at = 0, 0
    heading_words: list[Word] = []
    for heading in headings:
        page, at, heading_words = _find(pages, heading.split(), page, at)
    left = heading_words[0].x0 - 2
    beside = [
        w.x0 for w in pages[page] if abs(w.y0 - heading_words[0].y0) < 2 and w.x0 > heading_words[-1].x1 + 10
    ]
    right = min(beside, default=10_000.0) - 2
    rows: dict[str, list[str]] = {}
    for index in range(page, len(pages)):
        words = [
            w for w in pages[index] if left <= w.x0 < right and (index > page or w.y0 > heading_words[0].y1)
        ]
        last: tuple[str, float] | None = None
        for line in _lines(words):
            segments = list(_segments(line))
            label, values, whole_line = segments[0]
            if values:
                last = (label, line[0].x0)
            elif last is not None and abs(line[0].x0 - last[1]) < 1 and whole_line:
                label, values = f"{last[0]} {label}", rows[last[0]]  # wrapped: numbers on its first line
                last = None
            else:
                last = None
            for found, numbers, _ in [(label, values, True), *segments[1:]]:
                if numbers:
                    rows.setdefault(found, numbers)
    return rows


def _segments(line: list[Word]) -> Iterator[tuple[str, list[str], bool]]:
    """(label, numbers, whether that is the whole line) for each table beside the others on a line
    (a list set in columns has several)."""
    i = 0
    while i < len(line):
        label_words = [line[i]]
        i += 1
        while i < len(line) and line[i].x0 - label_words[-1].x1 <= GAP:
            label_words.append(line[i])
            i += 1
        values: list[str] = []
        while i < len(line) and _NUMBER.match(line[i].text):
            values.append(line[i].text)
            i += 1
        yield " ".join(w.text for w in label_words), values, len(label_words) == len(line)


def _find(pages: list[list[Word]], tokens: list[str], page: int, at: int) -> tuple[int, int, list[Word]]:
    for index in range(page, len(pages)):
        words = pages[index]
        for i in range(at if index == page else 0, len(words) - len(tokens) + 1):
            if [w.text for w in words[i : i + len(tokens)]] == tokens:
                return index, i + len(tokens), words[i : i + len(tokens)]
    raise AssertionError(f"heading {' '.join(tokens)!r} not found")


def _lines(words: list[Word]) -> list[list[Word]]:
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.y0, w.x0)):
        if lines and abs(word.y0 - lines[-1][0].y0) < 2:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w.x0) for line in lines]


def n(value: int) -> str:
    return f"{value:,}"


# --- independent counts ------------------------------------------------------------------------------


def local_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    after = last + timedelta(days=1)
    start = datetime(first.year, first.month, first.day, tzinfo=LONDON)
    end = datetime(after.year, after.month, after.day, tzinfo=LONDON)
    return start.astimezone(UTC), end.astimezone(UTC)


class Counts:
    """Hand-written SQL over the calls ``c`` opened on the local days ``first`` to ``last``."""

    def __init__(self, db: Database, first: date, last: date, extra: str = "") -> None:
        self.db = db
        start, end = local_bounds(first, last)
        self.params = [bindparam("s", start, type_=UTCDateTime()), bindparam("e", end, type_=UTCDateTime())]
        self.where = "c.opened_at >= :s AND c.opened_at < :e" + (f" AND {extra}" if extra else "")

    def rows(self, sql: str) -> list[Any]:
        with self.db.engine.connect() as conn:
            return list(conn.execute(text(sql).bindparams(*self.params)).all())

    def one(self, sql: str) -> int:
        return int(self.rows(sql)[0][0])

    def grouped(self, sql: str) -> Counter[str]:
        return Counter({str(key): int(count) for key, count in self.rows(sql)})

    def totals(self) -> dict[str, int]:
        w = self.where

        def with_outcome(value: str) -> int:
            return self.one(
                f"SELECT count(*) FROM calls c WHERE {w} AND EXISTS "
                f"(SELECT 1 FROM call_outcomes o WHERE o.call_id = c.id AND o.value = '{value}')"
            )

        return {
            "Calls": self.one(f"SELECT count(*) FROM calls c WHERE {w}"),
            "Cases": self.one(f"SELECT count(*) FROM (SELECT DISTINCT c.case_id FROM calls c WHERE {w}) k"),
            "Potential victims": self.one(
                f"SELECT count(*) FROM persons p JOIN calls c ON c.id = p.call_id WHERE {w}"
            ),
            "NRM referrals made": with_outcome("nrm_made"),
            "Duty-to-notify reports advised": with_outcome("dtn_advised"),
            "Calls that were not modern slavery": with_outcome("not_modern_slavery"),
        }

    def by_route(self) -> Counter[str]:
        return self.grouped(
            "SELECT a.route, count(*) FROM calls c JOIN route_advice a ON a.call_id = c.id "
            f"WHERE {self.where} AND a.chosen = TRUE GROUP BY a.route"
        )

    def by_agency(self) -> Counter[str]:
        return self.grouped(
            f"SELECT c.caller_agency_type, count(*) FROM calls c WHERE {self.where} GROUP BY 1"
        )

    def by_force(self) -> Counter[str]:
        return self.grouped(f"SELECT c.force_area, count(*) FROM calls c WHERE {self.where} GROUP BY 1")

    def outcomes(self) -> Counter[str]:
        return self.grouped(
            "SELECT o.value, count(*) FROM calls c JOIN call_outcomes o ON o.call_id = c.id "
            f"WHERE {self.where} GROUP BY o.value"
        )

    def referrals(self) -> Counter[str]:
        return self.grouped(
            "SELECT r.target, count(*) FROM calls c JOIN referrals r ON r.call_id = c.id "
            f"WHERE {self.where} GROUP BY r.target"
        )

    def by_sex(self) -> Counter[str]:
        return self.grouped(
            "SELECT p.sex, count(*) FROM persons p JOIN calls c ON c.id = p.call_id "
            f"WHERE {self.where} GROUP BY 1"
        )

    def victims_by_type_age(self) -> dict[str, Counter[str]]:
        """Persons under every exploitation type of their call ('unknown' when it has none); a
        disputed age counts as a child."""
        found: dict[str, Counter[str]] = {t.value: Counter() for t in ExploitationType}
        rows = self.rows(
            "SELECT p.age_group, p.age_disputed, "
            "(SELECT count(*) FROM call_exploitation_types t WHERE t.call_id = c.id), c.id "
            f"FROM persons p JOIN calls c ON c.id = p.call_id WHERE {self.where}"
        )
        types = Counter[tuple[str, str]]()
        for kind, call_id in self.rows(
            "SELECT t.value, c.id FROM call_exploitation_types t JOIN calls c ON c.id = t.call_id "
            f"WHERE {self.where}"
        ):
            types[(str(call_id), str(kind))] += 1
        kinds: dict[str, list[str]] = {}
        for call_id, kind in types:
            kinds.setdefault(call_id, []).append(kind)
        for age_group, disputed, how_many, call_id in rows:
            age = "child" if disputed or age_group == "child" else str(age_group)
            for kind in kinds.get(str(call_id), []) if how_many else ["unknown"]:
                found[kind][age] += 1
        return found

    def per_day(self) -> Counter[date]:
        stamps = [row[0] for row in self.rows(f"SELECT c.opened_at FROM calls c WHERE {self.where}")]
        days: Counter[date] = Counter()
        for stamp in stamps:
            value = stamp if isinstance(stamp, datetime) else datetime.fromisoformat(str(stamp))
            value = value if value.tzinfo else value.replace(tzinfo=UTC)
            days[value.astimezone(LONDON).date()] += 1
        return days


# --- a seeded demo database ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Demo:
    db: Database
    supervisor: Actor
    first: date
    last: date

    def query(self, **filters: Any) -> CallQuery:
        start, end = local_bounds(self.first, self.last)
        return CallQuery(opened_from=start, opened_to=end, **filters)


@pytest.fixture
def demo(db: Database) -> Demo:
    generate_demo(db, calls=DEMO_CALLS, password=DEMO_PASSWORD, seed=5150)
    supervisor = accounts.authenticate(db, "demo-supervisor", DEMO_PASSWORD)
    today = datetime.now(LONDON).date()
    return Demo(db, supervisor, today - timedelta(days=DAYS), today - timedelta(days=1))


def export_pdf(
    db: Database, actor: Actor, path: Path, query: CallQuery, profile: str = "figures", **options: Any
) -> ExportResult:
    return service.export(
        db, actor, format="pdf", query=query, profile=profile, path=path, purpose=PURPOSE,
        options=ExportOptions(**options),
    )  # fmt: skip


def keep_pages(path: Path) -> None:
    """PNGs of every page in ``$SUPPORTLINE_PDF_PAGES`` (when set), for a person to look at."""
    folder = os.environ.get("SUPPORTLINE_PDF_PAGES")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-r", "80", "-png", str(path), str(Path(folder) / path.stem)], check=True)


def assert_every_page_marked(path: Path, marking: str) -> list[str]:
    pages = page_texts(path)
    total = page_count(path)
    assert len(pages) == total > 1
    for number, page in enumerate(pages, start=1):
        lines = [line for line in page.splitlines() if line.strip()]
        assert marking in lines[0], (number, lines[0])  # the header
        assert marking in lines[-1], (number, lines[-1])  # the footer
        assert re.search(rf"\bPage {number} of {total}\b", lines[-1]), (number, lines[-1])
    return pages


# --- the figures report ----------------------------------------------------------------------------------


def test_figures_report_prints_the_independent_counts(demo: Demo, tmp_path: Path) -> None:
    db = demo.db
    path = tmp_path / "figures.pdf"
    result = export_pdf(db, demo.supervisor, path, demo.query())
    counts = Counts(db, demo.first, demo.last)
    totals = counts.totals()
    assert result.rows == totals["Calls"] > 50  # the figures profile counts the calls
    keep_pages(path)

    pages = assert_every_page_marked(path, "OFFICIAL-SENSITIVE")
    title = pages[0]
    period = f"{demo.first.day} {demo.first:%B %Y} to {demo.last.day} {demo.last:%B %Y}"
    assert period in title and "Europe/London" in title
    assert re.search(r"Profile\s+Figures only", title)
    assert re.search(r"Exported by\s+Demo Supervisor at \d+ \w{3} \d{4} \d\d:\d\d", title)
    assert re.search(r"Filters\s+None: every call in the period", title)
    assert "zebra-purpose-canary" not in "".join(pages)  # the purpose is audited, never printed

    words = page_words(path)
    summary = table_rows(words, "Summary")
    # The summary, with the change against the previous period of the same length.
    previous = Counts(db, demo.first - timedelta(days=DAYS), demo.first - timedelta(days=1)).totals()
    for label, now in totals.items():
        before = previous[label]
        line = summary[label]
        assert line[:2] == [n(now), n(before)], label
        if before:
            change = round((now - before) * 100 / before, 1)
            sign = "+" if change > 0 else (MINUS if change < 0 else "")
            assert line[2] == f"{sign}{abs(change):,.1f}%", label
        else:
            assert len(line) == 2, label
    share = 100 * totals["Calls that were not modern slavery"] / totals["Calls"]
    assert f"{share:.1f}% of calls were found not to be about modern slavery" in " ".join(pages[1].split())

    # The tables, in the shape of the published statistics (after the charts, which share titles).
    def rows(title: str) -> dict[str, list[str]]:
        return table_rows(words, "Tables", title)

    routes, printed = counts.by_route(), rows("Calls by advice route")
    assert {r.label: printed[r.label] for r in Route} == {r.label: [n(routes[r.value])] for r in Route}
    agencies, printed = counts.by_agency(), rows("Calls by caller agency")
    for agency in AgencyType:
        assert printed[agency.label] == [n(agencies[agency.value])], agency
    assert printed["Total"] == [n(totals["Calls"])]
    forces, printed = counts.by_force(), rows("Calls by force area")
    assert len(forces) > 5
    for force, calls in forces.items():
        assert printed[force or "Not recorded"] == [n(calls)], force
    assert printed["Total"] == [n(totals["Calls"])]
    outcomes, printed = counts.outcomes(), rows("Outcomes")
    for outcome in Outcome:
        assert printed[outcome.label] == [n(outcomes[outcome.value])], outcome
    referrals, printed = counts.referrals(), rows("Referrals onward by target")
    for target in ReferralTarget:
        assert printed[target.label] == [n(referrals[target.value])], target
    assert printed["Total"] == [n(sum(referrals.values()))]
    by_sex, printed = counts.by_sex(), rows("Potential victims by sex")
    for sex in Sex:
        assert printed[sex.label] == [n(by_sex[sex.value])], sex
    by_type, printed = (
        counts.victims_by_type_age(),
        rows("Potential victims by exploitation type and age group"),
    )
    for kind in ExploitationType:
        adults, children, unknown = (by_type[kind.value][a] for a in ("adult", "child", "unknown"))
        assert printed[kind.label] == [n(adults), n(children), n(unknown), n(adults + children + unknown)], (
            kind
        )
    per_day, printed = counts.per_day(), rows("Calls per day")
    day = demo.first
    while day <= demo.last:
        label = f"{day:%a} {day.day} {day:%b %Y}"
        assert printed[label] == [n(per_day[day])], label
        day += timedelta(days=1)
    assert printed["Total"] == [n(totals["Calls"])]


def test_filters_are_printed_in_words_and_applied(demo: Demo, tmp_path: Path) -> None:
    path = tmp_path / "victim-route.pdf"
    query = demo.query(route=Route.VICTIM, agency_type=AgencyType.POLICE)
    export_pdf(demo.db, demo.supervisor, path, query, marking="OFFICIAL")
    title = assert_every_page_marked(path, "OFFICIAL")[0]
    assert "Advice route: Victim" in title and "Caller agency: Police" in title
    counts = Counts(
        demo.db, demo.first, demo.last,
        extra="c.caller_agency_type = 'police' AND EXISTS (SELECT 1 FROM route_advice a "
        "WHERE a.call_id = c.id AND a.route = 'victim' AND a.chosen = TRUE)",
    )  # fmt: skip
    totals = counts.totals()
    assert 0 < totals["Calls"] < Counts(demo.db, demo.first, demo.last).totals()["Calls"]
    summary = table_rows(page_words(path), "Summary")
    for label, now in totals.items():
        assert summary[label][0] == n(now), label


# --- the appendix -----------------------------------------------------------------------------------

GREEK = "Σοφία Παπαδοπούλου"
CYRILLIC = "Ольга Миколаївна Петренко"


@pytest.fixture
def named_calls(db: Database) -> tuple[Actor, list[str]]:
    admin = make_admin(db)
    supervisor = make_user(db, admin, "sam.supervisor", Role.SUPERVISOR)
    base = full_call(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    first = dataclasses.replace(
        base,
        caller=dataclasses.replace(base.caller, name=f"DS {CYRILLIC}", phone="07700 900123"),
        persons=(PersonData(name=GREEK, nationalities=("GR",)),),
        narrative="Ольга called from the depot <b>not bold</b> & asked for the NRM form.",
    )
    references = [save_call(db, admin, first).reference]
    for i in range(1, 24):
        opened = datetime(2026, 3, 10, 9, 0, tzinfo=UTC) + timedelta(hours=3 * i)
        references.append(save_call(db, admin, full_call(opened)).reference)
    return supervisor, references


def test_appendix_prints_non_latin_names_intact(
    db: Database, named_calls: tuple[Actor, list[str]], tmp_path: Path
) -> None:
    supervisor, references = named_calls
    path = tmp_path / "appendix.pdf"
    query = CallQuery(
        opened_from=datetime(2026, 3, 10, tzinfo=LONDON), opened_to=datetime(2026, 3, 14, tzinfo=LONDON)
    )
    progress: list[tuple[int, int]] = []
    result = service.export(
        db, supervisor, format="pdf", query=query, profile="full", path=path, purpose=PURPOSE,
        options=ExportOptions(appendix=True, marking="OFFICIAL-SENSITIVE PERSONAL"),
        progress=lambda done, total: progress.append((done, total)),
    )  # fmt: skip
    assert result.rows == 24 and progress[-1] == (24, 24)  # one tick per call in the appendix
    keep_pages(path)
    pages = assert_every_page_marked(path, "OFFICIAL-SENSITIVE PERSONAL")
    whole = "\n".join(pages)
    assert f"DS {CYRILLIC}" in whole and GREEK in whole
    assert "<b>not bold</b> & asked" in whole  # text is printed as typed, never as markup
    positions = [whole.index(reference) for reference in references]
    assert positions == sorted(positions)  # oldest first
    assert re.search(r"Appendix\s+One block per call, oldest first", pages[0])
    assert re.search(r"Profile\s+Full: names", pages[0])
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    embedded = [line for line in fonts.splitlines() if "DejaVuSans" in line]
    assert embedded and all(" yes " in line for line in embedded)  # the font travels with the file
    [event] = audit.recent_events(db, supervisor, action="calls.export")
    assert event.details["format"] == "pdf" and event.details["appendix"] is True
    assert event.details["rows"] == 24 and event.details["marking"] == "OFFICIAL-SENSITIVE PERSONAL"


def test_pseudonymised_appendix_leaks_no_name(
    db: Database, named_calls: tuple[Actor, list[str]], tmp_path: Path
) -> None:
    supervisor, _ = named_calls
    path = tmp_path / "pseudo.pdf"
    export_pdf(db, supervisor, path, CallQuery(), profile="pseudonymised", appendix=True)
    whole = "\n".join(page_texts(path))
    for canary in ("Ольга", "Петренко", "Σοφία", "Tregarthen", "900123", "example.org", "DC 4471", "depot"):
        assert canary not in whole, canary
    assert re.search(r"\bP-[0-9A-F]{8}\b", whole)
    assert "Pseudonymised" in whole


def test_figures_profile_has_no_appendix(
    db: Database, named_calls: tuple[Actor, list[str]], tmp_path: Path
) -> None:
    supervisor, references = named_calls
    path = tmp_path / "figures-only.pdf"
    result = export_pdf(db, supervisor, path, CallQuery(text="Tregarthen"), profile="figures", appendix=True)
    assert result.rows == 23  # every call but the first, whose caller has another name
    pages = page_texts(path)
    assert "Only calls matching a text search" in pages[0]
    assert re.search(r"Calls counted\s+23\n", pages[0])
    whole = "\n".join(pages)
    assert "Appendix: the calls" not in whole and references[1] not in whole and "Tregarthen" not in whole


def test_pages_render(db: Database, named_calls: tuple[Actor, list[str]], tmp_path: Path) -> None:
    supervisor, _ = named_calls
    path = tmp_path / "render.pdf"
    export_pdf(db, supervisor, path, CallQuery(), profile="full", appendix=True)
    subprocess.run(["pdftoppm", "-r", "30", "-gray", str(path), str(tmp_path / "page")], check=True)
    rendered = sorted(tmp_path.glob("page-*.pgm"))
    assert len(rendered) == page_count(path)
    for image in rendered:
        width, height, pixels = read_pgm(image)
        assert abs(width - 248) <= 1 and abs(height - 351) <= 1  # A4 at 30 dpi
        dark = sum(1 for p in pixels if p < 128)
        assert 0.002 < dark / len(pixels) < 0.5, image.name  # ink on the page, not a black page


def read_pgm(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    match = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
    assert match, data[:20]
    return int(match[1]), int(match[2]), data[match.end() :]


def test_cancel_leaves_no_file(db: Database, named_calls: tuple[Actor, list[str]], tmp_path: Path) -> None:
    supervisor, _ = named_calls
    out = tmp_path / "out"
    out.mkdir()
    path = out / "cancelled.pdf"
    asked: list[int] = []

    def cancel_in_the_appendix() -> bool:
        asked.append(1)
        return len(asked) > 12

    with pytest.raises(ExportCancelled):
        service.export(
            db, supervisor, format="pdf", query=CallQuery(), profile=Profile.FULL, path=path,
            purpose=PURPOSE, options=ExportOptions(appendix=True), cancelled=cancel_in_the_appendix,
        )  # fmt: skip
    assert len(asked) == 13  # cancelled part way through
    assert not path.exists() and list(out.iterdir()) == []
