"""Issue 13, "It must show": failover. A primary and a hot standby of its own (tests/db/pg_cluster.py,
never the test server on 5432); the app's engine has both in its host list with
``target_session_attrs=read-write``; while calls are being saved the primary stops and the
standby is promoted. The same ``Database`` object goes on saving on the new primary (no
restart); saves made during the switch are retried by ``save_call`` or kept in the journal and
sent once it answers; in the end every acknowledged save is on the new primary exactly once.

Two ways a primary goes away:

- *switchover*: ``pg_ctl stop -m fast`` (planned): the primary sends all its WAL to the standby
  before it stops, so asynchronous replication loses nothing;
- *crash*: ``pg_ctl stop -m immediate`` (the server dies at once). Only a *synchronous* standby
  (``synchronous_standby_names``) has every commit the primary acknowledged; with an
  asynchronous one the last commits can be lost by the replication itself, whatever the app does
  (docs/administration.md says so).
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from supportline.db import Database, DatabaseUnavailableError, Timeouts, create_database
from supportline.db.migrate import upgrade
from supportline.db.models import AuditEvent, Call
from supportline.db.shared_setup import build_url
from supportline.services import audit_chain, calls
from supportline.services.actor import Actor
from supportline.sync.journal import Journal
from tests.conftest import IN_CI
from tests.db.pg_cluster import Cluster, cluster_folder, find_binaries, free_port
from tests.factories import full_call, make_admin

DATABASE = "supportline"
SHORT = Timeouts(
    connect_s=2, statement_s=3, lock_s=2, idle_in_transaction_s=10, network_s=3, write_s=2, read_s=3
)
#: Between stopping the primary and promoting the standby: longer than a save's limit, so some
#: saves made during the switch cannot wait for it and go to the journal.
SWITCH_S = 3.0


@dataclass
class Pair:
    mode: str  # "switchover" or "crash"
    primary: Cluster
    standby: Cluster


@pytest.fixture(params=["switchover", "crash"])
def pair(request: pytest.FixtureRequest) -> Iterator[Pair]:
    binaries = find_binaries()
    if binaries is None:
        message = "PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup) not found"
        if IN_CI:
            pytest.fail(f"{message} (CI=true: the failover test must run)", pytrace=False)
        pytest.skip(message)
    with cluster_folder() as (root, as_user):
        primary = Cluster(binaries, root, "primary", free_port(), as_user)
        standby = Cluster(binaries, root, "standby", free_port(), as_user)
        try:
            primary.initdb()
            primary.start()
            yield Pair(request.param, primary, standby)
        finally:
            standby.kill()
            primary.kill()


@dataclass
class Writer:
    """What the call form does, in a loop: save; when the shared database does not take the save,
    keep it in the journal (with the same save id); send the journal once saving works again."""

    db: Database
    actor: Actor
    journal: Journal
    saved: dict[uuid.UUID, int] = field(default_factory=dict)  # call -> version acknowledged
    journaled: list[tuple[uuid.UUID, int | None]] = field(default_factory=list)  # (call, version on)
    pushed: list[calls.CallRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the app's error messages, in order
    direct_after: dict[str, int] = field(default_factory=Counter)  # saves acknowledged per phase
    slowest_s: float = 0.0
    phase: str = "before"
    unexpected: list[BaseException] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def save(self, data: calls.CallData, version: int | None) -> bool:
        save_id = uuid.uuid4()
        started = time.monotonic()
        try:
            record = calls.save_call(self.db, self.actor, data, expected_version=version, save_id=save_id)
        except DatabaseUnavailableError as exc:
            self.errors.append(str(exc))
            self.journal.add(self.actor, data, expected_version=version, save_id=save_id)
            self.journaled.append((data.id, version))
            return False
        finally:
            self.slowest_s = max(self.slowest_s, time.monotonic() - started)
        self.saved[data.id] = record.version
        self.direct_after[self.phase] += 1
        return True

    def run(self) -> None:
        n = 0
        try:
            while not self.stop.is_set():
                n += 1
                data = full_call(datetime(2026, 7, 1, tzinfo=UTC) + timedelta(seconds=n))
                if self.save(data, None) and n % 3 == 0:
                    edit = dataclasses.replace(data, summary=f"edit {n}")
                    self.save(edit, 1)
                if self.journal.count() and self.phase == "promoted":
                    result = self.journal.push(self.db, self.actor)
                    assert result.conflicts == [] and result.refused == [], result
                    self.pushed += result.sent
                    for record in result.sent:
                        self.saved[record.id] = max(self.saved.get(record.id, 0), record.version)
        except BaseException as exc:
            self.unexpected.append(exc)


def _wait_for(condition: object, timeout: float, what: str, pair: Pair) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not after {timeout:g} s\n{pair.primary.log_text()}\n"
                                 f"{pair.standby.log_text()}")  # fmt: skip
        time.sleep(0.05)


def _sql(cluster: Cluster, *statements: str) -> None:
    engine = create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def _replication(primary: Cluster) -> str | None:
    """How the standby follows ``primary``: "streaming" (asynchronous), "sync", or None."""
    engine = create_engine(primary.url())
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT state, sync_state FROM pg_stat_replication")).first()
    finally:
        engine.dispose()
    if row is None or row.state != "streaming":
        return None
    return "sync" if row.sync_state == "sync" else "streaming"


def _in_recovery(cluster: Cluster) -> bool | None:
    engine = create_engine(cluster.url(DATABASE), connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT pg_is_in_recovery()")).scalar())
    except Exception:
        return None
    finally:
        engine.dispose()


@pytest.mark.slow
def test_promoting_the_standby_during_saves_loses_and_duplicates_nothing(pair: Pair, tmp_path: Path) -> None:
    primary, standby = pair.primary, pair.standby
    admin_engine = create_engine(primary.url(), isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {DATABASE}"))
    admin_engine.dispose()
    setup = create_database(primary.url(DATABASE))
    upgrade(setup)
    admin = make_admin(setup)
    setup.dispose()

    standby.basebackup_from(primary)
    standby.start()
    _wait_for(lambda: _in_recovery(standby) is True, 30, "the standby is not in recovery", pair)
    wanted = "streaming"
    if pair.mode == "crash":  # a commit is acknowledged once the standby has it too
        _sql(primary, "ALTER SYSTEM SET synchronous_standby_names = '*'", "SELECT pg_reload_conf()")
        wanted = "sync"
    _wait_for(lambda: _replication(primary) == wanted, 30, f"the standby is not {wanted}", pair)

    url = build_url(
        host="127.0.0.1", port=primary.port, database=DATABASE, user="postgres",
        standbys=f"127.0.0.1:{standby.port}",
    )  # fmt: skip
    assert url.query["target_session_attrs"] == "read-write"
    db = create_database(url, timeouts=SHORT)
    writer = Writer(db, admin, Journal(tmp_path / "journal.db"))
    thread = threading.Thread(target=writer.run, name="writer", daemon=True)
    try:
        thread.start()
        _wait_for(lambda: writer.direct_after["before"] >= 20 or writer.unexpected, 60,
                  "20 saves on the primary", pair)  # fmt: skip
        # The primary goes away while the writer is saving.
        writer.phase = "switching"
        primary.stop("fast" if pair.mode == "switchover" else "immediate")
        time.sleep(SWITCH_S)
        standby.promote()
        writer.phase = "promoted"
        _wait_for(
            lambda: (
                (writer.direct_after["promoted"] >= 20 and writer.journal.count() == 0) or writer.unexpected
            ),
            60,
            "20 saves on the promoted standby and the journal sent",
            pair,
        )
    finally:
        writer.stop.set()
        thread.join(timeout=30)
        db.dispose()
    assert not thread.is_alive()
    assert writer.unexpected == []

    # The switch was felt: saves during it gave up with the app's own error and were journaled;
    # the same Database then saved on the new primary by itself and sent the journal, in order.
    assert writer.journaled, f"no save was journaled during a {SWITCH_S:g} s switch"
    assert all("shared database" in e for e in writer.errors), writer.errors
    assert writer.journal.count() == 0
    assert [(r.id, r.version) for r in writer.pushed] == [
        (call_id, 1 if version is None else version + 1) for call_id, version in writer.journaled
    ]
    assert writer.direct_after["promoted"] >= 20
    assert writer.slowest_s < SHORT.write_s + SHORT.connect_s + 1.5  # no save hung on the dead primary

    assert _in_recovery(standby) is False
    new_primary = create_database(standby.url(DATABASE))
    try:
        with new_primary.read() as session:
            stored = dict(session.execute(select(Call.id, Call.version)).all())
            references = dict(session.execute(select(Call.id, Call.reference)).all())
            events = Counter(
                (uuid.UUID(record_id), action)
                for record_id, action in session.execute(
                    select(AuditEvent.record_id, AuditEvent.action).where(
                        AuditEvent.action.in_(["call.create", "call.update"])
                    )
                )
            )
        report = audit_chain.verify(new_primary)
    finally:
        new_primary.dispose()
    missing = [i for i in writer.saved if i not in stored]
    assert missing == [], f"{len(missing)} acknowledged calls are not on the new primary"
    assert set(stored) == set(writer.saved)  # nothing that was not acknowledged
    assert {i: stored[i] for i in writer.saved} == writer.saved  # each at the version acknowledged
    for call_id, version in stored.items():
        expected = Counter({(call_id, "call.create"): 1})
        if version == 2:
            expected[(call_id, "call.update")] = 1
        assert Counter({k: n for k, n in events.items() if k[0] == call_id}) == expected
    numbers = sorted(int(r.rsplit("-", 1)[1]) for r in references.values())
    assert numbers == list(range(1, len(stored) + 1))  # no reference twice, none skipped
    pushed_new = [r for r in writer.pushed if r.version == 1]
    assert [references[r.id] for r in pushed_new] == sorted(references[r.id] for r in pushed_new)
    assert report.ok, report.broken
    print(
        f"\n{pair.mode}: {len(stored)} calls, {writer.direct_after} saved directly, "
        f"{len(writer.journaled)} journaled and sent, slowest save {writer.slowest_s:.2f} s"
    )
