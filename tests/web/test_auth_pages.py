"""Sign-in, sign-out, CSRF, redirects, cookie flags, headers and escaping through the ASGI app."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal
from urllib.parse import parse_qs, urlsplit

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.web.auth_helpers import TEST_PASSWORD, ensure_user, sign_in_as
from tests.web.stores import programme_store

from pade.auth import service as auth_service
from pade.auth.models import AppUser
from pade.auth.roles import Actor, Role
from pade.core.settings import Settings
from pade.web.app import create_app
from pade.web.security import COOKIE_NAME, ActorDep

HOSTILE = "<script>alert(\"x\")</script> O'Brien"


def _app(settings: Settings) -> FastAPI:
    programme_store(settings).dispose()
    app = create_app(settings)

    # A protected JSON route, standing in for the back-office API.
    @app.get("/api/v1/_prueba_sesion")
    def _who(actor: ActorDep) -> dict[str, str]:
        return {"usuario": actor.username}

    return app


@pytest.fixture
def client(sqlite_settings: Settings) -> Iterator[TestClient]:
    with TestClient(_app(sqlite_settings), base_url="https://testserver") as c:
        yield c


def _login(client: TestClient, username: str, password: str, siguiente: str = "/admin") -> object:
    return client.post("/entrar", data={"username": username, "password": password, "siguiente": siguiente},
                       follow_redirects=False)


def test_sign_in_and_out_through_the_forms(client: TestClient) -> None:
    ensure_user(client.app.state.sessions, Role.ADMIN, username="ana")  # type: ignore[attr-defined]
    page = client.get("/entrar?siguiente=/admin/usuarios")
    assert page.status_code == 200 and 'autocomplete="current-password"' in page.text
    assert 'name="siguiente" value="/admin/usuarios"' in page.text
    r = client.post("/entrar", data={"username": "ana", "password": TEST_PASSWORD,
                                     "siguiente": "/admin/usuarios"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/usuarios"
    home = client.get("/admin")
    assert home.status_code == 200 and "ana" in home.text and 'href="/admin/usuarios"' in home.text
    token = home.text.split('<meta name="csrf-token" content="')[1].split('"')[0]
    assert '/static/pade-csrf.js" defer' in home.text
    assert client.get("/static/pade-csrf.js").status_code == 200
    out = client.post("/salir", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert f'{COOKIE_NAME}=""' in out.headers["set-cookie"]
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_cookie_flags(client: TestClient) -> None:
    ensure_user(client.app.state.sessions, Role.COMITE, username="com")  # type: ignore[attr-defined]
    r = _login(client, "com", TEST_PASSWORD)
    cookie = r.headers["set-cookie"]  # type: ignore[attr-defined]
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert {"httponly", "secure", "path", "max-age"} <= flags
    assert "samesite=lax" in cookie.lower() and "path=/" in cookie.lower()


def test_cookie_secure_can_be_turned_off_for_plain_http(sqlite_settings: Settings) -> None:
    settings = sqlite_settings.model_copy(update={"cookie_secure": False})
    with TestClient(_app(settings)) as c:
        ensure_user(c.app.state.sessions, Role.COMITE, username="com")  # type: ignore[attr-defined]
        r = _login(c, "com", TEST_PASSWORD)
        assert "secure" not in r.headers["set-cookie"].lower()  # type: ignore[attr-defined]
        assert c.get("/admin").status_code == 200


def test_wrong_password_then_rate_limit(client: TestClient) -> None:
    ensure_user(client.app.state.sessions, Role.ADMIN, username="ana")  # type: ignore[attr-defined]
    for _ in range(5):
        r = client.post("/entrar", data={"username": "ana", "password": "no es la clave"})
        assert r.status_code == 401 and "Usuario o contraseña incorrectos." in r.text
        assert COOKIE_NAME not in r.headers.get("set-cookie", "")
    blocked = client.post("/entrar", data={"username": "ana", "password": TEST_PASSWORD})
    assert blocked.status_code == 429 and "Espere 15 minuto(s)" in blocked.text


def test_the_password_is_checked_outside_the_write_gate(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 costs tens of ms of CPU: holding the one SQLite write slot across it would queue every writer."""
    app: FastAPI = client.app  # type: ignore[assignment]
    ensure_user(app.state.sessions, Role.ADMIN, username="ana")
    assert _login(client, "ana", "no es la clave").status_code == 401  # type: ignore[attr-defined]
    gates = app.state.write_gates  # created by that sign-in's write
    held_during_argon2: list[bool] = []

    class Watched(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            held_during_argon2.append(any(gate.locked() for gate in gates.values()))
            return super().verify(hash, password)

    monkeypatch.setattr(auth_service, "_hasher", Watched())
    assert _login(client, "ana", "no es la clave").status_code == 401  # type: ignore[attr-defined]
    assert _login(client, "ana", TEST_PASSWORD).status_code == 303  # type: ignore[attr-defined]
    assert _login(client, "nadie", TEST_PASSWORD).status_code == 401  # type: ignore[attr-defined]
    assert held_during_argon2 == [False, False, False]


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "admin",
                                    "javascript:alert(1)"])
def test_siguiente_only_accepts_local_paths(client: TestClient, target: str) -> None:
    ensure_user(client.app.state.sessions, Role.ADMIN, username="ana")  # type: ignore[attr-defined]
    r = _login(client, "ana", TEST_PASSWORD, siguiente=target)
    assert r.headers["location"] == "/admin"  # type: ignore[attr-defined]


def test_pages_redirect_to_sign_in_and_api_answers_401(client: TestClient) -> None:
    r = client.get("/admin/usuarios?orden=nombre", follow_redirects=False)
    assert r.status_code == 303
    where = urlsplit(r.headers["location"])
    assert where.path == "/entrar" and parse_qs(where.query) == {"siguiente": ["/admin/usuarios?orden=nombre"]}
    api = client.get("/api/v1/_prueba_sesion")
    assert api.status_code == 401 and "Inicie sesión" in api.json()["detail"]
    sign_in_as(client, Role.COMITE)
    assert client.get("/api/v1/_prueba_sesion").json() == {"usuario": "comite-prueba"}


def test_tampered_or_foreign_cookie_is_no_session(client: TestClient) -> None:
    sign_in_as(client, Role.ADMIN)
    good = client.cookies[COOKIE_NAME]
    client.cookies.set(COOKIE_NAME, good[:-2] + ("AA" if not good.endswith("AA") else "BB"))
    assert client.get("/admin", follow_redirects=False).status_code == 303
    other = TestClient(client.app, base_url="https://testserver")
    other.cookies.set(COOKIE_NAME, "sin-firma")
    assert other.get("/admin", follow_redirects=False).status_code == 303


def test_csrf_is_required_on_state_changes(client: TestClient) -> None:
    csrf = sign_in_as(client, Role.ADMIN)
    form = {"username": "nuevo", "display_name": "Nuevo", "role": "comite", "password": TEST_PASSWORD}
    missing = client.post("/admin/usuarios", data=form)
    assert missing.status_code == 403 and "código de seguridad" in missing.text
    wrong = client.post("/admin/usuarios", data={**form, "csrf_token": "x" * len(csrf)})
    assert wrong.status_code == 403
    other_session = sign_in_as(TestClient(client.app, base_url="https://testserver"), Role.ADMIN)
    assert client.post("/admin/usuarios", data={**form, "csrf_token": other_session}).status_code == 403
    assert client.post("/salir").status_code == 403
    with client.app.state.sessions() as s:  # type: ignore[attr-defined]
        assert s.scalar(select(AppUser).where(AppUser.username == "nuevo")) is None
    ok = client.post("/admin/usuarios", data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert ok.status_code == 303
    header = client.post("/salir", headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    assert header.status_code == 303


def test_admin_manages_users_through_the_page(client: TestClient) -> None:
    csrf = sign_in_as(client, Role.ADMIN)
    page = client.get("/admin/usuarios")
    assert page.status_code == 200 and '<option value="PRODUCE">PRODUCE</option>' in page.text
    r = client.post("/admin/usuarios", data={"csrf_token": csrf, "username": "of-produce", "display_name": "Of",
                                             "role": "oficial", "entity_code": "", "password": TEST_PASSWORD})
    assert r.status_code == 422 and "pertenece a una entidad" in r.text
    r = client.post("/admin/usuarios", data={"csrf_token": csrf, "username": "of-produce", "display_name": "Of",
                                             "role": "oficial", "entity_code": "PRODUCE", "password": "corta"})
    assert r.status_code == 422 and "al menos 12" in r.text
    r = client.post("/admin/usuarios", data={"csrf_token": csrf, "username": "of-produce", "display_name": "Of",
                                             "role": "oficial", "entity_code": "PRODUCE",
                                             "password": TEST_PASSWORD})
    assert r.status_code == 200 and "Usuario creado." in r.text and "of-produce" in r.text
    with client.app.state.sessions() as s:  # type: ignore[attr-defined]
        uid = s.scalar(select(AppUser.id).where(AppUser.username == "of-produce"))
    officer = TestClient(client.app, base_url="https://testserver")
    assert _login(officer, "of-produce", TEST_PASSWORD).status_code == 303  # type: ignore[attr-defined]
    assert officer.get("/admin").status_code == 200
    assert officer.get("/admin/usuarios").status_code == 403
    r = client.post(f"/admin/usuarios/{uid}/activo", data={"csrf_token": csrf, "active": "false"})
    assert r.status_code == 200 and "desactivado" in r.text
    assert officer.get("/admin", follow_redirects=False).status_code == 303  # its session is gone
    client.post(f"/admin/usuarios/{uid}/activo", data={"csrf_token": csrf, "active": "true"})
    r = client.post(f"/admin/usuarios/{uid}/contrasena", data={"csrf_token": csrf,
                                                              "password": "una frase nueva y larga"})
    assert r.status_code == 200 and "Contraseña cambiada" in r.text
    assert _login(officer, "of-produce", TEST_PASSWORD).status_code == 401  # type: ignore[attr-defined]
    assert _login(officer, "of-produce", "una frase nueva y larga").status_code == 303  # type: ignore[attr-defined]


def test_user_text_is_escaped(client: TestClient) -> None:
    factory = client.app.state.sessions  # type: ignore[attr-defined]
    ensure_user(factory, Role.COMITE, username="comite-x")
    with factory() as s:
        user = s.scalar(select(AppUser).where(AppUser.username == "comite-x"))
        user.display_name = HOSTILE
        s.commit()
    sign_in_as(client, Role.ADMIN)
    html = client.get("/admin/usuarios").text
    assert HOSTILE not in html and "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; O&#39;Brien" in html
    # The sign-in form echoes a typed username back escaped.
    r = client.post("/entrar", data={"username": '"><script>x()</script>', "password": "no es la clave"})
    assert "<script>x()" not in r.text and "&#34;&gt;&lt;script&gt;" in r.text


def test_security_headers_on_public_and_back_office_pages(client: TestClient) -> None:
    for path in ("/", "/entrar", "/api/v1/health"):
        h = client.get(path).headers
        assert "script-src 'self'" in h["content-security-policy"] and "unsafe-inline" not in h[
            "content-security-policy"].split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff"
        assert h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "same-origin"
    assert "<script>" not in client.get("/entrar").text  # no inline script anywhere in the base layout


def test_signed_in_header_and_public_portal_without_login(client: TestClient) -> None:
    public = client.get("/")
    assert public.status_code == 200 and 'action="/salir"' not in public.text
    sign_in_as(client, Role.REVISOR)
    page = client.get("/")
    assert 'action="/salir"' in page.text and "revisor-prueba" in page.text
    assert 'name="csrf_token"' in page.text


def test_roles_see_their_sections_only(client: TestClient) -> None:
    for role in (Role.COMITE, Role.REVISOR):
        sign_in_as(client, role)
        assert 'href="/admin/usuarios"' not in client.get("/admin").text
    sign_in_as(client, Role.ADMIN)
    assert 'href="/admin/usuarios"' in client.get("/admin").text


def test_actor_dependency_reports_the_actor(client: TestClient) -> None:
    factory = client.app.state.sessions  # type: ignore[attr-defined]
    actor = ensure_user(factory, Role.OFICIAL, entity_code="PRODUCE")
    assert actor == Actor(user_id=actor.user_id, username="oficial-produce", role=Role.OFICIAL,
                          entity_code="PRODUCE")
    sign_in_as(client, Role.OFICIAL, entity_code="PRODUCE")
    assert "PRODUCE" in client.get("/admin").text




def test_htmx_requests_without_session_get_a_full_page_redirect(client: TestClient) -> None:
    r = client.get("/admin/usuarios", headers={"HX-Request": "true",
                                               "HX-Current-URL": "https://testserver/admin?x=1"},
                   follow_redirects=False)
    assert r.status_code == 401 and r.headers["HX-Redirect"] == "/entrar?siguiente=%2Fadmin%3Fx%3D1"


def test_sign_in_form_posted_from_another_site_is_refused(client: TestClient) -> None:
    ensure_user(client.app.state.sessions, Role.ADMIN, username="ana")  # type: ignore[attr-defined]
    data = {"username": "ana", "password": TEST_PASSWORD}
    foreign = client.post("/entrar", data=data, headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert foreign.status_code == 403 and COOKIE_NAME not in foreign.headers.get("set-cookie", "")
    same = client.post("/entrar", data=data, headers={"Origin": "https://testserver"}, follow_redirects=False)
    assert same.status_code == 303
