"""The GUI half of ``supportline self-test``, and the hooks the CLI receives."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from supportline.bootstrap import load_environment
from supportline.db import Database, create_database
from supportline.db.models import AuditEvent
from ui import hooks, selftest


def _audit_count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_check_main_window_passes_and_writes_nothing(
    qapp: object, sqlite_db: Database, add_calls: Callable[[int], list[str]]
) -> None:
    add_calls(3)
    before = _audit_count(sqlite_db)
    selftest.check_main_window(load_environment(), sqlite_db)
    assert _audit_count(sqlite_db) == before


def test_check_main_window_passes_on_an_empty_database(qapp: object, sqlite_db: Database) -> None:
    hooks.GUI_HOOKS.check_main_window(load_environment(), sqlite_db)


def test_check_main_window_names_what_is_broken(qapp: object, tmp_path: object) -> None:
    unmigrated = create_database(f"sqlite:///{tmp_path}/empty.db")
    try:
        with pytest.raises(RuntimeError, match=r"could not list the calls: .*no such table"):
            selftest.check_main_window(load_environment(), unmigrated)
    finally:
        unmigrated.dispose()


def test_the_hooks_do_not_load_qt_until_used() -> None:
    import subprocess
    import sys

    code = "import sys, ui.hooks; print(any(m.startswith('PySide6') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
