"""Logging setup. Log lines carry ids as key=value and never personal data."""

from __future__ import annotations

import logging


def configure_logging(level: str = "INFO") -> None:
    """Configure the root logger once (idempotent)."""
    root = logging.getLogger()
    if any(getattr(h, "_pade", False) for h in root.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler._pade = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
