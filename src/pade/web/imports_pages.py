"""Back-office import pages: an entity's uploads, validation reports, quarantine, and the import review.

Routes only parse input and call :mod:`pade.records.uploads` / :mod:`pade.records.review`, which check
the actor's permission for the entity (decision 0015).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from pade.auth.roles import Actor, Permission, Role, allowed, require
from pade.core.errors import Conflict, NotFound, PadeError
from pade.core.i18n import t
from pade.records import review, uploads
from pade.records.tables import ReviewStatus
from pade.web.deps import FormDep, SessionDep, TxSessionDep, form_file, form_text
from pade.web.security import CsrfDep, requires

router = APIRouter(include_in_schema=False)

BackofficeDep = Annotated[Actor, requires(Permission.VIEW_BACKOFFICE)]
EntityDataDep = Annotated[Actor, requires(Permission.VIEW_ENTITY_DATA)]
ImporterDep = Annotated[Actor, requires(Permission.IMPORT_RECORDS)]
ReviewerDep = Annotated[Actor, requires(Permission.REVIEW)]

QUARANTINE_SHOWN = 50


def _entity_reader(actor: EntityDataDep, entidad: str) -> Actor:
    """The actor, if they may read ``entidad``'s imports (checked before the body is parsed)."""
    return require(actor, Permission.VIEW_ENTITY_DATA, entidad)


def _entity_importer(actor: ImporterDep, entidad: str) -> Actor:
    """The actor, if they may upload for ``entidad`` (checked before the file is read)."""
    return require(actor, Permission.IMPORT_RECORDS, entidad)


EntityReaderDep = Annotated[Actor, Depends(_entity_reader)]
EntityImporterDep = Annotated[Actor, Depends(_entity_importer)]


def _templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


def entity_url(entidad: str) -> str:
    return f"/admin/importaciones/{quote(entidad, safe='')}"


def _entity_page(request: Request, session: SessionDep, actor: Actor, entidad: str, *, error: str | None = None,
                 status_code: int = 200) -> HTMLResponse:
    history = review.list_batches(session, actor, entidad=entidad)
    quarantine = uploads.entity_quarantine(session, actor, entidad=entidad, limit=QUARANTINE_SHOWN)
    context: dict[str, Any] = {
        "actor": actor, "entidad": entidad, "base": entity_url(entidad), "history": history,
        "quarantine": quarantine, "kinds": uploads.upload_kinds(), "error": error,
        "can_upload": allowed(actor, Permission.IMPORT_RECORDS, entidad),
        "max_mb": uploads.MAX_UPLOAD_BYTES // (1024 * 1024),
    }
    return _templates(request).TemplateResponse(request, "admin/imports_entity.html", context,
                                                status_code=status_code)


@router.get("/admin/importaciones", response_class=HTMLResponse)
def imports_home(request: Request, session: SessionDep, actor: EntityDataDep) -> Response:
    """An officer goes straight to their entity; other roles choose one, or open the review queue."""
    if actor.role is Role.OFICIAL and actor.entity_code:
        return RedirectResponse(entity_url(actor.entity_code), status_code=303)
    entities = uploads.entity_codes(session, actor)
    pending = (review.list_batches(session, actor, status=ReviewStatus.pendiente)
               if allowed(actor, Permission.VIEW_UNPUBLISHED) else [])
    counts: dict[str, int] = {}
    for b in pending:
        counts[b.entidad or "-"] = counts.get(b.entidad or "-", 0) + 1
    return _templates(request).TemplateResponse(
        request, "admin/imports_home.html",
        {"actor": actor, "entities": [(e, entity_url(e), counts.get(e, 0)) for e in entities],
         "pending": len(pending), "can_review": allowed(actor, Permission.REVIEW)})


@router.get("/admin/importaciones/revision", response_class=HTMLResponse)
def review_queue(request: Request, session: SessionDep, actor: ReviewerDep) -> HTMLResponse:
    """Batches waiting for the revisor, oldest first."""
    pending = list(reversed(review.list_batches(session, actor, status=ReviewStatus.pendiente, limit=500)))
    recent = [b for b in review.list_batches(session, actor, limit=50) if not b.pending][:20]
    return _templates(request).TemplateResponse(
        request, "admin/imports_review.html",
        {"actor": actor, "pending": pending, "recent": recent, "entity_url": entity_url})


@router.get("/admin/importaciones/{entidad}", response_class=HTMLResponse)
def entity_imports(request: Request, session: SessionDep, actor: EntityReaderDep, entidad: str) -> HTMLResponse:
    return _entity_page(request, session, actor, entidad)


@router.post("/admin/importaciones/{entidad}", response_class=HTMLResponse)
def entity_upload(request: Request, session: SessionDep, actor: EntityImporterDep, _csrf: CsrfDep, entidad: str,
                  form: FormDep) -> Response:
    """Upload a file; on success go to its validation report, else show the error on the entity page."""
    archivo = form_file(form, "archivo")
    if archivo is None:
        return _entity_page(request, session, actor, entidad, status_code=422,
                            error=t("Choose the file to upload (CSV or XLSX) and send the form again."))
    try:
        report = uploads.upload_import(request.app.state.engine, actor, entidad=entidad,
                                       kind=form_text(form, "kind"), source=archivo.file, file_name=archivo.filename)
    except PadeError as e:
        if e.http_status in (401, 403):
            raise
        return _entity_page(request, session, actor, entidad, error=str(e), status_code=e.http_status)
    suffix = "?repetido=1" if report.already_imported else ""
    return RedirectResponse(f"{entity_url(entidad)}/lotes/{report.batch_id}{suffix}", status_code=303)


@router.get("/admin/importaciones/{entidad}/lotes/{batch_id}", response_class=HTMLResponse)
def batch_page(request: Request, session: SessionDep, actor: EntityReaderDep, entidad: str,
               batch_id: int) -> HTMLResponse:
    """The validation report of one batch: counts, reasons by code and column, its quarantine, its review."""
    batch = review.get_batch(session, actor, batch_id)
    if batch.entidad != entidad:
        raise NotFound(t("Import batch {id} does not exist. Open the import history to find it.", id=batch_id))
    return _batch_page(request, session, actor, batch)


def _batch_page(request: Request, session: SessionDep, actor: Actor, batch: review.BatchView, *,
                error: str | None = None, status_code: int = 200) -> HTMLResponse:
    rows, total = uploads.batch_quarantine(session, actor, batch.id, limit=QUARANTINE_SHOWN)
    return _templates(request).TemplateResponse(
        request, "admin/imports_batch.html",
        {"actor": actor, "b": batch, "base": entity_url(batch.entidad or "-"), "rows": rows, "rows_total": total,
         "repeated": request.query_params.get("repetido") == "1",
         "reviewed": request.query_params.get("revisado") == "1",
         "can_review": allowed(actor, Permission.REVIEW) and batch.pending and batch.actor != actor.audit_name,
         "error": error}, status_code=status_code)


@router.post("/admin/importaciones/{entidad}/lotes/{batch_id}/revision", response_class=HTMLResponse)
def batch_review(request: Request, session: TxSessionDep, actor: ReviewerDep, _csrf: CsrfDep, entidad: str,
                 batch_id: int, decision: Annotated[str, Form()], comment: Annotated[str, Form()] = "") -> Response:
    """Approve or reject a pending batch, then show it (a refused review shows why, nothing changed)."""
    if decision not in ("aprobar", "rechazar"):
        raise NotFound(t("Unknown decision {value}; use aprobar or rechazar.", value=decision))
    try:
        review.review_batch(session, actor, batch_id, approve=decision == "aprobar", comment=comment)
    except (Conflict, review.ReviewRefused) as e:  # raised before any change: nothing to roll back
        return _batch_page(request, session, actor, review.get_batch(session, actor, batch_id), error=str(e),
                           status_code=e.http_status)
    return RedirectResponse(f"{entity_url(entidad)}/lotes/{batch_id}?revisado=1", status_code=303)


@router.get("/admin/importaciones/{entidad}/cuarentena/{kind}.{fmt}")
def quarantine_file(session: SessionDep, actor: EntityReaderDep, entidad: str, kind: str, fmt: str) -> Response:
    """The open quarantine of one kind as CSV or XLSX, with ``_cuarentena_id`` and ``_motivos``."""
    name, data = uploads.quarantine_download(session, actor, entidad=entidad, kind=kind, fmt=fmt)
    media = ("text/csv; charset=utf-8" if fmt == "csv"
             else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return Response(data, media_type=media, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "Cache-Control": "no-store"})
