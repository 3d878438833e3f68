"""CSV cells of calls straight from the database: the CSV writer's fast path.

:func:`supportline.exports.csv_export.row_cells` makes a call's cells from a
:class:`~supportline.services.call_types.CallRecord`, which
:func:`~supportline.services.calls.read_records` builds from Core rows: every value converted to
its Python type (enumerations, aware datetimes, UUIDs), every child a frozen dataclass, then
turned back into text. For a CSV of every call that round trip is most of the time an export
takes. :func:`iter_cells` makes the same cells from the same rows read *as the driver returns
them* — SQLite's stored text and integers, psycopg's values — with no record in between.

It is a second encoding of a call, kept equal to the first by tests, not by hope:
``tests/core/test_call_cells.py`` checks that every cell equals ``row_cells`` of the record, in
both profiles, on SQLite and PostgreSQL, over the demo generator's calls, hand-made edge cases and
hypothesis-generated ones. A change to the columns or to ``call_codec``'s JSON shapes that is not
made here too fails those tests.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, Final

from sqlalchemy import Dialect, Select, or_, select

from supportline.db import columns, page_ids
from supportline.db.engine import Database
from supportline.db.models import Call, Case, User
from supportline.db.types import parse_stored
from supportline.exports.common import PAGE_SIZE, Pseudonymiser, conditions_for
from supportline.services.call_types import CallQuery
from supportline.services.calls import REASON_SEPARATOR, child_selects

_ENCODE: Final = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode  # as csv_export's
MULTI_SEPARATOR: Final = "; "


def _raw(column: Any) -> Any:
    """``column`` as the driver returns it: no SQLAlchemy conversion on the way out."""
    return page_ids.raw(column).label(column.name)


# --- values as the driver gives them, as the text the record path writes ------------------------


def _sqlite_time(value: str | None) -> str | None:
    """SQLite's stored ``2026-06-14 02:17:31.123456`` (naive UTC) as ``datetime.isoformat`` of the
    aware value writes it: ``2026-06-14T02:17:31.123456+00:00``, no fraction when it is zero."""
    if value is None:
        return None
    if len(value) == 26 and value[10] == " " and value[19] == ".":
        if value.endswith(".000000"):
            return value[:10] + "T" + value[11:19] + "+00:00"
        return value[:10] + "T" + value[11:] + "+00:00"
    return parse_stored(value).isoformat()  # any other stored form: what UTCDateTime would read


def _sqlite_id(value: str | None) -> str | None:
    """SQLite's 32 stored hex digits as ``str(uuid.UUID(...))`` writes them."""
    if value is None:
        return None
    if len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}".lower()
    return str(uuid.UUID(value))


def _postgres_time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _postgres_id(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


class _Dialect:
    """How one driver's raw values become text, and how a page's call ids are bound."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sqlite = name == "sqlite"
        self.time: Callable[[Any], str | None] = _sqlite_time if self.sqlite else _postgres_time
        self.id: Callable[[Any], str | None] = _sqlite_id if self.sqlite else _postgres_id

    def ids(self, keys: Sequence[Any]) -> dict[str, Any]:
        return page_ids.bind(keys, self.name)

    def keyset(self, opened_at: Any, id_: Any) -> tuple[datetime, uuid.UUID]:
        """A row's raw ``opened_at`` and ``id`` as the values the next page's conditions bind."""
        if self.sqlite:
            return parse_stored(opened_at), uuid.UUID(hex=id_)
        return opened_at, id_


# --- the selects -----------------------------------------------------------------------------------

_PAGE: Final = (
    _raw(columns.calls.id),
    _raw(columns.calls.opened_at),
    columns.calls.reference,
    _raw(columns.calls.case_id),
    columns.cases.reference.label("case_reference"),
    _raw(columns.calls.closed_at),
    _raw(columns.calls.status),
    _raw(columns.calls.channel),
    _raw(columns.calls.urgency),
    _raw(columns.calls.consent_level),
    columns.calls.caller_name,
    _raw(columns.calls.caller_agency_type),
    columns.calls.caller_rank,
    columns.calls.caller_organisation,
    columns.calls.caller_collar_number,
    columns.calls.caller_phone,
    columns.calls.caller_email,
    columns.calls.force_area,
    _raw(columns.calls.where_exploited),
    _raw(columns.calls.county_lines),
    _raw(columns.calls.nrm_consent),
    _raw(columns.calls.suspect_may_be_victim),
    _raw(columns.calls.victim_at_scene),
    columns.calls.summary,
    columns.calls.narrative,
    columns.users.display_name,
    _raw(columns.calls.handler_id),
)


class _Compiled:
    """One child select compiled once for the export's database, run on the driver's own cursor:
    its rows are the driver's tuples, with no SQLAlchemy row or conversion per row."""

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self._positional = bool(compiled.positional)
        self._order: tuple[str, ...] = tuple(compiled.positiontup or ())

    def rows(self, driver: Any, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        cursor = driver.cursor()
        try:
            cursor.execute(self.sql, tuple(params[n] for n in self._order) if self._positional else params)
            return list(cursor.fetchall())
        finally:
            cursor.close()


class _Selects:
    """Every child select of a page (``calls.child_selects``, the record path's own), compiled
    once per export. On the driver's cursor SQLAlchemy converts nothing, so their rows come as
    the driver returns them."""

    def __init__(self, sql_dialect: Dialect) -> None:
        selects = child_selects(sql_dialect.name)

        def compiled(statement: Select[Any]) -> _Compiled:
            return _Compiled(statement, sql_dialect)

        self.exploitation_types = compiled(selects.exploitation_types)
        self.indicators = compiled(selects.indicators)
        self.outcomes = compiled(selects.outcomes)
        self.persons = compiled(selects.persons)
        self.nationalities = compiled(selects.nationalities)
        self.languages = compiled(selects.languages)
        self.routes = compiled(selects.routes)
        self.ticks = compiled(selects.ticks)
        self.referrals = compiled(selects.referrals)
        self.follow_ups = compiled(selects.follow_ups)


def _grouped(rows: list[tuple[Any, ...]]) -> dict[Any, list[Any]]:
    groups: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        groups[row[0]].append(row)
    return groups


# --- the cells --------------------------------------------------------------------------------


def _flag(value: Any) -> str:
    return "true" if value else "false"


def _date_text(value: Any) -> str | None:
    """A date column read raw: psycopg gives a date, sqlite3 the ISO text SQLAlchemy stored."""
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def _json(values: list[dict[str, Any]]) -> str:
    return _ENCODE(values) if values else "[]"


def iter_cells(
    db: Database,
    query: CallQuery,
    pseudonym: Pseudonymiser | None = None,
    page_size: int | None = None,
) -> Iterator[list[str]]:
    """The cells of every call the query's filters match, in ``csv_export.COLUMNS`` order,
    before formula neutralisation, oldest call first: ``row_cells`` of each record
    ``iter_records`` gives (pseudonymised with ``pseudonym`` if given), read ``page_size`` calls
    at a time."""
    page_size = page_size or PAGE_SIZE
    dialect = _Dialect(db.dialect)
    selects = _Selects(db.engine.dialect)
    conditions = conditions_for(db, query)
    base = (
        select(*_PAGE)
        .join_from(Call.__table__, Case.__table__, columns.cases.id == columns.calls.case_id)
        .join_from(Call.__table__, User.__table__, columns.users.id == columns.calls.handler_id)
        .where(*conditions)
        .order_by(columns.calls.opened_at, columns.calls.id)
        .limit(page_size)
    )
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        statement = base
        if after is not None:
            at, last_id = after
            statement = base.where(
                columns.calls.opened_at >= at, or_(columns.calls.opened_at > at, columns.calls.id > last_id)
            )
        with db.read() as session:
            connection = session.connection()
            rows = connection.execute(statement).all()
            if not rows:
                return
            driver = connection.connection.driver_connection
            page = _page_cells(driver, selects, dialect, rows, pseudonym)
        yield from page
        if len(rows) < page_size:
            return
        after = dialect.keyset(rows[-1][1], rows[-1][0])


def _page_cells(
    driver: Any,
    selects: _Selects,
    dialect: _Dialect,
    rows: Sequence[Any],
    pseudonym: Pseudonymiser | None,
) -> list[list[str]]:
    """The cells of one page of calls (``rows`` of :data:`_PAGE`)."""
    ids = dialect.ids([row[0] for row in rows])
    time, id_text = dialect.time, dialect.id
    hide: Callable[[str], str] = pseudonym if pseudonym is not None else _same
    free_text = pseudonym is None  # the pseudonymised profile empties every free-text field

    exploitation_types, indicators, outcomes = (
        _grouped(statement.rows(driver, ids))
        for statement in (selects.exploitation_types, selects.indicators, selects.outcomes)
    )
    nationalities = _grouped(selects.nationalities.rows(driver, ids))
    languages = _grouped(selects.languages.rows(driver, ids))
    persons: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for (
        call_key,
        key,
        age_group,
        sex,
        age_disputed,
        interpreter,
        name,
        notes,
        age_years,
        born,
    ) in selects.persons.rows(driver, ids):
        persons[call_key].append(
            {
                "id": id_text(key),
                "age_group": age_group,
                "sex": sex,
                "age_disputed": bool(age_disputed),
                "age_years": age_years,
                "date_of_birth": _date_text(born),
                "nationalities": [r[1] for r in nationalities.get(key, ())],
                "languages": [r[1] for r in languages.get(key, ())],
                "interpreter_needed": bool(interpreter),
                "name": hide(name),
                "notes": notes if free_text else "",
            }
        )
    ticks = _grouped(selects.ticks.rows(driver, ids))
    routes: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    chosen_routes: dict[Any, list[str]] = defaultdict(list)
    for (
        call_key, key, route, chosen, suggested, reasons, template_id, template_hash, adviser_id,
        advice_summary, closed_at,
    ) in selects.routes.rows(driver, ids):  # fmt: skip
        routes[call_key].append(
            {
                "route": route,
                "chosen": bool(chosen),
                "suggested": bool(suggested),
                "suggestion_reasons": [x for x in reasons.split(REASON_SEPARATOR) if x],
                "template_id": template_id,
                "template_hash": template_hash,
                "adviser_id": id_text(adviser_id),
                "advice_summary": advice_summary if free_text else "",
                "checklist": [
                    {
                        "item_id": item_id,
                        "state": state,
                        "at": time(at),
                        "skip_reason": skip_reason if free_text else "",
                    }
                    for _, item_id, state, at, skip_reason in ticks.get(key, ())
                ],
                "closed_at": time(closed_at),
            }
        )
        if chosen:
            chosen_routes[call_key].append(route)
    referrals: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for call_key, key, target, organisation, reference, made_at, notes in selects.referrals.rows(driver, ids):
        referrals[call_key].append(
            {
                "id": id_text(key),
                "target": target,
                "organisation": organisation,
                "reference": hide(reference),
                "made_at": time(made_at),
                "notes": notes if free_text else "",
            }
        )
    follow_ups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for call_key, key, due_at, note, assignee_id, done_at, status in selects.follow_ups.rows(driver, ids):
        follow_ups[call_key].append(
            {
                "id": id_text(key),
                "due_at": time(due_at),
                "note": note if free_text else "",
                "assignee_id": id_text(assignee_id),
                "done_at": time(done_at),
                "status": status,
            }
        )

    def joined(groups: dict[Any, list[Any]], key: Any) -> str:
        return MULTI_SEPARATOR.join(sorted(r[1] for r in groups.get(key, ())))

    page = []
    for (
        key, opened_at, reference, case_id, case_reference, closed_at, status, channel, urgency,
        consent_level, caller_name, agency_type, rank, organisation, collar_number, phone, email,
        force_area, where_exploited, county_lines, nrm_consent, suspect_may_be_victim, victim_at_scene,
        summary, narrative, handler_name, handler_id,
    ) in rows:  # fmt: skip
        page.append(
            [
                id_text(key),
                reference,
                id_text(case_id) or "",
                case_reference,
                time(opened_at),
                time(closed_at) or "",
                status,
                channel,
                urgency,
                consent_level,
                hide(caller_name),
                agency_type,
                rank,
                organisation,
                hide(collar_number),
                hide(phone),
                hide(email),
                force_area,
                where_exploited,
                _flag(county_lines),
                nrm_consent or "",
                _flag(suspect_may_be_victim),
                _flag(victim_at_scene),
                joined(exploitation_types, key),
                joined(indicators, key),
                joined(outcomes, key),
                MULTI_SEPARATOR.join(sorted(chosen_routes.get(key, ()))),
                summary if free_text else "",
                narrative if free_text else "",
                hide(handler_name),
                _json(persons.get(key, [])),
                _json(routes.get(key, [])),
                _json(referrals.get(key, [])),
                _json(follow_ups.get(key, [])),
                id_text(handler_id),
            ]
        )
    return page


def _same(value: str) -> str:
    return value
