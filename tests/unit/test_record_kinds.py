"""Record kinds cover every indicator, and their published Table Schemas are current."""

from __future__ import annotations

import json
from pathlib import Path

import frictionless
import pytest

from pade.programme.loader import load_programme
from pade.records.kinds import KINDS
from pade.records.schemas import all_schemas

ROOT = Path(__file__).resolve().parents[2]


def _sources(code: str) -> set[str]:
    ind = load_programme().indicador(code)
    assert ind.calculo is not None, f"{code} has no calculation"
    return {m.registro or m.reportado or "" for m in ind.calculo.medidas.values()}


def test_every_indicator_is_computed_from_records_or_reported_values() -> None:
    """Walk the programme: every indicator has a calculation whose measures name real sources."""
    p = load_programme()
    kinds = {k.name for k in KINDS}
    reported = {v.codigo for v in p.variables_reportadas}
    for ind in p.indicadores():
        assert ind.calculo is not None, ind.codigo
        for symbol, m in ind.calculo.medidas.items():
            assert (m.registro in kinds) or (m.reportado in reported), (ind.codigo, symbol)
    used = {m.reportado for i in p.indicadores() if i.calculo for m in i.calculo.medidas.values()} - {None}
    assert used == reported, "every reported variable is used by some indicator"


@pytest.mark.parametrize(
    ("code", "sources"),
    [
        ("OE1-05", {"inscripcion", "culminacion"}),  # MC / MT: completed / enrolled
        ("OE1-07", {"mercado_plataforma", "total_mercados_abasto"}),  # MC: markets, MT: reported total
        ("OE2-02", {"asistencia_tecnica", "total_mipymes_produce"}),  # A: assisted, B: PRODUCE registers
        ("OE1-02.1", {"inscripcion", "meta_empresas_programa_transfronterizo"}),
        ("OE2-07", {"programas_implementados"}),
        ("OE2-06", {"diagnostico"}),
    ],
)
def test_formula_variables_have_their_sources(code: str, sources: set[str]) -> None:
    assert _sources(code) == sources


@pytest.mark.parametrize("name", [k.name for k in KINDS])
def test_published_table_schema_is_current(name: str) -> None:
    published = json.loads((ROOT / "schemas" / f"{name}.json").read_text(encoding="utf-8"))
    assert published == all_schemas()[name], "regenerate with: pade records schemas schemas/"


def test_table_schemas_are_valid_frictionless() -> None:
    for name, schema in all_schemas().items():
        report = frictionless.Schema.validate_descriptor(schema)
        assert report.valid, (name, report.flatten(["message"]))
