"""The ``pade`` command line: a thin shell over the services.

Every command calls the same service functions as the web app. A
:class:`~pade.core.errors.PadeError` becomes exit code 1 with its (Spanish)
message; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.tree import Tree

from pade.auth.cli import app as users_app
from pade.core.db import make_engine, migrate, session_factory, transaction
from pade.core.errors import PadeError
from pade.core.i18n import t
from pade.core.logging import configure_logging
from pade.core.settings import Settings
from pade.diagnostics.cli import app as diagnostics_app
from pade.indicators.engine import EngineName
from pade.programme.checks import Finding, Severity, check_programme, errors
from pade.programme.diff import diff_programmes
from pade.programme.ficha import ficha_markdown
from pade.programme.loader import content_hash, load_programme
from pade.programme.store import store_programme
from pade.records.importer import ImportReport
from pade.registry.service import sync_entities
from pade.reports.cli import publish_app
from pade.reports.committee_cli import report_app

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(help=t("PADE: information system of the Programa Articulador de Economía Digital."),
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
quarantine_app = typer.Typer(help=t("Rows rejected by imports: list them, export them to fix and re-import."),
                              no_args_is_help=True)
records_app = typer.Typer(help=t("Record kinds and their published Table Schemas."), no_args_is_help=True)
programme_app = typer.Typer(help=t("The programme definition: check, show, export, fichas, diff."),
                            no_args_is_help=True)
app.add_typer(programme_app, name="programme")
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(records_app, name="records")
app.add_typer(publish_app, name="publish")
app.add_typer(report_app, name="report")
app.add_typer(diagnostics_app, name="diagnostics")
app.add_typer(users_app, name="users")

CLI_ACTOR = "cli"

DefinitionOpt = Annotated[Path | None, typer.Option("--file", "-f", help=t("Programme YAML (default: the shipped "
                                                                              "pade-1.0.0.yaml)."))]


@app.callback()
def _root(debug: Annotated[bool, typer.Option("--debug", help=t("Show tracebacks on errors."))] = False) -> None:
    configure_logging(Settings().log_level)


@app.command("init", help=t("Create or migrate the system of record (SQLite in ./.pade by default)."))
def init_cmd() -> None:
    """Create or migrate the store."""
    settings = Settings()
    migrate(make_engine(settings))
    console.print(t("Store ready: {url}", url=_safe_url(settings)))


@programme_app.command("load", help=t("Validate the programme definition and store it as a version (idempotent)."))
def programme_load(file: DefinitionOpt = None) -> None:
    """Validate and store the definition."""
    programme = load_programme(file)
    problems = errors(check_programme(programme))
    if problems:
        _print_findings(problems)
        raise typer.Exit(1)
    settings = Settings()
    engine = make_engine(settings)
    with transaction(session_factory(engine)) as session:
        result = store_programme(session, programme, actor=CLI_ACTOR)
        sync_entities(session, programme)
    if result.created:
        console.print(t("Programme {version} stored (hash {hash})", version=result.version,
                        hash=result.content_hash[:12]))
    else:
        console.print(t("Programme {version} already stored (hash {hash}); nothing to do",
                        version=result.version, hash=result.content_hash[:12]))


@programme_app.command(
    "check", help=t("Check the definition: exit 1 on a structural error; list every observación as a warning.")
)
def programme_check(file: DefinitionOpt = None) -> None:
    """Run the structural checks."""
    programme = load_programme(file)
    findings = check_programme(programme)
    _print_findings(findings)
    n_err = len(errors(findings))
    n_warn = len(findings) - n_err
    summary = t("{errors} error(s), {warnings} observación(es) recorded on the document",
                errors=n_err, warnings=n_warn)
    if n_err:
        err_console.print(f"[red]{summary}[/red]")
        raise typer.Exit(1)
    console.print(f"[green]{t('Definition valid')}[/green] — {summary} — {t('hash')} {content_hash(programme)[:12]}")


@programme_app.command(
    "show", help=t("Print the programme as a tree: objectives, actions, activities, indicators and targets.")
)
def programme_show(
    file: DefinitionOpt = None,
    oe: Annotated[str | None, typer.Option("--oe", help=t("Show only this objective, e.g. OE1."))] = None,
) -> None:
    """Print the programme as a tree: objectives, actions, activities, indicators and targets."""
    p = load_programme(file)
    root = Tree(f"[bold]{p.metadatos.titulo}[/bold] ({p.metadatos.version})")
    objectives = [o for o in p.objetivos if oe is None or o.id == oe]
    if oe is not None and not objectives:
        raise typer.BadParameter(t("unknown objective {value}; known: {known}", value=oe,
                                   known=", ".join(o.id for o in p.objetivos)))
    for o in objectives:
        node = root.add(f"[bold cyan]{o.id}[/bold cyan] {o.nombre} — {o.enunciado}")
        if not o.acciones:
            node.add(f"[dim]{t('No operationalisation matrix in phase 1')}[/dim]")
        for ae in o.acciones:
            ae_node = node.add(f"[bold]{t('Action')} {ae.numero}[/bold] {ae.nombre}")
            for act in ae.actividades:
                act_node = ae_node.add(f"{act.numero_impreso or '(s/n)'} {act.actividad} "
                                       f"[dim]({', '.join(act.catalizadores)})[/dim]")
                for ind in act.indicadores:
                    metas = " · ".join(f"{m.anio}: {m.impreso}" for m in ind.metas)
                    act_node.add(f"[green]{ind.codigo}[/green] {ind.nombre} — LB {ind.linea_base.impreso} — "
                                 f"{metas} — {ind.responsable_impreso}")
    console.print(root)


class ExportFormat(StrEnum):
    json = "json"
    yaml = "yaml"
    schema = "schema"


@programme_app.command("export", help=t("Export the definition as JSON or YAML, or its JSON Schema."))
def programme_export(
    file: DefinitionOpt = None,
    fmt: Annotated[ExportFormat, typer.Option("--format", help=t("json, yaml, or schema (the JSON Schema)."))]
    = ExportFormat.json,
    output: Annotated[Path | None, typer.Option("--output", "-o", help=t("Write to this file instead of the "
                                                                          "terminal."))] = None,
) -> None:
    """Export the definition as JSON or YAML, or its JSON Schema."""
    from pade.programme.schema import programme_json_schema

    p = load_programme(file)
    if fmt is ExportFormat.schema:
        text = json.dumps(programme_json_schema(), ensure_ascii=False, indent=2) + "\n"
    elif fmt is ExportFormat.json:
        text = json.dumps(p.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
    else:
        text = yaml.safe_dump(p.model_dump(mode="json"), allow_unicode=True, sort_keys=False, width=110)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(t("Written: {path}", path=output))


@programme_app.command("ficha", help=t("Print the CEPLAN-style indicator sheet as Markdown."))
def programme_ficha(
    indicator: Annotated[str, typer.Argument(help=t("Indicator id or code, e.g. OE1.AE1.1.A05.I1 or OE1-05."))],
    file: DefinitionOpt = None,
) -> None:
    """Print the CEPLAN-style indicator sheet as Markdown."""
    p = load_programme(file)
    try:
        ind = p.indicador(indicator)
    except KeyError:
        raise typer.BadParameter(t("unknown indicator {value}; known: {known}", value=indicator,
                                   known=", ".join(i.codigo for i in p.indicadores()))) from None
    sys.stdout.write(ficha_markdown(p, ind))


@programme_app.command("diff", help=t("List what a revision changed: actions, activities, indicators and targets."))
def programme_diff(
    a: Annotated[Path, typer.Argument(help=t("The earlier programme YAML."))],
    b: Annotated[Path, typer.Argument(help=t("The later programme YAML."))],
) -> None:
    """List what a revision changed: actions, activities, indicators and targets."""
    changes = diff_programmes(load_programme(a), load_programme(b))
    if not changes:
        console.print(t("No differences"))
        return
    table = Table(t("Change"), t("Element"), t("Id"), t("Field"), t("Before"), t("After"))
    for c in changes:
        table.add_row(c.kind.value, c.element, c.ident, c.field or "", c.before or "", c.after or "")
    console.print(table)
    console.print(t("{n} change(s)", n=len(changes)))


@app.command("import", help=t("Import a CSV or XLSX file of one record kind: valid rows land, invalid rows go to "
                               "quarantine with their reasons."))
def import_cmd(
    kind: Annotated[str, typer.Argument(help=t("Record kind, e.g. inscripcion (see `pade records kinds`)."))],
    file: Annotated[Path, typer.Argument(help=t("CSV or XLSX file."), exists=True, dir_okay=False)],
    entidad: Annotated[str, typer.Option("--entidad", "-e", help=t("Reporting entity (siglas), e.g. PRODUCE."))],
    sheet: Annotated[str | None, typer.Option("--sheet", help=t("XLSX sheet (default: the one that fits)."))]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help=t("Print the report as JSON."))] = False,
) -> None:
    """Import one file."""
    from pade.records.importer import import_file

    engine = make_engine(Settings())
    bar, update = _progress_bar(disable=as_json)
    with bar:
        report = import_file(engine, kind, file, entidad=entidad, actor=CLI_ACTOR, sheet=sheet, progress=update)
    if as_json:
        sys.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str) + "\n")
        return
    _print_import(report)


def _print_import(report: ImportReport) -> None:
    if report.already_imported:
        console.print(t("This file was already imported (batch {batch}); nothing was added.", batch=report.batch_id))
    table = Table(t("Result"), t("Rows"), title=t("Import of {kind} (batch {batch})", kind=report.kind,
                                                  batch=report.batch_id))
    for label, n in ((t("rows read"), report.rows_total), (t("loaded"), report.rows_loaded),
                     (t("revised"), report.rows_revised), (t("unchanged"), report.rows_unchanged),
                     (t("in quarantine"), report.rows_quarantined),
                     (t("quarantine resolved"), report.quarantine_resolved),
                     (t("companies created"), report.companies_created)):
        table.add_row(label, f"{n:,}")
    console.print(table)
    if report.counts:
        codes = Table(t("Code"), t("Rows"), title=t("Problems by code"))
        for code, n in sorted(report.counts.items(), key=lambda kv: -kv[1]):
            codes.add_row(code, f"{n:,}")
        console.print(codes)
    for issue in report.issues[:20]:
        console.print(f"  [{'red' if issue.severity.value == 'error' else 'yellow'}]{issue.code}[/] {issue.message}",
                      highlight=False)
    if len(report.issues) > 20:
        console.print(t("… and {n} more; see `pade quarantine list` or use --json.", n=len(report.issues) - 20))


@quarantine_app.command("list", help=t("List the open quarantine, with the reasons of each row."))
def quarantine_list(
    kind: Annotated[str | None, typer.Option("--kind", help=t("Only this record kind."))] = None,
    entidad: Annotated[str | None, typer.Option("--entidad", help=t("Only rows reported by this entity."))] = None,
    limit: Annotated[int, typer.Option(help=t("Show at most this many rows."))] = 50,
) -> None:
    """List quarantined rows."""
    from pade.records.quarantine import list_quarantine

    with session_factory(make_engine(Settings()))() as session:
        entries = list_quarantine(session, kind=kind, entidad=entidad, limit=limit)
    table = Table(t("Id"), t("Kind"), t("Batch"), t("Row"), t("Reasons"))
    for e in entries:
        table.add_row(str(e.id), e.kind, str(e.batch_id), str(e.row_number), "\n".join(i["message"] for i in e.issues))
    console.print(table)
    console.print(t("{n} row(s) shown", n=len(entries)))


@quarantine_app.command("export", help=t("Write the open quarantine of a kind to a CSV to fix; re-import the fixed "
                                         "file with `pade import` to resolve it."))
def quarantine_export(
    kind: Annotated[str, typer.Argument(help=t("Record kind."))],
    output: Annotated[Path, typer.Argument(help=t("CSV file to write."), dir_okay=False)],
    entidad: Annotated[str | None, typer.Option("--entidad", help=t("Only rows reported by this entity."))] = None,
) -> None:
    """Export quarantined rows."""
    from pade.records.quarantine import export_quarantine

    with session_factory(make_engine(Settings()))() as session:
        n = export_quarantine(session, output, kind=kind, entidad=entidad)
    console.print(t("{n} row(s) written to {path}", n=n, path=output))


@records_app.command("kinds", help=t("List the record kinds and the indicators each one feeds."))
def records_kinds() -> None:
    """List kinds."""
    from pade.records.kinds import KINDS

    programme = load_programme()
    table = Table(t("Kind"), t("Description"), t("Fields"), t("Indicators"))
    for k in KINDS:
        fed = [i.codigo for i in programme.indicadores() if i.calculo and any(
            k.name in (m.registro, m.con_registro_en) for m in i.calculo.medidas.values())]
        table.add_row(k.name, k.description, ", ".join(k.field_names), ", ".join(fed))
    console.print(table)


@records_app.command("schemas", help=t("Write the Table Schema of every record kind to a folder."))
def records_schemas(output: Annotated[Path, typer.Argument(help=t("Folder to write into."), file_okay=False)]) -> None:
    """Write the Table Schemas."""
    from pade.records.schemas import all_schemas

    output.mkdir(parents=True, exist_ok=True)
    for name, schema in all_schemas().items():
        (output / f"{name}.json").write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    console.print(t("Written: {path}", path=output))


def _progress_bar(disable: bool = False) -> tuple[Progress, Callable[[str, int, int], None]]:
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err_console, transient=True, disable=disable)
    tasks: dict[str, TaskID] = {}

    def update(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(t("stage {stage}", stage=stage), total=total)
        bar.update(tasks[stage], completed=done, total=total)

    return bar, update


def _years(text: str) -> range:
    try:
        first, _, last = text.partition("-")
        start, stop = int(first), int(last or first) + 1
    except ValueError:
        raise typer.BadParameter(t("expected a year range like 2023-2030, got {value}", value=text)) from None
    if stop <= start:
        raise typer.BadParameter(t("expected a year range like 2023-2030, got {value}", value=text))
    return range(start, stop)


@app.command("synth", help=t("Generate realistic synthetic data for every record kind and import it (demo)."))
def synth_cmd(
    firms: Annotated[int, typer.Option("--firms", help=t("Number of companies."), min=100)] = 20_000,
    seed: Annotated[int, typer.Option("--seed", help=t("Random seed (same seed, same data)."))] = 1,
    force: Annotated[bool, typer.Option("--force", help=t("Import even if the store already has demo data."))]
    = False,
) -> None:
    """Load demo data."""
    from pade.records.synth import demo_loaded, load_demo

    settings = Settings()
    engine = make_engine(settings)
    if demo_loaded(engine) and not force:
        console.print(t("The store already has demo data; nothing to do (use --force to add more)."))
        return
    bar, update = _progress_bar()
    with bar:
        reports = load_demo(engine, firms=firms, seed=seed, work_dir=settings.data_dir / "demo", progress=update)
    table = Table(t("Kind"), t("loaded"), t("in quarantine"), t("Problems by code"),
                  title=t("Demo data ({firms} companies, seed {seed})", firms=f"{firms:,}", seed=seed))
    for r in reports:
        table.add_row(r.kind, f"{r.rows_loaded + r.rows_revised:,}", f"{r.rows_quarantined:,}",
                      ", ".join(f"{k}: {v}" for k, v in sorted(r.counts.items())))
    console.print(table)


@app.command("snapshot", help=t("Write a Parquet snapshot of the system of record, with its manifest."))
def snapshot_cmd() -> None:
    """Snapshot the store."""
    from pade.indicators.service import snapshot

    settings = Settings()
    bar, update = _progress_bar()
    with bar:
        snap = snapshot(make_engine(settings), settings, progress=update)
    table = Table(t("Table"), t("Rows"), title=t("Snapshot {hash}", hash=snap.content_hash[:12]))
    for name, entry in snap.tables.items():
        table.add_row(name, f"{entry['rows']:,}")
    console.print(table)
    console.print(t("Written: {path}", path=snap.path))


@app.command("compute", help=t("Compute every indicator from a snapshot and store the values as a run."))
def compute_cmd(
    engine: Annotated[EngineName, typer.Option("--engine", help=t("duckdb (default), postgres or spark."))]
    = EngineName.duckdb,
    years: Annotated[str, typer.Option("--years", help=t("Years to compute, e.g. 2023-2030."))] = "2023-2030",
    force: Annotated[bool, typer.Option("--force", help=t("Compute again even if nothing changed."))] = False,
) -> None:
    """Compute indicators."""
    from pade.indicators.service import run_compute, summarise_run

    settings = Settings()
    db = make_engine(settings)
    bar, update = _progress_bar()
    with bar:
        outcome = run_compute(db, settings, engine_name=engine, years=_years(years), force=force, progress=update)
    if outcome.created:
        console.print(t("Run {run}: {rows} values in {seconds} s on {engine} (snapshot {snapshot})",
                        run=outcome.run_id, rows=f"{outcome.rows:,}", seconds=f"{outcome.duration_s:.2f}",
                        engine=outcome.engine, snapshot=outcome.snapshot_hash[:12]))
    else:
        console.print(t("Nothing changed since run {run}; its values stand (use --force to compute again).",
                        run=outcome.run_id))
    with session_factory(db)() as session:
        _, summaries = summarise_run(session, run_id=outcome.run_id)
    table = Table(t("Indicator"), t("Year"), t("Value"), t("Target"), t("Compliance"), t("Traffic light"),
                  title=t("Latest value against the target"))
    for sm in summaries:
        table.add_row(sm.indicator.codigo, str(sm.latest_year or "—"), _fmt(sm.latest_value),
                      _fmt(sm.target_latest), _fmt(sm.compliance.value_pct, "%"), sm.light.label)
    console.print(table)


def _fmt(value: float | None, suffix: str = "") -> str:
    return "—" if value is None else f"{value:,.2f}{suffix}"


@app.command("serve", help=t("Serve the web portal and the JSON API."))
def serve_cmd(
    host: Annotated[str | None, typer.Option(help=t("Address to bind (default PADE_HOST or 127.0.0.1)."))] = None,
    port: Annotated[int | None, typer.Option(help=t("Port (default PADE_PORT or 8000)."))] = None,
) -> None:
    """Serve the web portal and the JSON API."""
    import uvicorn

    from pade.web.app import create_app

    settings = Settings()
    console.print(t("Serving PADE on http://{host}:{port}", host=host or settings.host, port=port or settings.port))
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port, log_level="warning")


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def _print_findings(findings: list[Finding]) -> None:
    for f in findings:
        if f.severity is Severity.error:
            err_console.print(f"[red]{t('ERROR')}[/red] {f.where}: {f.message}")
        else:
            console.print(f"[yellow]{t('OBSERVACIÓN')}[/yellow] {f.where}: {f.message}", highlight=False)


def main() -> None:
    """Entry point: maps PadeError to exit 1 with its message."""
    debug = "--debug" in sys.argv
    try:
        app()
    except PadeError as e:
        if debug:
            raise
        err_console.print(f"[red]{t('Error')}:[/red] {e}", highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        logging.getLogger(__name__).info("interrupted")
        sys.exit(130)
