"""Trend charts of an indicator: a Vega-Lite spec built with Altair, rendered to SVG on the server.

The same SVG goes into the web pages and into the PDFs (decision 0010). vl-convert bundles Vega and
Vega-Lite and measures text with the fonts installed on the machine, so rendering needs no network:
the spec carries its data inline and names no remote resource. Equal summaries give byte-identical
SVG: Altair names inline datasets by a hash of their rows, and every label is formatted here.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

import altair as alt
import pandas as pd
import vl_convert as vlc

from pade.core.i18n import t
from pade.indicators.progress import TargetKind
from pade.indicators.service import IndicatorSummary, scaled_milestones
from pade.programme.models import Unidad

FONT = "DejaVu Sans"  # Debian's fonts-dejavu-core: the same face in the SVG and in the PDF text
COLOR_OBSERVED = "#1F4E79"
COLOR_BASELINE = "#B35900"
COLOR_TARGET = "#6B6B6B"
COLOR_MILESTONE = "#3D3D3D"
COLOR_PROJECTION = "#4F81BD"
HORIZON_END = 2030


def format_number(value: float, *, percent: bool = False) -> str:
    """A figure as printed in reports: thousands with commas, up to two decimals, as the programme prints them.

    Example:
        >>> format_number(1250.0), format_number(54.125, percent=True)
        ('1,250', '54.13 %')
    """
    # Half up from the shortest repr, as a person rounds (54.125 → 54.13), not from the binary value.
    rounded = Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.2f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return f"{text} %" if percent else text


def _series_labels() -> dict[str, str]:
    return {"observed": t("Observed value"), "baseline": t("Baseline"), "target": t("Target (interpolated)"),
            "milestone": t("Target milestone"), "projection": t("Projection (linear trend)")}


def chart_frames(summary: IndicatorSummary) -> dict[str, pd.DataFrame]:
    """The rows of each layer (year, value, label) of the trend chart of ``summary``."""
    percent = summary.indicator.unidad is Unidad.porcentaje

    def frame(points: list[tuple[int, float]]) -> pd.DataFrame:
        return pd.DataFrame({"anio": [int(y) for y, _ in points], "valor": [float(v) for _, v in points],
                             "etiqueta": [format_number(v, percent=percent) for _, v in points]},
                            columns=["anio", "valor", "etiqueta"])

    start = min([summary.baseline_year, *summary.series])
    targets = [(y, p.value) for y, p in sorted(summary.targets.items())
               if p.value is not None and p.kind is not TargetKind.sin_meta and start <= y <= HORIZON_END]
    observed = sorted(summary.series.items())
    projection: list[tuple[int, float]] = []
    if observed and summary.projection.values:
        projection = [observed[-1], *sorted(summary.projection.values.items())]
    return {
        "target": frame(targets),
        "milestone": frame([(y, v) for y, v in scaled_milestones(summary.indicator) if y <= HORIZON_END]),
        "observed": frame(observed),
        "baseline": frame([(summary.baseline_year, summary.baseline)] if summary.baseline is not None else []),
        "projection": frame(projection),
    }


def chart_spec(summary: IndicatorSummary, *, width: int = 520, height: int = 260,
               legend: Literal["right", "bottom"] = "right") -> dict[str, Any]:
    """The Vega-Lite spec (a dict) of the trend chart; see :func:`trend_chart_svg`.

    ``legend`` is the legend's side (``"right"``, or ``"bottom"`` for a narrow phone-sized chart).
    """
    frames = chart_frames(summary)
    labels = _series_labels()
    years = list(range(min([summary.baseline_year, *summary.series]), HORIZON_END + 1))
    percent = summary.indicator.unidad is Unidad.porcentaje
    x = alt.X("anio:O", title=t("Year"), scale=alt.Scale(domain=years), axis=alt.Axis(labelAngle=0))
    y = alt.Y("valor:Q", title=t("Value (%)") if percent else t("Value"), axis=alt.Axis(format=",~r"))
    palette = {"observed": COLOR_OBSERVED, "baseline": COLOR_BASELINE, "target": COLOR_TARGET,
               "milestone": COLOR_MILESTONE, "projection": COLOR_PROJECTION}
    present = [k for k in palette if not frames[k].empty]  # the legend lists only what is drawn
    color = alt.Color("serie:N", title=None, sort=[labels[k] for k in present],
                      legend=alt.Legend(orient=legend, labelLimit=160,
                                        columns=1 if legend == "bottom" else alt.Undefined),
                      scale=alt.Scale(domain=[labels[k] for k in present], range=[palette[k] for k in present]))
    layers: list[alt.Chart] = []

    def data(key: str) -> pd.DataFrame:
        return frames[key].assign(serie=labels[key])

    if not frames["target"].empty:
        layers.append(alt.Chart(data("target")).mark_line(strokeDash=[6, 4], strokeWidth=1.5)
                      .encode(x=x, y=y, color=color))
    if not frames["projection"].empty:
        layers.append(alt.Chart(data("projection")).mark_line(strokeDash=[2, 3], strokeWidth=2)
                      .encode(x=x, y=y, color=color))
    if not frames["observed"].empty:
        observed = alt.Chart(data("observed"))
        layers.append(observed.mark_line(strokeWidth=2.5, point=alt.OverlayMarkDef(size=40, filled=True))
                      .encode(x=x, y=y, color=color))
        layers.append(observed.mark_text(dy=-10, fontSize=9, fontWeight="bold", color=COLOR_OBSERVED)
                      .encode(x=x, y=y, text="etiqueta:N"))
    if not frames["milestone"].empty:
        milestones = alt.Chart(data("milestone"))
        layers.append(milestones.mark_point(shape="diamond", size=90, filled=True).encode(x=x, y=y, color=color))
        layers.append(milestones.mark_text(dy=14, fontSize=8, color=COLOR_MILESTONE)
                      .encode(x=x, y=y, text="etiqueta:N"))
    if not frames["baseline"].empty:
        layers.append(alt.Chart(data("baseline")).mark_point(shape="square", size=70, filled=True)
                      .encode(x=x, y=y, color=color))
    if not layers:
        empty = pd.DataFrame({"texto": [t("No data to chart")]})
        layers.append(alt.Chart(empty).mark_text(fontSize=12, color=COLOR_TARGET).encode(text="texto:N"))
    chart = alt.layer(*layers).properties(width=width, height=height).configure(
        font=FONT, background="white").configure_view(stroke=None).configure_axis(
        labelFontSize=9, titleFontSize=10, gridColor="#E6E6E6").configure_legend(labelFontSize=9, symbolSize=70)
    # Altair validates against the Vega-Lite JSON schema by default (~0.2 s a chart); the unit tests render
    # every layer kind, and vl-convert rejects an invalid spec anyway.
    spec: dict[str, Any] = chart.to_dict(validate=False)
    return spec


def trend_chart_svg(summary: IndicatorSummary, *, width: int = 520, height: int = 260,
                    legend: Literal["right", "bottom"] = "right") -> str:
    """The trend chart of an indicator as an SVG document (a string), rendered without network.

    Shows the baseline point, the observed values per year (labelled), the targets interpolated
    between the baseline and the milestones (dashed), the printed milestones scaled by
    ``calculo.meta_escala`` (diamonds) and the linear projection to 2030 (dotted). Labels are
    Spanish. ``width`` and ``height`` are those of the plotting area, in pixels.

    Example:
        >>> svg = trend_chart_svg(summary)  # doctest: +SKIP
        >>> svg.startswith("<svg")  # doctest: +SKIP
        True
    """
    svg: str = vlc.vegalite_to_svg(chart_spec(summary, width=width, height=height, legend=legend))
    return svg
