"""The ``supportline`` command line: no subcommand starts the GUI, subcommands run headless.

Every subcommand works on the same services as the GUI. Expected failures (bad settings, an
unreachable database, a refused sign-in, invalid input, …) end with one line on stderr,
``supportline: error: …``, and exit code 2 for a usage or configuration mistake, 3 when the
user's role may not do what was asked (the refusal is in the audit trail), 1 otherwise; never
with a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import sys

from sqlalchemy.exc import SQLAlchemyError

from supportline import __version__
from supportline.cli import (
    audit_commands,
    calls_commands,
    db_commands,
    demo_command,
    erasure_commands,
    export_commands,
    guidance_commands,
    operations_commands,
    permissions_command,
    retention_commands,
    selftest,
    stats_command,
    users_commands,
)
from supportline.cli.common import EXIT_BROKEN_PIPE, EXIT_FAILURE, EXIT_REFUSED, EXIT_USAGE, CliError
from supportline.config import ConfigError, SecretsUnavailableError
from supportline.db import DatabaseUnavailableError
from supportline.db.backup import BackupError
from supportline.db.schema_version import MigrationError
from supportline.gui_hooks import GuiHooks, is_gui_invocation
from supportline.resources import ResourcesNotFoundError
from supportline.services.errors import PermissionDeniedError, ServiceError, ValidationError

PROG = "supportline"
log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Call logging and guidance for the advice line. "
        "Without a command, starts the application; `supportline --training` starts it on the "
        "training database (fictitious calls, never the live database), `--reset-training` on a new one.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    selftest.register(commands)
    db_commands.register(commands)
    users_commands.register(commands)
    calls_commands.register(commands)
    demo_command.register(commands)
    guidance_commands.register(commands)
    export_commands.register(commands)
    stats_command.register(commands)
    audit_commands.register(commands)
    retention_commands.register(commands)
    erasure_commands.register(commands)
    operations_commands.register(commands)
    permissions_command.register(commands)
    return parser


def main(argv: list[str], gui: GuiHooks | None = None) -> int:
    if is_gui_invocation(argv):
        if gui is None:
            return _fail(
                "the GUI is not available in this installation; see `supportline --help`", EXIT_USAGE
            )
        return gui.run(argv)
    # Arguments that are not UTF-8 (issue 17) are refused before anything uses them.
    from supportline.cli.arguments import not_utf8

    if (problem := not_utf8(argv)) is not None:
        return _fail(problem, EXIT_USAGE)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse has printed the usage error, or --help / --version
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    if args.command is None:
        return _fail("no command given; see `supportline --help`", EXIT_USAGE)
    try:
        result: int = args.handler(args, gui)
        sys.stdout.flush()  # here, where a closed pipe is caught, not at exit
    except CliError as exc:
        return _fail(str(exc), exc.exit_code)
    except ConfigError as exc:
        return _fail(f"configuration: {exc}", EXIT_USAGE)
    except ValidationError as exc:
        return _fail(_validation_message(exc), EXIT_FAILURE)
    except PermissionDeniedError as exc:
        return _fail(str(exc), EXIT_REFUSED)
    except (
        ServiceError,
        DatabaseUnavailableError,
        MigrationError,
        BackupError,
        SecretsUnavailableError,
        ResourcesNotFoundError,
    ) as exc:
        return _fail(str(exc), EXIT_FAILURE)
    except BrokenPipeError:
        return _reader_went_away()
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        return _fail(f"{where}{exc.strerror or exc}", EXIT_FAILURE)
    except SQLAlchemyError as exc:
        # Parameters are hidden (hide_parameters=True), so the message holds no personal data.
        log.exception("database error in `%s`", args.command)
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        return _fail(f"database error: {first[0] if first else type(exc).__name__}", EXIT_FAILURE)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    return result


def _validation_message(exc: ValidationError) -> str:
    if not exc.errors:
        return "the input was refused"
    return "the input was refused: " + "; ".join(str(e) for e in exc.errors)


def _reader_went_away() -> int:
    """The program reading our output stopped (``supportline calls list … | head``): stop quietly,
    as Unix tools do, with the status a tool killed by SIGPIPE has. Standard output is pointed at
    the null device so that Python's final flush does not fail again on the closed pipe."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return EXIT_BROKEN_PIPE


def _fail(message: str, code: int) -> int:
    one_line = " / ".join(line.strip() for line in message.splitlines() if line.strip())
    print(f"{PROG}: error: {one_line}", file=sys.stderr)
    return code


__all__ = ["build_parser", "main"]
