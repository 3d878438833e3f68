"""The demo generator: calls per second into an empty database, against an executemany of the
same rows.

``generate_demo`` (the ``supportline demo`` command's code) makes the calls and writes them a
batch at a time. Every statement it sends is captured as it goes; after each committed batch,
the batch's writes are replayed through the bare driver (``executemany``, one transaction per
batch, the same rows with the same values) into a second empty database, and that replay's time
is taken out of the generator's clock. The baseline is therefore the database's own cost of
those rows: indexes, the full-text index, the commit. What the generator adds is making the rows
(names, narratives, the facts of each call) and SQLAlchemy's work on them.

The rate is measured on up to :data:`CALLS` calls (fewer in a smaller run); the data set's own
build, when this run made it, is shown too.

    python -m bench demo [--calls N] [--db sqlite|postgresql]
"""

from __future__ import annotations

import time

from bench.capture import Raw, Recorder, writes
from bench.common import DEMO_PASSWORD
from bench.datasets import scratch_database
from bench.suite import Context, Figure, Target

CALLS = 100_000
SEED = 1


def suite(ctx: Context) -> list[Figure]:
    from supportline.db import create_database
    from supportline.services.demo import generate_demo

    calls = ctx.sized(min(ctx.calls, CALLS))
    work = ctx.work_dir("demo")
    ours_url, remove_ours = scratch_database(ctx.dialect, "demo", work, log=ctx.log)
    raw_url, remove_raw = scratch_database(ctx.dialect, "demo_raw", work, log=ctx.log)
    ctx.cleanups += [remove_ours, remove_raw]
    db = create_database(ours_url)
    raw = Raw(raw_url)
    recorder = Recorder(db.engine)
    replay_seconds = 0.0

    def progress(_done: int, _total: int) -> None:
        # The first batch's statements also hold the demo accounts and the run's audit event
        # (their own transaction, before it): the calls point at the accounts.
        nonlocal replay_seconds
        batch = writes(recorder.statements)
        recorder.statements = []
        started = time.perf_counter()
        raw.write(batch)
        replay_seconds += time.perf_counter() - started

    recorder.on = True
    started = time.perf_counter()
    try:
        generate_demo(db, calls=calls, password=DEMO_PASSWORD, seed=SEED, progress=progress)
    finally:
        recorder.on = False
        recorder.close()
        db.dispose()
        raw.close()
    total = time.perf_counter() - started
    ours = total - replay_seconds
    figures = [
        Figure(
            "demo", f"generating {calls:,} calls into an empty database", "calls/s", [calls / ours],
            Target(), [calls / replay_seconds], "executemany of the same rows", higher_is_better=True,
            note=f"{ours:.0f} s; the same rows through the driver alone {replay_seconds:.0f} s",
        )
    ]  # fmt: skip
    info = ctx.dataset().info
    if "seconds" in info:
        built = info["calls"] / info["seconds"]
        figures.append(
            Figure(
                "demo", f"the data set's build ({info['calls']:,} calls, {info['built_at'][:10]})", "calls/s",
                [built], higher_is_better=True, note="measured when the data set was built (cached since)",
            )
        )  # fmt: skip
    return figures
