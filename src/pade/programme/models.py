"""The programme definition as frozen pydantic models.

The YAML in ``definitions/`` is validated against these models. Field names are
Spanish where they name a domain term of the programme (``catalizador``,
``eje``, ``meta``); see ``docs/glossary.md``.

Everything printed in the seed document is kept *as printed* (``*_impreso``
fields) beside the typed value PADE reads from it, so the published text is
never lost and PADE's reading can be audited against it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, model_validator


def _number_json(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# A number exactly as printed. Kept as Decimal in Python (no binary rounding of
# "0.2"), written as a plain JSON number on export.
Number = Annotated[Decimal, PlainSerializer(_number_json, return_type=int | float, when_used="json")]

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]


class Frozen(BaseModel):
    """Base for every definition model: immutable, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class CategoriaObservacion(StrEnum):
    """Kinds of inconsistency found in the published document."""

    numeracion = "numeracion"  # section, table or activity numbering
    formula = "formula"  # formula vs name, undefined terms
    unidades = "unidades"  # units printed inconsistently
    metas = "metas"  # targets or baseline
    nomenclatura = "nomenclatura"  # names that differ between places
    actores = "actores"  # entities, sub-units, target groups
    alcance = "alcance"  # scope, counts that do not match lists
    redaccion = "redaccion"  # typos that change the meaning


class Observacion(Frozen):
    """An inconsistency of the published document, recorded as found.

    ``interpretacion`` is the reading PADE applies (if any); ``decision`` names
    the file in ``docs/decisions/`` that argues for it.
    """

    id: Annotated[str, StringConstraints(pattern=r"^OBS-\d{2}$")]
    categoria: CategoriaObservacion
    descripcion: NonEmpty
    interpretacion: str | None = None
    decision: str | None = None


class Metadatos(Frozen):
    titulo: NonEmpty
    resolucion: NonEmpty
    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]
    fecha: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")]
    elaborado_por: NonEmpty
    objetivo: NonEmpty
    alcance: NonEmpty
    base_legal: list[NonEmpty]


class Horizonte(Frozen):
    """Years the programme covers. Targets must fall inside ``[anio_inicio, anio_fin]``."""

    anio_linea_base: int
    anio_inicio: int
    anio_fin: int
    hitos: list[int]
    fuente: NonEmpty  # where in the document these years come from, or the decision


class Definicion(Frozen):
    numero: Annotated[str, StringConstraints(pattern=r"^4\.\d+$")]
    termino: NonEmpty
    definicion: NonEmpty


class Catalizador(Frozen):
    id: Slug
    nombre: NonEmpty
    seccion: NonEmpty
    descripcion: NonEmpty
    observaciones: list[Observacion] = []


class Eje(Frozen):
    id: Slug
    nombre: NonEmpty
    seccion: NonEmpty
    descripcion: NonEmpty
    observaciones: list[Observacion] = []


class Principio(Frozen):
    numero: NonEmpty
    nombre: NonEmpty
    descripcion: NonEmpty


class SubUnidad(Frozen):
    siglas: NonEmpty
    nombre: str | None = None  # None where the document never expands the acronym


class Entidad(Frozen):
    siglas: NonEmpty
    nombre: NonEmpty
    subunidades: list[SubUnidad] = []
    observaciones: list[Observacion] = []


class Responsable(Frozen):
    entidad: NonEmpty  # Entidad.siglas
    subunidad: str | None = None  # SubUnidad.siglas


class Disponibilidad(StrEnum):
    """How a baseline or formula cell was printed."""

    valor = "valor"  # a value is printed
    no_disponible = "no_disponible"  # "N.D."
    no_aplica = "no_aplica"  # "N.A."
    vacio = "vacio"  # "-" or an empty cell


class LineaBase(Frozen):
    impreso: str  # exactly as printed, e.g. "31% al 2023 (promedio en base a 700 empresas)"
    disponibilidad: Disponibilidad
    valor: Number | None = None  # the number as printed (31 for "31%")
    anio: int | None = None  # only when the document prints it
    nota: str | None = None


class Meta(Frozen):
    anio: int
    impreso: NonEmpty  # exactly as printed, e.g. "1,000", "75%", "0.2"
    valor: Number  # the number as printed, without reinterpretation


class Variable(Frozen):
    simbolo: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]*$")]
    significado: NonEmpty


_SYMBOL = re.compile(r"(?<![A-Za-z0-9#])[A-Z]{1,3}(?![A-Za-z0-9.])")


class Formula(Frozen):
    """The calculation as printed.

    ``impreso`` is the cell text (typesetting artefacts of the conversion such as
    ``$`` and ``\\times`` normalised to ``x``). ``expresion`` is the symbolic part,
    when the document prints one, whose symbols must all be ``variables``.
    """

    impreso: NonEmpty
    disponibilidad: Disponibilidad = Disponibilidad.valor
    expresion: str | None = None
    variables: list[Variable] = []
    nota: str | None = None

    def simbolos(self) -> list[str]:
        """Variable symbols used in ``expresion`` (e.g. ``["MC", "MT"]``)."""
        if self.expresion is None:
            return []
        return list(dict.fromkeys(_SYMBOL.findall(self.expresion.replace("x 100", ""))))


class Unidad(StrEnum):
    numero = "numero"
    porcentaje = "porcentaje"


class Sentido(StrEnum):
    ascendente = "ascendente"
    descendente = "descendente"
    constante = "constante"


class Acumulacion(StrEnum):
    """How the indicator accumulates over time."""

    anual = "anual"  # counts what happened in the year
    acumulado = "acumulado"  # counts since the programme start
    stock = "stock"  # state at the end of the period (e.g. stores open on 31 December)


class FichaComplemento(Frozen):
    """Ficha fields CEPLAN asks for that the document does not print.

    Written by PADE, and shown as such on every ficha.
    """

    justificacion: NonEmpty
    limitaciones: NonEmpty
    fuente_datos: NonEmpty
    base_datos: NonEmpty
    parametro_medicion: NonEmpty


# -- how an indicator is computed (declarative; compiled by pade.indicators) ------------------


class Agregacion(StrEnum):
    contar = "contar"  # number of records
    contar_distintos = "contar_distintos"  # number of distinct subjects (companies by RUC, markets…)
    suma = "suma"
    promedio = "promedio"
    ultimo = "ultimo"  # reported values: the latest period's value


class Operador(StrEnum):
    igual = "="
    distinto = "!="
    en = "en"
    no_en = "no_en"
    mayor_igual = ">="
    menor_igual = "<="
    mayor = ">"
    menor = "<"
    nulo = "nulo"
    no_nulo = "no_nulo"


Scalar = str | int | float


class Filtro(Frozen):
    campo: NonEmpty
    op: Operador = Operador.igual
    valor: Scalar | list[Scalar] | None = None


class AlMenos(Frozen):
    """Subjects with at least ``n`` distinct values of ``campo`` (e.g. two service types)."""

    campo: NonEmpty
    n: Annotated[int, Field(ge=1)]


class Transicion(Frozen):
    """Subjects whose record reaches ``hacia`` (or above, in ``orden``) after an earlier one below it."""

    campo: NonEmpty
    orden: Annotated[list[NonEmpty], Field(min_length=2)]
    hacia: NonEmpty


class Medida(Frozen):
    """One variable of a formula: an aggregate over a record kind, or a reported value."""

    registro: str | None = None  # record kind (pade.records.kinds)
    reportado: str | None = None  # Programa.variables_reportadas codigo
    agregacion: Agregacion = Agregacion.contar_distintos
    campo: str | None = None  # field summed/averaged; distinct counts default to the subject key
    filtros: list[Filtro] = []
    empresa: list[Filtro] = []  # on company attributes valid in the period (tamano, exportador, …)
    al_menos: AlMenos | None = None
    con_registro_en: str | None = None  # the subject must also have a record of this kind by the period end
    transicion: Transicion | None = None
    ultimo_por_sujeto: bool = False  # use only each subject's latest record in the period
    acumulacion: Acumulacion | None = None  # default: the indicator's
    desde: int | None = None  # first year of a cumulative count (default: the baseline year)
    descripcion: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Medida:
        if (self.registro is None) == (self.reportado is None):
            raise ValueError("una medida declara exactamente uno de «registro» o «reportado»")
        return self


class Calculo(Frozen):
    """How PADE computes an indicator: named measures combined by a formula.

    ``meta_escala`` multiplies the printed targets before comparing (e.g. 100 when a
    percentage target is printed as a fraction, 0.2 → 20 %): the one-line switch for
    the document's ambiguous targets. ``numerador``/``denominador`` name the measures
    stored as numerator and denominator of every value (ratio-of-sums).
    """

    medidas: dict[str, Medida]
    formula: NonEmpty
    numerador: str | None = None
    denominador: str | None = None
    meta_escala: float = 1.0
    decision: str | None = None  # docs/decisions file arguing the reading

    @model_validator(mode="after")
    def _formula_parses(self) -> Calculo:
        from pade.programme.formula import parse

        symbols = set(self.medidas)
        parse(self.formula, where="formula", variables=symbols)
        for name in (self.numerador, self.denominador):
            if name is not None and name not in symbols:
                raise ValueError(f"«{name}» no es una medida (medidas: {', '.join(sorted(symbols))})")
        return self


class Indicador(Frozen):
    id: Annotated[str, StringConstraints(pattern=r"^OE\d\.AE\d\.\d\.A\d{2}\.I\d$")]
    codigo: Annotated[str, StringConstraints(pattern=r"^OE\d-\d{2}(\.\d)?$")]
    nombre: NonEmpty
    formula: Formula
    linea_base: LineaBase
    metas: list[Meta]
    responsables: Annotated[list[Responsable], Field(min_length=1)]
    responsable_impreso: NonEmpty
    unidad: Unidad
    sentido_esperado: Sentido
    acumulacion: Acumulacion
    ficha: FichaComplemento
    calculo: Calculo | None = None
    observaciones: list[Observacion] = []


class Actividad(Frozen):
    id: Annotated[str, StringConstraints(pattern=r"^OE\d\.AE\d\.\d\.A\d{2}$")]
    numero: int  # PADE's number; equals the printed one where one is printed
    numero_impreso: str | None  # None when the document prints no number
    necesidad: NonEmpty
    publico_objetivo: NonEmpty
    actividad: NonEmpty
    catalizadores: Annotated[list[Slug], Field(min_length=1)]
    catalizador_impreso: NonEmpty
    indicadores: Annotated[list[Indicador], Field(min_length=1)]
    observaciones: list[Observacion] = []


class AccionEstrategica(Frozen):
    id: Annotated[str, StringConstraints(pattern=r"^OE\d\.AE\d\.\d$")]
    numero: NonEmpty  # "1.1"
    nombre: NonEmpty
    actividades: list[Actividad]
    observaciones: list[Observacion] = []


class ObjetivoEstrategico(Frozen):
    id: Annotated[str, StringConstraints(pattern=r"^OE\d$")]
    eje: Slug
    nombre: NonEmpty
    enunciado: NonEmpty
    alcance: NonEmpty
    seccion: NonEmpty
    acciones: list[AccionEstrategica] = []
    observaciones: list[Observacion] = []


class Fase(Frozen):
    numero: int
    nombre: NonEmpty
    objetivos: list[str]  # ObjetivoEstrategico.id
    alcance: NonEmpty
    actores: list[NonEmpty]
    lineamientos: list[str] = []  # PNTD guideline codes, e.g. "2.3"
    servicios: list[str] = []  # PNTD service codes, e.g. "S2.3.1"


class LineamientoPNTD(Frozen):
    codigo: str | None  # printed only for 2.1 and 2.3
    eje: Slug
    texto: NonEmpty


class IndicadorServicio(Frozen):
    tipo: Annotated[str, StringConstraints(pattern=r"^(calidad|cobertura)$")]
    nombre: NonEmpty
    vinculo: NonEmpty


class Seguimiento(Frozen):
    responsable: NonEmpty
    marco: NonEmpty
    servicio_pntd: NonEmpty
    indicadores_servicio: list[IndicadorServicio]
    organo_reporte: NonEmpty
    periodicidad_reporte: NonEmpty
    ciclo_revision_anios: int
    texto: list[NonEmpty]
    observaciones: list[Observacion] = []


class TextoSeccion(Frozen):
    """An introductory paragraph of a section that belongs to no single element."""

    seccion: NonEmpty  # as printed
    titulo: NonEmpty
    texto: NonEmpty


class VariableReportada(Frozen):
    """A value an entity reports because no microdata exists for it (counts of programmes,
    studies, actions) or because it is a denominator from outside PADE (e.g. the MIPYME total
    according to PRODUCE). Defined by PADE: the document names the quantity, not the variable.
    """

    codigo: Slug
    descripcion: NonEmpty
    unidad: Unidad
    entidades: Annotated[list[NonEmpty], Field(min_length=1)]  # Entidad.siglas allowed to report it
    indicadores: Annotated[list[NonEmpty], Field(min_length=1)]  # Indicador.codigo that use it


class Programa(Frozen):
    """The whole programme definition (one version)."""

    metadatos: Metadatos
    horizonte: Horizonte
    definiciones: list[Definicion]
    modelo_conceptual: NonEmpty
    catalizadores: list[Catalizador]
    ejes: list[Eje]
    vision: NonEmpty
    vision_contexto: NonEmpty
    principios: list[Principio]
    objetivos: list[ObjetivoEstrategico]
    fases: list[Fase]
    lineamientos_pntd: list[LineamientoPNTD]
    entidades: list[Entidad]
    seguimiento: Seguimiento
    textos_introductorios: list[TextoSeccion] = []
    variables_reportadas: list[VariableReportada] = []
    observaciones: list[Observacion] = []  # about the document as a whole

    # -- navigation helpers -------------------------------------------------
    def acciones(self) -> Iterator[AccionEstrategica]:
        for oe in self.objetivos:
            yield from oe.acciones

    def actividades(self) -> Iterator[Actividad]:
        for ae in self.acciones():
            yield from ae.actividades

    def indicadores(self) -> Iterator[Indicador]:
        for act in self.actividades():
            yield from act.indicadores

    def indicador(self, ident: str) -> Indicador:
        """Find an indicator by ``id`` or ``codigo``.

        Raises:
            KeyError: no indicator has that id or code.
        """
        for ind in self.indicadores():
            if ident in (ind.id, ind.codigo):
                return ind
        raise KeyError(ident)

    def actividad_de(self, indicador_id: str) -> Actividad:
        for act in self.actividades():
            if any(i.id == indicador_id for i in act.indicadores):
                return act
        raise KeyError(indicador_id)

    def observaciones_todas(self) -> Iterator[tuple[str, Observacion]]:
        """Every observación with the id of the element it is attached to."""
        for obs in self.observaciones:
            yield "programa", obs
        for c in self.catalizadores:
            for obs in c.observaciones:
                yield f"catalizador:{c.id}", obs
        for e in self.ejes:
            for obs in e.observaciones:
                yield f"eje:{e.id}", obs
        for ent in self.entidades:
            for obs in ent.observaciones:
                yield f"entidad:{ent.siglas}", obs
        for oe in self.objetivos:
            for obs in oe.observaciones:
                yield oe.id, obs
            for ae in oe.acciones:
                for obs in ae.observaciones:
                    yield ae.id, obs
                for act in ae.actividades:
                    for obs in act.observaciones:
                        yield act.id, obs
                    for ind in act.indicadores:
                        for obs in ind.observaciones:
                            yield ind.id, obs
        for obs in self.seguimiento.observaciones:
            yield "seguimiento", obs
