"""Targets per year, CEPLAN compliance, traffic light, Open SDG progress status and projection.

Expected values are worked by hand in the comments; see docs/decisions/0005-progress-methods.md.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from pade.core.errors import InvalidDefinition
from pade.indicators.progress import (
    THRESHOLDS_WITH_TARGET,
    THRESHOLDS_WITHOUT_TARGET,
    ComplianceMethod,
    Legend,
    LegendSet,
    LegendStyle,
    ProgressStatus,
    ProjectionMethod,
    TargetKind,
    classify_progress,
    compliance,
    contrast_on_white,
    default_legend,
    progress_status,
    progress_status_without_target,
    project,
    status_label,
    traffic_light,
    yearly_targets,
)
from pade.programme.models import Sentido

ASC, DESC, CONST = Sentido.ascendente, Sentido.descendente, Sentido.constante
YEARS = range(2022, 2032)


# -- 1. targets per year --------------------------------------------------------------------------


def test_targets_interpolate_from_the_baseline_through_the_milestones() -> None:
    # OE1-01: baseline 950 (2023), milestones 1250 / 1350 / 1450.
    # 2024 = 950 + (1250 − 950)·1/3 = 1050; 2025 = 950 + 300·2/3 = 1150;
    # 2027 = 1250 + (1350 − 1250)·1/2 = 1300; 2029 = 1350 + 100·1/2 = 1400.
    got = yearly_targets((2023, 950.0), [(2026, 1250.0), (2028, 1350.0), (2030, 1450.0)], YEARS)
    assert {y: p.value for y, p in got.items()} == {
        2022: None, 2023: 950.0, 2024: 1050.0, 2025: 1150.0, 2026: 1250.0,
        2027: 1300.0, 2028: 1350.0, 2029: 1400.0, 2030: 1450.0, 2031: None,
    }
    assert [got[y].kind for y in (2022, 2023, 2024, 2026, 2027, 2030, 2031)] == [
        TargetKind.sin_meta, TargetKind.linea_base, TargetKind.interpolada, TargetKind.hito,
        TargetKind.interpolada, TargetKind.hito, TargetKind.sin_meta,
    ]


def test_targets_with_fractional_steps() -> None:
    # OE2-06: 31 % (2023) → 35 (2026) → 38 (2028) → 40 (2030).
    # 2024 = 31 + 4/3 = 32.333…; 2025 = 31 + 8/3 = 33.666…; 2027 = 35 + 3/2 = 36.5; 2029 = 38 + 2/2 = 39.
    got = yearly_targets((2023, 31.0), [(2026, 35.0), (2028, 38.0), (2030, 40.0)], range(2024, 2030))
    assert got[2024].value == pytest.approx(32 + 1 / 3)
    assert got[2025].value == pytest.approx(33 + 2 / 3)
    assert got[2027].value == 36.5
    assert got[2029].value == 39.0


def test_targets_without_baseline_start_at_the_first_milestone() -> None:
    # OE1-03.2 (baseline N.D.): 600 / 1200 / 1800; 2027 = (600 + 1200) / 2 = 900.
    got = yearly_targets(None, [(2026, 600.0), (2028, 1200.0), (2030, 1800.0)], YEARS)
    assert [got[y].kind for y in (2023, 2024, 2025)] == [TargetKind.sin_meta] * 3
    assert got[2026].value == 600.0 and got[2026].kind is TargetKind.hito
    assert got[2027].value == 900.0 and got[2027].kind is TargetKind.interpolada
    assert got[2031].kind is TargetKind.sin_meta


def test_single_milestone_without_baseline_sets_only_that_year() -> None:
    # OE1-03.1: one milestone (1 in 2026) and no baseline.
    got = yearly_targets(None, [(2026, 1.0)], YEARS)
    assert {y for y, p in got.items() if p.value is not None} == {2026}
    assert got[2026].kind is TargetKind.hito


def test_single_milestone_with_baseline() -> None:
    # 0 (2023) → 3 (2026): 2024 = 1, 2025 = 2; nothing after 2026.
    got = yearly_targets((2023, 0.0), [(2026, 3.0)], YEARS)
    assert [got[y].value for y in (2023, 2024, 2025, 2026, 2027)] == [0.0, 1.0, 2.0, 3.0, None]


def test_no_milestones_means_no_targets_even_with_a_baseline() -> None:
    got = yearly_targets((2023, 5.0), [], YEARS)
    assert all(p.value is None and p.kind is TargetKind.sin_meta for p in got.values())


def test_flat_targets_stay_exactly_flat() -> None:
    # OE1-04 (constante): baseline 1, targets 1 / 1 / 1.
    got = yearly_targets((2023, 1.0), [(2026, 1.0), (2028, 1.0), (2030, 1.0)], range(2023, 2031))
    assert all(p.value == 1.0 for p in got.values())


def test_milestones_in_any_order() -> None:
    a = yearly_targets((2023, 3.0), [(2030, 18.0), (2026, 6.0), (2028, 12.0)], YEARS)
    b = yearly_targets((2023, 3.0), [(2026, 6.0), (2028, 12.0), (2030, 18.0)], YEARS)
    assert a == b
    assert a[2029].value == 15.0  # (12 + 18) / 2


def test_targets_reject_inconsistent_anchors() -> None:
    with pytest.raises(InvalidDefinition, match="2026"):
        yearly_targets(None, [(2026, 1.0), (2026, 2.0)], YEARS)
    with pytest.raises(InvalidDefinition, match="2026"):
        yearly_targets((2026, 0.0), [(2026, 1.0)], YEARS)


# -- 2. compliance --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (33.0, 50.0),  # OE2-06: (33 − 31) / (35 − 31) · 100 = 2/4 · 100
        (35.0, 100.0),  # at the target
        (37.0, 150.0),  # (37 − 31) / 4 · 100: over-achievement is not capped
        (31.0, 0.0),  # at the baseline
        (29.0, -50.0),  # (29 − 31) / 4 · 100: moved away
    ],
)
def test_avance_ascending(value: float, expected: float) -> None:
    got = compliance(value, target=35.0, baseline=31.0, direction=ASC)
    assert got.value_pct == expected
    assert got.method_used is ComplianceMethod.avance and got.note is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (15.0, 50.0),  # (15 − 20) / (10 − 20) · 100 = (−5)/(−10) · 100
        (10.0, 100.0),
        (8.0, 120.0),  # (−12)/(−10) · 100
        (22.0, -20.0),  # (+2)/(−10) · 100
    ],
)
def test_avance_descending_uses_the_same_formula(value: float, expected: float) -> None:
    assert compliance(value, target=10.0, baseline=20.0, direction=DESC).value_pct == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "direction", "expected"),
    [
        (100.0, CONST, 100.0),  # OE2-03: baseline = target = 100, value meets it
        (120.0, CONST, 100.0),  # ≥ meets it for constante
        (90.0, CONST, 90.0),  # not met: 90 / 100 · 100
        (8.0, DESC, 100.0),  # baseline = target = 10, descending: ≤ meets it
        (12.5, DESC, 80.0),  # not met: 10 / 12.5 · 100
    ],
)
def test_avance_with_a_flat_target(value: float, direction: Sentido, expected: float) -> None:
    flat = 100.0 if direction is CONST else 10.0
    got = compliance(value, target=flat, baseline=flat, direction=direction)
    assert got.value_pct == expected
    assert got.method_used is ComplianceMethod.avance
    assert got.note is not None and "línea base" in got.note


def test_avance_flat_target_of_one() -> None:
    # OE1-04: baseline = target = 1; no event this year (0) → 0 / 1 · 100 = 0.
    assert compliance(0.0, target=1.0, baseline=1.0, direction=CONST).value_pct == 0.0
    assert compliance(1.0, target=1.0, baseline=1.0, direction=CONST).value_pct == 100.0


def test_avance_when_the_baseline_already_beats_the_target() -> None:
    # Ascending, baseline 100, target 80: the formula would give 90 → 50 % and 120 → −100 %.
    assert compliance(120.0, target=80.0, baseline=100.0, direction=ASC).value_pct == 100.0
    assert compliance(60.0, target=80.0, baseline=100.0, direction=ASC).value_pct == 75.0  # 60 / 80 · 100


def test_avance_flat_target_of_zero() -> None:
    # Ascending, 0 → 0: any value ≥ 0 meets it. Descending, 0 → 0: 2 misses it, 0 / 2 · 100 = 0.
    assert compliance(3.0, target=0.0, baseline=0.0, direction=ASC).value_pct == 100.0
    assert compliance(2.0, target=0.0, baseline=0.0, direction=DESC).value_pct == 0.0


def test_avance_without_baseline_falls_back_to_logro_and_says_so() -> None:
    # OE1-06 (baseline N.D.), target 60, value 45 → 45 / 60 · 100 = 75.
    got = compliance(45.0, target=60.0, baseline=None, direction=ASC)
    assert got.value_pct == 75.0
    assert got.method_used is ComplianceMethod.logro
    assert got.note == "Sin línea base: el cumplimiento se calcula como logro respecto a la meta (método logro)"


@pytest.mark.parametrize(
    ("value", "target", "direction", "expected"),
    [
        (45.0, 60.0, ASC, 75.0),  # 45 / 60 · 100
        (90.0, 60.0, ASC, 150.0),  # 90 / 60 · 100
        (8.0, 10.0, DESC, 125.0),  # 10 / 8 · 100
        (12.5, 10.0, DESC, 80.0),  # 10 / 12.5 · 100
        (0.0, 0.0, DESC, 100.0),  # value equals target
        (5.0, 0.0, DESC, 0.0),  # 0 / 5 · 100
        (5.0, 0.0, ASC, None),  # 5 / 0
        (0.0, 10.0, DESC, None),  # 10 / 0
        (-5.0, 10.0, ASC, None),  # negative: not an achievement
    ],
)
def test_logro(value: float, target: float, direction: Sentido, expected: float | None) -> None:
    got = compliance(value, target=target, baseline=1.0, direction=direction, method=ComplianceMethod.logro)
    assert got.value_pct == expected
    assert got.method_used is ComplianceMethod.logro
    assert (got.note is not None) == (expected is None)


def test_missing_value_or_target_gives_none() -> None:
    assert compliance(None, target=10.0, baseline=0.0, direction=ASC).value_pct is None
    assert compliance(5.0, target=None, baseline=0.0, direction=ASC).value_pct is None
    assert compliance(math.nan, target=10.0, baseline=0.0, direction=ASC).value_pct is None


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
methods = st.sampled_from(list(ComplianceMethod))


@given(finite, finite, st.one_of(st.none(), finite), finite, methods, st.sampled_from([ASC, CONST]))
def test_compliance_rises_with_the_value_when_ascending(
    v1: float, v2: float, baseline: float | None, target: float, method: ComplianceMethod, direction: Sentido
) -> None:
    low, high = sorted((v1, v2))
    a = compliance(low, target=target, baseline=baseline, direction=direction, method=method).value_pct
    b = compliance(high, target=target, baseline=baseline, direction=direction, method=method).value_pct
    assume(a is not None and b is not None)
    assert a is not None and b is not None and a <= b


@given(finite, finite, st.one_of(st.none(), finite), finite, methods)
def test_compliance_falls_with_the_value_when_descending(
    v1: float, v2: float, baseline: float | None, target: float, method: ComplianceMethod
) -> None:
    low, high = sorted((v1, v2))
    a = compliance(low, target=target, baseline=baseline, direction=DESC, method=method).value_pct
    b = compliance(high, target=target, baseline=baseline, direction=DESC, method=method).value_pct
    assume(a is not None and b is not None)
    assert a is not None and b is not None and a >= b


@given(finite, st.one_of(st.none(), finite), methods, st.sampled_from(list(Sentido)))
def test_value_at_the_target_is_100(target: float, baseline: float | None, method: ComplianceMethod,
                                    direction: Sentido) -> None:
    assert compliance(target, target=target, baseline=baseline, direction=direction, method=method).value_pct == 100


@given(finite, finite, st.sampled_from(list(Sentido)))
def test_value_at_the_baseline_is_0(baseline: float, target: float, direction: Sentido) -> None:
    assume(target < baseline if direction is DESC else target > baseline)  # the target asks for movement
    assert compliance(baseline, target=target, baseline=baseline, direction=direction).value_pct == 0


# -- 3. traffic light -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pct", "code"),
    [
        (1e9, "verde"), (math.inf, "verde"), (100.0, "verde"), (95.0, "verde"),
        (94.999, "amarillo"), (60.0, "amarillo"),
        (59.999, "rojo"), (0.0, "rojo"), (-250.0, "rojo"), (-math.inf, "rojo"),
        (None, "gris"), (math.nan, "gris"),
    ],
)
def test_default_traffic_light_bands(pct: float | None, code: str) -> None:
    assert traffic_light(pct).code == code


def test_default_legend_labels_are_spanish() -> None:
    labels = {b.code: b.label for b in (*default_legend().bands, default_legend().no_data)}
    assert labels == {
        "verde": "Verde — en camino", "amarillo": "Amarillo — requiere atención",
        "rojo": "Rojo — en riesgo", "gris": "Gris — sin datos",
    }


def test_contrast_ratio() -> None:
    # WCAG: black on white is 21:1, white on white 1:1; #767676 is the classic AA edge (≈ 4.54).
    assert contrast_on_white("#000000") == pytest.approx(21.0)
    assert contrast_on_white("#FFFFFF") == pytest.approx(1.0)
    assert contrast_on_white("#767676") == pytest.approx(4.54, abs=0.01)


def test_default_colours_pass_wcag_aa_as_text() -> None:
    legends = (*default_legend().bands, default_legend().no_data)
    assert all(contrast_on_white(lg.text_color) >= 4.5 for lg in legends)
    amber = next(lg for lg in legends if lg.code == "amarillo")
    assert contrast_on_white(amber.color_hex) < 4.5  # the fill alone would fail: hence its text colour
    assert amber.text_color != amber.color_hex


def _style(code: str, color: str = "#1A7F37") -> LegendStyle:
    return LegendStyle(code, code.capitalize(), color)


NO_DATA = Legend("nd", "Sin datos", "#6B6B6B")


def test_custom_legend_from_bounds() -> None:
    legend = LegendSet.from_bounds([50.0, 80.0, 100.0], [_style("a"), _style("b"), _style("c"), _style("d")],
                                   no_data=LegendStyle("nd", "Sin datos", "#6B6B6B"))
    assert [(b.start, b.end) for b in legend.bands] == [(-math.inf, 50.0), (50.0, 80.0), (80.0, 100.0),
                                                        (100.0, math.inf)]
    assert [traffic_light(x, legend).code for x in (49.0, 50.0, 99.9, 100.0, None)] == ["a", "b", "c", "d", "nd"]


def test_bands_given_out_of_order_are_sorted() -> None:
    hi = Legend("hi", "Alto", "#1A7F37", 50.0, math.inf)
    lo = Legend("lo", "Bajo", "#C62828", -math.inf, 50.0)
    assert [b.code for b in LegendSet((hi, lo), NO_DATA).bands] == ["lo", "hi"]


@pytest.mark.parametrize(
    ("bands", "match"),
    [
        (((-math.inf, 50.0), (60.0, math.inf)), "hueco"),
        (((-math.inf, 60.0), (50.0, math.inf)), "superpone"),
        (((0.0, 50.0), (50.0, math.inf)), "-inf"),
        (((-math.inf, 50.0), (50.0, 100.0)), r"\+inf"),
    ],
)
def test_legend_set_rejects_gaps_overlaps_and_holes(bands: tuple[tuple[float, float], ...], match: str) -> None:
    legends = tuple(Legend(f"b{i}", "B", "#1A7F37", s, e) for i, (s, e) in enumerate(bands))
    with pytest.raises(InvalidDefinition, match=match):
        LegendSet(legends, NO_DATA)


def test_legend_validation() -> None:
    with pytest.raises(InvalidDefinition, match="contraste"):
        Legend("amarillo", "Amarillo", "#F2C200", 60.0, 95.0)
    assert Legend("amarillo", "Amarillo", "#F2C200", 60.0, 95.0, text_hex="#8A6100").text_color == "#8A6100"
    with pytest.raises(InvalidDefinition, match="#1A7F37"):
        Legend("x", "X", "green")
    with pytest.raises(InvalidDefinition, match="inicio"):
        Legend("x", "X", "#1A7F37", 10.0, 10.0)
    with pytest.raises(InvalidDefinition, match="inicio y fin"):
        Legend("x", "X", "#1A7F37", 10.0)
    whole = Legend("a", "A", "#1A7F37", -math.inf, math.inf)
    with pytest.raises(InvalidDefinition, match="dos veces"):
        LegendSet((whole,), Legend("a", "A", "#6B6B6B"))
    with pytest.raises(InvalidDefinition, match="sin datos"):
        LegendSet((whole,), Legend("nd", "ND", "#6B6B6B", 0.0, 1.0))
    with pytest.raises(InvalidDefinition, match="franjas"):
        LegendSet((), NO_DATA)
    with pytest.raises(InvalidDefinition, match="límites"):
        LegendSet.from_bounds([50.0], [_style("a")], no_data=_style("nd"))
    with pytest.raises(InvalidDefinition, match="creciente"):
        LegendSet.from_bounds([80.0, 50.0], [_style("a"), _style("b"), _style("c")], no_data=_style("nd"))


# -- 4. Open SDG progress status ------------------------------------------------------------------


def test_open_sdg_default_thresholds() -> None:
    assert THRESHOLDS_WITH_TARGET == (0.95, 0.6, 0.0)
    assert THRESHOLDS_WITHOUT_TARGET == (0.015, 0.005, 0.0)
    # Lower bounds are inclusive.
    assert [classify_progress(x, THRESHOLDS_WITH_TARGET) for x in (0.95, 0.6, 0.0, -1e-12)] == [
        ProgressStatus.substantial_progress, ProgressStatus.moderate_progress,
        ProgressStatus.limited_progress, ProgressStatus.deterioration,
    ]


def _status(series: dict[int, float], target: float, direction: Sentido = ASC, **kw: int) -> ProgressStatus:
    return progress_status(series, target=target, target_year=2030, direction=direction, **kw).status


def test_worked_example_substantial() -> None:
    # Base 100 (2023), current 121 (2025), target 200 in 2030.
    # CAGR_obs = (121/100)^(1/2) − 1 = 1.1 − 1 = 0.10
    # CAGR_req = (200/100)^(1/7) − 1 = 2^(1/7) − 1 = 0.104090
    # R = 0.10 / 0.104090 = 0.9607 ≥ 0.95 → substantial progress
    r = progress_status({2023: 100.0, 2024: 109.0, 2025: 121.0}, target=200.0, target_year=2030, direction=ASC)
    assert r.status is ProgressStatus.substantial_progress
    assert r.cagr_actual == pytest.approx(0.10)
    assert r.cagr_required == pytest.approx(0.104090, abs=1e-6)
    assert r.ratio == pytest.approx(0.9607, abs=1e-4)


@pytest.mark.parametrize(
    ("current", "status"),
    [
        (116.64, ProgressStatus.moderate_progress),  # 1.08² = 1.1664 → CAGR 0.08; R = 0.08/0.104090 = 0.7686
        (110.25, ProgressStatus.limited_progress),  # 1.05² = 1.1025 → CAGR 0.05; R = 0.4804
        (100.0, ProgressStatus.limited_progress),  # no change: CAGR 0, R = 0 (the lower bound is inclusive)
        (81.0, ProgressStatus.deterioration),  # 0.9² = 0.81 → CAGR −0.10; R = −0.9607
    ],
)
def test_worked_examples_by_category(current: float, status: ProgressStatus) -> None:
    assert _status({2023: 100.0, 2025: current}, 200.0) is status


def test_descending_indicator() -> None:
    # Base 200 (2023), current 162 (2025), target 100 in 2030, descending (d = −1).
    # CAGR_obs = (162/200)^(1/2) − 1 = 0.9 − 1 = −0.10
    # CAGR_req = (100/200)^(1/7) − 1 = 0.5^(1/7) − 1 = −0.094276
    # R = d · CAGR_obs / |CAGR_req| = (−1)(−0.10) / 0.094276 = 1.0607 → substantial
    r = progress_status({2023: 200.0, 2025: 162.0}, target=100.0, target_year=2030, direction=DESC)
    assert r.status is ProgressStatus.substantial_progress
    assert r.cagr_required == pytest.approx(-0.094276, abs=1e-6)
    assert r.ratio == pytest.approx(1.0607, abs=1e-4)
    # Rising instead: (242/200)^(1/2) − 1 = 0.1 → R = −1.0607 → deterioration.
    assert _status({2023: 200.0, 2025: 242.0}, 100.0, DESC) is ProgressStatus.deterioration


def test_negative_series_flip_the_direction() -> None:
    # Base −10, current −8.1 (2025), target −1, ascending: s = −1 (base < 0).
    # CAGR_obs = (−8.1/−10)^(1/2) − 1 = 0.9 − 1 = −0.10; CAGR_req = (0.1)^(1/7) − 1 = −0.280314
    # R = s · d · CAGR_obs / |CAGR_req| = (−1)(1)(−0.10) / 0.280314 = 0.3567 → limited
    r = progress_status({2023: -10.0, 2025: -8.1}, target=-1.0, target_year=2030, direction=ASC)
    assert r.status is ProgressStatus.limited_progress
    assert r.ratio == pytest.approx(0.3567, abs=1e-4)


def test_target_achieved_wins_over_the_trend() -> None:
    assert _status({2023: 10.0, 2024: 12.0}, 12.0) is ProgressStatus.target_achieved  # 12 ≥ 12
    assert _status({2023: 300.0, 2025: 250.0}, 200.0) is ProgressStatus.target_achieved  # falling, but 250 ≥ 200
    assert _status({2023: 20.0, 2024: 9.0}, 10.0, DESC) is ProgressStatus.target_achieved  # 9 ≤ 10


def test_zero_values_are_replaced_by_0_001() -> None:
    # Base 0 → 0.001, current 1 (2024), target 10 in 2030:
    # CAGR_obs = (1/0.001)^(1/1) − 1 = 999; CAGR_req = (10/0.001)^(1/7) − 1 = 10^(4/7) − 1 = 2.727594
    # R = 999 / 2.727594 = 366.26 → substantial (CAGR exaggerates growth from zero: see decision 0005)
    r = progress_status({2023: 0.0, 2024: 1.0}, target=10.0, target_year=2030, direction=ASC)
    assert r.cagr_actual == pytest.approx(999.0)
    assert r.cagr_required == pytest.approx(2.727594, abs=1e-6)
    assert r.status is ProgressStatus.substantial_progress
    # Zero to zero: 0.001 → 0.001, CAGR 0, R = 0 → limited progress, not deterioration.
    assert _status({2023: 0.0, 2024: 0.0}, 5.0) is ProgressStatus.limited_progress
    # Target 0, descending: 10 → 8.1 (2025); CAGR_obs = −0.10; CAGR_req = (0.001/10)^(1/7) − 1 = 10^(−4/7) − 1
    # = −0.731730; R = (−1)(−0.10)/0.731730 = 0.1367 → limited.
    r = progress_status({2023: 10.0, 2025: 8.1}, target=0.0, target_year=2030, direction=DESC)
    assert r.ratio == pytest.approx(0.1367, abs=1e-4)
    # Current 0, ascending: 5 → 0.001 over 2 years: CAGR = (0.0002)^(1/2) − 1 = −0.985858 → deterioration.
    r = progress_status({2023: 5.0, 2025: 0.0}, target=10.0, target_year=2030, direction=ASC)
    assert r.cagr_actual == pytest.approx(-0.985858, abs=1e-6)
    assert r.status is ProgressStatus.deterioration


def test_not_available() -> None:
    assert _status({}, 10.0) is ProgressStatus.not_available
    assert _status({2025: 50.0}, 10.0) is ProgressStatus.not_available  # one year, even though 50 ≥ 10
    assert _status({2023: math.nan, 2025: 50.0}, 100.0) is ProgressStatus.not_available
    sign = progress_status({2023: -5.0, 2024: 3.0}, target=10.0, target_year=2030, direction=ASC)
    assert sign.status is ProgressStatus.not_available
    assert sign.note == ("El valor base y el valor actual tienen signos distintos: "
                         "la tasa de crecimiento anual compuesta no está definida")
    assert _status({2023: 5.0, 2024: 6.0}, -1.0, DESC) is ProgressStatus.not_available  # base > 0, target < 0
    assert _status({2023: 5.0, 2024: 6.0}, 10.0, base_year=2025) is ProgressStatus.not_available
    late = progress_status({2023: 5.0, 2024: 6.0}, target=10.0, target_year=2023, direction=ASC)
    assert late.status is ProgressStatus.not_available and late.note is not None and "2023" in late.note


def test_base_and_current_year() -> None:
    series = {2022: 50.0, 2024: 100.0, 2026: 121.0, 2027: 60.0}
    # base_year 2023 has no data → next year with data, 2024; current_year 2026 drops 2027.
    # CAGR_obs = (121/100)^(1/2) − 1 = 0.10; CAGR_req = (200/100)^(1/7) − 1 to 2031 → R = 0.9607.
    r = progress_status(series, target=200.0, target_year=2031, direction=ASC, base_year=2023, current_year=2026)
    assert r.status is ProgressStatus.substantial_progress
    assert r.ratio == pytest.approx(0.9607, abs=1e-4)
    # By default the whole series, 50 (2022) → 60 (2027):
    # CAGR_obs = (60/50)^(1/5) − 1 = 0.037137; CAGR_req = (200/50)^(1/9) − 1 = 0.166529; R = 0.2230 → limited.
    r = progress_status(series, target=200.0, target_year=2031, direction=ASC)
    assert r.ratio == pytest.approx(0.2230, abs=1e-4)
    assert r.status is ProgressStatus.limited_progress


def test_flat_target_not_met_is_deterioration() -> None:
    # OE2-03 (constante, target = base = 100): 100 → 90 moved away; required CAGR is 0, no ratio.
    r = progress_status({2023: 100.0, 2024: 90.0}, target=100.0, target_year=2030, direction=CONST)
    assert r.status is ProgressStatus.deterioration and r.ratio is None and r.cagr_required == 0.0


@pytest.mark.parametrize(
    ("current", "direction", "status"),
    [
        (104.04, ASC, ProgressStatus.substantial_progress),  # 1.02² → CAGR 0.02 ≥ 0.015
        (102.01, ASC, ProgressStatus.moderate_progress),  # 1.01² → CAGR 0.01 ∈ [0.005, 0.015)
        (101.0, ASC, ProgressStatus.limited_progress),  # √1.01 − 1 = 0.004988 ∈ [0, 0.005)
        (98.01, ASC, ProgressStatus.deterioration),  # 0.99² → CAGR −0.01 < 0
        (98.01, DESC, ProgressStatus.moderate_progress),  # d·CAGR = (−1)(−0.01) = 0.01
        (104.04, DESC, ProgressStatus.deterioration),  # (−1)(0.02) = −0.02
    ],
)
def test_without_target(current: float, direction: Sentido, status: ProgressStatus) -> None:
    r = progress_status_without_target({2020: 100.0, 2022: current}, direction=direction)
    assert r.status is status
    assert r.cagr_required is None and r.ratio is None


def test_without_target_not_available() -> None:
    assert progress_status_without_target({2020: 1.0}, direction=ASC).status is ProgressStatus.not_available
    assert progress_status_without_target({2020: 1.0, 2021: -1.0}, direction=ASC).status is \
        ProgressStatus.not_available


def test_status_labels_are_spanish() -> None:
    assert [status_label(s) for s in ProgressStatus] == [
        "Meta alcanzada", "Progreso sustancial", "Progreso moderado", "Progreso limitado", "Deterioro",
        "No disponible",
    ]


# -- 5. projection --------------------------------------------------------------------------------


def test_linear_projection_worked_example() -> None:
    # Years 2023/2024/2025, values 10/14/16: mean year 2024, mean value 40/3.
    # Sxy = (−1)(10 − 40/3) + 0 + (1)(16 − 40/3) = 10/3 + 8/3 = 6; Sxx = 1 + 0 + 1 = 2; slope = 3.
    # 2026 = 40/3 + 3·2 = 19.333; 2030 = 40/3 + 3·6 = 31.333.
    # Target 25: 40/3 + 3k ≥ 25 → k ≥ 35/9 = 3.89 → k = 4 → 2028 (25.333).
    p = project({2023: 10.0, 2024: 14.0, 2025: 16.0}, target=25.0, direction=ASC)
    assert p.method is ProjectionMethod.tendencia_lineal
    assert list(p.values) == [2026, 2027, 2028, 2029, 2030]
    assert p.values[2026] == pytest.approx(19 + 1 / 3)
    assert p.values[2030] == pytest.approx(31 + 1 / 3)
    assert p.year_target_reached == 2028


def test_projection_reaching_the_target_exactly() -> None:
    # 50 (2024) → 40 (2026): slope −5; 2028 = 45 − 5·3 = 30 = target (descending: ≤ reaches it).
    p = project({2024: 50.0, 2026: 40.0}, target=30.0, direction=DESC)
    assert p.values[2028] == 30.0 and p.year_target_reached == 2028
    # 0.1 (2023) → 0.3 (2024): slope 0.2, 2027 = 0.2 + 0.2·3.5 = 0.9 exactly, but floats give 0.8999999999999999;
    # the 1e-9 relative tolerance still counts 2027 as reaching 0.9.
    p = project({2023: 0.1, 2024: 0.3}, target=0.9, direction=ASC)
    assert p.values[2027] < 0.9 and p.year_target_reached == 2027


def test_projection_already_reached_or_never() -> None:
    # Last observed value 20 ≥ 18 already: the current year, even though the trend falls.
    assert project({2023: 25.0, 2024: 20.0}, target=18.0, direction=ASC).year_target_reached == 2024
    # Falling trend towards an ascending target: never by 2030.
    p = project({2023: 10.0, 2024: 9.0}, target=18.0, direction=ASC)
    assert p.year_target_reached is None and p.values[2030] == 3.0  # 9.5 − 1·6.5
    assert project({2023: 10.0, 2024: 12.0}, target=None, direction=ASC).year_target_reached is None


def test_no_projection_with_fewer_than_two_points() -> None:
    p = project({2024: 7.0}, target=5.0, direction=ASC)
    assert p.method is ProjectionMethod.sin_proyeccion and p.values == {} and p.year_target_reached == 2024
    assert project({2024: 3.0, 2025: math.nan}, target=5.0, direction=ASC).year_target_reached is None
    assert project({}, target=5.0, direction=ASC).method is ProjectionMethod.sin_proyeccion


def test_projection_to_an_earlier_year_has_no_values() -> None:
    assert project({2023: 1.0, 2024: 2.0}, to_year=2024, target=5.0, direction=ASC).values == {}
