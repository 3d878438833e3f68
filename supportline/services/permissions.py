"""Who may do what: the one table of service actions, the permission each needs, and its audit.

Each role holds a set of :class:`Permission` (:data:`ROLE_PERMISSIONS`); each thing a service can
be asked to do is an :class:`Action` whose :class:`Rule` in :data:`RULES` names the permission it
needs, the DPA 2018 s.62 kind of processing it is, and the audit event(s) it writes when allowed.
Every service entry point starts with :func:`check`; ``docs/permissions.md`` is generated from
this table (``python -m supportline.services.permissions > docs/permissions.md``) and a test fails
when the two differ.

A refusal raises :class:`ActionRefusedError` (a :class:`PermissionDeniedError`) and is audited
with ``outcome="refused"`` in a short write transaction of its own, so that it survives the
rollback of whatever was refused. A refusal found *inside* a service's transaction (advice in a
call save, another user's draft) is raised with :func:`refusal` and audited by
:func:`audits_refusals` once that transaction has rolled back: on SQLite a second writer
cannot start while the first holds the lock.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from supportline.enums import AuditCategory, Role
from supportline.services.errors import PermissionDeniedError

if TYPE_CHECKING:
    from supportline.db.engine import Database
    from supportline.services.actor import Actor
    from supportline.services.call_types import RouteData

log = logging.getLogger(__name__)


class Permission(StrEnum):
    CALL_READ = "call.read"
    CALL_WRITE = "call.write"
    ADVICE_WRITE = "advice.write"
    HANDOVER_WRITE = "handover.write"  # write and acknowledge shift handovers
    HANDOVER_READ = "handover.read"  # read the handovers and their history
    ROTA_WRITE = "rota.write"  # edit the duty rota
    EXPORT_PERSONAL = "export.personal"
    EXPORT_FIGURES = "export.figures"
    IMPORT = "import"
    USER_ADMIN = "user.admin"
    GUIDANCE_ADMIN = "guidance.admin"
    AUDIT_READ = "audit.read"
    RETENTION_ADMIN = "retention.admin"  # review and run the retention schedule
    LEGAL_HOLD = "retention.hold"  # place and release a legal hold on a case
    ERASURE_REQUEST = "erasure.request"
    ERASURE_APPROVE = "erasure.approve"  # never one's own request (services/erasure.py)
    SETTINGS = "settings"  # change the organisation's settings


_BASE = {Permission.CALL_READ, Permission.CALL_WRITE}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OPERATOR: frozenset(_BASE),
    Role.ADVISER: frozenset(_BASE | {Permission.ADVICE_WRITE}),
    Role.SUPERVISOR: frozenset(
        _BASE
        | {
            Permission.ADVICE_WRITE,
            Permission.HANDOVER_WRITE,
            Permission.HANDOVER_READ,
            Permission.ROTA_WRITE,
            Permission.EXPORT_PERSONAL,
            Permission.EXPORT_FIGURES,
            Permission.IMPORT,
            Permission.AUDIT_READ,
            Permission.LEGAL_HOLD,
            Permission.ERASURE_REQUEST,
            Permission.ERASURE_APPROVE,
        }
    ),
    Role.ADMIN: frozenset(Permission),
}


def role_has(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


class Action(StrEnum):
    """Everything a service can be asked to do on someone's behalf (the value is the name the
    audit trail records for a refusal)."""

    # calls
    CALL_SAVE = "call.save"
    CALL_CLOSE = "call.close"
    CALL_LINK = "call.link"
    ADVICE_RECORD = "advice.record"
    CALL_VIEW = "call.view"
    CALL_LIST = "call.list"
    CALL_SEARCH = "call.search"
    CALL_COUNT = "call.count"
    CALL_EARLIER = "call.earlier"
    CALL_HISTORY = "call.history"
    CALL_COPY = "call.copy"
    CALL_PRINT = "call.print"
    # drafts
    DRAFT_SAVE = "draft.save"
    DRAFT_LIST = "draft.list"
    DRAFT_OPEN = "draft.open"
    DRAFT_DISCARD = "draft.discard"
    # exports, figures, import
    CALLS_EXPORT = "calls.export"
    FIGURES_EXPORT = "figures.export"
    FIGURES_VIEW = "figures.view"
    CALLS_IMPORT = "calls.import"
    # accounts
    USER_CREATE = "user.create"
    USER_LIST = "user.list"
    USER_CHANGE = "user.change"
    USER_PASSWORD = "user.password"  # noqa: S105 (an action's name, not a password)
    HANDLER_LIST = "user.handlers"
    # the audit trail
    AUDIT_LIST = "audit.list"
    AUDIT_VERIFY = "audit.verify"
    # retention and erasure
    RETENTION_REVIEW = "retention.review"
    RETENTION_RUN = "retention.run"
    LEGAL_HOLD = "case.hold"
    ERASURE_REQUEST = "erasure.request"
    ERASURE_APPROVE = "erasure.approve"
    # 24/7 operations (issue 14): follow-ups, hand-offs, the rota, handovers
    FOLLOWUP_BOOK = "followup.book"
    FOLLOWUP_COMPLETE = "followup.complete"
    FOLLOWUP_SNOOZE = "followup.snooze"
    FOLLOWUP_DUE = "followup.due"
    CALL_HANDOFF = "call.handoff"
    HANDOFF_TAKE = "handoff.take"
    ROTA_VIEW = "rota.view"
    ROTA_EDIT = "rota.edit"
    ROTA_COPY_WEEK = "rota.copy_week"
    HANDOVER_WRITE = "handover.write"
    HANDOVER_ACKNOWLEDGE = "handover.acknowledge"
    HANDOVER_VIEW = "handover.view"
    HANDOVER_PRINT = "handover.print"
    # the rest
    SETTINGS_CHANGE = "settings.change"
    GUIDANCE_PROBLEMS = "guidance.problems"


@dataclass(frozen=True)
class Rule:
    permission: Permission
    category: AuditCategory  # what kind of processing it is (DPA 2018 s.62), for the audit event
    record_type: str  # what the record id of its audit events names
    doing: str  # "open a call": for the refusal message and the documentation
    audited_as: tuple[str, ...] = ()  # the audit events it writes when allowed (docs)
    service: str = ""  # where it is enforced (docs); "" while nothing implements it yet
    note: str = ""


C = AuditCategory
RULES: Mapping[Action, Rule] = {
    Action.CALL_SAVE: Rule(
        Permission.CALL_WRITE, C.ALTERATION, "call", "create or change a call",
        ("call.create", "call.update"), "calls.save_call",
        "call.update names the fields changed, never their values",
    ),
    Action.CALL_CLOSE: Rule(
        Permission.CALL_WRITE, C.ALTERATION, "call", "close a call", ("call.update",), "calls.close_call"
    ),
    Action.CALL_LINK: Rule(
        Permission.CALL_WRITE, C.COMBINATION, "call", "link a call to another case", ("call.link",),
        "calls.save_call", "a call saved with another case than its own",
    ),
    Action.ADVICE_RECORD: Rule(
        Permission.ADVICE_WRITE, C.ALTERATION, "call", "record route advice or checklist ticks",
        ("call.create", "call.update"), "calls.save_call",
        "a save that changes a route's guidance version, ticks, advice, adviser or closing is refused "
        "whole, naming the fields",
    ),
    Action.CALL_VIEW: Rule(
        Permission.CALL_READ, C.CONSULTATION, "call", "open a call", ("call.view",), "calls.get_call"
    ),
    Action.CALL_LIST: Rule(
        Permission.CALL_READ, C.CONSULTATION, "call", "list calls", ("call.list",), "calls.list_calls",
        "once per listing (its first page), or once per settled query in the GUI",
    ),
    Action.CALL_SEARCH: Rule(
        Permission.CALL_READ, C.CONSULTATION, "call", "search calls by text", ("call.search",),
        "calls.list_calls", "the length of the text and the number of results, never the text",
    ),
    Action.CALL_COUNT: Rule(
        Permission.CALL_READ, C.CONSULTATION, "call", "count calls", (), "calls.count_calls",
        "a number only: not audited",
    ),
    Action.CALL_EARLIER: Rule(
        Permission.CALL_READ, C.CONSULTATION, "call", "look up an officer's earlier calls",
        ("call.earlier",), "calls.earlier_calls",
    ),
    Action.CALL_HISTORY: Rule(
        Permission.CALL_READ, C.CONSULTATION, "call", "view a call's history", ("call.history",),
        "history.call_history",
    ),
    Action.CALL_COPY: Rule(
        Permission.CALL_READ, C.DISCLOSURE, "call", "copy a call to the clipboard", ("call.copy",),
        "calls.record_disclosure",
        "Call ▸ Copy call, or Ctrl+C from a call's row, detail pane or form (details: source; a new "
        "call's form before its first save: saved false); the GUI records one event per call for "
        "copies within 5 seconds",
    ),
    Action.CALL_PRINT: Rule(
        Permission.EXPORT_PERSONAL, C.DISCLOSURE, "call", "print a call", ("call.print",),
        "calls.record_disclosure",
    ),
    Action.DRAFT_SAVE: Rule(
        Permission.CALL_WRITE, C.COLLECTION, "draft", "save a draft", ("draft.create",), "drafts.save_draft",
        "only the first save of a draft is audited (not every autosave); only its owner may",
    ),
    Action.DRAFT_LIST: Rule(
        Permission.CALL_WRITE, C.CONSULTATION, "draft", "list one's own drafts", (), "drafts.list_drafts",
        "one's own unsaved work: not audited",
    ),
    Action.DRAFT_OPEN: Rule(
        Permission.CALL_WRITE, C.CONSULTATION, "draft", "open one's own draft", (), "drafts.get_draft",
        "one's own unsaved work: not audited; another user's draft is refused (and that is audited)",
    ),
    Action.DRAFT_DISCARD: Rule(
        Permission.CALL_WRITE, C.ERASURE, "draft", "discard a draft", ("draft.discard",),
        "drafts.discard_draft, drafts.discard_drafts_for_call",
    ),
    Action.CALLS_EXPORT: Rule(
        Permission.EXPORT_PERSONAL, C.DISCLOSURE, "call", "export calls (a row per call)",
        ("calls.export",), "exports.service.export", "full or pseudonymised profile",
    ),
    Action.FIGURES_EXPORT: Rule(
        Permission.EXPORT_FIGURES, C.DISCLOSURE, "call", "export figures", ("calls.export",),
        "exports.service.export", "figures profile: aggregates only",
    ),
    Action.FIGURES_VIEW: Rule(
        Permission.EXPORT_FIGURES, C.CONSULTATION, "call", "view the figures", ("figures.view",),
        "exports.figures.figures_for", "`supportline stats` and the Statistics window",
    ),
    Action.CALLS_IMPORT: Rule(
        Permission.IMPORT, C.COMBINATION, "call", "import calls", ("calls.import", "call.import"),
        "call_import.import_calls", "a file refused for its content is audited too (the number of problems)",
    ),
    Action.USER_CREATE: Rule(
        Permission.USER_ADMIN, C.COLLECTION, "user", "add an account", ("user.create",),
        "accounts.create_user",
    ),
    Action.USER_LIST: Rule(
        Permission.USER_ADMIN, C.CONSULTATION, "user", "list accounts", (), "accounts.list_users"
    ),
    Action.USER_CHANGE: Rule(
        Permission.USER_ADMIN, C.ALTERATION, "user",
        "disable, enable, unlock or change the role of an account",
        ("user.disable", "user.enable", "user.unlock", "user.role"),
        "accounts.disable_user, accounts.enable_user, accounts.unlock_user, accounts.set_role",
        "a refusal names the operation (details: operation)",
    ),
    Action.USER_PASSWORD: Rule(
        Permission.USER_ADMIN, C.ALTERATION, "user", "set another account's password",
        ("user.password.reset",), "accounts.reset_password",
        "changing one's own password (accounts.change_password) needs no permission",
    ),
    Action.HANDLER_LIST: Rule(
        Permission.CALL_READ, C.CONSULTATION, "user", "list who handled calls (for the filters)", (),
        "accounts.list_handlers",
    ),
    Action.AUDIT_LIST: Rule(
        Permission.AUDIT_READ, C.CONSULTATION, "audit", "read and export the audit trail",
        ("audit.list", "audit.export"), "audit.recent_events, audit.list_events, audit.export_csv",
        "a refusal is recorded as audit.list or audit.export",
    ),
    Action.AUDIT_VERIFY: Rule(
        Permission.AUDIT_READ, C.CONSULTATION, "audit", "verify or anchor the audit trail",
        ("audit.verify", "audit.anchor"), "audit_chain.verify_trail, audit_chain.anchor_trail",
        "a refusal is recorded as audit.verify or audit.anchor",
    ),
    Action.RETENTION_REVIEW: Rule(
        Permission.RETENTION_ADMIN, C.CONSULTATION, "call", "review what the retention schedule has made due",
        ("retention.review",), "retention.review",
    ),
    Action.RETENTION_RUN: Rule(
        Permission.RETENTION_ADMIN, C.ERASURE, "call", "erase what retention has made due",
        ("retention.run.start", "retention.run.resume", "call.erase", "draft.erase", "retention.run.finish"),
        "retention.run",
    ),
    Action.LEGAL_HOLD: Rule(
        Permission.LEGAL_HOLD, C.ALTERATION, "case", "place or lift a legal hold on a case",
        ("case.hold", "case.release"), "retention.place_hold, retention.release_hold, retention.list_holds",
        "a refusal is recorded as case.hold, case.release or case.holds",
    ),
    Action.ERASURE_REQUEST: Rule(
        Permission.ERASURE_REQUEST, C.ERASURE, "erasure_request",
        "ask for a person's or a call's data to be erased",
        ("erasure.request",), "erasure.request_erasure, erasure.list_requests",
        "a refusal is recorded as erasure.request or erasure.list; one for a case on legal hold too",
    ),
    Action.ERASURE_APPROVE: Rule(
        Permission.ERASURE_APPROVE, C.ERASURE, "erasure_request",
        "approve another supervisor's erasure request",
        ("erasure.approve", "call.erase", "person.erase"), "erasure.approve_erasure, erasure.list_records",
        "never one's own request (two-person rule); a refusal is recorded as erasure.approve or "
        "erasure.records",
    ),
    Action.SETTINGS_CHANGE: Rule(Permission.SETTINGS, C.ALTERATION, "settings", "change the settings"),
    Action.FOLLOWUP_BOOK: Rule(
        Permission.CALL_WRITE, C.COLLECTION, "follow_up", "book a follow-up on a call", ("followup.book",),
        "followups.book_follow_up",
        "a follow-up booked with the call (the outcome \"follow-up booked\") is the call save's; "
        "booking moves the call's version on",
    ),
    Action.FOLLOWUP_COMPLETE: Rule(
        Permission.CALL_WRITE, C.ALTERATION, "follow_up", "complete a follow-up", ("followup.complete",),
        "followups.complete_follow_up",
        "only its assignee (for a route: its duty adviser or deputy when due, or now), anyone for an "
        "unassigned one, or a supervisor; the outcome text is never audited",
    ),
    Action.FOLLOWUP_SNOOZE: Rule(
        Permission.CALL_WRITE, C.ALTERATION, "follow_up", "snooze a follow-up", ("followup.snooze",),
        "followups.snooze_follow_up", "the same people as completing; a reason is required (never audited)",
    ),
    Action.FOLLOWUP_DUE: Rule(
        Permission.CALL_READ, C.CONSULTATION, "follow_up", "list the follow-ups and hand-offs due",
        ("followup.due",), "followups.due",
        "once per listing asked to audit (the GUI's Due panel: when opened, not at every refresh)",
    ),
    Action.CALL_HANDOFF: Rule(
        Permission.CALL_WRITE, C.ALTERATION, "call", "hand a call to a route's duty adviser",
        ("call.handoff",), "followups.hand_to_duty_adviser",
    ),
    Action.HANDOFF_TAKE: Rule(
        Permission.CALL_WRITE, C.ALTERATION, "handoff", "take a call handed to oneself", ("handoff.take",),
        "followups.take_handoff", "only the adviser it was handed to, or a supervisor",
    ),
    Action.ROTA_VIEW: Rule(
        Permission.CALL_READ, C.CONSULTATION, "rota_shift", "see the duty rota and who is on duty", (),
        "rota.duty_at, rota.list_shifts, rota.escalation_lines, rota.gaps",
        "staff names and times only: not audited",
    ),
    Action.ROTA_EDIT: Rule(
        Permission.ROTA_WRITE, C.ALTERATION, "rota_shift", "add, change or remove a rota shift",
        ("rota.add", "rota.change", "rota.remove"), "rota.add_shift, rota.change_shift, rota.remove_shift",
        "a refusal names the operation (details: operation)",
    ),
    Action.ROTA_COPY_WEEK: Rule(
        Permission.ROTA_WRITE, C.ALTERATION, "rota_shift", "copy last week's rota", ("rota.copy_week",),
        "rota.copy_week", "local wall-clock times are kept across a clock change",
    ),
    Action.HANDOVER_WRITE: Rule(
        Permission.HANDOVER_WRITE, C.COLLECTION, "handover", "write a shift handover",
        ("handover.create", "handover.update"),
        "handover.start_handover, handover.update_notes, handover.refresh_handover",
        "only its author changes it; a refusal names the operation (details: operation)",
    ),
    Action.HANDOVER_ACKNOWLEDGE: Rule(
        Permission.HANDOVER_WRITE, C.ALTERATION, "handover", "acknowledge a shift handover",
        ("handover.acknowledge",), "handover.acknowledge",
        "with the acknowledging supervisor's own password; never the handover's author; a wrong "
        "password is refused and audited",
    ),
    Action.HANDOVER_VIEW: Rule(
        Permission.HANDOVER_READ, C.CONSULTATION, "handover", "read and search the shift handovers",
        ("handover.view", "handover.search"),
        "handover.get_handover, handover.search_handovers, handover.prefill, handover.shift_checks",
        "the pre-fill and the shift checks are not audited (they are re-read, not a record); a refusal "
        "names the operation",
    ),
    Action.HANDOVER_PRINT: Rule(
        Permission.HANDOVER_READ, C.DISCLOSURE, "handover", "print a handover as a PDF",
        ("handover.print",), "handover.print_handover",
    ),
    Action.GUIDANCE_PROBLEMS: Rule(
        Permission.GUIDANCE_ADMIN, C.CONSULTATION, "guidance", "see the problems of the guidance files", (),
        "the Guidance window",
    ),
}  # fmt: skip
del C


class ActionRefusedError(PermissionDeniedError):
    """The actor's role does not allow ``action``; audited (once) with ``outcome="refused"``."""

    def __init__(
        self,
        message: str,
        *,
        action: Action,
        record_id: object = "",
        details: Mapping[str, Any] | None = None,
        event: str = "",
    ) -> None:
        super().__init__(message)
        self.action = action
        self.event = event or action.value  # the audit event's name: the action's, or a finer one
        self.record_id = record_id
        self.details: dict[str, Any] = dict(details or {})
        self.audited = False


def _who(roles: Iterable[Role]) -> str:
    names = [f"{role.label.lower()}s" for role in roles]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def allowed_roles(action: Action) -> tuple[Role, ...]:
    return tuple(role for role in Role if role_has(role, RULES[action].permission))


def message(actor: Actor, action: Action, detail: str = "") -> str:
    """One line for the person refused: what, why, and who may."""
    rule = RULES[action]
    roles = allowed_roles(action)
    who = f"; {_who(roles)} may" if roles else ""
    extra = f" ({detail})" if detail else ""
    return (
        f"{actor.username} ({actor.role.label}) may not {rule.doing}{extra}: "
        f"it needs the {rule.permission.value!r} permission{who}"
    )


def refusal(
    actor: Actor,
    action: Action,
    record_id: object = "",
    *,
    detail: str = "",
    text: str = "",
    event: str = "",
    **details: Any,
) -> ActionRefusedError:
    """The error to raise for a refusal found inside a transaction (audited by
    :func:`audits_refusals` after it has rolled back): its message is ``text``, or says what
    was refused and why. ``details`` name things, never content; ``event`` names the audit event
    when it is finer than the action (``audit.anchor`` for :attr:`Action.AUDIT_VERIFY`)."""
    return ActionRefusedError(
        text or message(actor, action, detail), action=action, record_id=record_id, details=details,
        event=event,
    )  # fmt: skip


def audit_refusal(db: Database, actor: Actor, error: ActionRefusedError) -> None:
    """Record ``error`` in the audit trail in a transaction of its own (once)."""
    if error.audited:
        return
    from supportline.services import audit  # audit imports actor, which imports this module

    rule = RULES[error.action]
    try:
        with db.write() as session:
            audit.record(
                session, actor, rule.category, error.event, rule.record_type, error.record_id,
                outcome="refused", permission=rule.permission.value, role=actor.role.value, **error.details,
            )  # fmt: skip
    except Exception:
        # The refusal stands and is raised all the same; why it could not be recorded is logged
        # (the action's name and the exception's type: no content).
        log.exception("the refusal of %s could not be audited", error.event)
        return
    error.audited = True


def check(
    db: Database, actor: Actor, action: Action, record_id: object = "", *, event: str = "", **details: Any
) -> None:
    """Return if ``actor`` may do ``action``; otherwise audit the refusal (as ``event``, by default
    the action's name) and raise it.

    Call it before any transaction of the service is open (a refusal is written in its own)."""
    if actor.can(RULES[action].permission):
        return
    error = refusal(actor, action, record_id, event=event, **details)
    audit_refusal(db, actor, error)
    raise error


P = ParamSpec("P")
R = TypeVar("R")


def audits_refusals(
    function: Callable[Concatenate[Database, Actor, P], R],
) -> Callable[Concatenate[Database, Actor, P], R]:
    """For a service ``function(db, actor, …)`` that may raise :func:`refusal` inside its
    transaction: the refusal is audited once the transaction has ended, then raised on."""

    @functools.wraps(function)
    def wrapper(db: Database, actor: Actor, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(db, actor, *args, **kwargs)
        except ActionRefusedError as error:
            audit_refusal(db, actor, error)
            raise

    return wrapper


# --- route advice --------------------------------------------------------------------------------

#: What a route records as advice (ADVICE_WRITE); choosing or suggesting a route is logging the call.
ADVICE_FIELDS = ("template_id", "template_hash", "adviser_id", "advice_summary", "checklist", "closed_at")


def advice_changes(before: Iterable[RouteData], after: Iterable[RouteData]) -> list[str]:
    """The advice fields (``routes[victim].checklist``, …) that differ from ``before`` to ``after``,
    routes matched by route; a route gone or new counts with each of its advice fields that is set."""
    old = {r.route: r for r in before}
    new = {r.route: r for r in after}
    changed: list[str] = []
    for route in dict.fromkeys([*old, *new]):
        a, b = old.get(route), new.get(route)
        for name in ADVICE_FIELDS:
            va, vb = (_advice_value(r, name) for r in (a, b))
            if _empty(va) and _empty(vb):
                continue
            if va != vb:
                changed.append(f"routes[{route.value}].{name}")
    return changed


def _advice_value(route: RouteData | None, name: str) -> object:
    value = getattr(route, name) if route is not None else None
    return frozenset(value or ()) if name == "checklist" else value  # ticks compared in any order


def _empty(value: object) -> bool:
    return value is None or value == "" or value == () or value == frozenset()


# --- the documentation ---------------------------------------------------------------------------


def markdown() -> str:
    """``docs/permissions.md``: the roles' permissions and every action, from the tables above."""
    roles = list(Role)
    lines = [
        "# Roles and permissions",
        "",
        "<!-- Generated from supportline/services/permissions.py: do not edit. Regenerate with",
        "     python -m supportline.services.permissions > docs/permissions.md -->",
        "",
        "Each role holds a set of permissions; each action a service can be asked to do needs one.",
        "A refused action is refused by the service itself (the GUI also hides or disables it, the",
        "command line exits with status 3 and a one-line reason) and is recorded in the audit trail",
        'with the outcome "refused".',
        "",
        "## Permissions by role",
        "",
        "| Permission | " + " | ".join(role.label for role in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    for permission in Permission:
        marks = " | ".join("yes" if role_has(role, permission) else "–" for role in roles)
        lines.append(f"| `{permission.value}` | {marks} |")
    lines += [
        "",
        "## Actions",
        "",
        "Audit events: what the action writes to the audit trail when it is allowed (DPA 2018 s.62:",
        "collection, alteration, consultation, disclosure, combination, erasure). A refusal is recorded",
        "under the action's own name.",
        "",
        "| Action | What | Permission | Roles | Processing | Audit events | Enforced in | Notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for action, rule in RULES.items():
        roles_allowed = ", ".join(role.label for role in allowed_roles(action)) or "–"
        events = ", ".join(f"`{e}`" for e in rule.audited_as) or "–"
        service = f"`{rule.service}`" if rule.service else "(not built yet)"
        lines.append(
            f"| `{action.value}` | {rule.doing} | `{rule.permission.value}` | {roles_allowed} | "
            f"{rule.category.value} | {events} | {service} | {rule.note} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    sys.stdout.write(markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
