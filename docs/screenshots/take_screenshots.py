"""Take the README's screenshots from the real window.

Run under Xvfb at the size the layout is designed for, on a demo database::

    export SUPPORTLINE_HOME=$(mktemp -d)
    supportline db upgrade
    echo "a demo password here" | supportline demo --calls 300 --seed 11 --password-stdin
    xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb \\
        python docs/screenshots/take_screenshots.py docs/screenshots "a demo password here"

With ``QT_SCALE_FACTOR=2`` on a 2732x1536 screen and a suffix (third argument, e.g. ``@2x``) the
same screens come out twice the size: the check that the window scales on a 4K display.
It edits one demo call (so the detail pane has a history) and leaves no drafts behind.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QRect
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from supportline.bootstrap import load_environment, open_database
from supportline.db import Database
from supportline.enums import Urgency
from supportline.services import accounts, calls, drafts
from supportline.services.actor import Actor
from ui import style
from ui.main_window import MainWindow
from ui.tasks import TaskRunner
from ui.views.drafts_dialog import DraftsDialog
from ui.views.filter_bar import select_value


class Session:
    """The set-up every screenshot script shares: the application, the configured database (see
    the module's docstring), a task runner, and ways to wait for the window and grab the screen.
    ``take_outage_screenshot.py`` uses it too."""

    def __init__(self, out: str, suffix: str = "") -> None:
        self.out, self.suffix = out, suffix
        self.app = QApplication.instance() or QApplication(["supportline"])
        style.apply(self.app)
        self.env = load_environment()
        self.tasks = TaskRunner()
        self.window: QWidget | None = None

    def open_database(self) -> Database:
        return open_database(self.env)

    def pump(self, seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents()
            self.tasks.wait_until_idle(20)
            time.sleep(0.01)

    def wait(self, condition: Callable[[], bool], seconds: float = 20) -> None:
        end = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > end:
                raise SystemExit("the window did not get there in time")
            self.pump(0.05)

    def main_window(self, db: Database, actor: Actor) -> MainWindow:
        """The main window on the whole screen, its list loaded."""
        window = MainWindow(self.env, db, actor, tasks=self.tasks)
        window.setGeometry(window.screen().availableGeometry())
        window.show()
        window.activateWindow()
        self.window = window
        self.wait(lambda: window.model.loaded_once)
        return window

    def shot(self, name: str, area: QRect | None = None) -> None:
        self.pump(0.6)
        assert self.window is not None
        screen = self.window.screen()
        g = area or screen.geometry()
        path = f"{self.out}/{name}{self.suffix}.png"
        screen.grabWindow(0, g.x(), g.y(), g.width(), g.height()).save(path)
        print("saved", path)


def main(out: str, password: str, suffix: str = "") -> None:
    session = Session(out, suffix)
    app, tasks, pump, wait, shot = session.app, session.tasks, session.pump, session.wait, session.shot
    db = session.open_database()
    actor = accounts.authenticate(db, "demo-operator", password)

    first = calls.list_calls(db, actor).rows[0]
    record = calls.get_call(db, actor, first.id, audit_view=False)
    if record.data.urgency != Urgency.URGENT:  # an edit, so the detail pane shows a history
        changed = dataclasses.replace(record.data, urgency=Urgency.URGENT)
        calls.save_call(db, actor, changed, expected_version=record.version)

    window = session.main_window(db, actor)
    tab = window.calls_tab
    tab.table.setFocus()
    tab.table.selectRow(0)
    wait(lambda: tab.detail.record is not None)
    shot("main-window")
    window.set_theme(style.DARK)
    shot("main-window-dark")
    window.set_theme(style.LIGHT)

    tab.focus_search()
    QTest.keyClicks(tab.filters.search, "car wash")
    select_value(tab.filters.urgency, Urgency.URGENT)
    pump(0.8)
    wait(lambda: not window.model.loading)
    tab.table.selectRow(0)
    wait(lambda: tab.detail.record is not None)
    tab.focus_search()
    tab.filters.search.end(False)
    shot("search")
    tab.filters.clear()
    wait(lambda: not window.model.loading)

    tab.table.setFocus()
    tab.table.selectRow(1)
    window.open_selected_call()
    wait(lambda: window.current_form() is not None)
    shot("call-form-tab")

    # Two half-typed calls left as drafts, and the dialog the next start shows for them.
    for name in ("DC Priya Hallam", "Tomasz Wierzbicki"):
        form = window.new_call()
        pump(0.3)
        focused = app.focusWidget()
        assert focused is not None
        QTest.keyClicks(focused, name)
        form.flush_draft()
        pump(0.5)
    found = drafts.list_drafts(db, actor)
    for form in window.forms():
        window.tabs.removeTab(window.tabs.indexOf(form))
        form.deleteLater()
    dialog = DraftsDialog(found, db.zone, parent=window)
    dialog.show()
    shot("drafts", dialog.frameGeometry())
    dialog.close()
    for draft in found:
        drafts.discard_draft(db, actor, draft.id)
    tasks.wait_until_idle()
    window.layout_store.clear()  # a screenshot run leaves no layout behind


if __name__ == "__main__":
    main(*sys.argv[1:4])
