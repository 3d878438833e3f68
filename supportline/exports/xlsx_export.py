"""XLSX export of calls: an Excel workbook written in constant memory.

**Sheets.** ``Calls`` (not with the ``figures`` profile): one header row (:data:`COLUMNS`, the
same columns as the CSV export) and one row per call, oldest first; the header is frozen, has
an auto-filter and each column a width that suits what it holds. A sheet holds at most
1,048,575 calls (Excel's limit): more go on to ``Calls 2``, ``Calls 3`` and so on.
``Figures``: every table of :func:`supportline.exports.figures.compute` for the same filters,
each under a bold title, with a note on how it is counted and bold column headings; numbers
are numbers. ``About``: the
protective marking, profile, period, filters, the line's time zone, who exported it and when.
The protective marking is also printed in the header and footer of every sheet's pages.

**Cells are typed.** Times (``opened_at``, ``closed_at``) are real Excel date-times in the
line's local time (Excel has no time zones; the About sheet names the zone) shown as
``yyyy-mm-dd hh:mm:ss``; Excel keeps milliseconds. (In the hour the clocks go back, two
different instants show the same local time; the CSV and JSON Lines exports keep UTC.) Booleans
are booleans; an empty value is an empty cell. Every text is a text cell, never a formula or an
error value, whatever it starts with (``=1+1``, ``@SUM(A1)``, ``#N/A`` stay exactly that text;
no apostrophe is added as in the CSV export); a text that a spreadsheet would run as a formula
also gets Excel's "quote prefix" so that editing the cell keeps it text. Characters XML cannot
carry (control characters other than tab, line feed and carriage return) become U+FFFD; a text
longer than Excel's limit of 32,767 characters is cut and ends in :data:`CUT_MARK` (the CSV and
JSON Lines exports keep it whole). The multi-valued and JSON columns hold the same text as in
the CSV export.

**Constant memory.** openpyxl's write-only mode streams each sheet's rows to a temporary file
as they come, and calls are read a page at a time (:meth:`ExportJob.records`), so memory does
not grow with the number of calls. On a cancel or an error the temporary files are removed.
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import IO, TYPE_CHECKING, Any, Final
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from supportline import __version__
from supportline.exports.common import TRAINING_CELL, TRAINING_COLUMN, ExportJob, Profile, job_filter_words
from supportline.exports.csv_export import COLUMNS, FORMULA_STARTS, row_cells
from supportline.services.call_types import CallQuery, CallRecord

if TYPE_CHECKING:
    from supportline.exports.figures import Figures

CALLS_SHEET: Final = "Calls"
FIGURES_SHEET: Final = "Figures"
ABOUT_SHEET: Final = "About"
DATETIME_FORMAT: Final = "yyyy-mm-dd hh:mm:ss"
#: Calls on one sheet: Excel's limit of 1,048,576 rows, less the header.
SHEET_ROWS = 1_048_575
#: Excel's limit on the characters in one cell.
CELL_MAX: Final = 32_767
CUT_MARK: Final = " … [cut: Excel holds at most 32,767 characters in a cell]"
#: What a cell may not hold in XML 1.0 (openpyxl refuses them); replaced by U+FFFD.
_NOT_XML: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_REPLACEMENT: Final = "\ufffd"

TIME_COLUMNS: Final = frozenset({"opened_at", "closed_at"})
FLAG_COLUMNS: Final = frozenset({"county_lines", "suspect_may_be_victim", "victim_at_scene"})

#: Column widths on the Calls sheet, in characters (a heading is never cut: see :func:`_width`).
WIDTHS: Final[dict[str, float]] = {
    "id": 38,
    "reference": 16,
    "case_id": 38,
    "case_reference": 17,
    "opened_at": 20,
    "closed_at": 20,
    "status": 9,
    "channel": 14,
    "urgency": 12,
    "consent_level": 14,
    "caller_name": 28,
    "caller_agency_type": 18,
    "caller_rank": 22,
    "caller_organisation": 32,
    "caller_collar_number": 14,
    "caller_phone": 17,
    "caller_email": 32,
    "force_area": 28,
    "where_exploited": 12,
    "county_lines": 8,
    "nrm_consent": 14,
    "suspect_may_be_victim": 8,
    "victim_at_scene": 8,
    "exploitation_types": 30,
    "indicators": 40,
    "outcomes": 40,
    "routes_chosen": 20,
    "summary": 50,
    "narrative": 60,
    "handler": 24,
    "persons": 40,
    "routes": 40,
    "referrals": 40,
    "follow_ups": 40,
    "handler_id": 38,
}
#: Room for the auto-filter's drop-down button beside a heading.
_FILTER_BUTTON = 3

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_TABLE_TITLE = Font(bold=True, size=12)
_NOTE = Font(italic=True, color="595959")
_HEADING_FILL = PatternFill("solid", fgColor="D9E1F2")
_HEADING_BORDER = Border(bottom=Side(style="thin"))

_PROFILE_WORDS: Final = {
    Profile.FULL: "Full: every field of every call",
    Profile.PSEUDONYMISED: (
        "Pseudonymised: names, phone numbers, emails, collar numbers and referral references are "
        "replaced by pseudonyms (P-…, the same value gives the same pseudonym within this file only); "
        "free text is removed"
    ),
    Profile.FIGURES: "Figures: aggregate counts only, no row per call",
}


def write(out: IO[bytes], job: ExportJob) -> None:
    """The XLSX writer of :func:`supportline.exports.service.export`."""
    workbook = Workbook(write_only=True)
    workbook.properties.creator = f"Supportline {__version__}"
    workbook.properties.title = "Supportline export"
    try:
        if job.profile is not Profile.FIGURES:
            _write_calls(workbook, job)
        from supportline.exports import figures

        computed = figures.compute(job.db, job.query, cancelled=job.cancelled)
        job.check_cancelled()
        _write_figures(_new_sheet(workbook, FIGURES_SHEET, job), computed, job)
        _write_about(_new_sheet(workbook, ABOUT_SHEET, job), job)
        job.check_cancelled()
        _save(workbook, out)
    except BaseException:
        _discard(workbook)
        raise


def _save(workbook: Any, out: IO[bytes]) -> None:
    """``workbook.save(out)``, but a failure (a full disk) closes the zip archive at once instead
    of leaving it to the garbage collector, which would write to a file that is gone by then."""
    archive = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    try:
        ExcelWriter(workbook, archive).save()  # closes the archive when done
    except BaseException:
        with contextlib.suppress(Exception):  # the half-written file is discarded by the caller
            archive.close()
        raise


def _new_sheet(workbook: Any, title: str, job: ExportJob) -> Any:
    sheet = workbook.create_sheet(title)
    _mark_pages(sheet, job.page_marking)
    return sheet


# --- the Calls sheet --------------------------------------------------------------------------


def _write_calls(workbook: Any, job: ExportJob) -> None:
    """The Calls sheet; past :data:`SHEET_ROWS` calls (Excel's limit), "Calls 2", "Calls 3"…"""
    zone = job.db.zone
    sheet, rows, sheets = None, 0, 0
    training = [TRAINING_CELL] if job.training else []
    for record in job.records():
        job.tick()
        if sheet is None or rows == SHEET_ROWS:
            if sheet is not None:
                _end_calls_sheet(sheet, rows, job)
            sheets += 1
            sheet = _calls_sheet(workbook, CALLS_SHEET if sheets == 1 else f"{CALLS_SHEET} {sheets}", job)
            rows = 0
        sheet.append(call_row(sheet, record, zone) + training)
        rows += 1
    if sheet is None:  # no call: the header alone
        sheet = _calls_sheet(workbook, CALLS_SHEET, job)
    _end_calls_sheet(sheet, rows, job)


def _calls_sheet(workbook: Any, title: str, job: ExportJob) -> Any:
    sheet = _new_sheet(workbook, title, job)
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"  # the header on every printed page
    columns = _calls_columns(job)
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = _width(column)
    sheet.append([_heading(sheet, column) for column in columns])
    return sheet


def _calls_columns(job: ExportJob) -> tuple[str, ...]:
    """The Calls sheet's headings: the CSV columns, and the training column in a training export."""
    return (*COLUMNS, TRAINING_COLUMN) if job.training else COLUMNS


def _end_calls_sheet(sheet: Any, rows: int, job: ExportJob) -> None:
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(_calls_columns(job)))}{rows + 1}"


def _width(column: str) -> float:
    return max(WIDTHS.get(column, 20), len(column) + _FILTER_BUTTON)


def call_row(sheet: Any, record: CallRecord, zone: ZoneInfo) -> list[Any]:
    """One call's cells in :data:`COLUMNS` order, typed (see the module's documentation)."""
    data = record.data
    typed: dict[str, Any] = {
        "opened_at": _datetime(sheet, data.opened_at, zone),
        "closed_at": _datetime(sheet, data.closed_at, zone),
        "county_lines": data.county_lines,
        "suspect_may_be_victim": data.suspect_may_be_victim,
        "victim_at_scene": data.victim_at_scene,
    }
    return [
        typed[column] if column in typed else text_cell(sheet, cell)
        for column, cell in zip(COLUMNS, row_cells(record), strict=True)
    ]


def local_naive(value: datetime, zone: ZoneInfo) -> datetime:
    """``value`` as the wall-clock time in ``zone``, without a time zone (as Excel wants it)."""
    return value.astimezone(zone).replace(tzinfo=None)


def _datetime(sheet: Any, value: datetime | None, zone: ZoneInfo) -> Any:
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, local_naive(value, zone))
    cell.number_format = DATETIME_FORMAT
    return cell


def cell_text(value: str) -> str:
    """``value`` as a cell can hold it: characters XML cannot carry replaced, cut to Excel's limit."""
    value = _NOT_XML.sub(_REPLACEMENT, value)
    if len(value) > CELL_MAX:
        value = value[: CELL_MAX - len(CUT_MARK)] + CUT_MARK
    return value


def text_cell(sheet: Any, value: str, font: Font | None = None) -> Any:
    """What to append for ``value`` so that it is text, never a formula or an error value: the
    value itself when openpyxl would keep it text anyway, else a cell forced to text; None (an
    empty cell) when it is empty."""
    if not value:
        return None
    value = cell_text(value)
    if font is None and not value.startswith(FORMULA_STARTS) and value not in ERROR_CODES:
        return value  # openpyxl makes any other text a text cell (and reuses one cell object)
    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"  # openpyxl would make "=…" a formula and "#N/A" an error
    if value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True  # editing the cell in Excel keeps it text
    if font is not None:
        cell.font = font
    return cell


def _heading(sheet: Any, value: str) -> Any:
    cell = text_cell(sheet, value, _BOLD)
    cell.fill = _HEADING_FILL
    cell.border = _HEADING_BORDER
    return cell


def _mark_pages(sheet: Any, marking: str) -> None:
    """The protective marking at the top and bottom of every printed page, with page numbers."""
    escaped = marking.replace("&", "&&")
    sheet.oddHeader.center.text = escaped
    sheet.oddHeader.center.font = "-,Bold"
    sheet.oddFooter.center.text = escaped
    sheet.oddFooter.center.font = "-,Bold"
    sheet.oddFooter.right.text = "Page &P of &N"


# --- the Figures sheet ------------------------------------------------------------------------


def _write_figures(sheet: Any, figures: Figures, job: ExportJob) -> None:
    sheet.column_dimensions["A"].width = 42
    for letter in "BCDEFGH":
        sheet.column_dimensions[letter].width = 16
    sheet.append([text_cell(sheet, "Supportline figures" + (" — TRAINING" if job.training else ""), _TITLE)])
    if job.training:
        sheet.append([text_cell(sheet, TRAINING_CELL, _BOLD)])
    sheet.append([text_cell(sheet, period_words(job.query, job.db.zone))])
    sheet.append([text_cell(sheet, "Filters: " + filters_words(job))])
    sheet.append([])
    for table in figures.tables():
        job.check_cancelled()
        sheet.append([text_cell(sheet, table.title, _TABLE_TITLE)])
        if table.note:
            sheet.append([text_cell(sheet, table.note, _NOTE)])
        sheet.append([_heading(sheet, heading) for heading in table.columns])
        for row in table.rows:
            sheet.append(_figure_row(sheet, row))
        sheet.append([])


def _figure_row(sheet: Any, row: Sequence[str | int | float]) -> list[Any]:
    cells: list[Any] = []
    for value in row:
        if isinstance(value, str):
            cells.append(text_cell(sheet, value))
        elif isinstance(value, float):
            cell = WriteOnlyCell(sheet, value)
            cell.number_format = "0.0"
            cells.append(cell)
        else:
            cells.append(value)
    return cells


# --- the About sheet --------------------------------------------------------------------------


def _write_about(sheet: Any, job: ExportJob) -> None:
    zone = job.db.zone
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 90
    exported_at = job.started_at or datetime.now(UTC)
    at = WriteOnlyCell(sheet, local_naive(exported_at, zone))
    at.number_format = DATETIME_FORMAT
    at.alignment = Alignment(horizontal="left")
    rows: list[tuple[str, Any]] = [
        ("Protective marking", text_cell(sheet, job.options.marking, _BOLD)),
        ("Profile", text_cell(sheet, _PROFILE_WORDS[job.profile])),
        ("Period", text_cell(sheet, period_words(job.query, zone))),
        ("Filters", text_cell(sheet, filters_words(job))),
        ("Time zone", text_cell(sheet, f"{zone.key}: every time in this workbook is local time there")),
        (
            "Calls counted" if job.profile is Profile.FIGURES else "Calls written",
            job.total if job.profile is Profile.FIGURES else job.rows,
        ),
        ("Exported by", text_cell(sheet, job.options.exported_by)),
        ("Exported at", at),
        ("Sheets", text_cell(sheet, _sheets_line(job.profile))),
        ("Made by", text_cell(sheet, f"Supportline {__version__}")),
    ]
    if job.training:
        rows.insert(0, ("Training", text_cell(sheet, TRAINING_CELL, _BOLD)))
    sheet.append([text_cell(sheet, "Supportline export" + (" — TRAINING" if job.training else ""), _TITLE)])
    sheet.append([])
    for label, value in rows:
        sheet.append([text_cell(sheet, label, _BOLD), value])
    if job.profile is not Profile.FIGURES:
        sheet.append([])
        notes = (
            "Times on the Calls sheet are Excel date-times in the time zone above.",
            "Empty cells have no value. Texts are never formulas.",
            f"A text longer than {CELL_MAX:,} characters (Excel's limit) is cut and ends in "
            f"“{CUT_MARK.strip()}”; the CSV and JSON Lines exports keep it whole.",
        )
        for note in notes:
            sheet.append([None, text_cell(sheet, note, _NOTE)])


def _sheets_line(profile: Profile) -> str:
    if profile is Profile.FIGURES:
        return f"{FIGURES_SHEET}, {ABOUT_SHEET}"
    return (
        f"{CALLS_SHEET} (one row per call; past {SHEET_ROWS:,} calls, {CALLS_SHEET} 2 and so on), "
        f"{FIGURES_SHEET}, {ABOUT_SHEET}"
    )


def _long_date(day: datetime) -> str:
    return f"{day.day} {day:%B %Y}"


def _local_words(value: datetime, zone: ZoneInfo, *, end: bool) -> str:
    local = value.astimezone(zone)
    if local.time() == time(0):
        return _long_date(local - timedelta(days=1) if end else local)
    return f"{local:%Y-%m-%d %H:%M:%S}" + (" (not included)" if end else "")


def period_words(query: CallQuery, zone: ZoneInfo) -> str:
    """The query's period in words, in local dates when its ends are local midnights:
    "Calls opened from 1 June 2026 to 30 June 2026" (both days included)."""
    start = (
        "the first call" if query.opened_from is None else _local_words(query.opened_from, zone, end=False)
    )
    finish = "the latest call" if query.opened_to is None else _local_words(query.opened_to, zone, end=True)
    return f"Calls opened from {start} to {finish}"


def filters_words(job: ExportJob) -> str:
    """The job's filters other than the period, in words, as the PDF's title page gives them
    (``Urgency: Urgent; Caller agency: Police``); the search text is never shown."""
    return "; ".join(job_filter_words(job))


# --- a cancel or an error ---------------------------------------------------------------------


def _discard(workbook: Any) -> None:
    """Close and remove the temporary files openpyxl's write-only sheets stream to."""
    for sheet in workbook.worksheets:
        writer = getattr(sheet, "_writer", None)
        if writer is None:
            continue
        with contextlib.suppress(Exception):  # a half-written stream: its file goes next anyway
            rows = getattr(sheet, "_rows", None)
            if rows is not None:
                rows.close()  # ends the sheet's row stream
            writer.close()  # and the file it writes to
        with contextlib.suppress(OSError, ValueError):
            writer.cleanup()  # removes the temporary file


__all__ = [
    "ABOUT_SHEET",
    "CALLS_SHEET",
    "CELL_MAX",
    "CUT_MARK",
    "DATETIME_FORMAT",
    "FIGURES_SHEET",
    "call_row",
    "cell_text",
    "filters_words",
    "local_naive",
    "period_words",
    "text_cell",
    "write",
]
