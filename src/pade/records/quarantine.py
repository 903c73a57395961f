"""The quarantine: rejected rows with their raw values and reasons, to fix and re-import."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def export_quarantine(session: Session, path: Path, *, kind: str, entidad: str | None = None) -> int:
    """Write the open quarantine of ``kind`` as a UTF-8 CSV (with BOM, for Excel) ready to fix.

    Each row keeps its original columns, plus ``_cuarentena_id`` (so a re-import resolves it) and
    ``_motivos`` (the reasons, to read while fixing; ignored on import). Returns the row count.
    """
    entries = [e for e in list_quarantine(session, kind=kind, entidad=entidad) if "_linea" not in e.raw]
    columns: list[str] = []
    for e in entries:
        columns += [c for c in e.raw if c not in columns]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([QUARANTINE_ID, *columns, REASONS])
        for e in entries:
            reasons = " | ".join(i["message"] for i in e.issues)
            writer.writerow([e.id, *(_safe(e.raw.get(c)) for c in columns), reasons])
    return len(entries)


def _safe(value: Any) -> str:
    """Neutralise spreadsheet formulas on the way out (CSV injection), keeping the text readable."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in ("=", "+", "@") else text
