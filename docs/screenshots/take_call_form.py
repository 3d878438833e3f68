"""Take the call form's screenshots (issue 11) at 1366×768, driving the real form by keyboard.

A repeat caller (Ctrl+R fills the caller, Ctrl+K links the case), a potential victim with an age,
the advice routes with their suggestions, and the victim route's guidance worked through and
closed. Runs on a throw-away database with the shipped guidance; every name is invented::

    QT_QPA_PLATFORM=offscreen python docs/screenshots/take_call_form.py docs/screenshots

(or under ``xvfb-run -a -s "-screen 0 1366x768x24"`` with ``QT_QPA_PLATFORM=xcb``).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import bench_keystrokes as bk  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QTabWidget, QWidget  # noqa: E402

from supportline.db import create_database  # noqa: E402
from supportline.db.migrate import upgrade  # noqa: E402
from supportline.enums import Route  # noqa: E402
from supportline.guidance.loader import GuidanceLibrary  # noqa: E402
from supportline.resources import resource_path  # noqa: E402
from supportline.services import accounts  # noqa: E402
from ui import style  # noqa: E402
from ui.tasks import TaskRunner  # noqa: E402
from ui.views.call_form import CallForm  # noqa: E402

Key = Qt.Key


def main(out: str) -> None:
    app = QApplication.instance() or QApplication(["supportline"])
    style.apply(app)  # type: ignore[arg-type]
    folder = tempfile.mkdtemp()
    db = create_database(f"sqlite:///{folder}/shots.db")
    upgrade(db)
    actor = accounts.actor_for(accounts.create_first_admin(db, "demo.admin", "Demo Admin", bk.PASSWORD))
    runner = TaskRunner()
    bk._earlier_call(db, actor)  # the officer rang before
    tabs = QTabWidget()
    tabs.setDocumentMode(True)
    form = CallForm(db, actor, runner, db.zone, library=GuidanceLibrary(resource_path("guidance")))
    tabs.addTab(form, form.title())
    tabs.resize(1366, 768)
    tabs.show()
    QTest.qWaitForWindowExposed(tabs)
    tabs.activateWindow()
    form.caller.name.setFocus()
    kb = bk.Keyboard(bk.Count("shots"))

    def shot(name: str, widget: QWidget | None = None) -> None:
        QTest.qWait(400)
        runner.wait_until_idle()
        QApplication.processEvents()
        path = Path(out) / f"{name}.png"
        (widget or tabs).grab().save(str(path))
        print("saved", path)

    # The repeat caller: the collar number, Ctrl+R, Ctrl+K, the narrative.
    kb.press(Key.Key_L, bk.ALT)
    kb.type(bk.COLLAR)
    bk.wait_until(lambda: len(form.earlier.summaries()) == 1)
    kb.press(Key.Key_R, bk.CTRL)
    bk.wait_until(lambda: form.caller.email.text() == bk.EMAIL)
    kb.press(Key.Key_K, bk.CTRL)
    kb.press(Key.Key_T, bk.ALT)
    kb.type(bk.NARRATIVE)
    form.scroll_area.verticalScrollBar().setValue(0)
    shot("call-form")

    # A potential victim aged 15 (the age group follows), from Vietnam.
    kb.press(Key.Key_D, bk.ALT)  # A&dd a potential victim: the focus to the button
    kb.press(Key.Key_Space)  # adds one; the focus in its age group
    kb.press(Key.Key_Tab)
    kb.type("15")
    kb.press(Key.Key_Tab)
    kb.type("M")
    kb.press(Key.Key_Tab)
    kb.type("The younger brother")
    kb.press(Key.Key_Tab)
    kb.press(Key.Key_Tab)
    kb.type("viet")
    kb.press(Key.Key_Return)
    kb.press(Key.Key_Tab)  # "Vietnam, " is tidied to "Vietnam"
    shot("call-form-person")

    # The routes with their suggestions, the victim route chosen, its guidance worked through.
    kb.press(Key.Key_I, bk.ALT)
    kb.press(Key.Key_Tab)
    kb.press(Key.Key_Tab)
    kb.press(Key.Key_Space)
    bk.wait_until(lambda: Route.VICTIM in form.panes and bool(form.panes[Route.VICTIM].rows))
    form.bring_into_view(form.advice.routes.boxes[Route.VICTIM])
    shot("call-form-routes")
    pane = form.panes[Route.VICTIM]
    kb.press(Key.Key_F6)
    while pane.missing_items():
        kb.press(Key.Key_Space)
        if pane.missing_items():
            kb.press(Key.Key_F6)
    kb.press(Key.Key_F6)
    kb.type(bk.ADVICE)
    shot("guidance-pane")
    kb.tab_to(pane.close_button)
    kb.press(Key.Key_Space)
    form.bring_into_view(pane.close_button)
    shot("guidance-pane-closed")

    form.discard_draft()
    runner.wait_until_idle()
    tabs.close()
    db.dispose()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).parent))
