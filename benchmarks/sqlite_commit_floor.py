"""Benchmark: the floor of SQLite write transactions on this disk — one-row INSERT + COMMIT in a loop.

Every write request of the self-diagnosis (start, save, submit) is one transaction, and SQLite has one
writer for every process, so this loop's commits/s is the most any number of uvicorn workers can
acknowledge, even with no CPU spent in the application (decision 0016). Measured in WAL mode, as the
store runs, with ``synchronous=FULL`` (the store's setting: an fsync of the WAL per commit) and
``NORMAL`` (no fsync per commit; durable against a crashed process, not against a power cut).

Usage:
    .venv/bin/python benchmarks/sqlite_commit_floor.py [--dir /tmp] [--commits 500]

Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from pathlib import Path


def commits_per_s(path: Path, synchronous: str, commits: int) -> float:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT)")
        started = time.perf_counter()
        for i in range(commits):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t (a, b) VALUES (?, ?)", (str(i), "x" * 200))
            conn.execute("COMMIT")
        return commits / (time.perf_counter() - started)
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()),
                        help="a folder on the disk the store lives on")
    parser.add_argument("--commits", type=int, default=500)
    args = parser.parse_args()
    path = args.dir / f"pade-commit-floor-{os.getpid()}.db"
    print(f"{args.commits} one-row transactions in {path} (load average {os.getloadavg()[0]:.2f})")
    try:
        for synchronous in ("FULL", "NORMAL", "FULL"):
            rate = commits_per_s(path, synchronous, args.commits)
            print(f"  WAL, synchronous={synchronous:<6}: {rate:>8.0f} commits/s ({1000 / rate:.2f} ms each)")
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
