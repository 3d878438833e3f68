"""Cold start to a usable main window on the 1,000,000-call database, against a bare PySide6 window.

Target (issue 3): the app's start <= 2.5 × the start of a bare PySide6 window with an empty table.

Each start is a fresh Python process (``QT_QPA_PLATFORM=offscreen``), timed by this script from
just before it is spawned to the moment it prints ``READY`` (both read the same monotonic clock,
so the child also reports when each phase ended):

- baseline: import PySide6, a ``QMainWindow`` with a ``QTableView`` over an empty
  ``QStandardItemModel``, shown, events processed;
- app: what ``ui.app.run`` does, less the interactive sign-in: the application object and theme,
  settings, logging, the database opened and its schema revision checked (one query; Alembic is
  imported only when a migration is due), ``accounts.authenticate``
  (the password check is part of signing in), ``MainWindow`` built and shown, and its call list's
  count and first page of rows loaded and painted.

Baseline and app runs alternate, so a slower moment of the machine touches both.

    .venv/bin/python bench/bench_startup.py [--repeat 9] [--drop-caches]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import DEMO_PASSWORD, DEMO_USER, ROOT, ensure_demo_database, table, verdict, write_results

TARGET_RATIO = 2.5
SIZE = (1366, 768)


def _now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def _phase(name: str) -> None:
    print(f"PHASE {name} {_now():.6f}", flush=True)


def _ready() -> None:
    """The marker the parent waits for, with the CPU time this process used until then."""
    print(f"CPU {time.process_time() * 1000:.3f}", flush=True)
    print(f"READY {_now():.6f}", flush=True)


def child_baseline() -> int:
    from PySide6.QtGui import QStandardItemModel
    from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

    _phase("imports")
    app = QApplication([sys.argv[0]])
    window = QMainWindow()
    view = QTableView()
    model = QStandardItemModel(0, 8)
    model.setHorizontalHeaderLabels(
        ["Reference", "Opened", "Urgency", "Status", "Caller", "Agency", "Force", "By"]
    )
    view.setModel(model)
    window.setCentralWidget(view)
    window.resize(*SIZE)
    window.show()
    app.processEvents()
    view.viewport().repaint()
    _phase("shown")
    _ready()
    return 0


def child_python() -> int:
    """Reference: the interpreter alone (this script's own imports included)."""
    _ready()
    return 0


def child_floor() -> int:
    """Reference: the baseline window, plus importing the database layer (SQLAlchemy and the models)."""
    import supportline.db.models  # noqa: F401

    _phase("import_sqlalchemy")
    return child_baseline()


def child_app() -> int:
    # Imported in layers, each timed: what Qt costs, what the database layer adds, and so on.
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication  # noqa: F401  (the same Qt modules the baseline loads)

    _phase("import_qt")
    import supportline.db.models  # noqa: F401  (SQLAlchemy, the ORM and the models)

    _phase("import_sqlalchemy")
    from supportline.bootstrap import configure_logging, load_environment, migrate, open_database
    from supportline.services import accounts

    _phase("import_core")
    from ui import app as ui_app
    from ui import style
    from ui.main_window import MainWindow
    from ui.tasks import default_runner

    _phase("import_ui")
    app = ui_app._application([])
    env = load_environment()
    configure_logging(env.paths)
    style.apply(app, env.settings.theme)
    _phase("app_object")
    db = open_database(env)
    _phase("database_open")
    migrate(env, db)  # at head already: only the revision check, as every start does
    _phase("migration_check")
    actor = accounts.authenticate(db, DEMO_USER, DEMO_PASSWORD)
    _phase("signed_in")
    window = MainWindow(env, db, actor, tasks=default_runner())
    _phase("window_built")
    done = {"ready": False}

    def usable() -> None:
        if done["ready"]:
            return
        done["ready"] = True
        app.processEvents()
        window.calls_tab.table.viewport().repaint()  # the first page of rows, painted
        rows = window.model.rowCount()
        _phase("list_loaded")
        print(f"ROWS {rows}", flush=True)
        _ready()
        QTimer.singleShot(0, app.quit)

    window.list_ready.connect(usable)
    window.resize(*SIZE)
    window.show()
    _phase("shown")
    if window.model.loaded_once:
        usable()
    app.exec()
    if window.model.error:
        print(f"ERROR {window.model.error}", flush=True)
    window.close()
    db.dispose()
    return 0


def run_once(kind: str, home: Path) -> dict[str, float | int]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SUPPORTLINE_HOME": str(home)}
    env.pop("SUPPORTLINE_DB_URL", None)
    started = _now()
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--child", kind],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    result: dict[str, float | int] = {}
    for line in proc.stdout:
        parts = line.split()
        if parts and parts[0] == "PHASE":
            result[parts[1]] = (float(parts[2]) - started) * 1000
        elif parts and parts[0] == "CPU":
            result["cpu"] = float(parts[1])
        elif parts and parts[0] == "ROWS":
            result["rows"] = int(parts[1])
        elif parts and parts[0] == "READY":
            result["ready"] = (_now() - started) * 1000
            result["ready_child_clock"] = (float(parts[1]) - started) * 1000
        elif parts and parts[0] == "ERROR":
            raise SystemExit(f"{kind} start failed: {line}")
    _out, err = proc.communicate(timeout=120)
    if proc.returncode != 0 or "ready" not in result:
        raise SystemExit(f"{kind} start failed (exit {proc.returncode}):\n{err[-3000:]}")
    return result


def drop_caches() -> None:
    os.sync()
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


CHILDREN = {"baseline": child_baseline, "app": child_app, "python": child_python, "floor": child_floor}
KINDS = (
    ("baseline", "bare PySide6 window, empty table (baseline)"),
    ("app", "Supportline main window, 1M calls"),
    ("python", "reference: Python interpreter only"),
    ("floor", "reference: baseline + importing SQLAlchemy and the models"),
)
APP_PHASES = (
    "import_qt",
    "import_sqlalchemy",
    "import_core",
    "import_ui",
    "app_object",
    "database_open",
    "migration_check",
    "signed_in",
    "window_built",
    "shown",
    "list_loaded",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="starts of each kind (after one untimed each)")
    parser.add_argument(
        "--drop-caches",
        action="store_true",
        help="also drop the OS page cache before each start (root only): a start after a reboot",
    )
    parser.add_argument("--drop-repeat", type=int, default=5, help="starts of each kind with dropped caches")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return CHILDREN[args.child]()

    home = ensure_demo_database()
    for kind, _label in KINDS:
        run_once(kind, home)  # untimed: Python's bytecode caches, and the OS's, as on a daily start
    modes = [("warm OS cache", False)] + ([("dropped OS cache", True)] if args.drop_caches else [])
    results: dict[str, dict[str, object]] = {}
    rows_out: list[tuple[object, ...]] = []
    phase_rows: list[tuple[object, ...]] = []
    for mode, drop in modes:
        runs: dict[str, list[dict[str, float | int]]] = {kind: [] for kind, _ in KINDS}
        repeat = args.drop_repeat if drop else args.repeat
        for i in range(repeat):
            for kind, _label in KINDS:
                if drop:
                    drop_caches()
                runs[kind].append(run_once(kind, home))
            print(f"{mode}: round {i + 1}/{repeat} done", file=sys.stderr)
        medians = {
            kind: {key: statistics.median(float(r[key]) for r in rs) for key in rs[0] if key != "rows"}
            for kind, rs in runs.items()
        }
        base = medians["baseline"]["ready"]
        ratio = medians["app"]["ready"] / base
        results[mode] = {
            "repeat": repeat,
            "runs_ms": runs,
            "median_ms": medians,
            "ratio": ratio,
            "target_met": ratio <= TARGET_RATIO,
            "rows_in_list": runs["app"][0].get("rows"),
        }
        for kind, label in KINDS:
            ready = medians[kind]["ready"]
            mark = verdict(ratio <= TARGET_RATIO) if kind == "app" else ""
            rows_out.append((mode, label, ready, ready / base, medians[kind]["cpu"], mark))
        previous = 0.0
        for phase in APP_PHASES:
            at = medians["app"][phase]
            phase_rows.append((mode, phase, at, at - previous))
            previous = at
    print()
    headers = ["cache", "start", "median ms", "× baseline", "CPU ms", f"target ≤ {TARGET_RATIO}×"]
    print(table(headers, rows_out))
    print("\nwhere the app's start goes (median ms from spawn; each phase's own share):")
    print(table(["cache", "phase ends", "at ms", "phase ms"], phase_rows))
    write_results("startup", {"target_ratio": TARGET_RATIO, "modes": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
