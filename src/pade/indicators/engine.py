"""Execute compiled indicators on DuckDB (over the Parquet snapshot), PostgreSQL or Spark.

The engine binds the unbound Ibis expressions of :mod:`pade.indicators.compile`
to a backend, executes each measure once, then — on the small per-year,
per-group results — adds up cumulative years, carries reported stocks forward
and applies the formula (PADE's AST, never ``eval``). Results are rounded to
10 significant decimals so every engine gives identical values.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import ibis
import numpy as np
import pandas as pd

from pade.core.errors import ConfigError
from pade.core.i18n import t
from pade.indicators.compile import (
    COUNTED,
    DIMENSIONS,
    GROUPINGS,
    CompiledIndicator,
    CompiledMeasure,
    CompiledQuery,
    company_attributes,
    compile_indicator,
    unbound_tables,
)
from pade.indicators.snapshot import COMPANY_ATTRIBUTES, Snapshot, canonical_schemas
from pade.programme.formula import Algebra, evaluate, parse
from pade.programme.models import Indicador, Programa

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
KEYS = ["anio", "desagregacion", *DIMENSIONS]
NO_DIMENSION = "<ninguna>"  # stands for "not in this breakdown" while pivoting (pandas drops None keys)
DECIMALS = 10


class EngineName(StrEnum):
    duckdb = "duckdb"
    postgres = "postgres"
    spark = "spark"


@contextmanager
def connect(engine: EngineName, *, snapshot: Snapshot | None = None, database_url: str | None = None
            ) -> Iterator[Any]:
    """An Ibis backend with every snapshot table available under its canonical name."""
    if engine is EngineName.duckdb:
        if snapshot is None:
            raise ConfigError(t("the DuckDB engine needs a snapshot; run `pade snapshot` first"))
        con = ibis.duckdb.connect(threads=os.cpu_count() or 2)
        for name in canonical_schemas():
            con.read_parquet(str(snapshot.file(name)), table_name=name)
        if COMPANY_ATTRIBUTES in snapshot.tables:
            con.read_parquet(str(snapshot.file(COMPANY_ATTRIBUTES)), table_name=COMPANY_ATTRIBUTES)
        else:  # a snapshot taken before the spans were part of it
            _company_attributes(con)
        try:
            yield con
        finally:
            con.disconnect()
    elif engine is EngineName.postgres:
        if not database_url or not database_url.startswith("postgresql"):
            raise ConfigError(t("the PostgreSQL engine needs PADE_DATABASE_URL to point to PostgreSQL"))
        from sqlalchemy.engine import make_url

        url = make_url(database_url)
        con = ibis.postgres.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                                    database=url.database)
        _postgres_reference(con)
        _company_attributes(con)
        try:
            yield con
        finally:
            con.disconnect()
    else:
        if snapshot is None:
            raise ConfigError(t("the Spark engine needs a snapshot; run `pade snapshot` first"))
        with _spark(snapshot) as con:
            yield con


def _postgres_reference(con: Any) -> None:
    """Reference tables that live in the package, not in the store, as temporary tables."""
    from pade.indicators.snapshot import REF_CIIU, _ciiu_table

    con.create_table(REF_CIIU, _ciiu_table(), temp=True, overwrite=True)


def _company_attributes(con: Any) -> None:
    """Materialise the company attributes by span of years once per connection (where no snapshot holds them):
    every query that breaks a measure down by company attributes joins this table instead of picking a
    version per subject and year."""
    con.create_table(COMPANY_ATTRIBUTES, company_attributes(unbound_tables()), temp=True, overwrite=True)


@contextmanager
def _spark(snapshot: Snapshot) -> Iterator[Any]:
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        raise ConfigError(t("the Spark engine needs the optional extra: pip install 'pade[spark]'")) from e
    session = (SparkSession.builder.master("local[2]").appName("pade")
               .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "4").config("spark.ui.showConsoleProgress", "false")
               .config("spark.log.level", "ERROR").getOrCreate())
    con = ibis.pyspark.connect(session)
    for name in canonical_schemas():
        session.read.parquet(str(snapshot.file(name))).createOrReplaceTempView(name)
    if COMPANY_ATTRIBUTES in snapshot.tables:
        session.read.parquet(str(snapshot.file(COMPANY_ATTRIBUTES))).createOrReplaceTempView(COMPANY_ATTRIBUTES)
    else:
        con.create_view(COMPANY_ATTRIBUTES, company_attributes(unbound_tables()), overwrite=True)
    try:
        yield con
    finally:
        session.stop()


@dataclass(frozen=True)
class IndicatorResult:
    indicator: Indicador
    values: pd.DataFrame  # KEYS + numerador, denominador, valor, medidas
    groupings: tuple[str, ...]


def compute_indicator(con: Any, p: Programa, ind: Indicador, years: range) -> IndicatorResult:
    """Execute the queries of ``ind`` on ``con``, roll the measures up to the published breakdowns, add
    cumulative years up or carry reported stocks forward, and combine the measures with the formula."""
    assert ind.calculo is not None
    compiled = compile_indicator(p, ind, years)
    cells = [_cells(_execute(con, q), q, compiled) for q in compiled.queries]
    table = pd.concat(cells, axis=1) if len(cells) > 1 else cells[0]
    table = _over_time(table, compiled.measures, years)
    values = _combine(ind, table, compiled.measures, years)
    return IndicatorResult(ind, values, compiled.groupings)


def _execute(con: Any, q: CompiledQuery) -> pd.DataFrame:
    df: pd.DataFrame = con.execute(q.expr)
    return df


def _cells(df: pd.DataFrame, q: CompiledQuery, compiled: CompiledIndicator) -> pd.DataFrame:
    """The measures of one query per year for the total and each published breakdown: indexed by KEYS
    (``NO_DIMENSION`` for a dimension not in the breakdown), one column per measure, NaN where the
    measure has nothing in the cell."""
    measures = [cm for cm in compiled.measures.values() if compiled.queries[cm.query] is q]
    if q.reported:
        wide = df.pivot_table(index="anio", columns="variable", values="valor", aggfunc="sum")
        data = {cm.symbol: (wide[cm.variable] if cm.variable in wide.columns else pd.Series(np.nan, wide.index))
                for cm in measures}
        out = pd.DataFrame(data, index=wide.index).astype("float64")
        out.index = _keys(out.index.to_numpy(dtype="int64"), "total", {})
        return out
    columns = [c for c in df.columns if c != "anio" and c not in q.dims]
    # a fixed row order, so sums of floats are added in the same order on every engine and every run
    df = df.sort_values(["anio", *q.dims], kind="mergesort")
    parts = []
    for grouping in compiled.groupings:
        dims = list(GROUPINGS[grouping])
        sums = df.groupby(["anio", *dims], sort=True, as_index=False)[columns].sum(min_count=1)
        parts.append(sums.assign(desagregacion=grouping, **{d: NO_DIMENSION for d in DIMENSIONS if d not in dims}))
    flat = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    flat["anio"] = flat["anio"].astype("int64")
    cells = flat.set_index(KEYS)
    out = pd.DataFrame(index=cells.index)
    for cm in measures:
        value = cells[cm.symbol].astype("float64")
        if cm.mean:
            value = value / cells[cm.symbol + COUNTED]
        if cm.presence:
            value = value.where(cells[cm.presence].fillna(0) > 0)
        out[cm.symbol] = value
    return out


def _keys(years: np.ndarray[Any, Any], grouping: str, dims: dict[str, np.ndarray[Any, Any]]) -> pd.MultiIndex:
    n = len(years)
    constant = np.full(n, NO_DIMENSION, dtype=object)
    return pd.MultiIndex.from_arrays([years, np.full(n, grouping, dtype=object),
                                      *[dims.get(d, constant) for d in DIMENSIONS]], names=KEYS)


def _over_time(table: pd.DataFrame, measures: dict[str, CompiledMeasure], years: range) -> pd.DataFrame:
    """Add cumulative measures up and carry reported stocks forward, cell by cell, on the small result;
    keep the years computed. A cell a measure never has stays NaN for it."""
    in_span = table.index.get_level_values("anio").isin(years)
    timed = [cm for cm in measures.values() if cm.cumulate or cm.carry_forward]
    if not timed or table.empty:
        return table[in_span]
    # a reported stock may come from long before the first year computed (e.g. a 2016 census): start there
    first = min([years.start, int(table.index.get_level_values("anio").min()), *(cm.first_year for cm in timed)])
    calendar = list(range(first, years.stop))
    wide = table.unstack("anio")
    out = {}
    for symbol, cm in measures.items():
        block = wide[symbol].reindex(columns=calendar) if symbol in wide.columns.get_level_values(0) else None
        if block is None:
            block = pd.DataFrame(np.nan, index=wide.index, columns=calendar)
        if cm.cumulate:
            seen = block.notna()
            block = block.copy()
            block.loc[:, block.columns < cm.first_year] = np.nan
            block = block.fillna(0.0).cumsum(axis=1)
            if not cm.zero_when_missing:  # a reported flow is unknown before its first report, not zero
                block = block.where(seen.cummax(axis=1))
            block = block.where(seen.any(axis=1), np.nan, axis=0)  # a cell the measure never has
        elif cm.carry_forward:
            block = block.ffill(axis=1)
        out[symbol] = block.loc[:, [y for y in calendar if y in years]]
    wide = pd.concat(out, axis=1, names=[None, "anio"])
    long = wide.stack("anio", future_stack=True).dropna(how="all")
    long.index = long.index.reorder_levels(KEYS)
    return long[list(measures)]


def _series_algebra() -> Algebra[pd.Series]:
    def div(a: pd.Series, b: pd.Series) -> pd.Series:
        return a / b.where(b != 0)

    return Algebra(
        const=lambda v: v,
        add=lambda a, b: a + b, sub=lambda a, b: a - b, mul=lambda a, b: a * b, div=div,
        neg=lambda a: -a,
        functions={
            "min": lambda *xs: pd.concat(xs, axis=1).min(axis=1, skipna=False),
            "max": lambda *xs: pd.concat(xs, axis=1).max(axis=1, skipna=False),
            "abs": lambda x: x.abs(),
            "si_nulo": lambda x, y: x.fillna(y) if isinstance(x, pd.Series) else x,
        },
    )


def _combine(ind: Indicador, table: pd.DataFrame, compiled: dict[str, CompiledMeasure], years: range
             ) -> pd.DataFrame:
    """The formula over the measures, cell by cell, for every breakdown at once."""
    assert ind.calculo is not None
    calc = ind.calculo
    columns = [*KEYS, "numerador", "denominador", "valor", "medidas"]
    # the total exists for every year, even when nothing happened
    totals = _keys(np.array(list(years), dtype="int64"), "total", {})
    table = table.reindex(totals.union(table.index) if len(table) else totals)
    for symbol, cm in compiled.items():
        if cm.zero_when_missing:
            table[symbol] = table[symbol].fillna(0.0)
    node = parse(calc.formula, where=ind.codigo, variables=set(calc.medidas))
    value = evaluate(node, {s: table[s].astype("float64") for s in calc.medidas}, _series_algebra())
    out = table.index.to_frame(index=False)
    out["valor"] = pd.Series(value).to_numpy(dtype="float64") if isinstance(value, pd.Series) else value
    out["numerador"] = table[calc.numerador].to_numpy() if calc.numerador else out["valor"]
    out["denominador"] = table[calc.denominador].to_numpy() if calc.denominador else np.nan
    for col in ("numerador", "denominador", "valor"):
        out[col] = out[col].astype("float64").replace([np.inf, -np.inf], np.nan).round(DECIMALS)
    out["medidas"] = [{k: (None if pd.isna(v) else round(float(v), DECIMALS)) for k, v in
                       zip(calc.medidas, row, strict=True)}
                      for row in table[list(calc.medidas)].itertuples(index=False, name=None)]
    for d in DIMENSIONS:
        out[d] = out[d].where(out[d] != NO_DIMENSION, None)
    order = ["anio", "desagregacion", *DIMENSIONS]
    return out.sort_values(order, na_position="first", kind="mergesort").reset_index(drop=True)[columns]


def compute_all(con: Any, p: Programa, years: range, *, progress: Progress | None = None,
                only: set[str] | None = None) -> list[IndicatorResult]:
    """Every indicator (or those in ``only``, by code) for ``years``."""
    report = progress or (lambda stage, done, total: None)
    indicators = [i for i in p.indicadores() if only is None or i.codigo in only]
    out = []
    for n, ind in enumerate(indicators, start=1):
        out.append(compute_indicator(con, p, ind, years))
        report("calcular", n, len(indicators))
        log.info("computed indicator=%s rows=%s", ind.codigo, len(out[-1].values))
    return out
