"""The shipped definition loads, passes every structural check, and records the document's inconsistencies."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from pade.programme.checks import Severity, check_programme, errors
from pade.programme.loader import content_hash, load_programme, parse_programme
from pade.programme.models import Acumulacion, Programa, Unidad
from pade.programme.schema import programme_json_schema

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def programme() -> Programa:
    return load_programme()


def test_structure_counts(programme: Programa) -> None:
    assert programme.metadatos.version == "1.0.0"
    assert programme.metadatos.fecha == "2024-04"
    assert "005-2024-PCM-SGTD" in programme.metadatos.resolucion
    assert len(programme.definiciones) == 16
    assert [d.numero for d in programme.definiciones] == [f"4.{i}" for i in range(1, 17)]
    assert len(programme.catalizadores) == 5
    assert len(programme.ejes) == 4
    assert len(programme.principios) == 5
    assert [o.id for o in programme.objetivos] == ["OE1", "OE2", "OE3", "OE4"]
    assert [len(o.acciones) for o in programme.objetivos] == [2, 2, 0, 0]
    assert len(list(programme.actividades())) == 17
    assert len(list(programme.indicadores())) == 19
    assert [f.numero for f in programme.fases] == [1, 2]
    assert programme.fases[0].objetivos == ["OE1", "OE2"]
    assert programme.fases[1].objetivos == ["OE1", "OE2", "OE3", "OE4"]


def test_axis_guideline_mapping_covers_every_axis(programme: Programa) -> None:
    axes = {e.id for e in programme.ejes}
    assert {lin.eje for lin in programme.lineamientos_pntd} == axes
    assert len(programme.lineamientos_pntd) == 8  # Tabla 2 of chapter 7 lists eight guidelines


def test_monitoring_chapter(programme: Programa) -> None:
    s = programme.seguimiento
    assert s.organo_reporte == "Comité de Alto Nivel por un Perú Digital, Innovador y Competitivo"
    assert s.ciclo_revision_anios == 2
    assert s.servicio_pntd == "S2.3.1"
    assert {i.tipo for i in s.indicadores_servicio} == {"calidad", "cobertura"}
    assert len(s.texto) == 4


def test_shipped_definition_has_no_structural_error(programme: Programa) -> None:
    assert errors(check_programme(programme)) == []


def test_every_observacion_is_listed_as_warning(programme: Programa) -> None:
    findings = check_programme(programme)
    warned = [f for f in findings if f.severity is Severity.warning]
    recorded = list(programme.observaciones_todas())
    assert len(warned) == len(recorded) >= 15
    ids = [obs.id for _, obs in recorded]
    assert ids == sorted(ids), "observaciones are numbered in document order"
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    ("where", "pattern"),
    [
        ("OE1.AE1.1.A02", r"n[uú]mero"),  # the unnumbered activity
        ("OE1.AE1.2.A08.I1", r"dos servicios"),  # name says one service, formula says two
        ("OE2", r"seis niveles"),  # six levels announced, five named
        ("OE2.AE2.1.A01.I1", r"0\.2"),  # percentage targets printed as fractions
        ("OE1.AE1.1.A05.I1", r"75%"),  # targets printed with and without units
    ],
)
def test_known_inconsistencies_are_attached_to_their_element(programme: Programa, where: str, pattern: str) -> None:
    texts = [obs.descripcion for w, obs in programme.observaciones_todas() if w == where]
    assert any(re.search(pattern, text) for text in texts), texts


def test_document_numbering_inconsistencies_recorded(programme: Programa) -> None:
    text = " ".join(obs.descripcion for _, obs in programme.observaciones_todas())
    assert "Tabla 2" in text
    assert "10.1" in text
    assert "6.1" in text


def test_unnumbered_activity_keeps_printed_absence(programme: Programa) -> None:
    act = next(a for a in programme.actividades() if a.id == "OE1.AE1.1.A02")
    assert act.numero_impreso is None
    assert act.numero == 2


def test_two_catalysts_activity(programme: Programa) -> None:
    act = next(a for a in programme.actividades() if a.id == "OE2.AE2.2.A04")
    assert act.catalizadores == ["tecnologias_digitales_y_datos", "competencias_digitales"]


def test_indicator_semantics(programme: Programa) -> None:
    oe2_06 = programme.indicador("OE2-06")
    assert oe2_06.unidad is Unidad.porcentaje
    assert oe2_06.linea_base.valor == Decimal(31) and oe2_06.linea_base.anio == 2023
    assert programme.indicador("OE2-04").acumulacion is Acumulacion.acumulado
    assert programme.indicador("OE1-04").acumulacion is Acumulacion.anual
    assert [v.simbolo for v in programme.indicador("OE1-05").formula.variables] == ["MC", "MT"]


def test_content_hash_is_stable_and_formatting_insensitive(programme: Programa) -> None:
    reformatted = json.dumps(programme.model_dump(mode="json"), indent=1)  # JSON is YAML
    again = parse_programme(reformatted, source="<json>")
    assert content_hash(again) == content_hash(programme)
    assert again == programme


def test_published_json_schema_is_current_and_validates_the_definition(programme: Programa) -> None:
    published = json.loads((ROOT / "schemas" / "programa.schema.json").read_text(encoding="utf-8"))
    assert published == programme_json_schema(), "regenerate: pade programme export --format schema -o <file>"
    jsonschema.validate(programme.model_dump(mode="json"), published)


def test_json_schema_rejects_a_broken_definition(programme: Programa) -> None:
    data = programme.model_dump(mode="json")
    data["objetivos"][0]["acciones"][0]["actividades"][0]["indicadores"][0]["metas"][0]["anio"] = "dos mil"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, programme_json_schema())
