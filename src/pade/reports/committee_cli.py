"""``pade report``: the committee report, the fichas técnicas, the diff of an issued report, commentary.

A thin shell over :mod:`pade.reports`; the lead mounts :data:`report_app` in ``pade.cli``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pade.core.db import make_engine, session_factory, transaction
from pade.core.errors import PadeError
from pade.core.i18n import t
from pade.core.settings import Settings
from pade.reports.charts import format_number
from pade.reports.commentary import set_commentary
from pade.reports.committee import issue_committee_report
from pade.reports.fichas import render_fichas
from pade.reports.issued import ReportDiff, diff_against_now, issued_files

console = Console()
report_app = typer.Typer(help=t("Reports: the committee report, the indicator sheets, diffs and commentary."),
                         no_args_is_help=True, add_completion=False)
CLI_ACTOR = "cli"


class DiffRefused(PadeError, ValueError):
    http_status = 422


@report_app.command("comite", help=t("Issue the progress report to the High-Level Committee (PDF + XLSX), frozen."))
def comite_cmd(
    anio: Annotated[int, typer.Option("--anio", help=t("Period (year) the report covers, e.g. 2026."))],
    out: Annotated[Path, typer.Option("--out", help=t("Folder to write the PDF and XLSX to."))] = Path("."),
) -> None:
    """Issue the committee report."""
    settings = Settings()
    engine = make_engine(settings)
    issued = issue_committee_report(engine, settings, period=anio, actor=CLI_ACTOR)
    with session_factory(engine)() as session:
        pdf, xlsx = issued_files(session, issued.id)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"reporte-comite-{anio}-{issued.content_hash[:12]}"
    (out / f"{stem}.pdf").write_bytes(pdf)
    (out / f"{stem}.xlsx").write_bytes(xlsx)
    if issued.created:
        console.print(t("Report {id} issued for {year} (run {run}, content {hash}).", id=issued.id, year=anio,
                        run=issued.run_id, hash=issued.content_hash[:12]))
    else:
        console.print(t("Nothing changed since report {id} for {year}; its files stand.", id=issued.id, year=anio))
    console.print(t("Written: {path}", path=out / f"{stem}.pdf"))
    console.print(t("Written: {path}", path=out / f"{stem}.xlsx"))


@report_app.command("fichas", help=t("Write every indicator's sheet (ficha técnica) as PDF and XLSX."))
def fichas_cmd(
    out: Annotated[Path, typer.Option("--out", help=t("Folder to write the PDF and XLSX to."))] = Path("."),
) -> None:
    """Write the fichas técnicas."""
    engine = make_engine(Settings())
    with session_factory(engine)() as session:
        pdf, xlsx = render_fichas(session, out)
    console.print(t("Written: {path}", path=pdf))
    console.print(t("Written: {path}", path=xlsx))


@report_app.command("diff", help=t("List every figure of an issued report that would change with today's data, "
                                   "and why."))
def diff_cmd(
    issued_id: Annotated[int, typer.Argument(help=t("Id of the issued report."))],
    against: Annotated[str, typer.Option("--against", help=t("What to compare with: now (today's data)."))] = "now",
) -> None:
    """Compare an issued report with today's data."""
    if against != "now":
        raise DiffRefused(t("--against accepts only «now» (today's data), not {value}", value=against))
    settings = Settings()
    diff = diff_against_now(make_engine(settings), settings, issued_id, actor=CLI_ACTOR)
    print_diff(diff)


def print_diff(diff: ReportDiff) -> None:
    console.print(t("Report {id} ({year}): run {old} → run {new}; snapshot {before} → {after}", id=diff.issued.id,
                    year=diff.issued.period, old=diff.issued.run_id, new=diff.run_id,
                    before=diff.snapshot_before[:12], after=diff.snapshot_after[:12]))
    if diff.programme_changed:
        console.print(t("The programme definition changed since the report was issued."))
    if not diff.figures and not diff.tables:
        console.print(t("Nothing would change: the report matches today's data."))
        return
    figures = Table(t("Indicator"), t("Year"), t("Breakdown"), t("Issued"), t("Now"),
                    title=t("Figures that would change ({n})", n=len(diff.figures)))
    for f in diff.figures:
        figures.add_row(f.codigo, str(f.anio), f.breakdown, _fmt(f.old), _fmt(f.new))
    console.print(figures)
    tables = Table(t("Table"), t("Rows issued"), t("Rows now"), t("Difference"), t("Indicators that read it"),
                   title=t("Data that changed"))
    for tc in diff.tables:
        tables.add_row(tc.table, _count(tc.rows_before), _count(tc.rows_after), f"{tc.rows_difference:+,}",
                       ", ".join(tc.indicators) or "—")
    console.print(tables)
    if diff.reported:
        reported = Table(t("Variable"), t("Entity"), t("Period"), t("Issued"), t("Now"), t("Indicators"),
                         title=t("Reported values that changed"))
        for r in diff.reported:
            reported.add_row(r.variable, r.entidad, str(r.periodo), f"{_fmt(r.old_value)} ({r.old_status or '—'})",
                             f"{_fmt(r.new_value)} ({r.new_status or '—'})", ", ".join(r.indicators) or "—")
        console.print(reported)


def _fmt(value: float | None) -> str:
    return "—" if value is None else format_number(value)


def _count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


@report_app.command("comentario", help=t("Record an entity's justification of progress and corrective measures."))
def comentario_cmd(
    codigo: Annotated[str, typer.Argument(help=t("Indicator code, e.g. OE1-01."))],
    anio: Annotated[int, typer.Option("--anio", help=t("Year the statement refers to."))],
    entidad: Annotated[str, typer.Option("--entidad", help=t("Responsible entity (siglas)."))],
    justificacion: Annotated[str, typer.Option("--justificacion", help=t("Justification of progress."))] = "",
    medidas: Annotated[str, typer.Option("--medidas", help=t("Corrective measures."))] = "",
    autor: Annotated[str, typer.Option("--autor", help=t("Who records it (default: cli)."))] = CLI_ACTOR,
) -> None:
    """Record commentary on an indicator."""
    engine = make_engine(Settings())
    with transaction(session_factory(engine)) as session:
        said = set_commentary(session, codigo=codigo, anio=anio, entidad=entidad, justificacion=justificacion,
                              medidas_correctivas=medidas, autor=autor)
    console.print(t("Statement {id} recorded for {code} in {year} ({entity}).", id=said.id, code=said.codigo,
                    year=said.anio, entity=said.entidad))
