"""Deterministic synthetic data for every record kind, written as import-ready CSV files.

:func:`generate` draws a population of companies and markets and the programme
records of each year with numpy's ``default_rng(seed)``, and writes one CSV per
record kind (UTF-8, ``,``, ISO dates, the kind's columns in order) with
``pyarrow.csv``: the same seed and ``today`` always give byte-identical files, so
importing them twice adds nothing. :func:`load_demo` imports them in dependency
order through :func:`~pade.records.importer.import_file`.

Volumes are calibrated at ``DEMO_FIRMS`` (20,000 companies) so that the demo
indicators land near the baselines and targets of the programme (about 950 to
1,250 Perú Marketplace stores, completion rates of 45–62 %, 18 to 40 web pages,
a maturity index of about 31 to 36 …), and scale linearly with ``firms``: at
2,500,000 firms there are about 9 million programme records and 1 million
diagnoses besides the 2.6 million ``empresa`` rows. ``records_per_firm``
rescales every volume. Everything is synthetic: names are generic and numbered
("Comercial Andina 000123 S.A.C.", "Bodega Unipersonal 0004567"), never a person.

The only rows meant to raise an issue are a few completions without an enrolment
(``culminacion_sin_inscripcion``, a warning, ~0.5 % of completions); every other
row is valid. Each kind is one file reported by one entity (``REPORTING_ENTITY``):
the kinds that mix several entities' programmes are reported by the PCM-SGTD,
which consolidates the programme's monitoring.

The module is longer than our usual 500 lines because each kind's generator is
short but they share one population and calibration; splitting them would spread
one model over several files.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.csv as pacsv  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import Engine

from pade.programme.loader import load_programme
from pade.records.importer import ImportReport, Progress, import_file
from pade.records.kinds import EXPORTADOR, KINDS, KINDS_BY_NAME, SEXO, TAMANO, FieldType
from pade.registry import reference

log = logging.getLogger(__name__)

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Dates = npt.NDArray[np.datetime64]
Bools = npt.NDArray[np.bool_]

DEMO_FIRMS = 20_000  # the population the volumes below are calibrated for
NOMINAL_RECORDS_PER_FIRM = 3.5  # programme records (not empresa) per firm at the calibrated volumes
MARKETS = 2_612  # food markets of the 2016 national census (INEI), kept fixed whatever ``firms``
ACTOR = "synth"

LOAD_ORDER = ("programa", "empresa", "mercado", "inscripcion", "culminacion", "asistencia_tecnica",
              "adopcion_servicio", "pagina_web", "tienda_virtual", "participacion_transfronteriza",
              "venta_transfronteriza", "mercado_plataforma", "diagnostico", "valor_reportado")
REPORTING_ENTITY = {
    "programa": "PCM-SGTD", "empresa": "PRODUCE", "mercado": "PRODUCE", "inscripcion": "PCM-SGTD",
    "culminacion": "PCM-SGTD", "asistencia_tecnica": "PCM-SGTD", "adopcion_servicio": "PRODUCE",
    "pagina_web": "MINCETUR", "tienda_virtual": "PROMPERÚ", "participacion_transfronteriza": "PROMPERÚ",
    "venta_transfronteriza": "PROMPERÚ", "mercado_plataforma": "PRODUCE", "diagnostico": "PCM-SGTD",
    "valor_reportado": "PCM-SGTD",
}

# Share of formal firms by department (INEI code), after PRODUCE's MIPYME statistics; normalised below.
DEPARTMENT_WEIGHTS = {
    "15": 45.0, "04": 5.9, "13": 5.3, "20": 4.3, "08": 4.0, "12": 3.9, "14": 3.7, "07": 3.3, "02": 2.9,
    "11": 2.8, "06": 2.4, "21": 2.4, "22": 2.0, "16": 1.7, "23": 1.6, "10": 1.4, "25": 1.3, "05": 1.2,
    "24": 0.7, "18": 0.6, "03": 0.6, "01": 0.6, "17": 0.5, "19": 0.5, "09": 0.3,
}
# CIIU rev. 4 division → (weight, name words that fit the activity).
CIIU = {
    "47": (36, ("Comercial", "Bodega", "Minimarket", "Bazar", "Botica", "Ferretería")),
    "46": (10, ("Distribuidora", "Importadora", "Comercializadora")),
    "56": (9, ("Restaurante", "Cevichería", "Pollería", "Cafetería")),
    "49": (5, ("Transportes", "Logística")), "45": (3, ("Automotriz", "Servicentro")),
    "96": (3, ("Servicios", "Estética")), "10": (3, ("Alimentos", "Panificadora", "Agroindustrias")),
    "14": (2, ("Confecciones", "Textil")), "13": (1, ("Textil", "Tejidos")), "16": (1, ("Maderera",)),
    "25": (1.5, ("Metalmecánica", "Industrias")), "31": (1, ("Muebles", "Carpintería")), "18": (1, ("Imprenta",)),
    "41": (2, ("Constructora", "Inmobiliaria")), "43": (2, ("Instalaciones", "Acabados")),
    "55": (1.5, ("Hostal", "Hotel")), "62": (1, ("Soluciones Digitales", "Software")),
    "68": (1, ("Inmobiliaria",)), "69": (1.5, ("Estudio Contable", "Asesoría")),
    "70": (1, ("Consultora",)), "71": (1, ("Ingeniería",)), "73": (1, ("Publicidad", "Marketing")),
    "82": (1.5, ("Multiservicios",)), "85": (1.5, ("Academia", "Instituto")), "86": (1, ("Clínica", "Consultorio")),
    "93": (1, ("Recreación",)), "95": (1, ("Reparaciones",)), "01": (2, ("Agrícola", "Agropecuaria")),
    "03": (0.5, ("Pesquera",)), "79": (0.7, ("Turismo", "Viajes")), "52": (1, ("Almacenes",)),
    "63": (0.5, ("Datos",)), "77": (0.5, ("Alquileres",)), "81": (0.5, ("Limpieza",)),
}
PLACES = ("Andina", "del Sur", "del Norte", "del Pacífico", "Amazónica", "Los Andes", "Costa Verde", "Altiplano",
          "del Centro", "Santa Rosa", "El Sol", "Nueva Esperanza", "San Miguel", "Las Lomas", "Río Grande",
          "Valle Alto", "Horizonte", "Progreso", "Unión", "Cordillera")
LEGAL_FORMS = (("S.A.C.", 0.52), ("E.I.R.L.", 0.25), ("S.R.L.", 0.15), ("S.A.", 0.08))
MARKET_NAMES = ("Central", "Modelo", "Municipal", "Mayorista", "Minorista", "Santa Rosa", "San José", "San Pedro",
                "Virgen del Carmen", "28 de Julio", "Unión y Progreso", "Buenos Aires", "Nuevo Amanecer",
                "El Porvenir", "La Esperanza", "Túpac Amaru", "Señor de los Milagros", "Las Flores")
PLATFORMS = ("App de delivery", "Catálogo en redes sociales", "Mensajería instantánea", "Marketplace regional",
             "Tienda virtual municipal", "Plataforma propia del mercado")
SERVICES = (("pagos_digitales", 5), ("facturacion_electronica", 5), ("tienda_en_linea", 2.5), ("marketplace", 2),
            ("gestion_erp", 1), ("crm", 0.7), ("nube", 1.2), ("marketing_digital", 3), ("ciberseguridad", 0.6),
            ("otro", 0.5))
COUNTRIES = (("US", 35), ("CL", 10), ("CO", 8), ("ES", 8), ("EC", 6), ("MX", 6), ("CA", 5), ("DE", 4), ("GB", 4),
             ("JP", 3), ("BR", 3), ("FR", 3), ("NL", 3), ("IT", 2))

# (code, entity, name, courses): the programmes and courses the records use.
PROGRAMMES: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = (
    ("ECT", "PROMPERÚ", "Programa de Comercio Electrónico Transfronterizo", (
        ("ECT-01", "Fundamentos del comercio electrónico transfronterizo"),
        ("ECT-02", "Venta en marketplaces internacionales"), ("ECT-03", "Logística y envíos internacionales"),
        ("ECT-04", "Medios de pago internacionales"), ("ECT-05", "Marketing digital para mercados externos"),
        ("ECT-06", "Aspectos legales y tributarios de la exportación por comercio electrónico"))),
    ("PCE", "PRODUCE", "Programa de capacitación en herramientas tecnológicas para el comercio electrónico", ()),
    ("PEL", "PRODUCE", "Plataforma E-Learning de herramientas digitales para la MYPE", (
        ("PEL-CE", "Comercio electrónico para la MYPE"), ("PEL-MD", "Marketing digital"),
        ("PEL-RS", "Ventas por redes sociales"), ("PEL-PD", "Pagos digitales y billeteras"),
        ("PEL-FE", "Facturación electrónica"), ("PEL-HG", "Herramientas digitales de gestión"))),
    ("EPYMEX", "MINCETUR", "Promoción del uso del sistema E-PYMEX de la VUCE", ()),
    ("PTD", "PROMPERÚ", "Programa de capacitación y asistencia en transformación digital", ()),
    ("ATD", "PCM-SGTD", "Asistencia técnica en gestión y uso de datos para MIPYMES", ()),
    ("PWEB", "MINCETUR", "Asistencia para el desarrollo de páginas web", ()),
    ("RDP", "PNTE", "Ruta Digital Productiva", ()),
)

# Values reported by entities, by year offset from the first year (the last one repeats).
REPORTED: dict[str, tuple[float, ...]] = {
    "meta_empresas_programa_transfronterizo": (1000,),
    "test_transfronterizo_desarrollado": (0, 1),
    "acciones_sensibilizacion_seguridad_digital": (1,),
    "total_mercados_abasto": (MARKETS,),
    "investigaciones_plataformas_servicios": (60, 85, 100, 110),  # studies done in the year
    "total_servicios_plataformas_priorizados": (480, 500),
    "total_mipymes_produce": (2_384_000, 2_412_000, 2_437_000, 2_461_000),
    "universo_empresas_programa_transformacion_digital": (3000,),
    # Counts reported per year (new in the year): the engine adds them up for cumulative indicators.
    "programas_implementados": (2, 2, 2, 2),
    "instrumentos_aprobados": (3, 1, 1, 1),
}
EVIDENCE_OFFICE = {"PRODUCE": "PRODUCE/DGITDF", "MINCETUR": "MINCETUR/DGPDCE", "PROMPERÚ": "PROMPERÚ/GG",
                   "PCM-SGTD": "PCM/SGTD", "PNTE": "PRODUCE/PNTE"}
LEVEL_BOUNDS = np.array([20.0, 40.0, 60.0, 80.0])  # inicial <20 ≤ basico <40 ≤ intermedio <60 ≤ avanzado <80 ≤ experto
LEVELS = ("inicial", "basico", "intermedio", "avanzado", "experto")


@dataclass(frozen=True)
class _Training:
    programa: str
    companies: tuple[float, ...]  # enrolling companies per year at DEMO_FIRMS (last value repeats)
    success: tuple[float, ...]  # share of them that complete with "aprobado"
    pool: str  # "exportadoras" | "mipyme" | "mype"
    cumulative: bool = False  # each year brings new companies (a cohort programme)
    courses_per_company: tuple[float, ...] = (1.0,)  # P(1 course), P(2 courses), …
    plant_unenrolled: bool = False  # add a few completions without enrolment (the warning to exercise)


TRAININGS = (
    _Training("ECT", (300, 45, 40, 35), (0.55, 0.57, 0.6), "exportadoras", cumulative=True,
              courses_per_company=(0.3, 0.4, 0.3)),
    _Training("PCE", (1500,), (0.46, 0.48, 0.5, 0.52), "mipyme", plant_unenrolled=True),
    _Training("PEL", (2400,), (0.52, 0.55, 0.58, 0.62), "mype", courses_per_company=(0.5, 0.3, 0.2),
              plant_unenrolled=True),
    _Training("EPYMEX", (130,), (0.77,), "exportadoras"),
)


# -- plumbing ---------------------------------------------------------------------------------------

def _at(values: Sequence[float], offset: int) -> float:
    return values[min(offset, len(values) - 1)]


def _day(d: date | str) -> np.datetime64:
    return np.datetime64(d, "D")


def _year(days: Dates) -> Ints:
    return np.asarray(days.astype("datetime64[Y]").astype(np.int64) + 1970, dtype=np.int64)


def _between(rng: np.random.Generator, start: np.datetime64 | Dates, end: np.datetime64 | Dates, n: int) -> Dates:
    """Uniform days in ``[start, end]`` (element-wise when arrays are given)."""
    span = np.maximum((np.asarray(end) - np.asarray(start)).astype(np.int64), 0) + 1
    return np.asarray(start + (rng.random(n) * span).astype(np.int64).astype("timedelta64[D]"))


def _choose(rng: np.random.Generator, options: Sequence[tuple[str, float]], n: int) -> Ints:
    weights = np.array([w for _, w in options], dtype=np.float64)
    return np.asarray(rng.choice(len(options), size=n, p=weights / weights.sum()), dtype=np.int64)


def _distinct(rng: np.random.Generator, weights: Floats, counts: Ints) -> tuple[Ints, Ints]:
    """For each row ``i``, ``counts[i]`` distinct options drawn ∝ ``weights``: ``(row, option)`` pairs."""
    keys = rng.exponential(size=(len(counts), len(weights))) / weights
    order = np.argsort(keys, axis=1)
    take = np.arange(len(weights)) < counts[:, None]
    rows = np.broadcast_to(np.arange(len(counts))[:, None], order.shape)
    return np.asarray(rows[take], dtype=np.int64), np.asarray(order[take], dtype=np.int64)


def _strings(values: Sequence[str | None], codes: Ints) -> pa.Array:
    return pa.array(list(values), pa.string()).take(pa.array(codes, pa.int64()))


def _numbered(prefix: str, numbers: Ints, width: int) -> pa.Array:
    text = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix), text, "")


_ARROW_TYPES = {FieldType.string: pa.string(), FieldType.date: pa.date32(), FieldType.year: pa.int64(),
                FieldType.integer: pa.int64(), FieldType.number: pa.float64()}


def _table(kind_name: str, n: int, **columns: Any) -> pa.Table:
    """A table with the kind's columns in order; a scalar broadcasts, a missing column is empty."""
    kind = KINDS_BY_NAME[kind_name]
    unknown = set(columns) - set(kind.field_names)
    if unknown:
        raise ValueError(f"{kind_name} has no field {sorted(unknown)}")
    arrays = []
    for spec in kind.fields:
        target = _ARROW_TYPES[spec.type]
        value = columns.get(spec.name)
        if value is None:
            arr = pa.nulls(n, target)
        elif isinstance(value, str | int | float):
            arr = pa.repeat(pa.scalar(value, target), n)
        elif isinstance(value, np.ndarray) and value.dtype.kind == "M":
            arr = pa.array(value.astype("datetime64[D]"), pa.date32())
        else:
            arr = pa.array(value) if isinstance(value, np.ndarray) else value
        arrays.append(arr.cast(target))
    return pa.table(arrays, names=list(kind.field_names))


def _concat(kind_name: str, parts: list[pa.Table]) -> pa.Table:
    return pa.concat_tables(parts) if parts else _table(kind_name, 0)


def _first_of_each_key(kind_name: str, table: pa.Table) -> pa.Table:
    """Drop rows whose natural key repeats an earlier one (rare coincidences of random dates)."""
    parts = [pc.fill_null(pc.cast(table.column(k), pa.string()), "") for k in KINDS_BY_NAME[kind_name].key]
    codes = pc.dictionary_encode(pc.binary_join_element_wise(*parts, "\x1f")).combine_chunks().indices
    _, first = np.unique(np.asarray(codes.to_numpy(zero_copy_only=False)), return_index=True)
    if len(first) == table.num_rows:
        return table
    log.debug("synth dropped repeated keys kind=%s rows=%d", kind_name, table.num_rows - len(first))
    return table.take(pa.array(np.sort(first), pa.int64()))


# -- the population -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Firms:
    ruc: pa.Array  # 11-digit strings
    size: Ints  # index into TAMANO, of the first version
    exporter: Ints  # index into EXPORTADOR

    def weights(self, pool: str) -> Floats:
        """Selection weights: who a programme reaches. ``grande`` is never a MIPYME."""
        w = np.where(self.size == 3, 0.0, 1.0)
        if pool == "mype":
            w = np.where(self.size <= 1, 1.0, 0.0)
        elif pool == "exportadoras":
            w = w * np.array([12.0, 8.0, 0.25])[self.exporter]
        elif pool == "diagnostico":
            w = w * np.array([3.0, 3.0, 1.0])[self.exporter]
        return np.asarray(w, dtype=np.float64)


@dataclass
class _Gen:
    seed: int
    firms: _Firms
    years: list[int]  # years that have started by ``today``
    today: np.datetime64
    scale: float
    rng: np.random.Generator

    def stream(self, part: str) -> np.random.Generator:
        """Switch to the random stream of ``part``, so each kind's draws do not depend on the others'."""
        self.rng = np.random.default_rng([self.seed, zlib.crc32(part.encode())])
        return self.rng

    def n(self, base: float) -> int:
        return 0 if base <= 0 else max(1, round(base * self.scale))

    def window(self, year: int) -> tuple[np.datetime64, np.datetime64]:
        return _day(f"{year}-01-01"), min(_day(f"{year}-12-31"), self.today)

    @property
    def last_day(self) -> np.datetime64:
        return self.window(self.years[-1])[1]

    def plan(self, per_year: Sequence[float]) -> Iterator[tuple[int, int, int]]:
        """``(offset, year, count)`` for each year, the counts scaled to the population."""
        for offset, year in enumerate(self.years):
            yield offset, year, self.n(_at(per_year, offset))

    def pick(self, pool: str | Floats, k: int) -> Ints:
        """``k`` distinct firms drawn ∝ the pool's weights (exponential race), in draw order."""
        w = self.firms.weights(pool) if isinstance(pool, str) else pool
        positive = w > 0
        k = min(k, int(positive.sum()))
        if k <= 0:
            return np.empty(0, dtype=np.int64)
        keys = np.where(positive, self.rng.exponential(size=len(w)) / np.where(positive, w, 1.0), np.inf)
        chosen = np.argpartition(keys, k - 1)[:k]
        return np.asarray(chosen[np.argsort(keys[chosen], kind="stable")], dtype=np.int64)


def _rucs(rng: np.random.Generator, natural: Bools) -> pa.Array:
    """Unique RUCs with a valid check digit: ``10`` + an 8-digit number for persons, ``20`` + 8 for companies."""
    body = np.empty(len(natural), dtype=np.int64)
    for prefix, mask, low, high in ((10, natural, 10_000_000, 80_000_000), (20, ~natural, 10_000_000, 61_000_000)):
        k = int(mask.sum())
        body[mask] = prefix * 100_000_000 + low + rng.choice(high - low, size=k, replace=False)
    digits = (body[:, None] // 10 ** np.arange(9, -1, -1)) % 10
    # stdnum.pe.ruc.calc_check_digit, on the whole column at once (checked against stdnum in the tests).
    check = (11 - (digits @ np.array([5, 4, 3, 2, 7, 6, 5, 4, 3, 2])) % 11) % 10
    return pc.cast(pa.array(body * 10 + check, pa.int64()), pa.string())


def _locations(rng: np.random.Generator, n: int) -> pa.Array:
    """District ubigeos: departments by firm weights, districts favouring the capital province and district."""
    districts = np.array(sorted(reference.ubigeo_codes("distrito")))
    departments = sorted(DEPARTMENT_WEIGHTS)
    weights = np.array([DEPARTMENT_WEIGHTS[d] for d in departments])
    dept = rng.choice(len(departments), size=n, p=weights / weights.sum())
    out = np.empty(n, dtype=object)
    for i, code in enumerate(departments):
        rows = np.flatnonzero(dept == i)
        mine = districts[np.char.startswith(districts, code)]
        w = 1.0 + 9.0 * (np.char.startswith(mine, code + "01")) + 10.0 * (mine == code + "0101")
        out[rows] = mine[rng.choice(len(mine), size=len(rows), p=w / w.sum())]
    return pa.array(out.tolist(), pa.string())


def _sales(rng: np.random.Generator, size: Ints, years: Ints) -> Floats:
    """Annual sales in soles inside the UIT band of each size class (Ley N° 30056), whole soles."""
    known = reference.uit_years()
    uit = np.array([float(reference.uit(int(y))) for y in known])[np.clip(years - known[0], 0, len(known) - 1)]
    low = np.array([0.5, 151.0, 1705.0, 2310.0])[size]
    high = np.array([149.0, 1690.0, 2295.0, 60_000.0])[size]
    micro = np.clip(np.exp(rng.normal(np.log(20.0), 1.0, len(size))), 0.5, 149.0)
    spread = np.exp(np.log(low) + rng.random(len(size)) * (np.log(high) - np.log(low)))
    return np.asarray(np.round(np.where(size == 0, micro, spread) * uit), dtype=np.float64)


def _firms(g: _Gen, n: int) -> tuple[_Firms, pa.Table]:
    rng = g.stream("empresa")
    start = _day(f"{g.years[0]}-01-01")
    natural = rng.random(n) < 0.20
    size = np.where(natural, _choose(rng, (("micro", 0.985), ("pequena", 0.015)), n),
                    _choose(rng, (("micro", 0.94125), ("pequena", 0.04625), ("mediana", 0.00625),
                                  ("grande", 0.00625)), n))
    # Exporters are rare among micro firms and common among large ones: P(exportadora), P(con potencial).
    u = rng.random(n)
    p_exp, p_pot = np.array([0.01, 0.08, 0.2, 0.35])[size], np.array([0.07, 0.2, 0.25, 0.2])[size]
    exporter = np.where(u < p_exp, 0, np.where(u < p_exp + p_pot, 1, 2)).astype(np.int64)
    firms = _Firms(_rucs(rng, natural), size.astype(np.int64), exporter)
    g.firms = firms

    divisions = sorted(CIIU)
    cw = np.array([CIIU[d][0] for d in divisions], dtype=np.float64)
    div = rng.choice(len(divisions), size=n, p=cw / cw.sum())
    fecha = _between(rng, start - np.timedelta64(730, "D"), min(start + np.timedelta64(180, "D"), g.today), n)
    anio = np.clip(_year(fecha) - 1, reference.uit_years()[0], reference.uit_years()[-1])
    has_sales = rng.random(n) >= 0.10
    names = _names(rng, natural, div, np.arange(1, n + 1), divisions)
    sexo = np.where(rng.random(n) < 0.70, _choose(rng, (("f", 0.42), ("m", 0.54), ("ni", 0.04)), n), -1)
    sales = _sales(rng, firms.size, anio)
    first = _table(
        "empresa", n, ruc=firms.ruc, razon_social=names, ubigeo=_locations(rng, n),
        ciiu=_strings(divisions, div), ventas_anuales=pa.array(sales, mask=~has_sales),
        anio_ventas=pa.array(anio, mask=~has_sales), tamano=pa.array(np.array(TAMANO)[size], mask=has_sales),
        exportador=_strings(EXPORTADOR, exporter), sexo_titular=_strings((*SEXO, None), np.where(sexo < 0, 3, sexo)),
        fecha=fecha)
    return firms, pa.concat_tables([first, _history(g, first, names, div, divisions, natural)])


def _names(rng: np.random.Generator, natural: Bools, div: Ints, numbers: Ints, divisions: list[str]) -> pa.Array:
    """Generic business names: an activity word, a place word, a number and the legal form."""
    n = len(natural)
    words = [CIIU[d][1] for d in divisions]
    flat = [w for ws in words for w in ws]
    offsets = np.cumsum([0, *(len(ws) for ws in words)])[:-1]
    word = offsets[div] + rng.integers(0, 1 << 30, n) % np.array([len(ws) for ws in words])[div]
    width = max(6, len(str(n)))
    number = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width, "0")
    activity = _strings(flat, word)
    legal = pc.binary_join_element_wise(activity, _strings(PLACES, rng.integers(0, len(PLACES), n)), number,
                                        _strings([f for f, _ in LEGAL_FORMS], _choose(rng, LEGAL_FORMS, n)), " ")
    person = pc.binary_join_element_wise(activity, pa.scalar("Unipersonal"), number, " ")
    return pc.if_else(pa.array(natural), person, legal)


def _history(g: _Gen, first: pa.Table, names: pa.Array, div: Ints, divisions: list[str], natural: Bools
             ) -> pa.Table:
    """A later ``empresa`` row for ~5 % of firms: a company's new name, or newer sales a size class up."""
    rng = g.stream("empresa.historia")
    rows = np.flatnonzero(rng.random(first.num_rows) < 0.05)
    fecha = np.asarray(first.column("fecha").to_numpy(), dtype="datetime64[D]")[rows]
    earliest = np.maximum(fecha + np.timedelta64(180, "D"), _day(f"{g.years[0] + 1}-01-01"))
    rows, earliest = rows[earliest <= g.today], earliest[earliest <= g.today]
    later = _between(rng, earliest, g.today, len(rows))
    old = first.take(pa.array(rows, pa.int64()))
    old_name = names.take(pa.array(rows, pa.int64()))
    renamed = _names(rng, natural[rows], div[rows], rows + 1, divisions)
    # A person's name does not change; a company's new name must differ from the old one.
    rename = (rng.random(len(rows)) < 0.6) & ~natural[rows] & np.asarray(
        pc.not_equal(renamed, old_name).to_numpy(zero_copy_only=False), dtype=bool)
    grow = ~rename  # declares the sales of last year, one size class up
    anio = np.clip(_year(later) - 1, reference.uit_years()[0], reference.uit_years()[-1])
    sales = np.asarray(old.column("ventas_anuales").fill_null(0).to_numpy(), dtype=np.float64)
    old_anio = np.asarray(old.column("anio_ventas").fill_null(0).to_numpy(), dtype=np.int64)
    with_sales = grow | np.asarray(old.column("ventas_anuales").is_valid().to_numpy(zero_copy_only=False), bool)
    grown = _sales(rng, np.minimum(g.firms.size[rows] + 1, 3), anio)
    return _table(
        "empresa", len(rows), ruc=old.column("ruc"), razon_social=pc.if_else(pa.array(rename), renamed, old_name),
        ubigeo=old.column("ubigeo"), ciiu=old.column("ciiu"),
        ventas_anuales=pa.array(np.where(grow, grown, sales), mask=~with_sales),
        anio_ventas=pa.array(np.where(grow, anio, old_anio), mask=~with_sales),
        tamano=pc.if_else(pa.array(with_sales), pa.scalar(None, pa.string()), old.column("tamano")),
        exportador=old.column("exportador"), sexo_titular=old.column("sexo_titular"), fecha=later)


# -- markets and the catalogue -----------------------------------------------------------------------

def _markets(g: _Gen) -> pa.Table:
    rng = g.stream("mercado")
    n = MARKETS
    base = pc.binary_join_element_wise(pa.scalar("Mercado"), _strings(MARKET_NAMES,
                                       rng.integers(0, len(MARKET_NAMES), n)), " ")
    numbered = pc.binary_join_element_wise(base, _numbered("N° ", rng.integers(1, 20, n), 1), " ")
    return _table("mercado", n, mercado_id=_numbered("MA-", np.arange(1, n + 1), 5),
                  nombre=pc.if_else(pa.array(rng.random(n) < 0.3), numbered, base), ubigeo=_locations(rng, n))


def _programmes() -> pa.Table:
    rows = [(code, curso, name, entity)
            for code, entity, title, courses in PROGRAMMES
            for curso, name in ((None, title), *courses)]
    cols = list(zip(*rows, strict=True))
    return _table("programa", len(rows), programa=pa.array(cols[0]), curso=pa.array(cols[1], pa.string()),
                  nombre=pa.array(cols[2]), entidad=pa.array(cols[3]))


# -- training: enrolments and completions ---------------------------------------------------------------

def _courses(programa: str) -> list[str]:
    return [c for code, _, _, courses in PROGRAMMES if code == programa for c, _ in courses]


def _trainings(g: _Gen) -> tuple[pa.Table, pa.Table, dict[str, tuple[Ints, Dates]]]:
    """Enrolments and completions of each training programme; the cohorts (firm, first date) by programme."""
    enrol: list[pa.Table] = []
    done: list[pa.Table] = []
    cohorts: dict[str, tuple[Ints, Dates]] = {}
    for spec in TRAININGS:
        rng = g.stream(f"formacion.{spec.programa}")
        plan = list(g.plan(spec.companies))
        if spec.cumulative:  # new companies every year: one draw split by year
            everyone = g.pick(spec.pool, sum(c for *_, c in plan))
            groups = np.split(everyone, np.cumsum([c for *_, c in plan])[:-1])
        else:
            groups = [g.pick(spec.pool, c) for *_, c in plan]
        firms: list[Ints] = []
        dates: list[Dates] = []
        for (offset, year, _), comp in zip(plan, groups, strict=True):
            start, end = g.window(year)
            first = _between(rng, start, end, len(comp))
            e, c = _enrol(g, spec, comp, first, end, _at(spec.success, offset))
            enrol.append(e)
            done.append(c)
            firms.append(comp)
            dates.append(first)
        cohorts[spec.programa] = (np.concatenate(firms), np.concatenate(dates))
    completions = _concat("culminacion", done)
    planted = [_without_enrolment(g, spec, cohorts[spec.programa][0], completions)
               for spec in TRAININGS if spec.plant_unenrolled]
    return _concat("inscripcion", enrol), pa.concat_tables([completions, *planted]), cohorts


def _enrol(g: _Gen, spec: _Training, comp: Ints, first: Dates, end: np.datetime64, success: float
           ) -> tuple[pa.Table, pa.Table]:
    rng = g.rng
    courses = _courses(spec.programa)
    if courses:
        per = 1 + _choose(rng, [(str(i), p) for i, p in enumerate(spec.courses_per_company)], len(comp))
        row, course = _distinct(rng, np.ones(len(courses)), per)
        is_first = np.r_[True, row[1:] != row[:-1]] if len(row) else np.empty(0, dtype=bool)
        curso: pa.Array | None = _strings(courses, course)
    else:
        row, is_first, curso = np.arange(len(comp)), np.ones(len(comp), dtype=bool), None
    later = np.where(is_first, 0, rng.integers(1, 31, len(row))).astype("timedelta64[D]")
    fecha = np.minimum(first[row] + later, end)
    ruc = g.firms.ruc.take(pa.array(comp[row], pa.int64()))
    enrolments = _table("inscripcion", len(row), ruc=ruc, programa=spec.programa, curso=curso,
                        fecha_inscripcion=fecha)
    # A successful company passes its first course and often the others; the rest fail, quit or are still going.
    passed = (rng.random(len(comp)) < success)[row] & (is_first | (rng.random(len(row)) < 0.6))
    failed = np.where(rng.random(len(row)) < 0.55, 1, 2)
    finished = fecha + rng.integers(20, 121, len(row)).astype("timedelta64[D]")
    keep = (passed | (rng.random(len(row)) < 0.55)) & (finished <= g.today)
    index = pa.array(np.flatnonzero(keep), pa.int64())
    completions = _table("culminacion", int(keep.sum()), ruc=ruc.take(index), programa=spec.programa,
                         curso=None if curso is None else curso.take(index), fecha_culminacion=finished[keep],
                         resultado=_strings(("aprobado", "desaprobado", "retirado"),
                                            np.where(passed, 0, failed)[keep]))
    return enrolments, completions


def _without_enrolment(g: _Gen, spec: _Training, enrolled: Ints, completions: pa.Table) -> pa.Table:
    """Planted: ~0.5 % completions by companies never enrolled in the programme (a warning, not an error)."""
    rng = g.stream(f"formacion.{spec.programa}.sin_inscripcion")
    mine = int(pc.sum(pc.equal(completions.column("programa"), spec.programa)).as_py() or 0)
    weights = g.firms.weights(spec.pool)
    weights[enrolled] = 0.0
    comp = g.pick(weights, max(1, round(0.005 * mine)))
    courses = _courses(spec.programa)
    curso = _strings(courses, rng.integers(0, len(courses), len(comp))) if courses else None
    return _table("culminacion", len(comp), ruc=g.firms.ruc.take(pa.array(comp, pa.int64())),
                  programa=spec.programa, curso=curso, resultado="aprobado",
                  fecha_culminacion=_between(rng, g.window(g.years[0])[0], g.last_day, len(comp)))


# -- assistance, adoptions, web pages -------------------------------------------------------------------

# (programme, type, companies per year at DEMO_FIRMS, pool, cumulative cohort, P(1, 2, 3 … sessions))
ASSISTANCE = (
    ("ATD", "datos", (1200, 2400, 3600, 4800), "mipyme", False, (0.75, 0.25)),
    ("PTD", "transformacion_digital", (390, 50), "exportadoras", True, (0.4, 0.35, 0.25)),
)


def _assistance(g: _Gen, cohorts: dict[str, tuple[Ints, Dates]]) -> pa.Table:
    parts: list[pa.Table] = []
    for programa, tipo, per_year, pool, cumulative, sessions in ASSISTANCE:
        rng = g.stream(f"asistencia.{programa}")
        plan = list(g.plan(per_year))
        everyone = g.pick(pool, sum(c for *_, c in plan)) if cumulative else None
        taken = 0
        for _, year, count in plan:
            if everyone is not None:
                comp, taken = everyone[taken: taken + count], taken + count
            else:
                comp = g.pick(pool, count)
            start, end = g.window(year)
            parts.append(_sessions(g, programa, tipo, comp, _between(rng, start, end, len(comp)), end, sessions))
    # Some beneficiaries of the cross-border programme also get e-commerce assistance.
    rng = g.stream("asistencia.ECT")
    firms, first = cohorts["ECT"]
    some = rng.random(len(firms)) < 0.3
    parts.append(_sessions(g, "ECT", "comercio_electronico", firms[some],
                           first[some] + rng.integers(15, 121, int(some.sum())).astype("timedelta64[D]"),
                           g.last_day, (1.0,)))
    return _concat("asistencia_tecnica", parts)


def _sessions(g: _Gen, programa: str, tipo: str, comp: Ints, first: Dates, end: np.datetime64,
              sessions: tuple[float, ...]) -> pa.Table:
    rng = g.rng
    per = 1 + _choose(rng, [(str(i), p) for i, p in enumerate(sessions)], len(comp))
    row = np.repeat(np.arange(len(comp)), per)
    nth = np.arange(len(row)) - np.repeat(np.cumsum(per) - per, per)
    gap = rng.integers(20, 61, len(comp))[row]  # one gap per company keeps its session dates distinct
    fecha = first[row] + (nth * gap).astype("timedelta64[D]")
    keep = fecha <= end
    return _table("asistencia_tecnica", int(keep.sum()), ruc=g.firms.ruc.take(pa.array(comp[row][keep], pa.int64())),
                  programa=programa, tipo=tipo, fecha=fecha[keep])


def _adoptions(g: _Gen) -> pa.Table:
    rng = g.stream("adopcion")
    plan = list(g.plan((280, 270)))
    everyone = g.pick("mipyme", sum(c for *_, c in plan))
    parts: list[pa.Table] = []
    taken = 0
    weights = np.array([w for _, w in SERVICES])
    for _, year, count in plan:
        comp, taken = everyone[taken: taken + count], taken + count
        start, end = g.window(year)
        first = _between(rng, start, end, len(comp))
        per = 1 + _choose(rng, (("1", 0.45), ("2", 0.30), ("3", 0.17), ("4", 0.08)), len(comp))
        row, service = _distinct(rng, weights, per)
        is_first = np.r_[True, row[1:] != row[:-1]] if len(row) else np.empty(0, dtype=bool)
        fecha = np.minimum(first[row] + np.where(is_first, 0, rng.integers(0, 91, len(row))).astype(
            "timedelta64[D]"), end)
        provider = pc.binary_join_element_wise(_numbered("Aliado Tecnológico ", rng.integers(1, 26, len(row)), 2),
                                               pa.scalar("S.A.C."), " ")
        parts.append(_table("adopcion_servicio", len(row), ruc=g.firms.ruc.take(pa.array(comp[row], pa.int64())),
                            tipo_servicio=_strings([s for s, _ in SERVICES], service), fecha=fecha,
                            proveedor=pc.if_else(pa.array(rng.random(len(row)) < 0.85), provider,
                                                 pa.scalar(None, pa.string()))))
    return _concat("adopcion_servicio", parts)


def _web_pages(g: _Gen) -> pa.Table:
    rng = g.stream("pagina_web")
    plan = list(g.plan((18, 8, 7, 7)))
    everyone = g.pick("exportadoras", sum(c for *_, c in plan))
    fecha = np.concatenate([_between(rng, *g.window(y), c) for _, y, c in plan])[: len(everyone)]
    url = _numbered("https://mype-", everyone + 1, 7)
    url = pc.binary_join_element_wise(url, pa.scalar(".example"), "")
    return _table("pagina_web", len(everyone), ruc=g.firms.ruc.take(pa.array(everyone, pa.int64())),
                  programa="PWEB", fecha=fecha,
                  url=pc.if_else(pa.array(rng.random(len(everyone)) < 0.85), url, pa.scalar(None, pa.string())))


# -- Perú Marketplace, the cross-border programme and markets' platforms ---------------------------------

def _stores(g: _Gen) -> pa.Table:
    """Stores open at each year end: ~950 after the first year, then +160 opened and 6 % closed a year."""
    rng = g.stream("tienda_virtual")
    plan = list(g.plan((1000, 160)))
    everyone = g.pick("exportadoras", sum(c for *_, c in plan))
    total = len(everyone)
    year_of = np.repeat([y for _, y, _ in plan], [c for *_, c in plan])[:total]
    opened = np.empty(total, dtype="datetime64[D]")
    closed = np.full(total, np.datetime64("NaT"), dtype="datetime64[D]")
    for offset, year, _ in plan:
        start, end = g.window(year)
        mine = year_of == year
        low = start - np.timedelta64(700, "D") if offset == 0 else start
        opened[mine] = _between(rng, low, end, int(mine.sum()))
        open_now = np.flatnonzero((opened <= end - np.timedelta64(30, "D")) & np.isnat(closed)
                                  & (year_of <= year))
        share = 0.05 if offset == 0 else 0.06
        shut = rng.choice(open_now, size=round(share * len(open_now)), replace=False)
        closed[shut] = _between(rng, np.maximum(opened[shut] + np.timedelta64(30, "D"), start), end, len(shut))
    return _table("tienda_virtual", total, ruc=g.firms.ruc.take(pa.array(everyone, pa.int64())),
                  tienda_id=_numbered("PMK-", np.arange(1, total + 1), 7), fecha_apertura=opened,
                  fecha_cierre=pa.array(closed, pa.date32(), mask=np.isnat(closed)))


def _cross_border(g: _Gen, cohorts: dict[str, tuple[Ints, Dates]]) -> tuple[pa.Table, pa.Table]:
    """Beneficiaries of the cross-border programme (its ECT cohort) and the monthly sales of a growing few."""
    rng = g.stream("transfronterizo")
    firms, first = cohorts["ECT"]
    year_start = first.astype("datetime64[Y]").astype("datetime64[D]")
    admitted = np.maximum(first - rng.integers(0, 21, len(firms)).astype("timedelta64[D]"), year_start)
    beneficiaries = _table("participacion_transfronteriza", len(firms),
                           ruc=g.firms.ruc.take(pa.array(firms, pa.int64())), programa="ECT", fecha=admitted)
    sellers: list[Ints] = []
    since: list[Dates] = []
    is_seller = np.zeros(len(firms), dtype=bool)
    for _, year, count in g.plan((10, 7)):
        start, end = g.window(year)
        candidates = np.flatnonzero(~is_seller & (admitted + np.timedelta64(30, "D") <= end))
        chosen = rng.choice(candidates, size=min(count, len(candidates)), replace=False)
        is_seller[chosen] = True
        sellers.append(chosen)
        since.append(_between(rng, np.maximum(admitted[chosen] + np.timedelta64(30, "D"), start), end,
                              len(chosen)))
    who = np.concatenate(sellers) if sellers else np.empty(0, dtype=np.int64)
    months = 1 + rng.integers(0, 6, len(who))
    row = np.repeat(np.arange(len(who)), months)
    nth = np.arange(len(row)) - np.repeat(np.cumsum(months) - months, months)
    month = np.concatenate(since).astype("datetime64[M]")[row] + nth if len(who) else np.empty(0, "datetime64[M]")
    fecha = (month + 1).astype("datetime64[D]") - np.timedelta64(1, "D")  # last day of the month
    keep = fecha <= g.today
    n = int(keep.sum())
    main_country = _choose(rng, COUNTRIES, len(who))[row]
    country = np.where(rng.random(len(row)) < 0.8, main_country, _choose(rng, COUNTRIES, len(row)))
    # One row per seller and month: the key (ruc, fecha, país, canal) never repeats.
    canal = _choose(rng, (("marketplace", 0.5), ("tienda_propia", 0.2), ("redes_sociales", 0.25), ("otro", 0.05)),
                    len(who))[row]
    sales = _table("venta_transfronteriza", n, ruc=g.firms.ruc.take(pa.array(firms[who[row]][keep], pa.int64())),
                   fecha=fecha[keep], monto=np.round(np.exp(rng.normal(np.log(2500), 0.9, n)), 2),
                   moneda=_strings(("USD", "PEN", "EUR"), _choose(rng, (("USD", 0.7), ("PEN", 0.25), ("EUR", 0.05)),
                                                                  n)),
                   pais_destino=_strings([c for c, _ in COUNTRIES], country[keep]),
                   canal=_strings(("marketplace", "tienda_propia", "redes_sociales", "otro"), canal[keep]))
    return beneficiaries, sales


def _market_platforms(g: _Gen) -> pa.Table:
    """Markets using a platform: about 6 % at the end of the first year, rising toward 15 % (OE1-07)."""
    rng = g.stream("mercado_plataforma")
    cumulative = [round(_at((0.065, 0.098, 0.132, 0.165, 0.2), i) * MARKETS) for i in range(len(g.years))]
    new = np.diff([0, *cumulative])
    markets = rng.permutation(MARKETS)[: cumulative[-1]]
    starts: list[Dates] = []
    for offset, (year, count) in enumerate(zip(g.years, new, strict=True)):
        start, end = g.window(year)
        starts.append(_between(rng, start - np.timedelta64(730 if offset == 0 else 0, "D"), end, int(count)))
    first = np.concatenate(starts)
    platform = _choose(rng, [(p, 1.0) for p in PLATFORMS], len(markets))
    second = rng.random(len(markets)) < 0.15
    row = np.r_[np.arange(len(markets)), np.flatnonzero(second)]
    fecha = np.r_[first, first[second] + rng.integers(30, 366, int(second.sum())).astype("timedelta64[D]")]
    plat = np.r_[platform, (platform[second] + rng.integers(1, len(PLATFORMS), int(second.sum()))) % len(PLATFORMS)]
    keep = fecha <= g.today
    row, fecha, plat = row[keep], fecha[keep], plat[keep]
    stop = fecha + rng.integers(60, 701, len(row)).astype("timedelta64[D]")
    stopped = (rng.random(len(row)) < 0.08) & (stop <= g.today)
    return _table("mercado_plataforma", len(row), mercado_id=_numbered("MA-", markets[row] + 1, 5),
                  plataforma=_strings(PLATFORMS, plat), fecha_inicio=fecha,
                  fecha_fin=pa.array(stop, pa.date32(), mask=~stopped))


# -- diagnoses -------------------------------------------------------------------------------------------

def _levels(score: Floats) -> pa.Array:
    return _strings(LEVELS, np.searchsorted(LEVEL_BOUNDS, score, side="right"))


def _diagnoses(g: _Gen) -> pa.Table:
    """Digital-maturity self-diagnoses (some retaken months later, a few reaching avanzado) and cross-border tests.

    The yearly mean score, retakes included, is about 31 the first year and 35 by the fourth (OE2-06); each
    year a set number of retakes moves a company from below 60 to avanzado or experto (OE2-09: 80 the first
    year, then 40 a year).
    """
    rng = g.stream("diagnostico")
    plan = list(g.plan((1400, 1500, 1600, 1700)))
    everyone = g.pick("diagnostico", sum(c for *_, c in plan))
    year = np.repeat([y for _, y, _ in plan], [c for *_, c in plan])[: len(everyone)]
    mean = np.array([_at((28.5, 32.0, 33.5, 34.0, 35.5), i) for i, _, _ in plan])[year - g.years[0]]
    first = np.array(np.concatenate([_between(rng, *g.window(int(y)), int((year == y).sum())) for y in g.years]))
    score = np.round(np.clip(rng.normal(mean, 14.0), 2.0, 98.0), 1)
    again = np.flatnonzero(rng.random(len(everyone)) < 0.35)
    retake = first[again] + rng.integers(90, 301, len(again)).astype("timedelta64[D]")
    again, retake = again[retake <= g.last_day], retake[retake <= g.last_day]
    before = score[again]
    after = np.clip(before + rng.normal(4.0, 5.0, len(again)), 0.0, 100.0)
    after = np.where(before < 60, np.minimum(after, 59.4), after)
    for offset, y, _ in plan:
        candidates = np.flatnonzero((_year(retake) == y) & (before < 60))
        up = rng.choice(candidates, size=min(g.n(_at((80, 40), offset)), len(candidates)), replace=False)
        after[up] = rng.uniform(60.0, 86.0, len(up))
    after = np.round(after, 1)
    firms = np.r_[everyone, everyone[again]]
    scores = np.r_[score, after]
    madurez = _table("diagnostico", len(firms), ruc=g.firms.ruc.take(pa.array(firms, pa.int64())),
                     cuestionario="madurez_digital", version="1.0.0", fecha=np.r_[first, retake], puntaje=scores,
                     nivel=_levels(scores))
    # The cross-border e-commerce test exists from the second year (OE1-03.1), 600 companies by 2026 (OE1-03.2).
    plan = list(g.plan((0, 180, 200, 220)))
    tested = g.pick("exportadoras", sum(c for *_, c in plan))
    when = np.array(np.concatenate([_between(rng, *g.window(y), c) for _, y, c in plan]))[: len(tested)]
    points = np.asarray(np.round(np.clip(rng.normal(45.0, 15.0, len(tested)), 2.0, 98.0), 1), dtype=np.float64)
    test = _table("diagnostico", len(tested), ruc=g.firms.ruc.take(pa.array(tested, pa.int64())),
                  cuestionario="transfronterizo", version="1.0.0", fecha=when, puntaje=points, nivel=_levels(points))
    return pa.concat_tables([madurez, test])


# -- reported values --------------------------------------------------------------------------------------

def _reported(g: _Gen) -> pa.Table:
    """One approved value per reported variable of the programme and year, by the first entity allowed."""
    rng = g.stream("valor_reportado")
    today = g.today.astype(date)
    rows: list[tuple[str, str, int, float, str, str]] = []
    for variable in load_programme().variables_reportadas:
        entidad = variable.entidades[0]
        values = REPORTED.get(variable.codigo)
        if values is None:
            log.warning("synth has no magnitude for reported variable=%s; reporting 1", variable.codigo)
            values = (1,)
        for offset, year in enumerate(g.years):
            value = float(_at(values, offset))
            if variable.codigo == "total_mipymes_produce":
                value = float(round(value * rng.uniform(0.995, 1.005)))
            reported_in = min(year + 1, today.year)
            evidence = (f"Oficio N° {int(rng.integers(20, 900)):03d}-{reported_in}-"
                        f"{EVIDENCE_OFFICE.get(entidad, entidad)}")
            note = (f"Valor al 31/12/{year}." if year < today.year else f"Avance al {today:%d/%m/%Y}.")
            rows.append((variable.codigo, entidad, year, value, evidence, note))
    cols: list[tuple[Any, ...]] = list(zip(*rows, strict=True)) if rows else [()] * 6
    return _table("valor_reportado", len(rows), variable=pa.array(cols[0], pa.string()),
                  entidad=pa.array(cols[1], pa.string()), periodo=pa.array(cols[2], pa.int64()),
                  valor=pa.array(cols[3], pa.float64()), evidencia=pa.array(cols[4], pa.string()),
                  justificacion=pa.array(cols[5], pa.string()), estado="aprobado")


# -- entry points ---------------------------------------------------------------------------------------

def generate(out_dir: Path, *, firms: int, seed: int, years: range = range(2023, 2027), today: date | None = None,
             records_per_firm: float | None = None) -> dict[str, Path]:
    """Write one import-ready CSV per record kind into ``out_dir``; the same arguments give the same bytes.

    Args:
        out_dir: folder for the files (created if needed); each is ``<kind>.csv``.
        firms: companies in the population (2,000 for tests, 20,000 for the demo, millions for benchmarks).
        seed: seed of every random draw.
        years: years with programme records; the first one is the baseline year.
        today: no date is later than this (default: today); years not started by then are skipped.
        records_per_firm: programme records per firm (default about ``NOMINAL_RECORDS_PER_FIRM``);
            every programme volume is scaled by it, the mix stays the same.

    Returns:
        The file of each kind, by kind name.

    Raises:
        ValueError: ``firms`` is not positive, or no year of ``years`` has started by ``today``.

    Example:
        >>> files = generate(Path("/tmp/demo"), firms=2_000, seed=7, today=date(2026, 11, 26))
        >>> sorted(files) == sorted(LOAD_ORDER)
        True
    """
    if firms < 1:
        raise ValueError(f"firms must be positive, not {firms}")
    day = today or date.today()
    active = [y for y in years if date(y, 1, 1) <= day]
    if not active:
        raise ValueError(f"no year of {years} has started by {day.isoformat()}")
    intensity = (records_per_firm / NOMINAL_RECORDS_PER_FIRM) if records_per_firm is not None else 1.0
    empty = _Firms(pa.array([], pa.string()), np.empty(0, np.int64), np.empty(0, np.int64))
    g = _Gen(seed, empty, active, _day(day), firms / DEMO_FIRMS * intensity, np.random.default_rng(seed))
    _, empresa = _firms(g, firms)
    inscripcion, culminacion, cohorts = _trainings(g)
    participacion, ventas = _cross_border(g, cohorts)
    tables = {
        "programa": _programmes(), "empresa": empresa, "mercado": _markets(g), "inscripcion": inscripcion,
        "culminacion": culminacion, "asistencia_tecnica": _assistance(g, cohorts),
        "adopcion_servicio": _adoptions(g), "pagina_web": _web_pages(g), "tienda_virtual": _stores(g),
        "participacion_transfronteriza": participacion, "venta_transfronteriza": ventas,
        "mercado_plataforma": _market_platforms(g), "diagnostico": _diagnoses(g), "valor_reportado": _reported(g),
    }
    missing = {k.name for k in KINDS} - set(tables)
    if missing:
        raise AssertionError(f"synth lacks a generator for {sorted(missing)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    for name in LOAD_ORDER:
        files[name] = out_dir / f"{name}.csv"
        pacsv.write_csv(_first_of_each_key(name, tables[name]), files[name])
    log.info("synth generated firms=%d seed=%d rows=%d", firms, seed, sum(t.num_rows for t in tables.values()))
    return files


def load_demo(engine: Engine, *, firms: int, seed: int, work_dir: Path, progress: Progress | None = None,
              today: date | None = None, records_per_firm: float | None = None) -> list[ImportReport]:
    """Generate the synthetic files in ``work_dir`` and import them all, in dependency order.

    Each kind is imported by its ``REPORTING_ENTITY`` as actor ``synth``. The programme must be
    loaded already. Running it again with the same seed and day adds nothing (the files are identical).

    Raises:
        NotFound: no programme is loaded.
    """
    day = today or date.today()
    files = generate(work_dir, firms=firms, seed=seed, today=day, records_per_firm=records_per_firm)
    return [import_file(engine, kind, files[kind], entidad=REPORTING_ENTITY[kind], actor=ACTOR, today=day,
                        progress=progress) for kind in LOAD_ORDER]


def demo_loaded(engine: Engine) -> bool:
    """Whether synthetic data was already imported into this store."""
    from sqlalchemy import select

    from pade.records.tables import ImportBatch

    with engine.connect() as conn:
        return conn.execute(select(ImportBatch.id).where(ImportBatch.actor == ACTOR).limit(1)).first() is not None
