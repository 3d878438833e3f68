"""Writing a file so that it is either complete or not there at all: :mod:`supportline.atomic_files`
(moved out of ``exports`` so that the audit trail, on the sign-in path, can use it without loading
the export package). Kept here for the exports' own imports."""

from __future__ import annotations

from supportline.atomic_files import TEMP_PREFIX, TEMP_SUFFIX, atomic_write

__all__ = ["TEMP_PREFIX", "TEMP_SUFFIX", "atomic_write"]
