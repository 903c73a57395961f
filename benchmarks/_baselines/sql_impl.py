"""Baseline B: the 19 indicators as hand-written DuckDB SQL over ``read_parquet`` views of the snapshot.

One SQL text per indicator. The few pieces every indicator repeats (the current revisions, the company
attributes valid in the year, the breakdowns as ``GROUPING SETS``, running totals, the final table with the
total present every year) are SQL fragments below, pasted into each text with ``str.format``: what someone
writing these queries by hand would keep in a snippet file. Only what is published is computed: an
indicator whose denominator is a reported total is computed for the total only.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from _baselines.common import FIRST_YEAR, LAST_YEAR, UNKNOWN

RECORD_KINDS = ("tienda_virtual", "inscripcion", "culminacion", "participacion_transfronteriza",
                "venta_transfronteriza", "diagnostico", "mercado_plataforma", "adopcion_servicio",
                "asistencia_tecnica", "pagina_web", "valor_reportado")
DIMS = "departamento, tamano, seccion_ciiu, exportador, sexo_titular"
NULL_DIMS = ", ".join(f"NULL::VARCHAR AS {d}" for d in DIMS.split(", "))

# Current revisions: rows no later row revises.
CURRENT = """CREATE VIEW cur_{kind} AS SELECT * FROM rec_{kind}
WHERE id NOT IN (SELECT revision_of FROM rec_{kind} WHERE revision_of IS NOT NULL)"""

# ``{src}`` has one row per (subject, anio): attach the version valid on 31 December of the year (the latest
# from on or before it, else the earliest), its labels, 'no_informado' when there is none.
ATTRS = f"""SELECT s.*,
    coalesce(substr(v.ubigeo, 1, 2), '{UNKNOWN}') AS departamento,
    coalesce(v.tamano, '{UNKNOWN}') AS tamano,
    coalesce(c.seccion, '{UNKNOWN}') AS seccion_ciiu,
    coalesce(v.exportador, '{UNKNOWN}') AS exportador,
    coalesce(v.sexo_titular, '{UNKNOWN}') AS sexo_titular
  FROM {{src}} s
  LEFT JOIN company_version v ON v.ruc = s.subject
  LEFT JOIN ciiu c ON c.division = substr(v.ciiu, 1, 2)
  QUALIFY row_number() OVER (
    PARTITION BY s.subject, s.anio
    ORDER BY (year(v.valid_from) <= s.anio) DESC,
             CASE WHEN year(v.valid_from) <= s.anio THEN v.valid_from END DESC,
             v.valid_from, v.id DESC) = 1"""

# The same choice, read from the snapshot's spans of company attributes (decision 0007; ``--sql-spans``): what
# the hand-written SQL gains from the table the snapshot derives for the engine.
ATTRS_SPANS = f"""SELECT s.*,
    coalesce(a.departamento, '{UNKNOWN}') AS departamento,
    coalesce(a.tamano, '{UNKNOWN}') AS tamano,
    coalesce(a.seccion_ciiu, '{UNKNOWN}') AS seccion_ciiu,
    coalesce(a.exportador, '{UNKNOWN}') AS exportador,
    coalesce(a.sexo_titular, '{UNKNOWN}') AS sexo_titular
  FROM {{src}} s
  LEFT JOIN company_attributes a ON a.a_ruc = s.subject AND s.anio >= a.a_from AND s.anio < a.a_to"""

# Every breakdown in one pass; GROUPING() has one bit per dimension, set when it is not grouped.
BREAKDOWNS = f"""SELECT anio,
    CASE GROUPING({DIMS})
      WHEN 31 THEN 'total' WHEN 15 THEN 'departamento' WHEN 23 THEN 'tamano' WHEN 27 THEN 'seccion_ciiu'
      WHEN 29 THEN 'exportador' WHEN 30 THEN 'sexo_titular' WHEN 7 THEN 'departamento_tamano' END AS desagregacion,
    {DIMS}, {{aggs}}
  FROM {{src}}
  GROUP BY GROUPING SETS ((anio), (anio, departamento), (anio, tamano), (anio, seccion_ciiu), (anio, exportador),
                          (anio, sexo_titular), (anio, departamento, tamano))"""

# Counts by first year -> running totals for every year, in every cell counted at least once.
CUMULATE = f"""SELECT y.anio, c.desagregacion, {", ".join("c." + d for d in DIMS.split(", "))}, {{sums}}
  FROM {{src}} c CROSS JOIN years y
  GROUP BY ALL"""

# The cells, plus the total of every year even when nothing happened; counts are 0 where missing.
FINAL = f"""SELECT *, {{formula}} AS valor FROM (
  SELECT anio, desagregacion, {DIMS}, {{measures}}
  FROM (SELECT anio, desagregacion, {DIMS}, {{columns}} FROM {{src}}
        UNION ALL
        SELECT anio, 'total', {NULL_DIMS}, {{nulls}} FROM years)
  GROUP BY ALL)"""

# Approved current values of a reported variable up to the last year, summed over entities, by year.
REPORTED = f"""SELECT periodo, sum(valor)::DOUBLE AS valor FROM cur_valor_reportado
  WHERE variable = '{{variable}}' AND estado = 'aprobado' AND periodo <= {LAST_YEAR} GROUP BY periodo"""


def attrs(src: str, *, spans: bool = False) -> str:
    return (ATTRS_SPANS if spans else ATTRS).format(src=src)


def breakdowns(src: str, aggs: str) -> str:
    return BREAKDOWNS.format(src=src, aggs=aggs)


def cumulate(src: str, *symbols: str) -> str:
    sums = ", ".join(f"coalesce(sum(c.{s}) FILTER (WHERE c.anio <= y.anio), 0) AS {s}" for s in symbols)
    return CUMULATE.format(src=src, sums=sums)


def final(src: str, formula: str, *symbols: str) -> str:
    return FINAL.format(src=src, formula=formula, columns=", ".join(symbols),
                        nulls=", ".join(f"NULL::DOUBLE AS {s}" for s in symbols),
                        measures=", ".join(f"coalesce(sum({s}), 0)::DOUBLE AS {s}" for s in symbols))


def reported(variable: str) -> str:
    return REPORTED.format(variable=variable)


def last_reported(variable: str, symbol: str) -> str:
    """The latest approved value up to each year (a reported stock), as ``anio, <symbol>``."""
    return f"""SELECT y.anio, r.valor AS {symbol}
  FROM years y ASOF LEFT JOIN ({reported(variable)}) r ON y.anio >= r.periodo"""


def total_only(*ctes: str, select: str) -> str:
    """An indicator published for the total only: ``select`` gives anio, the measures and valor."""
    head = f"WITH {', '.join(ctes)}\n"
    return head + f"SELECT anio, 'total' AS desagregacion, {NULL_DIMS}, * EXCLUDE (anio) FROM ({select})"


def queries(*, spans: bool = False) -> dict[str, str]:
    """One SQL text per indicator: anio, desagregacion, the five breakdown columns, the measures, valor.
    ``spans``: the company attributes come from the snapshot's spans (``connect(..., spans=True)``)."""
    q: dict[str, str] = {}

    def attrs(src: str) -> str:
        return globals()["attrs"](src, spans=spans)

    first_ins = f"""SELECT ruc AS subject, min(year(fecha_inscripcion)) AS anio FROM cur_inscripcion
  WHERE programa = '{{programa}}' AND year(fecha_inscripcion) >= {FIRST_YEAR} GROUP BY ruc"""

    q["OE1-01"] = f"""WITH sy AS (
  SELECT DISTINCT t.ruc AS subject, y.anio FROM cur_tienda_virtual t
  JOIN years y ON year(t.fecha_apertura) <= y.anio AND (t.fecha_cierre IS NULL OR year(t.fecha_cierre) > y.anio)),
a AS ({attrs("sy")}),
cells AS ({breakdowns("a", "count(*) AS N")})
{final("cells", "N", "N")}"""

    q["OE1-02.1"] = total_only(
        f"firsts AS ({first_ins.format(programa='ECT')})",
        f"per_year AS (SELECT anio, count(*) AS n FROM firsts WHERE anio <= {LAST_YEAR} GROUP BY anio)",
        """a AS (SELECT y.anio, (SELECT coalesce(sum(n), 0) FROM per_year p WHERE p.anio <= y.anio)::DOUBLE AS A
  FROM years y)""",
        f"m AS ({last_reported('meta_empresas_programa_transfronterizo', 'M')})",
        select="SELECT anio, A, M, 100 * A / nullif(M, 0) AS valor FROM a JOIN m USING (anio)")

    q["OE1-02.2"] = f"""WITH benef AS (
  SELECT ruc AS subject, min(year(fecha)) AS anio FROM cur_participacion_transfronteriza
  WHERE programa = 'ECT' AND year(fecha) >= {FIRST_YEAR} GROUP BY ruc),
sale AS (
  SELECT ruc AS subject, min(year(fecha)) AS anio FROM cur_venta_transfronteriza
  WHERE year(fecha) >= {FIRST_YEAR} GROUP BY ruc),
sy AS (
  SELECT subject, anio, max(v) AS V, max(b) AS B FROM (
    SELECT subject, anio, 0 AS v, 1 AS b FROM benef
    UNION ALL SELECT b.subject, greatest(b.anio, s.anio), 1, 0 FROM benef b JOIN sale s USING (subject))
  WHERE anio <= {LAST_YEAR} GROUP BY subject, anio),
a AS ({attrs("sy")}),
firsts AS ({breakdowns("a", "sum(V) AS V, sum(B) AS B")}),
cells AS ({cumulate("firsts", "V", "B")})
{final("cells", "100 * V / nullif(B, 0)", "V", "B")}"""

    q["OE1-03.1"] = total_only(f"t AS ({last_reported('test_transfronterizo_desarrollado', 'T')})",
                               select="SELECT anio, T, T AS valor FROM t")

    q["OE1-03.2"] = f"""WITH sy AS (
  SELECT ruc AS subject, min(year(fecha)) AS anio FROM cur_diagnostico
  WHERE cuestionario = 'transfronterizo' AND year(fecha) >= {FIRST_YEAR} GROUP BY ruc
  HAVING min(year(fecha)) <= {LAST_YEAR}),
a AS ({attrs("sy")}),
firsts AS ({breakdowns("a", "count(*) AS D")}),
cells AS ({cumulate("firsts", "D")})
{final("cells", "D", "D")}"""

    q["OE1-04"] = total_only(
        f"r AS ({reported('acciones_sensibilizacion_seguridad_digital')})",
        select="SELECT y.anio, r.valor AS N, r.valor AS valor FROM years y LEFT JOIN r ON r.periodo = y.anio")

    for code, programa, excluded in (("OE1-05", "PCE", "'grande'"), ("OE1-06", "PEL", "'mediana', 'grande'")):
        q[code] = f"""WITH sy AS (
  SELECT subject, anio, max(mc) AS MC, max(mt) AS MT FROM (
    SELECT ruc AS subject, year(fecha_culminacion) AS anio, 1 AS mc, 0 AS mt FROM cur_culminacion
    WHERE programa = '{programa}' AND resultado = 'aprobado'
    UNION ALL
    SELECT ruc, year(fecha_inscripcion), 0, 1 FROM cur_inscripcion WHERE programa = '{programa}')
  WHERE anio BETWEEN {FIRST_YEAR} AND {LAST_YEAR} GROUP BY subject, anio),
a AS (SELECT * FROM ({attrs("sy")}) WHERE tamano NOT IN ({excluded})),
cells AS ({breakdowns("a", "sum(MC) AS MC, sum(MT) AS MT")})
{final("cells", "100 * MC / nullif(MT, 0)", "MC", "MT")}"""

    q["OE1-07"] = total_only(
        """mc AS (
  SELECT y.anio, count(DISTINCT p.mercado_id)::DOUBLE AS MC FROM years y
  LEFT JOIN cur_mercado_plataforma p
    ON year(p.fecha_inicio) <= y.anio AND (p.fecha_fin IS NULL OR year(p.fecha_fin) > y.anio)
  GROUP BY y.anio)""",
        f"mt AS ({last_reported('total_mercados_abasto', 'MT')})",
        select="SELECT anio, MC, MT, 100 * MC / nullif(MT, 0) AS valor FROM mc JOIN mt USING (anio)")

    q["OE1-08"] = f"""WITH per_type AS (
  SELECT ruc, tipo_servicio, min(year(fecha)) AS fy FROM cur_adopcion_servicio
  WHERE year(fecha) >= {FIRST_YEAR} GROUP BY ruc, tipo_servicio),
sy AS (
  SELECT ruc AS subject, fy AS anio FROM per_type
  QUALIFY row_number() OVER (PARTITION BY ruc ORDER BY fy, tipo_servicio) = 2),
a AS (SELECT * FROM ({attrs(f"(SELECT * FROM sy WHERE anio <= {LAST_YEAR})")}) WHERE tamano <> 'grande'),
firsts AS ({breakdowns("a", "count(*) AS N")}),
cells AS ({cumulate("firsts", "N")})
{final("cells", "N", "N")}"""

    q["OE2-01"] = total_only(
        f"a AS ({reported('investigaciones_plataformas_servicios')})",
        f"b AS ({last_reported('total_servicios_plataformas_priorizados', 'B')})",
        select="SELECT b.anio, a.valor AS A, b.B, 100 * a.valor / nullif(b.B, 0) AS valor "
               "FROM b LEFT JOIN a ON a.periodo = b.anio")

    q["OE2-02"] = total_only(
        f"""sy AS (
  SELECT DISTINCT ruc AS subject, year(fecha) AS anio FROM cur_asistencia_tecnica
  WHERE programa = 'ATD' AND year(fecha) BETWEEN {FIRST_YEAR} AND {LAST_YEAR})""",
        f"""a AS (
  SELECT y.anio, count(x.subject)::DOUBLE AS A FROM years y
  LEFT JOIN (SELECT * FROM ({attrs("sy")}) WHERE tamano <> 'grande') x ON x.anio = y.anio GROUP BY y.anio)""",
        f"b AS ({last_reported('total_mipymes_produce', 'B')})",
        select="SELECT anio, A, B, 100 * A / nullif(B, 0) AS valor FROM a JOIN b USING (anio)")

    q["OE2-03"] = f"""WITH sy AS (
  SELECT DISTINCT ruc AS subject, year(fecha_culminacion) AS anio FROM cur_culminacion
  WHERE programa = 'EPYMEX' AND resultado IN ('aprobado', 'desaprobado')
    AND year(fecha_culminacion) BETWEEN {FIRST_YEAR} AND {LAST_YEAR}),
a AS ({attrs("sy")}),
cells AS ({breakdowns("a", "count(*) AS N")})
{final("cells", "N", "N")}"""

    q["OE2-04"] = f"""WITH sy AS (
  SELECT ruc AS subject, min(year(fecha)) AS anio FROM cur_pagina_web
  WHERE year(fecha) >= {FIRST_YEAR} GROUP BY ruc HAVING min(year(fecha)) <= {LAST_YEAR}),
a AS ({attrs("sy")}),
firsts AS ({breakdowns("a", "count(*) AS N")}),
cells AS ({cumulate("firsts", "N")})
{final("cells", "N", "N")}"""

    q["OE2-05"] = total_only(
        f"""firsts AS (
  SELECT ruc, min(year(fecha)) AS anio FROM cur_asistencia_tecnica
  WHERE programa = 'PTD' AND year(fecha) >= {FIRST_YEAR} GROUP BY ruc)""",
        "a AS (SELECT y.anio, count(f.ruc)::DOUBLE AS A FROM years y LEFT JOIN firsts f ON f.anio <= y.anio "
        "GROUP BY y.anio)",
        f"u AS ({last_reported('universo_empresas_programa_transformacion_digital', 'U')})",
        select="SELECT anio, A, U, 100 * A / nullif(U, 0) AS valor FROM a JOIN u USING (anio)")

    q["OE2-06"] = f"""WITH sy AS (
  SELECT ruc AS subject, year(fecha) AS anio, puntaje::DOUBLE AS score FROM cur_diagnostico
  WHERE cuestionario = 'madurez_digital' AND year(fecha) BETWEEN {FIRST_YEAR} AND {LAST_YEAR}
  QUALIFY row_number() OVER (PARTITION BY ruc, year(fecha) ORDER BY fecha DESC, id DESC) = 1),
a AS (SELECT * FROM ({attrs("sy")})
      WHERE exportador IN ('exportadora', 'con_potencial_exportador') AND tamano <> 'grande'),
cells AS ({breakdowns("a", "sum(score) AS S, count(*) AS N")})
{final("cells", "S / nullif(N, 0)", "S", "N")}"""

    for code, variable in (("OE2-07", "programas_implementados"), ("OE2-08", "instrumentos_aprobados")):
        q[code] = total_only(
            f"r AS (SELECT * FROM ({reported(variable)}) WHERE periodo >= {FIRST_YEAR})",
            select="""SELECT anio, N, N AS valor FROM (
  SELECT y.anio, CASE WHEN y.anio >= (SELECT min(periodo) FROM r)
                      THEN (SELECT sum(valor) FROM r WHERE r.periodo <= y.anio) END AS N
  FROM years y)""")

    q["OE2-09"] = f"""WITH d AS (
  SELECT ruc, fecha, CASE nivel WHEN 'inicial' THEN 0 WHEN 'basico' THEN 1 WHEN 'intermedio' THEN 2
                                WHEN 'avanzado' THEN 3 WHEN 'experto' THEN 4 END AS rk
  FROM cur_diagnostico WHERE cuestionario = 'madurez_digital'),
below AS (SELECT ruc, min(fecha) AS first_below FROM d WHERE rk < 3 GROUP BY ruc),
sy AS (
  SELECT d.ruc AS subject, year(min(d.fecha)) AS anio FROM d JOIN below USING (ruc)
  WHERE d.rk >= 3 AND d.fecha > below.first_below GROUP BY d.ruc
  HAVING year(min(d.fecha)) BETWEEN {FIRST_YEAR} AND {LAST_YEAR}),
a AS (SELECT * FROM ({attrs("sy")}) WHERE tamano NOT IN ('mediana', 'grande')),
firsts AS ({breakdowns("a", "count(*) AS N")}),
cells AS ({cumulate("firsts", "N")})
{final("cells", "N", "N")}"""
    return q


def connect(folder: Path, *, spans: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with a view per snapshot table, the current-revision views, years and CIIU (and,
    with ``spans``, the snapshot's spans of company attributes)."""
    from pade.registry.reference import ciiu_divisions, ciiu_section_of

    con = duckdb.connect(config={"threads": os.cpu_count() or 2})
    for kind in RECORD_KINDS:
        con.execute(f"CREATE VIEW rec_{kind} AS SELECT * FROM read_parquet('{folder / f'rec_{kind}.parquet'}')")
        con.execute(CURRENT.format(kind=kind))
    con.execute(f"CREATE VIEW company_version AS SELECT * FROM read_parquet('{folder / 'company_version.parquet'}')")
    if spans:
        con.execute("CREATE VIEW company_attributes AS SELECT * FROM "
                    f"read_parquet('{folder / 'company_attributes.parquet'}')")
    con.execute(f"CREATE TABLE years AS SELECT range::BIGINT AS anio FROM range({FIRST_YEAR}, {LAST_YEAR + 1})")
    ciiu = pd.DataFrame([(d, ciiu_section_of(d)) for d in sorted(ciiu_divisions())], columns=["division", "seccion"])
    con.register("ciiu_frame", ciiu)
    con.execute("CREATE TABLE ciiu AS SELECT * FROM ciiu_frame")
    return con


def compute(folder: Path) -> dict[str, pd.DataFrame]:
    """Every indicator, by code, as a DataFrame straight from DuckDB."""
    con = connect(folder)
    try:
        return {code: con.sql(sql).df() for code, sql in queries().items()}
    finally:
        con.close()
