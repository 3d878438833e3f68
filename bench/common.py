"""What every benchmark shares: the demo databases, timing, tables and results.

Demo databases are the suite's cached data sets (``bench/datasets.py``): built once with the demo
generator, keyed by size, seed and schema, and never migrated in place.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: Results, data sets and scratch files (git-ignored); SUPPORTLINE_BENCH_OUT moves them (tests do).
OUT = Path(os.environ.get("SUPPORTLINE_BENCH_OUT") or ROOT / "bench" / "out")
VENV_BIN = Path(sys.executable).parent
DEMO_PASSWORD = "bench-demo-password-1"  # noqa: S105  # the demo accounts' password in bench databases only
DEMO_USER = "demo-operator"
MILLION = 1_000_000

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def database_path(home: Path) -> Path:
    return home / "data" / "supportline.db"


def ensure_demo_database(calls: int = MILLION, seed: int = 1) -> Path:
    """``SUPPORTLINE_HOME`` of a SQLite demo data set of ``calls`` calls, built if need be."""
    from bench.datasets import ensure_dataset

    return ensure_dataset("sqlite", calls, seed, log=lambda m: print(m, file=sys.stderr)).home


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
