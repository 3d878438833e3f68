"""``supportline db upgrade|check|backup|restore|password``."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from supportline import bootstrap, config
from supportline.cli import shared_commands
from supportline.cli.common import CliError, Passwords, UsageError, opened_database, password_stdin_option
from supportline.db import DatabaseUnavailableError, check_connection, create_database
from supportline.db.backup import backup
from supportline.db.migrate import current_revision, head_revision, schema_diff
from supportline.db.restore import ACTION as RESTORE_ACTION
from supportline.db.restore import RestoreError, restore_sqlite
from supportline.db.restore import operator as restore_operator
from supportline.gui_hooks import GuiHooks
from supportline.services import audit_chain

UPGRADE_HINT = "run `supportline db upgrade`"
log = logging.getLogger(__name__)


def register(commands: Any) -> None:
    db = commands.add_parser("db", help="the database: migrate, check, back up, store its password")
    sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)

    p = sub.add_parser("upgrade", help="bring the database to the schema this program needs")
    p.set_defaults(handler=upgrade_command)

    p = sub.add_parser("check", help="is the database at the current revision, matching the models?")
    p.set_defaults(handler=check_command)

    p = sub.add_parser("backup", help="write a consistent copy of the database (SQLite file or pg_dump)")
    p.add_argument("path", type=Path, metavar="PATH", help="file to write, or an existing folder")
    p.set_defaults(handler=backup_command)

    p = sub.add_parser(
        "restore",
        help="put a copy of the local SQLite database back (checked first; the current file is kept aside)",
    )
    p.add_argument(
        "path", type=Path, metavar="PATH", help="the copy: a file from `db backup` or the daily backups"
    )
    p.set_defaults(handler=restore_command)

    p = sub.add_parser("password", help="store the shared PostgreSQL database's password in the OS keyring")
    password_stdin_option(p, "the database password")
    p.add_argument(
        "--no-check", action="store_true", help="store the password without first trying it on the server"
    )
    p.set_defaults(handler=password_command)

    shared_commands.register(sub)  # connect, test, init-shared (issue 13)


def describe_difference(diff: Any) -> str:
    """One line for one entry of Alembic's ``compare_metadata`` output."""
    if isinstance(diff, list):
        return "; ".join(describe_difference(d) for d in diff)
    if isinstance(diff, tuple) and diff and isinstance(diff[0], str):
        parts = [diff[0], *(_name_of(x) for x in diff[1:])]
        return " ".join(p for p in parts if p)
    return _name_of(diff)


def _name_of(thing: Any) -> str:
    if thing is None:
        return ""
    if isinstance(thing, str):
        return thing
    name = getattr(thing, "name", None)
    if isinstance(name, str):
        table = getattr(getattr(thing, "table", None), "name", None)
        return f"{table}.{name}" if isinstance(table, str) else name
    text = " ".join(str(thing).split())
    return text if len(text) <= 80 else text[:79] + "…"


def schema_problem(db: Any) -> str | None:
    """Why the schema is not what this program needs, or None when it is."""
    current = current_revision(db)
    head = head_revision()
    if current is None:
        return f"the database has no schema yet: {UPGRADE_HINT}"
    if current != head:
        return f"the database is at revision {current}, this program needs {head}: {UPGRADE_HINT}"
    differences = schema_diff(db)
    if differences:
        listed = "; ".join(describe_difference(d) for d in differences[:5])
        more = f" and {len(differences) - 5} more" if len(differences) > 5 else ""
        return f"the schema differs from the models: {listed}{more}"
    missing = audit_chain.missing_triggers(db)
    if missing:
        return (
            f"the audit trail is not append-only: trigger(s) missing on audit_events: {', '.join(missing)}; "
            "recreate them as migration 0005 does, then run `supportline audit verify`"
        )
    from supportline.services import handover

    missing = handover.missing_triggers(db)
    if missing:
        return (
            "acknowledged handovers are not read-only: trigger(s) missing on handovers: "
            f"{', '.join(missing)}; "
            "recreate them as migration 0009 does"
        )
    return None


def upgrade_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    with opened_database(migrate=False) as (env, db):
        before = current_revision(db)
        copy = bootstrap.migrate(env, db)
        if copy is not None:
            print(f"copy of the database before migrating: {copy}")
        after = current_revision(db)
        if before != after:
            print(f"migrated {db.describe()} from revision {before or 'none (empty)'}")
        print(f"database is at revision {after}")
    return 0


def check_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    with opened_database(migrate=False) as (_env, db):
        print(f"database: {db.describe()}")
        print(f"revision: {current_revision(db) or 'none'} (this program needs {head_revision()})")
        if not db.is_sqlite:
            shared_commands.print_shared_check(db)
        problem = schema_problem(db)
        if problem is not None:
            raise CliError(problem)
        print("ok: the database is at the current revision and its schema matches the models")
    return 0


def backup_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    target: Path = args.path.expanduser()
    with opened_database(migrate=True) as (_env, db):
        if target.is_dir():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            target = target / f"supportline-{stamp}.{'db' if db.is_sqlite else 'dump'}"
        if target.exists() or target.is_symlink():
            raise CliError(f"{target} already exists; choose a new file name (nothing was written)")
        written = backup(db, target)
    print(f"backup of {db.describe()} written to {written.resolve()}")
    return 0


POSTGRESQL_RESTORE = (
    "a shared PostgreSQL database is restored on its server with pg_restore, not with this command: "
    'see docs/administration.md, "Backups and restore" (pg_dump, pg_restore and the roles)'
)


def restore_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    env = bootstrap.load_environment()
    bootstrap.configure_logging(env.paths, retention_days=env.settings.log_retention_days)
    url = config.database_url(env.settings, env.paths)
    if url.get_backend_name() != "sqlite":
        _audit_postgresql_refusal(env)
        raise CliError(POSTGRESQL_RESTORE)
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise UsageError(f"`db restore` needs a SQLite database file; database_url names {url.database!r}")
    env.paths.ensure()
    copy: Path = args.path.expanduser()
    try:
        result = restore_sqlite(copy, Path(url.database))
    except RestoreError as exc:
        raise CliError(f"{exc}; nothing was changed") from exc
    migrated = (
        f", migrated from revision {result.revision} to {result.migrated_to}"
        if result.migrated_to != result.revision
        else ""
    )
    print(f"checked {result.copy}: integrity ok, schema revision {result.revision}, {result.calls} call(s)")
    if result.kept_aside is not None:
        print(f"the database it replaces is kept as {result.kept_aside}")
    print(f"restored SQLite {result.database} from {result.copy}{migrated}")
    if result.erasures_undone:
        print(
            f"warning: {result.erasures_undone} erasure(s) recorded after this copy was made are not in it: "
            "the erased calls or persons are back. Erase them again; the kept file's erasure record "
            "lists them (`supportline erasure list --records` with SUPPORTLINE_DB_URL pointing at it)",
            file=sys.stderr,
        )
    return 0


def _audit_postgresql_refusal(env: bootstrap.Environment) -> None:
    """The refusal in the shared database's audit trail, when it can be reached without asking."""
    from supportline.enums import AuditCategory
    from supportline.services import audit

    try:
        db = bootstrap.open_database(env)  # keyring only: no prompt for a refusal
    except Exception:  # unreachable, or it needs a password: the refusal stands unrecorded
        return
    try:
        with db.write() as session:
            audit.record(
                session, None, AuditCategory.ALTERATION, RESTORE_ACTION, "database", "",
                outcome="refused", actor_name=restore_operator(), reason="postgresql",
            )  # fmt: skip
    except Exception:  # the refusal stands whether or not it could be recorded
        log.warning("the refused restore could not be recorded in the shared database", exc_info=True)
    finally:
        db.dispose()


def password_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    env = bootstrap.load_environment()
    bootstrap.configure_logging(env.paths)
    url = config.database_url(env.settings, env.paths)
    if url.get_backend_name() != "postgresql":
        raise UsageError(
            "`db password` is for a shared PostgreSQL database; this installation uses a local "
            f"{url.get_backend_name()} database, which has no password"
        )
    who = f"{url.username or 'the database user'} on {url.host or 'the server'}"
    password = Passwords(args.password_stdin).read(f"Password for {who}", confirm=True)
    if not password:
        raise CliError("the password is empty; nothing was stored")
    if not args.no_check:
        db = create_database(
            url,
            zone=env.settings.zone,
            password=password,
            busy_timeout_ms=env.settings.sqlite_busy_timeout_ms,
        )
        try:
            check_connection(db)
        except DatabaseUnavailableError as exc:
            raise CliError(f"{exc}; the password was not stored (--no-check stores it untried)") from exc
        finally:
            db.dispose()
    config.set_database_password(url, password)
    print(f"the password for {who} is stored in the OS keyring")
    return 0
