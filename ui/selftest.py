"""The GUI half of ``supportline self-test``: can this installation build and fill the main window?

It runs offscreen (a server or a CI runner has no display) with a synthetic identity and writes
nothing: the window lists calls but opens none, since opening a call is an audited consultation.
"""

from __future__ import annotations

import os
import time
import uuid

from supportline.bootstrap import Environment
from supportline.db import Database
from supportline.enums import Role
from supportline.services.actor import Actor

SELF_TEST_ACTOR = Actor(
    user_id=uuid.UUID(int=0), username="self-test", display_name="Self-test", role=Role.OPERATOR
)
TIMEOUT_S = 60


def check_main_window(env: Environment, db: Database) -> None:
    """Build, show, fill and close the main window; raise RuntimeError naming what went wrong."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from PySide6.QtWidgets import QApplication

        from ui.main_window import MainWindow
        from ui.tasks import TaskRunner
    except ImportError as exc:
        raise RuntimeError(f"the GUI libraries cannot be loaded: {exc}") from exc

    existing = QApplication.instance()
    if existing is not None and not isinstance(existing, QApplication):
        raise RuntimeError("a non-GUI Qt application is already running in this process")
    app = existing or QApplication(["supportline-self-test"])
    tasks = TaskRunner()
    window = MainWindow(env, db, SELF_TEST_ACTOR, tasks=tasks)
    try:
        window.resize(1366, 768)
        window.show()
        deadline = time.monotonic() + TIMEOUT_S
        while not window.model.loaded_once and time.monotonic() < deadline:
            app.processEvents()
            tasks.wait_until_idle(50)
        app.processEvents()
        if not window.model.loaded_once:
            raise RuntimeError(f"the main window did not list the calls within {TIMEOUT_S} s")
        if window.model.error:
            raise RuntimeError(f"the main window could not list the calls: {window.model.error}")
        if not window.isVisible():
            raise RuntimeError("the main window could not be shown")
    finally:
        window.close()
        window.deleteLater()
        tasks.wait_until_idle()
        tasks.deleteLater()
        app.processEvents()
