"""``supportline retention review|run|hold|release|holds``: the retention schedule and legal holds.

``review`` lists what is due on a date (default today) and what is kept, with the reason for
each; ``run`` erases what is due in batches (one transaction each): interrupted, the next
``run`` continues it. Both are for administrators. Legal holds are for supervisors and admins.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, time
from typing import Any

from supportline.cli.common import (
    CliError,
    Passwords,
    UsageError,
    opened_database,
    parse_date,
    password_stdin_option,
    positive_int,
    print_table,
    printable,
    progress_line,
    sign_in,
    stdin_is_tty,
)
from supportline.db import Database
from supportline.gui_hooks import GuiHooks
from supportline.services import retention


def register(commands: Any) -> None:
    group = commands.add_parser("retention", help="retention schedule: review, run, legal holds")
    sub = group.add_subparsers(dest="retention_command", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser, who: str) -> None:
        p.add_argument("--user", metavar="NAME", required=True, help=f"{who} signing in")
        password_stdin_option(p, "the password")

    p = sub.add_parser("review", help="list what is due for erasure, and what is kept, with reasons")
    p.add_argument(
        "--as-of", type=parse_date, metavar="DATE", help="the day to review for (YYYY-MM-DD; default today)"
    )
    common(p, "administrator")
    p.set_defaults(handler=review_command)

    p = sub.add_parser("run", help="erase what is due, in batches; an interrupted run is continued")
    p.add_argument(
        "--as-of", type=parse_date, metavar="DATE", help="the day to apply the schedule for (default today)"
    )
    p.add_argument(
        "--batch-size", type=positive_int, default=retention.DEFAULT_BATCH, help="records per transaction"
    )
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    common(p, "administrator")
    p.set_defaults(handler=run_command)

    p = sub.add_parser("hold", help="put a case on legal hold: none of its calls is erased meanwhile")
    p.add_argument("case", metavar="CASE", help="the case's reference (CASE-YYYY-NNNNNN) or id")
    p.add_argument("--reason", required=True, help="why (e.g. the order's reference); no personal data")
    common(p, "supervisor or administrator")
    p.set_defaults(handler=hold_command)

    p = sub.add_parser("release", help="release a case's legal hold")
    p.add_argument("case", metavar="CASE", help="the case's reference or id")
    p.add_argument("--reason", required=True, help="why the hold ends")
    common(p, "supervisor or administrator")
    p.set_defaults(handler=release_command)

    p = sub.add_parser("holds", help="list the cases on legal hold")
    p.add_argument("--all", action="store_true", help="released holds too")
    common(p, "supervisor or administrator")
    p.set_defaults(handler=holds_command)


def _as_of(db: Database, day: date | None) -> datetime | None:
    """The start of ``day`` in the line's time zone."""
    return None if day is None else datetime.combine(day, time(0), tzinfo=db.zone)


def _print_review(db: Database, review: retention.RetentionReview) -> None:
    rows = [
        [i.action, i.kind, i.reference or i.id, printable(i.reason)]
        for i in sorted(review.items, key=lambda i: (i.action, i.kind))
    ]
    if rows:
        print_table(["action", "kind", "record", "reason"], rows)
    due = review.due
    kept = review.of(retention.KEEP)
    print(
        f"as of {review.as_of.astimezone(db.zone):%Y-%m-%d}: {len(due)} due for erasure, {len(kept)} kept"
        + (f", {len(review.of(retention.REPORT))} reported" if review.of(retention.REPORT) else "")
    )


def review_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (env, db):
        actor = sign_in(db, args.user, passwords)
        review = retention.review(
            db, actor, env.settings, as_of=_as_of(db, args.as_of), log_dir=env.paths.log_dir
        )
        _print_review(db, review)
    return 0


def run_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (env, db):
        actor = sign_in(db, args.user, passwords)
        as_of = _as_of(db, args.as_of)
        if not args.yes:
            review = retention.review(db, actor, env.settings, as_of=as_of, log_dir=env.paths.log_dir)
            _print_review(db, review)
            if not stdin_is_tty():
                raise UsageError("erasing cannot be undone: add --yes to run without a question")
            answer = input(f"Erase {len(review.due)} records for good? [y/N] ").strip().lower()
            if answer not in {"y", "yes"}:
                raise CliError("nothing was erased")
        with progress_line("erased") as progress:
            result = retention.run(
                db, actor, env.settings, as_of=as_of, batch_size=args.batch_size, log_dir=env.paths.log_dir,
                progress=_erased_so_far if progress else None,
            )  # fmt: skip
    resumed = " (an interrupted run, continued)" if result.resumed else ""
    print(
        f"retention run {result.run_id} as of {result.as_of.astimezone(db.zone):%Y-%m-%d}{resumed}: "
        f"{result.calls_erased} calls, {result.drafts_erased} drafts "
        f"and {result.logs_deleted} log files erased"
    )
    if result.audit_events_due:
        print(
            f"{result.audit_events_due} audit events are past their period: reported, not erased "
            f"({retention.AUDIT_NOT_ERASED})"
        )
    if result.scrub.wal_truncated is False:
        print(
            "note: the write-ahead log was busy and could not be truncated; it will be at the next erasure",
            file=sys.stderr,
        )
    return 0


def _erased_so_far(done: int) -> None:
    print(f"\rerased: {done:,} records", end="", file=sys.stderr, flush=True)


def hold_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        actor = sign_in(db, args.user, passwords)
        hold = retention.place_hold(db, actor, args.case, args.reason)
    print(f"{hold.case_reference} is on legal hold")
    return 0


def release_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        actor = sign_in(db, args.user, passwords)
        hold = retention.release_hold(db, actor, args.case, args.reason)
    print(f"{hold.case_reference}: legal hold released")
    return 0


def holds_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (_env, db):
        actor = sign_in(db, args.user, passwords)
        holds = retention.list_holds(db, actor, include_released=args.all)
        rows = [
            [
                h.case_reference,
                h.placed_at.astimezone(db.zone).strftime("%Y-%m-%d"),
                h.placed_by,
                h.released_at.astimezone(db.zone).strftime("%Y-%m-%d") if h.released_at else "in force",
                printable(h.reason, 60),
            ]
            for h in holds
        ]
    print_table(["case", "placed", "by", "released", "reason"], rows)
    return 0
