"""The self-diagnosis JSON API: start, save as you go, submit, fetch results. Designed for a phone page.

No login: the assessment id is an unguessable token, and the link that carries it is how an owner
resumes. Results never show other companies: only a percentile among peers.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from pade.diagnostics import assessments as svc
from pade.diagnostics.loader import list_questionnaires, load_questionnaire
from pade.diagnostics.store import Assessment
from pade.web.api_errors import error_responses
from pade.web.deps import SessionDep, TxSessionDep
from pade.web.submissions import submission_queue

router = APIRouter(prefix="/api/v1/diagnostics", tags=["autodiagnóstico"])

_ERRORS = error_responses(404, 409, 422, descriptions={404: "Autodiagnóstico o cuestionario inexistente",
                                                      409: "El autodiagnóstico ya fue enviado",
                                                      422: "RUC o respuestas no válidas"})
_NO_QUESTIONNAIRE = error_responses(404, 422, descriptions={404: "Cuestionario inexistente"})


class StartIn(BaseModel):
    ruc: str = Field(description="RUC de la empresa (11 dígitos).")
    cuestionario: str = Field(description="Id del cuestionario, p. ej. madurez_digital.")
    consentimiento: bool = Field(default=False, description="Acepta el uso estadístico de sus respuestas.")


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


@router.get("/questionnaires", summary="Cuestionarios disponibles")
def questionnaires() -> list[dict[str, Any]]:
    return [{"id": ref.id, "version": ref.version, "titulo": load_questionnaire(ref.id, ref.version).titulo}
            for ref in list_questionnaires()]


@router.get("/questionnaires/{questionnaire}", responses=_NO_QUESTIONNAIRE,
            summary="Un cuestionario completo (dimensiones, preguntas)")
def questionnaire(questionnaire: str) -> dict[str, Any]:
    return load_questionnaire(questionnaire).model_dump(mode="json")


@router.post("/assessments", response_model=AssessmentOut, status_code=201, responses=_ERRORS,
             summary="Iniciar un autodiagnóstico")
def start(body: StartIn, session: TxSessionDep) -> AssessmentOut:
    return _out(svc.start(session, ruc=body.ruc, questionnaire=body.cuestionario, consent=body.consentimiento))


@router.get("/assessments/{assessment_id}", response_model=AssessmentOut, responses=_ERRORS,
            summary="Retomar un autodiagnóstico")
def fetch(assessment_id: str, session: SessionDep) -> AssessmentOut:
    return _out(svc.get(session, assessment_id))


@router.put("/assessments/{assessment_id}/answers", response_model=AssessmentOut, responses=_ERRORS,
            summary="Guardar respuestas (parciales)")
def save(assessment_id: str, body: SaveIn, session: TxSessionDep) -> AssessmentOut:
    return _out(svc.save(session, assessment_id, body.respuestas, respondent=body.respondente,
                         consent=body.consentimiento))


@router.post("/assessments/{assessment_id}/submit", responses=_ERRORS, summary="Enviar y calcular el resultado")
async def submit(assessment_id: str, request: Request) -> dict[str, Any]:
    done = await submission_queue(request.app.state).submit(svc.Submission(assessment_id))
    return done.result.as_dict()


class SubmissionIn(BaseModel):
    ruc: str = Field(description="RUC de la empresa (11 dígitos).")
    cuestionario: str = Field(description="Id del cuestionario, p. ej. madurez_digital (su última versión).")
    respuestas: dict[str, Any] = Field(description="Todas las respuestas, por id de pregunta.")
    consentimiento: bool = Field(description="Acepta el uso estadístico de sus respuestas.")
    respondente: str | None = Field(default=None, max_length=120)
    departamento: str | None = Field(default=None, description=(
        "Código INEI del departamento (2 dígitos) declarado por la empresa; vacío: el del padrón."))
    tamano: str | None = Field(default=None, description=(
        "micro, pequena, mediana o grande, declarado por la empresa; vacío: el del padrón."))
    seccion_ciiu: str | None = Field(default=None, description=(
        "Sección CIIU (una letra) declarada por la empresa; vacío: la del padrón."))


class SubmittedOut(BaseModel):
    id: str = Field(description="Id del autodiagnóstico: el enlace privado a sus resultados.")
    puntaje: dict[str, Any]


@router.post("/submissions", response_model=SubmittedOut, status_code=201,
             responses=error_responses(404, 422, descriptions={404: "Cuestionario inexistente",
                                                              422: "RUC, datos de la empresa o respuestas no válidas"}),
             summary="Enviar un autodiagnóstico completo en una sola solicitud")
async def submit_complete(body: SubmissionIn, request: Request) -> SubmittedOut:
    """Para aplicaciones que reúnen las respuestas sin conexión y las envían al final: crea el
    autodiagnóstico ya enviado, con su puntaje, sin pasar por un borrador."""
    new = svc.NewAssessment(ruc=body.ruc, questionnaire=body.cuestionario, answers=body.respuestas,
                            consent=body.consentimiento, respondent=body.respondente,
                            departamento=body.departamento, tamano=body.tamano, ciiu_section=body.seccion_ciiu)
    done = await submission_queue(request.app.state).submit(svc.Submission(new=new))
    return SubmittedOut(id=done.assessment_id, puntaje=done.result.as_dict())


@router.get("/assessments/{assessment_id}/result", responses=_ERRORS, summary="Resultado, cambio y comparación")
def result(assessment_id: str, session: SessionDep) -> dict[str, Any]:
    r = svc.result(session, assessment_id)
    return {"puntaje": r.score, "cambio": asdict(r.change) if r.change else None, "pares": asdict(r.peers)}
