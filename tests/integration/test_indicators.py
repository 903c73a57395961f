"""The indicator engine on a small fixture computed by hand, identical on every engine.

The fixture is loaded through the importer (the API batch path) into SQLite and into a real
PostgreSQL; DuckDB computes from the Parquet snapshot of either store, PostgreSQL computes
directly. Expected values are worked out in the comments.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine
from stdnum.pe import ruc as stdnum_ruc
from tests.conftest import fresh_pg_database

from pade.core.db import make_engine, migrate, session_factory, transaction
from pade.core.settings import Settings
from pade.indicators.engine import EngineName
from pade.indicators.service import run_compute, run_values, summarise_run
from pade.programme.loader import load_programme
from pade.programme.store import store_programme
from pade.records.batch import raw_from_rows
from pade.records.importer import import_raw, record_kind

TODAY = date(2026, 11, 26)


def ruc(n: int) -> str:
    body = f"20{n:08d}"
    return body + stdnum_ruc.calc_check_digit(body)


C1, C2, C3, C4 = ruc(1), ruc(2), ruc(3), ruc(4)


def load(engine: Engine, kind: str, rows: list[dict[str, Any]], entidad: str = "PRODUCE") -> None:
    report = import_raw(engine, record_kind(kind), raw_from_rows(rows), file_name=None, source="api",
                        entidad=entidad, actor="prueba", today=TODAY)
    errors = [i for i in report.issues if i.severity.value == "error"]
    assert errors == [], errors


def fixture_data(engine: Engine) -> None:
    with transaction(session_factory(engine)) as s:
        store_programme(s, load_programme(), actor="prueba")
    load(engine, "programa", [{"programa": code, "nombre": code, "entidad": ent} for code, ent in (
        ("PCE", "PRODUCE"), ("PEL", "PRODUCE"), ("ECT", "PROMPERÚ"), ("ATD", "PCM-SGTD"))])
    company = {"ubigeo": "150101", "ciiu": "47", "fecha": "2023-01-01"}
    load(engine, "empresa", [
        {**company, "ruc": C1, "razon_social": "Uno", "tamano": "micro", "exportador": "exportadora",
         "sexo_titular": "femenino"},
        {**company, "ruc": C2, "razon_social": "Dos", "tamano": "micro", "exportador": "con_potencial_exportador",
         "ubigeo": "040101", "sexo_titular": "masculino"},
        {**company, "ruc": C3, "razon_social": "Tres", "tamano": "mediana", "exportador": "no_exportadora"},
        {**company, "ruc": C4, "razon_social": "Cuatro", "tamano": "grande", "exportador": "exportadora",
         "ubigeo": "080101"},
        # C1 grows: small company from June 2025 (a new version of its attributes)
        {**company, "ruc": C1, "razon_social": "Uno Ampliada", "tamano": "pequena", "exportador": "exportadora",
         "sexo_titular": "femenino", "fecha": "2025-06-01"},
    ])
    load(engine, "tienda_virtual", [
        {"ruc": C1, "tienda_id": "T1", "fecha_apertura": "2023-03-01"},
        {"ruc": C2, "tienda_id": "T2", "fecha_apertura": "2024-02-01", "fecha_cierre": "2025-05-01"},
        {"ruc": C3, "tienda_id": "T3", "fecha_apertura": "2025-12-31"},
    ], "PROMPERÚ")
    load(engine, "inscripcion", [{"ruc": r, "programa": "PCE", "fecha_inscripcion": "2024-02-01"}
                                 for r in (C1, C2, C3, C4)])
    load(engine, "culminacion", [
        {"ruc": C1, "programa": "PCE", "fecha_culminacion": "2024-06-01", "resultado": "aprobado"},
        {"ruc": C2, "programa": "PCE", "fecha_culminacion": "2024-06-01", "resultado": "desaprobado"},
        {"ruc": C3, "programa": "PCE", "fecha_culminacion": "2024-06-01", "resultado": "aprobado"},
        {"ruc": C4, "programa": "PCE", "fecha_culminacion": "2024-06-01", "resultado": "aprobado"},
    ])
    load(engine, "adopcion_servicio", [
        {"ruc": C1, "tipo_servicio": "pagos_digitales", "fecha": "2023-05-01"},
        {"ruc": C1, "tipo_servicio": "nube", "fecha": "2024-05-01"},
        {"ruc": C2, "tipo_servicio": "pagos_digitales", "fecha": "2023-05-01"},
        {"ruc": C2, "tipo_servicio": "pagos_digitales", "fecha": "2024-05-01"},
        {"ruc": C3, "tipo_servicio": "crm", "fecha": "2024-03-01"},
        {"ruc": C3, "tipo_servicio": "gestion_erp", "fecha": "2024-04-01"},
        {"ruc": C4, "tipo_servicio": "crm", "fecha": "2023-03-01"},
        {"ruc": C4, "tipo_servicio": "nube", "fecha": "2023-04-01"},
    ])
    diag = {"cuestionario": "madurez_digital", "version": "1.0.0"}
    load(engine, "diagnostico", [
        {**diag, "ruc": C1, "fecha": "2024-03-01", "puntaje": 30, "nivel": "basico"},
        {**diag, "ruc": C1, "fecha": "2024-09-01", "puntaje": 40, "nivel": "avanzado"},
        {**diag, "ruc": C2, "fecha": "2024-05-01", "puntaje": 20, "nivel": "intermedio"},
        {**diag, "ruc": C3, "fecha": "2024-05-01", "puntaje": 90, "nivel": "experto"},
    ], "PNTE")
    load(engine, "mercado", [{"mercado_id": "M1", "nombre": "Mercado Uno", "ubigeo": "150101"},
                             {"mercado_id": "M2", "nombre": "Mercado Dos", "ubigeo": "080101"}])
    load(engine, "mercado_plataforma", [
        {"mercado_id": "M1", "plataforma": "App", "fecha_inicio": "2024-01-01"},
        {"mercado_id": "M2", "plataforma": "App", "fecha_inicio": "2023-05-01", "fecha_fin": "2024-06-30"},
    ])
    report = {"entidad": "PRODUCE", "evidencia": "Oficio 1"}
    load(engine, "valor_reportado", [
        # the market total comes from an old census: it must be carried into every later year
        {**report, "variable": "total_mercados_abasto", "periodo": 2016, "valor": 10, "estado": "aprobado"},
        {**report, "variable": "programas_implementados", "periodo": 2024, "valor": 1, "estado": "presentado"},
        {**report, "variable": "programas_implementados", "periodo": 2025, "valor": 3, "estado": "aprobado"},
        {**report, "variable": "instrumentos_aprobados", "periodo": 2025, "valor": 5, "estado": "presentado"},
    ])
    # the 2024 programmes value is corrected (2) and approved: a new revision replaces the submitted one
    load(engine, "valor_reportado", [{**report, "variable": "programas_implementados", "periodo": 2024, "valor": 2,
                                      "estado": "aprobado", "justificacion": "corregido"}])


def total(values: pd.DataFrame, code: str) -> dict[int, float | None]:
    rows = values[(values.codigo == code) & (values.desagregacion == "total")]
    return {int(a): (None if pd.isna(v) else round(float(v), 6)) for a, v in zip(rows.anio, rows.valor, strict=True)}


def cell(values: pd.DataFrame, code: str, year: int, grouping: str, **dims: str) -> float | None:
    rows = values[(values.codigo == code) & (values.anio == year) & (values.desagregacion == grouping)]
    for dim, value in dims.items():
        rows = rows[rows[dim] == value]
    assert len(rows) <= 1
    return None if rows.empty else round(float(rows.valor.iloc[0]), 6)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def computed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[tuple[Engine, Settings, pd.DataFrame]]:
    """The fixture loaded and computed once per backend for the whole module."""
    folder = tmp_path_factory.mktemp(f"ind-{request.param}")
    drop = None
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'pade.db'}"
    else:
        url, drop = fresh_pg_database(request.getfixturevalue("pg_server"))
    settings = Settings(database_url=url, data_dir=folder / "data")
    engine = make_engine(settings)
    migrate(engine)
    try:
        fixture_data(engine)
        outcome = run_compute(engine, settings, engine_name=EngineName.duckdb, years=range(2023, 2031), today=TODAY)
        with session_factory(engine)() as s:
            yield engine, settings, run_values(s, outcome.run_id)
    finally:
        engine.dispose()
        if drop is not None:
            drop()


def test_stock_of_stores_at_year_end(computed: tuple[Engine, Settings, pd.DataFrame]) -> None:
    values = computed[2]
    # 2023: T1 · 2024: T1, T2 · 2025: T2 closed in May, T3 opened 31 Dec → T1, T3 · 2026: T1, T3
    assert total(values, "OE1-01") == {2023: 1, 2024: 2, 2025: 2, 2026: 2}
    # attributes valid in the year: C1 is micro until its June 2025 version makes it small
    assert cell(values, "OE1-01", 2024, "tamano", tamano="micro") == 2
    assert cell(values, "OE1-01", 2025, "tamano", tamano="pequena") == 1
    assert cell(values, "OE1-01", 2025, "tamano", tamano="mediana") == 1
    assert cell(values, "OE1-01", 2024, "departamento", departamento="04") == 1  # C2 in Arequipa
    assert cell(values, "OE1-01", 2025, "departamento_tamano", departamento="15", tamano="pequena") == 1


def test_ratio_is_recomputed_per_breakdown_never_averaged(computed: tuple[Engine, Settings, pd.DataFrame]) -> None:
    values = computed[2]
    # OE1-05, MIPYME only (C4 is large): enrolled 2024 C1, C2, C3; succeeded C1, C3 → 2/3
    assert total(values, "OE1-05") == {2023: None, 2024: round(200 / 3, 6), 2025: None, 2026: None}
    row = values[(values.codigo == "OE1-05") & (values.anio == 2024) & (values.desagregacion == "total")].iloc[0]
    assert (row.numerador, row.denominador) == (2, 3)
    # by department: Lima (C1, C3) 2/2 = 100 %, Arequipa (C2) 0/1 = 0 % — the total is not their mean (50 %)
    assert cell(values, "OE1-05", 2024, "departamento", departamento="15") == 100
    assert cell(values, "OE1-05", 2024, "departamento", departamento="04") == 0


def test_at_least_two_services_cumulative(computed: tuple[Engine, Settings, pd.DataFrame]) -> None:
    # C1 reaches two types in 2024, C2 only ever has one type, C3 two in 2024, C4 is large (excluded)
    assert total(computed[2], "OE1-08") == {2023: 0, 2024: 2, 2025: 2, 2026: 2}


def test_maturity_index_uses_each_companys_last_diagnosis(computed: tuple[Engine, Settings, pd.DataFrame]) -> None:
    values = computed[2]
    # exporters and potential exporters only: C1 (last of 30, 40 → 40) and C2 (20) → (40 + 20) / 2 = 30
    assert total(values, "OE2-06")[2024] == 30
    # transition to advanced: C1 basico → avanzado in 2024; C3 was never below; C2 never reached it
    assert total(values, "OE2-09") == {2023: 0, 2024: 1, 2025: 1, 2026: 1}


def test_markets_against_a_reported_total_carried_forward(computed: tuple[Engine, Settings, pd.DataFrame]) -> None:
    # M2 uses a platform from May 2023 to June 2024, M1 from 2024: one market open at each year end,
    # over the total of 10 reported for 2016 (kept until a new value is reported)
    assert total(computed[2], "OE1-07") == {2023: 10, 2024: 10, 2025: 10, 2026: 10}


def test_only_approved_current_revisions_of_reported_values(computed: tuple[Engine, Settings, pd.DataFrame]
                                                            ) -> None:
    values = computed[2]
    # programmes: 2024 corrected to 2 and approved, 2025 3 approved → cumulative 2, 5; unknown before the
    # first report (no data, not zero)
    assert total(values, "OE2-07") == {2023: None, 2024: 2, 2025: 5, 2026: 5}
    # instruments: only a submitted (not approved) value → no data at all
    assert total(values, "OE2-08") == {2023: None, 2024: None, 2025: None, 2026: None}


def test_every_indicator_computes(computed: tuple[Engine, Settings, pd.DataFrame]) -> None:
    codes = {i.codigo for i in load_programme().indicadores()}
    assert set(computed[2].codigo) == codes
    assert computed[2].anio.max() == 2026  # years after the current one are never computed


def test_same_inputs_same_run_and_force(computed: tuple[Engine, Settings, pd.DataFrame]) -> None:
    engine, settings, _ = computed
    again = run_compute(engine, settings, years=range(2023, 2031), today=TODAY)
    assert not again.created
    forced = run_compute(engine, settings, years=range(2023, 2031), today=TODAY, force=True)
    assert forced.created and forced.run_id != again.run_id
    with session_factory(engine)() as s:
        a, b = run_values(s, again.run_id), run_values(s, forced.run_id)
    pd.testing.assert_frame_equal(a.drop(columns="medidas"), b.drop(columns="medidas"))


def test_summary_compares_with_targets(computed: tuple[Engine, Settings, pd.DataFrame]) -> None:
    engine = computed[0]
    with session_factory(engine)() as s:
        run, summaries = summarise_run(s)
    oe1_01 = next(x for x in summaries if x.indicator.codigo == "OE1-01")
    # baseline 950 (2023) → 1250 (2026): target 2026 = 1250; value 2 → compliance (2 − 950) / (1250 − 950) < 0
    assert oe1_01.latest_year == 2026 and oe1_01.target_latest == 1250
    assert oe1_01.compliance.value_pct == pytest.approx((2 - 950) / (1250 - 950) * 100)
    assert oe1_01.light.code == "rojo"
    assert run.snapshot_hash and run.programme_version == "1.0.0"


def test_engines_give_identical_results(computed: tuple[Engine, Settings, pd.DataFrame]) -> None:
    """DuckDB on the snapshot, and PostgreSQL directly when the store is PostgreSQL."""
    engine, settings, expected = computed
    if engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL engine computes on a PostgreSQL store; this is the SQLite store")
    pg = run_compute(engine, settings, engine_name=EngineName.postgres, years=range(2023, 2031), today=TODAY)
    with session_factory(engine)() as s:
        got = run_values(s, pg.run_id)
    pd.testing.assert_frame_equal(expected.drop(columns="medidas"), got.drop(columns="medidas"))
    assert list(expected.medidas) == list(got.medidas)


def test_spark_gives_identical_results(computed: tuple[Engine, Settings, pd.DataFrame]) -> None:
    """PySpark in local mode over the same Parquet snapshot (the optional extra; CI installs it)."""
    engine, settings, expected = computed
    if engine.dialect.name == "postgresql":
        pytest.skip("Spark reads the snapshot, whichever the store: checked once, on the SQLite store")
    spark = run_compute(engine, settings, engine_name=EngineName.spark, years=range(2023, 2031), today=TODAY)
    with session_factory(engine)() as s:
        got = run_values(s, spark.run_id)
    pd.testing.assert_frame_equal(expected.drop(columns="medidas"), got.drop(columns="medidas"))
