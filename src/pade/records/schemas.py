"""Frictionless Table Schemas of the record kinds (published in ``schemas/<kind>.json``).

The same declarations describe CSV/XLSX columns and the JSON API payloads.
"""

from __future__ import annotations

from typing import Any

from pade.records.kinds import KINDS, FieldSpec, FieldType, RecordKind

_TYPES = {FieldType.string: "string", FieldType.integer: "integer", FieldType.number: "number",
          FieldType.date: "date", FieldType.year: "year"}


def _field(spec: FieldSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"name": spec.name, "type": _TYPES[spec.type], "description": spec.description}
    if spec.type is FieldType.date:
        out["format"] = "any"  # ISO or dd/mm/yyyy are accepted
    constraints: dict[str, Any] = {}
    if spec.required:
        constraints["required"] = True
    if spec.enum:
        constraints["enum"] = list(spec.enum)
    if spec.max_length:
        constraints["maxLength"] = spec.max_length
    if spec.minimum is not None:
        constraints["minimum"] = spec.minimum
    if constraints:
        out["constraints"] = constraints
    if spec.checks:
        out["pade:checks"] = [c.value for c in spec.checks]
    return out


def table_schema(kind: RecordKind) -> dict[str, Any]:
    """The Table Schema of ``kind``: fields, natural key, missing values."""
    schema: dict[str, Any] = {
        "$schema": "https://specs.frictionlessdata.io/schemas/table-schema.json",
        "name": kind.name,
        "title": kind.title,
        "description": kind.description,
        "fields": [_field(f) for f in kind.fields],
        "missingValues": [""],
        # The natural key identifies a row for duplicates and re-imports. It is a primaryKey only when
        # every part is required: Table Schema primary keys cannot be empty, ours may (e.g. no course).
        "pade:naturalKey": list(kind.key),
    }
    if all(kind.field(name).required for name in kind.key):
        schema["primaryKey"] = list(kind.key)
    return schema


def all_schemas() -> dict[str, dict[str, Any]]:
    return {k.name: table_schema(k) for k in KINDS}
