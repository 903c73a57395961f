"""Baseline A: the 19 indicators in plain pandas, reading the snapshot's Parquet files with ``pd.read_parquet``.

Written the way an analyst would: load the tables, keep the current revisions, build one row per subject and
year for each measure, attach the company attributes valid in the year, group by every breakdown, cumulate
where the indicator is cumulative, and apply the formula to the summed numerator and denominator. Only what
is published is computed: an indicator whose denominator is a reported total is computed for the total only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from _baselines.common import DIMENSIONS, FIRST_YEAR, GROUPINGS, LAST_YEAR, NULL_KEY, UNKNOWN, YEARS

KEYS = ["anio", "desagregacion", *DIMENSIONS]
ALL = tuple(GROUPINGS)
TOTAL = ("total",)
EPOCH = pd.Timestamp("1970-01-01")

# the columns each table is read with, and which of them are dates
COLUMNS: dict[str, tuple[list[str], list[str]]] = {
    "tienda_virtual": (["ruc", "fecha_apertura", "fecha_cierre"], ["fecha_apertura", "fecha_cierre"]),
    "inscripcion": (["ruc", "programa", "fecha_inscripcion"], ["fecha_inscripcion"]),
    "culminacion": (["ruc", "programa", "resultado", "fecha_culminacion"], ["fecha_culminacion"]),
    "participacion_transfronteriza": (["ruc", "programa", "fecha"], ["fecha"]),
    "venta_transfronteriza": (["ruc", "fecha"], ["fecha"]),
    "diagnostico": (["ruc", "cuestionario", "fecha", "puntaje", "nivel"], ["fecha"]),
    "mercado_plataforma": (["mercado_id", "fecha_inicio", "fecha_fin"], ["fecha_inicio", "fecha_fin"]),
    "adopcion_servicio": (["ruc", "tipo_servicio", "fecha"], ["fecha"]),
    "asistencia_tecnica": (["ruc", "programa", "fecha"], ["fecha"]),
    "pagina_web": (["ruc", "fecha"], ["fecha"]),
    "valor_reportado": (["variable", "periodo", "valor", "estado"], []),
}
LEVELS = ("inicial", "basico", "intermedio", "avanzado", "experto")


def _section(division: object) -> str:
    from pade.core.errors import PadeError
    from pade.registry.reference import ciiu_section_of

    if not isinstance(division, str):
        return UNKNOWN
    try:
        return ciiu_section_of(division)
    except PadeError:
        return UNKNOWN


class Data:
    """The snapshot's tables, read once each and kept to their current revisions."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._records: dict[str, pd.DataFrame] = {}
        self._versions: pd.DataFrame | None = None

    def records(self, kind: str) -> pd.DataFrame:
        if kind not in self._records:
            columns, dates = COLUMNS[kind]
            df = pd.read_parquet(self.folder / f"rec_{kind}.parquet", columns=["id", "revision_of", *columns])
            df = df[~df["id"].isin(df["revision_of"].dropna().astype("int64"))]
            for col in dates:
                df[col] = pd.to_datetime(df[col])
            self._records[kind] = df
        return self._records[kind]

    def versions(self) -> pd.DataFrame:
        """Every company version with the breakdown labels already derived."""
        if self._versions is None:
            cv = pd.read_parquet(self.folder / "company_version.parquet",
                                 columns=["id", "ruc", "valid_from", "ubigeo", "ciiu", "tamano", "exportador",
                                          "sexo_titular"])
            valid_from = pd.to_datetime(cv["valid_from"])
            division = cv["ciiu"].str[:2]
            sections = {d: _section(d) for d in division.dropna().unique()}
            self._versions = pd.DataFrame({
                "subject": cv["ruc"], "v_id": cv["id"], "v_year": valid_from.dt.year,
                "v_days": (valid_from - EPOCH).dt.days,
                "departamento": cv["ubigeo"].str[:2].fillna(UNKNOWN),
                "tamano": cv["tamano"].fillna(UNKNOWN),
                "seccion_ciiu": division.map(sections).fillna(UNKNOWN),
                "exportador": cv["exportador"].fillna(UNKNOWN),
                "sexo_titular": cv["sexo_titular"].fillna(UNKNOWN),
            })
        return self._versions

    def markets(self) -> pd.DataFrame:
        m = pd.read_parquet(self.folder / "market.parquet", columns=["mercado_id", "ubigeo"])
        return pd.DataFrame({"subject": m["mercado_id"], "departamento": m["ubigeo"].str[:2].fillna(UNKNOWN)})

    def reported(self, variable: str) -> pd.Series:
        """Approved current values of ``variable`` up to the last year, summed over entities, by year."""
        v = self.records("valor_reportado")
        v = v[(v["variable"] == variable) & (v["estado"] == "aprobado") & (v["periodo"] <= LAST_YEAR)]
        return v.groupby("periodo")["valor"].sum().astype("float64")


# -- subject-years -----------------------------------------------------------------------------------

def in_year(records: pd.DataFrame, date: str, subject: str = "ruc") -> pd.DataFrame:
    """Distinct (subject, year) of the records dated in the years computed."""
    out = pd.DataFrame({"subject": records[subject], "anio": records[date].dt.year})
    out = out[out["anio"].between(FIRST_YEAR, LAST_YEAR)]
    return out.drop_duplicates()


def first_year(records: pd.DataFrame, date: str) -> pd.DataFrame:
    """Each subject once, in the first year (from the baseline year) it has a record."""
    years = records[date].dt.year
    rel = pd.DataFrame({"subject": records["ruc"], "anio": years})[years >= FIRST_YEAR]
    out = rel.groupby("subject", as_index=False)["anio"].min()
    return out[out["anio"] <= LAST_YEAR]


def open_at_year_end(records: pd.DataFrame, start: str, end: str, subject: str) -> pd.DataFrame:
    """Distinct (subject, year) of the spans open on 31 December of each year."""
    begin, finish = records[start].dt.year, records[end].dt.year
    parts = []
    for y in YEARS:
        open_ = (begin <= y) & (finish.isna() | (finish > y))
        parts.append(pd.DataFrame({"subject": records.loc[open_, subject], "anio": y}))
    return pd.concat(parts, ignore_index=True).drop_duplicates()


def with_attributes(data: Data, base: pd.DataFrame) -> pd.DataFrame:
    """Attach the attributes valid in the year: the latest version from on or before 31 December, else the
    earliest one; a company without versions reads ``no_informado`` everywhere."""
    base = base.reset_index(drop=True)
    base["_row"] = np.arange(len(base))
    joined = base.merge(data.versions(), on="subject", how="left")
    before = joined["v_year"] <= joined["anio"]
    joined["_order"] = np.where(before, -joined["v_days"], joined["v_days"] + 10_000_000)
    joined = joined.sort_values(["_row", "_order", "v_id"], ascending=[True, True, False])
    chosen = joined.drop_duplicates("_row").fillna(dict.fromkeys(DIMENSIONS, UNKNOWN))
    return chosen.drop(columns=["_row", "_order", "v_id", "v_year", "v_days"])


def mipyme(frame: pd.DataFrame, excluded: tuple[str, ...]) -> pd.DataFrame:
    """Filter on the size valid in the year; an unknown size is not excluded."""
    return frame[~frame["tamano"].isin(excluded)]


# -- measures ------------------------------------------------------------------------------------------

def group(frame: pd.DataFrame, groupings: tuple[str, ...], value: str | None = None) -> pd.DataFrame:
    """Count rows (or sum ``value``) per year for each breakdown: ``KEYS + value``."""
    parts = []
    for name in groupings:
        dims = list(GROUPINGS[name])
        grouped = frame.groupby(["anio", *dims])
        agg = (grouped.size() if value is None else grouped[value].sum()).astype("float64")
        part = agg.rename("value").reset_index()
        part["desagregacion"] = name
        for d in DIMENSIONS:
            if d not in dims:
                part[d] = NULL_KEY
        parts.append(part[[*KEYS, "value"]])
    return pd.concat(parts, ignore_index=True)


def cumulate(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts by first year → running totals: every cell counted in some year gets every year."""
    cell = ["desagregacion", *DIMENSIONS]
    wide = frame.groupby([*cell, "anio"])["value"].sum().unstack("anio")
    wide = wide.reindex(columns=list(YEARS)).fillna(0.0).cumsum(axis=1)
    wide.columns.name = "anio"
    return wide.stack().rename("value").reset_index()[[*KEYS, "value"]]


def total_rows(values: dict[int, float]) -> pd.DataFrame:
    return pd.DataFrame({"anio": list(values), "desagregacion": "total", **dict.fromkeys(DIMENSIONS, NULL_KEY),
                         "value": list(values.values())})


def reported_last(data: Data, variable: str) -> pd.DataFrame:
    """The latest approved value up to each year (a reported stock)."""
    s = data.reported(variable)
    values = {}
    for y in YEARS:
        upto = s[s.index <= y]
        if len(upto):
            values[y] = float(upto.iloc[-1])
    return total_rows(values)


def reported_in_year(data: Data, variable: str) -> pd.DataFrame:
    s = data.reported(variable)
    return total_rows({int(y): float(v) for y, v in s.items() if FIRST_YEAR <= y <= LAST_YEAR})


def reported_cumulative(data: Data, variable: str) -> pd.DataFrame:
    """Reported flows added up from the baseline year; unknown before the first report."""
    s = data.reported(variable)
    s = s[(s.index >= FIRST_YEAR) & (s.index <= LAST_YEAR)]
    if s.empty:
        return total_rows({})
    running = s.reindex(list(YEARS)).fillna(0.0).cumsum()
    return total_rows({int(y): float(v) for y, v in running.items() if y >= s.index.min()})


def combine(measures: dict[str, pd.DataFrame], reported: set[str], groupings: tuple[str, ...],
            formula: Callable[[pd.DataFrame], pd.Series]) -> pd.DataFrame:
    """Outer-join the measures cell by cell, zero-fill counts, give the total every year, apply the formula."""
    cols = []
    for symbol, frame in measures.items():
        frame = frame[frame["desagregacion"].isin(groupings)]
        cols.append(frame.set_index(KEYS)["value"].rename(symbol))
    table = pd.concat(cols, axis=1)
    totals = pd.MultiIndex.from_tuples([(y, "total", *([NULL_KEY] * len(DIMENSIONS))) for y in YEARS], names=KEYS)
    table = table.reindex(table.index.union(totals))
    for symbol in measures:
        if symbol not in reported:
            table[symbol] = table[symbol].fillna(0.0)
    table["valor"] = formula(table)
    return table.reset_index()


def ratio(a: pd.Series, b: pd.Series) -> pd.Series:
    return a / b.where(b != 0)


# -- the indicators -----------------------------------------------------------------------------------

def compute(folder: Path) -> dict[str, pd.DataFrame]:
    """Every indicator, by code: ``KEYS``, one column per measure, ``valor``."""
    data = Data(folder)
    out: dict[str, pd.DataFrame] = {}

    def attrs(base: pd.DataFrame) -> pd.DataFrame:
        return with_attributes(data, base)

    # OE1-01: companies with a store open on 31 December (stock)
    stores = data.records("tienda_virtual")
    n = group(attrs(open_at_year_end(stores, "fecha_apertura", "fecha_cierre", "ruc")), ALL)
    out["OE1-01"] = combine({"N": n}, set(), ALL, lambda t: t["N"])

    # OE1-02.1: companies trained by the cross-border programme (cumulative) over a reported target
    ins = data.records("inscripcion")
    a = cumulate(group(first_year(ins[ins["programa"] == "ECT"], "fecha_inscripcion"), TOTAL))
    m = reported_last(data, "meta_empresas_programa_transfronterizo")
    out["OE1-02.1"] = combine({"A": a, "M": m}, {"M"}, TOTAL, lambda t: ratio(t["A"], t["M"]) * 100)

    # OE1-02.2: beneficiaries that also sell cross-border, over beneficiaries (cumulative)
    part = data.records("participacion_transfronteriza")
    benef = first_year(part[part["programa"] == "ECT"], "fecha")
    sales = first_year(data.records("venta_transfronteriza"), "fecha")
    sellers = benef.merge(sales, on="subject", suffixes=("", "_venta"))
    sellers["anio"] = sellers[["anio", "anio_venta"]].max(axis=1)
    v = cumulate(group(attrs(sellers[["subject", "anio"]]), ALL))
    b = cumulate(group(attrs(benef), ALL))
    out["OE1-02.2"] = combine({"V": v, "B": b}, set(), ALL, lambda t: ratio(t["V"], t["B"]) * 100)

    # OE1-03.1: test developed (reported stock)
    out["OE1-03.1"] = combine({"T": reported_last(data, "test_transfronterizo_desarrollado")}, {"T"}, TOTAL,
                              lambda t: t["T"])

    # OE1-03.2: companies diagnosed with the cross-border test (cumulative)
    diag = data.records("diagnostico")
    d = cumulate(group(attrs(first_year(diag[diag["cuestionario"] == "transfronterizo"], "fecha")), ALL))
    out["OE1-03.2"] = combine({"D": d}, set(), ALL, lambda t: t["D"])

    # OE1-04: awareness actions reported in the year
    out["OE1-04"] = combine({"N": reported_in_year(data, "acciones_sensibilizacion_seguridad_digital")}, {"N"},
                            TOTAL, lambda t: t["N"])

    # OE1-05, OE1-06: completed with success over enrolled, in the year, by programme and size
    done = data.records("culminacion")
    for code, programa, excluded in (("OE1-05", "PCE", ("grande",)), ("OE1-06", "PEL", ("mediana", "grande"))):
        ok = done[(done["programa"] == programa) & (done["resultado"] == "aprobado")]
        mc = group(mipyme(attrs(in_year(ok, "fecha_culminacion")), excluded), ALL)
        mt = group(mipyme(attrs(in_year(ins[ins["programa"] == programa], "fecha_inscripcion")), excluded), ALL)
        out[code] = combine({"MC": mc, "MT": mt}, set(), ALL, lambda t: ratio(t["MC"], t["MT"]) * 100)

    # OE1-07: markets using a platform on 31 December over the reported number of markets
    platforms = data.records("mercado_plataforma")
    mc = group(open_at_year_end(platforms, "fecha_inicio", "fecha_fin", "mercado_id"), TOTAL)
    mt = reported_last(data, "total_mercados_abasto")
    out["OE1-07"] = combine({"MC": mc, "MT": mt}, {"MT"}, TOTAL, lambda t: ratio(t["MC"], t["MT"]) * 100)

    # OE1-08: MIPYMEs with at least two distinct services (cumulative: the year of the second type)
    adop = data.records("adopcion_servicio")
    rel = pd.DataFrame({"subject": adop["ruc"], "tipo": adop["tipo_servicio"], "anio": adop["fecha"].dt.year})
    per_type = rel[rel["anio"] >= FIRST_YEAR].groupby(["subject", "tipo"], as_index=False)["anio"].min()
    per_type = per_type.sort_values(["subject", "anio"])
    per_type["nth"] = per_type.groupby("subject").cumcount()
    second = per_type.loc[per_type["nth"] == 1, ["subject", "anio"]]
    second = second[second["anio"] <= LAST_YEAR]
    n = cumulate(group(mipyme(attrs(second), ("grande",)), ALL))
    out["OE1-08"] = combine({"N": n}, set(), ALL, lambda t: t["N"])

    # OE2-01: studies in the year over the reported number of prioritised services
    a = reported_in_year(data, "investigaciones_plataformas_servicios")
    b = reported_last(data, "total_servicios_plataformas_priorizados")
    out["OE2-01"] = combine({"A": a, "B": b}, {"A", "B"}, TOTAL, lambda t: ratio(t["A"], t["B"]) * 100)

    # OE2-02: MIPYMEs assisted in data in the year over the reported number of MIPYMEs
    assist = data.records("asistencia_tecnica")
    a = group(mipyme(attrs(in_year(assist[assist["programa"] == "ATD"], "fecha")), ("grande",)), TOTAL)
    b = reported_last(data, "total_mipymes_produce")
    out["OE2-02"] = combine({"A": a, "B": b}, {"B"}, TOTAL, lambda t: ratio(t["A"], t["B"]) * 100)

    # OE2-03: companies finishing E-PYMEX training in the year
    epymex = done[(done["programa"] == "EPYMEX") & done["resultado"].isin(["aprobado", "desaprobado"])]
    n = group(attrs(in_year(epymex, "fecha_culminacion")), ALL)
    out["OE2-03"] = combine({"N": n}, set(), ALL, lambda t: t["N"])

    # OE2-04: companies with a web page developed (cumulative)
    n = cumulate(group(attrs(first_year(data.records("pagina_web"), "fecha")), ALL))
    out["OE2-04"] = combine({"N": n}, set(), ALL, lambda t: t["N"])

    # OE2-05: companies served by the digital transformation programme (cumulative) over a reported universe
    a = cumulate(group(first_year(assist[assist["programa"] == "PTD"], "fecha"), TOTAL))
    u = reported_last(data, "universo_empresas_programa_transformacion_digital")
    out["OE2-05"] = combine({"A": a, "U": u}, {"U"}, TOTAL, lambda t: ratio(t["A"], t["U"]) * 100)

    # OE2-06: mean maturity score of exporting MIPYMEs, each company's last diagnosis of the year
    mat = diag[diag["cuestionario"] == "madurez_digital"]
    last = pd.DataFrame({"subject": mat["ruc"], "anio": mat["fecha"].dt.year, "fecha": mat["fecha"],
                         "id": mat["id"], "v": mat["puntaje"].astype("float64")})
    last = last[last["anio"].between(FIRST_YEAR, LAST_YEAR)]
    last = last.sort_values(["subject", "anio", "fecha", "id"], ascending=[True, True, False, False])
    last = last.drop_duplicates(["subject", "anio"])[["subject", "anio", "v"]]
    scored = mipyme(attrs(last), ("grande",))
    scored = scored[scored["exportador"].isin(["exportadora", "con_potencial_exportador"])]
    out["OE2-06"] = combine({"S": group(scored, ALL, "v"), "N": group(scored, ALL)}, set(), ALL,
                            lambda t: ratio(t["S"], t["N"]))

    # OE2-07, OE2-08: reported yearly counts added up
    for code, variable in (("OE2-07", "programas_implementados"), ("OE2-08", "instrumentos_aprobados")):
        out[code] = combine({"N": reported_cumulative(data, variable)}, {"N"}, TOTAL, lambda t: t["N"])

    # OE2-09: MYPEs reaching avanzado or above after an earlier diagnosis below it (cumulative)
    rank = mat["nivel"].map({level: i for i, level in enumerate(LEVELS)})
    levels = pd.DataFrame({"subject": mat["ruc"], "fecha": mat["fecha"], "rank": rank})
    below = levels[levels["rank"] < 3].groupby("subject", as_index=False)["fecha"].min()
    after = levels.merge(below, on="subject", suffixes=("", "_below"))
    after = after[(after["rank"] >= 3) & (after["fecha"] > after["fecha_below"])]
    reached = after.groupby("subject", as_index=False)["fecha"].min()
    reached = pd.DataFrame({"subject": reached["subject"], "anio": reached["fecha"].dt.year})
    reached = reached[reached["anio"].between(FIRST_YEAR, LAST_YEAR)]
    n = cumulate(group(mipyme(attrs(reached), ("mediana", "grande")), ALL))
    out["OE2-09"] = combine({"N": n}, set(), ALL, lambda t: t["N"])
    return out
