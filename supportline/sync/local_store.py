"""The workstation's own file for what the shared database did not take (issue 13).

``journal.db`` in the data folder holds the call journal (``supportline.sync.journal``) and the
drafts kept on this computer (``supportline.sync.local_drafts``), each in a table of its own.
Every connection is ``journal_mode=WAL`` with ``synchronous=FULL``: a write has reached the disk
when it returns, so it survives quitting, a crash and a power cut. The file holds call data, so
it is created mode 0600 in a 0700 folder like the database itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from supportline.private_files import private_sqlite_file

#: The file's name in the data folder.
LOCAL_FILE = "journal.db"
#: Training mode's own (``supportline.training``): a practised call's draft never goes into the
#: live one, where it would wait beside the live line's drafts and journaled saves.
TRAINING_LOCAL_FILE = "training-journal.db"


def local_file(data_dir: Path, *, training: bool = False) -> Path:
    """This computer's own file for a database: the live one's, or training mode's."""
    return data_dir / (TRAINING_LOCAL_FILE if training else LOCAL_FILE)


class LocalStoreError(OSError):
    """This computer's own file cannot be written or read; the message says why, in words."""


def explain(exc: BaseException) -> str:
    """A failure of the local file in words a person can act on."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    lowered = text.lower()
    if "disk is full" in lowered or "no space" in lowered:
        return "the disk of this computer's data folder is full"
    if "readonly" in lowered or "read-only" in lowered or "permission denied" in lowered:
        return "this computer's data folder cannot be written (read-only)"
    return f"this computer's data folder cannot be used ({text})"


@contextmanager
def connect(path: Path, schema: str) -> Iterator[sqlite3.Connection]:
    """An autocommit connection to ``path`` with ``schema`` (``CREATE … IF NOT EXISTS``) in place.
    Failures of the file raise :class:`LocalStoreError`."""
    try:
        if not path.exists():
            private_sqlite_file(path)
        conn = sqlite3.connect(path, timeout=5, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise LocalStoreError(explain(exc)) from exc
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.executescript(schema)
        yield conn
    except sqlite3.Error as exc:
        raise LocalStoreError(explain(exc)) from exc
    finally:
        conn.close()
