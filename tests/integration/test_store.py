"""The system of record on SQLite and PostgreSQL: migrations, programme versions, append-only audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from pade.core import audit
from pade.core.db import downgrade, make_engine, migrate, session_factory, table_names, transaction
from pade.core.errors import StoreError
from pade.core.settings import Settings
from pade.programme.loader import content_hash, load_programme
from pade.programme.store import ProgrammeVersion, current_programme_version, store_programme


def test_migration_creates_tables_and_is_repeatable(engine: Engine) -> None:
    assert {"programme_version", "audit_log", "alembic_version"} <= table_names(engine)
    migrate(engine)  # a second run is a no-op
    downgrade(engine, "base")
    assert "programme_version" not in table_names(engine)
    migrate(engine)
    assert "programme_version" in table_names(engine)


def test_programme_is_stored_once_with_hash_and_audit(engine: Engine) -> None:
    programme = load_programme()
    sessions = session_factory(engine)
    with transaction(sessions) as s:
        first = store_programme(s, programme, actor="prueba")
    with transaction(sessions) as s:
        second = store_programme(s, programme, actor="prueba")
    assert first.created and not second.created
    assert first.content_hash == second.content_hash == content_hash(programme)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(ProgrammeVersion)) == 1
        stored = current_programme_version(s)
        assert stored is not None and stored.programme == programme and stored.version == "1.0.0"
        log = audit.entries(s, object_type="programme_version")
        assert len(log) == 1
        assert log[0].action == "programme.load" and log[0].actor == "prueba"
        assert log[0].details["content_hash"] == first.content_hash
        assert len(log[0].payload_hash) == 64


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'otro'", "DELETE FROM audit_log"])
def test_audit_log_is_append_only(engine: Engine, statement: str) -> None:
    sessions = session_factory(engine)
    with transaction(sessions) as s:
        audit.record(s, actor="a", action="x", object_type="t", object_id="1", payload={"k": 1})
    with pytest.raises(DBAPIError, match="solo inserción"), engine.begin() as conn:
        conn.execute(text(statement))
    with sessions() as s:
        assert [e.actor for e in audit.entries(s)] == ["a"]


def test_unreachable_database_gives_clear_error() -> None:
    eng = make_engine(Settings(database_url="postgresql+psycopg://nadie@127.0.0.1:1/none"))
    with pytest.raises(StoreError, match="no se puede abrir la base de datos"):
        migrate(eng)


def test_migrations_match_the_models(engine: Engine) -> None:
    """A change to the models (or to a record kind) without a migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from pade.core.db import all_models

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), all_models().metadata)
    assert diff == []
