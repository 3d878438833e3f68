"""Starting the GUI: settings, sign-in, database, schema, first administrator, main window.

The first screen is the sign-in, and it appears before the database layer has loaded: Qt and
the settings are all it needs. While the person types, the task runner imports the rest
(SQLAlchemy, the models, the services, the main window's modules: most of a start's work);
then the database is opened and its schema checked, also off the GUI thread. Sign in pressed
before that is kept and goes ahead the moment the database is ready (``LoginDialog.attach``).
The main window is built then too, empty and nobody's, and becomes the person's when the
password check succeeds (``MainWindow.sign_in``): only their layout and the list are left to do.
A workstation with no settings and no database starts with the setup wizard (local or shared
database, the first administrator, a training database: ``ui.views.setup_wizard``); a first start
with deployed settings but no database file skips the sign-in and asks for the first administrator.

Each step that can fail for a reason outside the program (a mistyped setting, a server that is
down, a migration that cannot run) ends in a dialog that says what is wrong and a non-zero exit
code, never a traceback: the person at the screen is on a live line and needs to know whom to call.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QEventLoop, QSize, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox, QWidget

import supportline
from supportline.bootstrap import Environment, configure_logging, load_environment, migrate, open_database
from supportline.config import ConfigError
from ui import style, training_mode
from ui.icon import DESKTOP_FILE_NAME, application_icon
from ui.tasks import TaskRunner, default_runner
from ui.views import help_window
from ui.views.login import LoginDialog

if TYPE_CHECKING:
    from supportline.db import Database

log = logging.getLogger(__name__)

T = TypeVar("T")

EXIT_CANCELLED = 1
EXIT_CONFIG = 2
EXIT_DATABASE = 3
EXIT_MIGRATION = 4
EXIT_INSTALLATION = 5

#: What the sign-in does not need, imported on the task runner while it is on screen.
BEHIND_SIGN_IN = (
    "supportline.db",
    "supportline.db.models",
    "supportline.db.schema_version",
    "supportline.services.accounts",
    "ui.views.first_admin",
    "ui.main_window",
)


def show_error(title: str, text: str, parent: QWidget | None = None) -> None:
    """One place for start-up errors (tests replace it to read the message)."""
    QMessageBox.critical(parent, title, text)


def ask_password(label: str) -> str | None:
    """The shared database's password when the keyring has none; None if the person cancels."""
    text, ok = QInputDialog.getText(
        None, QApplication.translate("app", "Database password"), label, QLineEdit.EchoMode.Password
    )
    return text if ok and text else None


def _application(argv: list[str]) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        app = existing
    else:
        app = QApplication([sys.argv[0] if sys.argv else "supportline", *argv])
    app.setApplicationName("Supportline")
    app.setApplicationDisplayName("Supportline")
    app.setApplicationVersion(supportline.__version__)
    app.setOrganizationName("Supportline")
    app.setDesktopFileName(DESKTOP_FILE_NAME)
    app.setWindowIcon(application_icon())
    help_window.install(app)  # F1 in every window opens its help page
    return app


def load_the_rest() -> None:
    """Import what the screens after the sign-in need (on the task runner)."""
    for name in BEHIND_SIGN_IN:
        importlib.import_module(name)


def wait_for(tasks: TaskRunner, work: Callable[[], T]) -> T:
    """``work()`` run on the task runner while the screen stays alive; its result, or its error raised."""
    loop = QEventLoop()
    outcome: list[tuple[bool, Any]] = []

    def done(ok: bool, value: Any) -> None:
        outcome.append((ok, value))
        loop.quit()

    tasks.run(work, on_success=partial(done, True), on_failure=partial(done, False))
    if not outcome:
        loop.exec()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def first_start(env: Environment) -> bool:
    """The local database file does not exist yet (a shared database is never a first start)."""
    return not env.settings.database_url and not env.paths.default_database.exists()


def prepare(env: Environment, db: Database) -> int:
    """The schema brought to head (only a check, on most starts); how many accounts there are."""
    from supportline.services import accounts

    migrate(env, db)
    return accounts.count_users(db)


def run(argv: list[str]) -> int:
    """The GUI from start to exit; returns the process exit code. ``--training`` opens the
    training database instead of the live one, ``--reset-training`` a new one (``training_mode``)."""
    training = any(flag in argv for flag in training_mode.FLAGS)
    reset = training_mode.RESET_FLAG in argv
    argv = [arg for arg in argv if arg not in training_mode.FLAGS]
    app = _application(argv)
    try:
        env = load_environment()
    except ConfigError as exc:
        style.apply(app)  # the settings' theme is what is wrong, perhaps
        show_error(
            app.tr("Settings problem"),
            app.tr(
                "Supportline cannot start because a setting is wrong:\n\n%s\n\nCorrect it and start again."
            )
            % exc,
        )
        return EXIT_CONFIG
    style.apply(app, env.settings.theme)  # the user's own choice follows once they sign in
    tasks = default_runner()
    prompt = ask_password
    username = ""
    notice = env.settings.system_use_notice
    if training:
        training_mode.install(app)  # every window from the sign-in on says TRAINING
        username, notice = training_mode.FIRST_ACCOUNT, training_mode.sign_in_notice()
    elif needs_setup(env):
        setup = first_setup(app, env, tasks)
        if isinstance(setup, int):
            return setup
        env, username, password = setup
        if password:
            prompt = partial(_typed_or_ask, password)
    sign_in = LoginDialog(tasks=tasks, notice=notice, username=username)
    gave_up: list[bool] = []
    sign_in.rejected.connect(lambda: gave_up.append(True))
    # A first start has no database file and no account to sign in to: it goes to the first
    # administrator instead. Every other start shows the sign-in now, while the rest loads.
    if training or not first_start(env):
        sign_in.show()
    opener = partial(_training_opener, reset) if training else None
    try:
        return _start(app, env, tasks, sign_in, gave_up, prompt, training=opener)
    finally:
        sign_in.hide()
        sign_in.deleteLater()
        if training:
            training_mode.uninstall(app)


def needs_setup(env: Environment) -> bool:
    """A workstation with no settings and no database: the setup wizard comes first. (Settings an
    administrator deployed, or a database already there, say how this workstation is set up.)"""
    return first_start(env) and not env.paths.settings_file.exists()


def first_setup(app: QApplication, env: Environment, tasks: TaskRunner) -> int | tuple[Environment, str, str]:
    """The setup wizard (``ui.views.setup_wizard``): the settings it left, the administrator's
    user name and the shared database's password as typed; or an exit code."""
    try:
        wait_for(tasks, load_the_rest)
        from ui.views.setup_wizard import SetupWizard
    except ImportError as exc:
        log.exception("a part of the program cannot be loaded")
        show_error(
            app.tr("Installation problem"),
            app.tr("A part of Supportline cannot be loaded (%s). Reinstall it or call the IT service desk.")
            % exc,
        )
        return EXIT_INSTALLATION
    result = SetupWizard.ask(env, tasks)
    if result is None:
        return EXIT_CANCELLED
    try:
        env = load_environment()
    except ConfigError as exc:
        show_error(app.tr("Settings problem"), str(exc))
        return EXIT_CONFIG
    return env, result.username or "", result.password


def _training_opener(reset: bool, env: Environment) -> Database:
    """The training database (``supportline.training``), a new one first with ``reset``."""
    from supportline.training import create_training_database, open_training_database

    if reset:
        create_training_database(env, replace=True)
    return open_training_database(env)


def _typed_or_ask(typed: str, label: str) -> str | None:
    """The password typed in the setup (the keyring may not have kept it), else the usual prompt."""
    return typed or ask_password(label)


def _start(
    app: QApplication,
    env: Environment,
    tasks: TaskRunner,
    sign_in: LoginDialog,
    gave_up: list[bool],
    prompt: Callable[[str], str | None] = ask_password,
    *,
    training: Callable[[Environment], Database] | None = None,
) -> int:
    """The rest of a start; ``training`` opens the training database instead of the live one."""
    try:
        wait_for(
            tasks, partial(configure_logging, env.paths, retention_days=env.settings.log_retention_days)
        )  # the file handler, behind the sign-in too
        wait_for(tasks, load_the_rest)
    except ImportError as exc:
        log.exception("a part of the program cannot be loaded")
        sign_in.hide()
        show_error(
            app.tr("Installation problem"),
            app.tr("A part of Supportline cannot be loaded (%s). Reinstall it or call the IT service desk.")
            % exc,
        )
        return EXIT_INSTALLATION
    from supportline.db import DatabaseUnavailableError
    from supportline.db.schema_version import MigrationError
    from supportline.services import accounts
    from ui.daily_backup import DailyBackup
    from ui.main_window import MainWindow
    from ui.views.first_admin import FirstAdminDialog

    if gave_up:
        return 0
    from supportline.training import TrainingRefusedError

    try:
        if training is not None:  # its own file, made (again) on the runner: never the live one
            db = wait_for(tasks, partial(training, env))
        else:
            db = open_database(env, prompt=prompt)
    except TrainingRefusedError as exc:
        sign_in.hide()
        show_error(
            app.tr("Training database refused"),
            app.tr("Training mode cannot start: %s.\n\nThe live database was not touched.") % exc,
        )
        return EXIT_DATABASE
    except DatabaseUnavailableError as exc:
        log.warning("database unavailable: %s", exc)
        sign_in.hide()
        show_error(
            app.tr("Database unavailable"),
            app.tr(
                "Supportline cannot open its database.\n\n%s\n\n"
                "Check the network connection or call the duty supervisor, then start again."
            )
            % exc,
        )
        return EXIT_DATABASE
    try:
        try:
            users = wait_for(tasks, lambda: prepare(env, db))
        except MigrationError as exc:
            log.error("migration failed: %s", exc)
            sign_in.hide()
            show_error(
                app.tr("Database upgrade failed"),
                app.tr("The database could not be brought up to date for this version.\n\n%s") % exc,
            )
            return EXIT_MIGRATION
        if gave_up:
            return 0
        if users == 0:
            sign_in.hide()
            admin = FirstAdminDialog.ask(db, tasks=tasks)
            if admin is None:
                return EXIT_CANCELLED
            sign_in.set_username(admin.username)
        sign_in.attach(
            partial(accounts.authenticate, db),
            db.describe(),
            change_password=partial(accounts.change_password_at_sign_in, db),
        )
        # While the person types (or their password is checked) the main window is built, empty
        # and nobody's: it holds no call data until sign_in, and is thrown away if they give up.
        window = MainWindow(env, db, None, tasks=tasks)
        window.polish_ahead()
        # The start has done its work: the service desk (and the bundle's CI check) read this.
        kind = "SQLite" if db.is_sqlite else "shared"
        log.info("ready for sign-in: %s database open, schema current", kind)
        actor = sign_in.wait()
        if actor is None:
            window.deleteLater()
            return 0
        window.sign_in(actor)
        place(window)
        DailyBackup(env, db, tasks, parent=window).start()  # the day's copy, in the background
        # After the window is on screen: drafts a crash left behind are offered back.
        QTimer.singleShot(0, window.offer_drafts)
        code = exec_app(app)
        tasks.wait_until_idle()
        return code
    except DatabaseUnavailableError as exc:
        sign_in.hide()
        show_error(app.tr("Database unavailable"), str(exc))
        return EXIT_DATABASE
    finally:
        db.dispose()


def place(window: QWidget) -> None:
    """Where the user left it; else fill a small screen, or on a larger one open at the size the
    layout was designed for."""
    if getattr(window, "restored_geometry", False):
        window.show()
        return
    screen = window.screen().availableGeometry()
    designed = QSize(1366, 768)
    if screen.width() <= designed.width() or screen.height() <= designed.height():
        window.showMaximized()
    else:
        window.resize(designed)
        window.show()


def exec_app(app: QApplication) -> int:
    return app.exec()
