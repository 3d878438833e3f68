"""What the CLI needs from the GUI, passed in by the launcher so the core never imports Qt.

Light on purpose: the launcher reads ``is_gui_invocation`` before anything heavy is imported, so
that a GUI start shows its first screen without waiting for the CLI or the database layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from supportline.bootstrap import Environment
    from supportline.db import Database


@dataclass(frozen=True)
class Finding:
    """One line of the self-test: what was checked, whether it passed, and what was found."""

    check: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class GuiHooks:
    #: Start the GUI application (no subcommand given); returns the exit code.
    run: Callable[[list[str]], int]
    #: Self-test: build the main window offscreen on ``db``, show it, close it; raise on failure.
    check_main_window: Callable[[Environment, Database], None]
    #: Self-test: what Qt found in this installation (platform plugins, image formats, fonts).
    check_qt: Callable[[], list[Finding]]


#: The GUI's own options: training mode (``ui/training_mode.py``), and training on a fresh file.
GUI_OPTIONS = frozenset({"--training", "--reset-training"})


def is_gui_invocation(argv: list[str]) -> bool:
    """No command: nothing at all, the GUI's own options (:data:`GUI_OPTIONS`), or Qt's own
    single-dash options (``-style fusion``)."""
    if not argv:
        return True
    first = argv[0]
    if first in GUI_OPTIONS:
        return True
    return first.startswith("-") and not first.startswith("--") and first not in {"-h"}
