"""Who is asking, and may they: session cookies, actor dependencies, CSRF, security headers.

Routes declare what they need with named dependencies (see decision 0011)::

    @router.get("/admin/revision")
    def review(actor: Annotated[Actor, requires(Permission.REVIEW)]) -> ...

    @router.post("/admin/revision/{value_id}")
    def approve(actor: ActorDep, _csrf: CsrfDep, ...) -> ...

- :data:`CurrentActorDep`: the signed-in actor or None (public pages that adapt).
- :data:`ActorDep`: the signed-in actor, else :class:`Unauthenticated` (401; the app
  turns it into a redirect to ``/entrar`` for pages).
- :func:`requires`: the actor if their role holds a permission (entity scope is the
  service's job: ``require(actor, permission, entity_code)``), else 403.
- :data:`CsrfDep`: the form field ``csrf_token`` or the header ``X-CSRF-Token`` must
  match the session's token. Templates render it with ``{{ csrf_input(request) }}``;
  ``static/pade-csrf.js`` adds the header to every htmx request.

The cookie ``pade_sesion`` holds a random session id signed with itsdangerous; the
server keeps the session (``pade.auth.service``).
"""

from __future__ import annotations

import hmac
import logging
import os
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup, escape
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pade.auth.roles import Actor, Permission, require
from pade.auth.service import actor_for_session
from pade.core.errors import Forbidden, Unauthenticated
from pade.core.i18n import t
from pade.core.settings import Settings

log = logging.getLogger(__name__)

COOKIE_NAME = "pade_sesion"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_PATH = "/entrar"
_SALT = "pade-sesion"
_STATE_KEY = "pade_auth"
_UNRESOLVED = object()

# Scripts only from our own origin (no inline script); inline style attributes stay allowed because
# server-rendered SVG charts carry them.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")
# FastAPI's interactive API docs load Swagger UI with an inline script: no CSP there (it holds no user data).
_NO_CSP_PATHS = ("/api/v1/docs",)


def signing_key(settings: Settings) -> str:
    """``settings.secret_key``, or a key generated once and kept in ``<data_dir>/secret_key`` (mode 0600)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = Path(settings.data_dir) / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    log.info("generated session signing key in data_dir")
    return key


class SecurityHeaders:
    """Pure ASGI middleware adding CSP, nosniff, referrer policy and frame denial to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_csp = not str(scope.get("path", "")).startswith(_NO_CSP_PATHS)

        async def _send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
                         (b"x-frame-options", b"DENY")]
                if with_csp:
                    extra.append((b"content-security-policy", CSP.encode()))
                headers.extend((k, v) for k, v in extra if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, _send)


def install(app: FastAPI, settings: Settings) -> None:
    """Wire the session serializer, the security headers and the template helpers into ``app``."""
    app.state.session_serializer = URLSafeTimedSerializer(signing_key(settings), salt=_SALT)
    app.add_middleware(SecurityHeaders)
    env = app.state.templates.env
    env.globals["current_actor"] = current_actor
    env.globals["csrf_token"] = csrf_token
    env.globals["csrf_input"] = csrf_input


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def session_id_from_cookie(request: Request) -> str | None:
    """The session id in the signed cookie, or None (absent, tampered or older than a session lives)."""
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return None
    serializer: URLSafeTimedSerializer = request.app.state.session_serializer
    try:
        value = serializer.loads(raw, max_age=_settings(request).session_hours * 3600)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def resolve(request: Request) -> tuple[Actor, str] | None:
    """The signed-in actor and CSRF token of ``request`` (looked up once per request, only with a cookie)."""
    cached: object = getattr(request.state, _STATE_KEY, _UNRESOLVED)
    if cached is None or isinstance(cached, tuple):
        return cached
    result: tuple[Actor, str] | None = None
    session_id = session_id_from_cookie(request)
    if session_id is not None:
        factory: sessionmaker[Session] = request.app.state.sessions
        with factory() as session:
            result = actor_for_session(session, session_id)
    setattr(request.state, _STATE_KEY, result)
    return result


def current_actor(request: Request) -> Actor | None:
    """The signed-in actor or None (also a template global)."""
    found = resolve(request)
    return found[0] if found else None


def csrf_token(request: Request) -> str:
    """The session's CSRF token, or an empty string without a session (template global)."""
    found = resolve(request)
    return found[1] if found else ""


def csrf_input(request: Request) -> Markup:
    """The hidden form field carrying the CSRF token (template global: ``{{ csrf_input(request) }}``)."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(csrf_token(request)))


def set_session_cookie(response: Response, request: Request, session_id: str) -> None:
    """Put the signed session id in the ``pade_sesion`` cookie."""
    serializer: URLSafeTimedSerializer = request.app.state.session_serializer
    settings = _settings(request)
    response.set_cookie(COOKIE_NAME, serializer.dumps(session_id), max_age=settings.session_hours * 3600,
                        path="/", httponly=True, samesite="lax", secure=settings.cookie_secure)


def clear_session_cookie(response: Response, request: Request) -> None:
    """Remove the session cookie from the browser."""
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax",
                           secure=_settings(request).cookie_secure)


def check_same_origin(request: Request) -> None:
    """Refuse a form posted from another site (login CSRF): browsers send ``Origin`` on every POST.

    Requests without ``Origin`` (command-line clients) pass; there is no session to ride on.
    """
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.url.netloc:
        raise Forbidden(t("The form expired or did not come from this site (security token missing or wrong). "
                          "Reload the page and try again."))


def client_key(request: Request) -> str:
    """What identifies the client for login rate limiting: its address (hashed before it is stored)."""
    return request.client.host if request.client else "desconocido"


def _current_actor_dep(request: Request) -> Actor | None:
    return current_actor(request)


CurrentActorDep = Annotated[Actor | None, Depends(_current_actor_dep)]


def _actor_dep(actor: CurrentActorDep) -> Actor:
    if actor is None:
        raise Unauthenticated(t("Sign in to continue: this page needs a back-office account."))
    return actor


ActorDep = Annotated[Actor, Depends(_actor_dep)]


def requires(permission: Permission) -> Any:
    """A dependency: the signed-in actor if their role holds ``permission`` (401 or 403 otherwise).

    Entity scope is not checked here (an officer holds entity permissions for their own
    entity); services check it with ``require(actor, permission, entity_code)``.
    """

    def _requires(actor: ActorDep) -> Actor:
        return require(actor, permission, actor.entity_code)

    _requires.pade_permission = permission  # type: ignore[attr-defined]  # read by the role-matrix test
    return Depends(_requires)


def permission_of(dependency: Any) -> Permission | None:
    """The permission a :func:`requires` dependency callable checks, or None for any other callable."""
    value = getattr(dependency, "pade_permission", None)
    return value if isinstance(value, Permission) else None


def is_actor_dependency(dependency: Any) -> bool:
    """Whether a dependency callable demands a signed-in actor (ActorDep, requires, CsrfDep)."""
    return dependency in (_actor_dep, _check_csrf) or permission_of(dependency) is not None


async def _check_csrf(request: Request, actor: ActorDep) -> None:
    expected = csrf_token(request)
    given = request.headers.get(CSRF_HEADER)
    if not given and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not expected or not given or not hmac.compare_digest(given.encode(), expected.encode()):
        log.info("csrf check failed user_id=%s path=%s", actor.user_id, request.url.path)
        raise Forbidden(t("The form expired or did not come from this site (security token missing or wrong). "
                          "Reload the page and try again."))


CsrfDep = Annotated[None, Depends(_check_csrf)]
"""A parameter on every state-changing back-office route: ``_csrf: CsrfDep``."""

csrf_protect = Depends(_check_csrf)
"""The same check for a route's ``dependencies=[csrf_protect]``."""
