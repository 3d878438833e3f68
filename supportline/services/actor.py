"""Who is acting, and what each role may do (the table itself: :mod:`supportline.services.permissions`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from supportline.enums import Role
from supportline.services.errors import PermissionDeniedError
from supportline.services.permissions import ROLE_PERMISSIONS, Permission

__all__ = ["ROLE_PERMISSIONS", "Actor", "Permission", "require", "signed_in"]


@dataclass(frozen=True)
class Actor:
    """The signed-in person every service call is made on behalf of."""

    user_id: uuid.UUID
    username: str
    display_name: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]


def require(actor: Actor, permission: Permission) -> None:
    """Raise :class:`PermissionDeniedError` unless ``actor``'s role holds ``permission``.

    Not audited: a service entry point uses :func:`supportline.services.permissions.check`,
    which records the refusal."""
    if not actor.can(permission):
        raise PermissionDeniedError(
            f"{actor.username} ({actor.role.label}) may not do this: "
            f"it needs the {permission.value!r} permission"
        )


def signed_in(actor: Actor | None, where: str) -> Actor:
    """``actor``, or ``RuntimeError`` if nobody has signed in yet (the GUI builds some of its
    screens before the sign-in; they must not load anything until they have someone's)."""
    if actor is None:
        raise RuntimeError(f"nobody has signed in to {where} yet")
    return actor
