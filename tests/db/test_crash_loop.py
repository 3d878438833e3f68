"""Issue 13, "It must show": the crash loop on SQLite.

A writer process saves full calls through the real ``save_call`` and prints each call's UUID
only after its save returned (tests/db/crash_writer.py). The test kills it with SIGKILL at random
moments, 200 times, starting a new writer each time. Afterwards every acknowledged save is in
the database with its audit event, nothing is there twice, the audit chain verifies (what
``supportline audit verify`` checks) and ``PRAGMA integrity_check`` says ``ok``.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from supportline.db import Database, create_database
from supportline.db.models import AuditEvent, Call
from supportline.services import audit_chain
from tests.factories import make_admin

ROOT = Path(__file__).resolve().parents[2]
KILLS = 200
#: When each writer is killed, at random. A writer's first save takes about 100 ms here (opening
#: the database, SQLAlchemy's first statements), later ones 5-10 ms. A quarter of the writers are
#: killed up to STARTUP_S after they were forked (opening the file, in the first save or just
#: after it); the others up to RUNNING_S after their first acknowledged save, in the middle of
#: the saves that follow (in a statement, the commit, the WAL write, or between two saves).
STARTUP_S = 0.15
RUNNING_S = 0.05


class _Lines:
    """The writer's standard output, line by line, read on a thread (a read never blocks the test)."""

    def __init__(self, stream: object) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def next(self, timeout: float) -> str | None:
        return self._queue.get(timeout=timeout)


def _next(lines: _Lines, errors: Path) -> str:
    line = lines.next(timeout=30)
    assert line is not None, f"the writer ended early:\n{errors.read_text()}"
    return line


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing_acknowledged(sqlite_db: Database, tmp_path: Path) -> None:
    admin = make_admin(sqlite_db)
    path = sqlite_db.url.database
    assert path
    sqlite_db.dispose()  # the writers are the only ones with the file open while they run
    rng = random.Random(1313)
    errors = tmp_path / "writer-stderr.txt"
    acknowledged: dict[uuid.UUID, int] = {}  # call id -> the highest version a save returned
    exits: list[int] = []

    def take(line: str) -> str | None:
        """Record an acknowledgement or a reaped writer; return a 'child PID' line's pid."""
        kind, _, rest = line.partition(" ")
        if kind == "saved":
            call_id, version = rest.split()
            acknowledged[uuid.UUID(call_id)] = max(acknowledged.get(uuid.UUID(call_id), 0), int(version))
        elif kind == "exit":
            exits.append(int(rest.split()[1]))
        elif kind == "child":
            return rest
        else:
            raise AssertionError(f"unexpected line from the writer: {line!r}")
        return None

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    started = time.monotonic()
    with errors.open("w") as stderr:
        writer = subprocess.Popen(
            [sys.executable, "-m", "tests.db.crash_writer", path, str(admin.user_id)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            cwd=ROOT,
            env=env,
        )
    assert writer.stdin is not None
    lines = _Lines(writer.stdout)
    try:
        assert lines.next(timeout=60) == "ready", errors.read_text()
        for _ in range(KILLS):
            writer.stdin.write("go\n")
            writer.stdin.flush()
            pid = None
            while pid is None:
                pid = take(_next(lines, errors))
            if rng.random() < 0.25:
                time.sleep(rng.uniform(0, STARTUP_S))
            else:
                before = len(acknowledged)
                while len(acknowledged) == before:
                    take(_next(lines, errors))
                time.sleep(rng.uniform(0, RUNNING_S))
            os.kill(int(pid), signal.SIGKILL)
        writer.stdin.close()  # the writer reaps the last child and ends
        assert writer.wait(timeout=30) == 0, errors.read_text()
        while (line := lines.next(timeout=10)) is not None:
            take(line)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    elapsed = time.monotonic() - started

    # Every writer was ended by the test's SIGKILL: none failed on its own.
    assert len(exits) == KILLS - 1  # the last one is reaped after stdin closes, without a line
    not_killed = [status for status in exits if not (os.WIFSIGNALED(status) and os.WTERMSIG(status) == 9)]
    assert not_killed == [], errors.read_text()
    assert errors.read_text() == ""
    assert len(acknowledged) >= KILLS, f"only {len(acknowledged)} saves acknowledged in {KILLS} runs"

    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []

    db = create_database(f"sqlite:///{path}")
    try:
        with db.read() as session:
            stored = dict(session.execute(select(Call.id, Call.version)).all())
            references = list(session.scalars(select(Call.reference)))
            events = Counter(
                (uuid.UUID(record_id), action)
                for record_id, action in session.execute(
                    select(AuditEvent.record_id, AuditEvent.action).where(
                        AuditEvent.action.in_(["call.create", "call.update"])
                    )
                )
            )
        report = audit_chain.verify(db)
    finally:
        db.dispose()

    missing = [call_id for call_id in acknowledged if call_id not in stored]
    assert missing == [], f"{len(missing)} acknowledged calls are not in the database"
    older = {i: (v, stored[i]) for i, v in acknowledged.items() if stored[i] < v}
    assert older == {}, "a stored call is older than the version its save acknowledged"
    for call_id, version in stored.items():
        # Every stored version has its audit event, once: a create, and an update for version 2.
        expected = Counter({(call_id, "call.create"): 1})
        if version == 2:
            expected[(call_id, "call.update")] = 1
        assert version in (1, 2)
        assert Counter({k: n for k, n in events.items() if k[0] == call_id}) == expected
    assert sum(events.values()) == len(stored) + sum(1 for v in stored.values() if v == 2)
    # At most the save in flight when each writer was killed went in without being acknowledged.
    assert len(stored) - len(acknowledged) <= KILLS
    # The reference counter moved with each committed call, once: no gaps, no repeats.
    numbers = sorted(int(r.rsplit("-", 1)[1]) for r in references)
    assert numbers == list(range(1, len(stored) + 1))
    assert report.ok, report.broken
    assert report.events >= len(stored)
    print(f"\n{KILLS} kills, {len(acknowledged)} calls acknowledged, {len(stored)} stored, {elapsed:.1f} s")
