"""Self-diagnosis assessments: save as you go, resume, submit, re-assess, compare with peers, feed indicators."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from stdnum.pe import ruc as stdnum_ruc

from pade.core.db import session_factory, transaction
from pade.core.errors import PadeError
from pade.core.settings import Settings
from pade.diagnostics import assessments as svc
from pade.diagnostics.loader import questionnaires_dir
from pade.diagnostics.scoring import InvalidAnswers
from pade.diagnostics.store import AssessmentScore
from pade.programme.loader import load_programme
from pade.programme.store import store_programme
from pade.records.tables import RECORD_TABLES
from pade.registry.ruc import InvalidRuc
from pade.web.app import create_app

DAY = date(2026, 3, 2)
T = TypeVar("T")


def ruc(n: int) -> str:
    body = f"20{n:08d}"
    return body + stdnum_ruc.calc_check_digit(body)


def vectors() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((questionnaires_dir() / "madurez_digital-1.0.0.golden.yaml").read_text(encoding="utf-8"))
    return {v["nombre"]: v for v in data["vectores"]}


@pytest.fixture
def store(engine: Engine) -> Engine:
    with transaction(session_factory(engine)) as s:
        store_programme(s, load_programme(), actor="prueba")
    return engine


def only(outcomes: Sequence[T | PadeError]) -> T:
    """The one outcome of a ``*_many`` call, raised if it is an error."""
    (outcome,) = outcomes
    if isinstance(outcome, PadeError):
        raise outcome
    return outcome


def save(engine: Engine, assessment_id: str, answers: dict[str, Any], respondent: str | None = None) -> None:
    only(svc.save_many(engine, [svc.Save(assessment_id, answers, respondent=respondent)]))


def take(engine: Engine, company: str, vector: str, day: date) -> str:
    answers = vectors()[vector]["respuestas"]
    a = only(svc.start_many(engine, [svc.Start(ruc=company, questionnaire="madurez_digital", consent=True)]))
    keys = list(answers)
    save(engine, a.id, {k: answers[k] for k in keys[: len(keys) // 2]}, respondent="gerente")
    save(engine, a.id, {k: answers[k] for k in keys[len(keys) // 2:]}, respondent="contador")  # resumed later
    svc.submit(engine, a.id, today=day)
    return a.id


def test_submit_scores_stores_and_feeds_the_indicators(store: Engine) -> None:
    expected = vectors()["todo_maximo"]["esperado"]["global"]
    first = take(store, ruc(1), "todo_maximo", DAY)
    with session_factory(store)() as s:
        r = svc.result(s, first)
        assert (r.score["overall"], r.score["level"]) == (expected["puntaje"], expected["nivel"])
        assert r.change is None
        log = s.execute(text("SELECT count(*), count(DISTINCT respondent) FROM assessment_answer_log")).one()
        assert tuple(log) == (2, 2)
    table = RECORD_TABLES["diagnostico"]
    with store.connect() as conn:
        rows = conn.execute(select(table.c.ruc, table.c.puntaje, table.c.nivel, table.c.fecha)).all()
    assert [(r.ruc, float(r.puntaje), r.nivel, r.fecha) for r in rows] == [(ruc(1), 100.0, "experto", DAY)]


def test_submit_lands_the_record_as_an_import_would_once_and_atomically(store: Engine) -> None:
    """The submit's record, batch and audit entries are those of importing that one row; a second
    submit of the link is refused and adds nothing; the same company the same day revises the record."""
    first = take(store, ruc(5), "todo_maximo", DAY)
    with pytest.raises(svc.AssessmentClosed):
        svc.submit(store, first, today=DAY)
    table = RECORD_TABLES["diagnostico"]
    with store.connect() as conn:
        landed = conn.execute(select(table)).mappings().one()
        batch = conn.execute(text("SELECT id, kind, source, entidad, actor, rows_total, rows_loaded, "
                                  "rows_quarantined, review_status FROM import_batch")).one()
        actions = conn.execute(text("SELECT action, object_id FROM audit_log WHERE actor = 'autodiagnostico' "
                                    "ORDER BY id")).all()
    assert tuple(batch)[1:] == ("diagnostico", "autodiagnostico", svc.REPORTING_ENTITY, svc.ACTOR, 1, 1, 0,
                                "aprobada")
    assert [tuple(a) for a in actions] == [("records.import", str(batch.id)), ("diagnostics.submit", first)]
    from pade.records.batch import raw_from_rows
    from pade.records.importer import import_raw, record_kind

    row = {"ruc": ruc(5), "cuestionario": "madurez_digital", "version": "1.0.0", "fecha": DAY.isoformat(),
           "puntaje": 100.0, "nivel": "experto"}
    again = import_raw(store, record_kind("diagnostico"), raw_from_rows([row]), file_name=None,
                       source="autodiagnostico", entidad=svc.REPORTING_ENTITY, actor=svc.ACTOR, today=DAY)
    assert again.already_imported and again.batch_id == batch.id  # the same one-row file: the submit's batch
    other = {**row, "ruc": ruc(6)}
    file = import_raw(store, record_kind("diagnostico"), raw_from_rows([row, other]), file_name="a.csv",
                      source="archivo", entidad=svc.REPORTING_ENTITY, actor="prueba", today=DAY)
    assert (file.rows_unchanged, file.rows_loaded) == (1, 1)  # the same key and row hashes as a file import's
    assert landed["batch_id"] == batch.id and landed["revision_of"] is None
    assert (landed["entidad_reporta"], landed["row_number"]) == (svc.REPORTING_ENTITY, 1)

    second = take(store, ruc(5), "todo_minimo", DAY)  # the same company again that day: a revision
    with store.connect() as conn:
        rows = conn.execute(select(table.c.id, table.c.key_hash, table.c.revision_of, table.c.nivel)
                            .where(table.c.ruc == ruc(5)).order_by(table.c.id)).all()
    assert len(rows) == 2 and rows[1].revision_of == rows[0].id and rows[1].key_hash == rows[0].key_hash
    assert rows[1].nivel != rows[0].nivel and second != first


def test_reassessment_compares_with_the_previous_one(store: Engine) -> None:
    first = take(store, ruc(2), "todo_minimo", DAY)
    close = take(store, ruc(2), "borde_40_en", DAY + timedelta(days=30))
    later = take(store, ruc(2), "todo_maximo", DAY + timedelta(days=30 + svc.REASSESSMENT_MIN_DAYS))
    with session_factory(store)() as s:
        c1 = svc.result(s, close).change
        c2 = svc.result(s, later).change
    assert c1 is not None and c1.previous_id == first and c1.days == 30 and not c1.counts_as_reassessment
    assert c2 is not None and c2.previous_id == close and c2.days == svc.REASSESSMENT_MIN_DAYS
    assert c2.counts_as_reassessment  # the minimum interval is inclusive
    assert (c2.level_from, c2.level_to) == ("intermedio", "experto")
    assert c2.dimension_deltas["seguridad_digital"] == pytest.approx(100 - 40)


def test_peer_group_is_widened_when_small(store: Engine) -> None:
    for n in range(10, 14):
        take(store, ruc(n), "borde_40_en", DAY)
    last = take(store, ruc(14), "todo_maximo", DAY)
    with session_factory(store)() as s:
        peers = svc.result(s, last).peers
    # five companies in all (no registry attributes): fewer than 10 even with nothing shared → widest group
    assert peers.widened and peers.group == {} and peers.group_size == 5
    assert peers.percentile == 90.0  # the best of five: (4 below + 1 equal / 2) / 5


def test_invalid_answers_and_ruc_are_refused_with_every_problem(store: Engine) -> None:
    wrong = ruc(1)[:-1] + "0" if ruc(1)[-1] != "0" else ruc(1)[:-1] + "1"
    with pytest.raises(InvalidRuc, match="dígito verificador"):
        only(svc.start_many(store, [svc.Start(ruc=wrong, questionnaire="madurez_digital")]))
    a = only(svc.start_many(store, [svc.Start(ruc=ruc(3), questionnaire="madurez_digital")]))
    with pytest.raises(InvalidAnswers) as info:
        save(store, a.id, {"dp2": "no_existe", "pregunta_x": 1})
    assert len(info.value.problems) == 2
    with pytest.raises(InvalidAnswers):  # incomplete on submit
        svc.submit(store, a.id, today=DAY)


def test_rescore_adds_rows_and_keeps_old_ones(store: Engine) -> None:
    take(store, ruc(4), "todo_minimo", DAY)
    run = svc.rescore(store, "madurez_digital")
    assert run.assessments == 1
    with session_factory(store)() as s:
        scores = s.scalars(select(AssessmentScore)).all()
    assert len(scores) == 2 and scores[1].rescore_run_id == run.id and scores[0].rescore_run_id is None
    with pytest.raises(Exception, match="solo inserción"), store.begin() as conn:
        conn.execute(text("DELETE FROM assessment_score"))


def test_http_flow_on_a_phone(sqlite_settings: Settings) -> None:
    from pade.core.db import make_engine, migrate

    engine = make_engine(sqlite_settings)
    migrate(engine)
    with transaction(session_factory(engine)) as s:
        store_programme(s, load_programme(), actor="prueba")
    answers = vectors()["borde_60_en"]["respuestas"]
    with TestClient(create_app(sqlite_settings)) as c:
        bad = c.post("/api/v1/diagnostics/assessments", json={"ruc": "123", "cuestionario": "madurez_digital"})
        assert bad.status_code == 422 and "11 dígitos" in bad.json()["detail"]
        r = c.post("/api/v1/diagnostics/assessments", json={"ruc": ruc(5), "cuestionario": "madurez_digital",
                                                             "consentimiento": True})
        assert r.status_code == 201
        link = r.json()["id"]
        keys = list(answers)
        c.put(f"/api/v1/diagnostics/assessments/{link}/answers", json={"respuestas": {keys[0]: answers[keys[0]]}})
        resumed = c.get(f"/api/v1/diagnostics/assessments/{link}").json()
        assert resumed["respuestas"] == {keys[0]: answers[keys[0]]} and resumed["estado"] == "borrador"
        early = c.post(f"/api/v1/diagnostics/assessments/{link}/submit")
        assert early.status_code == 422
        c.put(f"/api/v1/diagnostics/assessments/{link}/answers", json={"respuestas": answers})
        done = c.post(f"/api/v1/diagnostics/assessments/{link}/submit")
        expected = vectors()["borde_60_en"]["esperado"]["global"]["nivel"]
        assert done.status_code == 200 and done.json()["level"] == expected
        again = c.post(f"/api/v1/diagnostics/assessments/{link}/submit")
        assert again.status_code == 409
        result = c.get(f"/api/v1/diagnostics/assessments/{link}/result").json()
        assert result["pares"]["group_size"] == 1 and result["cambio"] is None
        assert c.get("/api/v1/diagnostics/assessments/no-existe").status_code == 404


def draft(engine: Engine, company: str, vector: str) -> str:
    a = only(svc.start_many(engine, [svc.Start(ruc=company, questionnaire="madurez_digital")]))
    save(engine, a.id, vectors()[vector]["respuestas"])
    return a.id


def complete(company: str, vector: str, **declared: Any) -> svc.Submission:
    return svc.Submission(new=svc.NewAssessment(ruc=company, questionnaire="madurez_digital",
                                                answers=vectors()[vector]["respuestas"], consent=True,
                                                respondent="app", **declared))


def test_submit_many_commits_a_group_and_keeps_each_submissions_own_outcome(store: Engine) -> None:
    """One group: drafts and complete self-diagnoses together, one import batch; an invalid, a closed and
    an unknown submission fail alone; the same company twice the same day lands as a revision."""
    ok = draft(store, ruc(20), "todo_maximo")
    closed = take(store, ruc(21), "todo_minimo", DAY)
    incomplete = draft(store, ruc(22), "todo_maximo")
    save(store, incomplete, {"dp2": None})
    with store.connect() as conn:
        batches_before = conn.execute(text("SELECT count(*) FROM import_batch")).scalar_one()
    outcomes = svc.submit_many(store, [
        svc.Submission(ok, consent=False),
        svc.Submission(closed),
        svc.Submission("no-existe"),
        complete(ruc(23), "borde_40_en", departamento="08", tamano="micro"),
        svc.Submission(incomplete),
        complete(ruc(23), "todo_maximo"),  # the same company, questionnaire and day: the next transaction
        complete(ruc(24), "todo_maximo", departamento="99"),
    ], today=DAY)
    assert [type(o).__name__ for o in outcomes] == ["Submitted", "AssessmentClosed", "NotFound", "Submitted",
                                                    "InvalidAnswers", "Submitted", "InvalidCompanyData"]
    assert "99" in str(outcomes[6])
    landed = [o for o in outcomes if isinstance(o, svc.Submitted)]
    assert landed[0].assessment_id == ok and landed[0].result.level == "experto"
    table = RECORD_TABLES["diagnostico"]
    with store.connect() as conn:
        batches = conn.execute(text("SELECT rows_loaded FROM import_batch ORDER BY id")).scalars().all()
        rows = conn.execute(select(table.c.ruc, table.c.nivel, table.c.revision_of, table.c.id)
                            .where(table.c.ruc.in_([ruc(20), ruc(23)])).order_by(table.c.id)).all()
        stored = {r.id: r for r in conn.execute(text(
            "SELECT id, status, consent, company FROM assessment WHERE id IN (:a, :b, :c)"),
            {"a": ok, "b": landed[1].assessment_id, "c": landed[2].assessment_id})}
        scores = conn.execute(text("SELECT count(*) FROM assessment_score")).scalar_one()
        audited = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'diagnostics.submit'")).scalar_one()
    assert batches[batches_before:] == [2, 1]  # one batch per transaction: {ok, ruc 23}, then ruc 23 again
    assert [(r.ruc, r.nivel) for r in rows] == [(ruc(20), "experto"), (ruc(23), "intermedio"),
                                                (ruc(23), "experto")]
    assert rows[2].revision_of == rows[1].id
    assert {r.status for r in stored.values()} == {"enviada"}
    assert not stored[ok].consent and stored[landed[1].assessment_id].consent  # consent set at the close
    company = stored[landed[1].assessment_id].company
    company = company if isinstance(company, dict) else __import__("json").loads(company)
    assert company["departamento"] == "08" and company["tamano"] == "micro" and company["fecha"] == DAY.isoformat()
    assert scores == 1 + 3 and audited == 1 + 3  # the earlier `take` and the three landed here
    with session_factory(store)() as s:
        assert svc.get(s, incomplete).status == "borrador"  # a refused submission leaves its draft


def test_http_complete_submission_in_one_request_and_concurrent_ones_share_commits(
        sqlite_settings: Settings) -> None:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from pade.core.db import make_engine, migrate

    engine = make_engine(sqlite_settings)
    migrate(engine)
    with transaction(session_factory(engine)) as s:
        store_programme(s, load_programme(), actor="prueba")
    answers = vectors()["todo_maximo"]["respuestas"]
    app = create_app(sqlite_settings)
    url = "/api/v1/diagnostics/submissions"

    async def many() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pade") as c:
            return list(await asyncio.gather(*[
                c.post(url, json={"ruc": ruc(100 + n), "cuestionario": "madurez_digital", "respuestas": answers,
                                  "consentimiento": n % 2 == 0}) for n in range(30)]))

    with ThreadPoolExecutor(1) as thread:  # its own event loop, whatever else this test process runs
        answered = thread.submit(asyncio.run, many()).result()
    assert [r.status_code for r in answered] == [201] * 30
    ids = [r.json()["id"] for r in answered]
    assert all(r.json()["puntaje"]["level"] == "experto" for r in answered)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM assessment WHERE status = 'enviada'")).scalar_one()
        consented = conn.execute(text("SELECT count(*) FROM assessment WHERE consent")).scalar_one()
        batches = conn.execute(text("SELECT count(*) FROM import_batch WHERE source = 'autodiagnostico'")).scalar_one()
    assert stored == 30 and consented == 15
    assert batches < 30  # submissions waiting together were written in one transaction
    with TestClient(app) as c:
        result = c.get(f"/api/v1/diagnostics/assessments/{ids[0]}/result").json()
        assert result["puntaje"]["level"] == "experto" and result["pares"]["group_size"] == 30
        bad = c.post(url, json={"ruc": ruc(5), "cuestionario": "madurez_digital", "respuestas": {"dp2": "x"},
                                "consentimiento": False})
        assert bad.status_code == 422 and "dp2" in bad.json()["detail"]
        unknown = c.post(url, json={"ruc": ruc(5), "cuestionario": "no_existe", "respuestas": answers,
                                    "consentimiento": False})
        assert unknown.status_code == 404


def test_a_failing_group_is_written_one_at_a_time_and_only_the_failing_submission_fails(
        store: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    from pade.core.errors import StoreError

    real = svc.import_in

    def flaky(session: Any, kind: Any, raw: Any, **kw: Any) -> Any:
        rucs = raw.data.column("ruc").to_pylist()
        if len(rucs) > 1 or rucs == [ruc(32)]:
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        return real(session, kind, raw, **kw)

    monkeypatch.setattr(svc, "import_in", flaky)
    outcomes = svc.submit_many(store, [complete(ruc(n), "todo_maximo") for n in (30, 31, 32, 33)], today=DAY)
    assert [type(o).__name__ for o in outcomes] == ["Submitted", "Submitted", "StoreError", "Submitted"]
    assert isinstance(outcomes[2], StoreError) and outcomes[2].http_status == 503
    assert "nada" in str(outcomes[2])  # says nothing was saved, in Spanish
    with store.connect() as conn:
        stored = set(conn.execute(text("SELECT ruc FROM assessment WHERE status = 'enviada'")).scalars())
        batches = conn.execute(text("SELECT count(*) FROM import_batch")).scalar_one()
    assert stored == {ruc(30), ruc(31), ruc(33)} and batches == 3  # the failed one left nothing behind


def test_save_many_keeps_the_valid_answers_and_merges_saves_of_one_draft_in_order(store: Engine) -> None:
    answers = vectors()["todo_maximo"]["respuestas"]
    first, second = list(answers)[:2]
    a = only(svc.start_many(store, [svc.Start(ruc=ruc(40), questionnaire="madurez_digital")]))
    outcomes = svc.save_many(store, [
        svc.Save(a.id, {first: answers[first], "pregunta_x": 1}, respondent="gerente", keep_valid=True),
        svc.Save(a.id, {second: answers[second]}, respondent="contador", consent=True),
        svc.Save(a.id, {"dp2": "no_existe"}),  # all or nothing: refused alone
        svc.Save("no-existe", {first: answers[first]}),
    ])
    assert [type(o).__name__ for o in outcomes] == ["Saved", "Saved", "InvalidAnswers", "NotFound"]
    kept = outcomes[0]
    assert isinstance(kept, svc.Saved) and list(kept.problems) == ["pregunta_x"]
    with session_factory(store)() as s:
        stored = svc.get(s, a.id)
        logged = s.execute(text("SELECT respondent, answers FROM assessment_answer_log WHERE assessment_id = :a "
                                "ORDER BY id"), {"a": a.id}).all()
    assert stored.answers == {first: answers[first], second: answers[second]} and stored.consent
    assert [r.respondent for r in logged] == ["gerente", "contador"]  # what each one answered, in order


def test_save_many_does_not_lose_a_save_made_between_its_read_and_its_write(
        store: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Read and write are two transactions: a draft changed in between is read again and saved on top."""
    answers = vectors()["todo_maximo"]["respuestas"]
    first, second = list(answers)[:2]
    a = only(svc.start_many(store, [svc.Start(ruc=ruc(41), questionnaire="madurez_digital")]))
    real = svc.companies_at
    calls = 0

    def meanwhile(*args: Any, **kwargs: Any) -> Any:  # runs after the drafts are read, before the write
        nonlocal calls
        calls += 1
        if calls == 1:
            save(store, a.id, {first: answers[first]}, respondent="otro")
        return real(*args, **kwargs)

    monkeypatch.setattr(svc, "companies_at", meanwhile)
    (outcome,) = svc.save_many(store, [svc.Save(a.id, {second: answers[second]}, respondent="yo")])
    assert isinstance(outcome, svc.Saved) and outcome.assessment.answers == {first: answers[first],
                                                                          second: answers[second]}
    with session_factory(store)() as s:
        assert svc.get(s, a.id).answers == {first: answers[first], second: answers[second]}
