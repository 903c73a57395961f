"""Statistical disclosure control of published indicator tables.

Every public output (open data package, Open SDG) is built from :func:`protect`, never from the raw
values. The rules are argued in ``docs/decisions/0009-open-data-and-disclosure.md``:

* **Units.** A cell *counts units* through the measures that count distinct companies or markets
  (``contar_distintos`` over a record kind). For a ratio both counts matter (numerator and denominator);
  a sum or mean over records is covered by a distinct count over the same records, else every non-zero
  cell is sensitive (fail closed). Indicators whose measures are all *reported* values (programmes,
  instruments, studies, actions) are aggregates of public activity and are not suppressed.
* **Primary suppression.** A cell is sensitive when one of its unit counts is between 1 and ``k − 1``.
  Zero is not disclosive. For cumulative and stock counts, the change against the same cell's last
  published year is a count of units too (new units, or net entries) and must not be 1 … ``k − 1``.
* **Complementary suppression.** Within each indicator and year, every linear relation of the published
  table (total = Σ breakdown, department = Σ sizes of the department × size table, …) is protected: an
  iterative pass hides the smallest non-zero sibling of a lone hidden cell (or the parent), then an exact
  check (null space of the relations restricted to the hidden cells) hides more cells until no hidden
  cell is determined by the published ones. Indicators that share an identical unit measure hide the
  union of their patterns.

Suppressed cells stay in the table, with ``estado`` ``suprimido`` and their numbers blank. One module
(slightly over the usual size) because the unit rules, the algorithm and the guard on written files are
reviewed together whenever the disclosure policy changes.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from pade.core.errors import ConfigError, NotFound, PadeError
from pade.core.i18n import t
from pade.indicators.compile import DIMENSIONS, GROUPINGS
from pade.indicators.service import latest_run, run_values
from pade.indicators.store import IndicatorRun
from pade.programme.models import Acumulacion, Agregacion, Indicador, Medida, Programa
from pade.programme.store import ProgrammeVersion, current_programme_version

log = logging.getLogger(__name__)

DEFAULT_K = 5
CellKey = tuple[str | None, ...]  # (desagregacion, *DIMENSIONS), None where a dimension does not apply
_TOL = 1e-9


class Estado(StrEnum):
    """Publication status of a cell."""

    publicado = "publicado"
    suprimido = "suprimido"
    sin_dato = "sin_dato"  # not suppressed, but there is no value (e.g. a ratio over zero)


class Supresion(StrEnum):
    """Why a cell is hidden. Internal: never published (it would tell which cells are small)."""

    primaria = "primaria"
    complementaria = "complementaria"


class DisclosureError(PadeError, RuntimeError):
    """A public output would expose a unit or a person."""

    http_status = 500


# -- the generic algorithm on one table -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Relation:
    """``parent = Σ children`` over cell indices of one table."""

    parent: int
    children: tuple[int, ...]

    def members(self) -> tuple[int, ...]:
        return (self.parent, *self.children)


def relations_for(keys: Sequence[CellKey]) -> list[Relation]:
    """The additive relations among the cells of one indicator-year table.

    For every breakdown with dimensions D and every dimension d in D, the cells of D sharing their
    values on D − {d} add up to the cell of the breakdown D − {d} (the total when D has one dimension):
    total = Σ departments, total = Σ sizes, size s = Σ_d (d, s), department d = Σ_s (d, s), …
    Cells that are absent are zeros everybody knows; a relation whose parent is absent is skipped.
    """
    by_dims = {dims: name for name, dims in GROUPINGS.items()}
    index = {key: i for i, key in enumerate(keys)}
    position = {d: 1 + i for i, d in enumerate(DIMENSIONS)}
    out: list[Relation] = []
    for name, dims in GROUPINGS.items():
        cells = [i for i, key in enumerate(keys) if key[0] == name]
        for dropped in dims:
            rest = tuple(d for d in dims if d != dropped)
            parent_grouping = by_dims.get(rest)
            if parent_grouping is None or not cells:
                continue
            families: dict[CellKey, list[int]] = {}
            for i in cells:
                parent_key = (parent_grouping, *[keys[i][position[d]] if d in rest else None for d in DIMENSIONS])
                families.setdefault(parent_key, []).append(i)
            for parent_key, children in sorted(families.items(), key=lambda kv: kv[1][0]):
                if parent_key in index:
                    out.append(Relation(index[parent_key], tuple(children)))
    return out


def derivable(relations: Sequence[Relation], hidden: Collection[int]) -> list[int]:
    """Hidden cells whose value follows from the published cells through ``relations``.

    A hidden cell is determined exactly when every solution of the relations restricted to the hidden
    cells (published cells are constants) gives it the same value, i.e. when the null space of the
    restricted system is zero on its coordinate.
    """
    order = sorted(hidden)
    if not order:
        return []
    column = {cell: j for j, cell in enumerate(order)}
    rows = []
    for rel in relations:
        row = np.zeros(len(order))
        for cell, sign in ((rel.parent, 1.0), *((c, -1.0) for c in rel.children)):
            if cell in column:
                row[column[cell]] += sign
        if row.any():
            rows.append(row)
    if not rows:
        return []
    matrix = np.vstack(rows)
    _, singular, vt = np.linalg.svd(matrix)
    rank = int((singular > _TOL * max(matrix.shape) * max(singular.max(), 1.0)).sum())
    null = vt[rank:]
    if null.shape[0] == 0:
        return order
    norms = np.linalg.norm(null, axis=0)
    return [cell for cell, norm in zip(order, norms, strict=True) if norm < 1e-7]


def complementary(n_cells: int, relations: Sequence[Relation], cost: Sequence[float],
                  primary: Collection[int]) -> set[int]:
    """The hidden cells: ``primary`` plus the complementary cells that protect them.

    Deterministic. An iterative pass runs to a fixed point (a relation with exactly one hidden cell hides
    its smallest non-zero published child, or its parent when there is none); then the exact check
    (:func:`derivable`) hides one more cell next to the first exposed cell, and both repeat until no hidden
    cell can be derived. ``cost`` (the cell's unit count) decides "smallest"; ties go to the lower index.
    """
    hidden = set(primary)
    while True:
        _close(relations, cost, hidden)
        exposed = derivable(relations, hidden)
        if not exposed:
            return hidden
        hidden.add(_next_to(exposed[0], n_cells, relations, cost, hidden))


def _close(relations: Sequence[Relation], cost: Sequence[float], hidden: set[int]) -> None:
    changed = bool(hidden)
    while changed:
        changed = False
        for rel in relations:
            if sum(1 for m in rel.members() if m in hidden) != 1:
                continue
            candidates = [c for c in rel.children if c not in hidden and cost[c] > 0]
            if candidates:
                hidden.add(min(candidates, key=lambda c: (cost[c], c)))
            elif rel.parent not in hidden:
                hidden.add(rel.parent)
            else:
                continue  # a lone hidden parent over published zeros: the exact check handles it
            changed = True


def _next_to(cell: int, n_cells: int, relations: Sequence[Relation], cost: Sequence[float],
             hidden: set[int]) -> int:
    near = {m for rel in relations if cell in rel.members() for m in rel.members()} - hidden
    for pool in ([c for c in near if cost[c] > 0], [c for c in range(n_cells) if c not in hidden and cost[c] > 0],
                 sorted(near)):
        if pool:
            return min(pool, key=lambda c: (cost[c], c))
    # Unreachable for additive tables: once every non-zero cell is hidden nothing can be derived.
    raise DisclosureError(t("disclosure control: cell {cell} cannot be protected", cell=cell))


# -- how an indicator counts units ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitRule:
    """How the cells of one indicator count units (see the module docstring).

    ``counts``: measures counting distinct units; ``uncovered``: sums/means/record counts without such a
    count (any non-zero value is sensitive); ``cumulative``: counts whose yearly change is protected too
    (``acumulado`` and ``stock``); ``monotone``: the ``acumulado`` ones, which never decrease, so a value
    published again unchanged after hidden years would reveal them; ``signatures``: one per unit measure,
    equal across indicators that compute the very same thing.
    """

    protected: bool
    counts: tuple[str, ...] = ()
    uncovered: tuple[str, ...] = ()
    cumulative: tuple[str, ...] = ()
    monotone: tuple[str, ...] = ()
    signatures: tuple[str, ...] = ()


_SAME_UNITS = {"registro", "filtros", "empresa", "al_menos", "con_registro_en", "transicion", "desde"}


def _timing(ind: Indicador, m: Medida) -> Acumulacion:
    return m.acumulacion or ind.acumulacion


def unit_rule(p: Programa, ind: Indicador) -> UnitRule:
    """The :class:`UnitRule` of ``ind``. Reported-only indicators (and those without a calculation) are
    not protected: they count public activity (programmes, instruments, studies, actions), not units."""
    if ind.calculo is None:
        return UnitRule(protected=False)
    recorded = {s: m for s, m in ind.calculo.medidas.items() if m.registro is not None}
    if not recorded:
        return UnitRule(protected=False)
    counts = [s for s, m in recorded.items() if m.agregacion is Agregacion.contar_distintos]

    def units(m: Medida) -> tuple[str, str]:
        return json.dumps(m.model_dump(mode="json", include=_SAME_UNITS), sort_keys=True), _timing(ind, m).value

    uncovered = [s for s, m in recorded.items() if s not in counts
                 and not any(units(recorded[c]) == units(m) for c in counts)]
    cumulative = [s for s in counts if _timing(ind, recorded[s]) in (Acumulacion.acumulado, Acumulacion.stock)]
    monotone = [s for s in cumulative if _timing(ind, recorded[s]) is Acumulacion.acumulado]

    def signature(m: Medida) -> str:
        first = m.desde or p.horizonte.anio_linea_base
        return json.dumps([m.model_dump(mode="json", exclude={"descripcion"}), _timing(ind, m).value, first],
                          sort_keys=True)

    return UnitRule(True, tuple(counts), tuple(uncovered), tuple(cumulative), tuple(monotone),
                    tuple(signature(recorded[s]) for s in (*counts, *uncovered)))


def _linked_groups(rules: dict[str, UnitRule]) -> list[tuple[str, ...]]:
    """Indicators that share a unit measure, grouped (union-find); in programme order."""
    parent = {code: code for code in rules}

    def root(code: str) -> str:
        while parent[code] != code:
            parent[code] = parent[parent[code]]
            code = parent[code]
        return code

    owner: dict[str, str] = {}
    for code, rule in rules.items():
        for sig in rule.signatures:
            if sig in owner:
                parent[root(code)] = root(owner[sig])
            else:
                owner[sig] = code
    groups: dict[str, list[str]] = {}
    for code in rules:
        groups.setdefault(root(code), []).append(code)
    return [tuple(g) for g in groups.values()]


# -- protecting the values of a run -------------------------------------------------------------------


def cell_key(row: pd.Series) -> CellKey:
    return (str(row["desagregacion"]), *[_text(row[d]) for d in DIMENSIONS])


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _number(value: Any) -> float:
    return 0.0 if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


@dataclass
class _Table:
    """One indicator-year: its cells, their unit counts and relations."""

    rows: list[int]  # positions in the values frame
    keys: list[CellKey]
    counts: list[dict[str, float]]
    relations: list[Relation]


def _table(values: pd.DataFrame, rows: list[int], rule: UnitRule) -> _Table:
    keys = [cell_key(values.iloc[r]) for r in rows]
    counts = []
    for r in rows:
        measures = values.iloc[r]["medidas"] or {}
        counts.append({s: _number(measures.get(s)) for s in (*rule.counts, *rule.uncovered)})
    return _Table(rows, keys, counts, relations_for(keys))


@dataclass
class _History:
    """What one indicator has published so far, cell by cell (for the rules on year differences)."""

    last: dict[CellKey, dict[str, float]]  # unit counts of the cell's last published year (absent: zeros)
    gap: set[CellKey]  # cells hidden since their last publication


def _primary(table: _Table, rule: UnitRule, k: int, history: _History) -> set[int]:
    sensitive = set()
    for i, (key, counts) in enumerate(zip(table.keys, table.counts, strict=True)):
        small = any(0 < counts[s] < k for s in rule.counts)
        magnitude = any(counts[s] != 0 for s in rule.uncovered)
        before = history.last.get(key, {})
        change = any(0 < abs(counts[s] - before.get(s, 0.0)) < k for s in rule.cumulative)
        # V(last) <= V(hidden years) <= V(now): an unchanged cumulative count would pin the hidden years
        squeeze = key in history.gap and any(counts[s] - before.get(s, 0.0) < k for s in rule.monotone)
        if small or magnitude or change or squeeze:
            sensitive.add(i)
    return sensitive


def _cost(table: _Table, rule: UnitRule) -> list[float]:
    return [max([counts[s] for s in rule.counts] + [abs(counts[s]) for s in rule.uncovered] + [0.0])
            for counts in table.counts]


def protect(values: pd.DataFrame, programme: Programa, *, k: int = DEFAULT_K) -> pd.DataFrame:
    """The values of a run as they may be published.

    Returns a copy of ``values`` (as :func:`pade.indicators.service.run_values` gives them) with
    ``estado`` (:class:`Estado`) and ``supresion`` (:class:`Supresion`, internal, never published);
    suppressed cells keep their row, with ``numerador``, ``denominador`` and ``valor`` blank and
    ``medidas`` empty.

    Raises:
        ConfigError: ``k`` is below 2.

    Example:
        >>> from pade.programme.loader import shipped_programme
        >>> rows = [{"codigo": "OE2-04", "anio": 2024, "desagregacion": "total", "departamento": None,
        ...          "tamano": None, "seccion_ciiu": None, "exportador": None, "sexo_titular": None,
        ...          "numerador": 3.0, "denominador": None, "valor": 3.0, "medidas": {"N": 3.0}}]
        >>> protect(pd.DataFrame(rows), shipped_programme())["estado"].tolist()
        ['suprimido']
    """
    if k < 2:
        raise ConfigError(t("disclosure threshold k={k} is too low: use 2 or more (PADE_DISCLOSURE_K)", k=k))
    out = values.copy().reset_index(drop=True)
    out["supresion"] = None
    rules = {ind.codigo: unit_rule(programme, ind) for ind in programme.indicadores()}
    unknown = sorted(set(out["codigo"]) - set(rules))
    if unknown:
        raise NotFound(t("indicators not in the programme: {codes}", codes=", ".join(unknown)))
    for group in _linked_groups(rules):
        if rules[group[0]].protected:
            _protect_group(out, group, rules, k)
    hidden = out["supresion"].notna()
    for col in ("numerador", "denominador", "valor"):
        out[col] = out[col].astype("float64").where(~hidden)
    out["medidas"] = [{} if h else m for h, m in zip(hidden, out["medidas"], strict=True)]
    out["estado"] = [Estado.suprimido.value if h else Estado.sin_dato.value if pd.isna(v) else Estado.publicado.value
                     for h, v in zip(hidden, out["valor"], strict=True)]
    log.info("disclosure k=%s cells=%s suppressed=%s", k, len(out), int(hidden.sum()))
    return out


def _protect_group(out: pd.DataFrame, group: tuple[str, ...], rules: dict[str, UnitRule], k: int) -> None:
    positions = {code: [int(i) for i in np.flatnonzero(out["codigo"].to_numpy() == code)] for code in group}
    history = {code: _History({}, set()) for code in group}
    years = sorted({int(out.at[i, "anio"]) for rows in positions.values() for i in rows})
    for year in years:
        tables = {code: _table(out, [i for i in rows if int(out.at[i, "anio"]) == year], rules[code])
                  for code, rows in positions.items()}
        primary = {code: _primary(tables[code], rules[code], k, history[code]) for code in group}
        forced: set[CellKey] = set()  # cells hidden in a linked indicator: the union of safe patterns is safe
        while True:
            hidden: dict[str, set[int]] = {}
            for code, table in tables.items():
                extra = {i for i, key in enumerate(table.keys) if key in forced}
                hidden[code] = complementary(len(table.keys), table.relations, _cost(table, rules[code]),
                                             primary[code] | extra)
            union = {tables[c].keys[i] for c in group for i in hidden[c]}
            if len(group) == 1 or union <= forced:
                break
            forced |= union
        for code, table in tables.items():
            _record(out, table, hidden[code], primary[code], history[code])


def _record(out: pd.DataFrame, table: _Table, hidden: set[int], primary: set[int], history: _History) -> None:
    seen = set()
    for i, (row, key) in enumerate(zip(table.rows, table.keys, strict=True)):
        seen.add(key)
        if i in hidden:
            reason = Supresion.primaria if i in primary else Supresion.complementaria
            out.at[row, "supresion"] = reason.value
            history.gap.add(key)
        else:
            history.last[key] = table.counts[i]
            history.gap.discard(key)
    for key in set(history.last) - seen:  # an absent cell is a zero everybody knows
        history.last[key] = dict.fromkeys(history.last[key], 0.0)
        history.gap.discard(key)


# -- the run to publish -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProtectedRun:
    """A run with its programme and its values after disclosure control."""

    run: IndicatorRun
    programme: Programa
    programme_hash: str
    values: pd.DataFrame  # protect() output
    k: int


def protected_run(session: Session, *, run_id: int | None = None, k: int = DEFAULT_K) -> ProtectedRun:
    """Load a run (default: the latest), the programme version it was computed with, and protect its values.

    Raises:
        NotFound: there is no such run, or no programme.
    """
    run = session.get(IndicatorRun, run_id) if run_id is not None else latest_run(session)
    if run is None:
        raise NotFound(t("No indicator run yet. Run `pade compute`.") if run_id is None
                       else t("indicator run {run} does not exist", run=run_id))
    row = session.scalar(select(ProgrammeVersion).where(ProgrammeVersion.content_hash == run.programme_hash))
    if row is not None:
        programme = Programa.model_validate(row.definition)
    else:
        stored = current_programme_version(session)
        if stored is None:
            raise NotFound(t("No programme is loaded. Run `pade programme load`."))
        programme = stored.programme
    values = protect(run_values(session, run.id), programme, k=k)
    return ProtectedRun(run, programme, run.programme_hash, values, k)


# -- personal data never leaves -------------------------------------------------------------------------

# A RUC of a natural person: 11 digits starting with 10, not part of a longer token or a decimal.
PERSONAL_RUC = re.compile(r"(?<![0-9A-Za-z.])10\d{9}(?![0-9A-Za-z])")


def _lines_with_ruc(text: str) -> Iterator[int]:
    for n, line in enumerate(text.splitlines(), start=1):
        if PERSONAL_RUC.search(line):
            yield n


def personal_rucs(folder: Path) -> Iterator[tuple[Path, int]]:
    """``(file, line)`` of every personal-RUC-like number in the files under ``folder`` (the number itself
    is not returned, so it cannot end up in a log)."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        for n in _lines_with_ruc(path.read_text(encoding="utf-8", errors="replace")):
            yield path, n


def assert_no_personal_data(files: Mapping[str, str]) -> None:
    """Fail closed, before anything is written, when a file to publish contains something that looks like
    the RUC of a natural person (``files``: relative path → text).

    Raises:
        DisclosureError: naming the file and line.
    """
    for name, text in files.items():
        for line in _lines_with_ruc(text):
            raise DisclosureError(t("{file}, line {line}: a number that looks like the RUC of a natural person; "
                                    "nothing was published", file=name, line=line))


def write_files(out_dir: Path, files: Mapping[str, str]) -> None:
    """Check ``files`` (:func:`assert_no_personal_data`), then write them under ``out_dir`` as UTF-8."""
    assert_no_personal_data(files)
    for name, text in files.items():
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")


def format_number(value: Any) -> str:
    """A number as published: blank when missing, no trailing ``.0``, shortest exact decimal otherwise.

    Example:
        >>> [format_number(x) for x in (None, 3.0, 7.5, float("nan"))]
        ['', '3', '7.5', '']
    """
    if value is None:
        return ""
    x = float(value)
    if math.isnan(x) or math.isinf(x):
        return ""
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)
