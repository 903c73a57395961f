"""The compute page: the admin starts a compute, follows it with htmx polling, and reads the runs' lineage."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from pade.auth.roles import Actor, Permission
from pade.core.errors import Conflict, NotFound
from pade.core.i18n import t
from pade.indicators.engine import EngineName
from pade.indicators.jobs import ComputeJobs, JobState, recent_runs
from pade.web.deps import SessionDep
from pade.web.security import CsrfDep, requires

router = APIRouter(include_in_schema=False)

ComputeDep = Annotated[Actor, requires(Permission.RUN_COMPUTE)]
_JOBS_LOCK = threading.Lock()
POLL_S = 1


def compute_jobs(request: Request) -> ComputeJobs:
    """The app's one :class:`ComputeJobs`, made on first use (create_app stays unaware of it)."""
    with _JOBS_LOCK:
        jobs: ComputeJobs | None = getattr(request.app.state, "compute_jobs", None)
        if jobs is None:
            jobs = ComputeJobs(request.app.state.engine, request.app.state.settings)
            request.app.state.compute_jobs = jobs
        return jobs


def engines_for(request: Request) -> list[EngineName]:
    """Engines offered on the page: DuckDB, and PostgreSQL when the store is PostgreSQL (Spark: CLI only)."""
    if request.app.state.engine.url.get_backend_name() == "postgresql":
        return [EngineName.duckdb, EngineName.postgres]
    return [EngineName.duckdb]


def _templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


def _context(request: Request, session: SessionDep, actor: Actor, job: JobState | None, *,
             error: str | None = None) -> dict[str, Any]:
    return {"actor": actor, "job": job, "runs": recent_runs(session, actor), "engines": engines_for(request),
            "error": error, "poll_s": POLL_S}


@router.get("/admin/calculo", response_class=HTMLResponse)
def compute_page(request: Request, session: SessionDep, actor: ComputeDep) -> HTMLResponse:
    job = compute_jobs(request).current(actor)
    return _templates(request).TemplateResponse(request, "admin/compute.html", _context(request, session, actor, job))


@router.post("/admin/calculo", response_class=HTMLResponse)
def compute_start(request: Request, session: SessionDep, actor: ComputeDep, _csrf: CsrfDep,
                  engine: Annotated[str, Form()] = EngineName.duckdb.value,
                  force: Annotated[bool, Form()] = False) -> Response:
    """Start a compute; htmx gets the progress panel, a plain form post goes back to the page."""
    offered = {e.value: e for e in engines_for(request)}
    if engine not in offered:
        raise NotFound(t("Engine {value} is not offered here; choose one of: {known}", value=engine,
                         known=", ".join(offered)))
    jobs = compute_jobs(request)
    htmx = request.headers.get("HX-Request") == "true"
    try:
        job = jobs.start(actor, engine_name=offered[engine], force=force)
    except Conflict as e:
        context = _context(request, session, actor, jobs.current(actor), error=str(e))
        if htmx:  # htmx swaps only 2xx answers: the panel shows the refusal
            return _templates(request).TemplateResponse(request, "admin/_compute_progress.html", context)
        return _templates(request).TemplateResponse(request, "admin/compute.html", context,
                                                    status_code=e.http_status)
    if htmx:
        return _templates(request).TemplateResponse(request, "admin/_compute_progress.html",
                                                    _context(request, session, actor, job), status_code=202)
    return RedirectResponse("/admin/calculo", status_code=303)


@router.get("/admin/calculo/progreso", response_class=HTMLResponse)
def compute_progress(request: Request, session: SessionDep, actor: ComputeDep) -> HTMLResponse:
    """The progress panel (polled by htmx while a compute runs; with the runs table once it ends)."""
    job = compute_jobs(request).current(actor)
    return _templates(request).TemplateResponse(request, "admin/_compute_progress.html",
                                                _context(request, session, actor, job))
