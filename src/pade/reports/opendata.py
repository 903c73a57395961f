"""The open data package: every indicator as a Frictionless Data Package, after disclosure control.

Layout of the package (``datapackage.json`` describes every file with a Table Schema in Spanish)::

    datapackage.json     licence, provenance (run, engine, programme, snapshot, code, k) and resources
    datos/<id>.csv       one long CSV per indicator: year × breakdown cell, with ``estado``
    resumen.csv          latest published value, target, compliance, traffic light, progress status
    programa.json        the programme definition the run was computed with

Suppressed cells are rows with ``estado`` ``suprimido`` and blank numbers (see
:mod:`pade.reports.disclosure` and ``docs/decisions/0009-open-data-and-disclosure.md``).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from pade import __version__
from pade.core.errors import NotFound
from pade.core.i18n import t
from pade.indicators.compile import GROUPINGS, UNKNOWN
from pade.indicators.service import IndicatorSummary, summarise
from pade.programme.models import Indicador, Programa, Unidad
from pade.registry.reference import department_name
from pade.reports.disclosure import DEFAULT_K, Estado, ProtectedRun, format_number, protected_run, write_files

log = logging.getLogger(__name__)

DATA_FOLDER = "datos"
SUMMARY_FILE = "resumen.csv"
PROGRAMME_FILE = "programa.json"
DESCRIPTOR_FILE = "datapackage.json"
_OTHER_DIMENSIONS = ("tamano", "seccion_ciiu", "exportador", "sexo_titular")
VALUE_COLUMNS = ("anio", "desagregacion", "departamento", "departamento_nombre", *_OTHER_DIMENSIONS, "valor",
                 "numerador", "denominador", "unidad", "estado")
LICENCES = {
    "CC-BY-4.0": ("https://creativecommons.org/licenses/by/4.0/", "Creative Commons Attribution 4.0"),
    "CC0-1.0": ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0 1.0 Universal"),
    "ODC-BY-1.0": ("https://opendatacommons.org/licenses/by/1-0/", "Open Data Commons Attribution License 1.0"),
    "ODbL-1.0": ("https://opendatacommons.org/licenses/odbl/1-0/", "Open Data Commons Open Database License 1.0"),
}


def indicator_slug(codigo: str) -> str:
    """The file and resource name of an indicator (``OE1-02.1`` → ``oe1-02-1``); also its Open SDG id."""
    return codigo.lower().replace(".", "-")


def publish_opendata(session: Session, out_dir: Path, *, run_id: int | None = None, k: int = DEFAULT_K,
                     licence: str = "CC-BY-4.0", now: datetime | None = None) -> Path:
    """Write the open data package of a run (default: the latest) into ``out_dir``.

    Values are protected with threshold ``k`` before anything is built; the texts are checked for
    personal RUCs before anything is written. Returns the path of ``datapackage.json``.

    Raises:
        NotFound: no such run, or no programme.
        ConfigError: ``k`` below 2.
        DisclosureError: a file would contain a personal RUC (nothing is written).

    Example:
        ``frictionless.validate(publish_opendata(session, Path("abiertos")))`` is valid.
    """
    protected = protected_run(session, run_id=run_id, k=k)
    files = opendata_files(protected, licence=licence, now=now or datetime.now(UTC))
    write_files(out_dir, files)
    log.info("opendata run=%s k=%s files=%s", protected.run.id, k, len(files))
    return out_dir / DESCRIPTOR_FILE


def opendata_files(protected: ProtectedRun, *, licence: str, now: datetime) -> dict[str, str]:
    """Every file of the package as text, by relative path (nothing is written)."""
    p = protected.programme
    files: dict[str, str] = {}
    resources: list[dict[str, Any]] = []
    for ind in p.indicadores():
        name = indicator_slug(ind.codigo)
        path = f"{DATA_FOLDER}/{name}.csv"
        files[path] = indicator_csv(protected.values, ind)
        resources.append(_resource(name, path, f"{ind.codigo} — {ind.nombre}", _indicator_description(ind),
                                   _value_schema()))
    summary = summary_frame(p, protected.values)
    files[SUMMARY_FILE] = _csv(summary, tuple(summary.columns))
    resources.append(_resource("resumen", SUMMARY_FILE, t("Summary of progress by indicator"),
                               t("Latest published value of each indicator against its target: compliance "
                                 "(CEPLAN), traffic light and progress status (Open SDG method)."),
                               _summary_schema()))
    files[PROGRAMME_FILE] = json.dumps(p.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
    resources.append({"name": "programa", "path": PROGRAMME_FILE, "format": "json", "mediatype": "application/json",
                      "encoding": "utf-8", "title": t("Programme definition"),
                      "description": t("The programme definition (version {version}) the values were computed "
                                       "with: objectives, actions, activities, indicators, targets and formulas.",
                                       version=protected.run.programme_version)})
    files[DESCRIPTOR_FILE] = json.dumps(_descriptor(protected, resources, licence, now), ensure_ascii=False,
                                        indent=2) + "\n"
    return files


# -- the tables ---------------------------------------------------------------------------------------


def indicator_frame(values: pd.DataFrame, ind: Indicador) -> pd.DataFrame:
    """The published rows of one indicator (``values``: :func:`~pade.reports.disclosure.protect` output)."""
    rows = values[values["codigo"] == ind.codigo]
    out = pd.DataFrame({
        "anio": rows["anio"].astype("int64"),
        "desagregacion": rows["desagregacion"],
        "departamento": rows["departamento"],
        "departamento_nombre": [_department_label(code) for code in rows["departamento"]],
        **{d: rows[d] for d in _OTHER_DIMENSIONS},
        "valor": rows["valor"],
        "numerador": rows["numerador"],
        "denominador": rows["denominador"],
        "unidad": ind.unidad.value,
        "estado": rows["estado"],
    })
    return out.reset_index(drop=True)


def indicator_csv(values: pd.DataFrame, ind: Indicador) -> str:
    """The published rows of one indicator as the open data CSV ``datos/<id>.csv`` (comma, UTF-8, header).

    ``values`` must be :func:`~pade.reports.disclosure.protect` output: suppressed cells are blank.
    """
    return _csv(indicator_frame(values, ind), VALUE_COLUMNS)


def _department_label(code: Any) -> str:
    if not isinstance(code, str):
        return ""
    if code == UNKNOWN:
        return t("Not reported")
    try:
        return department_name(code)
    except NotFound:
        return ""


def summary_frame(p: Programa, values: pd.DataFrame) -> pd.DataFrame:
    """One row per indicator, computed from the *published* totals only (a suppressed year is missing)."""
    rows = []
    for ind in p.indicadores():
        s = summarise(p, ind, values)
        totals = values[(values["codigo"] == ind.codigo) & (values["desagregacion"] == "total")]
        rows.append(_summary_row(ind, s, totals))
    return pd.DataFrame(rows)


def _summary_row(ind: Indicador, s: IndicatorSummary, totals: pd.DataFrame) -> dict[str, Any]:
    if s.latest_value is not None:
        estado = Estado.publicado
    elif (totals["estado"] == Estado.suprimido.value).any():
        estado = Estado.suprimido
    else:
        estado = Estado.sin_dato
    return {k: round(v, 10) if isinstance(v, float) else v for k, v in {
        "codigo": ind.codigo, "indicador": ind.id, "nombre": ind.nombre, "unidad": ind.unidad.value,
        "sentido_esperado": ind.sentido_esperado.value, "anio": s.latest_year, "valor": s.latest_value,
        "estado": estado.value, "linea_base": s.baseline, "anio_linea_base": s.baseline_year,
        "meta_anio": s.target_latest,
        "proximo_hito_anio": s.next_milestone[0] if s.next_milestone else None,
        "proximo_hito_valor": s.next_milestone[1] if s.next_milestone else None,
        "cumplimiento_pct": s.compliance.value_pct, "metodo_cumplimiento": s.compliance.method_used.value,
        "semaforo": s.light.code, "estado_progreso": s.status.status.value,
    }.items()}


def _csv(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for record in frame[list(columns)].itertuples(index=False, name=None):
        writer.writerow([_cell(v) for v in record])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "" if isinstance(value, float) and math.isnan(value) else format_number(value)
    return str(value)


# -- the descriptor -----------------------------------------------------------------------------------


def _field(name: str, kind: str, description: str, **constraints: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "type": kind, "description": description}
    if constraints:
        out["constraints"] = constraints
    return out


def _value_schema() -> dict[str, Any]:
    return {"fields": [
        _field("anio", "integer", t("Year the value refers to."), required=True),
        _field("desagregacion", "string", t("Breakdown of the cell: total, or the dimensions it is broken down by."),
               required=True, enum=list(GROUPINGS)),
        _field("departamento", "string", t("INEI department code (2 digits); no_informado when unknown; blank when "
                                           "the cell is not broken down by department.")),
        _field("departamento_nombre", "string", t("Department name.")),
        _field("tamano", "string", t("Company size class (micro, pequena, mediana, grande).")),
        _field("seccion_ciiu", "string", t("Section of the economic activity (CIIU rev. 4).")),
        _field("exportador", "string", t("Exporter status of the company.")),
        _field("sexo_titular", "string", t("Sex of the owner or manager.")),
        _field("valor", "number", t("Value of the indicator; blank when suppressed or not available.")),
        _field("numerador", "number", t("Numerator (for counts, the count itself); blank when suppressed.")),
        _field("denominador", "number", t("Denominator of a ratio; blank for counts and when suppressed.")),
        _field("unidad", "string", t("Unit of the value."), required=True, enum=[u.value for u in Unidad]),
        _field("estado", "string", t("publicado; suprimido (statistical disclosure control: fewer than k units, or "
                                     "needed so that a small cell cannot be derived); sin_dato (no value)."),
               required=True, enum=[e.value for e in Estado]),
    ], "missingValues": [""]}


def _summary_schema() -> dict[str, Any]:
    number, text, integer = "number", "string", "integer"
    spec = [
        ("codigo", text, t("Code of the indicator.")), ("indicador", text, t("Identifier of the indicator.")),
        ("nombre", text, t("Name of the indicator.")), ("unidad", text, t("Unit of the value.")),
        ("sentido_esperado", text, t("Expected direction.")),
        ("anio", integer, t("Latest year with a published value.")),
        ("valor", number, t("Latest published value (national total).")),
        ("estado", text, t("Status of the latest value: publicado, suprimido or sin_dato.")),
        ("linea_base", number, t("Baseline value.")), ("anio_linea_base", integer, t("Baseline year.")),
        ("meta_anio", number, t("Target for the year of the latest value (interpolated between milestones).")),
        ("proximo_hito_anio", integer, t("Year of the next milestone.")),
        ("proximo_hito_valor", number, t("Target of the next milestone.")),
        ("cumplimiento_pct", number, t("Compliance percentage (CEPLAN).")),
        ("metodo_cumplimiento", text, t("Compliance method: avance or logro.")),
        ("semaforo", text, t("Traffic light: verde, amarillo, rojo or gris.")),
        ("estado_progreso", text, t("Progress status (Open SDG method).")),
    ]
    return {"fields": [_field(n, kind, d) for n, kind, d in spec], "missingValues": [""]}


def _resource(name: str, path: str, title: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "path": path, "profile": "tabular-data-resource", "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8", "title": title, "description": description,
            "dialect": {"delimiter": ",", "header": True}, "schema": schema}


def _indicator_description(ind: Indicador) -> str:
    return t("Indicator {code} ({unit}) by year and breakdown cell. A breakdown cell that is absent counts no units.",
             code=ind.codigo, unit=ind.unidad.value)


def _licence(licence: str) -> dict[str, str]:
    known = LICENCES.get(licence)
    if known is None:
        return {"name": licence}
    return {"name": licence, "path": known[0], "title": known[1]}


def _descriptor(protected: ProtectedRun, resources: Iterable[dict[str, Any]], licence: str,
                now: datetime) -> dict[str, Any]:
    run, p = protected.run, protected.programme
    return {
        "name": "pade-indicadores",
        "title": t("Indicators of the Programa Articulador de Economía Digital"),
        "description": t("The 19 indicators of the programme ({resolution}) by year, department, company size, "
                         "economic activity, exporter status and sex of the owner. Cells counting fewer than {k} "
                         "units are suppressed, together with the cells that would let them be derived.",
                         resolution=p.metadatos.resolucion, k=protected.k),
        "created": _iso(now),
        "keywords": ["PADE", "economía digital", "MIPYME", "Perú"],
        "licenses": [_licence(licence)],
        "sources": [{"title": t("PADE information system, indicator run {run}", run=run.id)}],
        "pade:procedencia": {
            "ejecucion": run.id,
            "motor": run.engine,
            "programa_version": run.programme_version,
            "programa_hash": run.programme_hash,
            "instantanea_hash": run.snapshot_hash,
            "codigo_version": run.code_version,
            "publicador_version": __version__,
            "calculado": _iso(run.started_at),
            "generado": _iso(now),
            "anios": [run.year_from, run.year_to],
            "umbral_k": protected.k,
        },
        "resources": list(resources),
    }


def _iso(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
