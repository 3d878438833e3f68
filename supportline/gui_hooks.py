"""What the CLI needs from the GUI, passed in by the launcher so the core never imports Qt."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from supportline.bootstrap import Environment
from supportline.db import Database


@dataclass(frozen=True)
class GuiHooks:
    #: Start the GUI application (no subcommand given); returns the exit code.
    run: Callable[[list[str]], int]
    #: Self-test: build the main window offscreen on ``db``, show it, close it; raise on failure.
    check_main_window: Callable[[Environment, Database], None]
