"""Use cases of the indicator engine: snapshot, compute a run, read values, summarise progress."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session

from pade import __version__
from pade.core import audit
from pade.core.errors import NotFound
from pade.core.i18n import t
from pade.core.settings import Settings
from pade.indicators import progress as prog
from pade.indicators.engine import EngineName, compute_all, connect
from pade.indicators.snapshot import Snapshot, take_snapshot
from pade.indicators.store import IndicatorRun, IndicatorValue
from pade.programme.models import Indicador, Programa
from pade.programme.store import StoredProgramme, current_programme_version

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


@cache
def code_version() -> str:
    """The package version plus a hash of the engine's source, so a code change is a new run."""
    digest = hashlib.sha256()
    for name in ("compile.py", "engine.py", "snapshot.py"):
        digest.update((resources.files("pade.indicators") / name).read_bytes())
    return f"{__version__}+{digest.hexdigest()[:10]}"


def snapshot_root(settings: Settings) -> Path:
    return settings.data_dir / "snapshots"


def snapshot(engine: Engine, settings: Settings, *, progress: Progress | None = None) -> Snapshot:
    """Write (or reuse) the Parquet snapshot of the store."""
    return take_snapshot(engine, snapshot_root(settings), progress=progress)


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    created: bool
    engine: str
    snapshot_hash: str
    programme_version: str
    years: range
    duration_s: float
    rows: int


def observed_years(years: range, today: date) -> range:
    """Years that can have data: a year after the current one is never computed (no fake carry-forward)."""
    return range(years.start, min(years.stop, today.year + 1))


def _programme(session: Session) -> StoredProgramme:
    stored = current_programme_version(session)
    if stored is None:
        raise NotFound(t("No programme is loaded. Run `pade programme load`."))
    return stored


def run_compute(engine: Engine, settings: Settings, *, engine_name: EngineName = EngineName.duckdb,
                years: range = range(2023, 2031), force: bool = False, actor: str = "cli",
                today: date | None = None, progress: Progress | None = None) -> RunOutcome:
    """Snapshot the store, compute every indicator and store the values as one run.

    Re-running with the same programme, data, engine, code and years returns the existing run
    (``created=False``) unless ``force``.

    ``progress(stage, done, total)`` is called as the work advances; the stages, in order, are
    ``leer`` and ``escribir`` (the snapshot), ``calcular`` (one step per indicator) and ``guardar``.
    Only rows of approved import batches are computed (decision 0015).
    """
    with Session(engine) as session:
        stored = _programme(session)
    span = observed_years(years, today or date.today())
    snap = snapshot(engine, settings, progress=progress)
    signature = hashlib.sha256(json.dumps([stored.content_hash, snap.content_hash, engine_name.value,
                                           code_version(), span.start, span.stop]).encode()).hexdigest()
    with Session(engine) as session:
        existing = session.scalar(select(IndicatorRun).where(IndicatorRun.signature == signature)
                                  .order_by(IndicatorRun.id.desc()))
        if existing is not None and not force:
            return RunOutcome(existing.id, False, existing.engine, existing.snapshot_hash,
                              existing.programme_version, span, existing.duration_s, existing.rows)
    started = datetime.now(UTC)
    clock = time.perf_counter()
    with connect(engine_name, snapshot=snap, database_url=str(engine.url.render_as_string(hide_password=False))
                 ) as con:
        results = compute_all(con, stored.programme, span, progress=progress)
    duration = time.perf_counter() - clock
    rows: list[dict[str, Any]] = []
    for r in results:
        for rec in r.values.to_dict("records"):
            rows.append({k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in rec.items()}
                        | {"indicador": r.indicator.id, "codigo": r.indicator.codigo, "anio": int(rec["anio"])})
    report = progress or (lambda stage, done, total: None)
    report("guardar", 0, 1)
    with Session(engine) as session, session.begin():
        run = IndicatorRun(signature=signature, programme_version=stored.version, programme_hash=stored.content_hash,
                           snapshot_hash=snap.content_hash, engine=engine_name.value, code_version=code_version(),
                           year_from=span.start, year_to=span.stop - 1, started_at=started, duration_s=duration,
                           rows=len(rows), actor=actor)
        session.add(run)
        session.flush()
        for row in rows:
            row["run_id"] = run.id
        if rows:
            session.execute(insert(IndicatorValue), rows)
        audit.record(session, actor=actor, action="indicators.compute", object_type="indicator_run",
                     object_id=str(run.id), payload={"signature": signature, "rows": len(rows)},
                     details={"engine": engine_name.value, "snapshot": snap.content_hash,
                              "programme": stored.content_hash, "rows": len(rows)})
        run_id = run.id
    report("guardar", 1, 1)
    log.info("run=%s engine=%s rows=%s duration_s=%.2f", run_id, engine_name.value, len(rows), duration)
    return RunOutcome(run_id, True, engine_name.value, snap.content_hash, stored.version, span, duration, len(rows))


def latest_run(session: Session) -> IndicatorRun | None:
    return session.scalar(select(IndicatorRun).order_by(IndicatorRun.id.desc()).limit(1))


def run_values(session: Session, run_id: int, *, codigo: str | None = None) -> pd.DataFrame:
    """The values of a run as a DataFrame (one row per indicator, year and breakdown cell)."""
    stmt = select(IndicatorValue).where(IndicatorValue.run_id == run_id)
    if codigo is not None:
        stmt = stmt.where(IndicatorValue.codigo == codigo)
    cols = ["codigo", "indicador", "anio", "desagregacion", "departamento", "tamano", "seccion_ciiu", "exportador",
            "sexo_titular", "numerador", "denominador", "valor", "medidas"]
    data = [{c: getattr(v, c) for c in cols} for v in session.scalars(stmt)]
    return pd.DataFrame(data, columns=cols)


def discard_runs(session: Session, keep: int) -> int:
    """Delete all but the ``keep`` most recent runs (values first). Returns runs deleted."""
    ids = list(session.scalars(select(IndicatorRun.id).order_by(IndicatorRun.id.desc()).offset(keep)))
    if ids:
        session.execute(delete(IndicatorValue).where(IndicatorValue.run_id.in_(ids)))
        session.execute(delete(IndicatorRun).where(IndicatorRun.id.in_(ids)))
    return len(ids)


# -- progress against targets ---------------------------------------------------------------

@dataclass(frozen=True)
class IndicatorSummary:
    indicator: Indicador
    series: dict[int, float]  # total value per year
    latest_year: int | None
    latest_value: float | None
    baseline: float | None
    baseline_year: int
    targets: dict[int, prog.TargetPoint]  # interpolated, scaled
    next_milestone: tuple[int, float] | None
    target_latest: float | None
    compliance: prog.Compliance
    light: prog.Legend
    status: prog.ProgressResult
    projection: prog.Projection


def scaled_milestones(ind: Indicador) -> list[tuple[int, float]]:
    scale = ind.calculo.meta_escala if ind.calculo else 1.0
    return [(m.anio, float(m.valor) * scale) for m in ind.metas]


def summarise(p: Programa, ind: Indicador, values: pd.DataFrame, *, horizon_end: int = 2030) -> IndicatorSummary:
    """Latest value, targets, CEPLAN compliance, traffic light, Open SDG status and projection."""
    total = values[(values["codigo"] == ind.codigo) & (values["desagregacion"] == "total")]
    series = {int(a): float(v) for a, v in zip(total["anio"], total["valor"], strict=True) if pd.notna(v)}
    baseline_year = ind.linea_base.anio or p.horizonte.anio_linea_base
    baseline = float(ind.linea_base.valor) if ind.linea_base.valor is not None else None
    milestones = scaled_milestones(ind)
    years = range(min([baseline_year, *series]), horizon_end + 1)
    targets = prog.yearly_targets((baseline_year, baseline) if baseline is not None else None, milestones, years)
    latest_year = max(series) if series else None
    latest_value = series.get(latest_year) if latest_year is not None else None
    target_latest = targets[latest_year].value if latest_year in targets else None
    upcoming = [(y, v) for y, v in milestones if latest_year is None or y >= latest_year]
    next_milestone = upcoming[0] if upcoming else (milestones[-1] if milestones else None)
    comp = prog.compliance(latest_value, target=target_latest, baseline=baseline, direction=ind.sentido_esperado)
    light = prog.traffic_light(comp.value_pct)
    history = dict(series)
    if baseline is not None and baseline_year not in history:
        history[baseline_year] = baseline
    final = milestones[-1] if milestones else None
    if final is None:
        status = prog.progress_status_without_target(history, direction=ind.sentido_esperado)
    else:
        status = prog.progress_status(history, target=final[1], target_year=final[0],
                                      direction=ind.sentido_esperado)
    projection = prog.project(history, to_year=horizon_end, target=final[1] if final else None,
                              direction=ind.sentido_esperado)
    return IndicatorSummary(ind, series, latest_year, latest_value, baseline, baseline_year, targets,
                            next_milestone, target_latest, comp, light, status, projection)


def summarise_run(session: Session, *, run_id: int | None = None) -> tuple[IndicatorRun, list[IndicatorSummary]]:
    """Summaries of every indicator for a run (default: the latest)."""
    run = session.get(IndicatorRun, run_id) if run_id is not None else latest_run(session)
    if run is None:
        raise NotFound(t("No indicator run yet. Run `pade compute`."))
    stored = _programme(session)
    values = run_values(session, run.id)
    return run, [summarise(stored.programme, ind, values) for ind in stored.programme.indicadores()]
