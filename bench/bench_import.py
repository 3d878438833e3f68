"""Importing a full-profile CSV export: the newest 100,000 calls (all, in a smaller data set).

Target (issue 15): ``call_import.import_calls`` of the file into an empty database ≤ 3 × the time
to export the same calls (``exports.service.export``, CSV, full profile), measured in the same
run. The import is the app's whole path: both readings of the file, every check, the
placeholder users, the writes, the audit events, one transaction. Each import goes into a new
scratch database (the data set is never written to); the exports alternate with the imports.

    python -m bench import [--calls N] [--db sqlite|postgresql]
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from bench.bench_export import EXPORTER, PURPOSE, SMALL, newest_calls
from bench.common import measure
from bench.datasets import scratch_database
from bench.suite import Context, Figure, Target

if TYPE_CHECKING:
    from supportline.services.call_import import ImportResult

TARGET_RATIO = 3.0
ADMIN_PASSWORD = "throw-away scratch passphrase 2026"  # noqa: S105  # throw-away scratch database


def suite(ctx: Context) -> list[Figure]:
    from supportline.exports import service
    from supportline.exports.common import ExportFormat, Profile

    db = ctx.db()
    supervisor = ctx.actor(EXPORTER)
    query, _raw_first, expected = newest_calls(ctx, ctx.sized(SMALL))
    work = ctx.work_dir("import")
    exported = work / "calls.csv"

    def export_csv() -> int:
        exported.unlink(missing_ok=True)
        return service.export(
            db, supervisor, format=ExportFormat.CSV, query=query, profile=Profile.FULL, path=exported,
            purpose=PURPOSE,
        ).rows  # fmt: skip

    export_csv()
    imports: list[float] = []
    exports: list[float] = []
    for i in range(ctx.repeats(1 if ctx.smoke else 3)):
        exports += measure(export_csv, repeat=1, warmup=0)
        url, remove = scratch_database(ctx.dialect, f"import{i}", work, log=ctx.log)
        try:
            seconds, result = _import_once(url, exported)
        finally:
            remove()
        imports.append(seconds)
        if result.imported != expected:
            raise SystemExit(f"imported {result.imported:,} calls of {expected:,}")
        ctx.log(f"  import {i + 1}: {imports[-1]:.1f} s, export {exports[-1]:.1f} s")
    exported.unlink(missing_ok=True)
    return [
        Figure(
            "import", f"CSV export of {expected:,} calls into an empty database", "s", imports,
            Target(max_ratio=TARGET_RATIO), exports, "exporting them",
            note=f"{expected / min(imports):,.0f} calls/s at best",
        )
    ]  # fmt: skip


def _import_once(url: str, path: Path) -> tuple[float, ImportResult]:
    """Import ``path`` into the empty database at ``url`` as its first administrator."""
    from supportline.db import create_database
    from supportline.services import accounts, call_import

    target = create_database(url)
    try:
        admin = accounts.actor_for(
            accounts.create_first_admin(target, "bench.admin", "Bench Admin", ADMIN_PASSWORD)
        )
        started = time.perf_counter()
        result = call_import.import_calls(target, admin, path)
        return time.perf_counter() - started, result
    finally:
        target.dispose()
