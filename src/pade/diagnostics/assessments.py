"""Assessments: start, save as the respondent goes, submit, compare with the previous one and with peers.

An assessment belongs to a company (RUC); respondents only attribute answers.
Submitting scores it with the company's attributes of that day (thresholds may
depend on the sector and size), stores the score (re-scoring adds rows, never
edits), and lands a ``diagnostico`` record through the importer, in the same
transaction, which is what the indicators OE1-03.2, OE2-06 and OE2-09 count.
"""

from __future__ import annotations

import logging
import time
import uuid
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from pade.core import audit
from pade.core.errors import Conflict, NotFound, PadeError, StoreError
from pade.core.i18n import t
from pade.diagnostics.loader import load_questionnaire
from pade.diagnostics.models import TAMANOS, Cuestionario
from pade.diagnostics.scoring import CompanyContext, InvalidAnswers, ScoreResult, score
from pade.diagnostics.store import AnswerLog, Assessment, AssessmentScore, RescoreRun
from pade.records.batch import raw_from_rows
from pade.records.importer import import_in, record_kind
from pade.registry import reference
from pade.registry import ruc as ruc_rules
from pade.registry.service import CompanyView, companies_at, company_at

log = logging.getLogger(__name__)

# A later assessment counts as a re-assessment when at least this many days have passed (inclusive).
REASSESSMENT_MIN_DAYS = 180
# Peer groups smaller than this are widened (department, then size, then sector dropped).
PEER_MIN_GROUP = 10
# The self-diagnosis platform is run by PADE for the programme; its records are reported by the SGTD.
REPORTING_ENTITY = "PCM-SGTD"
ACTOR = "autodiagnostico"


class AssessmentClosed(PadeError, ValueError):
    http_status = 409


def _now() -> datetime:
    return datetime.now(UTC)


def start(session: Session, *, ruc: str, questionnaire: str, consent: bool = False) -> Assessment:
    """Open a draft for the company ``ruc``.

    Raises:
        InvalidRuc: the RUC is not valid (with a Spanish message on how to fix it).
        NotFound: no such questionnaire.
    """
    number = ruc_rules.validate(ruc)
    q = load_questionnaire(questionnaire)
    now = _now()
    a = Assessment(id=str(uuid.uuid4()), ruc=number, questionnaire=q.id, version=q.version, status="borrador",
                   answers={}, consent=consent, company={}, created_at=now, updated_at=now, submitted_at=None)
    session.add(a)
    session.flush()
    return a


def get(session: Session, assessment_id: str) -> Assessment:
    a = session.get(Assessment, assessment_id)
    if a is None:
        raise NotFound(t("There is no self-diagnosis with that link; start a new one."))
    return a


# -- many at once (group commit, decision 0017) ---------------------------------------------------------

@dataclass(frozen=True)
class Start:
    ruc: str
    questionnaire: str
    consent: bool = False


@dataclass(frozen=True)
class Save:
    """Answers to merge into a draft; ``keep_valid``: keep the valid ones and report the others (a step page)."""

    assessment_id: str
    answers: dict[str, Any]
    respondent: str | None = None
    consent: bool | None = None
    keep_valid: bool = False


@dataclass(frozen=True)
class Saved:
    assessment: Assessment  # detached, as saved
    problems: dict[str, str]  # the answers left out (``keep_valid``), by question


def start_many(engine: Engine, starts: list[Start]) -> list[Assessment | PadeError]:
    """:func:`start` for each of ``starts`` with one commit; an invalid RUC or questionnaire is its own outcome."""
    outcomes: list[Assessment | PadeError] = []
    with Session(engine, expire_on_commit=False) as session, session.begin():
        for item in starts:
            try:
                outcomes.append(start(session, ruc=item.ruc, questionnaire=item.questionnaire, consent=item.consent))
            except PadeError as e:
                outcomes.append(e)
    return outcomes


def save_many(engine: Engine, saves: list[Save], *, again: bool = False) -> list[Saved | PadeError]:
    """Merge each save's answers into its draft, once checked (a draft may be incomplete), with one commit;
    each save's error (invalid answers, no such link, already submitted) is its own outcome, and every save
    is kept in the answer log (who answered what, when).

    The drafts are read and the answers checked before the write transaction starts. Each draft is then
    written only if nobody changed it since it was read (``updated_at`` unchanged: the read and the write
    are two transactions, and a save of another process in between would otherwise be lost); a draft
    changed meanwhile is saved again on its own (``again``), and if it changed once more, refused (409).
    Saves of one draft in one call are merged in order.
    """
    outcomes: list[Saved | PadeError | None] = [None] * len(saves)
    drafts: dict[str, tuple[Assessment, datetime]] = {}  # id -> (the draft, its updated_at when read)
    unreadable: dict[str, PadeError] = {}  # id -> why it cannot be saved (no such link, submitted)
    merged: dict[str, dict[str, Any]] = {}
    checked: list[tuple[int, Save, dict[str, Any], dict[str, str]]] = []
    with Session(engine) as session:
        for assessment_id in dict.fromkeys(item.assessment_id for item in saves):
            try:
                a = _draft(session, assessment_id)
            except PadeError as e:
                unreadable[assessment_id] = e
                continue
            drafts[a.id] = (a, a.updated_at)
            merged[a.id] = dict(a.answers)
        views = companies_at(session, (a.ruc for a, _ in drafts.values()), date.today())
        session.expunge_all()  # detached: nothing set below can be flushed by this session
    for index, item in enumerate(saves):
        if item.assessment_id in unreadable:
            outcomes[index] = unreadable[item.assessment_id]
            continue
        a, _ = drafts[item.assessment_id]
        company = _context_of(views.get(a.ruc), (a.company or {}).get("declarado"))
        try:
            merged[a.id], kept, problems = _merged(a, merged[a.id], item.answers, company, keep_valid=item.keep_valid)
        except PadeError as e:
            outcomes[index] = e
            continue
        if not kept and item.consent is None:  # every answer left out: nothing to write, nor to log
            outcomes[index] = Saved(a, problems)
            continue
        checked.append((index, item, kept, problems))
    now = _now()
    stale: set[str] = set()
    with Session(engine) as session, session.begin():
        for assessment_id, (a, seen) in drafts.items():
            mine = [(i, item) for i, item, _, _ in checked if item.assessment_id == assessment_id]
            if not mine:
                continue
            consent = next((item.consent for _, item in reversed(mine) if item.consent is not None), None)
            values: dict[str, Any] = {"answers": merged[assessment_id], "updated_at": now}
            if consent is not None:
                values["consent"] = consent
            written = session.execute(
                update(Assessment).where(Assessment.id == assessment_id, Assessment.status == "borrador",
                                         Assessment.updated_at == seen)
                .values(**values).execution_options(synchronize_session=False))
            if written.rowcount != 1:  # type: ignore[attr-defined]
                stale.add(assessment_id)
                continue
            a.answers, a.updated_at = merged[assessment_id], now
            if consent is not None:
                a.consent = consent
        logs = [{"assessment_id": item.assessment_id, "respondent": item.respondent, "answers": kept,
                 "saved_at": now} for _, item, kept, _ in checked if item.assessment_id not in stale]
        if logs:
            session.execute(insert(AnswerLog), logs)
    retry = [i for i, item, _, _ in checked if item.assessment_id in stale]
    for index, item, _, problems in checked:
        if item.assessment_id not in stale:
            outcomes[index] = Saved(drafts[item.assessment_id][0], problems)
    for index in retry if again else []:
        outcomes[index] = Conflict(t("This self-diagnosis is being saved from somewhere else at the same time; "
                                     "send your answers again."))
    if retry and not again:  # changed by another writer since read (or submitted): read again, save on their own
        for index, outcome in zip(retry, save_many(engine, [saves[i] for i in retry], again=True), strict=True):
            outcomes[index] = outcome
    assert all(o is not None for o in outcomes)
    return [o for o in outcomes if o is not None]


def _draft(session: Session, assessment_id: str) -> Assessment:
    a = get(session, assessment_id)
    if a.status != "borrador":
        raise AssessmentClosed(t("This self-diagnosis was already submitted; start a new one to update it."))
    return a


def _merged(a: Assessment, current: dict[str, Any], answers: dict[str, Any], company: CompanyContext, *,
            keep_valid: bool) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """``answers`` merged into ``current`` once checked as a draft: (merged, the answers kept, the problems
    of the answers left out, by question).

    With ``keep_valid`` the invalid answers are left out and the valid ones kept (a step page saves what it
    can and shows the rest); without, any problem refuses them all.

    Raises:
        InvalidAnswers: without ``keep_valid``, every problem.
    """
    q = load_questionnaire(a.questionnaire, a.version)
    kept, problems = dict(answers), dict[str, str]()
    for _ in range(2):  # leaving an answer out may hide or show others: check once more
        merged = {**current, **kept}
        try:
            score(q, merged, company, complete=False)
            return merged, kept, problems
        except InvalidAnswers as e:
            if not keep_valid:
                raise
            for p in e.problems:
                problems.setdefault(p.question, p.message[:1].upper() + p.message[1:])
                kept.pop(p.question, None)
    return dict(current), {}, problems  # still refused once the reported answers are left out: nothing is kept


def _context(session: Session, ruc: str, on: date | None = None,
             declared: dict[str, Any] | None = None) -> CompanyContext:
    """The company's attributes: what the owner declared, else the registry's (decision 0013)."""
    return _context_of(company_at(session, ruc, on or date.today()), declared)


def _context_of(view: CompanyView | None, declared: dict[str, Any] | None) -> CompanyContext:
    mine = {k: v for k, v in (declared or {}).items() if v}
    return CompanyContext(
        ciiu_section=mine.get("ciiu_section") or (view.seccion_ciiu if view else None),
        tamano=mine.get("tamano") or (view.tamano if view else None),
        departamento=mine.get("departamento") or (view.departamento if view else None))


# -- company data shown and declared in the self-diagnosis ---------------------------------------

class InvalidCompanyData(PadeError, ValueError):
    http_status = 422


@dataclass(frozen=True)
class PublicCompany:
    """What the self-diagnosis may show about a company looked up by a RUC anyone can type.

    For a natural person (RUC 10, 15, 17) nothing from the registry is returned, not even
    whether the RUC is known; for a legal person (RUC 20) only public registry attributes.
    """

    ruc: str
    natural_person: bool
    in_registry: bool
    razon_social: str | None = None
    departamento: str | None = None
    ciiu_section: str | None = None
    tamano: str | None = None


def public_company(session: Session, ruc: str, on: date | None = None) -> PublicCompany:
    """The registry attributes of ``ruc`` that may be shown to whoever typed it (decision 0013).

    Raises:
        InvalidRuc: the RUC is not valid.
    """
    number = ruc_rules.validate(ruc)
    if ruc_rules.is_natural_person(number):
        return PublicCompany(number, natural_person=True, in_registry=False)
    view = company_at(session, number, on or date.today())
    if view is None:
        return PublicCompany(number, natural_person=False, in_registry=False)
    return PublicCompany(number, natural_person=False, in_registry=True, razon_social=view.razon_social,
                         departamento=view.departamento, ciiu_section=view.seccion_ciiu, tamano=view.tamano)


COMPANY_NAME_MAX = 200


def _checked_declared(*, departamento: str | None, tamano: str | None, ciiu_section: str | None,
                      problems: list[str] | None = None) -> dict[str, str | None]:
    """The company attributes an owner declared (empty: use the registry's), once each is known to exist.

    Raises:
        InvalidCompanyData: an unknown department, size class or CIIU section, with ``problems`` before them.
    """
    problems = list(problems or [])
    if departamento and departamento not in dict(reference.departments()):
        problems.append(t("the department {value} does not exist; choose one from the list", value=departamento))
    if tamano and tamano not in TAMANOS:
        problems.append(t("the size {value} does not exist; choose one from the list", value=tamano))
    if ciiu_section and ciiu_section not in reference.ciiu_sections():
        problems.append(t("the economic activity {value} does not exist; choose one from the list",
                          value=ciiu_section))
    if problems:
        raise InvalidCompanyData("; ".join(problems))
    return {"departamento": departamento or None, "tamano": tamano or None, "ciiu_section": ciiu_section or None}


def declare_company(session: Session, assessment_id: str, *, nombre: str | None, departamento: str | None,
                    tamano: str | None, ciiu_section: str | None) -> Assessment:
    """Store the company data the owner confirmed or completed on the draft ``assessment_id``.

    Empty values mean "use the registry's". The name is optional and only shown back behind
    the private link.

    Raises:
        InvalidCompanyData: an unknown department, size class or CIIU section, or a name too long.
        AssessmentClosed: already submitted.
    """
    a = _draft(session, assessment_id)
    name = (nombre or "").strip()
    too_long = [t("the name is longer than {max} characters; shorten it", max=COMPANY_NAME_MAX)
                ] if len(name) > COMPANY_NAME_MAX else []
    declared = _checked_declared(departamento=departamento, tamano=tamano, ciiu_section=ciiu_section,
                                 problems=too_long)
    a.company = {"nombre": name or None, "declarado": declared}
    a.updated_at = _now()
    session.flush()
    return a


# -- submitting ------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewAssessment:
    """A complete self-diagnosis delivered in one request (an app that collected it offline, a partner
    platform): it is created already submitted, without a draft (decision 0017)."""

    ruc: str
    questionnaire: str
    answers: dict[str, Any]
    consent: bool
    respondent: str | None = None
    departamento: str | None = None
    tamano: str | None = None
    ciiu_section: str | None = None


@dataclass(frozen=True)
class Submission:
    """What to submit: the draft ``assessment_id`` (optionally setting its consent answer), or ``new``."""

    assessment_id: str | None = None
    consent: bool | None = None
    new: NewAssessment | None = None


@dataclass(frozen=True)
class Submitted:
    assessment_id: str
    result: ScoreResult


Outcome = Submitted | PadeError


@dataclass
class _Ready:
    """A submission scored and checked, waiting for its write."""

    index: int
    assessment_id: str
    ruc: str
    questionnaire: str
    version: str
    result: ScoreResult
    stored: dict[str, Any]  # ``result.as_dict()``: the score row's result and the audit payload
    company: dict[str, Any]  # the assessment's ``company`` once submitted
    consent: bool | None
    new: NewAssessment | None

    @property
    def record_key(self) -> tuple[str, str]:
        return self.ruc, self.questionnaire  # with the day: the ``diagnostico`` key


class _Quarantined(PadeError):
    """A group's record landed in quarantine: the group is written again one submission at a time."""


def submit(engine: Engine, assessment_id: str, *, today: date | None = None) -> ScoreResult:
    """Submit one draft: :func:`submit_many` for one submission, raising its error.

    Raises:
        InvalidAnswers: every missing or invalid answer, with its question.
        AssessmentClosed: already submitted.
    """
    outcome = submit_many(engine, [Submission(assessment_id)], today=today)[0]
    if isinstance(outcome, PadeError):
        raise outcome
    return outcome.result


def submit_many(engine: Engine, submissions: list[Submission], *, today: date | None = None) -> list[Outcome]:
    """Score and store ``submissions`` with one commit: the outcome of each, in order (group commit).

    For each submission: the score with the company's attributes of ``today`` (declared by the owner,
    else the registry's), the assessment closed (``enviada``) or created submitted, the score row, the
    ``diagnostico`` record landed through :func:`pade.records.importer.import_in` exactly as an import
    would (one batch for the group: validation, revisions, audit), and an audit entry. One submission's
    error (invalid answers, already submitted, an unknown link) is its outcome and does not touch the
    others. Everything is read and scored before the write transaction starts, so on SQLite the write
    lock is held only for the writes.

    A draft is closed only if it is still a draft when the transaction writes (a conditional update:
    two submits of one link, even from two processes, close it once). Submissions sharing a record key
    (company, questionnaire, day) go to separate transactions, so the second is a revision of the first,
    as two imports would make it. If a group's records do not all land (quarantine), or its transaction
    fails, it is written again one submission at a time, so a failure is only its own submission's; a
    database failure of one submission is its :class:`StoreError` (503), and the groups already committed
    keep their outcomes.
    """
    day = today or date.today()
    outcomes: list[Outcome | None] = [None] * len(submissions)
    with Session(engine) as session:
        ready = _prepare(session, submissions, day, outcomes)
    for group in _groups(ready):
        if len(group) > 1:
            try:
                _write(engine, group, day, outcomes)
                continue
            except Exception:  # written again one at a time: what fails alone is that submission's outcome
                log.warning("a group of %s submissions failed; writing them one at a time", len(group))
        for alone in group:
            _write_alone(engine, alone, day, outcomes)
    assert all(o is not None for o in outcomes)
    return [o for o in outcomes if o is not None]


def _write_alone(engine: Engine, r: _Ready, day: date, outcomes: list[Outcome | None]) -> None:
    try:
        _write(engine, [r], day, outcomes)
    except PadeError as e:
        outcomes[r.index] = e
    except SQLAlchemyError as e:  # groups written before keep their acknowledged outcomes
        log.exception("assessment submission not stored id=%s", r.assessment_id)
        outcomes[r.index] = StoreError(t("The self-diagnosis could not be stored ({error}); nothing was saved. "
                                         "Send it again in a moment.", error=type(e).__name__))


def _prepare(session: Session, submissions: list[Submission], day: date,
             outcomes: list[Outcome | None]) -> list[_Ready]:
    """Read and score every submission (no write); a submission's error becomes its outcome."""
    found: list[tuple[int, Submission, str, Cuestionario, str, dict[str, Any], dict[str, Any]]] = []
    for index, item in enumerate(submissions):
        try:
            if item.new is not None:
                new = item.new
                number = ruc_rules.validate(new.ruc)
                q = load_questionnaire(new.questionnaire)
                declared = _checked_declared(departamento=new.departamento, tamano=new.tamano,
                                             ciiu_section=new.ciiu_section)
                found.append((index, item, number, q, str(uuid.uuid4()), {"nombre": None, "declarado": declared},
                              new.answers))
            else:
                a = _draft(session, item.assessment_id or "")
                found.append((index, item, a.ruc, load_questionnaire(a.questionnaire, a.version), a.id,
                              dict(a.company or {}), a.answers))
        except PadeError as e:
            outcomes[index] = e
    views = companies_at(session, (number for _, _, number, *_ in found), day)
    ready: list[_Ready] = []
    for index, item, number, q, assessment_id, company_data, answers in found:
        company = _context_of(views.get(number), company_data.get("declarado"))
        try:
            result = score(q, answers, company, complete=True)
        except PadeError as e:
            outcomes[index] = e
            continue
        ready.append(_Ready(index, assessment_id, number, q.id, q.version, result, result.as_dict(),
                            {**company_data, "ciiu_section": company.ciiu_section, "tamano": company.tamano,
                             "departamento": company.departamento, "fecha": day.isoformat()},
                            item.consent, item.new))
    return ready


def _groups(ready: list[_Ready]) -> list[list[_Ready]]:
    """Split so that no two submissions of one group share a record key (each goes to the next group)."""
    groups: list[list[_Ready]] = []
    keys: list[set[tuple[str, str]]] = []
    for r in ready:
        slot = next((i for i, seen in enumerate(keys) if r.record_key not in seen), len(groups))
        if slot == len(groups):
            groups.append([])
            keys.append(set())
        groups[slot].append(r)
        keys[slot].add(r.record_key)
    return groups


def _write(engine: Engine, group: list[_Ready], day: date, outcomes: list[Outcome | None]) -> None:
    """One transaction for ``group``; sets the outcome of each submission once it has committed."""
    now = _now()
    submitted_at = datetime.combine(day, now.timetz())  # the day it counts for, at the current time
    with Session(engine) as session, session.begin():
        drafts = [r.assessment_id for r in group if r.new is None]
        closed = set(session.scalars(
            update(Assessment).where(Assessment.id.in_(drafts), Assessment.status == "borrador")
            .values(status="enviada", submitted_at=submitted_at, updated_at=now)
            .returning(Assessment.id).execution_options(synchronize_session=False))) if drafts else set()
        landing = [r for r in group if r.new is not None or r.assessment_id in closed]
        if not landing:
            for r in group:
                outcomes[r.index] = AssessmentClosed(
                    t("This self-diagnosis was already submitted; start a new one to update it."))
            return
        news = [(r, r.new) for r in landing if r.new is not None]
        if news:
            session.execute(insert(Assessment), [
                {"id": r.assessment_id, "ruc": r.ruc, "questionnaire": r.questionnaire, "version": r.version,
                 "status": "enviada", "answers": new.answers, "consent": new.consent, "company": r.company,
                 "created_at": now, "updated_at": now, "submitted_at": submitted_at} for r, new in news])
            session.execute(insert(AnswerLog), [{"assessment_id": r.assessment_id, "respondent": new.respondent,
                                                 "answers": new.answers, "saved_at": now} for r, new in news])
        for r in landing:
            if r.new is None:
                values: dict[str, Any] = {"company": r.company}
                if r.consent is not None:
                    values["consent"] = r.consent
                session.execute(update(Assessment).where(Assessment.id == r.assessment_id).values(**values)
                                .execution_options(synchronize_session=False))
        rows = [{"ruc": r.ruc, "cuestionario": r.questionnaire, "version": r.version, "fecha": day.isoformat(),
                 "puntaje": r.result.overall if r.result.overall is not None else 0.0, "nivel": r.result.level}
                for r in landing]
        report = import_in(session, record_kind("diagnostico"), raw_from_rows(rows), file_name=None,
                           source="autodiagnostico", entidad=REPORTING_ENTITY, actor=ACTOR, today=day)
        if report.rows_quarantined:
            raise _Quarantined(t("The diagnosis could not be recorded: {reasons}",
                                 reasons="; ".join(i.message for i in report.issues)))
        session.execute(insert(AssessmentScore), [
            {"assessment_id": r.assessment_id, "questionnaire": r.questionnaire, "version": r.version,
             "overall": r.result.overall, "level": r.result.level, "result": r.stored,
             "rescore_run_id": None, "scored_at": submitted_at} for r in landing])
        session.add_all([audit.make_entry(actor=ACTOR, action="diagnostics.submit", object_type="assessment",
                                     object_id=r.assessment_id, payload=r.stored,
                                     details={"questionnaire": r.questionnaire, "version": r.version,
                                              "level": r.result.level})
                         for r in landing])
    landed = {r.assessment_id for r in landing}
    for r in group:
        outcomes[r.index] = (Submitted(r.assessment_id, r.result) if r.assessment_id in landed else AssessmentClosed(
            t("This self-diagnosis was already submitted; start a new one to update it.")))
    log.info("assessments submitted count=%s", len(landing))


# -- results: re-assessment and peers ------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    previous_id: str
    days: int
    counts_as_reassessment: bool
    overall_delta: float | None
    level_from: str | None
    level_to: str | None
    dimension_deltas: dict[str, float | None]


@dataclass(frozen=True)
class PeerComparison:
    percentile: float | None  # share of peers scoring at or below this company, 0–100
    group_size: int
    group: dict[str, str]  # the attributes the group shares
    widened: bool  # the first group had fewer than PEER_MIN_GROUP companies


@dataclass(frozen=True)
class AssessmentResult:
    assessment: Assessment
    score: dict[str, Any]  # ScoreResult.as_dict() of the latest score
    change: Change | None
    peers: PeerComparison


def latest_score(session: Session, assessment_id: str) -> AssessmentScore | None:
    return session.scalar(select(AssessmentScore).where(AssessmentScore.assessment_id == assessment_id)
                          .order_by(AssessmentScore.id.desc()).limit(1))


def result(session: Session, assessment_id: str) -> AssessmentResult:
    """The latest score, the change since the company's previous assessment, and the peer comparison."""
    a = get(session, assessment_id)
    current = latest_score(session, a.id)
    if a.status != "enviada" or current is None:
        raise NotFound(t("This self-diagnosis has not been submitted yet."))
    return AssessmentResult(a, current.result, _change(session, a, current), _peers(session, a, current))


def _change(session: Session, a: Assessment, current: AssessmentScore) -> Change | None:
    earlier = session.scalars(
        select(Assessment).where(Assessment.ruc == a.ruc, Assessment.questionnaire == a.questionnaire,
                                 Assessment.status == "enviada", Assessment.submitted_at < a.submitted_at)
        .order_by(Assessment.submitted_at.desc()).limit(1)).first()
    if earlier is None or earlier.submitted_at is None or a.submitted_at is None:
        return None
    before = latest_score(session, earlier.id)
    if before is None:
        return None
    days = (a.submitted_at - earlier.submitted_at).days
    old = {d["id"]: d["score"] for d in before.result["dimensions"]}
    deltas = {d["id"]: (None if d["score"] is None or old.get(d["id"]) is None else round(d["score"] - old[d["id"]], 2))
              for d in current.result["dimensions"]}
    overall = None if current.overall is None or before.overall is None else round(current.overall - before.overall, 2)
    return Change(earlier.id, days, days >= REASSESSMENT_MIN_DAYS, overall, before.level, current.level, deltas)


def _peers(session: Session, a: Assessment, current: AssessmentScore) -> PeerComparison:
    """Percentile among companies of the same CIIU section, size and department (latest assessment each)."""
    rows = session.execute(
        select(Assessment.ruc, Assessment.company, AssessmentScore.overall, AssessmentScore.id)
        .join(AssessmentScore, AssessmentScore.assessment_id == Assessment.id)
        .where(Assessment.questionnaire == a.questionnaire, Assessment.status == "enviada")).all()
    latest: dict[str, tuple[dict[str, Any], float, int]] = {}
    for ruc, company, overall, score_id in rows:
        if overall is None:
            continue
        if ruc not in latest or score_id > latest[ruc][2]:
            latest[ruc] = (company or {}, float(overall), score_id)
    mine = a.company or {}
    keys = [("ciiu_section", "seccion_ciiu"), ("tamano", "tamano"), ("departamento", "departamento")]
    for n in range(len(keys), -1, -1):  # drop department, then size, then sector
        shared = {label: mine.get(key) for key, label in keys[:n] if mine.get(key)}
        group = sorted(v for c, v, _ in latest.values()
                       if all(c.get(key) == mine.get(key) for key, label in keys[:n] if label in shared))
        if len(group) >= PEER_MIN_GROUP or n == 0:
            value = current.overall
            pct = None if value is None or not group else round(
                100 * (bisect_left(group, value) + bisect_right(group, value)) / (2 * len(group)), 1)
            return PeerComparison(pct, len(group), {k: str(v) for k, v in shared.items()}, n < len(keys))
    raise AssertionError("unreachable")


# -- re-scoring ---------------------------------------------------------------------------------

def rescore(engine: Engine, questionnaire: str, *, version: str | None = None, actor: str = "cli") -> RescoreRun:
    """Score every submitted assessment of ``questionnaire`` again with ``version`` (default: the latest).

    New score rows are added; old ones stay. Assessments whose answers no longer fit the new version
    are skipped and counted in the log.
    """
    q = load_questionnaire(questionnaire, version)
    started = _now()
    clock = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        drafts = session.scalars(select(Assessment).where(Assessment.questionnaire == q.id,
                                                          Assessment.status == "enviada")).all()
        run = RescoreRun(questionnaire=q.id, version=q.version, assessments=0, started_at=started, duration_s=0.0,
                         actor=actor)
        session.add(run)
        session.flush()
        skipped = 0
        for a in drafts:
            c = a.company or {}
            ctx = CompanyContext(ciiu_section=c.get("ciiu_section"), tamano=c.get("tamano"),
                                 departamento=c.get("departamento"))
            try:
                r = score(q, a.answers, ctx, complete=True)
            except InvalidAnswers:
                skipped += 1
                continue
            session.add(AssessmentScore(assessment_id=a.id, questionnaire=q.id, version=q.version, overall=r.overall,
                                        level=r.level, result=r.as_dict(), rescore_run_id=run.id, scored_at=_now()))
            run.assessments += 1
        run.duration_s = time.perf_counter() - clock
        audit.record(session, actor=actor, action="diagnostics.rescore", object_type="assessment_rescore_run",
                     object_id=str(run.id), payload={"questionnaire": q.id, "version": q.version},
                     details={"assessments": run.assessments, "skipped": skipped})
        log.info("rescore questionnaire=%s version=%s assessments=%s skipped=%s", q.id, q.version,
                 run.assessments, skipped)
        return run
