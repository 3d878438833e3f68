"""Accounts: Argon2id password hashes, sign-in, and the first administrator."""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportline.db.engine import Database
from supportline.db.models import NAME_MAX, User
from supportline.enums import AuditCategory, Role
from supportline.services import audit
from supportline.services.actor import Actor, Permission, require
from supportline.services.errors import (
    AuthenticationError,
    FieldError,
    PermissionDeniedError,
    ValidationError,
)

PASSWORD_MIN = 10
PASSWORD_MAX = 1024
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@cache
def hasher() -> PasswordHasher:
    """argon2-cffi's defaults (RFC 9106 low-memory profile): Argon2id."""
    return PasswordHasher()


@dataclass(frozen=True)
class UserRecord:
    id: uuid.UUID
    username: str
    display_name: str
    role: Role
    active: bool
    is_demo: bool
    locked: bool
    created_at: datetime
    last_login_at: datetime | None


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _validate_new_user(username: str, display_name: str, role: object, password: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if not USERNAME_RE.match(username):
        errors.append(
            FieldError(
                "username",
                "use 1-64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
            )
        )
    if not display_name.strip():
        errors.append(FieldError("display_name", "required"))
    elif len(display_name) > NAME_MAX:
        errors.append(FieldError("display_name", f"longer than {NAME_MAX} characters"))
    if not isinstance(role, Role):
        try:
            Role(str(role))
        except ValueError:
            errors.append(FieldError("role", f"{role!r} is not one of {', '.join(r.value for r in Role)}"))
    errors.extend(_password_errors(password))
    return errors


def _password_errors(password: str) -> list[FieldError]:
    if len(password) < PASSWORD_MIN:
        return [FieldError("password", f"must be at least {PASSWORD_MIN} characters")]
    if len(password) > PASSWORD_MAX:
        return [FieldError("password", f"must be at most {PASSWORD_MAX} characters")]
    if "\x00" in password:
        return [FieldError("password", "must not contain a NUL character")]
    return []


def _to_record(user: User, max_failed: int) -> UserRecord:
    return UserRecord(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        active=user.active,
        is_demo=user.is_demo,
        locked=user.failed_logins >= max_failed,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


def actor_for(user: User | UserRecord) -> Actor:
    return Actor(user_id=user.id, username=user.username, display_name=user.display_name, role=user.role)


def count_users(db: Database) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def _insert_user(
    session: Session,
    username: str,
    display_name: str,
    role: Role,
    password: str,
    *,
    is_demo: bool,
) -> User:
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ValidationError([FieldError("username", f"{username!r} is already taken")])
    user = User(
        id=uuid.uuid4(),
        username=username,
        display_name=display_name.strip(),
        role=role,
        password_hash=hasher().hash(password),
        active=True,
        is_demo=is_demo,
        failed_logins=0,
        created_at=datetime.now(UTC),
    )
    session.add(user)
    return user


def create_first_admin(db: Database, username: str, display_name: str, password: str) -> UserRecord:
    """Create the first account, an administrator, on a database that has none (no sign-in needed)."""
    username = normalise_username(username)
    errors = _validate_new_user(username, display_name, Role.ADMIN, password)
    if errors:
        raise ValidationError(errors)
    with db.write() as session:
        if session.scalar(select(func.count()).select_from(User)):
            raise PermissionDeniedError("accounts already exist: sign in as an administrator to add one")
        user = _insert_user(session, username, display_name, Role.ADMIN, password, is_demo=False)
        session.flush()
        audit.record(
            session, actor_for(user), AuditCategory.COLLECTION, "user.create", "user", user.id,
            role=Role.ADMIN.value, first_admin=True,
        )  # fmt: skip
        return _to_record(user, db.max_failed_logins)


def create_user(
    db: Database,
    actor: Actor,
    username: str,
    display_name: str,
    role: Role | str,
    password: str,
    *,
    is_demo: bool = False,
) -> UserRecord:
    require(actor, Permission.USER_ADMIN)
    username = normalise_username(username)
    errors = _validate_new_user(username, display_name, role, password)
    if errors:
        raise ValidationError(errors)
    with db.write() as session:
        user = _insert_user(session, username, display_name, Role(role), password, is_demo=is_demo)
        session.flush()
        audit.record(
            session, actor, AuditCategory.COLLECTION, "user.create", "user", user.id, role=Role(role).value
        )
        return _to_record(user, db.max_failed_logins)


def list_users(db: Database, actor: Actor) -> list[UserRecord]:
    require(actor, Permission.USER_ADMIN)
    with db.read() as session:
        users = session.scalars(select(User).order_by(User.username)).all()
        return [_to_record(u, db.max_failed_logins) for u in users]


@dataclass(frozen=True)
class Handler:
    """Someone who may have handled calls: enough to filter the call list by handler."""

    id: uuid.UUID
    display_name: str
    active: bool


def list_handlers(db: Database, actor: Actor) -> tuple[Handler, ...]:
    """Everyone who can appear as a call's handler, by display name (any reader of calls may ask)."""
    require(actor, Permission.CALL_READ)
    with db.read() as session:
        rows = session.execute(
            select(User.id, User.display_name, User.active).order_by(User.display_name, User.username)
        ).all()
    return tuple(Handler(id=r[0], display_name=r[1], active=r[2]) for r in rows)


_DUMMY_HASH: str | None = None


def _dummy_verify(password: str) -> None:
    """Spend the same time on an unknown user name as on a known one."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hasher().hash("not a real password, only for timing")
    with contextlib.suppress(VerificationError):
        hasher().verify(_DUMMY_HASH, password)


def authenticate(db: Database, username: str, password: str) -> Actor:
    """Check a sign-in. Success and every refusal are recorded in the audit log.

    The refusal message is the same for an unknown name and a wrong password.
    """
    name = normalise_username(username)
    refused: str | None = None
    with db.write() as session:
        user = session.scalar(select(User).where(User.username == name))
        now = datetime.now(UTC)
        if user is None:
            _dummy_verify(password)
            refused = "unknown user"
        elif not user.active:
            refused = "account disabled"
        elif user.failed_logins >= db.max_failed_logins:
            refused = "account locked"
        else:
            try:
                hasher().verify(user.password_hash, password)
            except (VerifyMismatchError, InvalidHashError):
                user.failed_logins += 1
                refused = "wrong password"
            else:
                user.failed_logins = 0
                user.last_login_at = now
                if hasher().check_needs_rehash(user.password_hash):
                    user.password_hash = hasher().hash(password)
        if refused is not None:
            audit.record(
                session,
                actor_for(user) if user is not None else None,
                AuditCategory.ACCESS,
                "login.refused",
                "user",
                user.id if user is not None else "",
                actor_name=name[:100],
                reason=refused,
            )
        else:
            assert user is not None
            audit.record(session, actor_for(user), AuditCategory.ACCESS, "login.ok", "user", user.id)
            return actor_for(user)
    if refused == "account locked":
        raise AuthenticationError(
            "this account is locked after too many failed sign-ins; ask an administrator to unlock it"
        )
    if refused == "account disabled":
        raise AuthenticationError("this account is disabled; ask an administrator")
    raise AuthenticationError("wrong user name or password")


def set_password(db: Database, actor: Actor, user_id: uuid.UUID, password: str) -> None:
    """Set a password (one's own, or anyone's for an administrator); also unlocks the account."""
    if actor.user_id != user_id:
        require(actor, Permission.USER_ADMIN)
    errors = _password_errors(password)
    if errors:
        raise ValidationError(errors)
    with db.write() as session:
        user = session.get(User, user_id)
        if user is None:
            raise ValidationError([FieldError("user", "no such user")])
        user.password_hash = hasher().hash(password)
        user.failed_logins = 0
        audit.record(session, actor, AuditCategory.ALTERATION, "user.password", "user", user.id)


def handler_id_for(db: Database, actor: Actor, username: str) -> uuid.UUID | None:
    """The id of the user signed in as ``username`` (as a call filter), or None if there is none."""
    require(actor, Permission.CALL_READ)
    with db.read() as session:
        return session.scalar(select(User.id).where(User.username == normalise_username(username)))
