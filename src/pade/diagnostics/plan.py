"""The compiled scoring plan of a questionnaire, shared by the single and the batch scorer.

Compiling turns the models into flat, index-based tables (option points,
thresholds, bands, conditions) once per questionnaire. :func:`score` walks the
plan in plain Python for one assessment; :func:`score_batch` walks the same plan
column-wise with numpy. Both apply the same float operations in the same order
(see the helpers here), so they agree exactly, not just approximately.

Arithmetic, for a question ``q`` with ``peso`` w, points s and maximum m:

* ``media_ponderada`` dimension: contribution ``w * (s / m)``, maximum contribution ``w``;
* ``suma`` dimension: contribution ``w * s``, maximum contribution ``w * m``;
* dimension score ``round2(Σ contribution * 100 / Σ maximum contribution)`` over the
  questions that count (visible, answered, not "no aplica"); ``None`` if none count;
* overall ``media_ponderada``: ``round2(Σ W_d * score_d / Σ W_d)`` over dimensions with a score;
* overall ``suma_reescalada``: ``round2(Σ W_d * obtained_d * 100 / Σ W_d * maximum_d)``.

``round2`` rounds half to even at two decimals; the level comes from the rounded
(published) score, so what a company reads always matches its level.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pade.diagnostics.models import (
    SI_PARCIAL_NO,
    Atributo,
    Banda,
    Cuestionario,
    ModoDimension,
    ModoGlobal,
    TipoPregunta,
)

if TYPE_CHECKING:
    from pade.diagnostics.scoring import CompanyContext

SCALE = 100.0  # round2 works on hundredths
DEFAULT_TEXT_LENGTH = 2000
SPN_VALUES = tuple(SI_PARCIAL_NO)  # ("no", "parcialmente", "si")
SPN_POINTS = tuple(SI_PARCIAL_NO.values())


def round2(x: float) -> float:
    """Round half to even at two decimals: ``rint(x * 100) / 100``, as the batch path does with numpy."""
    return round(x * SCALE) / SCALE


@dataclass(frozen=True, slots=True)
class Interval:
    lo: float
    lo_incl: bool
    hi: float | None  # None: unbounded above
    hi_incl: bool

    def contains(self, x: float) -> bool:
        above = x >= self.lo if self.lo_incl else x > self.lo
        if self.hi is None:
            return above
        return above and (x <= self.hi if self.hi_incl else x < self.hi)

    def label(self) -> str:
        hi = "∞" if self.hi is None else f"{self.hi:g}"
        return f"{'[' if self.lo_incl else '('}{self.lo:g}, {hi}{']' if self.hi_incl else ')'}"


@dataclass(frozen=True, slots=True)
class Band:
    """A level band: ``level`` indexes :attr:`ScoringPlan.levels`."""

    level: int
    interval: Interval
    gate: float | None  # requiere_minimo_por_dimension


@dataclass(frozen=True, slots=True)
class Threshold:
    interval: Interval
    points: float


@dataclass(frozen=True, slots=True)
class Condition:
    """Show the question iff ``parent`` is visible and answered, and (not, if ``negate``) any of ``options``."""

    parent: int
    options: frozenset[int]
    negate: bool


@dataclass(frozen=True, slots=True)
class QuestionPlan:
    index: int
    id: str
    kind: TipoPregunta
    dimension: int  # -1 for an unscored question without dimension
    weight: float
    max_points: float
    sum_mode: bool  # the dimension is in ``suma`` mode
    max_contribution: float
    required: bool
    allows_na: bool
    condition: Condition | None
    option_ids: tuple[str, ...] = ()
    option_points: tuple[float, ...] = ()
    exclusive: tuple[bool, ...] = ()
    cap: float = 0.0  # opcion_multiple tope
    item_ids: tuple[str, ...] = ()
    scale_max: int = 5
    mean: bool = True  # matrices: mean of the items (else sum)
    lo: float = 0.0  # numeric answer range
    hi: float | None = None
    integer: bool = False
    attribute: Atributo | None = None
    threshold_sets: tuple[tuple[Threshold, ...], ...] = ()
    set_by_class: dict[str, int] = field(default_factory=dict)
    default_set: int = 0
    max_text: int = DEFAULT_TEXT_LENGTH

    @property
    def scored(self) -> bool:
        return self.kind is not TipoPregunta.texto

    def contribution(self, points: float) -> float:
        """Dimension points of ``points`` (see the module docstring); the batch path repeats this expression."""
        return self.weight * points if self.sum_mode else self.weight * (points / self.max_points)

    def range_label(self) -> str:
        return Interval(self.lo, True, self.hi, self.hi is not None).label()


@dataclass(frozen=True, slots=True)
class DimensionPlan:
    index: int
    id: str
    weight: float
    bands: tuple[Band, ...]
    questions: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class ScoringPlan:
    """Everything the scorers need, as tuples indexed by position."""

    questionnaire: Cuestionario
    questions: tuple[QuestionPlan, ...]
    by_id: dict[str, QuestionPlan]
    dimensions: tuple[DimensionPlan, ...]
    levels: tuple[str, ...]
    overall_bands: tuple[Band, ...]
    overall_sum: bool  # suma_reescalada
    intensity: dict[str, str]  # CIIU section → baja | media | alta

    def company_class(self, attribute: Atributo, company: CompanyContext) -> str | None:
        """The company's value of ``attribute`` (``None`` if unknown)."""
        if attribute is Atributo.tamano:
            return company.tamano
        return self.intensity.get(company.ciiu_section or "")

    def threshold_set(self, qp: QuestionPlan, company: CompanyContext) -> int:
        if qp.attribute is None:
            return 0
        return qp.set_by_class.get(self.company_class(qp.attribute, company) or "", qp.default_set)


def band_of(bands: tuple[Band, ...], x: float) -> int:
    """Position in ``bands`` of the band holding ``x`` (bands cover 0–100 exactly once)."""
    for i, b in enumerate(bands):
        if b.interval.contains(x):
            return i
    raise ValueError(f"score {x} outside every band")  # unreachable for a validated questionnaire


def gated_band(bands: tuple[Band, ...], position: int, lowest_dimension: float) -> int:
    """Walk down from ``position`` until a band's per-dimension minimum is met."""
    while position > 0 and bands[position].gate is not None and lowest_dimension < (bands[position].gate or 0.0):
        position -= 1
    return position


_PLANS: dict[int, tuple[weakref.ref[Cuestionario], ScoringPlan]] = {}


def compile_plan(q: Cuestionario) -> ScoringPlan:
    """The plan of ``q``, compiled once per questionnaire object (kept while ``q`` lives)."""
    cached = _PLANS.get(id(q))
    if cached is not None and cached[0]() is q:
        return cached[1]
    plan = _compile(q)
    key, plans = id(q), _PLANS  # the callback keeps its own reference: it may run at interpreter exit

    def forget(_ref: weakref.ref[Cuestionario]) -> None:
        plans.pop(key, None)

    plans[key] = (weakref.ref(q, forget), plan)
    return plan


def _bands(q: Cuestionario, bands: list[Banda]) -> tuple[Band, ...]:
    levels = [n.id for n in q.niveles]
    return tuple(Band(levels.index(b.nivel), Interval(b.desde, b.desde_incluido, b.hasta, b.hasta_incluido),
                      b.requiere_minimo_por_dimension) for b in bands)


def _compile(q: Cuestionario) -> ScoringPlan:
    dim_index = {d.id: i for i, d in enumerate(q.dimensiones)}
    q_index = {p.id: i for i, p in enumerate(q.preguntas)}
    questions: list[QuestionPlan] = []
    for i, p in enumerate(q.preguntas):
        d = dim_index.get(p.dimension or "", -1)
        sum_mode = d >= 0 and q.dimensiones[d].modo is ModoDimension.suma
        m = p.puntaje_maximo()
        condition = None
        if p.mostrar_si is not None:
            parent = q.preguntas[q_index[p.mostrar_si.pregunta]]
            ids = parent.opcion_ids()
            condition = Condition(q_index[parent.id], frozenset(ids.index(v) for v in p.mostrar_si.valores),
                                  negate=p.mostrar_si.no_en is not None)
        sets = p.conjuntos_umbrales() if p.tipo in (TipoPregunta.numero, TipoPregunta.porcentaje) else {}
        keys = list(sets)
        lo, hi = p.rango
        questions.append(QuestionPlan(
            index=i, id=p.id, kind=p.tipo, dimension=d if p.puntuable else -1, weight=p.peso, max_points=m,
            sum_mode=sum_mode, max_contribution=p.peso * m if sum_mode else p.peso, required=p.es_obligatoria,
            allows_na=p.permite_no_aplica, condition=condition,
            option_ids=tuple(p.opcion_ids()), option_points=tuple(o.puntaje for o in p.opciones or []),
            exclusive=tuple(o.excluyente for o in p.opciones or []), cap=float(p.tope or 0.0),
            item_ids=tuple(p.item_ids()), scale_max=p.escala, mean=p.modo_agregacion.value == "media",
            lo=lo, hi=hi, integer=p.entero,
            attribute=p.umbrales_por.atributo if p.umbrales_por is not None else None,
            threshold_sets=tuple(tuple(Threshold(Interval(u.desde, u.desde_incluido, u.hasta, u.hasta_incluido),
                                                 u.puntaje) for u in sets[k]) for k in keys),
            set_by_class={k: j for j, k in enumerate(keys)},
            default_set=keys.index(p.umbrales_por.por_defecto) if p.umbrales_por is not None else 0,
            max_text=p.longitud_max or DEFAULT_TEXT_LENGTH,
        ))
    dimensions = tuple(
        DimensionPlan(i, d.id, d.peso, _bands(q, q.bandas_de(d)),
                      tuple(qp.index for qp in questions if qp.dimension == i))
        for i, d in enumerate(q.dimensiones))
    return ScoringPlan(
        questionnaire=q, questions=tuple(questions), by_id={qp.id: qp for qp in questions}, dimensions=dimensions,
        levels=tuple(n.id for n in q.niveles), overall_bands=_bands(q, q.puntaje_global.bandas),
        overall_sum=q.puntaje_global.modo is ModoGlobal.suma_reescalada,
        intensity={k: v.value for k, v in q.intensidad_digital_por_seccion.items()},
    )
