"""Import batches as the back-office sees them: an entity's history, and the revisor's approval.

Semantics (docs/decisions/0015-backoffice-imports-and-compute.md):

- a batch an entity uploads through the web starts ``pendiente``; CLI, API and synthetic imports are
  approved at import (the operator is trusted);
- the snapshot, hence every indicator, counts only rows of ``aprobada`` batches;
- a revisor (or admin) approves or rejects a pending batch, never one they uploaded themselves; a
  rejection needs a comment, keeps the rows stored (excluded), discards the batch's open quarantine and
  reopens the quarantine rows its re-upload had resolved.

Every function takes the acting user and checks the permission itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pade.auth.roles import Actor, Permission, require
from pade.core import audit
from pade.core.errors import Conflict, NotFound, PadeError
from pade.core.i18n import t
from pade.records.kinds import KINDS_BY_NAME
from pade.records.tables import ImportBatch, QuarantineRow, ReviewStatus

log = logging.getLogger(__name__)

COMMENT_MAX_CHARS = 2000


class ReviewRefused(PadeError, ValueError):
    """The review request is incomplete (e.g. a rejection without a reason)."""

    http_status = 422


@dataclass(frozen=True, slots=True)
class BatchView:
    """One import batch, for the history, the batch page and the review queue."""

    id: int
    kind: str
    kind_title: str
    entidad: str | None
    source: str
    file_name: str | None
    actor: str
    started_at: datetime
    rows_total: int
    rows_loaded: int
    rows_revised: int
    rows_unchanged: int
    rows_quarantined: int
    quarantine_open: int
    quarantine_resolved: int
    review_status: ReviewStatus
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_comment: str | None
    groups: list[dict[str, Any]]

    @property
    def pending(self) -> bool:
        return self.review_status is ReviewStatus.pendiente


def _view(batch: ImportBatch, open_rows: int) -> BatchView:
    summary = batch.report or {}
    kind = KINDS_BY_NAME.get(batch.kind)
    return BatchView(
        id=batch.id, kind=batch.kind, kind_title=kind.title if kind else batch.kind, entidad=batch.entidad,
        source=batch.source, file_name=batch.file_name, actor=batch.actor, started_at=batch.started_at,
        rows_total=batch.rows_total, rows_loaded=int(summary.get("rows_loaded", batch.rows_loaded)),
        rows_revised=int(summary.get("rows_revised", 0)), rows_unchanged=batch.rows_unchanged,
        rows_quarantined=batch.rows_quarantined, quarantine_open=open_rows,
        quarantine_resolved=int(summary.get("quarantine_resolved", 0)),
        review_status=ReviewStatus(batch.review_status), reviewed_by=batch.reviewed_by,
        reviewed_at=batch.reviewed_at, review_comment=batch.review_comment,
        groups=list(summary.get("groups", [])))


def _open_counts(session: Session, batch_ids: list[int]) -> dict[int, int]:
    if not batch_ids:
        return {}
    rows = session.execute(select(QuarantineRow.batch_id, func.count()).where(
        QuarantineRow.batch_id.in_(batch_ids), QuarantineRow.status == "abierta").group_by(QuarantineRow.batch_id))
    return {int(b): int(n) for b, n in rows}


def list_batches(session: Session, actor: Actor, *, entidad: str | None = None,
                 status: ReviewStatus | None = None, limit: int = 100) -> list[BatchView]:
    """Batches, newest first: of one entity (its history), or of every entity (the review queue).

    Raises:
        Forbidden: an officer asking for another entity, or for every entity.
    """
    if entidad is not None:
        require(actor, Permission.VIEW_ENTITY_DATA, entidad)
    else:
        require(actor, Permission.VIEW_UNPUBLISHED)
    stmt = select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)
    if entidad is not None:
        stmt = stmt.where(ImportBatch.entidad == entidad)
    if status is not None:
        stmt = stmt.where(ImportBatch.review_status == status.value)
    batches = list(session.scalars(stmt))
    counts = _open_counts(session, [b.id for b in batches])
    return [_view(b, counts.get(b.id, 0)) for b in batches]


def get_batch(session: Session, actor: Actor, batch_id: int) -> BatchView:
    """One batch, if ``actor`` may see its entity's data.

    Raises:
        NotFound: no batch has that id.
        Forbidden: an officer of another entity.
    """
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(t("Import batch {id} does not exist. Open the import history to find it.", id=batch_id))
    require(actor, Permission.VIEW_ENTITY_DATA, batch.entidad)
    return _view(batch, _open_counts(session, [batch.id]).get(batch.id, 0))


def review_batch(session: Session, actor: Actor, batch_id: int, *, approve: bool,
                 comment: str | None = None) -> BatchView:
    """Approve or reject a pending batch (in the caller's transaction) and audit the decision.

    Raises:
        Forbidden: the role cannot review (only revisor and admin can).
        NotFound: no batch has that id.
        Conflict: the batch is not pending, or ``actor`` uploaded it.
        ReviewRefused: a rejection without a comment, or a comment too long.
    """
    require(actor, Permission.REVIEW)
    batch = session.get(ImportBatch, batch_id, with_for_update=True)
    if batch is None:
        raise NotFound(t("Import batch {id} does not exist. Open the import history to find it.", id=batch_id))
    if batch.review_status != ReviewStatus.pendiente.value:
        raise Conflict(t("Import batch {id} was already reviewed ({status}); only pending batches can be "
                         "approved or rejected.", id=batch_id, status=batch.review_status))
    if batch.actor == actor.audit_name:
        raise Conflict(t("Import batch {id} was uploaded by you: another reviewer must approve or reject it.",
                         id=batch_id))
    text = (comment or "").strip()
    if not approve and not text:
        raise ReviewRefused(t("Write the reason for the rejection, so that the entity knows what to fix."))
    if len(text) > COMMENT_MAX_CHARS:
        raise ReviewRefused(t("The comment has more than {limit} characters; shorten it.", limit=COMMENT_MAX_CHARS))
    decision = ReviewStatus.aprobada if approve else ReviewStatus.rechazada
    batch.review_status = decision.value
    batch.reviewed_by = actor.audit_name
    batch.reviewed_at = datetime.now(UTC)
    batch.review_comment = text or None
    discarded = reopened = 0
    if not approve:
        discarded = int(session.execute(  # type: ignore[attr-defined]
            update(QuarantineRow).where(QuarantineRow.batch_id == batch.id, QuarantineRow.status == "abierta")
            .values(status="descartada")).rowcount or 0)
        reopened = int(session.execute(  # type: ignore[attr-defined]
            update(QuarantineRow).where(QuarantineRow.resolved_batch_id == batch.id)
            .values(status="abierta", resolved_batch_id=None)).rowcount or 0)
    details = {"decision": decision.value, "kind": batch.kind, "entidad": batch.entidad,
               "quarantine_discarded": discarded, "quarantine_reopened": reopened}
    audit.record(session, actor=actor.audit_name, action="records.review", object_type="import_batch",
                 object_id=str(batch.id), payload={**details, "comment": text or None}, details=details)
    session.flush()
    log.info("import batch reviewed batch=%s decision=%s", batch.id, decision.value)
    return _view(batch, _open_counts(session, [batch.id]).get(batch.id, 0))
