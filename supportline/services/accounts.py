"""Accounts: Argon2id password hashes, sign-in and lockout, and account administration.

Signing in (:func:`authenticate`) is three steps, so that the slow part holds no lock:

1. read the account (a read transaction, ended at once);
2. check the password with Argon2 — always, also for an unknown name (against a dummy hash), a
   disabled or a locked account, so that every refusal takes the same time — outside any
   transaction (on SQLite a write transaction is ``BEGIN IMMEDIATE``: holding it for the ~0.4 s
   of Argon2 made other workstations' saves fail with "database is locked");
3. one short write transaction: the outcome and its audit event. A wrong password adds one to
   ``failed_logins`` with a single ``UPDATE … SET failed_logins = failed_logins + 1`` (no
   read-modify-write and no bump of the row's version, so parallel wrong guesses are all counted
   and none fails with a stale version, which would also have lost its audit event).

The ``max_failed_logins``-th wrong password in a row locks the account for ``lockout_minutes``
(``users.locked_until``); while it is locked even the right password is refused. After it ends,
each further wrong password locks it again until a right one resets the count; an administrator
can unlock it at once (:func:`unlock_user`, or a password reset).

Administration (admins only): add, disable and enable (never delete: a person who handled calls
stays named on them), change the role, reset the password (the next sign-in must choose a new
one: :class:`PasswordChangeRequiredError`, :func:`change_password_at_sign_in`), unlock. Nobody
can disable or demote themselves, and the last active administrator cannot be disabled or
demoted. Every change, and every refusal of one, is in the audit log (ids and reasons, never a
password or a name).
"""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import and_, case, func, literal, or_, select, update
from sqlalchemy.orm import Session

from supportline.db.engine import Database
from supportline.db.models import NAME_MAX, User
from supportline.db.types import UTCDateTime
from supportline.enums import AuditCategory, Role
from supportline.services import audit, permissions
from supportline.services.actor import Actor, Permission, require
from supportline.services.errors import (
    AuthenticationError,
    FieldError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from supportline.services.passwords import PASSWORD_MAX, PASSWORD_MIN, password_problem

__all__ = ["PASSWORD_MAX", "PASSWORD_MIN"]

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")

WRONG_NAME_OR_PASSWORD = "wrong user name or password"  # noqa: S105 (a message, not a secret)


class PasswordChangeRequiredError(AuthenticationError):
    """The password was right, but an administrator reset it: a new one must be chosen first
    (:func:`change_password_at_sign_in`). Nobody is signed in yet."""


class AccountRuleError(PermissionDeniedError):
    """An account change that would break a rule (the last administrator, one's own account)."""


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
    locked_until: datetime | None = None
    failed_logins: int = 0
    must_change_password: bool = False


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _password_errors(password: str, username: str = "", display_name: str = "") -> list[FieldError]:
    problem = password_problem(password, username=username, display_name=display_name)
    return [FieldError("password", problem)] if problem else []


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
    errors.extend(_password_errors(password, username, display_name))
    return errors


#: The account operations and the action of the permission table each is (``require_admin``).
ADMIN_ACTIONS: dict[str, permissions.Action] = {
    "user.create": permissions.Action.USER_CREATE,
    "user.list": permissions.Action.USER_LIST,
    "user.get": permissions.Action.USER_LIST,
    "user.disable": permissions.Action.USER_CHANGE,
    "user.enable": permissions.Action.USER_CHANGE,
    "user.role": permissions.Action.USER_CHANGE,
    "user.unlock": permissions.Action.USER_CHANGE,
    "user.password.reset": permissions.Action.USER_PASSWORD,
}


def require_admin(db: Database, actor: Actor, action: str, user_id: uuid.UUID | None = None) -> None:
    """:func:`permissions.check` for the account operation ``action`` (a key of
    :data:`ADMIN_ACTIONS`): a refusal is audited in its own transaction, under the table's action
    (``user.change``, ``user.password`` …) with ``outcome="refused"`` and the operation named."""
    permissions.check(db, actor, ADMIN_ACTIONS[action], user_id or "", operation=action)


def _is_locked(user: User, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def _to_record(user: User, now: datetime | None = None) -> UserRecord:
    now = now or datetime.now(UTC)
    locked = _is_locked(user, now)
    return UserRecord(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        active=user.active,
        is_demo=user.is_demo,
        locked=locked,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
        locked_until=user.locked_until if locked else None,
        failed_logins=user.failed_logins,
        must_change_password=user.must_change_password,
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
    password_hash: str,
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
        password_hash=password_hash,
        active=True,
        is_demo=is_demo,
        failed_logins=0,
        must_change_password=False,
        created_at=datetime.now(UTC),
    )
    session.add(user)
    return user


def first_admin_problems(username: str, display_name: str, password: str) -> list[FieldError]:
    """What :func:`create_first_admin` would refuse in these details, every field at once, without
    a database (the first-run setup checks its page before the database exists)."""
    return _validate_new_user(normalise_username(username), display_name, Role.ADMIN, password)


def create_first_admin(db: Database, username: str, display_name: str, password: str) -> UserRecord:
    """Create the first account, an administrator, on a database that has none (no sign-in needed)."""
    username = normalise_username(username)
    errors = _validate_new_user(username, display_name, Role.ADMIN, password)
    if errors:
        raise ValidationError(errors)
    password_hash = hasher().hash(password)  # before the write transaction, not inside it
    with db.write() as session:
        if session.scalar(select(func.count()).select_from(User)):
            raise PermissionDeniedError("accounts already exist: sign in as an administrator to add one")
        user = _insert_user(session, username, display_name, Role.ADMIN, password_hash, is_demo=False)
        session.flush()
        audit.record(
            session, actor_for(user), AuditCategory.COLLECTION, "user.create", "user", user.id,
            role=Role.ADMIN.value, first_admin=True,
        )  # fmt: skip
        return _to_record(user)


def create_user(
    db: Database,
    actor: Actor,
    username: str,
    display_name: str,
    role: Role | str,
    password: str,
    *,
    is_demo: bool = False,
    must_change_password: bool = False,
) -> UserRecord:
    """Add an account. ``must_change_password``: the password given is a first one for the person
    to replace at their first sign-in (the Accounts window sets it)."""
    require_admin(db, actor, "user.create")
    username = normalise_username(username)
    errors = _validate_new_user(username, display_name, role, password)
    if errors:
        raise ValidationError(errors)
    password_hash = hasher().hash(password)
    with db.write() as session:
        user = _insert_user(session, username, display_name, Role(role), password_hash, is_demo=is_demo)
        user.must_change_password = must_change_password
        session.flush()
        audit.record(
            session, actor, AuditCategory.COLLECTION, "user.create", "user", user.id,
            role=Role(role).value, must_change_password=must_change_password,
        )  # fmt: skip
        return _to_record(user)


def list_users(db: Database, actor: Actor) -> list[UserRecord]:
    require_admin(db, actor, "user.list")
    now = datetime.now(UTC)
    with db.read() as session:
        users = session.scalars(select(User).order_by(User.username)).all()
        return [_to_record(u, now) for u in users]


def get_user(db: Database, actor: Actor, username: str) -> UserRecord:
    """One account by user name (admins), or NotFoundError naming it."""
    require_admin(db, actor, "user.get")
    name = normalise_username(username)
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == name))
        if user is None:
            raise NotFoundError(f"there is no account {name!r}")
        return _to_record(user)


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


# --- signing in ------------------------------------------------------------------------------

_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hasher().hash("not a real password, only for timing")
    return _DUMMY_HASH


def _verify(password_hash: str | None, password: str) -> bool:
    """Argon2 check of ``password``; with no usable hash (unknown name, imported placeholder) a
    dummy hash is checked instead, so that the refusal takes as long as any other."""
    try:
        return bool(hasher().verify(password_hash or _dummy_hash(), password)) and password_hash is not None
    except InvalidHashError:
        with contextlib.suppress(VerificationError):
            hasher().verify(_dummy_hash(), password)
        return False
    except (VerifyMismatchError, VerificationError):
        return False


@dataclass(frozen=True)
class _Snapshot:
    id: uuid.UUID
    username: str
    display_name: str
    role: Role
    active: bool
    password_hash: str
    locked_until: datetime | None
    must_change_password: bool


def _read_account(db: Database, name: str) -> _Snapshot | None:
    with db.read() as session:
        user = session.scalar(select(User).where(User.username == name))
        if user is None:
            return None
        return _Snapshot(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            active=user.active,
            password_hash=user.password_hash,
            locked_until=user.locked_until,
            must_change_password=user.must_change_password,
        )


def _actor(snapshot: _Snapshot) -> Actor:
    return Actor(
        user_id=snapshot.id,
        username=snapshot.username,
        display_name=snapshot.display_name,
        role=snapshot.role,
    )


def _record_refusal(
    db: Database,
    name: str,
    account: _Snapshot | None,
    reason: str,
    *,
    wrong_password: bool,
    now: datetime,
    action: str = "login.refused",
    purpose: str = "",
) -> bool:
    """One short transaction: the refused sign-in's audit event and, for a wrong password of a
    known account, one more failure counted atomically (locking the account at the limit).
    Returns whether the account is locked after it."""
    locked = False
    with db.write() as session:
        if account is not None and wrong_password:
            until = now + timedelta(minutes=db.lockout_minutes)
            starts_lock = and_(
                User.failed_logins + 1 >= db.max_failed_logins,
                or_(User.locked_until.is_(None), User.locked_until <= now),
            )
            row = session.execute(
                update(User)
                .where(User.id == account.id)
                .values(
                    failed_logins=User.failed_logins + 1,
                    locked_until=case((starts_lock, literal(until, UTCDateTime())), else_=User.locked_until),
                )
                .returning(User.failed_logins, User.locked_until)
                .execution_options(synchronize_session=False)
            ).one_or_none()
            if row is not None:
                failures, locked_until = row
                locked = locked_until is not None and locked_until > now
                if locked_until == until:  # this failure started the lock (not an earlier one)
                    audit.record(
                        session, _actor(account), AuditCategory.ACCESS, "user.locked", "user", account.id,
                        failed_logins=int(failures), minutes=db.lockout_minutes,
                    )  # fmt: skip
        audit.record(
            session,
            _actor(account) if account is not None else None,
            AuditCategory.ACCESS,
            action,
            "user",
            account.id if account is not None else "",
            outcome="refused",
            actor_name=name[:100],
            reason=reason,
            **_purpose(purpose),
        )
    return locked


def _purpose(purpose: str) -> dict[str, Any]:
    """The ``purpose`` detail of a refused password check that is not a sign-in."""
    return {"purpose": purpose} if purpose else {}


def _locked_message(db: Database) -> str:
    return (
        "this account is locked after too many failed sign-ins; try again in "
        f"{db.lockout_minutes} minute{'s' if db.lockout_minutes != 1 else ''}, "
        "or ask an administrator to unlock it"
    )


def _check(
    db: Database,
    username: str,
    password: str,
    now: datetime,
    *,
    action: str = "login.refused",
    purpose: str = "",
) -> _Snapshot:
    """Steps 1 and 2 of a sign-in (and the refusal's write): the account whose password this
    is, active and not locked; or AuthenticationError, audited (as ``action``)."""
    name = normalise_username(username)
    account = _read_account(db, name)
    right = _verify(account.password_hash if account is not None else None, password)

    def refuse(reason: str, account: _Snapshot | None, wrong_password: bool) -> bool:
        return _record_refusal(
            db, name, account, reason, wrong_password=wrong_password, now=now, action=action, purpose=purpose
        )

    if account is None:
        refuse("unknown user", None, False)
        raise AuthenticationError(WRONG_NAME_OR_PASSWORD)
    locked_before = account.locked_until is not None and account.locked_until > now
    if not account.active:
        refuse("account disabled", account, not right)
        raise AuthenticationError("this account is disabled; ask an administrator")
    if locked_before:
        refuse("account locked", account, not right)
        raise AuthenticationError(_locked_message(db))
    if not right:
        locked_now = refuse("wrong password", account, True)
        if locked_now:
            raise AuthenticationError(f"{WRONG_NAME_OR_PASSWORD}; {_locked_message(db)}")
        raise AuthenticationError(WRONG_NAME_OR_PASSWORD)
    return account


def _signed_in(
    session: Session,
    account: _Snapshot,
    now: datetime,
    *,
    new_hash: str | None = None,
    must_change: bool = False,
) -> bool:
    """The success write: resets the count, unless the account changed since it was read
    (disabled, locked, its password changed): then False and nothing is changed."""
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if new_hash is not None:
        values["password_hash"] = new_hash
        values["must_change_password"] = False
    conditions = [
        User.id == account.id,
        User.active.is_(True),
        User.password_hash == account.password_hash,
        or_(User.locked_until.is_(None), User.locked_until <= now),
        User.must_change_password.is_(must_change),
    ]
    result = session.execute(
        update(User).where(*conditions).values(**values).execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def authenticate(db: Database, username: str, password: str, *, now: datetime | None = None) -> Actor:
    """Check a sign-in. Success and every refusal are recorded in the audit log.

    The refusal message is the same for an unknown name and a wrong password, and every refusal
    costs one Argon2 check. A right password that an administrator reset raises
    :class:`PasswordChangeRequiredError` (audited as refused): the person chooses a new one with
    :func:`change_password_at_sign_in`.
    """
    now = now or datetime.now(UTC)
    account = _check(db, username, password, now)
    if account.must_change_password:
        _record_refusal(
            db, account.username, account, "password change required", wrong_password=False, now=now
        )
        raise PasswordChangeRequiredError(
            "your password was reset by an administrator: choose a new one to sign in"
        )
    new_hash = hasher().hash(password) if hasher().check_needs_rehash(account.password_hash) else None
    with db.write() as session:
        if not _signed_in(session, account, now, new_hash=new_hash):
            # Disabled, locked or given a new password between the read and now: refuse it.
            audit.record(
                session, _actor(account), AuditCategory.ACCESS, "login.refused", "user", account.id,
                outcome="refused", actor_name=account.username, reason="account changed during sign-in",
            )  # fmt: skip
        else:
            if new_hash is not None:
                # The rehash kept the password (must_change stays false): note it, no secret.
                audit.record(session, _actor(account), AuditCategory.ALTERATION, "user.password.rehash",
                             "user", account.id)  # fmt: skip
            audit.record(session, _actor(account), AuditCategory.ACCESS, "login.ok", "user", account.id)
            return _actor(account)
    raise AuthenticationError("the account was changed while signing in; try again")


def confirm_password(
    db: Database, username: str, password: str, *, purpose: str, now: datetime | None = None
) -> Actor:
    """The account ``username`` signing something with its password (a handover's
    acknowledgement): the person it is, or :class:`AuthenticationError`. Not a sign-in (no
    ``login.ok``, the last sign-in time stays), but checked as one: a wrong password counts
    towards the lockout and is audited (``password.confirm`` refused, with ``purpose``); a
    disabled or locked account, or one whose password must be changed, is refused."""
    now = now or datetime.now(UTC)
    account = _check(db, username, password, now, action="password.confirm", purpose=purpose)
    if account.must_change_password:
        _record_refusal(
            db, account.username, account, "password change required", wrong_password=False, now=now,
            action="password.confirm", purpose=purpose,
        )  # fmt: skip
        raise AuthenticationError("this account's password was reset: sign in and choose a new one first")
    with db.write() as session:
        # A right password ends a run of failures, as a sign-in does (no sign-in time is set).
        session.execute(
            update(User)
            .where(User.id == account.id, User.failed_logins != 0)
            .values(failed_logins=0)
            .execution_options(synchronize_session=False)
        )
    return _actor(account)


def change_password_at_sign_in(
    db: Database,
    username: str,
    old_password: str,
    new_password: str,
    *,
    now: datetime | None = None,
    signing_in: bool = True,
) -> Actor:
    """Sign in with the password an administrator set and replace it with ``new_password`` (one
    transaction: the new password, the sign-in and their audit events)."""
    now = now or datetime.now(UTC)
    account = _check(db, username, old_password, now)
    errors = _password_errors(new_password, account.username, account.display_name)
    if not errors and new_password == old_password:
        errors = [FieldError("new_password", "must differ from the password the administrator set")]
    if errors:
        raise ValidationError([FieldError("new_password", e.message) for e in errors])
    new_hash = hasher().hash(new_password)
    with db.write() as session:
        if not _signed_in(session, account, now, new_hash=new_hash, must_change=account.must_change_password):
            raise AuthenticationError("the account was changed while signing in; try again")
        audit.record(session, _actor(account), AuditCategory.ALTERATION, "user.password.change", "user",
                     account.id, at_sign_in=signing_in)  # fmt: skip
        if signing_in:
            audit.record(session, _actor(account), AuditCategory.ACCESS, "login.ok", "user", account.id)
    return _actor(account)


def change_password(db: Database, actor: Actor, old_password: str, new_password: str) -> None:
    """The signed-in person changes their own password (the old one is asked for again)."""
    change_password_at_sign_in(db, actor.username, old_password, new_password, signing_in=False)


def sign_out(db: Database, actor: Actor, *, reason: str = "sign out", ended: str = "") -> None:
    """Record that ``actor`` signed out: ``reason`` says how ("sign out", "quit", "command
    ended"); ``ended``, how a command ended (ok, error, interrupted)."""
    details: dict[str, Any] = {"reason": reason} | ({"ended": ended} if ended else {})
    with db.write() as session:
        audit.record(session, actor, AuditCategory.ACCESS, "logout", "user", actor.user_id, **details)


def record_screen_lock(db: Database, actor: Actor, *, locked: bool, idle: bool = False) -> None:
    """Record the screen being locked (by hand or after idle minutes) or unlocked."""
    with db.write() as session:
        audit.record(
            session, actor, AuditCategory.ACCESS, "screen.lock" if locked else "screen.unlock", "user",
            actor.user_id, idle=locked and idle,
        )  # fmt: skip


# --- administration --------------------------------------------------------------------------


def _refuse(db: Database, actor: Actor, action: str, user_id: uuid.UUID, reason: str, message: str) -> None:
    """Audit a refused account change (in its own transaction: the change itself wrote nothing)
    and raise :class:`AccountRuleError` with ``message``."""
    with db.write() as session:
        audit.record(session, actor, AuditCategory.ALTERATION, f"{action}.refused", "user", user_id,
                     outcome="refused", reason=reason)  # fmt: skip
    raise AccountRuleError(message)


def _target(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError("there is no such account")
    return user


def _other_active_admins(session: Session, user_id: uuid.UUID) -> int:
    """Active administrators other than ``user_id``. On PostgreSQL every active admin's row is
    locked for the transaction (the target's too, all in one order), so two administrators
    demoting or disabling each other at once queue: the second sees the first's change and is
    refused. SQLite's BEGIN IMMEDIATE already lets one writer in at a time."""
    ids = session.scalars(
        select(User.id)
        .where(User.role == Role.ADMIN, User.active.is_(True))
        .order_by(User.id)
        .with_for_update()
    ).all()
    return sum(1 for i in ids if i != user_id)


def disable_user(db: Database, actor: Actor, user_id: uuid.UUID) -> UserRecord:
    """Disable an account: it can no longer sign in, and stays named on the calls it handled."""
    require_admin(db, actor, "user.disable", user_id)
    if user_id == actor.user_id:
        _refuse(db, actor, "user.disable", user_id, "own account",
                "you cannot disable your own account; ask another administrator")  # fmt: skip
    refusal: tuple[str, str] | None = None
    with db.write() as session:
        user = _target(session, user_id)
        if not user.active:
            return _to_record(user)
        if user.role is Role.ADMIN and _other_active_admins(session, user_id) == 0:
            refusal = ("last active admin", f"{user.username} is the last active administrator: "
                       "make another account an administrator first")  # fmt: skip
        else:
            user.active = False
            session.flush()
            audit.record(session, actor, AuditCategory.ALTERATION, "user.disable", "user", user.id)
            return _to_record(user)
    assert refusal is not None
    _refuse(db, actor, "user.disable", user_id, *refusal)
    raise AssertionError("unreachable")  # pragma: no cover


def enable_user(db: Database, actor: Actor, user_id: uuid.UUID) -> UserRecord:
    require_admin(db, actor, "user.enable", user_id)
    with db.write() as session:
        user = _target(session, user_id)
        if not user.active:
            user.active = True
            session.flush()
            audit.record(session, actor, AuditCategory.ALTERATION, "user.enable", "user", user.id)
        return _to_record(user)


def set_role(db: Database, actor: Actor, user_id: uuid.UUID, role: Role | str) -> UserRecord:
    require_admin(db, actor, "user.role", user_id)
    try:
        new_role = Role(role)
    except ValueError:
        raise ValidationError(
            [FieldError("role", f"{role!r} is not one of {', '.join(r.value for r in Role)}")]
        ) from None
    if user_id == actor.user_id and new_role is not actor.role:
        _refuse(db, actor, "user.role", user_id, "own account",
                "you cannot change your own role; ask another administrator")  # fmt: skip
    refusal: tuple[str, str] | None = None
    with db.write() as session:
        user = _target(session, user_id)
        old_role = user.role
        if old_role is new_role:
            return _to_record(user)
        if old_role is Role.ADMIN and user.active and _other_active_admins(session, user_id) == 0:
            refusal = ("last active admin", f"{user.username} is the last active administrator: "
                       "make another account an administrator first")  # fmt: skip
        else:
            user.role = new_role
            session.flush()
            audit.record(session, actor, AuditCategory.ALTERATION, "user.role", "user", user.id,
                         old_role=old_role.value, new_role=new_role.value)  # fmt: skip
            return _to_record(user)
    assert refusal is not None
    _refuse(db, actor, "user.role", user_id, *refusal)
    raise AssertionError("unreachable")  # pragma: no cover


def reset_password(db: Database, actor: Actor, user_id: uuid.UUID, password: str) -> UserRecord:
    """An administrator sets a new password for someone, to be changed at their next sign-in;
    the account is unlocked too."""
    require_admin(db, actor, "user.password.reset", user_id)
    with db.read() as session:
        target = _target(session, user_id)
        username, display_name = target.username, target.display_name
    errors = _password_errors(password, username, display_name)
    if errors:
        raise ValidationError(errors)
    password_hash = hasher().hash(password)
    own = user_id == actor.user_id
    with db.write() as session:
        user = _target(session, user_id)
        user.password_hash = password_hash
        user.must_change_password = not own  # one's own new password is not a temporary one
        user.failed_logins = 0
        user.locked_until = None
        session.flush()
        audit.record(session, actor, AuditCategory.ALTERATION, "user.password.reset", "user", user.id,
                     must_change_password=not own)  # fmt: skip
        return _to_record(user)


def unlock_user(db: Database, actor: Actor, user_id: uuid.UUID) -> UserRecord:
    """End a lockout now (and forget the failed sign-ins counted)."""
    require_admin(db, actor, "user.unlock", user_id)
    now = datetime.now(UTC)
    with db.write() as session:
        user = _target(session, user_id)
        was_locked = _is_locked(user, now)
        failures = user.failed_logins
        session.execute(
            update(User)
            .where(User.id == user_id)
            .values(failed_logins=0, locked_until=None)
            .execution_options(synchronize_session=False)
        )
        audit.record(session, actor, AuditCategory.ALTERATION, "user.unlock", "user", user_id,
                     was_locked=was_locked, failed_logins=failures)  # fmt: skip
        session.expire(user)
        return _to_record(_target(session, user_id), now)


def handler_id_for(db: Database, actor: Actor, username: str) -> uuid.UUID | None:
    """The id of the user signed in as ``username`` (as a call filter), or None if there is none."""
    require(actor, Permission.CALL_READ)
    with db.read() as session:
        return session.scalar(select(User.id).where(User.username == normalise_username(username)))
