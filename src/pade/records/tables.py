"""Tables of the system of record for programme records, derived from :mod:`pade.records.kinds`.

Every record table is append-only (the database refuses UPDATE and DELETE): a
correction is a new row whose ``revision_of`` points to the row it replaces.
``key_hash`` identifies the natural key of a row, ``row_hash`` its whole content,
so a re-import adds nothing when nothing changed and a revision when it did.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from pade.core.db import Base
from pade.records.kinds import KINDS, FieldSpec, FieldType, RecordKind

# Kinds stored in registry tables rather than in a record table of their own.
REGISTRY_KINDS = frozenset({"empresa", "mercado"})


class ReviewStatus(StrEnum):
    """Where a batch stands with the revisor (docs/decisions/0015-backoffice-imports-and-compute.md).

    A batch uploaded by an entity through the web starts ``pendiente``; CLI, API and synthetic imports are
    approved at import. Only rows of approved batches reach the snapshot, hence the indicators.
    """

    pendiente = "pendiente"
    aprobada = "aprobada"
    rechazada = "rechazada"


class ImportBatch(Base):
    """One import (a file, an API batch or synthetic data). ``(kind, file_hash)`` is unique."""

    __tablename__ = "import_batch"
    __table_args__ = (Index("ux_import_batch_kind_hash", "kind", "file_hash", unique=True),
                      Index("ix_import_batch_entidad_review", "entidad", "review_status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(20))  # "archivo" | "api" | "synth"
    file_name: Mapped[str | None] = mapped_column(Text)
    file_hash: Mapped[str] = mapped_column(String(64))
    entidad: Mapped[str | None] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rows_total: Mapped[int] = mapped_column(Integer)
    rows_loaded: Mapped[int] = mapped_column(Integer)
    rows_quarantined: Mapped[int] = mapped_column(Integer)
    rows_unchanged: Mapped[int] = mapped_column(Integer)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    review_status: Mapped[str] = mapped_column(String(12), server_default=ReviewStatus.aprobada.value)
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_comment: Mapped[str | None] = mapped_column(Text)


class QuarantineRow(Base):
    """A rejected row, kept with its original raw values and every reason."""

    __tablename__ = "quarantine_row"
    __table_args__ = (Index("ix_quarantine_kind_status", "kind", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id"))
    kind: Mapped[str] = mapped_column(String(40))
    row_number: Mapped[int] = mapped_column(Integer)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON)
    issues: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12))  # "abierta" | "resuelta" | "descartada" (batch rejected)
    resolved_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))


def column_type(spec: FieldSpec) -> TypeEngine[Any]:
    if spec.type is FieldType.date:
        return Date()
    if spec.type in (FieldType.integer, FieldType.year):
        return Integer()
    if spec.type is FieldType.number:
        return Numeric(18, 4)
    return String(spec.max_length) if spec.max_length else Text()


def table_name(kind: RecordKind) -> str:
    return f"rec_{kind.name}"


def _record_table(kind: RecordKind) -> Table:
    return Table(
        table_name(kind), Base.metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("batch_id", ForeignKey("import_batch.id"), nullable=False),
        Column("row_number", Integer, nullable=False),
        Column("entidad_reporta", String(20)),
        Column("revision_of", ForeignKey(f"{table_name(kind)}.id")),
        Column("key_hash", String(32), nullable=False, index=True),
        Column("row_hash", String(32), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        *(Column(f.name, column_type(f), nullable=not f.required) for f in kind.fields),
    )


RECORD_TABLES: dict[str, Table] = {k.name: _record_table(k) for k in KINDS if k.name not in REGISTRY_KINDS}
