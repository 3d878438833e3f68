from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from supportline.db.models import AuditEvent
from supportline.services.audit import AuditLogIsAppendOnlyError
from tests.factories import make_admin


def _first_event(session):
    return session.scalars(select(AuditEvent)).first()


def test_audit_events_cannot_be_changed_or_deleted_through_the_orm(db):
    make_admin(db)
    with db.write() as session:
        _first_event(session).action = "something else"
        with pytest.raises(AuditLogIsAppendOnlyError):
            session.flush()
        session.rollback()
    with db.write() as session:
        session.delete(_first_event(session))
        with pytest.raises(AuditLogIsAppendOnlyError):
            session.flush()
        session.rollback()
    with db.read() as session:
        assert [e.action for e in session.scalars(select(AuditEvent))] == ["user.create"]


def test_enumerations_are_checked_by_the_database_too(db):
    make_admin(db)
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text("UPDATE users SET role = 'superuser'"))


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"])
def test_audit_events_cannot_be_changed_or_deleted_in_sql(db, statement):
    make_admin(db)
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(statement))
    with db.read() as session:
        assert [e.action for e in session.scalars(select(AuditEvent))] == ["user.create"]
