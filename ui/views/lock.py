"""The lock screen: everything on the window hidden until the signed-in person's password is given.

Operators step away from a screen full of victims' details; Ctrl+L (or a few idle minutes)
puts this view in front of everything. Locking and unlocking are recorded in the audit log
(``screen.lock``, ``screen.unlock``), and so is signing out when the window closes (``logout``).
The password is checked by ``accounts.authenticate`` on
the task runner, like signing in, so a wrong one counts towards locking the account and is
audited. Only the person who is signed in can unlock: another user's password is refused.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.exc import SQLAlchemyError

from supportline.db import Database, DatabaseUnavailableError
from supportline.services import accounts
from supportline.services.actor import Actor, signed_in
from supportline.services.errors import AuthenticationError
from ui.tasks import TaskRunner
from ui.views.login import sentence

log = logging.getLogger(__name__)


class LockView(QWidget):
    #: The right password was given; the window shows its content again.
    unlocked = Signal()
    #: A password was refused; the argument is the message shown.
    refused = Signal(str)

    def __init__(
        self, db: Database, actor: Actor | None, tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._db = db
        self._actor = actor
        self._tasks = tasks

        card = QFrame()
        card.setObjectName("lockCard")
        card.setMinimumWidth(420)
        title = QLabel(self.tr("Screen locked"))
        title.setObjectName("lockTitle")
        self.who = who = QLabel()
        who.setObjectName("muted")
        hint = QLabel(self.tr("Enter your password to carry on."))
        hint.setObjectName("muted")
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(self.tr("Password"))
        self.password.setPlaceholderText(self.tr("Password"))
        label = QLabel(self.tr("&Password"))
        label.setBuddy(self.password)
        self.message = QLabel()
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Unlock message"))
        self.message.hide()
        self.unlock_button = QPushButton(self.tr("Unlock"))
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.unlock)
        self.password.returnPressed.connect(self.unlock)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 24, 28, 22)
        inner.setSpacing(10)
        inner.addWidget(title)
        inner.addWidget(who)
        inner.addWidget(hint)
        inner.addSpacing(6)
        inner.addWidget(label)
        inner.addWidget(self.password)
        inner.addWidget(self.message)
        inner.addLayout(buttons)

        outer = QVBoxLayout(self)
        outer.addStretch(2)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(3)
        if actor is not None:
            self.set_actor(actor)

    @property
    def actor(self) -> Actor:
        """Who may unlock: the person signed in (a view built before the sign-in has nobody)."""
        return signed_in(self._actor, "the lock screen")

    def set_actor(self, actor: Actor) -> None:
        self._actor = actor
        self.who.setText(self.tr("Signed in as %s (%s).") % (actor.display_name, actor.role.label))

    @property
    def busy(self) -> bool:
        return not self.unlock_button.isEnabled()

    def record_locked(self, locked: bool) -> None:
        """Audit the screen locking or unlocking, on the runner (a failure is logged, not shown:
        the lock itself must work with the database away)."""
        if self._actor is None:
            return
        db, actor = self._db, self._actor
        self._tasks.run(
            lambda: accounts.record_screen_lock(db, actor, locked=locked),
            on_failure=lambda exc: log.warning("screen lock not recorded: %s", type(exc).__name__),
        )

    def record_sign_out(self, reason: str = "quit") -> None:
        """Audit the signed-in person signing out (the window is closing): ``reason`` is "sign
        out" (File ▸ Sign out and close) or "quit"."""
        if self._actor is None:
            return
        db, actor = self._db, self._actor
        self._tasks.run(
            lambda: accounts.sign_out(db, actor, reason=reason),
            on_failure=lambda exc: log.warning("sign-out not recorded: %s", type(exc).__name__),
        )

    def reset(self) -> None:
        """Ready for the password: empty box, no old message, focus in the box."""
        self.password.clear()
        self.message.hide()
        self._set_busy(False)
        self.password.setFocus()

    def unlock(self) -> None:
        if self.busy:
            return
        password = self.password.text()
        if not password:
            self._show(self.tr("Enter your password."))
            return
        self._set_busy(True)
        db, username = self._db, self.actor.username
        self._tasks.run(
            lambda: accounts.authenticate(db, username, password),
            on_success=self._accepted,
            on_failure=self._refused,
            owner=self,
        )

    def _accepted(self, actor: Actor) -> None:
        self._set_busy(False)
        self.password.clear()
        if actor.user_id != self.actor.user_id:  # cannot happen with the same user name; be sure
            self._refused(AuthenticationError("only the person signed in can unlock this screen"))
            return
        self.message.hide()
        self.unlocked.emit()

    def _refused(self, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, AuthenticationError):
            text = sentence(str(exc))
        elif isinstance(exc, DatabaseUnavailableError | SQLAlchemyError):
            text = self.tr("The database cannot be reached just now. Try again in a moment.")
        else:
            text = self.tr("Unlocking failed: %s") % (str(exc) or type(exc).__name__)
        self.password.clear()
        self.password.setFocus()
        self._show(text)
        self.refused.emit(text)

    def _show(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def _set_busy(self, busy: bool) -> None:
        self.unlock_button.setEnabled(not busy)
        self.unlock_button.setText(self.tr("Checking…") if busy else self.tr("Unlock"))
        self.password.setReadOnly(busy)
