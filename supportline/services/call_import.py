"""Importing calls from a file: the full-profile CSV export, or JSON Lines with the same keys.

For lines moving from spreadsheets or another system, and for moving calls between databases.
The rules:

- **All or nothing.** Every row of the file is checked; every bad row is reported with its line
  number (where the row starts, counting the header as line 1 in a CSV file), its column (the
  CSV heading or JSON key) and the reason. Only a file without a single problem is imported, in
  one transaction: each chunk of rows is checked (against the database too) before it is
  written, and the transaction is rolled back at the end unless every row passed, so nothing of
  a file with a problem stays. Problems in the rows themselves are reported alone, as the
  database is asked only about a file whose rows are all sound.
- **No duplicates.** A call is known by its UUID (``id``): a call already in the database is
  left exactly as it is and counted as skipped, so importing the same file twice adds nothing.
  Each one is compared with the file's row (its content, times as instants, handler and
  references), and those that differ — edited since the export, say — are named in the result
  (:attr:`ImportResult.differing`) and counted in the audit event: the database's version stays.
- **References kept.** Each call keeps its reference and its case (``case_id`` and
  ``case_reference``); a case not in the database is created with them. The reference counters
  are moved past every imported ``SL-YYYY-NNNNNN`` / ``CASE-YYYY-NNNNNN``, so a call saved later
  never gets a number already used. A row with an empty ``reference`` gets a new one; a row with
  both ``case_id`` and ``case_reference`` empty starts a new case.
- **People.** The handler, advisers and follow-up assignees are kept by their user id. An id this
  database does not know becomes a *placeholder* user: inactive, with no usable password (it can
  never sign in), named after the ``handler`` column where there is one.
- **Guidance.** A route's ``template_hash`` names the exact guidance text the advice rested on.
  A hash this database has not stored is looked up in the guidance library (the shipped
  templates, and any others the caller passes); when the library has that exact text, it is
  stored with the calls. Otherwise the row is refused, naming the hash: the advice must not be
  shown against guidance nobody can read.
- **Never a training export into live data.** A file from the training database (its
  ``training`` column or key) is refused by a live database; the training database takes it.
- **Full profile only.** A name, collar number or referral reference that is a pseudonym
  (``P-3F9A1C2B``) is refused: a pseudonymised export's pseudonyms must not become names.
- The same checks as saving a call in the form (:func:`call_validation.validate_call`, closed
  routes' required checklist items), and CSV cells are read back with
  :func:`csv_export.unneutralise` (every cell: a leading apostrophe is removed).
- **Values kept exactly.** Text is stored as the file has it, spaces, tabs and line breaks
  around it included (the form trims what a person types; an import does not change what
  another system or an export recorded), so an export imported again is the same call.
  Phone numbers are still written in international form, as every saved call has them.
- **UTF-8 and strict JSON.** A file in UTF-16 or UTF-32 is refused once, as a whole. JSON (a
  JSON Lines row, a CSV file's JSON columns) must not give a key twice in one object; a number
  too long for Python or nesting too deep is refused like any other malformed JSON.
- **Messages name the place, not the value**: the line, the column (and the place inside a
  JSON column) and what is wrong, never the cell's content — a name or a phone number in the
  wrong column must not end up on a terminal or in a log.
- Only supervisors and admins may import (:attr:`Permission.IMPORT`). An import is audited as
  COLLECTION: one ``call.import`` event per call added, one ``user.create`` per placeholder and
  one ``calls.import`` event for the file (its name, SHA-256 and the counts). A *dry run* reads
  and checks everything, reports what would be imported, and writes nothing at all.

**The bulk path.** The file is read once, row by row, in chunks of :data:`CHUNK` rows: memory
does not grow with the number of narratives. A chunk's calls are written with one Core INSERT
per table (:func:`calls.import_rows` makes the rows a save would write) and their audit events
with one chained INSERT (:func:`audit.record_many`); a call without a reference, or starting a
case of its own, is written last (read again), once the counters are past every reference in
the file. The transaction's time limit grows with the size of the file. The file's SHA-256 is
compared before the transaction commits, so a file changed while it was read is refused.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from supportline.db import bulk
from supportline.db.engine import Database
from supportline.db.models import (
    NAME_MAX,
    REFERENCE_MAX,
    SUMMARY_MAX,
    Base,
    Call,
    Case,
    FollowUp,
    GuidanceVersion,
    Person,
    Referral,
    User,
)
from supportline.enums import AuditCategory, Role, Route
from supportline.exports.common import PSEUDONYM_PATTERN, TRAINING_COLUMN
from supportline.exports.csv_export import COLUMNS, MULTI_SEPARATOR, unneutralise
from supportline.guidance.model import Template
from supportline.services import audit, call_codec, calls, permissions, references
from supportline.services.actor import Actor
from supportline.services.call_types import CallData, CallRecord
from supportline.services.call_validation import HASH_RE, text_problem, validate_call
from supportline.services.errors import FieldError, ServiceError, ValidationError

#: Rows written between flushes of the import transaction (and lookups per database query).
CHUNK = 500
DIFFERING_SHOWN = 5  # references listed in the summary line; the rest are counted
HASH_CHUNK = 1 << 20
#: A 1 MB narrative (and more) must fit in one CSV cell; the csv module's default is 128 KiB.
CSV_FIELD_LIMIT: Final = 2**31 - 1
PLACEHOLDER_PREFIX: Final = "imported-"
#: Never a valid Argon2 hash: a placeholder cannot sign in even if someone activates it.
PLACEHOLDER_PASSWORD_HASH: Final = "!imported placeholder: no password"  # noqa: S105 (not a secret)

_BOOLEAN_COLUMNS: Final = frozenset({"county_lines", "suspect_may_be_victim", "victim_at_scene"})
_NULLABLE_COLUMNS: Final = frozenset({"case_id", "closed_at", "nrm_consent"})
_LIST_COLUMNS: Final = frozenset({"exploitation_types", "indicators", "outcomes", "routes_chosen"})
_JSON_COLUMNS: Final = frozenset({"persons", "routes", "referrals", "follow_ups"})
_CALLER_COLUMNS: Final = {
    "caller_name": "name",
    "caller_agency_type": "agency_type",
    "caller_rank": "rank",
    "caller_organisation": "organisation",
    "caller_collar_number": "collar_number",
    "caller_phone": "phone",
    "caller_email": "email",
}
_CALL_KEYS: Final = (
    "id", "opened_at", "closed_at", "status", "channel", "urgency", "consent_level", "summary",
    "narrative", "force_area", "where_exploited", "county_lines", "suspect_may_be_victim",
    "victim_at_scene", "nrm_consent", "exploitation_types", "indicators", "outcomes", "persons",
    "routes", "referrals", "follow_ups", "case_id",
)  # fmt: skip
_REFERENCE_RE: Final = re.compile(r"^([A-Z]+)-(\d{4})-(\d{1,9})$")
_ROUTE_VALUES: Final = frozenset(r.value for r in Route)
#: Digits in a JSON number; Python refuses to read an integer of more than 4,300 digits.
JSON_NUMBER_DIGITS: Final = 100
_HEAD_BYTES: Final = 4096  # read to tell UTF-16 or UTF-32 from UTF-8
_WIDE_BOMS: Final = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
_PATH_HEAD_RE: Final = re.compile(r"[.\[]")


class ImportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"

    @classmethod
    def for_path(cls, path: Path) -> ImportFormat:
        """JSON Lines for ``.jsonl``/``.ndjson`` files, CSV otherwise."""
        return cls.JSONL if path.suffix.lower() in {".jsonl", ".ndjson"} else cls.CSV


@dataclass(frozen=True)
class Problem:
    """One reason a file cannot be imported."""

    line: int  # where the row starts (1 = the first line of the file); 0: the file as a whole
    column: str  # the CSV heading / JSON key; "" for the whole row
    message: str
    field: str = ""  # the place inside the column when it is deeper, e.g. persons[0].sex

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "the file"
        if self.column:
            where += f", column {self.column}"
        if self.field and self.field != self.column:
            where += f" ({self.field})"
        return f"{where}: {self.message}"


class ImportRefusedError(ValidationError):
    """The file has problems (all of them in ``problems``, in file order); nothing was imported."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__([FieldError(str(p).split(": ", 1)[0], p.message) for p in self.problems])


class ImportFileChangedError(ServiceError):
    """The file changed while it was being imported; nothing was imported."""


@dataclass(frozen=True)
class ImportResult:
    path: Path
    format: ImportFormat
    sha256: str
    rows: int  # calls in the file
    imported: int  # calls added (with a dry run: that would be added)
    skipped: int  # calls already in the database, left as they are
    cases_created: int
    placeholder_users: int  # users created as inactive placeholders
    guidance_stored: int  # guidance versions stored from the library
    dry_run: bool
    #: References of skipped calls whose content in the database differs from the file's (the
    #: database's version is kept: an import never changes a call), in the file's order.
    differing: tuple[str, ...] = ()


# --- reading rows ---------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    values: dict[str, Any]  # natural JSON values by column
    problems: list[Problem] = field(default_factory=list)  # problems found while reading the cells
    broken: bool = False  # not a whole row (cells or keys missing): the call cannot be read at all


def _has_surrogates(text: str) -> bool:
    """Whether ``text`` holds bytes that were not UTF-8 (``surrogateescape`` made them lone
    surrogates, which nothing decoded from UTF-8 can be): strict UTF-8 will not encode them."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class _BadJsonError(ValueError):
    """JSON that ``json.loads`` would read but an import must not (its message says why)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _BadJsonError(f"the key {key[:60]!r} is given twice in one object")
        obj[key] = value
    return obj


def _json_int(digits: str) -> int:
    if len(digits.lstrip("-")) > JSON_NUMBER_DIGITS:
        raise _BadJsonError(f"a number has more than {JSON_NUMBER_DIGITS} digits")
    return int(digits)


def json_problem(text: str) -> tuple[Any, str | None]:
    """``text`` read as strict JSON: (value, None), or (None, what is wrong with it).

    Strict: a key given twice in one object, a number of more than :data:`JSON_NUMBER_DIGITS`
    digits and nesting deeper than Python can read are refused, like malformed JSON.
    """
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_int=_json_int), None
    except json.JSONDecodeError as exc:
        return None, f"is not valid JSON: {exc.msg} at character {exc.pos + 1}"
    except _BadJsonError as exc:
        return None, f"is not valid JSON here: {exc}"
    except RecursionError:
        return None, "is not valid JSON here: it is nested too deeply"
    except ValueError:  # any other number Python will not read
        return None, "is not valid JSON here: a number cannot be read"


def _csv_value(column: str, cell: str, line: int, problems: list[Problem]) -> Any:
    cell = unneutralise(cell)
    if column in _BOOLEAN_COLUMNS:
        if cell in ("true", "false"):
            return cell == "true"
        problems.append(Problem(line, column, "must be true or false"))
        return False
    if column in _NULLABLE_COLUMNS and cell == "":
        return None
    if column in _LIST_COLUMNS:
        return [part.strip() for part in cell.split(MULTI_SEPARATOR.strip()) if part.strip()]
    if column in _JSON_COLUMNS:
        value, problem = json_problem(cell)
        if problem is not None:
            problems.append(Problem(line, column, problem))
            return []
        return value
    return cell


def _training_problem(line: int) -> Problem:
    return Problem(
        line,
        TRAINING_COLUMN,
        "the file is a TRAINING export (fictitious calls from the training database): it is never "
        "imported into the live database",
    )


def _csv_rows(raw: IO[bytes], problems: list[Problem], *, training: bool = False) -> Iterator[_Row]:
    """The data rows of a CSV file; header and structural problems go to ``problems``."""
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text, strict=True)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        problems.append(Problem(1, "", f"the header cannot be read as CSV: {exc}"))
        return
    if header is None:
        problems.append(Problem(0, "", "the file is empty: the first line must be the header"))
        return
    if any(_has_surrogates(name) or "\x00" in name for name in header):
        problems.append(Problem(1, "", "the header is not UTF-8 text: save the file as UTF-8"))
        return
    if not set(header) & set(COLUMNS):
        # Most likely a data row (a file without its header): its cells are not echoed as names.
        problems.append(
            Problem(1, "", "is not the header: the first line must name the columns (id, reference, …)")
        )
        return
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(1, name, "the column is in the header twice"))
        elif name == TRAINING_COLUMN:
            if not training:
                problems.append(_training_problem(1))
        elif name not in COLUMNS:
            problems.append(Problem(1, name[:60], "unknown column"))
        seen.add(name)
    for name in COLUMNS:
        if name not in seen:
            problems.append(Problem(1, name, "missing from the header"))
    if problems:
        return
    end = reader.line_num
    while True:
        start = end + 1
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            problems.append(Problem(start, "", f"the file cannot be read as CSV from here on: {exc}"))
            return
        end = reader.line_num
        if cells is None:
            return
        if not cells:  # a blank line
            continue
        row = _Row(start, {})
        if len(cells) != len(header):
            row.problems.append(Problem(start, "", f"has {len(cells)} cells; the header has {len(header)}"))
            row.broken = True
            yield row
            continue
        for name, cell in zip(header, cells, strict=True):
            if name == TRAINING_COLUMN:
                continue  # a training export read into the training database: nothing to keep
            if _has_surrogates(cell):
                row.problems.append(Problem(start, name, "is not UTF-8 text"))
                cell = ""
            row.values[name] = _csv_value(name, cell, start, row.problems)
        yield row


def _jsonl_rows(raw: IO[bytes], problems: list[Problem], *, training: bool = False) -> Iterator[_Row]:
    """The rows of a JSON Lines file: one object per line; blank lines are allowed."""
    told = False  # a training export is said so once, not on every line
    for number, line in enumerate(raw, start=1):
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if not line.strip():
            continue
        row = _Row(number, {})
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            row.problems.append(Problem(number, "", f"is not UTF-8 text (byte {exc.start + 1})"))
            yield row
            continue
        value, problem = json_problem(text)
        if problem is not None:
            row.problems.append(Problem(number, "", problem))
            yield row
            continue
        if not isinstance(value, dict):
            row.problems.append(Problem(number, "", "must be a JSON object, one call per line"))
            yield row
            continue
        if TRAINING_COLUMN in value:
            del value[TRAINING_COLUMN]
            if not training and not told:
                problems.append(_training_problem(number))
                told = True
        for key in value:
            if key not in COLUMNS:
                row.problems.append(Problem(number, str(key)[:60], "unknown key"))
        for key in COLUMNS:
            if key not in value:
                row.problems.append(Problem(number, key, "missing"))
                row.broken = True
        row.values = value
        yield row


# --- one row as a call ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Decoded:
    data: CallData
    reference: str
    case_reference: str
    handler_id: uuid.UUID
    handler_name: str


def _column_of(path: str) -> str:
    """The column a codec or validation path (``caller.phone``, ``persons[0].sex``) belongs to."""
    head = _PATH_HEAD_RE.split(path, maxsplit=1)[0]
    if head == "caller":
        sub = path.split(".", 1)[1] if "." in path else "name"
        return "caller_" + _PATH_HEAD_RE.split(sub, maxsplit=1)[0]
    if head in ("(payload)", call_codec.FORMAT_KEY):
        return ""
    return head


def _problem(line: int, error: FieldError) -> Problem:
    column = _column_of(error.field)
    inner = "" if error.field in (column, f"caller.{column.removeprefix('caller_')}") else error.field
    return Problem(line, column, error.message, inner)


def _text(values: dict[str, Any], key: str, line: int, problems: list[Problem], limit: int) -> str:
    value = values.get(key)
    if not isinstance(value, str):
        problems.append(Problem(line, key, f"must be text, not {call_codec._json_type(value)}"))
        return ""
    if len(value) > limit:
        problems.append(Problem(line, key, f"is {len(value):,} characters; the limit is {limit:,}"))
    elif value != value.strip() or not value.isprintable():
        problems.append(Problem(line, key, "must not have spaces around it or control characters"))
    return value


class _Problems(list[Problem]):
    """A row's problems, leaving out further ones in a column whose cell could not be read."""

    def __init__(self, first: Iterable[Problem], unreadable: set[str]) -> None:
        super().__init__(first)
        self._unreadable = unreadable

    def append(self, problem: Problem) -> None:
        if problem.column not in self._unreadable:
            super().append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.append(problem)


def _decode(row: _Row, text_of: Callable[[str], str | None]) -> tuple[_Decoded | None, list[Problem]]:
    """The call of one row (``None`` when it cannot be read at all) and every problem with it."""
    if row.broken or not row.values:
        return None, row.problems
    line, values = row.line, row.values
    # A cell that could not be read stands in as empty: its column's problem is reported once.
    unreadable = {p.column for p in row.problems}
    problems = _Problems(row.problems, unreadable)
    payload: dict[str, Any] = {call_codec.FORMAT_KEY: call_codec.FORMAT}
    payload.update({key: values[key] for key in _CALL_KEYS})
    payload["caller"] = {inner: values[column] for column, inner in _CALLER_COLUMNS.items()}
    try:
        data = call_codec.from_jsonable(payload)
    except ValidationError as exc:
        problems.extend([_problem(line, e) for e in exc.errors])
        return None, list(problems)
    try:
        data = validate_call(data, exact_text=True)
    except ValidationError as exc:
        problems.extend([_problem(line, e) for e in exc.errors])
    problems.extend([_problem(line, e) for e in calls.unfinished_checklists(data, text_of)])

    reference = _text(values, "reference", line, problems, REFERENCE_MAX)
    case_reference = _text(values, "case_reference", line, problems, REFERENCE_MAX)
    handler_name = values.get("handler")
    if not isinstance(handler_name, str):
        problems.append(Problem(line, "handler", f"must be text, not {call_codec._json_type(handler_name)}"))
        handler_name = ""
    elif (problem := text_problem(handler_name, NAME_MAX)) is not None:
        problems.append(Problem(line, "handler", problem))
        handler_name = ""
    handler_id = uuid.UUID(int=0)
    raw_handler = values.get("handler_id")
    try:
        if not isinstance(raw_handler, str):
            raise ValueError
        handler_id = uuid.UUID(raw_handler)
        if str(handler_id) != raw_handler.lower():
            raise ValueError
    except ValueError:
        problems.append(Problem(line, "handler_id", "must be the handler's user id (a UUID)"))
    if (data.case_id is None) != (case_reference == ""):
        problems.append(
            Problem(line, "case_reference", "give both case_id and case_reference, or neither (a new case)")
        )
    chosen = values.get("routes_chosen")
    if not isinstance(chosen, list) or not all(isinstance(v, str) and v in _ROUTE_VALUES for v in chosen):
        allowed = ", ".join(sorted(_ROUTE_VALUES))
        problems.append(Problem(line, "routes_chosen", f"must be a list of route values ({allowed})"))
    else:
        actual = sorted(r.route.value for r in data.routes if r.chosen)
        if sorted(chosen) != actual:
            problems.append(
                Problem(
                    line,
                    "routes_chosen",
                    f"says {', '.join(sorted(chosen)) or 'none'} but the routes column chooses "
                    f"{', '.join(actual) or 'none'}",
                )
            )
    problems.extend(_pseudonyms(line, data, handler_name))
    # The call is returned even when it has problems, so that it is compared with the other rows too.
    return _Decoded(data, reference, case_reference, handler_id, handler_name), list(problems)


def _pseudonyms(line: int, data: CallData, handler_name: str) -> Iterator[Problem]:
    """A name or collar number that is a pseudonym (``P-3F9A1C2B``): the row comes from a
    pseudonymised export, whose pseudonyms would be stored as people's names."""
    message = (
        "is a pseudonym (P- and 8 hexadecimal digits): a pseudonymised export cannot be imported, "
        "only a full-profile one"
    )
    fields = (
        ("caller_name", "", data.caller.name),
        ("caller_collar_number", "", data.caller.collar_number),
        ("handler", "", handler_name),
        *(("persons", f"persons[{i}].name", p.name) for i, p in enumerate(data.persons)),
        *(("referrals", f"referrals[{i}].reference", r.reference) for i, r in enumerate(data.referrals)),
    )
    for column, inner, value in fields:
        if PSEUDONYM_PATTERN.fullmatch(value.strip()):
            yield Problem(line, column, message, inner)


# --- the plan: what pass one found ----------------------------------------------------------------


def _in_utc(value: Any) -> Any:
    """``value`` (a call, or any part of one) with every time in UTC: the same instants compare
    equal whatever offset a file wrote them with."""
    if isinstance(value, datetime):
        try:
            return value.astimezone(UTC)
        except OverflowError:  # out of range: validation refuses the row, this only compares it
            return value
    if isinstance(value, tuple):
        return tuple(_in_utc(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _in_utc(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value


def _digest(data: CallData, handler_id: uuid.UUID) -> bytes:
    encoded = json.dumps(
        [call_codec.to_jsonable(_in_utc(data)), str(handler_id)], sort_keys=True, ensure_ascii=False
    )
    return hashlib.sha256(encoded.encode("utf-8", "surrogatepass")).digest()


@dataclass(frozen=True)
class _Fingerprint:
    """A row's call, small enough to keep for every row: its content's SHA-256 and references."""

    digest: bytes
    reference: str  # "" when the file leaves it to the import
    case_reference: str

    def matches(self, record: CallRecord) -> bool:
        """Whether the database's ``record`` is the call this row describes."""
        return (
            self.digest == _digest(record.data, record.handler_id)
            and self.reference in ("", record.reference)
            and self.case_reference in ("", record.case_reference)
        )


@dataclass
class _Plan:
    rows: int = 0
    ids: dict[uuid.UUID, int] = field(default_factory=dict)  # call id -> line
    references: dict[str, int] = field(default_factory=dict)  # call reference -> line
    case_refs: dict[uuid.UUID, tuple[str, int]] = field(default_factory=dict)  # case id -> (ref, line)
    case_ids_by_ref: dict[str, uuid.UUID] = field(default_factory=dict)
    case_titles: dict[uuid.UUID, str] = field(default_factory=dict)
    child_ids: dict[tuple[str, uuid.UUID], int] = field(default_factory=dict)  # (kind, id) -> line
    users: dict[uuid.UUID, str] = field(default_factory=dict)  # user id -> name from a handler column
    existing: set[uuid.UUID] = field(default_factory=set)  # calls already in the database
    differing: list[tuple[int, str]] = field(default_factory=list)  # (line, reference in the database)
    known_cases: set[uuid.UUID] = field(default_factory=set)  # in the database, or made by this import
    new_cases: set[uuid.UUID] = field(default_factory=set)  # made by this import (or would be)
    fresh_cases: int = 0  # new calls starting a case of their own (no case_id)
    known_users: set[uuid.UUID] = field(default_factory=set)
    missing_users: dict[uuid.UUID, str] = field(default_factory=dict)  # placeholders: id -> name given
    library_versions: dict[str, Template] = field(default_factory=dict)
    #: Lines of new calls whose reference or case number is allocated: written last, once every
    #: reference in the file is known (the counters are moved past them first).
    deferred: set[int] = field(default_factory=set)
    written: int = 0


_CHILD_KINDS: Final = (("persons", Person), ("referrals", Referral), ("follow_ups", FollowUp))


def _children(data: CallData) -> Iterator[tuple[str, int, uuid.UUID]]:
    for i, p in enumerate(data.persons):
        yield "persons", i, p.id
    for i, r in enumerate(data.referrals):
        yield "referrals", i, r.id
    for i, f in enumerate(data.follow_ups):
        yield "follow_ups", i, f.id


class _Guidance:
    """Guidance texts by content hash: the database's first, then the library's."""

    def __init__(self, session: Session, library: Callable[[], Iterable[Template]]) -> None:
        self._session = session
        self._library = library
        self._by_hash: dict[str, Template] | None = None
        self._texts: dict[str, str | None] = {}
        self.from_library: dict[str, Template] = {}

    def _library_by_hash(self) -> dict[str, Template]:
        if self._by_hash is None:
            self._by_hash = {t.content_hash: t for t in self._library()}
        return self._by_hash

    def text_of(self, content_hash: str) -> str | None:
        if not HASH_RE.fullmatch(content_hash):
            return None  # not a SHA-256 digest (validation says so): nothing to look up
        if content_hash not in self._texts:
            row = self._session.get(GuidanceVersion, content_hash)
            text: str | None = None
            if row is not None:
                text = row.text
            else:
                template = self._library_by_hash().get(content_hash)
                if template is not None:
                    self.from_library[content_hash] = template
                    text = template.text
            self._texts[content_hash] = text
        return self._texts[content_hash]


def _note_row(plan: _Plan, line: int, row: _Decoded, problems: list[Problem], guidance: _Guidance) -> None:
    data = row.data
    earlier = plan.ids.get(data.id)
    if earlier is not None:
        problems.append(Problem(line, "id", f"the same call is already on line {earlier}"))
        return
    plan.ids[data.id] = line
    if row.reference:
        first = plan.references.get(row.reference)
        if first is not None:
            problems.append(Problem(line, "reference", f"the same reference is already used on line {first}"))
        else:
            plan.references[row.reference] = line
    if data.case_id is not None:
        known = plan.case_refs.get(data.case_id)
        if known is None:
            other = plan.case_ids_by_ref.get(row.case_reference)
            if other is not None:
                line_of_other = plan.case_refs[other][1]
                problems.append(
                    Problem(
                        line,
                        "case_reference",
                        f"is the reference of another case, on line {line_of_other}",
                    )
                )
            else:
                plan.case_refs[data.case_id] = (row.case_reference, line)
                plan.case_ids_by_ref[row.case_reference] = data.case_id
                plan.case_titles[data.case_id] = data.summary[:SUMMARY_MAX]
        elif known[0] != row.case_reference:
            problems.append(
                Problem(line, "case_reference", f"line {known[1]} gives this case another reference")
            )
    for kind, i, child_id in _children(data):
        first = plan.child_ids.get((kind, child_id))
        if first is not None:
            problems.append(Problem(line, kind, f"the same entry is on line {first}", f"{kind}[{i}].id"))
        else:
            plan.child_ids[(kind, child_id)] = line
    plan.users[row.handler_id] = plan.users.get(row.handler_id, "") or row.handler_name
    for r in data.routes:
        if r.adviser_id is not None:
            plan.users.setdefault(r.adviser_id, "")
    for f in data.follow_ups:
        if f.assignee_id is not None:
            plan.users.setdefault(f.assignee_id, "")
    for i, r in enumerate(data.routes):
        if (
            r.template_hash
            and HASH_RE.fullmatch(r.template_hash)
            and guidance.text_of(r.template_hash) is None
        ):
            problems.append(
                Problem(
                    line,
                    "routes",
                    f"guidance version {r.template_hash} ({r.template_id or 'no template id'}) is "
                    "neither stored in this database nor in the guidance library",
                    f"routes[{i}].template_hash",
                )
            )


def _chunks(items: Iterable[Any]) -> Iterator[list[Any]]:
    size = CHUNK
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- the import -----------------------------------------------------------------------------------


def _shipped_templates() -> tuple[Template, ...]:
    from supportline.guidance.loader import load_folder, shipped_guidance_dir

    return load_folder(shipped_guidance_dir()).templates


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _encoding_problem(head: bytes) -> Problem | None:
    """A file in UTF-16 or UTF-32 (by its byte-order mark, or NUL bytes in its first line):
    one problem for the file, not one for every cell or line."""
    for bom, name in _WIDE_BOMS:
        if head.startswith(bom):
            return Problem(0, "", f"the file is not UTF-8 but {name} text: save it as UTF-8")
    if b"\x00" in head.split(b"\n", 1)[0]:
        return Problem(
            0, "", "the file is not UTF-8 text (its first line has NUL bytes: UTF-16?): save it as UTF-8"
        )
    return None


def _rows(path: Path, format: ImportFormat, problems: list[Problem], training: bool) -> Iterator[_Row]:
    with path.open("rb") as raw:
        wide = _encoding_problem(raw.read(_HEAD_BYTES))
        if wide is not None:
            problems.append(wide)
            return
        raw.seek(0)
        if format is ImportFormat.CSV:
            yield from _csv_rows(raw, problems, training=training)
        else:
            yield from _jsonl_rows(raw, problems, training=training)


def import_calls(
    db: Database,
    actor: Actor,
    path: Path,
    *,
    format: ImportFormat | str | None = None,
    dry_run: bool = False,
    templates: Iterable[Template] | None = None,
) -> ImportResult:
    """Import the calls in ``path`` (see the module's documentation for the rules).

    ``format`` defaults to the file's suffix (``.jsonl``: JSON Lines, otherwise CSV).
    ``templates`` are guidance templates besides the shipped ones whose exact text may be stored
    for a route's ``template_hash``. Raises :class:`ImportRefusedError` listing every problem.
    """
    permissions.check(db, actor, permissions.Action.CALLS_IMPORT, file_name=Path(path).name)
    path = Path(path)
    try:
        fmt = ImportFormat.for_path(path) if format is None else ImportFormat(format)
    except ValueError:
        raise ValidationError(
            [FieldError("format", f"{format!r} is not one of: {', '.join(ImportFormat)}")]
        ) from None
    extra = tuple(templates or ())

    def library() -> Iterable[Template]:
        return (*_shipped_templates(), *extra)

    sha256 = _file_sha256(path)
    # One transaction for the whole file: its time limit grows with the file (still a limit).
    limit = db.timeouts.write_s + path.stat().st_size / 1e6 * SECONDS_PER_MB
    importer: _Import | None = None
    try:
        with db.bounded(limit):
            if dry_run:
                with db.read() as session:
                    importer = _Import(
                        db, actor, path, fmt, session, _Guidance(session, library), write=False
                    )
                    importer.run()
            else:
                with db.write() as session:
                    guidance = _Guidance(session, library)
                    importer = _Import(db, actor, path, fmt, session, guidance, write=True)
                    importer.run()
                    importer.finish(sha256)  # raises _RollBack unless every call is written
    except _RollBack:
        pass  # nothing of the file stays: refused, or nothing to add
    assert importer is not None
    plan, problems = importer.plan, importer.all_problems()
    if (problems or plan.rows == 0) and not dry_run:
        _audit_refused(db, actor, path, fmt, sha256, plan.rows, max(len(problems), 1))
    if problems:
        raise ImportRefusedError(sorted(problems, key=lambda p: p.line))
    if plan.rows == 0:
        raise ImportRefusedError([Problem(0, "", "there are no calls in the file")])
    result = importer.result(sha256, dry_run)
    if not dry_run and result.imported == 0:
        with db.write() as session:  # the file's event alone (the import's own transaction was undone)
            _audit_file(session, actor, result)
    return result


#: The import transaction's time limit grows by this much per megabyte of the file (about ten
#: times what it takes on a 2-core machine).
SECONDS_PER_MB = 2.0


class _RollBack(Exception):  # a signal inside this module, not an error
    """Undo the import's transaction (a problem was found, or there is nothing to add)."""


class _Import:
    """One reading of the file that checks every row and, while no row has a problem, writes the
    calls in chunks with Core INSERTs, in one transaction that is rolled back unless the whole
    file passed: all or nothing.

    Each chunk of :data:`CHUNK` rows is checked against the database (calls already there,
    references, cases, ids of entries, users) before it is written. Problems found in the rows
    themselves come first: as before, the database is only asked about a file whose rows are
    all sound, so its problems are reported only then.
    """

    def __init__(
        self,
        db: Database,
        actor: Actor,
        path: Path,
        fmt: ImportFormat,
        session: Session,
        guidance: _Guidance,
        *,
        write: bool,
    ) -> None:
        self.db, self.actor, self.path, self.fmt = db, actor, path, fmt
        self.session, self.guidance, self.write = session, guidance, write
        self.plan = _Plan()
        self.problems: list[Problem] = []  # in the rows (and the file)
        self.db_problems: list[Problem] = []  # what the database says
        self.now = datetime.now(UTC)
        self.stored_versions: set[str] = set()
        self.placeholder_names: dict[uuid.UUID, str] = {}

    def all_problems(self) -> list[Problem]:
        return self.problems or self.db_problems

    @property
    def writing(self) -> bool:
        return self.write and not self.problems and not self.db_problems

    def run(self) -> None:
        chunk: list[tuple[int, _Decoded]] = []
        for row in _rows(self.path, self.fmt, self.problems, self.db.training):
            self.plan.rows += 1
            decoded, found = _decode(row, self.guidance.text_of)
            if decoded is not None:
                _note_row(self.plan, row.line, decoded, found, self.guidance)
                chunk.append((row.line, decoded))
            self.problems += found
            if len(chunk) == CHUNK:
                self._chunk(chunk)
                chunk = []
        if chunk:
            self._chunk(chunk)
        self.plan.differing.sort()

    # -- one chunk: checked, then written --

    def _chunk(self, chunk: list[tuple[int, _Decoded]]) -> None:
        if self.problems:
            return  # the rows' problems are reported alone; nothing more is written
        plan, session = self.plan, self.session
        ids = [d.data.id for _line, d in chunk]
        existing = set(session.scalars(select(Call.id).where(Call.id.in_(ids))))
        plan.existing |= existing
        by_id = {d.data.id: (line, d) for line, d in chunk}
        if existing:
            for record in calls.read_records(session, select(Call).where(Call.id.in_(existing))):
                line, d = by_id[record.id]
                if not _matches(d, record):
                    plan.differing.append((line, record.reference))
        new = [(line, d) for line, d in chunk if d.data.id not in existing]
        self._check_new(chunk, new)
        if not self.writing:
            return
        self._placeholders()
        self._guidance_versions()
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in calls.IMPORT_TABLES}
        events: list[dict[str, Any]] = []
        cases: list[dict[str, Any]] = []
        for line, d in new:
            if not d.reference or d.data.case_id is None:
                plan.deferred.add(line)  # written last: a number is allocated for it
                continue
            case_id = d.data.case_id
            if case_id not in plan.known_cases:
                cases.append(self._case_row(case_id, plan.case_refs[case_id][0]))
            self._call_rows(d, d.reference, case_id, plan.case_refs[case_id][0], rows, events)
        self._insert(cases, rows, events)

    def _check_new(self, chunk: list[tuple[int, _Decoded]], new: list[tuple[int, _Decoded]]) -> None:
        """What only the database can say about the chunk's calls, as :data:`db_problems`."""
        plan, session, problems = self.plan, self.session, self.db_problems
        new_lines = {line for line, _d in new}
        refs = [d.reference for line, d in new if d.reference and plan.references.get(d.reference) == line]
        if refs:
            for reference, _call_id in session.execute(
                select(Call.reference, Call.id).where(Call.reference.in_(refs))
            ).all():
                problems.append(
                    Problem(
                        plan.references[reference],
                        "reference",
                        "is another call's reference in this database",
                    )
                )
        # Cases this chunk names first (every row of the file, as each one names its case).
        first_seen = {
            d.data.case_id: line
            for line, d in chunk
            if d.data.case_id is not None and plan.case_refs.get(d.data.case_id, ("", 0))[1] == line
        }
        if first_seen:
            stored = dict(
                session.execute(select(Case.id, Case.reference).where(Case.id.in_(first_seen))).all()
            )
            for case_id, line in first_seen.items():
                reference = plan.case_refs[case_id][0]
                if case_id in stored:
                    plan.known_cases.add(case_id)
                    if stored[case_id] != reference:
                        problems.append(
                            Problem(
                                line,
                                "case_reference",
                                f"this case is {stored[case_id]} in this database, not the reference given",
                            )
                        )
            refs_of = {plan.case_refs[case_id][0]: case_id for case_id in first_seen}
            for reference, case_id in session.execute(
                select(Case.reference, Case.id).where(Case.reference.in_(refs_of))
            ).all():
                mine = refs_of[reference]
                if case_id != mine:
                    problems.append(
                        Problem(
                            first_seen[mine], "case_reference", "is another case's reference in this database"
                        )
                    )
        for _line, d in new:
            if d.data.case_id is None:
                plan.fresh_cases += 1
            elif d.data.case_id not in plan.known_cases:
                plan.new_cases.add(d.data.case_id)
        for kind, model in _CHILD_KINDS:
            ids = [
                child_id
                for line, d in new
                for k, _i, child_id in _children(d.data)
                if k == kind and plan.child_ids.get((kind, child_id)) == line and line in new_lines
            ]
            if ids:
                for child_id in session.scalars(select(model.id).where(model.id.in_(ids))):
                    problems.append(
                        Problem(
                            plan.child_ids[(kind, child_id)],
                            kind,
                            f"entry {child_id} is recorded on another call in this database",
                        )
                    )
        unknown = {
            uid for uid in _users_of(chunk) if uid not in plan.known_users and uid not in plan.missing_users
        }
        if unknown:
            found = set(session.scalars(select(User.id).where(User.id.in_(unknown))))
            plan.known_users |= found
            for uid in unknown - found:
                plan.missing_users[uid] = plan.users.get(uid, "")

    # -- writing --

    def _placeholders(self) -> None:
        """Placeholder users for the ids not in the database, before the calls that name them."""
        new = [uid for uid in self.plan.missing_users if uid not in self.placeholder_names]
        if not new:
            return
        for user_id in new:
            name = self.plan.users.get(user_id, "")
            self.placeholder_names[user_id] = name
            self.session.add(_placeholder(user_id, name, self.now))
        self.session.flush()
        for user_id in new:
            audit.record(
                self.session, self.actor, AuditCategory.COLLECTION, "user.create", "user", user_id,
                role=Role.OPERATOR.value, placeholder=True, imported_from=self.path.name,
            )  # fmt: skip
        self.session.flush()

    def _guidance_versions(self) -> None:
        """Guidance texts found in the library, stored before the advice that rests on them."""
        self.plan.library_versions = dict(self.guidance.from_library)
        new = [t for h, t in self.plan.library_versions.items() if h not in self.stored_versions]
        for template in new:
            self.session.add(
                GuidanceVersion(
                    content_hash=template.content_hash,
                    template_id=template.id,
                    template_version=template.version,
                    text=template.text,
                    first_used_at=self.now,
                )
            )
            self.stored_versions.add(template.content_hash)
        if new:
            self.session.flush()

    def _case_row(self, case_id: uuid.UUID, reference: str) -> dict[str, Any]:
        self.plan.known_cases.add(case_id)
        return calls.case_row(
            case_id,
            reference,
            self.plan.case_titles.get(case_id, ""),
            self.now,
            self.actor.user_id,
            is_demo=False,
        )

    def _call_rows(
        self,
        d: _Decoded,
        reference: str,
        case_id: uuid.UUID,
        case_reference: str,
        rows: dict[str, list[dict[str, Any]]],
        events: list[dict[str, Any]],
    ) -> None:
        calls.import_rows(
            d.data,
            reference=reference,
            case_id=case_id,
            handler_id=d.handler_id,
            now=self.now,
            actor_id=self.actor.user_id,
            into=rows,
        )
        events.append(
            audit.event_row(
                self.actor, AuditCategory.COLLECTION, "call.import", "call", d.data.id,
                reference=reference, case=case_reference, file_name=self.path.name,
            )
        )  # fmt: skip
        self.plan.written += 1

    def _insert(
        self, cases: list[dict[str, Any]], rows: dict[str, list[dict[str, Any]]], events: list[dict[str, Any]]
    ) -> None:
        tables = Base.metadata.tables
        bulk.bulk_insert(self.session, tables["cases"], cases)
        for name in calls.IMPORT_TABLES:
            bulk.bulk_insert(self.session, tables[name], rows[name])
        audit.record_many(self.session, events)

    def finish(self, sha256: str) -> None:
        """After the reading: the calls whose numbers are allocated, the file checked unchanged
        and its audit event; raises :class:`_RollBack` when nothing of it may stay."""
        plan = self.plan
        if self.all_problems() or plan.rows == 0 or plan.rows == len(plan.existing):
            raise _RollBack()
        _bump_counters(self.session, plan)  # before any new number is allocated below
        if plan.deferred:
            self._write_deferred()
        for user_id, name in self.placeholder_names.items():
            final = plan.users.get(user_id, "")
            if final != name:  # a later row named the user (an earlier one only pointed at them)
                self.session.execute(
                    update(User)
                    .where(User.id == user_id)
                    .values(display_name=_placeholder_name(user_id, final))
                )
        if plan.written != plan.rows - len(plan.existing) or _file_sha256(self.path) != sha256:
            raise ImportFileChangedError(
                f"{self.path.name} changed while it was imported; nothing was imported"
            )
        _audit_file(self.session, self.actor, self.result(sha256, dry_run=False))

    def _write_deferred(self) -> None:
        """The new calls without a reference, or starting a case of their own: read again and
        written with the numbers the counters give now."""
        plan, session, zone = self.plan, self.session, self.db.zone
        reread: list[Problem] = []
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in calls.IMPORT_TABLES}
        events: list[dict[str, Any]] = []
        cases: list[dict[str, Any]] = []
        for row in _rows(self.path, self.fmt, reread, self.db.training):
            if row.line not in plan.deferred:
                continue
            d, found = _decode(row, self.guidance.text_of)
            if d is None or found:
                raise ImportFileChangedError(
                    f"{self.path.name} changed while it was imported; nothing was imported"
                )
            year = d.data.opened_at.astimezone(zone).year
            case_id = d.data.case_id
            if case_id is None:
                number = references.allocate(session, references.CASE_PREFIX, year)
                case_reference = references.format_reference(references.CASE_PREFIX, year, number)
                case_id = uuid.uuid4()
                plan.case_titles[case_id] = d.data.summary[:SUMMARY_MAX]
                cases.append(self._case_row(case_id, case_reference))
            else:
                case_reference = plan.case_refs[case_id][0]
                if case_id not in plan.known_cases:
                    cases.append(self._case_row(case_id, case_reference))
            reference = d.reference or references.format_reference(
                references.CALL_PREFIX, year, references.allocate(session, references.CALL_PREFIX, year)
            )
            self._call_rows(d, reference, case_id, case_reference, rows, events)
            if len(events) == CHUNK:
                self._insert(cases, rows, events)
                rows = {name: [] for name in calls.IMPORT_TABLES}
                events, cases = [], []
        if reread:
            raise ImportFileChangedError(
                f"{self.path.name} changed while it was imported; nothing was imported"
            )
        self._insert(cases, rows, events)

    def result(self, sha256: str, dry_run: bool) -> ImportResult:
        plan = self.plan
        imported = plan.rows - len(plan.existing)
        return ImportResult(
            path=self.path,
            format=self.fmt,
            sha256=sha256,
            rows=plan.rows,
            imported=imported,
            skipped=len(plan.existing),
            cases_created=len(plan.new_cases) + plan.fresh_cases if imported else 0,
            placeholder_users=len(plan.missing_users) if imported else 0,
            guidance_stored=len(dict(self.guidance.from_library)) if imported else 0,
            dry_run=dry_run,
            differing=tuple(reference for _line, reference in plan.differing),
        )


def _users_of(chunk: list[tuple[int, _Decoded]]) -> Iterator[uuid.UUID]:
    for _line, d in chunk:
        yield d.handler_id
        for r in d.data.routes:
            if r.adviser_id is not None:
                yield r.adviser_id
        for f in d.data.follow_ups:
            if f.assignee_id is not None:
                yield f.assignee_id


def _matches(row: _Decoded, record: CallRecord) -> bool:
    """Whether the database's ``record`` is the call this row describes."""
    return (
        _digest(row.data, row.handler_id) == _digest(record.data, record.handler_id)
        and row.reference in ("", record.reference)
        and row.case_reference in ("", record.case_reference)
    )


def _audit_refused(
    db: Database, actor: Actor, path: Path, fmt: ImportFormat, sha256: str, rows: int, problems: int
) -> None:
    """A file refused for what it holds is audited too: how many problems, never what they quote."""
    with db.write() as session:
        audit.record(
            session, actor, AuditCategory.COMBINATION, "calls.import", "call", "", outcome="refused",
            file_name=path.name, sha256=sha256, format=fmt.value, rows=rows, problems=problems,
        )  # fmt: skip


def _audit_file(session: Session, actor: Actor, result: ImportResult) -> None:
    audit.record(
        session, actor, AuditCategory.COMBINATION, "calls.import", "call", "",
        file_name=result.path.name, sha256=result.sha256, format=result.format.value,
        rows=result.rows, imported=result.imported, skipped=result.skipped, differing=len(result.differing),
        cases_created=result.cases_created, placeholder_users=result.placeholder_users,
        guidance_stored=result.guidance_stored,
    )  # fmt: skip


def _bump_counters(session: Session, plan: _Plan) -> None:
    """Move each reference counter past the highest imported number of its kind and year."""
    highest: dict[tuple[str, int], int] = {}
    wanted = [(ref, references.CALL_PREFIX) for ref in plan.references] + [
        (ref, references.CASE_PREFIX) for ref, _line in plan.case_refs.values()
    ]
    for reference, kind in wanted:
        match = _REFERENCE_RE.match(reference)
        if match is None or match[1] != kind:
            continue  # another system's reference: never the shape this database allocates
        key = (kind, int(match[2]))
        highest[key] = max(highest.get(key, 0), int(match[3]))
    for (kind, year), number in sorted(highest.items()):
        references.reserve_up_to(session, kind, year, number)


def _placeholder_name(user_id: uuid.UUID, name: str) -> str:
    return (name if name.strip() else f"Imported user {str(user_id)[:8]}")[:NAME_MAX]


def _placeholder(user_id: uuid.UUID, name: str, now: datetime) -> User:
    return User(
        id=user_id,
        username=PLACEHOLDER_PREFIX + user_id.hex,
        display_name=_placeholder_name(user_id, name),
        role=Role.OPERATOR,
        password_hash=PLACEHOLDER_PASSWORD_HASH,
        active=False,
        is_demo=False,
        failed_logins=0,
        created_at=now,
    )


def describe(result: ImportResult) -> str:
    """One line for people: what was (or would be) imported."""
    verb = "would import" if result.dry_run else "imported"
    parts = [f"{verb} {result.imported} of {result.rows} call(s)"]
    if result.skipped:
        parts.append(f"{result.skipped} already in the database (left as they are)")
    if result.differing:
        shown = ", ".join(result.differing[:DIFFERING_SHOWN])
        more = len(result.differing) - DIFFERING_SHOWN
        parts.append(
            f"{len(result.differing)} of those differ from the file (an import keeps the database's "
            f"version): {shown}" + (f" and {more} more" if more > 0 else "")
        )
    if result.cases_created:
        parts.append(f"{result.cases_created} new case(s)")
    if result.placeholder_users:
        parts.append(f"{result.placeholder_users} placeholder user(s) that cannot sign in")
    if result.guidance_stored:
        parts.append(f"{result.guidance_stored} guidance version(s) from the library")
    return "; ".join(parts)


__all__ = [
    "ImportFileChangedError",
    "ImportFormat",
    "ImportRefusedError",
    "ImportResult",
    "Problem",
    "describe",
    "import_calls",
]
