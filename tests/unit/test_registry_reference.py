"""Reference data of the registry: ubigeo, CIIU rev. 4, UIT and size classes."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pade.core.errors import NotFound
from pade.registry.reference import (
    InvalidAmount,
    ciiu_divisions,
    ciiu_section_of,
    ciiu_sections,
    department_name,
    department_of,
    departments,
    size_class_from_sales,
    size_class_from_sales_array,
    ubigeo_codes,
    uit,
)


def test_ubigeo_counts_match_inei() -> None:
    assert len(ubigeo_codes("departamento")) == 25
    assert len(ubigeo_codes("provincia")) == 196
    assert len(ubigeo_codes("distrito")) == 1893
    assert len(ubigeo_codes()) == 25 + 196 + 1893


def test_codes_keep_their_leading_zeros() -> None:
    assert {"01", "0101", "010101"} <= ubigeo_codes()
    assert all(len(c) == 6 for c in ubigeo_codes("distrito"))


def test_unknown_level_is_refused() -> None:
    with pytest.raises(NotFound, match="distrito"):
        ubigeo_codes("region")


def test_callao_is_department_07() -> None:
    assert "07" in ubigeo_codes("departamento")
    assert department_name("07") == "Callao"
    assert department_of("070101") == "07"
    assert department_of("0701") == "07"


def test_lima_metropolitana_is_in_department_15() -> None:
    assert department_of("150101") == "15"
    assert department_name("15") == "Lima"


def test_departments_are_sorted_by_code() -> None:
    deps = departments()
    assert len(deps) == 25
    assert [c for c, _ in deps] == sorted(c for c, _ in deps)
    assert deps[0] == ("01", "Amazonas")


def test_unknown_codes_raise_not_found_in_spanish() -> None:
    with pytest.raises(NotFound, match="no es un código INEI"):
        department_of("999999")
    with pytest.raises(NotFound):
        department_name("26")


def test_ciiu_sections_and_divisions() -> None:
    assert len(ciiu_sections()) == 21
    assert ciiu_sections() == frozenset("ABCDEFGHIJKLMNOPQRSTU")
    assert len(ciiu_divisions()) == 88
    assert "01" in ciiu_divisions()


@pytest.mark.parametrize(("division", "section"), [
    ("01", "A"), ("03", "A"), ("05", "B"), ("10", "C"), ("33", "C"), ("35", "D"), ("47", "G"), ("62", "J"),
    ("99", "U"), ("4711", "G"),
])
def test_section_of_division(division: str, section: str) -> None:
    assert ciiu_section_of(division) == section


def test_unknown_division_raises() -> None:
    with pytest.raises(NotFound, match="47"):
        ciiu_section_of("04")


@pytest.mark.parametrize(("year", "value"), [
    (2020, 4300), (2021, 4400), (2022, 4600), (2023, 4950), (2024, 5150), (2025, 5350), (2026, 5500),
])
def test_uit_by_year(year: int, value: int) -> None:
    assert uit(year) == Decimal(value)


def test_unknown_uit_year_names_the_years_available() -> None:
    with pytest.raises(NotFound) as err:
        uit(2019)
    assert "2019" in str(err.value)
    assert "2020" in str(err.value) and "2026" in str(err.value)
    assert isinstance(err.value, LookupError)


UIT_2024 = Decimal(5150)


@pytest.mark.parametrize(("uits", "cents", "expected"), [
    (0, 0, "micro"),
    (150, 0, "micro"),
    (150, 1, "pequena"),
    (1700, 0, "pequena"),
    (1700, 1, "mediana"),
    (2300, 0, "mediana"),
    (2300, 1, "grande"),
    (100_000, 0, "grande"),
])
def test_size_boundaries_are_inclusive_upwards(uits: int, cents: int, expected: str) -> None:
    sales = uits * UIT_2024 + Decimal(cents) / 100
    assert size_class_from_sales(sales, 2024) == expected
    vector = size_class_from_sales_array(np.array([float(sales)]), np.array([2024]))
    assert vector.tolist() == [expected]


def test_size_uses_the_uit_of_the_year() -> None:
    sales = 150 * Decimal(5150)  # micro in 2024, above 150 UIT of 2023 (4950)
    assert size_class_from_sales(sales, 2024) == "micro"
    assert size_class_from_sales(sales, 2023) == "pequena"


def test_size_of_unknown_year_or_nan() -> None:
    with pytest.raises(NotFound):
        size_class_from_sales(Decimal(1000), 2019)
    with pytest.raises(InvalidAmount):
        size_class_from_sales(Decimal("NaN"), 2024)
    out = size_class_from_sales_array(np.array([1000.0, math.nan, 1000.0]), np.array([2019, 2024, 2024]))
    assert out.tolist() == [None, None, "micro"]


def test_size_array_of_nothing() -> None:
    assert size_class_from_sales_array(np.array([], dtype=float), np.array([], dtype=int)).tolist() == []


# Sales concentrated around the class bounds of every year, plus anything else.
_BOUNDS = [b * u for b in (150, 1700, 2300) for u in (4300, 4400, 4600, 4950, 5150, 5350, 5500)]
_sales = st.one_of(
    st.sampled_from(_BOUNDS).map(float),
    st.sampled_from(_BOUNDS).flatmap(lambda b: st.floats(b - 1, b + 1)),
    st.floats(min_value=-1e3, max_value=1e12, allow_nan=False),
    st.just(math.nan),
)


@given(st.lists(st.tuples(_sales, st.integers(2017, 2028)), max_size=60))
def test_vector_agrees_with_scalar(pairs: list[tuple[float, int]]) -> None:
    sales = np.array([s for s, _ in pairs], dtype=float)
    years = np.array([y for _, y in pairs], dtype=int)
    got = size_class_from_sales_array(sales, years).tolist()
    expected: list[str | None] = []
    for s, y in pairs:
        try:
            expected.append(size_class_from_sales(Decimal(s), y))
        except (NotFound, InvalidAmount):
            expected.append(None)
    assert got == expected
