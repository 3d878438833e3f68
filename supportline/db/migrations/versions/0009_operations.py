"""24/7 operations: follow-ups with a life of their own, the duty rota, hand-offs, handovers

``follow_ups`` gains its kind, priority, an assignee that may be a route's duty adviser
(``assignee_route``), a status (open, done, snoozed) with the outcome and the snooze's reason
and end, who booked and last changed it, and a version. Rows already stored become open or done
(by their ``done_at``), booked by their call's handler when the call was created.

``rota_shifts``: who is duty adviser or deputy for a route from one instant to another.
``call_handoffs``: a call handed to a route's duty adviser, waiting until they take it.

``handovers`` (an empty table since 0001) gains the snapshot of what the app found (``items``),
the shift's figures, the times it was pre-filled and last changed and who acknowledged it
(``acknowledged_by_id``, replacing the unused ``to_user_id``). Once acknowledged a handover is
read-only: a trigger on both dialects refuses any UPDATE or DELETE of an acknowledged row.

SQLite: ``follow_ups`` and ``handovers`` are copied (batch) to add their constraints; neither
is keyed by the full-text index or has triggers of its own before this revision.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import supportline.db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

READ_ONLY_MESSAGE = "an acknowledged handover is read-only"


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, supportline.db.types.UTCDateTime(timezone=True), nullable=nullable)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


ROUTES = ("tactical", "immigration", "victim", "legal")


def upgrade() -> None:
    _follow_ups()
    _rota_and_handoffs()
    _handovers()
    create_handover_triggers()


def _follow_ups() -> None:
    with op.batch_alter_table("follow_ups", recreate="never") as batch:
        batch.add_column(sa.Column("kind", sa.String(14), nullable=False, server_default="callback"))
        batch.add_column(sa.Column("priority", sa.String(6), nullable=False, server_default="normal"))
        batch.add_column(sa.Column("assignee_route", sa.String(11), nullable=True))
        batch.add_column(sa.Column("status", sa.String(7), nullable=False, server_default="open"))
        batch.add_column(sa.Column("outcome", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("snooze_reason", sa.String(500), nullable=False, server_default=""))
        batch.add_column(_when("snoozed_until", nullable=True))
        batch.add_column(_when("created_at", nullable=True))
        batch.add_column(sa.Column("created_by_id", sa.Uuid(), nullable=True))
        batch.add_column(_when("updated_at", nullable=True))
        batch.add_column(sa.Column("updated_by_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    # What is stored already: booked by the call's handler when the call was created.
    op.execute("UPDATE follow_ups SET status = 'done' WHERE done_at IS NOT NULL")
    op.execute(
        "UPDATE follow_ups SET "
        "created_at = (SELECT calls.created_at FROM calls WHERE calls.id = follow_ups.call_id), "
        "created_by_id = (SELECT calls.handler_id FROM calls WHERE calls.id = follow_ups.call_id)"
    )
    op.execute("UPDATE follow_ups SET updated_at = created_at, updated_by_id = created_by_id")
    with op.batch_alter_table("follow_ups", recreate="auto") as batch:
        for name in ("created_at", "updated_at"):
            batch.alter_column(
                name, existing_type=supportline.db.types.UTCDateTime(timezone=True), nullable=False
            )
        for name in ("created_by_id", "updated_by_id"):
            batch.alter_column(name, existing_type=sa.Uuid(), nullable=False)
        batch.create_foreign_key(
            op.f("fk_follow_ups_created_by_id_users"), "users", ["created_by_id"], ["id"]
        )
        batch.create_foreign_key(
            op.f("fk_follow_ups_updated_by_id_users"), "users", ["updated_by_id"], ["id"]
        )
        checks = {
            "follow_up_kind": "kind IN ('callback', 'chase_referral', 'review_case')",
            "follow_up_priority": "priority IN ('high', 'normal', 'low')",
            "route": "assignee_route IN ('tactical', 'immigration', 'victim', 'legal')",
            "follow_up_status": "status IN ('open', 'done', 'snoozed')",
            "one_assignee": "assignee_id IS NULL OR assignee_route IS NULL",
            "done_when_done": (
                "(status = 'done' AND done_at IS NOT NULL) OR (status <> 'done' AND done_at IS NULL)"
            ),
            "snoozed_until_set": "status <> 'snoozed' OR snoozed_until IS NOT NULL",
        }
        for name, condition in checks.items():
            batch.create_check_constraint(op.f(f"ck_follow_ups_{name}"), condition)
        batch.create_index("ix_follow_ups_status_due_at", ["status", "due_at"], unique=False)


def _rota_and_handoffs() -> None:
    op.create_table(
        "rota_shifts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("route", _enum("route", *ROUTES), nullable=False),
        sa.Column("role", _enum("duty_role", "duty", "deputy"), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        _when("starts_at"),
        _when("ends_at"),
        _when("created_at"),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        _when("updated_at"),
        sa.Column("updated_by_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_rota_shifts_ends_after_start")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_rota_shifts_user_id_users")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_rota_shifts_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_rota_shifts_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rota_shifts")),
    )
    with op.batch_alter_table("rota_shifts") as batch:
        batch.create_index(op.f("ix_rota_shifts_user_id"), ["user_id"], unique=False)
        batch.create_index(
            "ix_rota_shifts_route_role_starts_at", ["route", "role", "starts_at"], unique=False
        )
        batch.create_index("ix_rota_shifts_ends_at", ["ends_at"], unique=False)

    op.create_table(
        "call_handoffs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("route", _enum("route", *ROUTES), nullable=False),
        sa.Column("adviser_id", sa.Uuid(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("status", _enum("handoff_status", "waiting", "taken"), nullable=False),
        _when("handed_at"),
        sa.Column("handed_by_id", sa.Uuid(), nullable=False),
        _when("taken_at", nullable=True),
        sa.Column("taken_by_id", sa.Uuid(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(status = 'taken' AND taken_at IS NOT NULL) OR (status <> 'taken' AND taken_at IS NULL)",
            name=op.f("ck_call_handoffs_taken_when_taken"),
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["calls.id"], name=op.f("fk_call_handoffs_call_id_calls"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["adviser_id"], ["users.id"], name=op.f("fk_call_handoffs_adviser_id_users")),
        sa.ForeignKeyConstraint(
            ["handed_by_id"], ["users.id"], name=op.f("fk_call_handoffs_handed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["taken_by_id"], ["users.id"], name=op.f("fk_call_handoffs_taken_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_handoffs")),
    )
    with op.batch_alter_table("call_handoffs") as batch:
        batch.create_index(op.f("ix_call_handoffs_call_id"), ["call_id"], unique=False)
        batch.create_index(op.f("ix_call_handoffs_adviser_id"), ["adviser_id"], unique=False)
        batch.create_index("ix_call_handoffs_status_handed_at", ["status", "handed_at"], unique=False)


def _handovers() -> None:
    with op.batch_alter_table("handovers", recreate="never") as batch:
        batch.add_column(sa.Column("items", sa.Text(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("figures", sa.Text(), nullable=False, server_default="{}"))
        batch.add_column(_when("prefilled_at", nullable=True))
        batch.add_column(_when("updated_at", nullable=True))
        batch.add_column(sa.Column("acknowledged_by_id", sa.Uuid(), nullable=True))
    op.execute("UPDATE handovers SET prefilled_at = created_at, updated_at = created_at")
    op.execute(
        "UPDATE handovers SET acknowledged_by_id = COALESCE(to_user_id, from_user_id) "
        "WHERE acknowledged_at IS NOT NULL"
    )
    with op.batch_alter_table("handovers", recreate="auto") as batch:
        for name in ("prefilled_at", "updated_at"):
            batch.alter_column(
                name, existing_type=supportline.db.types.UTCDateTime(timezone=True), nullable=False
            )
        batch.drop_constraint("fk_handovers_to_user_id_users", type_="foreignkey")
        batch.drop_column("to_user_id")
        batch.create_foreign_key(
            op.f("fk_handovers_acknowledged_by_id_users"), "users", ["acknowledged_by_id"], ["id"]
        )
        batch.create_unique_constraint(
            op.f("uq_handovers_shift_start_shift_end"), ["shift_start", "shift_end"]
        )
        batch.create_check_constraint(op.f("ck_handovers_ends_after_start"), "shift_end > shift_start")
        batch.create_check_constraint(
            op.f("ck_handovers_acknowledged_by_someone"),
            "(acknowledged_at IS NULL AND acknowledged_by_id IS NULL)"
            " OR (acknowledged_at IS NOT NULL AND acknowledged_by_id IS NOT NULL)",
        )
        batch.create_index(op.f("ix_handovers_shift_end"), ["shift_end"], unique=False)


def create_handover_triggers() -> None:
    """An acknowledged handover is read-only: UPDATE and DELETE of it are refused by the database
    itself, whoever asks (the service refuses first, with a message for people)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION handovers_read_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF OLD.acknowledged_at IS NOT NULL THEN RAISE EXCEPTION '{READ_ONLY_MESSAGE}'; END IF; "
            "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER handovers_read_only BEFORE UPDATE OR DELETE ON handovers "
            "FOR EACH ROW EXECUTE FUNCTION handovers_read_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER handovers_acknowledged_no_{event.lower()} BEFORE {event} ON handovers "
                f"WHEN OLD.acknowledged_at IS NOT NULL BEGIN SELECT RAISE(ABORT, '{READ_ONLY_MESSAGE}'); END"
            )


def drop_handover_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER handovers_read_only ON handovers")
        op.execute("DROP FUNCTION handovers_read_only()")
    else:
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER handovers_acknowledged_no_{event}")


def downgrade() -> None:
    drop_handover_triggers()
    with op.batch_alter_table("handovers", recreate="auto") as batch:
        batch.drop_index(op.f("ix_handovers_shift_end"))
        batch.drop_constraint(op.f("ck_handovers_acknowledged_by_someone"), type_="check")
        batch.drop_constraint(op.f("ck_handovers_ends_after_start"), type_="check")
        batch.drop_constraint(op.f("uq_handovers_shift_start_shift_end"), type_="unique")
        batch.drop_constraint(op.f("fk_handovers_acknowledged_by_id_users"), type_="foreignkey")
        batch.add_column(sa.Column("to_user_id", sa.Uuid(), nullable=True))
        batch.create_foreign_key(op.f("fk_handovers_to_user_id_users"), "users", ["to_user_id"], ["id"])
    op.execute("UPDATE handovers SET to_user_id = acknowledged_by_id")
    with op.batch_alter_table("handovers", recreate="auto") as batch:
        for name in ("acknowledged_by_id", "updated_at", "prefilled_at", "figures", "items"):
            batch.drop_column(name)

    op.drop_table("call_handoffs")
    op.drop_table("rota_shifts")

    with op.batch_alter_table("follow_ups", recreate="auto") as batch:
        batch.drop_index("ix_follow_ups_status_due_at")
        for name in (
            "follow_up_kind", "follow_up_priority", "route", "follow_up_status", "one_assignee",
            "done_when_done", "snoozed_until_set",
        ):  # fmt: skip
            batch.drop_constraint(op.f(f"ck_follow_ups_{name}"), type_="check")
        batch.drop_constraint(op.f("fk_follow_ups_updated_by_id_users"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_follow_ups_created_by_id_users"), type_="foreignkey")
        for name in (
            "version", "updated_by_id", "updated_at", "created_by_id", "created_at", "snoozed_until",
            "snooze_reason", "outcome", "status", "assignee_route", "priority", "kind",
        ):  # fmt: skip
            batch.drop_column(name)
