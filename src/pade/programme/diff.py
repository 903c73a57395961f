"""What a revision of the programme changed.

The programme is revised every two years; each stored result names the
version that produced it, so analysts need to see exactly what moved between
two versions: objectives, actions, activities, indicators and their targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from pade.programme.models import Indicador, Programa


class ChangeKind(StrEnum):
    added = "añadido"
    removed = "eliminado"
    changed = "modificado"


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    element: str  # "indicador", "actividad", ...
    ident: str
    field: str | None = None
    before: str | None = None
    after: str | None = None


# Fields compared one by one; nested lists are compared as a whole.
_INDICATOR_FIELDS = ("nombre", "formula", "linea_base", "responsables", "unidad", "sentido_esperado", "acumulacion",
                     "codigo")


def diff_programmes(a: Programa, b: Programa) -> list[Change]:
    """Changes from ``a`` to ``b``, ordered by element kind and id."""
    changes: list[Change] = []
    if a.metadatos.version != b.metadatos.version:
        changes.append(Change(ChangeKind.changed, "programa", "metadatos", "version",
                              a.metadatos.version, b.metadatos.version))
    changes += _compare("objetivo", {o.id: o for o in a.objetivos}, {o.id: o for o in b.objetivos},
                        ("nombre", "enunciado", "eje"))
    changes += _compare("acción", {x.id: x for x in a.acciones()}, {x.id: x for x in b.acciones()}, ("nombre",))
    changes += _compare("actividad", {x.id: x for x in a.actividades()}, {x.id: x for x in b.actividades()},
                        ("actividad", "necesidad", "publico_objetivo", "catalizadores"))
    inds_a = {x.id: x for x in a.indicadores()}
    inds_b = {x.id: x for x in b.indicadores()}
    changes += _compare("indicador", inds_a, inds_b, _INDICATOR_FIELDS)
    for ident in sorted(inds_a.keys() & inds_b.keys()):
        changes += _targets(ident, inds_a[ident], inds_b[ident])
    return changes


def _show(value: Any) -> str:
    if isinstance(value, BaseModel):
        return str(value.model_dump(mode="json"))
    if isinstance(value, list):
        return str([_show(v) for v in value])
    return str(value)


def _compare(element: str, a: dict[str, Any], b: dict[str, Any], fields: tuple[str, ...]) -> list[Change]:
    out = [Change(ChangeKind.removed, element, k) for k in sorted(a.keys() - b.keys())]
    out += [Change(ChangeKind.added, element, k) for k in sorted(b.keys() - a.keys())]
    for k in sorted(a.keys() & b.keys()):
        for f in fields:
            va, vb = getattr(a[k], f), getattr(b[k], f)
            if va != vb:
                out.append(Change(ChangeKind.changed, element, k, f, _show(va), _show(vb)))
    return out


def _targets(ident: str, a: Indicador, b: Indicador) -> list[Change]:
    ma = {m.anio: m for m in a.metas}
    mb = {m.anio: m for m in b.metas}
    out: list[Change] = []
    for year in sorted(ma.keys() | mb.keys()):
        before, after = ma.get(year), mb.get(year)
        if before == after:
            continue
        kind = ChangeKind.changed if before and after else (ChangeKind.added if after else ChangeKind.removed)
        out.append(Change(kind, "meta", ident, str(year), before.impreso if before else None,
                          after.impreso if after else None))
    return out
