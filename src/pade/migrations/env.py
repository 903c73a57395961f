"""Alembic environment: runs on the connection PADE hands over (see pade.core.db.migrate)."""

from __future__ import annotations

from alembic import context

from pade.core.db import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
