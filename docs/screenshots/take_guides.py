"""Take the role guides' screenshots (docs/guide-*.md, issue 16 item 4) from real windows.

Each role's main task, end to end, on the demo database: the operator takes a call (a repeat
of nothing: a first-time caller, a child at the scene, the victim route suggested, the guidance
read), the duty adviser opens it and works through the guidance, the supervisor looks at the
figures and exports them, the administrator adds an account and reviews retention; then the
first-run setup's pages and training mode. Run under Xvfb at the size the layout is designed
for, as ``take_screenshots.py``::

    export SUPPORTLINE_HOME=$(mktemp -d)
    supportline db upgrade
    echo "a demo password here" | supportline demo --calls 300 --seed 11 --password-stdin
    xvfb-run -a -s "-screen 0 1366x768x24" env QT_QPA_PLATFORM=xcb \\
        python docs/screenshots/take_guides.py docs/screenshots "a demo password here"

A third argument (e.g. ``@2x``, with ``QT_SCALE_FACTOR=2`` on a 2732x1536 screen) is put after
each file name; a fourth (``high-contrast``, ``dark``) is the theme. Every name, number and
place typed is invented.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from supportline.bootstrap import load_environment, open_database
from supportline.enums import Route
from supportline.services import accounts
from supportline.training import TRAINING_PASSWORD, create_training_database, open_training_database
from ui import style, training_mode
from ui.main_window import MainWindow, QuitChoice
from ui.tasks import TaskRunner
from ui.views.call_form import CallForm
from ui.views.login import LoginDialog
from ui.views.setup_wizard import SetupWizard

Key = Qt.Key
ALT = Qt.KeyboardModifier.AltModifier
CTRL = Qt.KeyboardModifier.ControlModifier


class Shots:
    def __init__(self, app: QApplication, tasks: TaskRunner, out: str, suffix: str) -> None:
        self.app, self.tasks, self.out, self.suffix = app, tasks, Path(out), suffix

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

    def shot(self, name: str, widget: QWidget) -> None:
        self.pump(0.6)
        path = self.out / f"{name}{self.suffix}.png"
        widget.window().grab().save(str(path))
        print("saved", path)


def focused() -> QWidget:
    widget = QApplication.activePopupWidget() or QApplication.focusWidget()
    assert widget is not None, "nothing has the focus"
    return widget


def press(key: Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(focused(), key, modifiers)
    QApplication.processEvents()


def type_text(text: str) -> None:
    for char in text:
        QTest.keyClicks(focused(), char)
        QApplication.processEvents()


def window_for(shots: Shots, env: object, db: object, username: str, password: str) -> MainWindow:
    actor = accounts.authenticate(db, username, password)  # type: ignore[arg-type]
    window = MainWindow(env, db, actor, tasks=shots.tasks)  # type: ignore[arg-type]
    window.setGeometry(window.screen().availableGeometry())
    window.show()
    window.activateWindow()
    shots.wait(lambda: window.model.loaded_once)
    return window


def close(window: MainWindow) -> None:
    window.ask_quit = lambda count: QuitChoice.DISCARD  # type: ignore[method-assign]
    window.layout_store.clear()  # a screenshot run leaves no layout behind
    window.close()


def operator_takes_a_call(shots: Shots, window: MainWindow) -> CallForm:
    shots.shot("guide-operator-list", window)
    window.calls_tab.table.setFocus()
    press(Key.Key_N, CTRL)
    form = window.current_form()
    assert isinstance(form, CallForm)
    shots.wait(lambda: focused() is form.caller.name)
    type_text("DS Imogen Carrow")
    press(Key.Key_R, ALT)
    type_text("Lincolnsh")
    press(Key.Key_Return)
    press(Key.Key_B, ALT)
    type_text("07700 900318")
    press(Key.Key_L, ALT)
    type_text("5120")
    press(Key.Key_Y, ALT)
    type_text("Girl of 15 found at a nail bar, says she works for her 'uncle'")
    press(Key.Key_U, ALT)
    type_text("u")
    press(Key.Key_T, ALT)
    type_text("DS Carrow is with the girl at the station. She was found working at a nail bar at night.")
    form.scroll_area.verticalScrollBar().setValue(0)
    shots.shot("guide-operator-call", window)
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
    shots.pump(0.6)  # the suggestions, with their reasons
    press(Key.Key_Space)
    shots.wait(lambda: Route.VICTIM in form.panes and bool(form.panes[Route.VICTIM].rows))
    form.scroll_area.verticalScrollBar().setValue(form.advice.y())  # the routes at the top
    shots.shot("guide-operator-routes", window)
    press(Key.Key_F6)
    form.bring_into_view(form.panes[Route.VICTIM])
    shots.shot("guide-operator-guidance", window)
    press(Key.Key_S, CTRL)
    shots.wait(lambda: form.record() is not None and not form.has_unsaved_changes())
    shots.shot("guide-operator-saved", window)
    return form


def adviser_gives_advice(shots: Shots, window: MainWindow, reference: str) -> None:
    tab = window.calls_tab
    tab.focus_search()
    type_text(reference)
    shots.wait(lambda: not window.model.loading and window.model.rowCount() == 1)
    tab.table.setFocus()
    tab.table.selectRow(0)
    shots.wait(lambda: tab.detail.record is not None)
    shots.shot("guide-adviser-list", window)
    press(Key.Key_Return)
    shots.wait(lambda: window.current_form() is not None)
    form = window.current_form()
    assert isinstance(form, CallForm)
    shots.wait(lambda: Route.VICTIM in form.panes and bool(form.panes[Route.VICTIM].rows))
    pane = form.panes[Route.VICTIM]
    shots.wait(lambda: focused() is not None)
    press(Key.Key_F6)
    while pane.missing_items():
        press(Key.Key_Space)
        if pane.missing_items():
            press(Key.Key_F6)
    press(Key.Key_F6)  # on to the advice given
    type_text("Police protection in place; children's services and an NRM referral made by DS Carrow.")
    form.bring_into_view(pane.close_button)
    shots.shot("guide-adviser-guidance", window)
    pane.close_button.setFocus()
    press(Key.Key_Space)
    press(Key.Key_S, CTRL)
    shots.wait(lambda: not form.has_unsaved_changes())
    form.bring_into_view(pane.close_button)
    shots.shot("guide-adviser-closed", window)


def supervisor_reports(shots: Shots, window: MainWindow) -> None:
    stats = window.show_statistics()
    assert stats is not None
    stats.resize(window.size())
    shots.pump(2)
    shots.shot("guide-supervisor-statistics", stats)
    stats.close()
    dialog = window.show_export_dialog()
    assert dialog is not None
    dialog.format.setCurrentIndex(dialog.format.findText("PDF report"))
    dialog.profile.setCurrentIndex(
        next(i for i in range(dialog.profile.count()) if dialog.profile.itemText(i).startswith("Figures"))
    )
    dialog.purpose.setText("Monthly figures for the regional anti-slavery partnership")
    dialog.path.setText("/home/supervisor/Documents/line-figures-november.pdf")
    shots.pump(1)
    shots.shot("guide-supervisor-export", dialog)
    dialog.reject()
    viewer = window.show_audit_viewer()
    assert viewer is not None
    viewer.resize(window.size())
    shots.pump(1.5)
    shots.shot("guide-supervisor-audit", viewer)
    viewer.close()


def administrator_manages(shots: Shots, window: MainWindow) -> None:
    found = window.show_accounts()
    assert found is not None
    shots.pump(1)
    shots.shot("guide-admin-accounts", found)
    found.close()
    review = window.show_retention()
    assert review is not None
    review.as_of.setDate(QDate.currentDate().addYears(7))  # the demo's calls, due by then
    review.refresh()
    shots.pump(1.5)
    shots.shot("guide-admin-retention", review)
    review.close()
    window.show_help()
    assert window.help_window is not None
    shots.shot("help", window.help_window)
    window.help_window.close()


def setup_pages(shots: Shots, env: object) -> None:
    wizard = SetupWizard(env, shots.tasks)  # type: ignore[arg-type]
    wizard.show()
    shots.shot("guide-setup-database", wizard)
    wizard.database_page.shared.setChecked(True)
    wizard.next()
    fields = wizard.shared_page.fields
    fields.host.setText("db.line.example.org")
    fields.user.setText("sl_app")
    fields.sslmode.setCurrentText("verify-full")
    shots.shot("guide-setup-shared", wizard)
    wizard.back()
    wizard.database_page.local.setChecked(True)
    wizard.next()
    page = wizard.admin_page
    page.username.setText("j.okafor")
    page.display_name.setText("Jo Okafor")
    shots.shot("guide-setup-admin", wizard)
    page.password.setText("a fictitious first password")
    page.confirm.setText("a fictitious first password")
    wizard.next()
    wizard.training_page.create_training.setChecked(True)
    shots.shot("guide-setup-training", wizard)
    wizard.reject()


def training(shots: Shots, env: object) -> None:
    app = shots.app
    create_training_database(env, calls=150)  # type: ignore[arg-type]
    db = open_training_database(env)  # type: ignore[arg-type]
    training_mode.install(app)
    window = window_for(shots, env, db, "demo-operator", TRAINING_PASSWORD)
    window.scenario_actions[0].trigger()
    panel = window.training_panel
    assert panel is not None
    window.calls_tab.table.setFocus()
    press(Key.Key_N, CTRL)
    shots.wait(lambda: panel.index >= 1)
    type_text("DC Rowan Ashdown")
    press(Key.Key_R, ALT)
    type_text("Northumb")
    press(Key.Key_Return)
    shots.wait(lambda: panel.index >= 3)
    shots.shot("guide-training", window)
    for form in window.forms():
        form.discard_draft()
    close(window)
    training_mode.uninstall(app)
    db.dispose()


def main(out: str, password: str, suffix: str = "", theme: str = style.LIGHT) -> None:
    app = QApplication(["supportline"])
    style.apply(app, theme)
    env = load_environment()
    db = open_database(env)
    tasks = TaskRunner()
    shots = Shots(app, tasks, out, suffix)

    sign_in = LoginDialog(tasks=tasks, notice=env.settings.system_use_notice, username="demo-operator")
    sign_in.show()
    shots.shot("guide-sign-in", sign_in)
    sign_in.close()

    window = window_for(shots, env, db, "demo-operator", password)
    window.set_theme(theme)
    form = operator_takes_a_call(shots, window)
    reference = form.record().reference  # type: ignore[union-attr]
    close(window)
    window = window_for(shots, env, db, "demo-adviser", password)
    window.set_theme(theme)
    adviser_gives_advice(shots, window, reference)
    close(window)
    window = window_for(shots, env, db, "demo-supervisor", password)
    window.set_theme(theme)
    supervisor_reports(shots, window)
    close(window)
    window = window_for(shots, env, db, "demo-admin", password)
    window.set_theme(theme)
    administrator_manages(shots, window)
    close(window)
    setup_pages(shots, env)
    training(shots, env)
    tasks.wait_until_idle()
    db.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:5])
