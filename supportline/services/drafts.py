"""Autosaved, unsaved forms: kept in the database (never in a plaintext temp file) until saved or discarded.

A draft is a JSON object the form writes every few seconds (the form's own shape, usually
``call_codec.to_jsonable`` of what it holds) plus what the restore prompt shows: the call it
will be saved as, whether it edits an existing call, and a title. Drafts hold the most sensitive
data there is — what an officer said a moment ago — so only their owner can see, list, change
or discard them; another user's draft is :class:`PermissionDeniedError` on every operation.

Only creating and discarding a draft are audited (collection and erasure); an autosave that
rewrites the same draft is not, or the log would fill with one row per keystroke pause.
Saving is one small transaction (an indexed look-up of the owner, then one UPDATE), cheap
enough to repeat every few seconds: see docs/performance.md.

The stored row keeps ``is_edit`` and ``title`` in a versioned JSON envelope beside the form's
payload (``{"format": 1, "is_edit": …, "title": …, "form": {…}}``) so that the schema needs no
change for them.

After a call is saved, call :func:`discard_drafts_for_call` with its id: a saved call leaves no
draft behind (the form's draft id need not be known).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from supportline.db.engine import Database
from supportline.db.models import SUMMARY_MAX, Draft
from supportline.enums import AuditCategory
from supportline.services import audit, permissions
from supportline.services.actor import Actor
from supportline.services.errors import FieldError, NotFoundError, ValidationError

log = logging.getLogger(__name__)

KIND: Final = "call"
FORMAT: Final = 1
# The stored JSON text, in UTF-8 bytes. A narrative may hold 2,000,000 characters (NARRATIVE_MAX),
# up to 8 MB in UTF-8 by itself; the rest of a full form fits easily in the other half.
MAX_PAYLOAD_BYTES: Final = 16 * 1024 * 1024


@dataclass(frozen=True)
class DraftRecord:
    id: uuid.UUID
    call_id: uuid.UUID  # the UUID the form will save the call under (an edit's call id)
    is_edit: bool
    title: str
    payload: Mapping[str, Any]  # a JSON object, as the form wrote it
    updated_at: datetime


def encode(is_edit: bool, title: str, payload: Mapping[str, Any]) -> str:
    """The stored text of a draft (the versioned envelope); :class:`ValidationError` if it
    cannot be one. Also what ``supportline.sync.local_drafts`` keeps on this computer."""
    if not isinstance(payload, Mapping):
        raise ValidationError([FieldError("payload", "must be a JSON object")])
    envelope = {"format": FORMAT, "is_edit": is_edit, "title": title, "form": payload}
    try:
        text = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError([FieldError("payload", f"must hold only JSON values: {exc}")]) from exc
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        # Lone surrogates (pasted from somewhere odd) cannot be stored as UTF-8: escape them.
        text = json.dumps(envelope, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
        size = len(text)
    if size > MAX_PAYLOAD_BYTES:
        raise ValidationError(
            [
                FieldError(
                    "payload",
                    f"the draft is {size / 1_048_576:.1f} MB; a draft may be at most "
                    f"{MAX_PAYLOAD_BYTES // 1_048_576} MB (shorten the narrative or notes)",
                )
            ]
        )
    return text


def decode(draft_id: uuid.UUID, call_id: uuid.UUID | None, text: str, updated_at: datetime) -> DraftRecord:
    """A stored draft's text as a record; ``ValueError`` if it is not a readable call draft."""
    envelope = json.loads(text)
    if (
        not isinstance(envelope, dict)
        or envelope.get("format") != FORMAT
        or not isinstance(envelope.get("is_edit"), bool)
        or not isinstance(envelope.get("title"), str)
        or not isinstance(envelope.get("form"), dict)
        or call_id is None
    ):
        raise ValueError(f"draft {draft_id} is not a format-{FORMAT} call draft")
    return DraftRecord(
        id=draft_id,
        call_id=call_id,
        is_edit=envelope["is_edit"],
        title=envelope["title"],
        payload=envelope["form"],
        updated_at=updated_at,
    )


def _decode(row: Draft) -> DraftRecord:
    return decode(row.id, row.call_id, row.payload, row.updated_at)


def _check_owner(actor: Actor, owner: uuid.UUID, action: permissions.Action, draft_id: uuid.UUID) -> None:
    """Another user's draft is refused whatever the role (raised inside the transaction and
    audited after it, by ``permissions.audits_refusals``)."""
    if owner != actor.user_id:
        raise permissions.refusal(
            actor, action, draft_id, reason="another user's draft",
            text="this draft belongs to another user: only they can open or discard it",
        )  # fmt: skip


@permissions.audits_refusals
def save_draft(
    db: Database,
    actor: Actor,
    *,
    draft_id: uuid.UUID,
    call_id: uuid.UUID,
    is_edit: bool,
    title: str,
    payload: Mapping[str, Any],
    updated_at: datetime | None = None,
) -> DraftRecord:
    """Create the draft ``draft_id`` or replace its content (the returned record holds ``payload`` as given).

    ``updated_at`` is when it was written (default now): a draft kept on this computer during an
    outage keeps the time it was typed when it is moved here (``supportline.sync.local_drafts``).
    :class:`ValidationError` if ``payload`` is not a JSON object or is larger than
    :data:`MAX_PAYLOAD_BYTES`; :class:`PermissionDeniedError` if the id is another user's draft.
    """
    permissions.check(db, actor, permissions.Action.DRAFT_SAVE, draft_id)
    errors: list[FieldError] = []
    if not isinstance(title, str) or len(title) > SUMMARY_MAX:
        errors.append(FieldError("title", f"must be text of at most {SUMMARY_MAX} characters"))
    if not isinstance(is_edit, bool):
        errors.append(FieldError("is_edit", "must be true or false"))
    if errors:
        raise ValidationError(errors)
    text = encode(is_edit, title, payload)
    now = updated_at or datetime.now(UTC)
    with db.write() as session:
        owner = session.scalar(select(Draft.user_id).where(Draft.id == draft_id))
        if owner is None:
            session.add(
                Draft(
                    id=draft_id,
                    user_id=actor.user_id,
                    call_id=call_id,
                    kind=KIND,
                    payload=text,
                    updated_at=now,
                )
            )
            audit.record(
                session, actor, AuditCategory.COLLECTION, "draft.create", "draft", draft_id,
                call=str(call_id), is_edit=is_edit,
            )  # fmt: skip
        else:
            _check_owner(actor, owner, permissions.Action.DRAFT_SAVE, draft_id)
            session.execute(
                update(Draft)
                .where(Draft.id == draft_id)
                .values(call_id=call_id, kind=KIND, payload=text, updated_at=now)
            )
    return DraftRecord(
        id=draft_id, call_id=call_id, is_edit=is_edit, title=title, payload=payload, updated_at=now
    )


def list_drafts(db: Database, actor: Actor) -> tuple[DraftRecord, ...]:
    """The actor's own drafts, newest first (what a restart offers to restore)."""
    permissions.check(db, actor, permissions.Action.DRAFT_LIST)
    with db.read() as session:
        rows = session.scalars(
            select(Draft)
            .where(Draft.user_id == actor.user_id, Draft.kind == KIND)
            .order_by(Draft.updated_at.desc(), Draft.id)
        ).all()
    out: list[DraftRecord] = []
    for row in rows:
        try:
            out.append(_decode(row))
        except ValueError:
            # Never written by this module's current version: say so, never log the content.
            log.warning("skipping draft %s: not a readable call draft", row.id)
    return tuple(out)


@permissions.audits_refusals
def get_draft(db: Database, actor: Actor, draft_id: uuid.UUID) -> DraftRecord:
    permissions.check(db, actor, permissions.Action.DRAFT_OPEN, draft_id)
    with db.read() as session:
        row = session.get(Draft, draft_id)
        if row is None or row.kind != KIND:
            raise NotFoundError(f"no draft with id {draft_id}")
        _check_owner(actor, row.user_id, permissions.Action.DRAFT_OPEN, draft_id)
    try:
        return _decode(row)
    except ValueError as exc:
        raise ValidationError([FieldError("payload", "the stored draft cannot be read")]) from exc


def _delete(
    session: Session, actor: Actor, draft_id: uuid.UUID, call_id: uuid.UUID | None, reason: str
) -> None:
    session.execute(delete(Draft).where(Draft.id == draft_id))
    audit.record(
        session, actor, AuditCategory.ERASURE, "draft.discard", "draft", draft_id,
        call=str(call_id), reason=reason,
    )  # fmt: skip


@permissions.audits_refusals
def discard_draft(db: Database, actor: Actor, draft_id: uuid.UUID) -> None:
    """Delete the actor's draft ``draft_id``; a draft that is already gone is not an error."""
    permissions.check(db, actor, permissions.Action.DRAFT_DISCARD, draft_id)
    with db.write() as session:
        row = session.execute(select(Draft.user_id, Draft.call_id).where(Draft.id == draft_id)).first()
        if row is None:
            return
        _check_owner(actor, row.user_id, permissions.Action.DRAFT_DISCARD, draft_id)
        _delete(session, actor, draft_id, row.call_id, "discarded")


def discard_drafts_for_call(
    db: Database, actor: Actor, call_id: uuid.UUID, *, written_by: datetime | None = None
) -> int:
    """Delete the actor's drafts of call ``call_id`` (after the call was saved); returns how many.

    With ``written_by``, only drafts last written then or earlier (what a save made at that time
    held already; a draft written after it holds newer typing, and stays).
    Other users' drafts of the same call (someone else editing it) are theirs, and stay.
    """
    permissions.check(db, actor, permissions.Action.DRAFT_DISCARD, call_id)
    mine = select(Draft.id).where(Draft.user_id == actor.user_id, Draft.call_id == call_id)
    if written_by is not None:
        mine = mine.where(Draft.updated_at <= written_by)
    with db.write() as session:
        ids = session.scalars(mine).all()
        for draft_id in ids:
            _delete(session, actor, draft_id, call_id, "call saved")
    return len(ids)
