"""The reporting calendar: by when the data of each period is due.

The admin sets a due date per period for each reported variable (``variable``) and for each
record kind the entities import (``registro``), e.g. the value for year N by 31 March of N+1.
The data quality page compares what arrived with these dates.
"""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pade.auth.roles import Actor, Permission, require
from pade.core import audit
from pade.core.errors import InvalidDefinition, NotFound
from pade.core.i18n import t
from pade.programme.models import Programa
from pade.records.kinds import KINDS_BY_NAME
from pade.reporting.models import ReportingDue

VARIABLE, REGISTRO = "variable", "registro"
TARGET_TYPES = (VARIABLE, REGISTRO)
MAX_YEARS_PER_RULE = 30


@dataclass(frozen=True, slots=True)
class Target:
    type: str
    code: str
    label: str


def targets(p: Programa) -> list[Target]:
    """What a due date can be set for: the reported variables, then the record kinds the indicators use."""
    out = [Target(VARIABLE, v.codigo, v.descripcion) for v in p.variables_reportadas]
    for name in measure_kinds(p, None):
        out.append(Target(REGISTRO, name, str(KINDS_BY_NAME[name].title)))
    return out


def measure_kinds(p: Programa, entidad: str | None) -> list[str]:
    """Record kinds read by the indicators (of ``entidad``, when given), excluding reported values."""
    found: dict[str, None] = {}
    for ind in p.indicadores():
        if ind.calculo is None:
            continue
        if entidad is not None and entidad not in {r.entidad for r in ind.responsables}:
            continue
        for m in ind.calculo.medidas.values():
            for name in (m.registro, m.con_registro_en):
                if name is not None and name in KINDS_BY_NAME and KINDS_BY_NAME[name].date_field:
                    found[name] = None
    return sorted(found)


def set_due(session: Session, actor: Actor, p: Programa, *, target_type: str, target: str, periodo: int,
            due_date: date) -> ReportingDue:
    """Set (or change) the due date of ``target``'s data for year ``periodo``.

    Raises:
        Forbidden: not an admin.
        NotFound: unknown variable or record kind.
        InvalidDefinition: the due date comes before the year it reports.
    """
    require(actor, Permission.MANAGE_CALENDAR)
    _check_target(p, target_type, target)
    if due_date < date(periodo, 1, 1):
        raise InvalidDefinition(t("due date {due} for year {year}: it cannot come before the year it reports.",
                                  due=due_date.isoformat(), year=periodo))
    row = session.scalar(select(ReportingDue).where(ReportingDue.target_type == target_type,
                                                    ReportingDue.target == target, ReportingDue.periodo == periodo))
    before = None if row is None else row.due_date.isoformat()
    if row is None:
        row = ReportingDue(target_type=target_type, target=target, periodo=periodo, due_date=due_date,
                           set_by=actor.audit_name, set_at=datetime.now(UTC))
        session.add(row)
    else:
        row.due_date, row.set_by, row.set_at = due_date, actor.audit_name, datetime.now(UTC)
    session.flush()
    details = {"target_type": target_type, "target": target, "periodo": periodo, "due_date": due_date.isoformat(),
               "before": before}
    audit.record(session, actor=actor.audit_name, action="reporting_due.set", object_type="reporting_due",
                 object_id=f"{target_type}:{target}:{periodo}", payload=details, details=details)
    return row


def set_rule(session: Session, actor: Actor, p: Programa, *, target_type: str, target: str, years: range,
             month: int, day: int, years_after: int = 1) -> list[ReportingDue]:
    """Set the due date of every year N in ``years`` to ``day``/``month`` of N + ``years_after``.

    A day past the month's end means its last day (29 February in a non-leap year is the 28th).

    Raises:
        InvalidDefinition: an empty or too long range of years, or an impossible month or day.
    """
    require(actor, Permission.MANAGE_CALENDAR)
    if not 1 <= len(years) <= MAX_YEARS_PER_RULE:
        raise InvalidDefinition(t("Choose from 1 to {max} years (first year no later than the last).",
                                  max=MAX_YEARS_PER_RULE))
    if not 1 <= month <= 12 or not 1 <= day <= 31 or not 0 <= years_after <= 2:
        raise InvalidDefinition(t("Choose a month from 1 to 12, a day from 1 to 31, and 0 to 2 years after."))
    out = []
    for year in years:
        due_year = year + years_after
        due = date(due_year, month, min(day, _cal.monthrange(due_year, month)[1]))
        out.append(set_due(session, actor, p, target_type=target_type, target=target, periodo=year, due_date=due))
    return out


def _due(session: Session, due_id: int) -> ReportingDue:
    row = session.get(ReportingDue, due_id)
    if row is None:
        raise NotFound(t("calendar: due date {id} does not exist (it may have been deleted). Reload the calendar.",
                         id=due_id))
    return row


def change_due(session: Session, actor: Actor, p: Programa, *, due_id: int, due_date: date) -> ReportingDue:
    """Move one due date (audited as ``reporting_due.set`` with its previous date).

    Raises:
        Forbidden: not an admin.
        NotFound: no due date ``due_id``.
        InvalidDefinition: the due date comes before the year it reports.
    """
    require(actor, Permission.MANAGE_CALENDAR)
    row = _due(session, due_id)
    return set_due(session, actor, p, target_type=row.target_type, target=row.target, periodo=row.periodo,
                   due_date=due_date)


def delete_due(session: Session, actor: Actor, *, due_id: int) -> None:
    """Delete one due date: that year of that target is no longer late for anyone.

    The audit entry (``reporting_due.delete``) keeps the deleted date.

    Raises:
        Forbidden: not an admin.
        NotFound: no due date ``due_id``.
    """
    require(actor, Permission.MANAGE_CALENDAR)
    row = _due(session, due_id)
    details = {"target_type": row.target_type, "target": row.target, "periodo": row.periodo,
               "due_date": row.due_date.isoformat()}
    session.delete(row)
    session.flush()
    audit.record(session, actor=actor.audit_name, action="reporting_due.delete", object_type="reporting_due",
                 object_id=f"{row.target_type}:{row.target}:{row.periodo}", payload=details, details=details)


def due_dates(session: Session) -> dict[tuple[str, str, int], date]:
    """Every due date, by ``(target_type, target, periodo)``."""
    return {(r.target_type, r.target, r.periodo): r.due_date for r in session.scalars(select(ReportingDue))}


def list_due(session: Session, actor: Actor) -> list[ReportingDue]:
    require(actor, Permission.MANAGE_CALENDAR)
    return list(session.scalars(select(ReportingDue).order_by(ReportingDue.target_type, ReportingDue.target,
                                                               ReportingDue.periodo)))


def _check_target(p: Programa, target_type: str, target: str) -> None:
    known = [x.code for x in targets(p) if x.type == target_type]
    if target_type not in TARGET_TYPES:
        raise InvalidDefinition(t("unknown calendar target type {value}; known: {known}", value=target_type,
                                  known=", ".join(TARGET_TYPES)))
    if target not in known:
        raise NotFound(t("calendar: {value} is not a reported variable or record kind used by the indicators; "
                         "known: {known}", value=target, known=", ".join(known)))
