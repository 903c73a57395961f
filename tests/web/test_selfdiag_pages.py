"""The self-diagnosis pages through the ASGI app: every step, resume, results, PDF, re-assessment, privacy."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import Engine
from stdnum.pe import ruc as stdnum_ruc

from pade.core.db import make_engine, migrate, session_factory, transaction
from pade.core.settings import Settings
from pade.diagnostics import assessments as svc
from pade.diagnostics.loader import load_questionnaire, questionnaires_dir
from pade.diagnostics.models import Pregunta, TipoPregunta
from pade.diagnostics.store import Assessment
from pade.programme.loader import load_programme
from pade.programme.store import store_programme
from pade.records.tables import ImportBatch
from pade.registry.service import add_company_versions
from pade.web.app import create_app
from pade.web.selfdiag_forms import steps

PERSON_NAME = "QUISPE MAMANI ROSA ELVIRA"
LEGAL_NAME = "BODEGA EL TRÉBOL S.A.C."


def make_ruc(prefix: str, n: int) -> str:
    body = f"{prefix}{n:08d}"
    return body + stdnum_ruc.calc_check_digit(body)


PERSON = make_ruc("10", 4148281)
COMPANY = make_ruc("20", 5123337)


def vector(name: str) -> dict[str, Any]:
    data = yaml.safe_load((questionnaires_dir() / "madurez_digital-1.0.0.golden.yaml").read_text(encoding="utf-8"))
    answers: dict[str, Any] = next(v for v in data["vectores"] if v["nombre"] == name)["respuestas"]
    return answers


@pytest.fixture
def engine(sqlite_settings: Settings) -> Engine:
    engine = make_engine(sqlite_settings)
    migrate(engine)
    with transaction(session_factory(engine)) as s:
        store_programme(s, load_programme(), actor="prueba")
        now = datetime(2025, 1, 1, tzinfo=UTC)
        batch = ImportBatch(kind="empresa", source="archivo", file_name="empresas.csv", file_hash="1" * 64,
                            entidad="PRODUCE", actor="prueba", started_at=now, finished_at=now, rows_total=2,
                            rows_loaded=2, rows_quarantined=0, rows_unchanged=0, report={})
        s.add(batch)
        s.flush()
        base = {"ubigeo": "150101", "ciiu": "47", "ventas_anuales": None, "anio_ventas": None, "tamano": "micro",
                "exportador": "no_exportadora", "sexo_titular": None, "fecha": date(2024, 1, 1)}
        add_company_versions(s, [base | {"ruc": PERSON, "razon_social": PERSON_NAME, "sexo_titular": "mujer"},
                                 base | {"ruc": COMPANY, "razon_social": LEGAL_NAME}], batch_id=batch.id)
    return engine


@pytest.fixture
def client(sqlite_settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_settings)) as c:
        yield c


def form_of(questions: tuple[Pregunta, ...], answers: dict[str, Any]) -> dict[str, Any]:
    """The form a person would send for ``answers`` (the inverse of ``parse_step``)."""
    form: dict[str, Any] = {}
    for p in questions:
        v = answers.get(p.id)
        name = f"p-{p.id}"
        if v is None:
            continue
        if p.tipo in (TipoPregunta.matriz_escala, TipoPregunta.matriz_si_parcial_no):
            if v == "no_aplica":
                form[f"{name}-na"] = "1"
            else:
                form.update({f"{name}-{item}": str(x) for item, x in v.items()})
        elif p.tipo in (TipoPregunta.numero, TipoPregunta.porcentaje):
            if v == "no_aplica":
                form[f"{name}-na"] = "1"
            else:
                form[name] = str(v).replace(".", ",")  # as typed in Peru: a decimal comma
        elif p.tipo is TipoPregunta.opcion_multiple:
            form[name] = [v] if v == "no_aplica" else list(v)
        else:
            form[name] = v
    return form


FORM_TARGET = re.compile(r'<form\b[^>]*\baction="([^"]*)"|\bhx-post="([^"]*)"')


def form_targets(html: str) -> list[str]:
    """The paths a page's forms and htmx autosaves post to, in page order."""
    return [urlsplit(action or hx_post).path for action, hx_post in FORM_TARGET.findall(html)]


def start(client: TestClient, ruc: str, questionnaire: str = "madurez_digital") -> str:
    r = client.post("/autodiagnostico/empezar", data={"cuestionario": questionnaire, "ruc": ruc},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    match = re.fullmatch(r".*/autodiagnostico/([0-9a-f-]{36})/empresa", r.headers["location"])
    assert match, r.headers["location"]
    return match.group(1)


def take(client: TestClient, ruc: str, answers: dict[str, Any], *, nombre: str = "",
         consent: str = "si") -> str:
    aid = start(client, ruc)
    r = client.post(f"/autodiagnostico/{aid}/empresa", data={"nombre": nombre, "departamento": "15",
                                                             "tamano": "micro", "ciiu_section": "G"},
                    follow_redirects=False)
    assert r.status_code == 303
    q = load_questionnaire("madurez_digital")
    for s in steps(q):
        r = client.post(f"/autodiagnostico/{aid}/paso/{s.number}", data=form_of(s.questions, answers),
                        follow_redirects=False)
        assert r.status_code == 303, r.text
    assert r.headers["location"].endswith(f"/{aid}/enviar")
    (action,) = form_targets(client.get(r.headers["location"]).text)  # where the page's own form sends it
    r = client.post(action, data={"consentimiento": consent}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"].endswith(f"/{aid}/resultado")
    return aid


def test_landing_offers_the_three_instruments_and_the_nav_links_it(client: TestClient) -> None:
    r = client.get("/autodiagnostico")
    assert r.status_code == 200
    for qid in ("madurez_digital", "comercio_electronico", "transfronterizo"):
        assert f"/autodiagnostico/empezar?cuestionario={qid}" in r.text
        assert load_questionnaire(qid).titulo in r.text
    assert 'href="/autodiagnostico"' in client.get("/indicadores").text or 'href="/autodiagnostico"' in r.text
    ruc_page = client.get("/autodiagnostico/empezar?cuestionario=transfronterizo")
    assert ruc_page.status_code == 200 and 'for="ruc"' in ruc_page.text
    assert client.get("/autodiagnostico/empezar?cuestionario=inventado").status_code == 404


@pytest.mark.parametrize(("typed", "expected"), [
    ("", "el ruc está vacío"),
    ("2051233379", "no tiene 11 dígitos"),
    ("20A12333797", "contiene caracteres distintos de dígitos"),
    ("30512333797", "debe empezar con 10, 15, 17 o 20"),
    ("20512333798", "dígito verificador incorrecto"),
])
def test_an_invalid_ruc_says_what_is_wrong_and_how_to_fix_it(client: TestClient, typed: str, expected: str) -> None:
    r = client.post("/autodiagnostico/empezar", data={"cuestionario": "madurez_digital", "ruc": typed})
    assert r.status_code == 422
    error = re.search(r'<p id="ruc-error" class="error" role="alert">(.*?)</p>', r.text, re.S)
    assert error and expected in error.group(1).lower(), r.text
    assert 'aria-invalid="true"' in r.text


def test_a_ruc_typed_with_spaces_and_dashes_is_accepted(client: TestClient) -> None:
    aid = start(client, f" {COMPANY[:2]}-{COMPANY[2:10]}-{COMPANY[10]} ")
    with session_factory(client.app.state.engine)() as s:  # type: ignore[attr-defined]
        assert s.get(Assessment, aid).ruc == COMPANY  # type: ignore[union-attr]


def test_ruc_10_never_shows_a_stored_name_or_registry_data(client: TestClient) -> None:
    aid = start(client, PERSON)
    page = client.get(f"/autodiagnostico/{aid}/empresa")
    assert page.status_code == 200
    assert PERSON_NAME not in page.text and "QUISPE" not in page.text
    assert "persona natural" in page.text
    assert "<option value=\"15\" selected>" not in page.text  # not even the stored department
    aid = take(client, PERSON, vector("todo_maximo"))
    for path in ("resultado", "paso/1", ""):
        text = client.get(f"/autodiagnostico/{aid}/{path}").text
        assert "QUISPE" not in text and PERSON not in text
    pdf_text = "".join(p.extract_text() for p in PdfReader(
        io.BytesIO(client.get(f"/autodiagnostico/{aid}/resultado.pdf").content)).pages)
    assert "QUISPE" not in pdf_text and PERSON not in pdf_text


def test_ruc_20_shows_public_registry_attributes_to_confirm(client: TestClient) -> None:
    aid = start(client, COMPANY)
    page = client.get(f"/autodiagnostico/{aid}/empresa").text
    assert "BODEGA EL TRÉBOL S.A.C." in page
    assert '<option value="15" selected>' in page and '<option value="micro" selected>' in page
    assert '<option value="G" selected>' in page


def test_company_data_rejects_unknown_codes_in_spanish(client: TestClient) -> None:
    aid = start(client, COMPANY)
    r = client.post(f"/autodiagnostico/{aid}/empresa", data={"departamento": "99", "tamano": "enorme"})
    assert r.status_code == 422
    assert "el departamento 99 no existe" in r.text and "el tamaño enorme no existe" in r.text


def test_script_and_quotes_in_a_typed_company_name_are_escaped(client: TestClient) -> None:
    evil = '<script>alert("x")</script> Bodega "La Única" & O\'Brien'
    aid = take(client, COMPANY, vector("todo_minimo"), nombre=evil)
    for path in ("resultado",):
        text = client.get(f"/autodiagnostico/{aid}/{path}").text
        assert "<script>alert" not in text
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text
        assert "Bodega &#34;La Única&#34; &amp; O&#39;Brien" in text
    new = client.post(f"/autodiagnostico/{aid}/reevaluar", follow_redirects=False).headers["location"]
    form = client.get(new).text  # carried over into the company form's value attribute, escaped
    assert 'value="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Bodega &#34;La Única&#34;' in form
    pdf = PdfReader(io.BytesIO(client.get(f"/autodiagnostico/{aid}/resultado.pdf").content))
    assert '<script>alert("x")</script> Bodega "La Única"' in "".join(p.extract_text() for p in pdf.pages)


def test_each_step_shows_one_dimension_with_progress_and_fieldsets(client: TestClient) -> None:
    aid = start(client, COMPANY)
    client.post(f"/autodiagnostico/{aid}/empresa", data={"tamano": "micro"})
    q = load_questionnaire("madurez_digital")
    total = len(q.dimensiones) + 1
    for s in steps(q):
        page = client.get(f"/autodiagnostico/{aid}/paso/{s.number}").text
        assert f"Paso {s.number} de {total}" in page
        assert f'<progress max="{total}" value="{s.number}"' in page
        assert f"<h1>{s.dimension.nombre}</h1>" in page
        assert page.count("<legend>") >= sum(p.tipo is not TipoPregunta.texto and p.tipo not in (
            TipoPregunta.numero, TipoPregunta.porcentaje) for p in s.questions)
        assert f"/autodiagnostico/{aid}" in page and "privado" in page  # the resume link, explained
        assert 'hx-post="' in page and "vendor/htmx.min.js" in page
    assert client.get(f"/autodiagnostico/{aid}/paso/{total + 5}").status_code == 404


def test_autosave_saves_partial_answers_and_reports_problems(client: TestClient) -> None:
    aid = start(client, COMPANY)
    client.post(f"/autodiagnostico/{aid}/empresa", data={})
    headers = {"HX-Request": "true"}
    # dp2 is complete; dp1 (a matrix) has one row out of five: it is kept on the page, not saved
    r = client.post(f"/autodiagnostico/{aid}/paso/1", data={"p-dp2": "papel", "p-dp1-inventario": "si"},
                    headers=headers)
    assert r.status_code == 200
    assert "Guardado a las" in r.text and 'id="err-dp1" hx-swap-oob="true">Responda todas las filas' in r.text
    assert "pade:visibility" in r.headers["HX-Trigger"]
    with session_factory(client.app.state.engine)() as s:  # type: ignore[attr-defined]
        a = s.get(Assessment, aid)
        assert a is not None and a.answers == {"dp2": "papel", "dp3": None, "dp4": None, "dp5": None}
    # a number that is not one
    q = load_questionnaire("madurez_digital")
    number_q = next(p for p in q.preguntas if p.tipo is TipoPregunta.numero)
    step = next(s for s in steps(q) if number_q in s.questions)
    r = client.post(f"/autodiagnostico/{aid}/paso/{step.number}", data={f"p-{number_q.id}": "muchos"},
                    headers=headers)
    assert "«muchos» no es un número" in r.text


def test_plain_submit_without_js_saves_and_asks_for_missing_answers(client: TestClient) -> None:
    aid = start(client, COMPANY)
    client.post(f"/autodiagnostico/{aid}/empresa", data={})
    r = client.post(f"/autodiagnostico/{aid}/paso/1", data={"p-dp2": "nube_compartida"}, follow_redirects=False)
    assert r.status_code == 422
    assert "Responda esta pregunta para continuar." in r.text
    assert 'value="nube_compartida" checked' in r.text


def test_conditional_questions_appear_when_their_condition_holds(client: TestClient) -> None:
    aid = start(client, COMPANY, "comercio_electronico")
    client.post(f"/autodiagnostico/{aid}/empresa", data={})
    page = client.get(f"/autodiagnostico/{aid}/paso/1").text
    assert re.search(r'id="pregunta-ce3" data-question="ce3" hidden', page)
    r = client.post(f"/autodiagnostico/{aid}/paso/1", data={"p-ce1": "redes_sociales"},
                    headers={"HX-Request": "true"})
    assert '"shown": ["ce3", "ce4"]' in r.headers["HX-Trigger"], r.headers["HX-Trigger"]
    page = client.get(f"/autodiagnostico/{aid}/paso/1").text
    assert re.search(r'id="pregunta-ce3" data-question="ce3">', page)


def test_resume_link_returns_to_the_first_unfinished_step(client: TestClient) -> None:
    answers = vector("todo_maximo")
    aid = start(client, COMPANY)
    assert client.get(f"/autodiagnostico/{aid}", follow_redirects=False).headers["location"].endswith("/empresa")
    client.post(f"/autodiagnostico/{aid}/empresa", data={"tamano": "pequena"})
    q = load_questionnaire("madurez_digital")
    first, second = steps(q)[:2]
    client.post(f"/autodiagnostico/{aid}/paso/1", data=form_of(first.questions, answers))
    r = client.get(f"/autodiagnostico/{aid}", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith(f"/{aid}/paso/2")
    page = client.get(r.headers["location"]).text  # a new visit: what was saved is shown
    assert second.dimension.nombre in page
    back = client.get(f"/autodiagnostico/{aid}/paso/1").text
    assert f'value="{answers["dp2"]}" checked' in back
    assert client.get("/autodiagnostico/00000000-0000-0000-0000-000000000000").status_code == 404


def test_every_form_posts_back_to_its_own_page(client: TestClient) -> None:
    """url_for() resolves a route name app-wide: the consent form once posted to the API's submit, whose route
    has the same name, so the owner saw JSON and the consent was lost."""
    draft = start(client, COMPANY)
    client.post(f"/autodiagnostico/{draft}/empresa", data={})
    done = take(client, make_ruc("20", 78), vector("todo_maximo"), consent="si")
    expected = {
        "/autodiagnostico/empezar?cuestionario=madurez_digital": ["/autodiagnostico/empezar"],
        f"/autodiagnostico/{draft}/empresa": [f"/autodiagnostico/{draft}/empresa"],
        f"/autodiagnostico/{draft}/paso/1": [f"/autodiagnostico/{draft}/paso/1"] * 2,  # the form and its autosave
        f"/autodiagnostico/{draft}/enviar": [f"/autodiagnostico/{draft}/enviar"],
        f"/autodiagnostico/{done}/resultado": [f"/autodiagnostico/{done}/reevaluar"],
    }
    for page, targets in expected.items():
        assert form_targets(client.get(page).text) == targets, page
    with session_factory(client.app.state.engine)() as s:  # type: ignore[attr-defined]
        assert s.get(Assessment, done).consent is True  # type: ignore[union-attr]


def test_submit_needs_an_explicit_consent_and_stores_it(client: TestClient) -> None:
    answers = vector("todo_maximo")
    aid = start(client, COMPANY)
    client.post(f"/autodiagnostico/{aid}/empresa", data={})
    review = client.get(f"/autodiagnostico/{aid}/enviar").text
    assert 'name="consentimiento" value="si">' in review and 'value="no">' in review  # nothing pre-ticked
    assert "checked" not in review
    r = client.post(f"/autodiagnostico/{aid}/enviar", data={})
    assert r.status_code == 422 and "elija sí o no" in r.text
    r = client.post(f"/autodiagnostico/{aid}/enviar", data={"consentimiento": "no"})
    assert r.status_code == 422 and "no se puede enviar" in r.text.lower()  # nothing answered yet
    for s in steps(load_questionnaire("madurez_digital")):
        client.post(f"/autodiagnostico/{aid}/paso/{s.number}", data=form_of(s.questions, answers))
    r = client.post(f"/autodiagnostico/{aid}/enviar", data={"consentimiento": "no"}, follow_redirects=False)
    assert r.status_code == 303
    with session_factory(client.app.state.engine)() as s:  # type: ignore[attr-defined]
        a = s.get(Assessment, aid)
        assert a is not None and a.status == "enviada" and a.consent is False
        assert a.company["tamano"] is not None
    other = take(client, make_ruc("20", 77), answers, consent="si")
    with session_factory(client.app.state.engine)() as s:  # type: ignore[attr-defined]
        assert s.get(Assessment, other).consent is True  # type: ignore[union-attr]
    # a submitted assessment cannot be edited through its steps
    assert client.get(f"/autodiagnostico/{aid}/paso/1").status_code == 409


def test_results_show_level_chart_peers_gaps_and_resources(client: TestClient) -> None:
    aid = take(client, COMPANY, vector("bodega_lima"), nombre="Bodega Lima")
    page = client.get(f"/autodiagnostico/{aid}/resultado")
    assert page.status_code == 200
    text = page.text
    with session_factory(client.app.state.engine)() as s:  # type: ignore[attr-defined]
        r = svc.result(s, aid)
    q = load_questionnaire("madurez_digital")
    level = next(n.nombre for n in q.niveles if n.id == r.score["level"])
    assert f'<p class="sd-level-name">{level}</p>' in text
    assert f"{r.score['overall']:.1f} de 100" in text
    assert "<svg" in text and text.count("<tr>") >= len(q.dimensiones) + 1
    for d in q.dimensiones:
        assert d.nombre in text
    assert "Aún no hay suficientes empresas comparables" in text and "al menos 10" in text
    first_gap = q.pregunta(r.score["gaps"][0]["question"]).texto
    assert first_gap in text
    assert "Recursos recomendados" in text and r.score["dimensions"][0]["recommendations"][0]["texto"] in text
    assert "Cambio desde su diagnóstico anterior" not in text
    assert f"RUC {COMPANY}" in text


def test_peer_comparison_appears_once_the_group_is_large_enough(client: TestClient) -> None:
    answers = vector("todo_minimo")
    for n in range(svc.PEER_MIN_GROUP):
        last = take(client, make_ruc("20", 1000 + n), answers)
    text = client.get(f"/autodiagnostico/{last}/resultado").text
    assert f"entre {svc.PEER_MIN_GROUP} empresas" in text
    assert "Aún no hay suficientes" not in text


def test_pdf_of_the_results(client: TestClient) -> None:
    aid = take(client, COMPANY, vector("bodega_lima"), nombre="Bodega Lima")
    r = client.get(f"/autodiagnostico/{aid}/resultado.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert "attachment" in r.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(r.content))
    text = " ".join(p.extract_text() for p in reader.pages)
    with session_factory(client.app.state.engine)() as s:  # type: ignore[attr-defined]
        result = svc.result(s, aid)
    q = load_questionnaire("madurez_digital")
    assert "Resultados del autodiagnóstico" in text and "Bodega Lima" in text
    assert f"{result.score['overall']:.1f} de 100" in text
    assert next(n.nombre for n in q.niveles if n.id == result.score["level"]) in text
    assert q.dimensiones[0].nombre in text and "Comparación con empresas similares" in text


def test_reassessment_shows_the_change_per_dimension(client: TestClient, engine: Engine) -> None:
    a = svc.start_many(engine, [svc.Start(ruc=COMPANY, questionnaire="madurez_digital")])[0]
    assert isinstance(a, Assessment)
    saved = svc.save_many(engine, [svc.Save(a.id, vector("todo_minimo"))])[0]
    assert isinstance(saved, svc.Saved)
    first = a.id
    svc.submit(engine, first, today=date.today() - timedelta(days=svc.REASSESSMENT_MIN_DAYS + 10))
    page = client.get(f"/autodiagnostico/{first}/resultado").text
    assert "Cambio desde su diagnóstico anterior" not in page
    second = take(client, COMPANY, vector("todo_maximo"))
    text = client.get(f"/autodiagnostico/{second}/resultado").text
    assert "Cambio desde su diagnóstico anterior" in text
    assert "puntaje global +100.0 puntos" in text
    assert text.count("+100.0</td>") == len(load_questionnaire("madurez_digital").dimensiones)
    assert "Nivel: de Inicial a Experto." in text
    assert "La marca oscura es su puntaje anterior." in text
    assert "cuenta una reevaluación cuando" not in text  # more than 180 days: it counts
    pdf = PdfReader(io.BytesIO(client.get(f"/autodiagnostico/{second}/resultado.pdf").content))
    assert "+100.0" in "".join(p.extract_text() for p in pdf.pages)
