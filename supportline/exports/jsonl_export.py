"""JSON Lines export of calls: one JSON object per line, for other systems and for re-import.

**Format.** UTF-8, no byte-order mark, one JSON object per line, lines ending ``\\n``; calls oldest
first (by ``opened_at``, then ``id``), as in the CSV export. Each object has exactly the keys of
:data:`supportline.exports.csv_export.COLUMNS`, in that order, with natural JSON values:

- times are ISO 8601 text in UTC (``2026-06-14T02:17:31.123456+00:00``), or ``null``;
- enumerations are their stored values; a missing NRM consent or case is ``null``;
- ``county_lines``, ``suspect_may_be_victim`` and ``victim_at_scene`` are ``true``/``false``;
- multi-valued enumerations (``exploitation_types``, ``indicators``, ``outcomes``,
  ``routes_chosen``) are arrays of values, sorted;
- ``persons``, ``routes``, ``referrals`` and ``follow_ups`` are arrays of objects in the shape
  :mod:`supportline.services.call_codec` writes.

Text is written as it is (not ``\\u``-escaped), except the characters that some readers take
for a line break inside a line (U+0085, U+2028, U+2029), which are escaped so that every call is
exactly one line however the file is split. No value is ever neutralised: JSON is not run by a
spreadsheet. ``supportline calls import --format jsonl`` reads these files back.

**Training.** An export from the training database gives every object one more key, last:
``"training": "TRAINING – fictitious data, not from the live database"``; an import into a live
database refuses such a file.

**Figures profile.** One object per figures table (:meth:`figures.Figures.tables`): ``table``,
``title``, ``columns``, ``rows``, ``keys`` and ``note``; no data about any single call.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import IO, Any, Final

from supportline.exports.common import TRAINING_CELL, TRAINING_COLUMN, ExportFormat, ExportJob, Profile
from supportline.exports.csv_export import COLUMNS
from supportline.services import call_codec
from supportline.services.call_types import CallRecord

FORMAT: Final = ExportFormat.JSONL

#: Characters JSON allows unescaped in a string that ``str.splitlines`` and some editors treat as
#: line breaks; they are written as ``\\u`` escapes so that one call stays one line.
_LINE_BREAKS: Final = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def row_object(record: CallRecord) -> dict[str, Any]:
    """One call as the JSON object of one line (keys in :data:`COLUMNS` order)."""
    data = record.data
    caller = data.caller
    children = call_codec.children_jsonable(data)
    values: dict[str, Any] = {
        "id": str(data.id),
        "reference": record.reference,
        "case_id": None if data.case_id is None else str(data.case_id),
        "case_reference": record.case_reference,
        "opened_at": _time(data.opened_at),
        "closed_at": _time(data.closed_at),
        "status": data.status.value,
        "channel": data.channel.value,
        "urgency": data.urgency.value,
        "consent_level": data.consent_level.value,
        "caller_name": caller.name,
        "caller_agency_type": caller.agency_type.value,
        "caller_rank": caller.rank,
        "caller_organisation": caller.organisation,
        "caller_collar_number": caller.collar_number,
        "caller_phone": caller.phone,
        "caller_email": caller.email,
        "force_area": data.force_area,
        "where_exploited": data.where_exploited.value,
        "county_lines": data.county_lines,
        "nrm_consent": None if data.nrm_consent is None else data.nrm_consent.value,
        "suspect_may_be_victim": data.suspect_may_be_victim,
        "victim_at_scene": data.victim_at_scene,
        "exploitation_types": sorted(x.value for x in data.exploitation_types),
        "indicators": sorted(x.value for x in data.indicators),
        "outcomes": sorted(x.value for x in data.outcomes),
        "routes_chosen": sorted(r.route.value for r in data.routes if r.chosen),
        "summary": data.summary,
        "narrative": data.narrative,
        "handler": record.handler_name,
        **children,
        "handler_id": str(record.handler_id),
    }
    return {key: values[key] for key in COLUMNS}


def dumps_line(value: Any) -> bytes:
    """``value`` as one line of JSON Lines (UTF-8, ending ``\\n``)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in _LINE_BREAKS.items():
        if char in text:
            text = text.replace(char, escape)
    return text.encode("utf-8") + b"\n"


def write(out: IO[bytes], job: ExportJob) -> None:
    """The JSON Lines writer of :func:`supportline.exports.service.export`."""
    training = {TRAINING_COLUMN: TRAINING_CELL} if job.training else {}
    if job.profile is Profile.FIGURES:
        from supportline.exports import figures

        for table in figures.compute(job.db, job.query).tables():
            job.check_cancelled()
            out.write(
                dumps_line(
                    {
                        "table": table.key,
                        "title": table.title,
                        "columns": list(table.columns),
                        "rows": [list(row) for row in table.rows],
                        "keys": list(table.keys),
                        "note": table.note,
                        **training,
                    }
                )
            )
        return
    for record in job.records():
        job.tick()
        out.write(dumps_line({**row_object(record), **training}))


__all__ = ["FORMAT", "dumps_line", "row_object", "write"]
