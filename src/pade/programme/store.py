"""Programme versions in the system of record, stored with their content hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from pade.core import audit
from pade.core.db import Base
from pade.programme.loader import content_hash
from pade.programme.models import Programa


class ProgrammeVersion(Base):
    __tablename__ = "programme_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version: Mapped[str] = mapped_column(String(20), index=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text)
    resolution: Mapped[str] = mapped_column(Text)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    loaded_by: Mapped[str] = mapped_column(String(120))


@dataclass(frozen=True, slots=True)
class StoreResult:
    version: str
    content_hash: str
    created: bool  # False when that exact content was already stored


def store_programme(session: Session, programme: Programa, *, actor: str) -> StoreResult:
    """Store ``programme`` unless identical content is already there (idempotent)."""
    digest = content_hash(programme)
    existing = session.scalar(select(ProgrammeVersion).where(ProgrammeVersion.content_hash == digest))
    if existing is not None:
        return StoreResult(existing.version, digest, created=False)
    row = ProgrammeVersion(
        version=programme.metadatos.version,
        content_hash=digest,
        title=programme.metadatos.titulo,
        resolution=programme.metadatos.resolucion,
        definition=programme.model_dump(mode="json"),
        loaded_at=datetime.now(UTC),
        loaded_by=actor,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="programme.load", object_type="programme_version",
                 object_id=f"{row.version}@{digest[:12]}", payload=row.definition,
                 details={"version": row.version, "content_hash": digest})
    return StoreResult(row.version, digest, created=True)


def stored_versions(session: Session) -> list[ProgrammeVersion]:
    return list(session.scalars(select(ProgrammeVersion).order_by(ProgrammeVersion.id)))


@dataclass(frozen=True, slots=True)
class StoredProgramme:
    version: str
    content_hash: str
    programme: Programa


_parsed: dict[str, Programa] = {}  # content_hash -> parsed definition; immutable by construction


def current_programme_version(session: Session) -> StoredProgramme | None:
    """The most recently loaded programme version, or None if none is stored."""
    row = session.execute(select(ProgrammeVersion.id, ProgrammeVersion.version, ProgrammeVersion.content_hash)
                          .order_by(ProgrammeVersion.id.desc()).limit(1)).first()
    if row is None:
        return None
    programme = _parsed.get(row.content_hash)
    if programme is None:  # the definition (a large JSON document) is read only once per process
        definition = session.scalar(select(ProgrammeVersion.definition).where(ProgrammeVersion.id == row.id))
        programme = _parsed[row.content_hash] = Programa.model_validate(definition)
    return StoredProgramme(row.version, row.content_hash, programme)
