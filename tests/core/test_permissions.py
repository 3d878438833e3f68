"""Every role × every service action: allowed or refused by the service itself (called directly,
not through the GUI), and every refusal is in the audit trail with the outcome "refused".

The expected outcomes are written out here, not read from ``permissions.RULES``: the table is
what is under test. The generated ``docs/permissions.md`` must be the table's.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from supportline.config import Settings
from supportline.db import Database
from supportline.db.models import AuditEvent, Call
from supportline.enums import DutyRole, Role, Route
from supportline.exports import service as export_service
from supportline.exports.figures import figures_for
from supportline.services import (
    accounts,
    audit,
    audit_chain,
    call_import,
    calls,
    drafts,
    erasure,
    followups,
    handover,
    history,
    permissions,
    retention,
    rota,
)
from supportline.services.actor import Actor, Permission, require
from supportline.services.call_types import CallQuery, CallRecord, PersonData
from supportline.services.errors import PermissionDeniedError
from supportline.services.permissions import Action
from tests.conftest import Run
from tests.factories import PASSWORD, full_call, make_admin, make_user, outcome, without_advice

ROOT = Path(__file__).resolve().parents[2]
OP, AD, SU, AM = Role.OPERATOR, Role.ADVISER, Role.SUPERVISOR, Role.ADMIN
EVERYONE = frozenset(Role)
SUPERVISORS = frozenset({SU, AM})
ADMINS = frozenset({AM})

#: Who may do what, as the issue and DOMAIN.md say (operators log calls, advisers advise,
#: supervisors review, export and import, administrators manage accounts and settings).
EXPECTED: dict[Action, frozenset[Role]] = {
    Action.CALL_SAVE: EVERYONE,
    Action.CALL_CLOSE: EVERYONE,
    Action.CALL_LINK: EVERYONE,
    Action.ADVICE_RECORD: frozenset({AD, SU, AM}),
    Action.CALL_VIEW: EVERYONE,
    Action.CALL_LIST: EVERYONE,
    Action.CALL_SEARCH: EVERYONE,
    Action.CALL_COUNT: EVERYONE,
    Action.CALL_EARLIER: EVERYONE,
    Action.CALL_HISTORY: EVERYONE,
    Action.CALL_COPY: EVERYONE,
    Action.CALL_PRINT: SUPERVISORS,
    Action.DRAFT_SAVE: EVERYONE,
    Action.DRAFT_LIST: EVERYONE,
    Action.DRAFT_OPEN: EVERYONE,
    Action.DRAFT_DISCARD: EVERYONE,
    Action.CALLS_EXPORT: SUPERVISORS,
    Action.FIGURES_EXPORT: SUPERVISORS,
    Action.FIGURES_VIEW: SUPERVISORS,
    Action.CALLS_IMPORT: SUPERVISORS,
    Action.USER_CREATE: ADMINS,
    Action.USER_LIST: ADMINS,
    Action.USER_CHANGE: ADMINS,
    Action.USER_PASSWORD: ADMINS,
    Action.HANDLER_LIST: EVERYONE,
    Action.AUDIT_LIST: SUPERVISORS,
    Action.AUDIT_VERIFY: SUPERVISORS,
    Action.RETENTION_REVIEW: ADMINS,
    Action.RETENTION_RUN: ADMINS,
    Action.LEGAL_HOLD: SUPERVISORS,
    Action.ERASURE_REQUEST: SUPERVISORS,
    Action.ERASURE_APPROVE: SUPERVISORS,
    Action.SETTINGS_CHANGE: ADMINS,
    Action.GUIDANCE_PROBLEMS: ADMINS,
    # 24/7 operations (issue 14): operators book follow-ups and hand calls on; what is assigned to
    # nobody anyone may complete; a call handed to an adviser is taken by them or a supervisor;
    # supervisors keep the rota and write, sign, read and print handovers.
    Action.FOLLOWUP_BOOK: EVERYONE,
    Action.FOLLOWUP_COMPLETE: EVERYONE,
    Action.FOLLOWUP_SNOOZE: EVERYONE,
    Action.FOLLOWUP_DUE: EVERYONE,
    Action.CALL_HANDOFF: EVERYONE,
    Action.HANDOFF_TAKE: frozenset({AD, SU, AM}),  # handed to the adviser: not another operator
    Action.ROTA_VIEW: EVERYONE,
    Action.ROTA_EDIT: SUPERVISORS,
    Action.ROTA_COPY_WEEK: SUPERVISORS,
    Action.HANDOVER_WRITE: SUPERVISORS,
    Action.HANDOVER_ACKNOWLEDGE: SUPERVISORS,
    Action.HANDOVER_VIEW: SUPERVISORS,
    Action.HANDOVER_PRINT: SUPERVISORS,
}

PERIOD = CallQuery(opened_from=datetime(2026, 6, 1, tzinfo=UTC), opened_to=datetime(2026, 7, 1, tzinfo=UTC))


@dataclass
class World:
    db: Database
    admin: Actor
    people: dict[Role, Actor]
    call: CallRecord  # an open call, no advice, handled by the admin
    tmp: Path
    export_file: Path  # a full export of the database, to import again


Service = Callable[[World, Actor], object]


def _new_call() -> object:
    return without_advice(full_call(id=uuid.uuid4(), persons=(), closed_at=None, status="open"))


def _export(world: World, actor: Actor, profile: str) -> object:
    return export_service.export(
        world.db, actor, format="csv", query=PERIOD, profile=profile,
        path=world.tmp / f"{actor.username}-{profile}.csv", purpose="Test of permissions",
    )  # fmt: skip


def _own_draft(world: World, actor: Actor) -> uuid.UUID:
    draft_id = uuid.uuid4()
    drafts.save_draft(
        world.db, actor, draft_id=draft_id, call_id=uuid.uuid4(), is_edit=False, title="t", payload={}
    )
    return draft_id


def _person(world: World) -> uuid.UUID:
    """A new potential victim on the world's call (an update: no call is added), by id."""
    record = calls.get_call(world.db, world.admin, world.call.id, audit_view=False)
    person = PersonData(name="Person to erase")
    calls.save_call(
        world.db, world.admin, dataclasses.replace(record.data, persons=(*record.data.persons, person)),
        expected_version=record.version,
    )  # fmt: skip
    return person.id


def _hold(world: World, actor: Actor) -> object:
    """Place a legal hold on the world's case and lift it (the next role may place it again)."""
    case = world.call.case_reference
    retention.place_hold(world.db, actor, case, "Preservation order 2026/117")
    retention.list_holds(world.db, actor)
    return retention.release_hold(world.db, actor, case, "Order discharged")


def _request(world: World, actor: Actor) -> object:
    erasure.request_erasure(world.db, actor, "person", str(_person(world)), "DSR-2026-09")
    return erasure.list_requests(world.db, actor)


def _approve(world: World, actor: Actor) -> object:
    """Approve (and so erase) a request someone else made: never one's own."""
    requester = world.people[SU] if actor.role is AM else world.admin
    request = erasure.request_erasure(world.db, requester, "person", str(_person(world)), "DSR-2026-10")
    erasure.approve_erasure(world.db, actor, request.id)
    return erasure.list_records(world.db, actor)


_SLOTS = itertools.count()


def _slot() -> datetime:
    """A distinct hour in the future for each use (shifts and handovers must not overlap)."""
    return datetime(2031, 1, 1, tzinfo=UTC) + timedelta(hours=next(_SLOTS))


def _open_follow_up(world: World) -> followups.FollowUpRecord:
    """A follow-up assigned to nobody, booked by the administrator."""
    return followups.book_follow_up(world.db, world.admin, world.call.id, _slot())


def _on_duty(world: World, route: Route) -> None:
    """The adviser holds ``route`` now (once per world)."""
    if rota.duty_at(world.db, world.admin)[route].duty is None:
        now = datetime.now(UTC)
        rota.add_shift(
            world.db, world.admin, route, DutyRole.DUTY, world.people[AD].user_id,
            now - timedelta(hours=1), now + timedelta(hours=2),
        )  # fmt: skip


#: Each role hands the world's call to another route (a call waits for a route once at a time).
_HANDOFF_ROUTE = dict(zip(Role, Route, strict=True))


def _handoff(world: World, actor: Actor) -> object:
    route = _HANDOFF_ROUTE[actor.role]
    _on_duty(world, route)
    return followups.hand_to_duty_adviser(world.db, actor, world.call.id, route)


def _take(world: World, actor: Actor) -> object:
    """Take the call handed to the adviser on Legal (the one an earlier role left, or a new one)."""
    _on_duty(world, Route.LEGAL)
    waiting = followups.due(world.db, world.admin, audited=False).handoffs
    handed = (
        waiting[0]
        if waiting
        else followups.hand_to_duty_adviser(world.db, world.admin, world.call.id, Route.LEGAL)
    )
    return followups.take_handoff(world.db, actor, handed.id, expected_version=handed.version)


def _handover(world: World, author: Actor) -> handover.HandoverRecord:
    start = _slot()
    return handover.start_handover(world.db, author, start, start + timedelta(minutes=30))


def _acknowledge(world: World, actor: Actor) -> object:
    author = world.people[SU] if actor.user_id != world.people[SU].user_id else world.admin
    written = _handover(world, author)
    return handover.acknowledge(world.db, actor, written.id, PASSWORD, expected_version=written.version)


def _print_handover(world: World, actor: Actor) -> object:
    written = _handover(world, world.people[SU])
    path = world.tmp / f"handover-{actor.username}.pdf"
    return handover.print_handover(world.db, actor, written.id, path, marking="OFFICIAL")


#: The service entry point of each action that has one, called as ``actor``.
SERVICES: dict[Action, Service] = {
    Action.CALL_SAVE: lambda w, a: calls.save_call(w.db, a, _new_call()),  # type: ignore[arg-type]
    Action.CALL_CLOSE: lambda w, a: calls.close_call(w.db, a, w.call.id, datetime.now(UTC)),
    Action.CALL_LINK: lambda w, a: calls.save_call(
        w.db,
        a,
        dataclasses.replace(_new_call(), case_id=w.call.data.case_id),  # type: ignore[type-var]
    ),
    Action.ADVICE_RECORD: lambda w, a: calls.save_call(w.db, a, full_call(id=uuid.uuid4(), persons=())),
    Action.CALL_VIEW: lambda w, a: calls.get_call(w.db, a, w.call.id),
    Action.CALL_LIST: lambda w, a: calls.list_calls(w.db, a, CallQuery()),
    Action.CALL_SEARCH: lambda w, a: calls.list_calls(w.db, a, CallQuery(text="Tregarthen")),
    Action.CALL_COUNT: lambda w, a: calls.count_calls(w.db, a, CallQuery()),
    Action.CALL_EARLIER: lambda w, a: calls.earlier_calls(w.db, a, collar_number="DC 4471"),
    Action.CALL_HISTORY: lambda w, a: history.call_history(w.db, a, w.call.id),
    Action.CALL_COPY: lambda w, a: calls.record_disclosure(w.db, a, w.call.id, means="copy"),
    Action.CALL_PRINT: lambda w, a: calls.record_disclosure(w.db, a, w.call.id, means="print"),
    Action.DRAFT_SAVE: _own_draft,
    Action.DRAFT_LIST: lambda w, a: drafts.list_drafts(w.db, a),
    Action.DRAFT_OPEN: lambda w, a: drafts.get_draft(w.db, a, _own_draft(w, a)),
    Action.DRAFT_DISCARD: lambda w, a: drafts.discard_draft(w.db, a, _own_draft(w, a)),
    Action.CALLS_EXPORT: lambda w, a: _export(w, a, "full"),
    Action.FIGURES_EXPORT: lambda w, a: _export(w, a, "figures"),
    Action.FIGURES_VIEW: lambda w, a: figures_for(w.db, a, PERIOD),
    Action.CALLS_IMPORT: lambda w, a: call_import.import_calls(w.db, a, w.export_file),
    Action.USER_CREATE: lambda w, a: accounts.create_user(
        w.db, a, f"new.{uuid.uuid4().hex[:8]}", "New Person", Role.OPERATOR, PASSWORD
    ),
    Action.USER_LIST: lambda w, a: accounts.list_users(w.db, a),
    Action.USER_CHANGE: lambda w, a: accounts.unlock_user(w.db, a, w.people[OP].user_id),
    Action.USER_PASSWORD: lambda w, a: accounts.reset_password(  # someone else's password
        w.db, a, w.people[OP if a.role is not OP else AD].user_id, PASSWORD + "!"
    ),
    Action.HANDLER_LIST: lambda w, a: accounts.list_handlers(w.db, a),
    Action.AUDIT_LIST: lambda w, a: audit.recent_events(w.db, a),
    Action.AUDIT_VERIFY: lambda w, a: audit_chain.verify_trail(w.db, a),
    Action.RETENTION_REVIEW: lambda w, a: retention.review(w.db, a, Settings()),
    Action.RETENTION_RUN: lambda w, a: retention.run(w.db, a, Settings()),  # nothing is due yet
    Action.LEGAL_HOLD: _hold,
    Action.ERASURE_REQUEST: _request,
    Action.ERASURE_APPROVE: _approve,
    Action.FOLLOWUP_BOOK: lambda w, a: followups.book_follow_up(w.db, a, w.call.id, _slot()),
    Action.FOLLOWUP_COMPLETE: lambda w, a: followups.complete_follow_up(
        w.db, a, (f := _open_follow_up(w)).id, expected_version=f.version, outcome="Called back"
    ),
    Action.FOLLOWUP_SNOOZE: lambda w, a: followups.snooze_follow_up(
        w.db, a, (f := _open_follow_up(w)).id, expected_version=f.version,
        until=datetime.now(UTC) + timedelta(hours=1), reason="In court",
    ),
    Action.FOLLOWUP_DUE: lambda w, a: followups.due(w.db, a),
    Action.CALL_HANDOFF: _handoff,
    Action.HANDOFF_TAKE: _take,
    Action.ROTA_VIEW: lambda w, a: rota.duty_at(w.db, a),
    Action.ROTA_EDIT: lambda w, a: rota.add_shift(
        w.db, a, Route.VICTIM, DutyRole.DUTY, w.people[AD].user_id, (t := _slot()), t + timedelta(minutes=30)
    ),
    Action.ROTA_COPY_WEEK: lambda w, a: rota.copy_week(w.db, a, date(2031, 1, 8)),
    Action.HANDOVER_WRITE: lambda w, a: _handover(w, a),
    Action.HANDOVER_ACKNOWLEDGE: _acknowledge,
    Action.HANDOVER_VIEW: lambda w, a: handover.search_handovers(w.db, a),
    Action.HANDOVER_PRINT: _print_handover,
}  # fmt: skip


@pytest.fixture
def world(db: Database, tmp_path: Path) -> World:
    admin = make_admin(db)
    people = {role: make_user(db, admin, f"{role.value}.one", role) for role in Role if role is not AM}
    people[AM] = admin
    call = calls.save_call(db, admin, _new_call())  # type: ignore[arg-type]
    export_file = tmp_path / "all.jsonl"
    export_service.export(
        db, admin, format="jsonl", query=PERIOD, profile="full", path=export_file, purpose="For the import"
    )
    return World(db, admin, people, call, tmp_path, export_file)


def _refusals(db: Database, actor: Actor, action: Action) -> list[AuditEvent]:
    with db.read() as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.actor_id == actor.user_id, AuditEvent.action == action.value)
        ).all()
    return [r for r in rows if outcome(r) == "refused"]


def _calls(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(Call)) or 0


def test_every_action_has_an_expectation_and_every_built_one_a_service() -> None:
    assert set(EXPECTED) == set(Action) == set(permissions.RULES)
    built = {action for action, rule in permissions.RULES.items() if rule.service}
    assert built - set(SERVICES) == {Action.GUIDANCE_PROBLEMS}  # a GUI-only gate (see the GUI tests)


@pytest.mark.parametrize("action", list(SERVICES), ids=lambda a: a.value)
def test_each_role_is_allowed_or_refused_by_the_service(world: World, action: Action) -> None:
    outcomes: dict[Role, str] = {}
    for role in Role:
        actor = world.people[role]
        before = _calls(world.db)
        refused: PermissionDeniedError | None = None
        try:
            SERVICES[action](world, actor)
        except PermissionDeniedError as exc:
            refused = exc
        if refused is not None:
            outcomes[role] = "refused"
            assert "\n" not in str(refused) and str(refused)
            assert _calls(world.db) == before  # nothing of a refused save is kept
            [event] = _refusals(world.db, actor, action)
            assert event.category is permissions.RULES[action].category
            assert json.loads(event.details)["permission"] == permissions.RULES[action].permission.value
        else:
            outcomes[role] = "allowed"
            assert _refusals(world.db, actor, action) == []
    assert outcomes == {role: "allowed" if role in EXPECTED[action] else "refused" for role in Role}


@pytest.mark.parametrize("action", [a for a in Action if a not in SERVICES], ids=lambda a: a.value)
def test_actions_not_built_yet_are_checked_by_the_table(world: World, action: Action) -> None:
    """Settings, handover …: their services (not built yet) will call ``permissions.check`` with
    these actions; the table and the audit of a refusal are here."""
    for role in Role:
        actor = world.people[role]
        if role in EXPECTED[action]:
            permissions.check(world.db, actor, action)
            assert _refusals(world.db, actor, action) == []
        else:
            with pytest.raises(permissions.ActionRefusedError, match="may not"):
                permissions.check(world.db, actor, action, "some-id")
            [event] = _refusals(world.db, actor, action)
            assert event.record_id == "some-id"


def test_an_operator_cannot_change_advice_on_a_save(world: World) -> None:
    """ADVICE_WRITE was declared and checked nowhere: an operator could record advice and ticks."""
    db, operator, adviser = world.db, world.people[OP], world.people[AD]
    advised = calls.save_call(db, adviser, full_call(id=uuid.uuid4(), persons=()))
    # The operator may change the rest of the call and save it with its advice as it is.
    changed = dataclasses.replace(advised.data, narrative="Called back.")
    again = calls.save_call(db, operator, changed, expected_version=advised.version)
    assert again.data.routes == advised.data.routes
    # Not the advice: the save is refused whole, naming the fields, and nothing is kept.
    [victim, *rest] = again.data.routes
    ticked_off = dataclasses.replace(victim, checklist=victim.checklist[:1], advice_summary="Changed.")
    with pytest.raises(PermissionDeniedError) as info:
        calls.save_call(
            db, operator,
            dataclasses.replace(again.data, routes=(ticked_off, *rest), narrative="Again."),
            expected_version=again.version,
        )  # fmt: skip
    message = str(info.value)
    assert "routes[victim].advice_summary" in message and "routes[victim].checklist" in message
    assert "duty advisers, supervisors and administrators may" in message
    stored = calls.get_call(db, world.admin, again.id).data
    assert stored.routes == again.data.routes and stored.narrative == "Called back."
    [event] = _refusals(db, operator, Action.ADVICE_RECORD)
    details = json.loads(event.details)
    assert details["fields"] == ["routes[victim].advice_summary", "routes[victim].checklist"]
    assert event.record_id == str(again.id)
    # Removing a route that holds advice is changing the advice too.
    with pytest.raises(PermissionDeniedError):
        calls.save_call(
            db, operator, dataclasses.replace(again.data, routes=()), expected_version=again.version
        )


def test_another_users_draft_is_refused_and_audited(world: World) -> None:
    owner, other = world.people[OP], world.people[AD]
    draft_id = _own_draft(world, owner)
    for attempt in (
        lambda: drafts.get_draft(world.db, other, draft_id),
        lambda: drafts.discard_draft(world.db, other, draft_id),
        lambda: drafts.save_draft(
            world.db, other, draft_id=draft_id, call_id=uuid.uuid4(), is_edit=False, title="", payload={}
        ),
    ):
        with pytest.raises(PermissionDeniedError, match="belongs to another user"):
            attempt()
    refused = {
        action: _refusals(world.db, other, action)
        for action in (Action.DRAFT_OPEN, Action.DRAFT_DISCARD, Action.DRAFT_SAVE)
    }
    assert {a: len(r) for a, r in refused.items()} == dict.fromkeys(refused, 1)
    assert drafts.get_draft(world.db, owner, draft_id).id == draft_id


def test_a_refusal_survives_the_rollback_of_the_refused_save(world: World) -> None:
    """The advice refusal is raised inside the save's transaction; its audit row is written after."""
    before = _calls(world.db)
    with pytest.raises(PermissionDeniedError):
        calls.save_call(world.db, world.people[OP], full_call(id=uuid.uuid4()))
    assert _calls(world.db) == before
    assert len(_refusals(world.db, world.people[OP], Action.ADVICE_RECORD)) == 1


def test_require_and_permission_are_still_importable_from_actor() -> None:
    assert Permission is permissions.Permission
    operator = Actor(uuid.uuid4(), "olu", "Olu", Role.OPERATOR)
    with pytest.raises(PermissionDeniedError):
        require(operator, Permission.IMPORT)
    assert operator.can(Permission.CALL_WRITE) and not operator.can(Permission.ADVICE_WRITE)


# --- docs/permissions.md ------------------------------------------------------------------------


def test_the_committed_permissions_page_is_the_generated_one() -> None:
    committed = (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")
    assert committed == permissions.markdown(), (
        "docs/permissions.md differs from the table: run "
        "`python -m supportline.services.permissions > docs/permissions.md`"
    )


def test_the_page_is_printed_by_the_module() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "supportline.services.permissions"],
        capture_output=True, text=True, check=True, cwd=ROOT, timeout=60,
    ).stdout  # fmt: skip
    assert out == permissions.markdown()
    assert "| `advice.write` | – | yes | yes | yes |" in out
    assert "| `call.print` | print a call | `export.personal` | Supervisor, Administrator |" in out


def test_the_command_line_prints_the_table_and_the_page(run: Run) -> None:
    page = run("permissions", "--markdown")
    assert page.code == 0 and page.out == permissions.markdown()
    table = run("permissions")
    assert table.code == 0
    assert any(line.split()[:1] == ["advice.record"] and "adviser, supervisor, admin" in line
               for line in table.out.splitlines())  # fmt: skip
