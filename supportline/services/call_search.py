"""Finding calls: the search box's text, the list's filters and sorts, as SQL on both dialects.

Text goes through the full-text index of migration 0002 (FTS5 on SQLite, a GIN-indexed tsvector on
PostgreSQL). What a person types is never query syntax: it is cut into words at white space, each
word becomes a quoted phrase (SQLite) or a chain of quoted lexemes (PostgreSQL), every word must
match and the last one is a prefix (from its second letter), so results come as they type. A
query that looks like a phone number is also matched against the stored, normalised phone.

Pages are found as ids first (an index walk, no table rows), then the page's rows are read by id:
a deep OFFSET never reads the rows it skips. Enumerations and the handler sort in a meaningful
order rather than by their stored value, one segment (value) at a time, so each segment still
walks an index in order.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    case,
    column,
    exists,
    extract,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import UnaryExpression

from supportline.db.engine import LOCAL_HOUR_FUNCTION
from supportline.db.local_hours import sqlite_local_hour
from supportline.db.models import Call, CallExploitationType, CallOutcome, Case, RouteAdvice, User
from supportline.enums import AgencyType, CallStatus, ExploitationType, Urgency
from supportline.services.call_types import CallQuery, CallSummary, SortKey

# Up to this many matches the text search leads (match set -> rows -> sort); beyond it the list's
# sort index leads and each row is checked against the match set. Measured on 1,000,000 calls: the
# leading match set costs some 5 us a match, a walk of the whole sort index some 50 ms at worst.
SMALL_MATCH = 2_000
# In time order (the default), the first pages are looked for window by window: WINDOWS windows
# of WINDOW_ROWS calls (or ten times the page), for pages up to WINDOW_MAX deep (_windowed_ids).
WINDOWS = 2
WINDOW_ROWS = 2_000
WINDOW_FACTOR = 10
WINDOW_MAX = 5_000
WINDOW_SPREAD = 20
#: The last word typed is a prefix once its last part has this many characters.
PREFIX_MIN = 2
#: A typed phone number needs this many digits before it is compared with stored numbers.
PHONE_MIN_DIGITS = 5

_PHONE_LIKE = re.compile(r"\+?[\d\s\-./()]+")
_CJK = re.compile(
    "[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]"
)
_COMBINING_LATIN = re.compile("[\u0300-\u036f]")
_NOT_WORD = re.compile(r"[\W_]+")
_UNSENDABLE = re.compile("[\x00\ud800-\udfff]")


# --- what a person typed ------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchText:
    """The search box's text, cut into words; ``words`` keep only those with a letter or digit."""

    words: tuple[str, ...]
    phone_digits: str  # "447700900" for "07700 900…": a prefix of the stored phone's digits, or ""

    @property
    def is_empty(self) -> bool:
        return not self.words and not self.phone_digits

    @property
    def cjk_words(self) -> tuple[str, ...]:
        return tuple(w for w in self.words if _CJK.search(w))

    @property
    def plain_words(self) -> tuple[str, ...]:
        return tuple(w for w in self.words if not _CJK.search(w))


def parse(raw: str) -> SearchText:
    # NUL and lone surrogates cannot reach either database: they separate words like any symbol.
    text_ = _UNSENDABLE.sub(" ", raw)
    words = tuple(w for w in text_.split() if any(ch.isalnum() for ch in w))
    return SearchText(words=words, phone_digits=_phone_digits(text_))


def _phone_digits(raw: str) -> str:
    """The digits a stored number would start with, if ``raw`` looks like (part of) a phone number."""
    value = raw.strip()
    if not _PHONE_LIKE.fullmatch(value):
        return ""
    value = value.replace("(0)", "")
    digits = re.sub(r"\D", "", value)
    if len(digits) < PHONE_MIN_DIGITS:
        return ""
    if value.startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    if digits.startswith("0"):
        return "44" + digits[1:]
    return digits


def fold(value: str) -> str:
    """What PostgreSQL's index sees (migration 0002): lower case, no Latin diacritics."""
    return _COMBINING_LATIN.sub("", unicodedata.normalize("NFD", value.lower()))


def _prefix_worthy(word: str) -> bool:
    """A prefix of one letter or digit matches most calls and tells nothing: it must match whole."""
    tokens = [t for t in _NOT_WORD.split(word) if t]
    return bool(tokens) and (len(tokens[-1]) >= PREFIX_MIN or bool(_CJK.search(tokens[-1])))


def _fts5_phrase(word: str, prefix: bool) -> str:
    return '"' + word.replace('"', '""') + '"' + (" *" if prefix and _prefix_worthy(word) else "")


def _tsquery_word(word: str, prefix: bool) -> str:
    """A word as adjacent lexemes; each is letters and digits only, so quoting it is safe."""
    lexemes = [f"'{t}'" for t in _NOT_WORD.split(fold(word)) if t]
    if lexemes and prefix and _prefix_worthy(word):
        lexemes[-1] += ":*"
    return " <-> ".join(lexemes)


def _join(parts: Sequence[str], operator: str) -> str:
    return operator.join(f"({p})" for p in parts if p)


def sqlite_match(words: Sequence[str], last_is_prefix: bool, phone_digits: str = "") -> str:
    """An FTS5 query: every word a quoted phrase (so nothing typed is syntax), all of them required."""
    phrases = [_fts5_phrase(w, last_is_prefix and i == len(words) - 1) for i, w in enumerate(words)]
    query = " AND ".join(phrases)
    if phone_digits:
        phone = f'caller_phone : "{phone_digits}" *'
        query = f"({query}) OR ({phone})" if query else phone
    return query


def pg_tsquery(words: Sequence[str], last_is_prefix: bool, phone_digits: str = "") -> str:
    """A to_tsquery('simple', …) text of quoted lexemes: typed operators are plain text."""
    query = _join(
        [_tsquery_word(w, last_is_prefix and i == len(words) - 1) for i, w in enumerate(words)], " & "
    )
    if phone_digits:
        phone = f"'{phone_digits}':*A"
        query = f"({query}) | {phone}" if query else phone
    return query


# --- SQL conditions -----------------------------------------------------------------------------


_CALLS_FTS = table("calls_fts", column("rowid"))
_SEARCH_VECTOR: ColumnElement[Any] = literal_column("calls.search_vector")


def _tsquery(query: str) -> ColumnElement[Any]:
    return func.to_tsquery(literal_column("'simple'"), literal(query))


def _fts_match(query: str) -> ColumnElement[bool]:
    return literal_column("calls_fts").bool_op("MATCH")(literal(query))


def _matches(dialect: str, query: str, *, lead: bool) -> ColumnElement[bool]:
    """The calls the full-text ``query`` matches (already built: never raw user text)."""
    if dialect == "postgresql":
        return _SEARCH_VECTOR.bool_op("@@")(_tsquery(query))
    match_set = select(_CALLS_FTS.c.rowid).where(_fts_match(query))
    # "+" keeps SQLite from leading with the match set where the sort index should lead.
    return literal_column("calls.rowid" if lead else "+calls.rowid").in_(match_set)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def text_conditions(dialect: str, search: SearchText, *, lead: bool) -> list[ColumnElement[bool]]:
    """Conditions every matching call meets; empty when nothing searchable was typed."""
    builder = pg_tsquery if dialect == "postgresql" else sqlite_match
    conditions: list[ColumnElement[bool]] = []
    last = search.words[-1] if search.words else ""
    last_is_plain = bool(last) and not _CJK.search(last)
    main = builder(search.plain_words, last_is_prefix=last_is_plain, phone_digits=search.phone_digits)
    if main:
        conditions.append(_matches(dialect, main, lead=lead))
    # Neither tokenizer splits Chinese or Japanese into words: a name typed in part still
    # matches the caller's name by substring.
    for word in search.cjk_words:
        query = builder([word], last_is_prefix=not last_is_plain and word == last)
        alternatives: list[ColumnElement[bool]] = [
            Call.caller_name.like(f"%{_escape_like(word)}%", escape="\\")
        ]
        if query:
            alternatives.insert(0, _matches(dialect, query, lead=lead))
        conditions.append(or_(*alternatives))
    return conditions


def _many_matches(session: Session, search: SearchText) -> bool:
    """SQLite: do the plain words match SMALL_MATCH calls or more?

    Asked first with the last word whole, which is cheap even for a word most calls contain; then,
    only if that found few, as a prefix (a short prefix of common words merges many terms).
    """
    asked = ""
    for prefix in (False, True):
        query = sqlite_match(search.plain_words, prefix, search.phone_digits)
        if query and query != asked:
            found = select(_CALLS_FTS.c.rowid).where(_fts_match(query)).limit(SMALL_MATCH).subquery()
            if (session.scalar(select(func.count()).select_from(found)) or 0) >= SMALL_MATCH:
                return True
        asked = query
    return False


# --- filters and sorts ----------------------------------------------------------------------------


def local_hour(dialect: str, zone: ZoneInfo, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """The hour of day (0-23) in ``zone`` of a stored time: PostgreSQL converts the time itself;
    on SQLite, which has no time zones, it is SQL over the zone's table of UTC offsets
    (``db.local_hours``), with no Python function called per row."""
    if dialect == "sqlite":
        return sqlite_local_hour(column, zone, LOCAL_HOUR_FUNCTION)
    return extract("hour", func.timezone(zone.key, column))


def local_hour_condition(dialect: str, zone: ZoneInfo, hour: int) -> ColumnElement[bool]:
    """Calls opened in local hour ``hour`` (0-23) in ``zone``, whatever the offset that day."""
    if not 0 <= hour <= 23:
        raise ValueError(f"an hour of day is 0-23, not {hour}")
    return local_hour(dialect, zone, Call.opened_at.expression) == hour


def filter_conditions(
    query: CallQuery, dialect: str | None = None, zone: ZoneInfo | None = None
) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the query's filters (not its text). ``dialect`` and ``zone`` (the
    line's) are needed for the hour-of-day filter only."""
    conditions: list[ColumnElement[bool]] = []
    if query.opened_hour is not None:
        if dialect is None or zone is None:
            raise ValueError("the hour-of-day filter needs the database's dialect and time zone")
        conditions.append(local_hour_condition(dialect, zone, query.opened_hour))
    if query.opened_from is not None:
        conditions.append(Call.opened_at >= query.opened_from)
    if query.opened_to is not None:
        conditions.append(Call.opened_at < query.opened_to)
    if query.status is not None:
        conditions.append(Call.status == query.status)
    if query.urgency is not None:
        conditions.append(Call.urgency == query.urgency)
    if query.agency_type is not None:
        conditions.append(Call.caller_agency_type == query.agency_type)
    if query.force_area:
        conditions.append(Call.force_area == query.force_area)
    if query.handler_id is not None:
        conditions.append(Call.handler_id == query.handler_id)
    if query.exploitation_type is not None:
        recorded: ColumnElement[bool] = exists().where(
            CallExploitationType.call_id == Call.id,
            CallExploitationType.value == query.exploitation_type,
        )
        if query.exploitation_type == ExploitationType.UNKNOWN:
            # "Unknown" is also a call with no type recorded, as the figures count it.
            recorded = or_(recorded, ~exists().where(CallExploitationType.call_id == Call.id))
        conditions.append(recorded)
    if query.outcome is not None:
        conditions.append(exists().where(CallOutcome.call_id == Call.id, CallOutcome.value == query.outcome))
    if query.route is not None:
        conditions.append(
            exists().where(
                RouteAdvice.call_id == Call.id, RouteAdvice.route == query.route, RouteAdvice.chosen.is_(True)
            )
        )
    return conditions


_COLUMN_SORTS: dict[SortKey, Any] = {
    SortKey.OPENED: None,
    SortKey.REFERENCE: Call.reference,
    SortKey.CALLER: Call.caller_name,
    SortKey.FORCE_AREA: Call.force_area,
}
_ENUM_SORTS: dict[SortKey, tuple[Any, tuple[Any, ...]]] = {
    SortKey.URGENCY: (Call.urgency, tuple(Urgency)),
    SortKey.STATUS: (Call.status, tuple(CallStatus)),
    SortKey.AGENCY: (Call.caller_agency_type, tuple(AgencyType)),
}


def _directed(columns: Sequence[Any], descending: bool) -> list[UnaryExpression[Any]]:
    return [c.desc() if descending else c.asc() for c in columns]


def _then_by_time(descending: bool) -> list[UnaryExpression[Any]]:
    return _directed((Call.opened_at, Call.id), descending)


def _segments(session: Session, sort: SortKey) -> tuple[Any, list[Any]]:
    """The column a segmented sort splits on, and its values in ascending order."""
    if sort is SortKey.HANDLER:
        return Call.handler_id, list(session.scalars(select(User.id).order_by(User.display_name, User.id)))
    column, values = _ENUM_SORTS[sort]
    return column, list(values)


def _direct_order(statement: Select[Any], sort: SortKey, descending: bool) -> Select[Any]:
    """The whole order in one ORDER BY: for a small match set, sorted after it is found."""
    if sort in _COLUMN_SORTS:
        column = _COLUMN_SORTS[sort]
        if sort is SortKey.REFERENCE:
            return statement.order_by(*_directed((Call.reference,), descending))
        first = [column] if column is not None else []
        return statement.order_by(*_directed(first, descending), *_then_by_time(descending))
    if sort is SortKey.HANDLER:
        statement = statement.join(User, User.id == Call.handler_id)
        return statement.order_by(
            *_directed((User.display_name, User.id), descending), *_then_by_time(descending)
        )
    column, values = _ENUM_SORTS[sort]
    rank = case({v: i for i, v in enumerate(values)}, value=column)
    return statement.order_by(*_directed((rank,), descending), *_then_by_time(descending))


def page_ids(
    session: Session,
    dialect: str,
    query: CallQuery,
    search: SearchText,
    offset: int,
    limit: int,
    zone: ZoneInfo | None = None,
) -> list[uuid.UUID]:
    """The ids of calls [offset, offset + limit) of the query's order."""
    conditions = filter_conditions(query, dialect, zone)
    lead = False
    if not search.is_empty and dialect == "sqlite":
        lead = bool(search.cjk_words) or not _many_matches(session, search)
        if not lead and query.sort is SortKey.OPENED and offset + limit <= WINDOW_MAX:
            found = _windowed_ids(session, conditions, query, search, offset, limit)
            if found is not None:
                return found
    if not search.is_empty:
        conditions += text_conditions(dialect, search, lead=lead)
    base = select(Call.id).where(*conditions)
    if lead or query.sort in _COLUMN_SORTS:
        statement = _direct_order(base, query.sort, query.descending).offset(offset).limit(limit)
        return list(session.scalars(statement))
    return _segmented_ids(session, base, conditions, query, offset, limit)


def _windowed_ids(
    session: Session,
    conditions: list[ColumnElement[bool]],
    query: CallQuery,
    search: SearchText,
    offset: int,
    limit: int,
) -> list[uuid.UUID] | None:
    """SQLite, in time order: walk the list a window at a time, asking the index only about each
    window's range of rowids; None when that did not find the page (the caller then builds the
    whole match set).

    Calls are stored in the order they were logged, so a window of the time order is a short
    range of rowids, and the index answers for a range without building the match set (a million
    rowids for "police"). Exact whatever the order of rowids, but only worth it for words many
    calls contain (asked only then): gives up after WINDOWS windows, or when rowids spread.
    """
    match = sqlite_match(search.plain_words, True, search.phone_digits)
    if not match:
        return None
    rowid: ColumnElement[Any] = literal_column("calls.rowid")
    need = offset + limit
    size = max(WINDOW_ROWS, WINDOW_FACTOR * need)
    walk = select(rowid).select_from(Call).where(*conditions).order_by(*_then_by_time(query.descending))
    found: list[int] = []
    for number in range(WINDOWS):
        window = list(session.scalars(walk.offset(number * size).limit(size)))
        if window:
            low, high = min(window), max(window)
            if high - low > WINDOW_SPREAD * len(window):
                return None
            in_range = _CALLS_FTS.c.rowid.between(low, high)
            hits = set(session.scalars(select(_CALLS_FTS.c.rowid).where(_fts_match(match), in_range)))
            found += [r for r in window if r in hits]
        if len(found) >= need or len(window) < size:
            page = found[offset:need]
            ids: dict[int, uuid.UUID] = {
                row[0]: row[1] for row in session.execute(select(rowid, Call.id).where(rowid.in_(page)))
            }
            return [ids[r] for r in page]
    return None


def _segmented_ids(
    session: Session,
    base: Select[Any],
    conditions: list[ColumnElement[bool]],
    query: CallQuery,
    offset: int,
    limit: int,
) -> list[uuid.UUID]:
    """Page through the segments (one per value, in order), each in time order on its own index."""
    column, values = _segments(session, query.sort)
    if query.descending:
        values.reverse()
    ids: list[uuid.UUID] = []
    skip = offset
    for value in values:
        if skip:
            in_segment = session.scalar(
                select(func.count()).select_from(Call).where(*conditions, column == value)
            )
            if (in_segment or 0) <= skip:
                skip -= in_segment or 0
                continue
        statement = (
            base.where(column == value)
            .order_by(*_then_by_time(query.descending))
            .offset(skip)
            .limit(limit - len(ids))
        )
        ids.extend(session.scalars(statement))
        skip = 0
        if len(ids) >= limit:
            break
    return ids


def count(
    session: Session, dialect: str, query: CallQuery, search: SearchText, zone: ZoneInfo | None = None
) -> int:
    conditions = filter_conditions(query, dialect, zone)
    if not search.is_empty:
        if dialect == "sqlite" and not conditions and not search.cjk_words:
            # The index alone knows how many calls match (every indexed row is a call).
            match = sqlite_match(search.plain_words, True, search.phone_digits)
            if match:
                found = select(func.count()).select_from(_CALLS_FTS).where(_fts_match(match))
                return int(session.scalar(found) or 0)
        conditions += text_conditions(dialect, search, lead=True)
    return int(session.scalar(select(func.count()).select_from(Call).where(*conditions)) or 0)


# --- rows ---------------------------------------------------------------------------------------


def summaries(session: Session, ids: Sequence[uuid.UUID]) -> list[CallSummary]:
    """The list rows of ``ids``, in that order."""
    if not ids:
        return []
    rows = session.execute(
        select(
            Call.id,
            Call.reference,
            Call.opened_at,
            Call.closed_at,
            Call.status,
            Call.urgency,
            Call.caller_name,
            Call.caller_agency_type,
            Call.caller_organisation,
            Call.force_area,
            Call.summary,
            User.display_name,
            Call.case_id,
            Case.reference,
            Call.caller_collar_number,
            Call.caller_phone,
        )
        .join(User, User.id == Call.handler_id)
        .join(Case, Case.id == Call.case_id)
        .where(Call.id.in_(ids))
    ).all()
    routes: dict[uuid.UUID, list[Any]] = {}
    for call_id, route in session.execute(
        select(RouteAdvice.call_id, RouteAdvice.route)
        .where(RouteAdvice.call_id.in_(ids), RouteAdvice.chosen.is_(True))
        .order_by(RouteAdvice.call_id, RouteAdvice.position)
    ):
        routes.setdefault(call_id, []).append(route)
    by_id = {
        r[0]: CallSummary(
            id=r[0],
            reference=r[1],
            opened_at=r[2],
            closed_at=r[3],
            status=r[4],
            urgency=r[5],
            caller_name=r[6],
            caller_agency_type=r[7],
            caller_organisation=r[8],
            force_area=r[9],
            summary=r[10],
            handler_name=r[11],
            routes=tuple(routes.get(r[0], ())),
            case_id=r[12],
            case_reference=r[13],
            caller_collar_number=r[14],
            caller_phone=r[15],
        )
        for r in rows
    }
    return [by_id[i] for i in ids if i in by_id]


# --- the same officer's earlier calls -------------------------------------------------------------


def collar_condition(dialect: str, collar: str) -> ColumnElement[bool]:
    """The collar number exactly, ignoring case; found through the full-text index when it has words."""
    exact = func.lower(Call.caller_collar_number) == func.lower(collar)
    if not any(ch.isalnum() for ch in collar):
        return Call.caller_collar_number == collar
    if dialect == "postgresql":
        query = pg_tsquery([collar], last_is_prefix=False)
    else:
        query = "caller_collar_number : " + _fts5_phrase(collar, prefix=False)
    if not query:
        return exact
    return _matches(dialect, query, lead=True) & exact
