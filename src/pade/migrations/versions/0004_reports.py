"""Issued reports (frozen, with their files) and the entities' commentary on indicators.

Both tables are append-only, as ``audit_log``: the database refuses UPDATE and DELETE (and
TRUNCATE on PostgreSQL), whatever code touches them. Decision 0010.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_MESSAGES = {
    "issued_report": "issued_report es de solo inserción: un reporte emitido no se puede modificar ni borrar",
    "indicator_commentary": "indicator_commentary es de solo inserción: registre una nueva justificación en lugar "
                            "de modificar o borrar la anterior",
}


def _append_only(table: str) -> None:
    dialect = op.get_bind().dialect.name
    message = _MESSAGES[table]
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
    elif dialect == "postgresql":
        op.execute(f"CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN RAISE EXCEPTION '{message}'; END $$")
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()")


def _drop_append_only(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")


def upgrade() -> None:
    op.create_table(
        "issued_report",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("snapshot_hash", sa.String(length=64), nullable=False),
        sa.Column("programme_hash", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("xlsx_sha256", sa.String(length=64), nullable=False),
        sa.Column("xlsx", sa.LargeBinary(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ux_issued_report_kind_period_content", "issued_report", ["kind", "period", "content_hash"],
                    unique=True)
    op.create_table(
        "indicator_commentary",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("codigo", sa.String(length=12), nullable=False),
        sa.Column("anio", sa.Integer(), nullable=False),
        sa.Column("entidad", sa.String(length=20), nullable=False),
        sa.Column("justificacion", sa.Text(), nullable=False),
        sa.Column("medidas_correctivas", sa.Text(), nullable=False),
        sa.Column("autor", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_indicator_commentary_code_year", "indicator_commentary", ["codigo", "anio"])
    _append_only("issued_report")
    _append_only("indicator_commentary")


def downgrade() -> None:
    for table in ("indicator_commentary", "issued_report"):
        _drop_append_only(table)
    op.drop_index("ix_indicator_commentary_code_year", table_name="indicator_commentary")
    op.drop_table("indicator_commentary")
    op.drop_index("ux_issued_report_kind_period_content", table_name="issued_report")
    op.drop_table("issued_report")
