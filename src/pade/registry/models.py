"""Registry tables: companies with dated attribute history, markets, responsible entities.

A company is keyed by RUC. Its name, location, activity, size and exporter
status change over time: each change is a new ``company_version`` row valid from
its date, so indicators use the attributes valid in the period they count.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pade.core.db import Base


class Company(Base):
    __tablename__ = "company"

    ruc: Mapped[str] = mapped_column(String(11), primary_key=True)
    persona_natural: Mapped[bool] = mapped_column(Boolean)  # RUC 10/15/17: personal data
    first_seen: Mapped[date] = mapped_column(Date)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))


class CompanyVersion(Base):
    __tablename__ = "company_version"
    __table_args__ = (Index("ix_company_version_ruc_valid_from", "ruc", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ruc: Mapped[str] = mapped_column(ForeignKey("company.ruc"))
    valid_from: Mapped[date] = mapped_column(Date)
    razon_social: Mapped[str | None] = mapped_column(Text)
    ubigeo: Mapped[str | None] = mapped_column(String(6))
    ciiu: Mapped[str | None] = mapped_column(String(4))
    tamano: Mapped[str | None] = mapped_column(String(10))
    tamano_origen: Mapped[str | None] = mapped_column(String(10))  # "ventas" (derived) | "declarado"
    ventas_anuales: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    anio_ventas: Mapped[int | None] = mapped_column(Integer)
    exportador: Mapped[str | None] = mapped_column(String(30))
    sexo_titular: Mapped[str | None] = mapped_column(String(12))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    row_number: Mapped[int | None] = mapped_column(Integer)


class Market(Base):
    __tablename__ = "market"

    mercado_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    nombre: Mapped[str] = mapped_column(Text)
    ubigeo: Mapped[str] = mapped_column(String(6))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    row_number: Mapped[int | None] = mapped_column(Integer)


class Entity(Base):
    __tablename__ = "entity"

    siglas: Mapped[str] = mapped_column(String(20), primary_key=True)
    nombre: Mapped[str] = mapped_column(Text)


class EntityUnit(Base):
    __tablename__ = "entity_unit"

    entidad: Mapped[str] = mapped_column(ForeignKey("entity.siglas"), primary_key=True)
    siglas: Mapped[str] = mapped_column(String(20), primary_key=True)
    nombre: Mapped[str | None] = mapped_column(Text)
