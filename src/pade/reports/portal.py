"""What the public portal shows: the latest run as published, the indicator list, one indicator's page.

Every number comes from :func:`pade.reports.disclosure.protected_run`, the same protected values as
the open data package (decision 0009): summaries are computed from the *published* national totals
and breakdown cells that are suppressed are shown as "reservado". Decision 0012 argues the choices.

Protecting a run costs a few hundred milliseconds; a run never changes once stored, so
:class:`PublishedCache` keeps the protected run (and the rendered charts) per run and threshold.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC

import pandas as pd
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from pade.core.errors import InvalidDefinition, NotFound
from pade.core.i18n import t
from pade.indicators import progress as prog
from pade.indicators.compile import GROUPINGS, UNKNOWN
from pade.indicators.service import IndicatorSummary, latest_run, summarise
from pade.indicators.store import IndicatorRun
from pade.programme.ficha import ficha_rows
from pade.programme.models import (
    AccionEstrategica,
    Actividad,
    Catalizador,
    Eje,
    Indicador,
    ObjetivoEstrategico,
    Programa,
    Unidad,
)
from pade.programme.store import ProgrammeVersion, current_programme_version
from pade.registry.reference import ciiu_section_names, department_name
from pade.reports.charts import format_number, trend_chart_svg
from pade.reports.disclosure import Estado, ProtectedRun, protected_run
from pade.reports.peru_map import ChoroplethMap, choropleth

CHART_WIDTH_PX = 300  # plotting area: the chart, with its legend below, stays readable on a 360-px phone
CHART_HEIGHT_PX = 200


# -- the published run, cached ----------------------------------------------------------------------


@dataclass
class Published:
    """A run after disclosure control, with the summaries of its published totals."""

    protected: ProtectedRun
    summaries: dict[str, IndicatorSummary]
    charts: dict[str, str] = field(default_factory=dict)  # codigo → SVG, filled on first view
    tables: dict[tuple[str, int], list[Breakdown]] = field(default_factory=dict)  # (codigo, year), on first view

    @property
    def key(self) -> tuple[int, str, int]:
        """The cache key: (run id, run signature, disclosure threshold)."""
        return (self.run.id, self.run.signature, self.protected.k)

    @property
    def programme(self) -> Programa:
        return self.protected.programme

    @property
    def run(self) -> IndicatorRun:
        return self.protected.run


class PublishedCache:
    """Protected runs by (run, signature, k); a handful at most (normally only the latest is asked for).

    Each part is built once; a part already built is read without any lock, so a visitor whose page
    is built never waits for another one being built (decision 0016). Protected runs and tables are
    built under a lock of their own; charts one at a time (vl-convert draws no faster in parallel:
    twenty charts drawn at once all finish last).
    """

    def __init__(self, size: int = 2) -> None:
        self._size = size
        self._items: dict[tuple[int, str, int], Published] = {}
        self._lock = threading.Lock()  # guards the dicts below; never held while building
        self._locks: dict[object, threading.Lock] = {}
        self._chart_lock = threading.Lock()

    def _key_lock(self, key: object) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(key, threading.Lock())

    def get(self, key: tuple[int, str, int], build: Callable[[], Published]) -> Published:
        hit = self._items.get(key)
        if hit is not None:
            return hit
        with self._key_lock(key):
            hit = self._items.get(key)
            if hit is None:
                hit = build()
                with self._lock:
                    self._items[key] = hit
                    while len(self._items) > self._size:
                        old = next(iter(self._items))
                        del self._items[old]
                        self._locks = {k: v for k, v in self._locks.items()
                                       if k != old and not (isinstance(k, tuple) and k[:1] == (old,))}
            return hit

    def chart(self, pub: Published, codigo: str, render: Callable[[], str]) -> str:
        svg = pub.charts.get(codigo)
        if svg is not None:
            return svg
        with self._chart_lock:
            if codigo not in pub.charts:
                pub.charts[codigo] = render()
            return pub.charts[codigo]

    def breakdowns(self, pub: Published, ind: Indicador, year: int) -> list[Breakdown]:
        """The breakdown tables of one indicator and year, built once per published run (decision 0016)."""
        key = (ind.codigo, year)
        tables = pub.tables.get(key)
        if tables is not None:
            return tables
        with self._key_lock((pub.key, "tables", key)):
            if key not in pub.tables:
                pub.tables[key] = breakdowns(pub.protected.values, ind, year)
            return pub.tables[key]


PublishedState = tuple[int | None, str | None, int | None]


def portal_state(conn: Connection) -> PublishedState:
    """What every public page depends on, in one indexed query: the latest run (id, signature) and the
    latest programme version id. A page rendered for one state is good until the state changes."""
    latest_run_id = select(IndicatorRun.id).order_by(IndicatorRun.id.desc()).limit(1).scalar_subquery()
    latest_signature = select(IndicatorRun.signature).order_by(IndicatorRun.id.desc()).limit(1).scalar_subquery()
    latest_version = select(ProgrammeVersion.id).order_by(ProgrammeVersion.id.desc()).limit(1).scalar_subquery()
    run_id, signature, version = conn.execute(select(latest_run_id, latest_signature, latest_version)).one()
    return run_id, signature, version


def published(session: Session, *, k: int, cache: PublishedCache) -> Published | None:
    """The latest run as the public may see it, or None when nothing has been computed yet."""
    run = latest_run(session)
    if run is None:
        return None

    def build() -> Published:
        protected = protected_run(session, run_id=run.id, k=k)
        p = protected.programme
        return Published(protected, {ind.codigo: summarise(p, ind, protected.values) for ind in p.indicadores()})

    return cache.get((run.id, run.signature, k), build)


def no_run() -> NotFound:
    return NotFound(t("No indicator run yet. Run `pade compute`."))


def portal_programme(session: Session, pub: Published | None) -> Programa:
    """The programme the pages describe: the one the published run was computed with, else the current one.

    Raises:
        NotFound: no programme is loaded.
    """
    if pub is not None:
        return pub.programme
    stored = current_programme_version(session)
    if stored is None:
        raise NotFound(t("No programme is loaded. Run `pade programme load`."))
    return stored.programme


# -- programme overview ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LightCount:
    legend: prog.Legend
    count: int


def light_counts(p: Programa, summaries: Mapping[str, IndicatorSummary]) -> dict[str, list[LightCount]]:
    """Per objective, how many indicators are in each traffic-light band (green first, no data last)."""
    legend = prog.default_legend()
    order = [*reversed(legend.bands), legend.no_data]
    out: dict[str, list[LightCount]] = {}
    for oe in p.objetivos:
        codes = [s.light.code for ae in oe.acciones for act in ae.actividades for ind in act.indicadores
                 if (s := summaries.get(ind.codigo)) is not None]
        out[oe.id] = [LightCount(band, codes.count(band.code)) for band in order]
    return out


# -- indicator list ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorRow:
    indicator: Indicador
    objective: ObjetivoEstrategico
    axis: Eje
    catalysts: tuple[Catalizador, ...]
    entities: tuple[str, ...]
    summary: IndicatorSummary | None


@dataclass(frozen=True)
class ListFilters:
    """The filters of the indicator list; None means "all"."""

    objetivo: str | None = None
    eje: str | None = None
    catalizador: str | None = None
    entidad: str | None = None
    semaforo: str | None = None

    def active(self) -> bool:
        return any(v is not None for v in (self.objetivo, self.eje, self.catalizador, self.entidad, self.semaforo))


def indicator_rows(p: Programa, summaries: Mapping[str, IndicatorSummary]) -> list[IndicatorRow]:
    """Every indicator with the objective, axis, catalysts and entities it belongs to."""
    axes = {e.id: e for e in p.ejes}
    catalysts = {c.id: c for c in p.catalizadores}
    rows = []
    for oe in p.objetivos:
        for ae in oe.acciones:
            for act in ae.actividades:
                for ind in act.indicadores:
                    rows.append(IndicatorRow(
                        ind, oe, axes[oe.eje], tuple(catalysts[c] for c in act.catalizadores if c in catalysts),
                        tuple(dict.fromkeys(r.entidad for r in ind.responsables)), summaries.get(ind.codigo)))
    return rows


def filter_options(p: Programa) -> dict[str, list[tuple[str, str]]]:
    """The choices of each filter as (value, label)."""
    legend = prog.default_legend()
    used_entities = sorted({r.entidad for ind in p.indicadores() for r in ind.responsables})
    names = {e.siglas: e.nombre for e in p.entidades}
    return {
        "objetivo": [(oe.id, f"{oe.id} — {oe.nombre}") for oe in p.objetivos],
        "eje": [(e.id, e.nombre) for e in p.ejes],
        "catalizador": [(c.id, c.nombre) for c in p.catalizadores],
        "entidad": [(s, f"{s} — {names[s]}" if s in names else s) for s in used_entities],
        "semaforo": [(b.code, b.label) for b in [*reversed(legend.bands), legend.no_data]],
    }


def parse_filters(p: Programa, raw: Mapping[str, str | None]) -> ListFilters:
    """Check the filter values of a request (blank means "all").

    Raises:
        InvalidDefinition: a value is not one of the choices; the message lists them.
    """
    options = filter_options(p)
    kept: dict[str, str | None] = {}
    for name, choices in options.items():
        value = (raw.get(name) or "").strip() or None
        allowed = [v for v, _ in choices]
        if value is not None and value not in allowed:
            raise InvalidDefinition(t("Filter {name}: {value} is not a valid choice (choices: {choices})",
                                      name=name, value=value, choices=", ".join(allowed)))
        kept[name] = value
    return ListFilters(**kept)


def filter_rows(rows: Sequence[IndicatorRow], f: ListFilters) -> list[IndicatorRow]:
    return [r for r in rows
            if (f.objetivo is None or r.objective.id == f.objetivo)
            and (f.eje is None or r.axis.id == f.eje)
            and (f.catalizador is None or any(c.id == f.catalizador for c in r.catalysts))
            and (f.entidad is None or f.entidad in r.entities)
            and (f.semaforo is None or (r.summary is not None and r.summary.light.code == f.semaforo))]


# -- one indicator -------------------------------------------------------------------------------------


def grouping_titles() -> dict[str, str]:
    return {"departamento": t("By department"), "tamano": t("By company size"),
            "seccion_ciiu": t("By economic activity (CIIU section)"), "exportador": t("By exporter status"),
            "sexo_titular": t("By sex of the owner"), "departamento_tamano": t("By department and company size")}


def dimension_titles() -> dict[str, str]:
    return {"departamento": t("Department"), "tamano": t("Company size"), "seccion_ciiu": t("Economic activity"),
            "exportador": t("Exporter status"), "sexo_titular": t("Sex of the owner")}


def _value_labels() -> dict[str, dict[str, str]]:
    sections = ciiu_section_names()
    return {
        "tamano": {"micro": t("Micro company"), "pequena": t("Small company"), "mediana": t("Medium company"),
                   "grande": t("Large company")},
        "seccion_ciiu": {code: f"{code} — {name}" for code, name in sections.items()},
        "exportador": {"exportadora": t("Exporter"), "con_potencial_exportador": t("With export potential"),
                       "no_exportadora": t("Non-exporter")},
        "sexo_titular": {"femenino": t("Female"), "masculino": t("Male"), "no_informa": t("Not stated")},
    }


def value_label(dimension: str, value: str | None, labels: Mapping[str, Mapping[str, str]]) -> str:
    if value is None:
        return "—"
    if value == UNKNOWN:
        return t("Not reported")
    if dimension == "departamento":
        try:
            return department_name(value)
        except NotFound:
            return value
    return labels.get(dimension, {}).get(value, value)


def estado_label(estado: str) -> str:
    return {Estado.publicado.value: t("published"), Estado.suprimido.value: t("reserved"),
            Estado.sin_dato.value: t("no data")}.get(estado, estado)


@dataclass(frozen=True)
class Cell:
    """One published cell: labels of its dimensions, the value as text, and its status."""

    labels: tuple[str, ...]
    codes: tuple[str | None, ...]
    value: float | None
    value_text: str
    numerator_text: str
    denominator_text: str
    estado: str
    estado_label: str


@dataclass(frozen=True)
class Breakdown:
    grouping: str
    title: str
    headers: tuple[str, ...]
    cells: list[Cell]


def _text(value: float | None, *, percent: bool = False) -> str:
    if value is None or pd.isna(value):
        return ""
    return format_number(float(value), percent=percent)


def breakdowns(values: pd.DataFrame, ind: Indicador, year: int) -> list[Breakdown]:
    """The published breakdown tables of one indicator and year, one per grouping that has cells."""
    rows = values[(values["codigo"] == ind.codigo) & (values["anio"] == year)]
    labels = _value_labels()
    titles, dims = grouping_titles(), dimension_titles()
    percent = ind.unidad is Unidad.porcentaje
    out = []
    for grouping, dimensions in GROUPINGS.items():
        if not dimensions:
            continue
        part = rows[rows["desagregacion"] == grouping].sort_values(list(dimensions))
        if part.empty:
            continue
        cells = []
        for rec in part.to_dict("records"):
            codes = tuple(rec[d] for d in dimensions)
            estado = str(rec["estado"])
            value = None if pd.isna(rec["valor"]) else float(rec["valor"])
            cells.append(Cell(tuple(value_label(d, c, labels) for d, c in zip(dimensions, codes, strict=True)), codes,
                              value, _text(value, percent=percent), _text(rec["numerador"]),
                              _text(rec["denominador"]), estado, estado_label(estado)))
        out.append(Breakdown(grouping, titles[grouping], tuple(dims[d] for d in dimensions), cells))
    return out


@dataclass(frozen=True)
class TrajectoryRow:
    year: int
    observed: str
    target: str
    target_kind: str
    projection: str


def trajectory(summary: IndicatorSummary, *, horizon_end: int = 2030) -> list[TrajectoryRow]:
    """The chart's numbers as a table (its text alternative)."""
    percent = summary.indicator.unidad is Unidad.porcentaje
    kinds = {prog.TargetKind.linea_base: t("baseline"), prog.TargetKind.hito: t("milestone"),
             prog.TargetKind.interpolada: t("interpolated"), prog.TargetKind.sin_meta: ""}
    start = min([summary.baseline_year, *summary.series])
    out = []
    for year in range(start, horizon_end + 1):
        observed = summary.series.get(year)
        if observed is None and year == summary.baseline_year and summary.baseline is not None:
            observed_text = _text(summary.baseline, percent=percent) + " " + t("(baseline)")
        else:
            observed_text = _text(observed, percent=percent)
        target = summary.targets.get(year)
        out.append(TrajectoryRow(
            year, observed_text, _text(target.value, percent=percent) if target else "",
            kinds[target.kind] if target else "", _text(summary.projection.values.get(year), percent=percent)))
    return out


@dataclass(frozen=True)
class IndicatorPage:
    indicator: Indicador
    objective: ObjetivoEstrategico
    action: AccionEstrategica
    activity: Actividad
    summary: IndicatorSummary
    year: int | None
    years: list[int]
    breakdowns: list[Breakdown]
    map: ChoroplethMap | None
    chart_svg: str
    trajectory: list[TrajectoryRow]
    ficha: list[tuple[str, str]]
    lineage: list[tuple[str, str]]


def find_indicator(p: Programa, codigo: str) -> Indicador:
    """The indicator with code ``codigo``.

    Raises:
        NotFound: no such code; the message lists the codes.
    """
    for ind in p.indicadores():
        if ind.codigo == codigo:
            return ind
    raise NotFound(t("Indicator {code} does not exist. Indicators: {codes}", code=codigo,
                     codes=", ".join(i.codigo for i in p.indicadores())))


def parse_year(raw: str | None, years: Sequence[int]) -> int | None:
    """The year asked for (blank: None).

    Raises:
        InvalidDefinition: not one of ``years``.
    """
    if raw is None or not raw.strip():
        return None
    if not raw.strip().isdigit() or int(raw) not in years:
        raise InvalidDefinition(t("Year {year} has no values for this indicator (years: {years})",
                                  year=raw, years=", ".join(str(y) for y in years)))
    return int(raw)


def lineage(pub: Published) -> list[tuple[str, str]]:
    run = pub.run
    started = run.started_at if run.started_at.tzinfo else run.started_at.replace(tzinfo=UTC)
    return [
        (t("Indicator run"), str(run.id)),
        (t("Engine"), run.engine),
        (t("Programme version"), run.programme_version),
        (t("Programme content hash"), run.programme_hash),
        (t("Data snapshot hash"), run.snapshot_hash),
        (t("Code version"), run.code_version),
        (t("Computed at"), started.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        (t("Disclosure threshold (k)"), str(pub.protected.k)),
    ]


def indicator_page(pub: Published, codigo: str, *, year: str | None, cache: PublishedCache) -> IndicatorPage:
    """Everything the page of one indicator shows, from the published values.

    Raises:
        NotFound: no indicator ``codigo``.
        InvalidDefinition: ``year`` is not a year of the run with values for the indicator.
    """
    p = pub.programme
    ind = find_indicator(p, codigo)
    values = pub.protected.values
    mine = values[values["codigo"] == ind.codigo]
    years = sorted({int(y) for y in mine["anio"]})
    summary = pub.summaries[ind.codigo]
    chosen = parse_year(year, years) or summary.latest_year or (years[-1] if years else None)
    act = p.actividad_de(ind.id)
    action = next(ae for ae in p.acciones() if any(a.id == act.id for a in ae.actividades))
    objective = next(oe for oe in p.objetivos if any(ae.id == action.id for ae in oe.acciones))
    tables = cache.breakdowns(pub, ind, chosen) if chosen is not None else []
    by_department = next((b for b in tables if b.grouping == "departamento"), None)
    svg = cache.chart(pub, ind.codigo, lambda: trend_chart_svg(summary, width=CHART_WIDTH_PX,
                                                               height=CHART_HEIGHT_PX, legend="bottom"))
    department_map = None
    if by_department is not None:
        cells = {c.codes[0]: (c.value, c.estado, c.value_text) for c in by_department.cells if c.codes[0]}
        department_map = choropleth(cells, percent=ind.unidad is Unidad.porcentaje,
                                    title=t("{code} by department, {year}", code=ind.codigo, year=chosen))
    return IndicatorPage(ind, objective, action, act, summary, chosen, years, tables, department_map, svg,
                         trajectory(summary), ficha_rows(p, ind), lineage(pub))
