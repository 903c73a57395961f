"""The public pages in a real browser: they render, and axe-core finds no serious violation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import assert_accessible

PUBLIC_PAGES = [
    "/",
    "/indicadores",
    "/indicadores?objetivo=OE1&semaforo=rojo",
    "/indicadores/OE1-01",  # a count of companies: breakdowns, map with reserved departments
    "/indicadores/OE1-02.2",  # a percentage (ratio): numerator and denominator columns
    "/indicadores/OE2-01",  # reported by an entity: national total only, no map
    "/indicadores/OE2-06",  # a mean of maturity scores
    "/datos",
]


def _name(path: str) -> str:
    return path.replace("/", "-").replace("?", "-").replace("&", "-").replace("=", "-") if path != "/" else "-inicio"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_is_accessible(live_server: str, page: Any, shot: Any, path: str) -> None:
    response = page.goto(live_server + path)
    assert response is not None and response.status == 200
    assert page.get_attribute("html", "lang") == "es"
    shot(page, "publico" + _name(path))
    assert_accessible(page)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_fits_a_phone(live_server: str, phone_page: Any, shot: Any, path: str) -> None:
    phone_page.goto(live_server + path)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    shot(phone_page, "telefono" + _name(path))
    assert width <= 360, f"{path} is {width}px wide on a 360px phone: it scrolls sideways"


def test_filters_work_without_javascript_and_with_htmx(live_server: str, page: Any) -> None:
    page.goto(live_server + "/indicadores")
    every = page.locator("li.indicator-card").count()
    page.select_option("#f-objetivo", "OE2")
    # a function, not a bare expression: Playwright evals bare strings, which the CSP forbids
    page.wait_for_function(f"() => document.querySelectorAll('li.indicator-card h3 a').length < {every}")
    codes = page.locator("li.indicator-card .code").all_inner_texts()
    assert codes and all(c.startswith("OE2-") for c in codes)
    assert "objetivo=OE2" in page.url  # htmx pushed the filtered address: it can be shared and reloaded
    page.goto(live_server + "/indicadores?objetivo=OE1")  # the plain GET form gives the same list
    assert all(c.startswith("OE1-") for c in page.locator("li.indicator-card .code").all_inner_texts())


def test_indicator_csv_downloads(live_server: str, page: Any) -> None:
    page.goto(live_server + "/indicadores/OE1-01")
    with page.expect_download() as info:
        page.click("text=Descargar los datos (CSV)")
    download = info.value
    assert download.suggested_filename == "oe1-01.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith("anio,desagregacion,departamento,")


def test_model_figure_text_stays_inside_its_boxes(live_server: str, phone_page: Any) -> None:
    """Measured in the browser with the real font: no label of the figure spills out of its box."""
    phone_page.goto(live_server + "/")
    spills = phone_page.evaluate(
        """() => [...document.querySelectorAll('svg.model-figure g')].flatMap(g => {
              const r = g.querySelector('rect').getBBox();
              return [...g.querySelectorAll('text')].map(t => t.getBBox())
                .filter(b => b.x < r.x || b.x + b.width > r.x + r.width)
                .map(b => ({text: b.width, box: r.width}));
           })"""
    )
    assert spills == []
