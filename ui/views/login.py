"""Signing in.

Checking a password takes Argon2 a noticeable moment, so it runs on the task runner while the
dialog shows that it is working. A refusal keeps the user name and clears the password, which is
what people retype after a typo.

The dialog is the first screen of a start and appears before the database layer has loaded
(``ui/app.py``): it needs nothing but Qt until ``attach`` gives it the way to check a password.
A person who types faster than the start is not held up: Sign in pressed before then is kept
and goes ahead the moment the database is ready.

The system-use notice (the ``system_use_notice`` setting) is shown above the fields. A password
an administrator reset is refused with ``PasswordChangeRequiredError``: the dialog then asks for
a new password (twice) and signs in with it (``accounts.change_password_at_sign_in``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ui.tasks import TaskRunner, default_runner

if TYPE_CHECKING:
    from supportline.db import Database
    from supportline.services.actor import Actor

#: Checks a user name and password: the Actor signed in, or AuthenticationError.
Authenticate = Callable[[str, str], "Actor"]
#: Signs in with a user name, the password an administrator reset and a new one: the Actor.
ChangePassword = Callable[[str, str, str], "Actor"]


def sentence(message: str) -> str:
    """A service message (written to fit after a colon) as a sentence on its own."""
    message = message.strip()
    return message[:1].upper() + message[1:] if message else message


def no_icons(buttons: QDialogButtonBox) -> None:
    """Some styles put a red cross on Cancel; in a calm sign-in it reads as an error."""
    for button in buttons.buttons():
        button.setIcon(QIcon())


class LoginDialog(QDialog):
    #: F1 opens this help page (``resources/help/sign-in.md``; ``views/help_window``).
    help_topic = "sign-in"
    #: The person signed in (the Actor is also in ``self.actor``).
    signed_in = Signal(object)
    #: A sign-in was refused; the argument is the message shown.
    refused = Signal(str)

    def __init__(
        self,
        *,
        username: str = "",
        tasks: TaskRunner | None = None,
        notice: str = "",
        parent: QWidget | None = None,
    ) -> None:
        """A dialog not yet attached to a database: it can be typed into, and a sign-in waits."""
        super().__init__(parent)
        self._authenticate: Authenticate | None = None
        self._change_password: ChangePassword | None = None
        self._reset_password: str | None = None  # the one an administrator set, while changing it
        self._waiting = False  # Sign in was pressed before the database was ready
        self._tasks = tasks or default_runner()
        self.actor: Actor | None = None
        self.setWindowTitle(self.tr("Sign in – Supportline"))
        self.setMinimumWidth(420)

        heading = QLabel(self.tr("Supportline"))
        heading.setObjectName("heading")
        tagline = QLabel(self.tr("Advice line for officers working human-trafficking cases"))
        tagline.setWordWrap(True)
        self.where = where = QLabel(self.tr("Opening the database…"))
        where.setObjectName("subheading")
        where.setWordWrap(True)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where.setAccessibleName(self.tr("Database"))

        self.username = QLineEdit(username)
        self.username.setAccessibleName(self.tr("User name"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(self.tr("Password"))
        self.notice = QLabel(notice.strip())
        self.notice.setObjectName("notice")
        self.notice.setWordWrap(True)
        self.notice.setAccessibleName(self.tr("System-use notice"))
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.setVisible(bool(notice.strip()))

        self.new_password = QLineEdit()
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_password.setAccessibleName(self.tr("New password"))
        self.confirm_password = QLineEdit()
        self.confirm_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm_password.setAccessibleName(self.tr("New password again"))
        self.change_hint = QLabel(
            self.tr(
                "An administrator reset your password. Choose a new one of at least 12 characters "
                "(a few words make a good one); common passwords and your own name are refused."
            )
        )
        self.change_hint.setObjectName("subheading")
        self.change_hint.setWordWrap(True)
        self.change_hint.hide()

        self.form = form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.tr("&User name"), self.username)
        form.addRow(self.tr("&Password"), self.password)
        form.addRow(self.tr("&New password"), self.new_password)
        form.addRow(self.tr("Ne&w password again"), self.confirm_password)
        form.setRowVisible(self.new_password, False)
        form.setRowVisible(self.confirm_password, False)

        self.message = QLabel()
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Sign-in message"))
        self.message.hide()

        # Made with the dialog as parent: a button made default before it is in a dialog does not
        # become the dialog's default, and on show Cancel did, so Enter cancelled the sign-in.
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.sign_in_button = self.buttons.addButton(
            self.tr("Sign in"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.sign_in_button.setDefault(True)
        self.buttons.accepted.connect(self.sign_in)
        self.buttons.rejected.connect(self.reject)
        no_icons(self.buttons)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(tagline)
        layout.addWidget(where)
        layout.addWidget(self.notice)
        layout.addSpacing(6)
        layout.addWidget(self.change_hint)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addSpacing(4)
        layout.addWidget(self.buttons)

        (self.password if username else self.username).setFocus()

    @classmethod
    def for_database(
        cls,
        db: Database,
        *,
        username: str = "",
        tasks: TaskRunner | None = None,
        notice: str = "",
        parent: QWidget | None = None,
    ) -> LoginDialog:
        """A dialog that signs in to ``db`` (``accounts.authenticate``)."""
        from supportline.services import accounts

        dialog = cls(username=username, tasks=tasks, notice=notice, parent=parent)
        dialog.attach(
            partial(accounts.authenticate, db),
            db.describe(),
            change_password=partial(accounts.change_password_at_sign_in, db),
        )
        return dialog

    @property
    def ready(self) -> bool:
        """Attached to a database: a sign-in is checked at once."""
        return self._authenticate is not None

    @property
    def busy(self) -> bool:
        return not self.sign_in_button.isEnabled()

    @property
    def can_change_password(self) -> bool:
        """Attached with a way to replace a password an administrator reset."""
        return self._change_password is not None

    @property
    def changing_password(self) -> bool:
        """The password was reset: the dialog is asking for a new one."""
        return self._reset_password is not None

    def attach(
        self, authenticate: Authenticate, where: str, *, change_password: ChangePassword | None = None
    ) -> None:
        """The database is open: sign-ins are checked with ``authenticate`` from now on, and one
        asked for while it was opening goes ahead. ``change_password`` replaces a password an
        administrator reset (without it, such a sign-in is only refused)."""
        self._authenticate = authenticate
        self._change_password = change_password
        self.where.setText(self.tr("Database: %s") % where)
        if self._waiting:
            self._waiting = False
            self._set_busy(False)
            self.sign_in()

    def set_username(self, username: str) -> None:
        """Fill in the user name (the administrator just created) and move on to the password;
        a sign-in waiting for the database is dropped (it was typed before there was an account)."""
        self._waiting = False
        self._set_busy(False)
        self.message.hide()
        self.password.clear()
        self.username.setText(username)
        self.password.setFocus()

    def wait(self) -> Actor | None:
        """Show the dialog until the person signs in (the Actor) or gives up (None)."""
        accepted = self.actor is not None and self.result() == QDialog.DialogCode.Accepted
        if not accepted and self.exec() != QDialog.DialogCode.Accepted:
            return None
        return self.actor

    def sign_in(self) -> None:
        if self.busy:
            return
        if self.changing_password:
            self._send_new_password()
            return
        username, password = self.username.text().strip(), self.password.text()
        if not username or not password:
            self._show(self.tr("Enter your user name and password."))
            return
        self._set_busy(True)
        authenticate = self._authenticate
        if authenticate is None:
            self._waiting = True  # attach() sends it on
            return
        self._tasks.run(
            lambda: authenticate(username, password),
            on_success=self._accepted,
            on_failure=self._refused,
            owner=self,
        )

    def _send_new_password(self) -> None:
        new, again = self.new_password.text(), self.confirm_password.text()
        if not new:
            self._show(self.tr("Enter a new password, twice."))
            self.new_password.setFocus()
            return
        if new != again:
            self._show(self.tr("The two new passwords are not the same."))
            self.confirm_password.clear()
            self.confirm_password.setFocus()
            return
        change, old, username = self._change_password, self._reset_password, self.username.text().strip()
        assert change is not None and old is not None  # changing_password
        self._set_busy(True)
        self._tasks.run(
            lambda: change(username, old, new),
            on_success=self._accepted,
            on_failure=self._change_refused,
            owner=self,
        )

    def _ask_for_new_password(self, old_password: str, text: str) -> None:
        self._reset_password = old_password
        self.username.setReadOnly(True)
        self.form.setRowVisible(self.password, False)
        self.form.setRowVisible(self.new_password, True)
        self.form.setRowVisible(self.confirm_password, True)
        self.change_hint.show()
        self.sign_in_button.setText(self.tr("Change password and sign in"))
        self._show(text)
        self.new_password.setFocus()

    def _leave_password_change(self) -> None:
        self._reset_password = None
        self.new_password.clear()
        self.confirm_password.clear()
        self.form.setRowVisible(self.new_password, False)
        self.form.setRowVisible(self.confirm_password, False)
        self.form.setRowVisible(self.password, True)
        self.change_hint.hide()

    def _change_refused(self, exc: BaseException) -> None:
        from supportline.services.errors import ValidationError

        self._set_busy(False)
        if isinstance(exc, ValidationError):
            text = "\n".join(self.tr("The new password %s.") % e.message for e in exc.errors)
            self.new_password.clear()
            self.confirm_password.clear()
            self.new_password.setFocus()
            self._show(text)
            self.refused.emit(text)
            return
        self._leave_password_change()
        self._refused(exc)

    def _accepted(self, actor: Actor) -> None:
        if self.changing_password:
            self._leave_password_change()
        self.actor = actor
        self.password.clear()
        self._set_busy(False)
        self.signed_in.emit(actor)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        from sqlalchemy.exc import SQLAlchemyError  # loaded long since: a check ran

        from supportline.db import DatabaseUnavailableError
        from supportline.services.accounts import PasswordChangeRequiredError
        from supportline.services.errors import AuthenticationError

        self._set_busy(False)
        if isinstance(exc, PasswordChangeRequiredError) and self._change_password is not None:
            self._ask_for_new_password(self.password.text(), sentence(str(exc)) + ".")
            self.password.clear()
            self.refused.emit(self.message.text())
            return
        if isinstance(exc, AuthenticationError):
            text = sentence(str(exc))
        elif isinstance(exc, DatabaseUnavailableError | SQLAlchemyError):
            text = self.tr("The database cannot be reached just now. Try again, or call the duty supervisor.")
        else:
            text = self.tr("Signing in failed: %s") % (str(exc) or type(exc).__name__)
        self.password.clear()
        self.password.setFocus()
        self._show(text)
        self.refused.emit(text)

    def _show(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _set_busy(self, busy: bool) -> None:
        self.sign_in_button.setEnabled(not busy)
        idle_text = self.tr("Change password and sign in") if self.changing_password else self.tr("Sign in")
        self.sign_in_button.setText(self.tr("Signing in…") if busy else idle_text)
        self.username.setReadOnly(busy or self.changing_password)
        for edit in (self.password, self.new_password, self.confirm_password):
            edit.setReadOnly(busy)
