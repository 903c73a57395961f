"""The MIPYME self-diagnosis pages under ``/autodiagnostico`` (Spanish, server-rendered, phone-first).

Flow: landing → RUC → company data → one step per dimension (autosaved with htmx, or saved by a
plain submit) → consent and submit → results (chart, peers, gaps, change) → PDF. No login: the
assessment id in the URL is an unguessable token, and that link is how an owner resumes. What may
be shown about a company looked up by RUC is decided in ``docs/decisions/0013-self-diagnosis-web.md``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.orm import Session

from pade.core.errors import NotFound
from pade.core.i18n import t
from pade.diagnostics import assessments as svc
from pade.diagnostics.loader import list_questionnaires, load_questionnaire
from pade.diagnostics.models import Cuestionario
from pade.diagnostics.scoring import InvalidAnswers
from pade.diagnostics.store import Assessment
from pade.registry.ruc import InvalidRuc
from pade.reports.diagnosis_chart import Bar, dimension_chart_svg
from pade.web import selfdiag_forms as forms
from pade.web.deps import FormDep, SessionDep, TxSessionDep
from pade.web.group_commit import group_writer, run_from_thread

# Every route is named "selfdiag_…": url_for() resolves a name app-wide, and a bare name such as "submit"
# also names an API route (the consent form once posted to the API's submit, losing the consent).
router = APIRouter(prefix="/autodiagnostico", include_in_schema=False)
log = logging.getLogger(__name__)


def _render(request: Request, name: str, context: dict[str, Any], *, status_code: int = 200) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, f"autodiagnostico/{name}", context, status_code=status_code)


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _questionnaire(questionnaire_id: str) -> Cuestionario:
    known = {ref.id for ref in list_questionnaires()}
    if questionnaire_id not in known:
        raise NotFound(t("There is no questionnaire {id}; choose one of: {known}", id=questionnaire_id,
                         known=", ".join(sorted(known))))
    return load_questionnaire(questionnaire_id)


def _resume_url(request: Request, a: Assessment) -> str:
    return str(request.url_for("selfdiag_resume", assessment_id=a.id))


def _draft(session: Session, assessment_id: str) -> Assessment:
    a = svc.get(session, assessment_id)
    if a.status != "borrador":
        raise svc.AssessmentClosed(t("This self-diagnosis was already submitted; start a new one to update it."))
    return a


# -- landing and RUC ---------------------------------------------------------------------------------

@router.get("", response_class=HTMLResponse, name="selfdiag_landing")
def landing(request: Request) -> HTMLResponse:
    instruments = [load_questionnaire(ref.id, ref.version) for ref in list_questionnaires()]
    return _render(request, "landing.html", {"instruments": instruments})


@router.get("/empezar", response_class=HTMLResponse, name="selfdiag_ruc")
def ruc_form(request: Request, cuestionario: str = "madurez_digital") -> HTMLResponse:
    return _render(request, "ruc.html", {"q": _questionnaire(cuestionario), "ruc": "", "error": None})


@router.post("/empezar", response_class=HTMLResponse, name="selfdiag_ruc_submit")
async def ruc_submit(request: Request, cuestionario: str = Form(...), ruc: str = Form("")) -> Response:
    q = _questionnaire(cuestionario)
    try:
        a = await group_writer(request.app.state).run(svc.start_many, svc.Start(ruc=ruc, questionnaire=q.id))
    except InvalidRuc as e:
        message = str(e)
        return _render(request, "ruc.html", {"q": q, "ruc": ruc, "error": message[:1].upper() + message[1:]},
                       status_code=422)
    log.info("self-diagnosis started id=%s questionnaire=%s", a.id, q.id)
    return _see(str(request.url_for("selfdiag_company", assessment_id=a.id)))


# -- company data ------------------------------------------------------------------------------------

def _company_context(session: Session, a: Assessment) -> dict[str, Any]:
    public = svc.public_company(session, a.ruc)
    declared = (a.company or {}).get("declarado") or {}
    return {
        "public": public, "nombre": (a.company or {}).get("nombre") or "",
        "departamento": declared.get("departamento") or public.departamento or "",
        "tamano": declared.get("tamano") or public.tamano or "",
        "ciiu_section": declared.get("ciiu_section") or public.ciiu_section or "",
        "departments": forms.department_choices(), "sizes": forms.size_choices(),
        "sections": forms.ciiu_section_choices(),
    }


@router.get("/{assessment_id}/empresa", response_class=HTMLResponse, name="selfdiag_company")
def company_form(request: Request, assessment_id: str, session: SessionDep) -> HTMLResponse:
    a = _draft(session, assessment_id)
    q = load_questionnaire(a.questionnaire, a.version)
    return _render(request, "empresa.html", {"a": a, "q": q, "resume_url": _resume_url(request, a), "error": None,
                                             **_company_context(session, a)})


@router.post("/{assessment_id}/empresa", response_class=HTMLResponse, name="selfdiag_company_submit")
def company_submit(request: Request, assessment_id: str, session: TxSessionDep, nombre: str = Form(""),
                   departamento: str = Form(""), tamano: str = Form(""), ciiu_section: str = Form("")) -> Response:
    try:
        svc.declare_company(session, assessment_id, nombre=nombre, departamento=departamento, tamano=tamano,
                            ciiu_section=ciiu_section)
    except svc.InvalidCompanyData as e:
        a = _draft(session, assessment_id)
        context = _company_context(session, a) | {"nombre": nombre, "departamento": departamento,
                                                   "tamano": tamano, "ciiu_section": ciiu_section}
        return _render(request, "empresa.html", {"a": a, "q": load_questionnaire(a.questionnaire, a.version),
                                                 "resume_url": _resume_url(request, a), "error": str(e), **context},
                       status_code=422)
    return _see(str(request.url_for("selfdiag_step", assessment_id=assessment_id, number=1)))


# -- questionnaire steps ------------------------------------------------------------------------------

def _visible(q: Cuestionario, a: Assessment) -> set[str]:
    """Questions visible with the saved answers (saved answers always score as a draft)."""
    from pade.diagnostics.scoring import score

    return set(score(q, a.answers, None, complete=False).visible)


def _step_context(request: Request, a: Assessment, q: Cuestionario, number: int, *,
                  shown: dict[str, Any] | None = None, problems: dict[str, str] | None = None) -> dict[str, Any]:
    all_steps = forms.steps(q)
    if not 1 <= number <= len(all_steps):
        raise NotFound(t("This self-diagnosis has no step {number}; it has {count}.", number=number,
                         count=len(all_steps)))
    step = all_steps[number - 1]
    values = {**a.answers, **(shown or {})}
    answered = {s.number: sum(1 for p in s.questions if forms.is_answered(a.answers.get(p.id))) for s in all_steps}
    return {"a": a, "q": q, "step": step, "steps": all_steps, "total": len(all_steps) + 1, "values": values,
            "visible": _visible(q, a), "problems": problems or {}, "answered": answered,
            "resume_url": _resume_url(request, a), "yes_partly_no": forms.yes_partly_no(),
            "scale_labels": forms.scale_labels}


@router.get("/{assessment_id}/paso/{number}", response_class=HTMLResponse, name="selfdiag_step")
def step_form(request: Request, assessment_id: str, number: int, session: SessionDep) -> HTMLResponse:
    a = _draft(session, assessment_id)
    q = load_questionnaire(a.questionnaire, a.version)
    return _render(request, "paso.html", _step_context(request, a, q, number))


@router.post("/{assessment_id}/paso/{number}", response_class=HTMLResponse, name="selfdiag_step_submit")
def step_submit(request: Request, assessment_id: str, number: int, session: SessionDep, form: FormDep) -> Response:
    a = _draft(session, assessment_id)
    q = load_questionnaire(a.questionnaire, a.version)
    context = _step_context(request, a, q, number)  # checks the step number
    step: forms.Step = context["step"]
    parsed = forms.parse_step(step.questions, form)
    session.close()  # written by the process's group writer: what is valid is saved, the rest reported
    saved = run_from_thread(request.app.state, svc.save_many, svc.Save(a.id, dict(parsed.answers), keep_valid=True))
    a, problems = saved.assessment, {**saved.problems, **parsed.problems}
    visible = _visible(q, a)
    if request.headers.get("HX-Request"):  # autosave: a status line, the errors, and what became (in)visible
        saved_at = datetime.now(UTC).astimezone().strftime("%H:%M")
        response = _render(request, "_autosave.html", {"step": step, "problems": problems, "saved_at": saved_at,
                                                        "q": q})
        ids = [p.id for p in step.questions if p.mostrar_si is not None]
        response.headers["HX-Trigger"] = forms.visibility_event([i for i in ids if i in visible],
                                                                [i for i in ids if i not in visible])
        return response
    missing = {p.id: t("Answer this question to continue.") for p in step.questions
               if p.id in visible and p.es_obligatoria and not forms.is_answered(a.answers.get(p.id))
               and p.id not in problems}
    if problems or missing:
        context = _step_context(request, a, q, number, shown=parsed.shown, problems=problems | missing)
        return _render(request, "paso.html", context, status_code=422)
    if number < len(context["steps"]):
        return _see(str(request.url_for("selfdiag_step", assessment_id=a.id, number=number + 1)))
    return _see(str(request.url_for("selfdiag_review", assessment_id=a.id)))


# -- consent and submission ------------------------------------------------------------------------------

def _review_context(request: Request, a: Assessment, q: Cuestionario, *, error: str | None = None,
                    problems: list[tuple[int, str, str]] | None = None, consent: str | None = None
                    ) -> dict[str, Any]:
    """``consent``: the answer just posted ("si"/"no"), shown again when the submission is refused."""
    all_steps = forms.steps(q)
    visible = _visible(q, a)
    pending = {s.number: [p for p in s.questions if p.id in visible and p.es_obligatoria
                          and not forms.is_answered(a.answers.get(p.id))] for s in all_steps}
    return {"a": a, "q": q, "steps": all_steps, "total": len(all_steps) + 1, "pending": pending,
            "resume_url": _resume_url(request, a), "error": error, "problems": problems or [],
            "consent": consent or ("si" if a.consent else None)}


@router.get("/{assessment_id}/enviar", response_class=HTMLResponse, name="selfdiag_review")
def review(request: Request, assessment_id: str, session: SessionDep) -> HTMLResponse:
    a = _draft(session, assessment_id)
    return _render(request, "enviar.html", _review_context(request, a, load_questionnaire(a.questionnaire,
                                                                                           a.version)))


@router.post("/{assessment_id}/enviar", response_class=HTMLResponse, name="selfdiag_submit")
def submit(request: Request, assessment_id: str, session: SessionDep, consentimiento: str = Form("")) -> Response:
    a = _draft(session, assessment_id)
    q = load_questionnaire(a.questionnaire, a.version)
    if consentimiento not in ("si", "no"):
        error = t("Answer the question about the use of your answers for statistics: choose yes or no.")
        return _render(request, "enviar.html", _review_context(request, a, q, error=error), status_code=422)
    session.close()  # the submission is written by the process's group writer (group commit)
    try:
        run_from_thread(request.app.state, svc.submit_many, svc.Submission(a.id, consent=consentimiento == "si"))
    except InvalidAnswers as e:
        a = svc.get(session, assessment_id)
        step_of = {p.id: s.number for s in forms.steps(q) for p in s.questions}
        problems = [(step_of.get(p.question, 1), q.pregunta(p.question).texto if p.question in step_of
                     else p.question, p.message) for p in e.problems]
        return _render(request, "enviar.html", _review_context(request, a, q, problems=problems,
                                                               consent=consentimiento), status_code=422)
    return _see(str(request.url_for("selfdiag_result", assessment_id=a.id)))


@router.get("/{assessment_id}", name="selfdiag_resume")
def resume(request: Request, assessment_id: str, session: SessionDep) -> RedirectResponse:
    """The private link: back to where the owner left off, or to the results once submitted."""
    a = svc.get(session, assessment_id)
    if a.status != "borrador":
        return _see(str(request.url_for("selfdiag_result", assessment_id=a.id)))
    if not a.company:
        return _see(str(request.url_for("selfdiag_company", assessment_id=a.id)))
    q = load_questionnaire(a.questionnaire, a.version)
    visible = _visible(q, a)
    for s in forms.steps(q):
        if any(p.id in visible and p.es_obligatoria and not forms.is_answered(a.answers.get(p.id))
               for p in s.questions):
            return _see(str(request.url_for("selfdiag_step", assessment_id=a.id, number=s.number)))
    return _see(str(request.url_for("selfdiag_review", assessment_id=a.id)))


# -- results and PDF ---------------------------------------------------------------------------------------

def _result_context(request: Request, session: Session, assessment_id: str) -> dict[str, Any]:
    r = svc.result(session, assessment_id)
    a = r.assessment
    q = load_questionnaire(a.questionnaire, a.version)
    deltas = r.change.dimension_deltas if r.change else None
    rows = forms.dimension_rows(q, r.score, deltas)
    chart = dimension_chart_svg([Bar(row.name, row.score, row.previous) for row in rows], width=260)
    company = a.company or {}
    public = svc.public_company(session, a.ruc)
    return {
        "a": a, "q": q, "r": r, "rows": rows, "chart": Markup(chart),  # SVG built from questionnaire text only
        "level_name": forms.level_name(q, r.score["level"]),
        "level": next((n for n in q.niveles if n.id == r.score["level"]), None),
        "level_by_score": forms.level_name(q, r.score["level_by_score"]),
        "gaps": forms.gap_rows(q, r.score), "recommendations": forms.recommendations(q, r.score),
        "peer_min": svc.PEER_MIN_GROUP, "reassessment_days": svc.REASSESSMENT_MIN_DAYS,
        "peer_group": forms.peer_group_labels(r.peers.group),
        "nombre": company.get("nombre"), "show_ruc": not public.natural_person,
        "resume_url": _resume_url(request, a),
    }


@router.get("/{assessment_id}/resultado", response_class=HTMLResponse, name="selfdiag_result")
def result(request: Request, assessment_id: str, session: SessionDep) -> HTMLResponse:
    return _render(request, "resultado.html", _result_context(request, session, assessment_id))


@router.get("/{assessment_id}/resultado.pdf", name="selfdiag_pdf")
def result_pdf(request: Request, assessment_id: str, session: SessionDep) -> Response:
    from pade.reports.committee import html_to_pdf

    context = _result_context(request, session, assessment_id)
    templates: Jinja2Templates = request.app.state.templates
    html = templates.get_template("autodiagnostico/pdf.html").render(**context)
    pdf = html_to_pdf(html)
    name = f"autodiagnostico-{context['q'].id}.pdf"
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/{assessment_id}/reevaluar", name="selfdiag_reassess")
def reassess(request: Request, assessment_id: str, session: TxSessionDep) -> RedirectResponse:
    """Start a new assessment of the same company and questionnaire, carrying the company data over."""
    old = svc.get(session, assessment_id)
    new = svc.start(session, ruc=old.ruc, questionnaire=old.questionnaire)
    declared = (old.company or {}).get("declarado") or {}
    svc.declare_company(session, new.id, nombre=(old.company or {}).get("nombre"),
                        departamento=declared.get("departamento"), tamano=declared.get("tamano"),
                        ciiu_section=declared.get("ciiu_section"))
    return _see(str(request.url_for("selfdiag_company", assessment_id=new.id)))
