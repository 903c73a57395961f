"""Export to the Open SDG data format (``open-sdg/open-sdg-data-starter``), after disclosure control.

Layout written (one pair per indicator; ``<id>`` is the indicator code in lower case with dashes,
``OE1-02.1`` → ``oe1-02-1``)::

    data/indicator_<id>.csv   Year, one column per disaggregation (blank = total), Value
    meta/<id>.md              YAML front matter: names, OE/AE as goal/target, targets, progress options

Open SDG has no suppression flag, so suppressed cells (and cells without a value) are left out of the
data. The files are checked with the rules sdg-build applies (``sdg/check_csv.py``,
``sdg/check_metadata.py``) before anything is written; see
``docs/decisions/0009-open-data-and-disclosure.md`` for the mapping.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from sqlalchemy.orm import Session

from pade.core.errors import NotFound, PadeError
from pade.core.i18n import t
from pade.indicators.compile import GROUPINGS, UNKNOWN
from pade.indicators.service import scaled_milestones
from pade.programme.models import Acumulacion, Indicador, Programa, Sentido, Unidad
from pade.registry.reference import department_name
from pade.reports.disclosure import DEFAULT_K, Estado, format_number, protected_run, write_files
from pade.reports.opendata import indicator_slug

log = logging.getLogger(__name__)

YEAR, VALUE = "Year", "Value"
REPORTING_STATUSES = ("complete", "inprogress", "notstarted", "notapplicable")
GRAPH_TYPES = ("line", "bar", "binary")
DIRECTIONS = ("positive", "negative")


class OpenSdgFormatError(PadeError, ValueError):
    """The Open SDG files would not pass sdg-build's checks (nothing is written)."""

    http_status = 500


@dataclass(frozen=True, slots=True)
class FormatIssue:
    """A problem with an Open SDG file: stable code, file, row (1 = first data row), column, message."""

    code: str
    file: str
    row: int | None
    column: str | None
    message: str


def publish_opensdg(session: Session, out_dir: Path, *, run_id: int | None = None, k: int = DEFAULT_K) -> Path:
    """Write the Open SDG data and metadata of a run (default: the latest) into ``out_dir``; returns it.

    Raises:
        NotFound: no such run, or no programme.
        ConfigError: ``k`` below 2.
        OpenSdgFormatError: a file would fail sdg-build's checks (nothing is written).
        DisclosureError: a file would contain a personal RUC (nothing is written).
    """
    protected = protected_run(session, run_id=run_id, k=k)
    files = opensdg_files(protected.programme, protected.values, k=k)
    issues = check_opensdg(files)
    if issues:
        raise OpenSdgFormatError(t("Open SDG export: {n} problems, first: {first}", n=len(issues),
                                   first=issues[0].message))
    write_files(out_dir, files)
    log.info("opensdg run=%s k=%s files=%s", protected.run.id, k, len(files))
    return out_dir


def opensdg_files(p: Programa, values: pd.DataFrame, *, k: int) -> dict[str, str]:
    """Every Open SDG file as text, by relative path (``values``: :func:`~pade.reports.disclosure.protect`
    output; nothing is written)."""
    files: dict[str, str] = {}
    for ind in p.indicadores():
        ident = indicator_slug(ind.codigo)
        data = opensdg_data(values, ind)
        if len(data):
            files[f"data/indicator_{ident}.csv"] = _csv(data)
        meta = opensdg_meta(p, ind, has_data=bool(len(data)), k=k)
        files[f"meta/{ident}.md"] = "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False,
                                                              width=120) + "---\n"
    return files


# -- data ---------------------------------------------------------------------------------------------


def disaggregation_columns() -> dict[str, str]:
    """Open SDG column name (Spanish) of each breakdown dimension, in column order."""
    return {"departamento": t("Department"), "tamano": t("Company size"),
            "seccion_ciiu": t("Economic activity (CIIU section)"), "exportador": t("Exporter status"),
            "sexo_titular": t("Sex of the owner")}


def opensdg_data(values: pd.DataFrame, ind: Indicador) -> pd.DataFrame:
    """The Open SDG data of one indicator: published cells only, totals with blank disaggregations."""
    rows = values[values["codigo"] == ind.codigo]
    columns = disaggregation_columns()
    used = [d for d in columns if rows[d].notna().any()]
    published = rows[(rows["estado"] == Estado.publicado.value) & rows["valor"].notna()]
    order = {name: i for i, name in enumerate(GROUPINGS)}
    out = pd.DataFrame({
        YEAR: published["anio"].astype("int64"),
        **{columns[d]: [_label(d, v) for v in published[d]] for d in used},
        VALUE: published["valor"].astype("float64"),
        "_order": [order.get(g, len(order)) for g in published["desagregacion"]],
        **{f"_code_{d}": published[d].fillna("").astype(str) for d in used},  # sort by code: labels have accents
    })
    out = out.sort_values([YEAR, "_order", *[f"_code_{d}" for d in used]], kind="mergesort")
    return out[[YEAR, *[columns[d] for d in used], VALUE]].reset_index(drop=True)


def _label(dimension: str, code: Any) -> str:
    if not isinstance(code, str):
        return ""
    if code == UNKNOWN:
        return t("Not reported")
    if dimension == "departamento":
        try:
            return department_name(code)
        except NotFound:
            return code
    if dimension == "seccion_ciiu":
        name = _ciiu_sections().get(code)
        return f"{code} - {name}" if name else code
    labels = {
        "micro": t("Micro enterprise"), "pequena": t("Small enterprise"), "mediana": t("Medium enterprise"),
        "grande": t("Large enterprise"), "exportadora": t("Exporter"),
        "con_potencial_exportador": t("With export potential"), "no_exportadora": t("Non-exporter"),
        "femenino": t("Female"), "masculino": t("Male"), "no_informa": t("Not stated"),
    }
    return labels.get(code, code)


@cache
def _ciiu_sections() -> dict[str, str]:
    """CIIU rev. 4 section names, from the registry's shipped reference file."""
    text = (resources.files("pade.registry") / "data" / "ciiu_rev4.csv").read_text(encoding="utf-8")
    return {r["codigo"]: r["descripcion"] for r in csv.DictReader(io.StringIO(text)) if r["nivel"] == "seccion"}


def _csv(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(frame.columns)
    for record in frame.itertuples(index=False, name=None):
        writer.writerow([format_number(v) if isinstance(v, float) else str(v) for v in record])
    return buffer.getvalue()


# -- metadata -----------------------------------------------------------------------------------------


def sort_order(codigo: str) -> str:
    """Open SDG's ``indicator_sort_order``: zero-padded parts (``OE1-02.1`` → ``01-02-01``)."""
    head, _, rest = codigo.partition("-")
    parts = [head.removeprefix("OE"), *rest.replace(".", "-").split("-")]
    return "-".join(f"{int(x):02d}" for x in parts)


def opensdg_meta(p: Programa, ind: Indicador, *, has_data: bool, k: int) -> dict[str, Any]:
    """The front matter of ``meta/<id>.md``. OE → goal, AE → target (see the decision record)."""
    act = p.actividad_de(ind.id)
    ae = next(a for a in p.acciones() if any(x.id == act.id for x in a.actividades))
    oe = next(o for o in p.objetivos if any(a.id == ae.id for a in o.acciones))
    milestones = scaled_milestones(ind)
    entities = {e.siglas: e.nombre for e in p.entidades}
    organisations = ", ".join(f"{entities.get(r.entidad, r.entidad)} ({r.entidad})" for r in ind.responsables)
    baseline_year = ind.linea_base.anio or p.horizonte.anio_linea_base
    progress: dict[str, Any] = {
        "direction": "negative" if ind.sentido_esperado is Sentido.descendente else "positive",
        "base_year": baseline_year,
    }
    if milestones:
        progress |= {"target": milestones[-1][1], "target_year": milestones[-1][0]}
    annual_count = ind.unidad is Unidad.numero and ind.acumulacion is Acumulacion.anual
    return {
        "indicator_number": ind.codigo,
        "indicator_name": ind.nombre,
        "indicator_sort_order": sort_order(ind.codigo),
        "graph_title": ind.nombre,
        "graph_type": "bar" if annual_count else "line",
        "sdg_goal": oe.id.removeprefix("OE"),
        "goal_name": f"{oe.id}: {oe.nombre}",
        "target_id": ae.numero,
        "target": ae.nombre,
        "reporting_status": "complete" if has_data else ("inprogress" if ind.calculo else "notstarted"),
        "published": True,
        "data_non_statistical": False,
        "computation_units": t("Percentage") if ind.unidad is Unidad.porcentaje else t("Number"),
        "national_geographical_coverage": t("Peru"),
        "graph_target_lines": [{"value": value, "label_content": t("Target {year}", year=year)}
                               for year, value in milestones],
        "auto_progress_calculation": True,
        "progress_calculation_options": [progress],
        "data_footnote": t("Cells counting fewer than {k} companies or markets, and the cells that would let them be "
                           "derived, are not shown (statistical disclosure control).", k=k),
        "source_active_1": True,
        "source_organisation_1": organisations,
        "source_periodicity_1": t("Annual"),
        "source_geographical_coverage_1": t("Peru"),
        "source_other_info_1": ind.ficha.fuente_datos,
        "pade_indicador": ind.id,
        "pade_objetivo_estrategico": oe.id,
        "pade_accion_estrategica": ae.id,
        "pade_actividad": act.id,
        "pade_formula": ind.formula.impreso,
        "pade_linea_base": ind.linea_base.impreso,
        "pade_acumulacion": ind.acumulacion.value,
    }


# -- the checks sdg-build applies ---------------------------------------------------------------------


def check_opensdg(files: Mapping[str, str]) -> list[FormatIssue]:
    """Every problem in the files (data CSVs and metadata), without stopping at the first one."""
    issues: list[FormatIssue] = []
    for name, text in files.items():
        if name.startswith("data/"):
            issues += check_data_csv(name, text)
        elif name.startswith("meta/"):
            meta = _front_matter(name, text, issues)
            if meta is not None:
                issues += check_meta(name, meta)
                ident = name.removeprefix("meta/").removesuffix(".md")
                if meta.get("reporting_status") == "complete" and f"data/indicator_{ident}.csv" not in files:
                    issues.append(FormatIssue("sin_datos", name, None, None, t(
                        "{file}: reporting_status is complete but there is no data file", file=name)))
    return issues


def _front_matter(name: str, text: str, issues: list[FormatIssue]) -> dict[str, Any] | None:
    head, sep, _ = text.removeprefix("---\n").partition("---\n")
    loaded = yaml.safe_load(head) if text.startswith("---\n") and sep else None
    if not isinstance(loaded, dict):
        issues.append(FormatIssue("sin_cabecera", name, None, None,
                                  t("{file}: no YAML front matter between --- lines", file=name)))
        return None
    return loaded


def check_data_csv(name: str, text: str) -> list[FormatIssue]:
    """sdg-build's data checks: Year first and Value last, clean headers, numeric Year, numeric or blank Value,
    no stray whitespace, no empty rows; and no two rows for the same year and disaggregation."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return [FormatIssue("sin_cabecera", name, None, None, t("{file}: the file is empty", file=name))]
    header, body = rows[0], rows[1:]
    issues = _check_header(name, header)
    seen: dict[tuple[str, ...], int] = {}
    for n, row in enumerate(body, start=1):
        issues += _check_row(name, header, n, row, seen)
    return issues


def _check_header(name: str, header: list[str]) -> list[FormatIssue]:
    issues = []
    if not header or header[0] != YEAR:
        issues.append(FormatIssue("primera_columna", name, None, header[0] if header else None,
                                  t("{file}: the first column must be Year", file=name)))
    if not header or header[-1] != VALUE:
        issues.append(FormatIssue("ultima_columna", name, None, header[-1] if header else None,
                                  t("{file}: the last column must be Value", file=name)))
    for col in header:
        if col != col.strip() or not col:
            issues.append(FormatIssue("cabecera_espacios", name, None, col,
                                      t("{file}: column name «{column}» is empty or has surrounding spaces",
                                        file=name, column=col)))
    if len(set(header)) != len(header):
        issues.append(FormatIssue("cabecera_duplicada", name, None, None,
                                  t("{file}: two columns have the same name", file=name)))
    return issues


def _check_row(name: str, header: list[str], n: int, row: list[str], seen: dict[tuple[str, ...], int]
               ) -> list[FormatIssue]:
    if len(row) != len(header):
        return [FormatIssue("fila_malformada", name, n, None,
                            t("{file}, row {row}: the row does not have as many fields as the header", file=name,
                              row=n))]
    if not any(cell.strip() for cell in row):
        return [FormatIssue("fila_vacia", name, n, None, t("{file}, row {row}: empty row", file=name, row=n))]
    cells = dict(zip(header, row, strict=True))
    issues = []
    if not cells.get(YEAR, "").isdigit():
        issues.append(FormatIssue("anio_no_numerico", name, n, YEAR,
                                  t("{file}, row {row}: Year must be a number", file=name, row=n)))
    value = cells.get(VALUE, "")
    if value and not _is_number(value):
        issues.append(FormatIssue("valor_no_numerico", name, n, VALUE,
                                  t("{file}, row {row}: Value must be a number or blank", file=name, row=n)))
    for col, cell in cells.items():
        if cell != cell.strip():
            issues.append(FormatIssue("celda_espacios", name, n, col, t(
                "{file}, row {row}, column {column}: leading or trailing spaces", file=name, row=n, column=col)))
    key = tuple(cell for col, cell in cells.items() if col != VALUE)
    if key in seen:
        issues.append(FormatIssue("fila_duplicada", name, n, None, t(
            "{file}, row {row}: same year and disaggregation as row {first}", file=name, row=n, first=seen[key])))
    else:
        seen[key] = n
    return issues


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip().lower() not in ("nan", "inf", "-inf", "infinity", "-infinity")


def check_meta(name: str, meta: Mapping[str, Any]) -> list[FormatIssue]:
    """sdg-build's metadata checks (required fields, reporting status, graph type) plus the shape of
    ``graph_target_lines`` and ``progress_calculation_options``."""
    issues = []

    def issue(code: str, field: str, message: str) -> None:
        issues.append(FormatIssue(code, name, None, field, message))

    for field in ("reporting_status", "published", "indicator_name"):
        if field not in meta:
            issue("campo_requerido", field, t("{file}: {field} is required", file=name, field=field))
    status = meta.get("reporting_status")
    if status is not None and status not in REPORTING_STATUSES:
        issue("estado_invalido", "reporting_status", t("{file}: reporting_status must be one of {allowed}",
                                                       file=name, allowed=", ".join(REPORTING_STATUSES)))
    if status == "complete" and "data_non_statistical" not in meta:
        issue("campo_requerido", "data_non_statistical",
              t("{file}: {field} is required", file=name, field="data_non_statistical"))
    if status == "complete" and meta.get("published") and not meta.get("data_non_statistical"):
        for field in ("graph_title", "graph_type"):
            if field not in meta:
                issue("campo_requerido", field, t("{file}: {field} is required", file=name, field=field))
        if "graph_type" in meta and meta["graph_type"] not in GRAPH_TYPES:
            issue("grafico_invalido", "graph_type", t("{file}: graph_type must be one of {allowed}", file=name,
                                                      allowed=", ".join(GRAPH_TYPES)))
    for line in meta.get("graph_target_lines") or []:
        if not isinstance(line, dict) or not isinstance(line.get("value"), int | float):
            issue("meta_no_numerica", "graph_target_lines",
                  t("{file}: every target line needs a numeric value", file=name))
    for option in meta.get("progress_calculation_options") or []:
        if not isinstance(option, dict) or option.get("direction") not in DIRECTIONS:
            issue("direccion_invalida", "progress_calculation_options",
                  t("{file}: progress direction must be positive or negative", file=name))
    return issues
