"""retention and erasure: legal holds on cases, erasure requests and records, retention runs

``case_holds``: a legal hold on a case (reason, who, when; released holds stay as the record).
``erasure_requests``: erasure of one call or person, asked for by one supervisor, approved by
another. ``erasure_records``: what was erased (tables, fields, row ids), when, why and by whom;
never the content. ``retention_runs``: one run of the retention schedule, resumable.
New tables only: ``calls`` is not touched (a copy of it would renumber the rowids that the
full-text index of 0002 is keyed by).

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import supportline.db.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, supportline.db.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "case_holds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        _when("placed_at"),
        sa.Column("placed_by_id", sa.Uuid(), nullable=False),
        _when("released_at", nullable=True),
        sa.Column("released_by_id", sa.Uuid(), nullable=True),
        sa.Column("release_reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_holds_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["placed_by_id"], ["users.id"], name=op.f("fk_case_holds_placed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"], ["users.id"], name=op.f("fk_case_holds_released_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_holds")),
    )
    op.create_index(op.f("ix_case_holds_case_id"), "case_holds", ["case_id"])

    op.create_table(
        "erasure_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("target_type", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("target_reference", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        _when("requested_at"),
        sa.Column("requested_by_id", sa.Uuid(), nullable=False),
        _when("approved_at", nullable=True),
        sa.Column("approved_by_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_erasure_requests_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["users.id"], name=op.f("fk_erasure_requests_approved_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_requests")),
    )
    op.create_index(op.f("ix_erasure_requests_target_id"), "erasure_requests", ["target_id"])
    op.create_index(op.f("ix_erasure_requests_status"), "erasure_requests", ["status"])

    op.create_table(
        "retention_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        _when("as_of"),
        _when("started_at"),
        sa.Column("started_by_id", sa.Uuid(), nullable=False),
        _when("finished_at", nullable=True),
        sa.Column("calls_erased", sa.Integer(), nullable=False),
        sa.Column("drafts_erased", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["started_by_id"], ["users.id"], name=op.f("fk_retention_runs_started_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_runs")),
    )

    op.create_table(
        "erasure_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        _when("erased_at"),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("target_type", sa.String(length=20), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("target_reference", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("retention_run_id", sa.Uuid(), nullable=True),
        sa.Column("requested_by_id", sa.Uuid(), nullable=True),
        sa.Column("erased_by_id", sa.Uuid(), nullable=False),
        sa.Column("erased", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["erasure_requests.id"],
            name=op.f("fk_erasure_records_request_id_erasure_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["retention_run_id"],
            ["retention_runs.id"],
            name=op.f("fk_erasure_records_retention_run_id_retention_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name=op.f("fk_erasure_records_requested_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["erased_by_id"], ["users.id"], name=op.f("fk_erasure_records_erased_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_records")),
    )
    op.create_index(op.f("ix_erasure_records_erased_at"), "erasure_records", ["erased_at"])
    op.create_index(op.f("ix_erasure_records_target_id"), "erasure_records", ["target_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_erasure_records_target_id"), table_name="erasure_records")
    op.drop_index(op.f("ix_erasure_records_erased_at"), table_name="erasure_records")
    op.drop_table("erasure_records")
    op.drop_table("retention_runs")
    op.drop_index(op.f("ix_erasure_requests_status"), table_name="erasure_requests")
    op.drop_index(op.f("ix_erasure_requests_target_id"), table_name="erasure_requests")
    op.drop_table("erasure_requests")
    op.drop_index(op.f("ix_case_holds_case_id"), table_name="case_holds")
    op.drop_table("case_holds")
