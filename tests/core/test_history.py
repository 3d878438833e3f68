"""A call's edit history, read from the audit events that saving and closing write."""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from supportline.enums import AgeGroup, Role, Sex, Urgency
from supportline.services import actor as actor_module
from supportline.services import calls, history
from supportline.services.actor import Permission
from supportline.services.call_types import Caller, PersonData
from supportline.services.errors import NotFoundError, PermissionDeniedError
from tests.factories import full_call, make_admin, make_user, without_advice


def _open_call():
    opened = datetime.now(UTC) - timedelta(hours=1)
    # An operator opens it: calls.save_call refuses advice recorded without ADVICE_WRITE.
    return without_advice(full_call(opened_at=opened, closed_at=None, status="open"))


def test_create_two_edits_by_two_users_and_close(db):
    admin = make_admin(db)
    olu = make_user(db, admin, "olu.operator", Role.OPERATOR)
    ada = make_user(db, admin, "ada.adviser", Role.ADVISER)
    moments = [datetime.now(UTC)]

    created = calls.save_call(db, olu, _open_call())
    moments.append(datetime.now(UTC))

    data = created.data
    caller = dataclasses.replace(data.caller, phone="07700 900123")
    first = calls.save_call(
        db,
        olu,
        dataclasses.replace(data, caller=caller, narrative=data.narrative + "\nCalled back."),
        expected_version=created.version,
    )
    moments.append(datetime.now(UTC))

    person = PersonData(age_group=AgeGroup.ADULT, sex=Sex.FEMALE, nationalities=("RO",))
    second = calls.save_call(
        db,
        ada,
        dataclasses.replace(first.data, persons=(*first.data.persons, person), urgency=Urgency.CRISIS),
        expected_version=first.version,
    )
    moments.append(datetime.now(UTC))

    calls.close_call(db, ada, second.id, datetime.now(UTC))
    moments.append(datetime.now(UTC))

    entries = history.call_history(db, admin, created.id)
    assert [(e.actor_name, e.action) for e in entries] == [
        ("Olu Operator", "created"),
        ("Olu Operator", "edited"),
        ("Ada Adviser", "edited"),
        ("Ada Adviser", "closed"),
    ]
    assert [e.fields for e in entries] == [
        (),
        ("callback number", "narrative"),
        ("urgency", "potential victims"),
        ("end time", "status"),
    ]
    for entry, (before, after) in zip(entries, itertools.pairwise(moments), strict=True):
        assert before <= entry.at <= after
        assert entry.at.tzinfo is not None


def test_reopening_is_told_apart_from_closing(db):
    admin = make_admin(db)
    created = calls.save_call(db, admin, _open_call())
    closed = calls.close_call(db, admin, created.id, datetime.now(UTC))
    reopened = calls.save_call(
        db,
        admin,
        dataclasses.replace(closed.data, status="open", closed_at=None),  # type: ignore[arg-type]
        expected_version=closed.version,
    )
    calls.close_call(db, admin, reopened.id, datetime.now(UTC))
    assert [e.action for e in history.call_history(db, admin, created.id)] == [
        "created",
        "closed",
        "reopened",
        "closed",
    ]


def test_a_call_created_closed_then_edited(db):
    admin = make_admin(db)
    created = calls.save_call(db, admin, full_call())  # already closed when first saved
    calls.save_call(
        db,
        admin,
        dataclasses.replace(created.data, summary="Better summary"),
        expected_version=created.version,
    )
    entries = history.call_history(db, admin, created.id)
    assert [(e.action, e.fields) for e in entries] == [("created", ()), ("edited", ("summary",))]


def test_viewing_and_other_calls_are_not_in_the_history(db):
    admin = make_admin(db)
    one = calls.save_call(db, admin, full_call())
    calls.save_call(db, admin, full_call())
    calls.get_call(db, admin, one.id)  # a consultation, audited, but not a change
    assert [e.action for e in history.call_history(db, admin, one.id)] == ["created"]


def test_unknown_call_is_not_found(db):
    admin = make_admin(db)
    with pytest.raises(NotFoundError):
        history.call_history(db, admin, uuid.uuid4())


def test_needs_call_read(db, monkeypatch):
    admin = make_admin(db)
    record = calls.save_call(db, admin, full_call())
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    monkeypatch.setitem(
        actor_module.ROLE_PERMISSIONS,
        Role.OPERATOR,
        frozenset(actor_module.ROLE_PERMISSIONS[Role.OPERATOR] - {Permission.CALL_READ}),
    )
    with pytest.raises(PermissionDeniedError):
        history.call_history(db, operator, record.id)


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("caller.phone", "callback number"),
        ("caller.collar_number", "collar or warrant number"),
        ("caller", "caller details"),
        ("narrative", "narrative"),
        ("persons", "potential victims"),
        ("persons[2].sex", "potential victims"),
        ("routes[0].checklist[1].at", "advice routes"),
        ("follow_ups", "follow-ups"),
        ("nrm_consent", "NRM consent"),
        ("caller.shoe_size", "caller details"),
        ("something_new", "something new"),
    ],
)
def test_field_labels(name, label):
    assert history.field_label(name) == label


def test_labels_are_given_once_in_order():
    assert history.field_labels(["persons[0].sex", "narrative", "persons[1].name"]) == (
        "potential victims",
        "narrative",
    )


def test_caller_type_is_what_the_labels_cover():
    names = {f"caller.{f.name}" for f in dataclasses.fields(Caller)}
    assert names <= set(history.FIELD_LABELS)
