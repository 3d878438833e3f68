"""``supportline audit verify|anchor|list|export``: the audit trail as evidence.

``verify`` walks the hash chain (constant memory) and names the first event that was altered,
removed, inserted or reordered, exit 1; ``--anchor HASH`` also proves that nothing up to a head
hash printed earlier by ``anchor`` has changed. ``list`` and ``export`` read the trail with
filters; reading and exporting it are audited themselves. Supervisors and admins only.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from supportline.cli.common import (
    CliError,
    Passwords,
    UsageError,
    opened_database,
    password_stdin_option,
    positive_int,
    print_table,
    printable,
    sign_in,
)
from supportline.gui_hooks import GuiHooks
from supportline.services import audit, audit_chain
from supportline.services.audit import AuditFilter, AuditRecord


def register(commands: Any) -> None:
    group = commands.add_parser("audit", help="the audit trail: verify, anchor, list, export")
    sub = group.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    p = sub.add_parser(
        "verify",
        help="check the hash chain of the whole trail; name the first event altered, removed, "
        "inserted or reordered (exit 1)",
    )
    p.add_argument("--anchor", metavar="HASH", help="a head hash printed by `audit anchor`: prove nothing "
                   "up to it has changed")  # fmt: skip
    _user_options(p)
    p.set_defaults(handler=verify_command)

    p = sub.add_parser(
        "anchor", help="print the head hash of the trail (and record it) to keep somewhere else"
    )
    _user_options(p)
    p.set_defaults(handler=anchor_command)

    p = sub.add_parser("list", help="list audit events, newest first (reading the trail is audited)")
    _filter_options(p)
    p.add_argument("--limit", type=positive_int, default=100, metavar="N",
                   help=f"at most N events (default 100, at most {audit.MAX_PAGE})")  # fmt: skip
    p.add_argument("--format", choices=["table", "json"], default="table", help="output format")
    _user_options(p)
    p.set_defaults(handler=list_command)

    p = sub.add_parser("export", help="write the matching events to a CSV file (audited as a disclosure)")
    p.add_argument("--output", required=True, type=Path, metavar="FILE", help="the CSV file to write")
    _filter_options(p)
    _user_options(p)
    p.set_defaults(handler=export_command)


def _user_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", metavar="NAME", required=True, help="who is signing in (a supervisor or admin)")
    password_stdin_option(p, "the user's password")


def _filter_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--by", metavar="USER", help="events of this user name only")
    p.add_argument(
        "--action", metavar="ACTION", help="this action only, e.g. call.view, or a prefix: 'call.*'"
    )
    p.add_argument("--record", metavar="ID", help="events about this record id only")
    p.add_argument("--since", metavar="WHEN", help="from this day (YYYY-MM-DD, the line's time zone) or time "
                   "(ISO 8601, e.g. 2026-06-14T09:30)")  # fmt: skip
    p.add_argument("--until", metavar="WHEN", help="up to this day (included) or before this time")
    p.add_argument("--outcome", choices=audit.OUTCOMES, help="allowed or refused actions only")


def parse_when(text: str, zone: ZoneInfo, option: str, *, end: bool) -> datetime:
    """A day (its start, or with ``end`` the start of the next day) or a time, in ``zone``
    unless the time says its offset."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=zone)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"{option} {text!r}: give a day as YYYY-MM-DD or a time as YYYY-MM-DDTHH:MM"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def filters_from_args(args: argparse.Namespace, zone: ZoneInfo) -> AuditFilter:
    since = parse_when(args.since, zone, "--since", end=False) if args.since else None
    until = parse_when(args.until, zone, "--until", end=True) if args.until else None
    if since is not None and until is not None and until <= since:
        raise UsageError(f"--until {args.until} is not after --since {args.since}")
    return AuditFilter(
        user=args.by or None,
        action=args.action or None,
        record_id=args.record or None,
        since=since,
        until=until,
        outcome=args.outcome,
    )


def verify_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    anchor = args.anchor.strip().lower() if args.anchor else None
    if anchor is not None and not audit_chain.HASH_RE.match(anchor):
        raise UsageError(
            f"--anchor {args.anchor!r}: an anchor is the 64 hexadecimal digits `audit anchor` printed"
        )
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        actor = sign_in(db, args.user, passwords)
        report = audit_chain.verify_trail(db, actor, anchor)
    print(f"events checked: {report.events:,}")
    if report.broken is not None:
        if report.anchor_event_id is not None:
            print(f"the anchor is event {report.anchor_event_id}: nothing up to it has changed")
        raise CliError(f"the audit trail is broken at event {report.broken.event_id} "
                       f"({report.broken.kind}): {report.broken.message}")  # fmt: skip
    if report.head_id is None:
        print("ok: the audit trail is empty")
        return 0
    print(f"head: event {report.head_id} {report.head_hash}")
    if report.anchor_event_id is not None:
        print(f"the anchor is event {report.anchor_event_id}: nothing up to it has changed")
    print("ok: the hash chain is intact")
    return 0


def anchor_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        actor = sign_in(db, args.user, passwords)
        head = audit_chain.anchor_trail(db, actor)
    if head is None:
        raise CliError("the audit trail is empty: there is nothing to anchor")
    print(f"event {head.event_id} at {head.at.astimezone(ZoneInfo('UTC')).isoformat()}", file=sys.stderr)
    print(head.event_hash)
    return 0


def _as_json(event: AuditRecord) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "user": event.actor_name,
        "workstation": event.workstation,
        "category": event.category.value,
        "action": event.action,
        "outcome": event.outcome,
        "record_type": event.record_type,
        "record_id": event.record_id,
        "details": event.details,
    }


def list_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        filters = filters_from_args(args, db.zone)
        actor = sign_in(db, args.user, passwords)
        events = audit.list_events(db, actor, filters, limit=args.limit)
    if args.format == "json":
        print(json.dumps([_as_json(e) for e in events], ensure_ascii=False, indent=2, default=str))
        return 0
    if not events:
        print("no audit events match")
        return 0
    rows = [
        [
            str(e.id),
            e.at.astimezone(db.zone).strftime("%Y-%m-%d %H:%M:%S"),
            printable(e.actor_name, 30),
            printable(e.workstation, 20),
            e.action,
            e.outcome,
            printable(f"{e.record_type} {e.record_id}".strip(), 50),
        ]
        for e in events
    ]
    print_table(["id", "at", "user", "workstation", "action", "outcome", "record"], rows)
    return 0


def export_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    output: Path = args.output
    if output.is_dir():
        raise UsageError(f"--output {output} is a folder; name the file to write")
    if not output.parent.is_dir():
        raise UsageError(f"--output: the folder {output.parent} does not exist")
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        filters = filters_from_args(args, db.zone)
        actor = sign_in(db, args.user, passwords)
        rows = audit.export_csv(db, actor, filters, output)
    print(f"exported {rows} audit event(s) to {output}")
    return 0
