"""The quarantine: rejected rows with their raw values and reasons, to fix and re-import."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import select
from sqlalchemy.orm import Session

from pade.records.importer import QUARANTINE_ID
from pade.records.tables import ImportBatch, QuarantineRow

REASONS = "_motivos"


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    id: int
    kind: str
    batch_id: int
    entidad: str | None
    row_number: int
    raw: dict[str, Any]
    issues: list[dict[str, Any]]
    status: str


def list_quarantine(session: Session, *, kind: str | None = None, entidad: str | None = None,
                    status: str | None = "abierta", limit: int | None = None) -> list[QuarantineEntry]:
    """Quarantined rows, oldest first, filtered by kind, reporting entity and status."""
    stmt = (select(QuarantineRow, ImportBatch.entidad).join(ImportBatch, ImportBatch.id == QuarantineRow.batch_id)
            .order_by(QuarantineRow.id))
    if kind is not None:
        stmt = stmt.where(QuarantineRow.kind == kind)
    if entidad is not None:
        stmt = stmt.where(ImportBatch.entidad == entidad)
    if status is not None:
        stmt = stmt.where(QuarantineRow.status == status)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [QuarantineEntry(q.id, q.kind, q.batch_id, ent, q.row_number, q.raw, q.issues, q.status)
            for q, ent in session.execute(stmt)]


def quarantine_sheet(session: Session, *, kind: str, entidad: str | None = None) -> tuple[list[str], list[list[Any]]]:
    """The open quarantine of ``kind`` as a header and rows, ready to fix and re-import.

    Each row keeps its original columns, plus ``_cuarentena_id`` (so a re-import resolves it) and
    ``_motivos`` (the reasons, to read while fixing; ignored on import). Malformed CSV lines are left out
    (they have no columns to fix). Values that look like spreadsheet formulas are neutralised.
    """
    entries = [e for e in list_quarantine(session, kind=kind, entidad=entidad) if "_linea" not in e.raw]
    columns: list[str] = []
    for e in entries:
        columns += [c for c in e.raw if c not in columns]
    rows = [[e.id, *(_safe(e.raw.get(c)) for c in columns), " | ".join(i["message"] for i in e.issues)]
            for e in entries]
    return [QUARANTINE_ID, *columns, REASONS], rows


def export_quarantine(session: Session, path: Path, *, kind: str, entidad: str | None = None) -> int:
    """Write the open quarantine of ``kind`` as a UTF-8 CSV (with BOM, for Excel) ready to fix.

    See :func:`quarantine_sheet` for the columns. Returns the row count.
    """
    header, rows = quarantine_sheet(session, kind=kind, entidad=entidad)
    path.write_bytes(sheet_csv(header, rows))
    return len(rows)


def sheet_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    """A header and rows as UTF-8 CSV bytes with a BOM (so Excel reads the accents)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def sheet_xlsx(header: list[str], rows: list[list[Any]], *, title: str = "cuarentena") -> bytes:
    """A header and rows as an XLSX workbook; every cell but the id is text, never a formula."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=2, min_col=2):
        for cell in cells:
            if cell.value is not None:
                cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _safe(value: Any) -> str:
    """Neutralise spreadsheet formulas on the way out (CSV injection), keeping the text readable."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "@") else text
