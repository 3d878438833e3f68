"""``supportline db connect URL`` / ``db test`` / ``db init-shared``, and the shared part of
``db check`` (issue 13, items 1-2). The work is in ``supportline.db.shared_setup``."""

from __future__ import annotations

import argparse
import dataclasses
import re
from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from supportline import bootstrap, config
from supportline.cli.common import CliError, Passwords, UsageError, password_stdin_option, stdin_is_tty
from supportline.db import (
    Database,
    DatabaseUnavailableError,
    PasswordRequiredError,
    Timeouts,
    create_database,
    shared_setup,
)
from supportline.gui_hooks import GuiHooks

SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "connect",
        help="use a shared PostgreSQL database: test the connection, then save it (password in the keyring)",
    )
    p.add_argument("url", metavar="URL", help="postgresql://user@host[:port][,standby[:port]]/dbname")
    p.add_argument("--sslmode", choices=SSL_MODES, help="TLS: require, verify-ca, verify-full, …")
    p.add_argument("--sslrootcert", metavar="FILE", help="the CA certificate the server's is checked against")
    password_stdin_option(p, "the database password")
    p.set_defaults(handler=connect_command)

    p = sub.add_parser("test", help="try the configured database: reachable, prepared, the right schema?")
    password_stdin_option(p, "the database password, if the keyring has none")
    p.set_defaults(handler=test_command)

    p = sub.add_parser(
        "init-shared",
        help="prepare an empty shared PostgreSQL database: migrations and a least-privilege application role",
    )
    p.add_argument(
        "--role", required=True, help="the application role to create or update, e.g. supportline_app"
    )
    p.add_argument(
        "--url",
        metavar="URL",
        help="connect as the database's owner with this URL (default: the configured one)",
    )
    p.add_argument(
        "--role-password",
        action="store_true",
        help="set the role's password (asked for, or --password-stdin)",
    )
    password_stdin_option(p, "the owner's password if the keyring has none, then the role's password")
    p.set_defaults(handler=init_shared_command)


# --- connect ----------------------------------------------------------------------------------------


_MULTI_HOST = re.compile(r"^(?P<scheme>[\w+]+)://(?:(?P<user>[^@/]*)@)?(?P<hosts>[^/]*,[^/]*)/(?P<rest>.*)$")


def _parse(text: str) -> URL:
    """A PostgreSQL URL; ``host1:port,host2:port`` (a primary and a standby) becomes SQLAlchemy's
    ``?host=host1:port&host=host2:port`` with ``target_session_attrs=read-write``."""
    multi = _MULTI_HOST.match(text.strip())
    try:
        if multi:
            database, _, query = multi["rest"].partition("?")
            url = make_url(f"{multi['scheme']}://{multi['user'] + '@' if multi['user'] else ''}/{database}")
            hosts = [h for h in multi["hosts"].split(",") if h]
            url = url.update_query_pairs([("host", h) for h in hosts])
            if query:
                url = url.update_query_string(query, append=True)
            if "target_session_attrs" not in url.query:
                # A primary and its standby: always write to whichever is the primary now.
                url = url.update_query_dict({"target_session_attrs": "read-write"})
        else:
            url = make_url(text)
    except (ArgumentError, ValueError):
        raise UsageError(f"{text!r} is not a database URL (postgresql://user@host/dbname)") from None
    if url.get_backend_name() != "postgresql":
        raise UsageError(f"{text!r} is not a PostgreSQL URL; a local database needs no `db connect`")
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if not url.database:
        raise UsageError(f"{text!r} names no database: add /dbname at the end")
    return url


def _open(url: URL, password: str | None, env: bootstrap.Environment) -> Database:
    return create_database(
        url,
        zone=env.settings.zone,
        password=password,
        timeouts=Timeouts(**env.settings.db_timeouts()),
    )


def _tested(
    url: URL, env: bootstrap.Environment, passwords: Passwords, password: str | None
) -> tuple[shared_setup.ConnectionTest, str | None]:
    """Connect (asking for the password if the server wants one); the test and the password used."""
    for attempt in range(2):
        db = _open(url, password, env)
        try:
            return shared_setup.test_connection(db), password
        except PasswordRequiredError:
            if attempt or password is not None:
                raise
            if not (passwords.from_stdin or stdin_is_tty()):
                raise CliError(
                    f"the server asks for a password for {url.username or 'the user'}: "
                    "give it with --password-stdin or run this from a terminal"
                ) from None
            password = passwords.read(f"Password for {url.username or 'the database user'} on {url.host}")
        finally:
            db.dispose()
    raise AssertionError("unreachable")  # pragma: no cover


def connect_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    env = bootstrap.load_environment()
    bootstrap.configure_logging(env.paths)
    url = _parse(args.url)
    if args.sslmode:
        url = url.update_query_dict({"sslmode": args.sslmode})
    if args.sslrootcert:
        url = url.update_query_dict({"sslrootcert": args.sslrootcert})
    password = url.password if isinstance(url.password, str) and url.password else None
    url = url._replace(password=None)  # (URL.set ignores None)
    try:
        test, password = _tested(url, env, Passwords(args.password_stdin), password)
    except DatabaseUnavailableError as exc:
        raise CliError(f"{exc}; nothing was saved") from exc
    shown = url.render_as_string(hide_password=True)
    settings = dataclasses.replace(env.settings, database_url=url.render_as_string(hide_password=False))
    config.save_settings(env.paths, settings)
    print(f"connected to PostgreSQL {test.server_version}; this workstation now uses {shown}")
    if password:
        if shared_setup.keyring_is_secure():
            config.set_database_password(url, password)
            print("the password is stored in the OS keyring")
        else:
            print(
                "the password is not stored: this machine has no secure keyring (only keyring's "
                "'fail' or plaintext backend), so Supportline asks for it once per session"
            )
    if test.problem:
        print(f"note: {test.problem}")
    return 0


# --- test -------------------------------------------------------------------------------------------


def test_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    env = bootstrap.load_environment()
    bootstrap.configure_logging(env.paths)
    url = config.database_url(env.settings, env.paths)
    if url.get_backend_name() != "postgresql":
        raise UsageError(
            "this workstation uses its local database; `db test` checks a shared one (see `db connect`)"
        )
    stored = config.get_database_password(url)
    test, _password = _tested(url, env, Passwords(args.password_stdin), stored)
    print(f"reachable: PostgreSQL {test.server_version} at {url.render_as_string(hide_password=True)}")
    print(f"schema revision: {test.revision or 'none'} (this program needs {test.needed})")
    if test.problem:
        raise CliError(test.problem)
    print("ok: the shared database is ready for this program")
    return 0


# --- init-shared ------------------------------------------------------------------------------------


def init_shared_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    env = bootstrap.load_environment()
    bootstrap.configure_logging(env.paths)
    url = _parse(args.url) if args.url else config.database_url(env.settings, env.paths)
    if url.get_backend_name() != "postgresql":
        raise UsageError(
            "init-shared prepares a shared PostgreSQL database: give --url or run `db connect` first"
        )
    passwords = Passwords(args.password_stdin)
    password = url.password if isinstance(url.password, str) and url.password else None
    url = url._replace(password=None)  # (URL.set ignores None)
    _test, password = _tested(url, env, passwords, password or config.get_database_password(url))
    role_password = (
        passwords.read(f"Password for the new role {args.role}", confirm=True) if args.role_password else None
    )
    db = _open(url, password, env)
    try:
        report = shared_setup.init_shared(db, args.role, role_password)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        db.dispose()
    for line in report.done:
        print(line)
    print(f"done: workstations connect as {args.role} (`supportline db connect postgresql://{args.role}@…`)")
    return 0


# --- db check ---------------------------------------------------------------------------------------


def print_shared_check(db: Database) -> None:
    """The shared database's part of ``db check``: server version, revision, role privileges."""
    for line in shared_setup.privileges_report(db):
        print(line)
