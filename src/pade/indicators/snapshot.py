"""A Parquet snapshot of the system of record, with a manifest: what the engines compute from.

Each table is read into Arrow (ADBC drivers: SQLite and PostgreSQL, no row-by-row
Python), cast to one canonical Arrow schema derived from the SQLAlchemy tables
(so SQLite's loose typing never leaks into results), sorted by key, and written
as Parquet. The content hash covers the data (Arrow IPC bytes of each table),
not the files, so the same data always gives the same hash, and a snapshot
with a known hash is reused instead of written again.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import Boolean, Date, DateTime, Engine, Integer, Numeric, Table, select
from sqlalchemy.engine import make_url

from pade.core.i18n import t
from pade.records.tables import RECORD_TABLES, ImportBatch, ReviewStatus
from pade.registry import reference
from pade.registry.models import Company, CompanyVersion, Market

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
MANIFEST = "manifest.json"
REF_CIIU = "ref_ciiu"
COMPANY_ATTRIBUTES = "company_attributes"  # derived: the company attributes valid in each span of years
APPROVED = ReviewStatus.aprobada.value
BATCH_ROWS = 65_536  # rows per Arrow batch read from SQLite
APPROVED_SUFFIX = ":aprobadas"  # marks a table name passed to the SQLite child process as filtered
# Columns no engine reads, left out of the snapshot (decision 0007): a record's key and row hashes (the
# importer's change detection; 72% of the bytes) and company names (personal data for natural persons).
EXCLUDED_COLUMNS = frozenset({"key_hash", "row_hash", "razon_social"})


def snapshot_tables() -> dict[str, Table]:
    """The tables a snapshot holds, by name."""
    tables: dict[str, Table] = {
        "company": Company.__table__,  # type: ignore[dict-item]
        "company_version": CompanyVersion.__table__,  # type: ignore[dict-item]
        "market": Market.__table__,  # type: ignore[dict-item]
    }
    tables.update({tbl.name: tbl for tbl in RECORD_TABLES.values()})
    return tables


def arrow_type(column: Any) -> pa.DataType:
    kind = column.type
    if isinstance(kind, Boolean):
        return pa.bool_()
    if isinstance(kind, DateTime):
        return pa.timestamp("us", tz="UTC")
    if isinstance(kind, Date):
        return pa.date32()
    if isinstance(kind, Integer):
        return pa.int64()
    if isinstance(kind, Numeric):
        return pa.float64()
    return pa.string()


def snapshot_columns(table: Table) -> list[Any]:
    """The columns of ``table`` a snapshot holds (all but :data:`EXCLUDED_COLUMNS`)."""
    return [c for c in table.columns if c.name not in EXCLUDED_COLUMNS]


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema([pa.field(c.name, arrow_type(c)) for c in snapshot_columns(table)])


@dataclass(frozen=True)
class Snapshot:
    path: Path
    content_hash: str
    tables: dict[str, dict[str, Any]]  # name -> {"rows": n, "sha256": ..., "file": ...}
    created_at: str
    source: str

    def file(self, name: str) -> Path:
        return self.path / str(self.tables[name]["file"])


def _select(table: Table, *, sqlite: bool, approved_only: bool = False) -> str:
    """The query that reads ``table``; with ``approved_only``, only rows of approved import batches.

    Filtering rows out would break the revision chain (a kept row may revise a dropped one), so the
    filtered query also recomputes ``revision_of`` as the previous kept row with the same key: rows of
    one key form a single chain ordered by id (see ``records.importer._compare``), so this is the row
    each kept row replaces among the kept ones (decision 0015).
    """
    order = ", ".join(c.name for c in table.primary_key.columns)
    # SQLite types are per value: read dates as text so the driver never guesses from the first rows.
    names = [f"CAST({c.name} AS TEXT) AS {c.name}" if sqlite and isinstance(c.type, Date | DateTime) else c.name
             for c in snapshot_columns(table)]
    if not approved_only:
        return f"SELECT {', '.join(names)} FROM {table.name} ORDER BY {order}"
    names = ["LAG(id) OVER (PARTITION BY key_hash ORDER BY id) AS revision_of" if n == "revision_of" else n
             for n in names]
    kept = (f"SELECT * FROM {table.name} WHERE batch_id IN "
            f"(SELECT id FROM import_batch WHERE review_status = '{APPROVED}')")
    return f"SELECT {', '.join(names)} FROM ({kept}) kept ORDER BY {order}"


def pending_tables(engine: Engine) -> set[str]:
    """Record tables with rows of batches not approved (pending or rejected): those are read filtered."""
    with engine.connect() as conn:
        kinds = set(conn.execute(select(ImportBatch.kind).where(ImportBatch.review_status != APPROVED).distinct())
                    .scalars())
    return {RECORD_TABLES[k].name for k in kinds if k in RECORD_TABLES}


def _read_postgres(engine: Engine, tables: dict[str, Table], filtered: set[str]) -> Iterator[tuple[str, pa.Table]]:
    """Each table in turn, all from one read-only transaction."""
    import adbc_driver_postgresql.dbapi as driver

    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with driver.connect(url) as conn, conn.cursor() as cur:
        # The DBAPI connection is not in autocommit: every read below shares one transaction and one view.
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        for name, table in tables.items():
            cur.execute(_select(table, sqlite=False, approved_only=name in filtered))
            yield name, _conform(cur.fetch_arrow_table(), arrow_schema(table))
        conn.rollback()


def _read_sqlite(database: str, tables: dict[str, Table], filtered: set[str]) -> Iterator[tuple[str, pa.Table]]:
    """Each table in turn, read in a child process: the ADBC driver bundles its own SQLite, and two SQLite
    libraries in one process break each other's POSIX locks (sqlite.org/howtocorrupt.html, section 2.2.1).

    The child names each table on its standard output as soon as the table's Arrow file is complete, so
    this process encodes one table while the child reads the next, and holds one table at a time."""
    with tempfile.TemporaryDirectory(prefix="pade-snap-") as tmp:
        names = [f"{name}{APPROVED_SUFFIX}" if name in filtered else name for name in tables]
        errors = Path(tmp) / "stderr.txt"
        with errors.open("w") as stderr, subprocess.Popen(
                [sys.executable, "-m", "pade.indicators.sqlite_export", database, tmp, *names],
                stdout=subprocess.PIPE, stderr=stderr, text=True) as child:
            assert child.stdout is not None
            for line in child.stdout:
                name = line.strip()
                path = Path(tmp) / f"{name}.arrow"
                with pa.memory_map(str(path)) as source:
                    data = _conform(pa.ipc.open_file(source).read_all(), arrow_schema(tables[name]))
                path.unlink()
                yield name, data
            if child.wait(timeout=3600) != 0:
                raise subprocess.CalledProcessError(child.returncode, child.args, stderr=errors.read_text())


def export_sqlite(database: str, folder: Path, names: list[str]) -> None:
    """Child-process side of :func:`_read_sqlite`: every table in one read transaction, streamed into an
    Arrow file per table; each table's name is printed when its file is complete.

    A name ending in ``:aprobadas`` is read with only the rows of approved batches.
    """
    import adbc_driver_sqlite.dbapi as driver
    from adbc_driver_sqlite import StatementOptions

    tables = snapshot_tables()
    with driver.connect(database) as conn, conn.cursor() as cur:
        # Not in autocommit: the reads share one transaction, so every table comes from the same state.
        for entry in names:
            name = entry.removesuffix(APPROVED_SUFFIX)
            # large batches: the driver's default (1,024 rows) leaves thousands of chunks per table, and the
            # parent's per-chunk work (casting, hashing, encoding) then costs more than reading
            cur.adbc_statement.set_options(**{StatementOptions.BATCH_ROWS.value: str(BATCH_ROWS)})
            cur.execute(_select(tables[name], sqlite=True, approved_only=entry != name))
            reader = cur.fetch_record_batch()
            with pa.OSFile(str(folder / f"{name}.arrow"), "wb") as sink, pa.ipc.new_file(sink, reader.schema) as w:
                for batch in reader:
                    w.write_batch(batch)
            sys.stdout.write(f"{name}\n")
            sys.stdout.flush()
        conn.rollback()


def _conform(data: pa.Table, schema: pa.Schema) -> pa.Table:
    """Cast each column to the canonical type (SQLite returns dates as text, numerics as anything)."""
    columns = []
    for field in schema:
        col = data.column(field.name)
        if col.null_count == len(col):
            col = pa.nulls(len(col), field.type)
        if col.type != field.type:
            # Arrow's ISO 8601 cast, three times faster than strptime (which would also roll an impossible
            # date such as 2026-02-30 over into March instead of failing)
            if pa.types.is_date32(field.type) and pa.types.is_string(col.type):
                col = pc.cast(pc.utf8_slice_codeunits(col, 0, 10), pa.date32())
            elif pa.types.is_timestamp(field.type) and pa.types.is_string(col.type):
                col = pc.cast(pc.cast(pc.utf8_slice_codeunits(col, 0, 19), pa.timestamp("us")), field.type)
            else:
                col = pc.cast(col, field.type)
        columns.append(col)
    return pa.Table.from_arrays(columns, schema=schema)


def _ciiu_table() -> pa.Table:
    divisions = sorted(reference.ciiu_divisions())
    return pa.table({"division": divisions, "seccion": [reference.ciiu_section_of(d) for d in divisions]})


def derive_company_attributes(versions: pa.Table) -> pa.Table:
    """The company attributes by span of years: what ``compile.company_attributes`` gives, derived here once
    per snapshot without sorting strings. In order of company, date and id, the latest version of a year
    (ties: the highest id) is the last of its year and rules until the company's next year with a version;
    the earliest (ties: the highest id) is the last of the company's first date and rules the years before
    its first (a span of its own only when its year has a later version). Rows stay in the order of the
    versions (by id), so equal data gives equal bytes; the content hash covers the result, so a change in
    how it is derived is a new snapshot. ``tests/unit/test_company_attributes.py`` checks it against the
    definition and against the Ibis expression PostgreSQL uses."""
    n = versions.num_rows
    company = _company_keys(versions.column("ruc"))
    date = versions.column("valid_from").combine_chunks().cast(pa.int32()).to_numpy(zero_copy_only=False)
    ids = versions.column("id").to_numpy()
    # in order of company; then the companies with several versions (few) in order of date and id
    order = np.argsort(company, kind="stable")
    sorted_keys = company[order]
    several = np.zeros(n, dtype=bool)
    twin = sorted_keys[1:] == sorted_keys[:-1]
    several[1:] |= twin
    several[:-1] |= twin
    rows = order[several]
    order[several] = rows[np.lexsort((ids[rows], date[rows], company[rows]))]
    company, date = company[order], date[order]
    year = pc.year(versions.column("valid_from")).to_numpy().astype(np.int64)[order]
    same_next = np.zeros(n, dtype=bool)  # the next row is a version of the same company
    same_next[:-1] = company[:-1] == company[1:]
    next_year = np.full(n, YEAR_MAX, dtype=np.int64)
    next_year[:-1] = np.where(same_next[:-1], year[1:], YEAR_MAX)
    next_date = np.full(n, -1, dtype=np.int64)
    next_date[:-1] = np.where(same_next[:-1], date[1:], -1)
    same_prev = np.zeros(n, dtype=bool)
    same_prev[1:] = same_next[:-1]
    starts = np.maximum.accumulate(np.where(same_prev, 0, np.arange(n)))  # first row of each company
    latest = ~same_next | (next_year != year)
    earliest = (date == date[starts]) & (next_date != date)
    keep, a_from, a_to = (np.empty(n, dtype=bool), np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64))
    keep[order] = latest | earliest
    a_from[order] = np.where(earliest, 0, year)
    a_to[order] = np.where(latest, next_year, year)
    kept = versions.select(["ruc", "ubigeo", "ciiu", "tamano", "exportador", "sexo_titular"]).filter(pa.array(keep))
    divisions = _ciiu_table()
    division = pc.utf8_slice_codeunits(kept.column("ciiu"), 0, 2)
    # missing attributes stay null here: the engine labels them when it joins (a company without versions too)
    return pa.table({"a_ruc": kept.column("ruc"), "a_from": pa.array(a_from[keep]), "a_to": pa.array(a_to[keep]),
                     "departamento": pc.utf8_slice_codeunits(kept.column("ubigeo"), 0, 2),
                     "tamano": kept.column("tamano"),
                     "seccion_ciiu": pc.take(divisions.column("seccion"),
                                             pc.index_in(division, value_set=divisions.column("division"))),
                     "exportador": kept.column("exportador"), "sexo_titular": kept.column("sexo_titular")},
                    schema=COMPANY_ATTRIBUTES_SCHEMA)


def _company_keys(ruc: pa.ChunkedArray) -> np.ndarray[Any, Any]:
    """An integer per RUC, equal for equal RUCs: the RUC itself when every RUC is 11 digits (checked on
    import), else a dictionary code (never expected, but it must not break the snapshot)."""
    lengths = pc.min_max(pc.utf8_length(ruc))
    digits = pc.all(pc.utf8_is_digit(ruc)).as_py() is not False
    keys: np.ndarray[Any, Any]
    if digits and lengths["min"].as_py() == lengths["max"].as_py() == 11:
        keys = pc.cast(ruc, pa.int64()).to_numpy()
    else:
        keys = pc.dictionary_encode(ruc).combine_chunks().indices.to_numpy().astype(np.int64)
    return keys


def _parquet(table: pa.Table) -> bytes:
    """The Parquet encoding of ``table``: it re-encodes values, so equal data gives equal bytes whatever the
    in-memory layout (chunks, slices, validity buffers) — which makes it the thing to hash."""
    sink = pa.BufferOutputStream()
    # LZ4, not zstd: every compute decodes these files again (several times each), and at 2.5 million firms
    # zstd's decoding cost about 0.7 s of the compute's CPU; the files are 1.6x larger (285 vs 175 MB)
    pq.write_table(table, sink, compression="lz4")
    return bytes(sink.getvalue().to_pybytes())


def take_snapshot(engine: Engine, root: Path, *, progress: Progress | None = None) -> Snapshot:
    """Write (or reuse) the snapshot of the store behind ``engine`` under ``root``.

    Tables are read, encoded and written one at a time (memory holds one table), into a temporary folder
    that becomes ``root/<hash>`` once the content hash is known, or is dropped if that snapshot exists."""
    report = progress or (lambda stage, done, total: None)
    tables = snapshot_tables()
    report("leer", 0, 1)
    filtered = pending_tables(engine)
    if engine.url.get_backend_name() == "sqlite":
        data = _read_sqlite(engine.url.database or ":memory:", tables, filtered)
    else:
        data = _read_postgres(engine, tables, filtered)
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=root))
    try:
        entries: dict[str, dict[str, Any]] = {}
        total = len(tables) + 1
        report("leer", 1, 1)

        def write(name: str, tbl: pa.Table) -> None:
            blob = _parquet(tbl)
            (tmp / f"{name}.parquet").write_bytes(blob)
            entries[name] = {"rows": tbl.num_rows, "sha256": hashlib.sha256(blob).hexdigest(),
                             "file": f"{name}.parquet"}

        for name, tbl in itertools.chain(data, [(REF_CIIU, _ciiu_table())]):
            write(name, tbl)
            if name == "company_version":  # derived once here, read by every compute on this snapshot
                write(COMPANY_ATTRIBUTES, derive_company_attributes(tbl))
            del tbl
            report("escribir", len(entries), total)
        digests = {name: e["sha256"] for name, e in entries.items()}
        content_hash = hashlib.sha256(json.dumps(digests, sort_keys=True).encode()).hexdigest()
        target = root / content_hash[:16]
        if (target / MANIFEST).exists():
            log.info("snapshot reused hash=%s", content_hash[:12])
            return load_snapshot(target)
        manifest = {"content_hash": content_hash, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "source": make_url(str(engine.url)).render_as_string(hide_password=True), "tables": entries,
                    "format": "parquet", "description": t("Snapshot of the PADE system of record")}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)  # atomic: a snapshot folder with a manifest is always complete
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("snapshot written hash=%s tables=%s", content_hash[:12], len(entries))
    return load_snapshot(target)


def load_snapshot(path: Path) -> Snapshot:
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    return Snapshot(path=path, content_hash=manifest["content_hash"], tables=manifest["tables"],
                    created_at=manifest["created_at"], source=manifest["source"])


def canonical_schemas() -> dict[str, pa.Schema]:
    """The Arrow schema of every snapshot table (what the compiler builds unbound Ibis tables from)."""
    out = {name: arrow_schema(tbl) for name, tbl in snapshot_tables().items()}
    out[REF_CIIU] = pa.schema([pa.field("division", pa.string()), pa.field("seccion", pa.string())])
    return out


DIMENSION_LABELS = ("departamento", "tamano", "seccion_ciiu", "exportador", "sexo_titular")
YEAR_MAX = 9999  # open end of the last span of company attributes
COMPANY_ATTRIBUTES_SCHEMA = pa.schema([pa.field("a_ruc", pa.string()), pa.field("a_from", pa.int64()),
                                       pa.field("a_to", pa.int64()),
                                       *[pa.field(d, pa.string()) for d in DIMENSION_LABELS]])

