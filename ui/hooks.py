"""What the CLI may ask of the GUI; Qt is imported only when one of these actually runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from supportline.gui_hooks import Finding, GuiHooks

if TYPE_CHECKING:
    from supportline.bootstrap import Environment
    from supportline.db import Database


def _run(argv: list[str]) -> int:
    from ui.app import run

    return run(argv)


def _check_main_window(env: Environment, db: Database) -> None:
    from ui.selftest import check_main_window

    check_main_window(env, db)


def _check_qt() -> list[Finding]:
    from ui.selftest import check_qt

    return check_qt()


GUI_HOOKS = GuiHooks(run=_run, check_main_window=_check_main_window, check_qt=_check_qt)
