"""Indicator runs and values in the system of record (lineage: every value names its run)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pade.core.db import Base


class IndicatorRun(Base):
    """One computation: which programme version, which snapshot, which engine and code produced the values.

    ``signature`` hashes those inputs: the same inputs never produce a second run unless forced.
    """

    __tablename__ = "indicator_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    signature: Mapped[str] = mapped_column(String(64), index=True)
    programme_version: Mapped[str] = mapped_column(String(20))
    programme_hash: Mapped[str] = mapped_column(String(64))
    snapshot_hash: Mapped[str] = mapped_column(String(64))
    engine: Mapped[str] = mapped_column(String(20))
    code_version: Mapped[str] = mapped_column(String(40))
    year_from: Mapped[int] = mapped_column(Integer)
    year_to: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_s: Mapped[float] = mapped_column(Float)
    rows: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(120))


class IndicatorValue(Base):
    """A value of one indicator, year and breakdown cell, with its numerator and denominator."""

    __tablename__ = "indicator_value"
    __table_args__ = (Index("ix_indicator_value_run_code", "run_id", "codigo", "anio"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("indicator_run.id"))
    indicador: Mapped[str] = mapped_column(String(40))
    codigo: Mapped[str] = mapped_column(String(12))
    anio: Mapped[int] = mapped_column(Integer)
    desagregacion: Mapped[str] = mapped_column(String(40))
    departamento: Mapped[str | None] = mapped_column(String(20))
    tamano: Mapped[str | None] = mapped_column(String(20))
    seccion_ciiu: Mapped[str | None] = mapped_column(String(20))
    exportador: Mapped[str | None] = mapped_column(String(30))
    sexo_titular: Mapped[str | None] = mapped_column(String(20))
    numerador: Mapped[float | None] = mapped_column(Float)
    denominador: Mapped[float | None] = mapped_column(Float)
    valor: Mapped[float | None] = mapped_column(Float)
    medidas: Mapped[dict[str, Any]] = mapped_column(JSON)
