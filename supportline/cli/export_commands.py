"""``supportline export``: calls opened on a range of days, written to a file and audited.

Only CSV so far (issue 5's first slice). Days are in the line's time zone, as for ``calls list``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from supportline.cli.calls_commands import day_bounds
from supportline.cli.common import (
    Passwords,
    UsageError,
    opened_database,
    parse_date,
    password_stdin_option,
    sign_in,
)
from supportline.enums import CallStatus, Route, Urgency
from supportline.exports.csv_export import Profile, export_calls
from supportline.gui_hooks import GuiHooks
from supportline.services.call_types import CallQuery


def register(commands: Any) -> None:
    p = commands.add_parser(
        "export",
        help="export the calls opened from one day to another to a file (audited as a disclosure)",
    )
    p.add_argument("--format", choices=["csv"], default="csv", help="file format (default csv)")
    p.add_argument("--from", dest="first_day", required=True, type=parse_date, metavar="DATE",
                   help="first day, YYYY-MM-DD, in the line's time zone")  # fmt: skip
    p.add_argument("--to", dest="last_day", required=True, type=parse_date, metavar="DATE",
                   help="last day, YYYY-MM-DD (included)")  # fmt: skip
    p.add_argument("--profile", choices=[x.value for x in Profile], default=Profile.FULL.value,
                   help="full: everything; pseudonymised: names, phones, emails and collar numbers "
                   "replaced by pseudonyms, free text removed")  # fmt: skip
    p.add_argument("--bom", action="store_true", help="start the file with a UTF-8 byte-order mark")
    p.add_argument("--status", choices=[x.value for x in CallStatus], help="only calls with this status")
    p.add_argument("--urgency", choices=[x.value for x in Urgency], help="only calls of this urgency")
    p.add_argument("--route", choices=[x.value for x in Route], help="only calls where this route was chosen")
    p.add_argument("--purpose", required=True, metavar="TEXT", help="why, and for whom, the data is exported")
    p.add_argument("--output", required=True, type=Path, metavar="FILE", help="the file to write")
    p.add_argument("--user", metavar="NAME", required=True, help="who is signing in")
    password_stdin_option(p, "the user's password")
    p.set_defaults(handler=export_command)


def export_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    if args.last_day < args.first_day:
        raise UsageError(f"--to {args.last_day} is before --from {args.first_day}")
    output: Path = args.output
    if output.is_dir():
        raise UsageError(f"--output {output} is a folder; name the file to write")
    if not output.parent.is_dir():
        raise UsageError(f"--output: the folder {output.parent} does not exist")
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        actor = sign_in(db, args.user, passwords)
        start, end = day_bounds(args.first_day, args.last_day, db.zone)
        query = CallQuery(
            opened_from=start,
            opened_to=end,
            status=CallStatus(args.status) if args.status else None,
            urgency=Urgency(args.urgency) if args.urgency else None,
            route=Route(args.route) if args.route else None,
        )
        result = export_calls(
            db,
            actor,
            query=query,
            profile=args.profile,
            path=output,
            purpose=args.purpose,
            bom=args.bom,
        )
    print(f"exported {result.rows} call(s) ({result.profile.value}) to {result.path}", file=sys.stderr)
    print(f"sha256 {result.sha256}")
    return 0
