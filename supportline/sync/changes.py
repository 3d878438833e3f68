"""The change feed: another workstation's saves, as they happen (issue 13, item 4).

PostgreSQL: ``save_call`` sends ``NOTIFY`` with the call's id in its own transaction (so it is
delivered at commit, and only if the save commits), on a channel named for the schema; a
:class:`ChangeFeed` LISTENs on a connection of its own, on a thread of its own, and reconnects
with back-off when the connection drops. SQLite (several windows or processes on one machine):
the feed polls ``PRAGMA data_version`` on a connection of its own, which changes whenever another
connection commits; that says *something* changed, not which call.

``on_change`` runs on the feed's thread: the GUI must hand it to its own thread (a queued signal).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session

from supportline.db.engine import Database

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "supportline_calls:"
#: ``on_change(saved)``: each call saved and the version it was saved at (PostgreSQL), or None:
#: "something changed" (SQLite, or after the feed was away).
OnChange = Callable[[dict[uuid.UUID, int] | None], None]


def announce_call_saved(session: Session, db: Database, call_id: uuid.UUID, version: int) -> None:
    """Inside the saving transaction: tell the other workstations at commit (PostgreSQL only;
    SQLite's feed sees the commit itself)."""
    if db.is_sqlite:
        return
    session.execute(
        text("SELECT pg_notify(:prefix || current_schema(), :id)"),
        {"prefix": CHANNEL_PREFIX, "id": f"{call_id} {version}"},
    )


def announcement_sql(call_id: uuid.UUID, version: int) -> str:
    """PostgreSQL: :func:`announce_call_saved` as literal SQL (a UUID and an integer), to be sent
    in one round trip with other statements of the saving transaction."""
    payload = f"{uuid.UUID(str(call_id))} {int(version)}"
    return f"SELECT pg_notify('{CHANNEL_PREFIX}' || current_schema(), '{payload}')"


class ChangeFeed:
    """Calls ``on_change`` when calls are saved by any session on ``db``'s database."""

    def __init__(
        self, db: Database, on_change: OnChange, *, poll_s: float = 0.25, max_backoff_s: float = 5.0
    ) -> None:
        self._db = db
        self._on_change = on_change
        self._poll_s = poll_s
        self._max_backoff_s = max_backoff_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: Set while the feed is connected and listening (tests and the status bar wait on it).
        self.listening = threading.Event()
        self.reconnects = 0

    def start(self) -> None:
        if self._thread is None:
            target = self._poll_sqlite if self._db.is_sqlite else self._listen_postgresql
            self._thread = threading.Thread(target=target, name="supportline-change-feed", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _deliver(self, saved: dict[uuid.UUID, int] | None) -> None:
        try:
            self._on_change(saved)
        except Exception:  # a bad handler must not end the feed
            log.exception("change feed handler failed")

    # --- SQLite ---------------------------------------------------------------------------------------

    def _poll_sqlite(self) -> None:
        path = self._db.url.database
        if not path or path == ":memory:":
            return
        backoff = self._poll_s
        while not self._stop.is_set():
            try:
                conn = sqlite3.connect(path, timeout=1, isolation_level=None)
            except sqlite3.Error:
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
                continue
            try:
                last = conn.execute("PRAGMA data_version").fetchone()[0]
                self.listening.set()
                while not self._stop.wait(self._poll_s):
                    now = conn.execute("PRAGMA data_version").fetchone()[0]
                    if now != last:
                        last = now
                        self._deliver(None)
            except sqlite3.Error:
                self.listening.clear()
                self.reconnects += 1
            finally:
                conn.close()

    # --- PostgreSQL -------------------------------------------------------------------------------------

    def _listen_postgresql(self) -> None:
        backoff = 0.2
        while not self._stop.is_set():
            raw = None
            try:
                proxied = self._db.engine.raw_connection()
                raw = proxied.driver_connection
                assert raw is not None
                proxied.detach()  # the feed's own: never back into the pool
                raw.autocommit = True
                schema = raw.execute("SELECT current_schema()").fetchone()[0]
                channel = raw.execute("SELECT quote_ident(%s)", (CHANNEL_PREFIX + schema,)).fetchone()[0]
                raw.execute(f"LISTEN {channel}")
                self.listening.set()
                backoff = 0.2
                while not self._stop.is_set():
                    saved: dict[uuid.UUID, int] = {}
                    for notify in raw.notifies(timeout=self._poll_s):
                        with contextlib.suppress(ValueError):
                            call_id, _, version = notify.payload.partition(" ")
                            key = uuid.UUID(call_id)
                            saved[key] = max(saved.get(key, 0), int(version or 0))
                    if saved:
                        self._deliver(saved)
            except Exception as exc:
                if self._stop.is_set():
                    break
                self.listening.clear()
                self.reconnects += 1
                log.info(
                    "change feed lost its connection (%s); reconnecting in %.1f s",
                    type(exc).__name__,
                    backoff,
                )
                # Saves made while the feed was away are not announced again: say "something changed".
                self._deliver(None)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
            finally:
                if raw is not None:
                    with contextlib.suppress(Exception):
                        raw.close()
        self.listening.clear()
