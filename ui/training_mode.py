"""Training mode in the GUI (issue 16, item 3): nobody can mistake it for the live line.

``supportline --training`` opens the training database (``supportline.training``: its own marked
file, the live and shared databases refused) and, for as long as it runs:

- every window's title says TRAINING (the main window's is "Supportline — TRAINING – name"),
  and every window shows a rose TRAINING band at its top (:class:`TrainingMarker`, on the whole
  application, so dialogs opened later are marked too);
- the main window has the band above its toolbar, kept while the screen is locked;
- Help ▸ Scripted training call opens the step-by-step panel (``views/training_panel.py``), and
  Help ▸ Reset training database… starts training again on a fresh training file.

A live window has Help ▸ Training mode… instead: it starts a separate training process (its
own database, its own windows), so nothing of the live session is shared with it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QProcess, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QBoxLayout,
    QFormLayout,
    QGridLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QToolBar,
    QWidget,
)

if TYPE_CHECKING:
    from ui.main_window import MainWindow
    from ui.views.training_panel import TrainingPanel

TRAINING_FLAG = "--training"
RESET_FLAG = "--reset-training"
FLAGS = (TRAINING_FLAG, RESET_FLAG)
#: Who signs in to training first: an operator (the accounts of every role are there).
FIRST_ACCOUNT = "demo-operator"
_MARKED = "supportlineTrainingBanner"


def sign_in_notice() -> str:
    # Imported here (and below): the first screen of a live start loads no service module.
    from supportline.training import TRAINING_PASSWORD

    return QApplication.translate(
        "training",
        "TRAINING: this is the training database, with fictitious calls only; nothing you do here "
        "reaches the live line. Sign in as demo-operator, demo-adviser, demo-supervisor or "
        "demo-admin; the password of each is %s.",
    ) % (TRAINING_PASSWORD,)


def training_title(title: str) -> str:
    """``title`` saying TRAINING ("Supportline – Ada" → "Supportline — TRAINING – Ada")."""
    if "TRAINING" in title:
        return title
    if "Supportline" in title:
        return title.replace("Supportline", "Supportline — TRAINING", 1)
    return f"{title} — TRAINING" if title else "Supportline — TRAINING"


def banner() -> QLabel:
    from supportline.training import TRAINING_BANNER

    label = QLabel(QApplication.translate("training", TRAINING_BANNER))
    label.setObjectName("trainingBanner")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setAccessibleName(QApplication.translate("training", "Training mode"))
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return label


def has_banner(window: QWidget) -> bool:
    return bool(window.property(_MARKED))


def mark(window: QWidget) -> None:
    """The window's title and a TRAINING band at its top (once)."""
    if window.windowType() not in (Qt.WindowType.Window, Qt.WindowType.Dialog, Qt.WindowType.Sheet):
        return  # menus, tooltips and a combo box's list are not windows a person reads as such
    title = window.windowTitle()
    if training_title(title) != title:
        window.setWindowTitle(training_title(title))
    if isinstance(window, QMainWindow):
        _band(window)
        # A window state restored before the window was shown is applied as it shows, after this
        # event: place the band again once it has been.
        QTimer.singleShot(0, window, lambda: _band(window))
        return
    if has_banner(window):
        return
    layout = window.layout()
    label = banner()
    if isinstance(window, QMessageBox) and isinstance(layout, QGridLayout):
        layout.addWidget(label, layout.rowCount(), 0, 1, layout.columnCount())
    elif isinstance(layout, QBoxLayout):
        layout.insertWidget(0, label)
    elif isinstance(layout, QFormLayout):
        layout.insertRow(0, label)
    elif isinstance(layout, QGridLayout):
        layout.addWidget(label, layout.rowCount(), 0, 1, layout.columnCount())
    else:
        label.deleteLater()  # no layout yet (a title set first): the window's Show marks it
        return
    label.show()  # added while the window shows: a child is not shown with it then
    window.setProperty(_MARKED, True)


def _band(window: QMainWindow) -> None:
    """The main window's band: a toolbar row of its own above every other toolbar. Placed again
    each time (a restored window state puts the other toolbars back where they were)."""
    others = [bar for bar in window.findChildren(QToolBar) if bar.objectName() != "trainingBand"]
    bands = [bar for bar in window.findChildren(QToolBar) if bar.objectName() == "trainingBand"]
    if bands:
        band = bands[0]
    else:
        band = QToolBar(QApplication.translate("training", "Training"), window)
        band.setObjectName("trainingBand")
        band.setMovable(False)
        band.setFloatable(False)
        band.toggleViewAction().setEnabled(False)  # it cannot be hidden from the toolbar menu
        band.addWidget(banner())
        window.setProperty(_MARKED, True)
    top = [bar for bar in others if window.toolBarArea(bar) == Qt.ToolBarArea.TopToolBarArea]
    if top:
        first = min(top, key=lambda bar: (bar.y(), bar.x()))
        if window.toolBarBreak(first):
            window.removeToolBarBreak(first)
        window.insertToolBar(first, band)
        window.insertToolBarBreak(first)
    elif window.toolBarArea(band) != Qt.ToolBarArea.TopToolBarArea or not bands:
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, band)
        window.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)  # toolbars added later: the next row
    band.show()


class TrainingMarker(QObject):
    """Marks each window as it is shown or retitled."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() in (QEvent.Type.Show, QEvent.Type.WindowTitleChange)
            and isinstance(watched, QWidget)
            and watched.isWindow()
        ):
            mark(watched)
        return False


_marker: TrainingMarker | None = None


def install(app: QApplication) -> TrainingMarker:
    """Training mode for the whole application (idempotent); windows already open are marked."""
    global _marker
    if _marker is None:
        _marker = TrainingMarker(app)
        app.installEventFilter(_marker)
    for window in app.topLevelWidgets():
        if window.isVisible():
            mark(window)
    return _marker


def uninstall(app: QApplication) -> None:
    """The end of training mode in this process (tests run live windows after training ones)."""
    global _marker
    if _marker is not None:
        app.removeEventFilter(_marker)
        _marker.deleteLater()
        _marker = None


def active() -> bool:
    return _marker is not None


# --- starting training from a live window ---------------------------------------------------------


def training_command(*, reset: bool = False) -> tuple[str, list[str]]:
    """The program and arguments that start training mode the way this process was started."""
    flags = [TRAINING_FLAG, *([RESET_FLAG] if reset else [])]
    if getattr(sys, "frozen", False):  # the PyInstaller bundle: the executable is the program
        return sys.executable, flags
    return sys.executable, ["-m", "ui.launcher", *flags]


def start_detached(program: str, arguments: list[str]) -> bool:
    """Start a separate process (tests replace it)."""
    ok, _pid = QProcess.startDetached(program, arguments)
    return bool(ok)


def attach(window: MainWindow) -> None:
    """The main window's part: in a training window the band and training's own menu entries;
    in a live one, the way into training."""
    if not window.db.training:
        window.training_action = _menu_action(
            window,
            QApplication.translate("training", "&Training mode…"),
            lambda: open_training(window),
            QApplication.translate(
                "training", "Practise on fictitious calls in a separate window (the live line is untouched)"
            ),
        )
        window.help_menu.insertAction(window.about_action, window.training_action)
        return
    app = QApplication.instance()
    if isinstance(app, QApplication):
        install(app)
    mark(window)
    window.reset_training_action = _menu_action(
        window,
        QApplication.translate("training", "Reset &training database…"),
        lambda: reset_training(window),
        QApplication.translate("training", "Start again on a new training database"),
    )
    from supportline.training_script import load_scenarios

    window.scenario_actions = []
    menu = QMenu(QApplication.translate("training", "&Scripted training call"), window.help_menu)
    window.help_menu.insertMenu(window.about_action, menu)
    for scenario in load_scenarios():
        action = menu.addAction(scenario.title)
        action.triggered.connect(lambda _c=False, s=scenario: show_scenario(window, s))
        window.scenario_actions.append(action)
    window.help_menu.insertAction(window.about_action, window.reset_training_action)


def _menu_action(window: MainWindow, text: str, slot: object, tip: str) -> QAction:
    action = QAction(text, window)
    action.setStatusTip(tip)
    action.setToolTip(tip)
    action.triggered.connect(slot)
    window.addAction(action)
    return action


def open_training(window: MainWindow) -> bool:
    program, arguments = training_command()
    started = start_detached(program, arguments)
    if started:
        window.statusBar().showMessage(
            QApplication.translate("training", "Training mode is starting in a window of its own…"), 10_000
        )
    else:
        window.statusBar().showMessage(
            QApplication.translate("training", "Training mode could not be started (%s)") % program, 10_000
        )
    return started


def ask_reset(window: QWidget) -> bool:
    """Confirm a reset (tests replace this)."""
    answer = QMessageBox.question(
        window,
        QApplication.translate("training", "Reset the training database"),
        QApplication.translate(
            "training",
            "Start again on a new training database? The calls practised here are thrown away; "
            "training mode restarts. The live database is not touched.",
        ),
    )
    return answer == QMessageBox.StandardButton.Yes


def reset_training(window: MainWindow) -> bool:
    if not ask_reset(window):
        return False
    program, arguments = training_command(reset=True)
    if not start_detached(program, arguments):
        message = QApplication.translate("training", "Training mode could not restart (%s)") % program
        window.statusBar().showMessage(message, 10_000)
        return False
    for form in window.forms():
        form.discard_draft()  # they go with the old training file
    window.close()
    return True


def show_scenario(window: MainWindow, scenario: object) -> TrainingPanel:
    from supportline.training_script import Scenario
    from ui.views.training_panel import TrainingPanel

    assert isinstance(scenario, Scenario)
    old: TrainingPanel | None = getattr(window, "training_panel", None)
    if old is not None:
        old.stop()
    panel = TrainingPanel(window, scenario)
    window.training_panel = panel
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, panel)
    panel.show()
    panel.start()
    return panel
