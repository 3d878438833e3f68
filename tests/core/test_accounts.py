from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from supportline.db.models import AuditEvent, User
from supportline.enums import AuditCategory, Role
from supportline.services import accounts
from supportline.services.actor import Permission
from supportline.services.errors import AuthenticationError, PermissionDeniedError, ValidationError
from tests.factories import PASSWORD, make_admin, make_user


def _events(db, action):
    with db.read() as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_password_hash_is_argon2id_and_sign_in_works(db):
    make_admin(db)
    with db.read() as session:
        stored = session.scalars(select(User)).one().password_hash
    assert stored.startswith("$argon2id$")
    actor = accounts.authenticate(db, "  Ada.Admin ", PASSWORD)
    assert actor.role is Role.ADMIN
    assert actor.can(Permission.USER_ADMIN)
    assert [e.category for e in _events(db, "login.ok")] == [AuditCategory.ACCESS]


def test_wrong_password_is_refused_and_recorded(db):
    make_admin(db)
    with pytest.raises(AuthenticationError, match="wrong user name or password"):
        accounts.authenticate(db, "ada.admin", "not the password")
    with pytest.raises(AuthenticationError, match="wrong user name or password"):
        accounts.authenticate(db, "nobody", "whatever it is")
    refused = _events(db, "login.refused")
    assert [e.actor_name for e in refused] == ["ada.admin", "nobody"]
    assert [e.outcome for e in refused] == ["refused", "refused"]
    assert all(e.at.tzinfo is not None for e in refused)
    assert "wrong password" in refused[0].details and "unknown user" in refused[1].details
    assert not _events(db, "login.ok")


def test_account_locks_after_repeated_failures(sqlite_db):
    sqlite_db.max_failed_logins = 3
    make_admin(sqlite_db)
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            accounts.authenticate(sqlite_db, "ada.admin", "not the password")
    with pytest.raises(AuthenticationError, match="locked"):
        accounts.authenticate(sqlite_db, "ada.admin", PASSWORD)


def test_hash_is_upgraded_when_parameters_change(sqlite_db, monkeypatch):
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    monkeypatch.setattr(accounts, "hasher", lambda: weak)
    make_admin(sqlite_db)
    monkeypatch.undo()
    accounts.authenticate(sqlite_db, "ada.admin", PASSWORD)
    with sqlite_db.read() as session:
        stored = session.scalars(select(User)).one().password_hash
    assert not accounts.hasher().check_needs_rehash(stored)
    assert "m=8192" not in stored


def test_first_admin_only_on_an_empty_database(db):
    make_admin(db)
    with pytest.raises(PermissionDeniedError, match="accounts already exist"):
        accounts.create_first_admin(db, "eve", "Eve Intruder", PASSWORD)


def test_new_user_validation_names_fields(db):
    with pytest.raises(ValidationError) as info:
        accounts.create_first_admin(db, "Bad Name!", "", "short")
    assert set(info.value.fields) == {"username", "display_name", "password"}
    assert accounts.count_users(db) == 0


def test_only_admins_add_users_and_names_are_unique(db):
    admin = make_admin(db)
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    with pytest.raises(PermissionDeniedError):
        accounts.create_user(db, operator, "sneaky", "Sneaky", Role.ADMIN, PASSWORD)
    with pytest.raises(ValidationError, match="already taken"):
        accounts.create_user(db, admin, "OLU.operator", "Dup", Role.OPERATOR, PASSWORD)
    assert [u.username for u in accounts.list_users(db, admin)] == ["ada.admin", "olu.operator"]


def test_password_reset_unlocks_and_must_be_changed(sqlite_db):
    sqlite_db.max_failed_logins = 1
    admin = make_admin(sqlite_db)
    operator = make_user(sqlite_db, admin, "olu.operator", Role.OPERATOR)
    with pytest.raises(AuthenticationError):
        accounts.authenticate(sqlite_db, "olu.operator", "nope nope nope")
    accounts.reset_password(sqlite_db, admin, operator.user_id, "a brand new passphrase")
    with pytest.raises(accounts.PasswordChangeRequiredError):
        accounts.authenticate(sqlite_db, "olu.operator", "a brand new passphrase")
    actor = accounts.change_password_at_sign_in(
        sqlite_db, "olu.operator", "a brand new passphrase", "my own quiet meadow"
    )
    assert actor.role is Role.OPERATOR
    assert accounts.authenticate(sqlite_db, "olu.operator", "my own quiet meadow").role is Role.OPERATOR


def test_any_reader_of_calls_can_list_handlers_by_name(db):
    admin = accounts.create_first_admin(db, "root", "Zara Admin", "correct horse battery")
    admin_actor = accounts.actor_for(admin)
    accounts.create_user(db, admin_actor, "op1", "Ben Operator", Role.OPERATOR, "correct horse battery")
    operator = accounts.authenticate(db, "op1", "correct horse battery")
    handlers = accounts.list_handlers(db, operator)
    assert [h.display_name for h in handlers] == ["Ben Operator", "Zara Admin"]
    assert all(h.active for h in handlers)
