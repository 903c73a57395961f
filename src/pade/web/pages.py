"""Server-rendered public pages (Spanish, mobile-first)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from pade.core.errors import NotFound
from pade.core.i18n import t
from pade.indicators.service import IndicatorSummary, summarise_run
from pade.indicators.store import IndicatorRun
from pade.programme.store import current_programme_version
from pade.web.deps import SessionDep

router = APIRouter(include_in_schema=False)


def _summaries(session: SessionDep) -> tuple[IndicatorRun | None, dict[str, IndicatorSummary]]:
    try:
        run, summaries = summarise_run(session)
    except NotFound:
        return None, {}
    return run, {s.indicator.codigo: s for s in summaries}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep) -> HTMLResponse:
    stored = current_programme_version(session)
    if stored is None:
        raise NotFound(t("No programme is loaded. Run `pade programme load`."))
    run, summaries = _summaries(session)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, "programme.html", {"p": stored.programme, "stored": stored,
                                                                  "run": run, "summaries": summaries})


@router.get("/indicadores", response_class=HTMLResponse)
def indicators(request: Request, session: SessionDep) -> HTMLResponse:
    stored = current_programme_version(session)
    if stored is None:
        raise NotFound(t("No programme is loaded. Run `pade programme load`."))
    run, summaries = _summaries(session)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, "indicators.html", {"p": stored.programme, "stored": stored,
                                                                   "run": run, "summaries": summaries})
