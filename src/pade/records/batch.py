"""A JSON batch of records (the API's payload) as a raw table, so it takes the file's exact path."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from pade.records.readers import RawTable, SourceMeta


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def raw_from_rows(rows: Sequence[Mapping[str, Any]]) -> RawTable:
    """Rows as dicts → a :class:`RawTable` whose row numbers are 1-based positions in the batch."""
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    data = pa.table({c: pa.array([_text(r.get(c)) for r in rows], pa.string()) for c in columns})
    digest = hashlib.sha256(json.dumps(list(rows), sort_keys=True, ensure_ascii=False, default=str).encode())
    meta = SourceMeta(format="json", encoding=None, delimiter=None, decimal_comma=False, sheet=None, header_row=0)
    return RawTable(columns=columns, original_columns=list(columns), data=data,
                    row_numbers=np.arange(1, len(rows) + 1, dtype=np.int64), meta=meta,
                    file_hash=digest.hexdigest(), bad_lines=[])
