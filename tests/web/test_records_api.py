"""POST /api/v1/records/{kind}: the file's validation, answered row by row, behind a token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from stdnum.pe import ruc as stdnum_ruc

from pade.core.db import make_engine, migrate, session_factory, transaction
from pade.core.settings import Settings
from pade.programme.loader import load_programme
from pade.programme.store import store_programme
from pade.web.app import create_app

TOKEN = "secreto-de-prueba"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def make_ruc(n: int) -> str:
    body = f"20{n:08d}"
    return body + stdnum_ruc.calc_check_digit(body)


def _app(tmp_path: Path, token: str | None) -> TestClient:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", data_dir=tmp_path,
                        api_token=token)  # type: ignore[arg-type]
    engine = make_engine(settings)
    migrate(engine)
    with transaction(session_factory(engine)) as s:
        store_programme(s, load_programme(), actor="prueba")
    return TestClient(create_app(settings))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _app(tmp_path, TOKEN) as c:
        yield c


def test_batch_is_validated_per_row(client: TestClient) -> None:
    body = {"entidad": "PRODUCE", "rows": [
        {"ruc": make_ruc(1), "razon_social": "Bodega Uno SAC", "ubigeo": "150101", "tamano": "micro",
         "fecha": "2024-01-01"},
        {"ruc": "20131312950", "razon_social": "Mala SAC", "ubigeo": "150101", "fecha": "2024-01-01"},
    ]}
    r = client.post("/api/v1/records/empresa", json=body, headers=AUTH)
    assert r.status_code == 200, r.text
    out = r.json()
    assert [row["status"] for row in out["rows"]] == ["cargada", "cuarentena"]
    assert out["rows"][1]["issues"][0]["code"] == "ruc_digito"
    assert "dígito verificador" in out["rows"][1]["issues"][0]["message"]
    again = client.post("/api/v1/records/empresa", json=body, headers=AUTH).json()
    assert again["already_imported"] and again["batch_id"] == out["batch_id"]


def test_unknown_kind_and_entity(client: TestClient) -> None:
    r = client.post("/api/v1/records/nada", json={"entidad": "PRODUCE", "rows": [{"a": 1}]}, headers=AUTH)
    assert r.status_code == 404 and "tipo de registro desconocido" in r.json()["detail"]
    r = client.post("/api/v1/records/empresa", json={"entidad": "SUNAT", "rows": [{"a": 1}]}, headers=AUTH)
    assert r.status_code == 422 and "entidad desconocida SUNAT" in r.json()["detail"]


def test_token_is_required(client: TestClient, tmp_path: Path) -> None:
    body = {"entidad": "PRODUCE", "rows": [{"ruc": make_ruc(1)}]}
    assert client.post("/api/v1/records/empresa", json=body).status_code == 401
    assert client.post("/api/v1/records/empresa", json=body, headers={"Authorization": "Bearer x"}).status_code == 401
    with _app(tmp_path / "otro", None) as closed:
        r = closed.post("/api/v1/records/empresa", json=body, headers=AUTH)
    assert r.status_code == 403 and "PADE_API_TOKEN" in r.json()["detail"]


def test_kinds_are_published_with_their_schemas(client: TestClient) -> None:
    kinds = client.get("/api/v1/records/kinds").json()
    assert {k["name"] for k in kinds} >= {"empresa", "inscripcion", "valor_reportado"}
    spec = client.get("/api/v1/openapi.json").json()
    assert set(spec["paths"]["/api/v1/records/{kind}"]["post"]["responses"]) >= {"200", "401", "403", "404", "422"}
