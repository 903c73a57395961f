"""Sync the Spanish catalogue with the message ids used in the sources.

Adds new ids (with an empty translation, which the catalogue test rejects until
someone translates it) and drops ids no longer used. Run: python scripts/i18n_update.py
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from pade.core.i18n import extract_msgids

ROOT = Path(__file__).resolve().parents[1] / "src" / "pade"
FOLDER = ROOT / "locale" / "es" / "LC_MESSAGES"


def main() -> None:
    """Rewrite one .po per domain; a translation found in any old catalogue is kept."""
    known: dict[str, str] = {}
    for po in FOLDER.glob("*.po"):
        for m in read_po(po.open("rb"), locale="es"):
            if m.id and m.string:
                known[str(m.id)] = str(m.string)
    FOLDER.mkdir(parents=True, exist_ok=True)
    wanted = extract_msgids(ROOT)
    for po in FOLDER.glob("*.po"):
        if po.stem not in wanted:
            po.unlink()
    for domain, msgids in sorted(wanted.items()):
        new = Catalog(locale="es", project="PADE", domain=domain, charset="utf-8")
        previous = FOLDER / f"{domain}.po"
        if previous.exists():  # keep the header dates: a sync that adds nothing changes nothing
            with previous.open("rb") as fh:
                old = read_po(fh, locale="es")
            new.creation_date, new.revision_date = old.creation_date, old.revision_date
        for msgid in msgids:
            new.add(msgid, known.get(msgid, ""))
        with (FOLDER / f"{domain}.po").open("wb") as fh:
            write_po(fh, new, sort_output=True, width=0)
        missing = [m.id for m in new if m.id and not m.string]
        print(f"{domain}.po: {len(new)} messages, {len(missing)} untranslated")  # noqa: T201
        for m in missing:
            print(f"  - {m!r}")  # noqa: T201


if __name__ == "__main__":
    main()
