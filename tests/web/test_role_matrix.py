"""THE role matrix: every protected route, with no session and with a session of every role.

READ THIS BEFORE ADDING A BACK-OFFICE ROUTE. A route is *protected* when its path starts
with ``/admin`` or when it depends on ``ActorDep``, ``requires(...)`` or ``CsrfDep``
(pade.web.security). Every protected route MUST have a row in ``ALLOWED`` below, and
this test FAILS while one is missing (the failure message suggests a row from the
route's ``requires`` permission: check it against the issue before pasting it). A row
for a route that no longer exists fails too. If a new route has a path parameter,
add a sample value to ``PATH_SAMPLES``.

For each row the test expects exactly:
- no session: a page answers 303 to ``/entrar?siguiente=...``; an ``/api/`` route answers 401;
- a role in the row: neither 401 nor 403 (422 for the empty form, 404 for a sample id are fine);
- any other role: 403.
An officer (``oficial``) acts on entity ``OWN``; where the path has an entity parameter
(``ENTITY_PARAMS``) the officer is tried on its own entity (as the row says) and on
another entity's data (always 403). Requests carry a valid CSRF token so that the
role, not the token, decides.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from string import Formatter
from typing import Annotated

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from tests.web.auth_helpers import sign_in_as
from tests.web.stores import programme_store

from pade.auth.roles import MATRIX, Actor, Permission, Role
from pade.core.settings import Settings
from pade.web.app import create_app
from pade.web.security import CSRF_HEADER, ActorDep, CsrfDep, is_actor_dependency, permission_of, requires

A, O, R, C = Role.ADMIN, Role.OFICIAL, Role.REVISOR, Role.COMITE  # noqa: E741 (short names keep rows readable)
EVERYONE = frozenset(Role)
ADMIN_ONLY = frozenset({A})

# (method, path as declared) -> roles that may use it. Officers: on their own entity's data.
ALLOWED: dict[tuple[str, str], frozenset[Role]] = {
    ("POST", "/salir"): EVERYONE,
    ("GET", "/admin"): EVERYONE,
    ("GET", "/admin/usuarios"): ADMIN_ONLY,
    ("POST", "/admin/usuarios"): ADMIN_ONLY,
    ("POST", "/admin/usuarios/{user_id}/activo"): ADMIN_ONLY,
    ("POST", "/admin/usuarios/{user_id}/contrasena"): ADMIN_ONLY,
    # reported values, their review, the calendar and data quality (decision 0014)
    ("GET", "/admin/valores"): EVERYONE,
    ("GET", "/admin/valores/nuevo"): frozenset({A, O}),
    ("POST", "/admin/valores"): frozenset({A, O}),
    ("GET", "/admin/valores/{value_id}"): EVERYONE,
    ("GET", "/admin/valores/{value_id}/evidencia"): EVERYONE,
    ("GET", "/admin/revision"): frozenset({A, R}),
    ("POST", "/admin/revision/{value_id}/aprobar"): frozenset({A, R}),
    ("POST", "/admin/revision/{value_id}/rechazar"): frozenset({A, R}),
    ("GET", "/admin/calendario"): ADMIN_ONLY,
    ("POST", "/admin/calendario"): ADMIN_ONLY,
    ("POST", "/admin/calendario/{due_id}"): ADMIN_ONLY,
    ("POST", "/admin/calendario/{due_id}/borrar"): ADMIN_ONLY,
    ("GET", "/admin/calidad"): EVERYONE,
    # entity imports, their review, and compute from the page (decision 0015)
    ("GET", "/admin/importaciones"): EVERYONE,
    ("GET", "/admin/importaciones/revision"): frozenset({A, R}),
    ("GET", "/admin/importaciones/{entidad}"): EVERYONE,
    ("POST", "/admin/importaciones/{entidad}"): frozenset({A, O}),
    ("GET", "/admin/importaciones/{entidad}/lotes/{batch_id}"): EVERYONE,
    ("POST", "/admin/importaciones/{entidad}/lotes/{batch_id}/revision"): frozenset({A, R}),
    ("GET", "/admin/importaciones/{entidad}/cuarentena/{kind}.{fmt}"): EVERYONE,
    ("GET", "/admin/calculo"): ADMIN_ONLY,
    ("POST", "/admin/calculo"): ADMIN_ONLY,
    ("GET", "/admin/calculo/progreso"): ADMIN_ONLY,
}

OWN, OTHER = "PRODUCE", "MTC"  # the officer's entity, and another entity of the programme
ENTITY_PARAMS = frozenset({"entidad", "entity_code"})
# A sample value per path parameter name (entity parameters are filled with OWN or OTHER).
PATH_SAMPLES: dict[str, str] = {
    "user_id": "1",
    "value_id": "1",
    "batch_id": "1",
    "due_id": "1",
    "kind": "empresas",
    "fmt": "csv",
}


@dataclass(frozen=True)
class Protected:
    method: str
    path: str
    permission: str | None  # the requires(...) permission, for the suggestion message


def _guard(dependant: Dependant) -> tuple[bool, str | None]:
    found, permission = False, None
    for sub in dependant.dependencies:
        if is_actor_dependency(sub.call):
            found = True
            p = permission_of(sub.call)
            permission = permission or (p.value if p else None)
        sub_found, sub_perm = _guard(sub)
        found, permission = found or sub_found, permission or sub_perm
    return found, permission


def protected_routes(app: FastAPI) -> dict[tuple[str, str], Protected]:
    """Every protected (method, path) of ``app``."""
    out: dict[tuple[str, str], Protected] = {}
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if not isinstance(route, APIRoute):
            continue
        path = str(ctx.path)
        guarded, permission = _guard(route.dependant)
        if not (guarded or path.startswith("/admin")):
            continue
        for method in sorted(route.methods - {"HEAD", "OPTIONS"}):
            out[(method, path)] = Protected(method, path, permission)
    return out


def _params(path: str) -> list[str]:
    return [name for _, name, _, _ in Formatter().parse(path) if name]


def _url(path: str, entity: str) -> str:
    values: dict[str, str] = {}
    for name in _params(path):
        if name in ENTITY_PARAMS:
            values[name] = entity
        else:
            assert name in PATH_SAMPLES, f"{path}: add a sample value for {{{name}}} to PATH_SAMPLES"
            values[name] = PATH_SAMPLES[name]
    return path.format(**values)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    folder: Path = tmp_path_factory.mktemp("matrix")
    settings = Settings(database_url=f"sqlite:///{folder / 'pade.db'}", data_dir=folder / "data")
    programme_store(settings).dispose()
    return create_app(settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as c:
        yield c


def _call(client: TestClient, method: str, url: str, csrf: str | None) -> tuple[int, str]:
    headers = {CSRF_HEADER: csrf} if csrf else {}
    kwargs = {"data": {}} if method in ("POST", "PUT", "PATCH") else {}
    r = client.request(method, url, headers=headers, follow_redirects=False, **kwargs)  # type: ignore[arg-type]
    return r.status_code, r.headers.get("location", "")


def test_every_protected_route_is_in_the_table(app: FastAPI) -> None:
    routes = protected_routes(app)
    missing = sorted(set(routes) - set(ALLOWED))
    suggestions = []
    for key in missing:
        perm = routes[key].permission
        roles = sorted(r.value for r in Role if perm and any(p.value == perm for p in MATRIX[r]))
        suggestions.append(f"    {key!r}: frozenset({{{', '.join('Role.' + x.upper() for x in roles)}}}),"
                           f"  # requires {perm}")
    assert not missing, ("protected routes without a row in ALLOWED (tests/web/test_role_matrix.py); "
                         "check and add:\n" + "\n".join(suggestions))
    stale = sorted(set(ALLOWED) - set(routes))
    assert not stale, f"rows in ALLOWED for routes that are not protected or do not exist: {stale}"


@pytest.mark.parametrize(("method", "path"), sorted(ALLOWED))
def test_route_answers_exactly_as_the_table_says(client: TestClient, method: str, path: str) -> None:
    allowed = ALLOWED[(method, path)]
    has_entity = any(p in ENTITY_PARAMS for p in _params(path))
    url = _url(path, OWN)
    failures: list[str] = []

    status, location = _call(client, method, url, csrf=None)
    client.cookies.clear()
    if path.startswith("/api/"):
        if status != 401:
            failures.append(f"no session: expected 401, got {status}")
    elif status != 303 or not location.startswith("/entrar?siguiente="):
        failures.append(f"no session: expected 303 to /entrar, got {status} {location}")

    for role in Role:
        csrf = sign_in_as(client, role, entity_code=OWN if role is Role.OFICIAL else None)
        status, _ = _call(client, method, url, csrf)
        if role in allowed and status in (401, 403):
            failures.append(f"{role.value}: allowed, got {status}")
        if role not in allowed and status != 403:
            failures.append(f"{role.value}: expected 403, got {status}")
        if role is Role.OFICIAL and has_entity:
            status, _ = _call(client, method, _url(path, OTHER), csrf)
            if status != 403:
                failures.append(f"oficial of {OWN} on {OTHER}'s data: expected 403, got {status}")
        client.cookies.clear()
    assert not failures, f"{method} {path}:\n" + "\n".join(failures)


def test_detection_finds_routes_guarded_outside_admin(app: FastAPI) -> None:
    """The completeness check sees ActorDep, requires() and CsrfDep on any path, not only /admin."""
    probe = create_app(app.state.settings)

    @probe.get("/api/v1/_sonda/actor")
    def _a(actor: ActorDep) -> None: ...

    @probe.get("/_sonda/permiso")
    def _b(actor: Annotated[Actor, requires(Permission.REVIEW)]) -> None: ...

    @probe.post("/_sonda/csrf")
    def _c(_csrf: CsrfDep) -> None: ...

    found = protected_routes(probe)
    assert {("GET", "/api/v1/_sonda/actor"), ("GET", "/_sonda/permiso"), ("POST", "/_sonda/csrf")} <= set(found)
    assert found[("GET", "/_sonda/permiso")].permission == "review"
    assert ("GET", "/") not in found and ("GET", "/entrar") not in found
