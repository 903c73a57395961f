"""Benchmark: the web portal under load — indicator pages at 20 clients, self-diagnosis submissions at 50.

Builds (or reuses, with ``--workdir``) a demo store at national scale through the CLI, as an operator
would (``pade init``, ``programme load``, ``synth --firms N``, ``compute``), then serves it with
uvicorn on 127.0.0.1 (``pade.web.app:create_app --factory``) with 2 workers, and again with 1. The load
comes from a SECOND process (this file with ``--child load``), a small asyncio HTTP/1.1 keep-alive
client (raw sockets: an httpx client costs more CPU per request than the server's route does, and it
would share the same 2 cores). Scenarios, each ``--duration`` seconds after ``--warmup``:

* ``health``: ``GET /api/v1/health`` at 20 clients — the framework's floor, the baseline of the ratios;
* ``lista``: ``GET /indicadores`` at 20 clients;
* ``pagina``: ``GET /indicadores/{codigo}`` at 20 clients, cycling over the 19 indicators;

Before a page scenario each page is requested 4 times in a row, so both workers have built their
cached published view, charts and tables (built once per run and process) before the clock starts;
* ``envio``: 50 clients, each posting complete self-diagnoses, one request each
  (``POST /api/v1/diagnostics/submissions``: RUC, every answer, consent); a 201 is an acknowledged
  submission. The issue's submissions/s goal is read on this scenario (decision 0017);
* ``autodiagnostico``: 50 clients, each repeating the phone flow through the JSON API: start
  (``POST /api/v1/diagnostics/assessments`` with a RUC of the registry), save every answer
  (``PUT .../answers``), submit (``POST .../submit``). Afterwards every acknowledged submission (a 200
  on submit) is looked up in the database: it must be an ``assessment`` with status ``enviada`` and a
  score row.

Goals (issue 6): p95 under 100 ms for the two pages; at least 300 submissions/s on 2 cores with no error.
For ``envio`` a request is a submission; for ``autodiagnostico`` a submission is a complete flow (3 requests),
and both flows/s and requests/s are printed.

The machine is shared: the load average is printed before each scenario, and the figures are a floor.
``--profile`` runs py-spy (if installed) or pyinstrument over one single-worker server for one scenario.

Usage:
    .venv/bin/python benchmarks/web.py [--firms 200000 | --national] [--workdir DIR] [--workers 2,1]
        [--duration 15] [--warmup 3] [--only lista,pagina,envio,autodiagnostico]

Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAGE_CLIENTS = 20
DIAG_CLIENTS = 50
GOAL_P95_MS = 100.0
GOAL_SUBMISSIONS_PER_S = 300.0
QUESTIONNAIRE = "madurez_digital"
SUBMISSIONS = ("envio", "autodiagnostico")  # one request per self-diagnosis; the phone flow (3 requests)


# -- the store -----------------------------------------------------------------------------------

def store_env(work: Path) -> dict[str, str]:
    store = work / "store"
    return {**os.environ, "PADE_DATA_DIR": str(store), "PADE_DATABASE_URL": f"sqlite:///{store / 'pade.db'}",
            "PADE_LOG_LEVEL": "WARNING"}


def pade(env: dict[str, str], *args: str) -> None:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pade", *args], env=env, capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"pade {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    print(f"  pade {' '.join(args)}: {time.perf_counter() - started:.0f} s", flush=True)


def build_store(work: Path, *, firms: int, seed: int) -> None:
    """``pade init``, ``programme load``, ``synth``, ``compute`` — skipped when the store has a run."""
    db = work / "store" / "pade.db"
    env = store_env(work)
    pade(env, "init")  # migrates a reused store to the code's schema
    if db.exists() and _count(db, "select count(*) from indicator_run") > 0:
        companies = _count(db, "select count(*) from company")
        print(f"reusing {db} ({companies:,} companies)")
        return
    print(f"building a demo store with {firms:,} firms in {db.parent}")
    pade(env, "programme", "load")
    pade(env, "synth", "--firms", str(firms), "--seed", str(seed))
    pade(env, "compute")


def _count(db: Path, sql: str, params: tuple[Any, ...] = ()) -> int:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return int(conn.execute(sql, params).fetchone()[0])


# -- the server ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(work: Path, workers: int, *, profile: Path | None = None) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "pade.web.app:create_app", "--factory", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    if profile is not None:
        cmd = ["py-spy", "record", "--format", "speedscope", "--output", str(profile), "--subprocesses", "--",
               *cmd]
    log = (work / f"server-{workers}.log").open("wb")
    proc = subprocess.Popen(cmd, env=store_env(work), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped:\n{(work / f'server-{workers}.log').read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return proc, port
        except OSError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start in 90 s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


# -- the load generator (runs in its own process) ------------------------------------------------

class Conn:
    """One keep-alive HTTP/1.1 connection: enough of the protocol for uvicorn's answers."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: Any = None) -> tuple[int, bytes]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        payload = b"" if body is None else json.dumps(body).encode()
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(payload)}\r\n"
        if payload:
            head += "Content-Type: application/json\r\n"
        self.writer.write(head.encode() + b"\r\n" + payload)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("closed by the server")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            parts = []
            while (size := int((await self.reader.readline()).strip(), 16)) > 0:
                parts.append(await self.reader.readexactly(size + 2))
            await self.reader.readline()
            data = b"".join(p[:-2] for p in parts)
        else:
            data = await self.reader.readexactly(length)
        if close:
            self.writer.close()
            self.reader = self.writer = None
        return status, data


@dataclass
class Tally:
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    flows: int = 0
    acknowledged: list[str] = field(default_factory=list)
    counting: bool = False

    def add(self, label: str, started: float, ok: bool, what: str = "") -> None:
        if not self.counting:
            return
        self.requests += 1
        self.latencies_ms.setdefault(label, []).append((time.perf_counter() - started) * 1000)
        if not ok:
            self.errors[what or label] = self.errors.get(what or label, 0) + 1


async def _pages(conn: Conn, tally: Tally, paths: list[str], label: str, stop: float) -> None:
    i = random.randrange(len(paths))
    while time.perf_counter() < stop:
        path = paths[i % len(paths)]
        i += 1
        started = time.perf_counter()
        try:
            status, _ = await conn.request("GET", path)
            tally.add(label, started, status == 200, f"{label} {status}")
        except (OSError, ConnectionError, asyncio.IncompleteReadError) as e:
            tally.add(label, started, False, f"{label} {type(e).__name__}")
            conn.reader = conn.writer = None


async def _diagnoses(conn: Conn, tally: Tally, rucs: list[str], answers: list[dict[str, Any]], stop: float) -> None:
    base = "/api/v1/diagnostics/assessments"
    while time.perf_counter() < stop:
        try:
            started = time.perf_counter()
            status, data = await conn.request("POST", base, {"ruc": random.choice(rucs), "cuestionario": QUESTIONNAIRE,
                                                             "consentimiento": True})
            tally.add("inicio", started, status == 201, f"inicio {status}")
            if status != 201:
                continue
            assessment = json.loads(data)["id"]
            started = time.perf_counter()
            status, _ = await conn.request("PUT", f"{base}/{assessment}/answers",
                                           {"respuestas": random.choice(answers)})
            tally.add("respuestas", started, status == 200, f"respuestas {status}")
            if status != 200:
                continue
            started = time.perf_counter()
            status, _ = await conn.request("POST", f"{base}/{assessment}/submit")
            tally.add("envio", started, status == 200, f"envio {status}")
            if status == 200:
                tally.acknowledged.append(assessment)  # warm-up ones too: every acknowledged one is checked
                tally.flows += tally.counting
        except (OSError, ConnectionError, asyncio.IncompleteReadError) as e:
            tally.add("flujo", time.perf_counter(), False, f"flujo {type(e).__name__}")
            conn.reader = conn.writer = None


async def _complete(conn: Conn, tally: Tally, rucs: list[str], answers: list[dict[str, Any]], stop: float) -> None:
    """One request per self-diagnosis: the whole questionnaire posted at once (``POST .../submissions``)."""
    while time.perf_counter() < stop:
        started = time.perf_counter()
        try:
            status, data = await conn.request("POST", "/api/v1/diagnostics/submissions", {
                "ruc": random.choice(rucs), "cuestionario": QUESTIONNAIRE, "respuestas": random.choice(answers),
                "consentimiento": True})
            tally.add("envio", started, status == 201, f"envio {status}")
            if status == 201:
                tally.acknowledged.append(json.loads(data)["id"])
                tally.flows += tally.counting
        except (OSError, ConnectionError, asyncio.IncompleteReadError) as e:
            tally.add("envio", started, False, f"envio {type(e).__name__}")
            conn.reader = conn.writer = None


async def _load(args: argparse.Namespace) -> dict[str, Any]:
    spec = json.loads(Path(args.path).read_text())
    tally = Tally()
    if "paths" in spec:  # fill each worker's caches (published view, charts, tables) before the clock runs
        warm = Conn(args.port)
        for _ in range(4):
            for path in spec["paths"]:
                await warm.request("GET", path)
    loop_start = time.perf_counter()
    stop = loop_start + args.warmup + args.duration
    conns = [Conn(args.port) for _ in range(spec["clients"])]
    if spec["scenario"] in SUBMISSIONS:
        flow = _diagnoses if spec["scenario"] == "autodiagnostico" else _complete
        tasks = [flow(c, tally, spec["rucs"], spec["answers"], stop) for c in conns]
    else:
        tasks = [_pages(c, tally, spec["paths"], spec["scenario"], stop) for c in conns]

    async def measure() -> tuple[float, float, float]:
        await asyncio.sleep(args.warmup)
        tally.counting = True
        t0, c0, s0 = time.perf_counter(), time.process_time(), server_cpu_s(args.server_pid)
        await asyncio.sleep(args.duration)
        tally.counting = False
        return time.perf_counter() - t0, time.process_time() - c0, server_cpu_s(args.server_pid) - s0

    (elapsed_s, client_cpu_s, server_cpu), *_ = await asyncio.gather(measure(), *tasks)
    return {"elapsed_s": elapsed_s, "client_cpu_s": client_cpu_s, "server_cpu_s": server_cpu,
            "requests": tally.requests, "flows": tally.flows,
            "latencies_ms": tally.latencies_ms, "errors": tally.errors, "acknowledged": tally.acknowledged}


def server_cpu_s(root: int) -> float:
    """CPU seconds (user + system) used so far by the server process ``root`` and its descendants (Linux /proc).

    Unlike requests/s, CPU per request barely moves when other work shares the cores: the figure to
    compare between runs on a busy machine. 0 where /proc is not available.
    """
    if root <= 0 or not Path("/proc").is_dir():
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent pid, cpu seconds)
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    wanted, total = {root}, 0.0
    for _ in range(4):  # uvicorn's supervisor, its workers (and a multiprocessing helper)
        wanted |= {pid for pid, (parent, _) in stats.items() if parent in wanted}
    for pid in wanted:
        total += stats.get(pid, (0, 0.0))[1]
    return total


def child_load(args: argparse.Namespace) -> None:
    out = asyncio.run(_load(args))
    Path(args.out).write_text(json.dumps(out))


# -- scenarios -----------------------------------------------------------------------------------

def scenario_inputs(work: Path, name: str) -> dict[str, Any]:
    if name == "health":
        return {"scenario": name, "clients": PAGE_CLIENTS, "paths": ["/api/v1/health"]}
    if name == "lista":
        return {"scenario": name, "clients": PAGE_CLIENTS, "paths": ["/indicadores"]}
    if name == "pagina":
        from pade.programme.loader import load_programme

        return {"scenario": name, "clients": PAGE_CLIENTS,
                "paths": [f"/indicadores/{i.codigo}" for i in load_programme().indicadores()]}
    from pade.diagnostics.loader import load_questionnaire
    from pade.diagnostics.sample import random_answers, table_to_answers

    q = load_questionnaire(QUESTIONNAIRE)
    answers = table_to_answers(q, random_answers(q, 400, seed=11, na_rate=0.0))
    with sqlite3.connect(f"file:{work / 'store' / 'pade.db'}?mode=ro", uri=True) as conn:
        rucs = [r[0] for r in conn.execute("select ruc from company where ruc like '20%' order by random() limit 5000")]
    return {"scenario": name, "clients": DIAG_CLIENTS, "rucs": rucs, "answers": answers}  # envio, autodiagnostico


def run_scenario(work: Path, port: int, spec: dict[str, Any], *, duration_s: float, warmup_s: float,
                 server_pid: int = 0) -> dict[str, Any]:
    path = work / f"load-{spec['scenario']}.json"
    out = work / f"result-{spec['scenario']}.json"
    path.write_text(json.dumps(spec))
    load_before = os.getloadavg()[0]
    done = subprocess.run([sys.executable, __file__, "--child", "load", "--path", str(path), "--out", str(out),
                           "--port", str(port), "--duration", str(duration_s), "--warmup", str(warmup_s),
                           "--server-pid", str(server_pid)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the load generator failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(out.read_text())
    result["load_before"] = load_before
    return result


def verify_durability(work: Path, acknowledged: list[str]) -> tuple[int, int]:
    """How many acknowledged submissions are stored as ``enviada`` with a score: (found, acknowledged)."""
    db = work / "store" / "pade.db"
    found = 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        for i in range(0, len(acknowledged), 500):
            chunk = acknowledged[i:i + 500]
            marks = ",".join("?" * len(chunk))
            found += int(conn.execute(
                f"select count(*) from assessment a where a.id in ({marks}) and a.status = 'enviada' "
                "and exists (select 1 from assessment_score s where s.assessment_id = a.id)", chunk).fetchone()[0])
    return found, len(acknowledged)


# -- report --------------------------------------------------------------------------------------

def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summarise(r: dict[str, Any]) -> dict[str, Any]:
    every = [v for vs in r["latencies_ms"].values() for v in vs]
    return {"rps": r["requests"] / r["elapsed_s"], "flows_per_s": r["flows"] / r["elapsed_s"],
            "p50": pct(every, 0.50), "p95": pct(every, 0.95), "errors": sum(r["errors"].values()),
            "error_kinds": r["errors"], "requests": r["requests"],
            "steps": {k: (pct(v, 0.5), pct(v, 0.95)) for k, v in r["latencies_ms"].items()},
            "load_before": r["load_before"], "client_cpu_s": r["client_cpu_s"], "elapsed_s": r["elapsed_s"],
            "server_cpu_ms_per_request": 1000 * r.get("server_cpu_s", 0.0) / r["requests"] if r["requests"] else 0.0}


def print_table(rows: list[tuple[int, str, dict[str, Any]]]) -> None:
    health = {w: s["rps"] for w, name, s in rows if name == "health"}
    print()
    print(f"{'workers':>7} {'scenario':<16} {'clients':>7} {'req/s':>8} {'flows/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'errors':>6} {'vs health':>9} {'load':>5} {'cpu ms':>6}  goal")
    for workers, name, s in rows:
        clients = DIAG_CLIENTS if name in SUBMISSIONS else PAGE_CLIENTS
        if name in ("lista", "pagina"):
            goal = f"p95 < {GOAL_P95_MS:.0f} ms: {'met' if s['p95'] < GOAL_P95_MS else 'NOT met'}"
        elif name in SUBMISSIONS:
            met = s["flows_per_s"] >= GOAL_SUBMISSIONS_PER_S and s["errors"] == 0
            goal = (f">= {GOAL_SUBMISSIONS_PER_S:.0f} submissions/s, 0 errors: {'met' if met else 'NOT met'}"
                    f" (requests/s {'>=' if s['rps'] >= GOAL_SUBMISSIONS_PER_S else '<'} 300)")
        else:
            goal = "baseline (framework floor)"
        ratio = f"{health[workers] / s['rps']:.1f}x" if workers in health and s["rps"] else "-"
        flows = f"{s['flows_per_s']:.1f}" if name in SUBMISSIONS else "-"
        print(f"{workers:>7} {name:<16} {clients:>7} {s['rps']:>8.1f} {flows:>8} {s['p50']:>8.1f} {s['p95']:>8.1f} "
              f"{s['errors']:>6} {ratio:>9} {s['load_before']:>5.1f} {s['server_cpu_ms_per_request']:>6.2f}  {goal}")
    print("\n'vs health': how many times fewer requests/s than GET /api/v1/health on the same server.")
    print("'load': 1-minute load average before the scenario (2 cores; other work shares them).")
    print("'cpu ms': server CPU time (all workers) per request during the measured seconds: steadier than req/s "
          "on a shared machine.")
    for workers, name, s in rows:
        if name in SUBMISSIONS:
            steps = ", ".join(f"{k} p50 {a:.1f} / p95 {b:.1f} ms" for k, (a, b) in s["steps"].items())
            print(f"  {workers} worker(s), steps: {steps}")
        if s["error_kinds"]:
            print(f"  {workers} worker(s) {name} errors: {s['error_kinds']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--firms", type=int, default=200_000)
    parser.add_argument("--national", action="store_true", help="2,500,000 firms (about 15 minutes to build)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="keep the store here and reuse it on later runs")
    parser.add_argument("--workers", default="2,1", help="uvicorn worker counts to measure, e.g. 2,1")
    parser.add_argument("--duration", type=float, default=15.0, help="measured seconds per scenario")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--only", default="health,lista,pagina,envio,autodiagnostico")
    parser.add_argument("--profile", choices=("lista", "pagina", *SUBMISSIONS),
                        help="record the single-worker server with py-spy during this scenario")
    parser.add_argument("--child", choices=("load",), help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "load":
        child_load(args)
        return

    firms = 2_500_000 if args.national else args.firms
    work = args.workdir or Path(f"/tmp/pade-bench-web-{firms}")
    work.mkdir(parents=True, exist_ok=True)
    print(f"python {platform.python_version()}, {os.cpu_count()} CPU(s), load average "
          f"{os.getloadavg()[0]:.2f}; store in {work}")
    build_store(work, firms=firms, seed=args.seed)
    if args.profile:
        profile(work, args)
        return
    names = args.only.split(",")
    specs = {name: scenario_inputs(work, name) for name in names}
    rows: list[tuple[int, str, dict[str, Any]]] = []
    for workers in (int(w) for w in args.workers.split(",")):
        proc, port = start_server(work, workers)
        try:
            for name in names:
                r = run_scenario(work, port, specs[name], duration_s=args.duration, warmup_s=args.warmup,
                                 server_pid=proc.pid)
                s = summarise(r)
                rows.append((workers, name, s))
                print(f"  {workers} worker(s) {name}: {s['rps']:.1f} req/s, p95 {s['p95']:.1f} ms, "
                      f"{s['errors']} errors", flush=True)
                if name in SUBMISSIONS:
                    found, acked = verify_durability(work, r["acknowledged"])
                    print(f"  durability: {found:,} of {acked:,} acknowledged submissions are in the database "
                          f"as 'enviada' with a score{'' if found == acked else ' — MISSING ONES'}", flush=True)
        finally:
            stop_server(proc)
    print_table(rows)


def profile(work: Path, args: argparse.Namespace) -> None:
    out = work / f"profile-{args.profile}.speedscope.json"
    proc, port = start_server(work, 1, profile=out)
    try:
        s = summarise(run_scenario(work, port, scenario_inputs(work, args.profile), duration_s=args.duration,
                                   warmup_s=args.warmup))
        print(f"  profiled {args.profile}: {s['rps']:.1f} req/s, p95 {s['p95']:.1f} ms")
    finally:
        proc.send_signal(2)
        proc.wait(timeout=60)
    print(f"py-spy profile: {out}")


if __name__ == "__main__":
    main()
