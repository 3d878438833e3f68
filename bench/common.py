"""What every benchmark shares: the cached 1,000,000-call database, timing, tables and results.

The big database is built once with the demo generator (``supportline demo``, about 12 minutes
for a million calls on the reference machine) under ``bench/out/home-<n>/`` and reused; a
``built.json`` beside it says it is complete. Whatever the schema's head revision is when a
benchmark runs, the database is migrated to it first (without the pre-migration copy the app
would make: this is throw-away demo data).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
VENV_BIN = Path(sys.executable).parent
DEMO_PASSWORD = "bench-demo-password-1"  # noqa: S105  # the demo accounts' password in bench databases only
DEMO_USER = "demo-operator"
MILLION = 1_000_000

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def home_for(calls: int) -> Path:
    label = f"{calls // MILLION}m" if calls % MILLION == 0 else str(calls)
    return OUT / f"home-{label}"


def database_path(home: Path) -> Path:
    return home / "data" / "supportline.db"


def ensure_demo_database(calls: int = MILLION, seed: int = 1) -> Path:
    """``SUPPORTLINE_HOME`` of a demo database with ``calls`` calls, built if need be, at the head schema."""
    home = home_for(calls)
    marker = home / "built.json"
    path = database_path(home)
    if not marker.exists():
        info: dict[str, Any] = {"calls": calls, "seed": seed}
        if path.exists() and _count_calls(path) == calls:
            print(f"found a complete {calls:,}-call database at {path}", file=sys.stderr)
        else:
            if path.exists():
                raise SystemExit(
                    f"{path} exists but is not a complete {calls:,}-call demo database "
                    "(a build still running, or one that was stopped): wait for it, or delete "
                    f"{home} and run again"
                )
            _build(home, calls, seed)
            # The build ran today's migrations: record them as applied, or _migrate would take
            # the revisions for unknown and undo and redo them over every call.
            info["migrations"] = _migration_files()
        info["at"] = datetime.now(UTC).isoformat()
        _write_marker(marker, info)
    info = json.loads(marker.read_text())
    info["migrations"] = _migrate(path, info.get("migrations"))
    _write_marker(marker, info)
    return home


def _write_marker(marker: Path, info: dict[str, Any]) -> None:
    marker.write_text(json.dumps(info, indent=2) + "\n")


def _count_calls(path: Path) -> int:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM calls").fetchone()[0])
        except sqlite3.Error:
            return -1


def _build(home: Path, calls: int, seed: int) -> None:
    print(
        f"building a {calls:,}-call demo database in {home} (about 12 minutes a million) ...", file=sys.stderr
    )
    started = time.perf_counter()
    subprocess.run(
        [
            str(VENV_BIN / "supportline"),
            "demo",
            "--calls",
            str(calls),
            "--seed",
            str(seed),
            "--password-stdin",
        ],
        input=f"{DEMO_PASSWORD}\n{DEMO_PASSWORD}\n",
        text=True,
        env={**os.environ, "SUPPORTLINE_HOME": str(home)},
        check=True,
    )
    print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _migration_files() -> dict[str, str]:
    """Each migration's revision (its file name's number) and a hash of its text."""
    folder = ROOT / "supportline" / "db" / "migrations" / "versions"
    return {
        f.name.split("_", 1)[0]: hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(folder.glob("[0-9]*_*.py"))
    }


def _migrate(path: Path, applied: dict[str, str] | None) -> dict[str, str]:
    """Bring the database to head. A migration whose file changed since it was applied here (one
    still being written) is undone first and applied again; ``applied`` None means unknown."""
    from supportline.db import create_database
    from supportline.db.migrate import current_revision, downgrade, head_revision, upgrade

    files = _migration_files()
    db = create_database(f"sqlite:///{path}")
    try:
        current = current_revision(db)
        revisions = sorted(files)
        known = applied or {}
        changed = [r for r in revisions if r in known and known[r] != files[r]]
        if applied is None and current is not None and current != revisions[0]:
            changed = [r for r in revisions[1:] if r <= current]
        if changed and current is not None:
            before = revisions[revisions.index(changed[0]) - 1] if revisions.index(changed[0]) else "base"
            print(
                f"migration {changed[0]} changed since it was applied: back to {before} ...", file=sys.stderr
            )
            downgrade(db, before)
        if current_revision(db) != head_revision():
            print(
                f"migrating {path} to {head_revision()} (may build indexes over every call) ...",
                file=sys.stderr,
            )
            started = time.perf_counter()
            upgrade(db)
            print(f"migrated in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.dispose()
    return files


# --- timing ---------------------------------------------------------------------------------------


def measure(
    fn: Callable[[], object], *, repeat: int, warmup: int = 1, cpu: list[float] | None = None
) -> list[float]:
    """Seconds taken by each of ``repeat`` calls of ``fn``, after ``warmup`` untimed ones.

    ``cpu``, if given, gets this process's CPU seconds for each call: on a shared, busy machine
    the wall-clock time also counts waiting for a core or the disk, the CPU time does not.
    """
    for _ in range(warmup):
        fn()
    samples: list[float] = []
    for _ in range(repeat):
        cpu_started = time.process_time()
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - cpu_started)
    return samples


def stats(samples: Sequence[float]) -> dict[str, float]:
    """Median and spread in milliseconds."""
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return {
        "n": len(ordered),
        "median_ms": statistics.median(ordered) * 1000,
        "p10_ms": pct(0.10),
        "p90_ms": pct(0.90),
        "min_ms": ordered[0] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


# --- reporting ------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    import sqlalchemy

    info: dict[str, Any] = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
    }
    try:
        import PySide6

        info["pyside6"] = PySide6.__version__
    except ImportError:
        pass
    return info


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers], *[[_cell(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def write_results(name: str, results: dict[str, Any]) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.json"
    payload = {
        "benchmark": name,
        "at": datetime.now(UTC).isoformat(),
        "machine": machine(),
        "load_average_at_end": os.getloadavg(),
        **results,
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nload average now (1, 5, 15 min): {load} on {os.cpu_count()} cores")
    print(f"results written to {path.relative_to(ROOT)}")
    return path


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"
