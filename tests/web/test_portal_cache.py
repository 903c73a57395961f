"""The portal page cache and warmer (decision 0016): what is stored, for whom, and when it is dropped."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from tests.web.auth_helpers import sign_in_as, sign_out
from tests.web.stores import programme_store

from pade.auth.roles import Role
from pade.core.db import session_factory
from pade.core.settings import Settings
from pade.indicators.service import latest_run, run_compute
from pade.records.synth import load_demo
from pade.web.app import create_app
from pade.web.portal_cache import PortalWarmer

TODAY = date(2026, 11, 26)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Engine]:
    root = tmp_path_factory.mktemp("portal-cache")
    settings = Settings(database_url=f"sqlite:///{root / 'pade.db'}", data_dir=root / "data", disclosure_k=5)
    engine = programme_store(settings)
    load_demo(engine, firms=600, seed=5, work_dir=root / "synth", today=TODAY)
    run_compute(engine, settings, today=TODAY)
    return settings, engine


@pytest.fixture
def client(store: tuple[Settings, Engine]) -> Iterator[TestClient]:
    with TestClient(create_app(store[0])) as c:
        yield c


def test_anonymous_pages_are_stored_with_an_etag_and_revalidated(client: TestClient) -> None:
    first = client.get("/indicadores/OE1-01")
    again = client.get("/indicadores/OE1-01")
    assert first.status_code == again.status_code == 200
    assert first.text == again.text and "OE1-01" in first.text
    assert first.headers["etag"] == again.headers["etag"]
    assert first.headers["cache-control"] == "no-cache"
    assert {"Cookie", "Accept-Encoding"} <= {v.strip() for v in again.headers["vary"].split(",")}
    assert "default-src 'self'" in again.headers["content-security-policy"]  # the security headers are kept
    unchanged = client.get("/indicadores/OE1-01", headers={"If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304 and unchanged.content == b""
    other = client.get("/indicadores/OE1-02.1")
    assert other.headers["etag"] != first.headers["etag"] and "OE1-02.1" in other.text


def test_filters_and_htmx_fragments_are_stored_apart(client: TestClient) -> None:
    whole = client.get("/indicadores")
    fragment = client.get("/indicadores", headers={"HX-Request": "true"})
    filtered = client.get("/indicadores?objetivo=OE2")
    assert "<html" in whole.text and "<html" not in fragment.text
    assert {"Cookie", "HX-Request"} <= {v.strip() for v in fragment.headers["vary"].split(",")}
    assert client.get("/indicadores").text == whole.text
    assert client.get("/indicadores", headers={"HX-Request": "true"}).text == fragment.text
    assert "/indicadores/OE1-01" in whole.text and "/indicadores/OE1-01" not in filtered.text


def test_gzip_copy_for_clients_that_accept_it(client: TestClient) -> None:
    plain = client.get("/", headers={"Accept-Encoding": "identity"})
    zipped = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert zipped.text == plain.text  # the client decodes it
    assert zipped.headers["etag"] != plain.headers["etag"]
    assert int(zipped.headers["content-length"]) < len(plain.content) / 3


def test_signed_in_users_never_get_a_stored_page(client: TestClient) -> None:
    anonymous = client.get("/indicadores")
    assert "admin-prueba" not in anonymous.text
    sign_in_as(client, Role.ADMIN)
    signed_in = client.get("/indicadores")
    assert "admin-prueba" in signed_in.text and 'name="csrf-token"' in signed_in.text
    assert "etag" not in signed_in.headers
    sign_out(client)
    again = client.get("/indicadores")
    assert "admin-prueba" not in again.text and 'name="csrf-token"' not in again.text
    assert again.headers["etag"] == anonymous.headers["etag"]


def test_errors_csv_and_back_office_are_not_stored(client: TestClient) -> None:
    missing = client.get("/indicadores/NO-EXISTE")
    assert missing.status_code == 404 and "etag" not in missing.headers
    assert "etag" not in client.get("/indicadores/OE1-01.csv").headers
    assert "etag" not in client.get("/admin", follow_redirects=False).headers


def test_a_new_run_shows_at_once(client: TestClient, store: tuple[Settings, Engine]) -> None:
    settings, engine = store
    before = client.get("/indicadores/OE1-01")
    with session_factory(engine)() as s:
        old = latest_run(s)
    assert old is not None and f">{old.id}<" in before.text  # the lineage table names the run
    run_compute(engine, settings, today=TODAY, force=True)
    with session_factory(engine)() as s:
        new = latest_run(s)
    assert new is not None and new.id != old.id
    after = client.get("/indicadores/OE1-01", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and f">{new.id}<" in after.text
    assert after.headers["etag"] != before.headers["etag"]


def test_the_warmer_builds_every_chart_before_a_visit(store: tuple[Settings, Engine]) -> None:
    app = create_app(store[0])
    warmer: PortalWarmer = app.state.portal_warmer
    warmer.warm_once()
    (pub,) = app.state.published_cache._items.values()
    assert warmer.warmed == pub.key
    assert set(pub.charts) == {i.codigo for i in pub.programme.indicadores()}
    assert all(svg.startswith("<svg") for svg in pub.charts.values())
