"""Record uploads through the JSON API: the same validation as a file, answered row by row."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field

from pade.core.errors import PadeError
from pade.core.i18n import t
from pade.core.settings import Settings
from pade.records.batch import raw_from_rows
from pade.records.importer import import_raw, record_kind
from pade.records.kinds import KINDS
from pade.records.schemas import table_schema
from pade.web.api_errors import OK, error_responses

router = APIRouter(prefix="/api/v1/records", tags=["registros"])


class Unauthorized(PadeError, PermissionError):
    http_status = 401


class Forbidden(PadeError, PermissionError):
    http_status = 403


def require_uploader(request: Request, authorization: Annotated[str | None, Header()] = None) -> str:
    """Bearer-token check until users and roles exist (web issue). Returns the actor name."""
    settings: Settings = request.app.state.settings
    if settings.api_token is None:
        raise Forbidden(t("Uploads through the API are disabled: set PADE_API_TOKEN, or use `pade import`."))
    expected = f"Bearer {settings.api_token.get_secret_value()}"
    if authorization is None or not hmac.compare_digest(authorization.encode(), expected.encode()):
        raise Unauthorized(t("Missing or wrong API token: send the header Authorization: Bearer <token>."))
    return "api"


Uploader = Annotated[str, Depends(require_uploader)]

Cell = str | int | float | bool | None


class RecordBatch(BaseModel):
    entidad: str = Field(description=t("Reporting entity (siglas), e.g. PRODUCE."))
    rows: list[dict[str, Cell]] = Field(min_length=1, max_length=50_000,
                                        description=t("Rows with the fields of the kind's Table Schema."))


class IssueOut(BaseModel):
    code: str
    severity: str
    column: str | None
    value: str | None
    message: str


class RowResult(BaseModel):
    row: int
    status: str = Field(description=t("Row status: cargada | revisada | sin_cambios | cuarentena"))
    issues: list[IssueOut]


class BatchResult(BaseModel):
    batch_id: int
    already_imported: bool
    summary: dict[str, Any]
    rows: list[RowResult]


_ERRORS = error_responses(401, 403, 404, 413, 422, descriptions={
    403: t("Uploads through the API are disabled"), 404: t("Unknown record kind, or no programme loaded"),
    422: t("Invalid batch or unknown entity")})


@router.get("/kinds", summary=t("Record kinds and their Table Schemas"), response_description=OK)
def list_kinds() -> list[dict[str, Any]]:
    return [table_schema(k) for k in KINDS]


@router.post("/{kind}", response_model=BatchResult, responses=_ERRORS, summary=t("Upload a batch of records"),
             description=t("Validates and lands a batch exactly as a file import would, and answers row by row."),
             response_description=OK)
def upload(kind: str, batch: RecordBatch, request: Request, actor: Uploader) -> BatchResult:
    report = import_raw(request.app.state.engine, record_kind(kind), raw_from_rows(batch.rows), file_name=None,
                        source="api", entidad=batch.entidad, actor=actor)
    by_row: dict[int, list[IssueOut]] = {}
    for issue in report.issues:
        by_row.setdefault(issue.row, []).append(IssueOut(code=issue.code, severity=issue.severity.value,
                                                         column=issue.column, value=issue.value,
                                                         message=issue.message))
    statuses = report.row_status or ["sin_cambios"] * len(batch.rows)
    return BatchResult(batch_id=report.batch_id, already_imported=report.already_imported,
                       summary=report.summary(),
                       rows=[RowResult(row=i, status=s, issues=by_row.get(i, []))
                             for i, s in enumerate(statuses, start=1)])
