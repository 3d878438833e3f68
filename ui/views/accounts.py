"""The Accounts window (administrators): add, disable, enable, change role, reset, unlock.

A table of every account, and buttons for what can be done to the one selected. Accounts are
disabled, never deleted: a person who handled calls stays named on them. The services decide
what is allowed (nobody disables or demotes themselves; the last active administrator stays);
a refusal is shown in words at the top of the window, and the table is read again after every
change. All work runs on the task runner. Passwords typed here go to the service and nowhere
else; a reset password (or a new account's first one, by default) must be changed by its owner
at their next sign-in.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
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
from supportline.enums import Role
from supportline.services import accounts
from supportline.services.accounts import UserRecord
from supportline.services.actor import Actor
from supportline.services.errors import FieldError, ServiceError, ValidationError
from ui.tasks import TaskRunner
from ui.views.login import no_icons, sentence

COLUMNS = ("User name", "Name", "Role", "State", "Last sign-in")


def state_text(user: UserRecord, zone: ZoneInfo) -> str:
    """What the State column says: disabled, locked (until when), must change password, or active."""
    flags: list[str] = []
    if not user.active:
        flags.append("Disabled")
    if user.locked and user.locked_until is not None:
        flags.append(f"Locked until {user.locked_until.astimezone(zone):%H:%M}")
    if user.must_change_password:
        flags.append("Must change password")
    if user.is_demo:
        flags.append("Demo")
    return ", ".join(flags) or "Active"


def failure_text(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "\n".join(sentence(str(e)) for e in exc.errors) or "The input was refused."
    if isinstance(exc, ServiceError):
        return sentence(str(exc))
    return f"That did not work: {str(exc) or type(exc).__name__}"


class FocusOnlyCheckBox(QCheckBox):
    """Its mnemonic (Alt + the underlined letter) moves the focus to it and never ticks or
    unticks it: Space does that, once the person is there."""

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.Shortcut:
            self.setFocus(Qt.FocusReason.ShortcutFocusReason)
            return True
        return super().event(e)


class _PasswordFields:
    """A password typed twice, with the rules said beside it."""

    def __init__(self, owner: QWidget, form: QFormLayout, title: str) -> None:
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(title)
        self.password.setPlaceholderText(owner.tr("At least %d characters") % accounts.PASSWORD_MIN)
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm.setAccessibleName(owner.tr("%s again") % title)
        form.addRow(title, self.password)
        form.addRow(owner.tr("&Again"), self.confirm)

    def mismatch(self) -> bool:
        return self.password.text() != self.confirm.text()


class _ChildDialog(QDialog):
    """A small form over the Accounts window: OK sends it to the service, errors show inside it."""

    #: The service accepted it; the argument is the UserRecord.
    saved = Signal(object)

    def __init__(self, title: str, tasks: TaskRunner, parent: QWidget) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.message = QLabel()
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Problem"))
        self.message.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )  # the dialog as parent, so that OK becomes its default button (see LoginDialog)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        no_icons(self.buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 14)
        layout.addLayout(self.form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def submit(self) -> None:  # pragma: no cover - every subclass has its own
        raise NotImplementedError

    def show_problem(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def send(self, work: object) -> None:
        self.message.hide()
        self.ok_button.setEnabled(False)
        self._tasks.run(work, on_success=self._accepted, on_failure=self._refused, owner=self)  # type: ignore[arg-type]

    def _accepted(self, record: UserRecord) -> None:
        self.ok_button.setEnabled(True)
        self.saved.emit(record)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        self.show_problem(failure_text(exc))


class AddAccountDialog(_ChildDialog):
    def __init__(self, db: Database, actor: Actor, tasks: TaskRunner, parent: QWidget) -> None:
        super().__init__(parent.tr("Add an account – Supportline"), tasks, parent)
        self._db, self._actor = db, actor
        self.username = QLineEdit()
        self.username.setAccessibleName(self.tr("User name"))
        self.username.setPlaceholderText(self.tr("e.g. j.okafor"))
        self.display_name = QLineEdit()
        self.display_name.setAccessibleName(self.tr("Display name"))
        self.display_name.setPlaceholderText(self.tr("As colleagues should see it"))
        self.role = QComboBox()
        self.role.setAccessibleName(self.tr("Role"))
        for role in Role:
            self.role.addItem(role.label, role)
        self.form.addRow(self.tr("&User name"), self.username)
        self.form.addRow(self.tr("&Display name"), self.display_name)
        self.form.addRow(self.tr("&Role"), self.role)
        self.passwords = _PasswordFields(self, self.form, self.tr("&First password"))
        self.must_change = FocusOnlyCheckBox(
            self.tr("&They choose their own password at their first sign-in")
        )
        self.must_change.setChecked(True)
        self.form.addRow(self.must_change)
        self.username.setFocus()

    def submit(self) -> None:
        if not self.ok_button.isEnabled():
            return
        if self.passwords.mismatch():
            self.show_problem(self.tr("The two passwords are not the same."))
            self.passwords.confirm.setFocus()
            return
        db, actor = self._db, self._actor
        username, display_name = self.username.text(), self.display_name.text()
        role = Role(self.role.currentData())
        password, must_change = self.passwords.password.text(), self.must_change.isChecked()
        self.send(
            lambda: accounts.create_user(
                db, actor, username, display_name, role, password, must_change_password=must_change
            )
        )

    def _refused(self, exc: BaseException) -> None:
        super()._refused(exc)
        if isinstance(exc, ValidationError):
            fields: dict[str, QWidget] = {
                "username": self.username,
                "display_name": self.display_name,
                "password": self.passwords.password,
                "role": self.role,
            }
            first: FieldError = exc.errors[0] if exc.errors else FieldError("", "")
            target = fields.get(first.field)
            if target is not None:
                target.setFocus()


class ResetPasswordDialog(_ChildDialog):
    def __init__(
        self, db: Database, actor: Actor, user: UserRecord, tasks: TaskRunner, parent: QWidget
    ) -> None:
        super().__init__(parent.tr("Reset password – Supportline"), tasks, parent)
        self._db, self._actor, self._user = db, actor, user
        own = user.id == actor.user_id
        intro = QLabel(
            self.tr("Your new password.")
            if own
            else self.tr(
                "A new password for %s (%s). Give it to them in person; they must choose their own "
                "at their next sign-in. This also unlocks the account."
            )
            % (user.display_name, user.username)
        )
        intro.setWordWrap(True)
        self.form.addRow(intro)
        self.passwords = _PasswordFields(self, self.form, self.tr("&New password"))
        self.passwords.password.setFocus()

    def submit(self) -> None:
        if not self.ok_button.isEnabled():
            return
        if self.passwords.mismatch():
            self.show_problem(self.tr("The two passwords are not the same."))
            self.passwords.confirm.setFocus()
            return
        db, actor, user_id, password = self._db, self._actor, self._user.id, self.passwords.password.text()
        self.send(lambda: accounts.reset_password(db, actor, user_id, password))

    def _refused(self, exc: BaseException) -> None:
        super()._refused(exc)
        self.passwords.password.clear()
        self.passwords.confirm.clear()
        self.passwords.password.setFocus()


class AccountsWindow(QDialog):
    #: F1 opens this help page (``resources/help/accounts.md``; ``views/help_window``).
    help_topic = "accounts"
    #: The table was (re)loaded from the database.
    loaded = Signal()
    #: A change was made; the argument says what, as shown.
    changed = Signal(str)
    #: A change was refused; the argument is the message shown.
    refused = Signal(str)

    def __init__(self, db: Database, actor: Actor, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._db, self._actor, self._tasks = db, actor, tasks
        self.users: list[UserRecord] = []
        self.add_dialog: AddAccountDialog | None = None
        self.reset_dialog: ResetPasswordDialog | None = None
        self.setWindowTitle(self.tr("Accounts – Supportline"))
        self.setMinimumSize(820, 460)

        heading = QLabel(self.tr("Accounts"))
        heading.setObjectName("heading")
        intro = QLabel(
            self.tr(
                "Everyone who can sign in. Accounts are disabled, never deleted: the calls a person "
                "handled keep their name. Every change here is recorded in the audit log."
            )
        )
        intro.setObjectName("subheading")
        intro.setWordWrap(True)

        self.message = QLabel()
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Problem"))
        self.message.hide()
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.status.setAccessibleName(self.tr("Last change"))

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table for the buttons
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setAccessibleName(self.tr("Accounts"))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        table_label = QLabel(self.tr("A&ccounts"))
        table_label.setBuddy(self.table)

        self.add_button = QPushButton(self.tr("&Add…"))
        self.disable_button = QPushButton(self.tr("&Disable…"))
        self.enable_button = QPushButton(self.tr("&Enable"))
        self.reset_button = QPushButton(self.tr("Reset &password…"))
        self.unlock_button = QPushButton(self.tr("&Unlock"))
        self.role = QComboBox()
        self.role.setAccessibleName(self.tr("Role of the selected account"))
        for role in Role:
            self.role.addItem(role.label, role)
        role_label = QLabel(self.tr("R&ole"))
        role_label.setBuddy(self.role)
        self.role_button = QPushButton(self.tr("&Set role"))
        self.refresh_button = QPushButton(self.tr("Re&fresh"))
        self.close_button = QPushButton(self.tr("Close"))
        for button in (
            self.add_button,
            self.disable_button,
            self.enable_button,
            self.reset_button,
            self.unlock_button,
            self.role_button,
            self.refresh_button,
            self.close_button,
        ):
            button.setAutoDefault(False)
        self.add_button.clicked.connect(self.show_add_dialog)
        self.disable_button.clicked.connect(self.disable_selected)
        self.enable_button.clicked.connect(self.enable_selected)
        self.reset_button.clicked.connect(self.show_reset_dialog)
        self.unlock_button.clicked.connect(self.unlock_selected)
        self.role_button.clicked.connect(self.set_role_of_selected)
        self.refresh_button.clicked.connect(self.refresh)
        self.close_button.clicked.connect(self.close)
        QShortcut(QKeySequence("F5"), self, self.refresh)

        actions = QHBoxLayout()
        for button in (
            self.add_button,
            self.disable_button,
            self.enable_button,
            self.reset_button,
            self.unlock_button,
        ):
            actions.addWidget(button)
        actions.addSpacing(16)
        actions.addWidget(role_label)
        actions.addWidget(self.role)
        actions.addWidget(self.role_button)
        actions.addStretch(1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.refresh_button)
        bottom.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 14)
        layout.setSpacing(8)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addWidget(self.message)
        layout.addWidget(table_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addLayout(bottom)
        self._update_buttons()
        self.refresh()

    # --- reading --------------------------------------------------------------------------------

    def selected(self) -> UserRecord | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        row = rows[0].row()
        return self.users[row] if 0 <= row < len(self.users) else None

    def select(self, username: str) -> None:
        for row, user in enumerate(self.users):
            if user.username == username:
                self.table.selectRow(row)
                return

    def refresh(self, keep: str | None = None) -> None:
        chosen = self.selected()
        keep = keep or (chosen.username if chosen else None)
        db, actor = self._db, self._actor
        self._tasks.run(
            lambda: accounts.list_users(db, actor),
            on_success=lambda users: self._show_users(users, keep),
            on_failure=self._failed,
            owner=self,
        )

    def _show_users(self, users: list[UserRecord], keep: str | None) -> None:
        self.users = list(users)
        self.table.setRowCount(len(self.users))
        for row, user in enumerate(self.users):
            last = (
                user.last_login_at.astimezone(self._db.zone).strftime("%d %b %Y %H:%M")
                if user.last_login_at
                else "never"
            )
            for column, text in enumerate(
                (user.username, user.display_name, user.role.label, state_text(user, self._db.zone), last)
            ):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled)
                self.table.setItem(row, column, item)
        if keep:
            self.select(keep)
        if self.selected() is None and self.users:
            self.table.selectRow(0)
        self._update_buttons()
        self.loaded.emit()

    def _update_buttons(self) -> None:
        user = self.selected()
        own = user is not None and user.id == self._actor.user_id
        self.disable_button.setEnabled(user is not None and user.active and not own)
        self.enable_button.setEnabled(user is not None and not user.active)
        self.unlock_button.setEnabled(user is not None and (user.locked or user.failed_logins > 0))
        self.reset_button.setEnabled(user is not None)
        self.role.setEnabled(user is not None and not own)
        self.role_button.setEnabled(user is not None and not own)
        if user is not None:
            self.role.setCurrentIndex(self.role.findData(user.role))

    # --- changing -------------------------------------------------------------------------------

    def confirm(self, title: str, text: str) -> bool:
        """Ask before a change that stops someone working (tests replace it)."""
        answer = QMessageBox.question(
            self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )  # fmt: skip
        return answer == QMessageBox.StandardButton.Yes

    def _change(self, user: UserRecord, work: object, done: str) -> None:
        self.message.hide()
        self._tasks.run(
            work,  # type: ignore[arg-type]
            on_success=lambda record: self._changed(record, done),
            on_failure=self._failed,
            owner=self,
        )

    def _changed(self, record: UserRecord, done: str) -> None:
        self.message.hide()
        self.status.setText(done)
        self.changed.emit(done)
        self.refresh(keep=record.username)

    def _failed(self, exc: BaseException) -> None:
        text = failure_text(exc)
        self.message.setText(text)
        self.message.show()
        self.refused.emit(text)
        self.refresh()

    def disable_selected(self) -> None:
        user = self.selected()
        if user is None or not self.disable_button.isEnabled():
            return
        if not self.confirm(
            self.tr("Disable account"),
            self.tr("Disable %s (%s)? They can no longer sign in; the calls they handled keep their name.")
            % (user.display_name, user.username),
        ):
            return
        db, actor = self._db, self._actor
        self._change(
            user, lambda: accounts.disable_user(db, actor, user.id), self.tr("Disabled %s.") % user.username
        )

    def enable_selected(self) -> None:
        user = self.selected()
        if user is None:
            return
        db, actor = self._db, self._actor
        self._change(
            user, lambda: accounts.enable_user(db, actor, user.id), self.tr("Enabled %s.") % user.username
        )

    def unlock_selected(self) -> None:
        user = self.selected()
        if user is None:
            return
        db, actor = self._db, self._actor
        self._change(
            user, lambda: accounts.unlock_user(db, actor, user.id), self.tr("Unlocked %s.") % user.username
        )

    def set_role_of_selected(self) -> None:
        user = self.selected()
        role = Role(self.role.currentData())
        if user is None or role is user.role:
            return
        db, actor, user_id = self._db, self._actor, user.id
        self._change(
            user,
            lambda: accounts.set_role(db, actor, user_id, role),
            self.tr("%s is now %s.") % (user.username, role.label),
        )

    def show_add_dialog(self) -> AddAccountDialog:
        dialog = AddAccountDialog(self._db, self._actor, self._tasks, self)
        dialog.saved.connect(lambda record: self._changed(record, self.tr("Added %s.") % record.username))
        self.add_dialog = dialog
        dialog.open()
        return dialog

    def show_reset_dialog(self) -> ResetPasswordDialog | None:
        user = self.selected()
        if user is None:
            return None
        dialog = ResetPasswordDialog(self._db, self._actor, user, self._tasks, self)
        done = (
            self.tr("Reset the password of %s: they choose a new one at their next sign-in.") % user.username
            if user.id != self._actor.user_id
            else self.tr("Changed your password.")
        )
        dialog.saved.connect(lambda record: self._changed(record, done))
        self.reset_dialog = dialog
        dialog.open()
        return dialog
