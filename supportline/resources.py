"""One locator for the shipped ``resources/`` folder.

The folder sits beside the packages in a source checkout (and an editable install), inside the
``supportline`` package in an installed wheel (``force-include`` in pyproject.toml), and at the
bundle root in a PyInstaller build (``build.spec`` collects it as ``resources``).
"""

from __future__ import annotations

import sys
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


class ResourcesNotFoundError(RuntimeError):
    """The application was installed without its resources."""


def resources_dir() -> Path:
    candidates: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "resources")
    candidates.append(_PACKAGE_DIR / "resources")  # installed wheel
    candidates.append(_PACKAGE_DIR.parent / "resources")  # source checkout / editable install
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    searched = ", ".join(str(c) for c in candidates)
    raise ResourcesNotFoundError(f"the resources folder is missing; looked in: {searched}")


def resource_path(*parts: str) -> Path:
    """Path of a shipped resource, e.g. ``resource_path("guidance")``."""
    return resources_dir().joinpath(*parts)


#: The application icon's PNG sizes in ``resources/icons`` (``packaging/make_icons.py`` renders
#: them from the SVG): the freedesktop icon theme's sizes, Windows' small ones, macOS's large ones.
ICON_SIZES = (16, 20, 22, 24, 32, 40, 48, 64, 128, 256, 512)

#: The F1 help pages in ``resources/help`` (``<page>.md``), one per screen; ``ui.views.help_window``
#: gives each its title, and a test holds the two lists together.
HELP_PAGES = (
    "sign-in",
    "call-list",
    "call-form",
    "guidance-pane",
    "export",
    "statistics",
    "accounts",
    "audit-viewer",
    "retention",
    "database",
    "setup",
    "training",
)

#: Every folder of ``resources/`` and the files in it the program cannot do without. ``build.spec``
#: ships exactly these folders (and stops if ``resources/`` holds one not listed here), the
#: self-test checks each file is there and readable, and a test holds this table to the folder.
SHIPPED: dict[str, tuple[str, ...]] = {
    "guidance": ("README.txt",),  # the templates themselves are checked by loading them
    "fonts": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "LICENSE"),  # embedded in PDF exports
    "passwords": ("common-passwords.txt", "LICENSE"),  # refused as passwords
    "icons": (
        "supportline.svg",
        *(f"supportline-{size}.png" for size in ICON_SIZES),
        "supportline.ico",
        "supportline.icns",
    ),
    "help": tuple(f"{page}.md" for page in HELP_PAGES),  # F1
    "training": (),  # the scripted training calls are checked by loading them
}


def missing_resources() -> list[str]:
    """The shipped files that are absent, empty or unreadable, as ``folder/file`` (``[]``: all there).

    Raises :class:`ResourcesNotFoundError` when the folder itself is missing."""
    root = resources_dir()
    missing: list[str] = []
    for folder, files in SHIPPED.items():
        for name in files:
            path = root / folder / name
            try:
                with path.open("rb") as handle:
                    if not handle.read(1):
                        missing.append(f"{folder}/{name} (empty)")
            except OSError:
                missing.append(f"{folder}/{name}")
    return missing
