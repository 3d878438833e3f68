"""What the outage's retry does each time it fires (issue 13, item 5): is the shared database
back? If so, send the journal, in order; drop the drafts its saves superseded; and move the
drafts kept on this computer to the database."""

from __future__ import annotations

import logging

from sqlalchemy import text

from supportline.db.engine import Database, DatabaseUnavailableError
from supportline.services.actor import Actor
from supportline.sync.journal import Journal, PushResult
from supportline.sync.local_drafts import LocalDrafts
from supportline.sync.local_store import LocalStoreError

log = logging.getLogger(__name__)


def probe(db: Database) -> None:
    """One cheap, time-bounded round trip; ``DatabaseUnavailableError`` if it does not answer."""
    with db.read() as session:
        session.execute(text("SELECT 1"))


def recover(db: Database, actor: Actor, journal: Journal, local: LocalDrafts | None = None) -> PushResult:
    """``actor``'s journal pushed and drafts settled; ``unavailable`` set if the database is
    still (or again) away — what is left waits, in order, for the next try."""
    try:
        probe(db)
    except DatabaseUnavailableError as exc:
        result = PushResult(unavailable=exc, remaining=len(journal.entries(actor.user_id)))
        return result
    result = journal.push(db, actor)
    if local is None:
        return result
    try:
        for entry in result.delivered:
            # A draft written by the time the save was journaled holds nothing the save does not.
            local.discard_for_call(db, actor, entry.call_id, written_by=entry.journaled_at)
        if result.unavailable is None:
            local.move_to_database(db, actor, superseded=journal.waiting_calls(actor.user_id))
    except DatabaseUnavailableError as exc:
        result.unavailable = exc
    except LocalStoreError as exc:
        log.warning("the drafts kept on this computer could not be settled: %s", exc)
    return result
