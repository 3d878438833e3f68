"""The first start on an empty database: create the administrator account.

The service decides what is valid (it names every bad field at once); this dialog only shows
each message under its field and keeps everything typed, so one fix needs one retry.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from supportline.db import Database
from supportline.services import accounts
from supportline.services.accounts import UserRecord
from supportline.services.errors import FieldError, ServiceError, ValidationError
from ui.tasks import TaskRunner, default_runner
from ui.views.login import no_icons, sentence

FIELDS = ("username", "display_name", "password", "confirm")


class FirstAdminDialog(QDialog):
    #: F1 opens this help page (``resources/help/setup.md``; ``views/help_window``).
    help_topic = "setup"
    #: The administrator was created (the record is also in ``self.record``).
    created = Signal(object)
    #: The service refused the input; errors are showing beside the fields.
    refused = Signal()

    def __init__(
        self, db: Database, *, tasks: TaskRunner | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._tasks = tasks or default_runner()
        self.record: UserRecord | None = None
        self.setWindowTitle(self.tr("First start – Supportline"))
        self.setMinimumWidth(520)

        heading = QLabel(self.tr("Create the administrator account"))
        heading.setObjectName("heading")
        intro = QLabel(
            self.tr(
                "This database has no accounts yet. The administrator you create now signs in "
                "and adds an account for everyone who works on the line."
            )
        )
        intro.setObjectName("subheading")
        intro.setWordWrap(True)

        self.username = QLineEdit()
        self.username.setPlaceholderText(self.tr("e.g. j.okafor"))
        self.display_name = QLineEdit()
        self.display_name.setPlaceholderText(self.tr("As colleagues should see it"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("At least %d characters") % accounts.PASSWORD_MIN)
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.errors: dict[str, QLabel] = {}

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name, title, edit in (
            ("username", self.tr("&User name"), self.username),
            ("display_name", self.tr("&Display name"), self.display_name),
            ("password", self.tr("&Password"), self.password),
            ("confirm", self.tr("&Confirm password"), self.confirm),
        ):
            form.addRow(title, self._with_error(name, edit))

        self.message = QLabel()
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.hide()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)  # see LoginDialog
        self.create_button = buttons.addButton(
            self.tr("Create account"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.create_button.setDefault(True)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        no_icons(buttons)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.username.setFocus()

    def _with_error(self, name: str, edit: QLineEdit) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(edit)
        error = QLabel()
        error.setObjectName("error")
        error.setWordWrap(True)
        error.hide()
        column.addWidget(error)
        self.errors[name] = error
        return box

    @classmethod
    def ask(
        cls, db: Database, *, tasks: TaskRunner | None = None, parent: QWidget | None = None
    ) -> UserRecord | None:
        """The new administrator, or None if the person cancelled."""
        dialog = cls(db, tasks=tasks, parent=parent)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        return dialog.record if accepted else None

    def error_text(self, field: str) -> str:
        """What is showing under ``field`` (empty when nothing is)."""
        label = self.errors[field]
        return label.text() if not label.isHidden() else ""

    def submit(self) -> None:
        if not self.create_button.isEnabled():
            return
        self._clear_errors()
        if self.password.text() != self.confirm.text():
            self._show_errors([FieldError("confirm", "does not match the password")])
            return
        username, display_name, password = (
            self.username.text(),
            self.display_name.text(),
            self.password.text(),
        )
        db = self._db
        self._set_busy(True)
        self._tasks.run(
            lambda: accounts.create_first_admin(db, username, display_name, password),
            on_success=self._created,
            on_failure=self._failed,
            owner=self,
        )

    def _created(self, record: UserRecord) -> None:
        self.record = record
        self._set_busy(False)
        self.created.emit(record)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, ValidationError):
            self._show_errors(list(exc.errors))
        elif isinstance(exc, ServiceError):
            self._show_general(sentence(str(exc)))
        else:
            self._show_general(
                self.tr("The account could not be saved: %s") % (str(exc) or type(exc).__name__)
            )
        self.refused.emit()

    def _show_errors(self, errors: list[FieldError]) -> None:
        general: list[str] = []
        for error in errors:
            label = self.errors.get(error.field)
            if label is None:
                general.append(str(error))
            else:
                label.setText(sentence(error.message))
                label.show()
        if general:
            self._show_general("\n".join(general))
        first = next((f for f in FIELDS if not self.errors[f].isHidden()), None)
        if first is not None:
            edit: QLineEdit = getattr(self, first)
            edit.setFocus()

    def _show_general(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _clear_errors(self) -> None:
        for label in self.errors.values():
            label.clear()
            label.hide()
        self.message.hide()

    def _set_busy(self, busy: bool) -> None:
        self.create_button.setEnabled(not busy)
        self.create_button.setText(self.tr("Creating…") if busy else self.tr("Create account"))
