"""Exporting calls: a full-profile CSV of 100,000 calls, its memory at 1,000,000 calls, a PDF report.

Targets (issue 5):

- ``exports.service.export`` of 100,000 calls as CSV, full profile, as a supervisor: <= 2 × the
  time of a plain ``csv.writer`` dump of the same rows read with raw SQL, in the same run;
- peak memory of a 1,000,000-call CSV export within 1.2 × that of a 100,000-call export;
- the PDF report (figures profile, no appendix) over 100,000 calls: its time, reported.

**The baseline** is one hand-written SQLite statement through ``sqlite3`` whose rows go straight
to ``csv.writer``: every column of the export in the same order, the case reference and the
handler's name joined, the multi-valued enumerations as ``group_concat`` of the sorted values, and
the persons (with their nationalities and languages), routes (with their checklists), referrals
and follow-ups built as JSON arrays with the same keys by SQLite's JSON functions, oldest call
first. It is what plain SQL gives: UUIDs in their stored hex form, times as SQLite stores them,
booleans as 0/1, no formula neutralisation, no temporary file, hash or audit row. The export and
the baseline alternate, each writing a new file in ``bench/out/export/``.

**Memory** is the peak resident set of a fresh child process that does nothing but the export: its
``VmHWM`` (``/proc/self/status``), the high-water mark of its own address space since it started.
(Its ``ru_maxrss`` is recorded too, but on Linux that value survives ``fork`` and ``exec``: a child
reports at least its parent's peak in it.) A second child does only the set-up (imports, the
database opened, the supervisor's row read, an actor made) so that the export's own growth can be
told from the interpreter's and the libraries'. The children make the actor from the user row
instead of checking the password: the Argon2id check alone allocates 64 MiB, which would hide what
the export adds.

    .venv/bin/python bench/bench_export.py                  # ~8 min (the 1M export alone: ~3)
    .venv/bin/python bench/bench_export.py --profile        # also a cProfile of one CSV export
    .venv/bin/python bench/bench_export.py --no-million     # skip the 1,000,000-call memory run
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import pstats
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script (python bench/<name>.py): import from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.capture import Raw
from bench.common import (
    DEMO_PASSWORD,
    MILLION,
    OUT,
    database_path,
    ensure_demo_database,
    measure,
    stats,
    table,
    verdict,
    write_results,
)
from bench.suite import Context as SuiteContext
from bench.suite import Figure, Target
from supportline.services.call_types import CallQuery

TARGET_RATIO = 2.0
TARGET_MEMORY_RATIO = 1.2
SMALL = 100_000
EXPORTER = "demo-supervisor"
PURPOSE = "Benchmark of the export (bench/bench_export.py); fictitious demo data"
WORK = OUT / "export"

# Children of calls, as plain SQL gives them: correlated subqueries on the child tables' indexes.
_SORTED_VALUES = (
    "(SELECT group_concat(value, '; ') FROM (SELECT value FROM {table} WHERE call_id = c.id ORDER BY value))"
)
BASELINE_SQL = f"""
SELECT
  c.id, c.reference, c.case_id, k.reference, c.opened_at, c.closed_at, c.status, c.channel, c.urgency,
  c.consent_level, c.caller_name, c.caller_agency_type, c.caller_rank, c.caller_organisation,
  c.caller_collar_number, c.caller_phone, c.caller_email, c.force_area, c.where_exploited,
  c.county_lines, c.nrm_consent, c.suspect_may_be_victim, c.victim_at_scene,
  {_SORTED_VALUES.format(table="call_exploitation_types")},
  {_SORTED_VALUES.format(table="call_indicators")},
  {_SORTED_VALUES.format(table="call_outcomes")},
  (SELECT group_concat(route, '; ') FROM
     (SELECT route FROM route_advice WHERE call_id = c.id AND chosen ORDER BY route)),
  c.summary, c.narrative, u.display_name,
  (SELECT json_group_array(json_object(
      'id', p.id, 'age_group', p.age_group, 'sex', p.sex, 'age_disputed', p.age_disputed,
      'nationalities', json((SELECT json_group_array(code) FROM
          (SELECT code FROM person_nationalities WHERE person_id = p.id ORDER BY position))),
      'languages', json((SELECT json_group_array(code) FROM
          (SELECT code FROM person_languages WHERE person_id = p.id ORDER BY position))),
      'interpreter_needed', p.interpreter_needed, 'name', p.name, 'notes', p.notes))
   FROM (SELECT * FROM persons WHERE call_id = c.id ORDER BY position) AS p),
  (SELECT json_group_array(json_object(
      'route', r.route, 'chosen', r.chosen, 'suggested', r.suggested,
      'suggestion_reasons', r.suggestion_reasons, 'template_id', r.template_id,
      'template_hash', r.template_hash, 'adviser_id', r.adviser_id,
      'advice_summary', r.advice_summary,
      'checklist', json((SELECT json_group_array(json_object(
          'item_id', t.item_id, 'state', t.state, 'at', t.at, 'skip_reason', t.skip_reason))
          FROM (SELECT * FROM checklist_ticks WHERE route_advice_id = r.id ORDER BY position) AS t)),
      'closed_at', r.closed_at))
   FROM (SELECT * FROM route_advice WHERE call_id = c.id ORDER BY position) AS r),
  (SELECT json_group_array(json_object(
      'id', f.id, 'target', f.target, 'organisation', f.organisation, 'reference', f.reference,
      'made_at', f.made_at, 'notes', f.notes))
   FROM (SELECT * FROM referrals WHERE call_id = c.id ORDER BY position) AS f),
  (SELECT json_group_array(json_object(
      'id', w.id, 'due_at', w.due_at, 'note', w.note, 'assignee_id', w.assignee_id,
      'done_at', w.done_at))
   FROM (SELECT * FROM follow_ups WHERE call_id = c.id ORDER BY position) AS w),
  c.handler_id
FROM calls AS c
JOIN cases AS k ON k.id = c.case_id
JOIN users AS u ON u.id = c.handler_id
ORDER BY c.opened_at, c.id
"""  # noqa: S608  # constant text: the table names are this file's own


# The same on PostgreSQL: string_agg and json_agg where SQLite has group_concat and json_group_array.
_PG_SORTED = "(SELECT string_agg(value, '; ' ORDER BY value) FROM {table} WHERE call_id = c.id)"
_PG_EMPTY = "'[]'::json"
PG_BASELINE_SQL = f"""
SELECT
  c.id, c.reference, c.case_id, k.reference, c.opened_at, c.closed_at, c.status, c.channel, c.urgency,
  c.consent_level, c.caller_name, c.caller_agency_type, c.caller_rank, c.caller_organisation,
  c.caller_collar_number, c.caller_phone, c.caller_email, c.force_area, c.where_exploited,
  c.county_lines, c.nrm_consent, c.suspect_may_be_victim, c.victim_at_scene,
  {_PG_SORTED.format(table="call_exploitation_types")},
  {_PG_SORTED.format(table="call_indicators")},
  {_PG_SORTED.format(table="call_outcomes")},
  (SELECT string_agg(route, '; ' ORDER BY route) FROM route_advice WHERE call_id = c.id AND chosen),
  c.summary, c.narrative, u.display_name,
  (SELECT coalesce(json_agg(json_build_object(
      'id', p.id, 'age_group', p.age_group, 'sex', p.sex, 'age_disputed', p.age_disputed,
      'nationalities', (SELECT coalesce(json_agg(code ORDER BY position), {_PG_EMPTY})
          FROM person_nationalities WHERE person_id = p.id),
      'languages', (SELECT coalesce(json_agg(code ORDER BY position), {_PG_EMPTY})
          FROM person_languages WHERE person_id = p.id),
      'interpreter_needed', p.interpreter_needed, 'name', p.name, 'notes', p.notes)
      ORDER BY p.position), {_PG_EMPTY})
   FROM persons AS p WHERE p.call_id = c.id),
  (SELECT coalesce(json_agg(json_build_object(
      'route', r.route, 'chosen', r.chosen, 'suggested', r.suggested,
      'suggestion_reasons', r.suggestion_reasons, 'template_id', r.template_id,
      'template_hash', r.template_hash, 'adviser_id', r.adviser_id,
      'advice_summary', r.advice_summary,
      'checklist', (SELECT coalesce(json_agg(json_build_object(
          'item_id', t.item_id, 'state', t.state, 'at', t.at, 'skip_reason', t.skip_reason)
          ORDER BY t.position), {_PG_EMPTY}) FROM checklist_ticks AS t WHERE t.route_advice_id = r.id),
      'closed_at', r.closed_at) ORDER BY r.position), {_PG_EMPTY})
   FROM route_advice AS r WHERE r.call_id = c.id),
  (SELECT coalesce(json_agg(json_build_object(
      'id', f.id, 'target', f.target, 'organisation', f.organisation, 'reference', f.reference,
      'made_at', f.made_at, 'notes', f.notes) ORDER BY f.position), {_PG_EMPTY})
   FROM referrals AS f WHERE f.call_id = c.id),
  (SELECT coalesce(json_agg(json_build_object(
      'id', w.id, 'due_at', w.due_at, 'note', w.note, 'assignee_id', w.assignee_id,
      'done_at', w.done_at) ORDER BY w.position), {_PG_EMPTY})
   FROM follow_ups AS w WHERE w.call_id = c.id),
  c.handler_id
FROM calls AS c
JOIN cases AS k ON k.id = c.case_id
JOIN users AS u ON u.id = c.handler_id
ORDER BY c.opened_at, c.id
"""  # noqa: S608  # constant text: the table names are this file's own


def baseline_sql(dialect: str) -> str:
    """The baseline's statement for the newest calls: those opened at or after one parameter."""
    sql = BASELINE_SQL if dialect == "sqlite" else PG_BASELINE_SQL
    where = "WHERE c.opened_at >= ?" if dialect == "sqlite" else "WHERE c.opened_at >= %s"
    return sql.replace("ORDER BY c.opened_at, c.id", f"{where}\nORDER BY c.opened_at, c.id")


# --- in the suite (python -m bench export) ---------------------------------------------------------


def newest_calls(ctx: SuiteContext, wanted: int) -> tuple[CallQuery, Any, int]:
    """The query of the newest ``wanted`` calls of the data set (all of them if it has fewer), the
    driver-level value of its first time (for raw SQL) and how many calls it matches."""
    from sqlalchemy import func, select

    from supportline.db.models import Call

    db = ctx.db()
    with db.read() as session:
        total = session.scalar(select(func.count()).select_from(Call)) or 0
        first = session.scalar(
            select(Call.opened_at)
            .order_by(Call.opened_at.desc(), Call.id.desc())
            .offset(min(wanted, total) - 1)
        )
    assert first is not None
    query = CallQuery(opened_from=first)
    raw_first: Any = first.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    if ctx.dialect == "postgresql":
        raw_first = first
    return query, raw_first, min(wanted, total)


def dump(raw: Raw, sql: str, parameter: Any, output: Path, header: tuple[str, ...]) -> int:
    """The baseline: the raw statement's rows straight into ``csv.writer`` (PostgreSQL: streamed
    through a server-side cursor, as a whole table should be)."""
    rows = 0
    cursor = raw.conn.cursor() if raw.dialect == "sqlite" else raw.conn.cursor(name="bench_dump")
    with open(output, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        if raw.dialect == "postgresql":
            raw.conn.autocommit = False
            cursor.itersize = 2000
        cursor.execute(sql, (parameter,))
        for row in cursor:
            writer.writerow(row)
            rows += 1
        cursor.close()
        if raw.dialect == "postgresql":
            raw.conn.rollback()
            raw.conn.autocommit = True
    return rows


def suite(ctx: SuiteContext) -> list[Figure]:
    """``exports.service.export`` of the newest 100,000 calls (all, in a smaller data set) as a
    full-profile CSV, as a supervisor (count, file, fsync, hash, audit), against one hand-written
    statement whose rows go straight to ``csv.writer``; alternating, each writing a new file."""
    from supportline.exports import service
    from supportline.exports.common import ExportFormat, Profile
    from supportline.exports.csv_export import COLUMNS

    db = ctx.db()
    actor = ctx.actor(EXPORTER)
    query, raw_first, expected = newest_calls(ctx, ctx.sized(SMALL))
    raw = Raw(ctx.dataset().url)
    ctx.cleanups.append(raw.close)
    work = ctx.work_dir("export")
    exported, dumped = work / "calls.csv", work / "baseline.csv"
    sql = baseline_sql(ctx.dialect)

    def export_csv() -> int:
        return service.export(
            db, actor, format=ExportFormat.CSV, query=query, profile=Profile.FULL, path=exported,
            purpose=PURPOSE,
        ).rows  # fmt: skip

    def baseline() -> int:
        return dump(raw, sql, raw_first, dumped, COLUMNS)

    counts = {"export": export_csv(), "baseline": baseline()}
    if len({*counts.values(), expected}) != 1:
        raise SystemExit(f"row counts differ: {counts}, expected {expected}")
    ours: list[float] = []
    base: list[float] = []
    for _ in range(ctx.repeats(2 if ctx.smoke else 5)):
        for path in (exported, dumped):
            path.unlink(missing_ok=True)
        base += measure(baseline, repeat=1, warmup=0)
        ours += measure(export_csv, repeat=1, warmup=0)
    size = exported.stat().st_size
    for path in (exported, dumped):
        path.unlink(missing_ok=True)
    return [
        Figure(
            "export",
            f"CSV of {expected:,} calls, full profile",
            "s",
            ours,
            Target(max_ratio=TARGET_RATIO),
            base,
            "raw SQL → csv.writer",
            note=f"{size / 1e6:.0f} MB file",
        )
    ]


# --- the child processes (memory) -----------------------------------------------------------------


def child(mode: str, home: Path, output: Path) -> int:
    """Run in a fresh process: set up, and in ``export`` mode export every call as CSV; print JSON."""
    started = time.perf_counter()
    from sqlalchemy import select

    from supportline.db import create_database
    from supportline.db.models import User
    from supportline.exports import csv_export, service  # noqa: F401  # what an export imports
    from supportline.exports.common import ExportFormat, Profile
    from supportline.services import accounts
    from supportline.services.call_types import CallQuery

    db = create_database(f"sqlite:///{database_path(home)}")
    with db.read() as session:
        user = session.scalars(select(User).where(User.username == EXPORTER)).one()
        actor = accounts.actor_for(user)
    setup_peak = peak_kib()
    result: dict[str, Any] = {"mode": mode, "setup_seconds": time.perf_counter() - started}
    if mode == "export":
        curve: list[tuple[int, int, int]] = []  # (calls written, resident KiB now, peak KiB so far)
        step = 10_000

        trace = output.with_suffix(".curve.jsonl").open("w")  # kept if the run is stopped half-way

        def progress(written: int, total: int) -> None:
            if written // step > len(curve) or written == total:
                point = (written, resident_kib(), peak_kib())
                curve.append(point)
                trace.write(json.dumps([*point, round(time.perf_counter() - began, 1)]) + "\n")
                trace.flush()

        began = time.perf_counter()
        done = service.export(
            db, actor, format=ExportFormat.CSV, query=CallQuery(), profile=Profile.FULL,
            path=output, purpose=PURPOSE, progress=progress,
        )  # fmt: skip
        trace.close()
        result["curve"] = curve
        result["export_seconds"] = time.perf_counter() - began
        result["rows"] = done.rows
        result["bytes"] = output.stat().st_size
        output.unlink()
    db.dispose()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_kib_after_setup"] = setup_peak
    result["peak_kib"] = peak_kib()
    # For reference only: on Linux ru_maxrss survives fork and exec, so it is at least the
    # parent's peak whatever the child does.
    result["ru_maxrss_kib"] = usage.ru_maxrss
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(result))
    return 0


def peak_kib() -> int:
    """This process's peak resident set (``VmHWM``, KiB): its own, since its ``exec``."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise SystemExit("no VmHWM in /proc/self/status: the memory part needs Linux")


def resident_kib() -> int:
    """This process's resident set now (KiB)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * (os.sysconf("SC_PAGE_SIZE") // 1024)


def run_child(mode: str, home: Path) -> dict[str, Any]:
    output = WORK / f"child-{home.name}.csv"
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--home", str(home), "--output", str(output)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"child {mode} on {home} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def memory_runs(home: Path, repeat: int) -> dict[str, Any]:
    """Alternating set-up-only and export children; the median of each (KiB)."""
    setups: list[dict[str, Any]] = []
    exports: list[dict[str, Any]] = []
    for i in range(repeat):
        setups.append(run_child("setup", home))
        exports.append(run_child("export", home))
        print(
            f"  memory {home.name} {i + 1}/{repeat}: setup {setups[-1]['peak_kib'] / 1024:.0f} MiB, "
            f"export {exports[-1]['peak_kib'] / 1024:.0f} MiB in {exports[-1]['export_seconds']:.0f} s",
            file=sys.stderr,
        )

    def median(runs: list[dict[str, Any]], key: str) -> float:
        return statistics.median(float(r[key]) for r in runs)

    setup_kib = median(setups, "peak_kib")
    export_kib = median(exports, "peak_kib")
    return {
        "setup_runs": setups,
        "export_runs": exports,
        "setup_peak_kib": setup_kib,
        "export_peak_kib": export_kib,
        "export_growth_kib": export_kib - setup_kib,
        "export_seconds": median(exports, "export_seconds"),
        "rows": exports[0]["rows"],
        "bytes": exports[0]["bytes"],
    }


# --- the timed runs -------------------------------------------------------------------------------


def raw_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn


def baseline_dump(conn: sqlite3.Connection, output: Path, header: tuple[str, ...]) -> int:
    """The baseline: the raw SQL's rows straight into ``csv.writer``."""
    rows = 0
    with open(output, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        for row in conn.execute(BASELINE_SQL):
            writer.writerow(row)
            rows += 1
    return rows


def baseline_read(conn: sqlite3.Connection) -> int:
    """Reference: the baseline's statement alone, every row fetched, nothing written."""
    rows = 0
    for _row in conn.execute(BASELINE_SQL):
        rows += 1
    return rows


def csv_rows(path: Path) -> int:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def data_period(conn: sqlite3.Connection, zone_name: str) -> tuple[datetime, datetime]:
    """Local midnight before the first call to local midnight after the last (aware datetimes)."""
    from datetime import UTC
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(zone_name)
    first, last = conn.execute("SELECT min(opened_at), max(opened_at) FROM calls").fetchone()
    start = datetime.fromisoformat(first).replace(tzinfo=UTC).astimezone(zone)
    end = datetime.fromisoformat(last).replace(tzinfo=UTC).astimezone(zone)
    start = start.replace(hour=0, minute=0, second=0, microsecond=0)
    end = (end + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, end


def pdf_pages(path: Path) -> int | None:
    if shutil.which("pdfinfo") is None:
        return None
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    return None


def profile_export(export_once: Callable[[], object]) -> dict[str, Any]:
    """One export under cProfile: the cumulative time of each part, and the top functions written out."""
    from supportline.exports import call_cells, service
    from supportline.exports import common as export_common

    profiler = cProfile.Profile()
    profiler.enable()
    export_once()
    profiler.disable()
    text = io.StringIO()
    report = pstats.Stats(profiler, stream=text)
    report.sort_stats("cumulative").print_stats(50)
    report.sort_stats("tottime").print_stats(30)
    (OUT / "export-profile.txt").write_text(text.getvalue())
    profiler.dump_stats(str(OUT / "export-profile.prof"))
    entries: dict[tuple[str, int, str], tuple[Any, ...]] = report.stats  # type: ignore[attr-defined]

    def cumulative(owner: Any, path: str) -> float:
        """Cumulative seconds of ``owner.<path>``; 0 if the code no longer has it (it changes)."""
        fn = owner
        for name in path.split("."):
            fn = getattr(fn, name, None)
        code = getattr(fn, "__code__", None)
        if code is None:
            return 0.0
        entry = entries.get((code.co_filename, code.co_firstlineno, code.co_name))
        return float(entry[3]) if entry else 0.0

    def builtin(name: str) -> float:
        return sum(float(e[3]) for (file, _line, func), e in entries.items() if file == "~" and func == name)

    total = cumulative(service, "export")
    parts = {
        "service.export (everything)": total,
        "count_matching (the count first)": cumulative(export_common, "count_matching"),
        "call_cells.iter_cells: pages of calls as cells": cumulative(call_cells, "iter_cells"),
        "  call_cells._page_cells (a page's children, the cells)": cumulative(call_cells, "_page_cells"),
        "  call_cells._Compiled.rows (child selects)": cumulative(call_cells, "_Compiled.rows"),
        "  call_cells._json (json of the 4 child arrays)": cumulative(call_cells, "_json"),
        "csv.writer.writerow (C, incl. writing the text)": builtin(
            "<method 'writerow' of '_csv.writer' objects>"
        ),
        "ExportJob.tick": cumulative(export_common, "ExportJob.tick"),
        "service.file_sha256": cumulative(service, "file_sha256"),
        "os.fsync": builtin("<built-in method posix.fsync>"),
    }
    return {name: {"seconds": s, "share": s / total if total else 0.0} for name, s in parts.items()}


class Context:
    """The 100,000-call database, open both ways, and the supervisor signed in."""

    def __init__(self, calls: int) -> None:
        from supportline.db import create_database
        from supportline.services import accounts

        self.home = ensure_demo_database(calls)
        self.path = database_path(self.home)
        self.db = create_database(f"sqlite:///{self.path}")
        self.actor = accounts.authenticate(self.db, EXPORTER, DEMO_PASSWORD)
        self.raw = raw_connection(self.path)
        self.calls = int(self.raw.execute("SELECT count(*) FROM calls").fetchone()[0])

    def close(self) -> None:
        self.raw.close()
        self.db.dispose()


def csv_part(ctx: Context, repeat: int, profile: bool) -> dict[str, Any]:
    """The CSV export against the baseline dump, alternating; optionally one profiled export."""
    from supportline.exports import service
    from supportline.exports.common import ExportFormat, Profile
    from supportline.exports.csv_export import COLUMNS
    from supportline.services.call_types import CallQuery

    exported = WORK / "calls.csv"
    dumped = WORK / "baseline.csv"

    def export_csv() -> int:
        return service.export(
            ctx.db, ctx.actor, format=ExportFormat.CSV, query=CallQuery(), profile=Profile.FULL,
            path=exported, purpose=PURPOSE,
        ).rows  # fmt: skip

    cases: dict[str, Callable[[], int]] = {
        "baseline": lambda: baseline_dump(ctx.raw, dumped, COLUMNS),
        "export": export_csv,
        "raw_read": lambda: baseline_read(ctx.raw),
    }
    # One untimed run of each (which also checks both files hold every call), then alternate: a
    # busy moment touches every case alike.
    print(f"CSV: {ctx.calls:,} calls, {repeat} timed runs of each case, alternating ...", file=sys.stderr)
    checks = {name: fn() for name, fn in cases.items()}
    sizes = {"export_bytes": exported.stat().st_size, "baseline_bytes": dumped.stat().st_size}
    in_files = {"export": csv_rows(exported), "baseline": csv_rows(dumped)}
    if len({*checks.values(), *in_files.values(), ctx.calls}) != 1:
        raise SystemExit(f"row counts differ: {checks}, files {in_files}, database {ctx.calls}")
    samples: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for i in range(repeat):
        for name, fn in cases.items():
            exported.unlink(missing_ok=True)
            dumped.unlink(missing_ok=True)
            samples[name] += measure(fn, repeat=1, warmup=0, cpu=cpu[name])
        print(
            f"  run {i + 1}/{repeat}: export {samples['export'][-1]:.1f} s "
            f"(CPU {cpu['export'][-1]:.1f}), baseline {samples['baseline'][-1]:.1f} s "
            f"(CPU {cpu['baseline'][-1]:.1f})",
            file=sys.stderr,
        )
    results: dict[str, dict[str, Any]] = {
        name: {**stats(s), "cpu": stats(cpu[name])} for name, s in samples.items()
    }
    ratio = results["export"]["median_ms"] / results["baseline"]["median_ms"]
    cpu_ratio = results["export"]["cpu"]["median_ms"] / results["baseline"]["cpu"]["median_ms"]
    out: dict[str, Any] = {
        "cases": {CASE_NAMES[k]: v for k, v in results.items()},
        "ratio_to_baseline": ratio,
        "cpu_ratio_to_baseline": cpu_ratio,
        "target_met": ratio <= TARGET_RATIO,
        **sizes,
        "baseline_sql": BASELINE_SQL,
    }
    if profile:
        print("profiling one export (cProfile) ...", file=sys.stderr)
        out["profile"] = profile_export(export_csv)
    exported.unlink(missing_ok=True)
    dumped.unlink(missing_ok=True)
    return out


CASE_NAMES = {
    "baseline": "raw SQL → csv.writer (baseline)",
    "export": "service.export, CSV, full profile (target)",
    "raw_read": "reference: the raw SQL alone, rows fetched",
}


def pdf_part(ctx: Context, repeat: int) -> dict[str, Any]:
    """The PDF report, figures profile, no appendix, over every call's period (if the module is there)."""
    from supportline.exports import service
    from supportline.exports.common import ExportFormat, ExportOptions, Profile
    from supportline.services.call_types import CallQuery

    try:
        from supportline.exports import figures, pdf_report  # noqa: F401  # written in parallel: there yet?
    except ImportError as error:
        return {"measured": False, "why": f"not yet measured: {error}"}
    start, end = data_period(ctx.raw, str(ctx.db.zone))
    period = CallQuery(opened_from=start, opened_to=end)
    report = WORK / "report.pdf"

    def export_pdf() -> int:
        return service.export(
            ctx.db, ctx.actor, format=ExportFormat.PDF, query=period, profile=Profile.FIGURES,
            path=report, purpose=PURPOSE, options=ExportOptions(appendix=False),
        ).rows  # fmt: skip

    def compute_figures() -> int:
        return figures.compute(ctx.db, period).totals.calls

    print(f"PDF: figures report over {start:%Y-%m-%d} – {end:%Y-%m-%d} ...", file=sys.stderr)
    try:
        counted = export_pdf()
        pdf_samples: list[float] = []
        pdf_cpu: list[float] = []
        figure_samples: list[float] = []
        for _ in range(repeat):
            report.unlink(missing_ok=True)
            pdf_samples += measure(export_pdf, repeat=1, warmup=0, cpu=pdf_cpu)
            figure_samples += measure(compute_figures, repeat=1, warmup=0)
    except Exception as error:  # being written in parallel: say what failed
        return {"measured": False, "why": f"not measured: the PDF export failed: {error!r}"}
    result = {
        "measured": True,
        "period": [start.isoformat(), end.isoformat()],
        "calls": counted,
        "pages": pdf_pages(report),
        "bytes": report.stat().st_size,
        "export": {**stats(pdf_samples), "cpu": stats(pdf_cpu)},
        "figures_compute": stats(figure_samples),
    }
    report.unlink(missing_ok=True)
    return result


def memory_part(calls: int, repeat: int, million: bool) -> dict[str, Any]:
    """Peak memory of a CSV export at ``calls`` and at 1,000,000 calls, each in fresh children."""
    memory: dict[str, Any] = {"small": memory_runs(ensure_demo_database(calls), repeat)}
    if million:
        memory["million"] = memory_runs(ensure_demo_database(MILLION), repeat)
        small, large = memory["small"], memory["million"]
        memory["ratio"] = large["export_peak_kib"] / small["export_peak_kib"]
        memory["growth_ratio"] = large["export_growth_kib"] / max(small["export_growth_kib"], 1)
        memory["target_met"] = memory["ratio"] <= TARGET_MEMORY_RATIO
        memory["growth_target_met"] = memory["growth_ratio"] <= TARGET_MEMORY_RATIO
    return memory


def report(
    calls: int, csv_out: dict[str, Any] | None, pdf: dict[str, Any] | None, memory: dict[str, Any] | None
) -> None:
    if csv_out is not None:
        cases = csv_out["cases"]
        base = cases[CASE_NAMES["baseline"]]
        rows = [
            (name, r["median_ms"] / 1000, r["p10_ms"] / 1000, r["p90_ms"] / 1000,
             r["median_ms"] / base["median_ms"], r["cpu"]["median_ms"] / 1000,
             r["cpu"]["median_ms"] / base["cpu"]["median_ms"], r["n"])
            for name, r in cases.items()
        ]  # fmt: skip
        print()
        print(table(["case", "median s", "p10 s", "p90 s", "× baseline", "CPU s", "CPU ×", "n"], rows))
        export = cases[CASE_NAMES["export"]]
        print(
            f"\nCSV export of {calls:,} calls: {export['median_ms'] / 1000:.2f} s = "
            f"{csv_out['ratio_to_baseline']:.2f} × the baseline ({base['median_ms'] / 1000:.2f} s; CPU time "
            f"{csv_out['cpu_ratio_to_baseline']:.2f} ×); target ≤ {TARGET_RATIO} ×: "
            f"{verdict(csv_out['target_met'])}"
        )
        print(
            f"files: export {csv_out['export_bytes'] / 1e6:.0f} MB, "
            f"baseline {csv_out['baseline_bytes'] / 1e6:.0f} MB"
        )
        if "profile" in csv_out:
            print()
            print(
                table(
                    ["part of one export (cProfile, cumulative)", "s", "share"],
                    [(k, v["seconds"], f"{v['share']:.0%}") for k, v in csv_out["profile"].items()],
                )
            )
            print("(the top functions: bench/out/export-profile.txt)")
    if memory is not None:
        print()
        mem_rows = [
            (f"{m['rows']:,} calls", m["setup_peak_kib"] / 1024, m["export_peak_kib"] / 1024,
             m["export_growth_kib"] / 1024, m["export_seconds"], m["bytes"] / 1e6)
            for key, m in memory.items() if key in ("small", "million")
        ]  # fmt: skip
        print(
            table(
                ["CSV export", "set-up only MiB", "export MiB", "growth MiB", "export s", "file MB"], mem_rows
            )
        )
        if "ratio" in memory:
            print(
                f"\npeak memory, 1,000,000 vs {calls:,} calls: {memory['ratio']:.2f} × (target ≤ "
                f"{TARGET_MEMORY_RATIO} ×: {verdict(memory['target_met'])}); the export's own growth: "
                f"{memory['growth_ratio']:.2f} × ({verdict(memory['growth_target_met'])})"
            )
        else:
            print("\npeak memory at 1,000,000 calls: not measured (--no-million)")
    if pdf is not None:
        print()
        if pdf["measured"]:
            print(
                f"PDF report, figures profile, no appendix, {pdf['calls']:,} calls: median "
                f"{pdf['export']['median_ms'] / 1000:.2f} s "
                f"(CPU {pdf['export']['cpu']['median_ms'] / 1000:.2f} s; "
                f"figures.compute alone {pdf['figures_compute']['median_ms'] / 1000:.2f} s), "
                f"{pdf['pages']} pages, {pdf['bytes'] / 1e3:.0f} kB"
            )
        else:
            print(f"PDF report: {pdf['why']}")


PARTS = ("csv", "pdf", "memory")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of the CSV export and the baseline")
    parser.add_argument("--memory-repeat", type=int, default=1, help="memory children of each kind per size")
    parser.add_argument("--pdf-repeat", type=int, default=3)
    parser.add_argument("--calls", type=int, default=SMALL, help="size of the smaller demo database")
    parser.add_argument("--parts", default=",".join(PARTS), help="which parts: csv,pdf,memory (default all)")
    parser.add_argument("--no-million", action="store_true", help="skip the 1,000,000-call memory run")
    parser.add_argument("--profile", action="store_true", help="also profile one CSV export (cProfile)")
    parser.add_argument("--child", choices=("setup", "export"), help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.home, args.output)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    if unknown := set(parts) - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")

    WORK.mkdir(parents=True, exist_ok=True)
    csv_out = pdf = memory = None
    if "csv" in parts or "pdf" in parts:
        ctx = Context(args.calls)
        calls = ctx.calls
        if "csv" in parts:
            csv_out = csv_part(ctx, args.repeat, args.profile)
        if "pdf" in parts:
            pdf = pdf_part(ctx, args.pdf_repeat)
        ctx.close()
    else:
        calls = args.calls
    if "memory" in parts:
        print("memory: child processes ...", file=sys.stderr)
        memory = memory_part(args.calls, args.memory_repeat, not args.no_million)

    report(calls, csv_out, pdf, memory)
    name = "export" if args.calls == SMALL else f"export-{args.calls}"
    if set(parts) != set(PARTS):
        name += "-" + "-".join(p for p in PARTS if p in parts)
    write_results(
        name,
        {
            "calls": calls,
            "repeat": args.repeat,
            "target_ratio": TARGET_RATIO,
            "target_memory_ratio": TARGET_MEMORY_RATIO,
            "csv": csv_out,
            "memory": memory,
            "pdf": pdf,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
