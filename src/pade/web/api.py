"""JSON API under /api/v1. Each route parses input, calls one service, returns a model."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from pade.core.errors import NotFound
from pade.core.i18n import t
from pade.programme.models import Indicador
from pade.programme.store import current_programme_version
from pade.web.api_errors import error_responses
from pade.web.deps import SessionDep

router = APIRouter(prefix="/api/v1", tags=["programa"])


class ProgrammePublic(BaseModel):
    version: str
    content_hash: str
    definition: dict[str, Any]


class Health(BaseModel):
    status: str


_NOT_LOADED = error_responses(404, descriptions={404: "Programa no cargado"})


@router.get("/health", response_model=Health, tags=["sistema"])
def health() -> Health:
    return Health(status="ok")


@router.get("/programme", response_model=ProgrammePublic, responses=_NOT_LOADED)
def get_programme(session: SessionDep) -> ProgrammePublic:
    """The programme definition in force, with its version and content hash."""
    stored = current_programme_version(session)
    if stored is None:
        raise NotFound(t("No programme is loaded. Run `pade programme load`."))
    return ProgrammePublic(version=stored.version, content_hash=stored.content_hash,
                           definition=stored.programme.model_dump(mode="json"))


@router.get("/programme/indicators", response_model=list[Indicador], responses=_NOT_LOADED)
def list_indicators(session: SessionDep) -> list[Indicador]:
    """Every indicator of the programme in force."""
    stored = current_programme_version(session)
    if stored is None:
        raise NotFound(t("No programme is loaded. Run `pade programme load`."))
    return list(stored.programme.indicadores())
