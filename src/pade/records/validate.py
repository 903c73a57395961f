"""Validate a raw table against a record kind, every problem in one pass, column-wise.

Each check works on whole columns (pyarrow / numpy), so a million rows are
checked in about a second; only the rows that have a problem become
:class:`~pade.records.issues.Issue` objects. Errors send a row to quarantine;
warnings keep it.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pade.records.issues import Issue, make_issue
from pade.records.kinds import Check, FieldSpec, FieldType, RecordKind
from pade.records.readers import RawTable
from pade.registry import reference, ruc

SEP = "\x1f"  # joins key parts; cannot appear in a cell read from CSV/XLSX text


@dataclass(frozen=True)
class ValidationContext:
    """What validation needs to know about the world (reference data and the store)."""

    today: date
    programmes: frozenset[str] = frozenset()
    courses: frozenset[tuple[str, str]] = frozenset()
    markets: frozenset[str] = frozenset()
    entities: frozenset[str] = frozenset()
    reported_variables: frozenset[str] = frozenset()
    enrolments: frozenset[tuple[str, str, str]] = frozenset()  # (ruc, programa, curso or "")


@dataclass
class Validated:
    """The outcome: typed columns of the valid rows, and the issues of the others."""

    kind: RecordKind
    raw: RawTable
    valid: np.ndarray  # bool mask over raw rows
    values: dict[str, pa.Array]  # typed, full length (use ``valid`` to select)
    issues: dict[int, list[Issue]] = field(default_factory=dict)  # raw index -> issues
    file_issues: list[Issue] = field(default_factory=list)

    @property
    def total(self) -> int:
        return int(self.raw.data.num_rows)

    def counts(self) -> Counter[str]:
        c: Counter[str] = Counter(i.code for issues in self.issues.values() for i in issues)
        c.update(i.code for i in self.file_issues)
        return c

    def valid_table(self) -> pa.Table:
        mask = pa.array(self.valid)
        return pa.table({name: arr.filter(mask) for name, arr in self.values.items()})


def canonical(name: str) -> str:
    """Column name used for matching: ``Fecha de inscripción`` (read as ``fecha_de_inscripcion``) matches
    ``fecha_inscripcion``, and ``Año`` (read as ``ano``) matches ``anio``."""
    text = re.sub(r"_(de|del|la|el)_", "_", f"_{name}_")
    return text.replace("_ano_", "_anio_").strip("_")


def validate(raw: RawTable, kind: RecordKind, ctx: ValidationContext) -> Validated:
    """Check every row of ``raw`` against ``kind``; never stops at the first problem."""
    n = raw.data.num_rows
    rows = raw.row_numbers
    by_canon = {canonical(c): c for c in raw.columns}
    wanted = {canonical(f.name) for f in kind.fields}
    out = Validated(kind, raw, np.ones(n, dtype=bool), {})
    for col in raw.columns:
        if canonical(col) not in wanted and not col.startswith("_"):
            out.file_issues.append(make_issue("columna_desconocida", row=raw.meta.header_row, column=col))
    errors: list[tuple[np.ndarray, str, str, dict[str, str]]] = []  # (mask, code, column, extra)
    warnings: list[tuple[np.ndarray, str, str]] = []
    for spec in kind.fields:
        source = by_canon.get(canonical(spec.name))
        column = raw.data.column(source).combine_chunks() if source else pa.nulls(n, pa.string())
        if source is None and spec.required:
            errors.append((np.ones(n, dtype=bool), "columna_faltante", spec.name, {}))
        typed, field_errors, field_warnings = _check_field(spec, column, raw, ctx)
        out.values[spec.name] = typed
        errors += field_errors
        warnings += field_warnings
    errors += _cross_checks(kind, out.values, ctx, n)
    bad = np.zeros(n, dtype=bool)
    for mask, *_ in errors:
        bad |= mask
    dup, first = _duplicates(kind, out.values, ~bad)
    for i in np.flatnonzero(dup):
        out.issues.setdefault(int(i), []).append(make_issue(
            "duplicado_en_archivo", row=int(rows[i]), column="+".join(kind.key), first=str(int(rows[first[i]]))))
    out.valid &= ~dup
    for mask, code, column, extra in errors:
        hits = np.flatnonzero(mask)
        if not len(hits):  # most checks flag nothing: skip finding the column to show
            continue
        source = by_canon.get(canonical(column))
        shown = raw.data.column(source).combine_chunks() if source else None
        for i in hits:
            value = shown[int(i)].as_py() if shown is not None else None
            out.issues.setdefault(int(i), []).append(
                make_issue(code, row=int(rows[i]), column=column, value=value, **extra))
        out.valid &= ~mask
    for mask, code, column in warnings:
        hits = np.flatnonzero(mask)
        if not len(hits):
            continue
        source = by_canon.get(canonical(column))
        shown = raw.data.column(source).combine_chunks() if source else None
        for i in hits:
            value = shown[int(i)].as_py() if shown is not None else None
            out.issues.setdefault(int(i), []).append(make_issue(code, row=int(rows[i]), column=column, value=value))
    return out


# -- one field ----------------------------------------------------------------------

Flagged = list[tuple[np.ndarray, str, str, dict[str, str]]]


def _mask(arr: pa.Array) -> np.ndarray:
    """Boolean array → numpy bool, nulls as False."""
    mask: np.ndarray = np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)
    return mask


def _check_field(spec: FieldSpec, col: pa.Array, raw: RawTable, ctx: ValidationContext
                 ) -> tuple[pa.Array, Flagged, list[tuple[np.ndarray, str, str]]]:
    errors: Flagged = []
    warnings: list[tuple[np.ndarray, str, str]] = []
    present = _mask(pc.is_valid(col))
    if spec.required:
        errors.append((~present, "requerido", spec.name, {}))
    if spec.type is FieldType.date:
        typed, invalid = _parse_dates(col)
        errors.append((invalid & present, "fecha_invalida", spec.name, {}))
        if Check.past_date in spec.checks:
            future = _mask(pc.greater(typed, pa.scalar(ctx.today, pa.date32())))
            errors.append((future, "fecha_futura", spec.name, {}))
        return typed, errors, warnings
    if spec.type in (FieldType.number, FieldType.integer, FieldType.year):
        typed, invalid = _parse_number(col, spec.type, decimal_comma=raw.meta.decimal_comma)
        code = "anio_invalido" if spec.type is FieldType.year else "numero_invalido"
        errors.append((invalid & present, code, spec.name, {}))
        if spec.minimum is not None:
            below = _mask(pc.less(typed, pa.scalar(spec.minimum)))
            errors.append((below, "valor_negativo", spec.name, {"limit": str(spec.minimum)}))
        return typed, errors, warnings
    # strings
    typed = col
    if Check.ruc in spec.checks:
        normalised, codes = ruc.check_array(col)
        for code in ("ruc_longitud", "ruc_formato", "ruc_tipo", "ruc_digito"):
            errors.append((np.asarray(codes == code, dtype=bool), code, spec.name, {}))
        return pa.array(normalised, pa.string()), errors, warnings
    if spec.enum is not None:
        # Match case- and accent-insensitively ("Pequeña", "PEQUENA"), store the canonical spelling ("pequena").
        slugs = _enum_slugs(spec.enum)
        position = pc.index_in(_slug(col), value_set=slugs)
        typed = pc.take(pa.array(spec.enum, pa.string()), position)
        not_allowed = present & ~_mask(pc.is_valid(position))
        errors.append((not_allowed, "valor_no_permitido", spec.name, {"allowed": ", ".join(spec.enum)}))
        return typed, errors, warnings
    if spec.max_length is not None:
        too_long = _mask(pc.greater(pc.utf8_length(col), spec.max_length))
        errors.append((too_long, "texto_demasiado_largo", spec.name, {"limit": str(spec.max_length)}))
    looks_like_formula = _mask(pc.match_substring_regex(col, r"^[=+\-@]"))
    if looks_like_formula.any() and not spec.checks:
        warnings.append((looks_like_formula, "formula_en_celda", spec.name))
    for check in spec.checks:
        known = _known(check, ctx)
        if known is None:
            continue
        allowed_codes, listed = known
        values = pc.utf8_slice_codeunits(col, 0, 2) if check is Check.ciiu else col
        unknown = present & ~_mask(pc.is_in(values, value_set=_value_set(allowed_codes)))
        extra = {"allowed": ", ".join(sorted(allowed_codes))} if listed else {}
        errors.append((unknown, _UNKNOWN_CODE[check], spec.name, extra))
    return typed, errors, warnings


_UNKNOWN_CODE = {
    Check.ubigeo: "ubigeo_desconocido", Check.ciiu: "ciiu_desconocido", Check.programa: "programa_desconocido",
    Check.mercado: "mercado_desconocido", Check.entidad: "entidad_desconocida",
    Check.variable: "variable_desconocida",
}


def _known(check: Check, ctx: ValidationContext) -> tuple[frozenset[str], bool] | None:
    """The allowed values of a membership check, and whether to list them in the message."""
    if check is Check.ubigeo:
        return reference.ubigeo_codes(), False
    if check is Check.ciiu:
        return reference.ciiu_divisions(), False
    if check is Check.programa:
        return ctx.programmes, False
    if check is Check.mercado:
        return ctx.markets, False
    if check is Check.entidad:
        return ctx.entities, True
    if check is Check.variable:
        return ctx.reported_variables, True
    return None  # curso is checked with its programme in _cross_checks; past_date on dates


@functools.lru_cache(maxsize=64)
def _enum_slugs(values: tuple[str, ...]) -> pa.Array:
    """The slugs of a field's allowed values: built once per process, not for every import."""
    return _slug(pa.array(values, pa.string()))


@functools.lru_cache(maxsize=16)
def _value_set(values: frozenset[str]) -> pa.Array:
    """A membership check's value set as an Arrow array (the ubigeo list has ~1,900 codes): built once."""
    return pa.array(sorted(values), pa.string())


def _slug(col: pa.Array) -> pa.Array:
    """Lowercase, accents removed, spaces and dashes as underscores: "Pequeña" → "pequena"."""
    text = pc.utf8_normalize(pc.utf8_lower(col), form="NFKD")
    text = pc.replace_substring_regex(text, r"\p{Mn}", "")
    return pc.replace_substring_regex(pc.utf8_trim_whitespace(text), r"[\s\-]+", "_")


_DATE_FORMATS = (
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$",  # ISO (and what the XLSX reader writes)
    r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})$",  # dd/mm/yyyy, as Peruvian offices write it
)


def _parse_dates(col: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Parse ISO and dd/mm/yyyy dates; impossible dates (31/02) are invalid, never rolled over."""
    n = len(col)
    year = np.zeros(n, dtype=np.int64)
    month = np.zeros(n, dtype=np.int64)
    day = np.zeros(n, dtype=np.int64)
    matched = np.zeros(n, dtype=bool)
    for pattern in _DATE_FORMATS:
        parts = pc.extract_regex(col, pattern)
        ok = _mask(pc.is_valid(parts)) & ~matched
        if not ok.any():
            continue
        for name, target in (("y", year), ("m", month), ("d", day)):
            part = pc.fill_null(pc.struct_field(parts, name), "0")
            target[ok] = np.asarray(pc.cast(part, pa.int64()).to_numpy(zero_copy_only=False))[ok]
        matched |= ok
    good_month = matched & (month >= 1) & (month <= 12) & (year >= 1900)
    start = np.zeros(n, dtype="datetime64[D]")
    months = ((year - 1970) * 12 + month - 1).astype("timedelta64[M]")
    first = np.datetime64("1970-01", "M") + months
    start[good_month] = first[good_month].astype("datetime64[D]")
    days_in_month = ((first + np.timedelta64(1, "M")).astype("datetime64[D]") - first.astype("datetime64[D]")
                     ).astype(np.int64)
    good = good_month & (day >= 1) & (day <= days_in_month)
    values = start + (day - 1).astype("timedelta64[D]")
    typed = pa.array(values.astype("datetime64[D]"), type=pa.date32(), mask=~good)
    return typed, ~good


_NUM = {False: r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$", True: r"^-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$"}


def _parse_number(col: pa.Array, kind: FieldType, *, decimal_comma: bool) -> tuple[pa.Array, np.ndarray]:
    if kind is FieldType.number:
        ok = _mask(pc.match_substring_regex(col, _NUM[decimal_comma]))
        thousands, decimal = (".", ",") if decimal_comma else (",", ".")
        clean = pc.replace_substring(col, thousands, "")
        if decimal == ",":
            clean = pc.replace_substring(clean, ",", ".")
        target: pa.DataType = pa.float64()
    else:
        pattern = r"^\d{4}$" if kind is FieldType.year else r"^-?\d+$"
        ok = _mask(pc.match_substring_regex(col, pattern))
        clean = col
        target = pa.int64()
    safe = pc.if_else(pa.array(ok), clean, pa.scalar(None, pa.string()))
    typed = pc.cast(safe, target)
    if kind is FieldType.year:
        in_range = _mask(pc.and_(pc.greater_equal(typed, 1990), pc.less_equal(typed, 2100)))
        typed = pc.if_else(pa.array(in_range), typed, pa.scalar(None, pa.int64()))
        ok &= in_range
    return typed, ~ok


# -- rows ------------------------------------------------------------------------------

def _cross_checks(kind: RecordKind, values: dict[str, pa.Array], ctx: ValidationContext, n: int) -> Flagged:
    out: Flagged = []
    names = kind.field_names
    if "curso" in names and "programa" in names and kind.name != "programa":
        curso = values["curso"]
        has = _mask(pc.is_valid(curso))
        if has.any():
            pairs = _join([values["programa"], curso])
            known = pa.array(sorted(f"{p}{SEP}{c}" for p, c in ctx.courses), pa.string())
            out.append((has & ~_mask(pc.is_in(pairs, value_set=known)), "curso_desconocido", "curso", {}))
    return out


def enrolment_warnings(values: dict[str, pa.Array], valid: np.ndarray, ctx: ValidationContext) -> np.ndarray:
    """Completions whose (ruc, programme, course) has no enrolment, in the store or the same file."""
    keys = _join([values["ruc"], values["programa"], pc.fill_null(values["curso"], "")])
    known = pa.array(sorted(SEP.join(k) for k in ctx.enrolments), pa.string())
    missing: np.ndarray = valid & ~_mask(pc.is_in(keys, value_set=known))
    return missing


def _join(parts: Iterable[pa.Array]) -> pa.Array:
    cols = [pc.fill_null(pc.cast(p, pa.string()), "") for p in parts]
    return pc.binary_join_element_wise(*cols, SEP)


def key_strings(kind: RecordKind, values: dict[str, pa.Array]) -> pa.Array:
    return _join(values[name] for name in kind.key)


def row_strings(kind: RecordKind, values: dict[str, pa.Array]) -> pa.Array:
    return _join(values[f.name] for f in kind.fields)


def _duplicates(kind: RecordKind, values: dict[str, pa.Array], candidates: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose natural key repeats an earlier row of the file, and the index of that first row."""
    keys = key_strings(kind, values)
    codes = np.asarray(pc.dictionary_encode(keys).indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    codes = np.where(candidates, codes, -1 - np.arange(len(codes)))  # rows with errors never match
    _, first_pos, inverse = np.unique(codes, return_index=True, return_inverse=True)
    first = first_pos[inverse]
    return candidates & (first != np.arange(len(codes))), first
