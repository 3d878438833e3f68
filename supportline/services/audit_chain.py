"""The audit trail as evidence: a SHA-256 hash chain over the audit events, checked by ``verify``.

Each event stores ``event_hash = SHA-256(canonical content of the event, prev_hash)`` where
``prev_hash`` is the ``event_hash`` of the event inserted just before it (``GENESIS_HASH`` for
the first). The chain order is the insertion order, which is the order of ``id``; ids need not
be consecutive (a rolled-back insert leaves a gap) and are not part of the hash.

Every new :class:`AuditEvent` of a session is chained just before it is flushed (a
``before_flush`` listener), so every writer — ``audit.record`` or a plain ``session.add`` —
takes its place in the chain. Writers must never insert audit rows with their own Core
statements: :func:`insert_events` (the bulk path) chains many rows and inserts them in one.

Taking a place safely:

- SQLite: ``db.write()`` begins ``IMMEDIATE``: the writer holds the database's write lock from
  the start, so nobody can insert between reading the head and inserting after it.
- PostgreSQL: a transaction-level advisory lock (``pg_advisory_xact_lock``) is taken before the
  head is read and held to the commit, so concurrent writers queue for the head one at a time.
  The head is read in a statement *after* the one that took the lock (a READ COMMITTED
  statement sees what was committed when it began). The wait is bounded by ``lock_timeout``.

``verify`` walks the chain in pages of ids (constant memory) and reports the first event that
was altered, removed, inserted or reordered. An *anchor* (the head hash, stored elsewhere by the
organisation) proves that nothing before it has changed: SHA-256 makes it infeasible to build
another chain of events ending in the same hash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import operator
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Connection, event, insert, select, text
from sqlalchemy.orm import Session, UOWTransaction
from sqlalchemy.orm import attributes as orm_attributes

from supportline.db import roles
from supportline.db.engine import Database
from supportline.db.models import AuditEvent, Base
from supportline.enums import AuditCategory
from supportline.services.actor import Actor, Permission

log = logging.getLogger(__name__)

#: ``prev_hash`` of the first event of a trail.
GENESIS_HASH = "0" * 64
#: Which canonical form the hashes are of (the first element of every hashed document).
CHAIN_VERSION = 1
HASH_RE = re.compile(r"^[0-9a-f]{64}$")

#: First key of the two-key advisory lock; the second is the audit table's oid, so that two
#: schemas of one server (one per test session, or per organisation) do not queue for each other.
ADVISORY_LOCK_CLASS = 0x5A11
#: How long a writer waits for its place in the chain before the action fails (PostgreSQL).
LOCK_TIMEOUT = "15s"
#: Rows read per page by ``verify``.
PAGE = 2000

# The triggers that make the table append-only in the database (migration 0005 creates them).
SQLITE_TRIGGERS = ("audit_events_no_update", "audit_events_no_delete")
POSTGRESQL_TRIGGERS = ("audit_events_append_only", "audit_events_no_truncate")

_HASHED_COLUMNS = (
    "at",
    "actor_id",
    "actor_name",
    "workstation",
    "category",
    "action",
    "record_type",
    "record_id",
    "outcome",
    "details",
)


# --- the canonical content and its hash ----------------------------------------------------------


def _text_of(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            value = value.replace(tzinfo=UTC)  # as SQLite hands it over: naive UTC
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


_hashed_of = operator.attrgetter(*_HASHED_COLUMNS)


def canonical(values: dict[str, Any] | Any, prev_hash: str) -> bytes:
    """The bytes that are hashed: the chain version, every stored column but ``id`` and the two
    hashes, then ``prev_hash``, as a compact JSON array (fixed order, no key sorting needed).

    ``values`` is a mapping or an object with the columns as attributes (a model or a row).
    """
    fields = (
        tuple(values.get(name) for name in _HASHED_COLUMNS)
        if isinstance(values, dict)
        else _hashed_of(values)
    )
    document: list[object] = [CHAIN_VERSION]
    document.extend(value if type(value) is str else _text_of(value) for value in fields)
    document.append(prev_hash)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def event_hash(values: dict[str, Any] | Any, prev_hash: str) -> str:
    return hashlib.sha256(canonical(values, prev_hash)).hexdigest()


# --- writing: every new event takes its place at the head ------------------------------------------


def lock_and_read_head(conn: Connection) -> str:
    """Hold the chain for this transaction (PostgreSQL) and return the head hash."""
    if conn.dialect.name == "postgresql":
        # The subquery in FROM runs first: the wait for the lock is already bounded.
        conn.execute(
            text(
                "SELECT pg_advisory_xact_lock(:lock_class, 'audit_events'::regclass::oid::int) "
                "FROM (SELECT set_config('lock_timeout', :timeout, true)) AS bounded"
            ),
            {"timeout": LOCK_TIMEOUT, "lock_class": ADVISORY_LOCK_CLASS},
        )
    head = conn.execute(
        select(AuditEvent.event_hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    return head or GENESIS_HASH


_HELD_HEAD = "supportline_audit_chain_head"


def run_then_hold(session: Session, statement: str, *, before: str = "") -> Any:
    """PostgreSQL: run ``before`` (literal SQL whose result is not wanted, if any) and
    ``statement`` (literal SQL with no parameters: one row back), then take the chain's lock and
    read its head, all in one round trip; return the statement's row.

    The three are one query of three statements, and each statement of a query takes its own
    snapshot, so the head is read after the lock is held, as :func:`lock_and_read_head` does.
    The head is kept for this transaction's next flush of audit events, which then has neither
    to wait for the lock nor to read the head again: a new call's save holds the locks every
    save waits for across two round trips less (``calls.save_call``)."""
    lock = f"""SELECT pg_advisory_xact_lock({int(ADVISORY_LOCK_CLASS)}, 'audit_events'::regclass::oid::int)
        FROM (SELECT set_config('lock_timeout', '{LOCK_TIMEOUT}', true)) AS bounded"""  # noqa: S608
    head = "SELECT event_hash FROM audit_events ORDER BY id DESC LIMIT 1"
    query = f"{before};\n{statement};\n{lock};\n{head}" if before else f"{statement};\n{lock};\n{head}"
    cursor = session.connection().exec_driver_sql(query).cursor
    if before:
        cursor.nextset()
    row = cursor.fetchone()
    cursor.nextset()
    cursor.nextset()
    newest = cursor.fetchone()
    session.info[_HELD_HEAD] = (session.get_transaction(), newest[0] if newest else GENESIS_HASH)
    return row


def _head_for(session: Session) -> str:
    """The head to chain this session's next events to: the one :func:`run_then_hold` locked
    and read in this transaction (once: nothing has been chained since), or locked and read now."""
    held = session.info.pop(_HELD_HEAD, None)
    if held is not None and held[0] is session.get_transaction():
        return str(held[1])
    return lock_and_read_head(session.connection())


@event.listens_for(Session, "before_flush")
def _chain_new_events(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    new = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if not new:
        return
    # The unit of work inserts the objects of one class in the order they were added.
    new.sort(key=lambda obj: orm_attributes.instance_state(obj).insert_order or 0)
    prev = _head_for(session)
    for obj in new:
        if obj.outcome is None:
            obj.outcome = "allowed"
        for name in ("workstation", "record_type", "record_id"):
            if getattr(obj, name) is None:
                setattr(obj, name, "")
        if obj.details is None:
            obj.details = "{}"
        obj.prev_hash = prev
        obj.event_hash = event_hash(obj, prev)
        prev = obj.event_hash


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (every column but ``id`` and the two hashes) as new events at the head, in
    their order, with one Core INSERT: events already added to the session are flushed (and
    chained) first, then the head is read under the chain's lock and each row chained to the one
    before. A multi-row INSERT assigns ids in the rows' order, which is the chain's order."""
    if not rows:
        return
    session.flush()
    prev = _head_for(session)
    for row in rows:
        row["prev_hash"] = prev
        prev = row["event_hash"] = event_hash(row, prev)
    session.execute(insert(Base.metadata.tables["audit_events"]), rows)


# --- reading the head, anchoring -------------------------------------------------------------------


@dataclass(frozen=True)
class Head:
    event_id: int
    event_hash: str
    at: datetime


def head(db: Database) -> Head | None:
    """The newest event of the chain (``None`` for an empty trail)."""
    with db.read() as session:
        row = session.execute(
            select(AuditEvent.id, AuditEvent.event_hash, AuditEvent.at)
            .order_by(AuditEvent.id.desc())
            .limit(1)
        ).first()
    return Head(row.id, row.event_hash, row.at) if row is not None else None


# --- verifying ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainBreak:
    """The first place where the chain is not what was written."""

    event_id: int
    kind: str  # "altered" | "removed" | "inserted" | "reordered" | "anchor"
    message: str


@dataclass(frozen=True)
class VerifyReport:
    events: int
    head_id: int | None
    head_hash: str
    anchor: str | None = None
    anchor_event_id: int | None = None
    broken: ChainBreak | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


_COLUMNS = (
    AuditEvent.id,
    AuditEvent.prev_hash,
    AuditEvent.event_hash,
    *(getattr(AuditEvent, name) for name in _HASHED_COLUMNS),
)


def _rows(conn: Connection, page: int) -> Iterator[Any]:
    """Every event in id order, read a page at a time (keyset: the memory used does not grow)."""
    last: int | None = None
    while True:
        query = select(*_COLUMNS).order_by(AuditEvent.id).limit(page)
        if last is not None:
            query = query.where(AuditEvent.id > last)
        rows = conn.execute(query).all()
        yield from rows
        if len(rows) < page:
            return
        last = rows[-1].id


def _with_next(rows: Iterator[Any]) -> Iterator[tuple[Any, Any | None]]:
    current = next(rows, None)
    while current is not None:
        following = next(rows, None)
        yield current, following
        current = following


def verify(db: Database, anchor: str | None = None, *, page: int = PAGE) -> VerifyReport:
    """Walk the whole chain; the first break, if any, and whether ``anchor`` is in the chain.

    Reads in pages of ``page`` events: memory does not depend on the length of the trail.
    """
    if anchor is not None and not HASH_RE.match(anchor):
        raise ValueError("an anchor is the 64 hexadecimal digits `supportline audit anchor` printed")
    count = 0
    expected = GENESIS_HASH  # the hash the next event must link to
    before_previous = ""  # the hash the previous event linked to
    previous_id: int | None = None
    anchor_id: int | None = None
    broken: ChainBreak | None = None
    with db.engine.connect() as conn:
        for row, following in _with_next(_rows(conn, page)):
            count += 1
            broken = _check(conn, row, following, expected, before_previous, previous_id)
            if broken is not None:
                break
            if anchor is not None and anchor_id is None and row.event_hash == anchor:
                anchor_id = row.id
            before_previous, expected, previous_id = row.prev_hash, row.event_hash, row.id
        conn.rollback()
    if broken is None and anchor is not None and anchor_id is None:
        broken = ChainBreak(
            previous_id or 0,
            "anchor",
            f"the anchor {anchor[:12]}… is not in the chain: the event it names, or one before it, "
            "was altered or removed (or the anchor is from another database)",
        )
    return VerifyReport(
        events=count,
        head_id=previous_id,
        head_hash=expected,
        anchor=anchor,
        anchor_event_id=anchor_id,
        broken=broken,
    )


def _check(
    conn: Connection,
    row: Any,
    following: Any | None,
    expected: str,
    before_previous: str,
    previous_id: int | None,
) -> ChainBreak | None:
    after = f"after event {previous_id}" if previous_id is not None else "at the start of the trail"
    content_ok = event_hash(row, row.prev_hash) == row.event_hash
    if content_ok and row.prev_hash == expected:
        return None
    if content_ok and following is not None and row.prev_hash == following.event_hash:
        return ChainBreak(
            row.id,
            "reordered",
            f"events {row.id} and {following.id} were swapped: event {row.id} follows {following.id} "
            "in the chain",
        )
    # The next event links to the one before this: this one was put in afterwards.
    if following is not None and following.prev_hash == expected:
        return ChainBreak(
            row.id,
            "inserted",
            f"event {row.id} was inserted {after}: the event after it links to the one before it",
        )
    if not content_ok:
        return ChainBreak(
            row.id, "altered", f"event {row.id} was altered: its content does not match its hash"
        )
    # From here on the content is intact, but the event does not follow the previous one.
    if previous_id is not None and row.prev_hash == before_previous:
        return ChainBreak(
            previous_id,
            "inserted",
            f"event {previous_id} was inserted: event {row.id} links to the event before it",
        )
    where = conn.execute(
        select(AuditEvent.id).where(AuditEvent.event_hash == row.prev_hash).order_by(AuditEvent.id).limit(1)
    ).scalar_one_or_none()
    if where is not None and where > row.id:
        return ChainBreak(
            row.id,
            "reordered",
            f"event {row.id} was moved: it follows event {where} in the chain, which is stored after it",
        )
    if where is not None:
        return ChainBreak(
            row.id,
            "inserted",
            f"the events between {where} and {row.id} were inserted or moved: event {row.id} links "
            f"to event {where}",
        )
    return ChainBreak(
        row.id,
        "removed",
        f"event {row.id} does not follow the event stored before it ({after}): the event(s) between "
        "them were removed, or the one before was altered and its hash recomputed",
    )


# --- the database's own protection ----------------------------------------------------------------


def expected_triggers(dialect: str) -> tuple[str, ...]:
    return POSTGRESQL_TRIGGERS if dialect == "postgresql" else SQLITE_TRIGGERS


def missing_triggers(db: Database) -> list[str]:
    """The append-only triggers that are not there or not enabled (``db check`` reports them)."""
    expected = expected_triggers(db.dialect)
    with db.engine.connect() as conn:
        if db.is_sqlite:
            present = set(
                conn.execute(
                    text(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events'"
                    )
                ).scalars()
            )
            return [name for name in expected if name not in present]
        rows = conn.execute(
            text(
                "SELECT tgname, tgenabled FROM pg_trigger "
                "WHERE tgrelid = to_regclass('audit_events') AND NOT tgisinternal"
            )
        ).all()
    state = {row.tgname: row.tgenabled for row in rows}
    problems = []
    for name in expected:
        if name not in state:
            problems.append(name)
        elif state[name] == "D":
            problems.append(f"{name} (disabled)")
    return problems


def role_grants_sql(role: str) -> list[str]:
    """What the application's PostgreSQL role may do with the audit trail: add and read, never
    change, delete or truncate (it must not own the table either: an owner can drop triggers).

    The one definition is ``supportline/db/roles.py``, which ``db init-shared`` uses for every table.
    """
    return roles.audit_grants_sql(role)


# --- the services: verify and anchor, for supervisors and admins ----------------------------------


def verify_trail(db: Database, actor: Actor, anchor: str | None = None) -> VerifyReport:
    """``verify``, by someone allowed to read the trail; the check and its result are audited."""
    from supportline.services import audit  # audit imports this module

    audit.require_audited(db, actor, Permission.AUDIT_READ, "audit.verify")
    report = verify(db, anchor)
    details: dict[str, Any] = {"events": report.events, "ok": report.ok}
    if anchor is not None:
        details.update(anchor=anchor, anchor_event_id=report.anchor_event_id)
    if report.broken is not None:
        details.update(broken_event_id=report.broken.event_id, broken=report.broken.kind)
    with db.write() as session:
        audit.record(session, actor, AuditCategory.CONSULTATION, "audit.verify", "audit_event", "", **details)
    return report


def anchor_trail(db: Database, actor: Actor) -> Head | None:
    """The head of the chain now, recorded as an ``audit.anchor`` event (``None``: empty trail).

    The organisation keeps the printed hash somewhere the database's owner cannot change; a later
    ``verify --anchor HASH`` proves that no event up to it has changed since.
    """
    from supportline.services import audit

    audit.require_audited(db, actor, Permission.AUDIT_READ, "audit.anchor")
    with db.write() as session:
        conn = session.connection()
        lock_and_read_head(conn)  # nobody adds an event between reading the head and anchoring it
        row = conn.execute(
            select(AuditEvent.id, AuditEvent.event_hash, AuditEvent.at)
            .order_by(AuditEvent.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        found = Head(row.id, row.event_hash, row.at)
        audit.record(
            session, actor, AuditCategory.ACCESS, "audit.anchor", "audit_event", found.event_id,
            head_hash=found.event_hash,
        )  # fmt: skip
    log.info("audit trail anchored at event %d: %s", found.event_id, found.event_hash)
    return found
