"""Back-office import pages through the ASGI app: upload, report, quarantine, fix and re-upload, review."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from stdnum.pe import ruc as stdnum_ruc
from tests.web.auth_helpers import Login, signer
from tests.web.stores import programme_store

from pade.auth.roles import Role
from pade.core.db import session_factory
from pade.core.settings import Settings
from pade.records.importer import import_file
from pade.records.tables import ImportBatch
from pade.web.app import create_app

USERS = {"produce1": (Role.OFICIAL, "PRODUCE"), "promperu1": (Role.OFICIAL, "PROMPERÚ"),
         "revisor1": (Role.REVISOR, None), "admin1": (Role.ADMIN, None), "comite1": (Role.COMITE, None)}
PRODUCE = "/admin/importaciones/PRODUCE"


def make_ruc(n: int) -> str:
    body = f"20{n:08d}"
    return body + stdnum_ruc.calc_check_digit(body)


def csv_text(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


BAD_FILE = csv_text([
    ["ruc", "programa", "curso", "fecha_culminacion", "resultado"],
    [make_ruc(1), "PCE", "", "2024-03-01", "aprobado"],
    [make_ruc(2), "PCE", "", "31/02/2024", "aprobado"],
    [make_ruc(3), "PCE", "", "2024-03-01", "<script>alert(1)</script>"],
])


@pytest.fixture
def store(sqlite_settings: Settings, tmp_path: Path) -> Iterator[Engine]:
    eng = programme_store(sqlite_settings)
    catalogue = tmp_path / "programas.csv"
    catalogue.write_bytes(csv_text([["programa", "curso", "nombre", "entidad"],
                                    ["PCE", "", "Capacitación", "PRODUCE"]]))
    import_file(eng, "programa", catalogue, entidad="PCM-SGTD", actor="cli")
    yield eng
    eng.dispose()


@pytest.fixture
def app_client(sqlite_settings: Settings, store: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_settings), follow_redirects=False) as c:
        yield c



@pytest.fixture
def login(app_client: TestClient) -> Login:
    """Sign ``username`` (a key of USERS) in on the client; returns the CSRF token."""
    return signer(app_client, USERS)


def upload(client: TestClient, csrf: str, data: bytes, *, url: str = PRODUCE, name: str = "culminaciones.csv",
           kind: str = "culminacion") -> httpx.Response:
    return client.post(url, data={"kind": kind, "csrf_token": csrf}, files={"archivo": (name, data, "text/csv")})


def test_anonymous_goes_to_sign_in(app_client: TestClient) -> None:
    for url in ("/admin/importaciones", PRODUCE, "/admin/importaciones/revision"):
        r = app_client.get(url)
        assert r.status_code == 303 and r.headers["location"].startswith("/entrar?siguiente=")


def test_officer_uploads_reads_the_report_fixes_and_reuploads(app_client: TestClient, login: Login) -> None:
    csrf = login("produce1")
    r = app_client.get("/admin/importaciones")
    assert r.status_code == 303 and r.headers["location"] == PRODUCE
    assert "Cargar un archivo" in app_client.get(PRODUCE).text

    r = upload(app_client, csrf, BAD_FILE)
    assert r.status_code == 303, r.text
    report = app_client.get(r.headers["location"])
    html = report.text
    assert report.status_code == 200 and "pendiente de revisión" in html
    assert "fecha_invalida" in html and "valor_no_permitido" in html
    assert "no es una fecha válida. Escríbala como dd/mm/aaaa" in html  # what is wrong and how to fix it
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    counts = re.sub(r"\s+", " ", html[html.index('id="conteos"'):html.index("</ul>", html.index('id="conteos"'))])
    assert "<strong>3</strong> filas leídas" in counts and "<strong>1</strong> filas nuevas guardadas" in counts
    assert "<strong>2</strong> filas enviadas a cuarentena" in counts

    page = app_client.get(PRODUCE).text
    assert "2 fila(s) esperan en cuarentena" in page and "culminaciones.csv" in page
    download = app_client.get(f"{PRODUCE}/cuarentena/culminacion.csv")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert table[0][0] == "_cuarentena_id" and table[0][-1] == "_motivos" and len(table) == 3
    xlsx = app_client.get(f"{PRODUCE}/cuarentena/culminacion.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

    header = table[0]
    fixed = [header]
    for row in table[1:]:
        cells = dict(zip(header, row, strict=True))
        cells.update(fecha_culminacion="2024-02-28", resultado="aprobado")
        fixed.append([cells[c] for c in header])
    r = upload(app_client, csrf, csv_text(fixed), name="corregido.csv")
    assert r.status_code == 303
    html = app_client.get(r.headers["location"]).text
    assert "filas en cuarentena corregidas por este archivo" in html
    page = app_client.get(PRODUCE).text
    assert 'id="cuarentena-vacia"' in page


def test_upload_errors_are_shown_on_the_page(app_client: TestClient, login: Login) -> None:
    csrf = login("produce1")
    r = upload(app_client, csrf, b"%PDF-1.4", name="informe.pdf")
    assert r.status_code == 422 and "tipo de archivo no admitido" in r.text
    r = upload(app_client, csrf, BAD_FILE, kind="empresa")
    assert r.status_code == 422 and "SGTD" in r.text
    r = app_client.post(PRODUCE, data={"kind": "culminacion"}, files={"archivo": ("a.csv", BAD_FILE, "text/csv")})
    assert r.status_code == 403  # no CSRF token


def test_an_officer_of_another_entity_gets_403_everywhere(app_client: TestClient, login: Login,
                                                          store: Engine) -> None:
    upload(app_client, login("produce1"), BAD_FILE)
    with session_factory(store)() as s:
        batch_id = s.scalars(select(ImportBatch.id).where(ImportBatch.entidad == "PRODUCE",
                                                          ImportBatch.kind == "culminacion")).one()
    csrf = login("promperu1")
    assert app_client.get("/admin/importaciones").headers["location"] == "/admin/importaciones/PROMPER%C3%9A"
    assert app_client.get("/admin/importaciones/PROMPER%C3%9A").status_code == 200
    for url in (PRODUCE, f"{PRODUCE}/lotes/{batch_id}", f"{PRODUCE}/cuarentena/culminacion.csv",
                f"/admin/importaciones/PROMPER%C3%9A/lotes/{batch_id}", "/admin/importaciones/revision"):
        r = app_client.get(url)
        assert r.status_code in (403, 404), url
        assert "culminaciones.csv" not in r.text
    r = upload(app_client, csrf, BAD_FILE)
    assert r.status_code == 403 and "PROMPERÚ" in r.text
    r = app_client.post(f"{PRODUCE}/lotes/{batch_id}/revision", data={"decision": "aprobar", "csrf_token": csrf})
    assert r.status_code == 403


def test_revisor_approves_and_rejects_from_the_queue(app_client: TestClient, login: Login, store: Engine) -> None:
    upload(app_client, login("produce1"), BAD_FILE)
    upload(app_client, login("produce1"), csv_text([["ruc", "programa", "curso", "fecha_culminacion", "resultado"],
                                                    [make_ruc(9), "PCE", "", "2024-05-01", "retirado"]]),
           name="otro.csv")
    with session_factory(store)() as s:
        first, second = s.scalars(select(ImportBatch.id).where(ImportBatch.kind == "culminacion")
                                  .order_by(ImportBatch.id)).all()
    csrf = login("revisor1")
    queue = app_client.get("/admin/importaciones/revision").text
    assert f"/lotes/{first}" in queue and f"/lotes/{second}" in queue
    batch_page = app_client.get(f"{PRODUCE}/lotes/{first}").text
    assert 'value="aprobar"' in batch_page and 'value="rechazar"' in batch_page

    r = app_client.post(f"{PRODUCE}/lotes/{first}/revision", data={"decision": "rechazar", "csrf_token": csrf})
    assert r.status_code == 422 and "Escriba el motivo del rechazo" in r.text
    r = app_client.post(f"{PRODUCE}/lotes/{first}/revision",
                        data={"decision": "rechazar", "comment": "Fechas <b>erradas</b>", "csrf_token": csrf})
    assert r.status_code == 303
    page = app_client.get(r.headers["location"]).text
    assert "rechazada" in page and "Fechas &lt;b&gt;erradas&lt;/b&gt;" in page and 'value="aprobar"' not in page
    r = app_client.post(f"{PRODUCE}/lotes/{second}/revision", data={"decision": "aprobar", "csrf_token": csrf})
    assert r.status_code == 303
    assert "aprobada" in app_client.get(f"{PRODUCE}/lotes/{second}").text
    r = app_client.post(f"{PRODUCE}/lotes/{second}/revision", data={"decision": "aprobar", "csrf_token": csrf})
    assert r.status_code == 409 and "ya fue revisado" in r.text
    assert 'id="cola-vacia"' in app_client.get("/admin/importaciones/revision").text

    # The officer sees the decision and the comment in the history and on the batch.
    login("produce1")
    assert "Fechas &lt;b&gt;erradas&lt;/b&gt;" in app_client.get(f"{PRODUCE}/lotes/{first}").text


def test_comite_reads_but_cannot_upload_or_review(app_client: TestClient, login: Login) -> None:
    upload(app_client, login("produce1"), BAD_FILE)
    csrf = login("comite1")
    home = app_client.get("/admin/importaciones")
    assert home.status_code == 200 and PRODUCE in home.text
    page = app_client.get(PRODUCE)
    assert page.status_code == 200 and "culminaciones.csv" in page.text and 'name="archivo"' not in page.text
    assert upload(app_client, csrf, BAD_FILE).status_code == 403
    assert app_client.get("/admin/importaciones/revision").status_code == 403


def test_back_office_home_lists_the_import_sections_by_role(app_client: TestClient, login: Login) -> None:
    login("produce1")
    home = app_client.get("/admin").text
    assert "/admin/importaciones" in home
    assert "/admin/importaciones/revision" not in home and "/admin/calculo" not in home
    login("revisor1")
    assert "/admin/importaciones/revision" in app_client.get("/admin").text
