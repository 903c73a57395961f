"""Statistical disclosure control: no suppressed cell can be derived from the published ones.

The attacker here is independent of the module: it writes the linear constraints of the table from its
structure (total = Σ departments = Σ sizes = Σ sexes; department = Σ its sizes; size = Σ its departments)
and asks, for every suppressed cell, whether the constraints determine it (rank test).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pade.core.errors import ConfigError
from pade.core.settings import Settings
from pade.indicators.compile import DIMENSIONS
from pade.programme.loader import shipped_programme
from pade.programme.models import Programa
from pade.reports.disclosure import (
    CellKey,
    DisclosureError,
    assert_no_personal_data,
    complementary,
    derivable,
    format_number,
    protect,
    relations_for,
    unit_rule,
)

K = 5


# -- the attacker ---------------------------------------------------------------------------------------


def constraints(keys: Sequence[CellKey]) -> list[dict[CellKey, float]]:
    """The table's linear constraints (coefficient by cell; each sums to zero), written from its structure."""
    out = []
    for grouping in ("departamento", "tamano", "seccion_ciiu", "exportador", "sexo_titular"):
        children = [key for key in keys if key[0] == grouping]
        if children:
            out.append({cell("total"): 1.0} | {key: -1.0 for key in children})
    inner = [key for key in keys if key[0] == "departamento_tamano"]
    for dept in sorted({str(key[1]) for key in inner}):
        out.append({cell("departamento", departamento=dept): 1.0} | {key: -1.0 for key in inner if key[1] == dept})
    for size in sorted({str(key[2]) for key in inner}):
        out.append({cell("tamano", tamano=size): 1.0} | {key: -1.0 for key in inner if key[2] == size})
    return out


def determined_cells(keys: Sequence[CellKey], hidden: Collection[CellKey]) -> list[CellKey]:
    """Suppressed cells the published ones pin down. Absent cells are zeros everybody knows; a suppressed
    cell u is determined iff adding the equation x_u = c does not raise the rank of the system on the
    suppressed cells (e_u lies in its row space)."""
    unknown = sorted(hidden, key=str)
    col = {key: j for j, key in enumerate(unknown)}
    rows = []
    for c in constraints(keys):
        row = np.zeros(len(unknown))
        for key, coef in c.items():
            if key in col:
                row[col[key]] = coef
        rows.append(row)
    system = np.vstack(rows) if rows else np.zeros((0, len(unknown)))
    rank = np.linalg.matrix_rank(system) if len(rows) else 0
    out = []
    for key in unknown:
        probe = np.zeros((1, len(unknown)))
        probe[0, col[key]] = 1.0
        if np.linalg.matrix_rank(np.vstack([system, probe])) == rank:
            out.append(key)
    return out


# -- random tables --------------------------------------------------------------------------------------

COUNTS = st.sampled_from([0, 0, 0, 1, 2, 3, 4, 5, 6, 9, 14, 40])


def cell(grouping: str, **dims: str) -> CellKey:
    return (grouping, *[dims.get(d) for d in DIMENSIONS])


@st.composite
def tables(draw: st.DrawFn) -> dict[CellKey, int]:
    """A department × size table with its margins and a sex breakdown, long format, zero cells absent."""
    depts = [f"{i:02d}" for i in range(1, draw(st.integers(1, 6)) + 1)]
    sizes = ["micro", "pequena", "mediana", "grande"][: draw(st.integers(1, 4))]
    inner = {(d, s): draw(COUNTS) for d in depts for s in sizes}
    total = sum(inner.values())
    women = draw(st.integers(0, total))
    values: dict[CellKey, int] = {cell("total"): total}
    values |= {cell("departamento", departamento=d): sum(inner[d, s] for s in sizes) for d in depts}
    values |= {cell("tamano", tamano=s): sum(inner[d, s] for d in depts) for s in sizes}
    values |= {cell("departamento_tamano", departamento=d, tamano=s): v for (d, s), v in inner.items()}
    values |= {cell("sexo_titular", sexo_titular="femenino"): women,
               cell("sexo_titular", sexo_titular="masculino"): total - women}
    return {key: v for key, v in values.items() if v > 0 or key[0] == "total"}


def run(values: dict[CellKey, int], k: int = K) -> set[CellKey]:
    keys = list(values)
    cost = [float(values[key]) for key in keys]
    primary = {i for i, c in enumerate(cost) if 0 < c < k}
    hidden = complementary(len(keys), relations_for(keys), cost, primary)
    return {keys[i] for i in hidden}


@settings(max_examples=300, deadline=None)
@given(tables())
def test_no_suppressed_cell_can_be_derived(values: dict[CellKey, int]) -> None:
    hidden = run(values)
    assert {key for key, v in values.items() if 0 < v < K} <= hidden  # every small cell is suppressed
    assert determined_cells(list(values), hidden) == []
    assert all(values[key] > 0 for key in hidden)  # complementary cells are never zeros


@settings(max_examples=100, deadline=None)
@given(tables())
def test_exact_check_agrees_with_the_attacker(values: dict[CellKey, int]) -> None:
    keys = list(values)
    hidden = {i for i, key in enumerate(keys) if 0 < values[key] < 9}  # an arbitrary pattern, maybe unsafe
    found = derivable(relations_for(keys), hidden)
    assert sorted((keys[i] for i in found), key=str) == determined_cells(keys, {keys[i] for i in hidden})


# -- hand examples --------------------------------------------------------------------------------------

LIMA, AREQUIPA, CUSCO = "15", "04", "08"


def test_a_small_department_hides_the_smallest_sibling_too() -> None:
    values = {cell("total"): 30, cell("departamento", departamento=LIMA): 20,
              cell("departamento", departamento=AREQUIPA): 7, cell("departamento", departamento=CUSCO): 3}
    assert run(values) == {cell("departamento", departamento=CUSCO), cell("departamento", departamento=AREQUIPA)}


def test_a_lone_child_hides_its_parent() -> None:
    values = {cell("total"): 3, cell("departamento", departamento=LIMA): 3}
    assert run(values) == set(values)
    values = {cell("total"): 9, cell("departamento", departamento=LIMA): 9}
    assert run(values) == set()


def test_a_small_inner_cell_hides_a_rectangle() -> None:
    # micro: A=2 (small), B=8; pequeña: A=10, B=20. Margins A=12, B=28, micro=10, pequeña=30, total=40.
    inner = {(AREQUIPA, "micro"): 2, (AREQUIPA, "pequena"): 10, (CUSCO, "micro"): 8, (CUSCO, "pequena"): 20}
    values = {cell("total"): 40, cell("departamento", departamento=AREQUIPA): 12,
              cell("departamento", departamento=CUSCO): 28, cell("tamano", tamano="micro"): 10,
              cell("tamano", tamano="pequena"): 30}
    values |= {cell("departamento_tamano", departamento=d, tamano=s): v for (d, s), v in inner.items()}
    assert run(values) == {cell("departamento_tamano", departamento=d, tamano=s) for d, s in inner}


def test_two_suppressed_cells_per_relation_are_not_always_enough() -> None:
    # Two 2 × 2 rectangles of hidden cells joined by one hidden cell: every row and column holds two or
    # more hidden cells, yet the joining cell is the difference of two published sums.
    depts, sizes = ["01", "02", "03", "04"], ["micro", "pequena", "mediana", "grande"]
    inner = {(d, s): 10 for d in depts for s in sizes}
    values = {cell("total"): 160}
    values |= {cell("departamento", departamento=d): 40 for d in depts}
    values |= {cell("tamano", tamano=s): 40 for s in sizes}
    values |= {cell("departamento_tamano", departamento=d, tamano=s): v for (d, s), v in inner.items()}
    keys = list(values)
    pattern = [("01", "micro"), ("01", "pequena"), ("02", "micro"), ("02", "pequena"),
               ("03", "mediana"), ("03", "grande"), ("04", "mediana"), ("04", "grande"), ("02", "mediana")]
    hidden = {keys.index(cell("departamento_tamano", departamento=d, tamano=s)) for d, s in pattern}
    bridge = keys.index(cell("departamento_tamano", departamento="02", tamano="mediana"))
    assert derivable(relations_for(keys), hidden) == [bridge]
    assert determined_cells(keys, {keys[i] for i in hidden}) == [keys[bridge]]
    safe = complementary(len(keys), relations_for(keys), [float(values[key]) for key in keys], hidden)
    assert determined_cells(keys, {keys[i] for i in safe}) == []


# -- protect() on programme indicators -----------------------------------------------------------------


def row(codigo: str, anio: int, grouping: str = "total", **over: Any) -> dict[str, Any]:
    dims = {d: over.pop(d, None) for d in DIMENSIONS}
    medidas = over.pop("medidas")
    numerador = over.pop("numerador", next(iter(medidas.values())))
    return {"codigo": codigo, "indicador": codigo, "anio": anio, "desagregacion": grouping, **dims,
            "numerador": numerador, "denominador": over.pop("denominador", None),
            "valor": over.pop("valor", numerador), "medidas": medidas}


def ratio(codigo: str, anio: int, num: float, den: float, grouping: str = "total", **dims: str) -> dict[str, Any]:
    return row(codigo, anio, grouping, **dims, medidas={"MC": num, "MT": den}, numerador=num, denominador=den,
               valor=num / den * 100 if den else float("nan"))


@pytest.fixture(scope="module")
def programme() -> Programa:
    return shipped_programme()


def by_cell(out: pd.DataFrame) -> dict[tuple[int, str, str | None], str]:
    return {(int(r.anio), str(r.desagregacion), r.departamento): str(r.estado) for r in out.itertuples()}


def test_a_ratio_counts_units_in_numerator_and_denominator(programme: Programa) -> None:
    values = pd.DataFrame([
        ratio("OE1-05", 2025, 30, 60),
        ratio("OE1-05", 2025, 2, 20, "departamento", departamento=LIMA),  # 2 completers: small numerator
        ratio("OE1-05", 2025, 18, 25, "departamento", departamento=AREQUIPA),
        ratio("OE1-05", 2025, 10, 15, "departamento", departamento=CUSCO),
    ])
    out = protect(values, programme, k=K)
    assert by_cell(out) == {(2025, "total", None): "publicado", (2025, "departamento", LIMA): "suprimido",
                            (2025, "departamento", AREQUIPA): "publicado", (2025, "departamento", CUSCO): "suprimido"}
    hidden = out[out["estado"] == "suprimido"]
    assert hidden[["numerador", "denominador", "valor"]].isna().all().all()
    assert list(hidden["medidas"]) == [{}, {}]
    assert list(hidden["supresion"]) == ["primaria", "complementaria"]
    # a small denominator is sensitive even with a zero numerator; zero everywhere is not
    small_den = pd.DataFrame([ratio("OE1-05", 2025, 0, 3), ratio("OE1-06", 2025, 0, 0)])
    assert list(protect(small_den, programme)["estado"]) == ["suprimido", "sin_dato"]


def test_reported_indicators_are_never_suppressed(programme: Programa) -> None:
    values = pd.DataFrame([row("OE2-07", 2025, medidas={"N": 1.0}), row("OE1-03.1", 2025, medidas={"T": 1.0})])
    assert list(protect(values, programme)["estado"]) == ["publicado", "publicado"]
    assert not unit_rule(programme, programme.indicador("OE2-07")).protected
    rule = unit_rule(programme, programme.indicador("OE2-06"))
    assert rule.counts == ("N",) and rule.uncovered == ()  # the score sum is covered by the company count


def cumulative(anio: int, total: int, lima: int, cusco: int, arequipa: int | None = None) -> list[dict[str, Any]]:
    out = [row("OE2-04", anio, medidas={"N": float(total)}),
           row("OE2-04", anio, "departamento", departamento=LIMA, medidas={"N": float(lima)}),
           row("OE2-04", anio, "departamento", departamento=CUSCO, medidas={"N": float(cusco)})]
    if arequipa is not None:
        out.append(row("OE2-04", anio, "departamento", departamento=AREQUIPA, medidas={"N": float(arequipa)}))
    return out


def test_small_yearly_increments_of_a_cumulative_count_are_protected(programme: Programa) -> None:
    # Cusco gains 2 companies in 2025: publishing 5 then 7 would tell that 2 new companies came in.
    out = protect(pd.DataFrame(cumulative(2024, 10, 5, 5) + cumulative(2025, 17, 10, 7)), programme)
    assert by_cell(out) == {
        (2024, "total", None): "publicado", (2024, "departamento", LIMA): "publicado",
        (2024, "departamento", CUSCO): "publicado",
        (2025, "total", None): "publicado", (2025, "departamento", LIMA): "suprimido",
        (2025, "departamento", CUSCO): "suprimido"}


def test_an_unchanged_cumulative_count_is_not_published_after_hidden_years(programme: Programa) -> None:
    # 2025: Lima gains 2 (hidden) and Cusco, unchanged at 10, is hidden to protect it (Lima + Cusco = 22).
    # 2026: publishing Cusco at 10 again would pin its 2025 value (cumulative counts never decrease): 10 ≤ x ≤ 10,
    # hence Lima's 2025 value, 12.
    years = (cumulative(2024, 30, 10, 10, 10) + cumulative(2025, 37, 12, 10, 15)
             + cumulative(2026, 45, 20, 10, 15))
    states = by_cell(protect(pd.DataFrame(years), programme))
    assert states[2025, "departamento", LIMA] == states[2025, "departamento", CUSCO] == "suprimido"
    assert states[2025, "departamento", AREQUIPA] == "publicado"
    assert states[2026, "departamento", CUSCO] == "suprimido"


def test_indicators_sharing_a_measure_share_their_suppressions(programme_dict: dict[str, Any]) -> None:
    # Make OE2-03 count exactly what OE1-05's numerator counts.
    codes = {}
    for oe in programme_dict["objetivos"]:
        for ae in oe.get("acciones", []):
            for act in ae["actividades"]:
                for ind in act["indicadores"]:
                    codes[ind["codigo"]] = ind
    mc = codes["OE1-05"]["calculo"]["medidas"]["MC"]
    codes["OE2-03"]["calculo"]["medidas"]["N"] = mc
    codes["OE2-03"]["acumulacion"] = codes["OE1-05"]["acumulacion"]
    linked = Programa.model_validate(programme_dict)
    values = pd.DataFrame([
        ratio("OE1-05", 2025, 30, 60),
        ratio("OE1-05", 2025, 10, 14, "departamento", departamento=LIMA),
        ratio("OE1-05", 2025, 12, 40, "departamento", departamento=AREQUIPA),
        ratio("OE1-05", 2025, 8, 3, "departamento", departamento=CUSCO),  # 3 enrolled: small in OE1-05 only
        row("OE2-03", 2025, medidas={"N": 30.0}),
        row("OE2-03", 2025, "departamento", departamento=LIMA, medidas={"N": 10.0}),
        row("OE2-03", 2025, "departamento", departamento=AREQUIPA, medidas={"N": 12.0}),
        row("OE2-03", 2025, "departamento", departamento=CUSCO, medidas={"N": 8.0}),
    ])
    out = protect(values, linked)
    for code in ("OE1-05", "OE2-03"):
        mine = out[out["codigo"] == code]
        assert set(mine.loc[mine["estado"] == "suprimido", "departamento"]) == {CUSCO, LIMA}
    alone = protect(values, shipped_programme())  # not linked: OE2-03 alone publishes every cell
    assert (alone.loc[alone["codigo"] == "OE2-03", "estado"] == "publicado").all()


def test_threshold_setting_and_bounds(monkeypatch: pytest.MonkeyPatch, programme: Programa) -> None:
    monkeypatch.setenv("PADE_DISCLOSURE_K", "11")
    assert Settings().disclosure_k == 11
    with pytest.raises(ConfigError):
        protect(pd.DataFrame(cumulative(2024, 10, 5, 5)), programme, k=1)
    out = protect(pd.DataFrame(cumulative(2024, 20, 10, 10)), programme, k=11)
    assert list(out["estado"]) == ["publicado", "suprimido", "suprimido"]


def test_personal_rucs_never_leave() -> None:
    with pytest.raises(DisclosureError, match=r"datos/x\.csv, línea 2"):
        assert_no_personal_data({"datos/x.csv": "a,b\n10456789012,3\n"})
    assert_no_personal_data({"ok.csv": "20123456789,ab10456789012cd,12.10456789012,104567890123\n"})


def test_numbers_are_written_exactly() -> None:
    assert [format_number(x) for x in (None, 3.0, 7.5, float("nan"), 33.3333333333, -2.0)] == [
        "", "3", "7.5", "", "33.3333333333", "-2"]
