"""What a start on the local SQLite database loads: only what the first screen needs.

The sign-in is on screen before the database layer loads (``ui/app.py``): showing it must need
nothing but Qt, the settings and the dialog itself. The rest of the start (the database opened
and its revision checked, signing in, the main window built and shown) must not import what only
other work needs — each is tens of milliseconds of every start (see ``bench/bench_startup.py``):
Alembic (only when a migration is due), the PostgreSQL dialect and driver, the export libraries,
QtCharts (the statistics dashboard).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from supportline.db import Database
from tests.factories import PASSWORD, make_admin

PROBE = """
import json, sys
from ui import app as ui_app
from ui.views.login import LoginDialog

seen = {}
show, wait = LoginDialog.show, LoginDialog.wait

def shown(dialog):
    show(dialog)
    seen.setdefault("sign_in", sorted(sys.modules))

def sign_in(dialog):
    dialog.username.setText("ada.admin")
    dialog.password.setText(sys.argv[1])
    dialog.sign_in_button.click()
    return wait(dialog)

def exec_app(app):
    from ui.main_window import MainWindow  # loaded by now: not the probe's own doing
    [window] = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    app.processEvents()
    seen["main_window"] = sorted(sys.modules)
    window.close()
    return 0

LoginDialog.show, LoginDialog.wait, ui_app.exec_app = shown, sign_in, exec_app
code = ui_app.run([])
print(json.dumps({"code": code, **seen}))
"""

#: Not needed to show the sign-in: the task runner loads them while it is on screen.
NOT_AT_SIGN_IN = (
    "sqlalchemy",
    "argon2",
    "supportline.db",
    "supportline.services",
    "supportline.enums",
    "ui.main_window",
    "logging.handlers",
    "tomli_w",
)

NOT_AT_START = (
    "alembic",
    "sqlalchemy.dialects.postgresql",
    "psycopg",
    "reportlab",
    "openpyxl",
    "PySide6.QtCharts",
    "supportline.exports",
)


def _start(cli_db: Database) -> dict[str, list[str]]:
    make_admin(cli_db)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, PASSWORD],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen.pop("code") == 0  # type: ignore[comparison-overlap]
    return seen


def _found(loaded: list[str], names: tuple[str, ...]) -> dict[str, list[str]]:
    found = {name: [m for m in loaded if m == name or m.startswith(name + ".")][:3] for name in names}
    return {name: modules for name, modules in found.items() if modules}


def test_a_sqlite_start_loads_nothing_the_first_screen_does_not_need(cli_db: Database) -> None:
    seen = _start(cli_db)
    assert "ui.views.login" in seen["sign_in"]
    assert _found(seen["sign_in"], NOT_AT_SIGN_IN) == {}
    assert "ui.main_window" in seen["main_window"] and "sqlalchemy.orm" in seen["main_window"]
    assert _found(seen["main_window"], NOT_AT_START) == {}


def test_the_launcher_goes_to_the_gui_without_loading_the_cli() -> None:
    probe = (
        "import json, sys\n"
        "from ui import launcher\n"
        "from supportline.gui_hooks import is_gui_invocation\n"
        "assert is_gui_invocation([]) and not is_gui_invocation(['export'])\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert _found(json.loads(done.stdout), ("supportline.cli", "sqlalchemy", "PySide6")) == {}
