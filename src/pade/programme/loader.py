"""Load a programme definition from YAML, with errors a person can act on.

A broken file never produces a pydantic dump: every problem is reported with
the file, the path inside it (list items named by their ``id`` when they have
one), the line, and what was expected, in Spanish.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from pade.core.errors import InvalidDefinition
from pade.core.i18n import t
from pade.programme.models import Programa

DEFAULT_VERSION = "1.0.0"


def default_definition_path(version: str = DEFAULT_VERSION) -> Path:
    """Path of a shipped definition, e.g. ``definitions/pade-1.0.0.yaml``."""
    return Path(str(resources.files("pade.programme") / "definitions" / f"pade-{version}.yaml"))


def load_programme(path: Path | None = None) -> Programa:
    """Parse and validate a programme definition.

    Args:
        path: a YAML file; ``None`` loads the shipped ``pade-1.0.0.yaml``.

    Raises:
        InvalidDefinition: the file is missing, is not YAML, or does not match
            the model. The message lists every problem with its location.
    """
    path = path or default_definition_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InvalidDefinition(t("{file}: cannot read the file ({reason})", file=path, reason=e.strerror)) from e
    return parse_programme(text, source=str(path))


def read_yaml_mapping(text: str, *, source: str) -> tuple[dict[str, Any], yaml.Node | None]:
    """Parse YAML ``text`` that must be a mapping; also return its node tree (for line numbers).

    Raises:
        InvalidDefinition: not YAML (with the line and how to fix it), or not a mapping.
    """
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        raise InvalidDefinition(
            t("{file}, line {line}: the file is not valid YAML ({problem}). "
              "Check indentation and quotes around that line.",
              file=source, line=line, problem=getattr(e, "problem", str(e)))
        ) from e
    if not isinstance(data, dict):
        raise InvalidDefinition(t("{file}: expected a YAML mapping at the top level", file=source))
    return data, root


def parse_programme(text: str, *, source: str) -> Programa:
    """Validate YAML ``text``; ``source`` names it in error messages."""
    data, root = read_yaml_mapping(text, source=source)
    try:
        return Programa.model_validate(data)
    except ValidationError as e:
        problems = [describe_yaml_error(err, data, root, source) for err in e.errors()]
        header = t("{file}: {count} problem(s) in the programme definition", file=source, count=len(problems))
        raise InvalidDefinition("\n".join([header, *(f"  - {p}" for p in problems)])) from e


def content_hash(programme: Programa) -> str:
    """SHA-256 of the canonical JSON of the definition (formatting-insensitive)."""
    canonical = json.dumps(programme.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@cache
def shipped_programme() -> Programa:
    """The shipped default definition, parsed once per process."""
    return load_programme()


# -- error formatting -------------------------------------------------------

def describe_yaml_error(err: ErrorDetails, data: Any, root: yaml.Node | None, source: str) -> str:
    """One pydantic error as a Spanish line: file, line, path (items named by id) and what is expected."""
    loc = tuple(err["loc"])
    where = _path_label(loc, data)
    line = _line_of(loc, root)
    expected = _expected(err)
    return t("{file}, line {line}, at {path}: {expected}", file=source, line=line, path=where, expected=expected)


def _path_label(loc: tuple[int | str, ...], data: Any) -> str:
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int):
            label = str(key)
            if isinstance(node, list) and key < len(node):
                item = node[key]
                node = item
                if isinstance(item, dict):
                    ident = item.get("id") or item.get("siglas") or item.get("numero")
                    if ident is not None:
                        label = f"{key}:{ident}"
            parts[-1] = f"{parts[-1]}[{label}]" if parts else f"[{label}]"
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts) or "(raíz)"


def _line_of(loc: tuple[int | str, ...], root: yaml.Node | None) -> int | str:
    node = root
    last_line = root.start_mark.line + 1 if root is not None else "?"
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            nxt = node.value[key]
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
        last_line = node.start_mark.line + 1
    return last_line


def _expected(err: ErrorDetails) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    given = err.get("input")
    shown = repr(given) if not isinstance(given, dict | list) else type(given).__name__
    if kind == "missing":
        return t("the required field is missing; add it")
    if kind == "extra_forbidden":
        return t("this field is not allowed; remove it or check its spelling")
    if kind == "string_pattern_mismatch":
        return t("the value {value} does not match the expected format {pattern}", value=shown,
                 pattern=ctx.get("pattern"))
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return t("expected a whole number, got {value}", value=shown)
    if kind in ("decimal_parsing", "decimal_type", "float_parsing"):
        return t("expected a number, got {value}", value=shown)
    if kind == "enum":
        return t("expected one of {allowed}, got {value}", allowed=ctx.get("expected"), value=shown)
    if kind in ("list_type",):
        return t("expected a list, got {value}", value=shown)
    if kind in ("string_type",):
        return t("expected a text, got {value}", value=shown)
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return t("expected a mapping of fields, got {value}", value=shown)
    if kind == "value_error":
        return str(ctx.get("error", err.get("msg")))
    if kind in ("too_short", "string_too_short"):
        return t("must not be empty")
    return t("invalid value {value} ({kind})", value=shown, kind=kind)
