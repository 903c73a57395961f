"""Synthetic data: every kind lands through the real importer, only the planted warnings, idempotent.

Runs on SQLite and on a real PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pyarrow.csv as pacsv  # type: ignore[import-untyped, unused-ignore]
import pytest
from sqlalchemy import Engine, func, select, text
from stdnum.pe import ruc as stdnum_ruc

from pade.core.db import session_factory, transaction
from pade.programme.loader import load_programme
from pade.programme.store import store_programme
from pade.records import synth
from pade.records.issues import Severity
from pade.records.kinds import KINDS
from pade.records.tables import RECORD_TABLES, QuarantineRow
from pade.registry.models import Company, CompanyVersion
from pade.registry.reference import ciiu_divisions, ubigeo_codes

TODAY = date(2026, 11, 26)
FIRMS = 2_000
SEED = 11


def _read(path: Path) -> list[dict[str, object]]:
    options = pacsv.ConvertOptions(strings_can_be_null=True, column_types={
        c: "string" for c in ("ruc", "ubigeo", "ciiu", "curso", "mercado_id")})
    rows: list[dict[str, object]] = pacsv.read_csv(path, convert_options=options).to_pylist()
    return rows


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return synth.generate(tmp_path_factory.mktemp("synth"), firms=FIRMS, seed=SEED, today=TODAY)


def test_generate_is_deterministic_and_covers_every_kind(files: dict[str, Path], tmp_path: Path) -> None:
    assert set(files) == {k.name for k in KINDS} == set(synth.LOAD_ORDER) == set(synth.REPORTING_ENTITY)
    again = synth.generate(tmp_path, firms=FIRMS, seed=SEED, today=TODAY)
    assert all(files[k].read_bytes() == again[k].read_bytes() for k in files)
    other = synth.generate(tmp_path / "otra", firms=FIRMS, seed=SEED + 1, today=TODAY)
    assert files["empresa"].read_bytes() != other["empresa"].read_bytes()


def test_companies_look_like_peru(files: dict[str, Path]) -> None:
    rows = _read(files["empresa"])
    rucs = [str(r["ruc"]) for r in rows]
    assert all(stdnum_ruc.is_valid(r) for r in rucs)
    firms = set(rucs)
    assert len(firms) == FIRMS and len(rows) > FIRMS  # some companies have a later version
    natural = sum(r.startswith("10") for r in firms) / FIRMS
    assert 0.15 < natural < 0.25
    departments = Counter(str(r["ubigeo"])[:2] for r in rows)
    assert departments.most_common(1)[0][0] == "15" and len(departments) == 25
    assert {str(r["ubigeo"]) for r in rows} <= ubigeo_codes("distrito")
    assert {str(r["ciiu"]) for r in rows} <= ciiu_divisions()
    assert Counter(str(r["ciiu"]) for r in rows).most_common(1)[0][0] == "47"
    assert all(r["fecha"] <= TODAY for r in rows)  # type: ignore[operator]
    declared = sum(r["tamano"] is not None for r in rows) / len(rows)
    assert 0.05 < declared < 0.15
    assert all((r["tamano"] is None) == (r["ventas_anuales"] is not None) for r in rows)


def test_scores_match_levels(files: dict[str, Path]) -> None:
    bands = {"inicial": (0, 20), "basico": (20, 40), "intermedio": (40, 60), "avanzado": (60, 80),
             "experto": (80, 100.1)}
    for r in _read(files["diagnostico"]):
        low, high = bands[str(r["nivel"])]
        assert low <= float(r["puntaje"]) < high  # type: ignore[arg-type]


@pytest.fixture
def store(engine: Engine) -> Engine:
    with transaction(session_factory(engine)) as s:
        store_programme(s, load_programme(), actor="prueba")
    return engine


def test_load_demo_lands_every_kind_once(store: Engine, tmp_path: Path) -> None:
    reports = synth.load_demo(store, firms=FIRMS, seed=SEED, work_dir=tmp_path, today=TODAY)

    assert [r.kind for r in reports] == list(synth.LOAD_ORDER)
    for report in reports:
        assert report.rows_loaded > 0, report.kind
        assert report.rows_quarantined == 0, (report.kind, report.counts)
        assert {i.severity for i in report.issues} <= {Severity.warning}, report.kind
    warnings = {r.kind: r.counts for r in reports if r.counts}
    assert set(warnings) == {"culminacion"} and set(warnings["culminacion"]) == {"culminacion_sin_inscripcion"}
    completions = next(r for r in reports if r.kind == "culminacion")
    assert 0 < completions.counts["culminacion_sin_inscripcion"] < 0.01 * completions.rows_total
    with store.connect() as conn:
        for kind, table in RECORD_TABLES.items():
            assert conn.execute(select(func.count()).select_from(table)).scalar_one() > 0, kind
        by_department = conn.execute(text(
            "SELECT substr(ubigeo, 1, 2), count(*) FROM company_version GROUP BY 1 ORDER BY 2 DESC")).all()
        sizes = dict(conn.execute(select(CompanyVersion.tamano, func.count()).group_by(CompanyVersion.tamano)).all())
        companies = conn.execute(select(func.count()).select_from(Company)).scalar_one()
        quarantined = conn.execute(select(func.count()).select_from(QuarantineRow)).scalar_one()
    assert by_department[0][0] == "15" and len(by_department) == 25
    assert sizes["micro"] > 0.85 * sum(sizes.values())
    assert companies == FIRMS  # every record names a company of the registry
    assert quarantined == 0

    again = synth.load_demo(store, firms=FIRMS, seed=SEED, work_dir=tmp_path / "otra_vez", today=TODAY)
    assert all(r.already_imported for r in again)
    with store.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Company)).scalar_one() == companies

