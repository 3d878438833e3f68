"""The display checks of issue 16 (item 6): the main window, a call form and its guidance pane, in
a given theme, at a given scale, from real windows, to look at.

The same set-up as ``take_guides.py`` (a demo database in ``SUPPORTLINE_HOME``); then, e.g.::

    # 1366x768
    xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb \\
        python docs/screenshots/take_display.py docs/screenshots "a demo password here" ""
    # 200 %: the same logical size, every pixel doubled
    xvfb-run -a -s "-screen 0 2732x1536x24" env QT_QPA_PLATFORM=xcb QT_SCALE_FACTOR=2 \\
        python docs/screenshots/take_display.py docs/screenshots "a demo password here" @2x
    # high contrast; large text (the system's font at 14 pt)
    ... take_display.py docs/screenshots "a demo password here" -high-contrast high-contrast
    ... take_display.py docs/screenshots "a demo password here" -large-text light 14

Each file is ``display-<screen><suffix>.png``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication
from take_guides import ALT, CTRL, Key, Shots, close, focused, press, type_text, window_for

from supportline.bootstrap import load_environment, open_database
from supportline.enums import Route
from ui import style
from ui.tasks import TaskRunner
from ui.views.call_form import CallForm


def main(out: str, password: str, suffix: str = "", theme: str = style.LIGHT, font_pt: str = "") -> None:
    app = QApplication(["supportline"])
    if font_pt:  # the system's font size, as a person who chose larger text has it
        font = QFont(app.font())
        font.setPointSizeF(float(font_pt))
        app.setFont(font)
    style.apply(app, theme)
    env = load_environment()
    db = open_database(env)
    tasks = TaskRunner()
    shots = Shots(app, tasks, out, suffix)
    window = window_for(shots, env, db, "demo-adviser", password)
    window.set_theme(theme)
    tab = window.calls_tab
    tab.table.setFocus()
    tab.table.selectRow(0)
    shots.wait(lambda: tab.detail.record is not None)
    shots.shot("display-main-window", window)
    press(Key.Key_N, CTRL)
    form = window.current_form()
    assert isinstance(form, CallForm)
    shots.wait(lambda: focused() is form.caller.name)
    type_text("DS Imogen Carrow")
    press(Key.Key_R, ALT)
    type_text("Lincolnsh")
    press(Key.Key_Return)
    press(Key.Key_Y, ALT)
    type_text("Girl of 15 found at a nail bar")
    press(Key.Key_U, ALT)
    type_text("u")
    press(Key.Key_Tab)
    form.scroll_area.verticalScrollBar().setValue(0)
    shots.shot("display-call-form", window)
    press(Key.Key_D, ALT)
    press(Key.Key_Space)
    shots.wait(lambda: len(form.case.persons.rows) == 1)
    row = form.case.persons.rows[0]
    while focused() is not row.age:
        press(Key.Key_Tab)
    type_text("15")
    press(Key.Key_Tab)
    press(Key.Key_I, ALT)
    while focused() is not form.advice.routes.boxes[Route.VICTIM]:
        press(Key.Key_Tab)
    press(Key.Key_Space)
    shots.wait(lambda: Route.VICTIM in form.panes and bool(form.panes[Route.VICTIM].rows))
    shots.pump(0.6)
    press(Key.Key_F6)
    press(Key.Key_Space)  # one item ticked: a checked box and the focus ring in the picture
    press(Key.Key_Down)
    form.bring_into_view(form.panes[Route.VICTIM])
    shots.shot("display-guidance-pane", window)
    form.discard_draft()
    close(window)
    tasks.wait_until_idle()
    db.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:6])
