"""Shared fixtures: settings and stores on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from pade.core.db import make_engine, migrate
from pade.core.settings import Settings
from pade.programme.loader import default_definition_path

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _pg_admin_url() -> str:
    return os.environ.get("PADE_TEST_POSTGRES_URL", DEFAULT_PG)


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL of a reachable PostgreSQL, or skip (fail in CI, where PADE_REQUIRE_POSTGRES=1)."""
    url = _pg_admin_url()
    try:
        eng = create_engine(url)
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
    except OperationalError as e:
        reason = f"PostgreSQL not reachable at {make_url(url).render_as_string(hide_password=True)}: {e.orig}"
        if os.environ.get("PADE_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return url


def fresh_pg_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    name = f"pade_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'pade.db'}"
        return
    admin_url = request.getfixturevalue("pg_server")
    url, drop = fresh_pg_database(admin_url)
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path / "data")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    eng = make_engine(settings)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'pade.db'}", data_dir=tmp_path / "data")


@pytest.fixture
def programme_dict() -> dict[str, Any]:
    """The shipped definition as a plain dict, to mutate in tests."""
    data: dict[str, Any] = yaml.safe_load(default_definition_path().read_text(encoding="utf-8"))
    return data
