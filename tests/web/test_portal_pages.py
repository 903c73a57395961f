"""The public portal through the ASGI app: overview, filtered list, indicator page, map and CSV.

One synthetic store (programme, 1 500 firms, one run) is shared by the module. Every number the
pages show must be a *published* number: the tests compare with the disclosure-controlled values.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import Engine

from pade.core.db import make_engine, migrate, session_factory, transaction
from pade.core.settings import Settings
from pade.indicators.service import latest_run, run_compute, run_values, summarise
from pade.programme.loader import load_programme
from pade.programme.store import store_programme
from pade.records.synth import load_demo
from pade.registry.reference import departments
from pade.reports.disclosure import Estado, protected_run
from pade.reports.model_figure import model_figure
from pade.reports.opendata import VALUE_COLUMNS
from pade.reports.peru_map import choropleth, outlines
from pade.reports.portal import indicator_rows, light_counts
from pade.web.app import create_app

TODAY = date(2026, 11, 26)
K = 5


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Engine]:
    root = tmp_path_factory.mktemp("portal")
    settings = Settings(database_url=f"sqlite:///{root / 'pade.db'}", data_dir=root / "data", disclosure_k=K)
    engine = make_engine(settings)
    migrate(engine)
    with transaction(session_factory(engine)) as s:
        store_programme(s, load_programme(), actor="prueba")
    load_demo(engine, firms=1500, seed=3, work_dir=root / "synth", today=TODAY)
    run_compute(engine, settings, today=TODAY)
    return settings, engine


@pytest.fixture(scope="module")
def client(store: tuple[Settings, Engine]) -> Iterator[TestClient]:
    with TestClient(create_app(store[0])) as c:
        yield c


@pytest.fixture(scope="module")
def published(store: tuple[Settings, Engine]):  # type: ignore[no-untyped-def]
    with session_factory(store[1])() as s:
        return protected_run(s, k=K)


def cards(html: str) -> list[str]:
    """The indicator codes listed in the result cards, in order."""
    return re.findall(r'<li class="indicator-card">\s*<h3><a href="/indicadores/([^"]+)"', html)


def section(html: str, start: str, end: str) -> str:
    i = html.index(start)
    return html[i:html.index(end, i)]


# -- overview ----------------------------------------------------------------------------------------


def test_overview_draws_the_model_and_counts_lights(client: TestClient, published) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/").text
    figure = section(html, '<svg class="model-figure"', "</svg>")
    assert 'role="img"' in figure and '<title id="modelo-titulo">Modelo conceptual de la economía digital' in figure
    p = load_programme()
    words = " ".join(re.findall(r">([^<>]+)</text>", figure))
    for item in [*p.catalizadores, *p.ejes]:
        assert all(w in words for w in item.nombre.split()), item.nombre
    for pr in p.principios:
        assert pr.nombre in html
    for f in p.fases:
        assert f.nombre in html
    summaries = {ind.codigo: summarise(published.programme, ind, published.values) for ind in p.indicadores()}
    counts = light_counts(p, summaries)
    for oe in p.objetivos:
        if not oe.acciones:
            continue
        block = section(html, f'<article class="objective" id="{oe.id}">', "</article>")
        shown = {label: int(n) for label, n in re.findall(r"</span>([^<:]+): (\d+)</span>", block)}
        assert shown == {c.legend.label: c.count for c in counts[oe.id]}
        assert sum(shown.values()) == sum(len(a.indicadores) for ae in oe.acciones for a in ae.actividades)
        for ae in oe.acciones:
            for act in ae.actividades:
                assert str(escape(act.actividad)) in block


def test_model_figure_text_fits_its_boxes_on_a_phone() -> None:
    fig = model_figure(load_programme())
    assert fig.width == 360 and len(fig.axes) == 4 and len(fig.catalysts) == 5
    for box in fig.axes:
        # bold DejaVu Sans is about 0.64 em a character; the browser test measures the real glyphs
        assert all(len(line) * 0.64 * box.font_size <= box.width for line in box.lines), box.lines
        assert box.text_y(len(box.lines) - 1, size=box.font_size) < box.y + box.height


# -- indicator list ----------------------------------------------------------------------------------


def test_list_shows_every_indicator_with_its_light(client: TestClient, published) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/indicadores").text
    p = load_programme()
    assert cards(html) == [i.codigo for i in p.indicadores()]
    assert "19 indicadores" in html
    for ind in p.indicadores():
        s = summarise(published.programme, ind, published.values)
        card = section(html, f'<a href="/indicadores/{ind.codigo}">', "</li>")
        assert s.light.label in card  # a text label, never colour alone
        if s.next_milestone:
            assert f"{s.next_milestone[0]}: " in card


@pytest.mark.parametrize(("query", "expected"), [
    ("objetivo=OE2", lambda r: r.objective.id == "OE2"),
    ("eje=comercio_electronico", lambda r: r.axis.id == "comercio_electronico"),
    ("catalizador=seguridad_digital", lambda r: "seguridad_digital" in [c.id for c in r.catalysts]),
    ("entidad=PRODUCE", lambda r: "PRODUCE" in r.entities),
    ("semaforo=rojo", lambda r: r.summary.light.code == "rojo"),
    ("semaforo=verde&objetivo=OE1", lambda r: r.summary.light.code == "verde" and r.objective.id == "OE1"),
    ("objetivo=&eje=", lambda r: True),
])
def test_filters_select_the_right_indicators(client: TestClient, published, query: str, expected) -> None:  # type: ignore[no-untyped-def]
    p = published.programme
    summaries = {ind.codigo: summarise(p, ind, published.values) for ind in p.indicadores()}
    wanted = [r.indicator.codigo for r in indicator_rows(p, summaries) if expected(r)]
    r = client.get(f"/indicadores?{query}")
    assert r.status_code == 200
    assert cards(r.text) == wanted
    for _name, value in (pair.split("=") for pair in query.split("&")):
        if value:
            assert f'<option value="{value}" selected>' in r.text


def test_filters_narrow_the_list(client: TestClient) -> None:
    every = cards(client.get("/indicadores").text)
    oe1 = cards(client.get("/indicadores?objetivo=OE1").text)
    assert oe1 and set(oe1) < set(every) and all(c.startswith("OE1-") for c in oe1)


def test_htmx_gets_only_the_results(client: TestClient) -> None:
    partial = client.get("/indicadores?objetivo=OE2", headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.text
    assert partial.text.strip().startswith('<section id="resultados"')
    assert all(c.startswith("OE2-") for c in cards(partial.text))
    restore = client.get("/indicadores?objetivo=OE2", headers={"HX-Request": "true",
                                                                "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


def test_a_bad_filter_is_a_spanish_error(client: TestClient) -> None:
    r = client.get("/indicadores?semaforo=morado")
    assert r.status_code == 422
    assert "no es una opción válida" in r.text and "verde" in r.text and 'lang="es"' in r.text


# -- indicator page ----------------------------------------------------------------------------------


@pytest.mark.parametrize("codigo", ["OE1-01", "OE1-02.2", "OE2-06", "OE2-01"])
def test_indicator_page_shows_value_targets_chart_ficha_and_lineage(client: TestClient, published,
                                                                    codigo: str) -> None:  # type: ignore[no-untyped-def]
    ind = published.programme.indicador(codigo)
    s = summarise(published.programme, ind, published.values)
    r = client.get(f"/indicadores/{codigo}")
    assert r.status_code == 200
    html = r.text
    facts = section(html, 'id="situacion"', "</section>")
    if s.latest_year is not None:
        assert f"({s.latest_year})" in facts
    for m in ind.metas:
        assert str(m.anio) in html
    assert s.light.label in facts
    chart = section(html, '<div class="chart-svg"', "</figure>")
    assert "<svg" in chart and 'role="img"' in chart
    trajectory = section(html, 'aria-label="Trayectoria"', "</table>")
    assert all(f"<th scope=\"row\">{y}</th>" in trajectory for y in range(2023, 2031))
    run = published.run
    lineage = section(html, 'id="linaje"', "</section>")
    for value in (str(run.id), run.engine, run.programme_version, run.programme_hash, run.snapshot_hash,
                  run.code_version, str(K)):
        assert f"<code>{value}</code>" in lineage
    ficha = section(html, 'id="ficha"', "</section>")
    assert "Método de cálculo" in ficha and ind.nombre in ficha
    assert f'href="/indicadores/{codigo}.csv"' in html


def test_breakdowns_hide_suppressed_cells(client: TestClient, published) -> None:  # type: ignore[no-untyped-def]
    values = published.values
    by_department = values[(values["codigo"] == "OE1-01") & (values["desagregacion"] == "departamento")]
    mixed = [int(y) for y, rows in by_department.groupby("anio") if set(rows["estado"]) >= {"publicado", "suprimido"}]
    assert mixed, "the fixture must have a year with both published and reserved departments"
    year = mixed[-1]
    rows = by_department[by_department["anio"] == year]
    hidden = rows[rows["estado"] == Estado.suprimido.value]
    shown = rows[rows["estado"] == Estado.publicado.value]
    html = client.get(f"/indicadores/OE1-01?anio={year}").text
    table = section(html, 'aria-label="Por departamento"', "</table>")
    for code in hidden["departamento"]:
        name = dict(departments()).get(code, "No informado")
        assert re.search(rf'<th scope="row">{re.escape(name)}</th>\s*<td>reservado</td>', table), name
    for code, value in zip(shown["departamento"], shown["valor"], strict=True):
        name = dict(departments()).get(code, "No informado")
        assert re.search(rf'<th scope="row">{re.escape(name)}</th>\s*<td class="num">{int(value):,}</td>', table), name


def test_map_draws_the_25_departments(client: TestClient, published) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/indicadores/OE1-01").text
    svg = section(html, '<svg class="peru-map"', "</svg>")
    titles = re.findall(r'<path d="[^"]+" fill="([^"]+)"[^>]*><title>([^<]+)</title>', svg)
    assert len(titles) == 25
    names = {name for name, _ in (t.split(": ", 1) for _, t in titles)}
    assert names == {name for _, name in departments()}
    assert "Callao" in names and "Lima" in names
    for fill, title in titles:
        assert (fill == "url(#reservado)") == title.endswith(": reservado")
    legend = section(html, '<ul class="map-legend"', "</ul>")
    assert "reservado" in legend and "sin datos" in legend
    assert len(svg.encode()) < 150_000


def test_shipped_outlines_are_the_inei_departments() -> None:
    shapes = outlines()
    assert [o.codigo for o in shapes.departments] == [code for code, _ in departments()]
    assert all(o.d.startswith("M") and o.d.endswith("z") for o in shapes.departments)
    assert "Natural Earth" in shapes.source and "dominio público" in shapes.licence
    data = Path(__file__).resolve().parents[2] / "src/pade/registry/data/departamentos_mapa.json"
    assert data.stat().st_size < 150_000


def test_choropleth_classes_and_states() -> None:
    m = choropleth({"01": (10.0, "publicado", "10"), "02": (90.0, "publicado", "90"),
                    "15": (None, "suprimido", ""), "no_informado": (5.0, "publicado", "5")},
                   percent=False, title="x")
    fills = {s.codigo: s.fill for s in m.shapes}
    assert fills["01"] != fills["02"] and fills["15"] == "url(#reservado)" and fills["03"] == "#F0F0F0"
    assert [s.title for s in m.shapes if s.codigo == "15"] == ["Lima: reservado"]


def test_year_can_be_chosen_and_a_bad_year_is_an_error(client: TestClient) -> None:
    assert "Desagregaciones 2024" in client.get("/indicadores/OE1-01?anio=2024").text
    r = client.get("/indicadores/OE1-01?anio=1999")
    assert r.status_code == 422 and "no tiene valores" in r.text


# -- CSV -----------------------------------------------------------------------------------------------


def test_csv_is_the_published_table(client: TestClient, published) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/indicadores/OE1-01.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="oe1-01.csv"' in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert tuple(rows[0].keys()) == VALUE_COLUMNS
    values = published.values
    mine = values[values["codigo"] == "OE1-01"]
    assert len(rows) == len(mine)
    reserved = [row for row in rows if row["estado"] == "suprimido"]
    assert reserved, "the fixture must have suppressed cells"
    assert all(row["valor"] == row["numerador"] == row["denominador"] == "" for row in reserved)
    published_rows = [row for row in rows if row["estado"] == "publicado"]
    assert published_rows and all(row["valor"] != "" for row in published_rows)


def test_csv_never_carries_a_suppressed_raw_value(client: TestClient, store: tuple[Settings, Engine]) -> None:
    with session_factory(store[1])() as s:
        run = latest_run(s)
        assert run is not None
        raw = run_values(s, run.id, codigo="OE1-01")
    rows = list(csv.DictReader(io.StringIO(client.get("/indicadores/OE1-01.csv").text)))
    by_key = {(r["anio"], r["desagregacion"], r["departamento"], r["tamano"], r["seccion_ciiu"], r["exportador"],
               r["sexo_titular"]): r for r in rows}
    checked = 0
    for rec in raw.to_dict("records"):
        key = (str(rec["anio"]), rec["desagregacion"], *[rec[d] or "" for d in
                                                          ("departamento", "tamano", "seccion_ciiu", "exportador",
                                                           "sexo_titular")])
        row = by_key[key]
        if row["estado"] == "suprimido" and rec["valor"] is not None:
            assert row["valor"] == row["numerador"] == ""  # a stored value that is not published
            checked += 1
    assert checked


# -- errors and escaping -------------------------------------------------------------------------------


def test_unknown_indicator_is_a_spanish_404(client: TestClient) -> None:
    for path in ("/indicadores/OE9-99", "/indicadores/OE9-99.csv"):
        r = client.get(path)
        assert r.status_code == 404
        assert "El indicador OE9-99 no existe" in r.text and "OE1-01" in r.text


@pytest.mark.parametrize("path", [
    "/indicadores/%3Cscript%3Ealert(1)",
    "/indicadores/%3Cscript%3Ealert(1).csv",
    "/indicadores?entidad=%3Cscript%3Ealert(1)",
    "/indicadores/OE1-01?anio=%3Cscript%3Ealert(1)",
    "/indicadores?objetivo=%22%3E%3Cscript%3Ealert(1)",
])
def test_request_text_is_escaped(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code in (404, 422) and 'lang="es"' in r.text
    assert "<script>alert(1)" not in r.text
    assert "&lt;script&gt;alert(1)" in r.text


def test_pages_before_any_run(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'pade.db'}", data_dir=tmp_path / "data")
    engine = make_engine(settings)
    migrate(engine)
    with transaction(session_factory(engine)) as s:
        store_programme(s, load_programme(), actor="prueba")
    with TestClient(create_app(settings)) as c:
        assert c.get("/").status_code == 200
        listing = c.get("/indicadores")
        assert listing.status_code == 200 and len(cards(listing.text)) == 19
        page = c.get("/indicadores/OE1-01")
        assert page.status_code == 404 and "pade compute" in page.text
        assert c.get("/indicadores/OE9-99").status_code == 404


# -- open data -------------------------------------------------------------------------------------------


def test_open_data_page_serves_the_package(client: TestClient, published) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/datos").text
    assert 'href="/datos/datapackage.json"' in html and 'href="/datos/resumen.csv"' in html
    assert 'href="/datos/datos/oe1-01.csv"' in html and "Creative Commons" in html
    descriptor = client.get("/datos/datapackage.json").json()
    assert descriptor["pade:procedencia"]["ejecucion"] == published.run.id
    assert descriptor["pade:procedencia"]["umbral_k"] == K
    for resource in descriptor["resources"]:
        assert client.get(f"/datos/{resource['path']}").status_code == 200
    assert client.get("/datos/datos/oe1-01.csv").text == client.get("/indicadores/OE1-01.csv").text
    summary = list(csv.DictReader(io.StringIO(client.get("/datos/resumen.csv").text)))
    assert [r["codigo"] for r in summary] == [i.codigo for i in load_programme().indicadores()]
    missing = client.get("/datos/../pade.db")
    assert missing.status_code == 404
    assert client.get("/datos/nada.csv").status_code == 404
