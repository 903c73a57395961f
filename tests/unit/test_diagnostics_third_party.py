"""A questionnaire written by someone else, in YAML alone, is validated and scored as its author intends.

The author (a hypothetical agro-export guild) brings a points-based checklist: areas
that add points (``suma``), thresholds that depend on the sector's digital intensity
and on the company size, a certification area that may not apply at all, and level
bands taken from their spreadsheet with uneven edges (0–24.9 / 25–54.99 / 55–100).
Nothing here is PADE code: only the YAML below.
"""

from __future__ import annotations

from typing import Any

import pytest

from pade.core.errors import InvalidDefinition
from pade.diagnostics.batch import answers_to_table, score_batch
from pade.diagnostics.loader import parse_questionnaire
from pade.diagnostics.models import Cuestionario
from pade.diagnostics.plan import band_of, compile_plan
from pade.diagnostics.scoring import CompanyContext, score

AGRO = """\
id: agroexporta_digital
version: 0.3.0
titulo: Chequeo digital agroexportador
descripcion: Lista de verificación del gremio para sus socios agroexportadores.
niveles:
  - {id: bajo, nombre: Bajo}
  - {id: medio, nombre: Medio}
  - {id: alto, nombre: Alto}
dimensiones:
  - {id: canales, nombre: Canales de venta, descripcion: Canales digitales y ventas en línea, modo: suma, maximo: 20}
  - {id: gestion, nombre: Gestión, descripcion: Procesos y equipo, modo: suma, maximo: 12}
  - {id: certificacion, nombre: Certificación, descripcion: Certificaciones con trazabilidad digital,
     modo: suma, maximo: 8}
puntaje_global:
  modo: suma_reescalada
  # The spreadsheet says 0–24.9, 25–54.99 and 55–100; each upper edge is included, each lower one excluded.
  bandas:
    - {nivel: bajo, desde: 0, desde_incluido: true, hasta: 24.9, hasta_incluido: true}
    - {nivel: medio, desde: 24.9, desde_incluido: false, hasta: 54.99, hasta_incluido: true}
    - {nivel: alto, desde: 54.99, desde_incluido: false, hasta: 100, hasta_incluido: true}
bandas_dimension:
  - {nivel: bajo, desde: 0, desde_incluido: true, hasta: 40, hasta_incluido: false}
  - {nivel: medio, desde: 40, desde_incluido: true, hasta: 75, hasta_incluido: false}
  - {nivel: alto, desde: 75, desde_incluido: true, hasta: 100, hasta_incluido: true}
intensidad_digital_por_seccion: {A: baja, C: media, G: media, J: alta}
preguntas:
  - id: c1
    dimension: canales
    tipo: opcion_multiple
    texto: ¿Dónde vende en línea?
    tope: 8
    opciones:
      - {id: web, texto: Web propia, puntaje: 2}
      - {id: marketplace, texto: Marketplace, puntaje: 4}
      - {id: redes, texto: Redes sociales, puntaje: 1}
      - {id: whatsapp, texto: WhatsApp, puntaje: 1}
      - {id: ninguno, texto: En ningún canal, puntaje: 0, excluyente: true}
  - id: c2
    dimension: canales
    tipo: porcentaje
    peso: 2
    texto: ¿Qué parte de sus ventas es en línea?
    umbrales_por:
      atributo: intensidad_digital_sector
      por_defecto: media
      valores:
        baja:
          - {desde: 0, desde_incluido: true, hasta: 2, hasta_incluido: false, puntaje: 0}
          - {desde: 2, desde_incluido: true, hasta: 10, hasta_incluido: false, puntaje: 1}
          - {desde: 10, desde_incluido: true, hasta: 30, hasta_incluido: false, puntaje: 2}
          - {desde: 30, desde_incluido: true, hasta: 100, hasta_incluido: true, puntaje: 3}
        media:
          - {desde: 0, desde_incluido: true, hasta: 5, hasta_incluido: false, puntaje: 0}
          - {desde: 5, desde_incluido: true, hasta: 20, hasta_incluido: false, puntaje: 1}
          - {desde: 20, desde_incluido: true, hasta: 50, hasta_incluido: false, puntaje: 2}
          - {desde: 50, desde_incluido: true, hasta: 100, hasta_incluido: true, puntaje: 3}
        alta:
          - {desde: 0, desde_incluido: true, hasta: 10, hasta_incluido: false, puntaje: 0}
          - {desde: 10, desde_incluido: true, hasta: 40, hasta_incluido: false, puntaje: 1}
          - {desde: 40, desde_incluido: true, hasta: 70, hasta_incluido: false, puntaje: 2}
          - {desde: 70, desde_incluido: true, hasta: 100, hasta_incluido: true, puntaje: 3}
  - id: c3
    dimension: canales
    tipo: opcion_unica
    texto: ¿Cobra en línea?
    mostrar_si: {pregunta: c1, no_en: [ninguno]}
    opciones:
      - {id: "no", texto: "No", puntaje: 0}
      - {id: parcial, texto: A veces, puntaje: 3}
      - {id: integrado, texto: Siempre, puntaje: 6}
  - id: g1
    dimension: gestion
    tipo: matriz_si_parcial_no
    peso: 1.5
    agregacion: suma
    texto: ¿Qué procesos lleva en forma digital?
    items:
      - {id: inventario, texto: Inventario}
      - {id: pedidos, texto: Pedidos}
      - {id: facturacion, texto: Facturación}
      - {id: trazabilidad, texto: Trazabilidad del lote}
  - id: g2
    dimension: gestion
    tipo: numero
    entero: true
    texto: ¿Cuántas personas se capacitaron en herramientas digitales este año?
    umbrales_por:
      atributo: tamano
      por_defecto: micro
      valores:
        micro:
          - {desde: 0, desde_incluido: true, hasta: 1, hasta_incluido: false, puntaje: 0}
          - {desde: 1, desde_incluido: true, hasta: 2, hasta_incluido: false, puntaje: 3}
          - {desde: 2, desde_incluido: true, hasta: null, hasta_incluido: false, puntaje: 6}
        pequena:
          - {desde: 0, desde_incluido: true, hasta: 2, hasta_incluido: false, puntaje: 0}
          - {desde: 2, desde_incluido: true, hasta: 5, hasta_incluido: false, puntaje: 3}
          - {desde: 5, desde_incluido: true, hasta: null, hasta_incluido: false, puntaje: 6}
        mediana:
          - {desde: 0, desde_incluido: true, hasta: 5, hasta_incluido: false, puntaje: 0}
          - {desde: 5, desde_incluido: true, hasta: 10, hasta_incluido: false, puntaje: 3}
          - {desde: 10, desde_incluido: true, hasta: null, hasta_incluido: false, puntaje: 6}
        grande:
          - {desde: 0, desde_incluido: true, hasta: 10, hasta_incluido: false, puntaje: 0}
          - {desde: 10, desde_incluido: true, hasta: 25, hasta_incluido: false, puntaje: 3}
          - {desde: 25, desde_incluido: true, hasta: null, hasta_incluido: false, puntaje: 6}
  - id: z1
    dimension: certificacion
    tipo: opcion_unica
    permite_no_aplica: true
    texto: ¿Tiene una certificación (orgánica, comercio justo) con registro digital de trazabilidad?
    opciones:
      - {id: "no", texto: "No", puntaje: 0}
      - {id: en_tramite, texto: En trámite, puntaje: 2}
      - {id: vigente, texto: Vigente, puntaje: 4}
  - id: z2
    dimension: certificacion
    tipo: opcion_unica
    texto: ¿Renueva y reporta la certificación en línea?
    mostrar_si: {pregunta: z1, en: [vigente]}
    opciones:
      - {id: "no", texto: "No", puntaje: 0}
      - {id: si, texto: Sí, puntaje: 4}
  - id: nota
    tipo: texto
    texto: Comentarios para el gremio
"""


@pytest.fixture(scope="module")
def agro() -> Cuestionario:
    return parse_questionnaire(AGRO, source="agroexporta_digital-0.3.0.yaml")


def _score(q: Cuestionario, answers: dict[str, Any], section: str | None, size: str | None) -> Any:
    r = score(q, answers, CompanyContext(ciiu_section=section, tamano=size))
    batch = score_batch(q, answers_to_table(q, [answers]), CompanyContext(ciiu_section=section, tamano=size))
    assert float(batch.overall[0]) == r.overall  # the batch path reads the same YAML the same way
    return r


def test_a_leading_exporter(agro: Cuestionario) -> None:
    r = _score(agro, {"c1": ["web", "marketplace"], "c2": 45, "c3": "integrado",
                      "g1": {"inventario": "si", "pedidos": "si", "facturacion": "parcialmente", "trazabilidad": "no"},
                      "g2": 3, "z1": "vigente", "z2": "si", "nota": "Exportamos palta y arándanos"}, "J", "pequena")
    # canales: 2 + 4 = 6; c2 45 % in alta [40,70) → 2 × peso 2 = 4; c3 6 → 16/20 = 80 (alto)
    # gestion: g1 (1 + 1 + 0.5 + 0) × 1.5 = 3.75; g2 3 people, pequena [2,5) → 3 → 6.75/12 = 56.25 (medio)
    # certificacion: 4 + 4 = 8/8 = 100 (alto)
    # overall = 100 × (16 + 6.75 + 8) / 40 = 76.875 → 76.88 (alto)
    assert [(d.id, d.score, d.level) for d in r.dimensions] == [
        ("canales", 80, "alto"), ("gestion", 56.25, "medio"), ("certificacion", 100, "alto")]
    assert (r.overall, r.level) == (76.88, "alto")


def test_exactly_25_is_medio(agro: Cuestionario) -> None:
    r = _score(agro, {"c1": ["redes", "whatsapp"], "c2": 5, "c3": "no",
                      "g1": {"inventario": "no", "pedidos": "no", "facturacion": "no", "trazabilidad": "no"},
                      "g2": 1, "z1": "en_tramite"}, "A", "micro")
    # canales 1 + 1 = 2; c2 5 % in baja [2,10) → 1 × 2 = 2; c3 0 → 4/20 = 20
    # gestion 0 + (1 person, micro [1,2) → 3) = 3/12 = 25; certificacion z1 2, z2 hidden → 2/4 = 50
    # overall = 100 × (4 + 3 + 2) / (20 + 12 + 4) = 900 / 36 = 25 → (24.9, 54.99] medio
    assert (r.overall, r.level) == (25, "medio")
    assert [d.score for d in r.dimensions] == [20, 25, 50]
    assert "z2" not in r.visible


def test_a_dimension_that_does_not_apply_has_no_score(agro: Cuestionario) -> None:
    r = _score(agro, {"c1": ["redes", "whatsapp"], "c2": 5, "c3": "no",
                      "g1": {"inventario": "si", "pedidos": "si", "facturacion": "parcialmente", "trazabilidad": "no"},
                      "g2": 0, "z1": "no_aplica"}, "A", "micro")
    # certificacion: z1 «no aplica», z2 hidden → nothing counts → no score, left out of the overall
    # canales 4/20 = 20; gestion 3.75/12 = 31.25; overall = 100 × 7.75 / 32 = 24.21875 → 24.22 → bajo
    cert = r.dimension("certificacion")
    assert (cert.score, cert.level, cert.maximum) == (None, None, 0)
    assert (r.overall, r.level) == (24.22, "bajo")


def test_exactly_55_is_alto_and_just_below_is_medio(agro: Cuestionario) -> None:
    base = {"c1": ["web", "marketplace", "redes"], "c2": 5, "c3": "parcial",
            "g1": {"inventario": "si", "pedidos": "si", "facturacion": "no", "trazabilidad": "no"},
            "g2": 1, "z1": "vigente", "z2": "no"}
    # canales 7 + (5 % in media [5,20) → 1 × 2) + 3 = 12; gestion 2 × 1.5 + 3 = 6; cert 4 + 0 = 4
    # overall = 100 × 22 / 40 = 55 → alto
    assert _score(agro, base, "G", "micro").level == "alto"
    assert _score(agro, base, "G", "micro").overall == 55
    # c3 «no»: 100 × 19 / 40 = 47.5 → medio
    below = _score(agro, base | {"c3": "no"}, "G", "micro")
    assert (below.overall, below.level) == (47.5, "medio")


def test_thresholds_depend_on_sector_and_size(agro: Cuestionario) -> None:
    answers = {"c1": ["web"], "c2": 35, "c3": "no",
               "g1": {"inventario": "no", "pedidos": "no", "facturacion": "no", "trazabilidad": "no"},
               "g2": 6, "z1": "no"}

    def canales(section: str | None) -> float:
        return float(_score(agro, answers, section, "micro").dimension("canales").obtained)

    # c2 35 %: baja [30,100] → 3; media [20,50) → 2; alta [10,40) → 1; (× peso 2); plus c1 web 2
    assert [canales(s) for s in ("A", "G", "J")] == [8, 6, 4]
    assert canales(None) == canales("F") == canales("G")  # unknown or unmapped section → por_defecto media

    def gestion(size: str | None) -> float:
        return float(_score(agro, answers, "G", size).dimension("gestion").obtained)

    # g2 6 people: micro [2,∞) 6; pequena [5,∞) 6; mediana [5,10) 3; grande [0,10) 0; unknown → micro
    assert [gestion(s) for s in ("micro", "pequena", "mediana", "grande", None)] == [6, 6, 3, 0, 6]


def test_band_edges_are_read_as_written(agro: Cuestionario) -> None:
    plan = compile_plan(agro)
    level = {x: plan.levels[plan.overall_bands[band_of(plan.overall_bands, x)].level]
             for x in (0, 24.89, 24.9, 24.91, 25, 54.98, 54.99, 55, 100)}
    assert level == {0: "bajo", 24.89: "bajo", 24.9: "bajo", 24.91: "medio", 25: "medio", 54.98: "medio",
                     54.99: "medio", 55: "alto", 100: "alto"}
    dim = compile_plan(agro).dimensions[0].bands
    assert [plan.levels[dim[band_of(dim, x)].level] for x in (39.99, 40, 74.99, 75)] == \
        ["bajo", "medio", "medio", "alto"]


def test_the_spreadsheet_bands_as_typed_are_rejected() -> None:
    """Read literally, 0–24.9 and 25–54.99 leave scores such as 24.95 in no band: the load error says where."""
    typed = AGRO.replace(
        "    - {nivel: medio, desde: 24.9, desde_incluido: false, hasta: 54.99, hasta_incluido: true}\n"
        "    - {nivel: alto, desde: 54.99, desde_incluido: false, hasta: 100, hasta_incluido: true}",
        "    - {nivel: medio, desde: 25, desde_incluido: true, hasta: 54.99, hasta_incluido: true}\n"
        "    - {nivel: alto, desde: 55, desde_incluido: true, hasta: 100, hasta_incluido: true}")
    with pytest.raises(InvalidDefinition) as info:
        parse_questionnaire(typed, source="agroexporta_digital-0.3.0.yaml")
    message = str(info.value)
    line = next(i + 1 for i, text in enumerate(typed.splitlines()) if "{nivel: medio, desde: 25" in text)
    assert (f"agroexporta_digital-0.3.0.yaml, línea {line}, en puntaje_global.bandas[1]: las bandas [0, 24.9] y "
            "[25, 54.99] dejan sin cubrir (24.9, 25)") in message
    assert "las bandas [25, 54.99] y [55, 100] dejan sin cubrir (54.99, 55)" in message
