"""Many workstations saving at once on one PostgreSQL database (issue 13's load benchmark).

20 processes (each a workstation: its own interpreter, engine and connection) each save 500
complete calls through the real ``calls.save_call``, all at once, on a fresh database of their
own on the local PostgreSQL server. Checked by query afterwards: every acknowledged save is
there, none twice (each call once, with one ``call.create`` audit event; the references run
1..10000 with no gap or repeat), and the audit chain verifies. Reported: the median and p99 of a
save's latency and the throughput.

Baseline, in the same run: ``pgbench`` with a custom script that inserts the same rows into the
same tables (a second fresh database migrated the same way), 20 clients x 500 transactions. The
script is generated from the statements one ``save_call`` of the same call sent (captured with
SQLAlchemy's ``before_cursor_execute``): the two reference counters, the case, the call, its
persons, languages, nationalities, routes, checklist ticks, referrals, follow-up, codes, and the
audit event with the audit chain's lock and head read, and the NOTIFY; fresh UUIDs and
references per transaction, one INSERT per table, prepared statements (``-M prepared``). What
it leaves out is the app's own work: validation, the permission check, the existence and
conflict checks, building the saved record. pgbench runs before and after the app's run; the
targets are judged against the faster of the two.

Targets (issue 13): p99 <= 5 x pgbench's p99; throughput >= 0.3 x pgbench's.

    .venv/bin/python bench/bench_load.py                     # 20 x 500 (a few minutes)
    .venv/bin/python bench/bench_load.py --processes 4 --saves 100

``SUPPORTLINE_BENCH_PG_URL`` (or ``--server``) is a superuser URL of the server (default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``); the two databases are created on it
and dropped at the end (``--keep`` keeps them). Results: ``bench/out/load.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script (python bench/bench_load.py): import from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_save import form_call
from bench.common import ROOT, table, verdict, write_results
from supportline.db import Database, create_database
from supportline.enums import Role
from supportline.services import calls
from supportline.services.actor import Actor
from supportline.services.call_types import CallData

P99_TARGET = 5.0  # app p99 <= 5 x pgbench's
THROUGHPUT_TARGET = 0.3  # app throughput >= 0.3 x pgbench's
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "throw-away load-test passphrase 2026"  # noqa: S105  # throw-away bench databases
OPENED = datetime(2026, 7, 1, 10, tzinfo=UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=20, help="workstations saving at once (20)")
    parser.add_argument("--saves", type=int, default=500, help="saves per workstation (500)")
    parser.add_argument(
        "--server",
        default=os.environ.get("SUPPORTLINE_BENCH_PG_URL", DEFAULT_SERVER),
        help="a superuser URL of the PostgreSQL server to create the bench databases on",
    )
    parser.add_argument("--pgbench", default=shutil.which("pgbench") or "pgbench", help="pgbench program")
    parser.add_argument("--keep", action="store_true", help="keep the two databases afterwards")
    parser.add_argument("--worker", nargs=4, metavar=("URL", "USER", "SAVES", "OUT"), help=argparse.SUPPRESS)
    return parser


# --- the databases ----------------------------------------------------------------------------------


def _url(server: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(server).set(database=database).render_as_string(hide_password=False)


def _admin_sql(server: str, *statements: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def _fresh_database(server: str, name: str, created: list[str]) -> tuple[Database, Actor]:
    """A new database ``name``, migrated, with one administrator (who saves every call)."""
    from supportline.db.migrate import upgrade
    from supportline.services import accounts

    _admin_sql(server, f'CREATE DATABASE "{name}"')
    created.append(name)
    db = create_database(_url(server, name), application_name="bench-load-setup")
    upgrade(db)
    admin = accounts.create_first_admin(db, "bench.admin", "Bench Admin", PASSWORD)
    return db, accounts.actor_for(admin)


def fresh_call() -> CallData:
    """The bench's call (bench_save's complete form) with new ids for it and its children."""
    data = form_call(OPENED)
    return dataclasses.replace(
        data,
        id=uuid.uuid4(),
        persons=tuple(dataclasses.replace(p, id=uuid.uuid4()) for p in data.persons),
        referrals=tuple(dataclasses.replace(r, id=uuid.uuid4()) for r in data.referrals),
        follow_ups=tuple(dataclasses.replace(f, id=uuid.uuid4()) for f in data.follow_ups),
    )


# --- the pgbench script, from one captured save -----------------------------------------------------------


_INSERT = re.compile(r"^INSERT INTO (\w+) \(([^)]*)\) VALUES", re.S)


def capture_save(db: Database, actor: Actor) -> list[tuple[str, Any]]:
    """The statements and parameters one ``save_call`` of :func:`fresh_call` sends."""
    from sqlalchemy import event

    captured: list[tuple[str, Any]] = []

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        calls.save_call(db, actor, fresh_call())
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    return captured


class _Script:
    """Renders captured values as pgbench SQL: the save's UUIDs (but the actor's) become fresh
    per-transaction variables, its references the new numbers."""

    def __init__(self, actor_id: uuid.UUID, numbering: str) -> None:
        self.actor_id = actor_id
        self.numbering = numbering
        self.uuids: dict[uuid.UUID, str] = {}

    def uuid_var(self, value: uuid.UUID) -> str:
        if value not in self.uuids:
            self.uuids[value] = f"u{len(self.uuids) + 1}"
        return self.uuids[value]

    def reference(self, kind: str, year: str) -> str:
        """The SQL for this transaction's reference of ``kind`` (SL or CASE)."""
        if self.numbering == "last":  # what the numbering statement returned (\gset)
            return ":call_reference::text" if kind == "SL" else ":case_reference::text"
        counter = "sl" if kind == "SL" else "case"
        return f"('{kind}-{year}-' || lpad(:{counter}_value::text, 6, '0'))"

    def value(self, value: Any) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, int | float):
            return repr(value)
        if isinstance(value, uuid.UUID):
            if value == self.actor_id:
                return f"'{value}'::uuid"
            return f":{self.uuid_var(value)}::uuid"
        if isinstance(value, datetime):
            t = value.astimezone(UTC)
            seconds = t.second + t.microsecond / 1e6
            # No ':' in the text: pgbench would take ':17' in '02:17:31' for a variable.
            return f"make_timestamptz({t.year}, {t.month}, {t.day}, {t.hour}, {t.minute}, {seconds!r}, 'UTC')"
        if isinstance(value, str):
            return self.text(value)
        raise TypeError(f"no pgbench rendering for {type(value).__name__}")

    def text(self, value: str) -> str:
        """A string literal; the save's UUIDs, placeholders and references in it become this
        transaction's."""
        swaps = {str(u): f":{name}::text" for u, name in self.uuids.items()}
        swaps.update(
            {
                "~" + u.hex[:19]: f"('~' || substr(replace(:{name}::text, '-', ''), 1, 19))"
                for u, name in self.uuids.items()
            }
        )
        pattern = "|".join(
            [_REFERENCE_IN_TEXT.pattern, *(re.escape(s) for s in sorted(swaps, key=len, reverse=True))]
        )
        pieces: list[str] = []
        position = 0
        for match in re.finditer(pattern, value):
            pieces.append(self._literal(value[position : match.start()]))
            found = _REFERENCE_IN_TEXT.fullmatch(match.group(0))
            pieces.append(self.reference(found.group(1), found.group(2)) if found else swaps[match.group(0)])
            position = match.end()
        pieces.append(self._literal(value[position:]))
        kept = [p for p in pieces if p != "''"] or ["''"]
        return kept[0] if len(kept) == 1 else "(" + " || ".join(kept) + ")"

    @staticmethod
    def _literal(value: str) -> str:
        quoted = "'" + value.replace("'", "''") + "'"
        return quoted.replace(":", "' || chr(58) || '")  # no ':' for pgbench to take for a variable

    def uuid_literals(self, sql: str) -> str:
        """``sql`` with the save's UUIDs written in it as literals ('…') made this transaction's."""
        quoted = {f"'{u}'": f":{name}::uuid" for u, name in self.uuids.items()}
        return re.sub(r"'[0-9a-f-]{36}'", lambda m: quoted.get(m.group(0), m.group(0)), sql)

    def statement(self, sql: str, parameters: dict[str, Any]) -> str:
        """``sql`` (SQLAlchemy's ``%(name)s`` style) with its parameters rendered in place."""
        return re.sub(r"%\((\w+)\)s", lambda m: self.value(parameters[m.group(1)]), sql)


_COUNTER = (
    "INSERT INTO reference_counters (kind, year, value) VALUES ('{kind}', {year}, 1) "
    "ON CONFLICT (kind, year) DO UPDATE SET value = reference_counters.value + 1 "
    "RETURNING value \\gset {counter}_"
)
_REFERENCE_IN_TEXT = re.compile(r"(SL|CASE)-(\d{4})-\d{6,}")
NUMBERINGS = ("first", "last")
_CTE_INSERT = re.compile(
    r"INSERT INTO (\w+) \(([^)]*)\) VALUES (.*?\))\)?(?=,\s*insert_\d+ AS|\s+INSERT INTO|\s*$)", re.S
)
_CTE_PARAMETER = re.compile(r"%\((p(\d+)_(\d+)_(\d+))\)s")


def _one_insert_per_table(sql: str, parameters: Any) -> list[tuple[str, Any]]:
    """``sql`` as (statement, rows) pairs: the app's one-statement insert of a new call (its
    tables as data-modifying CTEs, parameters ``p{table}_{row}_{column}``) becomes one INSERT per
    table in the order the app numbered the tables (parents first); any other statement is kept."""
    if not sql.lstrip().startswith("WITH insert_0 AS"):
        return [(sql, parameters)]
    tables: list[tuple[int, str, list[dict[str, Any]]]] = []
    for found in _CTE_INSERT.finditer(sql):
        name, columns, values = found.group(1), [c.strip() for c in found.group(2).split(",")], found.group(3)
        rows: dict[int, dict[str, Any]] = {}
        index = -1
        for parameter in _CTE_PARAMETER.finditer(values):
            index = int(parameter.group(2))
            rows.setdefault(int(parameter.group(3)), {})[columns[int(parameter.group(4))]] = parameters[
                parameter.group(1)
            ]
        if index < 0:
            raise SystemExit(f"bench_load cannot read the rows of this insert: {found.group(0)[:80]}")
        tables.append(
            (index, f"INSERT INTO {name} ({', '.join(columns)}) VALUES", [rows[r] for r in sorted(rows)])
        )
    if not tables:
        raise SystemExit(f"bench_load cannot read this insert: {sql[:80]}")
    return [(statement, rows) for _index, statement, rows in sorted(tables)]


def pgbench_script(captured: Sequence[tuple[str, Any]], actor_id: uuid.UUID, numbering: str = "first") -> str:
    """The pgbench transaction inserting what the captured save inserted (see the module docstring).

    ``numbering`` "first": the two counters are bumped first and the rows inserted with their
    final references (the plain way to write it); "last": the rows are inserted with
    placeholders and numbered at the end by the same statement the app sends on PostgreSQL.
    """
    script = _Script(actor_id, numbering)
    # Every UUID the save wrote (but the actor's) is fresh in each transaction.
    year = ""
    for statement, parameters in captured:
        for row in parameters if isinstance(parameters, list | tuple) else [parameters]:
            for key, value in (row or {}).items():
                if isinstance(value, uuid.UUID) and value != actor_id:
                    script.uuid_var(value)
                if key == "year":
                    year = str(value)
        found = re.search(r"\('SL', (\d{4}), 1\)", statement)  # the numbering statement's literal year
        if found:
            year = found.group(1)
    # The statements of one query (the app numbers a call and takes the audit lock in one) one by
    # one, and the tables of the app's one-statement insert (data-modifying CTEs) one by one: the
    # baseline is the plain way to write it, an INSERT per table.
    statements = [
        split
        for statement, parameters in captured
        for part in statement.split(";\n")
        for split in _one_insert_per_table(part, parameters if ";\n" not in statement else {})
    ]
    body: list[str] = []
    if numbering == "first":
        for kind, counter in (("SL", "sl"), ("CASE", "case")):
            body.append(_COUNTER.format(kind=kind, year=year, counter=counter))
    for statement, parameters in statements:
        rows = list(parameters) if isinstance(parameters, list | tuple) else [parameters or {}]
        sql = " ".join(statement.split())
        if sql.startswith("INSERT INTO reference_counters") or sql.startswith("UPDATE"):
            raise SystemExit(f"bench_load does not know this way of numbering a call: {sql[:80]}")
        if sql.startswith("WITH counters"):
            if numbering == "last":
                body.append(script.uuid_literals(script.statement(sql, rows[0])) + " \\gset")
            continue
        insert = _INSERT.match(sql)
        if insert:
            table_name, columns = insert.group(1), [c.strip() for c in insert.group(2).split(",")]
            values = []
            for row in rows:
                cells = []
                for column in columns:
                    if table_name == "audit_events" and column == "prev_hash":
                        cells.append(":head_event_hash")
                    elif table_name == "audit_events" and column == "event_hash":
                        cells.append("md5(random()::text) || md5(random()::text)")
                    elif table_name in ("calls", "cases") and column == "reference" and numbering == "first":
                        cells.append(script.reference("SL" if table_name == "calls" else "CASE", year))
                    else:
                        cells.append(script.value(row[column]))
                values.append("(" + ", ".join(cells) + ")")
            returning = " RETURNING id" if "RETURNING" in sql else ""
            body.append(
                f"INSERT INTO {table_name} ({', '.join(columns)}) VALUES {', '.join(values)}{returning};"  # noqa: S608
            )
        elif "pg_notify" in sql:
            # The announcement's payload is "<call id> <version>", written in it as a literal.
            body.append(
                re.sub(
                    r"'([0-9a-f-]{36}) (\d+)'",
                    lambda m: f"({script.value(uuid.UUID(m.group(1)))}::text || ' {m.group(2)}')",
                    script.statement(sql, rows[0]),
                )
                + ";"
            )
        elif "pg_advisory_xact_lock" in sql:
            body.append(script.statement(sql, rows[0]) + ";")
        elif sql.startswith("SELECT audit_events.event_hash") or sql.startswith("SELECT event_hash FROM"):
            body.append("SELECT event_hash FROM audit_events ORDER BY id DESC LIMIT 1 \\gset head_")
        # Other SELECTs are the app's own checks and reads: not part of inserting the rows.
    fresh = ", ".join(f"gen_random_uuid() AS {name}" for name in script.uuids.values())
    return "\n".join(["BEGIN;", f"SELECT {fresh} \\gset", *body, "COMMIT;", ""])


def run_pgbench(
    args: argparse.Namespace, database: str, script: str, work: Path, label: str, server_cpu: ServerCpu
) -> dict[str, Any]:
    """One pgbench run: per-transaction latencies (its -l log) and its throughput."""
    from sqlalchemy.engine import make_url

    url = make_url(args.server)
    folder = work / label
    folder.mkdir()
    script_file = folder / "insert_call.sql"
    script_file.write_text(script)
    command = [
        args.pgbench, "-n", "-M", "prepared", "-f", str(script_file),
        "-c", str(args.processes), "-j", str(min(args.processes, os.cpu_count() or 1)),
        "-t", str(args.saves), "-l", f"--log-prefix={folder / 'log'}",
        "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres",
        database,
    ]  # fmt: skip
    env = {**os.environ, **({"PGPASSWORD": url.password} if url.password else {})}
    ticks = _cpu_ticks()
    with server_cpu.measuring(database) as server:
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=3600)
    machine_busy = _busy(ticks)
    if done.returncode != 0:
        raise SystemExit(f"pgbench failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    latencies: list[float] = []
    starts: list[float] = []
    for log in folder.glob("log.*"):
        for line in log.read_text().splitlines():
            fields = line.split()
            # client transaction latency_us script epoch_s epoch_us (a failed one: not a number)
            if not fields[2].isdigit():
                continue
            latency = int(fields[2]) / 1e6
            latencies.append(latency)
            starts.append(int(fields[4]) + int(fields[5]) / 1e6 - latency)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", done.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    return {
        "transactions": len(latencies),
        "failed": int(failed.group(1)) if failed else 0,
        "tps_reported": float(tps.group(1)) if tps else None,
        "machine_cpu_busy": machine_busy,
        "server_cpu_ms_per_transaction": _per(server["seconds"], len(latencies)),
        **_summary(latencies, min(starts), max(s + lat for s, lat in zip(starts, latencies, strict=True))),
    }


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) clock ticks of the whole machine so far (Linux's /proc/stat; zeros elsewhere)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _busy(since: tuple[int, int]) -> float | None:
    """The machine's CPU use since ``since`` (0..1, all cores): near 1 means the run was CPU-bound."""
    busy, total = _cpu_ticks()
    return (busy - since[0]) / (total - since[1]) if total > since[1] else None


class ServerCpu:
    """CPU seconds used by the local PostgreSQL server's backends serving one database, found by
    their process titles (``postgres: … USER DATABASE …``) under the postmaster and sampled
    every 20 ms while a run lasts (a backend's last few milliseconds before it exits are
    missed). Other work on a shared server is not counted. None when the server is not on this
    machine or /proc cannot be read."""

    def __init__(self, server: str) -> None:
        from sqlalchemy import create_engine, text

        self.postmaster: int | None = None
        engine = create_engine(server)
        try:
            with engine.connect() as conn:
                backend = int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
            self.postmaster = int(self._fields(backend)[1])  # the backend's parent
        except Exception:
            self.postmaster = None
        finally:
            engine.dispose()

    @staticmethod
    def _fields(pid: int) -> list[str]:
        """/proc/PID/stat from the 3rd field on (state, ppid, ...): the name may hold spaces."""
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    def _sample(self, database: str, seen: dict[int, int]) -> None:
        assert self.postmaster is not None
        children = Path(f"/proc/{self.postmaster}/task/{self.postmaster}/children").read_text().split()
        for pid in map(int, children):
            try:
                title = (
                    Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
                if f" {database} " not in f" {title} ":
                    continue
                seen[pid] = max(seen.get(pid, 0), sum(int(f) for f in self._fields(pid)[11:13]))
            except OSError:  # it exited meanwhile
                continue

    @contextlib.contextmanager
    def measuring(self, database: str) -> Iterator[dict[str, float | None]]:
        """``with server_cpu.measuring(db) as used:`` … then ``used["seconds"]``."""
        used: dict[str, float | None] = {"seconds": None}
        if self.postmaster is None:
            yield used
            return
        seen: dict[int, int] = {}
        stop = threading.Event()

        def poll() -> None:
            while not stop.is_set():
                with contextlib.suppress(OSError, ValueError):
                    self._sample(database, seen)
                stop.wait(0.02)

        thread = threading.Thread(target=poll, name="server-cpu", daemon=True)
        thread.start()
        try:
            yield used
        finally:
            stop.set()
            thread.join()
            used["seconds"] = sum(seen.values()) / os.sysconf("SC_CLK_TCK")


def _per(total: float | None, count: int) -> float | None:
    return None if total is None or count == 0 else total / count * 1000


# --- the app's run: one process per workstation --------------------------------------------------------


def worker(url: str, user_id: str, saves: int, out: str) -> int:
    """One workstation: open the database, say ``ready``, wait for ``go``, save ``saves`` calls."""
    from sqlalchemy import text
    from sqlalchemy.orm import configure_mappers

    actor = Actor(uuid.UUID(user_id), "bench.admin", "Bench Admin", Role.ADMIN)
    db = create_database(url, application_name="bench-load")
    configure_mappers()
    with db.read() as session:  # connected before the clock starts, like a signed-in workstation
        session.execute(text("SELECT 1"))
    prepared = [fresh_call() for _ in range(saves)]
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        return 1
    saved: list[tuple[str, float, float]] = []
    errors: list[str] = []
    cpu = time.process_time()
    for data in prepared:
        started = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process on the machine
        try:
            calls.save_call(db, actor, data)
        except Exception as exc:  # reported, never hidden: an error is a save not acknowledged
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        saved.append((str(data.id), started, time.monotonic()))
    cpu = time.process_time() - cpu
    db.dispose()
    Path(out).write_text(json.dumps({"saved": saved, "errors": errors, "cpu_s": cpu}))
    return 0


def run_app(
    args: argparse.Namespace, database: str, actor: Actor, work: Path, server_cpu: ServerCpu
) -> dict[str, Any]:
    url = _url(args.server, database)
    outs = [work / f"worker-{n}.json" for n in range(args.processes)]
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "--worker", url, str(actor.user_id), str(args.saves), str(out)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for out in outs
    ]
    try:
        for proc in procs:  # every workstation connected and waiting
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                raise SystemExit(f"a bench worker did not start (exit {proc.wait()})")
        ticks = _cpu_ticks()
        with server_cpu.measuring(database) as server:
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
            codes = [proc.wait(timeout=3600) for proc in procs]
        machine_busy = _busy(ticks)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    if any(codes):
        raise SystemExit(f"bench workers failed: exit codes {codes}")
    results = [json.loads(out.read_text()) for out in outs]
    saved = [tuple(s) for r in results for s in r["saved"]]
    latencies = [end - start for _id, start, end in saved]
    return {
        "acknowledged": [s[0] for s in saved],
        "errors": [e for r in results for e in r["errors"]],
        "worker_cpu_s": sum(r["cpu_s"] for r in results),
        "worker_cpu_ms_per_save": sum(r["cpu_s"] for r in results) / max(1, len(saved)) * 1000,
        "machine_cpu_busy": machine_busy,
        "server_cpu_ms_per_save": _per(server["seconds"], len(latencies)),
        **_summary(latencies, min(s[1] for s in saved), max(s[2] for s in saved)),
    }


def check_app_database(db: Database, acknowledged: Sequence[str]) -> dict[str, Any]:
    """Lost and duplicated, by query."""
    from sqlalchemy import func, select

    from supportline.db.models import AuditEvent, Call
    from supportline.services import audit_chain

    with db.read() as session:
        stored = {str(i) for i in session.scalars(select(Call.id))}
        rows = session.scalar(select(func.count()).select_from(Call))
        twice_created = session.scalar(
            select(func.count()).select_from(
                select(AuditEvent.record_id)
                .where(AuditEvent.action == "call.create")
                .group_by(AuditEvent.record_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
        creates = session.scalar(select(func.count()).where(AuditEvent.action == "call.create"))
        references = session.execute(
            select(
                func.count(func.distinct(Call.reference)), func.min(Call.reference), func.max(Call.reference)
            )
        ).one()
        numbers = sorted(int(r.rsplit("-", 1)[1]) for r in session.scalars(select(Call.reference)))
    report = audit_chain.verify(db)
    acked = set(acknowledged)
    return {
        "calls_stored": rows,
        "lost": len(acked - stored),
        "duplicated": (len(acknowledged) - len(acked))
        + (int(rows or 0) - len(stored))
        + int(twice_created or 0),
        "stored_not_acknowledged": len(stored - acked),
        "create_events": creates,
        "distinct_references": references[0],
        "first_reference": references[1],
        "last_reference": references[2],
        # Gap-free: the references' numbers are exactly 1..N, each once (a lost or repeated
        # number, or one taken by a save that rolled back, shows here).
        "references_gap_free": numbers == list(range(1, len(numbers) + 1)),
        "audit_chain_ok": report.ok,
        "audit_events_verified": report.events,
    }


def _summary(latencies: Sequence[float], first_start: float, last_end: float) -> dict[str, Any]:
    ordered = sorted(latencies)
    wall = last_end - first_start

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))] * 1000

    return {
        "n": len(ordered),
        "median_ms": statistics.median(ordered) * 1000,
        "p90_ms": pct(0.90),
        "p99_ms": pct(0.99),
        "max_ms": ordered[-1] * 1000,
        "wall_s": wall,
        "throughput_per_s": len(ordered) / wall,
    }


# --- the whole benchmark -------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the benchmark with ``args`` (:func:`build_parser`'s); return what is written to load.json."""
    tag = uuid.uuid4().hex[:8]
    app_name, base_name = f"sl_bench_load_{tag}", f"sl_bench_pgbench_{tag}"
    work = Path(tempfile.mkdtemp(prefix="sl-bench-load-"))
    created: list[str] = []
    load_before = os.getloadavg()
    baselines: dict[str, dict[str, Any]] = {}
    server_cpu = ServerCpu(args.server)
    try:
        base_db, base_actor = _fresh_database(args.server, base_name, created)
        captured = capture_save(base_db, base_actor)
        scripts = {n: pgbench_script(captured, base_actor.user_id, n) for n in NUMBERINGS}
        base_db.dispose()
        app_db, app_actor = _fresh_database(args.server, app_name, created)
        app_db.dispose()

        def baseline(when: str) -> None:
            for numbering, script in scripts.items():
                label = f"pgbench, numbered {numbering}, {when}"
                print(f"{label}: {args.processes} clients x {args.saves} transactions ...", file=sys.stderr)
                baselines[label] = run_pgbench(
                    args, base_name, script, work, f"{numbering}-{when}", server_cpu
                )

        baseline("before")
        print(f"save_call: {args.processes} processes x {args.saves} saves ...", file=sys.stderr)
        app = run_app(args, app_name, app_actor, work, server_cpu)
        baseline("after")

        app_db = create_database(_url(args.server, app_name))
        try:
            checks = check_app_database(app_db, app["acknowledged"])
        finally:
            app_db.dispose()
        base_db = create_database(_url(args.server, base_name))
        try:
            from sqlalchemy import func, select

            from supportline.db.models import Call

            with base_db.read() as session:
                baseline_rows = session.scalar(select(func.count()).select_from(Call))
        finally:
            base_db.dispose()
    finally:
        if not args.keep:
            for name in created:
                _admin_sql(args.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)

    # Judged against the best pgbench run of each measure (the strictest comparison).
    best_p99 = min(baselines, key=lambda k: baselines[k]["p99_ms"])
    best_rate = max(baselines, key=lambda k: baselines[k]["throughput_per_s"])
    expected = args.processes * args.saves
    p99_ratio = app["p99_ms"] / baselines[best_p99]["p99_ms"]
    throughput_ratio = app["throughput_per_s"] / baselines[best_rate]["throughput_per_s"]
    correct = (
        checks["lost"] == 0
        and checks["duplicated"] == 0
        and not app["errors"]
        and len(app["acknowledged"]) == expected
        and checks["calls_stored"] == expected
        and checks["distinct_references"] == expected
        and checks["references_gap_free"]
        and checks["audit_chain_ok"]
        and baseline_rows == 1 + len(baselines) * expected  # the captured save, then every run's
        and all(b["transactions"] == expected and b["failed"] == 0 for b in baselines.values())
    )
    app_summary = {k: v for k, v in app.items() if k != "acknowledged"}
    return {
        "processes": args.processes,
        "saves_per_process": args.saves,
        "load_average_before": load_before,
        "app": {**app_summary, "acknowledged": len(app["acknowledged"]), "errors": app["errors"][:20]},
        "checks": checks,
        "pgbench": baselines,
        "pgbench_calls_stored": baseline_rows,
        "pgbench_scripts": scripts,
        "p99_baseline": best_p99,
        "throughput_baseline": best_rate,
        "p99_ratio": p99_ratio,
        "throughput_ratio": throughput_ratio,
        "targets": {
            "p99_ratio_max": P99_TARGET,
            "throughput_ratio_min": THROUGHPUT_TARGET,
            "p99_met": p99_ratio <= P99_TARGET,
            "throughput_met": throughput_ratio >= THROUGHPUT_TARGET,
            "nothing_lost_or_duplicated": correct,
        },
    }


def report(results: dict[str, Any]) -> None:
    app = results["app"]
    columns = ("n", "median_ms", "p90_ms", "p99_ms", "max_ms", "throughput_per_s", "machine_cpu_busy")

    def server(run: dict[str, Any], key: str) -> str:
        value = run.get(key)
        return "-" if value is None else f"{value:.2f}"

    rows = [
        (
            f"save_call, {results['processes']} processes",
            *(app[c] for c in columns),
            server(app, "server_cpu_ms_per_save"),
        )
    ]
    rows += [
        (label, *(run[c] for c in columns), server(run, "server_cpu_ms_per_transaction"))
        for label, run in results["pgbench"].items()
    ]
    print()
    headers = [
        "run",
        "saves",
        "median ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "per s",
        "CPU busy",
        "server CPU ms",
    ]
    print(table(headers, rows))
    checks, targets = results["checks"], results["targets"]
    print(
        f"\nacknowledged {app['acknowledged']}, stored {checks['calls_stored']}, lost {checks['lost']}, "
        f"duplicated {checks['duplicated']}, errors {len(app['errors'])}, "
        f"references {checks['first_reference']}..{checks['last_reference']} "
        f"({checks['distinct_references']} distinct, "
        f"{'gap-free' if checks['references_gap_free'] else 'WITH GAPS'}), audit chain "
        f"{'intact' if checks['audit_chain_ok'] else 'BROKEN'} ({checks['audit_events_verified']} events); "
        f"save_call used {app['worker_cpu_ms_per_save']:.1f} ms of CPU a save"
    )
    print(f"nothing lost or duplicated: {verdict(targets['nothing_lost_or_duplicated'])}")
    print(
        f"p99 {results['p99_ratio']:.2f} x pgbench's best ({results['p99_baseline']}); "
        f"target <= {P99_TARGET:g} x: {verdict(targets['p99_met'])}"
    )
    print(
        f"throughput {results['throughput_ratio']:.2f} x pgbench's best ({results['throughput_baseline']}); "
        f"target >= {THROUGHPUT_TARGET:g} x: {verdict(targets['throughput_met'])}"
    )


#: The suite's small mode (``python -m bench --calls 20000`` or fewer, CI's smoke test): two
#: workstations of five saves each show the whole path works; the figures of the issue come from
#: the full 20 x 500 run.
SMOKE_PROCESSES, SMOKE_SAVES = 2, 5


def suite(ctx: Any) -> list[Any]:
    """``python -m bench load``: the run above, as the suite's two figures (p99 and throughput, each
    against pgbench's best in the same run). PostgreSQL only; the run makes its own two fresh
    databases (the suite's demo data set is not used). Lost or duplicated calls fail the run."""
    from bench.suite import Figure, NotApplicable, Target

    if ctx.dialect != "postgresql":
        raise NotApplicable("PostgreSQL only: many workstations saving at once on one shared database")
    processes, saves = (SMOKE_PROCESSES, SMOKE_SAVES) if ctx.smoke else (20, 500)
    args = build_parser().parse_args(["--processes", str(processes), "--saves", str(saves)])
    results = run(args)
    if not results["targets"]["nothing_lost_or_duplicated"]:
        raise AssertionError(f"calls lost or duplicated under load: {results['checks']}")
    app = results["app"]
    p99_base = results["pgbench"][results["p99_baseline"]]
    rate_base = results["pgbench"][results["throughput_baseline"]]
    size = f"{processes} x {saves}"
    return [
        Figure(
            "load", f"p99 save, {size}", "ms", [app["p99_ms"]], Target(max_ratio=P99_TARGET),
            [p99_base["p99_ms"]], results["p99_baseline"],
            details={"median_ms": app["median_ms"], "checks": results["checks"]},
        ),
        Figure(
            "load", f"throughput, {size}", "saves/s", [app["throughput_per_s"]],
            Target(max_ratio=1 / THROUGHPUT_TARGET), [rate_base["throughput_per_s"]],
            results["throughput_baseline"], higher_is_better=True,
        ),
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.worker:
        url, user, saves, out = args.worker
        return worker(url, user, int(saves), out)
    results = run(args)
    report(results)
    write_results("load", results)
    return 0 if results["targets"]["nothing_lost_or_duplicated"] else 1


if __name__ == "__main__":
    sys.exit(main())
