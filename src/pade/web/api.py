"""JSON API under /api/v1. Each route parses input, calls one service, returns a model."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from pade.core.errors import NotFound
from pade.core.i18n import t
from pade.programme.models import Indicador
from pade.programme.store import current_programme_version
from pade.web.api_errors import OK, error_responses
from pade.web.deps import SessionDep

router = APIRouter(prefix="/api/v1", tags=["programa"])


class ProgrammePublic(BaseModel):
    version: str
    content_hash: str
    definition: dict[str, Any]


class Health(BaseModel):
    status: str


_NOT_LOADED = error_responses(404, descriptions={404: t("Programme not loaded")})


@router.get("/health", response_model=Health, tags=["sistema"], summary=t("Service status"),
            response_description=OK)
def health() -> Health:
    return Health(status="ok")


@router.get("/programme", response_model=ProgrammePublic, responses=_NOT_LOADED, summary=t("The programme in force"),
            description=t("The programme definition in force, with its version and content hash."),
            response_description=OK)
def get_programme(session: SessionDep) -> ProgrammePublic:
    stored = current_programme_version(session)
    if stored is None:
        raise NotFound(t("No programme is loaded. Run `pade programme load`."))
    return ProgrammePublic(version=stored.version, content_hash=stored.content_hash,
                           definition=stored.programme.model_dump(mode="json"))


@router.get("/programme/indicators", response_model=list[Indicador], responses=_NOT_LOADED,
            summary=t("Indicators of the programme"), description=t("Every indicator of the programme in force."),
            response_description=OK)
def list_indicators(session: SessionDep) -> list[Indicador]:
    stored = current_programme_version(session)
    if stored is None:
        raise NotFound(t("No programme is loaded. Run `pade programme load`."))
    return list(stored.programme.indicadores())
