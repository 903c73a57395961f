"""Reported values (one row per revision) and the reporting calendar."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pade.core.db import Base


class ReportedValue(Base):
    """One revision of the value an entity reports for a variable and a year.

    Revisions of the same ``(variable, entidad, periodo)`` are numbered from 1 and each
    links to the one it follows. A revision is never edited after its review: a change
    is a new revision. ``batch_id`` names the import that landed it once approved.
    """

    __tablename__ = "reported_value"
    __table_args__ = (
        Index("ux_reported_value_revision", "variable", "entidad", "periodo", "revision", unique=True),
        Index("ix_reported_value_entidad_estado", "entidad", "estado"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    variable: Mapped[str] = mapped_column(String(60))
    entidad: Mapped[str] = mapped_column(String(20))
    periodo: Mapped[int] = mapped_column(Integer)
    revision: Mapped[int] = mapped_column(Integer)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("reported_value.id"))
    valor: Mapped[Decimal] = mapped_column(Numeric(18, 4))
    unidad: Mapped[str] = mapped_column(String(20))
    justificacion: Mapped[str] = mapped_column(Text)
    evidence_url: Mapped[str | None] = mapped_column(String(500))
    evidence_file_name: Mapped[str | None] = mapped_column(String(200))
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_size_bytes: Mapped[int | None] = mapped_column(Integer)
    evidence_type: Mapped[str | None] = mapped_column(String(10))  # pdf | xlsx | csv | png | jpg
    estado: Mapped[str] = mapped_column(String(12))  # pendiente | aprobado | rechazado
    submitted_by: Mapped[str] = mapped_column(String(120))  # Actor.audit_name
    submitted_by_user_id: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[str | None] = mapped_column(String(120))
    reviewed_by_user_id: Mapped[int | None] = mapped_column(Integer)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_comment: Mapped[str | None] = mapped_column(Text)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))


class ReportingDue(Base):
    """When the data of one period is due: for a reported variable, or for a record kind an entity imports."""

    __tablename__ = "reporting_due"
    __table_args__ = (Index("ux_reporting_due_target", "target_type", "target", "periodo", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    target_type: Mapped[str] = mapped_column(String(12))  # variable | registro
    target: Mapped[str] = mapped_column(String(60))  # variable codigo or record kind name
    periodo: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[date] = mapped_column(Date)
    set_by: Mapped[str] = mapped_column(String(120))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
