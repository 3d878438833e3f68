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
from PySide6.QtWidgets import QApplication

from supportline.bootstrap import load_environment, open_database
from supportline.enums import Urgency
from supportline.services import accounts, calls, drafts
from ui import style
from ui.main_window import MainWindow
from ui.tasks import TaskRunner
from ui.views.drafts_dialog import DraftsDialog
from ui.views.filter_bar import select_value


def main(out: str, password: str, suffix: str = "") -> None:
    app = QApplication(["supportline"])
    style.apply(app)
    env = load_environment()
    db = open_database(env)
    actor = accounts.authenticate(db, "demo-operator", password)
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

    def shot(name: str, area: QRect | None = None) -> None:
        pump(0.6)
        screen = window.screen()
        g = area or screen.geometry()
        screen.grabWindow(0, g.x(), g.y(), g.width(), g.height()).save(f"{out}/{name}{suffix}.png")
        print("saved", f"{out}/{name}{suffix}.png")

    first = calls.list_calls(db, actor).rows[0]
    record = calls.get_call(db, actor, first.id, audit_view=False)
    if record.data.urgency != Urgency.URGENT:  # an edit, so the detail pane shows a history
        changed = dataclasses.replace(record.data, urgency=Urgency.URGENT)
        calls.save_call(db, actor, changed, expected_version=record.version)

    window = MainWindow(env, db, actor, tasks=tasks)
    window.setGeometry(window.screen().availableGeometry())
    window.show()
    window.activateWindow()
    wait(lambda: window.model.loaded_once)
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
