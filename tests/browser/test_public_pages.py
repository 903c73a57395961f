"""The public pages in a real browser: they render, and axe-core finds no serious violation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import assert_accessible

PUBLIC_PAGES = ["/", "/indicadores"]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_is_accessible(live_server: str, page: Any, shot: Any, path: str) -> None:
    response = page.goto(live_server + path)
    assert response is not None and response.status == 200
    assert page.get_attribute("html", "lang") == "es"
    shot(page, "publico" + (path.replace("/", "-") if path != "/" else "-inicio"))
    assert_accessible(page)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_page_fits_a_phone(live_server: str, phone_page: Any, shot: Any, path: str) -> None:
    phone_page.goto(live_server + path)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    shot(phone_page, "telefono" + (path.replace("/", "-") if path != "/" else "-inicio"))
    assert width <= 360, f"{path} is {width}px wide on a 360px phone: it scrolls sideways"
