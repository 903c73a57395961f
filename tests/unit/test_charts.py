"""Trend charts: deterministic SVG with the figures and Spanish labels, rendered without network."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import pytest

from pade.core.i18n import t
from pade.indicators.service import IndicatorSummary, summarise
from pade.programme.loader import load_programme
from pade.reports.charts import chart_spec, format_number, trend_chart_svg


def _values(codigo: str, series: dict[int, float]) -> pd.DataFrame:
    return pd.DataFrame({"codigo": codigo, "desagregacion": "total", "anio": list(series),
                         "valor": list(series.values())})


@pytest.fixture(scope="module")
def summary() -> IndicatorSummary:
    p = load_programme()
    # OE1-01: baseline 950 (2023), milestones 1,250 / 1,350 / 1,450.
    return summarise(p, p.indicador("OE1-01"), _values("OE1-01", {2023: 238.0, 2024: 261.0, 2025: 283.0,
                                                                    2026: 304.0}))


def _keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item)


def test_two_renders_are_byte_identical(summary: IndicatorSummary) -> None:
    assert trend_chart_svg(summary) == trend_chart_svg(summary)


def test_svg_has_values_milestones_and_spanish_labels(summary: IndicatorSummary) -> None:
    svg = trend_chart_svg(summary, width=400, height=200)
    assert svg.startswith("<svg")
    for text in ("238", "261", "283", "304", "1,250", "1,350", "1,450", "2023", "2030"):
        assert f">{text}</text>" in svg, text
    for label in (t("Year"), t("Value"), t("Observed value"), t("Baseline"), t("Target (interpolated)"),
                  t("Target milestone"), t("Projection (linear trend)")):
        assert f">{label}</text>" in svg, label
    assert t("Year") == "Año"


def test_percentage_indicator_is_labelled_in_percent() -> None:
    p = load_programme()
    sm = summarise(p, p.indicador("OE1-05"), _values("OE1-05", {2024: 50.666, 2026: 54.125}))
    svg = trend_chart_svg(sm)
    assert ">54.13 %</text>" in svg and ">50.67 %</text>" in svg
    assert f">{t('Value (%)')}</text>" in svg


def test_indicator_without_any_figure_still_renders() -> None:
    p = load_programme()
    sm = summarise(p, p.indicador("OE1-03.1"), _values("OE1-03.1", {}))  # no baseline, no value
    svg = trend_chart_svg(sm)
    assert svg.startswith("<svg") and f">{t('Target milestone')}</text>" in svg


def test_spec_is_valid_vega_lite_and_loads_nothing_from_outside(summary: IndicatorSummary) -> None:
    spec = chart_spec(summary)
    alt.LayerChart.from_dict(spec, validate=True)  # chart_spec skips Altair's validation for speed
    assert "url" not in set(_keys(spec))  # every dataset is inline


def test_renders_with_the_network_unreachable() -> None:
    """A child process with every proxy pointing at a closed port: any download would fail."""
    code = ("from tests.unit.test_charts import _offline_render; _offline_render()")
    dead = "http://127.0.0.1:9"
    env = {**os.environ, "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "ALL_PROXY": dead, "http_proxy": dead,
           "https_proxy": dead, "all_proxy": dead, "NO_PROXY": "", "no_proxy": ""}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                          check=False, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def _offline_render() -> None:
    p = load_programme()
    sm = summarise(p, p.indicador("OE2-07"), _values("OE2-07", {2023: 2.0, 2024: 4.0, 2025: 6.0}))
    svg = trend_chart_svg(sm)
    sys.stdout.write("ok\n" if ">6</text>" in svg else "missing value\n")


def test_format_number() -> None:
    assert format_number(1250.0) == "1,250"
    assert format_number(0.2) == "0.2"
    assert format_number(-215.3333) == "-215.33"
    assert format_number(54.125, percent=True) == "54.13 %"
    assert format_number(-0.001) == "0"
