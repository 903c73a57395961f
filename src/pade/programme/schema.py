"""The published JSON Schema of the programme definition.

``schemas/programa.schema.json`` at the repository root is this schema; a test
keeps the two identical, so any model change shows up in review.
"""

from __future__ import annotations

from typing import Any

from pade.programme.models import Programa

SCHEMA_ID = "urn:pade:schema:programa"


def programme_json_schema() -> dict[str, Any]:
    schema = Programa.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Programa Articulador de Economía Digital — definición del programa",
        **{k: v for k, v in schema.items() if k != "title"},
    }
