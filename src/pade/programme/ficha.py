"""The CEPLAN-style indicator sheet (*ficha técnica*).

:func:`ficha_rows` gives the sheet as ordered (label, value) pairs, so the
Markdown here, and the PDF and spreadsheet renderings later, share one content.
Fields the document does not print are written by PADE and marked as such.
"""

from __future__ import annotations

from pade.core.i18n import t
from pade.programme.models import Acumulacion, Disponibilidad, Indicador, Programa, Sentido, Unidad

_PADE_MARK = "PADE"


def unit_label(unit: Unidad) -> str:
    return {Unidad.numero: t("number"), Unidad.porcentaje: t("percentage")}[unit]


def direction_label(direction: Sentido) -> str:
    return {Sentido.ascendente: t("ascending"), Sentido.descendente: t("descending"),
            Sentido.constante: t("constant (keep the level)")}[direction]


def accumulation_label(acc: Acumulacion) -> str:
    return {Acumulacion.anual: t("per year"), Acumulacion.acumulado: t("cumulative since the programme start"),
            Acumulacion.stock: t("stock at the end of the period")}[acc]


def _baseline(ind: Indicador) -> str:
    lb = ind.linea_base
    if lb.disponibilidad is Disponibilidad.valor:
        year = t("year {year}", year=lb.anio) if lb.anio else t("year not printed")
        return f"{lb.impreso} ({year})"
    return t("{printed} (not available in the document)", printed=lb.impreso)


def ficha_rows(p: Programa, ind: Indicador) -> list[tuple[str, str]]:
    """The sheet of ``ind`` as (label, value) rows, in CEPLAN's order."""
    act = p.actividad_de(ind.id)
    accion = next(ae for ae in p.acciones() if any(a.id == act.id for a in ae.actividades))
    objetivo = next(oe for oe in p.objetivos if any(ae.id == accion.id for ae in oe.acciones))
    pade_note = t("(written by {who}; the document does not define it)", who=_PADE_MARK)
    variables = "; ".join(f"{v.simbolo}: {v.significado}" for v in ind.formula.variables)
    method = ind.formula.impreso + (f" — {ind.formula.nota}" if ind.formula.nota else "")
    responsables = ", ".join(r.entidad + (f" ({r.subunidad})" if r.subunidad else "") for r in ind.responsables)
    metas = "; ".join(f"{m.anio}: {m.impreso}" for m in ind.metas) or t("no targets printed")
    obs = " | ".join(f"{o.id}: {o.descripcion}" + (f" → {o.interpretacion}" if o.interpretacion else "")
                     for o in [*act.observaciones, *ind.observaciones]) or t("none")
    return [
        (t("Strategic objective"), f"{objetivo.id} – {objetivo.enunciado}"),
        (t("Strategic action"), f"{accion.numero} – {accion.nombre}"),
        (t("Activity"), f"{act.numero_impreso or act.numero} – {act.actividad}"),
        (t("Indicator code"), f"{ind.codigo} ({ind.id})"),
        (t("Indicator name"), ind.nombre),
        (t("Justification"), f"{ind.ficha.justificacion} {pade_note}"),
        (t("Responsible for the indicator"), f"{ind.responsable_impreso} [{responsables}]"),
        (t("Limitations and assumptions"), f"{ind.ficha.limitaciones} {pade_note}"),
        (t("Calculation method"), method + (f" ({variables})" if variables else "")),
        (t("Measurement parameter"), f"{ind.ficha.parametro_medicion} {pade_note}"),
        (t("Unit"), unit_label(ind.unidad)),
        (t("Expected direction"), direction_label(ind.sentido_esperado)),
        (t("Accumulation"), accumulation_label(ind.acumulacion)),
        (t("Data source"), f"{ind.ficha.fuente_datos} {pade_note}"),
        (t("Database"), f"{ind.ficha.base_datos} {pade_note}"),
        (t("Baseline"), _baseline(ind)),
        (t("Expected values"), metas),
        (t("Observations"), obs),
    ]


def ficha_markdown(p: Programa, ind: Indicador) -> str:
    """The sheet as a Markdown document."""
    title = t("Indicator sheet {code}", code=ind.codigo)
    lines = [f"# {title}", "", f"*{p.metadatos.titulo} — {t('version')} {p.metadatos.version}*", "",
             f"| {t('Field')} | {t('Value')} |", "|---|---|"]
    lines += [f"| {label} | {value.replace('|', '/').replace(chr(10), ' ')} |" for label, value in ficha_rows(p, ind)]
    return "\n".join(lines) + "\n"
