"""Revisions are diffed precisely; fichas carry every CEPLAN field."""

from __future__ import annotations

import copy
from typing import Any

from pade.programme.diff import ChangeKind, diff_programmes
from pade.programme.ficha import ficha_markdown, ficha_rows
from pade.programme.loader import load_programme
from pade.programme.models import Programa


def test_identical_programmes_have_no_diff() -> None:
    p = load_programme()
    assert diff_programmes(p, p) == []


def test_diff_lists_target_indicator_and_activity_changes(programme_dict: dict[str, Any]) -> None:
    a = Programa.model_validate(programme_dict)
    d = copy.deepcopy(programme_dict)
    d["metadatos"]["version"] = "1.1.0"
    oe1 = d["objetivos"][0]
    first = oe1["acciones"][0]["actividades"][0]["indicadores"][0]
    first["metas"][0].update(impreso="1300", valor=1300)
    first["nombre"] = "Empresas con tienda virtual activa"
    removed = oe1["acciones"][1]["actividades"].pop()  # the only activity of AE1.2
    b = Programa.model_validate(d)
    changes = diff_programmes(a, b)
    summary = {(c.kind, c.element, c.ident, c.field) for c in changes}
    assert (ChangeKind.changed, "programa", "metadatos", "version") in summary
    assert (ChangeKind.changed, "meta", first["id"], "2026") in summary
    assert (ChangeKind.changed, "indicador", first["id"], "nombre") in summary
    assert (ChangeKind.removed, "actividad", removed["id"], None) in summary
    assert (ChangeKind.removed, "indicador", removed["indicadores"][0]["id"], None) in summary
    meta = next(c for c in changes if c.element == "meta")
    assert (meta.before, meta.after) == ("1250", "1300")
    assert len(changes) == 5


def test_ficha_has_every_ceplan_field() -> None:
    p = load_programme()
    ind = p.indicador("OE2-06")
    labels = [label for label, _ in ficha_rows(p, ind)]
    for required in ("Nombre del indicador", "Justificación", "Responsable del indicador",
                     "Limitaciones y supuestos empleados", "Método de cálculo", "Parámetro de medición",
                     "Sentido esperado del indicador", "Fuente de datos", "Base de datos", "Línea de base",
                     "Valores esperados (logros)", "Observaciones"):
        assert required in labels
    md = ficha_markdown(p, ind)
    assert md.startswith("# Ficha técnica del indicador OE2-06")
    assert "31% al 2023 (promedio en base a 700 empresas)" in md
    assert "2026: 35%" in md and "2028: 38%" in md and "2030: 40%" in md
    assert "PROMPERÚ" in md
    assert "elaborado por PADE" in md


def test_every_indicator_has_a_ficha() -> None:
    p = load_programme()
    for ind in p.indicadores():
        md = ficha_markdown(p, ind)
        assert ind.nombre.replace("|", "/") in md
        assert ind.responsable_impreso in md
