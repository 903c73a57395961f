"""The committee report end to end, on SQLite and PostgreSQL: issue, read the files back, freeze, diff.

Demo data (2,000 firms) lands through the real importer; the PDF is read back with pypdf and the
workbook with openpyxl, and their figures are checked against the run stored in the database.
The first two PDF pages are rendered to PNG in ``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from pade.core import audit
from pade.core.db import session_factory, transaction
from pade.core.i18n import t
from pade.core.settings import Settings
from pade.indicators.service import run_values
from pade.programme.loader import load_programme
from pade.programme.store import current_programme_version, store_programme
from pade.records.batch import raw_from_rows
from pade.records.importer import import_raw, record_kind
from pade.records.synth import load_demo
from pade.reports.charts import format_number
from pade.reports.commentary import CommentaryRefused, commentary_history, current_commentary, set_commentary
from pade.reports.committee import issue_committee_report, period_summaries
from pade.reports.committee_cli import report_app
from pade.reports.fichas import build_fichas, render_fichas
from pade.reports.issued import canonical_json, diff_against_now, issued_files, issued_inputs, sha256

TODAY = date(2026, 11, 26)
PERIOD = 2026
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _backend(settings: Settings) -> str:
    return "sqlite" if settings.resolved_database_url.startswith("sqlite") else "postgres"


def _with_programme(engine: Engine) -> None:
    with transaction(session_factory(engine)) as s:
        store_programme(s, load_programme(), actor="prueba")


@pytest.fixture
def demo(engine: Engine, tmp_path: Path) -> Engine:
    _with_programme(engine)
    load_demo(engine, firms=2_000, seed=1, work_dir=tmp_path / "synth", today=TODAY)
    return engine


def _pdf_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _words(text: str) -> str:
    """A pattern for ``text`` that lets the PDF wrap it at any space."""
    return r"\s+".join(re.escape(w) for w in text.split())


def _row(ws: Any, code: str) -> dict[str, Any]:
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == code:
            return dict(zip(header, row, strict=True))
    raise AssertionError(f"{code} not in sheet {ws.title}")


def test_committee_report_issued_read_back_frozen_and_diffed(demo: Engine, settings: Settings,
                                                            tmp_path: Path) -> None:
    engine = demo
    with transaction(session_factory(engine)) as s:
        set_commentary(s, codigo="OE1-01", anio=PERIOD, entidad="PROMPERÚ", justificacion="Menos tiendas abiertas.",
                       medidas_correctivas="Campaña de captación en regiones.", autor="prueba")
    issued = issue_committee_report(engine, settings, period=PERIOD, actor="prueba", today=TODAY)
    assert issued.created

    with session_factory(engine)() as s:
        pdf, xlsx = issued_files(s, issued.id)
        values = run_values(s, issued.run_id)
        stored = current_programme_version(s)
        assert stored is not None
    summaries = period_summaries(stored.programme, values, PERIOD)
    oe101 = summaries["OE1-01"]
    assert oe101.latest_year == PERIOD and oe101.latest_value is not None
    lights = [sm.light.code if sm.latest_year == PERIOD else "gris" for sm in summaries.values()]
    green, amber, red, grey = (lights.count(c) for c in ("verde", "amarillo", "rojo", "gris"))

    # -- the PDF, read back
    pages = _pdf_text(pdf)
    text_all = "\n".join(pages)
    assert re.search(rf"{_words(t('All indicators'))}\s+{green}\s+{amber}\s+{red}\s+{grey}\s+19", text_all)
    value = format_number(oe101.latest_value)
    target = format_number(oe101.targets[PERIOD].value or 0.0)
    assert re.search(rf"OE1-01\s+PROMPERÚ\s+950\s+{re.escape(target)}\s+{re.escape(value)}\s", text_all)
    card = next(p for p in pages if "OE1-01 ·" in p)
    assert re.search(rf"{_words(t('Value'))}\s+{PERIOD}\s+{re.escape(value)}", card)
    assert "Menos tiendas abiertas." in card and "Campaña de captación en regiones." in card
    assert t("No justification recorded") in text_all  # every other indicator
    assert issued.snapshot_hash[:12] in card and f"{t('run')} {issued.run_id}" in card  # footnote lineage
    assert issued.content_hash in pages[0] and issued.snapshot_hash in pages[0]  # lineage box on the cover
    assert f"{t('Page')} 2 {t('of')} {len(pages)}" in pages[1]
    assert stored.programme.metadatos.titulo.split()[0] in pages[1]  # running header
    assert t("no data source") in text_all and "OE2-02" in text_all  # PNTD S2.3.1 section
    assert all(o.id in text_all for _, o in stored.programme.observaciones_todas())  # the annex

    # -- the workbook, read back
    wb = load_workbook(io.BytesIO(xlsx))
    assert wb.sheetnames == [t("Summary"), "OE1", "OE2", t("Data"), t("Observations"), t("Lineage")]
    oe1 = wb["OE1"]
    assert oe1.freeze_panes == "A2" and oe1.auto_filter.ref
    row = _row(oe1, "OE1-01")
    cell = row[t("Value {year}", year=PERIOD)]
    assert isinstance(cell.value, int | float) and cell.value == pytest.approx(oe101.latest_value)
    compliance = row[t("Compliance")]
    assert compliance.number_format.endswith("%")
    assert compliance.value == pytest.approx((oe101.compliance.value_pct or 0) / 100)
    percent_row = _row(oe1, "OE1-05")  # a percentage indicator: a fraction shown as percent
    assert percent_row[t("Value {year}", year=PERIOD)].number_format.endswith("%")
    assert percent_row[t("Value {year}", year=PERIOD)].value == pytest.approx(summaries["OE1-05"].latest_value / 100)
    totals = _row(wb[t("Summary")], t("Total"))
    assert [totals[band].value for band in list(totals)[2:6]] == [green, amber, red, grey]
    data = wb[t("Data")]
    assert data.freeze_panes == "A2" and data.auto_filter.ref
    assert data.max_row - 1 == int((values["anio"] <= PERIOD).sum())
    assert all(isinstance(c.value, int) for c in next(data.iter_cols(min_col=3, max_col=3, min_row=2)))
    assert wb[t("Lineage")]["B12"].value == issued.content_hash

    # -- first two pages as PNG, for a person to look at
    assert shutil.which("pdftoppm"), "install poppler-utils"
    folder = ARTIFACTS / f"committee-{_backend(settings)}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "reporte.pdf").write_bytes(pdf)
    (folder / "reporte.xlsx").write_bytes(xlsx)
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "2", str(folder / "reporte.pdf"),
                    str(folder / "pagina")], check=True, timeout=60)
    assert len(list(folder.glob("pagina-*.png"))) == 2

    # -- issuing again with unchanged data returns the same report
    again = issue_committee_report(engine, settings, period=PERIOD, actor="prueba", today=TODAY)
    assert (again.id, again.created) == (issued.id, False)

    # -- frozen: the database refuses to change an issued report
    for statement in ("UPDATE issued_report SET issued_by = 'x'", "DELETE FROM issued_report"):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(statement))

    # -- change one approved reported value, then diff against now
    with engine.connect() as conn:
        old = conn.execute(text("SELECT valor FROM rec_valor_reportado WHERE variable = 'programas_implementados' "
                                "AND periodo = 2025")).scalar_one()
    revised = import_raw(engine, record_kind("valor_reportado"), raw_from_rows([{
        "variable": "programas_implementados", "entidad": "PRODUCE", "periodo": 2025, "valor": float(old) + 3,
        "evidencia": "Oficio N° 999-2026-PRODUCE", "justificacion": "Corrección", "estado": "aprobado"}]),
        file_name=None, source="api", entidad="PRODUCE", actor="prueba", today=TODAY)
    assert revised.rows_revised == 1
    diff = diff_against_now(engine, settings, issued.id, today=TODAY)
    # OE2-07 is cumulative: the 2025 correction moves 2025 and 2026, and nothing else moves.
    assert [(f.codigo, f.anio, f.breakdown) for f in diff.figures] == [("OE2-07", 2025, "total"),
                                                                      ("OE2-07", 2026, "total")]
    assert all((f.new or 0) - (f.old or 0) == pytest.approx(3) for f in diff.figures)
    assert [(tc.table, tc.rows_difference, tc.indicators) for tc in diff.tables] == [
        ("rec_valor_reportado", 1, ["OE2-07"])]
    assert [(r.variable, r.entidad, r.periodo, r.new_value) for r in diff.reported] == [
        ("programas_implementados", "PRODUCE", 2025, pytest.approx(float(old) + 3))]
    assert diff.run_id != issued.run_id and not diff.programme_changed

    # -- the issued report is untouched: same bytes, same hashes, same content
    with session_factory(engine)() as s:
        assert issued_files(s, issued.id) == (pdf, xlsx)
        inputs = issued_inputs(s, issued.id)
    assert sha256(pdf) == issued.pdf_sha256 and sha256(xlsx) == issued.xlsx_sha256
    assert sha256(canonical_json(inputs["content"])) == issued.content_hash

    # -- fichas técnicas: one page per indicator, with the computed values
    pdf_path, xlsx_path = render_fichas(session_factory(engine)(), tmp_path / "fichas")
    fichas = PdfReader(pdf_path)
    assert len(fichas.pages) == 19
    assert "OE1-01" in fichas.pages[0].extract_text() and value in fichas.pages[0].extract_text()
    assert len(load_workbook(xlsx_path).sheetnames) == 19


def test_fichas_without_a_run_show_no_values(engine: Engine) -> None:
    """The sheets are built before any run (rendering is covered by the end-to-end test above)."""
    _with_programme(engine)
    with session_factory(engine)() as s:
        stored = current_programme_version(s)
        assert stored is not None
        fichas = build_fichas(stored.programme, s)
    assert [f.codigo for f in fichas] == [i.codigo for i in stored.programme.indicadores()]
    assert all(f.lineage is None and all(y.value is None for y in f.years) for f in fichas)
    oe101 = fichas[0]
    assert [y.year for y in oe101.years] == list(range(2024, 2031))
    assert [(y.year, y.printed) for y in oe101.years if y.printed] == [(2026, "1250"), (2028, "1350"),
                                                                       (2030, "1450")]
    assert next(y.target for y in oe101.years if y.year == 2024) == pytest.approx(1050.0)  # 950 → 1,250


def test_commentary_rules_history_and_append_only(engine: Engine, settings: Settings,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _with_programme(engine)
    sessions = session_factory(engine)
    with transaction(sessions) as s, pytest.raises(CommentaryRefused, match="PRODUCE"):
        set_commentary(s, codigo="OE1-01", anio=2026, entidad="PRODUCE", justificacion="x",
                       medidas_correctivas="", autor="prueba")
    with transaction(sessions) as s, pytest.raises(CommentaryRefused):
        set_commentary(s, codigo="OE1-01", anio=2026, entidad="PROMPERÚ", justificacion=" ",
                       medidas_correctivas="", autor="prueba")
    with transaction(sessions) as s:
        set_commentary(s, codigo="OE1-03.1", anio=2026, entidad="MINCETUR", justificacion="Primera versión",
                       medidas_correctivas="", autor="prueba")
        set_commentary(s, codigo="OE1-03.1", anio=2026, entidad="PROMPERÚ", justificacion="Versión corregida",
                       medidas_correctivas="Ninguna", autor="prueba")
    monkeypatch.setenv("PADE_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("PADE_DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(report_app, ["comentario", "OE1-01", "--anio", "2026", "--entidad", "PROMPERÚ",
                                             "--justificacion", "Avance según lo previsto", "--medidas", "—"])
    assert result.exit_code == 0, result.output
    refused = CliRunner().invoke(report_app, ["comentario", "OE1-01", "--anio", "2026", "--entidad", "MINCETUR",
                                              "--justificacion", "x"])
    assert isinstance(refused.exception, CommentaryRefused)
    with sessions() as s:
        current = current_commentary(s, 2026)
        assert sorted(current) == ["OE1-01", "OE1-03.1"]
        assert current["OE1-03.1"].justificacion == "Versión corregida"
        assert current["OE1-01"].justificacion == "Avance según lo previsto"
        assert [c.justificacion for c in commentary_history(s, "OE1-03.1", 2026)] == ["Primera versión",
                                                                                      "Versión corregida"]
        assert current_commentary(s, 2025) == {}
        logged = audit.entries(s, object_type="indicator_commentary")
        assert len(logged) == 3 and "Versión" not in str([e.details for e in logged])
    for statement in ("UPDATE indicator_commentary SET justificacion = 'x'", "DELETE FROM indicator_commentary"):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(statement))


def test_report_tables_match_the_migration(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from pade.core.db import Base

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    ours = [d for d in diff if any(name in str(d) for name in ("issued_report", "indicator_commentary"))]
    assert ours == []
