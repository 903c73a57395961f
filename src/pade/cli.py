"""The ``pade`` command line: a thin shell over the services.

Every command calls the same service functions as the web app. A
:class:`~pade.core.errors.PadeError` becomes exit code 1 with its (Spanish)
message; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from pade.core.db import make_engine, migrate, session_factory, transaction
from pade.core.errors import PadeError
from pade.core.i18n import t
from pade.core.logging import configure_logging
from pade.core.settings import Settings
from pade.programme.checks import Finding, Severity, check_programme, errors
from pade.programme.diff import diff_programmes
from pade.programme.ficha import ficha_markdown
from pade.programme.loader import content_hash, load_programme
from pade.programme.store import store_programme

console = Console()
err_console = Console(stderr=True)

app = typer.Typer(help=t("PADE: information system of the Programa Articulador de Economía Digital."),
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
programme_app = typer.Typer(help=t("The programme definition: check, show, export, fichas, diff."),
                            no_args_is_help=True)
app.add_typer(programme_app, name="programme")

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
