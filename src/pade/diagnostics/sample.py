"""Random valid assessments in the batch layout, generated column-wise with numpy.

For benchmarks and demo data: :func:`random_answers` builds a table that
:func:`~pade.diagnostics.batch.score_batch` accepts without a problem (option
columns dictionary-encoded, as a store would keep them), and
:func:`table_to_answers` turns rows back into the JSON answers :func:`score` takes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from pade.diagnostics.batch import NA_SUFFIX
from pade.diagnostics.models import TAMANOS, Cuestionario, TipoPregunta
from pade.diagnostics.plan import SPN_VALUES, QuestionPlan, compile_plan

SECTIONS = tuple("ABCDEFGHIJKLMNOPQRSTU")


def random_companies(n: int, *, seed: int = 0) -> pa.Table:
    """``n`` companies: a CIIU section and a size class (about 5 % unknown each)."""
    rng = np.random.default_rng(seed)
    sections = pa.array(np.array(SECTIONS)[rng.integers(0, len(SECTIONS), n)], mask=rng.random(n) < 0.05)
    sizes = pa.array(np.array(TAMANOS)[rng.choice(len(TAMANOS), n, p=[0.8, 0.15, 0.04, 0.01])],
                     mask=rng.random(n) < 0.05)
    return pa.table({"ciiu_section": sections, "tamano": sizes})


def random_answers(q: Cuestionario, n: int, *, seed: int = 0, na_rate: float = 0.05) -> pa.Table:
    """``n`` valid, complete assessments of ``q`` (answers of hidden questions included; they are ignored)."""
    rng = np.random.default_rng(seed)
    columns: dict[str, pa.Array] = {}
    for qp in compile_plan(q).questions:
        na = rng.random(n) < na_rate if qp.allows_na else None
        if qp.kind is TipoPregunta.opcion_unica:
            columns[qp.id] = _dictionary(rng.integers(0, len(qp.option_ids), n), qp.option_ids, na)
        elif qp.kind is TipoPregunta.opcion_multiple:
            columns[qp.id] = _multiple(rng, qp, n, na)
        elif qp.kind is TipoPregunta.matriz_escala:
            for item in qp.item_ids:
                columns[f"{qp.id}.{item}"] = pa.array(rng.integers(0, qp.scale_max + 1, n).astype(np.int8), mask=na)
        elif qp.kind is TipoPregunta.matriz_si_parcial_no:
            for item in qp.item_ids:
                columns[f"{qp.id}.{item}"] = _dictionary(rng.integers(0, len(SPN_VALUES), n), SPN_VALUES, na)
        elif qp.kind is TipoPregunta.numero:
            top = qp.hi if qp.hi is not None else qp.lo + 60.0
            values = rng.uniform(qp.lo, top, n)
            columns[qp.id] = pa.array(np.floor(values) if qp.integer else np.round(values, 1), mask=na)
        elif qp.kind is TipoPregunta.porcentaje:
            columns[qp.id] = pa.array(np.round(rng.uniform(0.0, 100.0, n), 1), mask=na)
        if na is not None:
            columns[qp.id + NA_SUFFIX] = pa.array(na)
    return pa.table(columns)


def _dictionary(codes: np.ndarray[Any, Any], vocab: tuple[str, ...], na: np.ndarray[Any, Any] | None) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int8), mask=na), pa.array(vocab))


def _multiple(rng: np.random.Generator, qp: QuestionPlan, n: int, na: np.ndarray[Any, Any] | None) -> pa.Array:
    k = len(qp.option_ids)
    exclusive = np.array(qp.exclusive)
    selected = (rng.random((n, k)) < 0.4) & ~exclusive
    alone = rng.random(n) < (0.15 if exclusive.any() else 0.0)
    if exclusive.any():
        first = int(np.flatnonzero(exclusive)[0])
        selected[alone] = False
        selected[alone, first] = True
    empty = ~selected.any(axis=1)
    selected[empty, rng.integers(0, k, int(empty.sum()))] = True
    rows, codes = np.nonzero(selected)
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(rows, minlength=n), out=offsets[1:])
    values = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int8)), pa.array(qp.option_ids))
    mask = None if na is None else pa.array(na)
    return pa.ListArray.from_arrays(pa.array(offsets), values, mask=mask)


def table_to_answers(q: Cuestionario, table: pa.Table) -> list[dict[str, object]]:
    """The JSON answers of each row of a batch table (the inverse of ``answers_to_table``)."""
    rows = table.to_pylist()
    out = []
    for row in rows:
        answers: dict[str, object] = {}
        for qp in compile_plan(q).questions:
            if row.get(qp.id + NA_SUFFIX):
                answers[qp.id] = "no_aplica"
            elif qp.kind in (TipoPregunta.matriz_escala, TipoPregunta.matriz_si_parcial_no):
                items = {i: row.get(f"{qp.id}.{i}") for i in qp.item_ids}
                if any(v is not None for v in items.values()):
                    answers[qp.id] = items
            elif row.get(qp.id) is not None:
                answers[qp.id] = row[qp.id]
        out.append(answers)
    return out
