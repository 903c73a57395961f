"""Importing real files: every error code, nothing lost, atomic, idempotent, quarantine round trip.

Runs on SQLite and on a real PostgreSQL (the ``engine`` fixture).
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from stdnum.pe import ruc as stdnum_ruc

from pade.core.db import session_factory, transaction
from pade.programme.loader import load_programme
from pade.programme.store import store_programme
from pade.records.importer import ImportReport, import_file
from pade.records.issues import ISSUE_TYPES
from pade.records.quarantine import export_quarantine, list_quarantine
from pade.records.tables import RECORD_TABLES, QuarantineRow
from pade.registry.models import Company, CompanyVersion

TODAY = date(2026, 11, 26)


def make_ruc(n: int, prefix: str = "20") -> str:
    body = f"{prefix}{n:08d}"
    return body + stdnum_ruc.calc_check_digit(body)


def bad_digit(ruc: str) -> str:
    return ruc[:-1] + str((int(ruc[-1]) + 1) % 10)


R1, R2, R3, R4 = make_ruc(1), make_ruc(2), make_ruc(3), make_ruc(4, "10")


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    """A store with the programme loaded and a programme/course catalogue."""
    with transaction(session_factory(engine)) as s:
        store_programme(s, load_programme(), actor="prueba")
    catalogue = write_csv(tmp_path / "programas.csv", [
        ["programa", "curso", "nombre", "entidad"],
        ["ECT", "", "Programa de comercio electrónico transfronterizo", "PROMPERÚ"],
        ["ECT", "ECT-01", "Logística internacional", "PROMPERÚ"],
        ["PCE", "", "Programa de capacitación en comercio electrónico", "PRODUCE"],
    ])
    report = run_import(engine, "programa", catalogue, entidad="PCM-SGTD")
    assert report.rows_loaded == 3 and report.rows_quarantined == 0, report.issues
    return engine


def run_import(engine: Engine, kind: str, path: Path, *, entidad: str = "PRODUCE") -> ImportReport:
    return import_file(engine, kind, path, entidad=entidad, actor="prueba", today=TODAY)


def count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def codes_by_row(report: ImportReport) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for issue in report.issues:
        out.setdefault(issue.row, set()).add(issue.code)
    return out


# -- the Windows-1252 company file --------------------------------------------------------

def company_file(tmp_path: Path) -> Path:
    """Windows-1252, ';' separated, decimal commas, accented headers — as Peruvian offices export."""
    header = ["RUC", "Razón Social", "Ubigeo", "CIIU", "Ventas Anuales", "Año Ventas", "Tamaño", "Exportador",
              "Sexo Titular", "Fecha", "Observación"]
    rows = [
        header,
        [R1, "Comercial Peñaloza S.A.C.", "150101", "47", "1.234.567,50", "2024", "", "exportadora", "", "15/03/2024",
         ""],
        [R2, "Textiles Añaños E.I.R.L.", "040101", "1410", "250000,00", "2024", "", "no exportadora", "Femenino",
         "2024-05-02", ""],
        [bad_digit(R3), "Dígito Malo SAC", "150101", "47", "", "", "micro", "", "", "01/01/2024", ""],
        ["2013131", "Corto SAC", "150101", "47", "", "", "micro", "", "", "01/01/2024", ""],
        ["20ABC131295", "Letras SAC", "150101", "47", "", "", "micro", "", "", "01/01/2024", ""],
        ["30131312955", "Prefijo SAC", "150101", "47", "", "", "micro", "", "", "01/01/2024", ""],
        [make_ruc(5), "Sin Ubigeo SAC", "999999", "47", "", "", "micro", "", "", "01/01/2024", ""],
        [make_ruc(6), "Sin CIIU SAC", "150101", "00", "", "", "micro", "", "", "01/01/2024", ""],
        [make_ruc(7), "", "150101", "47", "", "", "micro", "", "", "01/01/2024", ""],
        [make_ruc(8), "Fecha Imposible SAC", "150101", "47", "", "", "micro", "", "", "31/02/2024", ""],
        [make_ruc(9), "Fecha Futura SAC", "150101", "47", "", "", "micro", "", "", "01/01/2030", ""],
        [make_ruc(10), "Número Malo SAC", "150101", "47", "12a", "2024", "", "", "", "01/01/2024", ""],
        [make_ruc(11), "Año Malo SAC", "150101", "47", "1000", "20x4", "", "", "", "01/01/2024", ""],
        [make_ruc(12), "Tamaño Malo SAC", "150101", "47", "", "", "enorme", "", "", "01/01/2024", ""],
        [make_ruc(13), "Negativo SAC", "150101", "47", "-5", "2024", "", "", "", "01/01/2024", ""],
        [make_ruc(14), "X" * 301, "150101", "47", "", "", "micro", "", "", "01/01/2024", ""],
        [R1, "Comercial Peñaloza S.A.C.", "150101", "47", "1.234.567,50", "2024", "", "exportadora", "",
         "15/03/2024", ""],
        [R4, "=HYPERLINK(\"x\")", "150101", "47", "", "", "micro", "", "", "01/01/2024", "nota"],
    ]
    return write_csv(tmp_path / "empresas.csv", rows, encoding="cp1252", delimiter=";")


def test_windows_1252_company_file_reports_every_problem(store: Engine, tmp_path: Path) -> None:
    report = run_import(store, "empresa", company_file(tmp_path))
    by_row = codes_by_row(report)
    # line numbers count the header as line 1
    assert by_row[4] == {"ruc_digito"}
    assert by_row[5] == {"ruc_longitud"}
    assert by_row[6] == {"ruc_formato"}
    assert by_row[7] == {"ruc_tipo"}
    assert by_row[8] == {"ubigeo_desconocido"}
    assert by_row[9] == {"ciiu_desconocido"}
    assert by_row[10] == {"requerido"}
    assert by_row[11] == {"fecha_invalida"}
    assert by_row[12] == {"fecha_futura"}
    assert by_row[13] == {"numero_invalido"}
    assert by_row[14] == {"anio_invalido"}
    assert by_row[15] == {"valor_no_permitido"}
    assert by_row[16] == {"valor_negativo"}
    assert by_row[17] == {"texto_demasiado_largo"}
    assert by_row[18] == {"duplicado_en_archivo"}
    assert by_row[19] == {"formula_en_celda"}
    assert "columna_desconocida" in report.counts
    assert report.rows_total == 18
    assert report.rows_loaded == 3  # R1, R2 and the formula-looking (kept, flagged) row
    assert report.rows_quarantined == 15
    dup = next(i for i in report.issues if i.code == "duplicado_en_archivo")
    assert "fila 2" in dup.message and dup.row == 18
    digit = next(i for i in report.issues if i.code == "ruc_digito")
    assert digit.column == "ruc" and digit.value == bad_digit(R3) and "dígito verificador" in digit.message
    with session_factory(store)() as s:
        r1 = s.scalars(select(CompanyVersion).where(CompanyVersion.ruc == R1)).one()
        assert r1.razon_social == "Comercial Peñaloza S.A.C."  # accents survive Windows-1252
        assert float(r1.ventas_anuales or 0) == pytest.approx(1234567.50)  # decimal comma and thousands dots
        # 1,234,567.50 soles / UIT 2024 (5,150) = 239.7 UIT: above 150, so a small company, derived from sales
        assert r1.tamano == "pequena" and r1.tamano_origen == "ventas"
        assert s.get(Company, R4) is not None and s.get(Company, R4).persona_natural  # type: ignore[union-attr]
        formula = s.scalars(select(CompanyVersion).where(CompanyVersion.ruc == R4)).one()
        assert formula.razon_social == '=HYPERLINK("x")'  # stored as text, never evaluated
    with session_factory(store)() as s:
        quarantined = list_quarantine(s, kind="empresa")
    assert len(quarantined) == 15
    first = next(q for q in quarantined if q.row_number == 4)
    assert first.raw["RUC"] == bad_digit(R3) and first.raw["Razón Social"] == "Dígito Malo SAC"
    assert [i["code"] for i in first.issues] == ["ruc_digito"]


# -- records -----------------------------------------------------------------------------------

def test_reference_errors_and_warnings(store: Engine, tmp_path: Path) -> None:
    enrol = write_csv(tmp_path / "inscripciones.csv", [
        ["ruc", "programa", "curso", "fecha_inscripcion"],
        [R1, "ECT", "ECT-01", "2024-03-01"],
        [R2, "NOEXISTE", "", "2024-03-01"],
        [R2, "ECT", "ECT-99", "2024-03-01"],
    ])
    report = run_import(store, "inscripcion", enrol, entidad="PROMPERÚ")
    assert codes_by_row(report) == {3: {"programa_desconocido"}, 4: {"curso_desconocido"}}
    assert report.rows_loaded == 1
    done = write_csv(tmp_path / "culminaciones.csv", [
        ["ruc", "programa", "curso", "fecha_culminacion", "resultado"],
        [R1, "ECT", "ECT-01", "2024-06-01", "Aprobado"],
        [R2, "PCE", "", "2024-06-01", "aprobado"],
    ])
    report = run_import(store, "culminacion", done, entidad="PROMPERÚ")
    assert codes_by_row(report) == {3: {"culminacion_sin_inscripcion"}}
    assert report.rows_loaded == 2 and report.rows_quarantined == 0  # a warning keeps the row
    markets = write_csv(tmp_path / "mercados_plataforma.csv", [
        ["mercado_id", "plataforma", "fecha_inicio", "fecha_fin"],
        ["M-0001", "Mercado en línea", "2024-01-10", ""],
    ])
    assert codes_by_row(run_import(store, "mercado_plataforma", markets)) == {2: {"mercado_desconocido"}}
    reported = write_csv(tmp_path / "valores.csv", [
        ["variable", "entidad", "periodo", "valor", "evidencia", "justificacion", "estado"],
        ["programas_implementados", "PRODUCE", "2024", "3", "Oficio 1-2025", "", "presentado"],
        ["variable_inventada", "PRODUCE", "2024", "3", "Oficio 2-2025", "", "presentado"],
        ["instrumentos_aprobados", "SUNAT", "2024", "3", "Oficio 3-2025", "", "presentado"],
    ])
    report = run_import(store, "valor_reportado", reported)
    assert codes_by_row(report) == {3: {"variable_desconocida"}, 4: {"entidad_desconocida"}}
    unknown_entity = next(i for i in report.issues if i.code == "entidad_desconocida")
    assert "PROMPERÚ" in unknown_entity.message  # says what is allowed


def test_missing_column_and_malformed_line_are_quarantined(store: Engine, tmp_path: Path) -> None:
    missing = write_csv(tmp_path / "sin_fecha.csv", [["ruc", "programa"], [R1, "ECT"], [R2, "ECT"]])
    report = run_import(store, "inscripcion", missing)
    assert report.rows_quarantined == 2 and report.counts["columna_faltante"] == 2
    path = tmp_path / "malformado.csv"
    path.write_text(f"ruc,programa,curso,fecha_inscripcion\n{R1},ECT,,2024-01-01\n{R2},ECT,,2024-01-01,extra,mas\n",
                    encoding="utf-8")
    report = run_import(store, "inscripcion", path)
    assert report.rows_loaded == 1 and report.rows_quarantined == 1
    assert report.counts == {"fila_malformada": 1}
    with session_factory(store)() as s:
        bad = [q for q in list_quarantine(s, kind="inscripcion") if q.batch_id == report.batch_id]
    assert bad[0].row_number == 3 and R2 in bad[0].raw["_linea"]


# Every code asserted by a test in this module (and tests/unit/test_validate.py for none else).
EXERCISED = {
    "ruc_digito", "ruc_longitud", "ruc_formato", "ruc_tipo", "ubigeo_desconocido", "ciiu_desconocido", "requerido",
    "fecha_invalida", "fecha_futura", "numero_invalido", "anio_invalido", "valor_no_permitido", "valor_negativo",
    "texto_demasiado_largo", "duplicado_en_archivo", "formula_en_celda", "columna_desconocida",
    "programa_desconocido", "curso_desconocido", "culminacion_sin_inscripcion", "mercado_desconocido",
    "variable_desconocida", "entidad_desconocida", "columna_faltante", "fila_malformada",
}


def test_every_issue_code_has_a_test() -> None:
    assert set(ISSUE_TYPES) == EXERCISED


# -- XLSX --------------------------------------------------------------------------------------

def test_xlsx_with_two_sheets_merged_title_and_numeric_ruc(store: Engine, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    notes = wb.active
    assert notes is not None
    notes.title = "Notas"
    notes["A1"] = "Archivo enviado por PROMPERÚ"
    data = wb.create_sheet("Inscripciones")
    data["A1"] = "Inscripciones al programa ECT — 2024"
    data.merge_cells("A1:D1")
    data.append([])
    data.append(["RUC", "Programa", "Curso", "Fecha de inscripción"])
    data.append([int(R1), "ECT", "ECT-01", date(2024, 4, 1)])
    data.append([int(R2), "ECT", None, date(2024, 4, 2)])
    data.append([int(bad_digit(R3)), "ECT", None, date(2024, 4, 3)])
    for _ in range(5):
        data.append([None, None, None, None])
    path = tmp_path / "inscripciones.xlsx"
    wb.save(path)
    report = run_import(store, "inscripcion", path, entidad="PROMPERÚ")
    assert report.rows_total == 3  # trailing blank rows dropped
    assert report.rows_loaded == 2 and report.rows_quarantined == 1
    assert codes_by_row(report) == {6: {"ruc_digito"}}  # the row number in the sheet


# -- nothing lost, nothing twice ------------------------------------------------------------------

def test_same_file_twice_adds_nothing_and_overlap_is_unchanged(store: Engine, tmp_path: Path) -> None:
    rows = [["ruc", "programa", "curso", "fecha_inscripcion"], [R1, "ECT", "", "2024-01-01"],
            [R2, "ECT", "", "2024-01-02"]]
    first = run_import(store, "inscripcion", write_csv(tmp_path / "a.csv", rows))
    again = run_import(store, "inscripcion", write_csv(tmp_path / "a_copia.csv", rows))
    assert first.rows_loaded == 2 and again.already_imported and again.batch_id == first.batch_id
    overlap = run_import(store, "inscripcion", write_csv(tmp_path / "b.csv", [*rows, [R4, "ECT", "", "2024-01-03"]]))
    assert (overlap.rows_loaded, overlap.rows_unchanged) == (1, 2)
    assert count(store, "rec_inscripcion") == 3
    assert count(store, "import_batch") == 3  # the catalogue, a.csv, b.csv


def test_correction_is_a_new_revision_and_records_are_append_only(store: Engine, tmp_path: Path) -> None:
    header = ["ruc", "programa", "curso", "fecha_culminacion", "resultado"]
    run_import(store, "culminacion", write_csv(tmp_path / "c1.csv", [header, [R1, "ECT", "", "2024-06-01",
                                                                               "desaprobado"]]))
    fixed = run_import(store, "culminacion", write_csv(tmp_path / "c2.csv", [header, [R1, "ECT", "", "2024-06-01",
                                                                                       "aprobado"]]))
    assert fixed.rows_revised == 1 and fixed.rows_loaded == 0
    table = RECORD_TABLES["culminacion"]
    with store.connect() as conn:
        rows = conn.execute(select(table.c.id, table.c.resultado, table.c.revision_of).order_by(table.c.id)).all()
    assert [(r.resultado, r.revision_of) for r in rows] == [("desaprobado", None), ("aprobado", rows[0].id)]
    with pytest.raises(DBAPIError, match="solo inserción"), store.begin() as conn:
        conn.execute(text("UPDATE rec_culminacion SET resultado = 'aprobado'"))


def test_quarantine_export_fix_and_reimport_resolves(store: Engine, tmp_path: Path) -> None:
    bad = bad_digit(R3)
    run_import(store, "inscripcion", write_csv(tmp_path / "in.csv", [
        ["ruc", "programa", "curso", "fecha_inscripcion"], [R1, "ECT", "", "2024-01-01"],
        [bad, "ECT", "", "2024-01-02"], [R2, "ECT", "", "31/02/2024"]]))
    out = tmp_path / "cuarentena.csv"
    with session_factory(store)() as s:
        assert export_quarantine(s, out, kind="inscripcion") == 2
    text_rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert text_rows[0][0] == "_cuarentena_id" and text_rows[0][-1] == "_motivos"
    for row in text_rows[1:]:  # the officer fixes both rows in place
        row[1] = R3 if row[1] == bad else row[1]
        row[4] = "28/02/2024" if row[4] == "31/02/2024" else row[4]
    write_csv(out, text_rows)
    report = run_import(store, "inscripcion", out)
    assert report.rows_loaded == 2 and report.quarantine_resolved == 2 and report.rows_quarantined == 0
    with session_factory(store)() as s:
        assert list_quarantine(s, kind="inscripcion") == []
        assert s.scalar(select(func.count()).select_from(QuarantineRow).where(QuarantineRow.status == "resuelta")) == 2


def test_import_is_recorded_in_the_audit_log_without_values(store: Engine, tmp_path: Path) -> None:
    report = run_import(store, "empresa", company_file(tmp_path))
    with store.connect() as conn:
        action, details = conn.execute(text(
            "SELECT action, details FROM audit_log WHERE object_type = 'import_batch' ORDER BY id DESC")).first()
    assert action == "records.import"
    body = str(details)
    assert str(report.batch_id) in body and "ruc_digito" in body
    assert R1 not in body and "Peñaloza" not in body  # counts only, no personal data


# -- atomicity: a real kill ------------------------------------------------------------------------

def _big_enrolment_file(path: Path, rows: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("ruc,programa,curso,fecha_inscripcion\n")
        for i in range(rows):
            fh.write(f"{make_ruc(i)},ECT,,2024-01-{1 + i % 28:02d}\n")
    return path


def test_kill_mid_import_leaves_nothing(tmp_path: Path) -> None:
    db = tmp_path / "kill.db"
    env = {**os.environ, "PADE_DATABASE_URL": f"sqlite:///{db}"}
    run: Callable[..., subprocess.CompletedProcess[str]] = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "pade", *a], env=env, capture_output=True, text=True, check=True, timeout=300)
    run("init")
    run("programme", "load")
    catalogue = write_csv(tmp_path / "p.csv", [["programa", "curso", "nombre", "entidad"], ["ECT", "", "ECT",
                                                                                             "PROMPERÚ"]])
    run("import", "programa", str(catalogue), "--entidad", "PCM-SGTD")
    big = _big_enrolment_file(tmp_path / "grande.csv", 400_000)
    wal = Path(f"{db}-wal")
    base_wal = wal.stat().st_size if wal.exists() else 0
    proc = subprocess.Popen([sys.executable, "-m", "pade", "import", "inscripcion", str(big), "--entidad", "PRODUCE"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kill once rows are being written (the WAL grows)
        if wal.exists() and wal.stat().st_size > base_wal + 5_000_000:
            break
        assert proc.poll() is None, "import finished before it could be killed; make the file bigger"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM rec_inscripcion").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM import_batch WHERE kind = 'inscripcion'").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM quarantine_row").fetchone()[0] == 0
    done = run("import", "inscripcion", str(big), "--entidad", "PRODUCE", "--json")
    assert '"rows_loaded": 400000' in done.stdout


def test_every_code_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "import-errors.md").read_text(encoding="utf-8")
    assert {code for code in ISSUE_TYPES if f"| `{code}` |" in doc} == set(ISSUE_TYPES)
