"""``--profile`` for ``benchmarks/indicators.py``: where the engine's time goes.

The engine's own steps are replayed one by one (the same calls ``compute_indicator`` makes, timed apart):
building the Ibis expressions, compiling them to SQL, running the SQL in DuckDB, the Arrow to pandas
conversion, and the pandas post-processing (``_cells``: the finest cells rolled up to each breakdown;
``_over_time``: cumulate or carry forward; ``_combine``: the formula). Then the three slowest queries run
once more with DuckDB's JSON profiler, and ``compute_all`` runs under cProfile.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import time
from pathlib import Path
from typing import Any

PHASES = ("build_ibis", "compile_sql", "execute_duckdb", "to_pandas", "post_pandas")


class _Clock:
    """Wall and CPU seconds (all threads of this process) added up per phase."""

    def __init__(self) -> None:
        self.wall = dict.fromkeys(PHASES, 0.0)
        self.cpu = dict.fromkeys(PHASES, 0.0)
        self._start = (0.0, 0.0)

    def start(self) -> None:
        self._start = (time.perf_counter(), time.process_time())

    def stop(self, phase: str) -> float:
        wall = time.perf_counter() - self._start[0]
        self.wall[phase] += wall
        self.cpu[phase] += time.process_time() - self._start[1]
        return wall


def profile(snapshot: Path, years: range) -> dict[str, Any]:
    from pade.indicators import engine as eng
    from pade.indicators.compile import compile_indicator
    from pade.indicators.snapshot import load_snapshot
    from pade.programme.loader import load_programme

    snap, programme = load_snapshot(snapshot), load_programme()
    clock = _Clock()
    measures: list[dict[str, Any]] = []
    sqls: dict[str, str] = {}
    with eng.connect(eng.EngineName.duckdb, snapshot=snap) as con:
        raw = con.con
        for ind in programme.indicadores():
            clock.start()
            compiled = compile_indicator(programme, ind, years)
            clock.stop("build_ibis")
            frames = []
            for q in compiled.queries:
                clock.start()
                con._run_pre_execute_hooks(q.expr)  # registers the memtables, as execute() does
                sql = str(con.compile(q.expr))
                t_sql = clock.stop("compile_sql")
                clock.start()
                table = raw.sql(sql).to_arrow_table()  # what ibis's execute() runs
                t_exec = clock.stop("execute_duckdb")
                clock.start()
                frames.append(table.to_pandas())
                clock.stop("to_pandas")
                name = f"{ind.codigo}.{'+'.join(q.symbols) if not q.reported else 'reported'}"
                sqls[name] = sql
                measures.append({"measure": name, "compile_sql_s": t_sql, "execute_s": t_exec, "rows": table.num_rows,
                                 "groupings": len(compiled.groupings), "sql_chars": len(sql)})
            clock.start()
            cells = [eng._cells(f, q, compiled) for f, q in zip(frames, compiled.queries, strict=True)]
            table = eng._over_time(eng.pd.concat(cells, axis=1), compiled.measures, years)
            eng._combine(ind, table, compiled.measures, years)
            clock.stop("post_pandas")
        slowest = sorted(measures, key=lambda m: -m["execute_s"])[:3]
        plans = {m["measure"]: _operators(raw, sqls[m["measure"]], snapshot.parent) for m in slowest}
        profiler = cProfile.Profile()
        profiler.enable()
        eng.compute_all(con, programme, years)
        profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream).strip_dirs()
    stats.sort_stats("tottime").print_stats(12)
    stats.sort_stats("cumulative").print_stats(25)
    example = sqls[slowest[0]["measure"]]
    return {"wall": clock.wall, "cpu": clock.cpu, "measures": measures, "plans": plans,
            "cprofile": stream.getvalue(), "example_sql": example}


def _operators(raw: Any, sql: str, scratch: Path) -> list[str]:
    """Run ``sql`` once with DuckDB's JSON profiling; return its heaviest operators, one line each."""
    out = scratch / f"duckdb-profile-{time.time_ns()}.json"
    raw.execute("PRAGMA enable_profiling='json'")
    raw.execute(f"PRAGMA profiling_output='{out}'")
    raw.sql(sql).to_arrow_table()
    raw.execute("PRAGMA disable_profiling")
    tree = json.loads(out.read_text())
    out.unlink()
    found: list[tuple[float, str]] = []

    def walk(node: dict[str, Any]) -> None:
        if "operator_type" in node:
            info = node.get("extra_info", {})
            detail = info.get("Function") or info.get("Join Type") or info.get("Groups") or ""
            if isinstance(detail, list):
                detail = ",".join(detail)
            rows = node.get("operator_cardinality", 0)
            found.append((float(node.get("operator_timing", 0.0)),
                          f"{node['operator_type']:14} {str(detail)[:34]:34} {rows:>11,} rows out"))
        for child in node.get("children", []):
            walk(child)

    walk(tree)
    total = sum(t for t, _ in found) or 1.0
    lines = [f"query latency {tree.get('latency', 0.0):.2f} s, cpu {tree.get('cpu_time', 0.0):.2f} s"]
    lines += [f"{t:6.2f} s  {label}" for t, label in sorted(found, reverse=True)[:6] if t / total > 0.03]
    return lines


def print_profile(result: dict[str, Any], engine_s: float) -> None:
    print()
    print("profile of the engine (its steps replayed one by one, same calls as compute_indicator; one run):")
    wall, cpu = result["wall"], result["cpu"]
    print(f"  {'phase':16} {'wall s':>7} {'cpu s':>7}")
    for phase in PHASES:
        print(f"  {phase:16} {wall[phase]:7.2f} {cpu[phase]:7.2f}")
    print(f"  {'sum':16} {sum(wall.values()):7.2f} {sum(cpu.values()):7.2f}   "
          f"(the timed compute_all: {engine_s:.2f} s)")
    print()
    print("  queries (the measures they compute) by DuckDB execution time:")
    print(f"    {'query':22} {'exec s':>7} {'sql s':>6} {'rows':>6} {'groupings':>9} {'SQL chars':>9}")
    for m in sorted(result["measures"], key=lambda m: -m["execute_s"])[:14]:
        print(f"    {m['measure']:22} {m['execute_s']:7.2f} {m['compile_sql_s']:6.2f} {m['rows']:6,} "
              f"{m['groupings']:9} {m['sql_chars']:9,}")
    rest = sorted(result["measures"], key=lambda m: -m["execute_s"])[14:]
    print(f"    the other {len(rest)} queries: {sum(m['execute_s'] for m in rest):.2f} s")
    for name, lines in result["plans"].items():
        print()
        print(f"  DuckDB profile of {name} (heaviest operators; time per operator, summed over threads):")
        for line in lines:
            print(f"    {line}")
    print()
    print("cProfile of compute_all (top functions):")
    print(result["cprofile"])
