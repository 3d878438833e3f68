"""The scripted training call's side panel (issue 16, item 3): the officer's next words, what to
do, and a tick when the call form shows it was done.

The panel follows one call form — the first opened after it started (its first step is "a new
call"; a call already open, or the one of an earlier run, is not the training call) —
and checks the current step against that form's call (``CallForm.call_data``) a few times a
second and after every change: no button to press, the next step appears by itself. Steps are
done in order; a later one that is already true when reached ticks at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from supportline.training_script import CallState, Scenario

if TYPE_CHECKING:
    from ui.main_window import MainWindow
    from ui.views.call_form import CallForm

CHECK_MS = 250


class TrainingPanel(QDockWidget):
    #: A step was done (its number, from 1).
    step_done = Signal(int)
    #: Every step is done.
    finished = Signal()

    def __init__(self, window: MainWindow, scenario: Scenario) -> None:
        super().__init__(self.tr("Training call"), window)
        self.setObjectName("trainingPanel")
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.setAllowedAreas(Qt.DockWidgetArea.RightDockWidgetArea | Qt.DockWidgetArea.LeftDockWidgetArea)
        self._window = window
        self.scenario = scenario
        self.index = 0
        self._form: CallForm | None = None
        self._before: list[CallForm] = []  # forms already open at the start: not the training call
        em = self.fontMetrics().height()

        self.title = QLabel(scenario.title)
        self.title.setObjectName("sectionHeading")
        self.title.setWordWrap(True)
        self.about = QLabel(scenario.about)
        self.about.setObjectName("muted")
        self.about.setWordWrap(True)
        self.progress = QLabel()
        self.progress.setObjectName("muted")
        self.officer = QLabel()
        self.officer.setObjectName("officerSays")
        self.officer.setWordWrap(True)
        self.officer.setAccessibleName(self.tr("The officer says"))
        self.do = QLabel()
        self.do.setObjectName("trainingStep")
        self.do.setWordWrap(True)
        self.do.setAccessibleName(self.tr("What to do"))
        self.hint = QLabel()
        self.hint.setObjectName("muted")
        self.hint.setWordWrap(True)
        self.done_list = QLabel()
        self.done_list.setWordWrap(True)
        self.done_list.setAccessibleName(self.tr("Steps done"))
        self.restart_button = QPushButton(self.tr("Restart"))
        self.restart_button.setAccessibleName(self.tr("Restart the training call"))
        self.restart_button.clicked.connect(self.restart)
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setAccessibleName(self.tr("Stop the training call"))
        self.stop_button.clicked.connect(self.stop)

        body = QWidget()
        body.setMinimumWidth(em * 16)
        body.setMaximumWidth(em * 24)
        column = QVBoxLayout(body)
        column.setContentsMargins(int(em * 0.6), int(em * 0.4), int(em * 0.6), int(em * 0.4))
        column.setSpacing(int(em * 0.5))
        for widget in (self.title, self.about, self.progress, self.officer, self.do, self.hint):
            column.addWidget(widget)
        column.addSpacing(int(em * 0.5))
        column.addWidget(self.done_list)
        column.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.restart_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        self.setWidget(body)

        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_MS)
        self._timer.timeout.connect(self.check)

    # --- the call followed ------------------------------------------------------------------------

    def form(self) -> CallForm | None:
        """The call form the steps are checked on."""
        forms = self._window.forms()
        if self._form is not None and (not shiboken6.isValid(self._form) or self._form not in forms):
            self._form = None  # its tab was closed: the next call on show is followed
        if self._form is None:
            current = self._window.current_form()
            if current is not None and not any(current is form for form in self._before):
                self._form = current
                current.saved.connect(lambda _record: self.check())
        return self._form

    def state(self) -> CallState:
        form = self.form()
        if form is None:
            return CallState(None)
        saved = form.record() is not None and not form.has_unsaved_changes()
        shown = tuple(pane.template.id for pane in form.panes.values() if pane.template is not None)
        focus = QApplication.focusWidget()
        in_guidance = focus is not None and form.guidance_section.isAncestorOf(focus)
        return CallState(form.call_data(), saved=saved, guidance=shown, in_guidance=in_guidance)

    # --- the steps --------------------------------------------------------------------------------

    def start(self) -> None:
        """From the first step, on a call opened from now on (Restart too)."""
        self.index = 0
        self._form = None
        self._before = self._window.forms()
        self._show()
        self._timer.start()
        self.check()

    def restart(self) -> None:
        self.start()

    def stop(self) -> None:
        self._timer.stop()
        self.close()
        self.deleteLater()
        if self._window.training_panel is self:
            self._window.training_panel = None

    @property
    def is_finished(self) -> bool:
        return self.index >= len(self.scenario.steps)

    def check(self) -> None:
        if self.is_finished:
            return
        state = self.state()
        moved = False
        while not self.is_finished and self.scenario.steps[self.index].done(state):
            self.index += 1
            moved = True
            self.step_done.emit(self.index)
        if moved:
            self._show()
            if self.is_finished:
                self._timer.stop()
                self.finished.emit()

    def _show(self) -> None:
        steps = self.scenario.steps
        done = steps[: self.index]
        self.about.setVisible(self.index == 0)
        self.done_list.setText("\n".join(f"✓ {step.do}" for step in done[-3:]))
        self.done_list.setVisible(bool(done))
        if self.is_finished:
            self.progress.setText(self.tr("All %d steps done") % len(steps))
            self.officer.hide()
            self.do.setText(
                self.tr(
                    "Well done: the call is saved in the training database. Restart to take it "
                    "again, or open the saved call from the Calls tab."
                )
            )
            self.hint.hide()
            return
        step = steps[self.index]
        self.progress.setText(self.tr("Step %d of %d") % (step.number, len(steps)))
        self.officer.setText(f"“{step.officer}”" if step.officer else "")
        self.officer.setVisible(bool(step.officer))
        self.do.setText(step.do)
        self.hint.setText(step.hint)
        self.hint.setVisible(bool(step.hint))

    def closeEvent(self, event: QCloseEvent) -> None:
        self._timer.stop()
        super().closeEvent(event)
