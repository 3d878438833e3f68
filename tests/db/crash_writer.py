"""The writer of the crash-loop test (tests/db/test_crash_loop.py): saves full calls through the
real ``save_call`` on a SQLite file and prints each call's UUID only after its save returned.

    python -m tests.db.crash_writer DATABASE USER_ID

Starting Python and importing the app takes about a second; killing 200 fresh interpreters
would spend most of the test waiting for imports. So this process imports everything once and
then *forks* a writer each time it reads ``go`` on its standard input: each writer is a process of
its own, opens the database itself (nothing is open here when it forks) and is the one the test
kills with SIGKILL. Lines on standard output, each written with one ``os.write`` (so lines of
the parent and of its children never interleave within a line):

    ready                     imports done, waiting for "go"
    child PID                 a writer was forked
    saved UUID VERSION        that save returned (the call is acknowledged at that version)
    exit PID STATUS           the previous writer was reaped (STATUS is os.waitpid's)
"""

from __future__ import annotations

import dataclasses
import os
import sys
import traceback
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import configure_mappers

from supportline.db import create_database
from supportline.enums import Role
from supportline.services import calls
from supportline.services.actor import Actor
from tests.factories import full_call


def _say(line: str) -> None:
    os.write(1, f"{line}\n".encode())


def _write_forever(database: str, actor: Actor) -> None:
    """Save a new call, then an edit of it, again and again, until killed."""
    db = create_database(f"sqlite:///{database}")
    n = 0
    while True:
        n += 1
        data = full_call(datetime(2026, 7, 1, tzinfo=UTC) + timedelta(seconds=n))
        created = calls.save_call(db, actor, data)
        _say(f"saved {data.id} {created.version}")
        if n % 2 == 0:
            edit = dataclasses.replace(created.data, summary=f"edited by writer {os.getpid()}")
            edited = calls.save_call(db, actor, edit, expected_version=created.version)
            _say(f"saved {data.id} {edited.version}")


def main(argv: list[str]) -> int:
    database, user_id = argv
    actor = Actor(uuid.UUID(user_id), "ada.admin", "Ada Admin", Role.ADMIN)
    configure_mappers()  # once here, not in every writer (it is most of a first save's time)
    child: int | None = None
    _say("ready")
    for command in sys.stdin:
        if command.strip() != "go":
            continue
        if child is not None:
            _, status = os.waitpid(child, 0)
            _say(f"exit {child} {status}")
        child = os.fork()
        if child == 0:
            try:
                _write_forever(database, actor)
            except BaseException:  # a writer that fails on its own says why and exits 3
                os.write(2, f"writer {os.getpid()} failed:\n{traceback.format_exc()}".encode())
                os._exit(3)
            os._exit(0)  # pragma: no cover  # the loop ends only when killed
        _say(f"child {child}")
    if child is not None:
        os.kill(child, 9)
        os.waitpid(child, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
