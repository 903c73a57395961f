"""The i18n catalogue: every user-facing string goes through :func:`t`.

Message ids are English; the Spanish catalogue is the set of ``.po`` files in
``pade/locale/es/LC_MESSAGES/``, one per domain package (``programme.po`` for
``pade/programme/``, ``pade.po`` for top-level modules), read with Babel at
first use (no compile step, so the package ships the ``.po`` files alone). A message id
missing from the catalogue is a bug: ``tests/unit/test_i18n.py`` extracts every
literal message id passed to ``t`` in the sources and requires a Spanish translation.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

DEFAULT_LOCALE = "es"


@cache
def catalogs(locale: str = DEFAULT_LOCALE) -> dict[str, Catalog]:
    """The message catalogues for ``locale`` by domain, read once."""
    folder = resources.files("pade") / "locale" / locale / "LC_MESSAGES"
    out: dict[str, Catalog] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".po"):
            with entry.open("rb") as fh:
                out[entry.name.removesuffix(".po")] = read_po(fh, locale=locale)
    return out


@cache
def _table(locale: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for cat in catalogs(locale).values():
        for message in cat:
            if message.id and isinstance(message.id, str) and isinstance(message.string, str) and message.string:
                table[message.id] = message.string
    return table


def t(msgid: str, /, *, locale: str = DEFAULT_LOCALE, **values: Any) -> str:
    """Translate ``msgid`` and fill its ``{named}`` placeholders.

    Example:
        >>> t("Programme loaded: {version}", version="1.0.0")
        'Programa cargado: versión 1.0.0'
    """
    text = _table(locale).get(msgid, msgid)
    return text.format(**values) if values else text


# -- extraction (used by the catalogue test and scripts/i18n_update.py) -------

_PY_CALL = re.compile(r"""\bt\(\s*((?:(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')\s*)+)[,)]""")
_TPL_CALL = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)""")
_STR = re.compile(r""""((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'""")


def domain_of(path: Path, package_root: Path) -> str:
    """Catalogue domain of a source file: its top-level subpackage, or ``pade``."""
    rel = path.relative_to(package_root).parts
    return rel[0] if len(rel) > 1 else "pade"


def extract_msgids(package_root: Path) -> dict[str, list[str]]:
    """Literal message ids passed to ``t`` (Python) and ``_`` (templates), by domain."""
    found: dict[str, dict[str, None]] = {}
    for path in sorted(package_root.rglob("*.py")):
        ids = found.setdefault(domain_of(path, package_root), {})
        for call in _PY_CALL.finditer(path.read_text(encoding="utf-8")):
            ids["".join(a or b for a, b in _STR.findall(call.group(1)))] = None
    for path in sorted(package_root.rglob("*.html")):
        ids = found.setdefault(domain_of(path, package_root), {})
        for call in _TPL_CALL.finditer(path.read_text(encoding="utf-8")):
            ids[call.group(1) or call.group(2)] = None
    return {domain: list(ids) for domain, ids in found.items() if ids}
