"""The open data package served by the portal (``/datos``): the files ``pade publish opendata`` writes.

The package is built in memory from the published run with :func:`pade.reports.opendata.opendata_files`,
so the web and the command give the same files (the indicator CSV of ``/indicadores/{codigo}.csv`` is
``datos/<id>.csv`` of this package). Built once per run and threshold, like the pages (decision 0012).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pade.core.errors import NotFound
from pade.core.i18n import t
from pade.reports.disclosure import assert_no_personal_data
from pade.reports.opendata import DESCRIPTOR_FILE, opendata_files
from pade.reports.portal import Published

DEFAULT_LICENCE = "CC-BY-4.0"
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@dataclass(frozen=True)
class OpenFile:
    path: str
    title: str
    description: str
    size_bytes: int


@dataclass(frozen=True)
class OpenPackage:
    files: dict[str, str]
    listing: list[OpenFile]
    licence: dict[str, str]
    provenance: dict[str, Any]


class OpenPackageCache:
    """Packages by (run, signature, k, licence); the last two."""

    def __init__(self, size: int = 2) -> None:
        self._size = size
        self._items: dict[tuple[int, str, int, str], OpenPackage] = {}
        self._lock = threading.Lock()

    def get(self, pub: Published, *, licence: str = DEFAULT_LICENCE, now: datetime | None = None) -> OpenPackage:
        run = pub.run
        key = (run.id, run.signature, pub.protected.k, licence)
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                hit = build_package(pub, licence=licence, now=now or datetime.now(UTC))
                self._items[key] = hit
                while len(self._items) > self._size:
                    del self._items[next(iter(self._items))]
            return hit


def build_package(pub: Published, *, licence: str, now: datetime) -> OpenPackage:
    """The package's files (checked for personal RUCs) and their listing from ``datapackage.json``."""
    files = opendata_files(pub.protected, licence=licence, now=now)
    assert_no_personal_data(files)
    descriptor = json.loads(files[DESCRIPTOR_FILE])
    listing = [OpenFile(DESCRIPTOR_FILE, t("Package descriptor (Frictionless Data Package)"),
                        t("Licence, provenance and the Table Schema of every file."),
                        len(files[DESCRIPTOR_FILE].encode()))]
    listing += [OpenFile(r["path"], r["title"], r["description"], len(files[r["path"]].encode()))
                for r in descriptor["resources"]]
    return OpenPackage(files, listing, descriptor["licenses"][0], descriptor["pade:procedencia"])


def package_file(package: OpenPackage, path: str) -> tuple[str, str]:
    """The text and media type of one file of the package.

    Raises:
        NotFound: the package has no such file.
    """
    text = package.files.get(path)
    if text is None:
        raise NotFound(t("The open data package has no file {path}; see the list at /datos", path=path))
    return text, MEDIA_TYPES.get(path.rsplit(".", 1)[-1], "text/plain; charset=utf-8")
