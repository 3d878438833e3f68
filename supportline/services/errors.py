"""Typed errors the services raise; their messages are written for the person at the screen."""

from __future__ import annotations

from dataclasses import dataclass


class ServiceError(Exception):
    """Base of every error a service raises on purpose."""


@dataclass(frozen=True)
class FieldError:
    field: str  # dotted path, e.g. "caller.phone" or "persons[1].nationalities"
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ValidationError(ServiceError):
    """The input was refused; ``errors`` names every bad field and why. Nothing was written."""

    def __init__(self, errors: list[FieldError] | tuple[FieldError, ...]) -> None:
        self.errors: tuple[FieldError, ...] = tuple(errors)
        super().__init__("; ".join(str(e) for e in self.errors) or "invalid input")

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(e.field for e in self.errors)


class NotFoundError(ServiceError):
    pass


class ConflictError(ServiceError):
    """Somebody else saved the record since it was opened; the edit was not applied.

    ``expected_version`` is the version the editor had (None: they thought it new),
    ``stored_version`` the one in the database and ``theirs`` the record as stored (for a call,
    a ``CallRecord``), so the screen can show their change beside yours.
    """

    def __init__(
        self,
        message: str,
        *,
        expected_version: int | None = None,
        stored_version: int | None = None,
        theirs: object | None = None,
    ) -> None:
        super().__init__(message)
        self.expected_version = expected_version
        self.stored_version = stored_version
        self.theirs = theirs


class PermissionDeniedError(ServiceError):
    pass


class AuthenticationError(ServiceError):
    """Wrong user name or password, or the account is disabled or locked."""
