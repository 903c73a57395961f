"""The self-diagnosis result chart: a horizontal bar per dimension (0–100), rendered to SVG on the server.

Same style and renderer as the indicator trend charts (:mod:`pade.reports.charts`): Altair builds the
Vega-Lite spec with inline data, vl-convert renders it without network, and the one SVG goes into
the results page and the PDF. On a re-assessment a dark tick marks the previous score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import vl_convert as vlc

from pade.core.i18n import t
from pade.reports.charts import COLOR_MILESTONE, COLOR_OBSERVED, FONT, format_number


@dataclass(frozen=True)
class Bar:
    """One dimension: its name, its score (None: nothing counted) and the previous score, if any."""

    name: str
    score: float | None
    previous: float | None = None


def dimension_chart_spec(bars: Sequence[Bar], *, width: int = 300) -> dict[str, Any]:
    """The Vega-Lite spec of the chart; ``width`` is the plotting area in pixels."""
    order = [b.name for b in bars]
    frame = pd.DataFrame({
        "dimension": order,
        "puntaje": [b.score if b.score is not None else 0.0 for b in bars],
        "etiqueta": [format_number(b.score) if b.score is not None else t("n/a") for b in bars],
    })
    y = alt.Y("dimension:N", sort=order, title=None, axis=alt.Axis(labelLimit=150, labelFontSize=10))
    x = alt.X("puntaje:Q", title=t("Score (0–100)"), scale=alt.Scale(domain=[0, 100]),
              axis=alt.Axis(values=[0, 20, 40, 60, 80, 100]))
    base = alt.Chart(frame)
    layers: list[alt.Chart] = [
        base.mark_bar(color=COLOR_OBSERVED, height={"band": 0.7}).encode(x=x, y=y),
        base.mark_text(align="left", dx=3, fontSize=10, color="#1a1a1a").encode(x=x, y=y, text="etiqueta:N"),
    ]
    previous = [(b.name, b.previous) for b in bars if b.previous is not None]
    if previous:
        before = pd.DataFrame({"dimension": [n for n, _ in previous], "puntaje": [v for _, v in previous]})
        layers.append(alt.Chart(before).mark_tick(color=COLOR_MILESTONE, thickness=3, size=16)
                      .encode(x=x, y=y))
    chart = alt.layer(*layers).properties(width=width, height=max(1, len(bars)) * 28).configure(
        font=FONT, background="white").configure_view(stroke=None).configure_axis(
        labelFontSize=9, titleFontSize=10, gridColor="#E6E6E6")
    spec: dict[str, Any] = chart.to_dict(validate=False)
    return spec


def dimension_chart_svg(bars: Sequence[Bar], *, width: int = 300) -> str:
    """The chart as an SVG document (a string).

    Example:
        >>> dimension_chart_svg([Bar("Marketing digital", 55.0, previous=40.0)]).startswith("<svg")
        True
    """
    svg: str = vlc.vegalite_to_svg(dimension_chart_spec(bars, width=width))
    return svg
