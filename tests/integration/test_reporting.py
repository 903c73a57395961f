"""Reported values through the service: submit, review, land as a record, revise; calendar and quality.

Runs on SQLite and on a real PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pade.auth.roles import Actor, Role
from pade.core.audit import AuditEntry
from pade.core.db import session_factory, transaction
from pade.core.errors import Conflict, Forbidden, InvalidDefinition, NotFound
from pade.core.settings import Settings
from pade.indicators.engine import EngineName
from pade.indicators.service import run_compute, run_values
from pade.programme.loader import load_programme
from pade.programme.store import store_programme
from pade.records.batch import raw_from_rows
from pade.records.importer import import_raw, record_kind
from pade.records.tables import RECORD_TABLES, ReviewStatus
from pade.reporting import calendar, service
from pade.reporting.evidence import MAX_EVIDENCE_BYTES, EvidenceRefused, evidence_path
from pade.reporting.quality import ATRASADO, CON_DATO, PENDIENTE, SIN_DATO, entity_quality
from pade.reporting.service import Evidence, ValueSubmission

TODAY = date(2026, 6, 1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

ADMIN = Actor(1, "admin1", Role.ADMIN)
OF_PRODUCE = Actor(2, "of.produce", Role.OFICIAL, "PRODUCE")
OF_MINCETUR = Actor(3, "of.mincetur", Role.OFICIAL, "MINCETUR")
REVISOR = Actor(4, "revisor1", Role.REVISOR)
REVISOR2 = Actor(5, "revisor2", Role.REVISOR)
COMITE = Actor(6, "comite1", Role.COMITE)


@pytest.fixture
def store(engine: Engine) -> Engine:
    with transaction(session_factory(engine)) as s:
        store_programme(s, load_programme(), actor="prueba")
    return engine


def submission(**over: Any) -> ValueSubmission:
    base: dict[str, Any] = {"variable": "programas_implementados", "entidad": "PRODUCE", "periodo": 2024,
                            "valor": "3", "justificacion": "Informe anual de la Dirección",
                            "evidence": Evidence("informe.pdf", PDF)}
    return ValueSubmission(**{**base, **over})


def submit(engine: Engine, settings: Settings, actor: Actor = OF_PRODUCE, **over: Any) -> int:
    with transaction(session_factory(engine)) as s:
        return service.submit_value(s, actor, submission(**over), evidence_root=settings.data_dir, today=TODAY).id


def current_records(engine: Engine, variable: str = "programas_implementados") -> list[dict[str, Any]]:
    """Rows of rec_valor_reportado not replaced by a later revision (what the engine reads)."""
    tbl = RECORD_TABLES["valor_reportado"]
    replaced = select(tbl.c.revision_of).where(tbl.c.revision_of.is_not(None))
    with engine.connect() as conn:
        rows = conn.execute(select(tbl).where(tbl.c.variable == variable, tbl.c.id.not_in(replaced))
                            .order_by(tbl.c.periodo)).mappings().all()
    return [dict(r) for r in rows]


def oe207(engine: Engine, settings: Settings) -> dict[int, float | None]:
    outcome = run_compute(engine, settings, engine_name=EngineName.duckdb, years=range(2023, 2027), today=TODAY)
    with session_factory(engine)() as s:
        values = run_values(s, outcome.run_id, codigo="OE2-07")
    rows = values[values.desagregacion == "total"]
    return {int(a): (None if v != v else float(v)) for a, v in zip(rows.anio, rows.valor, strict=True)}


def test_submit_approve_lands_and_a_revision_supersedes_only_once_approved(store: Engine, settings: Settings) -> None:
    first = submit(store, settings)
    with session_factory(store)() as s:
        value = service.get_value(s, OF_PRODUCE, first)
        assert (value.estado, value.revision, value.previous_id) == ("pendiente", 1, None)
        assert value.evidence_type == "pdf" and value.evidence_size_bytes == len(PDF)
        assert evidence_path(settings.data_dir, value.evidence_sha256 or "").read_bytes() == PDF
    assert current_records(store) == []  # nothing lands before approval

    approved = service.approve_value(store, REVISOR, first, today=TODAY)
    assert approved.estado == "aprobado" and approved.reviewed_by == "revisor:revisor1"
    [row] = current_records(store)
    assert (row["entidad"], row["periodo"], Decimal(row["valor"]), row["estado"]) == ("PRODUCE", 2024, 3, "aprobado")
    assert row["entidad_reporta"] == "PRODUCE" and row["batch_id"] == approved.batch_id
    assert oe207(store, settings)[2024] == 3

    with pytest.raises(Conflict):  # locked: approved once, never again
        service.approve_value(store, REVISOR2, first, today=TODAY)

    second = submit(store, settings, valor="5,5", justificacion="Se sumaron dos programas regionales")
    with session_factory(store)() as s:
        rev2 = service.get_value(s, OF_PRODUCE, second)
        assert (rev2.revision, rev2.previous_id, rev2.valor) == (2, first, Decimal("5.5"))
        assert service.in_force(s, "programas_implementados", "PRODUCE", 2024).id == first  # type: ignore[union-attr]
        [chain] = service.list_chains(s, OF_PRODUCE)
        assert chain.in_force is not None and chain.in_force.id == first and chain.latest.id == second
    assert [Decimal(r["valor"]) for r in current_records(store)] == [3]  # the approved value stays in force

    service.approve_value(store, REVISOR2, second, today=TODAY)
    [row2] = current_records(store)
    assert Decimal(row2["valor"]) == Decimal("5.5") and row2["revision_of"] == row["id"]
    assert oe207(store, settings)[2024] == 5.5
    with session_factory(store)() as s:
        assert [v.revision for v in service.history(s, OF_PRODUCE, rev2)] == [2, 1]


def test_a_revision_repeating_an_earlier_value_still_lands(store: Engine, settings: Settings) -> None:
    for valor in ("3", "4", "3"):
        service.approve_value(store, REVISOR, submit(store, settings, valor=valor), today=TODAY)
    assert [Decimal(r["valor"]) for r in current_records(store)] == [3]
    tbl = RECORD_TABLES["valor_reportado"]
    with store.connect() as conn:
        assert len(conn.execute(select(tbl.c.id)).all()) == 3


def test_approval_supersedes_a_value_imported_from_a_file(store: Engine, settings: Settings) -> None:
    import_raw(store, record_kind("valor_reportado"), raw_from_rows([
        {"variable": "programas_implementados", "entidad": "PRODUCE", "periodo": 2024, "valor": 1,
         "evidencia": "Oficio 12", "estado": "aprobado"}]), file_name=None, source="api", entidad="PRODUCE",
        actor="prueba", today=TODAY)
    service.approve_value(store, REVISOR, submit(store, settings, valor="2"), today=TODAY)
    assert [Decimal(r["valor"]) for r in current_records(store)] == [2]


def test_nobody_approves_their_own_value_and_roles_are_enforced(store: Engine, settings: Settings) -> None:
    mine = submit(store, settings, actor=ADMIN)
    with pytest.raises(Forbidden):
        service.approve_value(store, ADMIN, mine, today=TODAY)
    with session_factory(store)() as s, pytest.raises(Forbidden):
        service.reject_value(s, ADMIN, mine, comment="no")
    with pytest.raises(Forbidden):  # an officer cannot review, not even another entity's value
        service.approve_value(store, OF_MINCETUR, mine, today=TODAY)
    with pytest.raises(Forbidden):  # a reviewer or the committee cannot report
        submit(store, settings, actor=REVISOR)
    with pytest.raises(Forbidden):
        submit(store, settings, actor=COMITE)
    assert service.approve_value(store, REVISOR, mine, today=TODAY).estado == "aprobado"


def test_reject_needs_a_comment_and_a_new_revision_follows(store: Engine, settings: Settings) -> None:
    first = submit(store, settings)
    with pytest.raises(Conflict):  # one pending revision at a time
        submit(store, settings, valor="4")
    with transaction(session_factory(store)) as s:
        for empty in ("", "   "):
            with pytest.raises(InvalidDefinition):
                service.reject_value(s, REVISOR, first, comment=empty)
        rejected = service.reject_value(s, REVISOR, first, comment="El oficio no corresponde al año 2024")
        assert rejected.estado == "rechazado" and rejected.review_comment.startswith("El oficio")  # type: ignore[union-attr]
    with pytest.raises(Conflict):
        service.approve_value(store, REVISOR2, first, today=TODAY)
    second = submit(store, settings, valor="4")
    with session_factory(store)() as s:
        again = service.get_value(s, OF_PRODUCE, second)
        assert (again.revision, again.previous_id) == (2, first)
        assert service.in_force(s, "programas_implementados", "PRODUCE", 2024) is None
    assert current_records(store) == []


def test_an_officer_never_touches_another_entitys_values(store: Engine, settings: Settings) -> None:
    theirs = submit(store, settings)  # PRODUCE's
    with pytest.raises(Forbidden):
        submit(store, settings, actor=OF_MINCETUR)  # for PRODUCE
    with session_factory(store)() as s:
        with pytest.raises(Forbidden):
            service.get_value(s, OF_MINCETUR, theirs)
        with pytest.raises(Forbidden):
            service.list_chains(s, OF_MINCETUR, entidad="PRODUCE")
        with pytest.raises(Forbidden):
            entity_quality(s, OF_MINCETUR, "PRODUCE", today=TODAY)
        assert service.list_chains(s, OF_MINCETUR) == []  # its own list does not show PRODUCE's value
        assert [c.entidad for c in service.list_chains(s, COMITE)] == ["PRODUCE"]
        reportable = service.reportable_variables(service.programme(s), OF_MINCETUR)
        assert reportable and all(entities == ["MINCETUR"] for _, entities in reportable)
    with pytest.raises(InvalidDefinition):  # PRODUCE does not report this MINCETUR variable
        submit(store, settings, actor=ADMIN, variable="acciones_sensibilizacion_seguridad_digital")


@pytest.mark.parametrize(("over", "error"), [
    ({"valor": "-1"}, InvalidDefinition), ({"valor": "muchos"}, InvalidDefinition),
    ({"valor": "1.23456"}, InvalidDefinition), ({"periodo": 2027}, InvalidDefinition),
    ({"justificacion": " "}, InvalidDefinition), ({"evidence": None}, InvalidDefinition),
    ({"evidence": None, "evidence_url": "javascript:alert(1)"}, InvalidDefinition),
    ({"evidence": Evidence("x.exe", b"MZ\x90\x00\x03")}, EvidenceRefused),
    ({"evidence": Evidence("foto.pdf", b"\x89PNG\r\n\x1a\n....")}, EvidenceRefused),
    ({"evidence": Evidence("big.csv", b"a" * (MAX_EVIDENCE_BYTES + 1))}, EvidenceRefused),
    ({"variable": "no_existe"}, NotFound),
])
def test_invalid_submissions_are_refused(store: Engine, settings: Settings, over: dict[str, Any],
                                         error: type[Exception]) -> None:
    with pytest.raises(error):
        submit(store, settings, **over)


def test_url_evidence_is_enough(store: Engine, settings: Settings) -> None:
    vid = submit(store, settings, evidence=None, evidence_url="https://www.gob.pe/produce/informe-2024.pdf")
    service.approve_value(store, REVISOR, vid, today=TODAY)
    [row] = current_records(store)
    assert row["evidencia"].endswith("https://www.gob.pe/produce/informe-2024.pdf")


def test_every_step_is_audited_without_free_text(store: Engine, settings: Settings) -> None:
    first = submit(store, settings, justificacion="Texto libre del oficial")
    with transaction(session_factory(store)) as s:
        service.reject_value(s, REVISOR, first, comment="Comentario del revisor")
    second = submit(store, settings)
    service.approve_value(store, REVISOR, second, today=TODAY)
    with session_factory(store)() as s:
        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.object_type == "reported_value")
                              .order_by(AuditEntry.id)))
        assert [(r.action, r.actor, r.object_id) for r in rows] == [
            ("reported_value.submit", "oficial:of.produce", str(first)),
            ("reported_value.reject", "revisor:revisor1", str(first)),
            ("reported_value.submit", "oficial:of.produce", str(second)),
            ("reported_value.approve", "revisor:revisor1", str(second)),
        ]
        assert rows[-1].details["batch_id"] is not None and rows[-1].details["revision"] == 2
        assert all("Texto libre" not in str(r.details) and "Comentario" not in str(r.details) for r in rows)
        imports = s.scalars(select(AuditEntry).where(AuditEntry.action == "records.import")).all()
        assert len(imports) == 1


def test_calendar_lateness_and_quality(store: Engine, settings: Settings) -> None:
    factory = session_factory(store)
    with transaction(factory) as s:
        p = service.programme(s)
        with pytest.raises(Forbidden):
            calendar.set_rule(s, OF_PRODUCE, p, target_type="variable", target="programas_implementados",
                              years=range(2023, 2026), month=3, day=31)
        with pytest.raises(NotFound):
            calendar.set_due(s, ADMIN, p, target_type="variable", target="no_existe", periodo=2024,
                             due_date=date(2025, 3, 31))
        dues = calendar.set_rule(s, ADMIN, p, target_type="variable", target="programas_implementados",
                                 years=range(2023, 2027), month=3, day=31)
        assert [d.due_date for d in dues] == [date(2024, 3, 31), date(2025, 3, 31), date(2026, 3, 31),
                                              date(2027, 3, 31)]
        calendar.set_due(s, ADMIN, p, target_type="registro", target="inscripcion", periodo=2024,
                         due_date=date(2025, 2, 28))
        calendar.set_due(s, ADMIN, p, target_type="registro", target="inscripcion", periodo=2025,
                         due_date=date(2026, 2, 28))
    service.approve_value(store, REVISOR, submit(store, settings, periodo=2024), today=TODAY)
    submit(store, settings, periodo=2025)
    # PRODUCE imports enrolments for 2024 only, one row of them bad
    import_raw(store, record_kind("programa"), raw_from_rows([{"programa": "PCE", "nombre": "PCE",
                                                               "entidad": "PRODUCE"}]),
               file_name=None, source="api", entidad="PRODUCE", actor="prueba", today=TODAY)
    import_raw(store, record_kind("inscripcion"), raw_from_rows([
        {"ruc": "20100070970", "programa": "PCE", "fecha_inscripcion": "2024-05-02"},
        {"ruc": "123", "programa": "PCE", "fecha_inscripcion": "2024-05-02"}]),
        file_name=None, source="api", entidad="PRODUCE", actor="prueba", today=TODAY)
    # a 2025 upload still waiting for the import review is not data yet
    import_raw(store, record_kind("inscripcion"), raw_from_rows([
        {"ruc": "20100070970", "programa": "PCE", "fecha_inscripcion": "2025-05-02"}]),
        file_name=None, source="archivo", entidad="PRODUCE", actor="prueba", today=TODAY,
        review_status=ReviewStatus.pendiente)

    with factory() as s:
        q = entity_quality(s, OF_PRODUCE, "PRODUCE", today=TODAY)
    assert q.years == [2023, 2024, 2025, 2026]
    line = next(x for x in q.lines if x.code == "programas_implementados")
    cells = {c.periodo: c for c in line.cells}
    assert (cells[2023].state, cells[2023].late) == (ATRASADO, True)
    assert (cells[2024].state, cells[2024].value, cells[2024].late) == (CON_DATO, 3, False)
    assert (cells[2025].state, cells[2025].late, cells[2025].pending) == (PENDIENTE, True, True)
    assert (cells[2026].state, cells[2026].late) == (SIN_DATO, False)  # due in 2027
    assert "OE2-07" in line.indicators
    enrol = {c.periodo: c for c in next(x for x in q.lines if x.code == "inscripcion").cells}
    assert (enrol[2024].state, enrol[2024].rows) == (CON_DATO, 1)
    assert (enrol[2025].state, enrol[2025].late) == (ATRASADO, True)
    assert (enrol[2023].state, enrol[2023].late) == (SIN_DATO, False)  # no due date set
    assert q.pending_review == 1 and q.quarantine == {"inscripcion": 1} and q.late == 3
    with factory() as s:  # another entity's page is its own
        other = entity_quality(s, OF_MINCETUR, "MINCETUR", today=TODAY)
        assert other.pending_review == 0 and other.quarantine == {}
        assert all(line.code != "programas_implementados" for line in other.lines)
        audit_rows = s.scalars(select(AuditEntry).where(AuditEntry.object_type == "reporting_due")).all()
        assert len(audit_rows) == 6


def test_concurrent_review_conflicts(store: Engine, settings: Settings) -> None:
    vid = submit(store, settings)
    with Session(store) as s, s.begin():
        service.reject_value(s, REVISOR, vid, comment="Falta el oficio")
    with pytest.raises(Conflict):
        service.approve_value(store, REVISOR2, vid, today=TODAY)


def test_two_first_submissions_at_the_same_moment_conflict(store: Engine, settings: Settings,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Both read "no revision yet" before either wrote: the unique index decides, and the loser gets a 409."""
    submit(store, settings)
    monkeypatch.setattr(service, "_latest", lambda *args, **kwargs: None)  # the second read before the first wrote
    with pytest.raises(Conflict, match="al mismo tiempo"):
        submit(store, settings)
