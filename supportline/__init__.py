"""Supportline core: records, services and the command line, with no Qt anywhere.

The GUI lives in the sibling package ``ui``; this package must stay importable (and usable
from the CLI) on a machine without a display.
"""

__version__ = "0.1.0"
