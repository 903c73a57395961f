"""The whole self-diagnosis on a 360-px phone in real Chromium: RUC, company, every step with autosave,
leaving and resuming through the private link, consent by keyboard, results, the PDF download; axe-core,
a screenshot and a no-sideways-scroll check on every page."""

from __future__ import annotations

import re
from typing import Any

import yaml
from pypdf import PdfReader
from stdnum.pe import ruc as stdnum_ruc

from pade.diagnostics.loader import load_questionnaire, questionnaires_dir
from pade.diagnostics.models import Pregunta, TipoPregunta
from pade.diagnostics.scoring import score
from pade.web.selfdiag_forms import steps
from tests.browser.conftest import assert_accessible

BODY = "2099900001"
RUC = BODY + stdnum_ruc.calc_check_digit(BODY)
WRONG_DIGIT = BODY + str((int(stdnum_ruc.calc_check_digit(BODY)) + 1) % 10)


def answers() -> dict[str, Any]:
    data = yaml.safe_load((questionnaires_dir() / "madurez_digital-1.0.0.golden.yaml").read_text(encoding="utf-8"))
    found: dict[str, Any] = next(v for v in data["vectores"] if v["nombre"] == "bodega_lima")["respuestas"]
    return found


def watch_errors(pg: Any) -> list[str]:
    """Collect, as they happen, failed page loads and autosaves (4xx/5xx) and uncaught script errors.

    A page that fails keeps its URL (an error page at ``…/empresa``): without this the test would only
    time out later, looking for a field the error page does not have."""
    errors: list[str] = []

    def on_response(r: Any) -> None:
        if r.status >= 400 and r.request.resource_type in ("document", "xhr", "fetch"):
            errors.append(f"{r.status} {r.request.method} {r.url}")

    pg.on("response", on_response)
    pg.on("pageerror", lambda e: errors.append(f"script error: {e}"))
    return errors


def check_page(pg: Any, shot: Any, name: str, errors: list[str]) -> None:
    """No failed request so far, a screenshot, no sideways scrolling at 360 px, no serious axe-core violation."""
    assert not errors, f"{name}: {errors}"
    shot(pg, f"autodiagnostico-{name}")
    width = pg.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name}: the page is {width}px wide on a 360px phone"
    assert_accessible(pg)


def fill(pg: Any, p: Pregunta, value: Any) -> None:
    """Answer one question the way a person does: tap the options, type the numbers."""
    fid = f"#p-{p.id}"
    if p.tipo is TipoPregunta.opcion_unica:
        pg.check(f"{fid}-{'na' if value == 'no_aplica' else value}")
    elif p.tipo is TipoPregunta.opcion_multiple:
        for option in (["na"] if value == "no_aplica" else value):
            pg.check(f"{fid}-{option}")
    elif p.tipo in (TipoPregunta.matriz_escala, TipoPregunta.matriz_si_parcial_no):
        if value == "no_aplica":
            pg.check(f"{fid}-na")
        else:
            for item, v in value.items():
                pg.check(f"{fid}-{item}-{v}")
    elif p.tipo in (TipoPregunta.numero, TipoPregunta.porcentaje):
        if value == "no_aplica":
            pg.check(f"{fid}-na")
        else:
            pg.fill(fid, str(value))
            pg.locator(fid).blur()  # "change" fires on leaving the field: autosave
    else:
        pg.fill(fid, str(value))
        pg.locator(fid).blur()


def wait_for_autosave(pg: Any) -> None:
    """Every answer given is saved: the status line is filled in and no autosave is in flight or queued.

    htmx marks the form ``htmx-request`` while a request runs; with ``hx-sync="this:queue last"`` the
    queued request starts in the same task that ends the previous one, so the class is never seen off
    in between. The status line alone would only say that the *first* autosave came back."""
    pg.wait_for_function("""() => document.querySelector('#sd-saved').textContent.trim() !== ''
                                  && document.querySelector('.htmx-request') === null""")
    status = pg.locator("#sd-saved").inner_text()
    assert status.startswith("Respuestas guardadas a las"), status


def test_full_self_diagnosis_on_a_phone(live_server: str, phone_page: Any, shot: Any, tmp_path: Any) -> None:
    pg = phone_page
    errors = watch_errors(pg)
    q = load_questionnaire("madurez_digital")
    given = answers()
    visible = set(score(q, given, None, complete=False).visible)

    pg.goto(live_server + "/")
    pg.get_by_role("link", name="Autodiagnóstico").first.click()
    pg.wait_for_url("**/autodiagnostico")
    check_page(pg, shot, "01-inicio", errors)
    pg.locator("a[href*='cuestionario=madurez_digital']").click()

    # the RUC, typed with the keyboard; the wrong check digit is explained while typing
    pg.wait_for_url("**/empezar?cuestionario=madurez_digital")
    pg.locator("#ruc").focus()
    pg.keyboard.type(WRONG_DIGIT)
    status = pg.locator("#ruc-estado")
    assert "dígito verificador" in status.inner_text()
    assert pg.get_attribute("#ruc", "aria-invalid") == "true"
    check_page(pg, shot, "02-ruc-error", errors)
    pg.fill("#ruc", "")
    pg.keyboard.type(RUC[:2] + " " + RUC[2:])
    assert status.inner_text() == "El RUC parece válido."
    pg.keyboard.press("Enter")

    # company data
    pg.wait_for_url(re.compile(r".*/autodiagnostico/[0-9a-f-]{36}/empresa$"))
    check_page(pg, shot, "03-empresa", errors)
    pg.fill("#nombre", 'Bodega "Don Lucho" <b>')
    pg.select_option("#departamento", "15")
    pg.select_option("#tamano", "micro")
    pg.select_option("#ciiu_section", "G")
    pg.get_by_role("button", name="Guardar y continuar").click()

    all_steps = steps(q)
    resume_link = ""
    for s in all_steps:
        pg.wait_for_url(f"**/paso/{s.number}")
        assert f"Paso {s.number} de {len(all_steps) + 1}" in pg.locator(".sd-progress-text").inner_text()
        for p in s.questions:
            if p.id in visible and given.get(p.id) is not None:
                fill(pg, p, given[p.id])
        # every answer was autosaved as it was given
        wait_for_autosave(pg)
        check_page(pg, shot, f"04-paso-{s.number}", errors)
        if s.number == 1:
            # leave without pressing any button, come back through the private link
            resume_link = pg.input_value("#sd-link")
            assert re.fullmatch(rf"{re.escape(live_server)}/autodiagnostico/[0-9a-f-]{{36}}", resume_link)
            pg.goto("about:blank")
            pg.goto(resume_link)
            pg.wait_for_url("**/paso/2")  # step 1 was complete: the link leads to the next one
            pg.goto(resume_link + "/paso/1")
            first = next(p for p in s.questions if p.tipo is TipoPregunta.opcion_unica)
            assert pg.is_checked(f"#p-{first.id}-{given[first.id]}")
        pg.get_by_role("button", name="Guardar y continuar").click()

    # consent: chosen with the keyboard, nothing pre-ticked
    pg.wait_for_url("**/enviar")
    assert not pg.is_checked("#consent-si") and not pg.is_checked("#consent-no")
    check_page(pg, shot, "05-consentimiento", errors)
    pg.locator("#consent-si").focus()
    pg.keyboard.press("Space")
    assert pg.is_checked("#consent-si")
    pg.get_by_role("button", name="Enviar y ver mis resultados").click()

    # results (the consent form once posted to the API's submit route, which shares its route name)
    pg.wait_for_url(re.compile(r".*/autodiagnostico/[0-9a-f-]{36}/resultado$"))
    assert pg.locator(".sd-level-name").inner_text() in {n.nombre for n in q.niveles}
    assert pg.locator(".sd-chart svg").count() == 1
    assert 'Bodega "Don Lucho" <b>' in pg.locator("main").inner_text()  # shown as text, not markup
    assert pg.locator("main b").count() == 0
    check_page(pg, shot, "06-resultado", errors)
    chart_box = pg.locator(".sd-chart svg").bounding_box()
    assert chart_box is not None and chart_box["width"] <= 360

    # the PDF
    with pg.expect_download() as info:
        pg.get_by_role("link", name="Descargar los resultados (PDF)").click()
    target = tmp_path / "resultado.pdf"
    info.value.save_as(target)
    text = " ".join(page.extract_text() for page in PdfReader(target).pages)
    assert "Resultados del autodiagnóstico" in text and "Puntaje global" in text
    assert q.dimensiones[0].nombre in text and RUC in text

    # the link now leads to the results
    pg.goto(resume_link)
    pg.wait_for_url("**/resultado")
    assert not errors, errors
