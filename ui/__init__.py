"""Supportline's PySide6 GUI. Importing this package does not import Qt (the CLI stays light)."""
