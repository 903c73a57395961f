"""The ASGI application factory. Nothing is built at import time."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from pade import __version__
from pade.core.db import make_engine, session_factory
from pade.core.errors import PadeError, Unauthenticated
from pade.core.i18n import t
from pade.core.settings import Settings
from pade.indicators.progress import status_label
from pade.web import (
    api,
    api_errors,
    auth_pages,
    body_limit,
    compute_pages,
    diagnostics_api,
    imports_pages,
    pages,
    portal_cache,
    records_api,
    reporting_pages,
    security,
    selfdiag,
)

_HERE = Path(__file__).parent


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (tests pass their own)."""
    settings = settings or Settings()
    app = FastAPI(
        title="PADE API",
        version=__version__,
        description=t("JSON API of PADE, the information system of the Programa Articulador de Economía Digital."),
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served below from vendored Swagger UI files: no CDN at run time
        redoc_url=None,
    )
    engine = make_engine(settings)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    templates = Jinja2Templates(directory=str(_HERE / "templates"))
    templates.env.globals["_"] = t
    templates.env.globals["status_label"] = status_label
    app.state.templates = templates
    body_limit.install(app)  # before security.install: a refusal still gets the security headers
    security.install(app, settings)
    api_errors.install(app)
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")
    app.include_router(api.router)

    @app.get("/api/v1/docs", include_in_schema=False)
    def _api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/v1/openapi.json",
            title="PADE API",
            swagger_js_url="/static/vendor/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    app.include_router(records_api.router)
    app.include_router(diagnostics_api.router)
    app.include_router(pages.router)
    app.include_router(selfdiag.router)
    app.include_router(auth_pages.router)
    app.include_router(reporting_pages.router)
    app.include_router(imports_pages.router)
    app.include_router(compute_pages.router)
    portal_cache.install(app)  # after security.install: outermost, so stored pages keep its headers

    @app.exception_handler(PadeError)
    async def _pade_error(request: Request, exc: PadeError) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=exc.http_status)
        if isinstance(exc, Unauthenticated):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            if request.headers.get("HX-Request"):  # htmx would swap the sign-in page into a fragment
                page = urlsplit(request.headers.get("HX-Current-URL", ""))
                back = page.path + (f"?{page.query}" if page.query else "") if page.path else target
                return Response(status_code=401, headers={
                    "HX-Redirect": f"{security.LOGIN_PATH}?{urlencode({'siguiente': back})}"})
            return RedirectResponse(f"{security.LOGIN_PATH}?{urlencode({'siguiente': target})}", status_code=303)
        return HTMLResponse(
            templates.get_template("error.html").render(request=request, message=str(exc)),
            status_code=exc.http_status,
        )

    return app
