"""Read the batch table one question at a time: decode, validate and score a column.

The helpers of :func:`pade.diagnostics.batch.score_batch`. Each reader mirrors the
single path (:mod:`pade.diagnostics.scoring`) operation for operation, so the two
give identical floats: sums run in option or item order, and a masked add
(``np.add(..., where=mask)``) stands for the single path's skipped ``+ 0.0``.
Problems are collected with their row, never raised one by one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from pade.core.i18n import t
from pade.diagnostics.models import TAMANOS, Atributo, Intensidad, TipoPregunta
from pade.diagnostics.plan import SPN_POINTS, SPN_VALUES, Interval, QuestionPlan, ScoringPlan
from pade.diagnostics.scoring import AnswerProblem, CompanyContext, InvalidAnswers

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Codes = npt.NDArray[np.int32]

NA_SUFFIX = ".no_aplica"
NULL, UNKNOWN = -1, -2  # codes of a null value and of a value outside the vocabulary
Companies: TypeAlias = CompanyContext | Sequence[CompanyContext] | pa.Table | Mapping[str, Any] | None


@dataclass(slots=True)
class Column:
    """One question across rows: what the aggregation and later conditions need."""

    visible: Bools
    answered: Bools  # a valid answer or a valid "no aplica"
    na: Bools
    counted: Bools
    points: Floats
    codes: Codes | None = None  # opcion_unica: option position or NULL
    selected: Bools | None = None  # opcion_multiple: (rows, options)


class Reader:
    """The table, the companies and the problems found so far."""

    def __init__(self, plan: ScoringPlan, table: pa.Table, companies: Companies, *, complete: bool) -> None:
        self.plan = plan
        self.table = table
        self.n = table.num_rows
        self.complete = complete
        self.problems: list[AnswerProblem] = []
        self.companies = company_columns(companies, self.n)
        self._classes: dict[Atributo, tuple[tuple[str, ...], Codes]] = {}

    def column(self, name: str) -> pa.Array | None:
        if name not in self.table.column_names:
            return None
        return self.table.column(name).combine_chunks()

    def flag(self, qp: QuestionPlan, rows: Bools, code: str, message: str) -> None:
        self.problems += [AnswerProblem(qp.id, code, message, r) for r in np.flatnonzero(rows).tolist()]

    def add(self, qp: QuestionPlan, row: int, code: str, message: str) -> None:
        self.problems.append(AnswerProblem(qp.id, code, message, row))

    def company_classes(self, attribute: Atributo) -> tuple[tuple[str, ...], Codes]:
        """(vocabulary, per-row position in it or NULL) of a company attribute."""
        if attribute not in self._classes:
            if attribute is Atributo.tamano:
                self._classes[attribute] = (TAMANOS, codes_of(self.companies["tamano"], TAMANOS))
            else:
                vocab = tuple(v.value for v in Intensidad)
                sections = tuple(self.plan.intensity)
                section_class = np.array([vocab.index(self.plan.intensity[s]) for s in sections] + [NULL], np.int32)
                codes = codes_of(self.companies["ciiu_section"], sections)
                self._classes[attribute] = (vocab, section_class[np.where(codes >= 0, codes, len(sections))])
        return self._classes[attribute]

    # -- one question ----------------------------------------------------------------------------------

    def question(self, qp: QuestionPlan, visible: Bools) -> Column:
        n = self.n
        na_col = self.column(qp.id + NA_SUFFIX)
        na = np.zeros(n, np.bool_) if na_col is None else bools(na_col)
        check = visible & ~na
        invalid = np.zeros(n, np.bool_)
        codes = selected = None
        if qp.kind is TipoPregunta.opcion_unica:
            present, codes, points = self._single(qp, check, invalid)
        elif qp.kind is TipoPregunta.opcion_multiple:
            present, selected, points = self._multiple(qp, check, invalid)
        elif qp.kind in (TipoPregunta.matriz_escala, TipoPregunta.matriz_si_parcial_no):
            present, points = self._matrix(qp, check, invalid)
        elif qp.kind is TipoPregunta.texto:
            present, points = self._text(qp, check, invalid)
        else:
            present, points = self._number(qp, check, invalid)
        ok = visible & ~invalid
        self.flag(qp, ok & na & present, "tipo_invalido", t("both an answer and «no aplica» are given; keep one"))
        if not qp.allows_na:
            self.flag(qp, ok & na, "no_aplica_no_permitido",
                      t("this question does not accept «no aplica»; choose an answer"))
        if self.complete and qp.required:
            message = (t("the question is required: answer it or answer «no aplica»") if qp.allows_na
                       else t("the question is required: answer it"))
            self.flag(qp, ok & ~na & ~present, "falta_respuesta", message)
        valid = visible & present & ~na & ~invalid
        answered = valid | (visible & na & ~present & qp.allows_na)
        if codes is not None:
            codes[~valid] = NULL
        if selected is not None:
            selected = selected & valid[:, None]
        return Column(visible, answered, na & answered, valid & qp.scored, points, codes, selected)

    def _single(self, qp: QuestionPlan, check: Bools, invalid: Bools) -> tuple[Bools, Codes, Floats]:
        arr = self.column(qp.id)
        codes = np.full(self.n, NULL, np.int32) if arr is None else codes_of(arr, qp.option_ids)
        unknown = check & (codes == UNKNOWN)
        for r in np.flatnonzero(unknown).tolist():
            value = arr[r].as_py() if arr is not None else None
            self.add(qp, r, "opcion_desconocida", t(
                "{value} is not an option (options: {options})", value=value, options=", ".join(qp.option_ids)))
        invalid |= unknown
        lut = np.array([*qp.option_points, 0.0, 0.0])  # codes -1 and -2 read the two trailing zeros
        return codes != NULL, codes, lut[codes]

    def _multiple(self, qp: QuestionPlan, check: Bools, invalid: Bools) -> tuple[Bools, Bools, Floats]:
        n, k = self.n, len(qp.option_ids)
        arr = self.column(qp.id)
        if arr is None:
            return np.zeros(n, np.bool_), np.zeros((n, k), np.bool_), np.zeros(n)
        lengths = np.asarray(pc.list_value_length(arr).fill_null(0).to_numpy(zero_copy_only=False), np.int64)
        parents = np.asarray(pc.list_parent_indices(arr).to_numpy(zero_copy_only=False), np.int64)
        flat = arr.flatten()
        codes = codes_of(flat, qp.option_ids)
        good = codes >= 0
        unknown = np.zeros(n, np.bool_)
        unknown[parents[~good]] = True
        for e in np.flatnonzero(~good & check[parents]).tolist():
            self.add(qp, int(parents[e]), "opcion_desconocida", t(
                "{value} is not an option (options: {options})", value=flat[e].as_py(),
                options=", ".join(qp.option_ids)))
        # (options, rows): one contiguous row of flags per option
        selected = np.zeros((k, n), np.bool_)
        rows_of, codes_of_good = parents[good], codes[good]
        selected[codes_of_good, rows_of] = True
        distinct = np.add.reduce(selected, axis=0, dtype=np.int32)
        repeated = check & (np.bincount(rows_of, minlength=n) > distinct)
        for r in np.flatnonzero(repeated).tolist():
            seen: set[int] = set()
            for j in codes_of_good[rows_of == r].tolist():
                if j in seen:
                    self.add(qp, r, "opcion_repetida", t("the option {option} is repeated", option=qp.option_ids[j]))
                seen.add(j)
        combined = check & (distinct > 1)
        texts = self.plan.questionnaire.preguntas[qp.index].opciones or []
        clash = np.zeros(n, np.bool_)
        for j in [j for j, excl in enumerate(qp.exclusive) if excl]:
            rows = combined & selected[j]
            self.flag(qp, rows, "excluyente_combinada", t("«{option}» cannot be combined with other options",
                                                          option=texts[j].texto))
            clash |= rows
        invalid |= check & (unknown | repeated | clash)
        total = np.zeros(n)
        for j, points in enumerate(qp.option_points):
            np.add(total, points, out=total, where=selected[j])
        np.minimum(total, qp.cap, out=total)
        return lengths > 0, selected.T, total

    def _matrix(self, qp: QuestionPlan, check: Bools, invalid: Bools) -> tuple[Bools, Floats]:
        n = self.n
        present = np.zeros(n, np.bool_)
        nulls = []
        total = np.zeros(n)
        bad = np.zeros(n, np.bool_)
        wrongs: list[tuple[str, pa.Array, Bools, str]] = []
        escala = qp.kind is TipoPregunta.matriz_escala
        for item in qp.item_ids:
            arr = self.column(f"{qp.id}.{item}")
            null = np.ones(n, np.bool_) if arr is None else bools(arr.is_null())
            nulls.append(null)
            if arr is None:
                continue
            present |= ~null
            if escala and pa.types.is_integer(arr.type):
                ints = np.asarray(arr.fill_null(0).to_numpy(zero_copy_only=False))
                wrong = ~null & ((ints < 0) | (ints > qp.scale_max))
                message = "item {item}: expected a whole number from 0 to {max}, got {value}"
                np.add(total, ints, out=total, where=~null & ~wrong)
            elif escala:
                values = numbers(arr)
                wrong = ~null & ~((values >= 0) & (values <= qp.scale_max) & (values == np.floor(values)))
                message = "item {item}: expected a whole number from 0 to {max}, got {value}"
                np.add(total, values, out=total, where=~null & ~wrong)
            else:
                codes = codes_of(arr, SPN_VALUES)
                wrong = codes == UNKNOWN
                message = "item {item}: expected si, parcialmente or no, got {value}"
                for code, points in enumerate(SPN_POINTS):
                    if points:
                        np.add(total, points, out=total, where=codes == code)
            wrongs.append((item, arr, wrong, message))
            bad |= wrong
        missing = present & np.logical_or.reduce(nulls)
        for r in np.flatnonzero(check & missing).tolist():
            absent = [i for i, null in zip(qp.item_ids, nulls, strict=True) if null[r]]
            self.add(qp, r, "item_faltante", t("answer every item; missing: {items}", items=", ".join(absent)))
        for item, arr, wrong, message in wrongs:
            for r in np.flatnonzero(check & wrong).tolist():
                self.add(qp, r, "valor_item_invalido", t(message, item=item, max=qp.scale_max, value=arr[r].as_py()))
        invalid |= check & (bad | missing)
        if qp.mean:
            np.divide(total, len(qp.item_ids), out=total)
        return present, total

    def _number(self, qp: QuestionPlan, check: Bools, invalid: Bools) -> tuple[Bools, Floats]:
        n = self.n
        arr = self.column(qp.id)
        if arr is None:
            return np.zeros(n, np.bool_), np.zeros(n)
        present = ~bools(arr.is_null())
        x = numbers(arr)
        nan = present & np.isnan(x)
        self.flag(qp, check & nan, "tipo_invalido", t("expected a number, got {value}", value="NaN"))
        x[nan] = qp.lo
        out = present & ~nan & ((x < qp.lo) | (x > qp.hi if qp.hi is not None else False))
        for r in np.flatnonzero(check & out).tolist():
            self.add(qp, r, "fuera_de_rango", t("{value} is outside the allowed range {range}",
                                                value=number_text(x[r]), range=qp.range_label()))
        fraction = present & ~nan & ~out & qp.integer & (x != np.floor(x))
        for r in np.flatnonzero(check & fraction).tolist():
            self.add(qp, r, "no_entero", t("expected a whole number, got {value}", value=number_text(x[r])))
        invalid |= check & (nan | out | fraction)
        sets = np.zeros(n, np.int32)
        if qp.attribute is not None:
            vocab, classes = self.company_classes(qp.attribute)
            lut = np.array([qp.set_by_class.get(v, qp.default_set) for v in vocab] + [qp.default_set], np.int32)
            sets = lut[np.where(classes >= 0, classes, len(vocab))]
        points = np.zeros(n)
        for s, thresholds in enumerate(qp.threshold_sets):
            rows = sets == s if len(qp.threshold_sets) > 1 else np.ones(n, np.bool_)
            for th in thresholds:
                points[rows & contains(th.interval, x)] = th.points
        return present, points

    def _text(self, qp: QuestionPlan, check: Bools, invalid: Bools) -> tuple[Bools, Floats]:
        n = self.n
        arr = self.column(qp.id)
        if arr is None:
            return np.zeros(n, np.bool_), np.zeros(n)
        present = ~bools(arr.is_null())
        lengths = np.asarray(pc.utf8_length(arr).fill_null(0).to_numpy(zero_copy_only=False))
        long = present & (lengths > qp.max_text)
        self.flag(qp, check & long, "texto_largo", t("the text is longer than {max} characters", max=qp.max_text))
        invalid |= check & long
        return present, np.zeros(n)


def contains(interval: Interval, x: Floats) -> Bools:
    above = x >= interval.lo if interval.lo_incl else x > interval.lo
    if interval.hi is None:
        return np.asarray(above, np.bool_)
    below = x <= interval.hi if interval.hi_incl else x < interval.hi
    return np.asarray(above & below, np.bool_)


def number_text(value: float) -> str:
    """A number as the single path prints it (``12`` for a whole number, ``12.5`` otherwise)."""
    x = float(value)
    return str(int(x)) if x.is_integer() else repr(x)


def bools(arr: pa.Array) -> Bools:
    return np.asarray(arr.fill_null(False).to_numpy(zero_copy_only=False), np.bool_)


def numbers(arr: pa.Array) -> Floats:
    """A numeric column as float64, NaN where null (a fresh, writable array)."""
    if not (pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type) or pa.types.is_null(arr.type)):
        raise InvalidAnswers([AnswerProblem(str(arr.type), "tipo_invalido", t(
            "a numeric column holds {type} values; store numbers", type=arr.type))])
    return np.array(pc.cast(arr, pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False), np.float64)


def codes_of(arr: pa.Array, vocab: Sequence[str]) -> Codes:
    """Position of each value in ``vocab``: NULL for a null, UNKNOWN for a value outside it (writable)."""
    if pa.types.is_dictionary(arr.type):
        dictionary = codes_of(arr.dictionary, vocab)
        if not len(dictionary):
            dictionary = np.array([UNKNOWN], np.int32)
        indices = np.asarray(arr.indices.fill_null(0).to_numpy(zero_copy_only=False))
        codes = dictionary[indices]
    elif pa.types.is_null(arr.type):
        return np.full(len(arr), NULL, np.int32)
    elif pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        found = pc.index_in(arr, value_set=pa.array(list(vocab), arr.type))
        codes = np.array(found.fill_null(UNKNOWN).to_numpy(zero_copy_only=False), np.int32)
    else:
        raise InvalidAnswers([AnswerProblem(str(arr.type), "tipo_invalido", t(
            "an option column holds {type} values; store option ids as text", type=arr.type))])
    if arr.null_count:
        codes[bools(arr.is_null())] = NULL
    return np.asarray(codes, np.int32)


def company_columns(companies: Companies, n: int) -> dict[str, pa.Array]:
    """Columns ``ciiu_section`` and ``tamano`` of ``n`` rows, whatever form the companies come in."""
    if companies is None or isinstance(companies, CompanyContext):
        c = companies or CompanyContext()
        return {"ciiu_section": pa.array([c.ciiu_section] * n, pa.string()),
                "tamano": pa.array([c.tamano] * n, pa.string())}
    if isinstance(companies, pa.Table):
        data = {name: companies.column(name).combine_chunks() for name in companies.column_names}
    elif isinstance(companies, Mapping):
        data = {name: v if isinstance(v, pa.Array) else pa.array(v) for name, v in companies.items()}
    else:
        data = {"ciiu_section": pa.array([c.ciiu_section for c in companies], pa.string()),
                "tamano": pa.array([c.tamano for c in companies], pa.string())}
    out = {}
    for name in ("ciiu_section", "tamano"):
        col = data.get(name)
        out[name] = pa.nulls(n, pa.string()) if col is None else col
        if len(out[name]) != n:
            raise InvalidAnswers([AnswerProblem(name, "tipo_invalido", t(
                "the companies have {found} rows but the answers have {expected}", found=len(out[name]),
                expected=n))])
    return out
