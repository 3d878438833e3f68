"""The call list from top to bottom: every page of 200 calls in time order, and one jump to the end.

Target (issue 15): each page ≤ 50 ms, memory flat. Each page is read as the list model reads
one when the person scrolls to it (``calls.list_calls`` with the page's offset, unaudited: the
listing is audited once per query); the jump asks for the last page straight away. The baseline
is the same SQL replayed raw, for a sample of pages spread from the top to the end (captured
while the app read them). Memory: this process's resident set before and after the walk.

    python -m bench scroll [--calls N] [--db sqlite|postgresql]
"""

from __future__ import annotations

import os
from pathlib import Path

from bench.capture import Raw, Recorder, Statement, reads
from bench.common import measure
from bench.suite import Context, Figure, Target

PAGE = 200
TARGET_MS = 50.0
SAMPLES = 25


def resident_mib() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def suite(ctx: Context) -> list[Figure]:
    from supportline.services import calls
    from supportline.services.call_types import CallQuery

    db = ctx.db()
    actor = ctx.actor("demo-operator")
    total = calls.count_calls(db, actor, CallQuery())
    offsets = list(range(0, total, PAGE))
    step = max(1, len(offsets) // SAMPLES)
    sampled = set(offsets[::step]) | {offsets[-1]}

    def page(offset: int) -> int:
        return len(calls.list_calls(db, actor, CallQuery(offset=offset, limit=PAGE), audited=False).rows)

    recorder = Recorder(db.engine)
    raw = Raw(ctx.dataset().url)
    ctx.cleanups.append(raw.close)
    # The jump to the end first, as a person pressing Ctrl+End at once would (nothing read yet).
    jump = measure(lambda: page(offsets[-1]), repeat=1, warmup=0)
    before = resident_mib()
    ours: list[float] = []
    captured: dict[int, list[Statement]] = {}
    for offset in offsets:
        if offset in sampled:
            _rows, statements = recorder.capture(lambda o=offset: page(o))  # type: ignore[misc]
            captured[offset] = reads(statements)
        ours += measure(lambda o=offset: page(o), repeat=1, warmup=0)  # type: ignore[misc]
    after = resident_mib()
    recorder.close()
    base = [measure(lambda s=s: raw.read(s), repeat=1, warmup=1)[0] for s in captured.values()]  # type: ignore[misc]
    sampled_ours = [ours[offsets.index(o)] for o in captured]
    ms = 1000.0
    return [
        Figure(
            "scroll", f"every page of {PAGE}, top to bottom ({len(offsets):,} pages)", "ms",
            [x * ms for x in ours], Target(max_value=TARGET_MS),
            [x * ms for x in base], f"the SQL raw, {len(base)} pages",
            note=f"slowest page {max(ours) * ms:.1f} ms; resident set {before:.0f} → {after:.0f} MiB",
            details={"resident_mib_before": before, "resident_mib_after": after,
                     "sampled_pages_ms": [x * ms for x in sampled_ours]},
        ),
        Figure(
            "scroll", "one jump to the last page", "ms", [x * ms for x in jump], Target(max_value=TARGET_MS),
            [base[-1] * ms], "its SQL raw",
        ),
        Figure(
            "scroll", "memory growth over the walk", "MiB", [after - before], Target(max_value=16.0),
            note="resident set after the last page minus before the first",
        ),
    ]  # fmt: skip
