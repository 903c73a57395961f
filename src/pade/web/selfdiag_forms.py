"""The self-diagnosis pages' forms: questionnaire steps, form fields ↔ answers, and the results view.

Pure functions (no database, no FastAPI): the router in :mod:`pade.web.selfdiag` parses a step's
form here, hands the answers to :mod:`pade.diagnostics.assessments`, and renders what these build.

Field names: ``p-<question>`` for an option, a number or a text; ``p-<question>-<item>`` for a
matrix item; ``p-<question>-na`` for the "no aplica" box of a matrix or a number.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pade.core.i18n import t
from pade.diagnostics.models import NO_APLICA, SI_PARCIAL_NO, Cuestionario, Dimension, Pregunta, TipoPregunta
from pade.registry import reference


class FormLike(Protocol):
    def getlist(self, key: str) -> list[Any]: ...


@dataclass(frozen=True)
class Step:
    """One page of the questionnaire: a dimension and its questions (``number`` starts at 1)."""

    number: int
    dimension: Dimension
    questions: tuple[Pregunta, ...]


def steps(q: Cuestionario) -> list[Step]:
    """One step per dimension, in questionnaire order; questions without a dimension join the first."""
    by_dim: dict[str, list[Pregunta]] = {d.id: [] for d in q.dimensiones}
    first = q.dimensiones[0].id
    for p in q.preguntas:
        by_dim[p.dimension or first].append(p)
    return [Step(i, d, tuple(by_dim[d.id])) for i, d in enumerate(q.dimensiones, start=1)]


@dataclass
class ParsedStep:
    """What a step's form said: ``answers`` to save, ``shown`` values to render back, ``problems`` by question."""

    answers: dict[str, Any] = field(default_factory=dict)
    shown: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def _first(form: FormLike, name: str) -> str:
    values = [v for v in form.getlist(name) if isinstance(v, str)]
    return values[0].strip() if values else ""


def _number(text: str) -> float | int | None:
    """A number as people type it: ``12``, ``3.5``, ``3,5``; None if it is not one."""
    cleaned = text.replace(" ", "").replace(",", ".")
    try:
        x = float(cleaned)
    except ValueError:
        return None
    if not math.isfinite(x):
        return None
    return int(x) if x.is_integer() else x


def parse_step(questions: Sequence[Pregunta], form: FormLike) -> ParsedStep:
    """Read the answers of ``questions`` from ``form``.

    A question left blank is saved as None (cleared). An incomplete matrix, a number that is not
    one, or «no aplica» combined with options is not saved: it lands in ``problems`` with a Spanish
    message, and its partial value in ``shown`` so the page keeps what was typed.
    """
    out = ParsedStep()
    for p in questions:
        name = f"p-{p.id}"
        kind = p.tipo
        value: Any = None
        if kind is TipoPregunta.opcion_unica:
            value = _first(form, name) or None
        elif kind is TipoPregunta.opcion_multiple:
            chosen = [v for v in form.getlist(name) if isinstance(v, str) and v]
            if NO_APLICA in chosen and len(chosen) > 1:
                out.shown[p.id] = chosen
                out.problems[p.id] = t("«No aplica» cannot be combined with other options; untick one of them")
                continue
            value = NO_APLICA if chosen == [NO_APLICA] else chosen
        elif kind in (TipoPregunta.matriz_escala, TipoPregunta.matriz_si_parcial_no):
            if p.permite_no_aplica and _first(form, f"{name}-na"):
                value = NO_APLICA
            else:
                items: dict[str, Any] = {}
                for item in p.items or []:
                    raw = _first(form, f"{name}-{item.id}")
                    if raw == "":
                        continue
                    if kind is TipoPregunta.matriz_escala:
                        items[item.id] = int(raw) if raw.isdigit() else raw
                    else:
                        items[item.id] = raw
                missing = [i.texto for i in p.items or [] if i.id not in items]
                if items and missing:
                    out.shown[p.id] = items
                    out.problems[p.id] = t("answer every row to save this question; missing: {items}",
                                           items="; ".join(missing))
                    continue
                value = items or None
        elif kind in (TipoPregunta.numero, TipoPregunta.porcentaje):
            raw = _first(form, name)
            if p.permite_no_aplica and _first(form, f"{name}-na"):
                value = NO_APLICA
            elif raw:
                value = _number(raw)
                if value is None:
                    out.shown[p.id] = raw
                    out.problems[p.id] = t("«{value}» is not a number; write digits only, for example 12 or 3.5",
                                           value=raw)
                    continue
        else:
            value = _first(form, name) or None
        out.answers[p.id] = value
        out.shown[p.id] = value
    return out


def is_answered(value: Any) -> bool:
    return value is not None and value != [] and value != {}


# -- choices for the company step -------------------------------------------------------------------

def department_choices() -> list[tuple[str, str]]:
    return reference.departments()


def size_choices() -> list[tuple[str, str]]:
    return [("micro", t("Micro (annual sales up to 150 UIT)")), ("pequena", t("Small (over 150 up to 1,700 UIT)")),
            ("mediana", t("Medium (over 1,700 up to 2,300 UIT)")), ("grande", t("Large (over 2,300 UIT)"))]


def ciiu_section_choices() -> list[tuple[str, str]]:
    return sorted(reference.ciiu_section_names().items())


def label_of(choices: Sequence[tuple[str, str]], code: str | None) -> str | None:
    return dict(choices).get(code) if code else None


# -- results view -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DimensionRow:
    id: str
    name: str
    score: float | None
    level: str | None
    delta: float | None
    previous: float | None


@dataclass(frozen=True)
class GapRow:
    dimension: str
    question: str
    action: str | None
    impact: float


def level_name(q: Cuestionario, level: str | None) -> str | None:
    return next((n.nombre for n in q.niveles if n.id == level), level)


def dimension_rows(q: Cuestionario, score: Mapping[str, Any], deltas: Mapping[str, float | None] | None
                   ) -> list[DimensionRow]:
    rows = []
    for d in score["dimensions"]:
        delta = (deltas or {}).get(d["id"])
        previous = None if delta is None or d["score"] is None else round(d["score"] - delta, 2)
        rows.append(DimensionRow(d["id"], q.dimension(d["id"]).nombre, d["score"], level_name(q, d["level"]),
                                 delta, previous))
    return rows


def gap_rows(q: Cuestionario, score: Mapping[str, Any], *, limit: int = 5) -> list[GapRow]:
    return [GapRow(q.dimension(g["dimension"]).nombre, q.pregunta(g["question"]).texto, g["action"],
                   float(g["impact"])) for g in score["gaps"][:limit]]


def recommendations(q: Cuestionario, score: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """``(dimension name, recommendation)`` for each dimension, weakest first."""
    ranked = sorted((d for d in score["dimensions"] if d["score"] is not None), key=lambda d: d["score"])
    return [(q.dimension(d["id"]).nombre, r) for d in ranked for r in d["recommendations"]]


def scale_labels(p: Pregunta) -> list[tuple[int, str]]:
    labels = list(p.etiquetas_escala or [])
    return [(v, labels[v] if v < len(labels) else str(v)) for v in range(p.escala + 1)]


def yes_partly_no() -> list[tuple[str, str]]:
    names = {"si": t("Yes"), "parcialmente": t("Partly"), "no": t("No")}
    return [(k, names[k]) for k in reversed(list(SI_PARCIAL_NO))]


def visibility_event(shown: Sequence[str], hidden: Sequence[str]) -> str:
    """The ``HX-Trigger`` header that tells the page which conditional questions to show or hide."""
    return json.dumps({"pade:visibility": {"shown": list(shown), "hidden": list(hidden)}})


def peer_group_labels(group: Mapping[str, str]) -> list[str]:
    """The attributes a peer group shares, in words (``{"tamano": "micro"}`` → ``["tamaño: Micro …"]``)."""
    out = []
    if group.get("seccion_ciiu"):
        out.append(t("activity: {value}", value=label_of(ciiu_section_choices(), group["seccion_ciiu"])
                     or group["seccion_ciiu"]))
    if group.get("tamano"):
        out.append(t("size: {value}", value=label_of(size_choices(), group["tamano"]) or group["tamano"]))
    if group.get("departamento"):
        out.append(t("department: {value}", value=label_of(department_choices(), group["departamento"])
                     or group["departamento"]))
    return out
