"""The demo data sets the suite runs on: built once with the demo generator, then reused.

A data set is keyed by its size, its seed, the schema (the head revision and a hash of every
migration script, so a migration still being written gives a new set) and the demo generator's
``DATA_VERSION``; a data set of another key is never migrated into this one's place.

- SQLite: ``bench/out/data/sqlite-<calls>-s<seed>-<revision>-<hash>/home/`` is a
  ``SUPPORTLINE_HOME`` whose database is ``home/data/supportline.db``; ``built.json`` beside
  ``home`` says the build finished.
- PostgreSQL: a database ``bench_<hash>`` per key on the local server (``127.0.0.1:5432``, user
  ``postgres``; ``SUPPORTLINE_BENCH_PG_URL`` names another server), analysed after the build;
  its ``COMMENT`` says the build finished. A database without it (a build that was stopped) is
  dropped and built again.

A build holds a lock file (``bench/out/data/<key>.lock``): a second run wanting the same set
waits for the first. *Scratch* databases (empty, migrated: saving and importing write into
them, never into a data set) are copied from a migrated empty template, a file on SQLite and a
``TEMPLATE`` database on PostgreSQL, and removed when the run ends.

The demo accounts of every bench database share :data:`bench.common.DEMO_PASSWORD`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.common import DEMO_PASSWORD, OUT, ROOT

if TYPE_CHECKING:
    from supportline.db import Database

PG_SERVER = os.environ.get("SUPPORTLINE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
DATA = OUT / "data"
MIGRATIONS = ROOT / "supportline" / "db" / "migrations" / "versions"
#: Marks a finished PostgreSQL build (the database's COMMENT starts with it).
PG_MARK = "supportline bench data set "
Log = Callable[[str], None]


def schema_key() -> str:
    """The head revision and a short hash of every migration script's text."""
    from supportline.db.schema_version import HEAD_REVISION

    digest = hashlib.sha256()
    for script in sorted(MIGRATIONS.glob("[0-9]*_*.py")):
        digest.update(script.name.encode())
        digest.update(script.read_bytes())
    return f"{HEAD_REVISION}-{digest.hexdigest()[:8]}"


def dataset_key(dialect: str, calls: int, seed: int) -> str:
    from supportline.services.demo import DATA_VERSION

    return f"{dialect}-{calls}-s{seed}-{schema_key()}-d{DATA_VERSION}"


def pg_url(database: str) -> str:
    return f"{PG_SERVER.rstrip('/')}/{database}"


def pg_name(key: str) -> str:
    """The database of a key: named after the output folder too, so that two checkouts (or a
    test's temporary folder) sharing one server never use, or drop, each other's databases."""
    return "bench_" + hashlib.sha256(f"{key} {OUT}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Dataset:
    dialect: str
    key: str
    calls: int
    seed: int
    url: str
    home: Path  # SUPPORTLINE_HOME for the app (PostgreSQL: its settings point at the database)
    info: dict[str, Any]

    @property
    def path(self) -> Path:
        """The SQLite file (SQLite only)."""
        if self.dialect != "sqlite":
            raise ValueError("a PostgreSQL data set has no file")
        return self.home / "data" / "supportline.db"

    def environment(self) -> dict[str, str]:
        """The environment of an app process that opens this data set."""
        env = {**os.environ, "SUPPORTLINE_HOME": str(self.home)}
        env.pop("SUPPORTLINE_DB_URL", None)
        if self.dialect == "postgresql":
            env["SUPPORTLINE_DB_URL"] = self.url
        return env

    def open(self) -> Database:
        from supportline.db import create_database

        return create_database(self.url)


@contextmanager
def _locked(name: str) -> Iterator[None]:
    DATA.mkdir(parents=True, exist_ok=True)
    with open(DATA / f"{name}.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another run building {name} ...", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_dataset(dialect: str, calls: int, seed: int = 1, *, log: Log = print) -> Dataset:
    """The data set of ``calls`` demo calls made with ``seed``, built if need be."""
    if dialect not in ("sqlite", "postgresql"):
        raise ValueError(f"unknown database kind {dialect!r}: sqlite or postgresql")
    key = dataset_key(dialect, calls, seed)
    with _locked(key):
        if dialect == "sqlite":
            return _ensure_sqlite(key, calls, seed, log)
        return _ensure_postgresql(key, calls, seed, log)


def _generate(db: Database, calls: int, seed: int, log: Log) -> dict[str, Any]:
    from supportline.db.migrate import upgrade
    from supportline.services.demo import generate_demo

    upgrade(db)
    step = max(calls // 10, 1)
    shown = [0]

    def progress(done: int, total: int) -> None:
        if done - shown[0] >= step or done == total:
            shown[0] = done
            log(f"    {done:,} / {total:,} calls")

    started = time.perf_counter()
    summary = generate_demo(db, calls=calls, password=DEMO_PASSWORD, seed=seed, progress=progress)
    seconds = time.perf_counter() - started
    log(f"    built in {seconds:.0f} s ({calls / seconds:,.0f} calls/s)")
    return {
        "calls": summary.calls,
        "cases": summary.cases,
        "persons": summary.persons,
        "seconds": seconds,
        "built_at": datetime.now(UTC).isoformat(),
    }


def _ensure_sqlite(key: str, calls: int, seed: int, log: Log) -> Dataset:
    from supportline.db import create_database

    folder = DATA / key
    home = folder / "home"
    marker = folder / "built.json"
    url = f"sqlite:///{home / 'data' / 'supportline.db'}"
    if not marker.exists():
        if folder.exists():
            log(f"  {folder.name}: an unfinished build; starting again")
            shutil.rmtree(folder)
        (home / "data").mkdir(parents=True)
        log(f"  building {calls:,} demo calls (seed {seed}) in {home} ...")
        db = create_database(url)
        try:
            info = _generate(db, calls, seed, log)
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.dispose()
        marker.write_text(json.dumps({"key": key, **info}, indent=2) + "\n")
    info = json.loads(marker.read_text())
    return Dataset("sqlite", key, calls, seed, url, home, info)


def _admin_execute(statement: str, parameters: dict[str, Any] | None = None) -> Any:
    """One statement on the server's ``postgres`` database, outside a transaction."""
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_url("postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            # Without parameters, the text goes as it is (a JSON comment holds colons).
            if parameters is None:
                result = conn.exec_driver_sql(statement)
            else:
                result = conn.execute(text(statement), parameters)
            return result.fetchall() if result.returns_rows else None
    finally:
        engine.dispose()


def _pg_comment(name: str) -> str | None:
    rows = _admin_execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :name",
        {"name": name},
    )
    if not rows:
        return None
    return str(rows[0][0] or "")


def _ensure_postgresql(key: str, calls: int, seed: int, log: Log) -> Dataset:
    from supportline.db import create_database

    name = pg_name(key)
    home = DATA / key / "home"
    home.mkdir(parents=True, exist_ok=True)
    comment = _pg_comment(name)
    if comment is None or not comment.startswith(PG_MARK):
        if comment is not None:
            log(f"  {name}: an unfinished build; dropping it and starting again")
            _admin_execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        log(f"  building {calls:,} demo calls (seed {seed}) in PostgreSQL database {name} ...")
        _admin_execute(f'CREATE DATABASE "{name}"')
        db = create_database(pg_url(name))
        try:
            info = _generate(db, calls, seed, log)
        finally:
            db.dispose()
        log("    VACUUM ANALYZE ...")
        _database_execute(name, "VACUUM ANALYZE")
        payload = json.dumps({"key": key, "out": str(OUT), **info}).replace("'", "")
        _admin_execute(f"COMMENT ON DATABASE \"{name}\" IS '{PG_MARK}{payload}'")
        comment = _pg_comment(name) or ""
    info = json.loads(comment.removeprefix(PG_MARK))
    return Dataset("postgresql", key, calls, seed, pg_url(name), home, info)


def _database_execute(name: str, statement: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(pg_url(name), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


# --- scratch databases ------------------------------------------------------------------------------


def _empty_template(dialect: str, log: Log) -> str:
    """A migrated, empty database to copy: a file (SQLite) or a database name (PostgreSQL)."""
    from supportline.db import create_database
    from supportline.db.migrate import upgrade

    key = f"empty-{dialect}-{schema_key()}"
    with _locked(key):
        if dialect == "sqlite":
            path = DATA / f"{key}.db"
            if not path.exists():
                partial = path.with_suffix(".partial")
                for leftover in DATA.glob(f"{partial.name}*"):
                    leftover.unlink()
                db = create_database(f"sqlite:///{partial}")
                try:
                    upgrade(db)
                    with db.engine.connect() as conn:
                        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    db.dispose()
                partial.rename(path)
            return str(path)
        name = pg_name(key)
        comment = _pg_comment(name)
        if comment is None or not comment.startswith(PG_MARK):
            if comment is not None:
                _admin_execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            log(f"  making the empty PostgreSQL template {name} ...")
            _admin_execute(f'CREATE DATABASE "{name}"')
            db = create_database(pg_url(name))
            try:
                upgrade(db)
            finally:
                db.dispose()
            payload = json.dumps({"key": key, "out": str(OUT)}).replace("'", "")
            _admin_execute(f"COMMENT ON DATABASE \"{name}\" IS '{PG_MARK}{payload}'")
        return name


def scratch_database(
    dialect: str, label: str, folder: Path, *, log: Log = print
) -> tuple[str, Callable[[], None]]:
    """A new, empty, migrated database (its URL) and the function that removes it."""
    template = _empty_template(dialect, log)
    if dialect == "sqlite":
        path = folder / f"{label}.db"
        for leftover in folder.glob(f"{label}.db*"):
            leftover.unlink()
        shutil.copyfile(template, path)

        def remove_file() -> None:
            for leftover in folder.glob(f"{label}.db*"):
                leftover.unlink()

        return f"sqlite:///{path}", remove_file
    name = f"bench_scratch_{label}_{os.getpid()}"
    _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

    def drop() -> None:
        _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return pg_url(name), drop
