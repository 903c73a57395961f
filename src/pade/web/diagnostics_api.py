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
from pade.web.deps import SessionDep, TxSessionDep, WriteGate

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
def submit(assessment_id: str, request: Request, _gate: WriteGate) -> dict[str, Any]:
    return svc.submit(request.app.state.engine, assessment_id).as_dict()


@router.get("/assessments/{assessment_id}/result", responses=_ERRORS, summary="Resultado, cambio y comparación")
def result(assessment_id: str, session: SessionDep) -> dict[str, Any]:
    r = svc.result(session, assessment_id)
    return {"puntaje": r.score, "cambio": asdict(r.change) if r.change else None, "pares": asdict(r.peers)}
