"""Entity uploads from the back-office and their review: pending batches never reach the indicators.

Runs on SQLite and on a real PostgreSQL (the ``engine`` fixture). Through the service API with real
actors; the snapshot is read back from its Parquet files.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, select
from stdnum.pe import ruc as stdnum_ruc

from pade.auth.roles import Actor, Role
from pade.core.db import session_factory, transaction
from pade.core.errors import Conflict, Forbidden
from pade.core.settings import Settings
from pade.indicators.snapshot import take_snapshot
from pade.programme.loader import load_programme
from pade.programme.store import store_programme
from pade.records import review, uploads
from pade.records.importer import ImportRefused, ImportReport, import_file
from pade.records.tables import ImportBatch, QuarantineRow, ReviewStatus

TODAY = date(2026, 11, 26)
OFICIAL_PRODUCE = Actor(10, "produce1", Role.OFICIAL, "PRODUCE")
OFICIAL_PROMPERU = Actor(11, "promperu1", Role.OFICIAL, "PROMPERÚ")
REVISOR = Actor(12, "revisor1", Role.REVISOR)
ADMIN = Actor(13, "admin1", Role.ADMIN)
COMITE = Actor(14, "comite1", Role.COMITE)


def make_ruc(n: int) -> str:
    body = f"20{n:08d}"
    return body + stdnum_ruc.calc_check_digit(body)


def csv_bytes(rows: list[list[str]]) -> io.BytesIO:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return io.BytesIO(buf.getvalue().encode("utf-8"))


CULMINACION = ["ruc", "programa", "curso", "fecha_culminacion", "resultado"]


def culminacion(*rows: tuple[int, str, str]) -> list[list[str]]:
    """Rows (company number, date, outcome) of completions of programme PCE."""
    return [CULMINACION, *([make_ruc(n), "PCE", "", d, r] for n, d, r in rows)]


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    with transaction(session_factory(engine)) as s:
        store_programme(s, load_programme(), actor="prueba")
    catalogue = tmp_path / "programas.csv"
    catalogue.write_bytes(csv_bytes([["programa", "curso", "nombre", "entidad"],
                                      ["PCE", "", "Programa de capacitación", "PRODUCE"],
                                      ["ECT", "", "Comercio transfronterizo", "PROMPERÚ"]]).getvalue())
    report = import_file(engine, "programa", catalogue, entidad="PCM-SGTD", actor="cli", today=TODAY)
    assert report.rows_loaded == 2
    return engine


def upload(engine: Engine, actor: Actor, rows: list[list[str]], *, entidad: str = "PRODUCE",
           kind: str = "culminacion", name: str = "culminaciones.csv") -> ImportReport:
    return uploads.upload_import(engine, actor, entidad=entidad, kind=kind, source=csv_bytes(rows), file_name=name,
                                 today=TODAY)


def snapshot_rows(engine: Engine, settings: Settings, table: str) -> list[dict[str, object]]:
    snap = take_snapshot(engine, settings.data_dir / "snapshots")
    rows: list[dict[str, object]] = pq.read_table(snap.file(table)).to_pylist()
    return rows


def current(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Rows no other row revises: what the engine counts (compile._current)."""
    replaced = {r["revision_of"] for r in rows if r["revision_of"] is not None}
    return [r for r in rows if r["id"] not in replaced]


def review_as(engine: Engine, actor: Actor, batch_id: int, *, approve: bool, comment: str | None = None
              ) -> review.BatchView:
    with transaction(session_factory(engine)) as s:
        return review.review_batch(s, actor, batch_id, approve=approve, comment=comment)


def test_web_upload_waits_for_approval_before_the_snapshot_counts_it(store: Engine, settings: Settings) -> None:
    report = upload(store, OFICIAL_PRODUCE, culminacion((1, "2024-03-01", "aprobado"), (2, "2024-04-01", "aprobado")))
    assert report.rows_loaded == 2
    with session_factory(store)() as s:
        batch = review.get_batch(s, OFICIAL_PRODUCE, report.batch_id)
    assert batch.review_status is ReviewStatus.pendiente and batch.actor == "oficial:produce1"
    assert snapshot_rows(store, settings, "rec_culminacion") == []

    approved = review_as(store, REVISOR, report.batch_id, approve=True)
    assert approved.review_status is ReviewStatus.aprobada and approved.reviewed_by == "revisor:revisor1"
    rows = snapshot_rows(store, settings, "rec_culminacion")
    assert sorted(str(r["ruc"]) for r in rows) == [make_ruc(1), make_ruc(2)]


def test_cli_imports_are_approved_at_import(store: Engine, tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(csv_bytes(culminacion((1, "2024-03-01", "aprobado"))).getvalue())
    report = import_file(store, "culminacion", path, entidad="PRODUCE", actor="cli", today=TODAY)
    with session_factory(store)() as s:
        assert s.get(ImportBatch, report.batch_id).review_status == "aprobada"  # type: ignore[union-attr]
    assert len(snapshot_rows(store, settings, "rec_culminacion")) == 1


def test_rejection_excludes_rows_discards_its_quarantine_and_the_same_values_can_land_again(
        store: Engine, settings: Settings) -> None:
    bad = culminacion((1, "2024-03-01", "aprobado"), (2, "2024-03-01", "quizás"))
    first = upload(store, OFICIAL_PRODUCE, bad)
    assert first.rows_loaded == 1 and first.rows_quarantined == 1
    with pytest.raises(review.ReviewRefused):
        review_as(store, REVISOR, first.batch_id, approve=False, comment="  ")
    rejected = review_as(store, REVISOR, first.batch_id, approve=False, comment="Fechas de otro programa")
    assert rejected.review_status is ReviewStatus.rechazada and rejected.review_comment == "Fechas de otro programa"
    assert rejected.quarantine_open == 0
    with session_factory(store)() as s:
        assert s.scalars(select(QuarantineRow.status).where(QuarantineRow.batch_id == first.batch_id)).all() == [
            "descartada"]
    with pytest.raises(Conflict):
        review_as(store, REVISOR, first.batch_id, approve=True)
    assert snapshot_rows(store, settings, "rec_culminacion") == []

    # The same row sent again in a new file is not "unchanged": the rejected copy does not count.
    again = upload(store, OFICIAL_PRODUCE, culminacion((1, "2024-03-01", "aprobado")), name="otra.csv")
    assert again.rows_loaded == 1 and again.rows_unchanged == 0
    review_as(store, ADMIN, again.batch_id, approve=True)
    assert [str(r["ruc"]) for r in snapshot_rows(store, settings, "rec_culminacion")] == [make_ruc(1)]


def test_revisions_across_pending_and_rejected_batches_leave_one_current_row(store: Engine, settings: Settings,
                                                                             tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(csv_bytes(culminacion((1, "2024-03-01", "aprobado"))).getvalue())
    import_file(store, "culminacion", path, entidad="PRODUCE", actor="cli", today=TODAY)  # approved A
    pending = upload(store, OFICIAL_PRODUCE, culminacion((1, "2024-03-01", "desaprobado")))  # P revises A
    assert pending.rows_revised == 1
    rows = current(snapshot_rows(store, settings, "rec_culminacion"))
    assert [r["resultado"] for r in rows] == ["aprobado"]  # P waits: A stays current

    path.write_bytes(csv_bytes(culminacion((1, "2024-03-01", "retirado"))).getvalue())
    import_file(store, "culminacion", path, entidad="PRODUCE", actor="cli", today=TODAY)  # approved B revises P
    rows = current(snapshot_rows(store, settings, "rec_culminacion"))
    assert [r["resultado"] for r in rows] == ["retirado"]  # not A and B both

    review_as(store, REVISOR, pending.batch_id, approve=False, comment="Superado por la carga de la SGTD")
    rows = current(snapshot_rows(store, settings, "rec_culminacion"))
    assert [r["resultado"] for r in rows] == ["retirado"]


def test_nobody_reviews_their_own_upload_and_only_reviewers_review(store: Engine) -> None:
    mine = upload(store, ADMIN, culminacion((3, "2024-03-01", "aprobado")))
    with pytest.raises(Conflict, match="usted"):
        review_as(store, ADMIN, mine.batch_id, approve=True)
    for actor in (OFICIAL_PRODUCE, COMITE):
        with pytest.raises(Forbidden):
            review_as(store, actor, mine.batch_id, approve=True)
    assert review_as(store, REVISOR, mine.batch_id, approve=True).review_status is ReviewStatus.aprobada
    with session_factory(store)() as s:
        pending = review.list_batches(s, REVISOR, status=ReviewStatus.pendiente)
    assert pending == []


def test_an_officer_never_touches_another_entitys_imports(store: Engine) -> None:
    report = upload(store, OFICIAL_PRODUCE, culminacion((1, "2024-03-01", "aprobado"), (2, "2024-03-01", "x")))
    with pytest.raises(Forbidden, match="PRODUCE"):
        upload(store, OFICIAL_PRODUCE, culminacion((4, "2024-03-01", "aprobado")), entidad="PROMPERÚ")
    with session_factory(store)() as s:
        for call in (lambda: review.list_batches(s, OFICIAL_PROMPERU, entidad="PRODUCE"),
                     lambda: review.list_batches(s, OFICIAL_PROMPERU),
                     lambda: review.get_batch(s, OFICIAL_PROMPERU, report.batch_id),
                     lambda: uploads.entity_quarantine(s, OFICIAL_PROMPERU, entidad="PRODUCE"),
                     lambda: uploads.quarantine_download(s, OFICIAL_PROMPERU, entidad="PRODUCE",
                                                         kind="culminacion", fmt="csv")):
            with pytest.raises(Forbidden):
                call()
        assert [b.id for b in review.list_batches(s, OFICIAL_PRODUCE, entidad="PRODUCE")] == [report.batch_id]
        assert review.list_batches(s, OFICIAL_PROMPERU, entidad="PROMPERÚ") == []
        assert uploads.entity_codes(s, OFICIAL_PROMPERU) == ["PROMPERÚ"]
        assert "PRODUCE" in uploads.entity_codes(s, REVISOR)
        quarantine_id = uploads.entity_quarantine(s, OFICIAL_PRODUCE, entidad="PRODUCE").entries[0].id

    # A quarantine id typed into another entity's file does not close PRODUCE's quarantine.
    forged = [["_cuarentena_id", *CULMINACION], [str(quarantine_id), make_ruc(2), "ECT", "", "2024-03-01",
                                                  "aprobado"]]
    other = upload(store, OFICIAL_PROMPERU, forged, entidad="PROMPERÚ", name="forjado.csv")
    assert other.rows_loaded == 1 and other.quarantine_resolved == 0
    with session_factory(store)() as s:
        assert s.get(QuarantineRow, quarantine_id).status == "abierta"  # type: ignore[union-attr]


def test_the_same_file_from_another_entity_is_refused_without_showing_it(store: Engine) -> None:
    rows = culminacion((1, "2024-03-01", "aprobado"))
    upload(store, OFICIAL_PRODUCE, rows)
    assert upload(store, OFICIAL_PRODUCE, rows).already_imported
    with pytest.raises(Conflict, match="otra entidad"):
        upload(store, ADMIN, rows, entidad="PROMPERÚ")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_fix_and_reupload_the_quarantine(store: Engine, settings: Settings, tmp_path: Path, fmt: str) -> None:
    first = upload(store, OFICIAL_PRODUCE, culminacion((1, "2024-03-01", "aprobado"), (2, "31/02/2024", "aprobado"),
                                                       (3, "2024-03-01", "talvez")))
    assert first.rows_quarantined == 2
    with session_factory(store)() as s:
        batch = review.get_batch(s, OFICIAL_PRODUCE, first.batch_id)
        name, data = uploads.quarantine_download(s, OFICIAL_PRODUCE, entidad="PRODUCE", kind="culminacion", fmt=fmt)
    assert {(g["code"], g["column"], g["count"]) for g in batch.groups} >= {
        ("fecha_invalida", "fecha_culminacion", 1), ("valor_no_permitido", "resultado", 1)}
    assert name == f"cuarentena_culminacion_PRODUCE.{fmt}"
    if fmt == "csv":
        table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        table = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert table[0][0] == "_cuarentena_id" and table[0][-1] == "_motivos"
    assert "no es una fecha válida" in table[1][-1]
    fixed = [table[0]]
    for row in table[1:]:
        cells = dict(zip(table[0], row, strict=True))
        cells["fecha_culminacion"] = "2024-02-28"
        cells["resultado"] = "aprobado"
        fixed.append([cells[c] for c in table[0]])
    if fmt == "csv":
        second = upload(store, OFICIAL_PRODUCE, fixed, name="corregido.csv")
    else:  # edited in Excel and uploaded as XLSX
        book = openpyxl.Workbook()
        for row in fixed:
            book.active.append(row)
        out = io.BytesIO()
        book.save(out)
        out.seek(0)
        second = uploads.upload_import(store, OFICIAL_PRODUCE, entidad="PRODUCE", kind="culminacion", source=out,
                                       file_name="corregido.xlsx", today=TODAY)
    assert second.rows_loaded == 2 and second.quarantine_resolved == 2 and second.rows_quarantined == 0
    with session_factory(store)() as s:
        page = uploads.entity_quarantine(s, OFICIAL_PRODUCE, entidad="PRODUCE")
    assert page.total == 0 and page.entries == []


def test_upload_limits(store: Engine) -> None:
    with pytest.raises(uploads.UploadTooLarge):
        uploads.upload_import(store, OFICIAL_PRODUCE, entidad="PRODUCE", kind="culminacion",
                              source=io.BytesIO(b"ruc\n" + b"1" * 2048), file_name="grande.csv", max_bytes=1024)
    with pytest.raises(ImportRefused, match="CSV o XLSX"):
        uploads.upload_import(store, OFICIAL_PRODUCE, entidad="PRODUCE", kind="culminacion",
                              source=io.BytesIO(b"x"), file_name="datos.pdf")
    with pytest.raises(ImportRefused, match="SGTD"):
        uploads.upload_import(store, OFICIAL_PRODUCE, entidad="PRODUCE", kind="empresa",
                              source=io.BytesIO(b"x"), file_name="empresas.csv")
    assert uploads.safe_file_name("../../etc/pass wd.csv") == "pass wd.csv"
    assert uploads.safe_file_name('C:\\x\\<script>"a.csv') == "_script_a.csv"
