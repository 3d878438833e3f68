"""``db connect`` / ``db test`` / ``db init-shared`` / ``db check`` on a shared database (issue 13,
items 1-2): plain-language connection errors, schema too old / too new, a least-privilege role."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from supportline import config
from supportline.db import Database, DatabaseUnavailableError, create_database, shared_setup
from supportline.db.schema_version import HEAD_REVISION
from supportline.services import calls
from tests.conftest import PG_URL, Run
from tests.factories import full_call, make_admin

pytestmark = pytest.mark.postgres


@pytest.fixture
def empty_schema(pg_db: Database) -> Iterator[str]:
    """A new, empty schema on the test server (``pg_db`` makes sure the server is there)."""
    schema = f"sl_shared_{uuid.uuid4().hex[:10]}"
    with pg_db.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield schema
    with pg_db.engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def role(pg_db: Database) -> Iterator[str]:
    name = f"sl_app_{uuid.uuid4().hex[:10]}"
    yield name
    with pg_db.engine.begin() as conn:
        if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name}).scalar():
            conn.execute(text(f'DROP OWNED BY "{name}"'))
            conn.execute(text(f'DROP ROLE "{name}"'))


def _as(user: str, schema: str) -> Database:
    return create_database(make_url(PG_URL).set(username=user), schema=schema)


# --- init-shared ----------------------------------------------------------------------------------


def test_init_shared_migrates_and_makes_a_least_privilege_role(empty_schema: str, role: str) -> None:
    owner = create_database(PG_URL, schema=empty_schema)
    app = _as(role, empty_schema)
    try:
        report = shared_setup.init_shared(owner, role)
        assert any("migrated the schema from an empty database" in line for line in report.done)
        assert any(f"created role {role}" in line for line in report.done)
        assert shared_setup.test_connection(owner).problem is None

        # The application works as the role …
        admin = make_admin(app)
        saved = calls.save_call(app, admin, full_call())
        assert calls.get_call(app, admin, saved.id).reference == saved.reference

        # … but may change no structure, and may only add to and read the audit log.
        refused = [
            "CREATE TABLE sneaky (id int)",
            "ALTER TABLE calls ADD COLUMN sneaky int",
            "DROP TABLE calls",
            "UPDATE audit_events SET actor_name = 'someone else'",
            "DELETE FROM audit_events",
            "TRUNCATE audit_events",
            "DELETE FROM alembic_version",
        ]
        for statement in refused:
            with (
                pytest.raises(DBAPIError, match=r"permission denied|must be owner"),
                app.engine.begin() as conn,
            ):
                conn.execute(text(statement))
        report_lines = shared_setup.privileges_report(app)
        assert any(line.startswith("server: PostgreSQL ") for line in report_lines)
        assert f"schema: {empty_schema} at revision {HEAD_REVISION}" in report_lines
        assert f"role: {role}; on audit_events: SELECT, INSERT" in report_lines
        assert report_lines[-1].startswith("role privileges: least privilege")

        # The owner's connection is flagged: it is more than the application needs.
        assert shared_setup.privileges_report(owner)[-1].startswith(
            "warning: the application's role has more"
        )

        # Again: nothing new to do, and the role keeps working.
        again = shared_setup.init_shared(owner, role)
        assert any("already at revision" in line for line in again.done)
        assert any(f"role {role} exists" in line for line in again.done)
        calls.save_call(app, admin, full_call())
    finally:
        app.dispose()
        owner.dispose()


def test_init_shared_refuses_a_bad_role_name(empty_schema: str) -> None:
    owner = create_database(PG_URL, schema=empty_schema)
    try:
        with pytest.raises(ValueError, match="not a usable role name"):
            shared_setup.init_shared(owner, 'app"; DROP TABLE calls; --')
    finally:
        owner.dispose()


# --- testing a connection: prepared? the right schema? ------------------------------------------------


def test_a_database_not_prepared_or_too_old_or_too_new_is_said_so(empty_schema: str) -> None:
    db = create_database(PG_URL, schema=empty_schema)
    try:
        assert "not prepared" in (shared_setup.test_connection(db).problem or "")
        with db.engine.begin() as conn:
            conn.execute(text("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)"))
            conn.execute(text("INSERT INTO alembic_version VALUES ('0001')"))
        assert "too old (revision 0001" in (shared_setup.test_connection(db).problem or "")
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        problem = shared_setup.test_connection(db).problem or ""
        assert "newer than this program knows" in problem and "9999" in problem
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"database": "no_such_database_sl"}, "there is no database 'no_such_database_sl'"),
        ({"username": "no_such_user_sl"}, "has no user 'no_such_user_sl'"),
        ({"host": "127.0.0.1", "port": 1}, "nothing answers at 127.0.0.1:1"),
        ({"host": "no-such-host.invalid"}, "the host name 'no-such-host.invalid' is not known"),
    ],
)
def test_connection_errors_are_in_plain_words(
    pg_db: Database, change: dict[str, object], expected: str
) -> None:
    db = create_database(make_url(PG_URL).set(**change))  # type: ignore[arg-type]
    try:
        with pytest.raises(DatabaseUnavailableError) as caught:
            shared_setup.test_connection(db)
        assert expected in str(caught.value)
        assert "Traceback" not in str(caught.value) and "psycopg" not in str(caught.value)
    finally:
        db.dispose()


def test_tls_refused_is_said_so(pg_db: Database) -> None:
    db = create_database(make_url(PG_URL).update_query_dict({"sslmode": "require"}))
    try:
        with db.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        pytest.skip("the test server accepts TLS, so it cannot refuse it")
    except DBAPIError:
        with pytest.raises(DatabaseUnavailableError, match=r"secure \(TLS\) connection to"):
            shared_setup.test_connection(db)
    finally:
        db.dispose()


def test_a_wrong_password_is_said_so() -> None:
    """The test server trusts local users, so the driver's own refusal is used as it comes."""
    url = make_url("postgresql+psycopg://sl_app@db.example.org/supportline")
    exc = psycopg.errors.InvalidPassword('password authentication failed for user "sl_app"')
    assert (
        shared_setup.explain_connection_error(exc, url) == "wrong password for sl_app on db.example.org:5432"
    )


# --- the commands -----------------------------------------------------------------------------------------


def test_db_connect_saves_a_working_url_and_db_test_reports_on_it(run: Run, pg_db: Database) -> None:
    result = run("db", "connect", PG_URL.replace("postgresql+psycopg", "postgresql"))
    assert result.code == 0, result.err
    assert "connected to PostgreSQL 15" in result.out
    env_settings = config.load_settings(config.Paths.from_environment())
    assert make_url(env_settings.database_url).database == make_url(PG_URL).database
    tested = run("db", "test")
    assert "reachable: PostgreSQL 15" in tested.out
    assert "schema revision:" in tested.out


def test_db_connect_to_a_missing_database_saves_nothing(run: Run, pg_db: Database) -> None:
    url = make_url(PG_URL).set(database="no_such_database_sl").render_as_string(hide_password=False)
    result = run("db", "connect", url)
    assert result.code == 1
    assert "there is no database 'no_such_database_sl'" in result.err
    assert "nothing was saved" in result.err
    assert config.load_settings(config.Paths.from_environment()).database_url == ""


def test_db_connect_with_a_standby_writes_to_whichever_is_primary(run: Run, pg_db: Database) -> None:
    """A primary that is down and a standby that answers (here: the test server, read-write)."""
    server = make_url(PG_URL)
    url = f"postgresql://{server.username}@127.0.0.1:1,{server.host}:{server.port}/{server.database}"
    result = run("db", "connect", url)
    assert result.code == 0, result.err
    saved = make_url(config.load_settings(config.Paths.from_environment()).database_url)
    assert saved.query["host"] == ("127.0.0.1:1", f"{server.host}:{server.port}")
    assert saved.query["target_session_attrs"] == "read-write"
    assert run("db", "test").out.startswith("reachable: PostgreSQL 15")


def test_db_check_on_a_shared_database_reports_server_revision_and_privileges(
    run: Run, pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SUPPORTLINE_DB_URL", PG_URL)
    result = run("db", "check")
    assert "server: PostgreSQL 15" in result.out
    assert "schema: public at revision" in result.out
    assert "role: postgres" in result.out
    assert "warning: the application's role has more privilege than it needs (is a superuser" in result.out


def test_without_a_secure_keyring_the_password_is_not_stored_and_the_reason_given(
    run: Run, pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", fail.Keyring)  # headless Linux: no secret service
    assert not shared_setup.keyring_is_secure()
    server = make_url(PG_URL)
    url = server.set(drivername="postgresql", password="Fictitious-Secret-1").render_as_string(
        hide_password=False
    )
    result = run("db", "connect", url)
    assert result.code == 0, result.err
    assert "the password is not stored: this machine has no secure keyring" in result.out
    assert "asks for it once per session" in result.out
    settings_text = config.Paths.from_environment().settings_file.read_text(encoding="utf-8")
    assert "Fictitious-Secret-1" not in settings_text and "Fictitious-Secret-1" not in result.out
