"""Edge cases added on top of the synthetic store, so the equality check exercises every rule.

``pade.records.synth`` writes clean data: one version per company date, every company described, no
revisions, every reported value approved. The benchmark imports a few more files through the ordinary
importer (``import_file``), scaled with the population:

* revisions: completions with another outcome (a few revised twice), diagnoses with another score and level,
  stores opened or closed, reported values corrected, left unapproved (``presentado``) or ``rechazado``;
* companies declared again on the same date with another size (two versions with one ``valid_from``);
* companies with no attributes at all, companies first described after their records (the earliest version
  applies), and RUCs that appear in records but never in ``empresa`` (``no_informado`` everywhere).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Engine

LEVEL_BOUNDS = np.array([20.0, 40.0, 60.0, 80.0])
LEVELS = np.array(["inicial", "basico", "intermedio", "avanzado", "experto"])
RECORDS_FOR_NEW = ("inscripcion", "culminacion", "asistencia_tecnica", "adopcion_servicio", "pagina_web",
                   "participacion_transfronteriza", "venta_transfronteriza", "diagnostico", "tienda_virtual")


def _read(path: Path) -> pa.Table:
    """A synth CSV with every column as text, so rows written back keep their exact values."""
    header = path.open(encoding="utf-8").readline().strip().replace('"', "").split(",")
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
        column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=True))


def _sample(rng: np.random.Generator, table: pa.Table, share: float) -> pa.Table:
    k = max(1, round(share * table.num_rows))
    return table.take(pa.array(np.sort(rng.choice(table.num_rows, size=min(k, table.num_rows), replace=False))))


def _set(table: pa.Table, name: str, values: pa.Array | list[str | None]) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, pa.array(values, pa.string()))


def _new_rucs(n: int, offset: int) -> list[str]:
    """Company RUCs outside the range ``synth`` draws from (``20`` + 10,000,000 … 60,999,999)."""
    from stdnum.pe import ruc

    out = []
    for i in range(n):
        body = f"20{70_000_000 + offset + i:08d}"
        out.append(body + ruc.calc_check_digit(body))
    return out


def _dedupe(kind_name: str, table: pa.Table) -> pa.Table:
    """Keep the first row of each natural key (a file with a repeated key would send rows to quarantine)."""
    from pade.records.kinds import kind

    key = kind(kind_name).key
    seen: set[tuple[str | None, ...]] = set()
    rows = []
    columns = [table.column(k).to_pylist() for k in key]
    for i, values in enumerate(zip(*columns, strict=True)):
        if values not in seen:
            seen.add(values)
            rows.append(i)
    return table.take(pa.array(rows, pa.int64()))


def build(synth_dir: Path, out_dir: Path, *, firms: int, seed: int) -> list[tuple[str, Path]]:
    """Write the edge-case files; return ``(kind, path)`` in import order."""
    rng = np.random.default_rng(seed + 7919)
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[tuple[str, Path]] = []

    def write(kind: str, table: pa.Table, tag: str) -> None:
        path = out_dir / f"{kind}.{tag}.csv"
        pacsv.write_csv(table, path)
        files.append((kind, path))

    per_group = max(30, firms // 2_000)
    bare, late, orphan = (_new_rucs(per_group, k * per_group) for k in range(3))

    # companies: a second declaration on the same date with another size; bare and late-described companies
    emp = _read(synth_dir / "empresa.csv")
    again = _sample(rng, emp, 0.005)
    sizes = np.array(["micro", "pequena", "mediana", "grande"])
    again = _set(again, "tamano", list(sizes[rng.integers(0, 4, again.num_rows)]))
    again = _set(_set(again, "ventas_anuales", [None] * again.num_rows), "anio_ventas", [None] * again.num_rows)
    again = _dedupe("empresa", again)
    like = _sample(rng, emp, per_group / emp.num_rows)
    late_rows = _set(_set(like.slice(0, per_group), "ruc", late[: like.num_rows]), "fecha",
                     ["2026-06-01"] * min(per_group, like.num_rows))
    nothing = [None] * per_group
    bare_rows = pa.table({
        "ruc": bare, "razon_social": [f"Empresa Sin Datos {i:06d} S.A.C." for i in range(per_group)],
        "ubigeo": nothing, "ciiu": nothing, "ventas_anuales": nothing, "anio_ventas": nothing, "tamano": nothing,
        "exportador": nothing, "sexo_titular": nothing, "fecha": ["2022-01-15"] * per_group},
        schema=pa.schema([pa.field(n, pa.string()) for n in emp.column_names]))
    write("empresa", pa.concat_tables([again, late_rows.cast(bare_rows.schema), bare_rows]), "edges")

    # records of the new companies: copies of existing rows under their RUCs
    pool = np.array(bare + late + orphan)
    for kind in RECORDS_FOR_NEW:
        src = _read(synth_dir / f"{kind}.csv")
        if src.num_rows == 0:
            continue
        copies = _sample(rng, src, min(1.0, 2 * len(pool) / src.num_rows))
        copies = _set(copies, "ruc", list(rng.choice(pool, copies.num_rows)))
        if kind == "tienda_virtual":
            copies = _set(copies, "tienda_id", [f"PMK-E{i:07d}" for i in range(copies.num_rows)])
        write(kind, _dedupe(kind, copies), "new")

    # revisions: another outcome (and for some, back again), another score, a store opened or closed
    done = _read(synth_dir / "culminacion.csv")
    flipped = _sample(rng, done, 0.01)
    outcome = pc.if_else(pc.equal(flipped.column("resultado"), "aprobado"), "desaprobado", "aprobado")
    flipped = _set(flipped, "resultado", outcome.to_pylist())
    write("culminacion", flipped, "rev1")
    back = _sample(rng, flipped, 0.2)
    back = _set(back, "resultado", ["retirado"] * back.num_rows)
    write("culminacion", back, "rev2")

    diag = _read(synth_dir / "diagnostico.csv")
    rescored = _sample(rng, diag, 0.01)
    score = np.round(rng.uniform(0, 100, rescored.num_rows), 1)
    rescored = _set(rescored, "puntaje", [f"{s:g}" for s in score])
    rescored = _set(rescored, "nivel", list(LEVELS[np.searchsorted(LEVEL_BOUNDS, score, side="right")]))
    write("diagnostico", rescored, "rev")

    stores = _read(synth_dir / "tienda_virtual.csv")
    toggled = _sample(rng, stores, 0.03)
    opened = np.array(toggled.column("fecha_apertura").to_pylist(), dtype="datetime64[D]")
    toggled = toggled.filter(pa.array(opened < np.datetime64("2026-10-01")))
    opened = opened[opened < np.datetime64("2026-10-01")]
    closed = toggled.column("fecha_cierre").to_pylist()
    shut = opened + rng.integers(1, 400, toggled.num_rows).astype("timedelta64[D]")
    shut = np.minimum(shut, np.datetime64("2026-11-01"))
    write("tienda_virtual", _set(toggled, "fecha_cierre", [
        None if c is not None else str(s) for c, s in zip(closed, shut, strict=True)]), "rev")

    # reported values: corrected, withdrawn from approval, rejected
    rep = _read(synth_dir / "valor_reportado.csv")
    changes = {("total_mercados_abasto", "2025"): ("estado", "presentado"),
               ("programas_implementados", "2024"): ("valor", "5"),
               ("instrumentos_aprobados", "2026"): ("estado", "rechazado"),
               ("acciones_sensibilizacion_seguridad_digital", "2025"): ("estado", "rechazado"),
               ("total_mipymes_produce", "2024"): ("valor", "2415000"),
               ("total_servicios_plataformas_priorizados", "2026"): ("estado", "presentado")}
    rows = rep.to_pylist()
    revised = []
    for row in rows:
        change = changes.get((row["variable"], row["periodo"]))
        if change:
            revised.append({**row, change[0]: change[1], "justificacion": "Corregido (benchmark)."})
    write("valor_reportado", pa.Table.from_pylist(revised, schema=rep.schema), "rev")
    return files


def load(engine: Engine, files: list[tuple[str, Path]], *, today: date) -> list[str]:
    """Import the edge files in order; return one line per file (rows loaded, revised, quarantined)."""
    from pade.records.importer import import_file
    from pade.records.synth import REPORTING_ENTITY

    lines = []
    for kind, path in files:
        report = import_file(engine, kind, path, entidad=REPORTING_ENTITY[kind], actor="benchmark", today=today)
        lines.append(f"{path.name}: loaded {report.rows_loaded:,}, revised {report.rows_revised:,}, "
                     f"quarantined {report.rows_quarantined:,} {dict(report.counts) or ''}")
    return lines
