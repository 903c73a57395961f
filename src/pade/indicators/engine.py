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
from pade.indicators.compile import DIMENSIONS, GROUPINGS, CompiledMeasure, compile_indicator
from pade.indicators.snapshot import Snapshot, canonical_schemas
from pade.programme.formula import Algebra, evaluate, parse
from pade.programme.models import Indicador, Programa

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
KEYS = ["anio", "desagregacion", *DIMENSIONS]
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
    """Execute every measure of ``ind`` on ``con`` and combine them with the formula."""
    assert ind.calculo is not None
    compiled = compile_indicator(p, ind, years)
    frames = {symbol: _finish(_execute(con, cm), cm, years) for symbol, cm in compiled.items()}
    groupings = tuple(g for g in GROUPINGS if all(g in cm.groupings for cm in compiled.values()))
    values = _combine(ind, frames, compiled, groupings, years)
    return IndicatorResult(ind, values, groupings)


def _execute(con: Any, cm: CompiledMeasure) -> pd.DataFrame:
    df: pd.DataFrame = con.execute(cm.expr)
    return df


def _finish(df: pd.DataFrame, cm: CompiledMeasure, years: range) -> pd.DataFrame:
    """Cumulate or carry forward over the years, on the small result."""
    df = df.copy()
    df["anio"] = df["anio"].astype("int64")
    for d in DIMENSIONS:
        df[d] = df[d].astype("object").where(df[d].notna(), None)
    if not (cm.cumulate or cm.carry_forward):
        return df[df["anio"].between(years.start, years.stop - 1)]
    out = []
    group_cols = ["desagregacion", *DIMENSIONS]
    # a reported stock may come from long before the first year computed (e.g. a 2016 census): start there
    earliest = int(df["anio"].min()) if len(df) else years.start
    calendar = range(min(cm.first_year, years.start, earliest), years.stop)
    for key, g in df.groupby(group_cols, dropna=False, sort=False):
        series = g.groupby("anio")["valor"].sum().reindex(calendar)
        observed = series.first_valid_index()
        if cm.cumulate:
            series = series.where(series.index >= cm.first_year).fillna(0.0).cumsum()
            if not cm.zero_when_missing and observed is not None:
                # a reported flow is unknown before its first report, not zero
                series = series.where(series.index >= observed)
        else:
            series = series.ffill()
        frame = pd.DataFrame({"anio": series.index, "valor": series.to_numpy()})
        for col, value in zip(group_cols, key, strict=True):
            frame[col] = value
        out.append(frame)
    if not out:
        return df.iloc[0:0]
    full = pd.concat(out, ignore_index=True)
    full = full[full["anio"].between(years.start, years.stop - 1) & full["valor"].notna()]
    return full


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


def _combine(ind: Indicador, frames: dict[str, pd.DataFrame], compiled: dict[str, CompiledMeasure],
             groupings: tuple[str, ...], years: range) -> pd.DataFrame:
    assert ind.calculo is not None
    calc = ind.calculo
    rows = []
    for grouping in groupings:
        # groupings is the intersection over the measures: a reported (total-only) measure allows only the total
        parts = [frame[frame["desagregacion"] == grouping].set_index(KEYS)["valor"].rename(symbol)
                 for symbol, frame in frames.items()]
        table = pd.concat(parts, axis=1) if parts else pd.DataFrame()
        if grouping == "total":  # the total exists for every year, even when nothing happened
            index = pd.MultiIndex.from_tuples([(y, "total", *([None] * len(DIMENSIONS))) for y in years], names=KEYS)
            table = table.reindex(index.union(table.index) if len(table) else index)
        for symbol, cm in compiled.items():
            if symbol not in table.columns:
                table[symbol] = np.nan
            if cm.zero_when_missing:
                table[symbol] = table[symbol].fillna(0.0)
        if table.empty:
            continue
        node = parse(calc.formula, where=ind.codigo, variables=set(calc.medidas))
        value = evaluate(node, {s: table[s].astype("float64") for s in calc.medidas}, _series_algebra())
        frame = table.reset_index()
        frame["valor"] = pd.Series(value).to_numpy(dtype="float64") if isinstance(value, pd.Series) else value
        frame["numerador"] = table[calc.numerador].to_numpy() if calc.numerador else frame["valor"]
        frame["denominador"] = table[calc.denominador].to_numpy() if calc.denominador else np.nan
        frame["medidas"] = [dict(zip(calc.medidas, vals, strict=True)) for vals in
                            table[list(calc.medidas)].itertuples(index=False, name=None)]
        rows.append(frame)
    if not rows:
        return pd.DataFrame(columns=[*KEYS, "numerador", "denominador", "valor", "medidas"])
    out = pd.concat(rows, ignore_index=True)
    for col in ("numerador", "denominador", "valor"):
        out[col] = out[col].astype("float64").replace([np.inf, -np.inf], np.nan).round(DECIMALS)
    out["medidas"] = [{k: (None if pd.isna(v) else round(float(v), DECIMALS)) for k, v in m.items()}
                      for m in out["medidas"]]
    order = ["anio", "desagregacion", *DIMENSIONS]
    return out.sort_values(order, na_position="first", kind="mergesort").reset_index(drop=True)[
        [*KEYS, "numerador", "denominador", "valor", "medidas"]]


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
