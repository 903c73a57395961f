"""Reported values: an entity submits, a revisor approves or rejects, approval lands the record.

The lifecycle of one ``(variable, entidad, periodo)``:

- an officer of the entity (or an admin) submits revision 1: ``pendiente``;
- a revisor (or an admin) who did not submit it approves it (``aprobado``) or rejects it
  with a comment (``rechazado``);
- on approval the value is imported as a ``valor_reportado`` record through the normal
  import path (:func:`pade.records.importer.import_raw`, the entity as the batch's entity),
  so ``pade compute`` reads it; a later approved revision lands as a revision of that record
  and replaces it;
- an approved or rejected revision is never edited: a change is a new revision (number + 1,
  linked to the previous one) that waits for review again, while the approved one stays in force.

Every step writes the audit log. Permissions are checked here, with :func:`pade.auth.roles.require`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pade.auth.roles import Actor, Permission, Role, allowed, require
from pade.core import audit
from pade.core.errors import Conflict, Forbidden, InvalidDefinition, NotFound
from pade.core.i18n import t
from pade.programme.models import Programa, VariableReportada
from pade.programme.store import current_programme_version
from pade.records.batch import raw_from_rows
from pade.records.importer import import_raw, record_kind
from pade.reporting.evidence import store_evidence
from pade.reporting.models import ReportedValue

log = logging.getLogger(__name__)

PENDIENTE, APROBANDO, APROBADO, RECHAZADO = "pendiente", "aprobando", "aprobado", "rechazado"
# "aprobando": claimed by an approval whose import is running (or died: approving again finishes it).
OPEN_STATES = (PENDIENTE, APROBANDO)
FIRST_PERIOD = 2000
MAX_TEXT = 2000
MAX_VALUE = Decimal("99999999999999")  # Numeric(18, 4)
OBJECT_TYPE = "reported_value"


@dataclass(frozen=True, slots=True)
class Evidence:
    """An uploaded evidence file, as received."""

    file_name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class ValueSubmission:
    """What an entity submits (the web form and the tests build this)."""

    variable: str
    entidad: str
    periodo: int
    valor: str | Decimal | float | int
    justificacion: str
    evidence_url: str | None = None
    evidence: Evidence | None = None


@dataclass(frozen=True, slots=True)
class ValueChain:
    """The revisions of one ``(variable, entidad, periodo)``: the one in force and the latest."""

    variable: str
    entidad: str
    periodo: int
    in_force: ReportedValue | None  # latest approved revision
    latest: ReportedValue


# -- the programme ------------------------------------------------------------------------------

def programme(session: Session) -> Programa:
    """The programme in force, or a Spanish error saying how to load it."""
    stored = current_programme_version(session)
    if stored is None:
        raise NotFound(t("No programme is loaded. Run `pade programme load`."))
    return stored.programme


def reported_variable(p: Programa, codigo: str) -> VariableReportada:
    for v in p.variables_reportadas:
        if v.codigo == codigo:
            return v
    raise NotFound(t("unknown reported variable {value}; known: {known}", value=codigo,
                     known=", ".join(v.codigo for v in p.variables_reportadas)))


def reportable_variables(p: Programa, actor: Actor) -> list[tuple[VariableReportada, list[str]]]:
    """The variables ``actor`` may report, each with the entities it may report them for."""
    out = []
    for v in p.variables_reportadas:
        entities = [e for e in v.entidades if allowed(actor, Permission.REPORT_VALUES, e)]
        if entities:
            out.append((v, entities))
    return out


# -- submit -------------------------------------------------------------------------------------

def submit_value(session: Session, actor: Actor, data: ValueSubmission, *, evidence_root: Path,
                 today: date | None = None) -> ReportedValue:
    """Record a new revision of the value of ``data.variable`` for ``data.entidad`` and ``data.periodo``.

    Raises:
        Unauthenticated, Forbidden: the actor may not report for that entity.
        NotFound: unknown variable, or no programme loaded.
        InvalidDefinition: a field is invalid (value, period, justification, evidence).
        Conflict: an earlier revision of the same value still waits for review.
    """
    require(actor, Permission.REPORT_VALUES, data.entidad)
    variable = reported_variable(programme(session), data.variable)
    if data.entidad not in variable.entidades:
        raise InvalidDefinition(t("entity {entity} does not report the variable {variable} (it is reported by: "
                                  "{known}).", entity=data.entidad, variable=variable.codigo,
                                  known=", ".join(variable.entidades)))
    valor = _checked_value(data.valor, unidad=variable.unidad.value)
    periodo = _checked_period(data.periodo, today or date.today())
    justificacion = (data.justificacion or "").strip()
    if not justificacion:
        raise InvalidDefinition(t("Write a justification: how the value was obtained or what it covers."))
    if len(justificacion) > MAX_TEXT:
        raise InvalidDefinition(t("The justification has {n} characters; the limit is {limit}.",
                                  n=len(justificacion), limit=MAX_TEXT))
    url = _checked_url(data.evidence_url)
    if url is None and data.evidence is None:
        raise InvalidDefinition(t("Attach the evidence (PDF, XLSX, CSV, PNG or JPG) or give its address (URL)."))
    previous = _latest(session, variable.codigo, data.entidad, periodo)
    if previous is not None and previous.estado in OPEN_STATES:
        raise Conflict(t("revision {revision} of this value (variable {variable}, entity {entity}, year {year}) is "
                         "still waiting for review; wait for the decision before submitting another.",
                         revision=previous.revision, variable=variable.codigo, entity=data.entidad, year=periodo))
    stored = store_evidence(evidence_root, data.evidence.data, data.evidence.file_name) if data.evidence else None
    value = ReportedValue(
        variable=variable.codigo, entidad=data.entidad, periodo=periodo,
        revision=1 if previous is None else previous.revision + 1,
        previous_id=None if previous is None else previous.id,
        valor=valor, unidad=variable.unidad.value, justificacion=justificacion, evidence_url=url,
        evidence_file_name=stored.file_name if stored else None, evidence_sha256=stored.sha256 if stored else None,
        evidence_size_bytes=stored.size_bytes if stored else None, evidence_type=stored.type if stored else None,
        estado=PENDIENTE, submitted_by=actor.audit_name, submitted_by_user_id=actor.user_id,
        submitted_at=datetime.now(UTC))
    session.add(value)
    try:
        session.flush()
    except IntegrityError as e:  # the same revision was submitted at the same moment (unique index)
        raise Conflict(t("another revision of this value (variable {variable}, entity {entity}, year {year}) was "
                         "submitted at the same moment; reload the page to see it before submitting again.",
                         variable=variable.codigo, entity=data.entidad, year=periodo)) from e
    _audit(session, actor, "reported_value.submit", value)
    log.info("reported value submitted id=%s variable=%s entidad=%s periodo=%s revision=%s", value.id,
             value.variable, value.entidad, value.periodo, value.revision)
    return value


def _checked_value(raw: str | Decimal | float | int, *, unidad: str) -> Decimal:
    text = str(raw).strip().replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # a decimal comma, as typed in Peru
    try:
        valor = Decimal(text)
    except InvalidOperation:
        valor = Decimal("NaN")
    if not valor.is_finite() or (isinstance(raw, float) and not math.isfinite(raw)):
        raise InvalidDefinition(t("value {value}: write a number, e.g. 1250 or 12.5.", value=str(raw)[:40]))
    if valor < 0 or valor > MAX_VALUE:
        raise InvalidDefinition(t("value {value}: it must be between 0 and {max}.", value=text, max=str(MAX_VALUE)))
    if unidad == "porcentaje" and valor > 100:
        raise InvalidDefinition(t("value {value}: a percentage must be between 0 and 100.", value=text))
    if valor != valor.quantize(Decimal("0.0001")):
        raise InvalidDefinition(t("value {value}: at most 4 decimals.", value=text))
    return valor


def _checked_period(periodo: int, today: date) -> int:
    if not FIRST_PERIOD <= periodo <= today.year:
        raise InvalidDefinition(t("year {value}: the value must refer to a year from {first} to {last}.",
                                  value=periodo, first=FIRST_PERIOD, last=today.year))
    return periodo


def _checked_url(url: str | None) -> str | None:
    url = (url or "").strip()
    if not url:
        return None
    if not url.lower().startswith(("https://", "http://")) or len(url) > 500 or any(c.isspace() for c in url):
        raise InvalidDefinition(t("evidence address {value}: write a full web address that starts with "
                                  "https:// (at most 500 characters).", value=url[:80]))
    return url


# -- review -------------------------------------------------------------------------------------

def approve_value(engine: Engine, actor: Actor, value_id: int, *, comment: str | None = None,
                  today: date | None = None) -> ReportedValue:
    """Approve a pending revision and land it as a ``valor_reportado`` record.

    The revision is first claimed (``aprobando``), so a concurrent review fails with a conflict;
    then the record is imported (idempotent: the same revision always gives the same batch);
    then the revision is marked approved with its batch. Approving a revision left in
    ``aprobando`` by a crash finishes the job.

    Raises:
        Forbidden: not a reviewer, or the actor submitted this revision.
        NotFound: no such value.
        Conflict: the revision was already reviewed, or its record did not pass the import checks.
    """
    require(actor, Permission.REVIEW)
    note = _checked_comment(comment, required=False)
    with Session(engine) as session, session.begin():
        value = _reviewable(session, actor, value_id)
        if value.estado == PENDIENTE:
            session.execute(update(ReportedValue).where(ReportedValue.id == value_id,
                                                        ReportedValue.estado == PENDIENTE).values(estado=APROBANDO))
        row = _record_row(value)
        entidad = value.entidad
    report = import_raw(engine, record_kind("valor_reportado"), raw_from_rows([row]), file_name=None,
                        source="aprobacion", entidad=entidad, actor=actor.audit_name, today=today)
    landed = report.rows_loaded + report.rows_revised + report.rows_unchanged
    if report.rows_quarantined or landed != 1:
        with Session(engine) as session, session.begin():
            session.execute(update(ReportedValue).where(ReportedValue.id == value_id,
                                                        ReportedValue.estado == APROBANDO).values(estado=PENDIENTE))
        reasons = "; ".join(i.message for i in report.issues) or "-"
        raise Conflict(t("reported value {id}: its record did not pass the import checks ({reasons}); it stays "
                         "pending.", id=value_id, reasons=reasons))
    with Session(engine, expire_on_commit=False) as session, session.begin():
        value = _get(session, value_id)
        if value.estado != APROBANDO:  # pragma: no cover - only a concurrent reject of a claimed value
            raise Conflict(t("reported value {id} was reviewed by someone else meanwhile.", id=value_id))
        value.estado = APROBADO
        value.reviewed_by, value.reviewed_by_user_id = actor.audit_name, actor.user_id
        value.reviewed_at, value.review_comment, value.batch_id = datetime.now(UTC), note, report.batch_id
        session.flush()
        _audit(session, actor, "reported_value.approve", value, batch_id=report.batch_id)
    log.info("reported value approved id=%s batch=%s", value_id, report.batch_id)
    return value


def reject_value(session: Session, actor: Actor, value_id: int, *, comment: str) -> ReportedValue:
    """Reject a pending revision; the comment tells the entity what to fix.

    Raises:
        Forbidden: not a reviewer, or the actor submitted this revision.
        InvalidDefinition: no comment.
        Conflict: the revision was already reviewed.
    """
    require(actor, Permission.REVIEW)
    note = _checked_comment(comment, required=True)
    value = _reviewable(session, actor, value_id)
    if value.estado != PENDIENTE:
        raise Conflict(t("reported value {id} is being approved; it can no longer be rejected.", id=value_id))
    done = session.execute(update(ReportedValue).where(ReportedValue.id == value_id,
                                                       ReportedValue.estado == PENDIENTE)
                           .values(estado=RECHAZADO, reviewed_by=actor.audit_name, reviewed_by_user_id=actor.user_id,
                                   reviewed_at=datetime.now(UTC), review_comment=note))
    if not done.rowcount:  # type: ignore[attr-defined]
        raise Conflict(t("reported value {id} was reviewed by someone else meanwhile.", id=value_id))
    session.refresh(value)
    _audit(session, actor, "reported_value.reject", value)
    log.info("reported value rejected id=%s", value_id)
    return value


def _reviewable(session: Session, actor: Actor, value_id: int) -> ReportedValue:
    value = _get(session, value_id)
    if value.submitted_by_user_id == actor.user_id:
        raise Forbidden(t("You submitted this value: another reviewer must approve or reject it."))
    if value.estado not in OPEN_STATES:
        raise Conflict(t("reported value {id} was already reviewed ({state}); a change needs a new revision.",
                         id=value_id, state=value.estado))
    return value


def _checked_comment(comment: str | None, *, required: bool) -> str | None:
    note = (comment or "").strip()
    if required and not note:
        raise InvalidDefinition(t("Write a comment that tells the entity why the value is rejected and what to fix."))
    if len(note) > MAX_TEXT:
        raise InvalidDefinition(t("The comment has {n} characters; the limit is {limit}.", n=len(note),
                                  limit=MAX_TEXT))
    return note or None


def _record_row(value: ReportedValue) -> dict[str, Any]:
    """The ``valor_reportado`` record of an approved revision; the same revision always gives the same row.

    The evidence reference names the revision, so every revision is a distinct row (and batch),
    even one that repeats an earlier value.
    """
    if value.evidence_sha256:
        source = f"{value.evidence_file_name} sha256:{value.evidence_sha256[:16]}"
        if value.evidence_url:
            source += f" {value.evidence_url}"
    else:
        source = value.evidence_url or ""
    evidence = f"PADE valor {value.id} rev {value.revision}: {source}"[:500]
    return {"variable": value.variable, "entidad": value.entidad, "periodo": value.periodo,
            "valor": format(Decimal(value.valor).normalize(), "f"), "evidencia": evidence,
            "justificacion": value.justificacion, "estado": APROBADO}


# -- reading ------------------------------------------------------------------------------------

def get_value(session: Session, actor: Actor, value_id: int) -> ReportedValue:
    """One revision, if ``actor`` may see its entity's data.

    Raises:
        NotFound, Forbidden.
    """
    value = _get(session, value_id)
    require(actor, Permission.VIEW_ENTITY_DATA, value.entidad)
    return value


def history(session: Session, actor: Actor, value: ReportedValue) -> list[ReportedValue]:
    """Every revision of ``value``'s variable, entity and year, newest first."""
    require(actor, Permission.VIEW_ENTITY_DATA, value.entidad)
    return list(session.scalars(
        select(ReportedValue).where(ReportedValue.variable == value.variable, ReportedValue.entidad == value.entidad,
                                    ReportedValue.periodo == value.periodo)
        .order_by(ReportedValue.revision.desc())))


def list_chains(session: Session, actor: Actor, *, entidad: str | None = None) -> list[ValueChain]:
    """The reported values ``actor`` may see (one entry per variable, entity and year), newest year first.

    An officer sees its own entity only; asking for another raises :class:`Forbidden`.
    """
    if actor.role is Role.OFICIAL and entidad is None:
        entidad = actor.entity_code
    require(actor, Permission.VIEW_ENTITY_DATA, entidad)
    stmt = select(ReportedValue).order_by(ReportedValue.revision)
    if entidad is not None:
        stmt = stmt.where(ReportedValue.entidad == entidad)
    chains: dict[tuple[str, str, int], list[ReportedValue]] = {}
    for v in session.scalars(stmt):
        chains.setdefault((v.variable, v.entidad, v.periodo), []).append(v)
    out = []
    for (variable, ent, periodo), revisions in chains.items():
        approved = [r for r in revisions if r.estado == APROBADO]
        out.append(ValueChain(variable, ent, periodo, approved[-1] if approved else None, revisions[-1]))
    return sorted(out, key=lambda c: (-c.periodo, c.entidad, c.variable))


def review_queue(session: Session, actor: Actor) -> list[ReportedValue]:
    """Revisions waiting for review, oldest first (a reviewer's own submissions included, marked by the page)."""
    require(actor, Permission.REVIEW)
    return list(session.scalars(select(ReportedValue).where(ReportedValue.estado.in_(OPEN_STATES))
                                .order_by(ReportedValue.submitted_at, ReportedValue.id)))


def in_force(session: Session, variable: str, entidad: str, periodo: int) -> ReportedValue | None:
    """The approved revision in force (the latest approved), if any."""
    return session.scalar(
        select(ReportedValue).where(ReportedValue.variable == variable, ReportedValue.entidad == entidad,
                                    ReportedValue.periodo == periodo, ReportedValue.estado == APROBADO)
        .order_by(ReportedValue.revision.desc()).limit(1))


def pending_count(session: Session, entidad: str | None = None) -> int:
    stmt = select(func.count()).select_from(ReportedValue).where(ReportedValue.estado.in_(OPEN_STATES))
    if entidad is not None:
        stmt = stmt.where(ReportedValue.entidad == entidad)
    return int(session.scalar(stmt) or 0)


def _get(session: Session, value_id: int) -> ReportedValue:
    value = session.get(ReportedValue, value_id)
    if value is None:
        raise NotFound(t("reported value {id} does not exist.", id=value_id))
    return value


def _latest(session: Session, variable: str, entidad: str, periodo: int) -> ReportedValue | None:
    return session.scalar(
        select(ReportedValue).where(ReportedValue.variable == variable, ReportedValue.entidad == entidad,
                                    ReportedValue.periodo == periodo)
        .order_by(ReportedValue.revision.desc()).limit(1))


def _audit(session: Session, actor: Actor, action: str, value: ReportedValue, **extra: Any) -> None:
    details = {"variable": value.variable, "entidad": value.entidad, "periodo": value.periodo,
               "revision": value.revision, "estado": value.estado, "previous_id": value.previous_id, **extra}
    payload = {**details, "valor": str(value.valor), "evidence_sha256": value.evidence_sha256,
               "evidence_url": value.evidence_url, "justificacion": value.justificacion,
               "review_comment": value.review_comment}
    audit.record(session, actor=actor.audit_name, action=action, object_type=OBJECT_TYPE, object_id=str(value.id),
                 payload=payload, details=details)
