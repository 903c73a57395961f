"""The append-only audit log: who did what, when, with a hash of the payload.

The database itself refuses UPDATE and DELETE on ``audit_log`` (triggers in
migration 0001), so the guarantee holds whatever code touches the table.
Details must never carry personal data; store ids and hashes instead.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from pade.core.db import Base


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(80))
    object_type: Mapped[str] = mapped_column(String(80))
    object_id: Mapped[str] = mapped_column(String(200))
    payload_hash: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)


def payload_hash(payload: Any) -> str:
    """SHA-256 of the canonical JSON of ``payload``."""
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    payload: Any,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry (in the caller's transaction)."""
    entry = make_entry(actor=actor, action=action, object_type=object_type, object_id=object_id, payload=payload,
                       details=details)
    session.add(entry)
    session.flush()
    return entry


def make_entry(*, actor: str, action: str, object_type: str, object_id: str, payload: Any,
               details: dict[str, Any] | None = None) -> AuditEntry:
    """An entry to add to a session, for callers that append many at once (no flush per entry)."""
    return AuditEntry(
        at=datetime.now(UTC),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        payload_hash=payload_hash(payload),
        details=details or {},
    )


def entries(session: Session, *, object_type: str | None = None, limit: int = 100) -> list[AuditEntry]:
    """Latest entries first."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if object_type is not None:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    return list(session.scalars(stmt))
