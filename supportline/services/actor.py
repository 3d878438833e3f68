"""Who is acting, and what each role may do."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from supportline.enums import Role
from supportline.services.errors import PermissionDeniedError


class Permission(StrEnum):
    CALL_READ = "call.read"
    CALL_WRITE = "call.write"
    ADVICE_WRITE = "advice.write"
    HANDOVER_WRITE = "handover.write"
    EXPORT_PERSONAL = "export.personal"
    EXPORT_FIGURES = "export.figures"
    IMPORT = "import"
    USER_ADMIN = "user.admin"
    GUIDANCE_ADMIN = "guidance.admin"
    AUDIT_READ = "audit.read"
    RETENTION_ADMIN = "retention.admin"  # review and run the retention schedule
    LEGAL_HOLD = "retention.hold"  # place and release a legal hold on a case
    ERASURE_REQUEST = "erasure.request"
    ERASURE_APPROVE = "erasure.approve"  # never one's own request (services/erasure.py)


_BASE = {Permission.CALL_READ, Permission.CALL_WRITE}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OPERATOR: frozenset(_BASE),
    Role.ADVISER: frozenset(_BASE | {Permission.ADVICE_WRITE}),
    Role.SUPERVISOR: frozenset(
        _BASE
        | {
            Permission.ADVICE_WRITE,
            Permission.HANDOVER_WRITE,
            Permission.EXPORT_PERSONAL,
            Permission.EXPORT_FIGURES,
            Permission.IMPORT,
            Permission.AUDIT_READ,
            Permission.LEGAL_HOLD,
            Permission.ERASURE_REQUEST,
            Permission.ERASURE_APPROVE,
        }
    ),
    Role.ADMIN: frozenset(Permission),
}


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
