from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from supportline.db.models import Call, Case
from supportline.enums import AgencyType
from supportline.services import calls
from supportline.services.call_types import CallData, Caller
from tests.factories import make_admin

THREADS = 8
PER_THREAD = 25


def _save_concurrently(db, admin) -> tuple[list[str], list[BaseException]]:
    references: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)
    opened = datetime(2026, 7, 1, 10, tzinfo=UTC)

    def worker(n: int) -> None:
        try:
            start.wait()
            for i in range(PER_THREAD):
                data = CallData(
                    id=uuid.uuid4(),
                    caller=Caller(name=f"PC Worker {n}-{i}", agency_type=AgencyType.POLICE),
                    opened_at=opened + timedelta(seconds=n * 1000 + i),
                )
                ref = calls.save_call(db, admin, data).reference
                with lock:
                    references.append(ref)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return references, errors


@pytest.mark.postgres
def test_eight_threads_saving_at_once_on_postgresql_get_distinct_references(pg_db):
    admin = make_admin(pg_db)
    references, errors = _save_concurrently(pg_db, admin)
    assert errors == []
    assert len(references) == THREADS * PER_THREAD
    assert len(set(references)) == THREADS * PER_THREAD
    numbers = sorted(int(r.rsplit("-", 1)[1]) for r in references)
    assert numbers == list(range(1, THREADS * PER_THREAD + 1))  # no gaps, no repeats
    with pg_db.read() as session:
        assert session.scalar(select(func.count()).select_from(Call)) == THREADS * PER_THREAD
        assert session.scalar(select(func.count(func.distinct(Call.reference)))) == THREADS * PER_THREAD
        assert session.scalar(select(func.count()).select_from(Case)) == THREADS * PER_THREAD


def test_eight_threads_saving_at_once_on_sqlite_queue_on_the_write_lock(sqlite_db):
    admin = make_admin(sqlite_db)
    references, errors = _save_concurrently(sqlite_db, admin)
    assert errors == []
    assert len(set(references)) == THREADS * PER_THREAD
