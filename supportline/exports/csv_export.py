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
import dataclasses
import hashlib
import hmac
import json
import os
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, Final

from sqlalchemy import and_, or_, select

from supportline.db.engine import Database
from supportline.db.models import Call
from supportline.enums import AuditCategory
from supportline.exports.atomic import atomic_write
from supportline.services import audit, call_codec, call_search
from supportline.services.actor import Actor, Permission, require
from supportline.services.call_types import CallQuery, CallRecord
from supportline.services.calls import load_records
from supportline.services.errors import FieldError, ServiceError, ValidationError

FORMAT: Final = "csv"
#: Calls read from the database at a time: memory stays the same whatever the number of calls.
PAGE_SIZE = 500
MULTI_SEPARATOR: Final = "; "
BOM: Final = "\ufeff"
FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISED_STARTS: Final = (*FORMULA_STARTS, "'")
PURPOSE_MAX = 1000


class Profile(StrEnum):
    FULL = "full"
    PSEUDONYMISED = "pseudonymised"


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
)


class ExportCancelled(ServiceError):  # the name says what happened, not that it failed
    """The person cancelled the export; no file was written and an existing one is untouched."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    sha256: str
    profile: Profile


Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


def neutralise(cell: str) -> str:
    """``cell`` with an apostrophe in front if a spreadsheet would run it as a formula (or if it
    starts with an apostrophe already, so that :func:`unneutralise` is exact)."""
    return "'" + cell if cell.startswith(NEUTRALISED_STARTS) else cell


def unneutralise(cell: str) -> str:
    """The value :func:`neutralise` was given."""
    return cell[1:] if cell.startswith("'") else cell


class Pseudonymiser:
    """Stable pseudonyms for one export: ``P-`` and the first 8 hex digits of HMAC-SHA256."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)

    def __call__(self, value: str) -> str:
        if not value:
            return ""
        digest = hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()
        return "P-" + digest[:8].upper()


# --- rows -------------------------------------------------------------------------------------


def _time(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).isoformat()


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _joined(values: Iterable[StrEnum | str]) -> str:
    return MULTI_SEPARATOR.join(sorted(str(v) for v in values))


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _pseudonymise(record: CallRecord, pseudonym: Pseudonymiser) -> CallRecord:
    data = record.data
    caller = dataclasses.replace(
        data.caller,
        name=pseudonym(data.caller.name),
        collar_number=pseudonym(data.caller.collar_number),
        phone=pseudonym(data.caller.phone),
        email=pseudonym(data.caller.email),
    )
    data = dataclasses.replace(
        data,
        caller=caller,
        summary="",
        narrative="",
        persons=tuple(dataclasses.replace(p, name=pseudonym(p.name), notes="") for p in data.persons),
        referrals=tuple(
            dataclasses.replace(r, reference=pseudonym(r.reference), notes="") for r in data.referrals
        ),
        follow_ups=tuple(dataclasses.replace(f, note="") for f in data.follow_ups),
        routes=tuple(
            dataclasses.replace(
                r,
                advice_summary="",
                checklist=tuple(dataclasses.replace(e, skip_reason="") for e in r.checklist),
            )
            for r in data.routes
        ),
    )
    return dataclasses.replace(record, data=data, handler_name=pseudonym(record.handler_name))


def row_cells(record: CallRecord) -> list[str]:
    """One call's cells in :data:`COLUMNS` order, before formula neutralisation."""
    data = record.data
    caller = data.caller
    encoded = call_codec.to_jsonable(data)
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
    }
    return [cells[c] for c in COLUMNS]


# --- reading calls a page at a time ---------------------------------------------------------------


def _conditions(db: Database, query: CallQuery) -> list[Any]:
    conditions = call_search.filter_conditions(query)
    search = call_search.parse(query.text)
    if not search.is_empty:
        conditions += call_search.text_conditions(db.dialect, search, lead=True)
    return conditions


def count_matching(db: Database, query: CallQuery) -> int:
    with db.read() as session:
        return call_search.count(session, db.dialect, query, call_search.parse(query.text))


def iter_records(db: Database, query: CallQuery, page_size: int = PAGE_SIZE) -> Iterator[CallRecord]:
    """Every call the query's filters match, oldest first, read ``page_size`` at a time (keyset
    pages on ``(opened_at, id)``: each page is an index walk, however deep)."""
    conditions = _conditions(db, query)
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        statement = select(Call).where(*conditions).order_by(Call.opened_at, Call.id).limit(page_size)
        if after is not None:
            at, last_id = after
            statement = statement.where(
                or_(Call.opened_at > at, and_(Call.opened_at == at, Call.id > last_id))
            )
        with db.read() as session:
            records = load_records(session, statement)
            session.expunge_all()
        yield from records
        if len(records) < page_size:
            return
        after = (records[-1].data.opened_at, records[-1].id)


# --- the export -----------------------------------------------------------------------------------


class _HashingWriter:
    """What ``csv.writer`` writes to: text encoded as UTF-8, hashed on its way to the file."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.sha256 = hashlib.sha256()

    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        self.sha256.update(data)
        self._raw.write(data)
        return len(text)


def query_filters(query: CallQuery) -> dict[str, Any]:
    """The filters of ``query`` that are set, for the audit event (never the search text itself)."""
    filters: dict[str, Any] = {}
    for name in ("opened_from", "opened_to", "status", "urgency", "route", "agency_type", "force_area"):
        value = getattr(query, name)
        if value is not None and value != "":
            filters[name] = value.isoformat() if isinstance(value, datetime) else str(value)
    if query.handler_id is not None:
        filters["handler_id"] = str(query.handler_id)
    if query.text.strip():
        filters["text_length"] = len(query.text.strip())
    return filters


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
    """Write the calls ``query`` matches to ``path`` as CSV and audit the disclosure.

    Only supervisors and admins may (``Permission.EXPORT_PERSONAL``, for both profiles: a
    pseudonymised row is still personal data). ``purpose`` says why and to whom. ``progress`` is
    called with (calls written, calls to write); ``cancelled`` is asked before every row and
    ending with :class:`ExportCancelled` when it returns True. The file appears only when it is
    complete and its audit event is committed; otherwise no file is left and a previous file at
    ``path`` is untouched.
    """
    require(actor, Permission.EXPORT_PERSONAL)
    errors: list[FieldError] = []
    try:
        profile = Profile(profile)
    except ValueError:
        errors.append(FieldError("profile", f"{profile!r} is not one of: {', '.join(Profile)}"))
    purpose = purpose.strip()
    if not purpose:
        errors.append(FieldError("purpose", "required: say why the data is exported and to whom"))
    elif len(purpose) > PURPOSE_MAX:
        errors.append(FieldError("purpose", f"is {len(purpose):,} characters; the limit is {PURPOSE_MAX:,}"))
    if errors:
        raise ValidationError(errors)
    profile = Profile(profile)
    path = Path(path)
    total = count_matching(db, query)
    pseudonym = Pseudonymiser() if profile is Profile.PSEUDONYMISED else None
    rows = 0
    with atomic_write(path, "wb") as raw:
        out = _HashingWriter(raw)
        if bom:
            out.write(BOM)
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        if progress is not None:
            progress(0, total)
        for record in iter_records(db, query):
            if cancelled is not None and cancelled():
                raise ExportCancelled("the export was cancelled; no file was written")
            if pseudonym is not None:
                record = _pseudonymise(record, pseudonym)
            writer.writerow([neutralise(cell) for cell in row_cells(record)])
            rows += 1
            if progress is not None and rows % PAGE_SIZE == 0:
                progress(rows, max(total, rows))
        if cancelled is not None and cancelled():
            raise ExportCancelled("the export was cancelled; no file was written")
        raw.flush()
        os.fsync(raw.fileno())
        digest = out.sha256.hexdigest()
        # The disclosure is audited before the file takes its place: no export without its record.
        with db.write() as session:
            audit.record(
                session, actor, AuditCategory.DISCLOSURE, "calls.export", "call", "",
                format=FORMAT, profile=profile.value, filters=query_filters(query), rows=rows,
                sha256=digest, purpose=purpose, bom=bom, file_name=path.name,
            )  # fmt: skip
    if progress is not None:
        progress(rows, rows)
    return ExportResult(path=path, rows=rows, sha256=digest, profile=profile)


__all__ = [
    "COLUMNS",
    "ExportCancelled",
    "ExportResult",
    "Profile",
    "Pseudonymiser",
    "export_calls",
    "iter_records",
    "neutralise",
    "row_cells",
    "unneutralise",
]
