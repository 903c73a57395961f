"""Independent check of the programme YAML against the seed document.

Every expected value below was typed by hand from chapter 8 of the published
programme (RSGTD 005-2024-PCM-SGTD, "8. Desarrollo de la primera Fase": the
operationalisation matrices of OE1 and OE2), NOT copied from
``pade-1.0.0.yaml``. A failure here means the YAML and the printed document
disagree; the parametrize id names the indicator (its ``codigo``) or activity.

Conventions (fixed by the project):

* ``linea_base.impreso`` / ``meta.impreso``: the cell text exactly as printed.
* ``linea_base.valor`` / ``meta.valor``: the printed number, not reinterpreted
  ("75%" -> 75, "1,000" -> 1000, "0.2" -> 0.2); ``None`` for "N.D.", "N.A.", "-".
* ``linea_base.anio``: only where the cell prints a year.
* ``metas``: one entry per printed cell; empty cells have no entry.
* ``responsables``: (entidad, subunidad) in the order printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from pade.programme.loader import load_programme
from pade.programme.models import Actividad, Disponibilidad, Programa

D = Decimal


@pytest.fixture(scope="module")
def programa() -> Programa:
    return load_programme()


# ---------------------------------------------------------------------------
# Indicators: one row per printed indicator (19)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicadorEsperado:
    codigo: str
    id: str
    nombre: str
    linea_base: str  # printed cell
    linea_base_valor: Decimal | None
    linea_base_anio: int | None
    metas: dict[int, tuple[str, Decimal]]  # year -> (printed cell, value)
    responsable: str  # printed cell
    responsables: tuple[tuple[str, str | None], ...]


INDICADORES: list[IndicadorEsperado] = [
    # ---- OE1, Acción Estratégica 1.1 -------------------------------------
    IndicadorEsperado(
        codigo="OE1-01",
        id="OE1.AE1.1.A01.I1",
        nombre="Empresas que exponen en la plataforma.",
        linea_base="950",
        linea_base_valor=D("950"),
        linea_base_anio=None,
        metas={2026: ("1250", D("1250")), 2028: ("1350", D("1350")), 2030: ("1450", D("1450"))},
        responsable="PROMPERÚ",
        responsables=(("PROMPERÚ", None),),
    ),
    IndicadorEsperado(
        codigo="OE1-02.1",
        id="OE1.AE1.1.A02.I1",
        nombre="Porcentaje de empresas capacitadas",
        linea_base="30%",
        linea_base_valor=D("30"),
        linea_base_anio=None,
        metas={2026: ("40%", D("40")), 2028: ("55%", D("55")), 2030: ("75%", D("75"))},
        responsable="PROMPERÚ",
        responsables=(("PROMPERÚ", None),),
    ),
    IndicadorEsperado(
        codigo="OE1-02.2",
        id="OE1.AE1.1.A02.I2",
        nombre=(
            "Porcentaje de empresas beneficiarias del Programa que realizan ventas "
            "por comercio electrónico transfronterizo."
        ),
        linea_base="3%",
        linea_base_valor=D("3"),
        linea_base_anio=None,
        metas={2026: ("7%", D("7")), 2028: ("11%", D("11")), 2030: ("15%", D("15"))},
        responsable="PROMPERÚ",
        responsables=(("PROMPERÚ", None),),
    ),
    IndicadorEsperado(
        codigo="OE1-03.1",
        id="OE1.AE1.1.A03.I1",
        nombre="Test crosborder ecommerce desarrollado.",  # "crosborder" sic
        linea_base="N.D.",
        linea_base_valor=None,
        linea_base_anio=None,
        metas={2026: ("1", D("1"))},  # 2028 and 2030 cells are empty
        responsable="MINCETUR (DGPDCE) / PROMPERÚ",
        responsables=(("MINCETUR", "DGPDCE"), ("PROMPERÚ", None)),
    ),
    IndicadorEsperado(
        codigo="OE1-03.2",
        id="OE1.AE1.1.A03.I2",
        nombre="Número de empresas diagnosticadas.",
        linea_base="N.D.",
        linea_base_valor=None,
        linea_base_anio=None,
        metas={2026: ("600", D("600")), 2028: ("1200", D("1200")), 2030: ("1800", D("1800"))},
        responsable="PROMPERÚ",
        responsables=(("PROMPERÚ", None),),
    ),
    IndicadorEsperado(
        codigo="OE1-04",
        id="OE1.AE1.1.A04.I1",
        nombre=(
            "Número de acciones de sensibilización para promover aplicación de mecanismos "
            "para la seguridad digital a nivel empresarial y en el marco de las "
            "transacciones privadas."
        ),
        linea_base="1",
        linea_base_valor=D("1"),
        linea_base_anio=None,
        metas={2026: ("1", D("1")), 2028: ("1", D("1")), 2030: ("1", D("1"))},
        responsable="MINCETUR (DAM)",
        responsables=(("MINCETUR", "DAM"),),
    ),
    IndicadorEsperado(
        codigo="OE1-05",
        id="OE1.AE1.1.A05.I1",
        nombre="Porcentaje de MIPYME capacitadas con éxitos de manera anual",
        linea_base="N.A.",
        linea_base_valor=None,
        linea_base_anio=None,
        # printed "50", "65" (no % sign) and "75%"
        metas={2026: ("50", D("50")), 2028: ("65", D("65")), 2030: ("75%", D("75"))},
        responsable="PRODUCE",
        responsables=(("PRODUCE", None),),
    ),
    IndicadorEsperado(
        codigo="OE1-06",
        id="OE1.AE1.1.A06.I1",
        # printed across a page break: "Porcentaje de MYPE" / "capacitadas con éxitos."
        nombre="Porcentaje de MYPE capacitadas con éxitos.",
        linea_base="N.D.",
        linea_base_valor=None,
        linea_base_anio=None,
        metas={2026: ("60%", D("60")), 2028: ("70%", D("70")), 2030: ("80%", D("80"))},
        responsable="PRODUCE",
        responsables=(("PRODUCE", None),),
    ),
    IndicadorEsperado(
        codigo="OE1-07",
        id="OE1.AE1.1.A07.I1",
        nombre="Porcentaje de mercados de abasto que utilicen al menos una plataforma digital",
        linea_base="6%",
        linea_base_valor=D("6"),
        linea_base_anio=None,
        metas={2026: ("15%", D("15")), 2028: ("30%", D("30")), 2030: ("45%", D("45"))},
        responsable="PRODUCE",
        responsables=(("PRODUCE", None),),
    ),
    # ---- OE1, Acción Estratégica 1.2 -------------------------------------
    IndicadorEsperado(
        codigo="OE1-08",
        id="OE1.AE1.2.A08.I1",
        nombre="Número de MIPYMES que adoptan al menos un servicio digital",
        linea_base="154",
        linea_base_valor=D("154"),
        linea_base_anio=None,
        metas={2026: ("600", D("600")), 2028: ("1,000", D("1000")), 2030: ("3,000", D("3000"))},
        responsable="PRODUCE",
        responsables=(("PRODUCE", None),),
    ),
    # ---- OE2, Acción Estratégica 2.1 -------------------------------------
    IndicadorEsperado(
        codigo="OE2-01",
        id="OE2.AE2.1.A01.I1",
        nombre="Porcentaje de investigaciones realizada al año",
        linea_base="-",
        linea_base_valor=None,
        linea_base_anio=None,
        metas={2026: ("0.2", D("0.2")), 2028: ("0.3", D("0.3")), 2030: ("0.6", D("0.6"))},
        responsable="PCM-SGTD",
        responsables=(("PCM-SGTD", None),),
    ),
    IndicadorEsperado(
        codigo="OE2-02",
        id="OE2.AE2.1.A02.I1",
        nombre="Porcentaje de asistencia técnica realizadas al año.",
        linea_base="-",
        linea_base_valor=None,
        linea_base_anio=None,
        metas={2026: ("0.2", D("0.2")), 2028: ("0.3", D("0.3")), 2030: ("0.6", D("0.6"))},
        responsable="PCM-SGTD",
        responsables=(("PCM-SGTD", None),),
    ),
    # ---- OE2, Acción Estratégica 2.2 -------------------------------------
    IndicadorEsperado(
        codigo="OE2-03",
        id="OE2.AE2.2.A03.I1",
        nombre="Número de empresas capacitadas.",
        linea_base="100",
        linea_base_valor=D("100"),
        linea_base_anio=None,
        metas={2026: ("100", D("100")), 2028: ("100", D("100")), 2030: ("100", D("100"))},
        responsable="MINCETUR (VUCE)",
        responsables=(("MINCETUR", "VUCE"),),
    ),
    IndicadorEsperado(
        codigo="OE2-04",
        id="OE2.AE2.2.A04.I1",
        nombre="Número de empresas asistidas.",
        linea_base="18 (2023)",
        linea_base_valor=D("18"),
        linea_base_anio=2023,
        metas={2026: ("40", D("40")), 2028: ("50", D("50")), 2030: ("60", D("60"))},
        responsable="MINCETUR (DDCOE)",
        responsables=(("MINCETUR", "DDCOE"),),
    ),
    IndicadorEsperado(
        codigo="OE2-05",
        id="OE2.AE2.2.A05.I1",
        nombre="Porcentaje de empresas asistidas.",
        linea_base="13%",
        linea_base_valor=D("13"),
        linea_base_anio=None,
        metas={2026: ("18%", D("18")), 2028: ("21%", D("21")), 2030: ("25%", D("25"))},
        responsable="PROMPERÚ",
        responsables=(("PROMPERÚ", None),),
    ),
    IndicadorEsperado(
        codigo="OE2-06",
        id="OE2.AE2.2.A06.I1",
        nombre="Índice de madurez digital promedio.",
        linea_base="31% al 2023 (promedio en base a 700 empresas)",
        linea_base_valor=D("31"),
        linea_base_anio=2023,
        metas={2026: ("35%", D("35")), 2028: ("38%", D("38")), 2030: ("40%", D("40"))},
        responsable="PROMPERÚ",
        responsables=(("PROMPERÚ", None),),
    ),
    IndicadorEsperado(
        codigo="OE2-07",
        id="OE2.AE2.2.A07.I1",
        nombre="Número de programas implementados",
        linea_base="N.D.",
        linea_base_valor=None,
        linea_base_anio=None,
        metas={2026: ("8", D("8")), 2028: ("12", D("12")), 2030: ("15", D("15"))},
        responsable="PRODUCE",
        responsables=(("PRODUCE", None),),
    ),
    IndicadorEsperado(
        codigo="OE2-08",
        id="OE2.AE2.2.A08.I1",
        nombre="Número de instrumentos aprobados",
        linea_base="3",
        linea_base_valor=D("3"),
        linea_base_anio=None,
        metas={2026: ("6", D("6")), 2028: ("12", D("12")), 2030: ("18", D("18"))},
        responsable="PRODUCE",
        responsables=(("PRODUCE", None),),
    ),
    IndicadorEsperado(
        codigo="OE2-09",
        id="OE2.AE2.2.A09.I1",
        nombre="Número de empresas que transitan al nivel de madurez avanzado",
        linea_base="80",
        linea_base_valor=D("80"),
        linea_base_anio=None,
        metas={2026: ("200", D("200")), 2028: ("400", D("400")), 2030: ("800", D("800"))},
        responsable="PNTE / PRODUCE",
        responsables=(("PNTE", None), ("PRODUCE", None)),
    ),
]

POR_INDICADOR = pytest.mark.parametrize("esp", INDICADORES, ids=[e.codigo for e in INDICADORES])

# How a baseline cell without a number is printed.
DISPONIBILIDAD_IMPRESA = {
    "N.D.": Disponibilidad.no_disponible,
    "N.A.": Disponibilidad.no_aplica,
    "-": Disponibilidad.vacio,
}


@POR_INDICADOR
def test_id_y_codigo(programa: Programa, esp: IndicadorEsperado) -> None:
    assert programa.indicador(esp.codigo).id == esp.id
    assert programa.indicador(esp.id).codigo == esp.codigo


@POR_INDICADOR
def test_nombre(programa: Programa, esp: IndicadorEsperado) -> None:
    assert programa.indicador(esp.id).nombre == esp.nombre


@POR_INDICADOR
def test_linea_base(programa: Programa, esp: IndicadorEsperado) -> None:
    lb = programa.indicador(esp.id).linea_base
    assert lb.impreso == esp.linea_base
    assert lb.valor == esp.linea_base_valor
    assert lb.anio == esp.linea_base_anio
    esperada = DISPONIBILIDAD_IMPRESA.get(esp.linea_base, Disponibilidad.valor)
    assert lb.disponibilidad == esperada


@POR_INDICADOR
def test_metas(programa: Programa, esp: IndicadorEsperado) -> None:
    metas = programa.indicador(esp.id).metas
    anios = [m.anio for m in metas]
    assert len(anios) == len(set(anios)), f"repeated target year in {anios}"
    assert sorted(anios) == sorted(esp.metas), "target years differ from the printed cells"
    for m in metas:
        impreso, valor = esp.metas[m.anio]
        assert m.impreso == impreso, f"meta {m.anio}"
        assert m.valor == valor, f"meta {m.anio}"


@POR_INDICADOR
def test_responsables(programa: Programa, esp: IndicadorEsperado) -> None:
    ind = programa.indicador(esp.id)
    assert ind.responsable_impreso == esp.responsable
    assert [(r.entidad, r.subunidad) for r in ind.responsables] == list(esp.responsables)


def test_no_hay_otros_indicadores(programa: Programa) -> None:
    assert [i.codigo for i in programa.indicadores()] == [e.codigo for e in INDICADORES]


# ---------------------------------------------------------------------------
# Activities (17)
# ---------------------------------------------------------------------------

CD = "competencias_digitales"
TDD = "tecnologias_digitales_y_datos"
SD = "seguridad_digital"


@dataclass(frozen=True)
class ActividadEsperada:
    id: str
    numero: int
    numero_impreso: str | None  # as printed in the N° column
    catalizadores: tuple[str, ...]
    n_indicadores: int


ACTIVIDADES: list[ActividadEsperada] = [
    # OE1, AE1.1
    ActividadEsperada("OE1.AE1.1.A01", 1, "01", (CD,), 1),
    ActividadEsperada("OE1.AE1.1.A02", 2, None, (CD,), 2),  # printed without a number
    ActividadEsperada("OE1.AE1.1.A03", 3, "03", (CD,), 2),
    ActividadEsperada("OE1.AE1.1.A04", 4, "04", (SD,), 1),
    ActividadEsperada("OE1.AE1.1.A05", 5, "05", (TDD,), 1),
    ActividadEsperada("OE1.AE1.1.A06", 6, "06", (CD,), 1),
    ActividadEsperada("OE1.AE1.1.A07", 7, "07", (TDD,), 1),
    # OE1, AE1.2
    ActividadEsperada("OE1.AE1.2.A08", 8, "08", (TDD,), 1),
    # OE2, AE2.1
    ActividadEsperada("OE2.AE2.1.A01", 1, "01", (CD,), 1),
    ActividadEsperada("OE2.AE2.1.A02", 2, "02", (CD,), 1),
    # OE2, AE2.2
    ActividadEsperada("OE2.AE2.2.A03", 3, "03", (CD,), 1),
    # "Tecnologías digitales y datos / Competencias digitales"
    ActividadEsperada("OE2.AE2.2.A04", 4, "04", (TDD, CD), 1),
    ActividadEsperada("OE2.AE2.2.A05", 5, "05", (TDD, CD), 1),
    ActividadEsperada("OE2.AE2.2.A06", 6, "06", (CD,), 1),
    ActividadEsperada("OE2.AE2.2.A07", 7, "07", (CD,), 1),
    ActividadEsperada("OE2.AE2.2.A08", 8, "08", (CD,), 1),
    ActividadEsperada("OE2.AE2.2.A09", 9, "09", (TDD,), 1),
]

POR_ACTIVIDAD = pytest.mark.parametrize("esp", ACTIVIDADES, ids=[a.id for a in ACTIVIDADES])


def _actividad(programa: Programa, ident: str) -> Actividad:
    for act in programa.actividades():
        if act.id == ident:
            return act
    raise KeyError(ident)


@POR_ACTIVIDAD
def test_actividad_numero(programa: Programa, esp: ActividadEsperada) -> None:
    act = _actividad(programa, esp.id)
    assert act.numero == esp.numero
    assert act.numero_impreso == esp.numero_impreso


@POR_ACTIVIDAD
def test_actividad_catalizadores(programa: Programa, esp: ActividadEsperada) -> None:
    act = _actividad(programa, esp.id)
    assert sorted(act.catalizadores) == sorted(esp.catalizadores)


@POR_ACTIVIDAD
def test_actividad_indicadores(programa: Programa, esp: ActividadEsperada) -> None:
    act = _actividad(programa, esp.id)
    assert len(act.indicadores) == esp.n_indicadores
    esperados = [f"{esp.id}.I{n}" for n in range(1, esp.n_indicadores + 1)]
    assert [i.id for i in act.indicadores] == esperados


# ---------------------------------------------------------------------------
# Strategic actions and their activities
# ---------------------------------------------------------------------------

ACCIONES: dict[str, list[str]] = {
    "OE1.AE1.1": [f"OE1.AE1.1.A{n:02d}" for n in range(1, 8)],
    "OE1.AE1.2": ["OE1.AE1.2.A08"],
    "OE2.AE2.1": ["OE2.AE2.1.A01", "OE2.AE2.1.A02"],
    "OE2.AE2.2": [f"OE2.AE2.2.A{n:02d}" for n in range(3, 10)],
}


@pytest.mark.parametrize("accion_id", list(ACCIONES))
def test_accion_actividades(programa: Programa, accion_id: str) -> None:
    accion = next(ae for ae in programa.acciones() if ae.id == accion_id)
    assert [a.id for a in accion.actividades] == ACCIONES[accion_id]


def test_acciones_por_objetivo(programa: Programa) -> None:
    assert {oe.id: [ae.id for ae in oe.acciones] for oe in programa.objetivos} == {
        "OE1": ["OE1.AE1.1", "OE1.AE1.2"],
        "OE2": ["OE2.AE2.1", "OE2.AE2.2"],
        "OE3": [],
        "OE4": [],
    }


# ---------------------------------------------------------------------------
# Totals
# ---------------------------------------------------------------------------

TOTALES = {
    "objetivos": 4,
    "catalizadores": 5,
    "ejes": 4,
    "definiciones": 16,
    "principios": 5,
    "fases": 2,
    "indicadores": 19,
    "actividades": 17,
    "acciones": 4,
}


def _contar(programa: Programa, que: str) -> int:
    if que == "indicadores":
        return len(list(programa.indicadores()))
    if que == "actividades":
        return len(list(programa.actividades()))
    if que == "acciones":
        return len(list(programa.acciones()))
    return len(getattr(programa, que))


@pytest.mark.parametrize(("que", "total"), list(TOTALES.items()), ids=list(TOTALES))
def test_totales(programa: Programa, que: str, total: int) -> None:
    assert _contar(programa, que) == total


def test_ids_de_catalizadores(programa: Programa) -> None:
    assert {c.id for c in programa.catalizadores} == {
        "conectividad_digital",
        "competencias_digitales",
        "tecnologias_digitales_y_datos",
        "seguridad_digital",
        "marco_regulatorio",
    }
