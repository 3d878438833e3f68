"""Repeat callers: the earlier calls of the officer on the line, found by collar or callback number.

The lookup waits until typing pauses (300 ms) and runs on the task runner; an answer to an older
lookup that arrives after a newer one was asked for is dropped. Linking is the form's business:
this panel only says which earlier call was chosen.
"""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from supportline.db import Database
from supportline.services import calls
from supportline.services.actor import Actor
from supportline.services.call_types import CallSummary
from supportline.services.call_validation import PhoneNumberError, normalise_phone
from ui import formatting as fmt
from ui.tasks import TaskRunner

DEBOUNCE_MS = 300


def describe(summary: CallSummary, zone: ZoneInfo) -> str:
    first = f"{summary.reference}  ·  {fmt.when(summary.opened_at, zone)}"
    rest = [summary.case_reference, summary.urgency.label, summary.summary or summary.caller_name]
    return first + "\n" + "  ·  ".join(x for x in rest if x)


class EarlierCallsPanel(QWidget):
    """The list, the "Link to this case" action and the linked case, beside the caller section."""

    #: The person asked to link to this earlier call's case.
    link_requested = Signal(object)
    unlink_requested = Signal()
    #: The person asked to fill the caller section from the chosen earlier call.
    fill_requested = Signal()
    #: A lookup's answer is showing (the number of calls found).
    results_shown = Signal(int)

    def __init__(
        self,
        db: Database,
        actor: Actor,
        runner: TaskRunner,
        zone: ZoneInfo,
        *,
        exclude_call_id: uuid.UUID | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._db, self._actor, self._runner, self._zone = db, actor, runner, zone
        self.exclude_call_id = exclude_call_id
        self._summaries: tuple[CallSummary, ...] = ()
        self._asked = 0
        self._query = ("", "")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._run_lookup)

        self.label = QLabel(self.tr("Earlier calls from this officer"))
        self.label.setObjectName("fieldLabel")
        self.hint = QLabel(self.tr("Type a collar or callback number to see this officer's earlier calls."))
        self.hint.setObjectName("muted")
        self.hint.setWordWrap(True)
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Earlier calls from this officer"))
        self.list.setAlternatingRowColors(True)
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.itemActivated.connect(lambda _item: self.request_link())
        self.label.setBuddy(self.list)
        self.link_button = QPushButton(self.tr("Link to this case  (Ctrl+K)"))
        self.link_button.setAccessibleName(self.tr("Link to this case"))
        self.link_button.clicked.connect(self.request_link)
        self.fill_button = QPushButton(self.tr("Fill caller  (Ctrl+R)"))
        self.fill_button.setAccessibleName(self.tr("Fill the caller from this call"))
        self.fill_button.clicked.connect(self.fill_requested)
        self.linked = QLabel()
        self.linked.setObjectName("linkedCase")
        self.linked.setWordWrap(True)
        self.linked.setAccessibleName(self.tr("Linked case"))
        bold = self.linked.font()
        bold.setBold(True)
        self.linked.setFont(bold)
        self.unlink_button = QPushButton(self.tr("Unlink"))
        self.unlink_button.setAccessibleName(self.tr("Unlink from the case"))
        self.unlink_button.clicked.connect(self.unlink_requested)

        em = self.fontMetrics().height()
        # As tall as the caller section beside it makes room for, never shorter than a few calls.
        self.list.setMinimumHeight(em * 5)
        self.list.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(int(em * 0.4))
        column.addWidget(self.label)
        column.addWidget(self.hint)
        column.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.fill_button)
        buttons.addWidget(self.link_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        linked_row = QHBoxLayout()
        linked_row.addWidget(self.linked, 1)
        linked_row.addWidget(self.unlink_button)
        column.addLayout(linked_row)
        self.set_linked("")
        self._show(())

    # --- looking up ---------------------------------------------------------------------------

    def look_up(self, collar_number: str, phone: str) -> None:
        """Ask again once typing pauses."""
        try:
            number = normalise_phone(phone)
        except PhoneNumberError:
            number = ""
        query = (collar_number.strip(), number)
        if query == self._query and not self._timer.isActive():
            return
        self._query = query
        self._timer.start()

    def look_up_now(self) -> None:
        self._timer.stop()
        self._run_lookup()

    def _run_lookup(self) -> None:
        collar, phone = self._query
        self._asked += 1
        asked = self._asked
        if not collar and not phone:
            self._show(())
            return
        db, actor, exclude = self._db, self._actor, self.exclude_call_id
        self._runner.run(
            lambda: calls.earlier_calls(
                db, actor, collar_number=collar, phone=phone, exclude_call_id=exclude
            ),
            on_success=lambda found: self._landed(asked, found),
            on_failure=lambda exc: self._failed(asked, exc),
            owner=self,
        )

    def _landed(self, asked: int, found: tuple[CallSummary, ...]) -> None:
        if asked == self._asked:
            self._show(found)

    def _failed(self, asked: int, exc: BaseException) -> None:
        if asked == self._asked:
            self._show(())
            self.hint.setText(
                self.tr("Earlier calls could not be looked up: %s") % (str(exc) or type(exc).__name__)
            )

    def _show(self, found: tuple[CallSummary, ...]) -> None:
        self._summaries = tuple(found)
        self.list.clear()
        for summary in self._summaries:
            item = QListWidgetItem(describe(summary, self._zone))
            item.setToolTip(summary.summary)
            self.list.addItem(item)
        count = len(self._summaries)
        if count == 1:
            hint = self.tr(
                "1 earlier call. Ctrl+R fills the caller from it; Ctrl+K adds this call to its case."
            )
        elif count:
            hint = (
                self.tr(
                    "%d earlier calls. Pick one: Ctrl+R fills the caller from it; "
                    "Ctrl+K adds this call to its case."
                )
                % count
            )
        elif any(self._query):
            hint = self.tr("No earlier calls from this officer.")
        else:
            hint = self.tr("Type a collar or callback number to see this officer's earlier calls.")
        if count:
            self.list.setCurrentRow(0)
        self.hint.setText(hint)
        self.link_button.setEnabled(bool(self._summaries))
        self.fill_button.setEnabled(bool(self._summaries))
        # Said as well as shown: the list is where a screen reader user lands.
        self.list.setAccessibleDescription(hint)
        self.results_shown.emit(len(self._summaries))

    # --- linking ------------------------------------------------------------------------------

    def summaries(self) -> tuple[CallSummary, ...]:
        return self._summaries

    def selected(self) -> CallSummary | None:
        row = self.list.currentRow()
        if 0 <= row < len(self._summaries):
            return self._summaries[row]
        return self._summaries[0] if self._summaries else None

    def request_link(self) -> None:
        summary = self.selected()
        if summary is not None:
            self.link_requested.emit(summary)

    def set_linked(self, case_reference: str) -> None:
        """Show the case this call is linked to ("" when it starts or keeps its own case)."""
        if case_reference:
            self.linked.setText(self.tr("Linked to %s") % case_reference)
        self.linked.setVisible(bool(case_reference))
        self.unlink_button.setVisible(bool(case_reference))

    def linked_text(self) -> str:
        return self.linked.text() if self.linked.isVisibleTo(self) else ""
