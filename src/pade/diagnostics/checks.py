"""Structural checks of a questionnaire: the cross-references its models cannot see alone.

Every problem is located (``loc`` is the path inside the YAML document, the
same shape as a pydantic error location), so the loader can name the file,
the path and the line. Checks never stop at the first problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pade.core.i18n import t
from pade.diagnostics.models import (
    MATRIX_TYPES,
    NO_APLICA,
    NUMERIC_TYPES,
    OPTION_TYPES,
    TAMANOS,
    Atributo,
    Banda,
    Intensidad,
    ModoDimension,
    Pregunta,
    TipoPregunta,
    Umbral,
)
from pade.registry.reference import ciiu_sections

if TYPE_CHECKING:
    from pade.diagnostics.models import Cuestionario

Loc = tuple[str | int, ...]

_COMMON = frozenset({"id", "dimension", "tipo", "texto", "ayuda", "peso", "obligatoria", "permite_no_aplica",
                     "mostrar_si", "reutiliza", "accion"})
_NUMERIC = frozenset({"umbrales", "umbrales_por"})
# The optional fields each question type reads, beyond the common ones.
FIELDS_BY_TYPE: dict[TipoPregunta, frozenset[str]] = {
    TipoPregunta.opcion_unica: _COMMON | {"opciones"},
    TipoPregunta.opcion_multiple: _COMMON | {"opciones", "tope"},
    TipoPregunta.matriz_escala: _COMMON | {"items", "agregacion", "escala_max", "etiquetas_escala"},
    TipoPregunta.matriz_si_parcial_no: _COMMON | {"items", "agregacion"},
    TipoPregunta.numero: _COMMON | _NUMERIC | {"minimo", "maximo", "entero", "unidad"},
    TipoPregunta.porcentaje: _COMMON | _NUMERIC,
    TipoPregunta.texto: _COMMON - {"peso", "permite_no_aplica", "accion"} | {"longitud_max"},
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One structural problem: where it is (a path inside the document) and what to do (Spanish)."""

    loc: Loc
    message: str


class StructureError(ValueError):
    """Raised by :class:`~pade.diagnostics.models.Cuestionario` when :func:`structural_problems` finds any."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{'.'.join(map(str, p.loc)) or '-'}: {p.message}" for p in self.problems))


def structural_problems(q: Cuestionario) -> list[Problem]:
    """Every cross-reference problem of ``q``, in document order."""
    out: list[Problem] = []
    out += _duplicates(q)
    level_ids = [n.id for n in q.niveles]
    out += _bands(q.puntaje_global.bandas, ("puntaje_global", "bandas"), level_ids, gates=True)
    if q.bandas_dimension is not None:
        out += _bands(q.bandas_dimension, ("bandas_dimension",), level_ids, gates=False)
    out += _dimensions(q, level_ids)
    out += _intensity_map(q)
    for i, p in enumerate(q.preguntas):
        out += _question(q, i, p)
    out += _recommendations(q, level_ids)
    return out


def _n(x: float | None) -> str:
    return "∞" if x is None else f"{x:g}"


def _interval(desde: float, desde_incl: bool, hasta: float | None, hasta_incl: bool) -> str:
    return f"{'[' if desde_incl else '('}{_n(desde)}, {_n(hasta)}{']' if hasta_incl else ')'}"


def _duplicates(q: Cuestionario) -> list[Problem]:
    out: list[Problem] = []
    groups: list[tuple[Loc, list[str]]] = [
        (("niveles",), [n.id for n in q.niveles]),
        (("dimensiones",), [d.id for d in q.dimensiones]),
        (("preguntas",), [p.id for p in q.preguntas]),
    ]
    for i, p in enumerate(q.preguntas):
        groups.append((("preguntas", i, "opciones"), p.opcion_ids()))
        groups.append((("preguntas", i, "items"), p.item_ids()))
    for prefix, ids in groups:
        first: dict[str, int] = {}
        for j, ident in enumerate(ids):
            if ident in first:
                out.append(Problem((*prefix, j, "id"), t(
                    "duplicate id {id}: position {first} already uses it; ids must be unique",
                    id=ident, first=first[ident])))
            first.setdefault(ident, j)
    return out


def _bands(bands: Sequence[Banda], loc: Loc, level_ids: list[str], *, gates: bool) -> list[Problem]:
    out: list[Problem] = []
    for j, b in enumerate(bands):
        if b.nivel not in level_ids:
            out.append(Problem((*loc, j, "nivel"), t("unknown level {level} (levels: {known})", level=b.nivel,
                                                     known=", ".join(level_ids))))
        if b.requiere_minimo_por_dimension is not None:
            if not gates:
                out.append(Problem((*loc, j, "requiere_minimo_por_dimension"), t(
                    "«requiere_minimo_por_dimension» applies to the overall bands only; remove it here")))
            elif j == 0:
                out.append(Problem((*loc, j, "requiere_minimo_por_dimension"), t(
                    "the lowest band cannot require a minimum per dimension: there is no lower level to fall "
                    "back to")))
    known = [b.nivel for b in bands if b.nivel in level_ids]
    if known != sorted(known, key=level_ids.index) or len(set(known)) != len(known):
        out.append(Problem(loc, t("list each level once, from the lowest band to the highest, in the order of "
                                  "«niveles» ({order})", order=", ".join(level_ids))))
    out += _coverage([(b.desde, b.desde_incluido, b.hasta, b.hasta_incluido) for b in bands], loc,
                     lo=0.0, hi=100.0, what=t("the bands"))
    return out


def _coverage(
    intervals: Sequence[tuple[float, bool, float | None, bool]], loc: Loc, *, lo: float, hi: float | None, what: str,
) -> list[Problem]:
    """Intervals listed in ascending order must cover ``[lo, hi]`` with no gap and no overlap."""
    out: list[Problem] = []
    if not intervals:
        return [Problem(loc, t("list at least one interval"))]
    for j, (a, ai, b, bi) in enumerate(intervals):
        if b is None and bi:
            out.append(Problem((*loc, j, "hasta_incluido"), t(
                "an unbounded «hasta: null» cannot be included; write hasta_incluido: false")))
        if b is not None and (b < a or (b == a and not (ai and bi))):
            out.append(Problem((*loc, j), t("the interval {interval} is empty: «desde» must be below «hasta»",
                                            interval=_interval(a, ai, b, bi))))
    if out:
        return out
    a0, a0i, _, _ = intervals[0]
    if a0 > lo or (a0 == lo and not a0i):
        out.append(Problem((*loc, 0), t("{what} leave {gap} uncovered: the first starts at {start}", what=what,
                                        gap=_interval(lo, True, a0, not a0i), start=_interval(*intervals[0]))))
    for j in range(1, len(intervals)):
        prev, cur = intervals[j - 1], intervals[j]
        end, end_incl = prev[2], prev[3]
        start, start_incl = cur[0], cur[1]
        if end is None or end > start or (end == start and end_incl and start_incl):
            out.append(Problem((*loc, j), t("{what} {a} and {b} overlap; each value must fall in exactly one",
                                            what=what, a=_interval(*prev), b=_interval(*cur))))
        elif end < start or (end == start and not end_incl and not start_incl):
            out.append(Problem((*loc, j), t(
                "{what} {a} and {b} leave {gap} uncovered; make one bound included and the other excluded",
                what=what, a=_interval(*prev), b=_interval(*cur),
                gap=_interval(end, not end_incl, start, not start_incl))))
    last = intervals[-1]
    if hi is not None and last[2] is not None and (last[2] < hi or (last[2] == hi and not last[3])):
        out.append(Problem((*loc, len(intervals) - 1), t(
            "{what} leave {gap} uncovered: the last ends at {end}", what=what,
            gap=_interval(last[2], not last[3], hi, True), end=_interval(*last))))
    if hi is None and last[2] is not None:
        out.append(Problem((*loc, len(intervals) - 1), t(
            "the answer has no upper limit, so the last threshold must be open: write «hasta: null»")))
    return out


def _dimensions(q: Cuestionario, level_ids: list[str]) -> list[Problem]:
    out: list[Problem] = []
    for i, d in enumerate(q.dimensiones):
        scored = [p for p in q.preguntas if p.dimension == d.id and p.puntuable]
        if not scored:
            out.append(Problem(("dimensiones", i), t(
                "the dimension {id} has no scored question; add one or remove the dimension", id=d.id)))
        total = sum(p.peso * p.puntaje_maximo() for p in scored)
        if d.modo is ModoDimension.suma:
            if d.maximo is None:
                out.append(Problem(("dimensiones", i, "modo"), t(
                    "a dimension in «suma» mode must declare «maximo»: the sum of peso × maximum points of its "
                    "questions ({total})", total=_n(total))))
            elif scored and abs(d.maximo - total) > 1e-9 * max(1.0, total):
                out.append(Problem(("dimensiones", i, "maximo"), t(
                    "«maximo» is {declared} but the questions of the dimension add up to {total} "
                    "(Σ peso × maximum points)", declared=_n(d.maximo), total=_n(total))))
        elif d.maximo is not None:
            out.append(Problem(("dimensiones", i, "maximo"), t("«maximo» applies to «suma» mode only; remove it")))
        if d.bandas is not None:
            out += _bands(d.bandas, ("dimensiones", i, "bandas"), level_ids, gates=False)
    return out


def _intensity_map(q: Cuestionario) -> list[Problem]:
    sections = ciiu_sections()
    return [Problem(("intensidad_digital_por_seccion", key), t(
        "{key} is not a CIIU rev. 4 section (one letter from A to U)", key=key))
        for key in q.intensidad_digital_por_seccion if key not in sections]


def _question(q: Cuestionario, i: int, p: Pregunta) -> list[Problem]:
    loc: Loc = ("preguntas", i)
    out: list[Problem] = []
    allowed = FIELDS_BY_TYPE[p.tipo]
    # a field counts when it holds something other than its default (a dumped model writes every field)
    written = {name for name in p.model_fields_set if getattr(p, name) != Pregunta.model_fields[name].default}
    for name in sorted(written - allowed):
        kinds = ", ".join(k.value for k, fields in FIELDS_BY_TYPE.items() if name in fields)
        out.append(Problem((*loc, name), t("«{field}» does not apply to questions of type {type}; remove it "
                                           "(it applies to: {types})", field=name, type=p.tipo.value,
                                           types=kinds or "-")))
    dimension_ids = [d.id for d in q.dimensiones]
    if p.dimension is None and p.puntuable:
        out.append(Problem(loc, t("a scored question needs a «dimension» (dimensions: {known})",
                                  known=", ".join(dimension_ids))))
    elif p.dimension is not None and p.dimension not in dimension_ids:
        out.append(Problem((*loc, "dimension"), t("unknown dimension {id} (dimensions: {known})", id=p.dimension,
                                                  known=", ".join(dimension_ids))))
    if p.reutiliza is not None and p.reutiliza.cuestionario == q.id:
        out.append(Problem((*loc, "reutiliza"), t("a question cannot reuse a question of its own questionnaire")))
    if p.tipo in OPTION_TYPES:
        out += _options(loc, p)
    elif p.tipo in MATRIX_TYPES:
        out += _matrix(loc, p)
    elif p.tipo in NUMERIC_TYPES:
        out += _thresholds(q, loc, p)
    if p.mostrar_si is not None:
        out += _condition(q, i, p)
    return out


def _options(loc: Loc, p: Pregunta) -> list[Problem]:
    if p.opciones is None:
        return [Problem(loc, t("«{field}» is required for questions of type {type}", field="opciones",
                               type=p.tipo.value))]
    out: list[Problem] = []
    if len(p.opciones) < 2:
        out.append(Problem((*loc, "opciones"), t("list at least two options")))
    for j, o in enumerate(p.opciones):
        if o.id == NO_APLICA:
            out.append(Problem((*loc, "opciones", j, "id"), t(
                "the option id «no_aplica» is reserved for the answer «no aplica»; write permite_no_aplica: true "
                "instead")))
        if o.excluyente and p.tipo is TipoPregunta.opcion_unica:
            out.append(Problem((*loc, "opciones", j, "excluyente"), t(
                "«excluyente» applies to opcion_multiple questions only; remove it")))
    if p.tipo is TipoPregunta.opcion_unica and max(o.puntaje for o in p.opciones) <= 0:
        out.append(Problem((*loc, "opciones"), t("no option scores above 0, so the question could never add points")))
    if p.tipo is TipoPregunta.opcion_multiple:
        if p.tope is None:
            out.append(Problem(loc, t("«{field}» is required for questions of type {type}", field="tope",
                                      type=p.tipo.value)))
        else:
            reachable = sum(o.puntaje for o in p.opciones if not o.excluyente)
            if reachable < p.tope:
                out.append(Problem((*loc, "tope"), t(
                    "«tope» {tope} cannot be reached: the options that can be combined add up to {total}",
                    tope=_n(p.tope), total=_n(reachable))))
    return out


def _matrix(loc: Loc, p: Pregunta) -> list[Problem]:
    out: list[Problem] = []
    if not p.items:
        out.append(Problem(loc, t("«{field}» is required for questions of type {type}", field="items",
                                  type=p.tipo.value)))
    if p.etiquetas_escala is not None and len(p.etiquetas_escala) != p.escala + 1:
        out.append(Problem((*loc, "etiquetas_escala"), t(
            "«etiquetas_escala» needs {n} labels, one per value from 0 to {max}", n=p.escala + 1, max=p.escala)))
    return out


def _threshold_classes(q: Cuestionario, attribute: Atributo) -> tuple[list[str], list[str]]:
    """(values that need a set, values allowed) for a threshold attribute."""
    if attribute is Atributo.tamano:
        return list(TAMANOS), list(TAMANOS)
    order = [v.value for v in Intensidad]
    used = sorted({v.value for v in q.intensidad_digital_por_seccion.values()}, key=order.index)
    return used, order


def _thresholds(q: Cuestionario, loc: Loc, p: Pregunta) -> list[Problem]:
    out: list[Problem] = []
    if p.umbrales is not None and p.umbrales_por is not None:
        return [Problem(loc, t("write «umbrales» or «umbrales_por», not both"))]
    if p.umbrales is None and p.umbrales_por is None:
        return [Problem(loc, t("a {type} question is scored by thresholds: add «umbrales» or «umbrales_por»",
                               type=p.tipo.value))]
    lo, hi = p.rango
    if hi is not None and hi < lo:
        out.append(Problem((*loc, "maximo"), t("«maximo» {max} is below «minimo» {min}", max=_n(hi), min=_n(lo))))
        return out
    sets: list[tuple[Loc, list[Umbral]]] = []
    if p.umbrales is not None:
        sets.append(((*loc, "umbrales"), p.umbrales))
    elif p.umbrales_por is not None:
        por = p.umbrales_por
        ploc: Loc = (*loc, "umbrales_por")
        needed, allowed = _threshold_classes(q, por.atributo)
        if por.atributo is Atributo.intensidad_digital_sector and not q.intensidad_digital_por_seccion:
            out.append(Problem((*ploc, "atributo"), t(
                "thresholds by intensidad_digital_sector need the questionnaire's «intensidad_digital_por_seccion» "
                "(CIIU section → baja, media or alta)")))
        for key in por.valores:
            if key not in allowed:
                out.append(Problem((*ploc, "valores", key), t(
                    "{value} is not a value of {attribute} (values: {allowed})", value=key,
                    attribute=por.atributo.value, allowed=", ".join(allowed))))
        for key in needed:
            if key not in por.valores:
                out.append(Problem((*ploc, "valores"), t(
                    "no threshold set for {attribute} = {value}; add «{value}» under «valores»",
                    attribute=por.atributo.value, value=key)))
        if por.por_defecto not in por.valores:
            out.append(Problem((*ploc, "por_defecto"), t(
                "«por_defecto» {value} has no threshold set (sets: {keys})", value=por.por_defecto,
                keys=", ".join(por.valores))))
        sets += [((*ploc, "valores", key), us) for key, us in por.valores.items()]
    maxima = {}
    for sloc, us in sets:
        out += _coverage([(u.desde, u.desde_incluido, u.hasta, u.hasta_incluido) for u in us], sloc, lo=lo, hi=hi,
                         what=t("the thresholds"))
        maxima[sloc[-1]] = max((u.puntaje for u in us), default=0.0)
    if maxima and max(maxima.values()) <= 0:
        out.append(Problem(sets[0][0], t("no threshold scores above 0, so the question could never add points")))
    if len(set(maxima.values())) > 1:
        detail = ", ".join(f"{k}: {_n(v)}" for k, v in maxima.items())
        out.append(Problem((*loc, "umbrales_por"), t(
            "every threshold set must reach the same maximum, so the question weighs the same for every company "
            "({detail})", detail=detail)))
    return out


def _condition(q: Cuestionario, i: int, p: Pregunta) -> list[Problem]:
    assert p.mostrar_si is not None
    loc: Loc = ("preguntas", i, "mostrar_si")
    ref = p.mostrar_si.pregunta
    index = {other.id: j for j, other in enumerate(q.preguntas)}
    if ref not in index:
        return [Problem((*loc, "pregunta"), t("the condition refers to an unknown question {id}", id=ref))]
    if index[ref] >= i:
        return [Problem((*loc, "pregunta"), t(
            "the condition refers to {id}, which is this question or comes after it; a condition can only look at "
            "an earlier question", id=ref))]
    target = q.preguntas[index[ref]]
    if target.tipo not in OPTION_TYPES:
        return [Problem((*loc, "pregunta"), t(
            "the condition refers to {id} of type {type}; conditions work on opcion_unica and opcion_multiple "
            "questions", id=ref, type=target.tipo.value))]
    key = "en" if p.mostrar_si.en is not None else "no_en"
    options = target.opcion_ids()
    return [Problem((*loc, key, j), t("{value} is not an option of {id} (options: {options})", value=v, id=ref,
                                      options=", ".join(options)))
            for j, v in enumerate(p.mostrar_si.valores) if v not in options]


def _recommendations(q: Cuestionario, level_ids: list[str]) -> list[Problem]:
    out: list[Problem] = []
    dimension_ids = [d.id for d in q.dimensiones]
    first: dict[tuple[str, str], int] = {}
    for j, r in enumerate(q.recomendaciones):
        loc: Loc = ("recomendaciones", j)
        if r.dimension not in dimension_ids:
            out.append(Problem((*loc, "dimension"), t("unknown dimension {id} (dimensions: {known})",
                                                      id=r.dimension, known=", ".join(dimension_ids))))
        if r.nivel not in level_ids:
            out.append(Problem((*loc, "nivel"), t("unknown level {level} (levels: {known})", level=r.nivel,
                                                  known=", ".join(level_ids))))
        pair = (r.dimension, r.nivel)
        if pair in first:
            out.append(Problem(loc, t("a recommendation for {dimension} × {level} is already at position {first}; "
                                      "merge them", dimension=r.dimension, level=r.nivel, first=first[pair])))
        first.setdefault(pair, j)
    return out

