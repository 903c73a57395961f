"""Registry services on SQLite and PostgreSQL: company history, sizes, idempotent loads, entities, markets."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pade.programme.loader import shipped_programme
from pade.records.tables import ImportBatch
from pade.registry.models import Company, CompanyVersion, Entity, EntityUnit, Market
from pade.registry.service import (
    add_company_versions,
    add_markets,
    company_at,
    company_history,
    ensure_companies,
    sync_entities,
)

ACME = "20512333797"  # legal person
PERSON = "10054148289"  # natural person


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as s, s.begin():
        yield s


@pytest.fixture
def make_batch(session: Session) -> Callable[..., int]:
    counter = itertools.count(1)

    def make(**over: Any) -> int:
        n = next(counter)
        now = datetime(2025, 1, 1, tzinfo=UTC)
        values: dict[str, Any] = {
            "kind": "empresa", "source": "archivo", "file_name": f"empresas-{n}.csv", "file_hash": f"{n:064d}",
            "entidad": "PRODUCE", "actor": "tester", "started_at": now, "finished_at": now, "rows_total": 0,
            "rows_loaded": 0, "rows_quarantined": 0, "rows_unchanged": 0, "report": {},
        }
        batch = ImportBatch(**(values | over))
        session.add(batch)
        session.flush()
        return batch.id

    return make


def company_row(**over: Any) -> dict[str, Any]:
    """An ``empresa`` row as the importer hands it over (Python-typed)."""
    row: dict[str, Any] = {
        "ruc": ACME, "razon_social": "ACME S.A.C.", "ubigeo": "150101", "ciiu": "47", "ventas_anuales": None,
        "anio_ventas": None, "tamano": "micro", "exportador": "no_exportadora", "sexo_titular": None,
        "fecha": date(2024, 1, 1),
    }
    return row | over


def test_name_change_makes_two_versions(session: Session, make_batch: Callable[..., int]) -> None:
    batch = make_batch()
    added, unchanged = add_company_versions(session, [
        company_row(),
        company_row(razon_social="ACME PERÚ S.A.C.", fecha=date(2024, 6, 1)),
    ], batch_id=batch)
    assert (added, unchanged) == (2, 0)

    history = company_history(session, ACME)
    assert [v.razon_social for v in history] == ["ACME S.A.C.", "ACME PERÚ S.A.C."]
    assert [v.valid_from for v in history] == [date(2024, 1, 1), date(2024, 6, 1)]

    before = company_at(session, ACME, date(2023, 3, 1))
    between = company_at(session, ACME, date(2024, 3, 1))
    on_change = company_at(session, ACME, date(2024, 6, 1))
    after = company_at(session, ACME, date(2030, 1, 1))
    assert before is not None and between is not None and on_change is not None and after is not None
    assert before.razon_social == "ACME S.A.C."  # first seen later: described by its first attributes
    assert between.razon_social == "ACME S.A.C."
    assert on_change.razon_social == "ACME PERÚ S.A.C."
    assert after.razon_social == "ACME PERÚ S.A.C."
    assert after.first_seen == date(2024, 1, 1)
    assert after.persona_natural is False
    assert (after.departamento, after.ciiu, after.seccion_ciiu) == ("15", "47", "G")


def test_unknown_company(session: Session) -> None:
    assert company_at(session, ACME, date(2024, 1, 1)) is None
    assert company_history(session, ACME) == []


def test_natural_person_is_flagged(session: Session, make_batch: Callable[..., int]) -> None:
    add_company_versions(session, [company_row(ruc=PERSON, razon_social="PÉREZ QUISPE JUAN")],
                         batch_id=make_batch())
    view = company_at(session, PERSON, date(2024, 1, 1))
    assert view is not None and view.persona_natural is True


def test_size_derived_from_sales_or_declared(session: Session, make_batch: Callable[..., int]) -> None:
    batch = make_batch()
    uit_2024 = Decimal(5150)
    add_company_versions(session, [
        # Exactly 150 UIT of 2024 is still micro; the declared "grande" is overridden by the sales.
        company_row(ruc=ACME, ventas_anuales=150 * uit_2024, anio_ventas=2024, tamano="grande"),
        company_row(ruc="20131312955", ventas_anuales=Decimal("772500.01"), anio_ventas=2024, tamano=None),
        company_row(ruc=PERSON, tamano="pequena"),
        # No UIT for 2019: the declared class is kept.
        company_row(ruc="20100047218", ventas_anuales=Decimal(10_000_000), anio_ventas=2019, tamano="mediana"),
    ], batch_id=batch)
    day = date(2024, 12, 31)
    sizes = {ruc: company_at(session, ruc, day) for ruc in (ACME, "20131312955", PERSON, "20100047218")}
    assert {r: (v.tamano, v.tamano_origen) for r, v in sizes.items() if v is not None} == {
        ACME: ("micro", "ventas"),
        "20131312955": ("pequena", "ventas"),
        PERSON: ("pequena", "declarado"),
        "20100047218": ("mediana", "declarado"),
    }


def test_re_adding_the_same_rows_changes_nothing(session: Session, make_batch: Callable[..., int]) -> None:
    sales = {"ventas_anuales": Decimal("1234567.891"), "anio_ventas": 2023}  # stored rounded to cents
    rows = [
        company_row(**sales),
        company_row(**sales, fecha=date(2024, 3, 1)),  # same attributes as in force: unchanged
        company_row(**sales, razon_social="ACME PERÚ S.A.C.", fecha=date(2024, 6, 1)),
        company_row(ruc=PERSON),
    ]
    assert add_company_versions(session, rows, batch_id=make_batch()) == (3, 1)
    assert add_company_versions(session, rows, batch_id=make_batch()) == (0, 4)
    assert session.scalar(select(func.count()).select_from(CompanyVersion)) == 3
    assert session.scalar(select(func.count()).select_from(Company)) == 2


def test_later_load_adds_only_changes(session: Session, make_batch: Callable[..., int]) -> None:
    add_company_versions(session, [company_row()], batch_id=make_batch())
    added = add_company_versions(session, [
        company_row(fecha=date(2025, 1, 1)),  # same attributes: unchanged
        company_row(fecha=date(2025, 2, 1), ubigeo="070101"),  # moved to Callao
        company_row(fecha=date(2023, 1, 1)),  # seen earlier than first_seen
    ], batch_id=make_batch())
    assert added == (2, 1)
    view = company_at(session, ACME, date(2025, 3, 1))
    assert view is not None
    assert (view.ubigeo, view.departamento, view.first_seen) == ("070101", "07", date(2023, 1, 1))


def test_ensure_companies(session: Session, make_batch: Callable[..., int]) -> None:
    batch = make_batch(kind="inscripcion")
    add_company_versions(session, [company_row()], batch_id=batch)
    created = ensure_companies(session, [
        (PERSON, date(2024, 5, 1)), (PERSON, date(2024, 2, 1)), (ACME, date(2024, 3, 1)),
    ], batch_id=batch)
    assert created == 1
    bare = company_at(session, PERSON, date(2024, 6, 1))
    assert bare is not None
    assert (bare.first_seen, bare.persona_natural, bare.razon_social, bare.valid_from) == \
        (date(2024, 2, 1), True, None, None)
    assert company_history(session, PERSON) == []
    assert ensure_companies(session, [(PERSON, date(2024, 1, 1))], batch_id=batch) == 0
    again = company_at(session, PERSON, date(2024, 6, 1))
    assert again is not None and again.first_seen == date(2024, 1, 1)
    assert ensure_companies(session, [], batch_id=batch) == 0


def test_bare_company_gets_its_first_version(session: Session, make_batch: Callable[..., int]) -> None:
    ensure_companies(session, [(ACME, date(2024, 1, 1))], batch_id=make_batch())
    assert add_company_versions(session, [company_row(fecha=date(2024, 4, 1))], batch_id=make_batch()) == (1, 0)
    view = company_at(session, ACME, date(2024, 2, 1))
    assert view is not None and view.razon_social == "ACME S.A.C." and view.first_seen == date(2024, 1, 1)


def test_sync_entities_is_idempotent(session: Session) -> None:
    programme = shipped_programme()
    expected = len(programme.entidades) + sum(len(e.subunidades) for e in programme.entidades)
    assert sync_entities(session, programme) == expected
    assert sync_entities(session, programme) == 0
    assert session.scalar(select(func.count()).select_from(Entity)) == len(programme.entidades)
    assert session.scalar(select(func.count()).select_from(EntityUnit)) == expected - len(programme.entidades)
    assert session.get(EntityUnit, ("MINCETUR", "DGPDCE")) is not None


def test_add_markets_keeps_the_first(session: Session, make_batch: Callable[..., int]) -> None:
    batch = make_batch(kind="mercado")
    rows = [
        {"mercado_id": "M-001", "nombre": "Mercado Central", "ubigeo": "150101", "row_number": 2},
        {"mercado_id": "M-002", "nombre": "Mercado Modelo", "ubigeo": "070101", "row_number": 3},
    ]
    assert add_markets(session, rows, batch_id=batch) == (2, 0)
    changed = [rows[0], {**rows[1], "nombre": "Mercado Modelo del Callao"}, {**rows[0], "mercado_id": "M-003"}]
    assert add_markets(session, changed, batch_id=batch) == (1, 2)
    market = session.get(Market, "M-002")
    assert market is not None and market.nombre == "Mercado Modelo"
