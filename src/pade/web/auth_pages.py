"""Sign-in, sign-out, the back-office home and user management pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from pade.auth.roles import Actor, Permission, Role
from pade.auth.service import (
    PasswordCheck,
    TooManyAttempts,
    check_password,
    close_session,
    create_user,
    list_users,
    open_session,
    record_sign_in,
    set_active,
    set_password,
)
from pade.core.errors import Conflict, InvalidDefinition, NotFound, Unauthenticated
from pade.registry.service import entity_codes
from pade.web.backoffice_nav import entries_for
from pade.web.deps import SessionDep, TxSessionDep, WriteGate, write_gate
from pade.web.security import (
    ActorDep,
    CsrfDep,
    check_same_origin,
    clear_session_cookie,
    client_key,
    requires,
    session_id_from_cookie,
    set_session_cookie,
)

router = APIRouter(include_in_schema=False)

ManagerDep = Annotated[Actor, requires(Permission.MANAGE_USERS)]
BackofficeDep = Annotated[Actor, requires(Permission.VIEW_BACKOFFICE)]


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else ``/admin`` (no open redirect)."""
    if not target:
        return "/admin"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/admin"
    if any(c in target for c in "\r\n\\"):
        return "/admin"
    return target


def _templates(request: Request) -> Jinja2Templates:
    templates: Jinja2Templates = request.app.state.templates
    return templates


@router.get("/entrar", response_class=HTMLResponse)
def login_form(request: Request, siguiente: str | None = None) -> HTMLResponse:
    return _templates(request).TemplateResponse(request, "login.html", {"siguiente": safe_next(siguiente),
                                                                         "error": None, "username": ""})


@router.post("/entrar", response_class=HTMLResponse)
async def login(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()],
                siguiente: Annotated[str, Form()] = "/admin") -> Response:
    """Sign in. argon2 runs outside the write gate; only the short write of the outcome queues for it."""
    check_same_origin(request)
    target = safe_next(siguiente)
    factory: sessionmaker[Session] = request.app.state.sessions
    ttl = timedelta(hours=request.app.state.settings.session_hours)
    try:
        check = await run_in_threadpool(_check_password, factory, username, password, client_key(request))
        async with write_gate(request.app.state):
            session_id = await run_in_threadpool(_sign_in, factory, check, ttl)
    except (Unauthenticated, TooManyAttempts) as e:
        return _templates(request).TemplateResponse(
            request, "login.html", {"siguiente": target, "error": str(e), "username": username[:60]},
            status_code=e.http_status)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, session_id)
    return response


def _check_password(factory: sessionmaker[Session], username: str, password: str, key: str) -> PasswordCheck:
    with factory() as session:
        return check_password(session, username, password, key)


def _sign_in(factory: sessionmaker[Session], check: PasswordCheck, ttl: timedelta) -> str:
    """Record the attempt; on success open the session. Returns the session id."""
    with factory() as session:
        actor = record_sign_in(session, check)
        session_id, _csrf = open_session(session, actor, ttl=ttl)
        session.commit()
        return session_id


@router.post("/salir")
def logout(request: Request, session: TxSessionDep, actor: ActorDep, _csrf: CsrfDep) -> Response:
    session_id = session_id_from_cookie(request)
    if session_id is not None:
        close_session(session, session_id)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response, request)
    return response


@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request, actor: BackofficeDep) -> HTMLResponse:
    return _templates(request).TemplateResponse(request, "admin/home.html", {"actor": actor,
                                                                              "entries": entries_for(actor)})


def _users_page(request: Request, session: SessionDep, actor: Actor, *, error: str | None = None,
                notice: str | None = None, status_code: int = 200) -> HTMLResponse:
    users = list_users(session, actor=actor)
    entities = entity_codes(session)
    return _templates(request).TemplateResponse(
        request, "admin/users.html",
        {"actor": actor, "users": users, "roles": list(Role), "entities": entities, "error": error,
         "notice": notice},
        status_code=status_code)


@router.get("/admin/usuarios", response_class=HTMLResponse)
def users_page(request: Request, session: SessionDep, actor: ManagerDep) -> HTMLResponse:
    return _users_page(request, session, actor)


@router.post("/admin/usuarios", response_class=HTMLResponse)
def users_create(request: Request, session: SessionDep, _gate: WriteGate, actor: ManagerDep, _csrf: CsrfDep,
                 username: Annotated[str, Form()], display_name: Annotated[str, Form()],
                 role: Annotated[str, Form()], password: Annotated[str, Form()],
                 entity_code: Annotated[str, Form()] = "") -> Response:
    try:
        create_user(session, username=username, display_name=display_name, role=role,
                    entity_code=entity_code or None, password=password, actor=actor)
        session.commit()
    except (InvalidDefinition, Conflict) as e:
        session.rollback()
        return _users_page(request, session, actor, error=str(e), status_code=e.http_status)
    return RedirectResponse("/admin/usuarios?creado=1", status_code=303)


@router.post("/admin/usuarios/{user_id}/activo", response_class=HTMLResponse)
def users_set_active(request: Request, session: SessionDep, _gate: WriteGate, actor: ManagerDep, _csrf: CsrfDep,
                     user_id: int,
                     active: Annotated[bool, Form()]) -> Response:
    try:
        set_active(session, user_id=user_id, active=active, actor=actor)
        session.commit()
    except (Conflict, NotFound) as e:
        session.rollback()
        return _users_page(request, session, actor, error=str(e), status_code=e.http_status)
    return RedirectResponse("/admin/usuarios", status_code=303)


@router.post("/admin/usuarios/{user_id}/contrasena", response_class=HTMLResponse)
def users_set_password(request: Request, session: SessionDep, _gate: WriteGate, actor: ManagerDep,
                       _csrf: CsrfDep, user_id: int,
                       password: Annotated[str, Form()]) -> Response:
    try:
        set_password(session, user_id=user_id, password=password, actor=actor)
        session.commit()
    except (InvalidDefinition, NotFound) as e:
        session.rollback()
        return _users_page(request, session, actor, error=str(e), status_code=e.http_status)
    return RedirectResponse("/admin/usuarios?clave=1", status_code=303)
