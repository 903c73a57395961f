"""Open outputs end to end: synthetic data → run → open data package and Open SDG files, on every store.

The package must validate with ``frictionless``, published numbers must equal the stored ones, no
suppressed cell may be derivable (the independent attacker of ``tests/unit/test_disclosure.py``), and no
personal RUC may appear in any file. The Open SDG files of a small fixture are golden files
(``tests/golden/opensdg/``; regenerate with ``PADE_UPDATE_GOLDEN=1``).
"""

from __future__ import annotations

import csv
import json
import math
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import frictionless
import pandas as pd
import pytest
from sqlalchemy import Engine
from tests.unit.test_disclosure import determined_cells, ratio, row

from pade.core.db import session_factory, transaction
from pade.core.settings import Settings
from pade.indicators.compile import DIMENSIONS
from pade.indicators.service import latest_run, run_compute, run_values
from pade.programme.loader import load_programme, shipped_programme
from pade.programme.store import store_programme
from pade.records.synth import load_demo
from pade.reports.disclosure import CellKey, personal_rucs, protect
from pade.reports.opendata import indicator_slug, publish_opendata
from pade.reports.opensdg import check_data_csv, check_meta, check_opensdg, opensdg_files, publish_opensdg

TODAY = date(2026, 11, 26)
GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "opensdg"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def computed(engine: Engine, settings: Settings, tmp_path: Path) -> Engine:
    with transaction(session_factory(engine)) as s:
        store_programme(s, load_programme(), actor="prueba")
    load_demo(engine, firms=2000, seed=1, work_dir=tmp_path / "synth", today=TODAY)
    run_compute(engine, settings, today=TODAY)
    return engine


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def key_of(r: dict[str, Any]) -> CellKey:
    return (str(r["desagregacion"]), *[(None if r[d] in ("", None) or r[d] != r[d] else str(r[d]))
                                       for d in DIMENSIONS])


def test_open_outputs_are_valid_safe_and_true_to_the_store(computed: Engine, tmp_path: Path) -> None:
    with session_factory(computed)() as s:
        path = publish_opendata(s, tmp_path / "abiertos", k=5, now=NOW)
        publish_opensdg(s, tmp_path / "sdg", k=5)
        run = latest_run(s)
        assert run is not None
        stored = run_values(s, run.id)
    check_open_data(path, run.id, run.snapshot_hash, run.programme_hash, stored)
    check_open_sdg(tmp_path / "sdg", protect(stored, shipped_programme(), k=5))


def check_open_data(path: Path, run_id: int, snapshot_hash: str, programme_hash: str, stored: pd.DataFrame) -> None:
    out = path.parent
    report = frictionless.validate(str(path))
    assert report.valid, report.flatten(["taskName", "rowNumber", "fieldName", "type", "note"])[:10]

    descriptor = json.loads(path.read_text(encoding="utf-8"))
    provenance = descriptor["pade:procedencia"]
    assert provenance["ejecucion"] == run_id and provenance["umbral_k"] == 5
    assert provenance["instantanea_hash"] == snapshot_hash and provenance["programa_hash"] == programme_hash
    assert provenance["motor"] == "duckdb" and provenance["generado"] == "2026-11-26T12:00:00Z"
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    programme = shipped_programme()
    assert [r["name"] for r in descriptor["resources"]] == [
        *[indicator_slug(i.codigo) for i in programme.indicadores()], "resumen", "programa"]

    states: dict[str, int] = {}
    for ind in programme.indicadores():
        rows = read_csv(out / "datos" / f"{indicator_slug(ind.codigo)}.csv")
        truth = {(int(r["anio"]), key_of(r)): r for r in stored[stored["codigo"] == ind.codigo].to_dict("records")}
        assert len(rows) == len(truth)
        for r in rows:
            states[r["estado"]] = states.get(r["estado"], 0) + 1
            db = truth[int(r["anio"]), key_of(r)]
            if r["estado"] == "suprimido":
                assert r["valor"] == r["numerador"] == r["denominador"] == ""
                continue
            for col in ("valor", "numerador", "denominador"):
                expected = db[col]
                if expected is None or (isinstance(expected, float) and math.isnan(expected)):
                    assert r[col] == ""
                else:
                    assert float(r[col]) == expected, (ind.codigo, col, r)
        by_year: dict[str, list[dict[str, str]]] = {}
        for r in rows:
            by_year.setdefault(r["anio"], []).append(r)
        for year_rows in by_year.values():
            keys = [key_of(r) for r in year_rows]
            hidden = {key_of(r) for r in year_rows if r["estado"] == "suprimido"}
            assert determined_cells(keys, hidden) == [], (ind.codigo, year_rows[0]["anio"])
    assert states["suprimido"] > 0 and states["publicado"] > states["suprimido"] / 10
    assert len(read_csv(out / "resumen.csv")) == 19
    assert list(personal_rucs(out)) == []


def check_open_sdg(out: Path, protected: pd.DataFrame) -> None:
    files = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in out.rglob("*") if p.is_file()}
    assert check_opensdg(files) == []
    for ind in shipped_programme().indicadores():
        mine = protected[protected["codigo"] == ind.codigo]
        shown = mine[(mine["estado"] == "publicado") & mine["valor"].notna()]
        data = out / "data" / f"indicator_{indicator_slug(ind.codigo)}.csv"
        assert (len(read_csv(data)) if data.exists() else 0) == len(shown)  # suppressed cells are left out
        assert (out / "meta" / f"{indicator_slug(ind.codigo)}.md").exists()
    assert list(personal_rucs(out)) == []


# -- golden files (no database) -------------------------------------------------------------------------

LIMA, AREQUIPA, CUSCO = "15", "04", "08"
GOLDEN_IDS = ("oe1-05", "oe2-04", "oe2-07")


def golden_values() -> pd.DataFrame:
    rows = []
    for year, (lima, arequipa, cusco) in {2025: ((30, 50), (12, 20), (3, 9)), 2026: ((40, 60), (15, 22), (6, 12))
                                          }.items():
        depts = {LIMA: lima, AREQUIPA: arequipa, CUSCO: cusco}
        rows.append(ratio("OE1-05", year, sum(v[0] for v in depts.values()), sum(v[1] for v in depts.values())))
        rows += [ratio("OE1-05", year, mc, mt, "departamento", departamento=d) for d, (mc, mt) in depts.items()]
        micro = {LIMA: (20, 30), AREQUIPA: (8, 14), CUSCO: (3, 9)}
        small = {d: (depts[d][0] - micro[d][0], depts[d][1] - micro[d][1]) for d in depts}
        for size, cells in (("micro", micro), ("pequena", small)):
            mc, mt = sum(v[0] for v in cells.values()), sum(v[1] for v in cells.values())
            rows.append(ratio("OE1-05", year, mc, mt, "tamano", tamano=size))
            rows += [ratio("OE1-05", year, c[0], c[1], "departamento_tamano", departamento=d, tamano=size)
                     for d, c in cells.items() if c[1] > 0]
    for year, counts in {2024: (10, 5, 5), 2025: (17, 10, 7), 2026: (25, 15, 10)}.items():
        rows.append(row("OE2-04", year, medidas={"N": float(counts[0])}))
        rows += [row("OE2-04", year, "departamento", departamento=d, medidas={"N": float(n)})
                 for d, n in zip((LIMA, CUSCO), counts[1:], strict=True)]
    rows += [row("OE2-07", year, medidas={"N": float(n)}) for year, n in ((2024, 4), (2025, 6), (2026, 8))]
    return pd.DataFrame(rows)


def test_open_sdg_files_match_the_golden_files() -> None:
    programme = shipped_programme()
    files = opensdg_files(programme, protect(golden_values(), programme, k=5), k=5)
    assert check_opensdg(files) == []
    wanted = {name: text for name, text in files.items()
              if any(name in (f"data/indicator_{i}.csv", f"meta/{i}.md") for i in GOLDEN_IDS)}
    assert len(wanted) == 2 * len(GOLDEN_IDS)
    if os.environ.get("PADE_UPDATE_GOLDEN") == "1":
        for name, text in wanted.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_text(text, encoding="utf-8", newline="\n")
    for name, text in wanted.items():
        assert (GOLDEN / name).read_text(encoding="utf-8") == text, name


def test_open_sdg_checks_report_every_problem() -> None:
    bad = "Year,Sexo ,Value\n2024,,1\nx,Femenino,abc\n2024,,2\n,,\n2025, Femenino,3\n"
    codes = [(i.code, i.row) for i in check_data_csv("data/indicator_x.csv", bad)]
    assert codes == [("cabecera_espacios", None), ("anio_no_numerico", 2), ("valor_no_numerico", 2),
                     ("fila_duplicada", 3), ("fila_vacia", 4), ("celda_espacios", 5)]
    assert [i.code for i in check_data_csv("d.csv", "Value,Year\n1,2024\n")] == ["primera_columna", "ultima_columna"]
    meta = {"reporting_status": "done", "indicator_name": "x", "graph_target_lines": [{"value": "alto"}],
            "progress_calculation_options": [{"direction": "up"}]}
    assert [i.code for i in check_meta("meta/x.md", meta)] == [
        "campo_requerido", "estado_invalido", "meta_no_numerica", "direccion_invalida"]
    assert [i.code for i in check_opensdg({"meta/x.md": "no front matter"})] == ["sin_cabecera"]
