"""Import a file (or an API batch) of one record kind: atomic, idempotent, nothing lost.

The whole import runs in one database transaction: valid rows land, invalid
rows go to quarantine with their raw values and every reason, the batch and
its counts are recorded, and one audit entry is written. If the process dies
half-way, the transaction never commits and nothing of it remains.

The same file imported twice adds nothing (``(kind, file_hash)`` is unique).
A row whose natural key already exists with the same content is counted as
unchanged; with different content it lands as a new revision of that row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, Table, func, insert, select, text, update
from sqlalchemy.orm import Session

from pade.core import audit
from pade.core.errors import NotFound, PadeError
from pade.core.i18n import t
from pade.programme.store import current_programme_version
from pade.records.issues import Issue, Severity, make_issue
from pade.records.kinds import KINDS_BY_NAME, RecordKind, Subject
from pade.records.readers import RawTable, read_table
from pade.records.tables import RECORD_TABLES, ImportBatch, QuarantineRow
from pade.records.validate import (
    Validated,
    ValidationContext,
    enrolment_warnings,
    key_strings,
    row_strings,
    validate,
)
from pade.registry import service as registry
from pade.registry.models import Market

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total)
QUARANTINE_ID = "_cuarentena_id"
CHUNK_ROWS = 50_000


class UnknownKind(NotFound):
    """No record kind has that name."""


class ImportRefused(PadeError, ValueError):
    http_status = 422


def record_kind(name: str) -> RecordKind:
    """The kind called ``name``, or a Spanish error listing the kinds."""
    try:
        return KINDS_BY_NAME[name]
    except KeyError:
        raise UnknownKind(t("unknown record kind {value}; known: {known}", value=name,
                            known=", ".join(KINDS_BY_NAME))) from None


@dataclass
class ImportReport:
    kind: str
    batch_id: int
    file_name: str | None
    file_hash: str
    already_imported: bool
    rows_total: int = 0
    rows_loaded: int = 0
    rows_revised: int = 0
    rows_unchanged: int = 0
    rows_quarantined: int = 0
    quarantine_resolved: int = 0
    companies_created: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    row_status: list[str] = field(default_factory=list)  # per data row: cargada|revisada|sin_cambios|cuarentena

    def summary(self) -> dict[str, Any]:
        """Counts only: safe for the audit log and logs (no values, no personal data)."""
        return {"kind": self.kind, "batch_id": self.batch_id, "file_hash": self.file_hash,
                "already_imported": self.already_imported, "rows_total": self.rows_total,
                "rows_loaded": self.rows_loaded, "rows_revised": self.rows_revised,
                "rows_unchanged": self.rows_unchanged, "rows_quarantined": self.rows_quarantined,
                "quarantine_resolved": self.quarantine_resolved, "companies_created": self.companies_created,
                "counts": dict(sorted(self.counts.items()))}

    def as_dict(self) -> dict[str, Any]:
        return {**self.summary(), "file_name": self.file_name, "issues": [i.as_dict() for i in self.issues]}


def import_file(engine: Engine, kind_name: str, path: Path, *, entidad: str, actor: str,
                sheet: str | None = None, today: date | None = None, progress: Progress | None = None
                ) -> ImportReport:
    """Read ``path`` (CSV or XLSX) and import it as ``kind_name`` records reported by ``entidad``."""
    kind = record_kind(kind_name)
    raw = read_table(path, sheet=sheet, expected_columns=kind.field_names)
    return import_raw(engine, kind, raw, file_name=path.name, source="archivo", entidad=entidad, actor=actor,
                      today=today, progress=progress)


def import_raw(engine: Engine, kind: RecordKind, raw: RawTable, *, file_name: str | None, source: str,
               entidad: str, actor: str, today: date | None = None, progress: Progress | None = None
               ) -> ImportReport:
    """Validate and land ``raw`` in one transaction. See the module docstring for the guarantees."""
    report_progress = progress or (lambda stage, done, total: None)
    with Session(engine) as session, session.begin():
        previous = session.scalar(select(ImportBatch).where(ImportBatch.kind == kind.name,
                                                            ImportBatch.file_hash == raw.file_hash))
        if previous is not None:
            return _previous_report(previous)
        ctx = _context(session, kind, entidad, today or date.today())
        report_progress("validar", 0, raw.data.num_rows)
        checked = validate(raw, kind, ctx)
        if kind.name == "culminacion":
            _flag_missing_enrolments(checked, ctx)
        report_progress("validar", raw.data.num_rows, raw.data.num_rows)
        started = datetime.now(UTC)
        batch = ImportBatch(kind=kind.name, source=source, file_name=file_name, file_hash=raw.file_hash,
                            entidad=entidad, actor=actor, started_at=started, finished_at=started, rows_total=0,
                            rows_loaded=0, rows_quarantined=0, rows_unchanged=0, report={})
        session.add(batch)
        session.flush()
        report = ImportReport(kind.name, batch.id, file_name, raw.file_hash, already_imported=False,
                              rows_total=raw.data.num_rows + len(raw.bad_lines))
        status = np.full(raw.data.num_rows, "cuarentena", dtype=object)
        _land(session, kind, checked, batch.id, entidad, started, report, status, report_progress)
        _quarantine(session, kind, checked, raw, batch.id, report)
        report.quarantine_resolved = _resolve_quarantine(session, raw, status, batch.id)
        report.issues = [i for idx in sorted(checked.issues) for i in checked.issues[idx]] + checked.file_issues
        report.counts = dict(checked.counts())
        report.row_status = [str(s) for s in status]
        batch.finished_at = datetime.now(UTC)
        batch.rows_total = report.rows_total
        batch.rows_loaded = report.rows_loaded + report.rows_revised
        batch.rows_quarantined = report.rows_quarantined
        batch.rows_unchanged = report.rows_unchanged
        batch.report = {**report.summary(), "meta": _meta(raw)}
        audit.record(session, actor=actor, action="records.import", object_type="import_batch",
                     object_id=str(batch.id), payload=report.summary(), details=report.summary())
        log.info("import kind=%s batch=%s rows=%s loaded=%s quarantined=%s", kind.name, batch.id,
                 report.rows_total, report.rows_loaded, report.rows_quarantined)
        return report


# -- context -----------------------------------------------------------------------------

def _context(session: Session, kind: RecordKind, entidad: str, today: date) -> ValidationContext:
    stored = current_programme_version(session)
    if stored is None:
        raise NotFound(t("No programme is loaded. Run `pade programme load` before importing."))
    entities = frozenset(e.siglas for e in stored.programme.entidades)
    if entidad not in entities:
        raise ImportRefused(t("unknown entity {value}; known: {known}", value=entidad,
                              known=", ".join(sorted(entities))))
    prog = RECORD_TABLES["programa"]
    rows = session.execute(select(prog.c.programa, prog.c.curso).distinct()).all()
    enrolments: frozenset[tuple[str, str, str]] = frozenset()
    if kind.name == "culminacion":
        ins = RECORD_TABLES["inscripcion"]
        enrolments = frozenset(
            (r, p, c or "") for r, p, c in session.execute(select(ins.c.ruc, ins.c.programa, ins.c.curso).distinct()))
    return ValidationContext(
        today=today,
        programmes=frozenset(p for p, _ in rows),
        courses=frozenset((p, c) for p, c in rows if c),
        markets=frozenset(session.scalars(select(Market.mercado_id))),
        entities=entities,
        reported_variables=frozenset(v.codigo for v in stored.programme.variables_reportadas),
        enrolments=enrolments,
    )


def _flag_missing_enrolments(checked: Validated, ctx: ValidationContext) -> None:
    missing = enrolment_warnings(checked.values, checked.valid, ctx)
    rows = checked.raw.row_numbers
    for i in np.flatnonzero(missing):
        checked.issues.setdefault(int(i), []).append(make_issue("culminacion_sin_inscripcion", row=int(rows[i])))


# -- landing valid rows ------------------------------------------------------------------------

def _hashes(keys: pa.Array, rows: pa.Array) -> tuple[list[str], list[str]]:
    con = duckdb.connect()
    try:
        con.register("t", pa.table({"k": keys, "r": rows}))
        out = con.execute("select md5(k), md5(r) from t").fetchnumpy()
    finally:
        con.close()
    values = list(out.values())
    return [str(v) for v in values[0]], [str(v) for v in values[1]]


def _land(session: Session, kind: RecordKind, checked: Validated, batch_id: int, entidad: str, now: datetime,
          report: ImportReport, status: np.ndarray, progress: Progress) -> None:
    valid_idx = np.flatnonzero(checked.valid)
    table = checked.valid_table()
    if kind.name in ("empresa", "mercado"):
        rows = table.to_pylist()
        for r, i in zip(rows, valid_idx, strict=True):
            r["row_number"] = int(checked.raw.row_numbers[i])
        if kind.name == "empresa":
            added, unchanged = registry.add_company_versions(session, rows, batch_id=batch_id)
        else:
            added, unchanged = registry.add_markets(session, rows, batch_id=batch_id)
        report.rows_loaded, report.rows_unchanged = added, unchanged
        status[valid_idx] = "cargada"
        return
    if kind.subject is Subject.empresa and table.num_rows:
        dates = table.column(kind.date_field).to_pylist() if kind.date_field else [now.date()] * table.num_rows
        report.companies_created = registry.ensure_companies(
            session, zip(table.column("ruc").to_pylist(), dates, strict=True), batch_id=batch_id)
    sql_table = RECORD_TABLES[kind.name]
    keys, row_hashes = _hashes(key_strings(kind, {n: table.column(n) for n in kind.field_names}),
                               row_strings(kind, {n: table.column(n) for n in kind.field_names}))
    current = _current_revisions(session, sql_table, keys)
    revision_of: list[int | None] = []
    keep = np.zeros(len(keys), dtype=bool)
    seen: dict[str, str] = {}
    for j, (k, h) in enumerate(zip(keys, row_hashes, strict=True)):
        prev = current.get(k)
        if prev is not None and prev[1] == h:
            status[valid_idx[j]] = "sin_cambios"
            report.rows_unchanged += 1
            continue
        if k in seen:  # cannot happen: duplicates within the file are rejected by validation
            continue
        seen[k] = h
        keep[j] = True
        revision_of.append(prev[0] if prev is not None else None)
        status[valid_idx[j]] = "revisada" if prev is not None else "cargada"
    report.rows_revised = sum(1 for r in revision_of if r is not None)
    report.rows_loaded = len(revision_of) - report.rows_revised
    if not keep.any():
        return
    mask = pa.array(keep)
    data = table.filter(mask)
    n = data.num_rows
    row_numbers = checked.raw.row_numbers[valid_idx][keep].tolist()
    kept_keys = [k for k, flag in zip(keys, keep, strict=True) if flag]
    kept_hashes = [h for h, flag in zip(row_hashes, keep, strict=True) if flag]
    # The driver path bypasses SQLAlchemy's type processing: SQLite gets the text format SQLAlchemy writes.
    sqlite = session.get_bind().dialect.name == "sqlite"
    stamp: Any = now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now
    columns = ["batch_id", "row_number", "entidad_reporta", "revision_of", "key_hash", "row_hash", "created_at",
               *kind.field_names]
    values = [[batch_id] * n, row_numbers, [entidad] * n, revision_of, kept_keys, kept_hashes, [stamp] * n,
              *(data.column(name).to_pylist() for name in kind.field_names)]
    tuples = list(zip(*values, strict=True))
    _bulk_insert(session.connection(), sql_table, columns, tuples, progress)


def _current_revisions(session: Session, table: Table, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
    """Latest (id, row_hash) per key hash among ``keys`` already stored."""
    if not keys or not session.scalar(select(func.count()).select_from(table).limit(1)):
        return {}
    conn = session.connection()
    conn.execute(text("CREATE TEMPORARY TABLE IF NOT EXISTS pade_tmp_keys (key_hash VARCHAR(32))"))
    conn.execute(text("DELETE FROM pade_tmp_keys"))
    conn.execute(text("INSERT INTO pade_tmp_keys (key_hash) VALUES (:k)"), [{"k": k} for k in set(keys)])
    rows = conn.execute(text(
        f"SELECT t.key_hash, t.id, t.row_hash FROM {table.name} t "
        f"JOIN (SELECT key_hash, MAX(id) AS id FROM {table.name} WHERE key_hash IN "
        "(SELECT key_hash FROM pade_tmp_keys) GROUP BY key_hash) m ON t.id = m.id"))
    return {k: (i, h) for k, i, h in rows}


def _bulk_insert(conn: Connection, table: Table, columns: list[str], rows: list[tuple[Any, ...]],
                 progress: Progress) -> None:
    """Insert many rows through the driver: COPY on PostgreSQL, executemany on SQLite."""
    total = len(rows)
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                for start in range(0, total, CHUNK_ROWS):
                    for row in rows[start:start + CHUNK_ROWS]:
                        copy.write_row(row)
                    progress("guardar", min(start + CHUNK_ROWS, total), total)
        else:
            sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
            for start in range(0, total, CHUNK_ROWS):
                cursor.executemany(sql, rows[start:start + CHUNK_ROWS])
                progress("guardar", min(start + CHUNK_ROWS, total), total)
    finally:
        cursor.close()


# -- quarantine ----------------------------------------------------------------------------

def _quarantine(session: Session, kind: RecordKind, checked: Validated, raw: RawTable, batch_id: int,
                report: ImportReport) -> None:
    rejected = [i for i in sorted(checked.issues) if not checked.valid[i]]
    originals = dict(zip(raw.columns, raw.original_columns, strict=True))
    entries: list[dict[str, Any]] = []
    if rejected:
        subset = raw.data.take(pa.array(rejected, pa.int64())).to_pylist()
        for i, raw_row in zip(rejected, subset, strict=True):
            entries.append({
                "batch_id": batch_id, "kind": kind.name, "row_number": int(raw.row_numbers[i]),
                "raw": {originals[c]: v for c, v in raw_row.items()},
                "issues": [x.as_dict() for x in checked.issues[i] if x.severity is Severity.error],
                "status": "abierta"})
    for line, text_line in raw.bad_lines:
        issue = make_issue("fila_malformada", row=line)
        entries.append({"batch_id": batch_id, "kind": kind.name, "row_number": line,
                        "raw": {"_linea": text_line}, "issues": [issue.as_dict()], "status": "abierta"})
        checked.file_issues.append(issue)
    if entries:
        session.execute(insert(QuarantineRow), entries)
    report.rows_quarantined = len(entries)


def _resolve_quarantine(session: Session, raw: RawTable, status: np.ndarray, batch_id: int) -> int:
    """Rows re-imported from a quarantine export carry their id: resolve those that landed."""
    if QUARANTINE_ID not in raw.columns:
        return 0
    ids = pc.cast(raw.data.column(QUARANTINE_ID), pa.int64(), safe=False).to_pylist()
    landed = [int(q) for q, s in zip(ids, status, strict=True) if q is not None and s != "cuarentena"]
    if not landed:
        return 0
    result = session.execute(
        update(QuarantineRow).where(QuarantineRow.id.in_(landed), QuarantineRow.status == "abierta")
        .values(status="resuelta", resolved_batch_id=batch_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _previous_report(batch: ImportBatch) -> ImportReport:
    summary = batch.report
    return ImportReport(
        batch.kind, batch.id, batch.file_name, batch.file_hash, already_imported=True,
        rows_total=batch.rows_total, rows_loaded=int(summary.get("rows_loaded", 0)),
        rows_revised=int(summary.get("rows_revised", 0)), rows_unchanged=batch.rows_unchanged,
        rows_quarantined=batch.rows_quarantined, counts=dict(summary.get("counts", {})))


def _meta(raw: RawTable) -> dict[str, Any]:
    m = raw.meta
    return {"format": m.format, "encoding": m.encoding, "delimiter": m.delimiter, "decimal_comma": m.decimal_comma,
            "sheet": m.sheet, "header_row": m.header_row}
