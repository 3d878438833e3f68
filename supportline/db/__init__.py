"""Storage: engines, models, migrations and backups."""

from supportline.db.engine import (
    Database,
    DatabaseUnavailableError,
    PasswordRequiredError,
    Timeouts,
    check_connection,
    create_database,
)

__all__ = [
    "Database",
    "DatabaseUnavailableError",
    "PasswordRequiredError",
    "Timeouts",
    "check_connection",
    "create_database",
]
