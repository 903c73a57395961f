"""Indicator runs and values.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicator_run",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column("programme_version", sa.String(length=20), nullable=False),
        sa.Column("programme_hash", sa.String(length=64), nullable=False),
        sa.Column("snapshot_hash", sa.String(length=64), nullable=False),
        sa.Column("engine", sa.String(length=20), nullable=False),
        sa.Column("code_version", sa.String(length=40), nullable=False),
        sa.Column("year_from", sa.Integer(), nullable=False),
        sa.Column("year_to", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_indicator_run_signature"), "indicator_run", ["signature"], unique=False)
    op.create_table(
        "indicator_value",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("indicador", sa.String(length=40), nullable=False),
        sa.Column("codigo", sa.String(length=12), nullable=False),
        sa.Column("anio", sa.Integer(), nullable=False),
        sa.Column("desagregacion", sa.String(length=40), nullable=False),
        sa.Column("departamento", sa.String(length=20), nullable=True),
        sa.Column("tamano", sa.String(length=20), nullable=True),
        sa.Column("seccion_ciiu", sa.String(length=20), nullable=True),
        sa.Column("exportador", sa.String(length=30), nullable=True),
        sa.Column("sexo_titular", sa.String(length=20), nullable=True),
        sa.Column("numerador", sa.Float(), nullable=True),
        sa.Column("denominador", sa.Float(), nullable=True),
        sa.Column("valor", sa.Float(), nullable=True),
        sa.Column("medidas", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["indicator_run.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_indicator_value_run_code", "indicator_value", ["run_id", "codigo", "anio"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_indicator_value_run_code", table_name="indicator_value")
    op.drop_table("indicator_value")
    op.drop_index(op.f("ix_indicator_run_signature"), table_name="indicator_run")
    op.drop_table("indicator_run")
