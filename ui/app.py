"""Starting the GUI: settings, database, schema, first administrator, sign-in, main window.

Each step that can fail for a reason outside the program (a mistyped setting, a server that is
down, a migration that cannot run) ends in a dialog that says what is wrong and a non-zero exit
code, never a traceback: the person at the screen is on a live line and needs to know whom to call.
"""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QSize, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox, QWidget

import supportline
from supportline.bootstrap import configure_logging, load_environment, migrate, open_database
from supportline.config import ConfigError
from supportline.db import DatabaseUnavailableError
from supportline.db.schema_version import MigrationError
from supportline.services import accounts
from ui import style
from ui.tasks import default_runner

log = logging.getLogger(__name__)

EXIT_CANCELLED = 1
EXIT_CONFIG = 2
EXIT_DATABASE = 3
EXIT_MIGRATION = 4


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
    style.apply(app)
    return app


def run(argv: list[str]) -> int:
    """The GUI from start to exit; returns the process exit code."""
    from ui.main_window import MainWindow
    from ui.views.first_admin import FirstAdminDialog
    from ui.views.login import LoginDialog

    app = _application(argv)
    try:
        env = load_environment()
    except ConfigError as exc:
        show_error(
            app.tr("Settings problem"),
            app.tr(
                "Supportline cannot start because a setting is wrong:\n\n%s\n\nCorrect it and start again."
            )
            % exc,
        )
        return EXIT_CONFIG
    configure_logging(env.paths)
    style.apply(app, env.settings.theme)  # the user's own choice follows once they sign in
    try:
        db = open_database(env, prompt=ask_password)
    except DatabaseUnavailableError as exc:
        log.warning("database unavailable: %s", exc)
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
            migrate(env, db)
        except MigrationError as exc:
            log.error("migration failed: %s", exc)
            show_error(
                app.tr("Database upgrade failed"),
                app.tr("The database could not be brought up to date for this version.\n\n%s") % exc,
            )
            return EXIT_MIGRATION
        tasks = default_runner()
        username = ""
        if accounts.count_users(db) == 0:
            admin = FirstAdminDialog.ask(db, tasks=tasks)
            if admin is None:
                return EXIT_CANCELLED
            username = admin.username
        actor = LoginDialog.ask(db, username=username, tasks=tasks)
        if actor is None:
            return 0
        window = MainWindow(env, db, actor, tasks=tasks)
        place(window)
        # After the window is on screen: drafts a crash left behind are offered back.
        QTimer.singleShot(0, window.offer_drafts)
        code = exec_app(app)
        tasks.wait_until_idle()
        return code
    except DatabaseUnavailableError as exc:
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
