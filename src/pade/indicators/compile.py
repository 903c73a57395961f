"""Compile indicator measures to Ibis expressions. Pure: no connection is touched here.

Each measure (a variable of an indicator's formula) becomes one Ibis table
expression over *unbound* tables named like the snapshot tables, with columns
``anio, desagregacion, <dimensions…>, valor``: the value per year for the total
and for every breakdown the measure allows, computed in one query. The engine
binds the expression to DuckDB, PostgreSQL or Spark and executes it.

Time semantics (see docs/decisions/0007-indicator-engine.md):

* ``anual``: records dated in the year.
* ``acumulado``: for distinct counts, each subject counts from the first year it
  qualifies (attributes valid in that year); the engine adds years up.
* ``stock``: subjects with a span open on 31 December of the year.

Ratios are never averaged: every measure is a sum or a count per group, and
the formula is applied to the re-aggregated numerator and denominator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from pade.core.errors import InvalidDefinition
from pade.core.i18n import t
from pade.indicators.snapshot import REF_CIIU, canonical_schemas
from pade.programme.models import Acumulacion, Agregacion, Filtro, Indicador, Medida, Operador, Programa
from pade.records.kinds import KINDS_BY_NAME, RecordKind, Subject
from pade.records.tables import table_name

DIMENSIONS: tuple[str, ...] = ("departamento", "tamano", "seccion_ciiu", "exportador", "sexo_titular")
GROUPINGS: dict[str, tuple[str, ...]] = {
    "total": (),
    "departamento": ("departamento",),
    "tamano": ("tamano",),
    "seccion_ciiu": ("seccion_ciiu",),
    "exportador": ("exportador",),
    "sexo_titular": ("sexo_titular",),
    "departamento_tamano": ("departamento", "tamano"),
}
SUBJECT_GROUPINGS: dict[Subject, tuple[str, ...]] = {
    Subject.empresa: tuple(GROUPINGS),
    Subject.mercado: ("total", "departamento"),
    Subject.ninguno: ("total",),
}
UNKNOWN = "no_informado"  # label of a missing attribute in breakdowns


@dataclass(frozen=True)
class CompiledMeasure:
    """One measure, compiled. ``cumulate``: the engine adds yearly values up from ``first_year``;
    ``carry_forward``: a year without a value takes the latest earlier one (reported stocks)."""

    symbol: str
    expr: ir.Table
    groupings: tuple[str, ...]
    cumulate: bool
    carry_forward: bool
    first_year: int
    zero_when_missing: bool  # counts are 0 where nothing happened; reported values are unknown


def unbound_tables() -> dict[str, ir.Table]:
    """Unbound Ibis tables with the snapshot's canonical schemas."""
    return {name: ibis.table(ibis.Schema.from_pyarrow(schema), name=name)
            for name, schema in canonical_schemas().items()}


def compile_indicator(p: Programa, ind: Indicador, years: range) -> dict[str, CompiledMeasure]:
    """Compile every measure of ``ind`` for ``years``.

    Raises:
        InvalidDefinition: the indicator declares no calculation.
    """
    if ind.calculo is None:
        raise InvalidDefinition(t("indicator {id}: no calculation is declared (calculo)", id=ind.codigo))
    tables = unbound_tables()
    return {symbol: compile_measure(p, ind, symbol, m, years, tables) for symbol, m in ind.calculo.medidas.items()}


def compile_measure(p: Programa, ind: Indicador, symbol: str, m: Medida, years: range,
                    tables: dict[str, ir.Table]) -> CompiledMeasure:
    timing = m.acumulacion or ind.acumulacion
    first_year = m.desde or p.horizonte.anio_linea_base
    if m.reportado is not None:
        return _reported(symbol, m, timing, first_year, years, tables)
    kind = KINDS_BY_NAME[m.registro or ""]
    subject = "ruc" if kind.subject is Subject.empresa else "mercado_id"
    records = _current(tables[table_name(kind)])
    records = records.filter(_predicates(records, m.filtros)) if m.filtros else records
    low, high = years.start, years.stop - 1
    cumulate = False
    if m.transicion is not None:
        base = _transitions(records, kind, subject, m)
        cumulate = timing is Acumulacion.acumulado
    elif timing is Acumulacion.stock:
        base = _open_at_year_end(records, kind, subject, years)
    elif timing is Acumulacion.acumulado:
        base = _first_years(records, kind, subject, m, first_year, tables)
        cumulate = True
    else:
        base = _in_year(records, kind, subject, m, tables)
    lo = first_year if cumulate else low
    base = base.filter((base.anio >= lo) & (base.anio <= high))
    if kind.subject is Subject.empresa:
        base = _with_company_attributes(base, tables)
    elif kind.subject is Subject.mercado:
        base = _with_market_attributes(base, tables)
    if m.empresa:
        base = base.filter(_predicates(base, m.empresa))
    groupings = SUBJECT_GROUPINGS[kind.subject]
    return CompiledMeasure(symbol, _grouped(base, m, groupings), groupings, cumulate, False, lo, True)


# -- building blocks ---------------------------------------------------------------------------

def _current(table: ir.Table) -> ir.Table:
    """Rows not replaced by a later revision."""
    replaced = table.select(replaced_id=table.revision_of).filter(lambda r: r.replaced_id.notnull())
    return table.anti_join(replaced, table.id == replaced.replaced_id)


def _predicates(table: ir.Table, filters: list[Filtro]) -> list[ir.BooleanValue]:
    out: list[ir.BooleanValue] = []
    for f in filters:
        col = table[f.campo]
        values: list[Any] = f.valor if isinstance(f.valor, list) else [f.valor]
        op = f.op
        if op is Operador.igual:
            out.append(col == values[0])
        elif op is Operador.distinto:
            out.append((col != values[0]) | col.isnull())
        elif op is Operador.en:
            out.append(col.isin(values))
        elif op is Operador.no_en:  # an unknown attribute is not excluded
            out.append(col.notin(values) | col.isnull())
        elif op is Operador.nulo:
            out.append(col.isnull())
        elif op is Operador.no_nulo:
            out.append(col.notnull())
        else:
            compare = {Operador.mayor_igual: col >= values[0], Operador.menor_igual: col <= values[0],
                       Operador.mayor: col > values[0], Operador.menor: col < values[0]}
            out.append(compare[op])
    return out


def _value_column(m: Medida) -> str | None:
    if m.agregacion in (Agregacion.suma, Agregacion.promedio):
        return m.campo
    return None


def _project(rel: ir.Table, subject: str, year: ir.IntegerValue, m: Medida) -> ir.Table:
    col = _value_column(m)
    value = rel[col].cast("float64") if col else ibis.literal(1.0)
    return rel.select(subject=rel[subject], anio=year.cast("int64"), v=value)


def _in_year(records: ir.Table, kind: RecordKind, subject: str, m: Medida, tables: dict[str, ir.Table]) -> ir.Table:
    date = records[kind.date_field or ""]
    rel = records.mutate(e_anio=date.year().cast("int64"))
    if m.ultimo_por_sujeto:
        order = [ibis.desc(rel[kind.date_field or ""]), ibis.desc(rel.id)]
        rank = ibis.row_number().over(group_by=[rel[subject], rel.e_anio], order_by=order)
        rel = rel.mutate(e_rk=rank).filter(lambda r: r.e_rk == 0)
    if m.al_menos is not None:
        qualified = rel.group_by([subject, "e_anio"]).aggregate(e_n=rel[m.al_menos.campo].nunique())
        qualified = qualified.filter(qualified.e_n >= m.al_menos.n)
        return qualified.select(subject=qualified[subject], anio=qualified.e_anio, v=ibis.literal(1.0))
    base = _project(rel, subject, rel.e_anio, m)
    if m.con_registro_en is not None:
        other = _subject_years(tables, m.con_registro_en, subject)
        base = base.semi_join(other, (base.subject == other.o_subject) & (base.anio == other.o_anio))
    return base


def _subject_years(tables: dict[str, ir.Table], kind_name: str, subject: str) -> ir.Table:
    kind = KINDS_BY_NAME[kind_name]
    other = _current(tables[table_name(kind)])
    return other.select(o_subject=other[subject], o_anio=other[kind.date_field or ""].year().cast("int64")).distinct()


def _first_years(records: ir.Table, kind: RecordKind, subject: str, m: Medida, first_year: int,
                 tables: dict[str, ir.Table]) -> ir.Table:
    """Cumulative measures: counts by the first year each subject qualifies; sums and record counts by year."""
    date = records[kind.date_field or ""]
    rel = records.mutate(e_anio=date.year().cast("int64"))
    rel = rel.filter(rel.e_anio >= first_year)
    if m.agregacion is not Agregacion.contar_distintos:
        return _project(rel, subject, rel.e_anio, m)
    if m.al_menos is not None:
        per_value = rel.group_by([subject, m.al_menos.campo]).aggregate(e_fy=rel.e_anio.min())
        order = [per_value.e_fy, per_value[m.al_menos.campo]]
        rank = ibis.row_number().over(group_by=per_value[subject], order_by=order)
        needed = m.al_menos.n - 1
        nth = per_value.mutate(e_rk=rank).filter(lambda r: r.e_rk == needed)
        firsts = nth.select(subject=nth[subject], anio=nth.e_fy)
    else:
        grouped = rel.group_by(subject).aggregate(anio=rel.e_anio.min())
        firsts = grouped.select(subject=grouped[subject], anio=grouped.anio)
    if m.con_registro_en is not None:
        other = _subject_years(tables, m.con_registro_en, subject)
        other = other.filter(other.o_anio >= first_year)
        first_other = other.group_by("o_subject").aggregate(o_fy=other.o_anio.min())
        joined = firsts.join(first_other, firsts.subject == first_other.o_subject)
        firsts = joined.select(subject=joined.subject, anio=ibis.greatest(joined.anio, joined.o_fy))
    return firsts.mutate(v=ibis.literal(1.0))


def _open_at_year_end(records: ir.Table, kind: RecordKind, subject: str, years: range) -> ir.Table:
    start = records[kind.date_field or ""].year()
    end = records[kind.end_field or ""].year()
    spans = records.select(subject=records[subject], e_start=start, e_end=end)
    calendar = ibis.memtable({"anio": list(years)})
    grid = spans.cross_join(calendar)
    open_ = grid.filter((grid.e_start <= grid.anio) & (grid.e_end.isnull() | (grid.e_end > grid.anio)))
    return open_.select(subject=open_.subject, anio=open_.anio.cast("int64"), v=ibis.literal(1.0)).distinct()


def _transitions(records: ir.Table, kind: RecordKind, subject: str, m: Medida) -> ir.Table:
    """The first record at or above the threshold level after an earlier one below it, per subject."""
    assert m.transicion is not None
    tr = m.transicion
    threshold = tr.orden.index(tr.hacia)
    rank = ibis.cases(*((records[tr.campo] == level, i) for i, level in enumerate(tr.orden)), else_=None)
    date = records[kind.date_field or ""]
    rel = records.select(subject=records[subject], e_fecha=date, e_rank=rank)
    below = rel.filter(rel.e_rank < threshold).group_by("subject").aggregate(e_first_below=lambda r: r.e_fecha.min())
    joined = rel.join(below, "subject")
    after = joined.filter((joined.e_rank >= threshold) & (joined.e_fecha > joined.e_first_below))
    first = after.group_by("subject").aggregate(e_when=after.e_fecha.min())
    return first.select(subject=first.subject, anio=first.e_when.year().cast("int64"), v=ibis.literal(1.0))


def _with_company_attributes(base: ir.Table, tables: dict[str, ir.Table]) -> ir.Table:
    """Attach the company attributes valid in the year: the latest version dated on or before 31 December,
    else (a company first described later) its earliest version; no version at all gives unknowns."""
    cv = tables["company_version"]
    versions = cv.select(v_ruc=cv.ruc, v_from=cv.valid_from, v_id=cv.id, ubigeo=cv.ubigeo, ciiu=cv.ciiu,
                         tamano=cv.tamano, exportador=cv.exportador, sexo_titular=cv.sexo_titular)
    joined = base.left_join(versions, base.subject == versions.v_ruc)
    before = joined.v_from.year() <= joined.anio
    days = joined.v_from.epoch_days()
    order_key = ibis.ifelse(before, -days, days + 10_000_000)
    pick = ibis.row_number().over(group_by=[joined.subject, joined.anio], order_by=[order_key, ibis.desc(joined.v_id)])
    chosen = joined.mutate(e_pick=pick).filter(lambda r: r.e_pick == 0)
    ciiu = tables[REF_CIIU]
    with_section = chosen.left_join(ciiu, chosen.ciiu.substr(0, 2) == ciiu.division)
    return with_section.select(
        subject=with_section.subject, anio=with_section.anio, v=with_section.v,
        departamento=with_section.ubigeo.substr(0, 2).fill_null(UNKNOWN),
        tamano=with_section.tamano.fill_null(UNKNOWN),
        seccion_ciiu=with_section.seccion.fill_null(UNKNOWN),
        exportador=with_section.exportador.fill_null(UNKNOWN),
        sexo_titular=with_section.sexo_titular.fill_null(UNKNOWN),
    )


def _with_market_attributes(base: ir.Table, tables: dict[str, ir.Table]) -> ir.Table:
    market = tables["market"]
    markets = market.select(m_id=market.mercado_id, ubigeo=market.ubigeo)
    joined = base.left_join(markets, base.subject == markets.m_id)
    return joined.select(subject=joined.subject, anio=joined.anio, v=joined.v,
                         departamento=joined.ubigeo.substr(0, 2).fill_null(UNKNOWN))


def _grouped(base: ir.Table, m: Medida, groupings: tuple[str, ...]) -> ir.Table:
    """One long table: the measure per year for the total and each breakdown."""
    if m.agregacion is Agregacion.contar_distintos:
        base = base.select("subject", "anio", *[d for d in DIMENSIONS if d in base.columns]).distinct()
    parts = []
    for name in groupings:
        dims = GROUPINGS[name]
        if m.agregacion is Agregacion.contar_distintos or m.agregacion is Agregacion.contar:
            metric = base.count()
        elif m.agregacion is Agregacion.promedio:
            metric = base.v.mean()
        else:
            metric = base.v.sum()
        agg = base.group_by(["anio", *dims]).aggregate(valor=metric.cast("float64"))
        parts.append(agg.select(
            anio=agg.anio, desagregacion=ibis.literal(name),
            **{d: (agg[d] if d in dims else ibis.null("string")) for d in DIMENSIONS}, valor=agg.valor))
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


def _reported(symbol: str, m: Medida, timing: Acumulacion, first_year: int, years: range,
              tables: dict[str, ir.Table]) -> CompiledMeasure:
    values = _current(tables["rec_valor_reportado"])
    values = values.filter((values.variable == m.reportado) & (values.estado == "aprobado"))
    values = values.filter(values.periodo <= years.stop - 1)
    agg = values.group_by("periodo").aggregate(valor=values.valor.sum().cast("float64"))
    expr = agg.select(anio=agg.periodo.cast("int64"), desagregacion=ibis.literal("total"),
                      **{d: ibis.null("string") for d in DIMENSIONS}, valor=agg.valor)
    last = m.agregacion is Agregacion.ultimo or timing is Acumulacion.stock
    cumulate = not last and timing is Acumulacion.acumulado
    return CompiledMeasure(symbol, expr, ("total",), cumulate, last, first_year if cumulate else years.start, False)
