"""Self-diagnosis questionnaires as frozen pydantic models.

A questionnaire is versioned data (``questionnaires/<id>-<version>.yaml``): its
dimensions, questions, scoring modes, level bands and recommendations. These
models check the *shape* of each field; the cross-references (unknown dimension,
a condition on a later question, bands with a gap, a threshold set without a
value, …) are checked by :mod:`pade.diagnostics.checks`, which the root model
runs once every field is valid. Field names are Spanish where they name a term
of the questionnaire (``dimension``, ``nivel``, ``umbral``); see
``docs/decisions/0008-diagnostics-scoring.md``.

Every interval (a level band or a scoring threshold) states whether each bound is
included: ``{desde: 20, desde_incluido: true, hasta: 40, hasta_incluido: false}``
is ``[20, 40)``. Nothing is implied, so a band edge is never a matter of reading.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AnyHttpUrl, Field, FiniteFloat, StringConstraints, model_validator

from pade.core.i18n import t
from pade.programme.models import Frozen, NonEmpty, Slug

NO_APLICA = "no_aplica"  # the answer "no aplica"; reserved, never an option id

NonNegative = Annotated[FiniteFloat, Field(ge=0)]
Positive = Annotated[FiniteFloat, Field(gt=0)]
Version = Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]


class TipoPregunta(StrEnum):
    """How a question is answered and scored."""

    opcion_unica = "opcion_unica"  # one option; its ``puntaje``
    opcion_multiple = "opcion_multiple"  # several options; scores summed, capped at ``tope``
    matriz_escala = "matriz_escala"  # items answered 0..escala_max; mean or sum
    matriz_si_parcial_no = "matriz_si_parcial_no"  # items answered no / parcialmente / si = 0 / 0.5 / 1
    numero = "numero"  # a number scored by thresholds
    porcentaje = "porcentaje"  # 0..100 scored by thresholds
    texto = "texto"  # free text, never scored


SCORED_TYPES = frozenset(TipoPregunta) - {TipoPregunta.texto}
OPTION_TYPES = frozenset({TipoPregunta.opcion_unica, TipoPregunta.opcion_multiple})
MATRIX_TYPES = frozenset({TipoPregunta.matriz_escala, TipoPregunta.matriz_si_parcial_no})
NUMERIC_TYPES = frozenset({TipoPregunta.numero, TipoPregunta.porcentaje})

# Answer values of a ``matriz_si_parcial_no`` item and their points, in this order.
SI_PARCIAL_NO: dict[str, float] = {"no": 0.0, "parcialmente": 0.5, "si": 1.0}


class ModoDimension(StrEnum):
    """How a dimension turns its questions' points into a 0–100 score."""

    # Each question normalised to 0–1 (points / its maximum), weighted mean by ``peso``, × 100.
    media_ponderada = "media_ponderada"
    # Σ peso × points against the declared ``maximo`` (Σ peso × question maximum), rescaled to 0–100.
    suma = "suma"


class ModoGlobal(StrEnum):
    """How the overall score is built from the dimensions."""

    media_ponderada = "media_ponderada"  # weighted mean of the dimension scores (dimension ``peso``)
    suma_reescalada = "suma_reescalada"  # Σ peso × obtained / Σ peso × maximum over dimensions, × 100


class Agregacion(StrEnum):
    """How a matrix question combines its items."""

    media = "media"  # points = mean of the items (maximum = the item maximum)
    suma = "suma"  # points = sum of the items (maximum = items × item maximum)


class Atributo(StrEnum):
    """Company attributes a threshold set may depend on."""

    intensidad_digital_sector = "intensidad_digital_sector"  # via ``intensidad_digital_por_seccion``
    tamano = "tamano"  # micro | pequena | mediana | grande (Ley N° 30056, see registry/data/tamano_empresa.csv)


class Intensidad(StrEnum):
    baja = "baja"
    media = "media"
    alta = "alta"


# Size classes of the registry (src/pade/registry/data/tamano_empresa.csv); a test keeps them in step.
TAMANOS = ("micro", "pequena", "mediana", "grande")


class TipoRecurso(StrEnum):
    curso = "curso"
    guia = "guia"
    herramienta = "herramienta"
    programa_apoyo = "programa_apoyo"


class Banda(Frozen):
    """The score interval of one level. ``requiere_minimo_por_dimension`` gates it (overall bands only)."""

    nivel: Slug
    desde: FiniteFloat
    desde_incluido: bool
    hasta: FiniteFloat
    hasta_incluido: bool
    requiere_minimo_por_dimension: Annotated[FiniteFloat, Field(ge=0, le=100)] | None = None


class Umbral(Frozen):
    """Points for an answer inside ``[desde, hasta]``; ``hasta: null`` is unbounded above."""

    desde: FiniteFloat
    desde_incluido: bool
    hasta: FiniteFloat | None
    hasta_incluido: bool
    puntaje: NonNegative


class UmbralesPor(Frozen):
    """Threshold sets chosen by a company attribute; ``por_defecto`` when the attribute is unknown."""

    atributo: Atributo
    por_defecto: Slug
    valores: dict[Slug, list[Umbral]]


class Opcion(Frozen):
    id: Slug
    texto: NonEmpty
    puntaje: NonNegative = 0.0
    excluyente: bool = False  # cannot be combined with other options (opcion_multiple)


class Item(Frozen):
    id: Slug
    texto: NonEmpty


class Condicion(Frozen):
    """Show a question only if an earlier option question's answer is (``en``) or is not (``no_en``) listed."""

    pregunta: Slug
    en: list[Slug] | None = None
    no_en: list[Slug] | None = None

    @model_validator(mode="after")
    def _one_list(self) -> Condicion:
        if (self.en is None) == (self.no_en is None):
            raise ValueError(t("write exactly one of the keys «en» (shown if the answer is one of) or «no_en» "
                               "(shown if it is none of)"))
        return self

    @property
    def valores(self) -> list[str]:
        return list(self.en if self.en is not None else self.no_en or [])


class Reutiliza(Frozen):
    """This question asks the same as ``pregunta`` of ``cuestionario``: its answer can be reused."""

    cuestionario: Slug
    pregunta: Slug


class Pregunta(Frozen):
    """One question. Which of the optional fields apply depends on ``tipo`` (see ``checks.FIELDS_BY_TYPE``)."""

    id: Slug
    dimension: Slug | None = None  # required for scored types
    tipo: TipoPregunta
    texto: NonEmpty
    ayuda: str | None = None
    peso: Positive = 1.0
    obligatoria: bool | None = None  # default: True for scored types, False for ``texto``
    permite_no_aplica: bool = False
    mostrar_si: Condicion | None = None
    reutiliza: Reutiliza | None = None
    accion: str | None = None  # the concrete action suggested when the answer scores below the maximum
    # opcion_unica, opcion_multiple
    opciones: list[Opcion] | None = None
    tope: Positive | None = None  # opcion_multiple: the declared maximum of the summed scores
    # matriz_escala, matriz_si_parcial_no
    items: list[Item] | None = None
    agregacion: Agregacion | None = None  # default: media
    escala_max: Annotated[int, Field(ge=1, le=100)] | None = None  # matriz_escala; default 5
    etiquetas_escala: list[NonEmpty] | None = None  # matriz_escala; one per value 0..escala_max
    # numero, porcentaje
    minimo: FiniteFloat | None = None  # numero; default 0
    maximo: FiniteFloat | None = None  # numero; default unbounded
    entero: bool = False  # numero: only whole numbers
    unidad: str | None = None
    umbrales: list[Umbral] | None = None
    umbrales_por: UmbralesPor | None = None
    # texto
    longitud_max: Annotated[int, Field(ge=1)] | None = None  # default 2000

    @property
    def puntuable(self) -> bool:
        return self.tipo is not TipoPregunta.texto

    @property
    def es_obligatoria(self) -> bool:
        return self.obligatoria if self.obligatoria is not None else self.puntuable

    @property
    def escala(self) -> int:
        return self.escala_max if self.escala_max is not None else 5

    @property
    def modo_agregacion(self) -> Agregacion:
        return self.agregacion or Agregacion.media

    @property
    def rango(self) -> tuple[float, float | None]:
        """The valid answer range of a numeric question (``None``: unbounded above)."""
        if self.tipo is TipoPregunta.porcentaje:
            return 0.0, 100.0
        return (self.minimo if self.minimo is not None else 0.0), self.maximo

    def opcion_ids(self) -> list[str]:
        return [o.id for o in self.opciones or []]

    def item_ids(self) -> list[str]:
        return [i.id for i in self.items or []]

    def conjuntos_umbrales(self) -> dict[str, list[Umbral]]:
        """Every threshold set by attribute value (``""`` for a fixed set)."""
        if self.umbrales_por is not None:
            return dict(self.umbrales_por.valores)
        return {"": list(self.umbrales or [])}

    def puntaje_maximo(self) -> float:
        """The most points an answer can get (0 for ``texto``). Assumes the structure is valid."""
        kind = self.tipo
        if kind is TipoPregunta.opcion_unica:
            return max((o.puntaje for o in self.opciones or []), default=0.0)
        if kind is TipoPregunta.opcion_multiple:
            return float(self.tope or 0.0)
        if kind in MATRIX_TYPES:
            per_item = float(self.escala) if kind is TipoPregunta.matriz_escala else 1.0
            n = len(self.items or [])
            return per_item * n if self.modo_agregacion is Agregacion.suma else per_item
        if kind in NUMERIC_TYPES:
            return max((u.puntaje for us in self.conjuntos_umbrales().values() for u in us), default=0.0)
        return 0.0


class Dimension(Frozen):
    id: Slug
    nombre: NonEmpty
    descripcion: NonEmpty
    peso: Positive = 1.0
    modo: ModoDimension = ModoDimension.media_ponderada
    maximo: Positive | None = None  # ``suma`` only: Σ peso × question maximum, declared for the reader
    bandas: list[Banda] | None = None  # default: the questionnaire's ``bandas_dimension``


class Nivel(Frozen):
    id: Slug
    nombre: NonEmpty
    descripcion: str | None = None


class Recurso(Frozen):
    tipo: TipoRecurso
    titulo: NonEmpty
    url: AnyHttpUrl | None  # required key: write ``url: null`` when no stable public address is known
    proveedor: NonEmpty


class Recomendacion(Frozen):
    dimension: Slug
    nivel: Slug
    texto: NonEmpty
    recursos: list[Recurso] = Field(default_factory=list)


class PuntajeGlobal(Frozen):
    modo: ModoGlobal = ModoGlobal.media_ponderada
    bandas: list[Banda]


class Cuestionario(Frozen):
    """A self-diagnosis questionnaire. Constructing one runs every structural check.

    Raises (through pydantic's ``ValidationError``):
        checks.StructureError: the cross-references are inconsistent; it lists every
            problem with its location.
    """

    id: Slug
    version: Version
    titulo: NonEmpty
    descripcion: NonEmpty
    responsable: str | None = None  # the entity that runs it, e.g. "PRODUCE"
    metodologia: str | None = None  # how scores are built, for the reader
    niveles: list[Nivel]
    dimensiones: list[Dimension]
    puntaje_global: PuntajeGlobal
    bandas_dimension: list[Banda] | None = None  # default: the overall bands without their gates
    intensidad_digital_por_seccion: dict[str, Intensidad] = Field(default_factory=dict)
    preguntas: list[Pregunta]
    recomendaciones: list[Recomendacion] = Field(default_factory=list)

    @model_validator(mode="after")
    def _structure(self) -> Cuestionario:
        from pade.diagnostics.checks import StructureError, structural_problems  # checks imports this module

        problems = structural_problems(self)
        if problems:
            raise StructureError(problems)
        return self

    def pregunta(self, question_id: str) -> Pregunta:
        return next(p for p in self.preguntas if p.id == question_id)

    def dimension(self, dimension_id: str) -> Dimension:
        return next(d for d in self.dimensiones if d.id == dimension_id)

    def bandas_de(self, dimension: Dimension) -> list[Banda]:
        """The bands that give ``dimension`` its level (gates never apply to a dimension)."""
        if dimension.bandas is not None:
            return list(dimension.bandas)
        if self.bandas_dimension is not None:
            return list(self.bandas_dimension)
        return [b.model_copy(update={"requiere_minimo_por_dimension": None}) for b in self.puntaje_global.bandas]

    def nivel(self, level_id: str) -> Nivel:
        return next(n for n in self.niveles if n.id == level_id)

    def recomendaciones_de(self, dimension_id: str, level_id: str) -> list[Recomendacion]:
        return [r for r in self.recomendaciones if r.dimension == dimension_id and r.nivel == level_id]

    @property
    def clave(self) -> str:
        """``<id>-<version>``, the file stem."""
        return f"{self.id}-{self.version}"
