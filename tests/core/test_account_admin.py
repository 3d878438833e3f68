"""Account administration: disable not delete, last-admin and own-account rules, reset with a
forced change, lockout that ends and early unlock; every change and refusal audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from supportline.db.models import AuditEvent, User
from supportline.enums import AuditCategory, Role
from supportline.services import accounts, calls
from supportline.services.errors import AuthenticationError, PermissionDeniedError, ValidationError
from tests.factories import PASSWORD, full_call, make_admin, make_user, without_advice

NEW_PASSWORD = "heather on the moor"


def _events(db, *actions):
    with db.read() as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.action.in_(actions)).order_by(AuditEvent.id)
        ).all()
    return rows


def _user(db, username):
    with db.read() as session:
        return session.scalars(select(User).where(User.username == username)).one()


def test_disabled_account_cannot_sign_in_and_stays_named_on_its_calls(db):
    admin = make_admin(db)
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    calls.save_call(db, operator, without_advice(full_call()))  # operators may not record advice
    record = accounts.disable_user(db, admin, operator.user_id)
    assert not record.active
    with pytest.raises(AuthenticationError, match="disabled"):
        accounts.authenticate(db, "olu.operator", PASSWORD)
    handlers = {h.display_name: h.active for h in accounts.list_handlers(db, admin)}
    assert handlers["Olu Operator"] is False  # still there, named on the call
    assert accounts.enable_user(db, admin, operator.user_id).active
    assert accounts.authenticate(db, "olu.operator", PASSWORD).user_id == operator.user_id
    assert [e.action for e in _events(db, "user.disable", "user.enable")] == ["user.disable", "user.enable"]
    assert all(e.record_id == str(operator.user_id) for e in _events(db, "user.disable", "user.enable"))


def test_an_admin_cannot_disable_or_demote_themselves_and_the_refusal_is_audited(db):
    admin = make_admin(db)
    with pytest.raises(accounts.AccountRuleError, match="your own account"):
        accounts.disable_user(db, admin, admin.user_id)
    with pytest.raises(accounts.AccountRuleError, match="your own role"):
        accounts.set_role(db, admin, admin.user_id, Role.OPERATOR)
    assert _user(db, "ada.admin").active and _user(db, "ada.admin").role is Role.ADMIN
    refused = _events(db, "user.disable.refused", "user.role.refused")
    assert [e.action for e in refused] == ["user.disable.refused", "user.role.refused"]
    assert all(json.loads(e.details) == {"reason": "own account"} for e in refused)
    assert all(e.actor_id == admin.user_id for e in refused)
    assert all(e.outcome == "refused" for e in refused)


def test_the_last_active_admin_cannot_be_disabled_or_demoted(db):
    ada = make_admin(db)
    bea = make_user(db, ada, "bea.admin", Role.ADMIN)
    accounts.disable_user(db, bea, ada.user_id)  # two admins: one may disable the other
    # Ada's window is still open with her old sign-in: she may not take away the last admin.
    with pytest.raises(accounts.AccountRuleError, match="last active administrator"):
        accounts.disable_user(db, ada, bea.user_id)
    with pytest.raises(accounts.AccountRuleError, match="last active administrator"):
        accounts.set_role(db, ada, bea.user_id, Role.SUPERVISOR)
    bea_row = _user(db, "bea.admin")
    assert bea_row.active and bea_row.role is Role.ADMIN
    refused = _events(db, "user.disable.refused", "user.role.refused")
    assert [json.loads(e.details)["reason"] for e in refused] == ["last active admin"] * 2
    assert [e.outcome for e in refused] == ["refused"] * 2
    # With Ada enabled again, Bea can be demoted; the change names the roles, nothing else.
    accounts.enable_user(db, bea, ada.user_id)
    accounts.set_role(db, ada, bea.user_id, Role.SUPERVISOR)
    (change,) = _events(db, "user.role")
    assert json.loads(change.details) == {"old_role": "admin", "new_role": "supervisor"}
    assert change.category is AuditCategory.ALTERATION


def test_only_admins_administer_accounts(db):
    admin = make_admin(db)
    supervisor = make_user(db, admin, "sam.supervisor", Role.SUPERVISOR)
    for attempt in (
        lambda: accounts.disable_user(db, supervisor, admin.user_id),
        lambda: accounts.set_role(db, supervisor, supervisor.user_id, Role.ADMIN),
        lambda: accounts.reset_password(db, supervisor, admin.user_id, NEW_PASSWORD),
        lambda: accounts.unlock_user(db, supervisor, admin.user_id),
        lambda: accounts.list_users(db, supervisor),
    ):
        with pytest.raises(PermissionDeniedError):
            attempt()
    assert _user(db, "sam.supervisor").role is Role.SUPERVISOR
    # Each refusal is recorded under the permission table's action, naming the operation refused.
    refused = _events(db, "user.change", "user.password", "user.list")
    assert [(e.action, e.outcome, json.loads(e.details)["operation"]) for e in refused] == [
        ("user.change", "refused", "user.disable"),
        ("user.change", "refused", "user.role"),
        ("user.password", "refused", "user.password.reset"),
        ("user.change", "refused", "user.unlock"),
        ("user.list", "refused", "user.list"),
    ]
    assert all(e.actor_id == supervisor.user_id for e in refused)
    assert all(
        json.loads(e.details)["permission"] == "user.admin" and json.loads(e.details)["role"] == "supervisor"
        for e in refused
    )
    assert [e.record_id for e in refused] == [str(admin.user_id), str(supervisor.user_id),
                                              str(admin.user_id), str(admin.user_id), ""]  # fmt: skip


def test_reset_password_must_be_changed_at_the_next_sign_in(db):
    admin = make_admin(db)
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    temporary = "temporary hedgehog 7"
    assert accounts.reset_password(db, admin, operator.user_id, temporary).must_change_password
    with pytest.raises(AuthenticationError):
        accounts.authenticate(db, "olu.operator", PASSWORD)  # the old one is gone
    with pytest.raises(accounts.PasswordChangeRequiredError, match="choose a new one"):
        accounts.authenticate(db, "olu.operator", temporary)
    with pytest.raises(ValidationError, match="new_password"):
        accounts.change_password_at_sign_in(db, "olu.operator", temporary, "password1234")
    with pytest.raises(ValidationError, match="must differ"):
        accounts.change_password_at_sign_in(db, "olu.operator", temporary, temporary)
    with pytest.raises(AuthenticationError, match="wrong user name or password"):
        accounts.change_password_at_sign_in(db, "olu.operator", "not the temporary one", NEW_PASSWORD)
    actor = accounts.change_password_at_sign_in(db, "olu.operator", temporary, NEW_PASSWORD)
    assert actor.user_id == operator.user_id
    assert not _user(db, "olu.operator").must_change_password
    assert accounts.authenticate(db, "olu.operator", NEW_PASSWORD).user_id == operator.user_id
    actions = [e.action for e in _events(db, "user.password.reset", "user.password.change", "login.ok")]
    assert actions == ["user.password.reset", "user.password.change", "login.ok", "login.ok"]
    reasons = [json.loads(e.details)["reason"] for e in _events(db, "login.refused")]
    assert "password change required" in reasons
    for event in _events(db, "user.password.reset", "user.password.change"):
        assert temporary not in event.details and NEW_PASSWORD not in event.details


def test_lockout_ends_by_itself_after_lockout_minutes(db):
    """Before: the lockout was permanent (no time-out, no unlock): five wrong passwords typed
    by anyone locked every admin out for good."""
    db.max_failed_logins, db.lockout_minutes = 3, 10
    make_admin(db)
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    for i in range(3):
        with pytest.raises(AuthenticationError):
            accounts.authenticate(db, "ada.admin", "not the password", now=start + timedelta(seconds=i))
    with pytest.raises(AuthenticationError, match=r"locked .* 10 minutes"):
        accounts.authenticate(db, "ada.admin", PASSWORD, now=start + timedelta(minutes=9))
    actor = accounts.authenticate(db, "ada.admin", PASSWORD, now=start + timedelta(minutes=10, seconds=3))
    assert actor.username == "ada.admin"
    row = _user(db, "ada.admin")
    assert row.failed_logins == 0 and row.locked_until is None
    (locked,) = _events(db, "user.locked")
    assert locked.category is AuditCategory.ACCESS and json.loads(locked.details)["failed_logins"] == 3


def test_an_admin_can_unlock_early(db):
    db.max_failed_logins = 2
    admin = make_admin(db)
    operator = make_user(db, admin, "olu.operator", Role.OPERATOR)
    for _ in range(2):
        with pytest.raises(AuthenticationError):
            accounts.authenticate(db, "olu.operator", "not the password")
    (record,) = [u for u in accounts.list_users(db, admin) if u.username == "olu.operator"]
    assert record.locked and record.locked_until is not None and record.failed_logins == 2
    with pytest.raises(AuthenticationError, match="locked"):
        accounts.authenticate(db, "olu.operator", PASSWORD)
    assert not accounts.unlock_user(db, admin, operator.user_id).locked
    assert accounts.authenticate(db, "olu.operator", PASSWORD).user_id == operator.user_id
    (unlock,) = _events(db, "user.unlock")
    assert json.loads(unlock.details) == {"was_locked": True, "failed_logins": 2}


def test_sign_out_and_screen_lock_are_recorded(db):
    admin = make_admin(db)
    accounts.record_screen_lock(db, admin, locked=True, idle=True)
    accounts.record_screen_lock(db, admin, locked=False)
    accounts.sign_out(db, admin)
    events = _events(db, "screen.lock", "screen.unlock", "logout")
    assert [e.action for e in events] == ["screen.lock", "screen.unlock", "logout"]
    assert {e.category for e in events} == {AuditCategory.ACCESS}


def test_two_admins_disabling_each_other_at_once_leave_one_active_admin(db):
    """On PostgreSQL each transaction locks every active admin's row, in one order: the second
    waits for the first, then sees that it would leave no administrator. (Before, each locked
    only the other admins' rows: both went ahead, and nobody was left to administer.)"""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import event

    ada = make_admin(db)
    bea = make_user(db, ada, "bea.admin", Role.ADMIN)
    both_read = threading.Barrier(2)

    def in_step(_conn, _cursor, statement, _params, _context, _many):
        if "FOR UPDATE" in statement:  # PostgreSQL: both have read their target; now lock
            both_read.wait(timeout=10)

    def disable(actor, target):
        try:
            accounts.disable_user(db, actor, target)
        except accounts.AccountRuleError:
            return "refused"
        return "disabled"

    event.listen(db.engine, "before_cursor_execute", in_step)
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            outcomes = sorted(pool.map(disable, (ada, bea), (bea.user_id, ada.user_id)))
    finally:
        event.remove(db.engine, "before_cursor_execute", in_step)
    assert outcomes == ["disabled", "refused"]
    with db.read() as session:
        active_admins = session.scalars(
            select(User.username).where(User.role == Role.ADMIN, User.active.is_(True))
        ).all()
    assert len(active_admins) == 1
