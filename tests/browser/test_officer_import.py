"""An entity officer imports a file with bad rows, fixes the quarantine and re-uploads; another entity's
officer is refused; the admin computes from the page. Real Chromium against ``pade serve``."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from stdnum.pe import ruc as stdnum_ruc

from tests.browser.conftest import LiveStore, assert_accessible, compute_from_page

PASSWORD = "clave-navegador-imp-1"
PRODUCE_OFFICER = "oficial-imp-produce"
PROMPERU_OFFICER = "oficial-imp-promperu"
ADMIN = "admin-imp"


def make_ruc(n: int) -> str:
    body = f"20{n:08d}"
    return body + stdnum_ruc.calc_check_digit(body)


@pytest.fixture(scope="module")
def accounts(live_store: LiveStore) -> None:
    for username, role, entity in ((PRODUCE_OFFICER, "oficial", "PRODUCE"),
                                   (PROMPERU_OFFICER, "oficial", "PROMPERÚ"), (ADMIN, "admin", None)):
        args = ["users", "create", "--username", username, "--nombre", username, "--rol", role, "--password-stdin"]
        live_store.pade(*args, *(["--entidad", entity] if entity else []), input=f"{PASSWORD}\n")


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/entrar")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin")


def test_officer_imports_fixes_the_quarantine_and_reuploads(accounts: None, live_server: str, page: Any,
                                                            shot: Callable[[Any, str], Path], tmp_path: Path) -> None:
    sign_in(page, live_server, PRODUCE_OFFICER)
    page.click("text=Importaciones")
    page.wait_for_url(f"{live_server}/admin/importaciones/PRODUCE")
    assert_accessible(page)

    bad = tmp_path / "culminaciones_mayo.csv"
    bad.write_text("ruc,programa,curso,fecha_culminacion,resultado\n"
                   f"{make_ruc(90000001)},PCE,,2024-05-02,aprobado\n"
                   f"{make_ruc(90000002)},PCE,,31/02/2024,aprobado\n"
                   f"{make_ruc(90000003)},PCE,,2024-05-03,tal vez\n", encoding="utf-8")
    page.select_option("#kind", "culminacion")
    page.set_input_files("#archivo", str(bad))
    page.click("text=Cargar y validar")
    page.wait_for_url("**/lotes/*")
    report = page.inner_text("main")
    assert "pendiente de revisión" in report
    assert "fecha_invalida" in report and "no es una fecha válida. Escríbala como dd/mm/aaaa" in report
    assert "valor_no_permitido" in report and "tal vez no es un valor permitido" in report
    assert_accessible(page)
    shot(page, "import-validation-report")

    page.click("text=Importaciones de PRODUCE")
    assert "2 fila(s) esperan en cuarentena" in page.inner_text("main")
    shot(page, "import-quarantine")
    with page.expect_download() as info:
        page.click("a[href$='/cuarentena/culminacion.csv']")
    download = info.value
    table = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    assert table[0][0] == "_cuarentena_id" and table[0][-1] == "_motivos" and len(table) == 3

    fixed = tmp_path / "culminaciones_corregidas.csv"
    with fixed.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(table[0])
        for row in table[1:]:
            cells = dict(zip(table[0], row, strict=True))
            cells.update(fecha_culminacion="2024-02-28", resultado="aprobado")
            writer.writerow([cells[c] for c in table[0]])
    page.select_option("#kind", "culminacion")
    page.set_input_files("#archivo", str(fixed))
    page.click("text=Cargar y validar")
    page.wait_for_url("**/lotes/*")
    assert "filas en cuarentena corregidas por este archivo" in page.inner_text("main")
    page.click("text=Importaciones de PRODUCE")
    assert page.is_visible("#cuarentena-vacia")
    history = page.inner_text("#tabla-historial")
    assert "culminaciones_mayo.csv" in history and "culminaciones_corregidas.csv" in history
    shot(page, "import-history-after-fix")


def test_officer_of_another_entity_gets_403(accounts: None, live_server: str, page: Any,
                                            shot: Callable[[Any, str], Path]) -> None:
    sign_in(page, live_server, PROMPERU_OFFICER)
    response = page.goto(f"{live_server}/admin/importaciones/PRODUCE")
    assert response.status == 403
    assert "PROMPERÚ" in page.inner_text("main")
    assert_accessible(page)
    shot(page, "import-other-entity-403")
    token = page.get_attribute("meta[name=csrf-token]", "content")
    upload = page.request.post(f"{live_server}/admin/importaciones/PRODUCE", multipart={
        "csrf_token": token, "kind": "culminacion",
        "archivo": {"name": "x.csv", "mimeType": "text/csv", "buffer": b"ruc\n20100047218\n"}})
    assert upload.status == 403
    own = page.goto(f"{live_server}/admin/importaciones")
    assert own.status == 200 and page.url.endswith("/admin/importaciones/PROMPER%C3%9A")


def test_admin_computes_from_the_page(accounts: None, live_server: str, page: Any,
                                      shot: Callable[[Any, str], Path]) -> None:
    sign_in(page, live_server, ADMIN)
    page.click("text=Cálculo")
    page.wait_for_url(f"{live_server}/admin/calculo")
    assert_accessible(page)
    run_id = compute_from_page(page, force=True)
    assert f"la corrida {run_id}" in page.inner_text("#estado-calculo")
    assert page.locator("#tabla-corridas tbody tr").count() >= 2
    assert_accessible(page)
    shot(page, "compute-runs-lineage")
