"""``supportline export``: the calls opened on a range of days, written to a file and audited.

Days are in the line's time zone, as for ``calls list``. Every export is a disclosure: it needs a
purpose and leaves a DISCLOSURE audit event with the filters, profile, format, rows and file hash.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from supportline.cli.common import (
    Passwords,
    UsageError,
    opened_database,
    password_stdin_option,
    progress_line,
    sign_in,
)
from supportline.cli.filters import add_filter_options, check_period, query_from_args
from supportline.exports.common import DEFAULT_MARKING, ExportFormat, ExportOptions, Profile
from supportline.exports.service import export
from supportline.gui_hooks import GuiHooks


def register(commands: Any) -> None:
    p = commands.add_parser(
        "export",
        help="export the calls opened from one day to another to a file (audited as a disclosure)",
    )
    p.add_argument("--format", choices=[x.value for x in ExportFormat], default=ExportFormat.CSV.value,
                   help="csv, jsonl (both re-importable), xlsx or pdf (a report); default csv")  # fmt: skip
    p.add_argument("--profile", choices=[x.value for x in Profile], default=Profile.FULL.value,
                   help="full: everything; pseudonymised: names, phones, emails and collar numbers "
                   "replaced by pseudonyms, free text removed; figures: aggregates only")  # fmt: skip
    add_filter_options(p)
    p.add_argument("--purpose", required=True, metavar="TEXT", help="why, and for whom, the data is exported")
    p.add_argument("--output", required=True, type=Path, metavar="FILE", help="the file to write")
    p.add_argument("--bom", action="store_true", help="CSV: start the file with a UTF-8 byte-order mark")
    p.add_argument("--marking", metavar="TEXT",
                   help="PDF: protective marking on every page (default: the protective_marking "
                   f"setting, which is {DEFAULT_MARKING} unless changed)")  # fmt: skip
    p.add_argument("--appendix", action="store_true", help="PDF: add one block per call after the figures")
    p.add_argument("--user", metavar="NAME", required=True, help="who is signing in")
    password_stdin_option(p, "the user's password")
    p.set_defaults(handler=export_command)


def export_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    check_period(args)
    output: Path = args.output
    if str(output) == "-":
        raise UsageError(
            "--output -: an export is written to a file (completely or not at all, hashed and "
            "audited), not to standard output; name the file to write"
        )
    if output.is_dir():
        raise UsageError(f"--output {output} is a folder; name the file to write")
    if not output.parent.is_dir():
        raise UsageError(f"--output: the folder {output.parent} does not exist")
    if args.appendix and args.format != ExportFormat.PDF.value:
        raise UsageError("--appendix is for --format pdf")
    if args.appendix and args.profile == Profile.FIGURES.value:
        raise UsageError("--appendix prints every call: it cannot go with --profile figures")
    passwords = Passwords(args.password_stdin)
    with opened_database(migrate=True) as (env, db):
        actor = sign_in(db, args.user, passwords)
        marking = args.marking if args.marking is not None else env.settings.protective_marking
        with progress_line("exporting calls") as progress:
            result = export(
                db,
                actor,
                format=args.format,
                query=query_from_args(args, db, actor),
                profile=args.profile,
                path=output,
                purpose=args.purpose,
                options=ExportOptions(bom=args.bom, marking=marking, appendix=args.appendix),
                progress=progress,
            )
    what = "call(s) counted" if result.profile is Profile.FIGURES else "call(s)"
    print(
        f"exported {result.rows} {what} ({result.format.value}, {result.profile.value}) to {result.path}",
        file=sys.stderr,
    )
    print(f"sha256 {result.sha256}")
    return 0
