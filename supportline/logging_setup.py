"""Application logs that hold no personal data: where something happened, never what it was about.

The log file is for the IT service desk; call records are special-category personal data and
must never reach it. So:

- the code logs ids, counts and kinds, never names, phone numbers, narratives or passwords;
- :class:`WhereNotWhatFormatter` writes an exception as its type and the frames it passed
  through (file, line, function), never its message, arguments or local variables: the message
  of a ``ValueError`` raised while validating a form may hold what the person typed;
- warnings are logged as their category and where they were raised, never their text;
- SQLAlchemy's ``hide_parameters`` is on for every engine (``db/engine.py``), so a database
  error never carries the values of a statement;
- the file is 0600 in a 0700 folder (``private_files``), rotated at midnight (UTC), and rotated
  files older than ``log_retention_days`` (90 by default) are deleted.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import time
import traceback
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any

from supportline.private_files import FILE_MODE, private_file, private_folder

LOG_NAME = "supportline.log"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
WARNINGS_LOGGER = "py.warnings"

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def describe_exception(exc: BaseException) -> str:
    """A traceback that shows where, not what: each exception's type and frames, no message.

    Chained exceptions (``raise … from …`` and exceptions during handling) are shown as Python
    shows them, oldest first, each without its message.
    """
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            link = "The above exception was the direct cause of the following exception:"
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            link = "During handling of the above exception, another exception occurred:"
            current = current.__context__
        else:
            current = None
    parts: list[str] = []
    for index, (item, _link) in enumerate(reversed(chain)):
        if index:
            # The link text belongs to the exception that follows it in the printed order.
            parts.append("\n" + chain[len(chain) - index][1] + "\n")
        parts.append(_one_exception(item))
    return "\n".join(parts)


def _one_exception(exc: BaseException) -> str:
    lines = ["Traceback (most recent call last):"]
    for frame in traceback.extract_tb(exc.__traceback__):
        lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
    kind = type(exc)
    name = (
        kind.__qualname__
        if kind.__module__ in {"builtins", "__main__"}
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    lines.append(f"{name} (message not logged)")
    return "\n".join(lines)


class WhereNotWhatFormatter(logging.Formatter):
    """The log line as usual; an exception as :func:`describe_exception` gives it."""

    def format(self, record: logging.LogRecord) -> str:
        # logging.Formatter caches the formatted exception on the record (``exc_text``) and every
        # later handler reuses it: a handler with the standard formatter that ran first (pytest's,
        # a console's) would put the message into this log. Ours is made afresh, and not left
        # behind for the others either.
        cached = record.exc_text
        record.exc_text = None
        try:
            return super().format(record)
        finally:
            record.exc_text = cached

    def formatException(self, ei: Any) -> str:
        exc = ei[1] if isinstance(ei, tuple) and len(ei) == 3 else None
        if not isinstance(exc, BaseException):
            return "(exception details not logged)"
        return describe_exception(exc)


class PrivateTimedRotatingFileHandler(logging.handlers.TimedRotatingFileHandler):
    """A daily rotating log whose every file (the current one and each new one) is 0600."""

    def _open(self) -> Any:
        private_file(Path(self.baseFilename))
        return super()._open()

    def doRollover(self) -> None:
        super().doRollover()
        for old in Path(self.baseFilename).parent.glob(Path(self.baseFilename).name + ".*"):
            with contextlib.suppress(OSError):
                os.chmod(old, FILE_MODE)


def prune_logs(log_dir: Path, retention_days: int, *, now: float | None = None) -> list[Path]:
    """Delete rotated log files last written more than ``retention_days`` ago; returns them."""
    limit = (time.time() if now is None else now) - retention_days * 86_400
    removed: list[Path] = []
    for path in Path(log_dir).glob(LOG_NAME + ".*"):
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                removed.append(path)
    return removed


def _log_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    # The text of a warning may quote data (a value that could not be converted, …): not logged.
    logging.getLogger(WARNINGS_LOGGER).warning("%s at %s:%s", category.__name__, filename, lineno)


def configure(log_dir: Path, *, retention_days: int, level: int = logging.INFO) -> Path:
    """Log to ``log_dir/supportline.log`` (idempotent: a second call adds no second handler)."""
    private_folder(log_dir)
    log_file = log_dir / LOG_NAME
    prune_logs(log_dir, retention_days)
    root = logging.getLogger()
    if not any(isinstance(h, PrivateTimedRotatingFileHandler) for h in root.handlers):
        handler = PrivateTimedRotatingFileHandler(
            log_file, when="midnight", utc=True, backupCount=retention_days, encoding="utf-8"
        )
        handler.setFormatter(WhereNotWhatFormatter(FORMAT))
        root.addHandler(handler)
        root.setLevel(level)
        warnings.showwarning = _log_warning
    # SQLAlchemy logs statements at INFO and result rows at DEBUG (call data): never into our file,
    # whatever the root level.
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)
    return log_file
