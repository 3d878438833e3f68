"""Writing a file so that it is either complete or not there at all.

The content goes to a temporary file in the *same* directory as the target (so the final rename
never crosses a file system), is flushed and fsynced, and only then ``os.replace``-d onto the
target. If anything goes wrong before that — an error, a cancel, a full disk — the temporary file
is removed and an existing target is left exactly as it was.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Literal, overload

TEMP_PREFIX = ".supportline-"
TEMP_SUFFIX = ".part"


@overload
def atomic_write(
    target: Path, mode: Literal["w"] = "w", *, encoding: str = "utf-8", newline: str | None = None
) -> contextlib.AbstractContextManager[IO[str]]: ...


@overload
def atomic_write(
    target: Path, mode: Literal["wb"], *, encoding: None = None, newline: None = None
) -> contextlib.AbstractContextManager[IO[bytes]]: ...


def atomic_write(
    target: Path, mode: str = "w", *, encoding: str | None = "utf-8", newline: str | None = None
) -> contextlib.AbstractContextManager[IO[Any]]:
    """A file object to write ``target``'s new content to; it replaces ``target`` on a normal exit.

    ``mode`` is ``"w"`` (text, ``encoding`` and ``newline`` as for :func:`open`) or ``"wb"``.
    """
    if mode not in {"w", "wb"}:
        raise ValueError(f"mode must be 'w' or 'wb', not {mode!r}")
    return _atomic_write(Path(target), mode, encoding if mode == "w" else None, newline)


@contextlib.contextmanager
def _atomic_write(target: Path, mode: str, encoding: str | None, newline: str | None) -> Iterator[IO[Any]]:
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115  # closed below, on every path
        mode=mode,
        encoding=encoding,
        newline=newline,
        dir=target.parent,
        prefix=TEMP_PREFIX,
        suffix=TEMP_SUFFIX,
        delete=False,
    )
    temp = Path(handle.name)
    try:
        try:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            handle.close()
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable where the platform allows (not on Windows)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
