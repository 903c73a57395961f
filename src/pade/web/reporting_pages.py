"""Back-office pages for reported values, their review, the reporting calendar and data quality.

Routes parse input and call :mod:`pade.reporting` services, which check the actor's permission
for the entity (decision 0014). State-changing forms carry the CSRF token.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from pade.auth.roles import Actor, Permission, Role, allowed, visible_entities
from pade.core.db import transaction
from pade.core.errors import Conflict, InvalidDefinition, NotFound
from pade.core.i18n import t
from pade.reporting import calendar, quality, service
from pade.reporting.evidence import CONTENT_TYPES, MAX_EVIDENCE_BYTES, read_evidence
from pade.reporting.service import Evidence, ValueSubmission
from pade.web.deps import FormDep, SessionDep, form_file, form_text
from pade.web.security import CsrfDep, requires

router = APIRouter(include_in_schema=False)

EntityDataDep = Annotated[Actor, requires(Permission.VIEW_ENTITY_DATA)]
ReporterDep = Annotated[Actor, requires(Permission.REPORT_VALUES)]
ReviewerDep = Annotated[Actor, requires(Permission.REVIEW)]
CalendarDep = Annotated[Actor, requires(Permission.MANAGE_CALENDAR)]


def _templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


def state_labels() -> dict[str, str]:
    return {"pendiente": t("pending review"), "aprobando": t("being approved"), "aprobado": t("approved"),
            "rechazado": t("rejected"), "con_dato": t("has data"), "atrasado": t("late"),
            "sin_dato": t("no data yet")}


def _entities(session: Session, actor: Actor) -> list[tuple[str, str]]:
    p = service.programme(session)
    names = {e.siglas: e.nombre for e in p.entidades}
    return [(code, names[code]) for code in visible_entities(actor, list(names))]


def _page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    return _templates(request).TemplateResponse(request, name, {"labels": state_labels(), **context},
                                                status_code=status_code)


# -- reported values -------------------------------------------------------------------------------

@router.get("/admin/valores", response_class=HTMLResponse)
def values_list(request: Request, session: SessionDep, actor: EntityDataDep,
                entidad: str | None = None) -> HTMLResponse:
    """The values the actor may see, one line per variable, entity and year (an officer: its own)."""
    chosen = entidad or None
    chains = service.list_chains(session, actor, entidad=chosen)
    p = service.programme(session)
    return _page(request, "admin/values_list.html", {
        "actor": actor, "chains": chains, "entidad": chosen, "entities": _entities(session, actor),
        "variables": {v.codigo: v for v in p.variables_reportadas},
        "can_report": bool(service.reportable_variables(p, actor))})


def _form(request: Request, session: Session, actor: Actor, values: dict[str, Any], *, error: str | None = None,
          status_code: int = 200) -> HTMLResponse:
    p = service.programme(session)
    options = service.reportable_variables(p, actor)
    if not options:
        raise InvalidDefinition(t("Your entity has no reported variables in the programme."))
    entities = sorted({e for _, ents in options for e in ents})
    return _page(request, "admin/values_form.html", {
        "actor": actor, "options": options, "entities": entities, "values": values, "error": error,
        "years": list(range(date.today().year, p.horizonte.anio_linea_base - 1, -1)),
        "max_mb": MAX_EVIDENCE_BYTES // (1024 * 1024)}, status_code=status_code)


@router.get("/admin/valores/nuevo", response_class=HTMLResponse)
def value_form(request: Request, session: SessionDep, actor: ReporterDep, variable: str = "",
               entidad: str = "", periodo: str = "") -> HTMLResponse:
    """The form; ``variable``, ``entidad`` and ``periodo`` preset it (a correction of an existing value)."""
    values = {"variable": variable, "entidad": entidad or actor.entity_code or "", "periodo": periodo,
              "valor": "", "justificacion": "", "evidence_url": ""}
    return _form(request, session, actor, values)


@router.post("/admin/valores", response_class=HTMLResponse)
async def value_submit(request: Request, session: SessionDep, actor: ReporterDep, _csrf: CsrfDep,
                       form: FormDep) -> Response:
    """Submit a value (a new revision when the value exists); errors re-show the form with what was typed."""
    variable, entidad, periodo, valor, justificacion, evidencia_url = (
        form_text(form, name) for name in ("variable", "entidad", "periodo", "valor", "justificacion",
                                           "evidencia_url"))
    values = {"variable": variable, "entidad": entidad, "periodo": periodo, "valor": valor,
              "justificacion": justificacion, "evidence_url": evidencia_url}
    try:
        evidence = await _read_upload(form_file(form, "evidencia"))
        try:
            year = int(periodo)
        except ValueError:
            raise InvalidDefinition(t("Choose the year the value refers to.")) from None
        with transaction(request.app.state.sessions) as tx:
            value = service.submit_value(tx, actor, ValueSubmission(
                variable=variable, entidad=entidad, periodo=year, valor=valor, justificacion=justificacion,
                evidence_url=evidencia_url, evidence=evidence), evidence_root=request.app.state.settings.data_dir)
    except (InvalidDefinition, NotFound, Conflict) as e:
        return _form(request, session, actor, values, error=str(e), status_code=e.http_status)
    return RedirectResponse(f"/admin/valores/{value.id}?enviado=1", status_code=303)


async def _read_upload(upload: UploadFile | None) -> Evidence | None:
    if upload is None:
        return None
    data = await upload.read(MAX_EVIDENCE_BYTES + 1)
    return Evidence(upload.filename or "", data)  # form_file() gives only uploads with a file name


@router.get("/admin/valores/{value_id}", response_class=HTMLResponse)
def value_detail(request: Request, session: SessionDep, actor: EntityDataDep, value_id: int) -> HTMLResponse:
    """One revision with the full history of its variable, entity and year."""
    value = service.get_value(session, actor, value_id)
    revisions = service.history(session, actor, value)
    variable = service.reported_variable(service.programme(session), value.variable)
    open_revision = any(r.estado in service.OPEN_STATES for r in revisions)
    correction = "/admin/valores/nuevo?" + urlencode(
        {"variable": value.variable, "entidad": value.entidad, "periodo": value.periodo})
    return _page(request, "admin/values_detail.html", {
        "actor": actor, "value": value, "revisions": revisions, "variable": variable,
        "in_force": next((r for r in revisions if r.estado == service.APROBADO), None),
        "can_correct": allowed(actor, Permission.REPORT_VALUES, value.entidad) and not open_revision,
        "can_review": allowed(actor, Permission.REVIEW) and value.estado in service.OPEN_STATES
        and value.submitted_by_user_id != actor.user_id,
        "correction_url": correction})


@router.get("/admin/valores/{value_id}/evidencia")
def value_evidence(request: Request, session: SessionDep, actor: EntityDataDep, value_id: int) -> Response:
    """The evidence file, as a download with the type PADE recognised (never rendered inline)."""
    value = service.get_value(session, actor, value_id)
    if not value.evidence_sha256 or not value.evidence_type:
        raise NotFound(t("reported value {id} has no evidence file (it gives an address instead).", id=value_id))
    data = read_evidence(request.app.state.settings.data_dir, value.evidence_sha256)
    name = value.evidence_file_name or f"evidencia.{value.evidence_type}"
    return Response(data, media_type=CONTENT_TYPES[value.evidence_type], headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}"})


# -- review ----------------------------------------------------------------------------------------

@router.get("/admin/revision", response_class=HTMLResponse)
def review_page(request: Request, session: SessionDep, actor: ReviewerDep) -> HTMLResponse:
    """The revisor's queue of values waiting for review, oldest first."""
    return _review(request, session, actor)


def _review(request: Request, session: Session, actor: Actor, *, error: str | None = None,
            error_id: int | None = None, status_code: int = 200) -> HTMLResponse:
    queue = service.review_queue(session, actor)
    p = service.programme(session)
    in_force = {v.id: service.in_force(session, v.variable, v.entidad, v.periodo) for v in queue}
    done = request.query_params.get("hecho", "")
    return _page(request, "admin/review.html", {
        "actor": actor, "queue": queue, "in_force": in_force,
        "variables": {v.codigo: v for v in p.variables_reportadas}, "done": done.partition(":")[0],
        "error": error, "error_id": error_id}, status_code=status_code)


def _reviewed(value_id: int, outcome: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/revision?{urlencode({'hecho': f'{outcome}:{value_id}'})}", status_code=303)


@router.post("/admin/revision/{value_id}/aprobar")
def review_approve(request: Request, actor: ReviewerDep, _csrf: CsrfDep, value_id: int,
                   comentario: Annotated[str, Form()] = "") -> Response:
    service.approve_value(request.app.state.engine, actor, value_id, comment=comentario)
    return _reviewed(value_id, "aprobado")


@router.post("/admin/revision/{value_id}/rechazar", response_class=HTMLResponse)
def review_reject(request: Request, session: SessionDep, actor: ReviewerDep, _csrf: CsrfDep, value_id: int,
                  comentario: Annotated[str, Form()] = "") -> Response:
    try:
        with transaction(request.app.state.sessions) as tx:
            service.reject_value(tx, actor, value_id, comment=comentario)
    except InvalidDefinition as e:
        return _review(request, session, actor, error=str(e), error_id=value_id, status_code=e.http_status)
    return _reviewed(value_id, "rechazado")


# -- calendar --------------------------------------------------------------------------------------

@router.get("/admin/calendario", response_class=HTMLResponse)
def calendar_page(request: Request, session: SessionDep, actor: CalendarDep) -> HTMLResponse:
    return _calendar(request, session, actor)


def _calendar(request: Request, session: Session, actor: Actor, *, error: str | None = None,
              status_code: int = 200) -> HTMLResponse:
    p = service.programme(session)
    targets = calendar.targets(p)
    return _page(request, "admin/calendar.html", {
        "actor": actor, "targets": targets, "labels_by_target": {(x.type, x.code): x.label for x in targets},
        "dues": calendar.list_due(session, actor), "error": error, "saved": request.query_params.get("guardado"),
        "deleted": request.query_params.get("borrado") == "1",
        "first_year": p.horizonte.anio_linea_base, "last_year": p.horizonte.anio_fin}, status_code=status_code)


@router.post("/admin/calendario", response_class=HTMLResponse)
def calendar_set(request: Request, session: SessionDep, actor: CalendarDep, _csrf: CsrfDep,
                 destino: Annotated[str, Form()], desde: Annotated[int, Form()], hasta: Annotated[int, Form()],
                 mes: Annotated[int, Form()], dia: Annotated[int, Form()],
                 anios_despues: Annotated[int, Form()] = 1) -> Response:
    """Set the due dates of years ``desde``..``hasta``: ``dia``/``mes`` of the year + ``anios_despues``."""
    target_type, _, target = destino.partition(":")
    try:
        with transaction(request.app.state.sessions) as tx:
            rows = calendar.set_rule(tx, actor, service.programme(tx), target_type=target_type, target=target,
                                     years=range(desde, hasta + 1), month=mes, day=dia, years_after=anios_despues)
    except (InvalidDefinition, NotFound) as e:
        return _calendar(request, session, actor, error=str(e), status_code=e.http_status)
    return RedirectResponse(f"/admin/calendario?guardado={len(rows)}", status_code=303)


@router.post("/admin/calendario/{due_id}", response_class=HTMLResponse)
def calendar_change(request: Request, session: SessionDep, actor: CalendarDep, _csrf: CsrfDep, due_id: int,
                    fecha: Annotated[date, Form()]) -> Response:
    """Move one due date."""
    try:
        with transaction(request.app.state.sessions) as tx:
            calendar.change_due(tx, actor, service.programme(tx), due_id=due_id, due_date=fecha)
    except InvalidDefinition as e:
        return _calendar(request, session, actor, error=str(e), status_code=e.http_status)
    return RedirectResponse("/admin/calendario?guardado=1", status_code=303)


@router.post("/admin/calendario/{due_id}/borrar")
def calendar_delete(request: Request, actor: CalendarDep, _csrf: CsrfDep, due_id: int) -> Response:
    """Delete one due date."""
    with transaction(request.app.state.sessions) as tx:
        calendar.delete_due(tx, actor, due_id=due_id)
    return RedirectResponse("/admin/calendario?borrado=1", status_code=303)


# -- data quality ----------------------------------------------------------------------------------

@router.get("/admin/calidad", response_class=HTMLResponse)
def quality_page(request: Request, session: SessionDep, actor: EntityDataDep, entidad: str = "") -> HTMLResponse:
    """One entity's data quality; an officer sees only its own entity, others choose."""
    entities = _entities(session, actor)
    chosen = entidad or (actor.entity_code if actor.role is Role.OFICIAL else None) or entities[0][0]
    report = quality.entity_quality(session, actor, chosen)
    return _page(request, "admin/quality.html", {
        "actor": actor, "q": report, "entities": entities, "chosen": chosen, "today": date.today()})
