"""The retention review for administrators: what is due on a day, what is kept and why; erase
after a confirmation. The same service as ``supportline retention review|run``."""

from __future__ import annotations

from datetime import date, datetime, time

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from supportline.bootstrap import Environment
from supportline.db import Database
from supportline.services import retention
from supportline.services.actor import Actor
from ui.tasks import TaskRunner

ACTION_LABELS = {retention.ERASE: "Erase", retention.KEEP: "Keep", retention.REPORT: "Report only"}
HEADERS = ("Action", "Kind", "Record", "Reason")


class RetentionDialog(QDialog):
    #: F1 opens this help page (``resources/help/retention.md``; ``views/help_window``).
    help_topic = "retention"
    #: Emitted after a run finished (its result) or failed (None).
    run_finished = Signal(object)
    #: Emitted when a review has arrived.
    reviewed = Signal()

    def __init__(
        self, env: Environment, db: Database, actor: Actor, tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.env, self.db, self.actor, self._tasks = env, db, actor, tasks
        self.review_result: retention.RetentionReview | None = None
        self.setWindowTitle(self.tr("Retention review"))
        self.resize(1000, 520)

        self.as_of = QDateEdit(QDate.currentDate())
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")
        as_of_label = QLabel(self.tr("&As of:"))
        as_of_label.setBuddy(self.as_of)
        self.review_button = QPushButton(self.tr("&Review"))
        self.review_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(as_of_label)
        top.addWidget(self.as_of)
        top.addWidget(self.review_button)
        top.addStretch(1)

        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels([self.tr(h) for h in HEADERS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.last_run = QLabel()  # the outcome of the last run, kept while the review refreshes
        self.last_run.setWordWrap(True)

        buttons = QDialogButtonBox()
        self.erase_button = buttons.addButton(
            self.tr("&Erase what is due…"), QDialogButtonBox.ButtonRole.ActionRole
        )
        self.erase_button.setEnabled(False)
        self.erase_button.clicked.connect(self.confirm_and_run)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.status)
        layout.addWidget(self.last_run)
        layout.addWidget(buttons)

    def _as_of(self) -> datetime:
        day: date = self.as_of.date().toPython()  # type: ignore[assignment]
        return datetime.combine(day, time(0), tzinfo=self.db.zone)

    # --- review ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        self.review_button.setEnabled(False)
        self.erase_button.setEnabled(False)
        self.status.setText(self.tr("Reviewing…"))
        as_of = self._as_of()
        self._tasks.run(
            lambda: retention.review(
                self.db, self.actor, self.env.settings, as_of=as_of, log_dir=self.env.paths.log_dir
            ),
            on_success=self._arrived,
            on_failure=self._failed,
            owner=self,
        )

    def _arrived(self, review: retention.RetentionReview) -> None:
        self.review_result = review
        self.review_button.setEnabled(True)
        self.table.setRowCount(len(review.items))
        for row, item in enumerate(sorted(review.items, key=lambda i: (i.action, i.kind))):
            cells = (
                ACTION_LABELS.get(item.action, item.action),
                item.kind,
                item.reference or item.id,
                item.reason,
            )
            for column, value in enumerate(cells):
                cell = QTableWidgetItem(value)
                if column == 3:
                    cell.setToolTip(value)
                self.table.setItem(row, column, cell)
        for column in range(3):  # the reason takes the rest of the width (whole in its tooltip)
            self.table.resizeColumnToContents(column)
        due, kept = len(review.due), len(review.of(retention.KEEP))
        self.summary.setText(
            self.tr("As of %s: %d due for erasure, %d kept.")
            % (f"{review.as_of.astimezone(self.db.zone):%Y-%m-%d}", due, kept)
            + (
                " " + self.tr("Audit events are reported, never erased.")
                if review.of(retention.REPORT)
                else ""
            )
        )
        self.status.setText("")
        self.erase_button.setEnabled(due > 0)
        self.reviewed.emit()

    def _failed(self, exc: BaseException) -> None:
        self.review_button.setEnabled(True)
        self.status.setText(self.tr("The review could not be made: %s") % exc)
        self.run_finished.emit(None)

    # --- run -------------------------------------------------------------------------------------

    def confirm(self, count: int) -> bool:
        """Ask before erasing (tests replace this)."""
        answer = QMessageBox.question(
            self,
            self.tr("Erase for good?"),
            self.tr("%d records will be erased for good. This cannot be undone.") % count,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def confirm_and_run(self) -> None:
        if self.review_result is None or not self.review_result.due:
            return
        if not self.confirm(len(self.review_result.due)):
            return
        self.erase_button.setEnabled(False)
        self.review_button.setEnabled(False)
        self.status.setText(self.tr("Erasing…"))
        as_of = self.review_result.as_of
        self._tasks.run(
            lambda: retention.run(
                self.db, self.actor, self.env.settings, as_of=as_of, log_dir=self.env.paths.log_dir
            ),
            on_success=self._ran,
            on_failure=self._failed,
            owner=self,
        )

    def _ran(self, result: retention.RetentionRunResult) -> None:
        self.last_run.setText(
            self.tr("Erased %d calls, %d drafts and %d log files.")
            % (result.calls_erased, result.drafts_erased, result.logs_deleted)
        )
        self.run_finished.emit(result)
        self.refresh()
