"""The benchmark suite's parts: what a benchmark reports (:class:`Figure`), what it is given
(:class:`Context`) and the registry of benchmarks ``python -m bench`` runs.

A benchmark is a module with ``suite(ctx: Context) -> list[Figure]``. It measures the app's own
code path ("ours") and a baseline **in the same run**, alternating them, and states its target.
The registry names each one; a module that is not in the tree yet (``load``) is listed and
reported as not available instead of failing the run.
"""

from __future__ import annotations

import importlib
import os
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.common import DEMO_PASSWORD, OUT, table

if TYPE_CHECKING:  # the database layer is imported when a benchmark first needs it
    from bench.datasets import Dataset
    from supportline.db import Database
    from supportline.services.actor import Actor


@dataclass(frozen=True)
class Target:
    """What a figure must meet: ``max_value`` (or ``min_value``) in its unit, ``max_ratio`` to the
    baseline measured in the same run (how many times the baseline's time). None: reported only."""

    max_value: float | None = None
    min_value: float | None = None
    max_ratio: float | None = None

    def describe(self, unit: str) -> str:
        parts = []
        if self.max_value is not None:
            parts.append(f"≤ {_number(self.max_value)} {unit}")
        if self.min_value is not None:
            parts.append(f"≥ {_number(self.min_value)} {unit}")
        if self.max_ratio is not None:
            parts.append(f"≤ {_number(self.max_ratio)} ×")
        return ", ".join(parts) or "reported"


REPORTED = Target()


@dataclass
class Figure:
    """One line of the table: our samples and the baseline's, in ``unit`` (``ms``, ``s``,
    ``calls/s``, ``MiB``). ``ratio`` is always how many times the baseline's *cost*: for a rate
    (``higher_is_better``) the baseline's rate over ours."""

    benchmark: str
    name: str
    unit: str
    ours: Sequence[float]
    target: Target = REPORTED
    baseline: Sequence[float] = ()
    baseline_name: str = ""
    higher_is_better: bool = False
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.ours)

    @property
    def p90(self) -> float:
        return _percentile(self.ours, 0.1 if self.higher_is_better else 0.9)

    @property
    def baseline_median(self) -> float | None:
        return statistics.median(self.baseline) if self.baseline else None

    @property
    def ratio(self) -> float | None:
        base = self.baseline_median
        if base is None or base == 0 or self.median == 0:
            return None
        return base / self.median if self.higher_is_better else self.median / base

    @property
    def met(self) -> bool | None:
        """True or False against the target; None when the figure is only reported."""
        t = self.target
        if t == REPORTED:
            return None
        ok = True
        if t.max_value is not None:
            ok = ok and self.median <= t.max_value
        if t.min_value is not None:
            ok = ok and self.median >= t.min_value
        if t.max_ratio is not None:
            ok = ok and self.ratio is not None and self.ratio <= t.max_ratio
        return ok

    def as_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "figure": self.name,
            "unit": self.unit,
            "median": self.median,
            "p90": self.p90,
            "samples": list(self.ours),
            "baseline": self.baseline_name,
            "baseline_median": self.baseline_median,
            "baseline_samples": list(self.baseline),
            "ratio": self.ratio,
            "target": self.target.describe(self.unit),
            "met": self.met,
            "note": self.note,
            **({"details": self.details} if self.details else {}),
        }


def _percentile(samples: Sequence[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def _number(value: float) -> str:
    if value >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.3g}"


class NotApplicable(Exception):  # a reason, not an error
    """A benchmark that does not apply to this run (e.g. PostgreSQL only); the message says why."""


# --- what a benchmark is given --------------------------------------------------------------------


@dataclass
class Context:
    """One run of the suite: the database kind, the data set's size and seed, the repeats."""

    dialect: str  # "sqlite" or "postgresql"
    calls: int
    seed: int = 1
    repeat: int | None = None  # --repeat: every benchmark's repetitions (None: each its own default)
    out: Path = OUT
    log: Callable[[str], None] = print
    _dataset: Dataset | None = None
    _db: Database | None = None
    _actors: dict[str, Actor] = field(default_factory=dict)
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def repeats(self, default: int) -> int:
        return max(1, self.repeat) if self.repeat is not None else default

    @property
    def smoke(self) -> bool:
        """A small run (CI's smoke test of the suite): benchmarks may shorten what they can."""
        return self.calls <= 20_000

    def dataset(self) -> Dataset:
        """The demo data set of this run's size and seed, built on first use (cached on disk)."""
        if self._dataset is None:
            from bench.datasets import ensure_dataset

            self._dataset = ensure_dataset(self.dialect, self.calls, self.seed, log=self.log)
        return self._dataset

    def db(self) -> Database:
        """The data set opened as the app opens it (one engine for the whole run)."""
        if self._db is None:
            self._db = self.dataset().open()
        return self._db

    def actor(self, username: str = "demo-supervisor") -> Actor:
        """A demo account signed in (its password checked once per run)."""
        if username not in self._actors:
            from supportline.services import accounts

            self._actors[username] = accounts.authenticate(self.db(), username, DEMO_PASSWORD)
        return self._actors[username]

    def work_dir(self, name: str) -> Path:
        path = self.out / "work" / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def close(self) -> None:
        for cleanup in reversed(self.cleanups):
            try:
                cleanup()
            except Exception as exc:  # a clean-up never hides the results
                self.log(f"clean-up failed: {exc!r}")
        self.cleanups.clear()
        if self._db is not None:
            self._db.dispose()
            self._db = None


@contextmanager
def stage(ctx: Context, what: str) -> Iterator[None]:
    """Log how long a stage took (to standard error, between the benchmarks' lines)."""
    started = time.perf_counter()
    ctx.log(f"  {what} ...")
    yield
    ctx.log(f"  {what}: {time.perf_counter() - started:.1f} s")


# --- the registry ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    module: str
    about: str


#: Every benchmark ``python -m bench`` knows, in the order they run. ``load`` is written in
#: parallel (bench/bench_load.py, issue 15): until its module exists it is reported as not
#: available. Its module must provide ``suite(ctx: Context) -> list[Figure]`` like the others.
REGISTRY: dict[str, Entry] = {
    "demo": Entry("bench.bench_demo", "the demo generator: calls/s against an executemany of the same rows"),
    "save": Entry("bench.bench_save", "saving a full call with its audit row, against the same rows raw"),
    "search": Entry("bench.bench_search", "first page of free-text searches, against the same SQL raw"),
    "scroll": Entry(
        "bench.bench_scroll", "the call list from top to bottom by pages, and one jump to the end"
    ),
    "export": Entry("bench.bench_export", "CSV export of 100,000 calls, against a raw csv.writer dump"),
    "import": Entry("bench.bench_import", "importing a full CSV export, against the time to export it"),
    "stats": Entry("bench.bench_stats", "a year's figures, and with the hour-of-day filter"),
    "startup": Entry("bench.bench_startup", "process start to the sign-in, and Enter to a usable window"),
    "load": Entry("bench.bench_load", "20 processes × 500 saves on the shared database, against pgbench"),
}


def load(name: str) -> Callable[[Context], list[Figure]] | str:
    """The benchmark's ``suite`` function, or why it cannot run here."""
    entry = REGISTRY[name]
    try:
        module = importlib.import_module(entry.module)
    except ModuleNotFoundError as exc:
        if exc.name != entry.module:
            raise
        return f"not available: {entry.module.replace('.', '/')}.py is not in this tree"
    run = getattr(module, "suite", None)
    if run is None:
        return f"not available: {entry.module} has no suite(ctx) function"
    return run  # type: ignore[no-any-return]


# --- the table --------------------------------------------------------------------------------------


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "calls/s" or abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def verdict(figure: Figure) -> str:
    met = figure.met
    return "reported" if met is None else "met" if met else "MISSED"


def render(figures: Sequence[Figure], skipped: Sequence[tuple[str, str]] = ()) -> str:
    """One table: figure, ours (median, p90), the baseline, the ratio, the target, met/missed."""
    rows = []
    for f in figures:
        rows.append(
            (
                f"{f.benchmark}: {f.name}",
                f"{_value(f.median, f.unit)} {f.unit}",
                _value(f.p90, f.unit),
                f"{_value(f.baseline_median, f.unit)} {f.unit} ({f.baseline_name})" if f.baseline else "–",
                f"{f.ratio:.2f} ×" if f.ratio is not None else "–",
                f.target.describe(f.unit),
                verdict(f),
            )
        )
    text = table(["figure", "ours (median)", "p90", "baseline, same run", "ratio", "target", ""], rows)
    for name, why in skipped:
        text += f"\n{name}: {why}"
    notes = [f"  {f.benchmark}: {f.name}: {f.note}" for f in figures if f.note]
    if notes:
        text += "\n\nnotes:\n" + "\n".join(notes)
    return text


def environment_note(ctx: Context) -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{ctx.calls:,} demo calls (seed {ctx.seed}) on {ctx.dialect}; "
        f"load average {load} on {os.cpu_count()} cores"
    )
