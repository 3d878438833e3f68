"""24/7 operations for wallboards and scripts (issue 14):

* ``supportline followups due [--route R] [--assignee NAME] [--hours N] [--format table|json]``:
  what is overdue, due now and due in the next hours, and calls waiting for an adviser;
* ``supportline rota show [--at TIME] [--fold 0|1]``: who to escalate to on each route, and the
  routes with no duty adviser in the next 12 hours;
* ``supportline handover list [--text T]``, ``handover show ID``, ``handover pdf ID --output
  FILE``: the handover history, one handover, its PDF (supervisors and administrators).

Times given (``--at``) are local times in the line's zone (``2026-10-25 01:30``) or instants with
an offset (``2026-10-25T01:30+00:00``); a local time the clocks repeat needs ``--fold`` (0: the
first, 1: the second), one they skip is refused. Output times are local, with their offset in
JSON. Exit codes as for every command: 1 refused input or not found, 2 usage, 3 not permitted.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from supportline.cli.common import (
    Passwords,
    UsageError,
    opened_database,
    password_stdin_option,
    positive_int,
    print_table,
    printable,
    sign_in,
)
from supportline.enums import Route
from supportline.gui_hooks import GuiHooks
from supportline.services import accounts, followups, handover, local_time, rota

NOTE_WIDTH = 40


def _when(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time: write YYYY-MM-DD HH:MM (local) or YYYY-MM-DDTHH:MM+00:00"
        ) from None


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a handover id (see `supportline handover list`)"
        ) from None


def _sign_in_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", metavar="NAME", required=True, help="who is signing in")
    password_stdin_option(p, "the user's password")


def register(commands: Any) -> None:
    group = commands.add_parser("followups", help="follow-ups: what is due")
    sub = group.add_subparsers(dest="followups_command", metavar="ACTION", required=True)
    p = sub.add_parser(
        "due", help="follow-ups overdue, due now and due in the next hours; calls waiting for an adviser"
    )
    p.add_argument("--route", choices=[r.value for r in Route], help="only this advice route's")
    p.add_argument("--assignee", metavar="NAME", help="only what is with this user (and what nobody holds)")
    p.add_argument(
        "--hours", type=positive_int, default=4, metavar="N", help="look N hours ahead (default 4)"
    )
    p.add_argument("--format", choices=["table", "json"], default="table", help="output format")
    _sign_in_options(p)
    p.set_defaults(handler=due_command)

    group = commands.add_parser("rota", help="the duty rota: who is on duty")
    sub = group.add_subparsers(dest="rota_command", metavar="ACTION", required=True)
    p = sub.add_parser("show", help="who to escalate to on each route, and the routes with no duty adviser")
    p.add_argument(
        "--at", type=_when, metavar="TIME", help="at this time instead of now (local, or with an offset)"
    )
    p.add_argument(
        "--fold", type=int, choices=[0, 1], help="for a local time the clocks repeat: 0 first, 1 second"
    )
    p.add_argument("--format", choices=["table", "json"], default="table", help="output format")
    _sign_in_options(p)
    p.set_defaults(handler=rota_command)

    group = commands.add_parser("handover", help="shift handovers: list, show, pdf (supervisors, admins)")
    sub = group.add_subparsers(dest="handover_command", metavar="ACTION", required=True)
    p = sub.add_parser("list", help="the handover history, newest shift first")
    p.add_argument(
        "--text", default="", metavar="TEXT", help="only handovers whose notes or items contain it"
    )
    p.add_argument("--limit", type=positive_int, default=50, metavar="N", help="at most N (default 50)")
    _sign_in_options(p)
    p.set_defaults(handler=handover_list_command)
    p = sub.add_parser("show", help="print one handover")
    p.add_argument("id", type=_uuid, metavar="ID", help="the handover's id")
    p.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    _sign_in_options(p)
    p.set_defaults(handler=handover_show_command)
    p = sub.add_parser("pdf", help="write one handover as a PDF with the protective marking")
    p.add_argument("id", type=_uuid, metavar="ID", help="the handover's id")
    p.add_argument("--output", required=True, type=Path, metavar="FILE", help="the file to write")
    p.add_argument(
        "--marking", metavar="TEXT", help="protective marking (default: the protective_marking setting)"
    )
    _sign_in_options(p)
    p.set_defaults(handler=handover_pdf_command)


# --- followups due -------------------------------------------------------------------------------


def _local(value: datetime | None, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    return f"{value.astimezone(zone):%Y-%m-%d} {local_time.clock(value, zone)}"


def _iso(value: datetime | None, zone: ZoneInfo) -> str | None:
    return value.astimezone(zone).isoformat() if value is not None else None


def _item_json(item: followups.DueItem, zone: ZoneInfo) -> dict[str, Any]:
    f = item.follow_up
    return {
        "id": str(f.id),
        "state": item.state.value,
        "due_at": _iso(f.next_due, zone),
        "booked_due_at": _iso(f.due_at, zone),
        "status": f.status.value,
        "kind": f.kind.value,
        "priority": f.priority.value,
        "call_id": str(f.call_id),
        "reference": f.call_reference,
        "urgency": f.call_urgency.value,
        "assignee_route": f.assignee_route.value if f.assignee_route else None,
        "holder": item.holder_name,
        "note": f.note,
        "version": f.version,
    }


def _handoff_json(h: followups.HandoffRecord, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": str(h.id),
        "call_id": str(h.call_id),
        "reference": h.call_reference,
        "route": h.route.value,
        "adviser": h.adviser_name,
        "handed_at": _iso(h.handed_at, zone),
        "handed_by": h.handed_by_name,
        "urgency": h.call_urgency.value,
        "note": h.note,
        "version": h.version,
    }


def _nobody(item: followups.DueItem) -> str:
    return "unassigned" if item.follow_up.assignee_route is None else "nobody on duty"


def due_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        actor = sign_in(db, args.user, passwords)
        assignee = None
        if args.assignee:
            assignee = accounts.handler_id_for(db, actor, args.assignee)
            if assignee is None:
                raise UsageError(f"--assignee {args.assignee}: there is no such user")
        result = followups.due(
            db,
            actor,
            within=timedelta(hours=args.hours),
            route=Route(args.route) if args.route else None,
            assignee_id=assignee,
        )
        zone = db.zone
    if args.format == "json":
        out = {
            "at": _iso(result.at, zone),
            "hours": args.hours,
            "counts": result.counts,
            "overdue": [_item_json(i, zone) for i in result.overdue],
            "due_now": [_item_json(i, zone) for i in result.due_now],
            "upcoming": [_item_json(i, zone) for i in result.upcoming],
            "handoffs": [_handoff_json(h, zone) for h in result.handoffs],
        }
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    counts = result.counts
    print(
        f"At {_local(result.at, zone)} ({zone.key}): {counts['overdue']} overdue, "
        f"{counts['due_now']} due now, "
        f"{counts['upcoming']} in the next {args.hours} h, {counts['handoffs']} waiting for an adviser"
    )
    rows = [
        [
            item.state.value.replace("_", " "),
            _local(item.follow_up.next_due, zone),
            item.follow_up.call_reference,
            item.follow_up.kind.label,
            item.follow_up.priority.label,
            printable(item.holder_name or _nobody(item), 30),
            printable(item.follow_up.note, NOTE_WIDTH),
        ]
        for item in result.items()
    ]
    if rows:
        print()
        print_table(["state", "due", "call", "kind", "priority", "with", "note"], rows)
    if result.handoffs:
        print()
        print_table(
            ["handed", "call", "route", "adviser", "by", "note"],
            [
                [
                    _local(h.handed_at, zone),
                    h.call_reference,
                    h.route.label,
                    printable(h.adviser_name, 30),
                    printable(h.handed_by_name, 30),
                    printable(h.note, NOTE_WIDTH),
                ]
                for h in result.handoffs
            ],
        )
    return 0


# --- rota show -----------------------------------------------------------------------------------


def _on_duty_json(route: Route, line: str, held: rota.OnDuty, zone: ZoneInfo) -> dict[str, Any]:
    duty, deputy = held.duty, held.deputy
    return {
        "route": route.value,
        "line": line,
        "duty": duty.user_name if duty else None,
        "duty_until": _iso(duty.ends_at, zone) if duty else None,
        "deputy": deputy.user_name if deputy else None,
    }


def rota_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        actor = sign_in(db, args.user, passwords)
        at = local_time.instant(args.at, db.zone, fold=args.fold, field="at") if args.at is not None else None
        lines = rota.escalation_lines(db, actor, at)
        found = rota.gaps(db, actor, at)
        on_duty = rota.duty_at(db, actor, at)
        zone = db.zone
        moment = next(iter(on_duty.values())).at
    if args.format == "json":
        out = {
            "at": _iso(moment, zone),
            "routes": [_on_duty_json(r, lines[r], on_duty[r], zone) for r in Route],
            "gaps": [
                {"route": g.route.value, "from": _iso(g.starts_at, zone), "to": _iso(g.ends_at, zone)}
                for g in found
            ],
        }
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    print(f"Duty rota at {_local(moment, zone)} ({zone.key})")
    for route in Route:
        print(printable(lines[route]))
    if found:
        print()
        print("No duty adviser in the next 12 hours:")
        for g in found:
            print(f"  {g.route.label}: {_local(g.starts_at, zone)} to {_local(g.ends_at, zone)}")
    else:
        print("Every route has a duty adviser for the next 12 hours.")
    return 0


# --- handover ------------------------------------------------------------------------------------


def _acknowledged(h: handover.HandoverSummary, zone: ZoneInfo) -> str:
    if h.acknowledged_at is None:
        return "not yet"
    return f"{_local(h.acknowledged_at, zone)} {printable(h.acknowledged_by_name, 30)}"


def handover_list_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        actor = sign_in(db, args.user, passwords)
        found = handover.search_handovers(db, actor, text=args.text, limit=args.limit)
        zone = db.zone
    if not found:
        print("no handovers found")
        return 0
    print_table(
        ["id", "shift", "written by", "acknowledged", "items"],
        [
            [
                str(h.id),
                f"{_local(h.shift_start, zone)} to {_local(h.shift_end, zone)}",
                printable(h.author_name, 30),
                _acknowledged(h, zone),
                str(h.items),
            ]
            for h in found
        ],
    )
    return 0


def _record_json(record: handover.HandoverRecord, zone: ZoneInfo) -> dict[str, Any]:
    f = record.figures
    return {
        "id": str(record.id),
        "shift_start": _iso(record.shift_start, zone),
        "shift_end": _iso(record.shift_end, zone),
        "author": record.author_name,
        "notes": record.notes,
        "prefilled_at": _iso(record.prefilled_at, zone),
        "acknowledged_at": _iso(record.acknowledged_at, zone),
        "acknowledged_by": record.acknowledged_by_name or None,
        "version": record.version,
        "figures": {
            "calls": f.calls,
            "cases": f.cases,
            "potential_victims": f.potential_victims,
            "nrm_referrals": f.nrm_referrals,
            "dtn_reports": f.dtn_reports,
            "by_urgency": {u.value: n for u, n in f.by_urgency},
            "by_route": {r.value: n for r, n in f.by_route},
        },
        "items": [
            {
                "section": i.section.value,
                "key": i.key,
                "reference": i.reference,
                "at": _iso(i.at, zone),
                "text": i.text,
                "note": i.note,
                "current": i.current,
                "call_id": str(i.call_id) if i.call_id else None,
            }
            for i in record.items
        ],
    }


def handover_show_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        actor = sign_in(db, args.user, passwords)
        record = handover.get_handover(db, actor, args.id)
        zone = db.zone
    if args.format == "json":
        json.dump(_record_json(record, zone), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    print(f"Shift handover {record.id}")
    print(f"Shift: {_local(record.shift_start, zone)} to {_local(record.shift_end, zone)} ({zone.key})")
    print(f"Written by: {printable(record.author_name)}; items found at {_local(record.prefilled_at, zone)}")
    if record.acknowledged_at is not None:
        print(
            f"Acknowledged by {printable(record.acknowledged_by_name)} "
            f"at {_local(record.acknowledged_at, zone)}"
        )
    else:
        print("Not acknowledged yet")
    print(f"Overall note: {printable(record.notes) or 'none'}")
    f = record.figures
    print(
        f"Figures: {f.calls} calls, {f.cases} cases, {f.potential_victims} potential victims, "
        f"{f.nrm_referrals} NRM referrals made; "
        + ", ".join(f"{u.label.lower()} {n}" for u, n in f.by_urgency)
    )
    for section in handover.Section:
        items = record.section(section)
        print()
        print(f"{section.heading} ({len(items)})")
        for item in items:
            gone = "" if item.current else " (no longer current)"
            print(f"  {item.reference}  {printable(item.text)}{gone}")
            if item.note:
                print(f"      note: {printable(item.note)}")
    return 0


def handover_pdf_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    output: Path = args.output
    if output.exists() and output.is_dir():
        raise UsageError(f"{output} is a folder: give a file name")
    if not output.parent.is_dir():
        raise UsageError(f"{output.parent} is not a folder")
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (env, db):
        actor = sign_in(db, args.user, passwords)
        marking = args.marking if args.marking is not None else env.settings.protective_marking
        digest = handover.print_handover(db, actor, args.id, output, marking=marking)
    print(f"wrote {output}")
    print(f"sha256 {digest}")
    return 0
