"""Erasure requests for supervisors and administrators: ask for a call's erasure, approve
another person's request (never one's own: the service refuses it). The same service as
``supportline erasure request|approve|list``."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from supportline.db import Database
from supportline.services import erasure
from supportline.services.actor import Actor, Permission
from ui.tasks import TaskRunner

HEADERS = ("Status", "Call", "Asked", "By", "Approved by", "Reason")


class ErasureDialog(QDialog):
    #: F1 opens this help page (``resources/help/retention.md``; ``views/help_window``).
    help_topic = "retention"
    #: Emitted when the list has been (re)loaded.
    loaded = Signal()
    #: Emitted when a request or an approval has finished: True if it went through.
    finished_action = Signal(bool)

    def __init__(self, db: Database, actor: Actor, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db, self.actor, self._tasks = db, actor, tasks
        self.requests: list[erasure.ErasureRequestRecord] = []
        self.setWindowTitle(self.tr("Erasure requests"))
        self.resize(860, 460)

        self.call = QLineEdit()
        self.call.setPlaceholderText("SL-2026-000123")
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(self.tr("e.g. the request's reference; no personal data"))
        self.request_button = QPushButton(self.tr("Re&quest erasure"))
        self.request_button.clicked.connect(self.request)
        self.request_button.setEnabled(actor.can(Permission.ERASURE_REQUEST))
        form = QFormLayout()
        form.addRow(self.tr("&Call:"), self.call)
        form.addRow(self.tr("&Reason:"), self.reason)
        form.addRow("", self.request_button)

        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels([self.tr(h) for h in HEADERS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.status = QLabel()
        self.status.setWordWrap(True)

        buttons = QDialogButtonBox()
        self.approve_button = buttons.addButton(
            self.tr("&Approve and erase…"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.approve_button.setEnabled(False)
        self.approve_button.clicked.connect(self.approve_selected)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)

    # --- the list --------------------------------------------------------------------------------

    def refresh(self) -> None:
        self._tasks.run(
            lambda: erasure.list_requests(self.db, self.actor),
            on_success=self._arrived,
            on_failure=self._failed,
            owner=self,
        )

    def _arrived(self, requests: list[erasure.ErasureRequestRecord]) -> None:
        self.requests = list(requests)
        self.table.setRowCount(len(self.requests))
        for row, r in enumerate(self.requests):
            cells = (
                r.status,
                r.target_reference
                if r.target_type == erasure.TARGET_CALL
                else f"person in {r.target_reference}",
                f"{r.requested_at.astimezone(self.db.zone):%Y-%m-%d %H:%M}",
                r.requested_by,
                r.approved_by or "",
                r.reason,
            )
            for column, value in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        self._selection_changed()
        self.loaded.emit()

    def _selected(self) -> erasure.ErasureRequestRecord | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows:
            return None
        index = rows[0].row()
        return self.requests[index] if 0 <= index < len(self.requests) else None

    def _selection_changed(self) -> None:
        chosen = self._selected()
        self.approve_button.setEnabled(
            chosen is not None
            and chosen.status == erasure.PENDING
            and self.actor.can(Permission.ERASURE_APPROVE)
        )

    def _failed(self, exc: BaseException) -> None:
        self.status.setText(str(exc))
        self.request_button.setEnabled(self.actor.can(Permission.ERASURE_REQUEST))
        self.finished_action.emit(False)

    # --- request and approve ---------------------------------------------------------------------

    def request(self) -> None:
        call, reason = self.call.text(), self.reason.text()
        self.request_button.setEnabled(False)
        self._tasks.run(
            lambda: erasure.request_erasure(self.db, self.actor, erasure.TARGET_CALL, call, reason),
            on_success=self._requested,
            on_failure=self._failed,
            owner=self,
        )

    def _requested(self, record: erasure.ErasureRequestRecord) -> None:
        self.status.setText(
            self.tr("Erasure of %s requested: another supervisor or an administrator must approve it.")
            % record.target_reference
        )
        self.call.clear()
        self.reason.clear()
        self.request_button.setEnabled(True)
        self.finished_action.emit(True)
        self.refresh()

    def confirm(self, request: erasure.ErasureRequestRecord) -> bool:
        """Ask before erasing (tests replace this)."""
        answer = QMessageBox.question(
            self,
            self.tr("Erase for good?"),
            self.tr("%s will be erased for good. This cannot be undone.") % request.target_reference,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def approve_selected(self) -> None:
        chosen = self._selected()
        if chosen is None or not self.confirm(chosen):
            return
        self.approve_button.setEnabled(False)
        self._tasks.run(
            lambda: erasure.approve_erasure(self.db, self.actor, chosen.id),
            on_success=self._approved,
            on_failure=self._failed,
            owner=self,
        )

    def _approved(self, result: erasure.ErasureResult) -> None:
        self.status.setText(self.tr("%s was erased.") % result.request.target_reference)
        self.finished_action.emit(True)
        self.refresh()
