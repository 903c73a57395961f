"""Fill Spanish translations into the catalogue from a JSON object {msgid: msgstr}.

Only entries whose msgid is already in a .po file (run scripts/i18n_update.py first)
are filled; unknown ids are reported. Safe to run while others add their own ids.
Run: python scripts/i18n_fill.py translations.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

FOLDER = Path(__file__).resolve().parents[1] / "src" / "pade" / "locale" / "es" / "LC_MESSAGES"


def main(path: str) -> None:
    """Write each given translation into the domain file that holds its msgid."""
    wanted: dict[str, str] = json.loads(Path(path).read_text(encoding="utf-8"))
    filled: set[str] = set()
    for po in sorted(FOLDER.glob("*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale="es")
        changed = False
        for message in catalog:
            if isinstance(message.id, str) and message.id in wanted:
                message.string = wanted[message.id]
                filled.add(message.id)
                changed = True
        if changed:
            with po.open("wb") as fh:
                write_po(fh, catalog, sort_output=True, width=0)
    for msgid in sorted(set(wanted) - filled):
        print(f"not in the catalogue (run scripts/i18n_update.py first): {msgid!r}")  # noqa: T201
    print(f"filled {len(filled)} of {len(wanted)}")  # noqa: T201


if __name__ == "__main__":
    main(sys.argv[1])
