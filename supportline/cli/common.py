"""What every subcommand shares: errors, passwords, opening the database, output helpers."""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import getpass
import logging
import sys
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from supportline import bootstrap
from supportline.bootstrap import Environment
from supportline.db import Database, PasswordRequiredError
from supportline.gui_hooks import GuiHooks
from supportline.services import accounts
from supportline.services.actor import Actor

log = logging.getLogger(__name__)

#: A subcommand: the parsed arguments and the GUI hooks (None in a core-only installation) → exit code.
Command = Callable[[argparse.Namespace, GuiHooks | None], int]

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3  # the signed-in user's role may not do this (PermissionDeniedError)
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a tool whose reader went away


class CliError(Exception):
    """An expected failure: reported as one line on stderr, with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(CliError):
    """The command line asks for something that cannot be done as asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_USAGE)


def stdin_is_tty() -> bool:
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class TerminalProgress:
    """``label: 12,500 of 100,000 (12%)`` on one line of standard error, rewritten in place."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        percent = f" ({done * 100 // total}%)" if total else ""
        print(f"\r{self.label}: {done:,} of {total:,}{percent}", end="", file=sys.stderr, flush=True)
        self._shown = True

    def finish(self) -> None:
        """End the line (after the last count, or before an error is reported)."""
        if self._shown:
            print(file=sys.stderr, flush=True)
            self._shown = False


@contextlib.contextmanager
def progress_line(label: str) -> Iterator[TerminalProgress | None]:
    """A progress line for long work when standard error is a terminal (``None`` in a log or a
    pipe), its line ended however the work ends."""
    progress = TerminalProgress(label) if stderr_is_tty() else None
    try:
        yield progress
    finally:
        if progress is not None:
            progress.finish()


@dataclass
class Passwords:
    """Passwords in the order a command needs them: one line each from standard input with
    ``--password-stdin`` (when it is a pipe or a file), otherwise from a prompt that never echoes.

    Passwords are never printed, logged or put in an exception message.
    """

    from_stdin: bool
    _lines_read: int = 0

    def read(self, prompt: str, *, confirm: bool = False) -> str:
        # On a terminal, reading a line would echo the password: prompt without echo instead.
        if self.from_stdin and not stdin_is_tty():
            line = sys.stdin.readline()
            self._lines_read += 1
            if not line:
                raise UsageError(
                    f"--password-stdin: expected a password on line {self._lines_read} "
                    "of standard input, found the end of input"
                )
            return line.removesuffix("\n").removesuffix("\r")
        if not stdin_is_tty():
            raise UsageError(
                "cannot ask for a password: standard input is not a terminal; "
                "use --password-stdin and give the password(s) on standard input, one per line"
            )
        try:
            password = getpass.getpass(f"{prompt}: ")
            if confirm and getpass.getpass(f"{prompt} (again): ") != password:
                raise CliError("the two passwords are not the same; nothing was changed")
        except EOFError:
            raise CliError("no password given; nothing was changed") from None
        return password


def password_stdin_option(parser: argparse.ArgumentParser, lines: str) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help=f"read passwords from standard input, one per line ({lines}) instead of prompting",
    )


def database_password_prompt(message: str) -> str | None:
    if not stdin_is_tty():
        return None
    try:
        return getpass.getpass(f"{message}: ")
    except EOFError:
        return None


#: Who signed in (``sign_in``) to the database the current ``opened_database`` opened.
_SIGNED_IN: contextvars.ContextVar[list[tuple[Database, Actor]] | None] = contextvars.ContextVar(
    "supportline_cli_signed_in", default=None
)


@contextlib.contextmanager
def opened_database(*, migrate: bool) -> Iterator[tuple[Environment, Database]]:
    """Settings, logging and the configured database, brought to the current schema if ``migrate``.

    Whoever signed in to it during the command (:func:`sign_in`) is signed out when the command
    ends, however it ends (an error, a refusal, Ctrl+C): a ``logout`` audit event after the
    command's own, before the database is closed."""
    env = bootstrap.load_environment()
    bootstrap.configure_logging(env.paths, retention_days=env.settings.log_retention_days)
    try:
        db = bootstrap.open_database(env, prompt=database_password_prompt)
    except PasswordRequiredError as exc:
        raise CliError(
            f"{exc}; store it in the OS keyring with `supportline db password`, "
            "or run this command from a terminal to be asked for it"
        ) from exc
    signed_in: list[tuple[Database, Actor]] = []
    token = _SIGNED_IN.set(signed_in)
    ended = "ok"
    try:
        if migrate:
            bootstrap.migrate(env, db)
        yield env, db
    except KeyboardInterrupt:
        ended = "interrupted"
        raise
    except BaseException:
        ended = "error"
        raise
    finally:
        _SIGNED_IN.reset(token)
        for database, actor in signed_in:
            _sign_out(database, actor, ended)
        db.dispose()


def _sign_out(db: Database, actor: Actor, ended: str) -> None:
    """Record the end of a command's session. A failure to record it (the database that made
    the command fail, say) is logged and does not hide the command's own outcome."""
    try:
        accounts.sign_out(db, actor, reason="command ended", ended=ended)
    except Exception as exc:
        log.warning("the sign-out of a command could not be recorded: %s", type(exc).__name__)


def sign_in(db: Database, username: str, passwords: Passwords) -> Actor:
    """Sign ``username`` in for this command (inside :func:`opened_database`, which records the
    sign-out when the command ends)."""
    signed_in = _SIGNED_IN.get()
    if signed_in is None:
        raise RuntimeError("sign_in outside opened_database: the sign-out would not be recorded")
    password = passwords.read(f"Password for {username}")
    try:
        actor = accounts.authenticate(db, username, password)
    except accounts.PasswordChangeRequiredError as exc:
        raise CliError(
            f"{exc} (`supportline users password --user {username}`, or sign in to the app)"
        ) from exc
    signed_in.append((db, actor))
    return actor


def parse_date(text: str) -> date:
    """argparse ``type`` for a calendar date written YYYY-MM-DD."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def printable(text: str, limit: int | None = None) -> str:
    """One line safe for a terminal: whitespace runs become one space, control characters go."""
    cleaned = " ".join(
        "".join(ch if not unicodedata.category(ch).startswith("C") else " " for ch in text).split()
    )
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def print_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()

    print(line(headers))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))
