"""Score one self-diagnosis: dimension and overall scores, levels, gaps and recommendations.

Answers are JSON values keyed by question id:

=========================  ===========================================  ==========================
type                       answer                                       example
=========================  ===========================================  ==========================
``opcion_unica``           an option id                                 ``"nube_compartida"``
``opcion_multiple``        a list of option ids (``[]`` = unanswered)   ``["redes", "marketplace"]``
``matriz_escala``          item id → whole number 0..escala_max         ``{"precios": 3, ...}``
``matriz_si_parcial_no``   item id → ``"si"``/``"parcialmente"``/``"no"``  ``{"respaldos": "si", ...}``
``numero``/``porcentaje``  a number                                     ``12.5``
``texto``                  a string (never scored)                      ``"Panadería"``
any, if allowed            ``"no_aplica"``                              ``"no_aplica"``
=========================  ===========================================  ==========================

Rules (see ``docs/decisions/0008-diagnostics-scoring.md``):

* a question whose ``mostrar_si`` condition is not met is *hidden*: its answer, if
  any, is ignored and it counts neither in the points nor in the maximum;
* a "no aplica" answer (where allowed) is likewise left out of the maximum;
* a dimension where nothing counts has no score (``None``) and no level, and the
  overall ``media_ponderada`` is taken over the dimensions that have a score;
* with ``complete=True`` (a submission) every visible required question must be
  answered; with ``complete=False`` (a draft, or answers derived from another
  questionnaire) unanswered questions are left out like "no aplica" and listed
  in :attr:`ScoreResult.unanswered`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pade.core.errors import PadeError
from pade.core.i18n import t
from pade.diagnostics.models import NO_APLICA, SI_PARCIAL_NO, Cuestionario, Recomendacion, TipoPregunta
from pade.diagnostics.plan import (
    ScoringPlan,
    band_of,
    compile_plan,
    gated_band,
    round2,
)

MAX_LISTED_PROBLEMS = 50


@dataclass(frozen=True, slots=True)
class CompanyContext:
    """What the scorer needs to know about the company (thresholds may depend on it).

    ``ciiu_section`` is the CIIU rev. 4 section letter (``"G"``); ``tamano`` one of
    ``micro``, ``pequena``, ``mediana``, ``grande``. ``departamento`` is carried for
    peer comparison and does not change a score.
    """

    ciiu_section: str | None = None
    tamano: str | None = None
    departamento: str | None = None


@dataclass(frozen=True, slots=True)
class AnswerProblem:
    """One invalid answer. ``code`` is a stable slug (see ``ANSWER_PROBLEM_CODES``); ``row`` is set in batches."""

    question: str
    code: str
    message: str
    row: int | None = None


ANSWER_PROBLEM_CODES = (
    "pregunta_desconocida", "falta_respuesta", "no_aplica_no_permitido", "tipo_invalido", "opcion_desconocida",
    "opcion_repetida", "excluyente_combinada", "item_desconocido", "item_faltante", "valor_item_invalido",
    "fuera_de_rango", "no_entero", "texto_largo",
)


class InvalidAnswers(PadeError, ValueError):
    """The answers break the questionnaire's rules; :attr:`problems` lists every one."""

    http_status = 422

    def __init__(self, problems: Sequence[AnswerProblem]) -> None:
        self.problems = tuple(problems)
        lines = [t("{count} problem(s) in the answers", count=len(self.problems))]
        for p in self.problems[:MAX_LISTED_PROBLEMS]:
            where = p.question if p.row is None else t("row {row}, {question}", row=p.row, question=p.question)
            lines.append(f"  - {where}: {p.message}")
        if len(self.problems) > MAX_LISTED_PROBLEMS:
            lines.append("  " + t("… and {count} more", count=len(self.problems) - MAX_LISTED_PROBLEMS))
        super().__init__("\n".join(lines))


@dataclass(frozen=True, slots=True)
class DimensionScore:
    """A dimension's result. ``score`` is 0–100 (two decimals) or ``None`` when nothing in it counts."""

    id: str
    score: float | None
    level: str | None
    obtained: float  # Σ contribution of the questions that count
    maximum: float  # Σ maximum contribution of the questions that count
    recommendations: tuple[Recomendacion, ...]


@dataclass(frozen=True, slots=True)
class Gap:
    """A question that scored below its maximum.

    ``points_missing`` is in the question's own points; ``dimension_impact`` the
    dimension score it would add at its maximum; ``impact`` the overall score it
    would add (what gaps are ordered by).
    """

    question: str
    dimension: str
    points_missing: float
    dimension_impact: float
    impact: float
    action: str | None


@dataclass(frozen=True, slots=True)
class ScoreResult:
    """Everything an assessment yields. Levels are level ids of the questionnaire."""

    questionnaire: str
    version: str
    overall: float | None
    level: str | None
    level_by_score: str | None  # the band of ``overall`` before the per-dimension minimums
    dimensions: tuple[DimensionScore, ...]
    visible: tuple[str, ...]
    not_applicable: tuple[str, ...]
    unanswered: tuple[str, ...]
    gaps: tuple[Gap, ...]

    def dimension(self, dimension_id: str) -> DimensionScore:
        return next(d for d in self.dimensions if d.id == dimension_id)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (recommendations as plain mappings), for storage and the API."""
        out = {f: getattr(self, f) for f in ("questionnaire", "version", "overall", "level", "level_by_score")}
        out["dimensions"] = [
            {"id": d.id, "score": d.score, "level": d.level, "obtained": d.obtained, "maximum": d.maximum,
             "recommendations": [r.model_dump(mode="json") for r in d.recommendations]}
            for d in self.dimensions]
        out |= {"visible": list(self.visible), "not_applicable": list(self.not_applicable),
                "unanswered": list(self.unanswered),
                "gaps": [{f: getattr(g, f) for f in Gap.__slots__} for g in self.gaps]}
        return out

    @property
    def recommendations(self) -> tuple[tuple[str, Recomendacion], ...]:
        """``(dimension id, recommendation)`` for every dimension's level, weakest dimension first."""
        ranked = sorted((d for d in self.dimensions if d.score is not None), key=lambda d: d.score or 0.0)
        return tuple((d.id, r) for d in ranked for r in d.recommendations)


@dataclass(slots=True)
class _Answer:
    counted: bool = False
    points: float = 0.0
    selected: frozenset[int] = frozenset()  # option positions, for conditions
    na: bool = False
    answered: bool = False


def score(
    q: Cuestionario, answers: Mapping[str, object], company: CompanyContext | None = None, *, complete: bool = True,
) -> ScoreResult:
    """Score one assessment.

    Args:
        q: the questionnaire.
        answers: question id → JSON answer (see the module docstring).
        company: the company's attributes; ``None`` means all unknown (default threshold sets).
        complete: a submission (every visible required question answered) or a draft.

    Raises:
        InvalidAnswers: with every problem (unknown question or option, an
            exclusive option combined, a number out of range, a missing answer, …).

    Example:
        >>> q = load_questionnaire("madurez_digital")
        >>> r = score(q, {"dp1": {...}, "dp2": "papel", ...}, CompanyContext(ciiu_section="G", tamano="micro"))
        >>> r.overall, r.level, [g.question for g in r.gaps[:3]]
        (33.27, 'basico', ['ad1', 'mp4', 'mp5'])
    """
    plan = compile_plan(q)
    company = company or CompanyContext()
    problems = [AnswerProblem(key, "pregunta_desconocida", t("unknown question {id} in questionnaire {questionnaire}",
                                                             id=key, questionnaire=q.id))
                for key in answers if key not in plan.by_id]
    states: list[_Answer | None] = []  # None: hidden
    for qp in plan.questions:
        if qp.condition is not None:
            parent = states[qp.condition.parent]
            if parent is None or not parent.answered or parent.na:
                states.append(None)
                continue
            hit = bool(parent.selected & qp.condition.options)
            if hit == qp.condition.negate:
                states.append(None)
                continue
        states.append(_read(plan, qp.index, answers.get(qp.id), company, complete=complete, problems=problems))
    if problems:
        raise InvalidAnswers(problems)
    return _result(plan, states)


def _read(
    plan: ScoringPlan, index: int, value: object, company: CompanyContext, *, complete: bool,
    problems: list[AnswerProblem],
) -> _Answer:
    qp = plan.questions[index]
    state = _Answer()
    if value is None or (qp.kind is TipoPregunta.opcion_multiple and isinstance(value, list) and not value):
        if complete and qp.required:
            message = (t("the question is required: answer it or answer «no aplica»") if qp.allows_na
                       else t("the question is required: answer it"))
            problems.append(AnswerProblem(qp.id, "falta_respuesta", message))
        return state
    if value == NO_APLICA and qp.kind is not TipoPregunta.texto:  # a text may say anything
        if not qp.allows_na:
            problems.append(AnswerProblem(qp.id, "no_aplica_no_permitido",
                                          t("this question does not accept «no aplica»; choose an answer")))
            return state
        state.answered = state.na = True
        return state
    before = len(problems)
    points = _points(plan, qp.index, value, company, state, problems)
    if len(problems) == before:
        state.answered = True
        state.counted = qp.scored
        state.points = points
    return state


def _problem(problems: list[AnswerProblem], question: str, code: str, message: str) -> float:
    problems.append(AnswerProblem(question, code, message))
    return 0.0


def _points(
    plan: ScoringPlan, index: int, value: object, company: CompanyContext, state: _Answer,
    problems: list[AnswerProblem],
) -> float:
    qp = plan.questions[index]
    kind = qp.kind
    if kind is TipoPregunta.opcion_unica:
        if not isinstance(value, str):
            return _problem(problems, qp.id, "tipo_invalido", t("expected one option id, got {value}", value=value))
        if value not in qp.option_ids:
            return _problem(problems, qp.id, "opcion_desconocida", t(
                "{value} is not an option (options: {options})", value=value, options=", ".join(qp.option_ids)))
        j = qp.option_ids.index(value)
        state.selected = frozenset({j})
        return qp.option_points[j]
    if kind is TipoPregunta.opcion_multiple:
        return _multiple(plan, index, value, state, problems)
    if kind in (TipoPregunta.matriz_escala, TipoPregunta.matriz_si_parcial_no):
        return _matrix(plan, index, value, problems)
    if kind in (TipoPregunta.numero, TipoPregunta.porcentaje):
        return _number(plan, index, value, company, problems)
    if not isinstance(value, str):
        return _problem(problems, qp.id, "tipo_invalido", t("expected a text, got {value}", value=value))
    if len(value) > qp.max_text:
        return _problem(problems, qp.id, "texto_largo", t("the text is longer than {max} characters",
                                                          max=qp.max_text))
    return 0.0


def _multiple(
    plan: ScoringPlan, index: int, value: object, state: _Answer, problems: list[AnswerProblem],
) -> float:
    qp = plan.questions[index]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return _problem(problems, qp.id, "tipo_invalido", t("expected a list of option ids, got {value}",
                                                            value=value))
    before = len(problems)
    seen: set[int] = set()
    for v in value:
        if v not in qp.option_ids:
            _problem(problems, qp.id, "opcion_desconocida", t(
                "{value} is not an option (options: {options})", value=v, options=", ".join(qp.option_ids)))
        elif qp.option_ids.index(v) in seen:
            _problem(problems, qp.id, "opcion_repetida", t("the option {option} is repeated", option=v))
        else:
            seen.add(qp.option_ids.index(v))
    exclusive = [j for j in sorted(seen) if qp.exclusive[j]]
    if exclusive and len(seen) > 1:
        text = plan.questionnaire.preguntas[index].opciones or []
        for j in exclusive:
            _problem(problems, qp.id, "excluyente_combinada", t(
                "«{option}» cannot be combined with other options", option=text[j].texto))
    if len(problems) > before:
        return 0.0
    state.selected = frozenset(seen)
    total = 0.0
    for j, points in enumerate(qp.option_points):
        if j in seen:
            total += points
    return min(total, qp.cap)


def _matrix(plan: ScoringPlan, index: int, value: object, problems: list[AnswerProblem]) -> float:
    qp = plan.questions[index]
    if not isinstance(value, Mapping):
        return _problem(problems, qp.id, "tipo_invalido", t("expected one answer per item, got {value}",
                                                            value=value))
    before = len(problems)
    for key in value:
        if key not in qp.item_ids:
            _problem(problems, qp.id, "item_desconocido", t("{item} is not an item of the question (items: {items})",
                                                            item=key, items=", ".join(qp.item_ids)))
    missing = [i for i in qp.item_ids if value.get(i) is None]
    if missing:
        _problem(problems, qp.id, "item_faltante", t("answer every item; missing: {items}", items=", ".join(missing)))
    total = 0.0
    for item in qp.item_ids:
        v = value.get(item)
        if v is None:
            continue
        if qp.kind is TipoPregunta.matriz_escala:
            ok = isinstance(v, int | float) and not isinstance(v, bool) and float(v).is_integer() \
                and 0 <= v <= qp.scale_max
            if not ok:
                _problem(problems, qp.id, "valor_item_invalido", t(
                    "item {item}: expected a whole number from 0 to {max}, got {value}", item=item, max=qp.scale_max,
                    value=v))
                continue
            total += float(v)
        else:
            if v not in SI_PARCIAL_NO:
                _problem(problems, qp.id, "valor_item_invalido", t(
                    "item {item}: expected si, parcialmente or no, got {value}", item=item, value=v))
                continue
            total += SI_PARCIAL_NO[str(v)]
    if len(problems) > before:
        return 0.0
    return total / len(qp.item_ids) if qp.mean else total


def _number(
    plan: ScoringPlan, index: int, value: object, company: CompanyContext, problems: list[AnswerProblem],
) -> float:
    qp = plan.questions[index]
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return _problem(problems, qp.id, "tipo_invalido", t("expected a number, got {value}", value=value))
    x = float(value)
    if x < qp.lo or (qp.hi is not None and x > qp.hi):
        return _problem(problems, qp.id, "fuera_de_rango", t("{value} is outside the allowed range {range}",
                                                             value=value, range=qp.range_label()))
    if qp.integer and not x.is_integer():
        return _problem(problems, qp.id, "no_entero", t("expected a whole number, got {value}", value=value))
    for threshold in qp.threshold_sets[plan.threshold_set(qp, company)]:
        if threshold.interval.contains(x):
            return threshold.points
    return 0.0  # unreachable: validated thresholds cover the answer range


def _result(plan: ScoringPlan, states: list[_Answer | None]) -> ScoreResult:
    q = plan.questionnaire
    n_dim = len(plan.dimensions)
    obtained = [0.0] * n_dim
    maximum = [0.0] * n_dim
    for qp, state in zip(plan.questions, states, strict=True):
        if state is not None and state.counted:
            obtained[qp.dimension] += qp.contribution(state.points)
            maximum[qp.dimension] += qp.max_contribution
    scores: list[float | None] = [round2(o * 100.0 / m) if m > 0 else None for o, m in zip(obtained, maximum,
                                                                                             strict=True)]
    overall = _overall(plan, scores, obtained, maximum)
    level = level_by_score = None
    if overall is not None:
        position = band_of(plan.overall_bands, overall)
        level_by_score = plan.levels[plan.overall_bands[position].level]
        lowest = min(s for s in scores if s is not None)
        level = plan.levels[plan.overall_bands[gated_band(plan.overall_bands, position, lowest)].level]
    dimensions = []
    for d, s in zip(plan.dimensions, scores, strict=True):
        d_level = None if s is None else plan.levels[d.bands[band_of(d.bands, s)].level]
        recs = tuple(q.recomendaciones_de(d.id, d_level)) if d_level is not None else ()
        dimensions.append(DimensionScore(d.id, s, d_level, obtained[d.index], maximum[d.index], recs))
    return ScoreResult(
        questionnaire=q.id, version=q.version, overall=overall, level=level, level_by_score=level_by_score,
        dimensions=tuple(dimensions),
        visible=tuple(qp.id for qp, s in zip(plan.questions, states, strict=True) if s is not None),
        not_applicable=tuple(qp.id for qp, s in zip(plan.questions, states, strict=True) if s is not None and s.na),
        unanswered=tuple(qp.id for qp, s in zip(plan.questions, states, strict=True)
                         if s is not None and not s.answered and qp.scored),
        gaps=_gaps(plan, states, maximum),
    )


def _overall(plan: ScoringPlan, scores: list[float | None], obtained: list[float],
             maximum: list[float]) -> float | None:
    num = den = 0.0
    for d, s in zip(plan.dimensions, scores, strict=True):
        if s is None:
            continue
        if plan.overall_sum:
            num += d.weight * obtained[d.index]
            den += d.weight * maximum[d.index]
        else:
            num += d.weight * s
            den += d.weight
    if den <= 0:
        return None
    return round2(num * 100.0 / den) if plan.overall_sum else round2(num / den)


def _gaps(plan: ScoringPlan, states: list[_Answer | None], maximum: list[float]) -> tuple[Gap, ...]:
    """Questions below their maximum, by the overall score each would add at its maximum (largest first)."""
    total_weight = sum(d.weight for d in plan.dimensions if maximum[d.index] > 0)
    total_points = sum(d.weight * maximum[d.index] for d in plan.dimensions)
    gaps = []
    for qp, state in zip(plan.questions, states, strict=True):
        if state is None or not state.counted or state.points >= qp.max_points:
            continue
        d = plan.dimensions[qp.dimension]
        missing = qp.max_contribution - qp.contribution(state.points)
        dimension_impact = missing * 100.0 / maximum[d.index]
        impact = (d.weight * missing * 100.0 / total_points if plan.overall_sum
                  else d.weight * dimension_impact / total_weight)
        gaps.append(Gap(qp.id, d.id, qp.max_points - state.points, dimension_impact, impact,
                        plan.questionnaire.preguntas[qp.index].accion))
    order = {qp.id: qp.index for qp in plan.questions}
    return tuple(sorted(gaps, key=lambda g: (-g.impact, order[g.question])))
