"""The public portal (no login): programme overview, indicator list, indicator pages and their CSV.

Spanish, server-rendered, mobile-first. Every number shown is a published number: the routes read
:mod:`pade.reports.portal`, which applies the open data disclosure control (decisions 0009, 0012).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from pade.core.settings import Settings
from pade.reports import portal, portal_data
from pade.reports.disclosure import assert_no_personal_data
from pade.reports.model_figure import model_figure
from pade.reports.opendata import indicator_csv, indicator_slug
from pade.web.deps import SessionDep

router = APIRouter(include_in_schema=False)


def _published(request: Request, session: SessionDep) -> portal.Published | None:
    state = request.app.state
    if not hasattr(state, "published_cache"):
        state.published_cache = portal.PublishedCache()
    settings: Settings = state.settings
    return portal.published(session, k=settings.disclosure_k, cache=state.published_cache)


PublishedDep = Annotated[portal.Published | None, Depends(_published)]


def _render(request: Request, name: str, context: dict[str, object]) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, pub: PublishedDep) -> HTMLResponse:
    p = portal.portal_programme(session, pub)
    summaries = pub.summaries if pub else {}
    return _render(request, "programme.html", {
        "p": p, "pub": pub, "summaries": summaries, "counts": portal.light_counts(p, summaries),
        "fig": model_figure(p)})


@router.get("/indicadores", response_class=HTMLResponse)
def indicators(request: Request, session: SessionDep, pub: PublishedDep,
               objetivo: Annotated[str | None, Query()] = None, eje: Annotated[str | None, Query()] = None,
               catalizador: Annotated[str | None, Query()] = None, entidad: Annotated[str | None, Query()] = None,
               semaforo: Annotated[str | None, Query()] = None) -> HTMLResponse:
    p = portal.portal_programme(session, pub)
    filters = portal.parse_filters(p, {"objetivo": objetivo, "eje": eje, "catalizador": catalizador,
                                       "entidad": entidad, "semaforo": semaforo})
    rows = portal.filter_rows(portal.indicator_rows(p, pub.summaries if pub else {}), filters)
    # htmx swaps only the results; a history restore (HX-History-Restore-Request) needs the whole page.
    partial = request.headers.get("HX-Request") == "true" and "HX-History-Restore-Request" not in request.headers
    response = _render(request, "_indicator_cards.html" if partial else "indicators.html", {
        "p": p, "pub": pub, "rows": rows, "filters": filters, "options": portal.filter_options(p)})
    response.headers["Vary"] = "HX-Request"
    return response


@router.get("/indicadores/{codigo}.csv")
def indicator_data(session: SessionDep, pub: PublishedDep, codigo: str) -> Response:
    if pub is None:
        portal.find_indicator(portal.portal_programme(session, pub), codigo)
        raise portal.no_run()
    ind = portal.find_indicator(pub.programme, codigo)
    text = indicator_csv(pub.protected.values, ind)
    assert_no_personal_data({f"{ind.codigo}.csv": text})
    return Response(text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{indicator_slug(ind.codigo)}.csv"'})


@router.get("/indicadores/{codigo}", response_class=HTMLResponse)
def indicator(request: Request, session: SessionDep, pub: PublishedDep, codigo: str,
              anio: Annotated[str | None, Query()] = None) -> HTMLResponse:
    if pub is None:
        portal.find_indicator(portal.portal_programme(session, pub), codigo)
        raise portal.no_run()
    page = portal.indicator_page(pub, codigo, year=anio, cache=request.app.state.published_cache)
    return _render(request, "indicator.html", {"p": pub.programme, "pub": pub, "page": page})


@router.get("/datos", response_class=HTMLResponse)
def open_data(request: Request, session: SessionDep, pub: PublishedDep) -> HTMLResponse:
    package = _package(request, pub) if pub else None
    return _render(request, "datos.html", {"p": portal.portal_programme(session, pub), "pub": pub,
                                           "package": package})


@router.get("/datos/{ruta:path}")
def open_data_file(request: Request, pub: PublishedDep, ruta: str) -> Response:
    if pub is None:
        raise portal.no_run()
    text, media_type = portal_data.package_file(_package(request, pub), ruta)
    return Response(text, media_type=media_type)


def _package(request: Request, pub: portal.Published) -> portal_data.OpenPackage:
    state = request.app.state
    if not hasattr(state, "open_package_cache"):
        state.open_package_cache = portal_data.OpenPackageCache()
    cache: portal_data.OpenPackageCache = state.open_package_cache
    return cache.get(pub)
