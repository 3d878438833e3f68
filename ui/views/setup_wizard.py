"""The first run on a workstation with no settings (issue 16, item 2): where the calls are kept,
the first administrator, and a training database if wanted.

1. **Database**: the local database on this computer (the default: nothing to configure), or a
   shared PostgreSQL database.
2. **Shared database** (only if chosen): the connection details of the Database dialog; Next
   tests them first (on the task runner) and goes on only with a database that answers and is
   prepared for this version. Changing a field after a test means testing again.
3. **Administrator**: the first account, checked by the accounts service's own rules as Next is
   pressed. A shared database that already has accounts skips this page: its administrators
   add one for the person.
4. **Training**: an offer of the throw-away training database (``supportline.training``).

Every page can be gone back to, and nothing is written until Finish: then the database is
opened (a local one created and migrated), the administrator created, the shared database's
URL saved in the settings (its password in the OS keyring where there is a secure one) and the
training database made. A failure says what went wrong on the last page and keeps everything
typed; Finish again goes on from where it stopped.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from supportline import config
from supportline.bootstrap import Environment, migrate, open_database
from supportline.db import Timeouts, shared_setup
from supportline.db.shared_setup import ConnectionTest
from supportline.services import accounts
from supportline.services.errors import FieldError, ServiceError
from supportline.training import TRAINING_PASSWORD, TrainingSummary, create_training_database
from ui.tasks import TaskRunner
from ui.views.database_dialog import ConnectionFields, keyring_note_text
from ui.views.login import sentence

PAGE_DATABASE, PAGE_SHARED, PAGE_ADMIN, PAGE_TRAINING = range(4)
ADMIN_FIELDS = ("username", "display_name", "password", "confirm")


@dataclass(frozen=True)
class SharedProbe:
    test: ConnectionTest
    accounts: int | None  # None: the database cannot be used as it is (``test.problem``)


def probe_shared(url_text: str, password: str, timeouts: Timeouts) -> SharedProbe:
    """Connect to the shared database these details name: is it prepared, how many accounts."""
    from sqlalchemy.engine import make_url

    from supportline.db import create_database

    db = create_database(make_url(url_text), password=password or None, timeouts=timeouts)
    try:
        test = shared_setup.test_connection(db)
        return SharedProbe(test, None if test.problem else accounts.count_users(db))
    finally:
        db.dispose()


@dataclass(frozen=True)
class SetupChoice:
    """What the pages collected; ``url_text`` empty means the local database."""

    url_text: str = ""
    password: str = field(default="", repr=False)
    admin: tuple[str, str, str] | None = field(default=None, repr=False)  # user name, display name, password
    training: bool = False


@dataclass(frozen=True)
class SetupResult:
    username: str | None  # the administrator created, if one was
    shared: bool
    training: TrainingSummary | None
    #: The shared database's password as typed (memory only): the first start uses it rather than
    #: asking again where the OS keyring could not keep it.
    password: str = field(default="", repr=False)


def run_setup(env: Environment, choice: SetupChoice) -> SetupResult:
    """Do what the wizard collected (on the task runner). Safe to run again after a failure: an
    administrator is created only while the database has no account."""
    settings = env.settings
    if choice.url_text:
        settings = dataclasses.replace(settings, database_url=choice.url_text)
    chosen = Environment(env.paths, settings)
    db = open_database(chosen, prompt=lambda _label: choice.password or None)
    username: str | None = None
    try:
        migrate(chosen, db)
        if accounts.count_users(db) == 0:
            if choice.admin is None:
                raise ServiceError("the database has no account yet: go back and create the administrator")
            username = accounts.create_first_admin(db, *choice.admin).username
        elif choice.admin is not None:  # made by an earlier Finish that failed later on
            username = accounts.normalise_username(choice.admin[0])
    finally:
        db.dispose()
    if choice.url_text:
        config.save_settings(env.paths, settings)
        if choice.password and shared_setup.keyring_is_secure():
            from sqlalchemy.engine import make_url

            config.set_database_password(make_url(choice.url_text), choice.password)
    training = create_training_database(chosen) if choice.training else None
    return SetupResult(username, bool(choice.url_text), training, choice.password)


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


class DatabasePage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(self.tr("Where are the calls kept?"))
        self.setSubTitle(self.tr("Most lines with one workstation keep them on this computer."))
        self.local = QRadioButton(self.tr("&Local database on this computer (nothing to set up)"))
        self.local.setChecked(True)
        self.shared = QRadioButton(self.tr("&Shared database on a server (PostgreSQL, several workstations)"))
        local_note = _heading(
            self.tr(
                "A file in this account's data folder, created now. Back it up with "
                "`supportline db backup`; see the administrator's guide."
            )
        )
        local_note.setObjectName("muted")
        local_note.setTextFormat(Qt.TextFormat.MarkdownText)
        shared_note = _heading(
            self.tr(
                "Your IT team gives you the server's name, the database and a user; the database "
                "must be prepared once with `supportline db init-shared`."
            )
        )
        shared_note.setObjectName("muted")
        shared_note.setTextFormat(Qt.TextFormat.MarkdownText)
        layout = QVBoxLayout(self)
        layout.addWidget(self.local)
        layout.addWidget(local_note)
        layout.addSpacing(8)
        layout.addWidget(self.shared)
        layout.addWidget(shared_note)
        layout.addStretch(1)

    def nextId(self) -> int:
        return PAGE_SHARED if self.shared.isChecked() else PAGE_ADMIN


class SharedPage(QWizardPage):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(self.tr("The shared database"))
        self.setSubTitle(self.tr("Next tests the connection first; nothing is saved until Finish."))
        self.fields = ConnectionFields()
        self.test_button = QPushButton(self.tr("T&est connection"))
        self.test_button.clicked.connect(lambda: self.test_connection(then_next=False))
        self.keyring_note = QLabel(keyring_note_text())
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setObjectName("muted")
        self.keyring_note.setVisible(not shared_setup.keyring_is_secure())
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Connection test"))
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.fields)
        layout.addWidget(self.test_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.keyring_note)
        layout.addWidget(self.status)
        layout.addStretch(1)
        #: The details of the last test that found a usable database, and what it found.
        self._passed: tuple[str, str] | None = None
        self.probe: SharedProbe | None = None
        self._busy = False
        f = self.fields
        for edit in (f.host, f.standbys, f.database, f.user, f.password, f.ca_file):
            edit.textChanged.connect(self._stale)
        f.port.valueChanged.connect(self._stale)
        f.sslmode.currentTextChanged.connect(self._stale)

    def initializePage(self) -> None:
        self.fields.host.setFocus()

    def _key(self) -> tuple[str, str]:
        try:
            url = self.fields.url_text()
        except ValueError:
            url = ""
        return url, self.fields.password.text()

    def _stale(self, *_args: object) -> None:
        if self._passed is not None and self._passed != self._key():
            self._passed = None
            self.probe = None
            self.status.setText(self.tr("Changed since the test: Next tests again."))

    def url_text(self) -> str:
        return self._passed[0] if self._passed else ""

    def validatePage(self) -> bool:
        if self._passed is not None and self._passed == self._key():
            return True
        self.test_connection(then_next=True)
        return False

    def nextId(self) -> int:
        if self.probe is not None and self.probe.accounts:
            return PAGE_TRAINING  # its administrators add an account for the person
        return PAGE_ADMIN

    def test_connection(self, *, then_next: bool) -> None:
        if self._busy:
            return
        try:
            url_text = self.fields.url_text()
        except ValueError as exc:
            self._show(self.tr("Not tested: %s.") % exc)
            return
        password = self.fields.password.text()
        timeouts = Timeouts(**self._wizard.env.settings.db_timeouts())
        self._set_busy(True)
        self._show(self.tr("Connecting…"))
        self._wizard.tasks.run(
            lambda: probe_shared(url_text, password, timeouts),
            on_success=lambda probe: self._tested(probe, (url_text, password), then_next),
            on_failure=self._failed,
            owner=self,
        )

    def _tested(self, probe: SharedProbe, key: tuple[str, str], then_next: bool) -> None:
        self._set_busy(False)
        message = self.tr("Connected to PostgreSQL %s.") % probe.test.server_version
        if probe.test.problem:
            self._passed, self.probe = None, None
            problem = sentence(probe.test.problem)
            self._show(message + " " + problem + ". " + self.tr("It cannot be used until then."))
            return
        self.probe = probe
        self._passed = key if key == self._key() else None
        if probe.accounts:
            message += " " + self.tr(
                "It already has %d account(s): after the setup, sign in with the one its "
                "administrator gave you."
            ) % (probe.accounts or 0)
        else:
            message += " " + self.tr("It has no account yet: the next page creates its administrator.")
        self._show(message)
        if then_next and self._passed is not None and self._wizard.currentPage() is self:
            self._wizard.next()

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(False)
        self._passed, self.probe = None, None
        self._show(self.tr("Not connected: %s. Nothing was saved.") % (str(exc) or type(exc).__name__))

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.test_button.setEnabled(not busy)
        self._wizard.set_busy(busy)

    def _show(self, text: str) -> None:
        self.status.setText(text)
        self._wizard.connection_tested.emit(text)


class AdminPage(QWizardPage):
    def __init__(self) -> None:
        super().__init__()
        self.setTitle(self.tr("The administrator"))
        self.setSubTitle(
            self.tr(
                "The first account. The administrator signs in and adds an account for "
                "everyone who works on the line."
            )
        )
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
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for name, title, edit in (
            ("username", self.tr("&User name:"), self.username),
            ("display_name", self.tr("&Display name:"), self.display_name),
            ("password", self.tr("&Password:"), self.password),
            ("confirm", self.tr("&Confirm password:"), self.confirm),
        ):
            label = QLabel(title)
            label.setBuddy(edit)
            edit.setAccessibleName(label.text().replace("&", "").rstrip(":"))
            form.addRow(label, self._with_error(name, edit))

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

    def initializePage(self) -> None:
        self.username.setFocus()

    def error_text(self, name: str) -> str:
        label = self.errors[name]
        return label.text() if not label.isHidden() else ""

    def details(self) -> tuple[str, str, str]:
        return self.username.text(), self.display_name.text(), self.password.text()

    def validatePage(self) -> bool:
        for label in self.errors.values():
            label.clear()
            label.hide()
        problems = accounts.first_admin_problems(*self.details())
        if self.password.text() != self.confirm.text():
            problems.append(FieldError("confirm", "does not match the password"))
        for problem in problems:
            label = self.errors.get(problem.field, self.errors["username"])
            label.setText(sentence(problem.message))
            label.show()
        first = next((name for name in ADMIN_FIELDS if not self.errors[name].isHidden()), None)
        if first is not None:
            edit: QLineEdit = getattr(self, first)
            edit.setFocus()
            return False
        return True

    def nextId(self) -> int:
        return PAGE_TRAINING


class TrainingPage(QWizardPage):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__()
        self._wizard = wizard
        self.setTitle(self.tr("A training database"))
        self.setSubTitle(self.tr("For new staff to practise on before they take live calls."))
        self.create_training = QCheckBox(self.tr("Also create a &training database of fictitious calls"))
        note = _heading(
            self.tr(
                "A separate file on this computer, never the live database: Help ▸ Training mode… "
                "(or `supportline --training`) opens it, with a TRAINING banner on every window. "
                "Sign in there as demo-operator, demo-adviser, demo-supervisor or demo-admin with "
                "the password %s."
            )
            % TRAINING_PASSWORD
        )
        note.setObjectName("muted")
        note.setTextFormat(Qt.TextFormat.MarkdownText)
        self.summary = _heading("")
        self.summary.setAccessibleName(self.tr("What Finish does"))
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Setting up"))
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.create_training)
        layout.addWidget(note)
        layout.addSpacing(8)
        layout.addWidget(self.summary)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.create_training.toggled.connect(lambda _on: self._describe())

    def initializePage(self) -> None:
        self.status.clear()
        self.status.setObjectName("")
        self._describe()
        self.create_training.setFocus()

    def _describe(self) -> None:
        w = self._wizard
        if w.database_page.shared.isChecked():
            where = self.tr("Finish connects to the shared database, saves its details in the settings")
        else:
            where = self.tr("Finish creates the local database")
        steps = [where]
        if w.choice().admin is not None:
            steps.append(self.tr("creates the administrator %s") % w.admin_page.username.text().strip())
        if self.create_training.isChecked():
            steps.append(self.tr("makes the training database (a few seconds)"))
        self.summary.setText(", ".join(steps) + ". " + self.tr("Then you sign in."))

    def validatePage(self) -> bool:
        return self._wizard.finish_setup()

    def nextId(self) -> int:
        return -1

    def show_status(self, text: str, *, error: bool = False) -> None:
        self.status.setObjectName("error" if error else "")
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.status.setText(text)


class SetupWizard(QWizard):
    #: F1 opens this help page (``resources/help/setup.md``; ``views/help_window``).
    help_topic = "setup"
    #: A shared connection was tested (the message shown).
    connection_tested = Signal(str)
    #: Finish failed; the message shown on the last page.
    setup_failed = Signal(str)
    #: Finish succeeded (the ``SetupResult``, also in ``self.result_``).
    set_up = Signal(object)

    def __init__(self, env: Environment, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.env, self.tasks = env, tasks
        self.result_: SetupResult | None = None
        self._running = False
        self.setWindowTitle(self.tr("Set up Supportline"))
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)  # the same on every platform
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setButtonText(QWizard.WizardButton.BackButton, self.tr("< &Back"))
        self.setButtonText(QWizard.WizardButton.NextButton, self.tr("&Next >"))
        self.setButtonText(QWizard.WizardButton.FinishButton, self.tr("&Finish"))
        self.setButtonText(QWizard.WizardButton.CancelButton, self.tr("Cancel"))
        self.database_page = DatabasePage()
        self.shared_page = SharedPage(self)
        self.admin_page = AdminPage()
        self.training_page = TrainingPage(self)
        self.setPage(PAGE_DATABASE, self.database_page)
        self.setPage(PAGE_SHARED, self.shared_page)
        self.setPage(PAGE_ADMIN, self.admin_page)
        self.setPage(PAGE_TRAINING, self.training_page)
        self.setStartId(PAGE_DATABASE)
        em = self.fontMetrics().height()
        self.setMinimumSize(em * 38, em * 30)

    @classmethod
    def ask(cls, env: Environment, tasks: TaskRunner, parent: QWidget | None = None) -> SetupResult | None:
        """What was set up, or None if the person cancelled (nothing saved then)."""
        wizard = cls(env, tasks, parent)
        accepted = wizard.exec() == QDialog.DialogCode.Accepted
        result = wizard.result_ if accepted else None
        wizard.deleteLater()
        return result

    def choice(self) -> SetupChoice:
        shared = self.database_page.shared.isChecked()
        skip_admin = shared and self.shared_page.probe is not None and bool(self.shared_page.probe.accounts)
        return SetupChoice(
            url_text=self.shared_page.url_text() if shared else "",
            password=self.shared_page.fields.password.text() if shared else "",
            admin=None if skip_admin else self.admin_page.details(),
            training=self.training_page.create_training.isChecked(),
        )

    def set_busy(self, busy: bool) -> None:
        for which in (
            QWizard.WizardButton.BackButton, QWizard.WizardButton.NextButton,
            QWizard.WizardButton.FinishButton,
        ):  # fmt: skip
            button = self.button(which)
            if button is not None:
                button.setEnabled(not busy)

    def finish_setup(self) -> bool:
        """Finish: True once the setup is done; otherwise starts it (and says so) and returns
        False, accepting the wizard when it succeeds."""
        if self.result_ is not None:
            return True
        if self._running:
            return False
        self._running = True
        choice = self.choice()
        env = self.env
        self.set_busy(True)
        self.training_page.show_status(self.tr("Setting up…"))
        self.tasks.run(
            lambda: run_setup(env, choice),
            on_success=self._done,
            on_failure=self._failed,
            owner=self,
        )
        return False

    def _done(self, result: SetupResult) -> None:
        self._running = False
        self.set_busy(False)
        self.result_ = result
        self.set_up.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._running = False
        self.set_busy(False)
        message = self.tr("Not set up: %s.") % (str(exc).rstrip(".") or type(exc).__name__)
        self.training_page.show_status(message, error=True)
        self.setup_failed.emit(message)
