"""Properties of the scoring engine on random valid answers to every shipped questionnaire."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pade.diagnostics.batch import answers_to_table, score_batch
from pade.diagnostics.loader import list_questionnaires, load_questionnaire
from pade.diagnostics.models import (
    NO_APLICA,
    SI_PARCIAL_NO,
    TAMANOS,
    Cuestionario,
    ModoDimension,
    Pregunta,
    TipoPregunta,
)
from pade.diagnostics.scoring import CompanyContext, ScoreResult, score

QUESTIONNAIRES = [load_questionnaire(r.id, r.version) for r in list_questionnaires()]
IDS = [q.id for q in QUESTIONNAIRES]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

companies = st.builds(CompanyContext, ciiu_section=st.sampled_from([None, "A", "C", "G", "J", "M", "S", "Z"]),
                      tamano=st.sampled_from([None, *TAMANOS, "otro"]))


def _answer(p: Pregunta) -> st.SearchStrategy[Any]:
    """Any valid answer to ``p`` (never «no aplica»)."""
    kind = p.tipo
    if kind is TipoPregunta.opcion_unica:
        return st.sampled_from(p.opcion_ids())
    if kind is TipoPregunta.opcion_multiple:
        opts = p.opciones or []
        free = [o.id for o in opts if not o.excluyente]
        alone = [[o.id] for o in opts if o.excluyente]
        combos = st.lists(st.sampled_from(free), min_size=1, unique=True) if free else st.nothing()
        return combos | st.sampled_from(alone) if alone else combos
    if kind is TipoPregunta.matriz_escala:
        return st.fixed_dictionaries({i: st.integers(0, p.escala) for i in p.item_ids()})
    if kind is TipoPregunta.matriz_si_parcial_no:
        return st.fixed_dictionaries({i: st.sampled_from(list(SI_PARCIAL_NO)) for i in p.item_ids()})
    if kind is TipoPregunta.porcentaje:
        return st.integers(0, 100) | st.floats(0, 100, allow_nan=False)
    if kind is TipoPregunta.numero:
        lo, hi = p.rango
        top = hi if hi is not None else lo + 100
        if p.entero:
            return st.integers(math.ceil(lo), int(top))
        return st.floats(lo, top, allow_nan=False)
    return st.text(max_size=20)


@st.composite
def answer_sets(draw: st.DrawFn, q: Cuestionario, *, complete: bool = True) -> dict[str, Any]:
    """A valid answer set: every question answered (or «no aplica» where allowed, or skipped in a draft)."""
    out: dict[str, Any] = {}
    for p in q.preguntas:
        if not complete and draw(st.integers(0, 4)) == 0:
            continue
        if p.permite_no_aplica and draw(st.integers(0, 3)) == 0:
            out[p.id] = NO_APLICA
        elif p.puntuable or draw(st.booleans()):
            out[p.id] = draw(_answer(p))
    return out


def _in_range(r: ScoreResult) -> None:
    assert r.overall is None or 0 <= r.overall <= 100
    assert all(d.score is None or 0 <= d.score <= 100 for d in r.dimensions)
    assert all(0 <= d.obtained <= d.maximum + 1e-9 for d in r.dimensions)


@pytest.mark.parametrize("q", QUESTIONNAIRES, ids=IDS)
@SETTINGS
@given(data=st.data(), company=companies)
def test_scores_stay_between_0_and_100(q: Cuestionario, data: st.DataObject, company: CompanyContext) -> None:
    complete = data.draw(st.booleans())
    r = score(q, data.draw(answer_sets(q, complete=complete)), company, complete=complete)
    _in_range(r)
    if complete:
        assert r.overall is not None and r.level is not None and r.unanswered == ()


def _level_rank(q: Cuestionario, level: str | None) -> int:
    return -1 if level is None else [n.id for n in q.niveles].index(level)


@pytest.mark.parametrize("q", QUESTIONNAIRES, ids=IDS)
@SETTINGS
@given(data=st.data(), company=companies)
def test_a_better_answer_never_lowers_a_score(q: Cuestionario, data: st.DataObject, company: CompanyContext) -> None:
    """Raise one answer's points; no dimension, overall score or level goes down.

    Questions that other questions' conditions read are left out on purpose: a better
    answer there may reveal a follow-up question, which joins the maximum.
    """
    parents = {p.mostrar_si.pregunta for p in q.preguntas if p.mostrar_si}
    answers = data.draw(answer_sets(q))
    before = score(q, answers, company)
    candidates = [p for p in q.preguntas if p.id in before.visible and p.id not in parents
                  and p.tipo in (TipoPregunta.opcion_unica, TipoPregunta.matriz_escala,
                                 TipoPregunta.matriz_si_parcial_no, TipoPregunta.opcion_multiple)
                  and answers.get(p.id) not in (None, NO_APLICA)]
    if not candidates:
        return
    p = data.draw(st.sampled_from(candidates))
    current = answers[p.id]
    if p.tipo is TipoPregunta.opcion_unica:
        points = {o.id: o.puntaje for o in p.opciones or []}
        better = data.draw(st.sampled_from([o for o, v in points.items() if v >= points[current]]))
    elif p.tipo is TipoPregunta.matriz_escala:
        item = data.draw(st.sampled_from(p.item_ids()))
        better = current | {item: data.draw(st.integers(current[item], p.escala))}
    elif p.tipo is TipoPregunta.matriz_si_parcial_no:
        item = data.draw(st.sampled_from(p.item_ids()))
        order = list(SI_PARCIAL_NO)
        better = current | {item: data.draw(st.sampled_from(order[order.index(current[item]):]))}
    else:  # add a non-exclusive option (scores are never negative), dropping an exclusive one
        exclusive = {o.id for o in p.opciones or [] if o.excluyente}
        extra = [o for o in p.opcion_ids() if o not in current and o not in exclusive]
        if not extra or set(current) & exclusive:
            return
        better = [*current, data.draw(st.sampled_from(extra))]
    after = score(q, answers | {p.id: better}, company)
    for b, a in zip(before.dimensions, after.dimensions, strict=True):
        assert b.score is not None and a.score is not None and a.score >= b.score, (p.id, b.id)
    assert after.overall is not None and before.overall is not None and after.overall >= before.overall
    assert _level_rank(q, after.level) >= _level_rank(q, before.level)


@pytest.mark.parametrize("q", QUESTIONNAIRES, ids=IDS)
@SETTINGS
@given(data=st.data(), company=companies)
def test_hidden_and_no_aplica_questions_leave_the_maximum(
    q: Cuestionario, data: st.DataObject, company: CompanyContext,
) -> None:
    answers = data.draw(answer_sets(q))
    r = score(q, answers, company)
    # the maximum is exactly the visible, answered, applicable questions' maximum contributions
    for d in q.dimensiones:
        expected = sum(p.peso * p.puntaje_maximo() if d.modo is ModoDimension.suma else p.peso
                       for p in q.preguntas if p.dimension == d.id and p.puntuable and p.id in r.visible
                       and p.id not in r.not_applicable)
        assert r.dimension(d.id).maximum == pytest.approx(expected)
    # whatever a hidden question holds changes nothing
    hidden = [p for p in q.preguntas if p.id not in r.visible]
    if hidden:
        p = data.draw(st.sampled_from(hidden))
        assert score(q, answers | {p.id: data.draw(_answer(p))}, company) == r
    # «no aplica» removes the question from its dimension's maximum, and nothing else
    applicable = [p for p in q.preguntas if p.permite_no_aplica and p.id in r.visible and p.id not in r.not_applicable
                  and not any(c.mostrar_si and c.mostrar_si.pregunta == p.id for c in q.preguntas)]
    if applicable:
        p = data.draw(st.sampled_from(applicable))
        na = score(q, answers | {p.id: NO_APLICA}, company)
        contribution = p.peso * p.puntaje_maximo() if q.dimension(p.dimension or "").modo is ModoDimension.suma \
            else p.peso
        for b, a in zip(r.dimensions, na.dimensions, strict=True):
            assert a.maximum == pytest.approx(b.maximum - (contribution if b.id == p.dimension else 0.0))


@pytest.mark.parametrize("q", QUESTIONNAIRES, ids=IDS)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_batch_equals_single(q: Cuestionario, data: st.DataObject) -> None:
    complete = data.draw(st.booleans())
    rows = data.draw(st.lists(st.tuples(answer_sets(q, complete=complete), companies), min_size=1, max_size=12))
    batch = score_batch(q, answers_to_table(q, [a for a, _ in rows]), [c for _, c in rows], complete=complete)
    for i, (answers, company) in enumerate(rows):
        r = score(q, answers, company, complete=complete)
        overall = batch.overall[i]
        assert (None if math.isnan(overall) else float(overall)) == r.overall  # exactly, not approximately
        assert batch.level_ids(batch.level[i : i + 1]) == [r.level]
        assert batch.level_ids(batch.level_by_score[i : i + 1]) == [r.level_by_score]
        for j, d in enumerate(r.dimensions):
            value = batch.dimension_scores[i, j]
            assert (None if math.isnan(value) else float(value)) == d.score
            assert batch.level_ids(batch.dimension_levels[i, j : j + 1]) == [d.level]
            assert (batch.obtained[i, j], batch.maximum[i, j]) == (d.obtained, d.maximum)
