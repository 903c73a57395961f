"""``pade diagnostics``: list, check and score self-diagnosis questionnaires from the command line.

A thin shell over :mod:`pade.diagnostics.loader` and :func:`pade.diagnostics.scoring.score`;
errors are :class:`~pade.core.errors.PadeError` and the root CLI prints them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pade.core.i18n import t
from pade.diagnostics.loader import content_hash, list_questionnaires, load_questionnaire, load_questionnaire_file
from pade.diagnostics.models import Cuestionario
from pade.diagnostics.scoring import CompanyContext, ScoreResult, score

console = Console()

app = typer.Typer(help=t("Self-diagnosis questionnaires: list, check and score answers."), no_args_is_help=True)

MAX_GAPS_SHOWN = 10


@app.command("list", help=t("List the shipped questionnaires and their versions."))
def list_cmd() -> None:
    """List the shipped questionnaires."""
    table = Table(t("Questionnaire"), t("Version"), t("Title"), t("Dimensions"), t("Questions"))
    for ref in list_questionnaires():
        q = load_questionnaire(ref.id, ref.version)
        table.add_row(ref.id, ref.version, ref.titulo, str(len(q.dimensiones)), str(len(q.preguntas)))
    console.print(table)


@app.command("check", help=t("Validate a questionnaire YAML file and print its hash."))
def check_cmd(file: Annotated[Path, typer.Argument(help=t("Questionnaire YAML file."))]) -> None:
    """Validate a questionnaire file."""
    q = load_questionnaire_file(file)
    console.print(t("Questionnaire {id} {version} valid: {dimensions} dimension(s), {questions} question(s), "
                    "hash {hash}", id=q.id, version=q.version, dimensions=len(q.dimensiones),
                    questions=len(q.preguntas), hash=content_hash(q)[:12]))


@app.command("score", help=t("Score a JSON file of answers (question id → answer) and print the result."))
def score_cmd(
    questionnaire: Annotated[str, typer.Argument(help=t("Questionnaire id, e.g. madurez_digital."))],
    answers: Annotated[Path, typer.Argument(help=t("JSON file: an object of question id → answer."))],
    ciiu_section: Annotated[str | None, typer.Option("--ciiu-section", help=t(
        "CIIU rev. 4 section of the company (a letter, e.g. G)."))] = None,
    tamano: Annotated[str | None, typer.Option("--tamano", help=t(
        "Company size: micro, pequena, mediana or grande."))] = None,
    version: Annotated[str | None, typer.Option("--version", help=t(
        "Questionnaire version (default: the latest)."))] = None,
    draft: Annotated[bool, typer.Option("--borrador", help=t(
        "Score a draft: unanswered questions are left out instead of rejected."))] = False,
    as_json: Annotated[bool, typer.Option("--json", help=t("Print the result as JSON."))] = False,
) -> None:
    """Score answers and print scores, levels, gaps and recommendations."""
    q = load_questionnaire(questionnaire, version)
    data = _read_answers(answers)
    company = CompanyContext(ciiu_section=ciiu_section.upper() if ciiu_section else None, tamano=tamano)
    result = score(q, data, company, complete=not draft)
    if as_json:
        console.print_json(json.dumps(result.as_dict(), ensure_ascii=False))
        return
    _print_result(q, result)


def _read_answers(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise typer.BadParameter(t("{file}: cannot read the file ({reason})", file=path, reason=e.strerror)) from e
    except json.JSONDecodeError as e:
        raise typer.BadParameter(t("{file}, line {line}: not valid JSON ({problem})", file=path, line=e.lineno,
                                   problem=e.msg)) from e
    if not isinstance(data, dict):
        raise typer.BadParameter(t("{file}: expected a JSON object of question id → answer", file=path))
    return data


def _level_name(q: Cuestionario, level: str | None) -> str:
    return q.nivel(level).nombre if level is not None else "—"


def _print_result(q: Cuestionario, r: ScoreResult) -> None:
    overall = "—" if r.overall is None else f"{r.overall:.2f}"
    console.print(f"[bold]{q.titulo}[/bold] ({q.id} {q.version})")
    console.print(t("Overall score: {score} — level: {level}", score=overall, level=_level_name(q, r.level)))
    if r.level != r.level_by_score:
        console.print("[yellow]" + t("The score falls in {band}, but every dimension must reach the minimum of that "
                                     "level; the level is {level}.", band=_level_name(q, r.level_by_score),
                                     level=_level_name(q, r.level)) + "[/yellow]")
    dims = Table(t("Dimension"), t("Score"), t("Level"), title=t("Dimensions"))
    for d in r.dimensions:
        dims.add_row(q.dimension(d.id).nombre, "—" if d.score is None else f"{d.score:.2f}", _level_name(q, d.level))
    console.print(dims)
    if r.unanswered:
        console.print(t("Unanswered, left out of the score: {questions}", questions=", ".join(r.unanswered)))
    if r.gaps:
        gaps = Table(t("Question"), t("Dimension"), t("Points"), t("Suggested action"),
                     title=t("Main gaps (overall points each would add)"))
        for g in r.gaps[:MAX_GAPS_SHOWN]:
            gaps.add_row(g.question, q.dimension(g.dimension).nombre, f"{g.impact:.2f}",
                         g.action or q.pregunta(g.question).texto)
        console.print(gaps)
    for dim_id, rec in r.recommendations:
        console.print(f"[bold]{q.dimension(dim_id).nombre}[/bold]: {rec.texto}")
        for res in rec.recursos:
            where = f" — {res.url}" if res.url else ""
            console.print(f"  • {res.titulo} ({res.proveedor}){where}", highlight=False)


@app.command("rescore", help=t("Score every submitted assessment again with a questionnaire version (new score "
                               "rows; the old ones are kept)."))
def rescore_cmd(
    questionnaire: Annotated[str, typer.Argument(help=t("Questionnaire id, e.g. madurez_digital."))],
    version: Annotated[str | None, typer.Option("--version", help=t("Version (default: the latest)."))] = None,
) -> None:
    """Re-score stored assessments."""
    from pade.core.db import make_engine
    from pade.core.settings import Settings
    from pade.diagnostics.assessments import rescore

    run = rescore(make_engine(Settings()), questionnaire, version=version)
    console.print(t("Re-scoring run {run}: {n} assessment(s) scored with {questionnaire} {version} in {seconds} s",
                    run=run.id, n=run.assessments, questionnaire=run.questionnaire, version=run.version,
                    seconds=f"{run.duration_s:.2f}"))
