"""How the JSON API answers errors, declared once so that every operation documents what it can return.

A :class:`~pade.core.errors.PadeError` becomes ``{"detail": "<Spanish message>"}`` with its HTTP
status (see ``create_app``). Input that does not match the declared types is answered by FastAPI with
422 and a list of the failing fields; a body that cannot even be decoded is answered the same way
(FastAPI's own answer is an undocumented 400 in English). Routes use :func:`error_responses` so the
OpenAPI lists each status with its model, which the schemathesis fuzzing test holds them to.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from pade.core.i18n import t


class ErrorOut(BaseModel):
    """An error of the API (the docs show the catalogue's description, not this docstring)."""

    model_config = ConfigDict(json_schema_extra={"description": t("An error of the API.")})

    detail: str = Field(description=t("What failed, where, and how to fix it (in Spanish)."))


class FieldIssue(BaseModel):
    """One field that does not match the declared type (FastAPI's validation error)."""

    model_config = ConfigDict(json_schema_extra={"description": t("A field that does not match its declared type.")})

    loc: list[str | int] = Field(description=t("Where: body, query or path, and the field."))
    msg: str
    type: str


class InvalidInputOut(BaseModel):
    """Invalid input: a Spanish message, or the list of the fields that do not match the schema."""

    model_config = ConfigDict(json_schema_extra={"description": t(
        "Invalid input: a message, or the list of the fields that do not match the schema.")})

    detail: str | list[FieldIssue]


# Descriptions of the statuses routes may document, and of a successful answer (``response_description``).
_DESCRIPTIONS = {
    401: t("The token is missing or wrong"),
    403: t("Not allowed"),
    404: t("Does not exist"),
    409: t("Conflicts with the state of the object"),
    413: t("The request body is too large"),
    422: t("Invalid input"),
}
OK = t("Successful answer")


def error_responses(*codes: int, descriptions: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route that may answer ``codes``, each with its model and a Spanish description.

    Example:
        >>> sorted(error_responses(404, 422, descriptions={404: t("No such questionnaire")}))
        [404, 422]
    """
    texts = {**_DESCRIPTIONS, **(descriptions or {})}
    return {code: {"model": InvalidInputOut if code == 422 else ErrorOut, "description": texts[code]}
            for code in codes}


_BODY_PARSE_ERROR = "There was an error parsing the body"


def _page_message(status: int) -> str:
    if status == 404:
        return t("This page does not exist. Check the address, or start again from the home page.")
    if status == 405:
        return t("This address does not accept that kind of request. Open it from a link or a form of PADE.")
    return t("The request could not be answered (error {status}).", status=status)


def install(app: FastAPI) -> None:
    """Answer an undecodable API body with a documented 422 in Spanish, and a page's HTTP error with the
    Spanish error page (a browser never sees Starlette's English JSON); API errors are left as they are."""

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            if exc.status_code == 400 and exc.detail == _BODY_PARSE_ERROR:
                return JSONResponse({"detail": t("The request body could not be read: send JSON encoded as UTF-8.")},
                                    status_code=422)
            return await http_exception_handler(request, exc)
        if request.url.path.startswith("/static/") or exc.status_code < 400:
            return await http_exception_handler(request, exc)
        page = request.app.state.templates.get_template("error.html")
        return HTMLResponse(page.render(request=request, message=_page_message(exc.status_code)),
                            status_code=exc.status_code, headers=getattr(exc, "headers", None))
