"""CSV export of calls: streaming, constant memory, atomic, audited.

**Format.** RFC 4180 (``csv.writer``, fields quoted when needed, lines ending ``\\r\\n``), UTF-8,
with a byte-order mark first if asked for (spreadsheet programs then read UTF-8). One header row
(:data:`COLUMNS`, stable: new columns are only ever added at the end), then one row per call,
oldest first (by ``opened_at``, then ``id``).

- Times are ISO 8601 in UTC (``2026-06-14T02:17:31.123456+00:00``); empty when there is none.
- Enumerations are their stored values (``urgent``); booleans ``true``/``false``; a missing
  NRM consent is empty.
- Multi-valued enumerations (exploitation types, indicators, outcomes, chosen routes) are their
  values sorted and joined with ``"; "`` (:data:`MULTI_SEPARATOR`).
- ``persons``, ``routes``, ``referrals`` and ``follow_ups`` are each one JSON array in the shape
  ``call_codec`` writes (``json.dumps`` with sorted keys), so a full-profile row holds everything a
  later import needs to rebuild the call.

**Formula neutralisation.** A spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return as a formula. Every such cell gets an apostrophe (``'``) put in front
(:func:`neutralise`). So that this can be undone without guessing, a cell that already starts
with an apostrophe gets one more too (a spreadsheet shows ``''x`` as ``'x``); nothing else is
changed. A reader gets every value back exactly by removing one leading apostrophe from each
cell that starts with one (:func:`unneutralise`).
Phone numbers are stored as ``+447700900123``, so they always carry the apostrophe (which also
keeps a spreadsheet from turning them into a number).

**Speed.** The rows are made by :func:`supportline.exports.call_cells.iter_cells`, straight from
the database's rows; :func:`row_cells` (from a record, as the XLSX writer uses it) is the
definition they are tested to equal, cell for cell.

**Training.** An export from the training database ends every row (the header too) with one
more column, ``training``, holding "TRAINING – fictitious data, not from the live database": a
spreadsheet shows it on every row, and ``calls import`` into a live database refuses the file.

**Profiles.** ``full`` writes everything. ``pseudonymised`` replaces names (caller, handler,
persons), phone numbers, emails, collar numbers and referral references with pseudonyms — the
HMAC-SHA256 of the value under a random key made for this export only, shown as ``P-3F9A1C2B``:
the same value gives the same pseudonym throughout one export (so calls from one officer can
still be counted together) and different pseudonyms in another export. Free text (summary,
narrative, person notes, referral notes, follow-up notes, route advice summaries and checklist
skip reasons) is removed (left empty).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, Final

from supportline.db.engine import Database
from supportline.exports.common import (
    TRAINING_CELL,
    TRAINING_COLUMN,
    Cancelled,
    ExportCancelled,
    ExportFormat,
    ExportJob,
    ExportOptions,
    ExportResult,
    Profile,
    Progress,
    Pseudonymiser,
    iter_records,
)
from supportline.services import call_codec
from supportline.services.actor import Actor
from supportline.services.call_types import CallQuery, CallRecord

FORMAT: Final = ExportFormat.CSV
MULTI_SEPARATOR: Final = "; "
BOM: Final = "\ufeff"
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISED_STARTS: Final = (*FORMULA_STARTS, "'")

#: The header row, in order.
COLUMNS: Final[tuple[str, ...]] = (
    "id",
    "reference",
    "case_id",
    "case_reference",
    "opened_at",
    "closed_at",
    "status",
    "channel",
    "urgency",
    "consent_level",
    "caller_name",
    "caller_agency_type",
    "caller_rank",
    "caller_organisation",
    "caller_collar_number",
    "caller_phone",
    "caller_email",
    "force_area",
    "where_exploited",
    "county_lines",
    "nrm_consent",
    "suspect_may_be_victim",
    "victim_at_scene",
    "exploitation_types",
    "indicators",
    "outcomes",
    "routes_chosen",
    "summary",
    "narrative",
    "handler",
    "persons",
    "routes",
    "referrals",
    "follow_ups",
    "handler_id",
)

#: The header row of the ``figures`` profile: one row per figure, in long form.
FIGURE_COLUMNS: Final[tuple[str, ...]] = ("table", "row", "column", "value")


def neutralise(cell: str) -> str:
    """``cell`` with an apostrophe in front if a spreadsheet would run it as a formula (or if it
    starts with an apostrophe already, so that :func:`unneutralise` is exact)."""
    return "'" + cell if cell.startswith(NEUTRALISED_STARTS) else cell


def number_cell(value: int | float) -> str:
    """A number as a CSV cell: bare (``-7.7``, ``1200``), never neutralised as text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"not a number: {type(value).__name__}")
    return str(value)


def unneutralise(cell: str) -> str:
    """The value :func:`neutralise` was given."""
    return cell[1:] if cell.startswith("'") else cell


# --- rows -------------------------------------------------------------------------------------


def _time(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).isoformat()


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _joined(values: Iterable[StrEnum | str]) -> str:
    return MULTI_SEPARATOR.join(sorted(str(v) for v in values))


_ENCODE: Final = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode  # one encoder, not one a cell


def _json(value: Any) -> str:
    return _ENCODE(value) if value else "[]"


def row_cells(record: CallRecord) -> list[str]:
    """One call's cells in :data:`COLUMNS` order, before formula neutralisation."""
    data = record.data
    caller = data.caller
    encoded = call_codec.children_jsonable(data)
    cells = {
        "id": str(data.id),
        "reference": record.reference,
        "case_id": "" if data.case_id is None else str(data.case_id),
        "case_reference": record.case_reference,
        "opened_at": _time(data.opened_at),
        "closed_at": _time(data.closed_at),
        "status": str(data.status),
        "channel": str(data.channel),
        "urgency": str(data.urgency),
        "consent_level": str(data.consent_level),
        "caller_name": caller.name,
        "caller_agency_type": str(caller.agency_type),
        "caller_rank": caller.rank,
        "caller_organisation": caller.organisation,
        "caller_collar_number": caller.collar_number,
        "caller_phone": caller.phone,
        "caller_email": caller.email,
        "force_area": data.force_area,
        "where_exploited": str(data.where_exploited),
        "county_lines": _flag(data.county_lines),
        "nrm_consent": "" if data.nrm_consent is None else str(data.nrm_consent),
        "suspect_may_be_victim": _flag(data.suspect_may_be_victim),
        "victim_at_scene": _flag(data.victim_at_scene),
        "exploitation_types": _joined(data.exploitation_types),
        "indicators": _joined(data.indicators),
        "outcomes": _joined(data.outcomes),
        "routes_chosen": _joined(r.route for r in data.routes if r.chosen),
        "summary": data.summary,
        "narrative": data.narrative,
        "handler": record.handler_name,
        "persons": _json(encoded["persons"]),
        "routes": _json(encoded["routes"]),
        "referrals": _json(encoded["referrals"]),
        "follow_ups": _json(encoded["follow_ups"]),
        "handler_id": str(record.handler_id),
    }
    return [cells[c] for c in COLUMNS]


# --- the file ---------------------------------------------------------------------------------


def write(out: IO[bytes], job: ExportJob) -> None:
    """The CSV writer of :func:`supportline.exports.service.export`."""
    # Buffered text over the binary file; detached at the end so that closing stays atomic_write's.
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        _write_rows(text, job)
        text.flush()
    finally:
        text.detach()


def _write_rows(text: IO[str], job: ExportJob) -> None:
    if job.options.bom:
        text.write(BOM)
    writer = csv.writer(text, lineterminator="\r\n")
    if job.profile is Profile.FIGURES:
        from supportline.exports import figures

        training = [TRAINING_CELL] if job.training else []
        writer.writerow([*FIGURE_COLUMNS, *([TRAINING_COLUMN] if job.training else [])])
        for *labels, value in figures.long_rows(figures.compute(job.db, job.query)):
            job.check_cancelled()
            # Labels are text (a force area may start with "-"): neutralised. The value is a
            # number, written bare: "-7.7" is a number to a spreadsheet, never a formula.
            writer.writerow([*(neutralise(str(cell)) for cell in labels), number_cell(value), *training])
        return
    if job.training:
        _write_training_rows(writer, job)
        return
    writer.writerow(COLUMNS)
    from supportline.exports import call_cells

    # The cells of row_cells(record), made straight from the database's rows (call_cells): the
    # same cells, in a fraction of the time. neutralise() is inlined: 35 calls a row add up.
    starts = NEUTRALISED_STARTS
    for cells in call_cells.iter_cells(job.db, job.query, job.pseudonym):
        job.tick()
        writer.writerow([("'" + cell) if cell.startswith(starts) else cell for cell in cells])


def _write_training_rows(writer: Any, job: ExportJob) -> None:
    """The calls of a training export: the same rows, each ending in the training column."""
    from supportline.exports import call_cells

    writer.writerow([*COLUMNS, TRAINING_COLUMN])
    starts = NEUTRALISED_STARTS
    for cells in call_cells.iter_cells(job.db, job.query, job.pseudonym):
        job.tick()
        row = [("'" + cell) if cell.startswith(starts) else cell for cell in cells]
        writer.writerow([*row, TRAINING_CELL])


def export_calls(
    db: Database,
    actor: Actor,
    *,
    query: CallQuery,
    profile: Profile | str,
    path: Path,
    purpose: str,
    bom: bool = False,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> ExportResult:
    """:func:`supportline.exports.service.export` as CSV."""
    from supportline.exports import service

    return service.export(
        db, actor, format=FORMAT, query=query, profile=profile, path=path, purpose=purpose,
        options=ExportOptions(bom=bom), progress=progress, cancelled=cancelled,
    )  # fmt: skip


__all__ = [
    "COLUMNS",
    "FIGURE_COLUMNS",
    "ExportCancelled",
    "ExportResult",
    "Profile",
    "Pseudonymiser",
    "export_calls",
    "iter_records",
    "neutralise",
    "number_cell",
    "row_cells",
    "unneutralise",
    "write",
]
