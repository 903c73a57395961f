"""Reference data of the registry: INEI ubigeo, CIIU rev. 4, UIT by year and size classes.

Everything here is read once from the CSVs shipped in ``pade/registry/data/``
(see its README for sources and licences) and never touches the database.
Codes are strings, so leading zeros survive (``"07"`` is Callao).

Example:
    >>> department_name(department_of("070101"))
    'Callao'
    >>> size_class_from_sales(Decimal("772500"), 2024)  # exactly 150 UIT of 2024
    'micro'
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from pade.core.errors import NotFound, PadeError
from pade.core.i18n import t

NIVELES = ("departamento", "provincia", "distrito")


class InvalidAmount(PadeError, ValueError):
    """An amount cannot be classified (it is not a number)."""

    http_status = 422


def _rows(name: str) -> list[dict[str, str]]:
    text = (resources.files("pade.registry") / "data" / name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


# -- ubigeo ---------------------------------------------------------------------

@cache
def _ubigeo_by_level() -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {nivel: set() for nivel in NIVELES}
    for row in _rows("ubigeo.csv"):
        found[row["nivel"]].add(row["ubigeo"])
    return {nivel: frozenset(codes) for nivel, codes in found.items()}


@cache
def _all_ubigeos() -> frozenset[str]:
    return frozenset().union(*_ubigeo_by_level().values())


@cache
def _department_names() -> dict[str, str]:
    return {r["ubigeo"]: r["nombre"] for r in _rows("ubigeo.csv") if r["nivel"] == "departamento"}


def ubigeo_codes(nivel: str | None = None) -> frozenset[str]:
    """INEI ubigeo codes of one level (``departamento``, ``provincia``, ``distrito``), or all of them.

    Raises:
        NotFound: ``nivel`` is not one of the three levels.
    """
    if nivel is None:
        return _all_ubigeos()
    by_level = _ubigeo_by_level()
    if nivel not in by_level:
        raise NotFound(t("unknown ubigeo level {level} (levels: {levels})", level=nivel, levels=", ".join(NIVELES)))
    return by_level[nivel]


def department_of(ubigeo: str) -> str:
    """The 2-digit department code of a known ubigeo of any level (``"150101"`` → ``"15"``).

    Raises:
        NotFound: ``ubigeo`` is not an INEI code.
    """
    if ubigeo not in _all_ubigeos():
        raise NotFound(t("the ubigeo {ubigeo} is not an INEI code; use a 2-, 4- or 6-digit code such as 150101",
                         ubigeo=ubigeo))
    return ubigeo[:2]


def department_name(code: str) -> str:
    """The name of a department from its 2-digit code (``"07"`` → ``"Callao"``).

    Raises:
        NotFound: ``code`` is not a department code.
    """
    names = _department_names()
    if code not in names:
        raise NotFound(t("{code} is not an INEI department code (01 to 25)", code=code))
    return names[code]


def departments() -> list[tuple[str, str]]:
    """The 25 departments as ``(code, name)``, sorted by code."""
    return sorted(_department_names().items())


# -- CIIU rev. 4 ----------------------------------------------------------------

@cache
def _ciiu_section_by_division() -> dict[str, str]:
    return {r["codigo"]: r["seccion"] for r in _rows("ciiu_rev4.csv") if r["nivel"] == "division"}


@cache
def ciiu_divisions() -> frozenset[str]:
    """The 88 two-digit divisions of CIIU rev. 4 (``"01"`` … ``"99"``)."""
    return frozenset(_ciiu_section_by_division())


@cache
def ciiu_sections() -> frozenset[str]:
    """The 21 sections of CIIU rev. 4 (``"A"`` … ``"U"``)."""
    return frozenset(r["codigo"] for r in _rows("ciiu_rev4.csv") if r["nivel"] == "seccion")


@cache
def ciiu_section_names() -> dict[str, str]:
    """The 21 sections of CIIU rev. 4 with their Spanish names (``"G"`` → ``"Comercio al por mayor…"``)."""
    return {r["codigo"]: r["descripcion"] for r in _rows("ciiu_rev4.csv") if r["nivel"] == "seccion"}


def ciiu_section_of(division: str) -> str:
    """The section letter of a CIIU rev. 4 division (``"47"`` → ``"G"``).

    A 3- or 4-digit group or class code is read by its first two digits, its division.

    Raises:
        NotFound: the code is not in a known division.
    """
    sections = _ciiu_section_by_division()
    key = division[:2] if len(division) in (3, 4) and division.isdigit() else division
    if key not in sections:
        raise NotFound(t("{code} is not a CIIU rev. 4 division; use the 2-digit division (e.g. 47 for retail trade)",
                         code=division))
    return sections[key]


# -- UIT and size classes -------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _SizeClass:
    clase: str
    max_uit: Decimal | None  # inclusive; None for the open-ended top class


@cache
def _uit_table() -> dict[int, Decimal]:
    return {int(r["anio"]): Decimal(r["uit_soles"]) for r in _rows("uit.csv")}


@cache
def _size_classes() -> tuple[_SizeClass, ...]:
    classes = [_SizeClass(r["clase"], Decimal(r["ventas_uit_max_inclusivo"]) if r["ventas_uit_max_inclusivo"] else None)
               for r in _rows("tamano_empresa.csv")]
    # Bounded classes by their ceiling, the open-ended one last.
    return tuple(sorted(classes, key=lambda c: (c.max_uit is None, c.max_uit or 0)))


def uit_years() -> list[int]:
    """The years with a known UIT, ascending."""
    return sorted(_uit_table())


def uit(year: int) -> Decimal:
    """The UIT (Unidad Impositiva Tributaria) of ``year`` in soles.

    Raises:
        NotFound: no UIT is recorded for ``year``; the message names the years available.
    """
    table = _uit_table()
    if year not in table:
        years = uit_years()
        raise NotFound(t("no UIT is recorded for the year {year} (years available: {first}–{last})",
                         year=year, first=years[0], last=years[-1]))
    return table[year]


def size_class_from_sales(sales_soles: Decimal, year: int) -> str:
    """Size class (``micro``, ``pequena``, ``mediana``, ``grande``) from annual sales in soles (Ley N° 30056).

    Sales are converted with the UIT of ``year``; each bound is inclusive on the upper
    side (exactly 150 UIT is still ``micro``). The class depends only on the upper
    bounds, so zero or negative sales are ``micro`` (the importer rejects negatives).

    Raises:
        NotFound: no UIT is recorded for ``year``.
        InvalidAmount: ``sales_soles`` is NaN.
    """
    value = uit(year)
    if sales_soles.is_nan():
        raise InvalidAmount(t("the annual sales are not a number; write the amount in soles"))
    for cls in _size_classes():
        if cls.max_uit is None or sales_soles <= cls.max_uit * value:
            return cls.clase
    raise AssertionError("tamano_empresa.csv has no open-ended class")  # the shipped CSV always has one


def size_class_from_sales_array(
    sales: npt.NDArray[np.floating[Any]], years: npt.NDArray[np.integer[Any]],
) -> npt.NDArray[np.object_]:
    """Vectorised :func:`size_class_from_sales`: one class per element, ``None`` where it cannot be told.

    ``None`` where the year has no UIT or the sales are NaN; otherwise the same class
    as the scalar function gives for ``Decimal(float(sales[i]))``.

    Example:
        >>> size_class_from_sales_array(np.array([1e6, np.nan]), np.array([2024, 2024])).tolist()
        ['pequena', None]
    """
    sales_f = np.asarray(sales, dtype=np.float64)
    years_i = np.asarray(years, dtype=np.int64)
    if sales_f.shape != years_i.shape:
        raise ValueError(f"sales and years differ in shape: {sales_f.shape} vs {years_i.shape}")
    uit_of_year = np.full(sales_f.shape, math.nan)
    for year, value in _uit_table().items():
        uit_of_year[years_i == year] = float(value)
    out = np.full(sales_f.shape, None, dtype=object)
    pending = ~np.isnan(uit_of_year) & ~np.isnan(sales_f)
    for cls in _size_classes():
        # Bound × UIT is an integer well below 2**53, exact in float64, so `<=` matches Decimal.
        hit = pending if cls.max_uit is None else pending & (sales_f <= float(cls.max_uit) * uit_of_year)
        out[hit] = cls.clase
        pending &= ~hit
    return out
