"""Load questionnaires from YAML, with errors a person can act on.

Shipped questionnaires live in ``questionnaires/<id>-<version>.yaml``. A broken
file is reported the way the programme loader reports one (and through its
formatter): every problem with the file, the path inside it (list items named
by their ``id``), the line, and what to do, in Spanish. Structural problems
(:mod:`pade.diagnostics.checks`) are located the same way.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from pade.core.errors import InvalidDefinition, NotFound
from pade.core.i18n import t
from pade.diagnostics.checks import StructureError
from pade.diagnostics.models import Cuestionario

# The programme loader's formatter (path label with ids, line lookup, Spanish wording) fits as is.
from pade.programme.loader import describe_yaml_error, read_yaml_mapping

_FILE_NAME = re.compile(r"^(?P<id>[a-z][a-z0-9_]*)-(?P<version>\d+\.\d+\.\d+)\.yaml$")


@dataclass(frozen=True, slots=True)
class QuestionnaireRef:
    """A shipped questionnaire: its id, version, title and file."""

    id: str
    version: str
    titulo: str
    path: Path


def questionnaires_dir() -> Path:
    """The folder of shipped questionnaires."""
    return Path(str(resources.files("pade.diagnostics") / "questionnaires"))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@cache
def _shipped_files() -> dict[tuple[str, str], Path]:
    """The questionnaire files shipped in the package, by (id, version): read once per process."""
    found: dict[tuple[str, str], Path] = {}
    for path in sorted(questionnaires_dir().glob("*.yaml")):
        match = _FILE_NAME.match(path.name)
        if match:
            found[(match["id"], match["version"])] = path
    return found


def list_questionnaires() -> list[QuestionnaireRef]:
    """Every shipped questionnaire version, by id then version.

    Raises:
        InvalidDefinition: a shipped file is broken (a packaging bug).
    """
    refs = []
    for (ident, version), path in sorted(_shipped_files().items(), key=lambda kv: (kv[0][0], _version_key(kv[0][1]))):
        q = load_questionnaire(ident, version)
        refs.append(QuestionnaireRef(q.id, q.version, q.titulo, path))
    return refs


def load_questionnaire(questionnaire_id: str, version: str | None = None) -> Cuestionario:
    """A shipped questionnaire (each file parsed once per process).

    Args:
        questionnaire_id: e.g. ``"madurez_digital"``.
        version: e.g. ``"1.0.0"``; ``None`` for the latest shipped version.

    Raises:
        NotFound: no such questionnaire or version; the message lists what is shipped.
        InvalidDefinition: the file is broken.

    Example:
        >>> load_questionnaire("madurez_digital").version
        '1.0.0'
    """
    files = _shipped_files()
    versions = sorted((v for (i, v) in files if i == questionnaire_id), key=_version_key)
    if not versions:
        shipped = sorted({i for (i, _) in files})
        raise NotFound(t("unknown questionnaire {id} (questionnaires: {known})", id=questionnaire_id,
                         known=", ".join(shipped)))
    chosen = version or versions[-1]
    if chosen not in versions:
        raise NotFound(t("questionnaire {id} has no version {version} (versions: {known})", id=questionnaire_id,
                         version=chosen, known=", ".join(versions)))
    return _load_shipped(files[(questionnaire_id, chosen)])


@cache
def _load_shipped(path: Path) -> Cuestionario:
    return load_questionnaire_file(path)


def load_questionnaire_file(path: Path) -> Cuestionario:
    """Parse and validate a questionnaire file.

    A file named like ``<id>-<version>.yaml`` must hold that id and version.

    Raises:
        InvalidDefinition: the file is missing, is not YAML, does not match the
            model or fails a structural check. The message lists every problem.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InvalidDefinition(t("{file}: cannot read the file ({reason})", file=path, reason=e.strerror)) from e
    q = parse_questionnaire(text, source=str(path))
    match = _FILE_NAME.match(path.name)
    if match and (match["id"], match["version"]) != (q.id, q.version):
        raise InvalidDefinition(t("{file}: the file name says {expected} but the file holds {found}; rename the file "
                                  "or fix «id» and «version»", file=path, expected=f"{match['id']} {match['version']}",
                                  found=f"{q.id} {q.version}"))
    return q


def parse_questionnaire(text: str, *, source: str) -> Cuestionario:
    """Validate YAML ``text``; ``source`` names it in error messages.

    Raises:
        InvalidDefinition: as :func:`load_questionnaire_file`.
    """
    data, root = read_yaml_mapping(text, source=source)
    try:
        return Cuestionario.model_validate(data)
    except ValidationError as e:
        problems = [p for err in e.errors() for p in _located(err, data, root, source)]
        header = t("{file}: {count} problem(s) in the questionnaire", file=source, count=len(problems))
        raise InvalidDefinition("\n".join([header, *(f"  - {p}" for p in problems)])) from e


def _located(err: ErrorDetails, data: Any, root: yaml.Node | None, source: str) -> list[str]:
    cause = (err.get("ctx") or {}).get("error")
    if not isinstance(cause, StructureError):
        text = describe_yaml_error(err, data, root, source)
        if err["type"] == "string_type" and isinstance(err.get("input"), bool):
            text += " " + t("(YAML reads no, yes, on and off as true/false: write them in quotes, e.g. «'no'»)")
        return [text]
    prefix = tuple(err["loc"])
    return [describe_yaml_error(ErrorDetails(type="value_error", loc=(*prefix, *p.loc), msg=p.message, input=None,
                                   ctx={"error": p.message}), data, root, source)
            for p in cause.problems]


def content_hash(q: Cuestionario) -> str:
    """SHA-256 of the canonical JSON of the questionnaire (formatting-insensitive).

    Stored assessments name it beside ``id`` and ``version``, so a result can be
    traced to the exact definition that produced it.
    """
    canonical = json.dumps(q.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
