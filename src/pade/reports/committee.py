"""The progress report to the Comité de Alto Nivel por un Perú Digital, Innovador y Competitivo.

Chapter 9 of the programme has the SGTD report progress periodically to the Committee under CEPLAN's
rules. :func:`issue_committee_report` computes the current run, builds one content model (the
dataclasses below: figures per objective → strategic action → activity → indicator, the executive
summary, the PNTD service indicators, the observaciones and the lineage), renders it as a PDF
(WeasyPrint, from ``templates/committee.html``) and as an XLSX for analysts (openpyxl), and freezes
the result as an issued report (:mod:`pade.reports.issued`). Both files show the same content; the
SHA-256 of the content model's canonical JSON identifies it, so issuing again with unchanged data
returns the report already issued. One module over the usual size: the content model, its two
renderings and the use case change together.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from pade.core.errors import NotFound, PadeError
from pade.core.i18n import t
from pade.core.settings import Settings
from pade.indicators import progress as prog
from pade.indicators.engine import EngineName
from pade.indicators.service import IndicatorSummary, run_compute, run_values, summarise
from pade.indicators.store import IndicatorRun
from pade.programme.ficha import accumulation_label, direction_label, unit_label
from pade.programme.models import Indicador, Programa, Unidad
from pade.programme.store import current_programme_version
from pade.reports.charts import format_number, trend_chart_svg
from pade.reports.commentary import Commentary, current_commentary
from pade.reports.issued import (
    INPUTS_FORMAT,
    IssuedReport,
    canonical_json,
    find_issued,
    record_issued,
    reported_rows,
    sha256,
    snapshot_manifest,
    snapshot_of,
    value_records,
)

log = logging.getLogger(__name__)

KIND = "comite"
# The PNTD service S2.3.1 indicators and the matrix indicator PADE computes for each (OBS-51, OBS-52).
SERVICE_LINKS: dict[str, str | None] = {"calidad": "OE2-02", "cobertura": None}
LIGHT_ORDER = ("verde", "amarillo", "rojo", "gris")


class ReportRefused(PadeError, ValueError):
    """A report that cannot be issued as asked (e.g. a period outside the programme)."""

    http_status = 422


# -- content model ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Light:
    code: str
    label: str
    color_hex: str
    text_hex: str

    @classmethod
    def of(cls, legend: prog.Legend) -> Light:
        return cls(legend.code, legend.label, legend.color_hex, legend.text_color)


@dataclass(frozen=True, slots=True)
class LegendBand:
    light: Light
    range_text: str


@dataclass(frozen=True, slots=True)
class Lineage:
    run_id: int
    programme_version: str
    programme_hash: str
    snapshot_hash: str
    engine: str
    code_version: str
    computed_at: str


@dataclass(frozen=True, slots=True)
class IndicatorFigure:
    """One indicator in the period: the CEPLAN figures, the progress status and the entity's statement."""

    codigo: str
    ident: str
    nombre: str
    percent: bool
    unit: str
    direction: str
    accumulation: str
    responsables: list[str]
    responsable_impreso: str
    baseline: float | None
    baseline_year: int
    baseline_printed: str
    target: float | None  # the period's target, interpolated and scaled by calculo.meta_escala
    target_kind: str
    value: float | None  # the period's value (None when the period has none)
    latest_year: int | None
    latest_value: float | None
    compliance_pct: float | None
    compliance_method: str
    compliance_note: str | None
    light: Light
    status_code: str
    status_label: str
    status_note: str | None
    next_milestone: tuple[int, float] | None
    year_target_reached: int | None
    series: list[tuple[int, float]]
    justificacion: str | None
    medidas_correctivas: str | None
    commentary_entity: str | None
    commentary_at: str | None


@dataclass(frozen=True, slots=True)
class ActivityBlock:
    ident: str
    numero: str
    actividad: str
    indicators: list[IndicatorFigure]


@dataclass(frozen=True, slots=True)
class ActionBlock:
    ident: str
    numero: str
    nombre: str
    activities: list[ActivityBlock]


@dataclass(frozen=True, slots=True)
class ObjectiveBlock:
    ident: str
    nombre: str
    enunciado: str
    actions: list[ActionBlock]

    def figures(self) -> list[IndicatorFigure]:
        return [f for ae in self.actions for act in ae.activities for f in act.indicators]


@dataclass(frozen=True, slots=True)
class LightCount:
    group: str
    label: str
    counts: dict[str, int]  # light code -> indicators
    total: int


@dataclass(frozen=True, slots=True)
class ServiceIndicator:
    tipo: str
    nombre: str
    vinculo: str
    linked_codigo: str | None
    value: float | None
    value_year: int | None
    percent: bool
    situation: str
    note: str


@dataclass(frozen=True, slots=True)
class ObservationRow:
    ident: str
    element: str
    category: str
    description: str
    interpretation: str | None
    decision: str | None


@dataclass(frozen=True, slots=True)
class CommitteeReport:
    period: int
    programme_title: str
    programme_resolution: str
    programme_version: str
    responsible: str
    organ: str
    framework: str
    periodicity: str
    lineage: Lineage
    legend: list[LegendBand]
    totals: LightCount
    by_objective: list[LightCount]
    by_entity: list[LightCount]
    objectives: list[ObjectiveBlock]
    service_indicators: list[ServiceIndicator]
    observations: list[ObservationRow]

    def figures(self) -> list[IndicatorFigure]:
        return [f for oe in self.objectives for f in oe.figures()]

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


# -- building the content --------------------------------------------------------------------------------

def period_summaries(p: Programa, values: pd.DataFrame, period: int) -> dict[str, IndicatorSummary]:
    """Each indicator summarised as of ``period``: values after it are left out, as they were then unknown."""
    upto = values[values["anio"] <= period]
    return {ind.codigo: summarise(p, ind, upto) for ind in p.indicadores()}


def _target_kind(kind: prog.TargetKind) -> str:
    return {prog.TargetKind.hito: t("printed milestone"), prog.TargetKind.interpolada: t("interpolated"),
            prog.TargetKind.linea_base: t("baseline"), prog.TargetKind.sin_meta: t("no target")}[kind]


def _figure(ind: Indicador, sm: IndicatorSummary, period: int, said: Commentary | None) -> IndicatorFigure:
    current = sm.latest_year == period
    comp = sm.compliance if current else prog.Compliance(None, prog.ComplianceMethod.avance)
    light = sm.light if current else prog.traffic_light(None)
    point = sm.targets.get(period)
    kind = point.kind if point is not None else prog.TargetKind.sin_meta
    entities = list(dict.fromkeys(r.entidad for r in ind.responsables))
    return IndicatorFigure(
        codigo=ind.codigo, ident=ind.id, nombre=ind.nombre, percent=ind.unidad is Unidad.porcentaje,
        unit=unit_label(ind.unidad), direction=direction_label(ind.sentido_esperado),
        accumulation=accumulation_label(ind.acumulacion), responsables=entities,
        responsable_impreso=ind.responsable_impreso, baseline=sm.baseline, baseline_year=sm.baseline_year,
        baseline_printed=ind.linea_base.impreso, target=point.value if point is not None else None,
        target_kind=_target_kind(kind), value=sm.latest_value if current else None, latest_year=sm.latest_year,
        latest_value=sm.latest_value, compliance_pct=comp.value_pct, compliance_method=comp.method_used.value,
        compliance_note=comp.note, light=Light.of(light), status_code=sm.status.status.value,
        status_label=prog.status_label(sm.status.status), status_note=sm.status.note,
        next_milestone=sm.next_milestone, year_target_reached=sm.projection.year_target_reached,
        series=sorted(sm.series.items()),
        justificacion=(said.justificacion or None) if said else None,
        medidas_correctivas=(said.medidas_correctivas or None) if said else None,
        commentary_entity=said.entidad if said else None, commentary_at=said.created_at if said else None)


def _count(group: str, label: str, figures: Iterable[IndicatorFigure]) -> LightCount:
    codes = [f.light.code for f in figures]
    return LightCount(group, label, {code: codes.count(code) for code in LIGHT_ORDER}, len(codes))


def _legend() -> list[LegendBand]:
    legend = prog.default_legend()
    bands = []
    for band in reversed(legend.bands):
        start, end = band.start, band.end
        if start is None or start == float("-inf"):
            text = t("below {end} %", end=format_number(end or 0.0))
        elif end is None or end == float("inf"):
            text = t("{start} % or more", start=format_number(start))
        else:
            text = t("from {start} % to below {end} %", start=format_number(start), end=format_number(end))
        bands.append(LegendBand(Light.of(band), text))
    bands.append(LegendBand(Light.of(legend.no_data), t("no value for the period, or no target")))
    return bands


def _service_indicators(p: Programa, figures: dict[str, IndicatorFigure], period: int) -> list[ServiceIndicator]:
    out = []
    for si in p.seguimiento.indicadores_servicio:
        obs = ", ".join(o.id for o in p.seguimiento.observaciones if si.nombre in o.descripcion) or "—"
        code = SERVICE_LINKS.get(si.tipo)
        fig = figures.get(code) if code else None
        if fig is None:
            out.append(ServiceIndicator(si.tipo, si.nombre, si.vinculo, None, None, None, False,
                                        t("no data source"), t(
                "No activity or indicator of the programme's matrices measures MYPE sales through digital channels, "
                "so PADE has no data source for this indicator and does not estimate it; the SGTD reports it from "
                "the PNTD service sheet ({obs}).", obs=obs)))
            continue
        note = t("PADE computes the linked matrix indicator {code} ({name}) over every MIPYME assisted; it does not "
                 "compute a version restricted to MYPE, because the denominator (the MIPYME total according to "
                 "PRODUCE) is reported without a size breakdown ({obs}).", code=fig.codigo, name=fig.nombre, obs=obs)
        out.append(ServiceIndicator(si.tipo, si.nombre, si.vinculo, fig.codigo, fig.value,
                                    period if fig.value is not None else None, fig.percent,
                                    t("computed through the linked matrix indicator {code}", code=fig.codigo), note))
    return out


def build_report(p: Programa, run: IndicatorRun, summaries: dict[str, IndicatorSummary],
                 commentary: dict[str, Commentary], *, period: int) -> CommitteeReport:
    """The content model of the committee report for ``period`` (pure: no database, no rendering)."""
    figures: dict[str, IndicatorFigure] = {}
    objectives = []
    for oe in p.objetivos:
        actions = []
        for ae in oe.acciones:
            activities = []
            for act in ae.actividades:
                shown = []
                for ind in act.indicadores:
                    figures[ind.codigo] = _figure(ind, summaries[ind.codigo], period, commentary.get(ind.codigo))
                    shown.append(figures[ind.codigo])
                activities.append(ActivityBlock(act.id, act.numero_impreso or str(act.numero), act.actividad, shown))
            actions.append(ActionBlock(ae.id, ae.numero, ae.nombre, activities))
        if actions:
            objectives.append(ObjectiveBlock(oe.id, oe.nombre, oe.enunciado, actions))
    entities = list(dict.fromkeys(e for f in figures.values() for e in f.responsables))
    started = run.started_at if run.started_at.tzinfo else run.started_at.replace(tzinfo=UTC)
    lineage = Lineage(run.id, run.programme_version, run.programme_hash, run.snapshot_hash, run.engine,
                      run.code_version, started.isoformat(timespec="seconds"))
    seg = p.seguimiento
    return CommitteeReport(
        period=period, programme_title=p.metadatos.titulo, programme_resolution=p.metadatos.resolucion,
        programme_version=p.metadatos.version, responsible=seg.responsable, organ=seg.organo_reporte,
        framework=seg.marco, periodicity=seg.periodicidad_reporte, lineage=lineage, legend=_legend(),
        totals=_count("total", t("All indicators"), figures.values()),
        by_objective=[_count(oe.ident, oe.ident, oe.figures()) for oe in objectives],
        by_entity=[_count(e, e, [f for f in figures.values() if e in f.responsables]) for e in entities],
        objectives=objectives, service_indicators=_service_indicators(p, figures, period),
        observations=[ObservationRow(o.id, element, o.categoria.value, o.descripcion, o.interpretacion, o.decision)
                      for element, o in p.observaciones_todas()])


# -- PDF ------------------------------------------------------------------------------------------------

def _num(value: float | None, percent: bool = False) -> str:
    return "—" if value is None else format_number(value, percent=percent)


def template_environment() -> Environment:
    """Jinja2 for the report templates: ``_`` is :func:`t`, ``num`` formats a figure."""
    env = Environment(loader=PackageLoader("pade.reports", "templates"), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["_"] = t
    env.filters["num"] = _num
    return env


def html_to_pdf(html: str) -> bytes:
    """Render an HTML document to PDF with WeasyPrint (imported here: it loads Pango on import)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def render_pdf(report: CommitteeReport, charts: dict[str, str], *, content_hash: str) -> bytes:
    """The committee report as an A4 PDF; ``charts`` holds each indicator's trend chart SVG by code."""
    html = template_environment().get_template("committee.html").render(
        r=report, charts={code: Markup(svg) for code, svg in charts.items()}, content_hash=content_hash)
    return html_to_pdf(html)


# -- XLSX -----------------------------------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
PERCENT = "0.00%"
COMPLIANCE = "0.0%"
NUMBER = "#,##0.00"  # whole numbers get INTEGER instead, so 950 does not read 950.00
INTEGER = "#,##0"


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    width: float | None = None  # None: fit the content (capped)
    number_format: str | None = None
    wrap: bool = False


def write_sheet(ws: Worksheet, columns: Sequence[Column], rows: Iterable[Sequence[Any]],
                formats: Iterable[dict[int, str]] | None = None) -> None:
    """A table with a styled, frozen header row, an autofilter and sensible widths.

    ``formats`` gives, per row, number formats that override the column's (by column index).
    """
    ws.append([c.title for c in columns])
    for cell in ws[1]:
        cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    widths = [len(c.title) for c in columns]
    overrides = iter(formats) if formats is not None else None
    for r, row in enumerate(rows, start=2):
        ws.append(list(row))
        extra = next(overrides) if overrides is not None else {}
        for i, col in enumerate(columns):
            cell = ws.cell(row=r, column=i + 1)
            fmt = extra.get(i, col.number_format)
            if fmt and isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                cell.number_format = INTEGER if fmt == NUMBER and float(cell.value).is_integer() else fmt
            if col.wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            widths[i] = max(widths[i], min(len(str(cell.value)) if cell.value is not None else 0, 60))
    for i, col in enumerate(columns):
        ws.column_dimensions[get_column_letter(i + 1)].width = col.width or min(max(widths[i] + 2, 8), 62)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(ws.max_row, 2)}"


def _as_number(value: float | None, percent: bool) -> float | None:
    """Percent-unit figures go to the sheet as fractions (54.1 % → 0.541) with a percent format."""
    if value is None:
        return None
    return value / 100 if percent else value


def _fill(ws: Worksheet, row: int, column: int, light: Light) -> None:
    cell = ws.cell(row=row, column=column)
    cell.fill = PatternFill("solid", fgColor=light.color_hex.lstrip("#"))
    cell.font = Font(bold=True, color="000000" if light.code == "amarillo" else "FFFFFF")


def _summary_sheet(ws: Worksheet, report: CommitteeReport) -> None:
    labels = {band.light.code: band.light.label for band in report.legend}
    columns = [Column(t("Grouping")), Column(t("Group")), *[Column(labels[c], 14) for c in LIGHT_ORDER],
               Column(t("Total"), 10)]
    groups = [(t("Total"), report.totals), *[(t("Strategic objective"), c) for c in report.by_objective],
              *[(t("Responsible entity"), c) for c in report.by_entity]]
    write_sheet(ws, columns, [[g, c.label, *[c.counts[code] for code in LIGHT_ORDER], c.total] for g, c in groups])


def _objective_sheet(ws: Worksheet, report: CommitteeReport, oe: ObjectiveBlock) -> None:
    p = report.period
    columns = [
        Column(t("Code"), 11), Column(t("Indicator"), 48, wrap=True), Column(t("Strategic action"), 10),
        Column(t("Activity"), 40, wrap=True), Column(t("Responsible entity"), 18), Column(t("Unit"), 11),
        Column(t("Expected direction")), Column(t("Baseline")), Column(t("Baseline year")),
        Column(t("Target {year}", year=p)), Column(t("Target type")), Column(t("Value {year}", year=p)),
        Column(t("Compliance"), 13, COMPLIANCE), Column(t("Compliance method")), Column(t("Traffic light"), 24),
        Column(t("Progress status (Open SDG)"), 24), Column(t("Next milestone (year)")),
        Column(t("Next milestone (target)")), Column(t("Year the projection reaches the final target")),
        Column(t("Justification of progress"), 50, wrap=True), Column(t("Corrective measures"), 50, wrap=True),
        Column(t("Run")), Column(t("Snapshot"), 18)]
    rows, formats = [], []
    for ae in oe.actions:
        for act in ae.activities:
            for f in act.indicators:
                num = PERCENT if f.percent else NUMBER
                rows.append([
                    f.codigo, f.nombre, ae.numero, f"{act.numero} – {act.actividad}", ", ".join(f.responsables),
                    f.unit, f.direction, _as_number(f.baseline, f.percent), f.baseline_year,
                    _as_number(f.target, f.percent), f.target_kind, _as_number(f.value, f.percent),
                    None if f.compliance_pct is None else f.compliance_pct / 100, f.compliance_method,
                    f.light.label, f.status_label, f.next_milestone[0] if f.next_milestone else None,
                    _as_number(f.next_milestone[1], f.percent) if f.next_milestone else None, f.year_target_reached,
                    f.justificacion or t("No justification recorded"), f.medidas_correctivas or "",
                    report.lineage.run_id, report.lineage.snapshot_hash[:16]])
                formats.append({7: num, 9: num, 11: num, 17: num})
    write_sheet(ws, columns, rows, formats)
    lights = [f for ae in oe.actions for act in ae.activities for f in act.indicators]
    for r, f in enumerate(lights, start=2):
        _fill(ws, r, 15, f.light)


def _data_sheet(ws: Worksheet, report: CommitteeReport, p: Programa, summaries: dict[str, IndicatorSummary],
                values: pd.DataFrame) -> None:
    columns = [Column(t("Code"), 11), Column(t("Indicator"), 40), Column(t("Year"), 8), Column(t("Breakdown"), 14),
               Column(t("Department")), Column(t("Size")), Column(t("CIIU section")), Column(t("Exporter")),
               Column(t("Owner's sex")), Column(t("Unit"), 11), Column(t("Value"), 14),
               Column(t("Numerator"), 14, NUMBER), Column(t("Denominator"), 14, NUMBER), Column(t("Target"), 14),
               Column(t("Compliance"), 13, COMPLIANCE), Column(t("Traffic light"), 22), Column(t("Run"), 10),
               Column(t("Snapshot"), 66)]
    rows, formats = [], []
    for rec in value_records(values[values["anio"] <= report.period]):
        ind = p.indicador(rec["codigo"])
        percent = ind.unidad is Unidad.porcentaje
        sm = summaries[ind.codigo]
        target = comp = light = None
        if rec["desagregacion"] == "total":
            point = sm.targets.get(rec["anio"])
            target = point.value if point is not None else None
            c = prog.compliance(rec["valor"], target=target, baseline=sm.baseline, direction=ind.sentido_esperado)
            comp = None if c.value_pct is None else c.value_pct / 100
            light = prog.traffic_light(c.value_pct).label
        rows.append([rec["codigo"], ind.nombre, rec["anio"], rec["desagregacion"], rec["departamento"],
                     rec["tamano"], rec["seccion_ciiu"], rec["exportador"], rec["sexo_titular"], unit_label(ind.unidad),
                     _as_number(rec["valor"], percent), rec["numerador"], rec["denominador"],
                     _as_number(target, percent), comp, light, report.lineage.run_id, report.lineage.snapshot_hash])
        fmt = PERCENT if percent else NUMBER
        formats.append({10: fmt, 13: fmt})
    write_sheet(ws, columns, rows, formats)


def _observations_sheet(ws: Worksheet, report: CommitteeReport) -> None:
    columns = [Column(t("ID"), 9), Column(t("Element"), 24), Column(t("Category"), 14),
               Column(t("Description"), 70, wrap=True), Column(t("PADE's interpretation"), 60, wrap=True),
               Column(t("Decision"), 30)]
    write_sheet(ws, columns, [[o.ident, o.element, o.category, o.description, o.interpretation or "",
                               o.decision or ""] for o in report.observations])


def _lineage_sheet(ws: Worksheet, report: CommitteeReport, content_hash: str) -> None:
    lin = report.lineage
    rows: list[list[Any]] = [
        [t("Programme"), report.programme_title], [t("Resolution"), report.programme_resolution],
        [t("Programme version"), report.programme_version], [t("Programme hash"), lin.programme_hash],
        [t("Period"), report.period], [t("Run"), lin.run_id], [t("Computed at"), lin.computed_at],
        [t("Engine"), lin.engine], [t("Code version"), lin.code_version], [t("Snapshot"), lin.snapshot_hash],
        [t("Content fingerprint (SHA-256)"), content_hash], [t("Reports to"), report.organ],
        [t("Responsible for monitoring"), report.responsible]]
    write_sheet(ws, [Column(t("Field"), 34), Column(t("Value"), 90, wrap=True)], rows)


def render_xlsx(report: CommitteeReport, p: Programa, summaries: dict[str, IndicatorSummary], values: pd.DataFrame,
                *, content_hash: str) -> bytes:
    """The committee report as a workbook: Resumen, one sheet per objective, Datos, Observaciones, Linaje."""
    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = t("Summary")
    _summary_sheet(first, report)
    for oe in report.objectives:
        _objective_sheet(wb.create_sheet(oe.ident), report, oe)
    _data_sheet(wb.create_sheet(t("Data")), report, p, summaries, values)
    _observations_sheet(wb.create_sheet(t("Observations")), report)
    _lineage_sheet(wb.create_sheet(t("Lineage")), report, content_hash)
    wb.properties.title = t("Progress report {year}", year=report.period)
    wb.properties.creator = "PADE"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# -- the use case ---------------------------------------------------------------------------------------

def _check_period(p: Programa, period: int, today: date) -> None:
    first, last = p.horizonte.anio_linea_base, p.horizonte.anio_fin
    if not first <= period <= min(last, today.year):
        raise ReportRefused(t("Cannot report on {year}: the period must be between {first} and {last} and not "
                              "after the current year", year=period, first=first, last=min(last, today.year)))


def issue_committee_report(engine: Engine, settings: Settings, *, period: int, actor: str,
                           today: date | None = None, engine_name: EngineName = EngineName.duckdb) -> IssuedReport:
    """Compute the current run, build the committee report for ``period`` and issue it (PDF + XLSX), frozen.

    Issuing again while data, programme, code and commentary are unchanged returns the report already
    issued (``created=False``); nothing is rendered twice.

    Raises:
        NotFound: no programme is loaded.
        ReportRefused: ``period`` is outside the programme or after the current year.

    Example:
        >>> issued = issue_committee_report(engine, settings, period=2026, actor="cli")  # doctest: +SKIP
    """
    day = today or date.today()
    with Session(engine) as session:
        stored = current_programme_version(session)
        if stored is None:
            raise NotFound(t("No programme is loaded. Run `pade programme load`."))
    _check_period(stored.programme, period, day)
    outcome = run_compute(engine, settings, engine_name=engine_name, actor=actor, today=day)
    with Session(engine) as session:
        run = session.get(IndicatorRun, outcome.run_id)
        assert run is not None
        values = run_values(session, run.id)
        commentary = current_commentary(session, period)
        summaries = period_summaries(stored.programme, values, period)
        report = build_report(stored.programme, run, summaries, commentary, period=period)
        content = report.as_json()
        digest = sha256(canonical_json(content))
        existing = find_issued(session, kind=KIND, period=period, content_hash=digest)
    if existing is not None:
        log.info("report unchanged kind=%s period=%s issued=%s", KIND, period, existing.id)
        return existing
    snap = snapshot_of(settings, outcome.snapshot_hash)
    inputs = {"format": INPUTS_FORMAT, "content": content, "snapshot": snapshot_manifest(snap),
              "values": value_records(values[values["anio"] <= period]), "reported": reported_rows(snap),
              "prepared_at": datetime.now(UTC).isoformat(timespec="seconds")}
    charts = {code: trend_chart_svg(sm, width=600, height=140) for code, sm in summaries.items()}
    pdf = render_pdf(report, charts, content_hash=digest)
    xlsx = render_xlsx(report, stored.programme, summaries, values, content_hash=digest)
    with Session(engine) as session, session.begin():
        return record_issued(session, kind=KIND, period=period, run_id=run.id, snapshot_hash=run.snapshot_hash,
                             programme_hash=run.programme_hash, content_hash=digest, inputs=inputs, pdf=pdf,
                             xlsx=xlsx, actor=actor)
