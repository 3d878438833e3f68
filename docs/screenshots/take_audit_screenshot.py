"""Take the audit viewer's screenshot (docs/screenshots/audit-viewer.png) from the real window.

On a demo database, under Xvfb, as ``take_screenshots.py``::

    export SUPPORTLINE_HOME=$(mktemp -d)
    supportline db upgrade
    echo "a demo password here" | supportline demo --calls 300 --seed 11 --password-stdin
    xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb \\
        python docs/screenshots/take_audit_screenshot.py docs/screenshots "a demo password here"

It opens a few demo calls as the demo supervisor and has the demo operator refused the trail,
so that the viewer shows consultations, a refusal and the supervisor's own reading of the trail.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable

from PySide6.QtWidgets import QApplication

from supportline.bootstrap import load_environment, open_database
from supportline.services import accounts, audit, calls
from supportline.services.errors import PermissionDeniedError
from ui import style
from ui.tasks import TaskRunner
from ui.views.audit_viewer import AuditViewer


def main(out: str, password: str, suffix: str = "") -> None:
    app = QApplication(["supportline"])
    style.apply(app)
    env = load_environment()
    db = open_database(env)
    supervisor = accounts.authenticate(db, "demo-supervisor", password)
    operator = accounts.authenticate(db, "demo-operator", password)
    for row in calls.list_calls(db, supervisor).rows[:4]:
        calls.get_call(db, supervisor, row.id)
    with contextlib.suppress(PermissionDeniedError):  # refused, and the refusal is in the trail
        audit.list_events(db, operator)
    tasks = TaskRunner()

    def pump(seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            tasks.wait_until_idle(20)
            time.sleep(0.01)

    def wait(condition: Callable[[], bool], seconds: float = 20) -> None:
        end = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > end:
                raise SystemExit("the window did not get there in time")
            pump(0.05)

    viewer = AuditViewer(db, supervisor, tasks)
    viewer.setGeometry(viewer.screen().availableGeometry())
    viewer.show()
    viewer.activateWindow()
    wait(lambda: viewer.model.rowCount() > 0)
    viewer.table.selectRow(1)
    viewer.table.setFocus()
    pump(0.8)
    screen = viewer.screen()
    g = screen.geometry()
    path = f"{out}/audit-viewer{suffix}.png"
    screen.grabWindow(0, g.x(), g.y(), g.width(), g.height()).save(path)
    print("saved", path)
    viewer.close()
    tasks.wait_until_idle()


if __name__ == "__main__":
    main(*sys.argv[1:4])
