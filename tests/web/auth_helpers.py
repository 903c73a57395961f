"""Signing in from HTTP tests without the cost of argon2 for every request.

``sign_in_as(client, role, entity_code=...)`` creates the account through the service
(once per username), opens a server-side session and puts the signed cookie in
``client`` — exactly what ``POST /entrar`` does after checking the password. Use it
from any back-office test:

    from tests.web.auth_helpers import sign_in_as
    csrf = sign_in_as(client, Role.OFICIAL, entity_code="PRODUCE")
    client.post("/admin/...", data={"csrf_token": csrf, ...})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pade.auth.models import AppUser
from pade.auth.roles import Actor, Role
from pade.auth.service import create_user, open_session
from pade.web.security import COOKIE_NAME

TEST_PASSWORD = "frase de prueba suficientemente larga"
Login = Callable[[str], str]  # login(username) -> the CSRF token of the new session


def ensure_user(factory: sessionmaker[Session], role: Role, *, entity_code: str | None = None,
                username: str | None = None) -> Actor:
    """The actor of a test account for ``role`` (created on first use)."""
    name = username or (f"{role.value}-{entity_code.lower()}" if entity_code else f"{role.value}-prueba")
    with factory() as s:
        user = s.scalar(select(AppUser).where(AppUser.username == name))
        if user is None:
            user = create_user(s, username=name, display_name=f"Cuenta {name}", role=role,
                               entity_code=entity_code, password=TEST_PASSWORD, actor=None)
            s.commit()
        return Actor(user_id=user.id, username=user.username, role=Role(user.role), entity_code=user.entity_code)


def sign_in_as(client: TestClient, role: Role, *, entity_code: str | None = None,
               username: str | None = None) -> str:
    """Sign ``client`` in as a ``role`` account; return the session's CSRF token."""
    app: FastAPI = client.app  # type: ignore[assignment]
    factory: sessionmaker[Session] = app.state.sessions
    actor = ensure_user(factory, role, entity_code=entity_code, username=username)
    with factory() as s:
        session_id, csrf = open_session(s, actor)
        s.commit()
    client.cookies.set(COOKIE_NAME, app.state.session_serializer.dumps(session_id))
    return csrf


def signer(client: TestClient, accounts: Mapping[str, tuple[Role, str | None]]) -> Login:
    """``login(username)`` for tests that name their accounts (``accounts``: username -> role, entity).

    ``login`` signs ``client`` in with :func:`sign_in_as` and returns the CSRF token.
    """

    def login(username: str) -> str:
        role, entity_code = accounts[username]
        return sign_in_as(client, role, entity_code=entity_code, username=username)

    return login


def sign_out(client: TestClient) -> None:
    """Forget the session cookie (the server-side session stays until it expires)."""
    client.cookies.clear()
