"""The figures (the statistics dashboard, the ``stats`` command, the PDF report) over a year.

Targets (issue 15): a year's figures over 1,000,000 calls ≤ 1 s; the hour-of-day filter on
SQLite without a Python function per row. Measured, as a supervisor asks for them
(``figures.figures_for``: the permission, every figure, the previous year's totals, the audit
row): the last 365 local days; the same with the hour-of-day filter (the dashboard's bar for
09:00 clicked); and the call list's first page with the hour filter alone (no period: every
call is looked at). Each against its own reads, captured and replayed raw through the driver.

    python -m bench stats [--calls N] [--db sqlite|postgresql]
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from bench.capture import Raw, Recorder, Statement, reads
from bench.common import measure
from bench.suite import Context, Figure, Target
from supportline.services.call_types import CallQuery

TARGET_S = 1.0
HOUR = 9


def year_query(ctx: Context) -> CallQuery:
    """The 365 local days up to the end of the newest call's day."""
    from sqlalchemy import func, select

    from supportline.db.models import Call
    from supportline.exports.figures import local_midnight

    db = ctx.db()
    with db.read() as session:
        newest = session.scalar(select(func.max(Call.opened_at)))
    assert newest is not None
    last_day = newest.astimezone(db.zone).date()
    end = local_midnight(last_day + timedelta(days=1), db.zone)
    start = local_midnight(last_day + timedelta(days=1) - timedelta(days=365), db.zone)
    return CallQuery(opened_from=start, opened_to=end)


def suite(ctx: Context) -> list[Figure]:
    from supportline.exports import figures
    from supportline.services import calls

    db = ctx.db()
    supervisor = ctx.actor("demo-supervisor")
    recorder = Recorder(db.engine)
    raw = Raw(ctx.dataset().url)
    ctx.cleanups.append(raw.close)
    year = year_query(ctx)
    at_nine = dataclasses.replace(year, opened_hour=HOUR)
    list_at_nine = CallQuery(opened_hour=HOUR)

    def year_figures() -> int:
        return figures.figures_for(db, supervisor, year).totals.calls

    def hour_figures() -> int:
        return figures.figures_for(db, supervisor, at_nine).totals.calls

    def hour_list() -> int:
        return len(calls.list_calls(db, supervisor, list_at_nine, audited=False).rows)

    repeat = ctx.repeats(3 if ctx.smoke else 7)
    out = []
    cases = (
        ("a year's figures", year_figures, Target(max_value=TARGET_S)),
        (
            f"a year's figures, opened {HOUR:02d}:00-{HOUR:02d}:59 local",
            hour_figures,
            Target(max_value=TARGET_S),
        ),
        (f"call list, first page, opened {HOUR:02d}:00-{HOUR:02d}:59 local", hour_list, Target()),
    )
    for name, fn, target in cases:
        counted, captured = recorder.capture(fn)
        statements = reads(captured)

        def replay(s: list[Statement] = statements) -> int:
            return raw.read(s)

        replay()
        ours: list[float] = []
        base: list[float] = []
        for _ in range(repeat):
            ours += measure(fn, repeat=1, warmup=0)
            base += measure(replay, repeat=1, warmup=0)
        unit_scale, unit = (1.0, "s") if target.max_value else (1000.0, "ms")
        out.append(
            Figure(
                "stats", f"{name} ({counted:,} {'rows' if unit == 'ms' else 'calls'})", unit,
                [x * unit_scale for x in ours], target, [x * unit_scale for x in base],
                f"its {len(statements)} reads raw", details={"statements": [s.sql for s in statements]},
            )
        )  # fmt: skip
    recorder.close()
    return out
