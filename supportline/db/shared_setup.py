"""Preparing and checking the shared PostgreSQL database (issue 13, items 1-2).

- :func:`explain_connection_error`: a driver's refusal in words a person can act on (wrong
  password, host unreachable, TLS refused, no such database or user).
- :func:`test_connection`: connect, then say whether the database is prepared and its schema is
  the one this program needs (too old / too new), with the server's version.
- :func:`init_shared`: migrations, then an application role with least privilege: it may read
  and write the application's rows, but owns nothing and may not create, alter or drop (no DDL);
  on the audit table it may only INSERT and SELECT (the log is append-only). Idempotent.
- :func:`privileges_report`: for ``db check`` on a shared database.
- :func:`keyring_is_secure`: whether the OS keyring can hold the password, or only keyring's
  "fail" or plaintext backend exists (then the password is asked for once per session instead).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import URL

from supportline.db import roles
from supportline.db.engine import Database, DatabaseUnavailableError, PasswordRequiredError, Timeouts

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


# --- connection errors in plain words -------------------------------------------------------------


def explain_connection_error(exc: BaseException, url: URL) -> str:
    """What went wrong connecting to ``url``, for the person at the screen (never a password)."""
    orig = getattr(exc, "orig", None) or exc
    raw = str(orig).strip()
    low = raw.lower()
    sqlstate = getattr(orig, "sqlstate", None)
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    user = url.username or "the database user"
    if sqlstate == "28P01" or "password authentication failed" in low:
        return f"wrong password for {user} on {where}"
    if "no password supplied" in low or "fe_sendauth" in low:
        return f"the server at {where} asks for a password for {user}, and none was given"
    if sqlstate == "3D000" or ("database" in low and "does not exist" in low):
        return f"there is no database {url.database!r} on {where}: check the name, or create it"
    if "role" in low and "does not exist" in low:
        return f"the server at {where} has no user {user!r}"
    if "ssl" in low or "certificate" in low or "tls" in low:
        return f"the secure (TLS) connection to {where} was refused: {_first(raw)}"
    if "no pg_hba.conf entry" in low:
        return f"the server at {where} does not accept {user} from this workstation (pg_hba.conf)"
    if "could not translate host name" in low or "name or service not known" in low:
        return f"the host name {url.host!r} is not known (check the spelling, or the network's DNS)"
    if "connection refused" in low:
        return f"nothing answers at {where}: the server is not running there, or a firewall refuses"
    if "timeout" in low or "timed out" in low or "no route to host" in low or "unreachable" in low:
        return f"the host {where} cannot be reached (network down, wrong address, or a firewall)"
    if "too many connections" in low or sqlstate == "53300":
        return f"the server at {where} refuses more connections just now (too many open)"
    if "starting up" in low or "shutting down" in low or "recovery" in low:
        return f"the server at {where} is starting, stopping or recovering; try again in a minute"
    return f"cannot connect to {where}: {_first(raw)}"


def _first(text_: str) -> str:
    return text_.splitlines()[0] if text_ else "no reason given"


# --- testing a connection --------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionTest:
    server_version: str
    revision: str | None  # None: the database is not prepared
    needed: str
    known: frozenset[str] = field(default_factory=frozenset)

    @property
    def problem(self) -> str | None:
        """Why this program cannot use the database as it is, or None."""
        if self.revision is None:
            return "the database is not prepared for Supportline yet: run `supportline db init-shared`"
        if self.revision == self.needed:
            return None
        if self.revision not in self.known:
            return (
                f"the database's schema (revision {self.revision}) is newer than this program "
                f"knows (it needs {self.needed}): install the newer Supportline the other workstations run"
            )
        return (
            f"the database's schema is too old (revision {self.revision}, this program needs "
            f"{self.needed}): an administrator runs `supportline db upgrade`"
        )


def test_connection(db: Database) -> ConnectionTest:
    """Connect once and read the server's version and the schema revision. Raises
    :class:`DatabaseUnavailableError` (or :class:`PasswordRequiredError`) with a plain message."""
    from sqlalchemy.exc import DBAPIError

    from supportline.db.schema_version import HEAD_REVISION

    try:
        with db.engine.connect() as conn:
            version = str(conn.exec_driver_sql("SHOW server_version").scalar() or "?")
            exists = conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar()
            revision = None
            if exists:
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError as exc:
        message = explain_connection_error(exc, db.url)
        if "asks for a password" in message:
            raise PasswordRequiredError(message) from exc
        raise DatabaseUnavailableError(message) from exc
    return ConnectionTest(
        server_version=version, revision=revision, needed=HEAD_REVISION, known=frozenset(known_revisions())
    )


def known_revisions() -> set[str]:
    """Every schema revision this program's migrations know."""
    from alembic.script import ScriptDirectory

    from supportline.db.migrate import MIGRATIONS_DIR

    return {script.revision for script in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()}


# --- preparing a database ----------------------------------------------------------------------------


@dataclass
class InitReport:
    done: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.done.append(line)


def init_shared(admin_db: Database, role: str, role_password: str | None = None) -> InitReport:
    """Prepare the database ``admin_db`` is connected to (as its owner or a superuser): bring the
    schema to head, then create or update the application role ``role`` with least privilege.
    Returns what was done, one line each. Running it again changes nothing that is right."""
    from supportline.db.migrate import current_revision, upgrade

    if admin_db.is_sqlite:
        raise DatabaseUnavailableError("init-shared prepares a shared PostgreSQL database, not a SQLite file")
    if not _ROLE_NAME.match(role):
        raise ValueError(f"{role!r} is not a usable role name (lower-case letters, digits and _, up to 63)")
    report = InitReport()
    before = current_revision(admin_db)
    upgrade(admin_db)
    after = current_revision(admin_db)
    if before != after:
        report.add(f"migrated the schema from {before or 'an empty database'} to revision {after}")
    else:
        report.add(f"the schema was already at revision {after}")
    with admin_db.engine.begin() as conn:
        schema = str(conn.execute(text("SELECT current_schema()")).scalar())
        database = str(conn.execute(text("SELECT current_database()")).scalar())
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
        quoted = _quote(conn, role)
        attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS"
        if exists:
            conn.execute(text(f"ALTER ROLE {quoted} {attributes}"))
            report.add(f"role {role} exists: set to log in only, with no special powers")
        else:
            conn.execute(text(f"CREATE ROLE {quoted} {attributes}"))
            report.add(f"created role {role} (log in only, no special powers)")
        if role_password:
            conn.execute(text(f"ALTER ROLE {quoted} PASSWORD {_literal(conn, role_password)}"))
            report.add(f"set the password of {role}")
        q_schema, q_db = _quote(conn, schema), _quote(conn, database)
        conn.execute(text(f"GRANT CONNECT ON DATABASE {q_db} TO {quoted}"))
        conn.execute(text(f"REVOKE CREATE ON SCHEMA {q_schema} FROM {quoted}"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA {q_schema} TO {quoted}"))
        tables = [
            str(t)
            for t in conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = :s ORDER BY tablename"),
                {"s": schema},
            ).scalars()
        ]
        for table in tables:  # the privileges of each table: supportline/db/roles.py
            for statement in roles.table_grants_sql(role, table, schema):
                conn.execute(text(statement))
        conn.execute(text(roles.sequence_grants_sql(role, schema)))
        limited = [t for t in tables if roles.privileges(t) != roles.READ_WRITE]
        report.add(
            f"granted {role} read and write on {len(tables) - len(limited)} tables of schema {schema}, "
            + ", ".join(f"{' and '.join(roles.privileges(t))} only on {t}" for t in limited)
            + "; no DDL (it owns nothing and may not create)"
        )
    return report


def _quote(conn: Any, identifier: str) -> str:
    return str(conn.execute(text("SELECT quote_ident(:i)"), {"i": identifier}).scalar())


def _literal(conn: Any, value: str) -> str:
    return str(conn.execute(text("SELECT quote_literal(:v)"), {"v": value}).scalar())


# --- db check ----------------------------------------------------------------------------------------


def privileges_report(db: Database) -> list[str]:
    """Lines for ``db check`` on a shared database: server version, schema revision, and what the
    connected role may do (a warning when it has more than the application needs)."""
    lines: list[str] = []
    with db.engine.connect() as conn:
        lines.append(f"server: PostgreSQL {conn.exec_driver_sql('SHOW server_version').scalar()}")
        role = str(conn.execute(text("SELECT current_user")).scalar())
        schema = str(conn.execute(text("SELECT current_schema()")).scalar())
        revision = None
        if conn.execute(text("SELECT to_regclass('alembic_version') IS NOT NULL")).scalar():
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        lines.append(f"schema: {schema} at revision {revision or 'none (not prepared)'}")
        has_audit = bool(conn.execute(text("SELECT to_regclass('audit_events') IS NOT NULL")).scalar())
        superuser = bool(
            conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
        )
        can_create = bool(
            conn.execute(text("SELECT has_schema_privilege(current_schema(), 'CREATE')")).scalar()
        )
        owns = conn.execute(
            text(
                "SELECT count(*) FROM pg_tables "
                "WHERE schemaname = current_schema() AND tableowner = current_user"
            )
        ).scalar()
        audit = [
            p
            for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
            if has_audit
            and conn.execute(text("SELECT has_table_privilege('audit_events', :p)"), {"p": p}).scalar()
        ]
    powers = []
    if superuser:
        powers.append("is a superuser")
    if can_create:
        powers.append(f"may create objects in {schema}")
    if owns:
        powers.append(f"owns {owns} tables (may alter or drop them)")
    lines.append(f"role: {role}; on audit_events: {', '.join(audit) or 'nothing'}")
    allowed = set(roles.privileges(roles.AUDIT_TABLE))
    if powers or set(audit) - allowed:
        extra = set(audit) - allowed
        if extra:
            powers.append(f"may {', '.join(sorted(extra))} audit events")
        lines.append(
            "warning: the application's role has more privilege than it needs ("
            + "; ".join(powers)
            + "): use the role `db init-shared` made"
        )
    else:
        lines.append("role privileges: least privilege (no DDL; audit events INSERT and SELECT only)")
    return lines


# --- the keyring ---------------------------------------------------------------------------------------


def keyring_is_secure() -> bool:
    """Whether the OS keyring can keep a secret: False where only keyring's ``fail`` backend or a
    plaintext one exists (headless Linux without a secret service)."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return False
    backend = keyring.get_keyring()
    candidates = list(getattr(backend, "backends", None) or [backend])
    for candidate in candidates:
        module = type(candidate).__module__
        if isinstance(candidate, fail.Keyring) or "plaintext" in module.lower() or "null" in module.lower():
            continue
        priority = getattr(candidate, "priority", 1)
        if isinstance(priority, int | float) and priority <= 0:
            continue
        return True
    return False


# --- for the Database dialog -------------------------------------------------------------------------------


def build_url(
    *,
    host: str,
    database: str,
    user: str,
    port: int = 5432,
    standbys: str = "",
    sslmode: str = "",
    sslrootcert: str = "",
) -> URL:
    """The URL for these connection details (never with a password). ``standbys`` is a list of
    ``host[:port]`` separated by commas: with any, the connection goes to whichever is the primary
    (``target_session_attrs=read-write``)."""
    host, database, user = host.strip(), database.strip(), user.strip()
    missing = [name for name, value in (("host", host), ("database", database), ("user", user)) if not value]
    if missing:
        names = " and ".join([", ".join(missing[:-1]), missing[-1]] if len(missing) > 1 else missing)
        raise ValueError(f"the {names} must be given")
    others = [h.strip() for h in standbys.split(",") if h.strip()]
    query: dict[str, str | tuple[str, ...]] = {}
    url = URL.create("postgresql+psycopg", username=user, database=database)
    if others:
        query["host"] = (f"{host}:{port}", *(h if ":" in h else f"{h}:5432" for h in others))
        query["target_session_attrs"] = "read-write"
    else:
        url = url.set(host=host, port=port)
    if sslmode:
        query["sslmode"] = sslmode
    if sslrootcert.strip():
        query["sslrootcert"] = sslrootcert.strip()
    return url.update_query_dict(query) if query else url


def try_url(url: URL, password: str | None, timeouts: Timeouts | None = None) -> ConnectionTest:
    """:func:`test_connection` on a database opened for the purpose (and closed again)."""
    from supportline.db.engine import create_database

    db = create_database(url, password=password or None, timeouts=timeouts)
    try:
        return test_connection(db)
    finally:
        db.dispose()
