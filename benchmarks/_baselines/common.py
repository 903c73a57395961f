"""What the engine and both baselines share: the years, the breakdowns, the long result format and the check.

Every method returns, per indicator, one frame with ``anio, desagregacion``, the five breakdown columns (``None``
where the breakdown does not use them), one column per measure of the formula and ``valor``. :func:`to_long`
turns that into one row per cell and field, which is what :func:`compare` matches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

FIRST_YEAR = 2023  # the baseline year: cumulative counts start here (decision 0006, OBS-08)
LAST_YEAR = 2026  # the current year: the service never computes a later one
YEARS = range(FIRST_YEAR, LAST_YEAR + 1)
DIMENSIONS = ("departamento", "tamano", "seccion_ciiu", "exportador", "sexo_titular")
# breakdown name -> the dimensions it groups by (the engine's GROUPINGS, in the same order)
GROUPINGS: dict[str, tuple[str, ...]] = {
    "total": (),
    "departamento": ("departamento",),
    "tamano": ("tamano",),
    "seccion_ciiu": ("seccion_ciiu",),
    "exportador": ("exportador",),
    "sexo_titular": ("sexo_titular",),
    "departamento_tamano": ("departamento", "tamano"),
}
UNKNOWN = "no_informado"
KEYS = ["codigo", "anio", "desagregacion", *DIMENSIONS]
NULL_KEY = "∅"  # stands for "not in this breakdown" in the long format, so merges can match on it
REL_TOL = 1e-9
ABS_TOL = 1e-10  # the engine rounds every value to 10 decimals


def to_long(codigo: str, frame: pd.DataFrame, fields: list[str]) -> pd.DataFrame:
    """One row per (cell, field) with a float ``value``; ``fields`` are the measure columns and ``valor``."""
    cells = frame[["anio", "desagregacion", *DIMENSIONS, *fields]].copy()
    cells["anio"] = cells["anio"].astype("int64")
    for d in DIMENSIONS:
        cells[d] = cells[d].astype("object").where(cells[d].notna(), NULL_KEY)
    long = cells.melt(id_vars=["anio", "desagregacion", *DIMENSIONS], value_vars=fields, var_name="campo",
                      value_name="value")
    long.insert(0, "codigo", codigo)
    long["value"] = pd.to_numeric(long["value"], errors="coerce").astype("float64")
    return long


def engine_long(results: list) -> pd.DataFrame:  # type: ignore[type-arg]
    """The engine's ``IndicatorResult`` list in the long format (``medidas`` spread into one field each)."""
    parts = []
    for r in results:
        values = r.values.copy()
        symbols = list(r.indicator.calculo.medidas)
        for s in symbols:
            values[s] = [np.nan if m.get(s) is None else m[s] for m in values["medidas"]]
        parts.append(to_long(r.indicator.codigo, values, [*symbols, "valor"]))
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class Mismatch:
    codigo: str
    cell: str
    campo: str
    reference: float | None  # None: the cell is missing on that side
    other: float | None

    def __str__(self) -> str:
        def show(v: float | None) -> str:
            return "missing" if v is None else repr(v)

        return f"{self.codigo} {self.cell} {self.campo}: engine={show(self.reference)} other={show(self.other)}"


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def compare(reference: pd.DataFrame, other: pd.DataFrame) -> tuple[int, list[Mismatch]]:
    """Match two long results cell by cell; return the number of values compared and every mismatch."""
    on = [*KEYS, "campo"]
    for name, frame in (("reference", reference), ("other", other)):
        dup = frame.duplicated(on)
        if dup.any():
            raise ValueError(f"{name} result repeats {int(dup.sum())} cells, e.g. {frame[dup].iloc[0].to_dict()}")
    both = reference.merge(other, on=on, how="outer", suffixes=("_ref", "_oth"), indicator="side")
    out: list[Mismatch] = []
    for row in both.itertuples(index=False):
        ref = None if row.side == "right_only" else float(row.value_ref)
        oth = None if row.side == "left_only" else float(row.value_oth)
        if ref is not None and oth is not None and _same(ref, oth):
            continue
        dims = "/".join(str(getattr(row, d)) for d in DIMENSIONS if getattr(row, d) != NULL_KEY)
        cell = f"{row.anio} {row.desagregacion}{'=' + dims if dims else ''}"
        out.append(Mismatch(row.codigo, cell, row.campo, ref, oth))
    return len(both), out
