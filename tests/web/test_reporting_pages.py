"""Reported values, their review, the calendar and data quality through the ASGI app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from tests.web.auth_helpers import Login, signer
from tests.web.stores import programme_store

from pade.auth.roles import Role
from pade.core.audit import AuditEntry
from pade.core.db import session_factory
from pade.core.settings import Settings
from pade.records.tables import RECORD_TABLES
from pade.reporting.models import ReportedValue, ReportingDue
from pade.web.app import create_app

USERS = {"produce1": (Role.OFICIAL, "PRODUCE"), "mincetur1": (Role.OFICIAL, "MINCETUR"),
         "revisor1": (Role.REVISOR, None), "admin1": (Role.ADMIN, None), "comite1": (Role.COMITE, None)}
PDF = b"%PDF-1.4\n%%EOF\n"
NASTY = "<script>alert('x')</script> \"comillas\""


@pytest.fixture
def store(sqlite_settings: Settings) -> Iterator[Engine]:
    eng = programme_store(sqlite_settings)
    yield eng
    eng.dispose()


@pytest.fixture
def client(sqlite_settings: Settings, store: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_settings), follow_redirects=False) as c:
        yield c



@pytest.fixture
def login(client: TestClient) -> Login:
    """Sign ``username`` (a key of USERS) in on the client; returns the CSRF token."""
    return signer(client, USERS)


def report(client: TestClient, csrf: str, *, valor: str = "3", entidad: str = "PRODUCE",
           variable: str = "programas_implementados", periodo: str = "2024", justificacion: str = NASTY,
           evidence: tuple[str, bytes, str] | None = ("informe.pdf", PDF, "application/pdf"),
           url: str = "") -> httpx.Response:
    data = {"csrf_token": csrf, "variable": variable, "entidad": entidad, "periodo": periodo, "valor": valor,
            "justificacion": justificacion, "evidencia_url": url}
    files = {"evidencia": evidence} if evidence else {"evidencia": ("", b"", "application/octet-stream")}
    return client.post("/admin/valores", data=data, files=files)


def value_id(response: httpx.Response) -> int:
    assert response.status_code == 303, response.text
    found = re.match(r"/admin/valores/(\d+)\?enviado=1$", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def text(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def test_anonymous_is_sent_to_sign_in(client: TestClient) -> None:
    for url in ("/admin/valores", "/admin/valores/nuevo", "/admin/revision", "/admin/calendario", "/admin/calidad"):
        r = client.get(url)
        assert r.status_code == 303 and r.headers["location"].startswith("/entrar?siguiente="), url


def test_report_review_and_history(client: TestClient, login: Login, store: Engine) -> None:
    csrf = login("produce1")
    form = client.get("/admin/valores/nuevo")
    assert form.status_code == 200 and 'name="csrf_token"' in form.text
    assert "programas_implementados" in form.text and "acciones_sensibilizacion_seguridad_digital" not in form.text

    assert report(client, "mala").status_code == 403  # CSRF token checked
    vid = value_id(report(client, csrf))
    page = client.get(f"/admin/valores/{vid}?enviado=1")
    html = page.text
    assert page.status_code == 200 and "pendiente de revisión" in html
    assert NASTY not in html and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &#34;comillas&#34;" in html
    evidence = client.get(f"/admin/valores/{vid}/evidencia")
    assert evidence.content == PDF and evidence.headers["content-type"] == "application/pdf"
    assert evidence.headers["content-disposition"].startswith("attachment")

    # a second submission while the first waits is refused, with what was typed kept
    again = report(client, csrf, valor="4")
    assert again.status_code == 409 and "aún espera revisión" in again.text and 'value="4"' in again.text
    assert client.get("/admin/revision").status_code == 403  # an officer does not review

    csrf_rev = login("revisor1")
    queue = client.get("/admin/revision")
    assert queue.status_code == 200 and f'id="valor-{vid}"' in queue.text
    no_comment = client.post(f"/admin/revision/{vid}/rechazar", data={"csrf_token": csrf_rev, "comentario": " "})
    assert no_comment.status_code == 422 and "Escriba un comentario" in no_comment.text
    assert client.post(f"/admin/revision/{vid}/aprobar", data={"comentario": ""}).status_code == 403  # no CSRF
    done = client.post(f"/admin/revision/{vid}/aprobar", data={"csrf_token": csrf_rev, "comentario": "Conforme"})
    assert done.status_code == 303 and done.headers["location"].startswith("/admin/revision?hecho=aprobado")
    assert "Valor aprobado" in client.get(done.headers["location"]).text
    tbl = RECORD_TABLES["valor_reportado"]
    with store.connect() as conn:
        assert [float(v) for v in conn.execute(select(tbl.c.valor)).scalars()] == [3.0]

    csrf = login("produce1")
    detail = client.get(f"/admin/valores/{vid}").text
    assert "aprobado" in detail and "revisor:revisor1" in detail and "Conforme" in detail
    assert "Registrar una corrección" in detail
    rev2 = value_id(report(client, csrf, valor="5", justificacion="Corrección"))
    hist = text(client.get(f"/admin/valores/{rev2}").text)
    assert "Revisión 2" in hist and "Revisión 1" in hist
    assert re.search(r"Valor vigente</dt><dd><strong>3</strong>", hist)  # the approved one stays in force

    login("revisor1")
    rejected = client.post(f"/admin/revision/{rev2}/rechazar",
                           data={"csrf_token": login("revisor1"), "comentario": "Falta el oficio <b>firmado</b>"})
    assert rejected.status_code == 303
    login("produce1")
    hist = client.get(f"/admin/valores/{rev2}").text
    assert "rechazado" in hist and "Falta el oficio &lt;b&gt;firmado&lt;/b&gt;" in hist


def test_an_officer_cannot_touch_another_entitys_values(client: TestClient, login: Login) -> None:
    vid = value_id(report(client, login("produce1")))
    csrf = login("mincetur1")
    assert client.get(f"/admin/valores/{vid}").status_code == 403
    assert client.get(f"/admin/valores/{vid}/evidencia").status_code == 403
    assert client.get("/admin/valores?entidad=PRODUCE").status_code == 403
    assert client.get("/admin/calidad?entidad=PRODUCE").status_code == 403
    forged = report(client, csrf, entidad="PRODUCE")
    assert forged.status_code == 403 and "MINCETUR" in forged.text
    own = client.get("/admin/valores")
    assert own.status_code == 200 and "programas_implementados" not in own.text
    assert client.post(f"/admin/revision/{vid}/aprobar", data={"csrf_token": csrf}).status_code == 403


def test_nobody_approves_their_own_value(client: TestClient, login: Login) -> None:
    csrf = login("admin1")
    vid = value_id(report(client, csrf))
    queue = client.get("/admin/revision").text
    assert "Usted registró este valor" in queue and f"/admin/revision/{vid}/aprobar" not in queue
    r = client.post(f"/admin/revision/{vid}/aprobar", data={"csrf_token": csrf})
    assert r.status_code == 403 and "otra persona revisora" in r.text


@pytest.mark.parametrize(("over", "message"), [
    ({"valor": "abc"}, "escriba un número"),
    ({"evidence": None}, "Adjunte la evidencia"),
    ({"evidence": ("virus.exe", b"MZ\x90\x00", "application/octet-stream")}, "no es PDF, XLSX, CSV, PNG ni JPG"),
    ({"evidence": None, "url": "ftp://servidor/x"}, "https://"),
    ({"periodo": "dos mil"}, "Elija el año"),
])
def test_invalid_forms_say_what_to_fix(client: TestClient, login: Login, over: dict[str, object],
                                       message: str) -> None:
    r = report(client, login("produce1"), **over)  # type: ignore[arg-type]
    assert r.status_code == 422 and message in r.text and 'role="alert"' in r.text


def test_calendar_and_quality(client: TestClient, login: Login, store: Engine) -> None:
    csrf = login("produce1")
    assert client.get("/admin/calendario").status_code == 403
    assert client.post("/admin/calendario", data={"csrf_token": csrf, "destino": "variable:programas_implementados",
                                                  "desde": 2023, "hasta": 2024, "mes": 3, "dia": 31}).status_code == 403
    csrf = login("admin1")
    page = client.get("/admin/calendario")
    assert page.status_code == 200 and 'value="registro:inscripcion"' in page.text
    r = client.post("/admin/calendario", data={"csrf_token": csrf, "destino": "variable:programas_implementados",
                                               "desde": 2023, "hasta": 2024, "mes": 2, "dia": 30})
    assert r.status_code == 303 and r.headers["location"] == "/admin/calendario?guardado=2"
    with session_factory(store)() as s:
        assert sorted(d.due_date for d in s.scalars(select(ReportingDue))) == [date(2024, 2, 29), date(2025, 2, 28)]
    bad = client.post("/admin/calendario", data={"csrf_token": csrf, "destino": "variable:nada", "desde": 2023,
                                                 "hasta": 2024, "mes": 3, "dia": 31})
    assert bad.status_code == 404 and "no es una variable reportada" in bad.text

    login("produce1")
    quality = client.get("/admin/calidad")
    html = text(quality.text)
    assert quality.status_code == 200 and "Calidad de datos: PRODUCE" in html
    assert html.count("atrasado") >= 2 and "Inscripción" in html
    assert 'id="q-entidad"' not in html  # an officer does not choose another entity
    login("comite1")
    other = client.get("/admin/calidad?entidad=MINCETUR")
    assert other.status_code == 200 and 'id="q-entidad"' in other.text and "Calidad de datos: MINCETUR" in other.text


def test_admin_changes_and_deletes_a_due_date(client: TestClient, login: Login, store: Engine) -> None:
    csrf = login("admin1")
    client.post("/admin/calendario", data={"csrf_token": csrf, "destino": "variable:programas_implementados",
                                           "desde": 2023, "hasta": 2024, "mes": 3, "dia": 31})
    with session_factory(store)() as s:
        first, second = (d.id for d in s.scalars(select(ReportingDue).order_by(ReportingDue.periodo)))
    page = client.get("/admin/calendario").text
    assert f'action="/admin/calendario/{first}"' in page and f'action="/admin/calendario/{second}/borrar"' in page

    csrf_officer = login("produce1")  # only the admin manages the calendar, whatever the form says
    assert client.post(f"/admin/calendario/{first}", data={"csrf_token": csrf_officer, "fecha": "2024-06-30"}
                       ).status_code == 403
    assert client.post(f"/admin/calendario/{first}/borrar", data={"csrf_token": csrf_officer}).status_code == 403
    csrf = login("admin1")
    assert client.post(f"/admin/calendario/{first}/borrar", data={}).status_code == 403  # CSRF token checked
    assert client.post(f"/admin/calendario/{first}", data={"fecha": "2024-06-30"}).status_code == 403

    moved = client.post(f"/admin/calendario/{first}", data={"csrf_token": csrf, "fecha": "2024-06-30"})
    assert moved.status_code == 303 and moved.headers["location"] == "/admin/calendario?guardado=1"
    early = client.post(f"/admin/calendario/{first}", data={"csrf_token": csrf, "fecha": "2022-12-31"})
    assert early.status_code == 422 and "no puede ser anterior" in early.text
    gone = client.post(f"/admin/calendario/{second}/borrar", data={"csrf_token": csrf})
    assert gone.status_code == 303 and "Fecha límite borrada" in client.get(gone.headers["location"]).text
    assert client.post(f"/admin/calendario/{second}/borrar", data={"csrf_token": csrf}).status_code == 404
    with session_factory(store)() as s:
        assert [(d.periodo, d.due_date) for d in s.scalars(select(ReportingDue))] == [(2023, date(2024, 6, 30))]
        entries = s.execute(select(AuditEntry.action, AuditEntry.actor, AuditEntry.details)
                            .where(AuditEntry.action.like("reporting_due.%")).order_by(AuditEntry.id)).all()
    assert [(a, actor) for a, actor, _ in entries[-2:]] == [("reporting_due.set", "admin:admin1"),
                                                          ("reporting_due.delete", "admin:admin1")]
    assert entries[-2][2]["before"] == "2024-03-31" and entries[-1][2]["due_date"] == "2025-03-31"


def test_backoffice_home_lists_the_sections_by_role(client: TestClient, login: Login) -> None:
    login("produce1")
    home = client.get("/admin").text
    assert "/admin/valores" in home and "/admin/calidad" in home
    assert "/admin/revision\"" not in home and "/admin/calendario" not in home
    login("revisor1")
    home = client.get("/admin").text
    assert '"/admin/revision"' in home and "/admin/calendario" not in home


def test_value_rows_only_change_by_new_revision(store: Engine, client: TestClient, login: Login) -> None:
    vid = value_id(report(client, login("produce1")))
    csrf = login("revisor1")
    client.post(f"/admin/revision/{vid}/aprobar", data={"csrf_token": csrf})
    assert client.post(f"/admin/revision/{vid}/rechazar", data={"csrf_token": csrf, "comentario": "x"}
                       ).status_code == 409
    with session_factory(store)() as s:
        assert s.get(ReportedValue, vid).estado == "aprobado"  # type: ignore[union-attr]
