"""Questionnaires load from YAML; every broken one is reported in Spanish with file, path and line."""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import pytest

from pade.core.errors import InvalidDefinition, NotFound
from pade.diagnostics.loader import (
    content_hash,
    list_questionnaires,
    load_questionnaire,
    load_questionnaire_file,
    parse_questionnaire,
)
from pade.diagnostics.models import TAMANOS, Cuestionario, TipoPregunta

SOURCE = "prueba-1.0.0.yaml"

# A small valid questionnaire; each test breaks one thing in it.
BASE = """\
id: prueba
version: 1.0.0
titulo: Cuestionario de prueba
descripcion: Sirve para probar los mensajes de error.
niveles:
  - {id: bajo, nombre: Bajo}
  - {id: alto, nombre: Alto}
dimensiones:
  - {id: d1, nombre: Uno, descripcion: Primera dimensión}
  - {id: d2, nombre: Dos, descripcion: Segunda dimensión, modo: suma, maximo: 6}
puntaje_global:
  bandas:
    - {nivel: bajo, desde: 0, desde_incluido: true, hasta: 50, hasta_incluido: false}
    - {nivel: alto, desde: 50, desde_incluido: true, hasta: 100, hasta_incluido: true}
intensidad_digital_por_seccion: {G: media, J: alta}
preguntas:
  - id: p1
    dimension: d1
    tipo: opcion_unica
    texto: ¿Primera?
    opciones:
      - {id: a, texto: A, puntaje: 0}
      - {id: b, texto: B, puntaje: 2}
  - id: p2
    dimension: d1
    tipo: opcion_multiple
    texto: ¿Segunda?
    mostrar_si: {pregunta: p1, en: [b]}
    tope: 2
    opciones:
      - {id: x, texto: X, puntaje: 1}
      - {id: y, texto: Y, puntaje: 1}
      - {id: ninguna, texto: Ninguna, excluyente: true}
  - id: p3
    dimension: d2
    tipo: porcentaje
    texto: ¿Tercera?
    umbrales_por:
      atributo: intensidad_digital_sector
      por_defecto: media
      valores:
        media:
          - {desde: 0, desde_incluido: true, hasta: 50, hasta_incluido: false, puntaje: 0}
          - {desde: 50, desde_incluido: true, hasta: 100, hasta_incluido: true, puntaje: 6}
        alta:
          - {desde: 0, desde_incluido: true, hasta: 80, hasta_incluido: false, puntaje: 0}
          - {desde: 80, desde_incluido: true, hasta: 100, hasta_incluido: true, puntaje: 6}
"""


def _line(text: str, marker: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``marker``."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if marker in line]
    return hits[occurrence - 1]


def _error(text: str) -> str:
    with pytest.raises(InvalidDefinition) as info:
        parse_questionnaire(text, source=SOURCE)
    return str(info.value)


def test_base_is_valid() -> None:
    q = parse_questionnaire(BASE, source=SOURCE)
    assert [p.tipo for p in q.preguntas] == [TipoPregunta.opcion_unica, TipoPregunta.opcion_multiple,
                                             TipoPregunta.porcentaje]


def test_shipped_questionnaires_load() -> None:
    refs = list_questionnaires()
    assert [(r.id, r.version) for r in refs] == [("comercio_electronico", "1.0.0"), ("madurez_digital", "1.0.0"),
                                                 ("transfronterizo", "1.0.0")]
    q = load_questionnaire("madurez_digital")
    assert q is load_questionnaire("madurez_digital", "1.0.0")  # parsed once
    assert [n.id for n in q.niveles] == ["inicial", "basico", "intermedio", "avanzado", "experto"]
    assert len(q.dimensiones) == 8
    used = {p.tipo for p in q.preguntas}
    assert used == set(TipoPregunta)  # every question type appears
    assert any(p.umbrales_por and p.umbrales_por.atributo == "intensidad_digital_sector" for p in q.preguntas)
    assert any(p.mostrar_si for p in q.preguntas) and any(p.permite_no_aplica for p in q.preguntas)


def test_unknown_questionnaire_or_version() -> None:
    with pytest.raises(NotFound, match="cuestionario desconocido nada"):
        load_questionnaire("nada")
    with pytest.raises(NotFound, match=r"no tiene la versión 9\.9\.9 \(versiones: 1\.0\.0\)"):
        load_questionnaire("madurez_digital", "9.9.9")


def test_content_hash_ignores_formatting() -> None:
    a = parse_questionnaire(BASE, source=SOURCE)
    b = parse_questionnaire(BASE.replace("titulo: Cuestionario de prueba", "titulo:   'Cuestionario de prueba'"),
                            source=SOURCE)
    assert content_hash(a) == content_hash(b)
    c = parse_questionnaire(BASE.replace("puntaje: 2}", "puntaje: 3}"), source=SOURCE)
    assert content_hash(a) != content_hash(c)


def test_broken_yaml_names_file_and_line() -> None:
    text = BASE.replace("    texto: ¿Segunda?", "    texto: [¿Segunda?")
    message = _error(text)
    assert message.startswith(f"{SOURCE}, línea ")
    assert "no es YAML válido" in message


def test_unknown_dimension() -> None:
    text = BASE.replace("    dimension: d2\n", "    dimension: d9\n")
    message = _error(text)
    line = _line(text, "dimension: d9")
    assert (f"{SOURCE}, línea {line}, en preguntas[2:p3].dimension: dimensión desconocida d9 "
            "(dimensiones: d1, d2)") in message
    assert message.startswith(f"{SOURCE}: 2 problema(s) en el cuestionario")  # d2 is also left without questions


def test_band_gap_is_named() -> None:
    text = BASE.replace("hasta: 50, hasta_incluido: false}\n    - {nivel: alto",
                        "hasta: 49.9, hasta_incluido: true}\n    - {nivel: alto")
    message = _error(text)
    line = _line(text, "{nivel: alto")
    assert (f"{SOURCE}, línea {line}, en puntaje_global.bandas[1]: las bandas [0, 49.9] y [50, 100] dejan sin "
            "cubrir (49.9, 50); incluya uno de los dos límites y excluya el otro") in message


def test_band_overlap_and_open_ends() -> None:
    overlap = BASE.replace("hasta: 50, hasta_incluido: false}\n    - {nivel: alto",
                           "hasta: 50, hasta_incluido: true}\n    - {nivel: alto")
    assert "las bandas [0, 50] y [50, 100] se superponen" in _error(overlap)
    short = BASE.replace("{nivel: alto, desde: 50, desde_incluido: true, hasta: 100, hasta_incluido: true}",
                         "{nivel: alto, desde: 50, desde_incluido: true, hasta: 100, hasta_incluido: false}")
    assert "las bandas dejan sin cubrir [100, 100]: el último intervalo termina en [50, 100)" in _error(short)
    late = BASE.replace("{nivel: bajo, desde: 0, desde_incluido: true", "{nivel: bajo, desde: 0, desde_incluido: false")
    assert "las bandas dejan sin cubrir [0, 0]: el primer intervalo empieza en (0, 50)" in _error(late)


def test_bands_must_follow_level_order() -> None:
    text = BASE.replace("{nivel: bajo, desde: 0", "{nivel: alto, desde: 0").replace(
        "{nivel: alto, desde: 50", "{nivel: bajo, desde: 50")
    assert "liste cada nivel una sola vez" in _error(text)


def test_threshold_set_without_a_value() -> None:
    text = BASE.replace("        alta:\n", "        altaa:\n")
    message = _error(text)
    assert ("en preguntas[2:p3].umbrales_por.valores: no hay umbrales para intensidad_digital_sector = alta; "
            "agregue «alta» en «valores»") in message
    assert "altaa no es un valor de intensidad_digital_sector (valores: baja, media, alta)" in message
    no_default = BASE.replace("por_defecto: media", "por_defecto: baja")
    assert "«por_defecto» baja no tiene umbrales (conjuntos: media, alta)" in _error(no_default)


def test_thresholds_must_cover_the_range_and_reach_the_same_maximum() -> None:
    gap = BASE.replace("{desde: 50, desde_incluido: true, hasta: 100, hasta_incluido: true, puntaje: 6}",
                       "{desde: 60, desde_incluido: true, hasta: 100, hasta_incluido: true, puntaje: 6}")
    assert "los umbrales [0, 50) y [60, 100] dejan sin cubrir [50, 60)" in _error(gap)
    lower = BASE.replace("{desde: 80, desde_incluido: true, hasta: 100, hasta_incluido: true, puntaje: 6}",
                         "{desde: 80, desde_incluido: true, hasta: 100, hasta_incluido: true, puntaje: 5}")
    message = _error(lower)
    assert "todos los conjuntos de umbrales deben llegar al mismo máximo" in message
    assert "(media: 6, alta: 5)" in message


def test_condition_on_a_later_or_unknown_question() -> None:
    later = BASE.replace("mostrar_si: {pregunta: p1, en: [b]}", "mostrar_si: {pregunta: p3, en: [b]}")
    message = _error(later)
    line = _line(later, "mostrar_si")
    assert (f"{SOURCE}, línea {line}, en preguntas[1:p2].mostrar_si.pregunta: la condición se refiere a p3, que es "
            "esta misma pregunta o viene después") in message
    unknown = BASE.replace("mostrar_si: {pregunta: p1, en: [b]}", "mostrar_si: {pregunta: p7, en: [b]}")
    assert "la condición se refiere a una pregunta desconocida p7" in _error(unknown)
    option = BASE.replace("mostrar_si: {pregunta: p1, en: [b]}", "mostrar_si: {pregunta: p1, en: [c]}")
    assert "en preguntas[1:p2].mostrar_si.en[0]: c no es una opción de p1 (opciones: a, b)" in _error(option)
    both = BASE.replace("mostrar_si: {pregunta: p1, en: [b]}", "mostrar_si: {pregunta: p1}")
    assert "escriba exactamente una de las claves «en»" in _error(both)


def test_duplicate_ids() -> None:
    text = BASE.replace("  - id: p2\n", "  - id: p1\n")
    message = _error(text)
    assert "en preguntas[1:p1].id: id duplicado p1: ya lo usa la posición 0" in message


def test_sum_dimension_maximum_must_match() -> None:
    text = BASE.replace("modo: suma, maximo: 6}", "modo: suma, maximo: 8}")
    message = _error(text)
    line = _line(text, "maximo: 8")
    assert (f"línea {line}, en dimensiones[1:d2].maximo: «maximo» es 8, pero las preguntas de la dimensión "
            "suman 6") in message


def test_field_of_another_type_is_rejected() -> None:
    text = BASE.replace("    tope: 2\n", "    tope: 2\n    escala_max: 5\n")
    assert ("«escala_max» no se aplica a preguntas de tipo opcion_multiple; elimínelo (se aplica a: "
            "matriz_escala)") in _error(text)
    unreachable = BASE.replace("    tope: 2\n", "    tope: 3\n")
    assert "el «tope» 3 es inalcanzable: las opciones que se pueden combinar suman 2" in _error(unreachable)


def test_unquoted_no_gets_a_hint() -> None:
    text = BASE.replace("{id: a, texto: A, puntaje: 0}", "{id: no, texto: A, puntaje: 0}")
    message = _error(text)
    assert "se esperaba un texto; se recibió False" in message
    assert "escríbalos entre comillas" in message


def test_pydantic_shape_errors_are_located_in_spanish() -> None:
    text = BASE.replace("      - {id: b, texto: B, puntaje: 2}", "      - {id: b, texto: B, puntos: 2}")
    message = _error(text)
    line = _line(text, "puntos: 2")
    assert f"línea {line}, en preguntas[0:p1].opciones[1:b].puntos: este campo no está permitido" in message


def test_resource_url_key_is_required() -> None:
    text = BASE + """\
recomendaciones:
  - dimension: d1
    nivel: bajo
    texto: Empiece por lo básico.
    recursos:
      - {tipo: curso, titulo: Un curso, proveedor: PRODUCE}
"""
    assert "en recomendaciones[0].recursos[0].url: falta este campo obligatorio" in _error(text)


def test_file_name_must_match_content(tmp_path: Path) -> None:
    path = tmp_path / "prueba-2.0.0.yaml"
    path.write_text(BASE, encoding="utf-8")
    with pytest.raises(InvalidDefinition, match=r"el nombre del archivo dice prueba 2\.0\.0, pero el archivo "
                                                r"contiene prueba 1\.0\.0"):
        load_questionnaire_file(path)
    free = tmp_path / "mi_cuestionario.yaml"
    free.write_text(BASE, encoding="utf-8")
    assert isinstance(load_questionnaire_file(free), Cuestionario)


def test_size_classes_match_the_registry() -> None:
    source = resources.files("pade.registry") / "data" / "tamano_empresa.csv"
    with source.open(encoding="utf-8") as fh:
        assert tuple(row["clase"] for row in csv.DictReader(fh)) == TAMANOS


def test_every_dimension_has_recommendations_for_the_first_levels() -> None:
    for ref in list_questionnaires():
        q = load_questionnaire(ref.id, ref.version)
        for d in q.dimensiones:
            for level in ("inicial", "basico", "intermedio"):
                recs = q.recomendaciones_de(d.id, level)
                assert recs and all(r.recursos for r in recs), (q.id, d.id, level)


def test_cross_border_questions_each_carry_an_action() -> None:
    q = load_questionnaire("transfronterizo")
    assert all(p.accion for p in q.preguntas if p.puntuable)
