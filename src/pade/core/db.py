"""The system of record: engine factory, sessions and migrations.

SQLite (the embedded default) runs in WAL mode with foreign keys on, so the CLI
can import while the server reads. PostgreSQL is used as is. Schema changes go
through Alembic only; :func:`migrate` is what ``pade init`` runs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from pade.core.errors import StoreError
from pade.core.i18n import t
from pade.core.settings import Settings

log = logging.getLogger(__name__)


class Base(DeclarativeBase):
    """Declarative base of every table of the system of record."""


# Every module that declares tables: imported by :func:`all_models` so Base.metadata is complete.
MODEL_MODULES = (
    "pade.core.audit", "pade.programme.store", "pade.registry.models", "pade.records.tables",
    "pade.indicators.store", "pade.reports.issued", "pade.reports.commentary", "pade.diagnostics.store",
    "pade.auth.models", "pade.reporting.models",
)


def all_models() -> type[Base]:
    """Import every model module and return the base whose metadata now holds every table."""
    import importlib

    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(settings: Settings) -> Engine:
    """Create the engine for ``settings``; creates the SQLite folder if needed."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, pool_pre_ping=True)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits at the end of the block, or rolls back on error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("pade") / "migrations"))
    cfg.attributes["connection_engine"] = engine
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Create or upgrade the schema to ``revision``.

    Raises:
        StoreError: the database cannot be reached.
    """
    try:
        with engine.begin() as conn:
            cfg = alembic_config(engine)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except OperationalError as e:
        raise StoreError(t("cannot open the database {url}: {reason}. Check PADE_DATABASE_URL and that the "
                           "server is running.", url=engine.url.render_as_string(hide_password=True),
                           reason=str(e.orig).strip())) from e
    log.info("store migrated revision=%s backend=%s", revision, engine.url.get_backend_name())


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())
