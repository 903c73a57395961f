"""Every user-facing message id used in the sources has a Spanish translation with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import pade
from pade.core.i18n import catalogs, extract_msgids, t

PLACEHOLDER = re.compile(r"\{(\w*)\}")
BY_DOMAIN = extract_msgids(Path(pade.__file__).parent)
PAIRS = [(domain, msgid) for domain, ids in sorted(BY_DOMAIN.items()) for msgid in ids]


def test_extraction_finds_messages() -> None:
    assert len(PAIRS) > 100
    assert "Programme {version} stored (hash {hash})" in BY_DOMAIN["pade"]
    assert {"core", "programme", "web", "pade"} <= set(BY_DOMAIN)


@pytest.mark.parametrize(("domain", "msgid"), PAIRS)
def test_message_is_translated(domain: str, msgid: str) -> None:
    catalogue = catalogs().get(domain)
    assert catalogue is not None, f"no {domain}.po: run scripts/i18n_update.py"
    message = catalogue.get(msgid)
    assert message is not None and message.string, f"missing Spanish for {msgid!r}: run scripts/i18n_update.py"
    assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(str(message.string)))


def test_catalogues_have_no_obsolete_messages() -> None:
    stale = [(d, m.id) for d, cat in catalogs().items() for m in cat if m.id and m.id not in BY_DOMAIN.get(d, [])]
    assert stale == [], "run scripts/i18n_update.py"


def test_translation_fills_placeholders() -> None:
    assert t("Programme {version} stored (hash {hash})", version="1.0.0", hash="abc") == \
        "Programa 1.0.0 guardado (hash abc)"
