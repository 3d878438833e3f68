"""``python -m bench [NAME …] [--calls N] [--db sqlite|postgresql] [--json FILE]``: the benchmark suite.

Runs the named benchmarks (all by default, in the registry's order) on one demo data set of
``--calls`` calls, built once with the demo generator and cached (``bench/datasets.py``), and
prints one table: each figure, ours (median and 90th percentile), the baseline measured in the
same run, the ratio, the target and whether it was met. ``--json`` writes every sample too.

``--calls 20000`` is the small mode, CI's smoke test of the suite: it checks that every
benchmark runs and reports, not the timings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench.common import machine
from bench.suite import REGISTRY, Context, Figure, NotApplicable, environment_note, load, render


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse(argv: list[str]) -> argparse.Namespace:
    names = ", ".join(REGISTRY)
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Supportline's benchmark suite: ours against a baseline measured in the same run.",
        epilog=f"benchmarks: {names}",
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all)")
    parser.add_argument(
        "--calls", type=int, default=1_000_000, help="size of the demo data set (default 1,000,000)"
    )
    parser.add_argument(
        "--db", choices=("sqlite", "postgresql"), default="sqlite", help="database (default sqlite)"
    )
    parser.add_argument("--seed", type=int, default=1, help="the demo generator's seed (default 1)")
    parser.add_argument("--repeat", type=int, help="repetitions of every measurement (default: each its own)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write every figure and sample as JSON")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in REGISTRY]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {names}")
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.list:
        for name, entry in REGISTRY.items():
            print(f"{name:8}  {entry.about}")
        return 0
    names = args.names or list(REGISTRY)
    ctx = Context(dialect=args.db, calls=args.calls, seed=args.seed, repeat=args.repeat, log=_log)
    figures: list[Figure] = []
    skipped: list[tuple[str, str]] = []
    failed: list[str] = []
    timings: dict[str, float] = {}
    started_at = datetime.now(UTC)
    try:
        for name in names:
            run = load(name)
            if isinstance(run, str):
                skipped.append((name, run))
                _log(f"{name}: {run}")
                continue
            _log(f"{name}: {REGISTRY[name].about}")
            started = time.perf_counter()
            try:
                figures += run(ctx)
            except NotApplicable as why:
                skipped.append((name, f"not applicable: {why}"))
                _log(f"{name}: not applicable: {why}")
            except Exception:
                failed.append(name)
                skipped.append((name, "FAILED (traceback above)"))
                traceback.print_exc()
            timings[name] = time.perf_counter() - started
            _log(f"{name}: {timings[name]:.1f} s")
    finally:
        ctx.close()
    print()
    print(environment_note(ctx))
    print(render(figures, skipped))
    if args.json:
        payload = {
            "suite": "python -m bench",
            "started_at": started_at.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "database": args.db,
            "calls": args.calls,
            "seed": args.seed,
            "environment": environment_note(ctx),
            "machine": machine(),
            "seconds": timings,
            "figures": [f.as_json() for f in figures],
            "skipped": dict(skipped),
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        print(f"\nresults written to {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
