"""Structural errors are caught with precise messages; broken YAML never yields a pydantic dump."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from pade.core.errors import InvalidDefinition
from pade.programme.checks import Finding, check_programme, errors
from pade.programme.loader import parse_programme
from pade.programme.models import Programa

Mutation = Callable[[dict[str, Any]], None]


def _first_indicator(d: dict[str, Any]) -> dict[str, Any]:
    ind: dict[str, Any] = d["objetivos"][0]["acciones"][0]["actividades"][0]["indicadores"][0]
    return ind


def _oe1_05(d: dict[str, Any]) -> dict[str, Any]:
    for act in d["objetivos"][0]["acciones"][0]["actividades"]:
        if act["id"] == "OE1.AE1.1.A05":
            ind: dict[str, Any] = act["indicadores"][0]
            return ind
    raise AssertionError("OE1.AE1.1.A05 not found")


def _errors_after(programme_dict: dict[str, Any], mutate: Mutation) -> list[Finding]:
    data = copy.deepcopy(programme_dict)
    mutate(data)
    return errors(check_programme(Programa.model_validate(data)))


CASES: list[tuple[str, Mutation, str, str]] = [
    ("unknown_catalyst",
     lambda d: d["objetivos"][0]["acciones"][0]["actividades"][0]["catalizadores"].append("blockchain"),
     "unknown_catalyst", "catalizador desconocido blockchain"),
    ("undefined_variable",
     lambda d: _oe1_05(d)["formula"].update(expresion="(MC/MX) x 100"),
     "undefined_variable", "la variable MX no está definida (definidas: MC, MT)"),
    ("unused_variable",
     lambda d: _oe1_05(d)["formula"]["variables"].append({"simbolo": "Z", "significado": "sobrante"}),
     "unused_variable", "la variable Z está definida pero no se usa"),
    ("target_out_of_horizon",
     lambda d: _first_indicator(d)["metas"].append({"anio": 2035, "impreso": "9", "valor": 9}),
     "target_out_of_horizon", "el año de meta 2035 está fuera del horizonte"),
    ("duplicate_target",
     lambda d: _first_indicator(d)["metas"].append(dict(_first_indicator(d)["metas"][0])),
     "duplicate_target", "aparece 2 veces"),
    ("duplicate_indicator_id",
     lambda d: d["objetivos"][0]["acciones"][0]["actividades"][0]["indicadores"].append(
         dict(_first_indicator(d), codigo="OE1-99")),
     "duplicate_id", "duplicado OE1.AE1.1.A01.I1"),
    ("unknown_entity",
     lambda d: _first_indicator(d)["responsables"].append({"entidad": "SUNAT"}),
     "unknown_entity", "entidad responsable desconocida SUNAT"),
    ("unknown_subunit",
     lambda d: _first_indicator(d)["responsables"].append({"entidad": "MINCETUR", "subunidad": "XYZ"}),
     "unknown_subunit", "MINCETUR no tiene la subunidad XYZ"),
    ("unknown_axis", lambda d: d["objetivos"][0].update(eje="turismo"), "unknown_axis", "eje desconocido turismo"),
    ("bad_nesting", lambda d: d["objetivos"][0]["acciones"][0]["actividades"][0].update(numero=9),
     "id_nesting", "el id debe ser OE1.AE1.1.A09"),
]


@pytest.mark.parametrize(("name", "mutate", "code", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_structural_error_is_reported(programme_dict: dict[str, Any], name: str, mutate: Mutation, code: str,
                                      fragment: str) -> None:
    found = _errors_after(programme_dict, mutate)
    # A mutation may trip a second, consequential check (MX replaces MT, so MT is now unused; a copied
    # indicator is both a duplicate id and out of position); the intended error must be there, precisely worded.
    assert code in {f.code for f in found}, found
    assert len(found) <= 3, found
    assert any(fragment in f.message for f in found if f.code == code), found


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _load_error(text: str) -> str:
    with pytest.raises(InvalidDefinition) as info:
        parse_programme(text, source="prueba.yaml")
    message = str(info.value)
    assert "pydantic" not in message.lower()
    assert "validation error" not in message.lower()
    return message


def test_wrong_type_names_file_path_line_and_expectation(programme_dict: dict[str, Any]) -> None:
    _first_indicator(programme_dict)["metas"][0]["anio"] = "dos mil"
    text = _dump(programme_dict)
    message = _load_error(text)
    line = next(i for i, row in enumerate(text.splitlines(), start=1) if "dos mil" in row)
    assert f"prueba.yaml, línea {line}" in message
    assert "objetivos[0:OE1].acciones[0:OE1.AE1.1].actividades[0:OE1.AE1.1.A01]" in message
    assert "metas[0].anio" in message
    assert "se esperaba un número entero; se recibió 'dos mil'" in message


def test_missing_and_unknown_fields_are_all_reported(programme_dict: dict[str, Any]) -> None:
    del programme_dict["vision"]
    programme_dict["objetivos"][1]["color"] = "azul"
    message = _load_error(_dump(programme_dict))
    assert "2 problema(s)" in message
    assert "en vision: falta este campo obligatorio" in message
    assert "objetivos[1:OE2].color: este campo no está permitido" in message


def test_bad_enum_lists_allowed_values(programme_dict: dict[str, Any]) -> None:
    _first_indicator(programme_dict)["acumulacion"] = "mensual"
    message = _load_error(_dump(programme_dict))
    assert "se esperaba uno de 'anual', 'acumulado' or 'stock'" in message or "anual" in message
    assert "acumulacion" in message


def test_yaml_syntax_error_names_line() -> None:
    message = _load_error("metadatos:\n  titulo: [sin cerrar\nvision: x\n")
    assert "prueba.yaml, línea" in message
    assert "no es YAML válido" in message


def test_top_level_must_be_mapping() -> None:
    assert "nivel superior" in _load_error("- a\n- b\n")
