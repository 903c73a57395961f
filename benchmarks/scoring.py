"""Benchmark: re-score a million maturity self-diagnoses column-wise, against the one-at-a-time scorer.

Generates random valid answer sets for ``madurez_digital`` with numpy
(``pade.diagnostics.sample.random_answers``, option columns dictionary-encoded as a
store keeps them) and random companies, then:

* **batch**: ``score_batch`` over the whole table (the re-score path);
* **baseline**: a Python loop of ``score`` over a sample of the same rows, converted
  to JSON answers beforehand (conversion not timed), extrapolated to all rows —
  looping a million times would take minutes and tell nothing more;
* checks that both paths agree on every sampled row (overall, levels, dimension scores);
* **API submissions**: single assessments through the JSON API in-process (ASGI test
  client, a fresh SQLite store): start, save the answers, then submit — the submit
  latency (score, store the score, land the ``diagnostico`` record) as p50 and p99.
  Goal: p99 under 20 ms.

Goal: at least 200,000 assessments/s for the batch path. Wall and CPU time are both
printed, since a loaded machine stretches wall time. Not a test: nothing asserts a time.

Usage:
    .venv/bin/python benchmarks/scoring.py [--rows 1000000] [--sample 5000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import time

import numpy as np

from pade.diagnostics.batch import score_batch
from pade.diagnostics.loader import load_questionnaire
from pade.diagnostics.sample import random_answers, random_companies, table_to_answers
from pade.diagnostics.scoring import CompanyContext, score

GOAL_PER_S = 200_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()

    q = load_questionnaire("madurez_digital")
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPU(s), "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"questionnaire {q.id} {q.version}: {len(q.dimensiones)} dimensions, {len(q.preguntas)} questions")

    started = time.perf_counter()
    answers = random_answers(q, args.rows, seed=args.seed)
    companies = random_companies(args.rows, seed=args.seed + 1)
    print(f"generated {args.rows:,} answer sets ({answers.num_columns} columns, "
          f"{answers.nbytes / 1e6:,.0f} MB) in {time.perf_counter() - started:.2f} s")

    score_batch(q, answers.slice(0, 1_000), companies.slice(0, 1_000))  # compile the plan, warm the caches
    walls, cpus = [], []
    for _ in range(args.repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = score_batch(q, answers, companies)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    best_wall, best_cpu = min(walls), min(cpus)
    batch_rate = args.rows / best_wall
    print(f"batch:    {best_wall:.2f} s wall, {best_cpu:.2f} s CPU (best of {args.repeat}) → "
          f"{batch_rate:,.0f} assessments/s wall, {args.rows / best_cpu:,.0f}/s CPU")

    sample = min(args.sample, args.rows)
    json_answers = table_to_answers(q, answers.slice(0, sample))
    contexts = [CompanyContext(**c) for c in companies.slice(0, sample).to_pylist()]
    wall, cpu = time.perf_counter(), time.process_time()
    singles = [score(q, a, c) for a, c in zip(json_answers, contexts, strict=True)]
    loop_wall, loop_cpu = time.perf_counter() - wall, time.process_time() - cpu
    loop_rate = sample / loop_wall
    print(f"baseline: {sample:,} × score() in {loop_wall:.2f} s wall, {loop_cpu:.2f} s CPU → {loop_rate:,.0f} "
          f"assessments/s; extrapolated to {args.rows:,}: {args.rows / loop_rate:,.0f} s")

    mismatches = 0
    for i, r in enumerate(singles):
        overall = result.overall[i]
        same = (r.overall is None and math.isnan(overall)) or r.overall == overall
        same &= result.level_ids(result.level[i : i + 1]) == [r.level]
        for j, d in enumerate(r.dimensions):
            value = result.dimension_scores[i, j]
            same &= (d.score is None and math.isnan(value)) or d.score == value
        mismatches += not same
    print(f"agreement on the {sample:,} sampled rows: {sample - mismatches:,} identical, {mismatches} different")
    print(f"ratio batch/baseline: {batch_rate / loop_rate:,.0f}× (wall)")
    levels = np.bincount(result.level[result.level >= 0], minlength=len(result.levels))
    print("levels: " + ", ".join(f"{name} {count:,}" for name, count in zip(result.levels, levels, strict=True)))
    verdict = "met" if batch_rate >= GOAL_PER_S else "NOT met"
    print(f"goal ≥ {GOAL_PER_S:,} assessments/s: {verdict}")


def api_submissions(n: int, seed: int) -> None:
    """Time POST /submit through the ASGI app on a fresh SQLite store."""
    import tempfile
    from pathlib import Path

    from fastapi.testclient import TestClient
    from stdnum.pe import ruc as stdnum_ruc

    from pade.core.db import make_engine, migrate, session_factory, transaction
    from pade.core.settings import Settings
    from pade.programme.loader import load_programme
    from pade.programme.store import store_programme
    from pade.web.app import create_app

    q = load_questionnaire("madurez_digital")
    answers = table_to_answers(q, random_answers(q, n, seed=seed))
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{Path(tmp) / 'b.db'}", data_dir=Path(tmp))
        engine = make_engine(settings)
        migrate(engine)
        with transaction(session_factory(engine)) as s:
            store_programme(s, load_programme(), actor="bench")
        latencies = []
        with TestClient(create_app(settings)) as client:
            for i, a in enumerate(answers):
                body = f"20{i:08d}"
                ruc = body + stdnum_ruc.calc_check_digit(body)
                link = client.post("/api/v1/diagnostics/assessments",
                                   json={"ruc": ruc, "cuestionario": q.id}).json()["id"]
                client.put(f"/api/v1/diagnostics/assessments/{link}/answers", json={"respuestas": a})
                start = time.perf_counter()
                r = client.post(f"/api/v1/diagnostics/assessments/{link}/submit")
                latencies.append((time.perf_counter() - start) * 1000)
                assert r.status_code == 200, r.text
    ms = np.array(latencies)
    p50, p99 = np.percentile(ms, 50), np.percentile(ms, 99)
    print(f"API submissions ({n:,}, in-process, SQLite): p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {ms.max():.1f} ms")
    print(f"goal p99 < 20 ms: {'met' if p99 < 20 else 'NOT met'}")


if __name__ == "__main__":
    main()
    api_submissions(int(os.environ.get("PADE_BENCH_SUBMISSIONS", "300")), seed=7)
