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
