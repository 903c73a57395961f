"""Report → approve → compute → public page, in real Chromium against ``pade serve``; and an officer of
another entity refused. Accounts are created with ``pade users create`` as an operator would."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import PHONE, LiveStore, assert_accessible, compute_from_page

PASSWORD = "clave-navegador-val-1"
MINCETUR_OFFICER = "oficial-val-mincetur"
PRODUCE_OFFICER = "oficial-val-produce"
REVISOR = "revisor-val"
ADMIN = "admin-val"
VARIABLE = "acciones_sensibilizacion_seguridad_digital"  # MINCETUR's, read by OE1-04 (sum in the year)
YEAR = "2025"
NEW_VALUE = "37"

Shot = Callable[[Any, str], Path]


@pytest.fixture(scope="module")
def accounts(live_store: LiveStore) -> None:
    for username, role, entity in ((MINCETUR_OFFICER, "oficial", "MINCETUR"), (PRODUCE_OFFICER, "oficial", "PRODUCE"),
                                   (REVISOR, "revisor", None), (ADMIN, "admin", None)):
        args = ["users", "create", "--username", username, "--nombre", username, "--rol", role, "--password-stdin"]
        live_store.pade(*args, *(["--entidad", entity] if entity else []), input=f"{PASSWORD}\n")


@pytest.fixture
def as_user(browser: Any, live_server: str) -> Iterator[Callable[..., Any]]:
    """A signed-in page for a user, each in its own browser context (own cookies)."""
    contexts: list[Any] = []

    def _open(username: str, *, phone: bool = False) -> Any:
        options: dict[str, Any] = {"locale": "es-PE", "accept_downloads": True}
        options.update({"viewport": PHONE, "is_mobile": True, "has_touch": True} if phone
                       else {"viewport": {"width": 1280, "height": 900}})
        context = browser.new_context(**options)
        contexts.append(context)
        pg = context.new_page()
        pg.goto(f"{live_server}/entrar")
        pg.fill("#username", username)
        pg.fill("#password", PASSWORD)
        pg.click("button[type=submit]")
        pg.wait_for_url(f"{live_server}/admin")
        return pg

    yield _open
    for context in contexts:
        context.close()


def observed(page: Any, base: str, year: str) -> str:
    page.goto(f"{base}/indicadores/OE1-04")
    row = page.locator("section[aria-labelledby=trayectoria] tbody tr", has=page.locator(f"th:text-is('{year}')"))
    return str(row.locator("td").first.text_content()).strip()  # inside a closed <details>


def test_report_approve_compute_and_the_public_page_shows_it(accounts: None, live_server: str, page: Any,
                                                             as_user: Callable[..., Any], shot: Shot,
                                                             tmp_path: Path) -> None:
    before = observed(page, live_server, YEAR)
    assert before and before != NEW_VALUE

    officer = as_user(MINCETUR_OFFICER)
    officer.click("text=Valores reportados")
    officer.wait_for_url(f"{live_server}/admin/valores")
    officer.click("text=Reportar un valor")
    officer.select_option("#v-variable", VARIABLE)
    officer.select_option("#v-periodo", YEAR)
    officer.fill("#v-valor", NEW_VALUE)
    officer.fill("#v-justificacion", "Talleres de seguridad digital en 37 regiones y ciudades <b>2025</b>")
    evidence = tmp_path / "informe_talleres.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    officer.set_input_files("#v-evidencia", str(evidence))
    assert_accessible(officer)
    shot(officer, "valores-formulario")
    officer.click("text=Enviar a revisión")
    officer.wait_for_url(re.compile(r".*/admin/valores/\d+\?enviado=1$"))
    value_url = officer.url.split("?")[0]
    main = officer.inner_text("main")
    assert "pendiente de revisión" in main and "<b>2025</b>" in main  # shown as text, not markup
    assert_accessible(officer)
    shot(officer, "valor-pendiente")

    revisor = as_user(REVISOR)
    revisor.click("text=Revisión de valores reportados")
    revisor.wait_for_url(f"{live_server}/admin/revision")
    card = revisor.locator("section.card", has=revisor.locator("text=MINCETUR"))
    assert NEW_VALUE in card.inner_text()
    assert_accessible(revisor)
    shot(revisor, "revision-cola")
    card.locator("button:has-text('Aprobar')").click()
    revisor.wait_for_url(re.compile(r".*/admin/revision\?hecho=aprobado.*"))
    assert "Valor aprobado" in revisor.inner_text("main")

    admin = as_user(ADMIN)
    admin.click("text=Cálculo")
    admin.wait_for_url(f"{live_server}/admin/calculo")
    compute_from_page(admin)

    after = observed(page, live_server, YEAR)
    assert after == NEW_VALUE, (before, after)
    shot(page, "indicador-OE1-04-valor-aprobado")

    officer.goto(value_url)
    history = officer.inner_text("main")
    assert "aprobado" in history and f"revisor:{REVISOR}" in history
    officer.goto(f"{live_server}/admin/calidad")
    quality = officer.inner_text("main")
    assert "Calidad de datos: MINCETUR" in quality and NEW_VALUE in quality
    assert_accessible(officer)
    shot(officer, "calidad-mincetur")


def test_an_officer_of_another_entity_is_refused(accounts: None, live_server: str, as_user: Callable[..., Any],
                                                 shot: Shot) -> None:
    own = as_user(MINCETUR_OFFICER)
    own.goto(f"{live_server}/admin/valores")
    links = own.locator("table a[href^='/admin/valores/']")
    if links.count() == 0:  # run alone: report one first
        own.goto(f"{live_server}/admin/valores/nuevo")
        own.select_option("#v-variable", VARIABLE)
        own.select_option("#v-periodo", "2024")
        own.fill("#v-valor", "4")
        own.fill("#v-justificacion", "Talleres")
        own.fill("#v-url", "https://www.gob.pe/mincetur/informe.pdf")
        own.click("text=Enviar a revisión")
        own.wait_for_url(re.compile(r".*/admin/valores/\d+\?enviado=1$"))
        own.goto(f"{live_server}/admin/valores")
    target = str(own.locator("table a[href^='/admin/valores/']").first.get_attribute("href"))

    other = as_user(PRODUCE_OFFICER)
    response = other.goto(f"{live_server}{target}")
    assert response.status == 403
    assert "MINCETUR" in other.inner_text("main") and "PRODUCE" in other.inner_text("main")
    assert_accessible(other)
    shot(other, "valor-otra-entidad-403")
    assert other.goto(f"{live_server}/admin/calidad?entidad=MINCETUR").status == 403
    token = other.get_attribute("meta[name=csrf-token]", "content")
    forged = other.request.post(f"{live_server}/admin/valores", multipart={
        "csrf_token": token, "variable": VARIABLE, "entidad": "MINCETUR", "periodo": "2024", "valor": "999",
        "justificacion": "x", "evidencia_url": "https://example.org/x.pdf"})
    assert forged.status == 403
    listing = other.goto(f"{live_server}/admin/valores")
    assert listing.status == 200 and VARIABLE not in other.content()


def test_the_report_form_fits_a_phone(accounts: None, live_server: str, as_user: Callable[..., Any],
                                      shot: Shot) -> None:
    phone = as_user(PRODUCE_OFFICER, phone=True)
    phone.goto(f"{live_server}/admin/valores/nuevo")
    width = phone.evaluate("document.documentElement.scrollWidth")
    shot(phone, "telefono-valores-formulario")
    assert width <= 360, f"the report form is {width}px wide on a 360px phone"
    phone.goto(f"{live_server}/admin/calidad")
    shot(phone, "telefono-calidad")
    assert_accessible(phone)
