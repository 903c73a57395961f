"""``python -m pade.indicators.sqlite_export DB FOLDER TABLE...``: the child process of a SQLite snapshot."""

from __future__ import annotations

import sys
from pathlib import Path

from pade.indicators.snapshot import export_sqlite

if __name__ == "__main__":
    export_sqlite(sys.argv[1], Path(sys.argv[2]), sys.argv[3:])
