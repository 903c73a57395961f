"""A choropleth of Peru's 25 departments, drawn as SVG on the server from the shipped outlines.

The outlines (``pade/registry/data/departamentos_mapa.json``) are Natural Earth's admin-1 boundaries,
public domain, with Lima Metropolitana merged into department 15 (see the data README and decision
0012). Values are grouped in up to five equal-width classes of a sequential blue palette; a suppressed
department is hatched and labelled "reservado", a department without data is light grey. The colours
are never the only carrier: every department has a ``<title>``, and the page shows the same numbers
in a table.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from pade.core.i18n import t
from pade.reports.charts import format_number
from pade.reports.disclosure import Estado

PALETTE = ("#DEEBF7", "#9ECAE1", "#6BAED6", "#3182BD", "#08519C")  # ColorBrewer Blues, light to dark
NO_DATA = "#F0F0F0"
RESERVED = "url(#reservado)"  # a hatch pattern defined in the SVG
CALLAO = "07"


@dataclass(frozen=True)
class Outline:
    codigo: str
    nombre: str
    d: str  # SVG path in the map's grid units


@dataclass(frozen=True)
class Outlines:
    width: int
    height: int
    source: str
    licence: str
    departments: tuple[Outline, ...]


@cache
def outlines() -> Outlines:
    """The shipped outlines of the 25 departments (read once)."""
    data = json.loads((resources.files("pade.registry") / "data" / "departamentos_mapa.json").read_text("utf-8"))
    return Outlines(int(data["ancho"]), int(data["alto"]), data["fuente"], data["licencia"],
                    tuple(Outline(d["codigo"], d["nombre"], d["d"]) for d in data["departamentos"]))


@dataclass(frozen=True)
class Shape:
    codigo: str
    nombre: str
    d: str
    fill: str
    title: str  # "Amazonas: 12.5 %", "Amazonas: reservado"


@dataclass(frozen=True)
class LegendItem:
    fill: str
    label: str
    hatched: bool = False


@dataclass(frozen=True)
class ChoroplethMap:
    title: str
    description: str
    width: int
    height: int
    shapes: tuple[Shape, ...]
    legend: tuple[LegendItem, ...]
    callao: tuple[float, float, float, float, str]  # marker: x, y, leader-line end x, y; fill
    source: str


def _classes(values: list[float]) -> list[float]:
    """Upper bounds of up to five equal-width classes over ``values``."""
    lo, hi = min(values), max(values)
    if math.isclose(lo, hi):
        return [hi]
    n = min(len(PALETTE), len(set(values)))
    step = (hi - lo) / n
    return [lo + step * (i + 1) for i in range(n - 1)] + [hi]


def _class_of(value: float, bounds: list[float]) -> int:
    return next((i for i, b in enumerate(bounds) if value <= b + 1e-12), len(bounds) - 1)


def choropleth(cells: Mapping[str, tuple[float | None, str, str]], *, percent: bool, title: str) -> ChoroplethMap:
    """The map of ``cells`` (department code → (value, estado, value as text)).

    Departments absent from ``cells`` have no data; codes that are not departments (``no_informado``) are
    left to the table.
    """
    shapes_data = outlines()
    published = [v for v, estado, _ in cells.values() if v is not None and estado == Estado.publicado.value]
    bounds = _classes(published) if published else []
    offset = 0 if len(bounds) == len(PALETTE) else len(PALETTE) - len(bounds)
    shapes = []
    for o in shapes_data.departments:
        value, estado, text = cells.get(o.codigo, (None, Estado.sin_dato.value, ""))
        if estado == Estado.suprimido.value:
            fill, shown = RESERVED, t("reserved")
        elif value is None:
            fill, shown = NO_DATA, t("no data")
        else:
            fill, shown = PALETTE[offset + _class_of(value, bounds)], text
        shapes.append(Shape(o.codigo, o.nombre, o.d, fill, f"{o.nombre}: {shown}"))
    legend: list[LegendItem] = []
    low = min(published) if published else 0.0
    for i, bound in enumerate(bounds):
        start = low if i == 0 else bounds[i - 1]
        label = (format_number(bound, percent=percent) if math.isclose(start, bound) else
                 t("{low} to {high}", low=format_number(start, percent=percent),
                   high=format_number(bound, percent=percent)))
        legend.append(LegendItem(PALETTE[offset + i], label))
    legend.append(LegendItem(NO_DATA, t("no data")))
    legend.append(LegendItem("#FFFFFF", t("reserved (fewer units than the disclosure threshold)"), hatched=True))
    callao = next(o for o in shapes_data.departments if o.codigo == CALLAO)
    x, y = (float(n) for n in callao.d[1:].split("l")[0].split())
    callao_fill = next(s.fill for s in shapes if s.codigo == CALLAO)
    description = t("Choropleth map of the 25 departments of Peru. Darker blue means a higher value; hatched "
                    "departments are reserved. The table by department gives the same values.")
    return ChoroplethMap(title, description, shapes_data.width, shapes_data.height, tuple(shapes), tuple(legend),
                         (x - 90, y + 10, x, y, callao_fill), shapes_data.source)
