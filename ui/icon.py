"""The application icon: the PNGs of ``resources/icons``, 16 to 512 pixels (Qt scales between them).

Every window shows it (``QApplication.setWindowIcon``), and on Linux the desktop matches the
running program to ``supportline.desktop`` (``setDesktopFileName``) for the taskbar's icon.
"""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

from supportline.resources import ICON_SIZES, ResourcesNotFoundError, resource_path

DESKTOP_FILE_NAME = "supportline"


def application_icon() -> QIcon:
    """The icon, or an empty one if the installation lacks it (the self-test reports that)."""
    icon = QIcon()
    try:
        folder = resource_path("icons")
    except ResourcesNotFoundError:
        return icon
    for size in ICON_SIZES:
        path = folder / f"supportline-{size}.png"
        if path.is_file():
            icon.addFile(str(path), QSize(size, size))
    return icon
