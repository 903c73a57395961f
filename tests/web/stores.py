"""A store as `pade init` and `pade programme load` leave it, for HTTP tests."""

from __future__ import annotations

from sqlalchemy import Engine

from pade.core.db import make_engine, migrate, session_factory, transaction
from pade.core.settings import Settings
from pade.programme.loader import load_programme
from pade.programme.store import store_programme
from pade.registry.service import sync_entities


def programme_store(settings: Settings) -> Engine:
    """The migrated store of ``settings`` with the programme stored and its entities synced."""
    engine = make_engine(settings)
    migrate(engine)
    programme = load_programme()
    with transaction(session_factory(engine)) as s:
        store_programme(s, programme, actor="prueba")
        sync_entities(s, programme)
    return engine
