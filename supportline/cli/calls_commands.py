"""``supportline calls list``: the calls opened on a range of days, as a table or JSON;
``supportline calls import``: calls from a full-profile CSV or JSON Lines export (or a file in
the same shape), all or nothing, each problem reported with its line and column."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
from collections.abc import Generator, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from supportline.cli.common import (
    EXIT_FAILURE,
    Passwords,
    UsageError,
    opened_database,
    parse_date,
    password_stdin_option,
    positive_int,
    print_table,
    printable,
    sign_in,
)
from supportline.db import Database
from supportline.gui_hooks import GuiHooks
from supportline.services import call_import
from supportline.services.actor import Actor
from supportline.services.call_types import CallQuery, CallSummary
from supportline.services.call_validation import EARLIEST_TIME, LATEST_TIME
from supportline.services.calls import MAX_PAGE, list_calls, record_listing

SUMMARY_WIDTH = 50
#: The days ``--from`` and ``--to`` accept: the years a call's times can have.
FIRST_DAY = EARLIEST_TIME.date()
LAST_DAY = (LATEST_TIME - timedelta(days=1)).date()


def parse_day(text: str) -> date:
    """argparse ``type`` for ``--from``/``--to``: a date written YYYY-MM-DD in the years a call
    can have (9999-12-31 would overflow as soon as it is turned into a time; exit 2, not a crash)."""
    day = parse_date(text)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise argparse.ArgumentTypeError(
            f"{text!r} is out of range: give a day from {FIRST_DAY} to {LAST_DAY}"
        )
    return day


def register(commands: Any) -> None:
    calls = commands.add_parser("calls", help="calls: list, import")
    sub = calls.add_subparsers(dest="calls_command", metavar="ACTION", required=True)
    p = sub.add_parser(
        "list",
        help="list the calls opened from one day to another (days in the line's time zone), oldest first",
    )
    p.add_argument("--from", dest="first_day", required=True, type=parse_day, metavar="DATE",
                   help="first day, YYYY-MM-DD")  # fmt: skip
    p.add_argument("--to", dest="last_day", required=True, type=parse_day, metavar="DATE",
                   help="last day, YYYY-MM-DD (included)")  # fmt: skip
    p.add_argument("--format", choices=["table", "json"], default="table", help="output format")
    p.add_argument("--user", metavar="NAME", required=True, help="who is signing in")
    p.add_argument("--limit", type=positive_int, metavar="N", help="list at most N calls")
    password_stdin_option(p, "the user's password")
    p.set_defaults(handler=list_command)
    p = sub.add_parser(
        "import",
        help="import calls from a full-profile CSV or JSON Lines export (supervisors and admins; "
        "all or nothing: every problem is listed with its line and column)",
    )
    p.add_argument("file", type=Path, metavar="FILE", help="the file to import")
    p.add_argument("--user", metavar="NAME", required=True, help="who is signing in")
    p.add_argument(
        "--format",
        choices=[f.value for f in call_import.ImportFormat],
        help="the file's format (default: jsonl for a .jsonl or .ndjson file, otherwise csv)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="read and check the whole file and say what would be imported, without writing anything",
    )
    password_stdin_option(p, "the user's password")
    p.set_defaults(handler=import_command)


def day_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[local midnight starting ``first``, local midnight ending ``last``) as aware datetimes.

    Built from the calendar dates, not by adding 24 hours, so a day of 23 or 25 hours (the DST
    changes) is covered exactly. Days outside :data:`FIRST_DAY`..:data:`LAST_DAY` are a
    :class:`UsageError` (:func:`parse_day` refuses them first).
    """
    for day in (first, last):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise UsageError(f"{day} is out of range: give a day from {FIRST_DAY} to {LAST_DAY}")
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def iter_calls(
    db: Database, actor: Actor, start: datetime, end: datetime, limit: int | None
) -> Generator[CallSummary]:
    """Every call in the range, oldest first, fetched a page at a time. Once the first page is
    read (a refusal is raised, and audited, before it), the listing is audited once, however it
    ends: ``call.list`` with the period and how many calls were handed out. Close the iterator
    (``contextlib.closing``) before the database is."""
    query = CallQuery(opened_from=start, opened_to=end, descending=False)
    size = MAX_PAGE if limit is None else min(MAX_PAGE, limit)
    page = list_calls(db, actor, dataclasses.replace(query, limit=size), audited=False)
    handed_out = 0
    try:
        while True:
            for row in page.rows:
                yield row
                handed_out += 1
            remaining = None if limit is None else limit - handed_out
            if not page.has_more or not page.rows or remaining == 0:
                return
            size = MAX_PAGE if remaining is None else min(MAX_PAGE, remaining)
            page = list_calls(
                db, actor, dataclasses.replace(query, offset=handed_out, limit=size), audited=False
            )
    finally:
        record_listing(db, actor, query, results=handed_out)


def as_json(call: CallSummary, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": str(call.id),
        "reference": call.reference,
        "opened_at": call.opened_at.astimezone(zone).isoformat(),
        "closed_at": call.closed_at.astimezone(zone).isoformat() if call.closed_at else None,
        "status": call.status.value,
        "urgency": call.urgency.value,
        "caller_name": call.caller_name,
        "caller_agency_type": call.caller_agency_type.value,
        "caller_organisation": call.caller_organisation,
        "force_area": call.force_area,
        "routes": [r.value for r in call.routes],
        "summary": call.summary,
        "handler_name": call.handler_name,
    }


def as_row(call: CallSummary, zone: ZoneInfo) -> list[str]:
    return [
        call.reference,
        call.opened_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        call.urgency.label,
        call.status.label,
        printable(call.caller_name, 30),
        call.caller_agency_type.label,
        printable(call.force_area, 30),
        ", ".join(r.value for r in call.routes),
        printable(call.summary, SUMMARY_WIDTH),
    ]


def list_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    if args.last_day < args.first_day:
        raise UsageError(f"--to {args.last_day} is before --from {args.first_day}")
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        actor = sign_in(db, args.user, passwords)
        start, end = day_bounds(args.first_day, args.last_day, db.zone)
        with contextlib.closing(iter_calls(db, actor, start, end, args.limit)) as calls:
            if args.format == "json":
                _write_json(calls, db.zone)
                return 0
            rows = [as_row(c, db.zone) for c in calls]
    if not rows:
        print(f"no calls opened from {args.first_day} to {args.last_day} ({db.zone.key} time)")
        return 0
    headers = ["reference", "opened", "urgency", "status", "caller", "agency", "force", "routes", "summary"]
    print_table(headers, rows)
    return 0


def _write_json(calls: Iterator[CallSummary], zone: ZoneInfo) -> None:
    """A JSON array written as it is fetched, so a long range does not pile up in memory."""
    out = sys.stdout
    separator = "\n  "
    out.write("[")
    for call in calls:
        out.write(separator + json.dumps(as_json(call, zone), ensure_ascii=False))
        separator = ",\n  "
    out.write("]\n" if separator == "\n  " else "\n]\n")


def import_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    path: Path = args.file
    if not path.is_file():
        raise UsageError(f"{path} is not a file")
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (env, db):
        actor = sign_in(db, args.user, passwords)
        from supportline.guidance.loader import configured_dir, load_folder

        folder = configured_dir(env.settings)
        templates = load_folder(folder).templates if folder.is_dir() else ()
        try:
            result = call_import.import_calls(
                db, actor, path, format=args.format, dry_run=args.dry_run, templates=templates
            )
        except call_import.ImportRefusedError as exc:
            for problem in exc.problems:
                print(printable(str(problem)), file=sys.stderr)
            count = len(exc.problems)
            print(
                f"{path.name}: {count} problem{'' if count == 1 else 's'}; nothing was imported",
                file=sys.stderr,
            )
            return EXIT_FAILURE
    print(call_import.describe(result))
    if not result.dry_run:
        print(f"sha256 {result.sha256}")
    return 0
