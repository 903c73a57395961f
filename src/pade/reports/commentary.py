"""What the responsible entities say about an indicator's progress in a period.

CEPLAN's progress reports pair every figure with the entity's *justificación del avance* and its
*medidas correctivas*. Each statement is a row of ``indicator_commentary``; the table is
append-only (triggers in migration 0004), so a correction is a new row and the latest row per
(indicator, year) is the current one. Earlier statements stay for the record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from pade.core import audit
from pade.core.db import Base
from pade.core.errors import NotFound, PadeError
from pade.core.i18n import t
from pade.programme.store import current_programme_version

log = logging.getLogger(__name__)


class CommentaryRefused(PadeError, ValueError):
    """A statement that cannot be recorded (wrong entity, year outside the programme, empty text)."""

    http_status = 422


class IndicatorCommentary(Base):
    __tablename__ = "indicator_commentary"
    __table_args__ = (Index("ix_indicator_commentary_code_year", "codigo", "anio"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    codigo: Mapped[str] = mapped_column(String(12))
    anio: Mapped[int] = mapped_column(Integer)
    entidad: Mapped[str] = mapped_column(String(20))
    justificacion: Mapped[str] = mapped_column(Text)
    medidas_correctivas: Mapped[str] = mapped_column(Text)
    autor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class Commentary:
    """One statement of an entity about an indicator in a year."""

    id: int
    codigo: str
    anio: int
    entidad: str
    justificacion: str
    medidas_correctivas: str
    autor: str
    created_at: str  # ISO 8601, UTC

    @classmethod
    def of(cls, row: IndicatorCommentary) -> Commentary:
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        return cls(row.id, row.codigo, row.anio, row.entidad, row.justificacion, row.medidas_correctivas,
                   row.autor, created.isoformat(timespec="seconds"))


def set_commentary(session: Session, *, codigo: str, anio: int, entidad: str, justificacion: str,
                   medidas_correctivas: str, autor: str) -> Commentary:
    """Record the justification and corrective measures of ``entidad`` for ``codigo`` in ``anio``.

    The statement becomes the current one for (``codigo``, ``anio``); earlier ones are kept.
    Runs in the caller's transaction and writes one audit entry.

    Raises:
        NotFound: no programme is loaded, or no indicator has that code.
        CommentaryRefused: the entity is not responsible for the indicator, the year is outside the
            programme's horizon, or both texts are empty.

    Example:
        >>> set_commentary(s, codigo="OE1-01", anio=2026, entidad="PROMPERÚ", justificacion="…",
        ...                medidas_correctivas="…", autor="cli")  # doctest: +SKIP
    """
    stored = current_programme_version(session)
    if stored is None:
        raise NotFound(t("No programme is loaded. Run `pade programme load`."))
    programme = stored.programme
    try:
        ind = programme.indicador(codigo)
    except KeyError:
        raise NotFound(t("Indicator {code} does not exist; codes: {codes}", code=codigo,
                         codes=", ".join(i.codigo for i in programme.indicadores()))) from None
    allowed = list(dict.fromkeys(r.entidad for r in ind.responsables))
    if entidad not in allowed:
        raise CommentaryRefused(t("Indicator {code}: {entity} is not a responsible entity (responsible: {allowed}); "
                                  "only they may justify its progress", code=ind.codigo, entity=entidad,
                                  allowed=", ".join(allowed)))
    first, last = programme.horizonte.anio_linea_base, programme.horizonte.anio_fin
    if not first <= anio <= last:
        raise CommentaryRefused(t("Year {year} is outside the programme ({first}-{last})", year=anio, first=first,
                                  last=last))
    justificacion, medidas_correctivas = justificacion.strip(), medidas_correctivas.strip()
    if not justificacion and not medidas_correctivas:
        raise CommentaryRefused(t("Write the justification of the progress, the corrective measures, or both"))
    row = IndicatorCommentary(codigo=ind.codigo, anio=anio, entidad=entidad, justificacion=justificacion,
                              medidas_correctivas=medidas_correctivas, autor=autor, created_at=datetime.now(UTC))
    session.add(row)
    session.flush()
    # The texts go to the payload hash only: they may name people.
    audit.record(session, actor=autor, action="reports.commentary", object_type="indicator_commentary",
                 object_id=str(row.id), payload={"codigo": row.codigo, "anio": anio, "entidad": entidad,
                                                 "justificacion": justificacion, "medidas": medidas_correctivas},
                 details={"codigo": row.codigo, "anio": anio, "entidad": entidad})
    log.info("commentary id=%s codigo=%s anio=%s entidad=%s", row.id, row.codigo, anio, entidad)
    return Commentary.of(row)


def current_commentary(session: Session, anio: int) -> dict[str, Commentary]:
    """The current statement of each indicator for ``anio`` (the latest row), by indicator code."""
    latest = (select(func.max(IndicatorCommentary.id)).where(IndicatorCommentary.anio == anio)
              .group_by(IndicatorCommentary.codigo))
    rows = session.scalars(select(IndicatorCommentary).where(IndicatorCommentary.id.in_(latest))
                           .order_by(IndicatorCommentary.codigo))
    return {row.codigo: Commentary.of(row) for row in rows}


def commentary_history(session: Session, codigo: str, anio: int) -> list[Commentary]:
    """Every statement for (``codigo``, ``anio``), oldest first."""
    rows = session.scalars(select(IndicatorCommentary).where(IndicatorCommentary.codigo == codigo,
                                                             IndicatorCommentary.anio == anio)
                           .order_by(IndicatorCommentary.id))
    return [Commentary.of(r) for r in rows]
