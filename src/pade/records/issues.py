"""Import issues are data: a stable code, the row, the column, the value and a Spanish message.

The codes are listed once, here, with their severity and message template, and
documented in ``docs/import-errors.md`` (a test keeps the two in step). An
*error* sends the row to quarantine; a *warning* keeps the row and flags it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pade.core.i18n import t


class Severity(StrEnum):
    error = "error"
    warning = "advertencia"


@dataclass(frozen=True, slots=True)
class IssueType:
    code: str
    severity: Severity
    message: Callable[..., str]  # builds the Spanish message from row, column, value and extras


def _catalogue() -> dict[str, IssueType]:
    e, w = Severity.error, Severity.warning
    entries = [
        IssueType("requerido", e, lambda **k: t(
            "row {row}, column {column}: a value is required. Fill in the cell and import the row again.", **k)),
        IssueType("columna_faltante", e, lambda **k: t(
            "row {row}: the file has no column {column}, which is required. Add the column (see the Table Schema "
            "of this kind) and import the file again.", **k)),
        IssueType("ruc_longitud", e, lambda **k: t(
            "row {row}, column {column}: the RUC {value} does not have 11 digits. Check the number on the "
            "company's SUNAT RUC record.", **k)),
        IssueType("ruc_formato", e, lambda **k: t(
            "row {row}, column {column}: the RUC {value} contains characters other than digits. Write only the "
            "11 digits.", **k)),
        IssueType("ruc_tipo", e, lambda **k: t(
            "row {row}, column {column}: the RUC {value} must start with 10, 15, 17 or 20. Check the number.", **k)),
        IssueType("ruc_digito", e, lambda **k: t(
            "row {row}, column {column}: the RUC {value} has a wrong check digit. Check the number on the "
            "company's SUNAT RUC record.", **k)),
        IssueType("ubigeo_desconocido", e, lambda **k: t(
            "row {row}, column {column}: the ubigeo {value} is not an INEI code. Use the 6-digit district code "
            "(e.g. 150101 for Lima).", **k)),
        IssueType("ciiu_desconocido", e, lambda **k: t(
            "row {row}, column {column}: {value} is not a CIIU rev. 4 division. Use the 2-digit division "
            "(e.g. 47 for retail trade).", **k)),
        IssueType("fecha_invalida", e, lambda **k: t(
            "row {row}, column {column}: {value} is not a valid date. Write it as dd/mm/yyyy or yyyy-mm-dd and "
            "check that the day exists.", **k)),
        IssueType("fecha_futura", e, lambda **k: t(
            "row {row}, column {column}: the date {value} is in the future. Check the year.", **k)),
        IssueType("numero_invalido", e, lambda **k: t(
            "row {row}, column {column}: {value} is not a number. Write digits only, with a decimal point or "
            "comma (e.g. 1500,50).", **k)),
        IssueType("anio_invalido", e, lambda **k: t(
            "row {row}, column {column}: {value} is not a valid year. Write the year with 4 digits "
            "(e.g. 2024).", **k)),
        IssueType("valor_no_permitido", e, lambda **k: t(
            "row {row}, column {column}: {value} is not allowed. Use one of: {allowed}.", **k)),
        IssueType("texto_demasiado_largo", e, lambda **k: t(
            "row {row}, column {column}: the text is longer than {limit} characters. Shorten it.", **k)),
        IssueType("valor_negativo", e, lambda **k: t(
            "row {row}, column {column}: {value} is below the minimum {limit}. Check the value.", **k)),
        IssueType("duplicado_en_archivo", e, lambda **k: t(
            "row {row}: it repeats row {first} of the same file ({column}). Delete one of the two rows.", **k)),
        IssueType("programa_desconocido", e, lambda **k: t(
            "row {row}, column {column}: the programme {value} is not registered. Register it first "
            "(pade import programa) or correct the code.", **k)),
        IssueType("curso_desconocido", e, lambda **k: t(
            "row {row}, column {column}: the course {value} is not registered for that programme. Register it "
            "first (pade import programa) or correct the code.", **k)),
        IssueType("mercado_desconocido", e, lambda **k: t(
            "row {row}, column {column}: the market {value} is not registered. Import it first "
            "(pade import mercado) or correct the identifier.", **k)),
        IssueType("entidad_desconocida", e, lambda **k: t(
            "row {row}, column {column}: {value} is not a responsible entity of the programme. Use one of: "
            "{allowed}.", **k)),
        IssueType("variable_desconocida", e, lambda **k: t(
            "row {row}, column {column}: {value} is not a reported variable of the programme. Use one of: "
            "{allowed}.", **k)),
        IssueType("fila_malformada", e, lambda **k: t(
            "line {row}: the row has more or fewer fields than the header. Check for a separator or quote "
            "inside a value.", **k)),
        IssueType("culminacion_sin_inscripcion", w, lambda **k: t(
            "row {row}: there is no enrolment of this company in this programme or course. The completion is "
            "kept; load the enrolment too.", **k)),
        IssueType("formula_en_celda", w, lambda **k: t(
            "row {row}, column {column}: the value starts like a spreadsheet formula; it is stored as plain text "
            "and never evaluated.", **k)),
        IssueType("columna_desconocida", w, lambda **k: t(
            "column {column} is not part of this kind; it is ignored (kept only in quarantined rows).", **k)),
    ]
    return {it.code: it for it in entries}


ISSUE_TYPES: dict[str, IssueType] = _catalogue()


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in one cell or row (``row`` is the line/row number in the original file)."""

    code: str
    row: int
    column: str | None
    value: str | None
    message: str

    @property
    def severity(self) -> Severity:
        return ISSUE_TYPES[self.code].severity

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity.value, "row": self.row, "column": self.column,
                "value": self.value, "message": self.message}


def make_issue(code: str, *, row: int, column: str | None = None, value: str | None = None,
               **extra: Any) -> Issue:
    """Build an issue with its Spanish message."""
    kind = ISSUE_TYPES[code]
    shown = "(vacío)" if value is None else value
    return Issue(code, row, column, value, kind.message(row=row, column=column or "-", value=shown, **extra))


def group_issues(issues: list[Issue], *, sample_rows: int = 5) -> list[dict[str, Any]]:
    """Issues grouped by code and column, most frequent first: what the validation report shows.

    Each group has the code, severity, column, how many rows, the first rows, and the message of the
    first occurrence (which says what is wrong and how to fix it).
    """
    groups: dict[tuple[str, str | None], dict[str, Any]] = {}
    for issue in issues:
        group = groups.get((issue.code, issue.column))
        if group is None:
            group = groups[(issue.code, issue.column)] = {
                "code": issue.code, "severity": issue.severity.value, "column": issue.column, "count": 0,
                "rows": [], "example": issue.message}
        group["count"] += 1
        if len(group["rows"]) < sample_rows:
            group["rows"].append(issue.row)
    order = {Severity.error.value: 0, Severity.warning.value: 1}
    return sorted(groups.values(), key=lambda g: (order[g["severity"]], -g["count"], g["code"], g["column"] or ""))
