"""Reported values with their revisions and review, and the reporting calendar.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reported_value",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("variable", sa.String(length=60), nullable=False),
        sa.Column("entidad", sa.String(length=20), nullable=False),
        sa.Column("periodo", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("valor", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unidad", sa.String(length=20), nullable=False),
        sa.Column("justificacion", sa.Text(), nullable=False),
        sa.Column("evidence_url", sa.String(length=500), nullable=True),
        sa.Column("evidence_file_name", sa.String(length=200), nullable=True),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=True),
        sa.Column("evidence_size_bytes", sa.Integer(), nullable=True),
        sa.Column("evidence_type", sa.String(length=10), nullable=True),
        sa.Column("estado", sa.String(length=12), nullable=False),
        sa.Column("submitted_by", sa.String(length=120), nullable=False),
        sa.Column("submitted_by_user_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.String(length=120), nullable=True),
        sa.Column("reviewed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["previous_id"], ["reported_value.id"]),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batch.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ux_reported_value_revision", "reported_value", ["variable", "entidad", "periodo", "revision"],
                    unique=True)
    op.create_index("ix_reported_value_entidad_estado", "reported_value", ["entidad", "estado"])
    op.create_table(
        "reporting_due",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("target_type", sa.String(length=12), nullable=False),
        sa.Column("target", sa.String(length=60), nullable=False),
        sa.Column("periodo", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("set_by", sa.String(length=120), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ux_reporting_due_target", "reporting_due", ["target_type", "target", "periodo"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_reporting_due_target", table_name="reporting_due")
    op.drop_table("reporting_due")
    op.drop_index("ix_reported_value_entidad_estado", table_name="reported_value")
    op.drop_index("ux_reported_value_revision", table_name="reported_value")
    op.drop_table("reported_value")
