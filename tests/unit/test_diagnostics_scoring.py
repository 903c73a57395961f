"""Scoring rules one by one: invalid answers, conditions, "no aplica", drafts, gaps, reuse, batch and CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import yaml
from typer.testing import CliRunner

from pade.core.errors import InvalidDefinition, PadeError
from pade.diagnostics.batch import answers_to_table, batch_schema, score_batch
from pade.diagnostics.cli import app
from pade.diagnostics.loader import load_questionnaire, parse_questionnaire, questionnaires_dir
from pade.diagnostics.models import Cuestionario
from pade.diagnostics.plan import compile_plan, round2
from pade.diagnostics.reuse import derive_answers, reuse_links
from pade.diagnostics.sample import random_answers, random_companies, table_to_answers
from pade.diagnostics.scoring import ANSWER_PROBLEM_CODES, CompanyContext, InvalidAnswers, score

MICRO_G = CompanyContext(ciiu_section="G", tamano="micro")


def _golden(questionnaire: str, name: str) -> dict[str, Any]:
    doc = yaml.safe_load((questionnaires_dir() / f"{questionnaire}-1.0.0.golden.yaml").read_text(encoding="utf-8"))
    vector: dict[str, Any] = next(v for v in doc["vectores"] if v["nombre"] == name)
    return vector


@pytest.fixture(scope="module")
def madurez() -> Cuestionario:
    return load_questionnaire("madurez_digital")


@pytest.fixture(scope="module")
def bodega() -> dict[str, Any]:
    answers: dict[str, Any] = _golden("madurez_digital", "bodega_lima")["respuestas"]
    return answers


def _problems(q: Cuestionario, answers: dict[str, Any], **kw: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidAnswers) as info:
        score(q, answers, MICRO_G, **kw)
    assert isinstance(info.value, PadeError) and isinstance(info.value, ValueError)
    assert info.value.http_status == 422
    assert all(p.code in ANSWER_PROBLEM_CODES for p in info.value.problems)
    return [(p.question, p.code) for p in info.value.problems]


def test_every_invalid_answer_is_listed(madurez: Cuestionario, bodega: dict[str, Any]) -> None:
    answers = dict(bodega) | {
        "zz": 1,  # unknown question
        "dp2": "tablet",  # unknown option
        "ad1": ["ventas_producto", "no_recojo"],  # exclusive option combined
        "ps3": 140,  # out of range
        "md5": 1.5,  # not a whole number
        "mp4": "no_aplica",  # «no aplica» not allowed
        "dp4": {"conciliacion": 1, "reposicion": 2, "recordatorios": 9},  # missing item, value out of scale
        "ge1": ["cuaderno"],  # wrong type
        "sd3": None,  # missing required answer
    }
    problems = _problems(madurez, answers)
    assert problems == [
        ("zz", "pregunta_desconocida"), ("dp2", "opcion_desconocida"), ("dp4", "item_faltante"),
        ("dp4", "valor_item_invalido"), ("ps3", "fuera_de_rango"), ("md5", "no_entero"),
        ("ge1", "tipo_invalido"), ("ad1", "excluyente_combinada"), ("mp4", "no_aplica_no_permitido"),
        ("sd3", "falta_respuesta"),
    ]
    with pytest.raises(InvalidAnswers) as info:
        score(madurez, answers, MICRO_G)
    message = str(info.value)
    assert message.startswith("10 problema(s) en las respuestas")
    assert "ad1: «No recojo datos en forma digital» no se puede combinar con otras opciones" in message
    assert "ps3: 140 está fuera del rango permitido [0, 100]" in message
    assert "dp4: responda todos los ítems; faltan: reportes" in message
    assert "sd3: la pregunta es obligatoria: respóndala" in message


def test_exclusive_option_alone_is_valid(madurez: Cuestionario, bodega: dict[str, Any]) -> None:
    r = score(madurez, bodega | {"ad1": ["no_recojo"]}, MICRO_G)
    assert "ad2" not in r.visible  # the follow-up is hidden
    # ad1 0 (peso 2), ad3 0.25, ad4 1/3 over Σ peso 4 → 100 × 0.5833 / 4 = 14.58
    assert r.dimension("analisis_datos").score == 14.58


def test_hidden_answers_are_ignored(madurez: Cuestionario, bodega: dict[str, Any]) -> None:
    hidden = bodega | {"md1": "ninguna"}
    assert "md2" not in score(madurez, hidden, MICRO_G).visible
    # md2's answer is still there (a form may keep it): ignored, not validated
    garbage = hidden | {"md2": "cualquier cosa"}
    assert score(madurez, garbage, MICRO_G) == score(madurez, hidden, MICRO_G)


def test_no_aplica_leaves_the_maximum(madurez: Cuestionario, bodega: dict[str, Any]) -> None:
    before = score(madurez, bodega, MICRO_G).dimension("medios_pago_finanzas")
    after = score(madurez, bodega | {"mp5": "no_aplica"}, MICRO_G).dimension("medios_pago_finanzas")
    assert (before.maximum, after.maximum) == (5.0, 4.0)
    assert before.obtained == after.obtained  # mp5 scored 0 either way
    assert after.score == round2(100 * 1.9166666666666667 / 4)  # 47.92


def test_draft_leaves_unanswered_out(madurez: Cuestionario) -> None:
    r = score(madurez, {"dp2": "sistema_integrado", "sd2": "nunca"}, MICRO_G, complete=False)
    assert r.dimension("digitalizacion_procesos").score == 100
    assert r.dimension("seguridad_digital").score == 0
    assert r.dimension("marketing_digital").score is None and r.dimension("marketing_digital").level is None
    assert r.overall == 50 and r.level == "intermedio"
    assert "dp1" in r.unanswered and "md2" not in r.visible
    with pytest.raises(InvalidAnswers):
        score(madurez, {"dp2": "sistema_integrado"}, MICRO_G)
    empty = score(madurez, {}, MICRO_G, complete=False)
    assert (empty.overall, empty.level, empty.gaps) == (None, None, ())


def test_gaps_and_recommendations(madurez: Cuestionario, bodega: dict[str, Any]) -> None:
    r = score(madurez, bodega, MICRO_G)
    first = r.gaps[0]
    assert (first.question, first.dimension) == ("ad1", "analisis_datos")
    assert first.points_missing == 3  # 1 of tope 4
    assert first.dimension_impact == pytest.approx(30.0)
    assert first.impact == pytest.approx(3.75)
    assert first.action == "Empiece a registrar en forma digital sus ventas por producto y sus costos."
    assert all(g.impact >= h.impact for g, h in zip(r.gaps, r.gaps[1:], strict=False))
    # weakest dimension first; every dimension is básico here
    dims = [d for d, _ in r.recommendations]
    assert dims[0] == "cambio_cultural_estrategico" and len(set(dims)) == 8
    assert all(rec.nivel == "basico" for _, rec in r.recommendations)
    data = r.as_dict()
    json.dumps(data)  # JSON-ready
    assert data["dimensions"][0]["recommendations"][0]["recursos"][0]["proveedor"]


def test_thresholds_follow_the_company(madurez: Cuestionario, bodega: dict[str, Any]) -> None:
    answers = bodega | {"ps3": 12}
    scores = {section: score(madurez, answers, CompanyContext(section, "micro")).dimension("productos_servicios")
              for section in ("A", "G", "J", None, "Z")}
    # ps3 = 12 %: baja [5,15) → 2/3; media [10,25) → 2/3; alta [5,20) → 1/3; unknown → media
    assert scores["A"].obtained == scores["G"].obtained > scores["J"].obtained
    assert scores[None].obtained == scores["Z"].obtained == scores["G"].obtained
    by_size = {size: score(madurez, bodega | {"cc3": 4}, CompanyContext("G", size))
               .dimension("cambio_cultural_estrategico").obtained for size in ("micro", "pequena", "mediana", None)}
    # cc3 = 4 people: micro [3,∞) 3/3; pequena [3,6) 2/3; mediana [3,10) 1/3; unknown → micro
    assert by_size["micro"] == by_size[None] > by_size["pequena"] > by_size["mediana"]


def test_plan_is_compiled_once(madurez: Cuestionario) -> None:
    assert compile_plan(madurez) is compile_plan(madurez)


def test_round2_is_half_to_even() -> None:
    assert [round2(x) for x in (0.125, 0.135, 54.375, 33.333333)] == [0.12, 0.14, 54.38, 33.33]


# -- reuse ----------------------------------------------------------------------------------------------


def test_ecommerce_index_from_maturity_answers(madurez: Cuestionario) -> None:
    comercio = load_questionnaire("comercio_electronico")
    assert reuse_links(comercio, madurez) == {
        "ce1": "ps2", "ce2": "ps3", "ce5": "ps5", "id1": "md1", "id3": "md4", "id5": "md3",
        "pg1": "mp1", "pg2": "mp2", "pg3": "mp3", "pg5": "mp4"}
    software = _golden("madurez_digital", "empresa_software")
    derived = derive_answers(comercio, madurez, software["respuestas"])
    assert derived["ce1"] == ["redes_sociales", "catalogo_web", "tienda_virtual"]
    r = score(comercio, derived, CompanyContext("J", "pequena"), complete=False)
    assert r.unanswered == ("ce3", "ce4", "id2", "id4", "pg4")
    # ce: 1 + 1 + 3 = 5; ce2 35 % in alta [20,40) → 2 × 1.5 = 3; ce5 2 → 10 of (6 + 6 + 2) = 71.43
    # id: 1 + 2/3 + 2/3 over 3 → 77.78;  pg: 1 + 3/4 + 1 + 1 over 4 → 93.75
    # overall = (4 × 71.43 + 3 × 77.78 + 3 × 93.75) / 10 = 800.31 / 10 = 80.03 → experto
    assert [d.score for d in r.dimensions] == [71.43, 77.78, 93.75]
    assert (r.overall, r.level) == (80.03, "experto")


def test_broken_reuse_link_is_reported(madurez: Cuestionario) -> None:
    comercio = load_questionnaire("comercio_electronico")
    data = comercio.model_dump(mode="json")
    data["preguntas"][0]["opciones"] = [o for o in data["preguntas"][0]["opciones"] if o["id"] != "marketplace"]
    data["preguntas"][0]["tope"] = 6
    data["preguntas"][0]["opciones"].append({"id": "feria", "texto": "Ferias", "puntaje": 3})
    data["preguntas"][5]["reutiliza"]["pregunta"] = "md9"
    broken = Cuestionario.model_validate(data)
    with pytest.raises(InvalidDefinition) as info:
        derive_answers(broken, madurez, {})
    message = str(info.value)
    assert "comercio_electronico.ce1 no puede reutilizar madurez_digital.ps2: a la pregunta de destino le faltan " \
           "las opciones marketplace" in message
    assert "comercio_electronico.id1 reutiliza madurez_digital.md9, que no existe" in message


# -- batch ----------------------------------------------------------------------------------------------


def test_batch_reports_every_row(madurez: Cuestionario, bodega: dict[str, Any]) -> None:
    rows = [bodega, bodega | {"dp2": "tablet"}, bodega | {"ad1": ["ventas_producto", "no_recojo", "x"]},
            bodega | {"sd1": {"contrasenas": "quizas"}}, bodega | {"dp3": None}]
    with pytest.raises(InvalidAnswers) as info:
        score_batch(madurez, answers_to_table(madurez, rows), MICRO_G)
    got = [(p.row, p.question, p.code) for p in info.value.problems]
    assert got == [(1, "dp2", "opcion_desconocida"), (2, "ad1", "opcion_desconocida"),
                   (2, "ad1", "excluyente_combinada"), (3, "sd1", "item_faltante"),
                   (3, "sd1", "valor_item_invalido"), (4, "dp3", "falta_respuesta")]
    assert "fila 1, dp2: tablet no es una opción" in str(info.value)
    # the single path finds the same problems, row by row
    for row, answers in enumerate(rows[1:], start=1):
        with pytest.raises(InvalidAnswers) as one:
            score(madurez, answers, MICRO_G)
        assert sorted((p.question, p.code) for p in one.value.problems) == \
            sorted((q, c) for r, q, c in got if r == row)


def test_batch_accepts_plain_and_dictionary_columns(madurez: Cuestionario) -> None:
    table = random_answers(madurez, 300, seed=3)
    companies = random_companies(300, seed=4)
    plain = pa.table({name: (col.cast(col.type.value_type) if pa.types.is_dictionary(col.type) else col)
                      for name, col in zip(table.column_names, table.columns, strict=True)})
    a, b = score_batch(madurez, table, companies), score_batch(madurez, plain, companies)
    assert np.array_equal(a.overall, b.overall, equal_nan=True)
    as_mapping = score_batch(madurez, {n: table.column(n) for n in table.column_names},
                             {"ciiu_section": companies.column("ciiu_section").to_pylist(),
                              "tamano": companies.column("tamano").to_pylist()})
    assert np.array_equal(a.dimension_scores, as_mapping.dimension_scores, equal_nan=True)
    out = a.to_arrow()
    assert out.num_rows == 300
    assert out.column_names[:3] == ["puntaje", "nivel", "nivel_por_puntaje"]
    assert "seguridad_digital.nivel" in out.column_names
    assert set(batch_schema(madurez).names) >= set(table.column_names)


def test_sampled_answers_round_trip(madurez: Cuestionario) -> None:
    table = random_answers(madurez, 50, seed=5)
    answers = table_to_answers(madurez, table)
    again = answers_to_table(madurez, answers)
    companies = random_companies(50, seed=6)
    assert np.array_equal(score_batch(madurez, table, companies).overall,
                          score_batch(madurez, again, companies).overall, equal_nan=True)


# -- CLI ------------------------------------------------------------------------------------------------


def test_cli_scores_and_lists(tmp_path: Path, bodega: dict[str, Any]) -> None:
    answers = tmp_path / "respuestas.json"
    answers.write_text(json.dumps(bodega), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(app, ["score", "madurez_digital", str(answers), "--ciiu-section", "g",
                                 "--tamano", "micro"])
    assert result.exit_code == 0, result.output
    assert "Puntaje global: 33.27 — nivel: Básico" in result.output
    assert "Principales brechas" in result.output and "Análisis de datos" in result.output
    as_json = runner.invoke(app, ["score", "madurez_digital", str(answers), "--ciiu-section", "G", "--json"])
    assert json.loads(as_json.output)["overall"] == 33.27
    listed = runner.invoke(app, ["list"])
    assert "transfronterizo" in listed.output and "Cuestionario" in listed.output
    checked = runner.invoke(app, ["check", str(questionnaires_dir() / "transfronterizo-1.0.0.yaml")])
    assert "Cuestionario transfronterizo 1.0.0 válido: 6 dimensión(es), 23 pregunta(s)" in checked.output


def test_cli_rejects_bad_input(tmp_path: Path) -> None:
    broken = tmp_path / "r.json"
    broken.write_text("{", encoding="utf-8")
    result = CliRunner().invoke(app, ["score", "madurez_digital", str(broken)])
    assert result.exit_code == 2 and "no es JSON válido" in result.output
    empty = tmp_path / "vacio.json"
    empty.write_text("{}", encoding="utf-8")
    failed = CliRunner().invoke(app, ["score", "madurez_digital", str(empty)])
    assert isinstance(failed.exception, InvalidAnswers)  # the root CLI prints it and exits 1
    draft = CliRunner().invoke(app, ["score", "madurez_digital", str(empty), "--borrador"])
    assert draft.exit_code == 0 and "Puntaje global: —" in draft.output


def test_third_party_file_checks_from_cli(tmp_path: Path) -> None:
    text = (questionnaires_dir() / "madurez_digital-1.0.0.yaml").read_text(encoding="utf-8")
    path = tmp_path / "madurez_digital-1.0.0.yaml"
    path.write_text(text.replace("hasta: 40, hasta_incluido: false}", "hasta: 39, hasta_incluido: false}", 1),
                    encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(path)])
    assert isinstance(result.exception, InvalidDefinition)
    assert "las bandas [20, 39) y [40, 60) dejan sin cubrir [39, 40)" in str(result.exception)
    assert parse_questionnaire(text, source="x").id == "madurez_digital"
