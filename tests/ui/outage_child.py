"""The first run of the outage crash tests: a real application process, killed with SIGKILL.

``python -m tests.ui.outage_child MODE`` with ``SL_CHILD_URL`` (and ``SL_CHILD_SCHEMA`` on
PostgreSQL) naming the database and ``SL_CHILD_PASSWORD`` the administrator's password. It opens
the main window for ``ada.admin``, prints ``SIGNED_IN``, and waits for a line on its standard
input: by then the parent has made the shared database unreachable (its proxy gone silent); on
SQLite this process makes its own database file read-only (``tests/db/faults.py``). Then:

- ``draft``: Ctrl+N, the officer's name and rank typed; waits until the autosave has kept the
  draft on this computer; prints ``READY <form title>``.
- ``journal``: three calls typed and saved with Ctrl+S, each going to the journal (printed as
  ``JOURNALED <call id> <provisional reference>``), then a fourth typed and not saved; waits until
  the fourth's draft is kept on this computer and the three forms' drafts are discarded there;
  prints ``READY <title of the fourth>``.

Then it runs until it is killed: nothing is flushed or closed on purpose.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from supportline.bootstrap import load_environment
from supportline.db import create_database
from supportline.enums import AgencyType
from supportline.services import accounts
from tests.db.faults import SHORT, SqliteFault
from ui import style
from ui.main_window import MainWindow
from ui.tasks import TaskRunner

NAME = "DS Morwenna Tregarthen"
RANK = "Detective Sergeant"
ROOT = Path(__file__).resolve().parents[2]


class Child:
    """The parent's side: start the child, read its lines, tell it to go on, kill it."""

    def __init__(self, mode: str, url: str, password: str, schema: str = "") -> None:
        environ = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "PYTHONPATH": str(ROOT),
            "SL_CHILD_URL": url,
            "SL_CHILD_SCHEMA": schema,
            "SL_CHILD_PASSWORD": password,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.ui.outage_child", mode],
            cwd=ROOT,
            env=environ,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []

    def read_until(self, prefix: str, seconds: float = 120) -> str:
        """The child's lines up to the one starting with ``prefix`` (kept in :attr:`lines`)."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line.strip())
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
            if line.startswith(("TIMEOUT", "NOT JOURNALED")):
                break
        self.process.kill()
        _out, err = self.process.communicate(timeout=30)
        raise AssertionError(f"the child never printed {prefix}: {self.lines}\n{err[-4000:]}")

    def go_on(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def kill(self) -> int:
        os.kill(self.process.pid, signal.SIGKILL)
        code = self.process.wait(timeout=30)
        self.process.communicate(timeout=30)
        return code


def main(mode: str) -> int:
    app = QApplication(["supportline"])
    style.apply(app)
    env = load_environment()
    url = os.environ["SL_CHILD_URL"]
    db = create_database(url, schema=os.environ.get("SL_CHILD_SCHEMA") or None, timeouts=SHORT)
    fault = SqliteFault(db) if db.is_sqlite else None
    actor = accounts.authenticate(db, "ada.admin", os.environ["SL_CHILD_PASSWORD"])
    tasks = TaskRunner()
    window = MainWindow(env, db, actor, tasks=tasks)
    window.resize(1366, 768)
    window.show()
    window.activateWindow()

    def wait(condition: Callable[[], bool], seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                print("TIMEOUT", flush=True)
                sys.exit(3)
            app.processEvents()
            time.sleep(0.01)

    wait(lambda: window.model.loaded_once)
    print("SIGNED_IN", flush=True)
    sys.stdin.readline()
    if fault is not None:
        fault.go_away()

    def new_form() -> object:
        before = set(window.forms())
        QTest.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
        wait(lambda: len(set(window.forms()) - before) == 1)
        [form] = set(window.forms()) - before
        wait(lambda: QApplication.focusWidget() is not None and form.isAncestorOf(QApplication.focusWidget()))
        return form

    if mode == "journal":
        for n in range(3):
            form = new_form()
            QTest.keyClicks(QApplication.focusWidget(), f"PC Caller {n}")  # the officer's name
            form.caller.agency.set_value(AgencyType.POLICE)  # type: ignore[attr-defined]
            form.call.summary.setFocus()  # type: ignore[attr-defined]
            QTest.keyClicks(form.call.summary, f"Journaled call {n}")  # type: ignore[attr-defined]
            failed: list[str] = []
            form.save_failed.connect(failed.append)  # type: ignore[attr-defined]
            QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
            wait(lambda failed=failed: bool(failed))  # type: ignore[misc]
            words = failed[0].split()
            provisional = next((w.rstrip(".,") for w in words if w.startswith("PENDING-")), "")
            if not provisional:
                print("NOT JOURNALED", failed[0], flush=True)
                return 4
            print("JOURNALED", form.call_id(), provisional, flush=True)  # type: ignore[attr-defined]

    form = new_form()
    QTest.keyClicks(QApplication.focusWidget(), NAME)
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    QTest.keyClicks(QApplication.focusWidget(), RANK)
    local = window.local_drafts
    tombstones = 3 if mode == "journal" else 0

    def kept() -> bool:
        if form.draft_kept != "computer":  # type: ignore[attr-defined]
            return False
        rows = local._rows(actor)  # what the file holds now
        return (
            len([r for r in rows if r[3] is not None]) == 1
            and len([r for r in rows if r[3] is None]) == tombstones
        )

    wait(kept)
    print("READY", form.title(), flush=True)  # type: ignore[attr-defined]
    return app.exec()  # until killed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
