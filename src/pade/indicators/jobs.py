"""Compute from the back-office: one background compute at a time, its progress, and the runs' lineage.

The web app holds one :class:`ComputeJobs`. ``start`` runs :func:`run_compute` in a worker thread and
returns at once; the page polls ``current`` for the stage (snapshot, indicator i of n, saving, done or
failed with a Spanish message). A second ``start`` while one runs raises :class:`Conflict`.

The guard is per process: ``pade serve`` runs one worker process (decision 0015). A compute started
from the CLI at the same time is not blocked; both are safe (a run is one transaction, and the same
inputs give the same run).
"""

from __future__ import annotations

import logging
import threading
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pade.auth.roles import Actor, Permission, require
from pade.core.errors import Conflict, PadeError
from pade.core.i18n import t
from pade.core.settings import Settings
from pade.indicators.engine import EngineName
from pade.indicators.service import run_compute
from pade.indicators.store import IndicatorRun

log = logging.getLogger(__name__)

RUNNING, DONE, FAILED = "en_curso", "terminado", "fallido"


@dataclass(frozen=True, slots=True)
class JobState:
    """What the progress panel shows: an immutable copy, safe to hand to another thread."""

    job_id: str
    actor: str
    engine: str
    started_at: datetime
    state: str = RUNNING
    stage: str = "inicio"
    done: int = 0
    total: int = 0
    finished_at: datetime | None = None
    run_id: int | None = None
    created: bool | None = None
    rows: int | None = None
    error: str | None = None

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    @property
    def percent(self) -> int:
        """Overall progress: the snapshot is the first fifth, the indicators the next three fifths."""
        if self.state == DONE:
            return 100
        base, span = {"inicio": (0, 0), "leer": (0, 10), "escribir": (10, 10), "calcular": (20, 75),
                      "guardar": (95, 5)}.get(self.stage, (0, 0))
        share = self.done / self.total if self.total else 0.0
        return min(100, int(base + span * share))

    def label(self) -> str:
        """The Spanish sentence for the current stage."""
        if self.state == FAILED:
            return t("The compute failed: {error}", error=self.error or "-")
        if self.state == DONE:
            if self.created:
                return t("Done: run {run} stored with {rows} values.", run=self.run_id, rows=self.rows)
            return t("Done: nothing changed since run {run} (same programme, data, engine and code).",
                     run=self.run_id)
        labels = {
            "inicio": t("Starting…"),
            "leer": t("Snapshot: reading the system of record…"),
            "escribir": t("Snapshot: writing table {i} of {n}…", i=self.done, n=self.total),
            "calcular": t("Computing indicator {i} of {n}…", i=self.done, n=self.total),
            "guardar": t("Saving the values of the run…"),
        }
        return labels.get(self.stage, self.stage)


@dataclass
class ComputeJobs:
    """The background compute of one web app (one at a time)."""

    engine: Engine
    settings: Settings
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _state: JobState | None = None
    _thread: threading.Thread | None = None

    def start(self, actor: Actor, *, engine_name: EngineName = EngineName.duckdb, force: bool = False) -> JobState:
        """Start a compute in a worker thread and return its first state.

        Raises:
            Forbidden: ``actor`` may not run computes (admin only).
            Conflict: a compute is already running.
        """
        require(actor, Permission.RUN_COMPUTE)
        with self._lock:
            if self._state is not None and self._state.running:
                raise Conflict(t("A compute is already running (started by {who} at {at} UTC); wait for it to "
                                 "finish and follow its progress on this page.", who=self._state.actor,
                                 at=self._state.started_at.strftime("%H:%M:%S")))
            state = JobState(job_id=uuid.uuid4().hex[:12], actor=actor.audit_name, engine=engine_name.value,
                             started_at=datetime.now(UTC))
            self._state = state
            self._thread = threading.Thread(target=self._run, args=(state.job_id, engine_name, force),
                                            name=f"pade-compute-{state.job_id}", daemon=True)
            self._thread.start()
        log.info("compute started job=%s engine=%s", state.job_id, engine_name.value)
        return state

    def current(self, actor: Actor) -> JobState | None:
        """The running or last compute of this process, or None.

        Raises:
            Forbidden: ``actor`` may not run computes.
        """
        require(actor, Permission.RUN_COMPUTE)
        with self._lock:
            return self._state

    def wait(self, timeout_s: float | None = None) -> None:
        """Block until the worker thread ends (tests and shutdown)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    def _update(self, job_id: str, **changes: Any) -> None:
        with self._lock:
            if self._state is not None and self._state.job_id == job_id:
                self._state = replace(self._state, **changes)

    def _run(self, job_id: str, engine_name: EngineName, force: bool) -> None:
        actor = self._state.actor if self._state else "web"

        def progress(stage: str, done: int, total: int) -> None:
            self._update(job_id, stage=stage, done=done, total=total)

        try:
            outcome = run_compute(self.engine, self.settings, engine_name=engine_name, force=force, actor=actor,
                                  progress=progress)
        except PadeError as e:
            log.warning("compute failed job=%s error=%s", job_id, type(e).__name__)
            self._update(job_id, state=FAILED, error=str(e), finished_at=datetime.now(UTC))
            return
        except Exception:  # a worker thread must record any failure, or the page would wait for ever
            log.exception("compute crashed job=%s", job_id)
            self._update(job_id, state=FAILED, finished_at=datetime.now(UTC),
                         error=t("internal error (job {job}); the server log has the details.", job=job_id))
            return
        self._update(job_id, state=DONE, stage="fin", run_id=outcome.run_id, created=outcome.created,
                     rows=outcome.rows, finished_at=datetime.now(UTC))
        log.info("compute finished job=%s run=%s created=%s", job_id, outcome.run_id, outcome.created)


def recent_runs(session: Session, actor: Actor, *, limit: int = 20) -> list[IndicatorRun]:
    """The latest runs, newest first, with their lineage columns.

    Raises:
        Forbidden: ``actor`` may not see unpublished results.
    """
    require(actor, Permission.VIEW_UNPUBLISHED)
    return list(session.scalars(select(IndicatorRun).order_by(IndicatorRun.id.desc()).limit(limit)))
