"""Every golden vector of every shipped questionnaire scores as computed by hand, on both scoring paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from pade.diagnostics.batch import answers_to_table, score_batch
from pade.diagnostics.loader import list_questionnaires, load_questionnaire, questionnaires_dir
from pade.diagnostics.scoring import CompanyContext, ScoreResult, score

GOLDEN = sorted(questionnaires_dir().glob("*.golden.yaml"))


def _vectors() -> list[Any]:
    params = []
    for path in GOLDEN:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for vector in doc["vectores"]:
            params.append(pytest.param(doc["cuestionario"], doc["version"], vector,
                                       id=f"{doc['cuestionario']}:{vector['nombre']}"))
    return params


def test_every_questionnaire_ships_golden_vectors() -> None:
    shipped = {(r.id, r.version) for r in list_questionnaires()}
    golden = {(p.name.split("-")[0], p.name.split("-")[1].removesuffix(".golden.yaml")) for p in GOLDEN}
    assert shipped == golden
    assert len(shipped) >= 3


def _check(result: ScoreResult, expected: dict[str, Any]) -> None:
    overall = expected["global"]
    assert result.overall == overall["puntaje"]
    assert result.level == overall["nivel"]
    assert result.level_by_score == overall.get("nivel_por_puntaje", overall["nivel"])
    dims = dict(expected.get("dimensiones") or {})
    if "todas_las_dimensiones" in expected:
        dims |= {d.id: expected["todas_las_dimensiones"] for d in result.dimensions}
    for dim_id, want in dims.items():
        got = result.dimension(dim_id)
        assert (dim_id, got.score, got.level) == (dim_id, want["puntaje"], want["nivel"])
    if "ocultas" in expected:
        q = load_questionnaire(result.questionnaire, result.version)
        hidden = [p.id for p in q.preguntas if p.id not in result.visible]
        assert hidden == expected["ocultas"]
    if "no_aplica" in expected:
        assert list(result.not_applicable) == expected["no_aplica"]
    if "primeras_brechas" in expected:
        want_gaps = expected["primeras_brechas"]
        assert [g.question for g in result.gaps[: len(want_gaps)]] == want_gaps
        if not want_gaps:
            assert result.gaps == ()


@pytest.mark.parametrize(("questionnaire", "version", "vector"), _vectors())
def test_golden_vector(questionnaire: str, version: str, vector: dict[str, Any]) -> None:
    q = load_questionnaire(questionnaire, version)
    company = CompanyContext(**vector.get("empresa", {}))
    complete = vector.get("completo", True)
    result = score(q, vector["respuestas"], company, complete=complete)
    _check(result, vector["esperado"])
    # The batch path gives the same numbers.
    batch = score_batch(q, answers_to_table(q, [vector["respuestas"]]), company, complete=complete)
    overall = batch.overall[0]
    assert (None if np.isnan(overall) else float(overall)) == result.overall
    assert batch.level_ids(batch.level) == [result.level]
    for j, d in enumerate(result.dimensions):
        value = batch.dimension_scores[0, j]
        assert (None if np.isnan(value) else float(value)) == d.score


def test_golden_files_are_readable_yaml() -> None:
    for path in GOLDEN:
        assert isinstance(yaml.safe_load(Path(path).read_text(encoding="utf-8")), dict)
