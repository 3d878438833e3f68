"""Files only their owner can read: the database, its WAL and SHM files, logs and backups.

Call records are special-category personal data, so every file the app writes that may hold
them is created mode 0600 in a folder of mode 0700 (exports already are: ``atomic_files.py``
writes through a ``NamedTemporaryFile``, which is 0600). The mode is set when the file is
created, never loosened afterwards; an existing file of ours with a wider mode is tightened.
SQLite gives its ``-wal`` and ``-shm`` files the mode of the database file, so a 0600 database
has 0600 companions. On Windows the modes mean little (the profile folder is private already)
and are left alone.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def _posix() -> bool:
    return os.name == "posix"


def private_folder(folder: Path, *, tighten: bool = True) -> Path:
    """``folder`` (and missing parents of it) created mode 0700; an existing ``folder`` is
    made 0700 too when ``tighten`` (the app's own folders), else left as its owner set it."""
    folder = Path(folder)
    existed = folder.exists()
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    if _posix() and (tighten or not existed):
        # mkdir's mode is filtered by the umask: set it exactly.
        with contextlib.suppress(OSError):
            os.chmod(folder, FOLDER_MODE)
    return folder


def private_file(path: Path) -> Path:
    """``path`` created empty with mode 0600 if absent; an existing file is made 0600."""
    path = Path(path)
    if not _posix():
        path.touch(exist_ok=True)
        return path
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def private_sqlite_file(database: Path, *, tighten_folder: bool = False) -> None:
    """Prepare a SQLite database file before SQLite opens it: its folder 0700 when created here
    (or always with ``tighten_folder``), the file 0600, and any companion file left by an
    earlier version tightened to 0600 as well. An empty file is an empty database to SQLite."""
    database = Path(database)
    private_folder(database.parent, tighten=tighten_folder)
    private_file(database)
    if _posix():
        for suffix in SQLITE_COMPANIONS:
            companion = database.with_name(database.name + suffix)
            if companion.exists():
                with contextlib.suppress(OSError):
                    os.chmod(companion, FILE_MODE)
