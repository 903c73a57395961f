"""The self-diagnosis JSON API: start, save as you go, submit, fetch results. Designed for a phone page.

No login: the assessment id is an unguessable token, and the link that carries it is how an owner
resumes. Results never show other companies: only a percentile among peers.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from pade.core.i18n import t
from pade.diagnostics import assessments as svc
from pade.diagnostics.loader import list_questionnaires, load_questionnaire
from pade.diagnostics.store import Assessment
from pade.web.api_errors import OK, error_responses
from pade.web.deps import SessionDep
from pade.web.group_commit import group_writer

router = APIRouter(prefix="/api/v1/diagnostics", tags=["autodiagnóstico"])

_ERRORS = error_responses(404, 409, 422, descriptions={404: t("No such self-diagnosis or questionnaire"),
                                                      409: t("The self-diagnosis was already submitted"),
                                                      422: t("Invalid RUC or answers")})
_NO_QUESTIONNAIRE = error_responses(404, 422, descriptions={404: t("No such questionnaire")})


class StartIn(BaseModel):
    ruc: str = Field(description=t("The company's RUC (11 digits)."))
    cuestionario: str = Field(description=t("Questionnaire id, e.g. madurez_digital."))
    consentimiento: bool = Field(default=False, description=t("Agrees to the statistical use of the answers."))


class AssessmentOut(BaseModel):
    id: str
    cuestionario: str
    version: str
    estado: str
    respuestas: dict[str, Any]
    consentimiento: bool


class SaveIn(BaseModel):
    respuestas: dict[str, Any]
    respondente: str | None = Field(default=None, max_length=120)
    consentimiento: bool | None = None


def _out(a: Assessment) -> AssessmentOut:
    return AssessmentOut(id=a.id, cuestionario=a.questionnaire, version=a.version, estado=a.status,
                         respuestas=a.answers, consentimiento=a.consent)


@router.get("/questionnaires", summary=t("Available questionnaires"), response_description=OK)
def questionnaires() -> list[dict[str, Any]]:
    return [{"id": ref.id, "version": ref.version, "titulo": load_questionnaire(ref.id, ref.version).titulo}
            for ref in list_questionnaires()]


@router.get("/questionnaires/{questionnaire}", responses=_NO_QUESTIONNAIRE,
            summary=t("A whole questionnaire (dimensions, questions)"), response_description=OK)
def questionnaire(questionnaire: str) -> dict[str, Any]:
    return load_questionnaire(questionnaire).model_dump(mode="json")


@router.post("/assessments", response_model=AssessmentOut, status_code=201, responses=_ERRORS,
             summary=t("Start a self-diagnosis"), response_description=OK)
async def start(body: StartIn, request: Request) -> AssessmentOut:
    return _out(await group_writer(request.app.state).run(
        svc.start_many, svc.Start(ruc=body.ruc, questionnaire=body.cuestionario, consent=body.consentimiento)))


@router.get("/assessments/{assessment_id}", response_model=AssessmentOut, responses=_ERRORS,
            summary=t("Resume a self-diagnosis"), response_description=OK)
def fetch(assessment_id: str, session: SessionDep) -> AssessmentOut:
    return _out(svc.get(session, assessment_id))


@router.put("/assessments/{assessment_id}/answers", response_model=AssessmentOut, responses=_ERRORS,
            summary=t("Save answers (partial)"), response_description=OK)
async def save(assessment_id: str, body: SaveIn, request: Request) -> AssessmentOut:
    saved = await group_writer(request.app.state).run(svc.save_many, svc.Save(
        assessment_id, body.respuestas, respondent=body.respondente, consent=body.consentimiento))
    return _out(saved.assessment)


@router.post("/assessments/{assessment_id}/submit", responses=_ERRORS, summary=t("Submit and compute the result"),
             response_description=OK)
async def submit(assessment_id: str, request: Request) -> dict[str, Any]:
    done = await group_writer(request.app.state).run(svc.submit_many, svc.Submission(assessment_id))
    return done.result.as_dict()


class SubmissionIn(BaseModel):
    ruc: str = Field(description=t("The company's RUC (11 digits)."))
    cuestionario: str = Field(description=t("Questionnaire id, e.g. madurez_digital (its latest version)."))
    respuestas: dict[str, Any] = Field(description=t("Every answer, by question id."))
    consentimiento: bool = Field(description=t("Agrees to the statistical use of the answers."))
    respondente: str | None = Field(default=None, max_length=120)
    departamento: str | None = Field(default=None, description=(
        t("INEI department code (2 digits) declared by the company; empty: the registry's.")))
    tamano: str | None = Field(default=None, description=(
        t("micro, pequena, mediana or grande, declared by the company; empty: the registry's.")))
    seccion_ciiu: str | None = Field(default=None, description=(
        t("CIIU section (one letter) declared by the company; empty: the registry's.")))


class SubmittedOut(BaseModel):
    id: str = Field(description=t("Id of the self-diagnosis: the private link to its results."))
    puntaje: dict[str, Any]


@router.post("/submissions", response_model=SubmittedOut, status_code=201,
             responses=error_responses(404, 422, descriptions={404: t("No such questionnaire"),
                                                              422: t("Invalid RUC, company data or answers")}),
             summary=t("Submit a whole self-diagnosis in one request"), response_description=OK,
             description=t("For applications that collect the answers offline and send them at the end: creates "
                           "the self-diagnosis already submitted, with its score, without a draft."))
async def submit_complete(body: SubmissionIn, request: Request) -> SubmittedOut:
    new = svc.NewAssessment(ruc=body.ruc, questionnaire=body.cuestionario, answers=body.respuestas,
                            consent=body.consentimiento, respondent=body.respondente,
                            departamento=body.departamento, tamano=body.tamano, ciiu_section=body.seccion_ciiu)
    done = await group_writer(request.app.state).run(svc.submit_many, svc.Submission(new=new))
    return SubmittedOut(id=done.assessment_id, puntaje=done.result.as_dict())


@router.get("/assessments/{assessment_id}/result", responses=_ERRORS, summary=t("Result, change and comparison"),
            response_description=OK)
def result(assessment_id: str, session: SessionDep) -> dict[str, Any]:
    r = svc.result(session, assessment_id)
    return {"puntaje": r.score, "cambio": asdict(r.change) if r.change else None, "pares": asdict(r.peers)}
