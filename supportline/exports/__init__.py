"""Exports of call data (issue 5): files written atomically, every export audited as a disclosure.

Core package: no Qt. ``csv_export.export_calls`` is the service; ``atomic.atomic_write`` the file
handling every format shares.
"""
