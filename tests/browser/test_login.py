"""Signing in as admin through the form, creating an officer in /admin/usuarios, signing out."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import LiveStore, assert_accessible

ADMIN_PASSWORD = "frase de administración del navegador"
OFFICER_PASSWORD = "frase del oficial del navegador"


def test_admin_signs_in_creates_an_officer_and_signs_out(live_store: LiveStore, live_server: str, page: Any,
                                                          phone_page: Any, shot: Any) -> None:
    live_store.pade("users", "create", "--username", "admin-navegador", "--nombre", "Administración",
                    "--rol", "admin", "--password-stdin", input=ADMIN_PASSWORD + "\n")
    csp_errors: list[str] = []
    page.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)

    page.goto(live_server + "/admin/usuarios")
    assert page.url.startswith(live_server + "/entrar?siguiente=")
    shot(page, "entrar")
    assert_accessible(page)
    page.fill("#username", "admin-navegador")
    page.fill("#password", "no es la clave")
    page.click("button[type=submit]")
    assert page.locator("#login-error").inner_text() == "Usuario o contraseña incorrectos."
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server + "/admin/usuarios")
    assert page.locator("header .account").get_by_text("admin-navegador").count() == 1
    cookie = next(c for c in page.context.cookies() if c["name"] == "pade_sesion")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["secure"]

    page.fill("#nu-username", "oficial-navegador")
    page.fill("#nu-name", "Oficial \"de prueba\" <b>PRODUCE</b>")
    page.select_option("#nu-role", "oficial")
    page.select_option("#nu-entity", "PRODUCE")
    page.fill("#nu-password", OFFICER_PASSWORD)
    page.click("text=Crear usuario")
    page.wait_for_url(live_server + "/admin/usuarios?creado=1")
    row = page.locator("tr", has_text="oficial-navegador")
    assert "PRODUCE" in row.inner_text() and 'Oficial "de prueba" <b>PRODUCE</b>' in row.inner_text()
    shot(page, "admin-usuarios")
    assert_accessible(page)

    page.click("header .account button")
    page.wait_for_url(live_server + "/")
    assert page.locator("header .account").count() == 0
    page.goto(live_server + "/admin")
    assert "/entrar" in page.url
    assert not csp_errors, csp_errors

    # The new officer signs in on a phone and sees the back-office home, not user management.
    phone_page.goto(live_server + "/entrar")
    phone_page.fill("#username", "oficial-navegador")
    phone_page.fill("#password", OFFICER_PASSWORD)
    phone_page.click("button[type=submit]")
    phone_page.wait_for_url(live_server + "/admin")
    assert phone_page.locator("a[href='/admin/usuarios']").count() == 0
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(phone_page, "admin-inicio-oficial-telefono")
    assert_accessible(phone_page)
