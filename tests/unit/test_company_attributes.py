"""The company attributes by span of years (compile.company_attributes) pick, for every company and year, the
version the definition names: the latest dated on or before 31 December (ties: the highest id), else the
earliest (ties: the highest id). Checked against that definition applied by brute force on random versions,
with several versions in one year, equal dates and years before a company's first version."""

from __future__ import annotations

import random
from datetime import date

import ibis
import pyarrow as pa
import pytest

from pade.indicators.compile import DIMENSIONS, UNKNOWN, company_attributes, unbound_tables
from pade.indicators.snapshot import _ciiu_table, canonical_schemas, derive_company_attributes


def _versions(seed: int, companies: int, ruc: str) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for n in range(companies):
        for _ in range(rng.choice([1, 1, 2, 3, 4])):
            year = rng.choice([2019, 2021, 2021, 2022])
            rows.append({"ruc": ruc.format(n), "valid_from": date(year, rng.choice([1, 6]), rng.choice([1, 15])),
                         "ubigeo": rng.choice(["150101", "040101", None]), "ciiu": rng.choice(["4711", "0111", None]),
                         "tamano": rng.choice(["micro", "pequena", None]), "exportador": "exportadora",
                         "sexo_titular": rng.choice(["femenino", None])})
    rng.shuffle(rows)
    for i, row in enumerate(rows, start=1):  # ids in random order against the dates
        row["id"] = rng.randrange(10**6) * 1000 + i
    return rows


def _expected(versions: list[dict[str, object]], year: int) -> dict[str, object]:
    before = [v for v in versions if v["valid_from"].year <= year]  # type: ignore[union-attr]
    if before:
        return max(before, key=lambda v: (v["valid_from"], v["id"]))
    return min(versions, key=lambda v: (v["valid_from"], -v["id"]))  # type: ignore[operator]


@pytest.mark.parametrize("ruc", ["2{:010d}", "R{}"])  # a RUC, and a key that is not one (never expected)
def test_spans_pick_the_version_valid_in_each_year(ruc: str) -> None:
    rows = _versions(seed=7, companies=400, ruc=ruc)
    schema = canonical_schemas()["company_version"]
    table = pa.Table.from_pylist([{f.name: r.get(f.name) for f in schema} for r in rows], schema=schema)
    con = ibis.duckdb.connect()
    con.create_table("company_version", table)
    con.create_table("ref_ciiu", _ciiu_table())
    spans = con.execute(company_attributes(unbound_tables()))
    # the snapshot's copy (derived when the snapshot is taken) is the same table
    derived = derive_company_attributes(table).to_pandas()
    key = ["a_ruc", "a_from"]
    assert derived.sort_values(key).reset_index(drop=True).equals(
        spans.sort_values(key).reset_index(drop=True)[list(derived.columns)])
    spans = spans.fillna({d: UNKNOWN for d in DIMENSIONS})  # the engine labels a missing attribute on the join
    by_ruc: dict[str, list[dict[str, object]]] = {}
    for r in rows:
        by_ruc.setdefault(str(r["ruc"]), []).append(r)
    sections = dict(zip(_ciiu_table()["division"].to_pylist(), _ciiu_table()["seccion"].to_pylist(), strict=True))
    checked = 0
    for ruc, versions in by_ruc.items():
        own = spans[spans.a_ruc == ruc]
        for year in range(2015, 2031):
            hit = own[(own.a_from <= year) & (own.a_to > year)]
            assert len(hit) == 1, (ruc, year, own)
            v = _expected(versions, year)
            ciiu = v["ciiu"]
            want = {"departamento": str(v["ubigeo"])[:2] if v["ubigeo"] else UNKNOWN,
                    "tamano": v["tamano"] or UNKNOWN, "exportador": v["exportador"] or UNKNOWN,
                    "sexo_titular": v["sexo_titular"] or UNKNOWN,
                    "seccion_ciiu": sections.get(str(ciiu)[:2], UNKNOWN) if ciiu else UNKNOWN}
            assert {d: hit.iloc[0][d] for d in DIMENSIONS} == want, (ruc, year, versions)
            checked += 1
    assert checked == 400 * 16
