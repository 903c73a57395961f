"""Compile indicator measures to Ibis expressions. Pure: no connection is touched here.

An indicator compiles to a few *queries* over *unbound* tables named like the
snapshot tables. A query returns the measures of one or more variables of the
formula per year at the finest level the indicator publishes: columns
``anio``, the breakdown dimensions it needs, and per measure ``<symbol>`` (the
value) plus, where needed, ``<symbol>__n`` (subject-years counted: whether the
measure has anything in the cell) and ``<symbol>__c`` (values averaged). The
engine binds the expressions to DuckDB, PostgreSQL or Spark, executes them, and
rolls the finest cells up to each published breakdown (every measure is a sum
or a count per cell, so the roll-up is exact).

Work is shared where the results allow it (docs/decisions/0007-indicator-engine.md):

* only the breakdowns the indicator publishes are computed: the intersection of
  what each measure allows (a reported value is total-only, a market has only a
  department);
* the measures of an indicator that need company attributes with the same
  company filters are stacked and joined to the attributes once (a numerator and
  its denominator: one attributes pass, not two);
* a measure that needs neither a breakdown nor a company filter skips the
  attributes join altogether;
* the reported values of an indicator are read in one query.

Time semantics:

* ``anual``: records dated in the year.
* ``acumulado``: for distinct counts, each subject counts from the first year it
  qualifies (attributes valid in that year); the engine adds years up.
* ``stock``: subjects with a span open on 31 December of the year.

Ratios are never averaged: every measure is a sum or a count per group, and
the formula is applied to the re-aggregated numerator and denominator.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import ibis
import ibis.expr.types as ir

from pade.core.errors import InvalidDefinition
from pade.core.i18n import t
from pade.indicators.snapshot import (
    COMPANY_ATTRIBUTES,
    COMPANY_ATTRIBUTES_SCHEMA,
    DIMENSION_LABELS,
    REF_CIIU,
    YEAR_MAX,
    canonical_schemas,
)
from pade.programme.models import Acumulacion, Agregacion, Filtro, Indicador, Medida, Operador, Programa
from pade.records.kinds import KINDS_BY_NAME, RecordKind, Subject
from pade.records.tables import table_name

DIMENSIONS: tuple[str, ...] = DIMENSION_LABELS
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
PRESENT = "__n"  # suffix of a measure's column of subject-years counted (the cell has the measure)
COUNTED = "__c"  # suffix of a mean's column of values averaged


@dataclass(frozen=True)
class CompiledMeasure:
    """One measure, compiled. ``cumulate``: the engine adds yearly values up from ``first_year``;
    ``carry_forward``: a year without a value takes the latest earlier one (reported stocks);
    ``mean``: the value is ``<symbol>`` divided by ``<symbol>__c``, after the roll-up;
    ``presence``: the column that says the measure has something in a cell (``None``: the value column)."""

    symbol: str
    query: int  # index into CompiledIndicator.queries
    cumulate: bool
    carry_forward: bool
    first_year: int
    zero_when_missing: bool  # counts are 0 where nothing happened; reported values are unknown
    mean: bool = False
    presence: str | None = None
    variable: str | None = None  # a reported value's variable


@dataclass(frozen=True)
class CompiledQuery:
    """One query: ``anio``, ``dims`` and the columns of ``symbols``. ``reported``: the rows are
    ``variable, anio, valor`` (reported values, total only) instead."""

    expr: ir.Table
    dims: tuple[str, ...]
    symbols: tuple[str, ...]
    reported: bool = False


@dataclass(frozen=True)
class CompiledIndicator:
    measures: dict[str, CompiledMeasure]
    queries: tuple[CompiledQuery, ...]
    groupings: tuple[str, ...]  # published breakdowns, in GROUPINGS order


@cache
def unbound_tables() -> dict[str, ir.Table]:
    """Unbound Ibis tables with the snapshot's canonical schemas (immutable, so built once)."""
    tables = {name: ibis.table(ibis.Schema.from_pyarrow(schema), name=name)
              for name, schema in canonical_schemas().items()}
    spans = ibis.Schema.from_pyarrow(COMPANY_ATTRIBUTES_SCHEMA)
    tables[COMPANY_ATTRIBUTES] = ibis.table(spans, name=COMPANY_ATTRIBUTES)
    return tables


def measure_subject(m: Medida) -> Subject | None:
    """The subject a record measure counts; ``None`` for a reported value."""
    return None if m.reportado is not None else KINDS_BY_NAME[m.registro or ""].subject


def published_groupings(ind: Indicador) -> tuple[str, ...]:
    """The breakdowns every measure of ``ind`` allows (a reported value allows only the total)."""
    assert ind.calculo is not None
    allowed = [("total",) if s is None else SUBJECT_GROUPINGS[s]
               for s in (measure_subject(m) for m in ind.calculo.medidas.values())]
    return tuple(g for g in GROUPINGS if all(g in a for a in allowed))


def compile_indicator(p: Programa, ind: Indicador, years: range) -> CompiledIndicator:
    """Compile every measure of ``ind`` for ``years`` into as few queries as the results allow.

    Raises:
        InvalidDefinition: the indicator declares no calculation.
    """
    if ind.calculo is None:
        raise InvalidDefinition(t("indicator {id}: no calculation is declared (calculo)", id=ind.codigo))
    tables = unbound_tables()
    groupings = published_groupings(ind)
    dims = tuple(d for d in DIMENSIONS if any(d in GROUPINGS[g] for g in groupings))
    measures: dict[str, CompiledMeasure] = {}
    queries: list[CompiledQuery] = []
    passes: dict[tuple[Subject, str], list[_Base]] = {}
    reported: list[tuple[str, Medida]] = []
    for symbol, m in ind.calculo.medidas.items():
        if m.reportado is not None:
            reported.append((symbol, m))
            continue
        base = _measure_base(p, ind, symbol, m, years, tables)
        needs_attributes = bool(m.empresa) or (base.subject is not Subject.ninguno and bool(dims))
        if needs_attributes:  # measures with the same company filters share one attributes pass
            key = (base.subject, "|".join(f.model_dump_json() for f in m.empresa))
            passes.setdefault(key, []).append(base)
        else:
            queries.append(_query([base], dims=(), tables=tables))
            measures[symbol] = base.compiled(len(queries) - 1)
    for bases in passes.values():
        queries.append(_query(bases, dims=dims, tables=tables))
        measures.update({b.symbol: b.compiled(len(queries) - 1) for b in bases})
    if reported:
        queries.append(_reported_query([m for _, m in reported], years, tables))
        measures.update({symbol: _reported(symbol, m, ind, p, years, len(queries) - 1) for symbol, m in reported})
    ordered = {symbol: measures[symbol] for symbol in ind.calculo.medidas}
    return CompiledIndicator(ordered, tuple(queries), groupings)


# -- one measure: its subject-years -----------------------------------------------------------------------

@dataclass(frozen=True)
class _Base:
    """A record measure before aggregation: ``subject, anio, v`` rows (``unique``: one per subject and year)."""

    symbol: str
    measure: Medida
    rel: ir.Table
    unique: bool
    subject: Subject
    cumulate: bool
    first_year: int

    @property
    def agregacion(self) -> Agregacion:
        return self.measure.agregacion

    def compiled(self, query: int) -> CompiledMeasure:
        counts = self.agregacion in (Agregacion.contar_distintos, Agregacion.contar, Agregacion.ultimo)
        return CompiledMeasure(self.symbol, query, self.cumulate, False, self.first_year, True,
                               mean=self.agregacion is Agregacion.promedio,
                               presence=None if counts else self.symbol + PRESENT)


def _measure_base(p: Programa, ind: Indicador, symbol: str, m: Medida, years: range,
                  tables: dict[str, ir.Table]) -> _Base:
    timing = m.acumulacion or ind.acumulacion
    first_year = m.desde or p.horizonte.anio_linea_base
    kind = KINDS_BY_NAME[m.registro or ""]
    subject = "ruc" if kind.subject is Subject.empresa else "mercado_id"
    records = _current(tables[table_name(kind)])
    records = records.filter(_predicates(records, m.filtros)) if m.filtros else records
    low, high = years.start, years.stop - 1
    cumulate = False
    if m.transicion is not None:
        base, unique = _transitions(records, kind, subject, m), True
        cumulate = timing is Acumulacion.acumulado
    elif timing is Acumulacion.stock:
        base, unique = _open_at_year_end(records, kind, subject, years), True
    elif timing is Acumulacion.acumulado:
        base, unique = _first_years(records, kind, subject, m, first_year, tables)
        cumulate = True
    else:
        base, unique = _in_year(records, kind, subject, m, tables)
    lo = first_year if cumulate else low
    base = base.filter((base.anio >= lo) & (base.anio <= high))
    return _Base(symbol, m, base, unique, kind.subject, cumulate, lo)


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


def _in_year(records: ir.Table, kind: RecordKind, subject: str, m: Medida, tables: dict[str, ir.Table]
             ) -> tuple[ir.Table, bool]:
    date = records[kind.date_field or ""]
    rel = records.mutate(e_anio=date.year().cast("int64"))
    if m.ultimo_por_sujeto:
        order = [ibis.desc(rel[kind.date_field or ""]), ibis.desc(rel.id)]
        rank = ibis.row_number().over(group_by=[rel[subject], rel.e_anio], order_by=order)
        rel = rel.mutate(e_rk=rank).filter(lambda r: r.e_rk == 0)
    if m.al_menos is not None:
        qualified = rel.group_by([subject, "e_anio"]).aggregate(e_n=rel[m.al_menos.campo].nunique())
        qualified = qualified.filter(qualified.e_n >= m.al_menos.n)
        return qualified.select(subject=qualified[subject], anio=qualified.e_anio, v=ibis.literal(1.0)), True
    base = _project(rel, subject, rel.e_anio, m)
    if m.con_registro_en is not None:
        other = _subject_years(tables, m.con_registro_en, subject)
        base = base.semi_join(other, (base.subject == other.o_subject) & (base.anio == other.o_anio))
    return base, m.ultimo_por_sujeto


def _subject_years(tables: dict[str, ir.Table], kind_name: str, subject: str) -> ir.Table:
    kind = KINDS_BY_NAME[kind_name]
    other = _current(tables[table_name(kind)])
    return other.select(o_subject=other[subject], o_anio=other[kind.date_field or ""].year().cast("int64")).distinct()


def _first_years(records: ir.Table, kind: RecordKind, subject: str, m: Medida, first_year: int,
                 tables: dict[str, ir.Table]) -> tuple[ir.Table, bool]:
    """Cumulative measures: counts by the first year each subject qualifies; sums and record counts by year."""
    date = records[kind.date_field or ""]
    rel = records.mutate(e_anio=date.year().cast("int64"))
    rel = rel.filter(rel.e_anio >= first_year)
    if m.agregacion is not Agregacion.contar_distintos:
        return _project(rel, subject, rel.e_anio, m), False
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
    return firsts.mutate(v=ibis.literal(1.0)), True


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


# -- one query: measures stacked, attributes attached once, grouped at the finest level ------------------

def _subject_year_columns(b: _Base, rel: ir.Table, symbols: list[str]) -> dict[str, ir.Value]:
    """The columns a measure contributes, one row per subject and year (other measures' columns null)."""
    none = ibis.null().cast("float64")
    out: dict[str, ir.Value] = {}
    for s in symbols:
        out[s] = none
        out[s + PRESENT] = none
        out[s + COUNTED] = none
    s = b.symbol
    out[s] = rel.v.cast("float64")
    out[s + PRESENT] = ibis.literal(1.0)
    out[s + COUNTED] = rel.v.notnull().cast("float64")
    return out


def _columns(b: _Base) -> list[str]:
    """The columns the engine reads for ``b``: the value, and presence / averaged counts where needed."""
    cm = b.compiled(0)
    return [b.symbol, *([cm.presence] if cm.presence else []), *([b.symbol + COUNTED] if cm.mean else [])]


def _query(bases: list[_Base], *, dims: tuple[str, ...], tables: dict[str, ir.Table]) -> CompiledQuery:
    """Stack ``bases`` (same subject, same company filters), one row per subject and year, attach the
    attributes once when a breakdown or a company filter needs them, and group by year and ``dims``."""
    symbols = [b.symbol for b in bases]
    wanted = [c for b in bases for c in _columns(b)]
    if len(bases) == 1 and bases[0].unique:
        b = bases[0]
        cols = _subject_year_columns(b, b.rel, symbols)
        rows = b.rel.select(subject=b.rel.subject, anio=b.rel.anio, **{c: cols[c] for c in wanted})
    else:
        parts = []
        for b in bases:
            cols = _subject_year_columns(b, b.rel, symbols)
            parts.append(b.rel.select(subject=b.rel.subject, anio=b.rel.anio, **{c: cols[c] for c in wanted}))
        stacked = ibis.union(*parts) if len(parts) > 1 else parts[0]
        # one row per subject and year: a distinct count's value is 1 however many records it has
        distinct = {b.symbol for b in bases if b.agregacion is Agregacion.contar_distintos}
        rows = stacked.group_by(["subject", "anio"]).aggregate(
            **{c: (stacked[c].max() if c in distinct else stacked[c].sum()) for c in wanted})
    subject, filters = bases[0].subject, bases[0].measure.empresa
    if filters or dims:
        needed = tuple(d for d in DIMENSIONS if d in dims or any(f.campo == d for f in filters))
        if subject is Subject.empresa:
            rows = _with_company_attributes(rows, tables, needed)
        elif subject is Subject.mercado:
            rows = _with_market_attributes(rows, tables)
        if filters:
            rows = rows.filter(_predicates(rows, filters))
    metrics: dict[str, ir.Value] = {}
    for b in bases:
        cm = b.compiled(0)
        metrics[b.symbol] = rows[b.symbol].sum()
        if cm.presence:
            metrics[cm.presence] = rows[cm.presence].count()
        if cm.mean:
            metrics[b.symbol + COUNTED] = rows[b.symbol + COUNTED].sum()
    grouped = rows.group_by(["anio", *dims]).aggregate(**metrics)
    return CompiledQuery(grouped, dims, tuple(symbols))


def _with_company_attributes(base: ir.Table, tables: dict[str, ir.Table], dims: tuple[str, ...]) -> ir.Table:
    """Attach the company attributes valid in the year (see :func:`company_attributes`): ``base`` has one row
    per subject and year, and meets exactly one span of its company (none: the company has no version, and
    every attribute reads ``no_informado``). Only the attributes in ``dims`` are attached."""
    spans = tables[COMPANY_ATTRIBUTES]
    spans = spans.select("a_ruc", "a_from", "a_to", *dims)
    joined = base.left_join(spans, (base.subject == spans.a_ruc) & (base.anio >= spans.a_from)
                            & (base.anio < spans.a_to))
    return joined.select(*[joined[c] for c in base.columns], **{d: joined[d].fill_null(UNKNOWN) for d in dims})


def company_attributes(tables: dict[str, ir.Table]) -> ir.Table:
    """The company attributes valid in each year, as spans of years per company: ``a_ruc``, ``a_from``
    (inclusive), ``a_to`` (exclusive) and the breakdown labels. A snapshot holds it, derived once when the
    snapshot is taken; on PostgreSQL (and an older snapshot) the engine materialises it once per connection;
    every query joins it on the RUC and the year (decision 0007).

    The version valid in year Y is the latest dated on or before 31 December of Y (ties: the highest id), else,
    for a year before the company's first version, its earliest version (ties: the highest id). So the latest
    version of each year a company has versions in rules from that year until its next such year; the years
    before the first are ruled by the earliest version, which is the first year's latest unless that year
    has several versions (then it gets a span of its own)."""
    cv = tables["company_version"]
    ciiu = tables[REF_CIIU]
    labelled = cv.left_join(ciiu, cv.ciiu.substr(0, 2) == ciiu.division)
    # one window (one sort) for everything: the company's versions in order of date, then id
    window = ibis.window(group_by=labelled.ruc, order_by=[labelled.valid_from, labelled.id])
    year = labelled.valid_from.year().cast("int64")
    versions = labelled.select(
        a_ruc=labelled.ruc, a_year=year, e_next_year=year.lead().over(window),
        e_date=labelled.valid_from, e_next_date=labelled.valid_from.lead().over(window),
        e_first_date=labelled.valid_from.min().over(window),
        departamento=labelled.ubigeo.substr(0, 2), tamano=labelled.tamano, seccion_ciiu=labelled.seccion,
        exportador=labelled.exportador, sexo_titular=labelled.sexo_titular,
    )
    # the latest of its year (ties: highest id) is the last of its year in that order; the earliest
    # (ties: highest id) is the last of the first date
    latest = versions.e_next_year.isnull() | (versions.e_next_year != versions.a_year)
    earliest = (versions.e_date == versions.e_first_date) & (
        versions.e_next_date.isnull() | (versions.e_next_date != versions.e_date))
    versions = versions.mutate(e_latest=latest, e_earliest=earliest)
    labels = list(DIMENSIONS)
    ruled = versions.filter(versions.e_latest)
    ruled = ruled.select(a_ruc=ruled.a_ruc,
                         a_from=ibis.ifelse(ruled.e_earliest, ibis.literal(0, "int64"), ruled.a_year),
                         a_to=ruled.e_next_year.fill_null(ibis.literal(YEAR_MAX, "int64")),
                         **{d: ruled[d] for d in labels})
    first = versions.filter(versions.e_earliest & ~versions.e_latest)
    before = first.select(a_ruc=first.a_ruc, a_from=ibis.literal(0, "int64"), a_to=first.a_year,
                          **{d: first[d] for d in labels})
    return ibis.union(ruled, before)


def _with_market_attributes(base: ir.Table, tables: dict[str, ir.Table]) -> ir.Table:
    market = tables["market"]
    markets = market.select(m_id=market.mercado_id, ubigeo=market.ubigeo)
    joined = base.left_join(markets, base.subject == markets.m_id)
    return joined.select(*[joined[c] for c in base.columns],
                         departamento=joined.ubigeo.substr(0, 2).fill_null(UNKNOWN))


# -- reported values ------------------------------------------------------------------------------------

def _reported_query(measures: list[Medida], years: range, tables: dict[str, ir.Table]) -> CompiledQuery:
    """Every reported variable of an indicator in one query: ``variable, anio, valor`` (approved, current)."""
    variables = sorted({m.reportado for m in measures if m.reportado is not None})
    values = _current(tables["rec_valor_reportado"])
    values = values.filter(values.variable.isin(variables) & (values.estado == "aprobado")
                           & (values.periodo <= years.stop - 1))
    agg = values.group_by(["variable", "periodo"]).aggregate(valor=values.valor.sum().cast("float64"))
    expr = agg.select(variable=agg.variable, anio=agg.periodo.cast("int64"), valor=agg.valor)
    return CompiledQuery(expr, (), tuple(variables), reported=True)


def _reported(symbol: str, m: Medida, ind: Indicador, p: Programa, years: range, query: int) -> CompiledMeasure:
    timing = m.acumulacion or ind.acumulacion
    first_year = m.desde or p.horizonte.anio_linea_base
    last = m.agregacion is Agregacion.ultimo or timing is Acumulacion.stock
    cumulate = not last and timing is Acumulacion.acumulado
    return CompiledMeasure(symbol, query, cumulate, last, first_year if cumulate else years.start, False,
                           variable=m.reportado)
