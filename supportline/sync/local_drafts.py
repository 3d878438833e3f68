"""Drafts kept on this computer while the database does not take them (issue 13).

The form autosaves its draft to the database (``supportline.services.drafts``). When that fails
because the database is unreachable, read-only or full (``DatabaseUnavailableError``),
:meth:`LocalDrafts.save` keeps the draft in ``journal.db`` in the data folder instead, in a table
of its own (``synchronous=FULL``, mode 0600: ``supportline.sync.local_store``), so what was typed
survives a crash or a power cut while the database is away. Local drafts are per user, like the
database's: only the user who typed one is shown it, and the restore prompt after a crash offers
it beside the database's (:meth:`LocalDrafts.list_drafts`).

When the database answers again the local drafts are moved to it (:meth:`move_to_database`: at
the next :meth:`list` — the restore prompt at sign-in — and, on a shared database, whenever the
outage's retry finds it back), keeping the time each was typed; one the database holds in a
newer version is dropped. A draft discarded while the database is away (the call was saved to
the journal, or the operator discarded it) is remembered here as a row without content and
discarded there when it is back. A call saved to the database takes its draft from both places.

Audit: a draft is audited when it reaches the database (``draft.create``) and when it is
discarded there, as any draft; one that lived only on this computer during an outage and was
superseded by the saved call reached no shared record and leaves no audit event.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from supportline.db.engine import Database, DatabaseUnavailableError
from supportline.services import drafts, permissions
from supportline.services.actor import Actor
from supportline.services.drafts import DraftRecord
from supportline.services.errors import ServiceError
from supportline.sync import local_store
from supportline.sync.local_store import LocalStoreError

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS local_drafts (
    draft_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    call_id TEXT NOT NULL,
    envelope TEXT,
    updated_at TEXT NOT NULL
);
"""
# ``envelope`` is the drafts module's stored text; NULL marks a draft discarded here while the
# database was away, still to be discarded there.

_Row = tuple[uuid.UUID, uuid.UUID, uuid.UUID, str | None, datetime]  # draft, user, call, text, time


@dataclass(frozen=True)
class DraftWritten:
    """Where an autosave went."""

    record: DraftRecord
    #: Why the database did not take it; "" when it did. Otherwise the draft is on this computer.
    kept_locally_because: str = ""

    @property
    def kept_locally(self) -> bool:
        return bool(self.kept_locally_because)


@dataclass(frozen=True)
class DraftListing:
    """The signed-in user's drafts, newest first, from the database and from this computer."""

    drafts: tuple[DraftRecord, ...]
    #: What could not be looked at (the database away: only this computer's drafts are listed).
    problems: tuple[str, ...] = ()


class LocalDrafts:
    """This computer's drafts, in the file at ``path`` (opened when first needed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()  # the drafts lane, the journal's and the list's
        self._held: set[uuid.UUID] | None = None  # draft ids with a row here, read at first need

    # --- what the form and the window use ---------------------------------------------------------

    def save(
        self,
        db: Database,
        actor: Actor,
        *,
        draft_id: uuid.UUID,
        call_id: uuid.UUID,
        is_edit: bool,
        title: str,
        payload: Mapping[str, Any],
    ) -> DraftWritten:
        """Autosave to the database; if it does not take the draft, keep it here.

        Raises what ``drafts.save_draft`` raises, except ``DatabaseUnavailableError``, which it
        raises only if the draft could not be kept here either (the message names both causes).
        """
        try:
            record = drafts.save_draft(
                db, actor, draft_id=draft_id, call_id=call_id, is_edit=is_edit, title=title, payload=payload
            )
        except DatabaseUnavailableError as exc:
            kept = self._keep(actor, draft_id, call_id, drafts.encode(is_edit, title, payload), exc)
            return DraftWritten(kept, str(exc))
        self._forget_quietly(draft_id)  # the database's copy is the newer one now
        return DraftWritten(record)

    def list_drafts(
        self, db: Database, actor: Actor, *, superseded: Mapping[uuid.UUID, datetime] | None = None
    ) -> DraftListing:
        """``actor``'s drafts (moving this computer's to the database first, if it answers).

        ``superseded``: calls with a save waiting in the journal, with when it was journaled; a
        draft of one written by then holds nothing the save does not, and is not offered.
        """
        gone = dict(superseded or {})
        problems: list[str] = []
        shared: tuple[DraftRecord, ...] = ()
        try:
            self.move_to_database(db, actor, superseded=gone)
        except (DatabaseUnavailableError, LocalStoreError) as exc:
            problems.append(str(exc))
        try:  # a read-only database still lists its drafts
            shared = drafts.list_drafts(db, actor)
        except DatabaseUnavailableError as exc:
            problems.append(str(exc))
        try:
            local = self.local_drafts(actor)
            discarded = {row[0] for row in self._rows(actor) if row[3] is None}
        except LocalStoreError as exc:
            problems.append(str(exc))
            local, discarded = (), set()
        merged = {d.id: d for d in shared if d.id not in discarded}
        for draft in local:
            if draft.id not in merged or draft.updated_at > merged[draft.id].updated_at:
                merged[draft.id] = draft
        offered = [d for d in merged.values() if not _superseded(d.call_id, d.updated_at, gone)]
        offered.sort(key=lambda d: (d.updated_at, str(d.id)), reverse=True)
        return DraftListing(tuple(offered), tuple(dict.fromkeys(problems)))

    def discard(self, db: Database, actor: Actor, draft_id: uuid.UUID, call_id: uuid.UUID) -> bool:
        """Discard the draft in the database and here. While the database is away the discard is
        remembered here and done when it is back; False then. ``DatabaseUnavailableError`` only
        if neither could be done."""
        try:
            drafts.discard_draft(db, actor, draft_id)
        except DatabaseUnavailableError as exc:
            self._keep(actor, draft_id, call_id, None, exc)
            return False
        self._forget_quietly(draft_id)
        return True

    def discard_for_call(
        self, db: Database, actor: Actor, call_id: uuid.UUID, *, written_by: datetime | None = None
    ) -> int:
        """``actor``'s drafts of ``call_id`` (only those written by ``written_by``, if given) go,
        in the database and here: the call was saved with what they held."""
        count = drafts.discard_drafts_for_call(db, actor, call_id, written_by=written_by)
        with self._lock:
            for draft_id, _user, call, _text, updated_at in self._rows(actor):
                if call == call_id and (written_by is None or updated_at <= written_by):
                    self._forget(draft_id)
                    count += 1
        return count

    def local_drafts(self, actor: Actor) -> tuple[DraftRecord, ...]:
        """The drafts of ``actor`` held on this computer only, newest first."""
        out: list[DraftRecord] = []
        for draft_id, _user, call_id, text, updated_at in self._rows(actor):
            if text is None:
                continue
            try:
                out.append(drafts.decode(draft_id, call_id, text, updated_at))
            except ValueError:
                log.warning("skipping local draft %s: not a readable call draft", draft_id)
        out.sort(key=lambda d: (d.updated_at, str(d.id)), reverse=True)
        return tuple(out)

    def move_to_database(
        self, db: Database, actor: Actor, *, superseded: Mapping[uuid.UUID, datetime] | None = None
    ) -> int:
        """Move ``actor``'s drafts held here to the database (and do the discards remembered
        here); returns how many drafts moved. ``DatabaseUnavailableError`` if it is still away
        (what is left stays here). A draft the database refuses stays here, and is logged."""
        gone = superseded or {}
        with self._lock:
            rows = self._rows(actor)
            if not rows:
                return 0
            in_database = {d.id: d.updated_at for d in drafts.list_drafts(db, actor)}
            moved = 0
            for draft_id, _user, call_id, text, updated_at in rows:
                try:
                    if text is None:
                        drafts.discard_draft(db, actor, draft_id)
                    elif _superseded(call_id, updated_at, gone) or (
                        draft_id in in_database and in_database[draft_id] >= updated_at
                    ):
                        pass  # nothing in it that is not in the database already
                    else:
                        record = drafts.decode(draft_id, call_id, text, updated_at)
                        drafts.save_draft(
                            db, actor, draft_id=draft_id, call_id=call_id, is_edit=record.is_edit,
                            title=record.title, payload=record.payload, updated_at=updated_at,
                        )  # fmt: skip
                        moved += 1
                except (ServiceError, ValueError) as exc:
                    log.warning("local draft %s stays on this computer: %s", draft_id, type(exc).__name__)
                    continue
                self._forget(draft_id)
        return moved

    # --- the file -------------------------------------------------------------------------------

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with local_store.connect(self.path, _SCHEMA) as conn:
            yield conn

    def _ids(self) -> set[uuid.UUID]:
        if self._held is None:
            if not self.path.exists():
                self._held = set()
            else:
                with self._connect() as conn:
                    self._held = {uuid.UUID(r[0]) for r in conn.execute("SELECT draft_id FROM local_drafts")}
        return self._held

    def _rows(self, actor: Actor) -> list[_Row]:
        """``actor``'s rows as the file holds them now (also what another process of this
        computer wrote since this one started)."""
        with self._lock:
            if not self.path.exists():
                return []
            with self._connect() as conn:
                found = conn.execute(
                    "SELECT draft_id, user_id, call_id, envelope, updated_at FROM local_drafts "
                    "WHERE user_id = ? ORDER BY updated_at",
                    (str(actor.user_id),),
                ).fetchall()
            self._ids().update(uuid.UUID(r[0]) for r in found)
        return [
            (uuid.UUID(r[0]), uuid.UUID(r[1]), uuid.UUID(r[2]), r[3], datetime.fromisoformat(r[4]))
            for r in found
        ]

    def _keep(
        self,
        actor: Actor,
        draft_id: uuid.UUID,
        call_id: uuid.UUID,
        text: str | None,
        because: DatabaseUnavailableError,
    ) -> DraftRecord:
        """Write the draft (or, with ``text`` None, its pending discard) here, durably."""
        action = permissions.Action.DRAFT_SAVE if text is not None else permissions.Action.DRAFT_DISCARD
        if not actor.can(permissions.RULES[action].permission):
            raise permissions.refusal(actor, action, draft_id)  # not audited: the database is away
        now = datetime.now(UTC)
        try:
            with self._lock:
                held = self._ids()
                with self._connect() as conn:
                    owner = conn.execute(
                        "SELECT user_id FROM local_drafts WHERE draft_id = ?", (str(draft_id),)
                    ).fetchone()
                    if owner is not None and owner[0] != str(actor.user_id):
                        raise permissions.refusal(
                            actor, action, draft_id, reason="another user's draft",
                            text="this draft belongs to another user: only they can open or discard it",
                        )  # fmt: skip
                    conn.execute(
                        "INSERT INTO local_drafts (draft_id, user_id, call_id, envelope, updated_at) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (draft_id) DO UPDATE SET "
                        "call_id = excluded.call_id, envelope = excluded.envelope, "
                        "updated_at = excluded.updated_at",
                        (str(draft_id), str(actor.user_id), str(call_id), text, now.isoformat()),
                    )
                held.add(draft_id)
        except LocalStoreError as exc:
            what = "the draft" if text is not None else "the discard"
            raise DatabaseUnavailableError(
                f"{str(because).rstrip('.')}; nor could {what} be kept on this computer: {exc}"
            ) from exc
        if text is None:
            return DraftRecord(draft_id, call_id, False, "", {}, now)
        return drafts.decode(draft_id, call_id, text, now)

    def _forget(self, draft_id: uuid.UUID) -> None:
        with self._lock:
            held = self._ids()
            if draft_id not in held:
                return
            with self._connect() as conn:
                conn.execute("DELETE FROM local_drafts WHERE draft_id = ?", (str(draft_id),))
            held.discard(draft_id)

    def _forget_quietly(self, draft_id: uuid.UUID) -> None:
        """The database holds the newer copy: the local one goes (left if the file fails; the
        next move drops it, the database's being newer)."""
        try:
            self._forget(draft_id)
        except LocalStoreError as exc:
            log.warning("a local draft could not be removed: %s", exc)


def _superseded(call_id: uuid.UUID, updated_at: datetime, gone: Mapping[uuid.UUID, datetime]) -> bool:
    return call_id in gone and updated_at <= gone[call_id]
