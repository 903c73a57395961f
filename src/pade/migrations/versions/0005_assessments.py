"""Self-diagnosis assessments, their answer log and scores.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_MSG = "los puntajes y el registro de respuestas son de solo inserción"
APPEND_ONLY = ("assessment_answer_log", "assessment_score")


def upgrade() -> None:
    op.create_table(
        "assessment",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("ruc", sa.String(length=11), nullable=False),
        sa.Column("questionnaire", sa.String(length=60), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("company", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assessment_ruc_q", "assessment", ["ruc", "questionnaire"], unique=False)
    op.create_table(
        "assessment_answer_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("assessment_id", sa.String(length=36), nullable=False),
        sa.Column("respondent", sa.String(length=120), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessment.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_assessment_answer_log_assessment_id"), "assessment_answer_log", ["assessment_id"])
    op.create_table(
        "assessment_rescore_run",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("questionnaire", sa.String(length=60), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("assessments", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_s", sa.Float(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "assessment_score",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("assessment_id", sa.String(length=36), nullable=False),
        sa.Column("questionnaire", sa.String(length=60), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("overall", sa.Float(), nullable=True),
        sa.Column("level", sa.String(length=30), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("rescore_run_id", sa.Integer(), nullable=True),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["assessment_id"], ["assessment.id"]),
        sa.ForeignKeyConstraint(["rescore_run_id"], ["assessment_rescore_run.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_assessment_score_assessment", "assessment_score", ["assessment_id", "id"])
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "sqlite":
            for verb in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{_MSG}'); END")
        elif dialect == "postgresql":
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION pade_append_only()")


def downgrade() -> None:
    op.drop_index("ix_assessment_score_assessment", table_name="assessment_score")
    op.drop_table("assessment_score")
    op.drop_table("assessment_rescore_run")
    op.drop_index(op.f("ix_assessment_answer_log_assessment_id"), table_name="assessment_answer_log")
    op.drop_table("assessment_answer_log")
    op.drop_index("ix_assessment_ruc_q", table_name="assessment")
    op.drop_table("assessment")
