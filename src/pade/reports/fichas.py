"""The CEPLAN indicator sheets (*fichas técnicas*) of every indicator, as PDF and as XLSX.

The rows come from :func:`pade.programme.ficha.ficha_rows` (one content for Markdown, PDF and
spreadsheet). The layout follows CEPLAN's *ficha técnica del indicador* (decision 0010): a title,
one boxed two-column table with the field names in a bold, shaded column, then a values block
with the baseline and the expected achievements by year, to which PADE adds the annual target it
interpolates and the value it computed (when a run exists), with the run's lineage.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from sqlalchemy.orm import Session

from pade.core.errors import NotFound
from pade.core.i18n import t
from pade.indicators.service import latest_run, run_values, summarise
from pade.programme.ficha import ficha_rows
from pade.programme.models import Indicador, Programa, Unidad
from pade.programme.store import current_programme_version
from pade.reports.committee import INTEGER, NUMBER, PERCENT, html_to_pdf, template_environment

log = logging.getLogger(__name__)

LABEL_FILL = PatternFill("solid", fgColor="E8EEF5")
THIN = Side(style="thin", color="8C8C8C")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)


@dataclass(frozen=True, slots=True)
class YearValues:
    """One column of the values block."""

    year: int
    printed: str | None  # the expected achievement as printed in the programme
    target: float | None  # PADE's annual target (interpolated, scaled)
    value: float | None  # PADE's computed value


@dataclass(frozen=True, slots=True)
class Ficha:
    codigo: str
    nombre: str
    percent: bool
    rows: list[tuple[str, str]]
    baseline_year: int
    baseline_printed: str
    years: list[YearValues]
    lineage: str | None  # None when no run exists yet


def build_fichas(p: Programa, session: Session) -> list[Ficha]:
    """The sheet of every indicator, with the latest run's values when there is one."""
    run = latest_run(session)
    values = run_values(session, run.id) if run is not None else None
    lineage = (t("Values of run {run} (programme {version}, snapshot {snapshot}, engine {engine}).", run=run.id,
                 version=run.programme_version, snapshot=run.snapshot_hash[:12], engine=run.engine)
               if run is not None else None)
    horizon = range(p.horizonte.anio_linea_base + 1, p.horizonte.anio_fin + 1)
    return [_ficha(p, ind, values, horizon, lineage) for ind in p.indicadores()]


def _ficha(p: Programa, ind: Indicador, values: pd.DataFrame | None, horizon: range, lineage: str | None) -> Ficha:
    frame = values if values is not None else pd.DataFrame(columns=["codigo", "desagregacion", "anio", "valor"])
    sm = summarise(p, ind, frame)
    printed = {m.anio: m.impreso for m in ind.metas}
    years = [YearValues(y, printed.get(y), (sm.targets[y].value if y in sm.targets else None), sm.series.get(y))
             for y in horizon]
    return Ficha(ind.codigo, ind.nombre, ind.unidad is Unidad.porcentaje, ficha_rows(p, ind), sm.baseline_year,
                 ind.linea_base.impreso, years, lineage)


def _pdf(p: Programa, fichas: list[Ficha]) -> bytes:
    html = template_environment().get_template("fichas.html").render(p=p, fichas=fichas)
    return html_to_pdf(html)


def _xlsx(p: Programa, fichas: list[Ficha]) -> bytes:
    wb = Workbook()
    default = wb.active
    assert default is not None
    wb.remove(default)
    for f in fichas:
        ws = wb.create_sheet(f.codigo)
        ws.append([t("INDICATOR SHEET"), f"{f.codigo} – {p.metadatos.titulo} ({p.metadatos.version})"])
        ws["A1"].font = Font(bold=True, size=12)
        for label, value in f.rows:
            ws.append([label, value])
        for row in ws.iter_rows(min_row=2, max_row=ws.max_row):
            row[0].font, row[0].fill = Font(bold=True), LABEL_FILL
            for cell in row:
                cell.border = BOX
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.append([])
        start = ws.max_row + 1
        ws.append([t("Values"), t("Baseline ({year})", year=f.baseline_year), *[y.year for y in f.years]])
        ws.append([t("Expected achievements (as printed)"), f.baseline_printed, *[y.printed for y in f.years]])
        ws.append([t("Annual target (PADE, interpolated)"), None,
                   *[_cell(y.target, f.percent) for y in f.years]])
        ws.append([t("Value obtained (PADE)"), None, *[_cell(y.value, f.percent) for y in f.years]])
        for row in ws.iter_rows(min_row=start, max_row=ws.max_row):
            row[0].font, row[0].fill = Font(bold=True), LABEL_FILL
            for cell in row:
                cell.border = BOX
                if isinstance(cell.value, float):
                    cell.number_format = PERCENT if f.percent else (
                        INTEGER if cell.value.is_integer() else NUMBER)
        for cell in ws[start]:
            cell.font, cell.fill = Font(bold=True), LABEL_FILL
        if f.lineage:
            ws.append([t("Lineage"), f.lineage])
        ws.column_dimensions["A"].width = 34
        ws.column_dimensions["B"].width = 90
        for letter in "CDEFGHIJ":
            ws.column_dimensions[letter].width = 11
        ws.freeze_panes = "A2"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _cell(value: float | None, percent: bool) -> float | None:
    if value is None:
        return None
    return value / 100 if percent else float(value)


def render_fichas(session: Session, out_dir: Path) -> tuple[Path, Path]:
    """Write every indicator's ficha técnica to ``out_dir`` as one PDF (a sheet per page) and one XLSX
    (a sheet per indicator). Returns the two paths.

    Raises:
        NotFound: no programme is loaded.
    """
    stored = current_programme_version(session)
    if stored is None:
        raise NotFound(t("No programme is loaded. Run `pade programme load`."))
    p = stored.programme
    fichas = build_fichas(p, session)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"fichas-tecnicas-{p.metadatos.version}"
    pdf_path, xlsx_path = out_dir / f"{stem}.pdf", out_dir / f"{stem}.xlsx"
    pdf_path.write_bytes(_pdf(p, fichas))
    xlsx_path.write_bytes(_xlsx(p, fichas))
    log.info("fichas written count=%s dir=%s", len(fichas), out_dir)
    return pdf_path, xlsx_path
