"""Exports from the training database say TRAINING on every page and every row (issue 16, item 3),
and a training export is never imported into the live database."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from supportline.bootstrap import load_environment
from supportline.db import Database
from supportline.exports import service
from supportline.exports.common import TRAINING_CELL, TRAINING_COLUMN, TRAINING_MARK, ExportOptions, Profile
from supportline.exports.csv_export import COLUMNS, FIGURE_COLUMNS
from supportline.services import accounts
from supportline.services.actor import Actor
from supportline.services.call_import import ImportRefusedError, import_calls
from supportline.services.call_types import CallQuery
from supportline.training import TRAINING_PASSWORD, create_training_database, open_training_database
from tests.conftest import IN_CI
from tests.factories import make_admin

PURPOSE = "Practising an export in training"


@pytest.fixture
def trained() -> Iterator[tuple[Database, Actor]]:
    env = load_environment()
    create_training_database(env, calls=12)
    db = open_training_database(env)
    yield db, accounts.authenticate(db, "demo-admin", TRAINING_PASSWORD)
    db.dispose()


def _export(db: Database, actor: Actor, path: Path, fmt: str, profile: Profile = Profile.FULL) -> Path:
    service.export(
        db, actor, format=fmt, query=CallQuery(), profile=profile, path=path, purpose=PURPOSE,
        options=ExportOptions(appendix=fmt == "pdf"),
    )  # fmt: skip
    return path


def test_csv_has_a_training_column_on_every_row_and_a_live_database_refuses_it(
    trained: tuple[Database, Actor], sqlite_db: Database, tmp_path: Path
) -> None:
    db, actor = trained
    path = _export(db, actor, tmp_path / "calls.csv", "csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [*COLUMNS, TRAINING_COLUMN]
    assert len(rows) == 13 and all(row[-1] == TRAINING_CELL for row in rows[1:])
    live_admin = make_admin(sqlite_db)
    with pytest.raises(ImportRefusedError) as refused:
        import_calls(sqlite_db, live_admin, path, dry_run=True)
    [problem] = refused.value.problems
    assert (problem.line, problem.column) == (1, TRAINING_COLUMN)
    assert "TRAINING export" in problem.message and "never imported into the live database" in problem.message
    back = import_calls(db, actor, path, dry_run=True)  # the training database takes it back
    assert back.rows == 12 and back.skipped == 12


def test_jsonl_has_a_training_key_on_every_line_and_a_live_database_refuses_it_once(
    trained: tuple[Database, Actor], sqlite_db: Database, tmp_path: Path
) -> None:
    db, actor = trained
    path = _export(db, actor, tmp_path / "calls.jsonl", "jsonl")
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 12 and all(list(obj)[-1] == TRAINING_COLUMN for obj in lines)
    assert {obj[TRAINING_COLUMN] for obj in lines} == {TRAINING_CELL}
    with pytest.raises(ImportRefusedError) as refused:
        import_calls(sqlite_db, make_admin(sqlite_db), path, dry_run=True)
    assert [(p.line, p.column) for p in refused.value.problems] == [(1, TRAINING_COLUMN)]
    assert import_calls(db, actor, path, dry_run=True).skipped == 12


def test_figures_exports_are_marked_too(trained: tuple[Database, Actor], tmp_path: Path) -> None:
    db, actor = trained
    path = _export(db, actor, tmp_path / "figures.csv", "csv", Profile.FIGURES)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [*FIGURE_COLUMNS, TRAINING_COLUMN] and all(r[-1] == TRAINING_CELL for r in rows[1:])
    path = _export(db, actor, tmp_path / "figures.jsonl", "jsonl", Profile.FIGURES)
    tables = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert tables and all(t[TRAINING_COLUMN] == TRAINING_CELL for t in tables)


def test_xlsx_says_so_on_the_about_sheet_every_page_and_every_call(
    trained: tuple[Database, Actor], tmp_path: Path
) -> None:
    db, actor = trained
    book = load_workbook(_export(db, actor, tmp_path / "calls.xlsx", "xlsx"))
    about = book["About"]
    assert about["A1"].value == "Supportline export — TRAINING"
    assert (about["A3"].value, about["B3"].value) == ("Training", TRAINING_CELL)
    for sheet in book.worksheets:
        for part in (sheet.oddHeader.center, sheet.oddFooter.center):
            assert part.text.startswith(TRAINING_MARK), sheet.title
    calls = book["Calls"]
    header = [cell.value for cell in calls[1]]
    assert header[-1] == TRAINING_COLUMN
    assert [row[-1].value for row in calls.iter_rows(min_row=2)] == [TRAINING_CELL] * 12
    assert str(book["Figures"]["A1"].value).endswith("— TRAINING")


def test_every_pdf_page_carries_the_training_mark(trained: tuple[Database, Actor], tmp_path: Path) -> None:
    if shutil.which("pdftotext") is None:
        if IN_CI:
            pytest.fail("poppler-utils missing: apt-get install poppler-utils", pytrace=False)
        pytest.skip("poppler-utils missing")
    db, actor = trained
    path = _export(db, actor, tmp_path / "report.pdf", "pdf")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True)
    pages = [p for p in text.stdout.decode("utf-8").split("\f") if p.strip()]
    assert len(pages) > 3  # title, summary, tables, the appendix's calls
    for number, page in enumerate(pages, 1):
        assert f"{TRAINING_MARK} · OFFICIAL-SENSITIVE" in page, f"page {number}"
    assert TRAINING_CELL in pages[0]
    # "TRAINING" across each page, in a pale rose no live report uses (pdftotext skips rotated text).
    assert all(_rose_pixels(path, page) > 500 for page in range(1, len(pages) + 1))
    live_db, live = trained  # the same calls, as if the report came from a live database
    live_db.training = False
    try:
        plain = _export(live_db, live, tmp_path / "live.pdf", "pdf")
    finally:
        live_db.training = True
    assert _rose_pixels(plain, 2) == 0


def test_a_handover_printed_from_training_is_marked_on_every_page(
    trained: tuple[Database, Actor], tmp_path: Path
) -> None:
    """The shift handover's PDF (issue 14) shares the report's page template: from the training
    database it says TRAINING in every header and footer and across every page too."""
    if shutil.which("pdftotext") is None:
        if IN_CI:
            pytest.fail("poppler-utils missing: apt-get install poppler-utils", pytrace=False)
        pytest.skip("poppler-utils missing")
    from supportline.services import handover

    db, _admin = trained
    supervisor = accounts.authenticate(db, "demo-supervisor", TRAINING_PASSWORD)
    start = datetime(2026, 6, 10, 14, 0, tzinfo=UTC)
    h = handover.start_handover(db, supervisor, start, start + timedelta(hours=8), now=start)
    path = tmp_path / "handover.pdf"
    handover.print_handover(db, supervisor, h.id, path, marking="OFFICIAL-SENSITIVE", now=start)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True)
    pages = [p for p in text.stdout.decode("utf-8").split("\f") if p.strip()]
    assert pages
    for number, page in enumerate(pages, 1):
        lines = [line for line in page.splitlines() if line.strip()]
        assert f"{TRAINING_MARK} · OFFICIAL-SENSITIVE" in lines[0], f"page {number}"
        assert f"{TRAINING_MARK} · OFFICIAL-SENSITIVE" in " ".join(lines[-2:]), f"page {number}"
    assert all(_rose_pixels(path, page) > 500 for page in range(1, len(pages) + 1))
    db.training = False  # the same handover, as if printed from a live database
    try:
        handover.print_handover(db, supervisor, h.id, tmp_path / "live.pdf", marking="OFFICIAL-SENSITIVE")
    finally:
        db.training = True
    live = subprocess.run(["pdftotext", str(tmp_path / "live.pdf"), "-"], check=True, capture_output=True)
    assert TRAINING_MARK not in live.stdout.decode("utf-8")
    assert _rose_pixels(tmp_path / "live.pdf", 1) == 0


def _rose_pixels(path: Path, page: int) -> int:
    """Pixels of ``page`` (rendered small) that are pink: red well above green and blue."""
    ppm = subprocess.run(
        ["pdftoppm", "-f", str(page), "-l", str(page), "-r", "30", str(path)],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    header, _, rest = ppm.partition(b"\n255\n")
    width, height = (int(v) for v in header.split()[1:3])
    pixels = rest[: width * height * 3]
    return sum(
        1
        for i in range(0, len(pixels), 3)
        if pixels[i] - pixels[i + 1] > 15 and pixels[i] - pixels[i + 2] > 8 and pixels[i] > 200
    )


def test_a_live_export_has_no_training_mark(sqlite_db: Database, tmp_path: Path) -> None:
    admin = make_admin(sqlite_db)
    path = _export(sqlite_db, admin, tmp_path / "live.csv", "csv")
    with path.open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == list(COLUMNS)
