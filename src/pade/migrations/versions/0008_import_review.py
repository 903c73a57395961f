"""Import review: a batch uploaded through the web waits for the revisor's approval.

Existing batches (CLI, API and synthetic imports) are approved: the server default fills them in.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("import_batch") as batch:
        batch.add_column(sa.Column("review_status", sa.String(length=12), nullable=False,
                                   server_default="aprobada"))
        batch.add_column(sa.Column("reviewed_by", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("review_comment", sa.Text(), nullable=True))
        batch.create_index("ix_import_batch_entidad_review", ["entidad", "review_status"])


def downgrade() -> None:
    with op.batch_alter_table("import_batch") as batch:
        batch.drop_index("ix_import_batch_entidad_review")
        batch.drop_column("review_comment")
        batch.drop_column("reviewed_at")
        batch.drop_column("reviewed_by")
        batch.drop_column("review_status")
