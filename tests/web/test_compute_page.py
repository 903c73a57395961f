"""The compute page through the ASGI app: a real compute in the worker thread, followed by polling."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from pade.auth.service import authenticate, create_user, open_session
from pade.core.db import make_engine, migrate, session_factory, transaction
from pade.core.settings import Settings
from pade.programme.loader import load_programme
from pade.programme.store import store_programme
from pade.registry.service import sync_entities
from pade.web.app import create_app
from pade.web.security import COOKIE_NAME

PASSWORD = "clave-de-prueba-123"
USERS = {"admin1": ("admin", None), "revisor1": ("revisor", None), "comite1": ("comite", None),
         "produce1": ("oficial", "PRODUCE")}


def make_store(settings: Settings, *, programme: bool = True) -> Engine:
    engine = make_engine(settings)
    migrate(engine)
    with transaction(session_factory(engine)) as s:
        programa = load_programme()
        if programme:
            store_programme(s, programa, actor="prueba")
        sync_entities(s, programa)
        for username, (role, entity) in USERS.items():
            create_user(s, username=username, display_name=username, role=role, entity_code=entity,
                        password=PASSWORD, actor=None)
    return engine


def signed_in(client: TestClient, engine: Engine, username: str) -> str:
    with session_factory(engine)() as s:
        session_id, csrf = open_session(s, authenticate(s, username, PASSWORD, "prueba"))
        s.commit()
    client.cookies.set(COOKIE_NAME, client.app.state.session_serializer.dumps(session_id))  # type: ignore[attr-defined]
    return csrf


@pytest.fixture
def client(sqlite_settings: Settings) -> Iterator[tuple[TestClient, Engine]]:
    engine = make_store(sqlite_settings)
    with TestClient(create_app(sqlite_settings), follow_redirects=False) as c:
        yield c, engine
    engine.dispose()


def poll_until_finished(client: TestClient, *, timeout_s: float = 300) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        r = client.get("/admin/calculo/progreso")
        assert r.status_code == 200
        if "hx-trigger" not in r.text:
            return r
        assert 'hx-get="/admin/calculo/progreso"' in r.text
        time.sleep(0.5)
    raise AssertionError("the compute did not finish")


def test_only_the_admin_reaches_the_compute_page(client: tuple[TestClient, Engine]) -> None:
    c, engine = client
    r = c.get("/admin/calculo")
    assert r.status_code == 303 and r.headers["location"].startswith("/entrar")
    for user in ("revisor1", "comite1", "produce1"):
        csrf = signed_in(c, engine, user)
        assert c.get("/admin/calculo").status_code == 403
        assert c.get("/admin/calculo/progreso").status_code == 403
        assert c.post("/admin/calculo", data={"csrf_token": csrf}).status_code == 403
    signed_in(c, engine, "admin1")
    page = c.get("/admin/calculo")
    assert page.status_code == 200 and "Aún no hay corridas." in page.text
    assert "vendor/htmx.min.js" in page.text and 'hx-post="/admin/calculo"' in page.text
    assert c.post("/admin/calculo").status_code == 403  # no CSRF token


def test_admin_starts_a_compute_follows_it_and_sees_the_lineage(client: tuple[TestClient, Engine]) -> None:
    c, engine = client
    csrf = signed_in(c, engine, "admin1")
    started = c.post("/admin/calculo", data={"engine": "duckdb", "csrf_token": csrf}, headers={"HX-Request": "true"})
    assert started.status_code == 202
    assert 'hx-get="/admin/calculo/progreso"' in started.text and 'hx-trigger="every 1s"' in started.text
    again = c.post("/admin/calculo", data={"engine": "duckdb", "csrf_token": csrf}, headers={"HX-Request": "true"})
    assert again.status_code == 200 and "Ya hay un cálculo en curso (iniciado por admin:admin1" in again.text

    done = poll_until_finished(c)
    assert re.search(r"Terminado: la corrida \d+ se guardó con \d+ valores\.", done.text), done.text
    assert 'hx-swap-oob="true"' in done.text and 'id="tabla-corridas"' in done.text
    assert 'value="100"' in done.text

    page = c.get("/admin/calculo").text
    assert page.count('id="tabla-corridas"') == 1  # the finished job's out-of-band table is for htmx only
    row = page[page.index('id="tabla-corridas"'):]
    assert "<td>duckdb</td>" in row and "<td>1.0.0</td>" in row and "admin:admin1" in row
    assert re.search(r'<code title="[0-9a-f]{64}">[0-9a-f]{12}</code>', row)  # programme and snapshot hashes
    assert "2023–" in row  # years computed

    # The same inputs give the same run: a second compute says nothing changed.
    c.post("/admin/calculo", data={"engine": "duckdb", "csrf_token": csrf})
    assert "Terminado: nada cambió desde la corrida" in poll_until_finished(c).text


def test_a_failed_compute_says_why_in_spanish(sqlite_settings: Settings) -> None:
    engine = make_store(sqlite_settings, programme=False)
    with TestClient(create_app(sqlite_settings), follow_redirects=False) as c:
        csrf = signed_in(c, engine, "admin1")
        r = c.post("/admin/calculo", data={"engine": "duckdb", "csrf_token": csrf})
        assert r.status_code == 303 and r.headers["location"] == "/admin/calculo"
        failed = poll_until_finished(c)
        assert 'role="status">El cálculo falló: ' in failed.text and "pade programme load" in failed.text
        assert c.post("/admin/calculo", data={"engine": "spark", "csrf_token": csrf}).status_code == 404
    engine.dispose()
