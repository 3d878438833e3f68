"""Drafts: the owner's alone, upserted cheaply, size-limited, audited on creation and discard only."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from supportline.db.models import AuditEvent, Draft
from supportline.enums import AgencyType, AuditCategory, Role
from supportline.services import call_codec, calls, drafts
from supportline.services.call_types import CallData, Caller
from supportline.services.errors import NotFoundError, PermissionDeniedError, ValidationError
from tests.factories import full_call, make_admin, make_user


def _half_filled() -> CallData:
    return CallData(
        caller=Caller(name="", agency_type=AgencyType.POLICE, collar_number="DC 4471"),
        opened_at=datetime(2026, 6, 14, 3, 41, tzinfo=UTC),
        narrative="Officer at a car wash; four men, two may be under 18. Zoë's note: d'Arcy Ó Súilleabháin",
    )


def _save(db, actor, data: CallData, *, draft_id: uuid.UUID | None = None, title: str = "New call 03:41"):
    return drafts.save_draft(
        db,
        actor,
        draft_id=draft_id or uuid.uuid4(),
        call_id=data.id,
        is_edit=False,
        title=title,
        payload=call_codec.to_jsonable(data),
    )


def _audit_actions(db) -> list[tuple[str, AuditCategory]]:
    with db.read() as session:
        return [
            (e.action, e.category)
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.record_type == "draft").order_by(AuditEvent.id)
            )
        ]


def test_half_filled_form_survives_a_draft_round_trip(db):
    admin = make_admin(db)
    data = _half_filled()
    saved = _save(db, admin, data)
    [listed] = drafts.list_drafts(db, admin)
    assert listed.id == saved.id
    assert listed.call_id == data.id
    assert listed.is_edit is False
    assert listed.title == "New call 03:41"
    assert listed.updated_at == saved.updated_at
    assert call_codec.from_jsonable(listed.payload) == data
    assert drafts.get_draft(db, admin, saved.id) == listed


def test_saving_again_updates_the_same_draft_and_audits_only_creation(db):
    admin = make_admin(db)
    data = _half_filled()
    draft_id = uuid.uuid4()
    first = _save(db, admin, data, draft_id=draft_id)
    for i in range(5):
        data = CallData(caller=data.caller, opened_at=data.opened_at, id=data.id, summary=f"typing {i}")
        last = _save(db, admin, data, draft_id=draft_id, title=f"New call 03:4{i}")
    [only] = drafts.list_drafts(db, admin)
    assert only.id == draft_id
    assert only.title == "New call 03:44"
    assert call_codec.from_jsonable(only.payload).summary == "typing 4"
    assert only.updated_at >= first.updated_at
    assert last.updated_at == only.updated_at
    assert _audit_actions(db) == [("draft.create", AuditCategory.COLLECTION)]


def test_an_edit_draft_keeps_its_call_id_and_flag(db):
    admin = make_admin(db)
    record = calls.save_call(db, admin, full_call())
    draft = drafts.save_draft(
        db,
        admin,
        draft_id=uuid.uuid4(),
        call_id=record.id,
        is_edit=True,
        title=record.reference,
        payload=call_codec.to_jsonable(record.data),
    )
    fetched = drafts.get_draft(db, admin, draft.id)
    assert fetched.is_edit is True
    assert fetched.call_id == record.id
    assert fetched.title == record.reference
    assert call_codec.from_jsonable(fetched.payload) == record.data


def test_list_is_the_actors_own_newest_first(db):
    admin = make_admin(db)
    other = make_user(db, admin, "olu.operator", Role.OPERATOR)
    a = _save(db, admin, _half_filled(), title="first")
    b = _save(db, admin, _half_filled(), title="second")
    theirs = _save(db, other, _half_filled(), title="theirs")
    _save(db, admin, _half_filled(), draft_id=a.id, title="first, touched again")
    assert [d.title for d in drafts.list_drafts(db, admin)] == ["first, touched again", "second"]
    assert [d.id for d in drafts.list_drafts(db, other)] == [theirs.id]
    assert b.id not in {d.id for d in drafts.list_drafts(db, other)}


def test_only_the_owner_can_read_change_or_discard_a_draft(db):
    """Another user's draft is PermissionDenied everywhere (and is left exactly as it was)."""
    admin = make_admin(db)
    owner = make_user(db, admin, "olu.operator", Role.OPERATOR)
    supervisor = make_user(db, admin, "sam.supervisor", Role.SUPERVISOR)
    draft = _save(db, owner, _half_filled())
    for intruder in (admin, supervisor):
        with pytest.raises(PermissionDeniedError):
            drafts.get_draft(db, intruder, draft.id)
        with pytest.raises(PermissionDeniedError):
            drafts.discard_draft(db, intruder, draft.id)
        with pytest.raises(PermissionDeniedError):
            _save(db, intruder, full_call(), draft_id=draft.id, title="overwritten")
        assert drafts.list_drafts(db, intruder) == ()
        assert drafts.discard_drafts_for_call(db, intruder, draft.call_id) == 0
    kept = drafts.get_draft(db, owner, draft.id)
    assert kept.title == draft.title
    assert kept.payload == draft.payload
    assert kept.updated_at == draft.updated_at


def test_unknown_draft_is_not_found_and_discard_is_idempotent(db):
    admin = make_admin(db)
    with pytest.raises(NotFoundError):
        drafts.get_draft(db, admin, uuid.uuid4())
    draft = _save(db, admin, _half_filled())
    drafts.discard_draft(db, admin, draft.id)
    drafts.discard_draft(db, admin, draft.id)  # already gone: nothing happens
    drafts.discard_draft(db, admin, uuid.uuid4())
    assert drafts.list_drafts(db, admin) == ()
    with pytest.raises(NotFoundError):
        drafts.get_draft(db, admin, draft.id)
    assert _audit_actions(db) == [
        ("draft.create", AuditCategory.COLLECTION),
        ("draft.discard", AuditCategory.ERASURE),
    ]


def test_a_saved_call_leaves_no_draft(db):
    admin = make_admin(db)
    other = make_user(db, admin, "olu.operator", Role.OPERATOR)
    data = full_call()
    mine = _save(db, admin, data)
    also_mine = _save(db, admin, data)  # a second tab on the same call
    unrelated = _save(db, admin, _half_filled())
    theirs = _save(db, other, data)
    calls.save_call(db, admin, data)
    assert drafts.discard_drafts_for_call(db, admin, data.id) == 2
    assert drafts.discard_drafts_for_call(db, admin, data.id) == 0
    assert [d.id for d in drafts.list_drafts(db, admin)] == [unrelated.id]
    assert [d.id for d in drafts.list_drafts(db, other)] == [theirs.id]
    with db.read() as session:
        discarded = session.scalars(
            select(AuditEvent.record_id).where(AuditEvent.action == "draft.discard")
        ).all()
    assert sorted(discarded) == sorted([str(mine.id), str(also_mine.id)])


def test_audit_details_hold_no_form_content(db):
    admin = make_admin(db)
    draft = _save(db, admin, _half_filled())
    drafts.discard_draft(db, admin, draft.id)
    with db.read() as session:
        details = session.scalars(select(AuditEvent.details).where(AuditEvent.record_type == "draft")).all()
    assert details
    for text in details:
        assert "car wash" not in text
        assert "DC 4471" not in text
        assert set(json.loads(text)) <= {"call", "is_edit", "reason"}


def test_one_megabyte_narrative_fits_and_oversized_payload_is_refused(db):
    admin = make_admin(db)
    narrative = ("مرحبا بالعالم — שלום עולם — 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ✓\n" * 40_000)[: 1_048_576 + 7]
    data = full_call(narrative=narrative)
    draft = _save(db, admin, data)
    assert call_codec.from_jsonable(drafts.get_draft(db, admin, draft.id).payload).narrative == narrative

    too_big = {"narrative": "x" * (drafts.MAX_PAYLOAD_BYTES + 1)}
    with pytest.raises(ValidationError, match="at most 16 MB") as caught:
        drafts.save_draft(
            db, admin, draft_id=draft.id, call_id=data.id, is_edit=False, title="t", payload=too_big
        )
    assert caught.value.fields == ("payload",)
    # The draft that was there is untouched by the refused save.
    assert call_codec.from_jsonable(drafts.get_draft(db, admin, draft.id).payload).narrative == narrative


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (["not", "an", "object"], "must be a JSON object"),
        ("text", "must be a JSON object"),
        ({"when": datetime(2026, 1, 1, tzinfo=UTC)}, "only JSON values"),
        ({"x": float("nan")}, "only JSON values"),
    ],
)
def test_payload_must_be_a_json_object(db, payload, message):
    admin = make_admin(db)
    with pytest.raises(ValidationError, match=message) as caught:
        drafts.save_draft(
            db, admin, draft_id=uuid.uuid4(), call_id=uuid.uuid4(), is_edit=False, title="t", payload=payload
        )
    assert caught.value.fields == ("payload",)
    assert drafts.list_drafts(db, admin) == ()


def test_title_is_checked(db):
    admin = make_admin(db)
    with pytest.raises(ValidationError) as caught:
        drafts.save_draft(
            db, admin, draft_id=uuid.uuid4(), call_id=uuid.uuid4(), is_edit=False, title="t" * 501, payload={}
        )
    assert caught.value.fields == ("title",)


def test_odd_unicode_is_kept(db):
    """Lone surrogates cannot be stored as UTF-8; they are escaped, and come back as they went in."""
    admin = make_admin(db)
    payload = {
        "narrative": "a\udc00b \x00 \u202e right-to-left \U0001f600",
        "nested": {"list": [1, None, True]},
    }
    draft = drafts.save_draft(
        db, admin, draft_id=uuid.uuid4(), call_id=uuid.uuid4(), is_edit=False, title="ü", payload=payload
    )
    assert drafts.get_draft(db, admin, draft.id).payload == payload


def test_a_damaged_row_is_skipped_in_the_list(db, caplog):
    admin = make_admin(db)
    good = _save(db, admin, _half_filled())
    with db.write() as session:
        session.add(
            Draft(
                id=uuid.uuid4(),
                user_id=admin.user_id,
                call_id=uuid.uuid4(),
                kind="call",
                payload='{"format": 99}',
                updated_at=datetime.now(UTC),
            )
        )
    assert [d.id for d in drafts.list_drafts(db, admin)] == [good.id]
    assert "not a readable call draft" in caplog.text


def test_autosave_is_cheap(db):
    """Not a benchmark (bench/ has those): a guard that an autosave stays far below a second."""
    admin = make_admin(db)
    data = full_call(narrative="n" * 100_000)
    draft_id = uuid.uuid4()
    _save(db, admin, data, draft_id=draft_id)
    started = time.perf_counter()
    for _ in range(10):
        _save(db, admin, data, draft_id=draft_id)
    assert (time.perf_counter() - started) / 10 < 0.5
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Draft)) == 1
