"""The local journal: saves made while the shared database is unreachable (issue 13, item 5).

A save that fails with ``DatabaseUnavailableError`` is written here — a SQLite file in the data
folder, ``synchronous=FULL``, so it survives quitting, a crash and a power cut — and pushed later,
in the order it was made, with :meth:`Journal.push`. Each entry keeps the save id of its first
try, so a save whose commit went through but whose reply was lost is recognised and not applied
again (``save_call``'s idempotency). Several saves of one call during an outage are chained: each
was made on the version the form had, which the earlier ones have since moved on, so the push
moves their ``expected_version`` with them. An entry that conflicts with someone else's save is
kept (with their record, for the conflict view) and later entries of that call wait behind it;
so does one the database refuses for another reason (a check that needs the database, such as
the guidance's required checklist items, could not run while it was away).

References (``SL-2026-…``) are allocated when the save reaches the database; until then the
operator sees :attr:`JournalEntry.provisional_reference`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from supportline.db.engine import Database, DatabaseUnavailableError
from supportline.services import call_codec, calls
from supportline.services.actor import Actor
from supportline.services.call_types import CallData, CallRecord
from supportline.services.errors import ConflictError, ServiceError
from supportline.sync import local_store
from supportline.sync.local_store import LOCAL_FILE

JOURNAL_FILE = LOCAL_FILE

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    save_id TEXT NOT NULL UNIQUE,
    call_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    expected_version INTEGER,
    payload TEXT NOT NULL,
    journaled_at TEXT NOT NULL,
    conflict TEXT
);
"""


@dataclass(frozen=True)
class JournalEntry:
    seq: int
    save_id: uuid.UUID
    call_id: uuid.UUID
    user_id: uuid.UUID
    expected_version: int | None
    data: CallData
    journaled_at: datetime
    conflict: str | None = None  # why the last push refused it

    @property
    def provisional_reference(self) -> str:
        """What the operator sees until the save reaches the database and gets its reference."""
        return f"PENDING-{self.seq:04d}"


@dataclass
class PushResult:
    sent: list[CallRecord] = field(default_factory=list)
    #: The entries behind ``sent``, in the same order (when each was journaled, for its drafts).
    delivered: list[JournalEntry] = field(default_factory=list)
    conflicts: list[tuple[JournalEntry, ConflictError]] = field(default_factory=list)
    #: Entries the database refused for another reason (e.g. a checklist the guidance requires).
    refused: list[tuple[JournalEntry, ServiceError]] = field(default_factory=list)
    #: Set when the database went away again during the push (the rest waits, in order).
    unavailable: DatabaseUnavailableError | None = None
    remaining: int = 0


class Journal:
    """The journal file at ``path`` (created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # one push at a time from this process
        with self._connect():
            pass  # the file and its table exist from now on

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with local_store.connect(self.path, _SCHEMA) as conn:  # WAL, synchronous=FULL, mode 0600
            yield conn

    def add(
        self, actor: Actor, data: CallData, *, expected_version: int | None, save_id: uuid.UUID | None = None
    ) -> JournalEntry:
        """Keep a save that could not reach the database; durable when this returns."""
        token = save_id or uuid.uuid4()
        now = datetime.now(UTC)
        with self._connect() as conn:
            cursor = conn.execute(
                "INSERT INTO pending (save_id, call_id, user_id, expected_version, payload, journaled_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    str(token),
                    str(data.id),
                    str(actor.user_id),
                    expected_version,
                    json.dumps(call_codec.to_jsonable(data)),
                    now.isoformat(),
                ),
            )
            seq = int(cursor.lastrowid or 0)
        return JournalEntry(seq, token, data.id, actor.user_id, expected_version, data, now)

    def entries(self, user_id: uuid.UUID | None = None) -> list[JournalEntry]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT seq, save_id, call_id, user_id, expected_version, payload, journaled_at, conflict "
                "FROM pending ORDER BY seq"
            ).fetchall()
        found = [
            JournalEntry(
                seq=row[0],
                save_id=uuid.UUID(row[1]),
                call_id=uuid.UUID(row[2]),
                user_id=uuid.UUID(row[3]),
                expected_version=row[4],
                data=call_codec.from_jsonable(json.loads(row[5])),
                journaled_at=datetime.fromisoformat(row[6]),
                conflict=row[7],
            )
            for row in rows
        ]
        return [e for e in found if user_id is None or e.user_id == user_id]

    def waiting_calls(self, user_id: uuid.UUID) -> dict[uuid.UUID, datetime]:
        """``user_id``'s calls with a save waiting here, each with when its latest was journaled
        (a draft of the call written by then is superseded by that save)."""
        latest: dict[uuid.UUID, datetime] = {}
        for entry in self.entries(user_id):
            latest[entry.call_id] = max(entry.journaled_at, latest.get(entry.call_id, entry.journaled_at))
        return latest

    def count(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("SELECT count(*) FROM pending").fetchone()[0])

    def discard(self, entry: JournalEntry) -> None:
        """Forget an entry (after its conflict was resolved in the form and saved again)."""
        with self._connect() as conn:
            conn.execute("DELETE FROM pending WHERE seq = ?", (entry.seq,))

    def discard_call(self, user_id: uuid.UUID, call_id: uuid.UUID) -> int:
        """Forget ``user_id``'s entries of ``call_id`` (the call was saved from its form after the
        database refused them: that save held what they held); returns how many."""
        with self._connect() as conn:
            cursor = conn.execute(
                "DELETE FROM pending WHERE user_id = ? AND call_id = ?", (str(user_id), str(call_id))
            )
            return int(cursor.rowcount)

    def push(self, db: Database, actor: Actor) -> PushResult:
        """Send ``actor``'s entries, oldest first, each exactly once. Stops at the first sign the
        database is unreachable again (what is left waits, in order)."""
        result = PushResult()
        with self._lock:
            held: set[uuid.UUID] = set()  # calls with a refused entry: their later saves wait
            moved: dict[uuid.UUID, tuple[int | None, int]] = {}  # call -> (version sent on, version now)
            for entry in self.entries(actor.user_id):
                if entry.call_id in held:
                    continue
                expected = entry.expected_version
                sent_on, now = moved.get(entry.call_id, (None, None))
                if now is not None and expected == sent_on:
                    expected = now  # made on the version an earlier journaled save replaced
                try:
                    record = calls.save_call(
                        db, actor, entry.data, expected_version=expected, save_id=entry.save_id
                    )
                except DatabaseUnavailableError as exc:
                    result.unavailable = exc
                    break
                except ConflictError as exc:
                    self._mark(entry, str(exc))
                    result.conflicts.append((entry, exc))
                    held.add(entry.call_id)
                    continue
                except ServiceError as exc:  # checked only now the database answers: kept, and said
                    self._mark(entry, str(exc))
                    result.refused.append((entry, exc))
                    held.add(entry.call_id)
                    continue
                moved[entry.call_id] = (entry.expected_version, record.version)
                with self._connect() as conn:
                    conn.execute("DELETE FROM pending WHERE seq = ?", (entry.seq,))
                result.sent.append(record)
                result.delivered.append(entry)
        result.remaining = len(self.entries(actor.user_id))
        return result

    def _mark(self, entry: JournalEntry, reason: str) -> None:
        with self._connect() as conn:
            conn.execute("UPDATE pending SET conflict = ? WHERE seq = ?", (reason, entry.seq))
