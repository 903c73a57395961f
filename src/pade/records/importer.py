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

import hashlib
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, Table, insert, literal, select, text, update
from sqlalchemy.orm import Session

from pade.core import audit
from pade.core.errors import NotFound, PadeError
from pade.core.i18n import t
from pade.programme.store import current_programme_version
from pade.records.issues import Issue, Severity, group_issues, make_issue
from pade.records.kinds import KINDS_BY_NAME, Check, RecordKind, Subject
from pade.records.readers import RawTable, read_table
from pade.records.tables import RECORD_TABLES, ImportBatch, QuarantineRow, ReviewStatus
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
CHUNK_ROWS = 50_000  # a multiple of SQLITE_ROWS_PER_INSERT
SMALL_BATCH = 2_000  # below this, hash in Python (the same md5 hex as DuckDB)
# Rows per INSERT statement on SQLite (fewer if the build allows fewer bound parameters): a multi-row
# VALUES costs about half as much per row as one statement per row; beyond ~200 rows nothing more is won.
SQLITE_ROWS_PER_INSERT = 200
SMALL_KEY_SET = 100  # up to this many natural keys, stored revisions are looked up with bound parameters


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
                sheet: str | None = None, today: date | None = None, progress: Progress | None = None,
                file_name: str | None = None, review_status: ReviewStatus = ReviewStatus.aprobada
                ) -> ImportReport:
    """Read ``path`` (CSV or XLSX) and import it as ``kind_name`` records reported by ``entidad``.

    ``file_name`` is the name to record (default: the path's); ``review_status`` is where the batch
    starts (a web upload starts ``pendiente``, see :mod:`pade.records.review`).
    """
    kind = record_kind(kind_name)
    raw = read_table(path, sheet=sheet, expected_columns=kind.field_names)
    return import_raw(engine, kind, raw, file_name=file_name or path.name, source="archivo", entidad=entidad,
                      actor=actor, today=today, progress=progress, review_status=review_status)


def import_raw(engine: Engine, kind: RecordKind, raw: RawTable, *, file_name: str | None, source: str,
               entidad: str, actor: str, today: date | None = None, progress: Progress | None = None,
               review_status: ReviewStatus = ReviewStatus.aprobada) -> ImportReport:
    """Validate and land ``raw`` in one transaction. See the module docstring for the guarantees."""
    with Session(engine) as session, session.begin():
        return import_in(session, kind, raw, file_name=file_name, source=source, entidad=entidad, actor=actor,
                         today=today, progress=progress, review_status=review_status)


def import_in(session: Session, kind: RecordKind, raw: RawTable, *, file_name: str | None, source: str,
              entidad: str, actor: str, today: date | None = None, progress: Progress | None = None,
              review_status: ReviewStatus = ReviewStatus.aprobada) -> ImportReport:
    """:func:`import_raw`'s work in the caller's transaction, which commits it (or rolls it back).

    For records that must land atomically with other writes (a submitted self-diagnosis lands its
    ``diagnostico`` record in the transaction that closes the assessment). Nothing is committed here.
    """
    report_progress = progress or (lambda stage, done, total: None)
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
                        rows_loaded=0, rows_quarantined=0, rows_unchanged=0, report={},
                        review_status=review_status.value)
    session.add(batch)
    session.flush()
    report = ImportReport(kind.name, batch.id, file_name, raw.file_hash, already_imported=False,
                          rows_total=raw.data.num_rows + len(raw.bad_lines))
    status = np.full(raw.data.num_rows, "cuarentena", dtype=object)
    _land(session, kind, checked, batch.id, entidad, started, report, status, report_progress)
    _quarantine(session, kind, checked, raw, batch.id, report)
    report.quarantine_resolved = _resolve_quarantine(session, raw, status, batch.id, kind=kind.name,
                                                     entidad=entidad)
    report.issues = [i for idx in sorted(checked.issues) for i in checked.issues[idx]] + checked.file_issues
    report.counts = dict(checked.counts())
    report.row_status = [str(s) for s in status]
    batch.finished_at = datetime.now(UTC)
    batch.rows_total = report.rows_total
    batch.rows_loaded = report.rows_loaded + report.rows_revised
    batch.rows_quarantined = report.rows_quarantined
    batch.rows_unchanged = report.rows_unchanged
    batch.report = {**report.summary(), "meta": _meta(raw), "groups": group_issues(report.issues)}
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
    checks = {c for f in kind.fields for c in f.checks}
    prog = RECORD_TABLES["programa"]
    rows = session.execute(select(prog.c.programa, prog.c.curso).distinct()).all() if checks & {
        Check.programa, Check.curso} else []
    markets = frozenset(session.scalars(select(Market.mercado_id))) if Check.mercado in checks else frozenset()
    enrolments: frozenset[tuple[str, str, str]] = frozenset()
    if kind.name == "culminacion":
        ins = RECORD_TABLES["inscripcion"]
        enrolments = frozenset(
            (r, p, c or "") for r, p, c in session.execute(select(ins.c.ruc, ins.c.programa, ins.c.curso).distinct()))
    return ValidationContext(
        today=today,
        programmes=frozenset(p for p, _ in rows),
        courses=frozenset((p, c) for p, c in rows if c),
        markets=markets,
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

def _hashes(kind: RecordKind, columns: dict[str, pa.ChunkedArray]) -> tuple[pa.Array, pa.Array, np.ndarray]:
    """md5 (hex) of each row's natural key and of its whole content, and the rows' order by key hash.

    DuckDB gets one thread: this runs beside the company writes (see :func:`_land`), which need the other core.
    """
    key_text, row_text = key_strings(kind, columns), row_strings(kind, columns)
    if len(key_text) < SMALL_BATCH:  # a form submission or an API batch: starting DuckDB costs more than hashing
        keys = pa.array([hashlib.md5(v.encode()).hexdigest() for v in key_text.to_pylist()], pa.string())
        rows = pa.array([hashlib.md5(v.encode()).hexdigest() for v in row_text.to_pylist()], pa.string())
        return keys, rows, np.asarray(pc.sort_indices(keys))
    con = duckdb.connect(config={"threads": 1})
    try:
        con.register("t", pa.table({"k": key_text, "r": row_text}))
        out = con.execute("select md5(k) as k, md5(r) as r from t").to_arrow_table()
    finally:
        con.close()
    keys = pc.cast(out.column("k"), pa.string()).combine_chunks()
    return keys, pc.cast(out.column("r"), pa.string()).combine_chunks(), np.asarray(pc.sort_indices(keys))


def _land(session: Session, kind: RecordKind, checked: Validated, batch_id: int, entidad: str, now: datetime,
          report: ImportReport, status: np.ndarray, progress: Progress) -> None:
    valid_idx = np.flatnonzero(checked.valid)
    table = checked.valid_table()
    if kind.name in ("empresa", "mercado"):
        _land_registry(session, kind, checked, table, batch_id, report, status)
        return
    columns = {name: table.column(name) for name in kind.field_names}

    def ensure_companies() -> None:
        if kind.subject is Subject.empresa and table.num_rows:
            seen = (table.column(kind.date_field) if kind.date_field
                    else pa.array([now.date()] * table.num_rows, pa.date32()))
            report.companies_created = registry.ensure_companies(
                session, pa.table({"ruc": table.column("ruc"), "fecha": seen}), batch_id=batch_id)

    if table.num_rows < SMALL_BATCH:  # hashing a few rows takes less than starting a thread
        ensure_companies()
        keys, row_hashes, by_key = _hashes(kind, columns)
    else:
        with ThreadPoolExecutor(max_workers=1) as pool:
            # DuckDB and Arrow hash and sort without holding the GIL, while SQLite writes the companies.
            hashed = pool.submit(_hashes, kind, columns)
            ensure_companies()
            keys, row_hashes, by_key = hashed.result()
    sql_table = RECORD_TABLES[kind.name]
    sorted_keys = keys.take(pa.array(by_key))
    keep, revision_of = _compare(keys, row_hashes, _current_revisions(session, sql_table, sorted_keys),
                                 valid_idx, status, report)
    if not keep.any():
        return
    # Rows go in key_hash order: each insert into the key_hash index then lands next to the previous one,
    # 3x faster than at random places (which also need a page cache as big as the index). Ids no longer
    # follow the file; row_number does.
    order = pa.array(by_key[keep[by_key]])
    if not keep.all():
        sorted_keys = keys.take(order)
    if len(sorted_keys) > 1 and pc.any(pc.equal(sorted_keys[1:], sorted_keys[:-1])).as_py():
        # Validation rejects a repeated natural key, so this is a bug: never store two current rows.
        raise PadeError(t("import of {kind}: two valid rows share a natural key; report this as a bug", kind=kind.name))
    constants: dict[str, Any] = {"batch_id": batch_id, "entidad_reporta": entidad, "created_at": now}
    values = {"row_number": pa.array(checked.raw.row_numbers[valid_idx]).take(order), "key_hash": sorted_keys,
              "row_hash": row_hashes.take(order), **{n: c.take(order) for n, c in columns.items()}}
    if revision_of.null_count == len(revision_of):
        constants["revision_of"] = None
    else:
        values["revision_of"] = revision_of.take(order)
    _bulk_insert(session.connection(), sql_table.name, values, progress, constants=constants)


def _land_registry(session: Session, kind: RecordKind, checked: Validated, table: pa.Table, batch_id: int,
                   report: ImportReport, status: np.ndarray) -> None:
    valid_idx = np.flatnonzero(checked.valid)
    rows = table.to_pylist()
    for r, i in zip(rows, valid_idx, strict=True):
        r["row_number"] = int(checked.raw.row_numbers[i])
    if kind.name == "empresa":
        added, unchanged = registry.add_company_versions(session, rows, batch_id=batch_id)
    else:
        added, unchanged = registry.add_markets(session, rows, batch_id=batch_id)
    report.rows_loaded, report.rows_unchanged = added, unchanged
    status[valid_idx] = "cargada"


def _compare(keys: pa.Array, row_hashes: pa.Array, current: dict[str, tuple[int, str]], valid_idx: np.ndarray,
             status: np.ndarray, report: ImportReport) -> tuple[np.ndarray, pa.Array]:
    """Which valid rows to insert, and the row each one revises (null for a new key); fills status and counts.

    Only the rows whose key is already stored are looked at one by one; the others are new.
    """
    n = len(keys)
    keep = np.ones(n, dtype=bool)
    revision_of = np.zeros(n, dtype=np.int64)
    revised = np.zeros(n, dtype=bool)
    status[valid_idx] = "cargada"
    if current:
        stored = np.flatnonzero(pc.is_in(keys, value_set=pa.array(list(current), pa.string()))
                                .to_numpy(zero_copy_only=False))
        taken = pa.array(stored, pa.int64())
        for j, k, h in zip(stored, keys.take(taken).to_pylist(), row_hashes.take(taken).to_pylist(), strict=True):
            prev_id, prev_hash = current[k]
            if prev_hash == h:
                keep[j] = False
                status[valid_idx[j]] = "sin_cambios"
            else:
                revised[j] = True
                revision_of[j] = prev_id
                status[valid_idx[j]] = "revisada"
    report.rows_unchanged += n - int(keep.sum())
    report.rows_revised = int(revised.sum())
    report.rows_loaded = int(keep.sum()) - report.rows_revised
    return keep, pa.array(revision_of, mask=~revised)


def _current_revisions(session: Session, table: Table, sorted_keys: pa.Array) -> dict[str, tuple[int, str]]:
    """Latest (id, row_hash) per key hash among ``sorted_keys`` already stored (for a new table: one query).

    The keys come sorted: SQLite probes the key_hash index in the temporary table's order, and in
    order the probes walk the index instead of jumping around it (6x faster for a million keys).
    """
    conn = session.connection()
    if not len(sorted_keys):
        return {}
    unique = pc.unique(sorted_keys)
    params: dict[str, Any] = {}
    if len(unique) <= SMALL_KEY_SET:  # a form or an API batch: bound parameters, no temporary table
        params = {f"k{i}": k for i, k in enumerate(unique.to_pylist())}
        wanted = ", ".join(f":{name}" for name in params)
    else:
        if conn.execute(select(table.c.id).limit(1)).first() is None:
            return {}
        conn.execute(text("CREATE TEMPORARY TABLE IF NOT EXISTS pade_tmp_keys (key_hash VARCHAR(32))"))
        conn.execute(text("DELETE FROM pade_tmp_keys"))
        _bulk_insert(conn, "pade_tmp_keys", {"key_hash": unique}, lambda stage, done, total: None)
        wanted = "SELECT key_hash FROM pade_tmp_keys"
    # Rows of a rejected batch are never current: a new row revises the latest row not rejected, and the
    # same values sent again after a rejection land again (decision 0015). Looked up by batch id for the
    # rows of the wanted keys only: the batch table grows by one row per submitted self-diagnosis.
    rows = conn.execute(text(
        f"SELECT t.key_hash, t.id, t.row_hash FROM {table.name} t "
        f"JOIN (SELECT key_hash, MAX(id) AS id FROM {table.name} r WHERE key_hash IN ({wanted}) "
        "AND NOT EXISTS (SELECT 1 FROM import_batch b WHERE b.id = r.batch_id AND b.review_status = 'rechazada') "
        "GROUP BY key_hash) m ON t.id = m.id"), params)
    return {k: (i, h) for k, i, h in rows}


def _bulk_insert(conn: Connection, table: str, values: dict[str, pa.Array], progress: Progress, *,
                 constants: dict[str, Any] | None = None) -> None:
    """Insert the columns ``values`` (and the same ``constants`` in every row) through the driver.

    COPY on PostgreSQL. On SQLite, executemany of multi-row INSERTs with the constants written into
    the statement; dates are bound as the 'YYYY-MM-DD' text that SQLAlchemy's SQLite Date stores.
    """
    constants = constants or {}
    total = len(next(iter(values.values())))
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        if conn.dialect.name == "postgresql":
            columns = [*constants, *values]
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for start in range(0, total, CHUNK_ROWS):
                    chunk = [arr.slice(start, CHUNK_ROWS).to_pylist() for arr in values.values()]
                    for row in zip(*([c] * len(chunk[0]) for c in constants.values()), *chunk, strict=True):
                        copy.write_row(row)
                    progress("guardar", min(start + CHUNK_ROWS, total), total)
            return
        width = len(values)
        literals = [_sqlite_literal(conn, v) for v in constants.values()]
        one = f"({', '.join([*literals, *['?'] * width])})"
        head = f"INSERT INTO {table} ({', '.join([*constants, *values])}) VALUES "
        per = _rows_per_insert(dbapi, width)
        many = head + ", ".join([one] * per)
        step = width * per
        for start in range(0, total, CHUNK_ROWS):
            flat = _interleave([_sqlite_values(arr.slice(start, CHUNK_ROWS)) for arr in values.values()])
            full = len(flat) // step * step
            if full:  # preparing the multi-row statement costs more than a small batch's insert
                cursor.executemany(many, [flat[i:i + step] for i in range(0, full, step)])
            if full < len(flat):
                cursor.executemany(head + one, [flat[i:i + width] for i in range(full, len(flat), width)])
            progress("guardar", min(start + CHUNK_ROWS, total), total)
    finally:
        cursor.close()


def _rows_per_insert(dbapi: Any, width: int) -> int:
    limit = int(dbapi.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    return max(1, min(SQLITE_ROWS_PER_INSERT, limit // width))


def _sqlite_values(arr: pa.Array) -> list[Any]:
    if pa.types.is_date(arr.type):
        arr = pc.cast(arr, pa.string())
    return arr.to_pylist()  # type: ignore[no-any-return]


def _interleave(columns: list[list[Any]]) -> list[Any]:
    """``[a0, b0, a1, b1, ...]`` from ``[[a0, a1, ...], [b0, b1, ...]]``, with no Python loop per cell."""
    width = len(columns)
    flat: list[Any] = [None] * (width * len(columns[0]))
    for j, col in enumerate(columns):
        flat[j::width] = col
    return flat


def _sqlite_literal(conn: Connection, value: Any) -> str:
    if isinstance(value, datetime):  # the text SQLAlchemy's SQLite DateTime stores
        value = value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return str(literal(value).compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))


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


def _resolve_quarantine(session: Session, raw: RawTable, status: np.ndarray, batch_id: int, *, kind: str,
                        entidad: str) -> int:
    """Rows re-imported from a quarantine export carry their id: resolve those that landed.

    Only quarantine rows of the same kind reported by the same entity: an id typed into another entity's
    file must never close that entity's quarantine.
    """
    if QUARANTINE_ID not in raw.columns:
        return 0
    ids = pc.cast(raw.data.column(QUARANTINE_ID), pa.int64(), safe=False).to_pylist()
    landed = [int(q) for q, s in zip(ids, status, strict=True) if q is not None and s != "cuarentena"]
    if not landed:
        return 0
    own_batches = select(ImportBatch.id).where(ImportBatch.kind == kind, ImportBatch.entidad == entidad)
    result = session.execute(
        update(QuarantineRow).where(QuarantineRow.id.in_(landed), QuarantineRow.status == "abierta",
                                    QuarantineRow.kind == kind, QuarantineRow.batch_id.in_(own_batches))
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
