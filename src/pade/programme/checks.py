"""Structural checks of a programme definition beyond what the models enforce.

Errors make the definition unusable (``pade programme check`` exits 1);
warnings list every *observación* recorded on the document.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from pade.core.i18n import t
from pade.programme.models import Indicador, Programa


class Severity(StrEnum):
    error = "error"
    warning = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One result of a check: where it is and what it says (Spanish)."""

    severity: Severity
    where: str
    message: str
    code: str


def check_programme(p: Programa) -> list[Finding]:
    """Run every structural check, then list the observaciones as warnings."""
    findings: list[Finding] = []
    findings += _duplicates(p)
    findings += _references(p)
    findings += _ids(p)
    for ind in p.indicadores():
        findings += _indicator(p, ind)
        findings += _calculation(p, ind)
    findings += [
        Finding(Severity.warning, where, f"{obs.id} [{obs.categoria}] {obs.descripcion}", "observacion")
        for where, obs in p.observaciones_todas()
    ]
    return findings


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.error]


def _dupes(kind: str, values: list[str]) -> list[Finding]:
    return [
        Finding(Severity.error, value, t("duplicate {kind} id {id} ({n} times); ids must be unique",
                                         kind=kind, id=value, n=n), "duplicate_id")
        for value, n in Counter(values).items() if n > 1
    ]


def _duplicates(p: Programa) -> list[Finding]:
    out: list[Finding] = []
    out += _dupes("catalizador", [c.id for c in p.catalizadores])
    out += _dupes("eje", [e.id for e in p.ejes])
    out += _dupes("objetivo", [o.id for o in p.objetivos])
    out += _dupes("acción", [a.id for a in p.acciones()])
    out += _dupes("actividad", [a.id for a in p.actividades()])
    out += _dupes("indicador", [i.id for i in p.indicadores()])
    out += _dupes("código de indicador", [i.codigo for i in p.indicadores()])
    out += _dupes("entidad", [e.siglas for e in p.entidades])
    out += _dupes("observación", [o.id for _, o in p.observaciones_todas()])
    out += _dupes("definición", [d.numero for d in p.definiciones])
    out += _dupes("variable reportada", [v.codigo for v in p.variables_reportadas])
    return out


def _references(p: Programa) -> list[Finding]:
    out: list[Finding] = []
    catalysts = {c.id for c in p.catalizadores}
    axes = {e.id for e in p.ejes}
    objectives = {o.id for o in p.objetivos}
    for oe in p.objetivos:
        if oe.eje not in axes:
            out.append(Finding(Severity.error, oe.id, t("unknown axis {value}; known: {known}",
                                                       value=oe.eje, known=", ".join(sorted(axes))), "unknown_axis"))
    for act in p.actividades():
        for cat in act.catalizadores:
            if cat not in catalysts:
                out.append(Finding(Severity.error, act.id,
                                   t("unknown catalyst {value}; known: {known}",
                                     value=cat, known=", ".join(sorted(catalysts))), "unknown_catalyst"))
    for fase in p.fases:
        for oe_id in fase.objetivos:
            if oe_id not in objectives:
                out.append(Finding(Severity.error, f"fase {fase.numero}",
                                   t("unknown objective {value}; known: {known}",
                                     value=oe_id, known=", ".join(sorted(objectives))), "unknown_objective"))
    codes = {i.codigo for i in p.indicadores()}
    entities = {e.siglas for e in p.entidades}
    for var in p.variables_reportadas:
        for ref in var.indicadores:
            if ref not in codes:
                out.append(Finding(Severity.error, f"variable {var.codigo}",
                                   t("unknown indicator {value}; known: {known}", value=ref,
                                     known=", ".join(sorted(codes))), "unknown_indicator"))
        for ent in var.entidades:
            if ent not in entities:
                out.append(Finding(Severity.error, f"variable {var.codigo}",
                                   t("unknown entity {value}; known: {known}", value=ent,
                                     known=", ".join(sorted(entities))), "unknown_entity"))
    for lin in p.lineamientos_pntd:
        if lin.eje not in axes:
            out.append(Finding(Severity.error, f"lineamiento {lin.codigo or lin.texto[:30]}",
                               t("unknown axis {value}; known: {known}",
                                 value=lin.eje, known=", ".join(sorted(axes))), "unknown_axis"))
    return out


def _ids(p: Programa) -> list[Finding]:
    """Ids must nest: an activity id starts with its action id, and so on."""
    out: list[Finding] = []
    for oe in p.objetivos:
        for ae in oe.acciones:
            if not ae.id.startswith(f"{oe.id}.AE"):
                out.append(Finding(Severity.error, ae.id, t("id must start with {prefix}", prefix=f"{oe.id}.AE"),
                                   "id_nesting"))
            for act in ae.actividades:
                expected = f"{ae.id}.A{act.numero:02d}"
                if act.id != expected:
                    out.append(Finding(Severity.error, act.id, t("id must be {expected} (action id and activity "
                                                                 "number)", expected=expected), "id_nesting"))
                for n, ind in enumerate(act.indicadores, start=1):
                    if ind.id != f"{act.id}.I{n}":
                        out.append(Finding(Severity.error, ind.id, t("id must be {expected} (activity id and "
                                                                     "position)", expected=f"{act.id}.I{n}"),
                                           "id_nesting"))
    return out


def _indicator(p: Programa, ind: Indicador) -> list[Finding]:
    out: list[Finding] = []
    h = p.horizonte
    defined = {v.simbolo for v in ind.formula.variables}
    used = ind.formula.simbolos()
    for sym in used:
        if sym not in defined:
            out.append(Finding(Severity.error, ind.id,
                               t("indicator {id}: the variable {var} is not defined (defined: {known})",
                                 id=ind.codigo, var=sym, known=", ".join(sorted(defined)) or "ninguna"),
                               "undefined_variable"))
    for sym in sorted(defined - set(used)):
        out.append(Finding(Severity.error, ind.id,
                           t("indicator {id}: the variable {var} is defined but not used in the formula "
                             "{formula}", id=ind.codigo, var=sym, formula=ind.formula.expresion or "(sin fórmula)"),
                           "unused_variable"))
    years = [m.anio for m in ind.metas]
    for year in years:
        if not h.anio_inicio <= year <= h.anio_fin:
            out.append(Finding(Severity.error, ind.id,
                               t("indicator {id}: target year {year} is outside the programme horizon "
                                 "{start}–{end}", id=ind.codigo, year=year, start=h.anio_inicio, end=h.anio_fin),
                               "target_out_of_horizon"))
    for year, n in Counter(years).items():
        if n > 1:
            out.append(Finding(Severity.error, ind.id, t("indicator {id}: target year {year} appears {n} times",
                                                         id=ind.codigo, year=year, n=n), "duplicate_target"))
    if ind.linea_base.anio is not None and ind.linea_base.anio > h.anio_fin:
        out.append(Finding(Severity.error, ind.id, t("indicator {id}: baseline year {year} is after the horizon end "
                                                     "{end}", id=ind.codigo, year=ind.linea_base.anio,
                                                     end=h.anio_fin), "baseline_out_of_horizon"))
    entities = {e.siglas: e for e in p.entidades}
    for r in ind.responsables:
        ent = entities.get(r.entidad)
        if ent is None:
            out.append(Finding(Severity.error, ind.id,
                               t("indicator {id}: unknown responsible entity {value}; known: {known}",
                                 id=ind.codigo, value=r.entidad, known=", ".join(sorted(entities))),
                               "unknown_entity"))
        elif r.subunidad is not None and r.subunidad not in {s.siglas for s in ent.subunidades}:
            out.append(Finding(Severity.error, ind.id,
                               t("indicator {id}: {entity} has no sub-unit {value}; known: {known}",
                                 id=ind.codigo, entity=r.entidad, value=r.subunidad,
                                 known=", ".join(s.siglas for s in ent.subunidades) or "ninguna"),
                               "unknown_subunit"))
    return out


COMPANY_ATTRIBUTES = ("departamento", "tamano", "seccion_ciiu", "exportador", "sexo_titular")


def _calculation(p: Programa, ind: Indicador) -> list[Finding]:
    """Measures must name real record kinds, fields and reported variables."""
    from pade.records.kinds import KINDS_BY_NAME

    if ind.calculo is None:
        return [Finding(Severity.error, ind.id, t("indicator {id}: no calculation is declared (calculo)",
                                                  id=ind.codigo), "no_calculation")]
    out: list[Finding] = []
    reported = {v.codigo for v in p.variables_reportadas}

    def bad(symbol: str, what: str, value: str, known: list[str]) -> Finding:
        return Finding(Severity.error, ind.id, t("indicator {id}, measure {symbol}: unknown {what} {value}; known: "
                                                 "{known}", id=ind.codigo, symbol=symbol, what=what, value=value,
                                                 known=", ".join(known)), "unknown_reference")

    for symbol, m in ind.calculo.medidas.items():
        if m.reportado is not None:
            if m.reportado not in reported:
                out.append(bad(symbol, "variable reportada", m.reportado, sorted(reported)))
            continue
        kind = KINDS_BY_NAME.get(m.registro or "")
        if kind is None:
            out.append(bad(symbol, "tipo de registro", m.registro or "", list(KINDS_BY_NAME)))
            continue
        fields = [*kind.field_names]
        named = [f.campo for f in m.filtros] + [x for x in (m.campo,) if x]
        named += [x.campo for x in (m.al_menos, m.transicion) if x is not None]
        out += [bad(symbol, "campo", name, fields) for name in named if name not in fields]
        out += [bad(symbol, "atributo de empresa", f.campo, list(COMPANY_ATTRIBUTES))
                for f in m.empresa if f.campo not in COMPANY_ATTRIBUTES]
        if m.con_registro_en is not None and m.con_registro_en not in KINDS_BY_NAME:
            out.append(bad(symbol, "tipo de registro", m.con_registro_en, list(KINDS_BY_NAME)))
        timing = m.acumulacion or ind.acumulacion
        if timing.value == "stock" and kind.end_field is None:
            out.append(Finding(Severity.error, ind.id, t("indicator {id}, measure {symbol}: a stock needs a record "
                                                         "kind with an end date; {kind} has none", id=ind.codigo,
                                                         symbol=symbol, kind=kind.name), "stock_without_end"))
    return out
