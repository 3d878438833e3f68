"""A database that goes away and comes back, on either dialect, for the outage tests.

- PostgreSQL: the application's database is reached through :class:`TcpProxy`, with short time
  limits; "away" is the proxy refusing connections (the server stopped) or going silent (a stalled
  network), "back" is it accepting or forwarding again.
- SQLite: a local file is rarely unreachable, but it can be read-only or on a full disk. The
  genuine SQLite errors are produced on every connection the pool hands out: ``PRAGMA
  query_only`` (SQLITE_READONLY, "attempt to write a readonly database", as for a file or disk
  that allows no writing) or ``PRAGMA max_page_count`` at the current size (SQLITE_FULL,
  "database or disk is full"); "back" lifts them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from supportline.db import Database, Timeouts, create_database
from tests.conftest import PG_URL
from tests.db.tcp_proxy import TcpProxy

SHORT = Timeouts(
    connect_s=1, statement_s=2, lock_s=1, idle_in_transaction_s=5, network_s=3, write_s=1, read_s=2
)

SqliteMode = Literal["read-only", "full"]


class SqliteFault:
    """Makes every connection of ``db`` read-only or full while :attr:`mode` is set."""

    def __init__(self, db: Database, mode: SqliteMode = "read-only") -> None:
        self.db = db
        self.wanted: SqliteMode = mode
        self.mode: SqliteMode | None = None
        event.listen(db.engine, "checkout", self._apply)

    def _apply(self, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA query_only={1 if self.mode == 'read-only' else 0}")
            if self.mode == "full":
                pages = cursor.execute("PRAGMA page_count").fetchone()[0]
                cursor.execute(f"PRAGMA max_page_count={int(pages)}")
            else:
                cursor.execute("PRAGMA max_page_count=4294967294")
        finally:
            cursor.close()

    def go_away(self) -> None:
        self.mode = self.wanted

    def come_back(self) -> None:
        self.mode = None


class Away:
    """``app`` is the database the application uses; :meth:`go_away` and :meth:`come_back`."""

    def __init__(self, app: Database, owner: Database, proxy: TcpProxy | None, fault: SqliteFault | None):
        self.app, self.owner, self.proxy, self.fault = app, owner, proxy, fault
        self.silent = False

    @property
    def dialect(self) -> str:
        return self.app.dialect

    def go_away(self) -> None:
        if self.proxy is not None:
            if self.silent:
                self.proxy.go_silent()
            else:
                self.proxy.refuse()
        else:
            assert self.fault is not None
            self.fault.go_away()

    def come_back(self) -> None:
        if self.proxy is not None:
            if self.silent:
                self.proxy.resume()
            else:
                self.proxy.accept_again()
        else:
            assert self.fault is not None
            self.fault.come_back()


@contextmanager
def away_database(
    db: Database, request: pytest.FixtureRequest, mode: SqliteMode = "read-only"
) -> Iterator[Away]:
    """For the ``db`` fixture's database: the same database as the application sees it, able to
    go away. ``db`` itself stays reachable (the test's own look at what was stored)."""
    if db.is_sqlite:
        yield Away(db, db, None, SqliteFault(db, mode))
        return
    schema: str = request.getfixturevalue("_pg_schema")
    url = make_url(PG_URL)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        app = create_database(url.set(host="127.0.0.1", port=proxy.port), schema=schema, timeouts=SHORT)
        try:
            yield Away(app, db, proxy, None)
        finally:
            proxy.resume()
            app.dispose()
