"""Is an indicator on track? Targets per year, compliance, traffic light, progress status, projection.

Pure functions over floats: no database, no I/O. The methods and their sources are
argued in ``docs/decisions/0005-progress-methods.md``:

- :func:`yearly_targets` interpolates the printed milestones (2026/2028/2030) from the baseline;
- :func:`compliance` is CEPLAN's percentage of compliance (*avance* from the baseline, or *logro*);
- :func:`traffic_light` maps a compliance to a colour band of a :class:`LegendSet` (as DHIS2 legends);
- :func:`progress_status` is Open SDG's (Statistics Canada's) CAGR-based progress status;
- :func:`project` extends a least-squares linear trend to 2030.

Missing numbers are ``None``; a NaN coming from the engine is treated as missing too. One module
(over the usual size) because the five steps share the rules for direction and missing values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from itertools import pairwise

from pade.core.errors import InvalidDefinition
from pade.core.i18n import t
from pade.programme.models import Sentido

# Open SDG replaces a zero base or target by this value: CAGR is undefined at zero.
ZERO_REPLACEMENT = 0.001
# Open SDG defaults (sdg-build ProgressMeasure.get_progress_thresholds), see decision 0005.
THRESHOLDS_WITH_TARGET = (0.95, 0.6, 0.0)  # ratio of observed to required CAGR: high, med, low
THRESHOLDS_WITHOUT_TARGET = (0.015, 0.005, 0.0)  # observed CAGR, signed by the expected direction
WCAG_AA_TEXT = 4.5  # minimum contrast ratio for normal text (WCAG 2.x, 1.4.3)


def _present(x: float | None) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


def _meets(value: float, target: float, direction: Sentido) -> bool:
    """True when ``value`` is at or beyond ``target`` in the expected direction (``constante`` as ascending)."""
    return value <= target if direction == Sentido.descendente else value >= target


# -- 1. targets per year --------------------------------------------------------------------------


class TargetKind(StrEnum):
    """Where a year's target comes from."""

    linea_base = "linea_base"  # the baseline point itself
    hito = "hito"  # a printed milestone (2026, 2028, 2030)
    interpolada = "interpolada"  # linear between two anchors
    sin_meta = "sin_meta"  # before the first anchor or after the last: no target


@dataclass(frozen=True, slots=True)
class TargetPoint:
    """The target of one year; ``value`` is None exactly when ``kind`` is ``sin_meta``."""

    year: int
    value: float | None
    kind: TargetKind


def yearly_targets(
    baseline: tuple[int, float] | None,
    milestones: Sequence[tuple[int, float]],
    years: Iterable[int],
) -> dict[int, TargetPoint]:
    """The target of each year in ``years``, interpolated linearly between anchors.

    The anchors are the baseline point (if any) and the milestones. Between two anchors the
    target is on the straight line joining them; at an anchor it is the anchor's value; before
    the first anchor and after the last there is no target (``sin_meta``). Hence:

    - no baseline: only the milestones are anchors, years before the first milestone get none;
    - one milestone and no baseline: only that year has a target;
    - no milestones: no year has a target (a baseline alone is not a target, not even for its year).

    Args:
        baseline: ``(year, value)`` of the baseline, or None when it is not available. The year is
            the one the indicator prints, else the programme's ``horizonte.anio_linea_base``.
        milestones: ``(year, value)`` of each printed target, in any order.
        years: the years wanted (e.g. ``range(2023, 2031)``).

    Raises:
        InvalidDefinition: two milestones share a year, or the baseline is not before the first milestone.

    Example:
        >>> yearly_targets((2023, 18.0), [(2026, 30.0)], [2024])[2024]
        TargetPoint(year=2024, value=22.0, kind=<TargetKind.interpolada: 'interpolada'>)
    """
    ordered = sorted((int(y), float(v)) for y, v in milestones)
    for (y1, _), (y2, _) in pairwise(ordered):
        if y1 == y2:
            raise InvalidDefinition(t("Targets: two milestones for the year {year}; keep one", year=y1))
    if not ordered:
        return {y: TargetPoint(y, None, TargetKind.sin_meta) for y in years}
    anchors: list[tuple[int, float, TargetKind]] = [(y, v, TargetKind.hito) for y, v in ordered]
    if baseline is not None:
        if baseline[0] >= ordered[0][0]:
            raise InvalidDefinition(t(
                "Targets: the baseline year {baseline_year} must be before the first milestone ({year})",
                baseline_year=baseline[0], year=ordered[0][0]))
        anchors.insert(0, (int(baseline[0]), float(baseline[1]), TargetKind.linea_base))
    return {y: _target_at(y, anchors) for y in years}


def _target_at(year: int, anchors: list[tuple[int, float, TargetKind]]) -> TargetPoint:
    for (y0, v0, k0), (y1, v1, _) in pairwise(anchors):
        if year == y0:
            return TargetPoint(year, v0, k0)
        if y0 < year < y1:
            # Anchored at v0 so that a flat stretch (v0 == v1) stays exactly flat.
            return TargetPoint(year, v0 + (v1 - v0) * (year - y0) / (y1 - y0), TargetKind.interpolada)
    y_last, v_last, k_last = anchors[-1]
    if year == y_last:
        return TargetPoint(year, v_last, k_last)
    return TargetPoint(year, None, TargetKind.sin_meta)


# -- 2. CEPLAN compliance -------------------------------------------------------------------------


class ComplianceMethod(StrEnum):
    """CEPLAN's two ways of measuring compliance."""

    avance = "avance"  # CEPLAN: progress from the baseline towards the target
    logro = "logro"  # CEPLAN: achievement, the value as a share of the target


@dataclass(frozen=True, slots=True)
class Compliance:
    """A compliance percentage, the method actually used, and a Spanish note when PADE had to choose."""

    value_pct: float | None
    method_used: ComplianceMethod
    note: str | None = None


def compliance(
    value: float | None,
    *,
    target: float | None,
    baseline: float | None,
    direction: Sentido,
    method: ComplianceMethod = ComplianceMethod.avance,
) -> Compliance:
    """Percentage of compliance of ``value`` against ``target``, as CEPLAN reports it.

    ``avance`` (default): ``(value − baseline) / (target − baseline) × 100``. The same formula
    serves descending indicators (numerator and denominator both change sign). When the target
    asks for no movement from the baseline in the expected direction (``target == baseline``, as
    with flat targets of ``constante`` indicators, or a target the baseline already beats) the
    formula is meaningless: the result is 100 when the value meets the target in the expected
    direction (≥, or ≤ for ``descendente``), else the ``logro`` percentage. Without a baseline
    ``avance`` falls back to ``logro`` and the note says so.

    ``logro``: ``value / target × 100`` (``target / value × 100`` for ``descendente``); exactly
    100 when value equals target; None when dividing by zero or when a number is negative
    (a ratio of signed quantities is not an achievement).

    Results are not capped: over-achievement gives more than 100, a move away from the target
    less than 0. Missing value or target (None or NaN) gives None.

    Example:
        >>> compliance(25.0, target=30.0, baseline=20.0, direction=Sentido.ascendente).value_pct
        50.0
    """
    v, tg, b = _present(value), _present(target), _present(baseline)
    if v is None or tg is None:
        return Compliance(None, method)
    if method == ComplianceMethod.logro:
        return _logro(v, tg, direction, ComplianceMethod.logro)
    if b is None:
        fallback = _logro(v, tg, direction, ComplianceMethod.logro)
        note = t("No baseline: compliance is the achievement against the target (logro method)")
        return Compliance(fallback.value_pct, fallback.method_used, _join(note, fallback.note))
    ahead = tg < b if direction == Sentido.descendente else tg > b
    if not ahead:
        note = t("The target asks for no change from the baseline: compliance is 100 when the value meets it, "
                 "otherwise the achievement against the target")
        if _meets(v, tg, direction):
            return Compliance(100.0, ComplianceMethod.avance, note)
        ratio = _logro(v, tg, direction, ComplianceMethod.avance)
        return Compliance(ratio.value_pct, ComplianceMethod.avance, _join(note, ratio.note))
    return Compliance((v - b) / (tg - b) * 100, ComplianceMethod.avance)


def _logro(value: float, target: float, direction: Sentido, used: ComplianceMethod) -> Compliance:
    if value == target:
        return Compliance(100.0, used)
    if value < 0 or target < 0:
        return Compliance(None, used, t("Negative values: achievement against the target is not defined"))
    num, den = (target, value) if direction == Sentido.descendente else (value, target)
    if den == 0:
        return Compliance(None, used, t("Division by zero: achievement against the target is not defined"))
    return Compliance(num / den * 100, used)


def _join(*notes: str | None) -> str | None:
    kept = [n for n in notes if n]
    return " ".join(kept) if kept else None


# -- 3. traffic light -----------------------------------------------------------------------------

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def contrast_on_white(color_hex: str) -> float:
    """WCAG 2.x contrast ratio of ``color_hex`` (``#RRGGBB``) against white, from 1 to 21."""
    channels = [int(color_hex[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else math.pow((c + 0.055) / 1.055, 2.4) for c in channels)
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


def _check_hex(code: str, color: str) -> None:
    if len(color) != 7 or color[0] != "#" or not set(color[1:]) <= _HEX_DIGITS:
        raise InvalidDefinition(t("Legend {code}: {color} is not a colour like #1A7F37", code=code, color=color))


@dataclass(frozen=True, slots=True)
class Legend:
    """One band of compliance, ``start`` ≤ x < ``end``, as a DHIS2 legend.

    ``color_hex`` fills the swatch; ``text_hex`` (default: ``color_hex``) writes the label on a white
    page and must pass WCAG AA (contrast ≥ 4.5). The no-data legend has neither start nor end.

    Raises:
        InvalidDefinition: a colour is not ``#RRGGBB``, the text colour fails WCAG AA, start ≥ end,
            or only one of start and end is given.
    """

    code: str
    label: str
    color_hex: str
    start: float | None = None
    end: float | None = None
    text_hex: str | None = None

    def __post_init__(self) -> None:
        _check_hex(self.code, self.color_hex)
        _check_hex(self.code, self.text_color)
        ratio = contrast_on_white(self.text_color)
        if ratio < WCAG_AA_TEXT:
            raise InvalidDefinition(t(
                "Legend {code}: text colour {color} has a contrast of {ratio} on white, below the WCAG AA "
                "minimum of 4.5; give a darker text_hex",
                code=self.code, color=self.text_color, ratio=f"{ratio:.2f}"))
        if (self.start is None) != (self.end is None):
            raise InvalidDefinition(t("Legend {code}: give both start and end, or neither", code=self.code))
        if self.start is not None and self.end is not None and not self.start < self.end:
            raise InvalidDefinition(t("Legend {code}: start {start} must be below end {end}",
                                      code=self.code, start=self.start, end=self.end))

    @property
    def text_color(self) -> str:
        """The colour to write this legend's text with on white."""
        return self.text_hex or self.color_hex


@dataclass(frozen=True, slots=True)
class LegendStyle:
    """Code, label and colours of a band, before :meth:`LegendSet.from_bounds` gives it a range."""

    code: str
    label: str
    color_hex: str
    text_hex: str | None = None


@dataclass(frozen=True, slots=True)
class LegendSet:
    """Bands covering every compliance from −∞ to +∞, without gaps or overlaps, plus a no-data legend.

    Bands may be given in any order; they are kept sorted by ``start``.

    Raises:
        InvalidDefinition: no bands, a band without a range, a gap, an overlap, the bands do not
            reach −∞ and +∞, a duplicated code, or a no-data legend with a range.
    """

    bands: tuple[Legend, ...]
    no_data: Legend

    def __post_init__(self) -> None:
        if not self.bands:
            raise InvalidDefinition(t("Legend set: no bands; give at least one"))
        if self.no_data.start is not None:
            raise InvalidDefinition(t("Legend set: the no-data legend {code} must have no start or end",
                                      code=self.no_data.code))
        codes = [b.code for b in self.bands] + [self.no_data.code]
        for code in codes:
            if codes.count(code) > 1:
                raise InvalidDefinition(t("Legend set: the code {code} is used twice", code=code))
        for band in self.bands:
            if band.start is None:
                raise InvalidDefinition(t("Legend set: band {code} has no start and end", code=band.code))
        ranged = sorted(((b.start, b.end, b) for b in self.bands if b.start is not None and b.end is not None),
                        key=lambda r: r[0])
        object.__setattr__(self, "bands", tuple(b for _, _, b in ranged))
        if ranged[0][0] != -math.inf or ranged[-1][1] != math.inf:
            raise InvalidDefinition(t(
                "Legend set: the bands must cover from -inf to +inf (they cover {start} to {end})",
                start=ranged[0][0], end=ranged[-1][1]))
        for (_, end, low), (start, _, high) in pairwise(ranged):
            if end < start:
                raise InvalidDefinition(t("Legend set: gap between {end} (end of {code}) and {start} (start of {next})",
                                          end=end, code=low.code, start=start, next=high.code))
            if end > start:
                raise InvalidDefinition(t("Legend set: {code} (to {end}) overlaps {next} (from {start})",
                                          end=end, code=low.code, start=start, next=high.code))

    @classmethod
    def from_bounds(cls, bounds: Sequence[float], styles: Sequence[LegendStyle], *, no_data: LegendStyle) -> LegendSet:
        """Bands from the inner bounds, lowest style first: n styles need n − 1 increasing bounds.

        Raises:
            InvalidDefinition: the counts do not match or the bounds do not increase strictly.

        Example:
            >>> s = [LegendStyle("bajo", "Bajo", "#C62828"), LegendStyle("alto", "Alto", "#1A7F37")]
            >>> LegendSet.from_bounds([50.0], s, no_data=LegendStyle("nd", "Sin datos", "#6B6B6B")).bands[1].start
            50.0
        """
        if len(styles) != len(bounds) + 1:
            raise InvalidDefinition(t("Legend set: {styles} styles need {needed} bounds, got {bounds}",
                                      styles=len(styles), needed=len(styles) - 1, bounds=len(bounds)))
        edges = [-math.inf, *(float(x) for x in bounds), math.inf]
        if any(not a < b for a, b in pairwise(edges)):
            raise InvalidDefinition(t("Legend set: the bounds {bounds} must increase strictly",
                                      bounds=list(bounds)))
        bands = tuple(Legend(s.code, s.label, s.color_hex, lo, hi, s.text_hex)
                      for s, (lo, hi) in zip(styles, pairwise(edges), strict=True))
        return cls(bands, Legend(no_data.code, no_data.label, no_data.color_hex, text_hex=no_data.text_hex))

    def legend_for(self, compliance_pct: float | None) -> Legend:
        """The band holding ``compliance_pct`` (the top band also holds +∞), or the no-data legend."""
        x = _present(compliance_pct)
        if x is None:
            return self.no_data
        return next(b for b in reversed(self.bands) if b.start is not None and x >= b.start)


@cache
def default_legend() -> LegendSet:
    """PADE's default traffic light: verde ≥ 95, amarillo ≥ 60, rojo below, gris without data.

    Built on first use, not at import (labels come from the catalogue). Yellow is too light for text
    on white, so its text colour is a dark amber.
    """
    return LegendSet.from_bounds(
        [60.0, 95.0],
        [
            LegendStyle("rojo", t("Red — at risk"), "#C62828"),
            LegendStyle("amarillo", t("Amber — needs attention"), "#F2C200", "#8A6100"),
            LegendStyle("verde", t("Green — on track"), "#1A7F37"),
        ],
        no_data=LegendStyle("gris", t("Grey — no data"), "#6B6B6B"),
    )


def traffic_light(compliance_pct: float | None, legend: LegendSet | None = None) -> Legend:
    """The traffic-light legend of a compliance percentage (``legend`` defaults to :func:`default_legend`).

    Example:
        >>> traffic_light(95.0).code, traffic_light(94.9).code, traffic_light(None).code
        ('verde', 'amarillo', 'gris')
    """
    return (legend or default_legend()).legend_for(compliance_pct)


# -- 4. Open SDG progress status ------------------------------------------------------------------


class ProgressStatus(StrEnum):
    """Open SDG progress categories (labels: :func:`status_label`)."""

    target_achieved = "target_achieved"
    substantial_progress = "substantial_progress"
    moderate_progress = "moderate_progress"
    limited_progress = "limited_progress"
    deterioration = "deterioration"
    not_available = "not_available"


def status_label(status: ProgressStatus) -> str:
    """The Spanish label of a progress status."""
    labels = {
        ProgressStatus.target_achieved: t("Target achieved"),
        ProgressStatus.substantial_progress: t("Substantial progress"),
        ProgressStatus.moderate_progress: t("Moderate progress"),
        ProgressStatus.limited_progress: t("Limited progress"),
        ProgressStatus.deterioration: t("Deterioration"),
        ProgressStatus.not_available: t("Not available"),
    }
    return labels[status]


@dataclass(frozen=True, slots=True)
class ProgressResult:
    """A progress status with its arithmetic. CAGRs are fractions per year (0.05 is 5 % a year).

    ``ratio`` is the observed CAGR over the magnitude of the required CAGR, signed so that
    positive means moving in the expected direction; None without a target.
    """

    status: ProgressStatus
    cagr_actual: float | None = None
    cagr_required: float | None = None
    ratio: float | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class _Window:
    base_year: int
    base: float
    current_year: int
    current: float


def _window(series: Mapping[int, float], base_year: int | None, current_year: int | None) -> _Window | str:
    """The base and current points (Open SDG rules), or a Spanish note saying why there are none."""
    points = {int(y): float(v) for y, v in series.items() if _present(v) is not None}
    if current_year is not None:
        points = {y: v for y, v in points.items() if y <= current_year}
    if base_year is not None:
        # Open SDG: a base year without data moves to the next year with data.
        points = {y: v for y, v in points.items() if y >= base_year}
    if len(points) < 2:
        return t("Fewer than two years with data between the base year and the current year")
    first, last = min(points), max(points)
    return _Window(first, points[first], last, points[last])


def _cagr(value: float, base: float, years: int) -> float:
    return math.pow(value / base, 1 / years) - 1


def _prepare(w: _Window, direction: Sentido) -> tuple[float, float, int] | str:
    """Zero-replaced base and current values and the Open SDG sign factor, or why they are unusable."""
    base = w.base or ZERO_REPLACEMENT
    current = w.current or ZERO_REPLACEMENT
    if (base > 0) != (current > 0):
        return t("The base value and the current value have different signs: CAGR is not defined")
    sign = -1 if base < 0 else 1  # Open SDG: all-negative series flip the expected direction
    d = -1 if direction == Sentido.descendente else 1
    return base, current, sign * d


def progress_status(
    series: Mapping[int, float],
    *,
    target: float,
    target_year: int,
    direction: Sentido,
    base_year: int | None = None,
    current_year: int | None = None,
) -> ProgressResult:
    """Open SDG progress status towards a quantitative target (Statistics Canada's method).

    The observed CAGR from the base year to the current year is compared with the CAGR required to
    go from the base value to ``target`` by ``target_year``: ``ratio = s·d·CAGR_obs / |CAGR_req|``
    (d = −1 for ``descendente``, +1 otherwise; s = −1 when the values are negative). Status:
    ``target_achieved`` if the current value meets the target; else ratio ≥ 0.95 substantial,
    ≥ 0.6 moderate, ≥ 0 limited, < 0 deterioration.

    Base year: ``base_year`` or, if it has no data, the next year with data; by default the first
    year of ``series``. Current year: the last year with data, not after ``current_year`` if given.
    Zero base, current or target values are replaced by 0.001. ``not_available`` with fewer than
    two years of data, when base and current (or base and target) values differ in sign, or when
    ``target_year`` is not after the base year.

    Example:
        >>> progress_status({2023: 100.0, 2025: 121.0}, target=200.0, target_year=2030,
        ...                 direction=Sentido.ascendente).status
        <ProgressStatus.substantial_progress: 'substantial_progress'>
    """
    w = _window(series, base_year, current_year)
    if isinstance(w, str):
        return ProgressResult(ProgressStatus.not_available, note=w)
    prepared = _prepare(w, direction)
    if isinstance(prepared, str):
        return ProgressResult(ProgressStatus.not_available, note=prepared)
    base, current, factor = prepared
    goal = float(target) or ZERO_REPLACEMENT
    if (goal > 0) != (base > 0):
        return ProgressResult(ProgressStatus.not_available, note=t(
            "The base value and the target have different signs: CAGR is not defined"))
    if target_year <= w.base_year:
        return ProgressResult(ProgressStatus.not_available, note=t(
            "The target year {target_year} is not after the base year {base_year}",
            target_year=target_year, base_year=w.base_year))
    observed = _cagr(current, base, w.current_year - w.base_year)
    required = _cagr(goal, base, target_year - w.base_year)
    if _meets(w.current, float(target), direction):
        ratio = factor * observed / abs(required) if required else None
        return ProgressResult(ProgressStatus.target_achieved, observed, required, ratio)
    if required == 0:
        # Target equal to the base value and not met now: the value moved the wrong way.
        return ProgressResult(ProgressStatus.deterioration, observed, required, None, t(
            "The target equals the base value and the current value moved away from it"))
    ratio = factor * observed / abs(required)
    return ProgressResult(classify_progress(ratio, THRESHOLDS_WITH_TARGET), observed, required, ratio)


def progress_status_without_target(
    series: Mapping[int, float],
    *,
    direction: Sentido,
    base_year: int | None = None,
    current_year: int | None = None,
) -> ProgressResult:
    """Open SDG progress status without a quantitative target: the observed CAGR alone.

    ``s·d·CAGR_obs`` ≥ 0.015 substantial, ≥ 0.005 moderate, ≥ 0 limited, < 0 deterioration
    (never ``target_achieved``). Years, zeros and signs as in :func:`progress_status`. Open SDG's
    scaling of thresholds near a natural limit is not applied.

    Example:
        >>> progress_status_without_target({2020: 100.0, 2022: 104.04}, direction=Sentido.ascendente).status
        <ProgressStatus.substantial_progress: 'substantial_progress'>
    """
    w = _window(series, base_year, current_year)
    if isinstance(w, str):
        return ProgressResult(ProgressStatus.not_available, note=w)
    prepared = _prepare(w, direction)
    if isinstance(prepared, str):
        return ProgressResult(ProgressStatus.not_available, note=prepared)
    base, current, factor = prepared
    observed = _cagr(current, base, w.current_year - w.base_year)
    return ProgressResult(classify_progress(factor * observed, THRESHOLDS_WITHOUT_TARGET), observed)


def classify_progress(value: float, thresholds: tuple[float, float, float]) -> ProgressStatus:
    """Open SDG category of a progress value against ``(high, med, low)``: ≥ high, ≥ med, ≥ low, below."""
    high, med, low = thresholds
    if value >= high:
        return ProgressStatus.substantial_progress
    if value >= med:
        return ProgressStatus.moderate_progress
    if value >= low:
        return ProgressStatus.limited_progress
    return ProgressStatus.deterioration


# -- 5. projection --------------------------------------------------------------------------------


class ProjectionMethod(StrEnum):
    """How the values of a :class:`Projection` were obtained."""

    tendencia_lineal = "tendencia_lineal"  # least-squares straight line through the observed years
    sin_proyeccion = "sin_proyeccion"  # fewer than two observed years


@dataclass(frozen=True, slots=True)
class Projection:
    """Projected values for the years after the last observation up to ``to_year``.

    ``year_target_reached`` is the last observed year if its value already meets the target, else
    the first projected year that meets it, else None.
    """

    values: dict[int, float]
    method: ProjectionMethod
    year_target_reached: int | None


def project(
    series: Mapping[int, float],
    *,
    to_year: int = 2030,
    target: float | None,
    direction: Sentido,
) -> Projection:
    """Extend the least-squares linear trend of ``series`` to ``to_year``.

    Linear, not exponential: PADE's indicators are mostly counts that accumulate by roughly the
    same amount each year (decision 0005); CAGR is kept for the progress status. With fewer than
    two observed years there is no projection. A projected value within 1e-9 (relative) of the
    target counts as reaching it, so that float rounding does not delay the year by one.

    Example:
        >>> p = project({2024: 50.0, 2026: 40.0}, to_year=2028, target=30.0, direction=Sentido.descendente)
        >>> p.values, p.year_target_reached
        ({2027: 35.0, 2028: 30.0}, 2028)
    """
    points = sorted((int(y), float(v)) for y, v in series.items() if _present(v) is not None)
    goal = _present(target)
    if not points:
        return Projection({}, ProjectionMethod.sin_proyeccion, None)
    last_year, last_value = points[-1]
    already = last_year if goal is not None and _meets(last_value, goal, direction) else None
    if len(points) < 2:
        return Projection({}, ProjectionMethod.sin_proyeccion, already)
    n = len(points)
    mean_x = sum(y for y, _ in points) / n
    mean_y = sum(v for _, v in points) / n
    slope = sum((y - mean_x) * (v - mean_y) for y, v in points) / sum((y - mean_x) ** 2 for y, _ in points)
    # Centred on the mean year: intercepts at year 0 lose precision with years around 2000.
    values = {y: mean_y + slope * (y - mean_x) for y in range(last_year + 1, to_year + 1)}
    reached = already
    if reached is None and goal is not None:
        tolerance = 1e-9 * max(1.0, abs(goal))
        nudged = goal + tolerance if direction == Sentido.descendente else goal - tolerance
        reached = next((y for y, v in values.items() if _meets(v, nudged, direction)), None)
    return Projection(values, ProjectionMethod.tendencia_lineal, reached)
