"""``supportline erasure request|approve|list``: erasure of one call or person, two people needed.

One supervisor requests (with a reason); a different supervisor or an administrator approves,
which erases at once. The requester's own approval is refused.
"""

from __future__ import annotations

import argparse
import uuid
from typing import Any

from supportline.cli.common import (
    CliError,
    Passwords,
    UsageError,
    opened_database,
    password_stdin_option,
    print_table,
    printable,
    sign_in,
    stdin_is_tty,
)
from supportline.gui_hooks import GuiHooks
from supportline.services import erasure


def register(commands: Any) -> None:
    group = commands.add_parser("erasure", help="erase one call or person on request (two-person rule)")
    sub = group.add_subparsers(dest="erasure_command", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--user", metavar="NAME", required=True, help="supervisor or administrator signing in")
        password_stdin_option(p, "the password")

    p = sub.add_parser("request", help="ask for the erasure of a call or a person")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--call", metavar="REF", help="the call's reference (SL-YYYY-NNNNNN) or id")
    target.add_argument("--person", metavar="ID", help="the person's id")
    p.add_argument("--reason", required=True, help="why (e.g. the request's reference); no personal data")
    common(p)
    p.set_defaults(handler=request_command)

    p = sub.add_parser("approve", help="approve another supervisor's request: the data is erased at once")
    p.add_argument("request", metavar="REQUEST", help="the request's id (see `erasure list`)")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    common(p)
    p.set_defaults(handler=approve_command)

    p = sub.add_parser("list", help="list erasure requests (or, with --records, what was erased)")
    p.add_argument("--status", choices=[erasure.PENDING, erasure.DONE], help="only requests in this state")
    p.add_argument("--records", action="store_true", help="the erasure records instead of the requests")
    common(p)
    p.set_defaults(handler=list_command)


def request_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    passwords = Passwords(args.password_stdin)
    kind, target = ("call", args.call) if args.call else ("person", args.person)
    with opened_database(migrate=True) as (_env, db):
        actor = sign_in(db, args.user, passwords)
        request = erasure.request_erasure(db, actor, kind, target, args.reason)
    print(
        f"erasure request {request.id} for {kind} {request.target_reference or request.target_id}: "
        "another supervisor or an administrator must approve it (`supportline erasure approve`)"
    )
    return 0


def approve_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    try:
        request_id = uuid.UUID(args.request)
    except ValueError:
        raise UsageError(f"{args.request!r} is not a request id (see `supportline erasure list`)") from None
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        actor = sign_in(db, args.user, passwords)
        if not args.yes:
            if not stdin_is_tty():
                raise UsageError("erasing cannot be undone: add --yes to approve without a question")
            if input("Erase it for good? [y/N] ").strip().lower() not in {"y", "yes"}:
                raise CliError("nothing was erased")
        result = erasure.approve_erasure(db, actor, request_id)
    rows = sum(len(v["ids"]) for v in result.erased.values())
    print(
        f"erased {result.request.target_type} {result.request.target_reference or result.request.target_id}: "
        f"{rows} rows in {len(result.erased)} tables; erasure record {result.record_id}"
    )
    return 0


def list_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        actor = sign_in(db, args.user, passwords)
        if args.records:
            records = erasure.list_records(db, actor)
            print_table(
                ["erased", "basis", "what", "record", "by", "asked by", "tables", "reason"],
                [
                    [
                        r.erased_at.astimezone(db.zone).strftime("%Y-%m-%d %H:%M"),
                        r.basis,
                        r.target_type,
                        r.target_reference or str(r.target_id),
                        r.erased_by,
                        r.requested_by or "",
                        ", ".join(sorted(r.erased)),
                        printable(r.reason, 50),
                    ]
                    for r in records
                ],
            )
            return 0
        requests = erasure.list_requests(db, actor, status=args.status)
        print_table(
            ["request", "status", "what", "record", "asked", "by", "approved by", "reason"],
            [
                [
                    str(r.id),
                    r.status,
                    r.target_type,
                    r.target_reference
                    if r.target_type == "call"
                    else f"{r.target_id} ({r.target_reference})",
                    r.requested_at.astimezone(db.zone).strftime("%Y-%m-%d %H:%M"),
                    r.requested_by,
                    r.approved_by or "",
                    printable(r.reason, 50),
                ]
                for r in requests
            ],
        )
    return 0
