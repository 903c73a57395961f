"""Score many assessments column-wise with numpy, on the same plan as :func:`~pade.diagnostics.scoring.score`.

The batch input is a wide table (``pyarrow.Table`` or a mapping of columns), one
row per assessment; :func:`batch_schema` gives its schema and
:func:`answers_to_table` builds it from JSON answers:

==========================  ===============================  =================================================
question type               column(s)                        values
==========================  ===============================  =================================================
``opcion_unica``            ``<qid>``                        string or dictionary<string>: an option id
``opcion_multiple``         ``<qid>``                        list<string>: option ids (``[]`` = unanswered)
``matriz_escala``           ``<qid>.<item>`` per item        integer 0..escala_max
``matriz_si_parcial_no``    ``<qid>.<item>`` per item        string: si | parcialmente | no
``numero``/``porcentaje``   ``<qid>``                        number
``texto``                   ``<qid>``                        string (only its length is checked)
"no aplica", any type       ``<qid>.no_aplica``              boolean (optional column; null = false)
==========================  ===============================  =================================================

A null value is an unanswered question; a missing column is a question nobody
answered. Columns that belong to no question (``ruc``, ``fecha``, …) are ignored.
Companies come as a :class:`~pade.diagnostics.scoring.CompanyContext` for every
row, a sequence of them, or columns ``ciiu_section`` and ``tamano``.

The result holds one row per assessment; rows agree exactly with :func:`score`
(a property test checks it), because every float operation is the plan's own,
in the plan's order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from pade.core.i18n import t
from pade.diagnostics.columns import NA_SUFFIX, NULL, Bools, Column, Companies, Floats, Reader, contains
from pade.diagnostics.models import NO_APLICA, Cuestionario, TipoPregunta
from pade.diagnostics.plan import Band, QuestionPlan, ScoringPlan, compile_plan
from pade.diagnostics.scoring import AnswerProblem, InvalidAnswers

Levels = npt.NDArray[np.int8]

__all__ = ["NA_SUFFIX", "BatchResult", "answers_to_table", "batch_schema", "score_batch"]


@dataclass(frozen=True, eq=False)
class BatchResult:
    """Scores of many assessments. Level arrays hold positions in ``levels`` (``-1``: no level).

    ``overall`` and ``dimension_scores`` are NaN where the single path gives ``None``.
    """

    questionnaire: str
    version: str
    levels: tuple[str, ...]
    dimension_ids: tuple[str, ...]
    overall: Floats
    level: Levels
    level_by_score: Levels
    dimension_scores: Floats  # (rows, dimensions)
    dimension_levels: Levels  # (rows, dimensions)
    obtained: Floats  # (rows, dimensions)
    maximum: Floats  # (rows, dimensions)

    def __len__(self) -> int:
        return len(self.overall)

    def level_ids(self, codes: Levels) -> list[str | None]:
        return [self.levels[c] if c >= 0 else None for c in codes.tolist()]

    def to_arrow(self) -> pa.Table:
        """Columns ``puntaje``, ``nivel``, ``nivel_por_puntaje``, then ``<dim>.puntaje|nivel|obtenido|maximo``."""
        names = pa.array(self.levels, pa.string())

        def levels(codes: Levels) -> pa.Array:
            return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32(), mask=codes < 0), names)

        cols: dict[str, pa.Array] = {
            "puntaje": pa.array(self.overall, mask=np.isnan(self.overall)),
            "nivel": levels(self.level), "nivel_por_puntaje": levels(self.level_by_score)}
        for j, d in enumerate(self.dimension_ids):
            s = self.dimension_scores[:, j]
            cols[f"{d}.puntaje"] = pa.array(s, mask=np.isnan(s))
            cols[f"{d}.nivel"] = levels(self.dimension_levels[:, j])
            cols[f"{d}.obtenido"] = pa.array(self.obtained[:, j])
            cols[f"{d}.maximo"] = pa.array(self.maximum[:, j])
        return pa.table(cols)


def batch_schema(q: Cuestionario) -> pa.Schema:
    """The columns :func:`score_batch` reads for ``q`` (the ``.no_aplica`` ones where allowed)."""
    fields: list[pa.Field] = []
    for qp in compile_plan(q).questions:
        if qp.kind in (TipoPregunta.opcion_unica, TipoPregunta.texto):
            fields.append(pa.field(qp.id, pa.string()))
        elif qp.kind is TipoPregunta.opcion_multiple:
            fields.append(pa.field(qp.id, pa.list_(pa.string())))
        elif qp.kind is TipoPregunta.matriz_escala:
            fields += [pa.field(f"{qp.id}.{i}", pa.int8()) for i in qp.item_ids]
        elif qp.kind is TipoPregunta.matriz_si_parcial_no:
            fields += [pa.field(f"{qp.id}.{i}", pa.string()) for i in qp.item_ids]
        else:
            fields.append(pa.field(qp.id, pa.float64()))
        if qp.allows_na:
            fields.append(pa.field(qp.id + NA_SUFFIX, pa.bool_()))
    return pa.schema(fields)


def answers_to_table(q: Cuestionario, answers: Sequence[Mapping[str, object]]) -> pa.Table:
    """The batch table of JSON ``answers`` (one mapping per assessment).

    Values are placed as they are; :func:`score_batch` validates them.

    Raises:
        InvalidAnswers: a value cannot be placed in its column (e.g. a list for a
            number) or names an unknown question; every such problem, by row.
    """
    plan = compile_plan(q)
    schema = batch_schema(q)
    columns: dict[str, list[object]] = {f.name: [] for f in schema}
    problems: list[AnswerProblem] = []
    for row, record in enumerate(answers):
        problems += [AnswerProblem(k, "pregunta_desconocida", t(
            "unknown question {id} in questionnaire {questionnaire}", id=k, questionnaire=q.id), row)
            for k in record if k not in plan.by_id]
        for qp in plan.questions:
            value = record.get(qp.id)
            na = value == NO_APLICA and qp.kind is not TipoPregunta.texto  # a text may say anything
            if na:
                columns.setdefault(qp.id + NA_SUFFIX, [None] * row).append(True)
            elif qp.id + NA_SUFFIX in columns:
                columns[qp.id + NA_SUFFIX].append(None)
            if na or value is None:
                value = None
            elif not _fits(qp, value):
                problems.append(AnswerProblem(qp.id, "tipo_invalido", t(
                    "the answer {value} does not fit a question of type {type}", value=value, type=qp.kind.value), row))
                value = None
            if qp.kind in (TipoPregunta.matriz_escala, TipoPregunta.matriz_si_parcial_no):
                items = value if isinstance(value, Mapping) else {}
                for key in items:
                    if key not in qp.item_ids:
                        problems.append(AnswerProblem(qp.id, "item_desconocido", t(
                            "{item} is not an item of the question (items: {items})", item=key,
                            items=", ".join(qp.item_ids)), row))
                for item in qp.item_ids:
                    columns[f"{qp.id}.{item}"].append(items.get(item))
            else:
                columns[qp.id].append(value)
    if problems:
        raise InvalidAnswers(problems)
    types = {f.name: f.type for f in schema}
    return pa.table({name: pa.array(values, types.get(name, pa.bool_())) for name, values in columns.items()})


def _fits(qp: QuestionPlan, value: object) -> bool:
    kind = qp.kind
    if kind in (TipoPregunta.opcion_unica, TipoPregunta.texto):
        return isinstance(value, str)
    if kind is TipoPregunta.opcion_multiple:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind is TipoPregunta.matriz_escala:
        return isinstance(value, Mapping) and all(
            v is None or (isinstance(v, int) and not isinstance(v, bool) and -128 <= v <= 127)
            for v in value.values())
    if kind is TipoPregunta.matriz_si_parcial_no:
        return isinstance(value, Mapping) and all(v is None or isinstance(v, str) for v in value.values())
    return isinstance(value, int | float) and not isinstance(value, bool)


# -- scoring --------------------------------------------------------------------------------------------


def score_batch(
    q: Cuestionario, answers: pa.Table | Mapping[str, Any], companies: Companies = None, *, complete: bool = True,
) -> BatchResult:
    """Re-score many assessments at once; row ``i`` equals ``score(q, answers_i, company_i)``.

    Args:
        q: the questionnaire.
        answers: the wide table described in the module docstring.
        companies: one context for all rows, one per row, or columns ``ciiu_section`` and ``tamano``.
        complete: as in :func:`score`.

    Raises:
        InvalidAnswers: every problem of every row (``AnswerProblem.row`` set).
    """
    plan = compile_plan(q)
    table = answers if isinstance(answers, pa.Table) else pa.table(dict(answers))
    reader = Reader(plan, table, companies, complete=complete)
    n, n_dim = reader.n, len(plan.dimensions)
    obtained, maximum = np.zeros((n_dim, n)), np.zeros((n_dim, n))
    scratch = np.empty(n)
    cols: list[Column] = []
    for qp in plan.questions:
        col = reader.question(qp, _visible(reader, qp, cols))
        if qp.scored:
            # the single path's ``qp.contribution(points)``: w * s, or w * (s / m)
            if qp.sum_mode:
                np.multiply(col.points, qp.weight, out=scratch)
            else:
                np.divide(col.points, qp.max_points, out=scratch)
                np.multiply(scratch, qp.weight, out=scratch)
            np.add(obtained[qp.dimension], scratch, out=obtained[qp.dimension], where=col.counted)
            np.add(maximum[qp.dimension], qp.max_contribution, out=maximum[qp.dimension], where=col.counted)
        col.points = _EMPTY  # not needed any more; conditions read codes and selections only
        cols.append(col)
    if reader.problems:
        reader.problems.sort(key=lambda p: (p.row or 0, plan.by_id[p.question].index))
        raise InvalidAnswers(reader.problems)
    return _aggregate(plan, obtained, maximum)


_EMPTY: Floats = np.zeros(0)


def _visible(reader: Reader, qp: QuestionPlan, cols: list[Column]) -> Bools:
    if qp.condition is None:
        return np.ones(reader.n, np.bool_)
    parent = cols[qp.condition.parent]
    options = sorted(qp.condition.options)
    if parent.codes is not None:
        hit: Bools = np.isin(parent.codes, options)
    else:
        assert parent.selected is not None
        hit = np.logical_or.reduce(parent.selected[:, options], axis=1)
    visible: Bools = parent.visible & parent.answered & ~parent.na & (hit != qp.condition.negate)
    return visible


def _aggregate(plan: ScoringPlan, obtained: Floats, maximum: Floats) -> BatchResult:
    """Scores and levels from the per-dimension sums, in place (see :func:`pade.diagnostics.scoring._result`)."""
    n_dim, n = obtained.shape
    scores = np.full((n_dim, n), np.nan)
    levels = np.empty((n_dim, n), np.int8)
    num, den, tmp = np.zeros(n), np.zeros(n), np.empty(n)
    lowest = np.full(n, np.inf)
    for d in plan.dimensions:
        s, has = scores[d.index], maximum[d.index] > 0
        np.multiply(obtained[d.index], 100.0, out=tmp)
        np.divide(tmp, maximum[d.index], out=s, where=has)
        _round2(s)
        levels[d.index] = _levels(d.bands, s)
        if plan.overall_sum:
            np.multiply(obtained[d.index], d.weight, out=tmp)
            np.add(num, tmp, out=num, where=has)
            np.multiply(maximum[d.index], d.weight, out=tmp)
            np.add(den, tmp, out=den, where=has)
        else:
            np.multiply(s, d.weight, out=tmp)
            np.add(num, tmp, out=num, where=has)
            np.add(den, d.weight, out=den, where=has)
        np.minimum(lowest, s, out=lowest, where=has)
    overall = np.full(n, np.nan)
    some = den > 0
    if plan.overall_sum:
        np.multiply(num, 100.0, out=num)
    np.divide(num, den, out=overall, where=some)
    _round2(overall)
    by_score = _band_positions(plan.overall_bands, overall)
    gated = by_score.copy()
    for i in range(len(plan.overall_bands) - 1, 0, -1):
        gate = plan.overall_bands[i].gate
        if gate is not None:
            gated[(gated == i) & (lowest < gate)] = i - 1
    band_level = np.array([b.level for b in plan.overall_bands] + [NULL], np.int8)
    q = plan.questionnaire
    return BatchResult(
        questionnaire=q.id, version=q.version, levels=plan.levels, dimension_ids=tuple(d.id for d in plan.dimensions),
        overall=overall, level=band_level[gated], level_by_score=band_level[by_score],
        dimension_scores=scores.T, dimension_levels=levels.T, obtained=obtained.T, maximum=maximum.T,
    )


def _round2(x: Floats) -> None:
    """:func:`pade.diagnostics.plan.round2` in place: ``rint(x * 100) / 100`` (half to even); NaN stays NaN."""
    np.multiply(x, 100.0, out=x)
    np.rint(x, out=x)
    np.divide(x, 100.0, out=x)


def _band_positions(bands: tuple[Band, ...], x: Floats) -> npt.NDArray[np.int8]:
    """Position of the band holding each value; the trailing position (``len(bands)``) for NaN."""
    out = np.full(len(x), len(bands), np.int8)
    for i, b in enumerate(bands):
        out[contains(b.interval, x)] = i
    return out


def _levels(bands: tuple[Band, ...], x: Floats) -> Levels:
    lut = np.array([b.level for b in bands] + [NULL], np.int8)
    return np.asarray(lut[_band_positions(bands, x)], np.int8)
