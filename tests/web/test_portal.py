"""The programme page and JSON API through the ASGI app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from pade.core.db import make_engine, migrate, session_factory, transaction
from pade.core.settings import Settings
from pade.programme.loader import load_programme
from pade.programme.store import store_programme
from pade.web.app import create_app


@pytest.fixture
def client(sqlite_settings: Settings) -> Iterator[TestClient]:
    engine = make_engine(sqlite_settings)
    migrate(engine)
    with transaction(session_factory(engine)) as s:
        store_programme(s, load_programme(), actor="prueba")
    with TestClient(create_app(sqlite_settings)) as c:
        yield c


def test_programme_page_lists_every_indicator(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    html = r.text
    assert '<html lang="es">' in html
    p = load_programme()
    assert p.vision in html
    for ind in p.indicadores():
        assert f">{ind.codigo}<" in html
    for oe in p.objetivos:
        assert f'id="{oe.id}"' in html
    assert "Comité de Alto Nivel por un Perú Digital, Innovador y Competitivo" in html


def test_api_returns_programme_with_hash(client: TestClient) -> None:
    r = client.get("/api/v1/programme")
    assert r.status_code == 200
    body = r.json()
    assert body["version"] == "1.0.0" and len(body["content_hash"]) == 64
    indicators = client.get("/api/v1/programme/indicators").json()
    assert len(indicators) == 19
    assert {i["codigo"] for i in indicators} >= {"OE1-01", "OE2-09"}


def test_openapi_documents_api(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/programme", "/api/v1/programme/indicators", "/api/v1/health"} <= set(spec["paths"])
    assert "404" in spec["paths"]["/api/v1/programme"]["get"]["responses"]


def test_empty_store_says_what_to_do(sqlite_settings: Settings) -> None:
    migrate(make_engine(sqlite_settings))
    with TestClient(create_app(sqlite_settings)) as c:
        page = c.get("/")
        api = c.get("/api/v1/programme")
    assert page.status_code == 404 and "pade programme load" in page.text and 'lang="es"' in page.text
    assert api.status_code == 404 and "No hay un programa cargado" in api.json()["detail"]
