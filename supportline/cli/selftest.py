"""``supportline self-test``: is this installation able to run? One line per check.

It changes nothing: the database is opened but never migrated (a self-test that "fixes" the
schema would hide the problem it exists to find). Besides the settings, the database and its
schema, it checks what an installation (a PyInstaller bundle above all) can lack: every shipped
resource (the help pages among them), the guidance, the scripted training calls, the fonts PDF
exports embed, the PostgreSQL driver with its libpq, and through the GUI hooks Qt's platform
plugins, image formats and fonts, then the main window.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supportline import bootstrap
from supportline.bootstrap import Environment
from supportline.cli.common import CliError, database_password_prompt
from supportline.cli.db_commands import schema_problem
from supportline.config import ConfigError
from supportline.db import Database
from supportline.db.migrate import head_revision
from supportline.gui_hooks import GuiHooks
from supportline.guidance.loader import load_folder
from supportline.resources import SHIPPED, ResourcesNotFoundError, missing_resources, resource_path


def register(commands: Any) -> None:
    p = commands.add_parser(
        "self-test",
        help="check configuration, database, schema, resources, guidance, fonts, the PostgreSQL driver, "
        "Qt's plugins and the main window; exit 0 if all is well",
    )
    p.set_defaults(handler=self_test_command)


@dataclass
class Report:
    failed: list[str] = field(default_factory=list)

    def ok(self, check: str, detail: str) -> None:
        print(f"ok   {check}: {detail}", flush=True)

    def fail(self, check: str, detail: str) -> None:
        self.failed.append(check)
        print(f"FAIL {check}: {detail}", flush=True)


def self_test_command(args: argparse.Namespace, gui: GuiHooks | None) -> int:
    report = Report()
    env = _check_configuration(report)
    db = _check_database(report, env)
    try:
        schema_ok = _check_schema(report, db)
        _check_resources(report)
        _check_guidance(report, env)
        _check_training_scripts(report)
        _check_pdf_fonts(report)
        _check_postgresql_driver(report)
        _check_qt(report, gui)
        _check_main_window(report, gui, env, db if schema_ok else None)
    finally:
        if db is not None:
            db.dispose()
    if report.failed:
        raise CliError(f"self-test failed: {', '.join(report.failed)}")
    print("self-test passed")
    return 0


def _check_configuration(report: Report) -> Environment | None:
    try:
        env = bootstrap.load_environment()
        bootstrap.configure_logging(env.paths)
    except ConfigError as exc:
        report.fail("configuration", str(exc))
        return None
    except OSError as exc:
        report.fail("configuration", f"cannot set up the log folder: {exc}")
        return None
    source = env.paths.settings_file if env.paths.settings_file.exists() else "defaults (no settings file)"
    report.ok("configuration", f"{source}; time zone {env.settings.display_timezone}")
    return env


def _check_database(report: Report, env: Environment | None) -> Database | None:
    if env is None:
        report.fail("database", "not checked: the configuration did not load")
        return None
    try:
        db = bootstrap.open_database(env, prompt=database_password_prompt)
    except Exception as exc:  # a self-test reports whatever goes wrong; it must not crash
        report.fail("database", str(exc) or type(exc).__name__)
        return None
    report.ok("database", f"{db.describe()} opens")
    return db


def _check_schema(report: Report, db: Database | None) -> bool:
    if db is None:
        report.fail("schema", "not checked: the database did not open")
        return False
    try:
        problem = schema_problem(db)
    except Exception as exc:  # a self-test reports whatever goes wrong; it must not crash
        report.fail("schema", f"cannot be read: {exc}")
        return False
    if problem is not None:
        report.fail("schema", problem)
        return False
    report.ok("schema", f"at revision {head_revision()}, matching the models")
    return True


def _check_resources(report: Report) -> None:
    try:
        folder = resource_path()
        missing = missing_resources()
    except ResourcesNotFoundError as exc:
        report.fail("resources", str(exc))
        return
    if missing:
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        report.fail("resources", f"missing from {folder}: {', '.join(missing[:3])}{more}")
        return
    files = sum(len(names) for names in SHIPPED.values())
    where = " (in the bundle)" if getattr(sys, "frozen", False) else ""
    report.ok("resources", f"{', '.join(SHIPPED)}: {files} file(s) in {folder}{where}")


def _check_pdf_fonts(report: Report) -> None:
    """The fonts PDF exports embed, parsed as the export will (a bad file fails every export)."""
    try:
        from reportlab.pdfbase.ttfonts import TTFont

        from supportline.exports.pdf_report import FONT_FILES

        names = []
        for name, file_name in FONT_FILES.items():
            font = TTFont(name, str(resource_path("fonts", file_name)))
            names.append(font.face.name.decode("ascii", "replace") if font.face.name else file_name)
    except Exception as exc:  # a self-test reports whatever goes wrong; it must not crash
        report.fail("fonts", f"the PDF fonts cannot be loaded: {type(exc).__name__}: {exc}")
        return
    report.ok("fonts", f"{', '.join(names)} load (embedded in PDF exports)")


def _check_postgresql_driver(report: Report) -> None:
    """psycopg, its libpq and SQLAlchemy's dialect for it: what a shared database needs."""
    try:
        import psycopg
        from psycopg import pq
        from sqlalchemy.dialects import registry

        registry.load("postgresql.psycopg")
        version = pq.version()
    except Exception as exc:  # ImportError "no pq wrapper available", a missing libpq, …
        report.fail("PostgreSQL driver", f"{type(exc).__name__}: {exc}")
        return
    libpq = f"libpq {version // 10000}.{version % 100}"
    if pq.__impl__ == "python" and getattr(sys, "frozen", False):
        report.fail(
            "PostgreSQL driver",
            f"psycopg {psycopg.__version__} found only the workstation's {libpq}: the bundle lacks "
            "psycopg's binary package (psycopg_binary), so a shared database depends on what is installed",
        )
        return
    report.ok("PostgreSQL driver", f"psycopg {psycopg.__version__} ({pq.__impl__}), {libpq}")


def _check_qt(report: Report, gui: GuiHooks | None) -> None:
    if gui is None:
        report.fail("Qt", "skipped: the GUI is not available in this installation")
        return
    try:
        findings = gui.check_qt()
    except Exception as exc:  # a self-test reports whatever goes wrong; it must not crash
        report.fail("Qt", f"{type(exc).__name__}: {exc}")
        return
    for finding in findings:
        (report.ok if finding.ok else report.fail)(finding.check, finding.detail)


def _check_guidance(report: Report, env: Environment | None) -> None:
    try:
        folder = (
            Path(env.settings.guidance_dir).expanduser()
            if env is not None and env.settings.guidance_dir
            else resource_path("guidance")
        )
    except ResourcesNotFoundError as exc:
        report.fail("guidance", str(exc))
        return
    if not folder.is_dir():
        report.fail("guidance", f"{folder} is not a folder")
        return
    if not os.access(folder, os.R_OK | os.X_OK):
        report.fail("guidance", f"{folder} cannot be read")
        return
    result = load_folder(folder)
    if result.problems:
        first = result.problems[0]
        more = f" (and {len(result.problems) - 1} more)" if len(result.problems) > 1 else ""
        report.fail(
            "guidance",
            f"{len(result.problems)} problem(s) in {folder}: {first}{more}; "
            "run `supportline guidance check` for all of them",
        )
        return
    if not result.templates:
        report.fail("guidance", f"no templates in {folder}")
        return
    report.ok("guidance", f"{len(result.templates)} template(s) in {folder}, all valid")


def _check_training_scripts(report: Report) -> None:
    """The scripted training calls of ``resources/training``, parsed as training mode will."""
    from supportline.training_script import ScenarioError, load_scenarios

    try:
        folder = resource_path("training")
        scenarios = load_scenarios(folder)
    except (ResourcesNotFoundError, ScenarioError, OSError, UnicodeDecodeError) as exc:
        report.fail("training scripts", str(exc))
        return
    if not scenarios:
        report.fail("training scripts", f"no scripted training call (*.toml) in {folder}")
        return
    report.ok("training scripts", f"{len(scenarios)} scripted call(s) in {folder}, all valid")


def _check_main_window(
    report: Report, gui: GuiHooks | None, env: Environment | None, db: Database | None
) -> None:
    if gui is None:
        report.fail("main window", "skipped: the GUI is not available in this installation")
        return
    if env is None or db is None:
        report.fail("main window", "skipped: needs a working configuration and an up-to-date database")
        return
    try:
        gui.check_main_window(env, db)
    except Exception as exc:  # whatever breaks the window is the finding, not a crash
        report.fail("main window", f"{type(exc).__name__}: {exc}")
        return
    report.ok("main window", "opened offscreen, listed the calls and closed")
