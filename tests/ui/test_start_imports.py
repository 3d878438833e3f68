"""What a start on the local SQLite database loads: only what the first screen needs.

The start path (the application object, settings, the database opened and its revision checked,
signing in, the main window built and shown) must not import what only other work needs — each
is tens of milliseconds of every start (see ``bench/bench_startup.py``): Alembic (only when a
migration is due), the PostgreSQL dialect and driver, the export libraries, QtCharts (the
statistics dashboard).
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
from ui import style
from ui.main_window import MainWindow
from ui.tasks import default_runner
from supportline.bootstrap import configure_logging, load_environment, migrate, open_database
from supportline.services import accounts

app = ui_app._application([])
env = load_environment()
configure_logging(env.paths)
style.apply(app, env.settings.theme)
db = open_database(env)
migrate(env, db)
actor = accounts.authenticate(db, "ada.admin", sys.argv[1])
window = MainWindow(env, db, actor, tasks=default_runner())
window.show()
app.processEvents()
loaded = sorted(sys.modules)
window.close()
db.dispose()
print(json.dumps(loaded))
"""

NOT_AT_START = (
    "alembic",
    "sqlalchemy.dialects.postgresql",
    "psycopg",
    "reportlab",
    "openpyxl",
    "PySide6.QtCharts",
    "supportline.exports",
)


def test_a_sqlite_start_loads_nothing_the_first_screen_does_not_need(cli_db: Database) -> None:
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
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "ui.main_window" in loaded and "sqlalchemy.orm" in loaded  # the probe did start the app
    unwanted = {
        name: [m for m in loaded if m == name or m.startswith(name + ".")][:3] for name in NOT_AT_START
    }
    assert {name: found for name, found in unwanted.items() if found} == {}
