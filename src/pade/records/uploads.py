"""An entity's imports through the back-office: upload, quarantine, fix and re-upload.

The web pages call these use cases with the signed-in actor; each checks the actor's permission for
the entity itself (``require(actor, Permission.X, entidad)``), so an officer of one entity can
never upload for, or read the batches or quarantine of, another one, whatever the page shows.
"""

from __future__ import annotations

import logging
import re
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pade.auth.roles import Actor, Permission, require, visible_entities
from pade.core.errors import Conflict, NotFound, PadeError
from pade.core.i18n import t
from pade.programme.store import current_programme_version
from pade.records.importer import ImportRefused, ImportReport, import_file, record_kind
from pade.records.kinds import KINDS, RecordKind
from pade.records.quarantine import QuarantineEntry, list_quarantine, quarantine_sheet, sheet_csv, sheet_xlsx
from pade.records.readers import SUPPORTED_SUFFIXES
from pade.records.tables import REGISTRY_KINDS, ImportBatch, QuarantineRow, ReviewStatus

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # ~150,000 rows of a typical record CSV; larger loads go through `pade import`
CHUNK_BYTES = 1024 * 1024
_UNSAFE_NAME = re.compile(r"[^\w.\- ]+")


class UploadTooLarge(PadeError, ValueError):
    """The uploaded file is over the size limit."""

    http_status = 413


def upload_kinds() -> list[RecordKind]:
    """Record kinds an entity may upload from the web: every kind but the registry ones.

    Companies and markets are master data shared by every entity; the SGTD operator loads them with
    ``pade import`` (decision 0015).
    """
    return [k for k in KINDS if k.name not in REGISTRY_KINDS]


def entity_codes(session: Session, actor: Actor) -> list[str]:
    """The responsible entities (siglas) whose imports ``actor`` may see, in programme order."""
    stored = current_programme_version(session)
    if stored is None:
        raise NotFound(t("No programme is loaded. Run `pade programme load` before importing."))
    require(actor, Permission.VIEW_BACKOFFICE)
    return visible_entities(actor, [e.siglas for e in stored.programme.entidades])


def _kind_for_upload(name: str) -> RecordKind:
    kind = record_kind(name)
    if kind.name in REGISTRY_KINDS:
        raise ImportRefused(t("Records of kind {kind} are registry data loaded by the SGTD with `pade import`; "
                              "choose one of: {known}", kind=kind.name,
                              known=", ".join(k.name for k in upload_kinds())))
    return kind


def safe_file_name(name: str | None) -> str:
    """The uploaded file's base name, without path or odd characters (it is shown and stored)."""
    base = Path((name or "").replace("\\", "/")).name
    cleaned = _UNSAFE_NAME.sub("_", base).strip(" .")[:120]
    return cleaned or "archivo"


def save_upload(source: BinaryIO, folder: Path, *, file_name: str, max_bytes: int = MAX_UPLOAD_BYTES) -> Path:
    """Copy ``source`` into ``folder`` in chunks, refusing a file over ``max_bytes`` or of an unknown type.

    Raises:
        ImportRefused: the file type is not CSV or XLSX.
        UploadTooLarge: the file is over ``max_bytes`` (nothing is kept).
    """
    name = safe_file_name(file_name)
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise ImportRefused(t("{file}: unsupported file type; upload a CSV or XLSX file ({supported}).",
                              file=name, supported=", ".join(SUPPORTED_SUFFIXES)))
    target = folder / name
    written = 0
    with target.open("wb") as out:
        while chunk := source.read(CHUNK_BYTES):
            written += len(chunk)
            if written > max_bytes:
                out.close()
                target.unlink()
                raise UploadTooLarge(t("{file} is larger than {limit} MB. Split it into several files, or ask "
                                       "the SGTD to load it with `pade import`.", file=name,
                                       limit=max_bytes // (1024 * 1024)))
            out.write(chunk)
    if written == 0:
        target.unlink()
        raise ImportRefused(t("{file} is empty. Choose the file again.", file=name))
    return target


def upload_import(engine: Engine, actor: Actor, *, entidad: str, kind: str, source: BinaryIO, file_name: str | None,
                  max_bytes: int = MAX_UPLOAD_BYTES, today: date | None = None) -> ImportReport:
    """Import an uploaded file for ``entidad`` as a batch pending review; fixed quarantine rows resolve.

    Raises:
        Forbidden: ``actor`` may not import for ``entidad``.
        ImportRefused, UploadTooLarge, UnreadableFile: the file cannot be imported.
        Conflict: the same file was already imported by another entity.
    """
    require(actor, Permission.IMPORT_RECORDS, entidad)
    record = _kind_for_upload(kind)
    with tempfile.TemporaryDirectory(prefix="pade-upload-") as tmp:
        path = save_upload(source, Path(tmp), file_name=file_name or "", max_bytes=max_bytes)
        report = import_file(engine, record.name, path, entidad=entidad, actor=actor.audit_name, today=today,
                             review_status=ReviewStatus.pendiente)
    if report.already_imported:
        with Session(engine) as session:
            owner = session.scalar(select(ImportBatch.entidad).where(ImportBatch.id == report.batch_id))
        if owner != entidad:
            # The batch belongs to another entity: say so without showing anything of it.
            raise Conflict(t("This same file was already imported by another entity. Check that it is your "
                             "entity's file."))
    log.info("web upload batch=%s kind=%s entidad=%s already=%s", report.batch_id, record.name, entidad,
             report.already_imported)
    return report


@dataclass(frozen=True, slots=True)
class QuarantinePage:
    """The open quarantine of an entity: the first rows, the total, and the count per kind."""

    entries: list[QuarantineEntry]
    total: int
    by_kind: dict[str, int]


def entity_quarantine(session: Session, actor: Actor, *, entidad: str, kind: str | None = None,
                      limit: int = 200) -> QuarantinePage:
    """Open quarantine rows reported by ``entidad`` (oldest first).

    Raises:
        Forbidden: ``actor`` may not see ``entidad``'s data.
    """
    require(actor, Permission.VIEW_ENTITY_DATA, entidad)
    if kind is not None:
        record_kind(kind)
    counts = session.execute(
        select(QuarantineRow.kind, func.count()).join(ImportBatch, ImportBatch.id == QuarantineRow.batch_id)
        .where(ImportBatch.entidad == entidad, QuarantineRow.status == "abierta").group_by(QuarantineRow.kind))
    by_kind = {str(k): int(n) for k, n in counts}
    entries = list_quarantine(session, kind=kind, entidad=entidad, limit=limit)
    total = by_kind.get(kind, 0) if kind is not None else sum(by_kind.values())
    return QuarantinePage(entries, total, dict(sorted(by_kind.items())))


def quarantine_download(session: Session, actor: Actor, *, entidad: str, kind: str, fmt: str) -> tuple[str, bytes]:
    """The open quarantine of ``kind`` for ``entidad`` as a file to fix: ``(file name, bytes)``.

    Raises:
        Forbidden: ``actor`` may not see ``entidad``'s data.
        NotFound: unknown kind or format.
    """
    require(actor, Permission.VIEW_ENTITY_DATA, entidad)
    record_kind(kind)
    header, rows = quarantine_sheet(session, kind=kind, entidad=entidad)
    stem = f"cuarentena_{kind}_{safe_file_name(entidad)}"
    if fmt == "csv":
        return f"{stem}.csv", sheet_csv(header, rows)
    if fmt == "xlsx":
        return f"{stem}.xlsx", sheet_xlsx(header, rows)
    raise NotFound(t("Unknown download format {value}; use csv or xlsx.", value=fmt))


def batch_quarantine(session: Session, actor: Actor, batch: int, *, limit: int = 200
                     ) -> tuple[list[QuarantineRow], int]:
    """The quarantine rows of one batch (any status), first ``limit`` and the total.

    Raises:
        NotFound: no batch has that id.
        Forbidden: ``actor`` may not see the batch's entity.
    """
    found = session.get(ImportBatch, batch)
    if found is None:
        raise NotFound(t("Import batch {id} does not exist. Open the import history to find it.", id=batch))
    require(actor, Permission.VIEW_ENTITY_DATA, found.entidad)
    total = int(session.scalar(select(func.count()).where(QuarantineRow.batch_id == batch)) or 0)
    rows = list(session.scalars(select(QuarantineRow).where(QuarantineRow.batch_id == batch)
                                .order_by(QuarantineRow.row_number).limit(limit)))
    return rows, total
