"""Record kinds: one declaration drives the table, the Table Schema, validation and the API.

Each :class:`RecordKind` lists its fields once. From it PADE derives the
SQLAlchemy table (``records.tables``), the published Frictionless Table Schema
(``schemas/<kind>.json``), the import validator and the JSON API payload. A
kind never changes silently: a change to a declaration needs a migration, and
``tests/integration/test_migrations.py`` fails when the two drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pade.core.i18n import t


class FieldType(StrEnum):
    string = "string"
    integer = "integer"
    number = "number"
    date = "date"
    year = "year"


class Check(StrEnum):
    """Semantic checks beyond the type, each with its own error code."""

    ruc = "ruc"  # valid RUC (stdnum.pe.ruc)
    ubigeo = "ubigeo"  # known INEI district/province/department code
    ciiu = "ciiu"  # known CIIU rev. 4 division
    programa = "programa"  # known intervention programme code
    curso = "curso"  # known course of that programme
    mercado = "mercado"  # known market id
    entidad = "entidad"  # known responsible entity (siglas)
    past_date = "past_date"  # a date that is not in the future
    variable = "variable"  # a reported variable of the programme


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    type: FieldType
    description: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    checks: tuple[Check, ...] = ()
    max_length: int | None = None
    minimum: float | None = None


class Subject(StrEnum):
    """What a record is about: a company (by RUC), a market, or nothing (aggregates)."""

    empresa = "empresa"
    mercado = "mercado"
    ninguno = "ninguno"


@dataclass(frozen=True, slots=True)
class RecordKind:
    name: str
    title: str
    description: str
    subject: Subject
    fields: tuple[FieldSpec, ...]
    key: tuple[str, ...]  # natural key: duplicates in a file, idempotent re-imports
    date_field: str | None = None  # the event date, used for periods (the start, for spans)
    end_field: str | None = None  # for spans (a store open from … to …): the end date, empty while open

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


# -- shared field declarations --------------------------------------------------

def _ruc() -> FieldSpec:
    return FieldSpec("ruc", FieldType.string, t("Company RUC (11 digits); spaces and dashes are ignored."),
                     required=True, checks=(Check.ruc,), max_length=20)


def _programa(required: bool = True) -> FieldSpec:
    return FieldSpec("programa", FieldType.string, t("Code of the intervention programme (see kind programa)."),
                     required=required, checks=(Check.programa,), max_length=40)


def _date(name: str, description: str, *, required: bool = True) -> FieldSpec:
    return FieldSpec(name, FieldType.date, description, required=required, checks=(Check.past_date,))


RESULTADOS = ("aprobado", "desaprobado", "retirado")
EXPORTADOR = ("exportadora", "con_potencial_exportador", "no_exportadora")
SEXO = ("femenino", "masculino", "no_informa")
TAMANO = ("micro", "pequena", "mediana", "grande")
ESTADO_REPORTE = ("presentado", "aprobado", "rechazado")


KINDS: tuple[RecordKind, ...] = (
    RecordKind(
        "empresa", t("Company"), t("A company of the registry, keyed by RUC, with its attributes at a date."),
        Subject.empresa,
        (
            _ruc(),
            FieldSpec("razon_social", FieldType.string, t("Business name."), required=True, max_length=300),
            FieldSpec("ubigeo", FieldType.string, t("INEI ubigeo of the fiscal address (6 digits)."),
                      checks=(Check.ubigeo,), max_length=6),
            FieldSpec("ciiu", FieldType.string, t("CIIU rev. 4 division (2 digits) of the main activity."),
                      checks=(Check.ciiu,), max_length=4),
            FieldSpec("ventas_anuales", FieldType.number, t("Declared annual sales in soles (derives the size class)."),
                      minimum=0),
            FieldSpec("anio_ventas", FieldType.year, t("Year of the declared sales.")),
            FieldSpec("tamano", FieldType.string, t("Size class as declared, when sales are not given."),
                      enum=TAMANO),
            FieldSpec("exportador", FieldType.string, t("Exporter status."), enum=EXPORTADOR),
            FieldSpec("sexo_titular", FieldType.string, t("Sex of the owner or manager (optional)."), enum=SEXO),
            _date("fecha", t("Date from which these attributes are valid.")),
        ),
        key=("ruc", "fecha"), date_field="fecha",
    ),
    RecordKind(
        "mercado", t("Market"), t("A food market (mercado de abasto) with its location."), Subject.mercado,
        (
            FieldSpec("mercado_id", FieldType.string, t("Market identifier (e.g. PRODUCE census code)."),
                      required=True, max_length=40),
            FieldSpec("nombre", FieldType.string, t("Market name."), required=True, max_length=300),
            FieldSpec("ubigeo", FieldType.string, t("INEI ubigeo of the market (6 digits)."), required=True,
                      checks=(Check.ubigeo,), max_length=6),
        ),
        key=("mercado_id",),
    ),
    RecordKind(
        "programa", t("Programme or course"),
        t("An intervention programme of a responsible entity, or one of its courses."), Subject.ninguno,
        (
            FieldSpec("programa", FieldType.string, t("Programme code."), required=True, max_length=40),
            FieldSpec("curso", FieldType.string, t("Course code (empty for the programme itself)."), max_length=40),
            FieldSpec("nombre", FieldType.string, t("Name."), required=True, max_length=300),
            FieldSpec("entidad", FieldType.string, t("Responsible entity (siglas)."), required=True,
                      checks=(Check.entidad,), max_length=20),
        ),
        key=("programa", "curso"),
    ),
    RecordKind(
        "inscripcion", t("Enrolment"), t("A company enrols in a training programme or course."), Subject.empresa,
        (_ruc(), _programa(),
         FieldSpec("curso", FieldType.string, t("Course code, if the enrolment is in a course."),
                   checks=(Check.curso,), max_length=40),
         _date("fecha_inscripcion", t("Enrolment date."))),
        key=("ruc", "programa", "curso", "fecha_inscripcion"), date_field="fecha_inscripcion",
    ),
    RecordKind(
        "culminacion", t("Completion"), t("A company finishes a training programme or course, with its outcome."),
        Subject.empresa,
        (_ruc(), _programa(),
         FieldSpec("curso", FieldType.string, t("Course code, if the completion is of a course."),
                   checks=(Check.curso,), max_length=40),
         _date("fecha_culminacion", t("Completion date.")),
         FieldSpec("resultado", FieldType.string, t("Outcome."), required=True, enum=RESULTADOS)),
        key=("ruc", "programa", "curso", "fecha_culminacion"), date_field="fecha_culminacion",
    ),
    RecordKind(
        "asistencia_tecnica", t("Technical assistance"), t("A company receives technical assistance, by type."),
        Subject.empresa,
        (_ruc(), _programa(),
         FieldSpec("tipo", FieldType.string, t("Type of assistance."), required=True,
                   enum=("datos", "transformacion_digital", "comercio_electronico", "otro")),
         _date("fecha", t("Date the assistance was given."))),
        key=("ruc", "programa", "tipo", "fecha"), date_field="fecha",
    ),
    RecordKind(
        "adopcion_servicio", t("Digital service adopted"), t("A company adopts a digital service."),
        Subject.empresa,
        (_ruc(),
         FieldSpec("tipo_servicio", FieldType.string, t("Type of digital service."), required=True,
                   enum=("pagos_digitales", "facturacion_electronica", "tienda_en_linea", "marketplace",
                         "gestion_erp", "crm", "nube", "marketing_digital", "ciberseguridad", "otro")),
         FieldSpec("proveedor", FieldType.string, t("Provider of the service."), max_length=200),
         _date("fecha", t("Adoption date."))),
        key=("ruc", "tipo_servicio", "fecha"), date_field="fecha",
    ),
    RecordKind(
        "pagina_web", t("Web page developed"), t("A company receives the development of its web page."),
        Subject.empresa,
        (_ruc(), _programa(required=False),
         FieldSpec("url", FieldType.string, t("Address of the page, if published."), max_length=500),
         _date("fecha", t("Delivery date."))),
        key=("ruc", "fecha"), date_field="fecha",
    ),
    RecordKind(
        "tienda_virtual", t("Virtual store on Perú Marketplace"), t("A company's store on Perú Marketplace."),
        Subject.empresa,
        (_ruc(),
         FieldSpec("tienda_id", FieldType.string, t("Store identifier on the platform."), required=True,
                   max_length=60),
         _date("fecha_apertura", t("Opening date.")),
         _date("fecha_cierre", t("Closing date (empty while open)."), required=False)),
        key=("tienda_id", "fecha_apertura"), date_field="fecha_apertura", end_field="fecha_cierre",
    ),
    RecordKind(
        "participacion_transfronteriza", t("Cross-border programme participation"),
        t("A company becomes a beneficiary of the cross-border e-commerce programme."), Subject.empresa,
        (_ruc(), _programa(), _date("fecha", t("Date of admission to the programme."))),
        key=("ruc", "programa", "fecha"), date_field="fecha",
    ),
    RecordKind(
        "venta_transfronteriza", t("Cross-border e-commerce sale"),
        t("Sales of a company through cross-border e-commerce in a period."), Subject.empresa,
        (_ruc(), _date("fecha", t("Date (or last day of the period) of the sales.")),
         FieldSpec("monto", FieldType.number, t("Amount sold."), required=True, minimum=0),
         FieldSpec("moneda", FieldType.string, t("ISO 4217 currency code."), required=True, enum=("PEN", "USD", "EUR")),
         FieldSpec("pais_destino", FieldType.string, t("ISO 3166-1 alpha-2 code of the destination country."),
                   max_length=2),
         FieldSpec("canal", FieldType.string, t("Channel of the sale."), enum=("marketplace", "tienda_propia",
                                                                             "redes_sociales", "otro"))),
        key=("ruc", "fecha", "pais_destino", "canal"), date_field="fecha",
    ),
    RecordKind(
        "mercado_plataforma", t("Market using a digital platform"),
        t("A market sells or distributes through a digital platform during a period."), Subject.mercado,
        (FieldSpec("mercado_id", FieldType.string, t("Market identifier."), required=True,
                   checks=(Check.mercado,), max_length=40),
         FieldSpec("plataforma", FieldType.string, t("Name of the digital platform."), required=True, max_length=200),
         _date("fecha_inicio", t("Date the market started using it.")),
         _date("fecha_fin", t("Date it stopped (empty while in use)."), required=False)),
        key=("mercado_id", "plataforma", "fecha_inicio"), date_field="fecha_inicio", end_field="fecha_fin",
    ),
    RecordKind(
        "diagnostico", t("Diagnosis taken"), t("A company completes a self-diagnosis questionnaire."),
        Subject.empresa,
        (_ruc(),
         FieldSpec("cuestionario", FieldType.string, t("Questionnaire id."), required=True, max_length=60),
         FieldSpec("version", FieldType.string, t("Questionnaire version."), required=True, max_length=20),
         _date("fecha", t("Submission date.")),
         FieldSpec("puntaje", FieldType.number, t("Overall score (0–100)."), required=True, minimum=0),
         FieldSpec("nivel", FieldType.string, t("Maturity level reached."), required=True,
                   enum=("inicial", "basico", "intermedio", "avanzado", "experto"))),
        key=("ruc", "cuestionario", "fecha"), date_field="fecha",
    ),
    RecordKind(
        "valor_reportado", t("Value reported by an entity"),
        t("A value an entity reports for a variable without microdata, with its evidence."), Subject.ninguno,
        (FieldSpec("variable", FieldType.string, t("Reported variable (see the list of reported variables)."),
                   required=True, checks=(Check.variable,), max_length=60),
         FieldSpec("entidad", FieldType.string, t("Reporting entity (siglas)."), required=True,
                   checks=(Check.entidad,), max_length=20),
         FieldSpec("periodo", FieldType.year, t("Year the value refers to."), required=True),
         FieldSpec("valor", FieldType.number, t("Reported value."), required=True, minimum=0),
         FieldSpec("evidencia", FieldType.string, t("Reference of the supporting document."), required=True,
                   max_length=500),
         FieldSpec("justificacion", FieldType.string, t("Justification or comment."), max_length=2000),
         FieldSpec("estado", FieldType.string, t("Review status."), enum=ESTADO_REPORTE)),
        key=("variable", "entidad", "periodo"),
    ),
)

KINDS_BY_NAME: dict[str, RecordKind] = {k.name: k for k in KINDS}


def kind(name: str) -> RecordKind:
    """The kind called ``name``.

    Raises:
        KeyError: no such kind.
    """
    return KINDS_BY_NAME[name]
