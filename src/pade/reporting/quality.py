"""Data quality of one entity: which periods have data, what is late, pending or in quarantine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pade.auth.roles import Actor, Permission, require
from pade.core.errors import NotFound
from pade.core.i18n import t
from pade.records.kinds import KINDS_BY_NAME
from pade.records.tables import RECORD_TABLES, ImportBatch, QuarantineRow, ReviewStatus
from pade.reporting.calendar import REGISTRO, VARIABLE, due_dates, measure_kinds
from pade.reporting.models import ReportedValue
from pade.reporting.service import APROBADO, OPEN_STATES, RECHAZADO, programme

# Cell states, in the order a reader cares about them.
CON_DATO, PENDIENTE, RECHAZADO_ST, ATRASADO, SIN_DATO = "con_dato", "pendiente", "rechazado", "atrasado", "sin_dato"


@dataclass(frozen=True, slots=True)
class Cell:
    periodo: int
    state: str  # con_dato | pendiente | rechazado | atrasado | sin_dato
    late: bool  # the due date has passed and nothing is approved or imported
    due: date | None
    value: Decimal | None = None  # reported variables: the value in force
    rows: int = 0  # record kinds: records imported by the entity for the year
    pending: bool = False  # a revision waits for review (also when a value is in force)


@dataclass(frozen=True, slots=True)
class Line:
    target_type: str  # variable | registro
    code: str
    label: str
    indicators: list[str]
    cells: list[Cell]


@dataclass(frozen=True, slots=True)
class EntityQuality:
    entidad: str
    nombre: str
    years: list[int]
    lines: list[Line]
    pending_review: int
    quarantine: dict[str, int] = field(default_factory=dict)  # open rows by record kind
    late: int = 0

    @property
    def quarantine_total(self) -> int:
        return sum(self.quarantine.values())


def entity_quality(session: Session, actor: Actor, entidad: str, *, today: date | None = None) -> EntityQuality:
    """The data quality of ``entidad`` from the programme's baseline year to this year.

    Raises:
        Forbidden: an officer of another entity.
        NotFound: unknown entity.
    """
    require(actor, Permission.VIEW_ENTITY_DATA, entidad)
    p = programme(session)
    names = {e.siglas: e.nombre for e in p.entidades}
    if entidad not in names:
        raise NotFound(t("unknown entity {value}; known: {known}", value=entidad, known=", ".join(sorted(names))))
    today = today or date.today()
    years = list(range(p.horizonte.anio_linea_base, today.year + 1))
    dues = due_dates(session)
    uses: dict[str, list[str]] = {}
    for ind in p.indicadores():
        for m in (ind.calculo.medidas.values() if ind.calculo else []):
            for code in (m.reportado, m.registro, m.con_registro_en):
                if code is not None and ind.codigo not in uses.setdefault(code, []):
                    uses[code].append(ind.codigo)
    lines = [_variable_line(session, entidad, v.codigo, v.descripcion, uses.get(v.codigo, []), years, dues, today)
             for v in p.variables_reportadas if entidad in v.entidades]
    lines += [_kind_line(session, entidad, name, uses.get(name, []), years, dues, today)
              for name in measure_kinds(p, entidad)]
    quarantine = {str(k): int(n) for k, n in session.execute(
        select(QuarantineRow.kind, func.count()).join(ImportBatch, ImportBatch.id == QuarantineRow.batch_id)
        .where(ImportBatch.entidad == entidad, QuarantineRow.status == "abierta").group_by(QuarantineRow.kind))}
    pending = int(session.scalar(select(func.count()).select_from(ReportedValue).where(
        ReportedValue.entidad == entidad, ReportedValue.estado.in_(OPEN_STATES))) or 0)
    late = sum(c.late for line in lines for c in line.cells)
    return EntityQuality(entidad, names[entidad], years, lines, pending, quarantine, late)


def _variable_line(session: Session, entidad: str, codigo: str, label: str, indicators: list[str], years: list[int],
                   dues: dict[tuple[str, str, int], date], today: date) -> Line:
    revisions: dict[int, list[ReportedValue]] = {}
    for v in session.scalars(select(ReportedValue).where(ReportedValue.entidad == entidad,
                                                         ReportedValue.variable == codigo)
                             .order_by(ReportedValue.revision)):
        revisions.setdefault(v.periodo, []).append(v)
    records = _approved_records(session, entidad, codigo)
    cells = []
    for year in years:
        revs = revisions.get(year, [])
        approved = [r.valor for r in revs if r.estado == APROBADO]
        value = approved[-1] if approved else records.get(year)
        pending = bool(revs) and revs[-1].estado in OPEN_STATES
        due = dues.get((VARIABLE, codigo, year))
        late = value is None and due is not None and due < today
        if value is not None:
            state = CON_DATO
        elif pending:
            state = PENDIENTE
        elif late:
            state = ATRASADO
        elif revs and revs[-1].estado == RECHAZADO:
            state = RECHAZADO_ST
        else:
            state = SIN_DATO
        cells.append(Cell(year, state, late, due, value=value, pending=pending))
    return Line(VARIABLE, codigo, label, indicators, cells)


def _approved_records(session: Session, entidad: str, codigo: str) -> dict[int, Decimal]:
    """Approved values in the system of record (imported files included), the current revision per year."""
    tbl = RECORD_TABLES["valor_reportado"]
    approved = select(ImportBatch.id).where(ImportBatch.review_status == ReviewStatus.aprobada.value)
    replaced = select(tbl.c.revision_of).where(tbl.c.revision_of.is_not(None), tbl.c.batch_id.in_(approved))
    rows = session.execute(select(tbl.c.periodo, tbl.c.valor).where(
        tbl.c.entidad == entidad, tbl.c.variable == codigo, tbl.c.estado == APROBADO, tbl.c.id.not_in(replaced),
        tbl.c.batch_id.in_(approved)))
    return {int(y): Decimal(str(v)) for y, v in rows}


def _kind_line(session: Session, entidad: str, name: str, indicators: list[str], years: list[int],
               dues: dict[tuple[str, str, int], date], today: date) -> Line:
    kind = KINDS_BY_NAME[name]
    tbl = RECORD_TABLES[name]
    year_col = func.extract("year", tbl.c[kind.date_field or ""])
    # Only rows of approved batches count, as in the snapshot (decision 0015): pending ones are not data yet.
    approved = select(ImportBatch.id).where(ImportBatch.review_status == ReviewStatus.aprobada.value)
    counts = {int(y): int(n) for y, n in session.execute(
        select(year_col, func.count()).where(tbl.c.entidad_reporta == entidad, tbl.c.batch_id.in_(approved),
                                             year_col.between(years[0], years[-1])).group_by(year_col))}
    cells = []
    for year in years:
        n = counts.get(year, 0)
        due = dues.get((REGISTRO, name, year))
        late = n == 0 and due is not None and due < today
        state = CON_DATO if n else (ATRASADO if late else SIN_DATO)
        cells.append(Cell(year, state, late, due, rows=n))
    return Line(REGISTRO, name, str(kind.title), indicators, cells)
