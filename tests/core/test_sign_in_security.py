"""Sign-in as an attacker would try it: parallel guesses, timing of a locked account, and the
SQLite write lock during the Argon2 check."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from supportline.db import create_database
from supportline.db.models import AuditEvent, User
from supportline.enums import Role
from supportline.services import accounts, calls
from supportline.services.errors import AuthenticationError
from tests.factories import PASSWORD, full_call, make_admin, make_user


class CountingHasher(PasswordHasher):
    """The real Argon2id hasher, counting its verifications (and able to pause in one)."""

    def __init__(self) -> None:
        super().__init__()
        self.verified = 0
        self.during_verify: list = []

    def verify(self, hash, password):
        self.verified += 1
        for hook in self.during_verify:
            hook()
        return super().verify(hash, password)


@pytest.fixture
def counting(monkeypatch):
    counter = CountingHasher()
    monkeypatch.setattr(accounts, "hasher", lambda: counter)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", None)
    return counter


def test_every_refusal_runs_one_argon2_check_locked_or_not(db, counting):
    """Before: a locked (or disabled) account was refused without the Argon2 check, in ~9 ms
    instead of ~400 ms, which told an attacker that the account exists and is locked."""
    db.max_failed_logins = 2
    admin = make_admin(db)
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    make_user(db, admin, "dee.disabled", Role.OPERATOR)
    accounts.disable_user(db, admin, accounts.get_user(db, admin, "dee.disabled").id)
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            accounts.authenticate(db, "olu.operator", "not the password")
    assert accounts.get_user(db, admin, "olu.operator").locked
    for username, password in (
        ("olu.operator", PASSWORD),  # locked, right password
        ("olu.operator", "not the password"),  # locked, wrong password
        ("dee.disabled", PASSWORD),
        ("nobody.here", "whatever it is"),
        ("ada.admin", "not the password"),
    ):
        counting.verified = 0
        with pytest.raises(AuthenticationError):
            accounts.authenticate(db, username, password)
        assert counting.verified == 1, username
    assert operator.user_id  # the locked account is still locked, its failures counted
    assert accounts.get_user(db, admin, "olu.operator").failed_logins == 3


def test_parallel_wrong_guesses_are_all_counted_and_audited(db):
    """Before, on PostgreSQL: 12 at once left failed_logins = 1; 11 failed with StaleDataError
    on the version column, which rolled back the counter and the audit row as well."""
    make_admin(db)
    guesses = 12
    start = threading.Barrier(guesses)

    def guess(i: int) -> str:
        start.wait(timeout=30)
        try:
            accounts.authenticate(db, "ada.admin", f"wrong guess number {i}")
        except AuthenticationError as exc:
            return type(exc).__name__
        return "signed in"

    with ThreadPoolExecutor(max_workers=guesses) as pool:
        outcomes = list(pool.map(guess, range(guesses)))
    assert outcomes == ["AuthenticationError"] * guesses  # no StaleDataError, no other failure
    with db.read() as session:
        user = session.scalars(select(User).where(User.username == "ada.admin")).one()
        refused = session.scalars(select(AuditEvent).where(AuditEvent.action == "login.refused")).all()
        locked = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.locked")).all()
    assert user.failed_logins == guesses
    assert len(refused) == guesses
    assert len(locked) == 1  # the lock started once
    assert user.version == 1  # counting failures is not an edit of the account


@pytest.mark.postgres
def test_parallel_wrong_guesses_on_postgresql_in_separate_connections(pg_db):
    """The same on PostgreSQL explicitly (the dialect where StaleDataError lost the events)."""
    test_parallel_wrong_guesses_are_all_counted_and_audited(pg_db)


def test_the_argon2_check_holds_no_sqlite_write_lock(sqlite_db, counting):
    """Before: authenticate ran Argon2 inside BEGIN IMMEDIATE; with sign-ins running, call saves
    on other connections failed with "database is locked" after busy_timeout."""
    db = create_database(sqlite_db.url, busy_timeout_ms=300)
    try:
        admin = make_admin(db)
        saved: list[object] = []

        def save_meanwhile() -> None:
            try:
                saved.append(calls.save_call(db, admin, full_call()))
            except Exception as exc:  # the test reports it, whatever it is
                saved.append(exc)

        def while_verifying() -> None:
            other = threading.Thread(target=save_meanwhile)
            other.start()
            other.join(timeout=30)

        counting.during_verify.append(while_verifying)
        for username, password in (("ada.admin", PASSWORD), ("nobody.here", "whatever it is")):
            saved.clear()
            with contextlib.suppress(AuthenticationError):
                accounts.authenticate(db, username, password)
            assert len(saved) == 1 and not isinstance(saved[0], Exception), saved
    finally:
        db.dispose()
