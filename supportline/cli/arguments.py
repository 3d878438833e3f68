"""Checks on the raw command line, before argparse reads it.

On POSIX, Python decodes an argument that is not UTF-8 with ``surrogateescape``: the string then
holds lone surrogates, which nothing can encode as UTF-8 — not the database driver (a filter
such as ``--force``), not the audit trail (``--purpose``, a file name). Such an argument is a
usage error naming the option, never a traceback later on.
"""

from __future__ import annotations

from collections.abc import Sequence


def _is_utf8(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _name(argv: Sequence[str], i: int) -> str:
    arg = argv[i]
    if arg.startswith("--") and "=" in arg:
        return arg.split("=", 1)[0]
    if i > 0 and argv[i - 1].startswith("-") and not arg.startswith("-"):
        return argv[i - 1]
    return f"argument {i + 1}"


def not_utf8(argv: Sequence[str]) -> str | None:
    """A one-line usage error for the first argument that is not UTF-8 text, or ``None``."""
    for i, arg in enumerate(argv):
        if not _is_utf8(arg):
            return (
                f"{_name(argv, i)}: the value is not UTF-8 text "
                "(set the terminal to UTF-8, or rename the file)"
            )
    return None
