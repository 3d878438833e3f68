"""Each user's own arrangement of the window, remembered between sign-ins on this workstation.

One INI file in the config folder, one group per user name. It holds only how the window is laid
out (geometry, splitter, columns, sort) and the theme: never a search, a filter or anything from
a call, since several people may share the workstation.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings

from supportline.config import Paths

FILE_NAME = "workspace.ini"


class UserLayout:
    def __init__(self, paths: Paths, username: str) -> None:
        paths.config_dir.mkdir(parents=True, exist_ok=True)
        self.path = paths.config_dir / FILE_NAME
        self._settings = QSettings(str(self.path), QSettings.Format.IniFormat)
        self._group = username

    def bytes(self, key: str) -> QByteArray | None:
        value = self._settings.value(f"{self._group}/{key}")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def text(self, key: str, default: str = "") -> str:
        value = self._settings.value(f"{self._group}/{key}", default)
        return value if isinstance(value, str) else default

    def set(self, key: str, value: QByteArray | str) -> None:
        self._settings.setValue(f"{self._group}/{key}", value)

    def sync(self) -> None:
        self._settings.sync()

    def clear(self) -> None:
        self._settings.remove(self._group)
        self._settings.sync()
