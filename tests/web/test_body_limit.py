"""An oversized upload is refused before its body is read or spooled (pade.web.body_limit, decision 0015).

The limits are patched small so that the bodies stay small and the tests fast.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.web.auth_helpers import sign_in_as
from tests.web.stores import programme_store

from pade.auth.roles import Role
from pade.core.settings import Settings
from pade.records import uploads
from pade.records.tables import ImportBatch
from pade.reporting import evidence
from pade.reporting.models import ReportedValue
from pade.web import body_limit
from pade.web.app import create_app

LIMIT = 100_000
OVER = LIMIT + body_limit.MULTIPART_OVERHEAD_BYTES + 1
TOKEN = "secreto-de-prueba"
PRODUCE = "/admin/importaciones/PRODUCE"
CSV_HEAD = b"ruc,programa,curso,fecha_culminacion,resultado\r\n"


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FastAPI]:
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", LIMIT)
    monkeypatch.setattr(evidence, "MAX_EVIDENCE_BYTES", LIMIT)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'pade.db'}", data_dir=tmp_path / "data",
                        api_token=TOKEN)  # type: ignore[arg-type]
    programme_store(settings).dispose()
    yield create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as c:
        yield c


def stored(app: FastAPI, model: type[ImportBatch] | type[ReportedValue]) -> int:
    with app.state.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def big_csv(size_bytes: int) -> bytes:
    return CSV_HEAD + b"x" * (size_bytes - len(CSV_HEAD))


def test_an_import_over_the_limit_is_refused_with_the_spanish_page(client: TestClient, app: FastAPI) -> None:
    csrf = sign_in_as(client, Role.OFICIAL, entity_code="PRODUCE")
    form = {"kind": "culminacion", "csrf_token": csrf}
    r = client.post(PRODUCE, data=form, files={"archivo": ("grande.csv", big_csv(OVER), "text/csv")})
    assert int(r.request.headers["content-length"]) > OVER
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
    assert "Divídalo en varios archivos" in r.text and "pade import" in r.text and 'lang="es"' in r.text
    assert "content-security-policy" in r.headers  # the refusal still carries the security headers
    assert stored(app, ImportBatch) == 0
    # a file under the limit still goes through to the import
    ok = client.post(PRODUCE, data=form, files={"archivo": ("pequeno.csv", big_csv(LIMIT // 2), "text/csv")})
    assert ok.status_code == 303 and stored(app, ImportBatch) == 1


def test_a_chunked_upload_without_content_length_is_cut_at_the_limit(client: TestClient, app: FastAPI) -> None:
    csrf = sign_in_as(client, Role.OFICIAL, entity_code="PRODUCE")
    built = client.build_request("POST", PRODUCE, data={"kind": "culminacion", "csrf_token": csrf},
                                 files={"archivo": ("grande.csv", big_csv(OVER), "text/csv")})
    body = built.read()
    r = client.post(PRODUCE, content=iter([body]), headers={"content-type": built.headers["content-type"]})
    assert "content-length" not in r.request.headers and r.request.headers["transfer-encoding"] == "chunked"
    assert r.status_code == 413 and "Divídalo en varios archivos" in r.text
    assert stored(app, ImportBatch) == 0


def test_evidence_over_its_limit_is_refused(client: TestClient, app: FastAPI) -> None:
    csrf = sign_in_as(client, Role.OFICIAL, entity_code="PRODUCE")
    r = client.post("/admin/valores", data={"csrf_token": csrf, "variable": "programas_implementados",
                                            "entidad": "PRODUCE", "periodo": "2024", "valor": "3",
                                            "justificacion": "x"},
                    files={"evidencia": ("informe.pdf", b"%PDF-1.4\n" + b"0" * OVER, "application/pdf")})
    assert r.status_code == 413 and "evidencia" in r.text and "dirección del documento (URL)" in r.text
    assert stored(app, ReportedValue) == 0


def run_asgi(app: FastAPI, path: str, headers: dict[str, str], chunks: Iterator[bytes]) -> tuple[int, bytes, int]:
    """POST ``chunks`` to ``app`` as a server would, one ASGI message each; (status, body, chunks read)."""
    read = 0
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        nonlocal read
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]}
    with ThreadPoolExecutor(1) as thread:  # its own event loop: a browser test's may run in this process
        thread.submit(asyncio.run, app(scope, receive, send)).result()  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")  # type: ignore[misc]
    return int(start["status"]), body, read  # type: ignore[call-overload]


def test_a_declared_length_over_the_limit_is_refused_without_reading_a_byte(app: FastAPI) -> None:
    def never() -> Iterator[bytes]:
        raise AssertionError("the body was read")
        yield b""  # pragma: no cover

    status, body, read = run_asgi(app, "/api/v1/records/culminacion", {
        "content-type": "application/json", "content-length": str(10**10), "authorization": f"Bearer {TOKEN}"},
        never())
    assert status == 413 and read == 0
    detail = json.loads(body)["detail"]
    assert "/api/v1/records" in detail and "lotes más pequeños" in detail and "pade import" in detail


def test_an_endless_api_body_stops_being_read_past_the_limit(app: FastAPI) -> None:
    chunk = b"[" + b" " * (64 * 1024 - 1)
    endless = (chunk for _ in range(10_000))  # 640 MB if it were all read
    status, body, read = run_asgi(app, "/api/v1/records/culminacion", {
        "content-type": "application/json", "authorization": f"Bearer {TOKEN}"}, endless)
    assert status == 413 and "pade import" in json.loads(body)["detail"]
    assert read == LIMIT // len(chunk) + 1  # the first chunk past the limit, and not one more


@pytest.mark.parametrize("path", [PRODUCE, "/admin/valores"])
def test_an_anonymous_upload_is_sent_to_sign_in_before_its_body_is_read(app: FastAPI, path: str) -> None:
    """Who may upload is checked before the form is parsed: a visitor without a session spools nothing."""
    def never() -> Iterator[bytes]:
        raise AssertionError("the body was read")
        yield b""  # pragma: no cover

    status, _, read = run_asgi(app, path, {"content-type": "multipart/form-data; boundary=x",
                                           "content-length": str(LIMIT // 2)}, never())
    assert (status, read) == (303, 0)


def test_an_import_form_without_a_file_says_what_to_do(client: TestClient, app: FastAPI) -> None:
    csrf = sign_in_as(client, Role.OFICIAL, entity_code="PRODUCE")
    r = client.post(PRODUCE, data={"kind": "culminacion", "csrf_token": csrf})
    assert r.status_code == 422 and "Elija el archivo que desea cargar" in r.text
    assert stored(app, ImportBatch) == 0
