"""Benchmark: import a million enrolment rows end to end, and validate the same file with frictionless.

Builds a ``inscripcion`` CSV from the synthetic population (``pade.records.synth``) with about 2 % bad
rows of seven kinds, imports it into a fresh SQLite store with ``import_file`` (parse, validate, write),
and validates the same file with ``frictionless`` against the kind's published Table Schema. Each run
happens in a child process, so its peak memory (``ru_maxrss``) is its own.

Goals: at least 200,000 rows/s end to end, at least 10x faster than frictionless, peak memory under 2 GB.

Usage:
    .venv/bin/python benchmarks/import.py [--rows 1000000] [--profile]

``--profile`` also imports the file once more (into another fresh store) under cProfile and prints the
functions that take the time. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

TODAY = date(2026, 11, 26)
ENTIDAD = "PCM-SGTD"
GOAL_ROWS_PER_S = 200_000
GOAL_RATIO = 10.0
GOAL_PEAK_BYTES = 2 * 1024**3
FRICTIONLESS_BUDGET_S = 180.0  # beyond this the full frictionless run is replaced by a 100,000-row prefix
PREFIX_ROWS = 100_000
BAD_KINDS = ("ruc_digito", "fecha_31_02", "fecha_futura", "programa_desconocido", "ruc_vacio", "duplicado",
             "curso_desconocido")


# -- the file ---------------------------------------------------------------------------------------

def build(work: Path, rows: int, seed: int) -> tuple[Path, Path, dict[str, int]]:
    """Write ``inscripcion.csv`` (``rows`` rows, ~2 % bad) and the ``programa`` catalogue; return their paths."""
    from pade.records import synth
    from pade.records.kinds import kind
    from pade.records.schemas import table_schema

    files = synth.generate(work / "synth", firms=int(rows / 1.1) + 1, seed=seed, today=TODAY)
    strings = pacsv.ConvertOptions(column_types={"ruc": pa.string(), "programa": pa.string(), "curso": pa.string(),
                                                 "fecha_inscripcion": pa.string()}, strings_can_be_null=True)
    table = pacsv.read_csv(files["inscripcion"], convert_options=strings)
    if table.num_rows < rows:
        raise SystemExit(f"synth gave {table.num_rows} enrolments, fewer than {rows}")
    table = table.slice(0, rows)
    cols = {name: table.column(name).to_numpy(zero_copy_only=False).astype(object) for name in table.column_names}
    rng = np.random.default_rng(seed)
    bad = rng.choice(np.arange(1, rows), size=rows // 50, replace=False)
    planted: dict[str, int] = {}
    for i, row in enumerate(bad):
        what = BAD_KINDS[i % len(BAD_KINDS)]
        planted[what] = planted.get(what, 0) + 1
        ruc, fecha = cols["ruc"][row], cols["fecha_inscripcion"][row]
        if what == "ruc_digito":
            cols["ruc"][row] = ruc[:-1] + str((int(ruc[-1]) + 1) % 10)
        elif what == "fecha_31_02":
            cols["fecha_inscripcion"][row] = f"31/02/{fecha[:4]}"
        elif what == "fecha_futura":
            cols["fecha_inscripcion"][row] = "2031-03-15"
        elif what == "programa_desconocido":
            cols["programa"][row] = "PRG-X"
        elif what == "ruc_vacio":
            cols["ruc"][row] = None
        elif what == "duplicado":
            for name in cols:
                cols[name][row] = cols[name][row - 1]
        else:
            cols["curso"][row] = "ZZ-99"
    path = work / "inscripcion.csv"
    pacsv.write_csv(pa.table({name: pa.array(values, pa.string()) for name, values in cols.items()}), path)
    (work / "inscripcion.schema.json").write_text(json.dumps(table_schema(kind("inscripcion")), ensure_ascii=False))
    return path, files["programa"], planted


def fresh_store(db: Path, catalogue: Path) -> str:
    """A migrated SQLite store with the programme and the programme catalogue loaded; its URL."""
    from pade.core.db import make_engine, migrate, session_factory, transaction
    from pade.core.settings import Settings
    from pade.programme.loader import load_programme
    from pade.programme.store import store_programme
    from pade.records.importer import import_file

    url = f"sqlite:///{db}"
    engine = make_engine(Settings(database_url=url))
    migrate(engine)
    with transaction(session_factory(engine)) as session:
        store_programme(session, load_programme(), actor="benchmark")
    import_file(engine, "programa", catalogue, entidad=ENTIDAD, actor="benchmark", today=TODAY)
    engine.dispose()
    return url


# -- children -------------------------------------------------------------------------------------------

def child_import(csv_path: Path, profile: bool) -> dict[str, Any]:
    from pade.core.db import make_engine
    from pade.core.settings import Settings  # PADE_DATABASE_URL is set by the parent
    from pade.records.importer import import_file

    engine = make_engine(Settings())
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    report = import_file(engine, "inscripcion", csv_path, entidad=ENTIDAD, actor="benchmark", today=TODAY)
    if profiler:
        profiler.disable()
    elapsed = time.perf_counter() - started
    out: dict[str, Any] = {"seconds": elapsed, "peak_bytes": _peak_bytes(), "rows_total": report.rows_total,
                           "rows_loaded": report.rows_loaded, "rows_quarantined": report.rows_quarantined,
                           "counts": report.counts}
    if profiler:
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text).strip_dirs()
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
        out["profile"] = text.getvalue()
    return out


def child_validate(csv_path: Path) -> dict[str, Any]:
    """PADE's read and validation alone (no store): the like-for-like comparison with frictionless."""
    from pade.records.kinds import kind
    from pade.records.readers import read_table
    from pade.records.synth import PROGRAMMES
    from pade.records.validate import ValidationContext, validate

    ctx = ValidationContext(today=TODAY, programmes=frozenset(p for p, *_ in PROGRAMMES),
                            courses=frozenset((p, c) for p, _, _, courses in PROGRAMMES for c, _ in courses))
    started = time.perf_counter()
    spec = kind("inscripcion")
    checked = validate(read_table(csv_path, expected_columns=spec.field_names), spec, ctx)
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "peak_bytes": _peak_bytes(), "rejected": int((~checked.valid).sum())}


def child_frictionless(csv_path: Path, schema_path: Path) -> dict[str, Any]:
    from frictionless import Resource, Schema

    schema = Schema.from_descriptor(json.loads(schema_path.read_text(encoding="utf-8")))
    started = time.perf_counter()
    resource_ = Resource(path=csv_path.name, basepath=str(csv_path.parent), schema=schema)
    # limit_errors defaults to 1,000: without raising it frictionless would stop early on this file.
    report = resource_.validate(limit_errors=10**9)
    elapsed = time.perf_counter() - started
    task = report.tasks[0]
    return {"seconds": elapsed, "peak_bytes": _peak_bytes(), "rows": task.stats.get("rows"),
            "errors": len(report.flatten(["type"]))}


def _peak_bytes() -> int:
    """Peak RSS of this process. On Linux ``ru_maxrss`` survives fork+exec, so a child started by a big
    parent would report the parent's size: read the peak of this process's own memory (VmHWM) instead."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB, macOS bytes


def run_child(args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False,
                          env={**os.environ, **(env or {})})
    if done.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- report ----------------------------------------------------------------------------------------------

def _versions() -> str:
    import duckdb
    import frictionless
    import sqlalchemy

    return (f"Python {platform.python_version()}, numpy {np.__version__}, pyarrow {pa.__version__}, "
            f"duckdb {duckdb.__version__}, SQLAlchemy {sqlalchemy.__version__}, "
            f"frictionless {frictionless.__version__}")


def _mb(n: int) -> str:
    return f"{n / 1024**2:,.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--profile", action="store_true", help="also import once under cProfile")
    parser.add_argument("--child", choices=("import", "validate", "frictionless"), help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--schema", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "import":
        print(json.dumps(child_import(args.csv, args.profile)))
        return
    if args.child == "validate":
        print(json.dumps(child_validate(args.csv)))
        return
    if args.child == "frictionless":
        print(json.dumps(child_frictionless(args.csv, args.schema)))
        return

    with tempfile.TemporaryDirectory(prefix="pade-bench-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        csv_path, catalogue, planted = build(work, args.rows, args.seed)
        schema = work / "inscripcion.schema.json"
        print(f"built {args.rows:,} rows ({sum(planted.values()):,} bad: {planted}) "
              f"in {time.perf_counter() - started:.1f} s; {csv_path.stat().st_size / 1024**2:.0f} MB")

        url = fresh_store(work / "pade.db", catalogue)
        pade = run_child(["--child", "import", "--csv", str(csv_path)], env={"PADE_DATABASE_URL": url})
        checked = run_child(["--child", "validate", "--csv", str(csv_path)])

        prefix = work / "prefix" / csv_path.name
        prefix.parent.mkdir()
        with csv_path.open("rb") as src, prefix.open("wb") as dst:
            for _ in range(PREFIX_ROWS + 1):
                dst.write(src.readline())
        sample = run_child(["--child", "frictionless", "--csv", str(prefix), "--schema", str(schema)])
        estimate = sample["seconds"] * args.rows / PREFIX_ROWS
        if estimate <= FRICTIONLESS_BUDGET_S:
            fl = run_child(["--child", "frictionless", "--csv", str(csv_path), "--schema", str(schema)])
            fl_note = "full file"
        else:
            fl = {**sample, "seconds": estimate}
            fl_note = f"EXTRAPOLATED linearly from a {PREFIX_ROWS:,}-row prefix ({sample['seconds']:.1f} s)"

        profile = None
        if args.profile:
            url2 = fresh_store(work / "pade-profile.db", catalogue)
            profile = run_child(["--child", "import", "--csv", str(csv_path), "--profile"],
                                env={"PADE_DATABASE_URL": url2})

    pade_rate = args.rows / pade["seconds"]
    fl_rate = args.rows / fl["seconds"]
    ratio = fl["seconds"] / pade["seconds"]
    ratio_validate = fl["seconds"] / checked["seconds"]
    print()
    print(f"machine: {platform.platform()}, {platform.machine()}, os.cpu_count()={os.cpu_count()}")
    print(f"versions: {_versions()}")
    print()
    print(f"{'run':58} {'rows':>10} {'seconds':>9} {'rows/s':>10} {'peak RSS':>10}")
    print(f"{'PADE import_file (read, validate, write SQLite)':58} {args.rows:>10,} {pade['seconds']:>9.2f} "
          f"{pade_rate:>10,.0f} {_mb(pade['peak_bytes']):>10}")
    print(f"{'PADE read + validate only (no store)':58} {args.rows:>10,} {checked['seconds']:>9.2f} "
          f"{args.rows / checked['seconds']:>10,.0f} {_mb(checked['peak_bytes']):>10}")
    print(f"{'frictionless validate (same file, same Table Schema)':58} {args.rows:>10,} {fl['seconds']:>9.2f} "
          f"{fl_rate:>10,.0f} {_mb(fl['peak_bytes']):>10}")
    print(f"  frictionless: {fl_note}; it reported {fl['errors']:,} errors (limit_errors raised to 1e9)")
    print(f"  PADE: loaded {pade['rows_loaded']:,}, quarantined {pade['rows_quarantined']:,}; issues {pade['counts']}")
    print()
    verdict = {True: "ok", False: "BELOW GOAL"}
    print(f"goal >= {GOAL_ROWS_PER_S:,} rows/s end to end: {pade_rate:,.0f} rows/s "
          f"-> {verdict[pade_rate >= GOAL_ROWS_PER_S]}")
    print(f"goal >= {GOAL_RATIO:.0f}x frictionless: end to end {ratio:.1f}x -> {verdict[ratio >= GOAL_RATIO]}; "
          f"read + validate only {ratio_validate:.1f}x -> {verdict[ratio_validate >= GOAL_RATIO]}")
    print(f"goal peak memory < 2 GB: {_mb(pade['peak_bytes'])} -> {verdict[pade['peak_bytes'] < GOAL_PEAK_BYTES]}")
    if profile:
        print()
        print(f"profiled import (cProfile adds overhead): {profile['seconds']:.2f} s")
        print(profile["profile"])


if __name__ == "__main__":
    main()
