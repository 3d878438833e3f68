"""What every export format shares: profiles, the request, reading calls a page at a time,
pseudonyms, progress and cancel.

A format is a *writer*: a function that is given an open binary file and an :class:`ExportJob`
and writes the whole file, calling :meth:`ExportJob.tick` once per call it writes (which reports
progress and raises :class:`ExportCancelled` when the person cancels). Everything else — the
permission check, validation, the temporary file beside the target, the hash, the audit event,
the rename — is :func:`supportline.exports.service.export`'s, once for all formats.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, Final, Protocol

from sqlalchemy import or_, select

from supportline.db.engine import Database
from supportline.db.models import Call, User
from supportline.enums import LabelledEnum
from supportline.services import call_search
from supportline.services.call_types import CallQuery, CallRecord
from supportline.services.calls import read_records
from supportline.services.errors import ServiceError

#: Calls read from the database at a time: memory stays the same whatever the number of calls.
PAGE_SIZE = 500
PURPOSE_MAX = 1000
DEFAULT_MARKING: Final = "OFFICIAL-SENSITIVE"
MARKING_MAX = 60
#: An export from the training database (``Database.training``) says so on every page: a last
#: column (CSV, the XLSX Calls sheet) or key (JSON Lines) of this name on every row, holding
#: :data:`TRAINING_CELL`; the protective marking line of every printed page starts with
#: :data:`TRAINING_MARK`. An import into a live database refuses a file with that column.
TRAINING_COLUMN: Final = "training"
TRAINING_CELL: Final = "TRAINING – fictitious data, not from the live database"
TRAINING_MARK: Final = "TRAINING – NOT LIVE DATA"


class Profile(StrEnum):
    FULL = "full"  # everything
    PSEUDONYMISED = "pseudonymised"  # identifiers replaced by pseudonyms, free text removed
    FIGURES = "figures"  # aggregates only: no row per call


class ExportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    XLSX = "xlsx"
    PDF = "pdf"

    @property
    def suffix(self) -> str:
        return "." + self.value

    @property
    def label(self) -> str:
        return _FORMAT_LABELS[self]


_FORMAT_LABELS = {
    ExportFormat.CSV: "CSV (spreadsheets, other systems)",
    ExportFormat.JSONL: "JSON Lines (other systems, re-import)",
    ExportFormat.XLSX: "Excel workbook (XLSX)",
    ExportFormat.PDF: "PDF report",
}


class ExportCancelled(ServiceError):  # the name says what happened, not that it failed
    """The person cancelled the export; no file was written and an existing one is untouched."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int  # calls written (for the figures profile: calls counted)
    sha256: str
    profile: Profile
    format: ExportFormat = ExportFormat.CSV


@dataclass(frozen=True)
class ExportOptions:
    """Format-specific choices; each format reads the ones it knows and ignores the others."""

    bom: bool = False  # CSV: start with a UTF-8 byte-order mark (spreadsheet programs then read UTF-8)
    marking: str = DEFAULT_MARKING  # PDF: protective marking in every header and footer
    appendix: bool = False  # PDF: one block per call after the figures (not with the figures profile)
    exported_by: str = ""  # PDF title page: the display name of who exported it (set by the service)


Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


@dataclass
class ExportJob:
    """One export in progress, as a writer sees it."""

    db: Database
    query: CallQuery
    profile: Profile
    options: ExportOptions
    total: int  # calls the query matches (counted before writing starts)
    progress: Progress | None = None
    cancelled: Cancelled | None = None
    rows: int = 0
    pseudonym: Pseudonymiser | None = field(default=None)
    started_at: datetime | None = None

    @property
    def training(self) -> bool:
        """From the training database: every page and every row says so."""
        return self.db.training

    @property
    def page_marking(self) -> str:
        """The line at the top and bottom of every printed page."""
        if self.training:
            return f"{TRAINING_MARK} · {self.options.marking}"
        return self.options.marking

    def check_cancelled(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise ExportCancelled("the export was cancelled; no file was written")

    def tick(self) -> None:
        """One more call written: reports progress now and then, raises if cancelled."""
        self.check_cancelled()
        self.rows += 1
        if self.progress is not None and self.rows % PAGE_SIZE == 0:
            self.progress(self.rows, max(self.total, self.rows))

    def records(self) -> Iterator[CallRecord]:
        """The calls to write, oldest first, already pseudonymised for that profile."""
        for record in iter_records(self.db, self.query):
            yield record if self.pseudonym is None else pseudonymise(record, self.pseudonym)


class Writer(Protocol):
    def __call__(self, out: IO[bytes], job: ExportJob) -> None: ...


#: What every pseudonym looks like (``P-3F9A1C2B``): an import refuses a file that holds them.
PSEUDONYM_PATTERN: Final = re.compile(r"P-[0-9A-F]{8}")


class Pseudonymiser:
    """Stable pseudonyms for one export: ``P-`` and the first 8 hex digits of HMAC-SHA256."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)

    def __call__(self, value: str) -> str:
        if not value:
            return ""
        digest = hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()
        return "P-" + digest[:8].upper()


def pseudonymise(record: CallRecord, pseudonym: Pseudonymiser) -> CallRecord:
    """``record`` with names, phone numbers, emails, collar numbers and referral references
    replaced by pseudonyms and every free-text field emptied."""
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


# --- reading calls a page at a time ---------------------------------------------------------------


def conditions_for(db: Database, query: CallQuery) -> list[Any]:
    """The WHERE conditions on ``Call`` for the query's filters and search text."""
    conditions = call_search.filter_conditions(query, db.dialect, db.zone)
    search = call_search.parse(query.text)
    if not search.is_empty:
        conditions += call_search.text_conditions(db.dialect, search, lead=True)
    return conditions


def count_matching(db: Database, query: CallQuery) -> int:
    with db.read() as session:
        return call_search.count(session, db.dialect, query, call_search.parse(query.text), zone=db.zone)


def iter_records(db: Database, query: CallQuery, page_size: int | None = None) -> Iterator[CallRecord]:
    """Every call the query's filters match, oldest first, read ``page_size`` (default
    :data:`PAGE_SIZE`) at a time (keyset pages on ``(opened_at, id)``: each page is an index
    walk, however deep)."""
    page_size = page_size or PAGE_SIZE
    conditions = conditions_for(db, query)
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        statement = select(Call).where(*conditions).order_by(Call.opened_at, Call.id).limit(page_size)
        if after is not None:
            at, last_id = after
            # (opened_at, id) after the last call's: the leading ``opened_at >= at`` lets SQLite
            # seek the index there (an OR alone walks it from the start, slower on every page).
            statement = statement.where(Call.opened_at >= at, or_(Call.opened_at > at, Call.id > last_id))
        with db.read() as session:
            records = read_records(session, statement)
        yield from records
        if len(records) < page_size:
            return
        after = (records[-1].data.opened_at, records[-1].id)


NO_FILTERS: Final = "None: every call in the period"


def hour_words(hour: int) -> str:
    """``14:00 and 14:59``: the minutes of one local hour of day."""
    return f"{hour:02d}:00 and {hour:02d}:59"


def filter_words(query: CallQuery, handler_name: str = "") -> list[str]:
    """The query's filters other than the period, as a person would say them, one a line (the
    PDF's title page and the XLSX's About sheet both show these). The search words are never
    shown — they may be a name — only that there was a search."""
    words: list[str] = []
    pairs: list[tuple[str, LabelledEnum | None]] = [
        ("Advice route", query.route),
        ("Caller agency", query.agency_type),
        ("Urgency", query.urgency),
        ("Status", query.status),
        ("Exploitation type", query.exploitation_type),
        ("Outcome", query.outcome),
    ]
    for label, value in pairs:
        if value is not None:
            words.append(f"{label}: {value.label}")
    if query.force_area:
        words.append(f"Force area: {query.force_area}")
    if query.opened_hour is not None:
        words.append(f"Opened between {hour_words(query.opened_hour)} (local time)")
    if query.handler_id is not None:
        words.append(f"Call handler: {handler_name or 'an unknown user'}")
    if query.text.strip():
        words.append("Only calls matching a text search")
    return words


def job_filter_words(job: ExportJob) -> list[str]:
    """:func:`filter_words` of the job's query, naming the handler it filters on (by pseudonym in a
    pseudonymised export, as its rows do), or :data:`NO_FILTERS`."""
    name = ""
    if job.query.handler_id is not None:
        with job.db.read() as session:
            name = session.scalar(select(User.display_name).where(User.id == job.query.handler_id)) or ""
        if job.pseudonym is not None and name:
            name = job.pseudonym(name)
    return filter_words(job.query, name) or [NO_FILTERS]


def query_filters(query: CallQuery) -> dict[str, Any]:
    """The filters of ``query`` that are set, for the audit event (never the search text itself)."""
    filters: dict[str, Any] = {}
    names = (
        "opened_from", "opened_to", "status", "urgency", "route", "agency_type", "force_area",
        "exploitation_type", "outcome", "opened_hour",
    )  # fmt: skip
    for name in names:
        value = getattr(query, name)
        if value is not None and value != "":
            filters[name] = value.isoformat() if isinstance(value, datetime) else str(value)
    if query.handler_id is not None:
        filters["handler_id"] = str(query.handler_id)
    if query.text.strip():
        filters["text_length"] = len(query.text.strip())
    return filters
