"""Issued reports, frozen: what was issued, from which data, with the files exactly as delivered.

An issued report is a row of ``issued_report`` holding its lineage (run, snapshot, programme),
the hash of its content model, the inputs it was built from (the values, the summaries and the
snapshot manifest, so it can be compared with today's data without recomputing the past) and the
rendered PDF and XLSX bytes with their SHA-256. The table is append-only (triggers in migration
0004): once issued, nothing about a report can change. Decision 0010 argues the choices.

:func:`diff_against_now` recomputes the indicators and lists every figure that would change, and
why: which tables of the snapshot changed and, for reported values, which (variable, entity,
period) rows, mapped to the indicators that read them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
from sqlalchemy import JSON, DateTime, Engine, Index, Integer, LargeBinary, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from pade.core import audit
from pade.core.db import Base
from pade.core.errors import NotFound, StoreError
from pade.core.i18n import t
from pade.core.settings import Settings
from pade.indicators.service import run_compute, run_values, snapshot_root
from pade.indicators.snapshot import Snapshot, load_snapshot
from pade.programme.models import Programa
from pade.programme.store import current_programme_version
from pade.records.kinds import KINDS_BY_NAME, Subject
from pade.records.tables import table_name

log = logging.getLogger(__name__)

INPUTS_FORMAT = 1
REPORTED_TABLE = "rec_valor_reportado"
BREAKDOWN_COLUMNS = ("departamento", "tamano", "seccion_ciiu", "exportador", "sexo_titular")
VALUE_COLUMNS = ("codigo", "anio", "desagregacion", *BREAKDOWN_COLUMNS, "numerador", "denominador", "valor")
TOLERANCE = 1e-9  # relative: the engine rounds to 10 decimals


class IssuedReportRecord(Base):
    __tablename__ = "issued_report"
    __table_args__ = (Index("ux_issued_report_kind_period_content", "kind", "period", "content_hash", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    period: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int] = mapped_column(Integer)
    snapshot_hash: Mapped[str] = mapped_column(String(64))
    programme_hash: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    xlsx_sha256: Mapped[str] = mapped_column(String(64))
    xlsx: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_by: Mapped[str] = mapped_column(String(120))


@dataclass(frozen=True, slots=True)
class IssuedReport:
    """An issued report without its bytes (see :func:`issued_files`). ``created`` is False when issuing
    found the same content already issued."""

    id: int
    kind: str
    period: int
    run_id: int
    snapshot_hash: str
    programme_hash: str
    content_hash: str
    pdf_sha256: str
    xlsx_sha256: str
    issued_at: datetime
    issued_by: str
    created: bool = False

    @classmethod
    def of(cls, row: IssuedReportRecord, *, created: bool = False) -> IssuedReport:
        return cls(row.id, row.kind, row.period, row.run_id, row.snapshot_hash, row.programme_hash,
                   row.content_hash, row.pdf_sha256, row.xlsx_sha256, row.issued_at, row.issued_by, created)


def canonical_json(data: Any) -> bytes:
    """The canonical JSON of ``data``: sorted keys, no spaces, UTF-8, no NaN (a NaN is a bug upstream)."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                      default=str).encode("utf-8")


def sha256(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def find_issued(session: Session, *, kind: str, period: int, content_hash: str) -> IssuedReport | None:
    row = session.scalar(select(IssuedReportRecord).where(
        IssuedReportRecord.kind == kind, IssuedReportRecord.period == period,
        IssuedReportRecord.content_hash == content_hash))
    return IssuedReport.of(row) if row is not None else None


def get_issued(session: Session, issued_id: int) -> IssuedReport:
    """The issued report ``issued_id``.

    Raises:
        NotFound: there is no such issued report.
    """
    row = session.get(IssuedReportRecord, issued_id)
    if row is None:
        raise NotFound(t("There is no issued report {id}", id=issued_id))
    return IssuedReport.of(row)


def list_issued(session: Session, *, kind: str | None = None) -> list[IssuedReport]:
    stmt = select(IssuedReportRecord).order_by(IssuedReportRecord.id)
    if kind is not None:
        stmt = stmt.where(IssuedReportRecord.kind == kind)
    return [IssuedReport.of(r) for r in session.scalars(stmt)]


def issued_files(session: Session, issued_id: int) -> tuple[bytes, bytes]:
    """The PDF and XLSX bytes of an issued report, checked against their stored SHA-256.

    Raises:
        NotFound: there is no such issued report.
        StoreError: a file no longer matches its hash (the store was changed outside PADE).
    """
    row = session.get(IssuedReportRecord, issued_id)
    if row is None:
        raise NotFound(t("There is no issued report {id}", id=issued_id))
    for blob, digest in ((row.pdf, row.pdf_sha256), (row.xlsx, row.xlsx_sha256)):
        if sha256(blob) != digest:
            raise StoreError(t("Issued report {id}: a stored file does not match its SHA-256; the store was changed "
                               "outside PADE", id=issued_id))
    return bytes(row.pdf), bytes(row.xlsx)


def issued_inputs(session: Session, issued_id: int) -> dict[str, Any]:
    row = session.get(IssuedReportRecord, issued_id)
    if row is None:
        raise NotFound(t("There is no issued report {id}", id=issued_id))
    return dict(row.inputs)


def record_issued(session: Session, *, kind: str, period: int, run_id: int, snapshot_hash: str,
                  programme_hash: str, content_hash: str, inputs: dict[str, Any], pdf: bytes, xlsx: bytes,
                  actor: str) -> IssuedReport:
    """Append an issued report (in its own savepoint) and audit it; an equal one already issued is returned."""
    existing = find_issued(session, kind=kind, period=period, content_hash=content_hash)
    if existing is not None:
        return existing
    row = IssuedReportRecord(kind=kind, period=period, run_id=run_id, snapshot_hash=snapshot_hash,
                             programme_hash=programme_hash, content_hash=content_hash, inputs=inputs,
                             pdf_sha256=sha256(pdf), pdf=pdf, xlsx_sha256=sha256(xlsx), xlsx=xlsx,
                             issued_at=datetime.now(UTC), issued_by=actor)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        # Another process issued the same content between our check and our insert.
        again = find_issued(session, kind=kind, period=period, content_hash=content_hash)
        if again is None:
            raise
        return again
    audit.record(session, actor=actor, action="reports.issue", object_type="issued_report", object_id=str(row.id),
                 payload={"content_hash": content_hash, "pdf": row.pdf_sha256, "xlsx": row.xlsx_sha256},
                 details={"kind": kind, "period": period, "run": run_id, "snapshot": snapshot_hash,
                          "content_hash": content_hash, "pdf_sha256": row.pdf_sha256,
                          "xlsx_sha256": row.xlsx_sha256})
    log.info("issued report=%s kind=%s period=%s run=%s content=%s", row.id, kind, period, run_id,
             content_hash[:12])
    return IssuedReport.of(row, created=True)


# -- inputs ---------------------------------------------------------------------------------------------

def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _clean(value.item())
    return value


def value_records(values: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a run's values (without the per-measure detail), JSON-ready and sorted."""
    rows = [{c: _clean(rec.get(c)) for c in VALUE_COLUMNS} for rec in values.to_dict("records")]
    for row in rows:
        row["anio"] = int(row["anio"])
    return sorted(rows, key=lambda r: (r["codigo"], r["anio"], r["desagregacion"] != "total", r["desagregacion"],
                                       *[r[c] or "" for c in BREAKDOWN_COLUMNS]))


def reported_rows(snap: Snapshot) -> list[dict[str, Any]]:
    """The current reported values in a snapshot (revisions applied): variable, entity, period, value, status."""
    data = pq.read_table(snap.file(REPORTED_TABLE)).to_pandas()
    replaced = set(data["revision_of"].dropna().astype("int64"))
    current = data[~data["id"].isin(replaced)]
    rows = [{"variable": str(r["variable"]), "entidad": str(r["entidad"]), "periodo": int(r["periodo"]),
             "valor": _clean(r["valor"]), "estado": _clean(r["estado"])}
            for r in current.to_dict("records")]
    return sorted(rows, key=lambda r: (r["variable"], r["entidad"], r["periodo"]))


def snapshot_manifest(snap: Snapshot) -> dict[str, Any]:
    return {"hash": snap.content_hash,
            "tables": {name: {"rows": int(e["rows"]), "sha256": str(e["sha256"])} for name, e in snap.tables.items()}}


def snapshot_of(settings: Settings, snapshot_hash: str) -> Snapshot:
    return load_snapshot(snapshot_root(settings) / snapshot_hash[:16])


# -- what each table feeds ------------------------------------------------------------------------------

def table_dependents(programme: Programa) -> dict[str, list[str]]:
    """The indicators that read each snapshot table, through their measures (``registro``,
    ``reportado``, ``con_registro_en``) and the company or market attributes those records join."""
    found: dict[str, dict[str, None]] = {}

    def add(table: str, codigo: str) -> None:
        found.setdefault(table, {})[codigo] = None

    for ind in programme.indicadores():
        for m in (ind.calculo.medidas.values() if ind.calculo else []):
            if m.reportado is not None:
                add(REPORTED_TABLE, ind.codigo)
            for kind_name in (m.registro, m.con_registro_en):
                if kind_name is None:
                    continue
                kind = KINDS_BY_NAME[kind_name]
                add(table_name(kind), ind.codigo)
                if kind_name == m.registro and kind.subject is Subject.empresa:
                    for table in ("company", "company_version", "ref_ciiu"):
                        add(table, ind.codigo)
                elif kind_name == m.registro and kind.subject is Subject.mercado:
                    add("market", ind.codigo)
    return {table: list(codes) for table, codes in sorted(found.items())}


def variable_dependents(programme: Programa) -> dict[str, list[str]]:
    """The indicators that read each reported variable."""
    found: dict[str, dict[str, None]] = {}
    for ind in programme.indicadores():
        for m in (ind.calculo.medidas.values() if ind.calculo else []):
            if m.reportado is not None:
                found.setdefault(m.reportado, {})[ind.codigo] = None
    return {v: list(codes) for v, codes in sorted(found.items())}


# -- diff -----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FigureChange:
    codigo: str
    anio: int
    breakdown: str  # "total", or "tamano=micro"
    old: float | None
    new: float | None


@dataclass(frozen=True, slots=True)
class TableChange:
    table: str
    rows_before: int | None
    rows_after: int | None
    indicators: list[str]

    @property
    def rows_difference(self) -> int:
        return (self.rows_after or 0) - (self.rows_before or 0)


@dataclass(frozen=True, slots=True)
class ReportedChange:
    variable: str
    entidad: str
    periodo: int
    old_value: float | None
    new_value: float | None
    old_status: str | None
    new_status: str | None
    indicators: list[str]


@dataclass(frozen=True)
class ReportDiff:
    issued: IssuedReport
    run_id: int
    snapshot_before: str
    snapshot_after: str
    programme_changed: bool
    figures: list[FigureChange] = field(default_factory=list)
    tables: list[TableChange] = field(default_factory=list)
    reported: list[ReportedChange] = field(default_factory=list)

    @property
    def changed_indicators(self) -> list[str]:
        return list(dict.fromkeys(f.codigo for f in self.figures))


def breakdown_label(row: Mapping[str, Any]) -> str:
    if row["desagregacion"] == "total":
        return "total"
    cells = [f"{c}={row[c]}" for c in BREAKDOWN_COLUMNS if row.get(c) is not None]
    return ", ".join(cells) or str(row["desagregacion"])


def _key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (row["codigo"], int(row["anio"]), row["desagregacion"], *[row.get(c) for c in BREAKDOWN_COLUMNS])


def _differs(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    return abs(a - b) > TOLERANCE * max(1.0, abs(a), abs(b))


def compare_values(before: Iterable[Mapping[str, Any]], after: Iterable[Mapping[str, Any]]) -> list[FigureChange]:
    """Every (indicator, year, breakdown cell) whose value differs, appears or disappears."""
    old = {_key(r): r for r in before}
    new = {_key(r): r for r in after}
    changes = []
    for key in sorted(old.keys() | new.keys(), key=lambda k: tuple("" if x is None else str(x) for x in k)):
        a, b = old.get(key), new.get(key)
        va = a["valor"] if a is not None else None
        vb = b["valor"] if b is not None else None
        if _differs(va, vb) or (a is None) != (b is None):
            row = a if a is not None else b
            assert row is not None
            changes.append(FigureChange(str(row["codigo"]), int(row["anio"]), breakdown_label(row), va, vb))
    return changes


def compare_reported(before: Iterable[Mapping[str, Any]], after: Iterable[Mapping[str, Any]],
                     dependents: Mapping[str, list[str]]) -> list[ReportedChange]:
    """Reported values whose value or review status changed, appeared or disappeared."""
    def index(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, int], Mapping[str, Any]]:
        return {(str(r["variable"]), str(r["entidad"]), int(r["periodo"])): r for r in rows}

    old, new = index(before), index(after)
    out = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        pairs = ((a or {}).get("valor"), (b or {}).get("valor")), ((a or {}).get("estado"), (b or {}).get("estado"))
        if _differs(*pairs[0]) or pairs[1][0] != pairs[1][1]:
            out.append(ReportedChange(key[0], key[1], key[2], pairs[0][0], pairs[0][1], pairs[1][0], pairs[1][1],
                                      dependents.get(key[0], [])))
    return out


def diff_against_now(engine: Engine, settings: Settings, issued_id: int, *, actor: str = "cli",
                     today: date | None = None) -> ReportDiff:
    """What would change in issued report ``issued_id`` if it were issued from today's data.

    Computes the current run (``run_compute``, which reuses the run when nothing changed), then
    compares its values with the values the report was built from, and the current snapshot's
    manifest with the report's: changed tables with their row-count difference, changed reported
    values row by row, each mapped to the indicators that read them. The issued report itself is
    only read.

    Raises:
        NotFound: there is no such issued report, or no programme is loaded.
    """
    with Session(engine) as session:
        issued = get_issued(session, issued_id)
        inputs = issued_inputs(session, issued_id)
    outcome = run_compute(engine, settings, actor=actor, today=today)
    with Session(engine) as session:
        stored = current_programme_version(session)
        if stored is None:
            raise NotFound(t("No programme is loaded. Run `pade programme load`."))
        values = run_values(session, outcome.run_id)
        now_values = value_records(values[values["anio"] <= issued.period])  # the report shows no later year
    snap = snapshot_of(settings, outcome.snapshot_hash)
    figures = compare_values(inputs["values"], now_values)
    before_tables: dict[str, Any] = inputs["snapshot"]["tables"]
    after_tables = snapshot_manifest(snap)["tables"]
    dependents = table_dependents(stored.programme)
    tables = [TableChange(name, (before_tables.get(name) or {}).get("rows"), (after_tables.get(name) or {}).get("rows"),
                          dependents.get(name, []))
              for name in sorted(before_tables.keys() | after_tables.keys())
              if (before_tables.get(name) or {}).get("sha256") != (after_tables.get(name) or {}).get("sha256")]
    reported: list[ReportedChange] = []
    if any(tc.table == REPORTED_TABLE for tc in tables):
        reported = compare_reported(inputs["reported"], reported_rows(snap), variable_dependents(stored.programme))
        # Row by row we know which variables changed: name only the indicators that read those.
        readers = list(dict.fromkeys(code for r in reported for code in r.indicators))
        tables = [TableChange(tc.table, tc.rows_before, tc.rows_after, readers) if tc.table == REPORTED_TABLE else tc
                  for tc in tables]
    return ReportDiff(issued, outcome.run_id, issued.snapshot_hash, outcome.snapshot_hash,
                      stored.content_hash != issued.programme_hash, figures, tables, reported)
