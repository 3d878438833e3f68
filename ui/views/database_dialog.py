"""The Database dialog (issue 13, item 1): which shared PostgreSQL database this workstation uses.

Host, port, standby hosts, database, user, password, TLS mode and CA file; "Test connection"
tries them on the task runner and says in plain words what is wrong (``shared_setup``). "Save"
tests first and saves only a connection that works: the URL (never the password) in the
settings file, the password in the OS keyring — or, where the machine has no secure keyring, not
at all, and the dialog says it will be asked for once per session.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from supportline import config
from supportline.config import Paths, Settings
from supportline.db import Timeouts, shared_setup
from supportline.db.shared_setup import ConnectionTest
from ui.tasks import TaskRunner

SSL_MODES = ("prefer", "require", "verify-ca", "verify-full", "disable")


def keyring_note_text() -> str:
    return QApplication.translate(
        "DatabaseDialog",
        "This computer has no secure password store (only keyring's 'fail' or plaintext "
        "backend), so the password is not saved: Supportline asks for it once per session.",
    )


class ConnectionFields(QWidget):
    """Host, port, standby hosts, database, user, password, TLS mode and CA file: the shared
    database's connection details, as this dialog and the first-run setup (``setup_wizard``) ask
    for them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host = QLineEdit()
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(5432)
        self.standbys = QLineEdit()
        self.standbys.setPlaceholderText(self.tr("standby1[:port], … (optional)"))
        self.database = QLineEdit("supportline")
        self.user = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.sslmode = QComboBox()
        self.sslmode.addItems(SSL_MODES)
        self.ca_file = QLineEdit()
        # B&rowse: a wizard's "< &Back" has the B.
        self.browse = QPushButton(self.tr("B&rowse…"))
        self.browse.clicked.connect(self._browse)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(self.browse)

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.tr("&Host:"), self.host)
        form.addRow(self.tr("P&ort:"), self.port)
        form.addRow(self.tr("&Standby hosts:"), self.standbys)
        form.addRow(self.tr("&Database:"), self.database)
        form.addRow(self.tr("&User:"), self.user)
        form.addRow(self.tr("Pass&word:"), self.password)
        form.addRow(self.tr("&TLS:"), self.sslmode)
        ca_label = QLabel(self.tr("&CA file:"))
        ca_label.setBuddy(self.ca_file)  # the row holds a layout, which cannot be a buddy
        form.addRow(ca_label, ca_row)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("CA certificate"), "", "PEM (*.pem *.crt);;*")
        if path:
            self.ca_file.setText(path)

    def url_text(self) -> str:
        """The URL these fields make (no password), or raises ``ValueError`` naming what is missing."""
        url = shared_setup.build_url(
            host=self.host.text(),
            port=self.port.value(),
            standbys=self.standbys.text(),
            database=self.database.text(),
            user=self.user.text(),
            sslmode=self.sslmode.currentText(),
            sslrootcert=self.ca_file.text(),
        )
        return url.render_as_string(hide_password=False)


class DatabaseDialog(QDialog):
    #: F1 opens this help page (``resources/help/database.md``; ``views/help_window``).
    help_topic = "database"
    #: A connection was tested (the message shown).
    tested = Signal(str)
    #: The settings were saved (the URL, without a password).
    saved = Signal(str)

    def __init__(
        self, paths: Paths, settings: Settings, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._paths, self._settings, self._runner = paths, settings, runner
        self.setWindowTitle(self.tr("Shared database"))
        self.fields = ConnectionFields()
        f = self.fields
        self.host, self.port, self.standbys, self.database = f.host, f.port, f.standbys, f.database
        self.user, self.password, self.sslmode, self.ca_file = f.user, f.password, f.sslmode, f.ca_file

        self.keyring_note = QLabel(keyring_note_text())
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setVisible(not shared_setup.keyring_is_secure())
        self.status = QLabel()
        self.status.setWordWrap(True)

        self.test_button = QPushButton(self.tr("T&est connection"))
        self.test_button.clicked.connect(self.test_connection)
        self.save_button = QPushButton(self.tr("Save"))
        self.save_button.clicked.connect(self.save)
        buttons = QDialogButtonBox()
        buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.fields)
        layout.addWidget(self.keyring_note)
        layout.addWidget(self.status)
        layout.addWidget(buttons)

    def url_text(self) -> str:
        """The URL these fields make (no password), or raises ``ValueError`` naming what is missing."""
        return self.fields.url_text()

    # --- testing and saving ---------------------------------------------------------------------------

    def test_connection(self) -> None:
        self._run(save=False)

    def save(self) -> None:
        self._run(save=True)

    def _run(self, *, save: bool) -> None:
        try:
            url_text = self.url_text()
        except ValueError as exc:
            self._show(self.tr("Not tested: %s.") % exc)
            return
        from sqlalchemy.engine import make_url

        url = make_url(url_text)
        password = self.password.text()
        timeouts = Timeouts(**self._settings.db_timeouts())
        self._busy(True)
        self._show(self.tr("Connecting…"))
        self._runner.run(
            lambda: shared_setup.try_url(url, password, timeouts),
            on_success=lambda test: self._tested(test, url_text, password, save),
            on_failure=self._failed,
            owner=self,
        )

    def _tested(self, test: ConnectionTest, url_text: str, password: str, save: bool) -> None:
        self._busy(False)
        message = self.tr("Connected to PostgreSQL %s.") % test.server_version
        if test.problem:
            message += " " + test.problem[0].upper() + test.problem[1:] + "."
        if save:
            self._settings = dataclasses.replace(self._settings, database_url=url_text)
            config.save_settings(self._paths, self._settings)
            if password and shared_setup.keyring_is_secure():
                from sqlalchemy.engine import make_url

                config.set_database_password(make_url(url_text), password)
            message += " " + self.tr("Saved: restart Supportline to use it.")
            self.saved.emit(url_text)
        self._show(message)
        if save:
            self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._busy(False)
        self._show(self.tr("Not connected: %s. Nothing was saved.") % (str(exc) or type(exc).__name__))

    def _busy(self, busy: bool) -> None:
        self.test_button.setEnabled(not busy)
        self.save_button.setEnabled(not busy)

    def _show(self, text: str) -> None:
        self.status.setText(text)
        self.tested.emit(text)
