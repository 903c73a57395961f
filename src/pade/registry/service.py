"""Registry use cases: companies with dated history, markets and the programme's entities.

Every function takes a SQLAlchemy :class:`~sqlalchemy.orm.Session` and never
commits: the caller owns the transaction, so an import that fails half-way
leaves nothing behind. The bulk paths (:func:`add_company_versions`,
:func:`add_markets`) load what exists for the keys involved in a few chunked
queries and insert with one executemany per table. :func:`ensure_companies`,
which sees every RUC of a record import, asks nothing first: it upserts through
the driver (SQLite) or merges from a COPY-filled temporary table (PostgreSQL).
"""

from __future__ import annotations

import bisect
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, insert, select, text, update
from sqlalchemy.orm import Session

from pade.programme.models import Programa
from pade.registry.models import Company, CompanyVersion, Entity, EntityUnit, Market
from pade.registry.reference import ciiu_divisions, ciiu_section_of, size_class_from_sales, ubigeo_codes, uit_years
from pade.registry.ruc import NATURAL_PERSON_PREFIXES, is_natural_person

log = logging.getLogger(__name__)

# SQLite allows 999 bound parameters per statement in older builds.
CHUNK = 900
# Bulk inserts go through the Core tables: the ORM's bulk path costs about as much again per row.
_COMPANY = Company.metadata.tables["company"]
_COMPANY_VERSION = CompanyVersion.metadata.tables["company_version"]
_MARKET = Market.metadata.tables["market"]
_SEEN = "pade_tmp_company_seen"  # temporary: the RUCs and dates of one ensure_companies call
# Rows per INSERT statement on SQLite (fewer if the build allows fewer bound parameters): a multi-row
# VALUES costs about half as much per row as one statement per row.
SQLITE_ROWS_PER_INSERT = 200
_CENT = Decimal("0.01")  # company_version.ventas_anuales is Numeric(18, 2)

# The attributes that make a version: two rows with equal values are the same version.
VERSION_ATTRS = ("razon_social", "ubigeo", "ciiu", "tamano", "tamano_origen", "ventas_anuales", "anio_ventas",
                 "exportador", "sexo_titular")


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start: start + CHUNK]


# -- entities -------------------------------------------------------------------

def entity_codes(session: Session) -> list[str]:
    """The codes (siglas) of the entities in the registry, sorted."""
    return list(session.scalars(select(Entity.siglas).order_by(Entity.siglas)))


def sync_entities(session: Session, programme: Programa) -> int:
    """Upsert ``entity`` and ``entity_unit`` rows from ``programme.entidades``.

    A new entity or unit is added; a changed name is updated in place. Entities
    the programme no longer lists are kept (records may still name them).
    Running it twice adds nothing the second time.

    Returns:
        The number of rows added (entities plus units).
    """
    entities = {e.siglas: e for e in session.scalars(select(Entity))}
    units = {(u.entidad, u.siglas): u for u in session.scalars(select(EntityUnit))}
    added = 0
    for ent in programme.entidades:
        row = entities.get(ent.siglas)
        if row is None:
            session.add(Entity(siglas=ent.siglas, nombre=ent.nombre))
            added += 1
        elif row.nombre != ent.nombre:
            row.nombre = ent.nombre
        for sub in ent.subunidades:
            unit = units.get((ent.siglas, sub.siglas))
            if unit is None:
                session.add(EntityUnit(entidad=ent.siglas, siglas=sub.siglas, nombre=sub.nombre))
                added += 1
            elif unit.nombre != sub.nombre:
                unit.nombre = sub.nombre
    session.flush()
    log.info("entities synced added=%d", added)
    return added


# -- companies: reading -----------------------------------------------------------

@dataclass(frozen=True)
class CompanyView:
    """A company with the attributes valid at a date (all None for a company with no version yet)."""

    ruc: str
    persona_natural: bool
    first_seen: date
    razon_social: str | None = None
    ubigeo: str | None = None
    departamento: str | None = None  # 2-digit INEI code, from the ubigeo
    ciiu: str | None = None
    seccion_ciiu: str | None = None
    tamano: str | None = None
    tamano_origen: str | None = None  # "ventas" (derived from sales) | "declarado"
    exportador: str | None = None
    sexo_titular: str | None = None
    valid_from: date | None = None


def _view(company: Company, version: CompanyVersion | None) -> CompanyView:
    if version is None:
        return CompanyView(company.ruc, company.persona_natural, company.first_seen)
    ubigeo, ciiu = version.ubigeo, version.ciiu
    return CompanyView(
        ruc=company.ruc, persona_natural=company.persona_natural, first_seen=company.first_seen,
        razon_social=version.razon_social, ubigeo=ubigeo,
        # Stored codes were checked at import; one INEI or CIIU later drops reads as unknown, not as an error.
        departamento=ubigeo[:2] if ubigeo and ubigeo in ubigeo_codes() else None,
        ciiu=ciiu, seccion_ciiu=ciiu_section_of(ciiu) if ciiu and ciiu[:2] in ciiu_divisions() else None,
        tamano=version.tamano, tamano_origen=version.tamano_origen, exportador=version.exportador,
        sexo_titular=version.sexo_titular, valid_from=version.valid_from,
    )


def company_at(session: Session, ruc: str, on: date) -> CompanyView | None:
    """The company ``ruc`` as it was on ``on``.

    The attributes are those of the version with the greatest ``valid_from`` not after
    ``on`` (of two versions with the same date, the later-loaded one: a correction).
    When every version is later than ``on``, the earliest version is used: a company
    first seen after ``on`` is described by its first known attributes, so a record
    dated before the registry knew the company is still classified rather than dropped.
    A company with no version at all (see :func:`ensure_companies`) has only its RUC,
    ``persona_natural`` and ``first_seen``.

    Returns:
        The view, or None if the RUC is not in the registry.
    """
    return companies_at(session, [ruc], on).get(ruc)


def companies_at(session: Session, rucs: Iterable[str], on: date) -> dict[str, CompanyView]:
    """:func:`company_at` for many companies with two queries: the view of each RUC in the registry."""
    wanted = sorted(set(rucs))
    out: dict[str, CompanyView] = {}
    for i in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[i:i + _IN_CHUNK]
        companies = {c.ruc: c for c in session.scalars(select(Company).where(Company.ruc.in_(chunk)))}
        versions: dict[str, list[CompanyVersion]] = {}
        for v in session.scalars(select(CompanyVersion).where(CompanyVersion.ruc.in_(list(companies)))):
            versions.setdefault(v.ruc, []).append(v)
        for ruc, company in companies.items():
            known = versions.get(ruc, [])
            before = [v for v in known if v.valid_from <= on]
            # the latest version not after ``on`` (a correction wins a tie), else the earliest one
            version = (max(before, key=lambda v: (v.valid_from, v.id)) if before
                       else min(known, key=lambda v: (v.valid_from, -v.id)) if known else None)
            out[ruc] = _view(company, version)
    return out


_IN_CHUNK = 500  # RUCs per IN (...) list


def company_history(session: Session, ruc: str) -> list[CompanyView]:
    """Every version of the company ``ruc``, oldest first; empty if unknown or without versions."""
    company = session.get(Company, ruc)
    if company is None:
        return []
    versions = session.scalars(
        select(CompanyVersion).where(CompanyVersion.ruc == ruc).order_by(CompanyVersion.valid_from, CompanyVersion.id)
    )
    return [_view(company, v) for v in versions]


# -- companies: bulk loading --------------------------------------------------------

def _size(row: dict[str, Any], ventas: Decimal | None, known_years: frozenset[int]) -> tuple[str | None, str | None]:
    """``(tamano, tamano_origen)``: derived from sales when their year has a UIT, else as declared."""
    year = row.get("anio_ventas")
    if ventas is not None and year is not None and year in known_years and not ventas.is_nan():
        return size_class_from_sales(ventas, year), "ventas"
    declared = row.get("tamano")
    return (declared, "declarado") if declared is not None else (None, None)


def _version_values(row: dict[str, Any], known_years: frozenset[int]) -> dict[str, Any]:
    ventas = row.get("ventas_anuales")
    if ventas is not None:
        ventas = Decimal(ventas).quantize(_CENT)  # as stored, so a re-import compares equal
    tamano, origen = _size(row, ventas, known_years)
    return {
        "razon_social": row.get("razon_social"), "ubigeo": row.get("ubigeo"), "ciiu": row.get("ciiu"),
        "tamano": tamano, "tamano_origen": origen, "ventas_anuales": ventas, "anio_ventas": row.get("anio_ventas"),
        "exportador": row.get("exportador"), "sexo_titular": row.get("sexo_titular"),
    }


def _existing_first_seen(session: Session, rucs: Sequence[str]) -> dict[str, date]:
    found: dict[str, date] = {}
    for chunk in _chunks(rucs):
        stmt = select(Company.ruc, Company.first_seen).where(Company.ruc.in_(chunk))
        found.update((ruc, first_seen) for ruc, first_seen in session.execute(stmt))
    return found


def _existing_versions(session: Session, rucs: Sequence[str]) -> dict[str, list[tuple[date, int, tuple[Any, ...]]]]:
    """``ruc → [(valid_from, id, attrs)]`` sorted, for the companies given."""
    cols = [getattr(CompanyVersion, a) for a in VERSION_ATTRS]
    found: dict[str, list[tuple[date, int, tuple[Any, ...]]]] = {}
    for chunk in _chunks(rucs):
        stmt = select(CompanyVersion.ruc, CompanyVersion.valid_from, CompanyVersion.id, *cols).where(
            CompanyVersion.ruc.in_(chunk))
        for ruc, valid_from, vid, *attrs in session.execute(stmt):
            found.setdefault(ruc, []).append((valid_from, vid, tuple(attrs)))
    for versions in found.values():
        versions.sort(key=lambda v: (v[0], v[1]))
    return found


def _upsert_companies(session: Session, earliest: dict[str, date], *, batch_id: int) -> int:
    """Create unknown companies and move ``first_seen`` back when an earlier date shows up."""
    known = _existing_first_seen(session, sorted(earliest))
    new = [{"ruc": r, "persona_natural": is_natural_person(r), "first_seen": d, "batch_id": batch_id}
           for r, d in earliest.items() if r not in known]
    earlier = [{"ruc": r, "first_seen": d} for r, d in earliest.items() if r in known and d < known[r]]
    if new:
        session.execute(insert(_COMPANY), new)
    if earlier:
        session.execute(update(Company), earlier)
    return len(new)


def add_company_versions(session: Session, rows: list[dict[str, Any]], *, batch_id: int) -> tuple[int, int]:
    """Load ``empresa`` rows: create unknown companies and add a version where attributes changed.

    Each row has the ``empresa`` kind's fields with Python values (``ruc`` already
    normalised, ``fecha``: date, ``ventas_anuales``: Decimal | None, ``anio_ventas``:
    int | None, ``tamano``: declared class or None, …) and optionally ``row_number``.
    For each row, in date order per RUC:

    - the company is created if unknown (``first_seen`` = its earliest ``fecha``,
      ``persona_natural`` from the RUC prefix); a known company seen earlier than its
      ``first_seen`` gets that earlier date;
    - ``tamano`` is derived from ``ventas_anuales`` and ``anio_ventas`` (``tamano_origen``
      = ``"ventas"``) when both are given and the year has a UIT, else the declared
      class is kept (``"declarado"``);
    - a version valid from ``fecha`` is inserted unless the version in force on that
      date has identical attributes (then the row counts as unchanged). A new name for
      a known RUC is the same company with a new version. A row dated before every
      version of its company is in force nowhere yet, so it is always inserted.

    Returns:
        ``(versions_added, unchanged)``.
    """
    if not rows:
        return 0, 0
    known_years = frozenset(uit_years())
    by_ruc: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_ruc.setdefault(row["ruc"], []).append(row)
    rucs = sorted(by_ruc)
    _upsert_companies(session, {r: min(x["fecha"] for x in by_ruc[r]) for r in rucs}, batch_id=batch_id)
    existing = _existing_versions(session, rucs)

    to_insert: list[dict[str, Any]] = []
    unchanged = 0
    seq = 1 << 62  # versions added here sort after stored ones of the same date
    for ruc in rucs:
        versions = existing.get(ruc, [])
        keys = [(v[0], v[1]) for v in versions]
        for row in sorted(by_ruc[ruc], key=lambda x: x["fecha"]):
            values = _version_values(row, known_years)
            attrs = tuple(values[a] for a in VERSION_ATTRS)
            at = bisect.bisect_right(keys, (row["fecha"], 1 << 63)) - 1
            if at >= 0 and versions[at][2] == attrs:
                unchanged += 1
                continue
            seq += 1
            versions.insert(at + 1, (row["fecha"], seq, attrs))
            keys.insert(at + 1, (row["fecha"], seq))
            to_insert.append({"ruc": ruc, "valid_from": row["fecha"], **values, "batch_id": batch_id,
                              "row_number": row.get("row_number")})
    if to_insert:
        session.execute(insert(_COMPANY_VERSION), to_insert)
    log.info("company versions loaded batch_id=%d added=%d unchanged=%d", batch_id, len(to_insert), unchanged)
    return len(to_insert), unchanged


def ensure_companies(session: Session, rucs_and_dates: Iterable[tuple[str, date]] | pa.Table, *,
                     batch_id: int) -> int:
    """Create bare companies (no version) for RUCs the registry does not know yet.

    Used when a record names a RUC that no ``empresa`` import has described.
    ``first_seen`` is the earliest date given for each RUC; a known company whose
    ``first_seen`` is later than that date gets the earlier one.

    Args:
        session: the caller's session; nothing is committed.
        rucs_and_dates: ``(ruc, date)`` pairs, or a pyarrow table with a string column
            ``ruc`` and a date column ``fecha`` (the importer's path: no Python object per row).
        batch_id: the import batch that creates the companies.

    Returns:
        The number of companies created.
    """
    seen = rucs_and_dates if isinstance(rucs_and_dates, pa.Table) else _seen_table(rucs_and_dates)
    if not seen.num_rows:
        return 0
    # Sorted by RUC, so the company primary key grows in order rather than at random places.
    if seen.num_rows == 1:  # a form submission: Acero's group-by costs more than the rest of this call
        earliest = pa.table({"ruc": seen.column("ruc"), "fecha_min": seen.column("fecha")})
    else:
        earliest = seen.group_by("ruc").aggregate([("fecha", "min")]).sort_by("ruc")
    rucs = earliest.column("ruc")
    natural = pc.is_in(pc.utf8_slice_codeunits(rucs, 0, 2),
                       value_set=pa.array(sorted(NATURAL_PERSON_PREFIXES), pa.string()))
    session.flush()
    conn = session.connection()
    columns = [rucs, natural, earliest.column("fecha_min")]
    if conn.dialect.name == "postgresql":
        created, moved = _merge_seen_postgresql(conn, columns, batch_id)
    else:
        created, moved = _merge_seen_sqlite(conn, columns, batch_id)
    if moved:  # dates moved outside the ORM: loaded companies must not keep the old one
        for obj in list(session.identity_map.values()):
            if isinstance(obj, Company):
                session.expire(obj, ["first_seen"])
    log.info("companies ensured batch_id=%d created=%d first_seen_moved=%d", batch_id, created, moved)
    return int(created)


def _seen_table(rucs_and_dates: Iterable[tuple[str, date]]) -> pa.Table:
    pairs = list(rucs_and_dates)
    return pa.table({"ruc": pa.array([r for r, _ in pairs], pa.string()),
                     "fecha": pa.array([d for _, d in pairs], pa.date32())})


def _merge_seen_postgresql(conn: Connection, columns: list[pa.Array | pa.ChunkedArray], batch_id: int
                           ) -> tuple[int, int]:
    """COPY (ruc, persona_natural, first_seen) into a temporary table, then update and insert from it."""
    conn.execute(text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {_SEEN} "
                      "(ruc TEXT NOT NULL, persona_natural BOOLEAN NOT NULL, first_seen DATE NOT NULL)"))
    conn.execute(text(f"DELETE FROM {_SEEN}"))
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {_SEEN} (ruc, persona_natural, first_seen) FROM STDIN") as copy:
            for row in zip(*(c.to_pylist() for c in columns), strict=True):
                copy.write_row(row)
    finally:
        cursor.close()
    moved = conn.execute(text(
        f"UPDATE company SET first_seen = t.first_seen FROM {_SEEN} t "
        "WHERE company.ruc = t.ruc AND t.first_seen < company.first_seen")).rowcount
    created = conn.execute(text(
        f"INSERT INTO company (ruc, persona_natural, first_seen, batch_id) "
        f"SELECT ruc, persona_natural, first_seen, :batch_id FROM {_SEEN} "
        "ON CONFLICT (ruc) DO NOTHING"), {"batch_id": batch_id}).rowcount
    return int(created), int(moved)


def _merge_seen_sqlite(conn: Connection, columns: list[pa.Array | pa.ChunkedArray], batch_id: int
                       ) -> tuple[int, int]:
    """Upsert (ruc, persona_natural, first_seen) with multi-row INSERTs through the driver.

    The driver's row count adds moved dates to created companies, so created is the table's growth:
    the rows whose rowid is above the largest one before (new rows get larger rowids; counting the
    whole table instead costs a scan of it on every import, a form submission included).
    """
    before = int(conn.exec_driver_sql("SELECT coalesce(max(rowid), 0) FROM company").scalar_one())
    # SQLAlchemy's SQLite Date is 'YYYY-MM-DD' text: bind the same text, made by pyarrow.
    values = [c.to_pylist() for c in (*columns[:2], pc.cast(columns[2], pa.string()))]
    flat: list[Any] = [None] * (3 * len(values[0]))
    for j, col in enumerate(values):
        flat[j::3] = col
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    limit = int(cursor.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    per = max(1, min(SQLITE_ROWS_PER_INSERT, limit // 3))
    head = "INSERT INTO company (ruc, persona_natural, first_seen, batch_id) VALUES "
    one = f"(?, ?, ?, {int(batch_id)})"
    tail = (" ON CONFLICT (ruc) DO UPDATE SET first_seen = excluded.first_seen "
            "WHERE excluded.first_seen < company.first_seen")
    step = 3 * per
    full = len(flat) // step * step
    try:
        changed = 0
        if full:  # preparing the multi-row statement costs more than a small batch's insert
            cursor.executemany(head + ", ".join([one] * per) + tail,
                               [flat[i:i + step] for i in range(0, full, step)])
            changed += max(cursor.rowcount, 0)
        if full < len(flat):
            cursor.executemany(head + one + tail, [flat[i:i + 3] for i in range(full, len(flat), 3)])
            changed += max(cursor.rowcount, 0)
    finally:
        cursor.close()
    created = int(conn.exec_driver_sql("SELECT count(*) FROM company WHERE rowid > ?", (before,)).scalar_one())
    return created, changed - created


# -- markets --------------------------------------------------------------------

def add_markets(session: Session, rows: list[dict[str, Any]], *, batch_id: int) -> tuple[int, int]:
    """Insert markets (``mercado_id``, ``nombre``, ``ubigeo``, optional ``row_number``) not yet known.

    Limitation: ``market`` is keyed by ``mercado_id`` and not versioned, so a known
    id keeps its first name and ubigeo. A row for a known id, identical or not,
    counts as unchanged (a changed one is logged); the same goes for a repeated id
    within ``rows``, where the first row wins.

    Returns:
        ``(added, unchanged)``.
    """
    ids = sorted({r["mercado_id"] for r in rows})
    known: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(ids):
        stmt = select(Market.mercado_id, Market.nombre, Market.ubigeo).where(Market.mercado_id.in_(chunk))
        known.update((mid, (nombre, ubigeo)) for mid, nombre, ubigeo in session.execute(stmt))
    to_insert: list[dict[str, Any]] = []
    unchanged = 0
    for row in rows:
        mid = row["mercado_id"]
        if mid in known:
            unchanged += 1
            if known[mid] != (row["nombre"], row["ubigeo"]):
                log.warning("market changed, first kept mercado_id=%s batch_id=%d", mid, batch_id)
            continue
        known[mid] = (row["nombre"], row["ubigeo"])
        to_insert.append({"mercado_id": mid, "nombre": row["nombre"], "ubigeo": row["ubigeo"],
                          "batch_id": batch_id, "row_number": row.get("row_number")})
    if to_insert:
        session.execute(insert(_MARKET), to_insert)
    return len(to_insert), unchanged
