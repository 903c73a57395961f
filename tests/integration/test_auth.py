"""Accounts, sign-in, rate limiting and sessions on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from pade.auth.models import AppUser, LoginAttempt, UserSession
from pade.auth.roles import Actor, Role
from pade.auth.service import (
    MAX_FAILS_PER_ADDRESS,
    MAX_FAILS_PER_USERNAME,
    TooManyAttempts,
    actor_for_session,
    authenticate,
    check_password,
    close_session,
    create_user,
    list_users,
    open_session,
    record_sign_in,
    set_active,
    set_password,
)
from pade.core.audit import AuditEntry
from pade.core.db import session_factory
from pade.core.errors import Conflict, Forbidden, InvalidDefinition, Unauthenticated
from pade.registry.models import Entity

PASSWORD = "correcto caballo batería grapa"


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as s:
        s.add_all([Entity(siglas="PRODUCE", nombre="Ministerio de la Producción"),
                   Entity(siglas="MTC", nombre="Ministerio de Transportes y Comunicaciones")])
        s.commit()
        yield s


@pytest.fixture
def make_user(session: Session) -> Callable[..., AppUser]:
    def _make(**over: Any) -> AppUser:
        fields: dict[str, Any] = {"username": "ana", "display_name": "Ana", "role": Role.ADMIN,
                                  "entity_code": None, "password": PASSWORD, "actor": None} | over
        user = create_user(session, **fields)
        session.commit()
        return user

    return _make


def test_password_is_stored_as_argon2id_and_checked(session: Session, make_user: Callable[..., AppUser]) -> None:
    user = make_user()
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    actor = authenticate(session, "ANA ", PASSWORD, "10.0.0.1")
    assert actor == Actor(user_id=user.id, username="ana", role=Role.ADMIN, entity_code=None)
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.create")).one()
    assert entry.actor == "cli" and entry.object_id == str(user.id) and "Ana" not in str(entry.details)


def test_wrong_password_and_unknown_user_give_the_same_error(session: Session,
                                                              make_user: Callable[..., AppUser]) -> None:
    make_user()
    with pytest.raises(Unauthenticated) as wrong:
        authenticate(session, "ana", PASSWORD + "x", "10.0.0.1")
    with pytest.raises(Unauthenticated) as unknown:
        authenticate(session, "nadie", PASSWORD, "10.0.0.1")
    assert str(wrong.value) == str(unknown.value) == "Usuario o contraseña incorrectos."
    keys = list(session.scalars(select(LoginAttempt.key)))
    assert keys and all(len(k) == 64 and "ana" not in k and "10.0.0.1" not in k for k in keys)


def test_password_policy(session: Session, make_user: Callable[..., AppUser]) -> None:
    with pytest.raises(InvalidDefinition, match="al menos 12"):
        make_user(password="corta")
    with pytest.raises(InvalidDefinition, match="solo espacios"):
        make_user(password=" " * 14)


def test_old_parameters_are_rehashed_at_sign_in(session: Session, make_user: Callable[..., AppUser]) -> None:
    user = make_user()
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    session.execute(update(AppUser).where(AppUser.id == user.id).values(password_hash=weak))
    session.commit()
    authenticate(session, "ana", PASSWORD, "10.0.0.1")
    session.expire_all()
    new_hash = session.get(AppUser, user.id).password_hash  # type: ignore[union-attr]
    assert new_hash != weak and "m=65536" in new_hash


def test_rate_limit_per_address_and_username(session: Session, make_user: Callable[..., AppUser]) -> None:
    make_user()
    for _ in range(MAX_FAILS_PER_USERNAME):
        with pytest.raises(Unauthenticated):
            authenticate(session, "ana", "contraseña equivocada", "10.0.0.1")
    with pytest.raises(TooManyAttempts, match=r"Espere 15 minuto\(s\)") as e:
        authenticate(session, "ana", PASSWORD, "10.0.0.1")  # even the right password waits
    assert e.value.http_status == 429
    # Another address is not blocked, and its success does not unblock the first one.
    assert authenticate(session, "ana", PASSWORD, "10.0.0.2").username == "ana"
    with pytest.raises(TooManyAttempts):
        authenticate(session, "ana", PASSWORD, "10.0.0.1")
    # After the window the address may try again.
    session.execute(update(LoginAttempt).values(at=datetime.now(UTC) - timedelta(minutes=16)))
    session.commit()
    assert authenticate(session, "ana", PASSWORD, "10.0.0.1").username == "ana"


def test_concurrent_failures_count_when_the_outcome_is_written(session: Session,
                                                               make_user: Callable[..., AppUser]) -> None:
    """Checks that all pass the limit before any is written (argon2 runs outside the write) still stop at it."""
    make_user()
    checks = [check_password(session, "ana", "contraseña equivocada", "10.0.0.5")
              for _ in range(MAX_FAILS_PER_USERNAME)]
    right = check_password(session, "ana", PASSWORD, "10.0.0.5")  # also checked before any failure was written
    for check in checks:
        with pytest.raises(Unauthenticated):
            record_sign_in(session, check)
    with pytest.raises(TooManyAttempts):
        record_sign_in(session, right)


def test_rate_limit_per_address_across_usernames(session: Session, make_user: Callable[..., AppUser]) -> None:
    make_user()
    for i in range(MAX_FAILS_PER_ADDRESS):
        with pytest.raises(Unauthenticated):
            authenticate(session, f"usuario{i}", "lo que sea", "10.0.0.9")
    with pytest.raises(TooManyAttempts):
        authenticate(session, "ana", PASSWORD, "10.0.0.9")


def test_failed_attempts_survive_a_rollback(engine: Engine, make_user: Callable[..., AppUser]) -> None:
    make_user()
    with session_factory(engine)() as s, pytest.raises(Unauthenticated), s.begin():
        authenticate(s, "ana", "no es la clave", "10.0.0.3")  # the caller's transaction rolls back
    with session_factory(engine)() as s:
        assert s.scalar(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.ok.is_(False))) == 2


def test_inactive_user_cannot_sign_in_and_loses_sessions(session: Session,
                                                         make_user: Callable[..., AppUser]) -> None:
    user = make_user()
    admin = make_user(username="jefa", display_name="Jefa")
    actor = authenticate(session, "ana", PASSWORD, "10.0.0.1")
    sid, _csrf = open_session(session, actor)
    session.commit()
    admin_actor = Actor(user_id=admin.id, username="jefa", role=Role.ADMIN)
    set_active(session, user_id=user.id, active=False, actor=admin_actor)
    session.commit()
    assert actor_for_session(session, sid) is None
    with pytest.raises(Unauthenticated, match="desactivada"):
        authenticate(session, "ana", PASSWORD, "10.0.0.1")
    set_active(session, user_id=user.id, active=True, actor=admin_actor)
    session.commit()
    assert authenticate(session, "ana", PASSWORD, "10.0.0.1").user_id == user.id
    with pytest.raises(Conflict):
        set_active(session, user_id=admin.id, active=False, actor=admin_actor)


def test_session_lifecycle_and_expiry(session: Session, make_user: Callable[..., AppUser]) -> None:
    make_user()
    actor = authenticate(session, "ana", PASSWORD, "10.0.0.1")
    sid, csrf = open_session(session, actor)
    session.commit()
    assert actor_for_session(session, sid) == (actor, csrf)
    assert session.get(UserSession, sid) is None  # only the hash of the id is stored
    assert actor_for_session(session, sid + "x") is None
    session.execute(update(UserSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    session.commit()
    assert actor_for_session(session, sid) is None
    sid2, _ = open_session(session, actor)
    session.commit()
    assert actor_for_session(session, sid2) is not None
    close_session(session, sid2)
    session.commit()
    assert actor_for_session(session, sid2) is None


def test_new_password_closes_sessions(session: Session, make_user: Callable[..., AppUser]) -> None:
    make_user()
    actor = authenticate(session, "ana", PASSWORD, "10.0.0.1")
    sid, _ = open_session(session, actor)
    set_password(session, username="ana", password="otra frase secreta larga", actor=None)
    session.commit()
    assert actor_for_session(session, sid) is None
    with pytest.raises(Unauthenticated):
        authenticate(session, "ana", PASSWORD, "10.0.0.1")
    assert authenticate(session, "ana", "otra frase secreta larga", "10.0.0.1").username == "ana"


def test_officer_needs_an_existing_entity_and_others_none(session: Session,
                                                          make_user: Callable[..., AppUser]) -> None:
    with pytest.raises(InvalidDefinition, match="pertenece a una entidad"):
        make_user(username="of1", role=Role.OFICIAL)
    with pytest.raises(InvalidDefinition, match=r"NOEXISTE no está en el registro.*MTC, PRODUCE"):
        make_user(username="of1", role="oficial", entity_code="NOEXISTE")
    with pytest.raises(InvalidDefinition, match="rol revisor no debe tener"):
        make_user(username="rev", role=Role.REVISOR, entity_code="PRODUCE")
    with pytest.raises(InvalidDefinition, match="Rol desconocido"):
        make_user(username="xyz", role="jefe")
    officer = make_user(username="of1", role=Role.OFICIAL, entity_code="PRODUCE")
    assert officer.entity_code == "PRODUCE"
    with pytest.raises(Conflict):
        make_user(username="of1", role=Role.COMITE)


def test_only_admins_manage_users(session: Session, make_user: Callable[..., AppUser]) -> None:
    make_user()
    reviewer = Actor(user_id=99, username="rev", role=Role.REVISOR)
    with pytest.raises(Forbidden):
        make_user(username="nuevo", actor=reviewer)
    with pytest.raises(Forbidden):
        list_users(session, actor=reviewer)
    with pytest.raises(Forbidden):
        set_password(session, username="ana", password="x" * 20, actor=reviewer)
    assert [u.username for u in list_users(session, actor=None)] == ["ana"]


def test_old_login_attempts_are_purged(session: Session, make_user: Callable[..., AppUser]) -> None:
    make_user()
    with pytest.raises(Unauthenticated):
        authenticate(session, "ana", "no es la clave", "10.0.0.1")
    session.execute(update(LoginAttempt).values(at=datetime.now(UTC) - timedelta(days=2)))
    session.commit()
    authenticate(session, "ana", PASSWORD, "10.0.0.1")
    assert list(session.scalars(select(LoginAttempt.ok))) == [True]
