"""Which actions write which audit events (DPA 2018 s.62), and that no event holds personal data.

One call is made with a unique marker in every text field (the canary). Every service action
is then run on it, in order, and each must add exactly the audit events listed for it; at the
end no event's details, record id or name holds any marker, nor the call's phone number or
email. Also: what was not audited before (``calls list``, ``stats``, refused actions and
imports) is now, and the command line refuses with exit 3 and one line.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from supportline.db import Database
from supportline.db.models import AuditEvent
from supportline.enums import ChecklistState, DutyRole, Role, Route
from supportline.exports import service as export_service
from supportline.exports.figures import figures_for
from supportline.services import call_import, calls, drafts, followups, handover, history, rota
from supportline.services.actor import Actor
from supportline.services.call_types import (
    CallData,
    Caller,
    CallQuery,
    ChecklistEntry,
    FollowUpData,
    PersonData,
    ReferralData,
    RouteData,
)
from supportline.services.errors import PermissionDeniedError
from tests.conftest import Run
from tests.factories import PASSWORD, full_call, make_admin, make_user, outcome

MARK = "qzcanary"
PHONE = "07700 900987"
PHONE_DIGITS = ("7700900987", "7700 900987")
OPENED = datetime(2026, 6, 14, 9, 30, tzinfo=UTC)
PERIOD = CallQuery(opened_from=datetime(2026, 6, 1, tzinfo=UTC), opened_to=datetime(2026, 7, 1, tzinfo=UTC))


def m(field: str) -> str:
    """The marker of one field: unique, and found by the search as a word."""
    return f"{MARK}{field.replace('.', '').replace('_', '')}"


def canary_call() -> CallData:
    base = full_call(opened_at=OPENED, closed_at=None, status="open")
    return dataclasses.replace(
        base,
        id=uuid.uuid4(),
        caller=Caller(
            name=m("caller.name"),
            agency_type=base.caller.agency_type,
            rank=m("caller.rank"),
            organisation=m("caller.organisation"),
            collar_number=m("collar"),
            phone=PHONE,
            email=f"{m('caller.email')}@example.org",
        ),
        summary=m("summary"),
        narrative=f"{m('narrative')} said more",
        force_area=m("force_area"),
        persons=(
            PersonData(
                age_group=base.persons[1].age_group,
                sex=base.persons[1].sex,
                nationalities=("AL",),
                name=m("person.name"),
                notes=m("person.notes"),
            ),
        ),
        routes=(
            RouteData(
                route=Route.VICTIM,
                suggested=True,
                suggestion_reasons=(m("reason"),),
                template_id="",
                advice_summary=m("advice"),
                checklist=(
                    ChecklistEntry(
                        "safety", ChecklistState.SKIPPED, OPENED + timedelta(minutes=2), m("skip")
                    ),
                ),
            ),
        ),
        referrals=(
            ReferralData(
                target=base.referrals[0].target,
                organisation=m("ref.org"),
                reference=m("ref.reference"),
                notes=m("ref.notes"),
            ),
        ),
        follow_ups=(FollowUpData(due_at=OPENED + timedelta(days=1), note=m("follow_up")),),
    )


def _events(db: Database, after: int = 0) -> list[AuditEvent]:
    with db.read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id)))


def _last_id(db: Database) -> int:
    events = _events(db)
    return events[-1].id if events else 0


def _no_personal_data(events: list[AuditEvent]) -> None:
    for event in events:
        for text in (event.details or "", event.record_id, event.actor_name, event.action, event.record_type):
            assert MARK not in text.lower(), (event.action, text)
            assert not any(d in text for d in PHONE_DIGITS), (event.action, text)


Step = tuple[str, Callable[[], object], list[tuple[str, str]]]


def test_every_action_writes_its_events_and_none_holds_personal_data(db: Database, tmp_path: Path) -> None:
    admin = make_admin(db)
    record = calls.save_call(db, admin, canary_call())
    [created] = _events(db, _last_id(db) - 1)
    assert (created.action, created.category.value) == ("call.create", "collection")
    state: dict[str, object] = {"record": record}
    draft_id = uuid.uuid4()
    export_file = tmp_path / "canary.jsonl"
    bad_file = tmp_path / "bad.jsonl"
    bad_file.write_text(json.dumps({"caller": {"name": m("import")}, "summary": m("import2")}) + "\n")

    def update() -> object:
        current = state["record"]
        assert isinstance(current, calls.CallRecord)
        changed = dataclasses.replace(
            current.data,
            narrative=m("newnarrative"),
            caller=dataclasses.replace(current.data.caller, phone="07700 900988"),
        )
        state["record"] = calls.save_call(db, admin, changed, expected_version=current.version)
        return state["record"]

    def link() -> object:
        other = dataclasses.replace(canary_call(), id=uuid.uuid4(), persons=(), case_id=record.data.case_id)
        return calls.save_call(db, admin, other)

    def save_draft() -> object:
        return drafts.save_draft(
            db, admin, draft_id=draft_id, call_id=record.id, is_edit=True, title=m("draft.title"),
            payload={"narrative": m("draft.narrative")},
        )  # fmt: skip

    def book() -> object:
        state["follow_up"] = followups.book_follow_up(
            db, admin, record.id, datetime.now(UTC) + timedelta(hours=1), note=m("fu.note")
        )
        return state["follow_up"]

    def follow_up() -> followups.FollowUpRecord:
        current = state["follow_up"]
        assert isinstance(current, followups.FollowUpRecord)
        return next(f for f in followups.for_call(db, admin, record.id) if f.id == current.id)

    def snooze() -> object:
        f = follow_up()
        return followups.snooze_follow_up(
            db, admin, f.id, expected_version=f.version, until=datetime.now(UTC) + timedelta(hours=2),
            reason=m("snooze.reason"),
        )  # fmt: skip

    def complete() -> object:
        f = follow_up()
        return followups.complete_follow_up(
            db, admin, f.id, expected_version=f.version, outcome=m("fu.outcome")
        )

    def take() -> object:
        handed = state["handoff"]
        assert isinstance(handed, followups.HandoffRecord)
        return followups.take_handoff(db, admin, handed.id, expected_version=handed.version)

    def handover_id() -> uuid.UUID:
        written = state["handover"]
        assert isinstance(written, handover.HandoverRecord)
        return written.id

    def notes() -> object:
        written = state["handover"]
        assert isinstance(written, handover.HandoverRecord)
        state["handover"] = handover.update_notes(
            db, admin, written.id, expected_version=written.version, notes=m("handover"),
            item_notes={written.items[0].key: m("item.note")},
        )  # fmt: skip
        return state["handover"]

    signer = make_user(db, admin, "sue.supervisor", Role.SUPERVISOR)

    def on_duty_now() -> tuple[datetime, datetime]:
        now = datetime.now(UTC)
        return now - timedelta(hours=1), now + timedelta(hours=2)

    def acknowledge() -> object:
        written = state["handover"]
        assert isinstance(written, handover.HandoverRecord)
        return handover.acknowledge(db, signer, written.id, PASSWORD, expected_version=written.version)

    steps: list[Step] = [
        ("view", lambda: calls.get_call(db, admin, record.id), [("call.view", "consultation")]),
        ("history", lambda: history.call_history(db, admin, record.id), [("call.history", "consultation")]),
        ("update", update, [("call.update", "alteration")]),
        ("search", lambda: calls.list_calls(db, admin, CallQuery(text=m("newnarrative"))),
         [("call.search", "consultation")]),
        ("list", lambda: calls.list_calls(db, admin, PERIOD), [("call.list", "consultation")]),
        ("next page", lambda: calls.list_calls(db, admin, dataclasses.replace(PERIOD, offset=1)), []),
        ("count", lambda: calls.count_calls(db, admin, CallQuery(text=MARK)), []),
        ("earlier", lambda: calls.earlier_calls(db, admin, collar_number=m("collar")),
         [("call.earlier", "consultation")]),
        ("copy", lambda: calls.record_disclosure(db, admin, record.id, means="copy"),
         [("call.copy", "disclosure")]),
        ("copy unsaved",
         lambda: calls.record_disclosure(db, admin, uuid.uuid4(), means="copy", source="call form"),
         [("call.copy", "disclosure")]),
        ("print", lambda: calls.record_disclosure(db, admin, record.id, means="print"),
         [("call.print", "disclosure")]),
        ("link", link, [("call.create", "collection"), ("call.link", "combination")]),
        ("close", lambda: calls.close_call(db, admin, record.id, OPENED + timedelta(hours=1)),
         [("call.update", "alteration")]),
        ("draft", save_draft, [("draft.create", "collection")]),
        ("autosave", save_draft, []),
        ("drafts", lambda: drafts.list_drafts(db, admin), []),
        ("open draft", lambda: drafts.get_draft(db, admin, draft_id), []),
        ("discard draft", lambda: drafts.discard_draft(db, admin, draft_id), [("draft.discard", "erasure")]),
        ("export", lambda: export_service.export(db, admin, format="jsonl", query=PERIOD, profile="full",
                                                 path=export_file, purpose="Canary test"),
         [("calls.export", "disclosure")]),
        ("figures", lambda: figures_for(db, admin, PERIOD), [("figures.view", "consultation")]),
        ("export figures", lambda: export_service.export(db, admin, format="csv", query=PERIOD,
                                                         profile="figures", path=tmp_path / "f.csv",
                                                         purpose="Canary test"),
         [("calls.export", "disclosure")]),
        ("import again", lambda: call_import.import_calls(db, admin, export_file),
         [("calls.import", "combination")]),
        # 24/7 operations (issue 14): every note, reason and outcome carries a marker.
        ("rota add", lambda: rota.add_shift(db, admin, Route.LEGAL, DutyRole.DUTY, admin.user_id,
                                            *on_duty_now()),
         [("rota.add", "alteration")]),
        ("rota view", lambda: rota.escalation_lines(db, admin), []),
        ("copy week", lambda: rota.copy_week(db, admin, date.today() + timedelta(days=7)),
         [("rota.copy_week", "alteration")]),
        ("book follow-up", book, [("followup.book", "collection")]),
        ("due", lambda: followups.due(db, admin), [("followup.due", "consultation")]),
        ("due refreshed", lambda: followups.due(db, admin, audited=False), []),
        ("snooze", snooze, [("followup.snooze", "alteration")]),
        ("complete", complete, [("followup.complete", "alteration")]),
        ("hand off", lambda: state.__setitem__("handoff", followups.hand_to_duty_adviser(
            db, admin, record.id, Route.LEGAL, note=m("handoff"))), [("call.handoff", "alteration")]),
        ("take", take, [("handoff.take", "alteration")]),
        ("handover", lambda: state.__setitem__("handover", handover.start_handover(db, admin)),
         [("handover.create", "collection")]),
        ("handover notes", notes, [("handover.update", "alteration")]),
        ("prefill", lambda: handover.prefill(db, admin), []),
        ("acknowledge", acknowledge, [("handover.acknowledge", "alteration")]),
        ("handover view", lambda: handover.get_handover(db, admin, handover_id()),
         [("handover.view", "consultation")]),
        ("handover search", lambda: handover.search_handovers(db, admin, text=m("handover")),
         [("handover.search", "consultation")]),
        ("handover print", lambda: handover.print_handover(db, admin, handover_id(), tmp_path / "h.pdf",
                                                           marking="OFFICIAL"),
         [("handover.print", "disclosure")]),
    ]  # fmt: skip
    for name, action, expected in steps:
        before = _last_id(db)
        action()
        got = [(e.action, e.category.value) for e in _events(db, before)]
        assert got == expected, name
    # What changed is named, never its value.
    updates = [e for e in _events(db) if e.action == "call.update"]
    assert json.loads(updates[0].details)["fields"] == ["caller.phone", "narrative"]
    assert set(json.loads(updates[1].details)["fields"]) == {"status", "closed_at"}
    search = next(e for e in _events(db) if e.action == "call.search")
    assert json.loads(search.details) == {"filters": [], "results": 1, "text_length": len(m("newnarrative"))}

    # A file refused for what it holds: audited as refused, with the number of problems only.
    before = _last_id(db)
    with pytest.raises(call_import.ImportRefusedError):
        call_import.import_calls(db, admin, bad_file)
    [refused] = _events(db, before)
    assert (refused.action, refused.category.value) == ("calls.import", "combination")
    details = json.loads(refused.details)
    assert outcome(refused) == "refused" and details["problems"] >= 1 and details["file_name"] == "bad.jsonl"

    # Refused actions are audited (before: not at all).
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    before = _last_id(db)
    refusals: list[Callable[[], object]] = [
        lambda: export_service.export(db, operator, format="csv", query=PERIOD, profile="full",
                                      path=tmp_path / "no.csv", purpose="Not allowed"),
        lambda: figures_for(db, operator, PERIOD),
        lambda: call_import.import_calls(db, operator, export_file),
        lambda: calls.save_call(db, operator, dataclasses.replace(canary_call(), id=uuid.uuid4())),
    ]  # fmt: skip
    for attempt in refusals:
        with pytest.raises(PermissionDeniedError):
            attempt()
    got = [(e.action, outcome(e), e.actor_name) for e in _events(db, before)]
    assert got == [
        ("calls.export", "refused", "olu.operator"),
        ("figures.view", "refused", "olu.operator"),
        ("calls.import", "refused", "olu.operator"),
        ("advice.record", "refused", "olu.operator"),
    ]
    assert not (tmp_path / "no.csv").exists()
    _no_personal_data(_events(db))


def test_a_copy_to_the_clipboard_is_a_disclosure_named_by_the_calls_id(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DPA 2018 s.62: a copy of a call to the clipboard is a disclosure. The event names the call
    by its id (and reference), where it was copied from, never what was copied."""
    from supportline.services import permissions
    from supportline.services.actor import Permission
    from supportline.services.errors import NotFoundError

    admin = make_admin(db)
    record = calls.save_call(db, admin, canary_call())
    before = _last_id(db)
    calls.record_disclosure(db, admin, record.id, means="copy", source="detail")
    [copied] = _events(db, before)
    assert (copied.action, copied.category.value, outcome(copied)) == ("call.copy", "disclosure", "allowed")
    assert (copied.record_type, copied.record_id) == ("call", str(record.id))
    assert json.loads(copied.details) == {"reference": record.reference, "source": "detail"}

    # A new call's form, before its first save: the id it will be saved under, saved: false.
    new_id = uuid.uuid4()
    before = _last_id(db)
    calls.record_disclosure(db, admin, new_id, means="copy", source="form")
    [early] = _events(db, before)
    assert (early.action, early.record_id, outcome(early)) == ("call.copy", str(new_id), "allowed")
    assert json.loads(early.details) == {"saved": False, "source": "form"}
    # Printing needs a saved call; nothing is recorded for one that is not there.
    before = _last_id(db)
    with pytest.raises(NotFoundError):
        calls.record_disclosure(db, admin, new_id, means="print")
    assert _events(db, before) == []

    # Every role shipped may read calls, and so copy them. An organisation that takes call.read
    # from a role: that role's copy is refused, and the refusal audited.
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    monkeypatch.setitem(permissions.ROLE_PERMISSIONS, Role.OPERATOR, frozenset({Permission.CALL_WRITE}))
    before = _last_id(db)
    with pytest.raises(PermissionDeniedError, match="may not copy a call to the clipboard"):
        calls.record_disclosure(db, operator, record.id, means="copy", source="list")
    [refused] = _events(db, before)
    assert (refused.action, refused.actor_name, outcome(refused)) == ("call.copy", "olu.operator", "refused")
    assert refused.record_id == str(record.id)
    _no_personal_data(_events(db))


def test_an_import_into_another_database_is_audited_call_by_call(
    db: Database, other_db: Database, tmp_path: Path
) -> None:
    admin = make_admin(db)
    calls.save_call(db, admin, canary_call())
    path = tmp_path / "canary.jsonl"
    export_service.export(db, admin, format="jsonl", query=PERIOD, profile="full", path=path, purpose="Move")
    other_admin = make_admin(other_db, "ola.admin")
    before = _last_id(other_db)
    result = call_import.import_calls(other_db, other_admin, path)
    assert result.imported == 1
    got = [(e.action, e.category.value) for e in _events(other_db, before)]
    assert got == [
        ("user.create", "collection"),
        ("call.import", "collection"),
        ("calls.import", "combination"),
    ]
    _no_personal_data(_events(other_db))


# --- the command line ------------------------------------------------------------------------------


ADMIN_PW = "Saffron-kettle-41"


def _cli_users(run: Run, db: Database) -> tuple[Actor, Actor]:
    admin = make_admin(db)
    supervisor = make_user(db, admin, "sam.supervisor", Role.SUPERVISOR)
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    calls.save_call(db, admin, canary_call())
    return supervisor, operator


def _cli_events(db: Database, action: str) -> list[dict[str, object]]:
    return [
        json.loads(e.details) | {"by": e.actor_name, "outcome": outcome(e)}
        for e in _events(db)
        if e.action == action
    ]


def test_calls_list_and_stats_are_audited(run: Run, cli_db: Database) -> None:
    """Not audited before: ``calls list`` prints officers' names; ``stats`` processes the calls."""
    _cli_users(run, cli_db)
    period = ("--from", "2026-06-01", "--to", "2026-06-30")
    listed = run(
        "calls", "list", *period, "--user", "olu.operator", "--password-stdin", stdin=f"{PASSWORD}\n"
    )
    assert listed.code == 0, listed.err
    assert m("caller.name") in listed.out
    [event] = _cli_events(cli_db, "call.list")
    assert event["results"] == 1 and event["by"] == "olu.operator" and event["filters"] == []
    as_json = run(
        "calls", "list", *period, "--format", "json", "--limit", "1", "--user", "olu.operator",
        "--password-stdin", stdin=f"{PASSWORD}\n",
    )  # fmt: skip
    assert as_json.code == 0, as_json.err
    assert len(_cli_events(cli_db, "call.list")) == 2
    stats = run("stats", *period, "--user", "sam.supervisor", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert stats.code == 0, stats.err
    [figures] = _cli_events(cli_db, "figures.view")
    assert figures["calls"] == 1 and figures["by"] == "sam.supervisor"
    _no_personal_data(_events(cli_db))


@pytest.mark.parametrize(
    ("argv", "action"),
    [
        (["stats", "--from", "2026-06-01", "--to", "2026-06-30"], "figures.view"),
        (["export", "--from", "2026-06-01", "--to", "2026-06-30", "--purpose", "x",
          "--output", "{tmp}/x.csv"], "calls.export"),
        (["calls", "import", "{tmp}/x.jsonl"], "calls.import"),
    ],
)  # fmt: skip
def test_the_command_line_refuses_with_exit_3_and_one_line(
    run: Run, cli_db: Database, tmp_path: Path, argv: list[str], action: str
) -> None:
    _cli_users(run, cli_db)
    (tmp_path / "x.jsonl").write_text("{}\n")
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    result = run(*args, "--user", "olu.operator", "--password-stdin", stdin=f"{PASSWORD}\n")
    assert result.code == 3
    [line] = result.err.splitlines()
    assert line.startswith("supportline: error: olu.operator (Operator) may not ")
    assert "supervisors and administrators may" in line
    [event] = _cli_events(cli_db, action)
    assert event["outcome"] == "refused" and event["by"] == "olu.operator"
    assert not (tmp_path / "x.csv").exists()
