"""Saving a call on SQLite: the form's data to a committed call with its audit row.

Target (issue 3): median <= 5 ms. Baseline, in the same run and the same database file: a raw
``sqlite3`` INSERT of the same ``calls`` row (the row the service wrote, with a new id and
reference) in one transaction, with ``journal_mode=WAL`` and ``synchronous=FULL`` as the app uses.

Also measured, because the form does them: editing a saved call, a save followed by discarding
the form's draft, and the draft autosave (a typical form, and one with a 1 MB narrative).

    .venv/bin/python bench/bench_save.py                # fresh database
    .venv/bin/python bench/bench_save.py --million      # a copy of the 1,000,000-call database
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sqlite3
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script (python bench/<name>.py): import from the repository
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.capture import FreshKeys, Raw, Recorder, Statement, user_ids, writes
from bench.common import (
    DEMO_PASSWORD,
    DEMO_USER,
    OUT,
    database_path,
    ensure_demo_database,
    measure,
    stats,
    table,
    verdict,
    write_results,
)
from bench.suite import Context, Figure, Target
from supportline.db import Database, create_database
from supportline.db.migrate import upgrade
from supportline.enums import (
    AgeGroup,
    AgencyType,
    ChecklistState,
    ConsentLevel,
    ExploitationType,
    Indicator,
    NrmConsent,
    Outcome,
    ReferralTarget,
    Route,
    Sex,
    Urgency,
    WhereExploited,
)
from supportline.services import accounts, call_codec, calls, drafts
from supportline.services.actor import Actor
from supportline.services.call_types import (
    CallData,
    Caller,
    ChecklistEntry,
    FollowUpData,
    PersonData,
    ReferralData,
    RouteData,
)

TARGET_MS = 5.0
PASSWORD = "bench password for the save benchmark"  # noqa: S105  # throw-away bench database

NARRATIVE = (
    "DS on scene at a hand car wash. Four men living in a portakabin behind the site; the manager "
    "holds their passports and deducts 'rent' from wages paid in cash. Two of the men say they are "
    "19 but look younger, speak little English (Vietnamese, Albanian). No interpreter on scene yet. "
    "Officer asks about powers to remove, NRM referral without consent for possible children, and "
    "who to call for out-of-hours children's services.\n"
) * 4  # about 2 KB: a typical narrative typed during a call


def form_call(opened: datetime) -> CallData:
    """A completely filled form, as the operator submits it."""
    return CallData(
        caller=Caller(
            name="DS Morwenna Tregarthen",
            agency_type=AgencyType.POLICE,
            rank="Detective Sergeant",
            organisation="Devon and Cornwall Police",
            collar_number="DC 4471",
            phone="07700 900417",
            email="m.tregarthen@example.org",
        ),
        opened_at=opened,
        urgency=Urgency.URGENT,
        consent_level=ConsentLevel.CONFIDENTIAL,
        summary="Car wash workers living on site; passports held by the manager",
        narrative=NARRATIVE,
        force_area="Devon and Cornwall Police",
        where_exploited=WhereExploited.UK,
        nrm_consent=NrmConsent.CONSENTS,
        exploitation_types=frozenset({ExploitationType.LABOUR, ExploitationType.CRIMINAL}),
        indicators=frozenset({Indicator.RETENTION_OF_DOCUMENTS, Indicator.DEBT_BONDAGE}),
        outcomes=frozenset({Outcome.NRM_ADVISED, Outcome.CHILDRENS_SERVICES_REFERRAL}),
        persons=(
            PersonData(
                age_group=AgeGroup.CHILD,
                sex=Sex.MALE,
                age_disputed=True,
                nationalities=("VN",),
                languages=("vie",),
                interpreter_needed=True,
            ),
            PersonData(age_group=AgeGroup.ADULT, sex=Sex.MALE, nationalities=("AL",), languages=("sqi",)),
        ),
        routes=(
            RouteData(
                route=Route.VICTIM,
                advice_summary="Children's services and police; NRM referral without consent.",
                checklist=(
                    ChecklistEntry("safety", ChecklistState.TICKED, opened + timedelta(minutes=3)),
                    ChecklistEntry(
                        "interpreter", ChecklistState.SKIPPED, opened + timedelta(minutes=4), "Arranged"
                    ),
                ),
            ),
        ),
        referrals=(
            ReferralData(target=ReferralTarget.CHILDRENS_SERVICES, organisation="Plymouth City Council"),
        ),
        follow_ups=(FollowUpData(due_at=opened + timedelta(days=1), note="Call back the DS"),),
    )


def fresh_ids(data: CallData) -> CallData:
    return dataclasses.replace(
        data,
        id=uuid.uuid4(),
        persons=tuple(dataclasses.replace(p, id=uuid.uuid4()) for p in data.persons),
        referrals=tuple(dataclasses.replace(r, id=uuid.uuid4()) for r in data.referrals),
        follow_ups=tuple(dataclasses.replace(f, id=uuid.uuid4()) for f in data.follow_ups),
    )


def prepare_database(million: bool) -> tuple[Path, Database, Actor]:
    work = OUT / "save"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    path = work / "supportline.db"
    if million:
        source = database_path(ensure_demo_database())
        print(f"copying {source} ...", file=sys.stderr)
        shutil.copyfile(source, path)
        db = create_database(f"sqlite:///{path}")
        return path, db, accounts.authenticate(db, DEMO_USER, DEMO_PASSWORD)
    db = create_database(f"sqlite:///{path}")
    upgrade(db)
    admin = accounts.create_first_admin(db, "bench.admin", "Bench Admin", PASSWORD)
    return path, db, accounts.actor_for(admin)


class RawInsert:
    """The baseline: the same ``calls`` row through ``sqlite3`` alone, one transaction per row."""

    def __init__(self, path: Path, template_id: uuid.UUID) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        cursor = self.conn.execute("SELECT * FROM calls WHERE id = ?", (template_id.hex,))
        self.columns = [d[0] for d in cursor.description]
        self.row = list(cursor.fetchone())
        if self.row is None:
            raise SystemExit("template row not found: is the id stored differently?")
        placeholders = ", ".join("?" for _ in self.columns)
        self.sql = f"INSERT INTO calls ({', '.join(self.columns)}) VALUES ({placeholders})"  # noqa: S608
        self.counter = 0

    def rows(self) -> Iterator[list[Any]]:
        while True:
            self.counter += 1
            row = list(self.row)
            row[self.columns.index("id")] = uuid.uuid4().hex
            row[self.columns.index("reference")] = f"SL-RAW-{self.counter:06d}"
            yield row

    def close(self) -> None:
        self.conn.close()


# --- in the suite (python -m bench save) ----------------------------------------------------------


def suite(ctx: Context) -> list[Figure]:
    """A new call saved with ``save_call`` (validated, its audit row chained, committed) into the
    data set, against the same rows written raw: every write statement the save sent, captured and
    replayed through the driver with fresh keys, in one transaction. The calls this adds are
    deleted again afterwards (and at the start, after a run that was stopped)."""
    remove_saved_calls(ctx)
    try:
        return _measure_saves(ctx)
    finally:
        remove_saved_calls(ctx)


def _measure_saves(ctx: Context) -> list[Figure]:
    db = ctx.db()
    actor = ctx.actor("demo-adviser")
    url = ctx.dataset().url
    template = form_call(datetime.now(UTC) - timedelta(minutes=20))
    calls.save_call(db, actor, fresh_ids(template))  # the first save of a process warms its caches
    recorder = Recorder(db.engine)
    _record, captured = recorder.capture(lambda: calls.save_call(db, actor, fresh_ids(template)))
    recorder.close()
    raw = Raw(url)
    replays = FreshKeys(writes(captured), keep=user_ids(raw))
    raw.write(next(replays))  # the replay works (and warms) before anything is timed

    rounds, per_round = ctx.repeats(2 if ctx.smoke else 5), 2 if ctx.smoke else 40
    queue: list[CallData] = []
    edited = {"record": calls.save_call(db, actor, fresh_ids(template))}

    def save_new() -> None:
        calls.save_call(db, actor, queue.pop())

    def save_edit() -> None:
        record = edited["record"]
        changed = dataclasses.replace(record.data, narrative=record.data.narrative + " More.")
        edited["record"] = calls.save_call(db, actor, changed, expected_version=record.version)

    batches: list[list[Statement]] = []

    def raw_rows() -> None:
        raw.write(batches.pop())

    samples: dict[str, list[float]] = {"new": [], "edit": [], "raw": []}
    for _ in range(rounds):
        queue[:] = [fresh_ids(template) for _ in range(per_round)]
        batches[:] = [next(replays) for _ in range(per_round)]
        samples["raw"] += measure(raw_rows, repeat=per_round, warmup=0)
        samples["new"] += measure(save_new, repeat=per_round, warmup=0)
        samples["edit"] += measure(save_edit, repeat=per_round, warmup=0)
    raw.close()
    ms = {k: [x * 1000 for x in v] for k, v in samples.items()}
    statements = len(writes(captured))
    target = Target(max_value=TARGET_MS) if ctx.dialect == "sqlite" else Target(max_ratio=3.0)
    return [
        Figure(
            "save", "new call with audit", "ms", ms["new"], target,
            ms["raw"], f"its {statements} write statements raw",
            note="into the data set (removed again); the baseline replays what the save wrote, with new keys",
            details={"write_statements": [s.sql for s in writes(captured)]},
        ),
        Figure("save", "edit of a saved call", "ms", ms["edit"], baseline=ms["raw"],
               baseline_name="a new call's writes raw"),
    ]  # fmt: skip


def remove_saved_calls(ctx: Context) -> None:
    """Delete the calls (and their new cases) saved into the data set after it was built: the
    children go with them (ON DELETE CASCADE), the full-text index by its triggers. The audit
    trail keeps its events, as it must; the reference counters stay moved on."""
    from sqlalchemy import delete, func, select

    from supportline.db.models import Call, Case

    built = datetime.fromisoformat(ctx.dataset().info["built_at"])
    with ctx.db().write() as session:
        added = session.scalar(select(func.count()).select_from(Call).where(Call.created_at > built)) or 0
        if added:
            session.execute(delete(Call).where(Call.created_at > built))
            session.execute(delete(Case).where(Case.created_at > built))
    if added:
        ctx.log(f"  removed {added:,} calls saved by the benchmark")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--million", action="store_true", help="save into a copy of the 1,000,000-call database"
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="rounds; each runs every case --per-round times"
    )
    parser.add_argument("--per-round", type=int, default=40)
    args = parser.parse_args()

    path, db, actor = prepare_database(args.million)
    opened = datetime.now(UTC) - timedelta(minutes=20)
    template = form_call(opened)

    # Calls for each round are prepared before timing: the clock covers save_call alone.
    first = calls.save_call(db, actor, fresh_ids(template))
    raw = RawInsert(path, first.id)
    raw_rows = raw.rows()

    def raw_insert() -> None:
        row = next(raw_rows)
        raw.conn.execute("BEGIN IMMEDIATE")
        raw.conn.execute(raw.sql, row)
        raw.conn.execute("COMMIT")

    queue: list[CallData] = []

    def save_new() -> None:
        calls.save_call(db, actor, queue.pop())

    edited = {"record": calls.save_call(db, actor, fresh_ids(template))}

    def save_edit() -> None:
        record = edited["record"]
        changed = dataclasses.replace(record.data, narrative=record.data.narrative + " More.")
        edited["record"] = calls.save_call(db, actor, changed, expected_version=record.version)

    def save_and_discard_draft() -> None:
        data = queue.pop()
        calls.save_call(db, actor, data)
        drafts.discard_drafts_for_call(db, actor, data.id)

    draft_id = uuid.uuid4()
    typical_payload = call_codec.to_jsonable(template)
    big = dataclasses.replace(template, narrative=("Ünïcödé narrative line — 𝔘 ✓\n" * 40_000)[:1_048_576])
    big_payload = call_codec.to_jsonable(big)
    big_draft_id = uuid.uuid4()

    def autosave_typical() -> None:
        drafts.save_draft(
            db,
            actor,
            draft_id=draft_id,
            call_id=template.id,
            is_edit=False,
            title="New call",
            payload=typical_payload,
        )

    def autosave_big() -> None:
        drafts.save_draft(
            db,
            actor,
            draft_id=big_draft_id,
            call_id=big.id,
            is_edit=False,
            title="New call",
            payload=big_payload,
        )

    def encode_typical() -> None:
        call_codec.to_jsonable(template)

    cases: dict[str, Callable[[], None]] = {
        "raw sqlite3 INSERT of the calls row (baseline)": raw_insert,
        "save_call: new call (target)": save_new,
        "save_call: edit of a saved call": save_edit,
        "save_call + discard_drafts_for_call": save_and_discard_draft,
        "save_draft: autosave, 2 KB narrative": autosave_typical,
        "save_draft: autosave, 1 MB narrative": autosave_big,
        "call_codec.to_jsonable (no database)": encode_typical,
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for round_no in range(args.rounds):
        for name, fn in cases.items():
            if fn in (save_new, save_and_discard_draft):
                queue[:] = [fresh_ids(template) for _ in range(args.per_round + 1)]
            samples[name] += measure(fn, repeat=args.per_round, warmup=1, cpu=cpu[name])
        print(f"round {round_no + 1}/{args.rounds} done", file=sys.stderr)
    raw.close()
    db.dispose()
    if args.million:
        shutil.rmtree(path.parent)  # a 4-5 GB copy: not worth keeping

    results: dict[str, dict[str, Any]] = {
        name: {**stats(s), "cpu": stats(cpu[name])} for name, s in samples.items()
    }
    base = results["raw sqlite3 INSERT of the calls row (baseline)"]["median_ms"]
    target = results["save_call: new call (target)"]["median_ms"]
    rows = [
        (name, r["median_ms"], r["p10_ms"], r["p90_ms"], r["median_ms"] / base, r["cpu"]["median_ms"], r["n"])
        for name, r in results.items()
    ]
    print()
    print(table(["case", "median ms", "p10 ms", "p90 ms", "× baseline", "CPU ms", "n"], rows))
    print(f"\nsave_call median {target:.2f} ms; target <= {TARGET_MS} ms: {verdict(target <= TARGET_MS)}")
    write_results(
        "save-1m" if args.million else "save",
        {
            "database": "copy of the 1,000,000-call database" if args.million else "fresh database",
            "target_ms": TARGET_MS,
            "target_met": target <= TARGET_MS,
            "ratio_to_baseline": target / base,
            "cases": results,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
