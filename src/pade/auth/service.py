"""Back-office accounts: password hashing, sign-in with rate limiting, server-side sessions.

Passwords are hashed with argon2id (argon2-cffi's defaults, which follow RFC 9106's
low-memory profile); a hash made with older parameters is replaced at the next
successful sign-in. Sessions live in ``user_session``: the browser holds a random
token and the table keeps only its SHA-256, so a leaked table cannot be replayed.
Login attempts are kept as SHA-256 keys of the client address (and username), never
the address, the username or the password.

Example:
    >>> from pade.auth.service import check_password_policy
    >>> check_password_policy("una frase larga de acceso")
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pade.auth.models import AppUser, LoginAttempt, UserSession
from pade.auth.roles import Actor, Permission, Role, require
from pade.core import audit
from pade.core.errors import Conflict, InvalidDefinition, NotFound, PadeError, Unauthenticated
from pade.core.i18n import t
from pade.registry.models import Entity
from pade.registry.service import entity_codes

log = logging.getLogger(__name__)

MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 256
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,59}$")
LOGIN_WINDOW = timedelta(minutes=15)
ATTEMPTS_KEPT = timedelta(days=1)  # older login attempts are deleted at the next sign-in
MAX_FAILS_PER_USERNAME = 5  # per client address and username, within LOGIN_WINDOW
MAX_FAILS_PER_ADDRESS = 20  # per client address, any username, within LOGIN_WINDOW
DEFAULT_SESSION_TTL = timedelta(hours=8)
CLI_ACTOR = "cli"

_hasher = PasswordHasher()  # argon2id
# Verified when the username does not exist, so both paths cost one argon2 hash (no user enumeration by timing).
_DUMMY_HASH = _hasher.hash("pade-dummy-password-for-timing")


class TooManyAttempts(PadeError, PermissionError):
    """Too many failed sign-ins from one address: wait before trying again."""

    http_status = 429


@dataclass(frozen=True, slots=True)
class UserView:
    """What the back-office shows of an account (never the hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    entity_code: str | None
    active: bool
    created_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(at: datetime) -> datetime:
    # SQLite returns naive datetimes for timezone-aware columns; they were stored in UTC.
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _view(user: AppUser) -> UserView:
    return UserView(id=user.id, username=user.username, display_name=user.display_name, role=Role(user.role),
                    entity_code=user.entity_code, active=user.active, created_at=user.created_at)


def _actor(user: AppUser) -> Actor:
    return Actor(user_id=user.id, username=user.username, role=Role(user.role), entity_code=user.entity_code)


def check_password_policy(password: str) -> None:
    """Raise :class:`InvalidDefinition` when ``password`` is too short, too long or blank-padded only."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidDefinition(t("The password has {n} characters; it needs at least {min}. A phrase of several "
                                  "words is easy to remember and hard to guess.", n=len(password),
                                  min=MIN_PASSWORD_CHARS))
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidDefinition(t("The password is longer than {max} characters.", max=MAX_PASSWORD_CHARS))
    if not password.strip():
        raise InvalidDefinition(t("The password cannot be only spaces."))


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (after checking the policy), encoded with its parameters."""
    check_password_policy(password)
    return _hasher.hash(password)


def _parse_role(role: str | Role) -> Role:
    try:
        return Role(role)
    except ValueError as e:
        raise InvalidDefinition(t("Unknown role {role}: use one of {roles}.", role=str(role),
                                  roles=", ".join(r.value for r in Role))) from e


def _check_entity(session: Session, role: Role, entity_code: str | None) -> str | None:
    code = (entity_code or "").strip() or None
    if role is Role.OFICIAL:
        if code is None:
            raise InvalidDefinition(t("An officer (role oficial) belongs to one entity: give its code "
                                      "(e.g. --entidad PRODUCE)."))
        if session.get(Entity, code) is None:
            known = entity_codes(session)
            raise InvalidDefinition(t("Entity {code} is not in the registry. Known entities: {known}. "
                                      "Load the programme first (pade programme load) if the list is empty.",
                                      code=code, known=", ".join(known) or "-"))
        return code
    if code is not None:
        raise InvalidDefinition(t("Only officers (role oficial) belong to an entity; role {role} must not have "
                                  "one (remove {code}).", role=role.value, code=code))
    return None


def _audit_name(actor: Actor | None) -> str:
    return actor.audit_name if actor is not None else CLI_ACTOR


def create_user(session: Session, *, username: str, display_name: str, role: str | Role,
                entity_code: str | None, password: str, actor: Actor | None) -> AppUser:
    """Create an account. ``actor`` None means the CLI operator (who has the store itself).

    Raises:
        Forbidden: ``actor`` may not manage users.
        InvalidDefinition: bad username, role, entity or password.
        Conflict: the username is taken.
    """
    if actor is not None:
        require(actor, Permission.MANAGE_USERS)
    username = username.strip().lower()
    if not USERNAME_RE.fullmatch(username):
        raise InvalidDefinition(t("Username «{username}» is not valid: use 3 to 60 lowercase letters, digits, "
                                  "dots, hyphens or underscores, starting with a letter or digit.",
                                  username=username))
    display_name = display_name.strip()
    if not display_name or len(display_name) > 120:
        raise InvalidDefinition(t("The display name must have between 1 and 120 characters."))
    parsed = _parse_role(role)
    code = _check_entity(session, parsed, entity_code)
    if session.scalar(select(AppUser.id).where(AppUser.username == username)) is not None:
        raise Conflict(t("Username {username} is already taken: choose another one.", username=username))
    now = _now()
    user = AppUser(username=username, display_name=display_name, role=parsed.value, entity_code=code,
                   password_hash=hash_password(password), active=True, created_at=now, password_changed_at=now)
    session.add(user)
    session.flush()
    audit.record(session, actor=_audit_name(actor), action="user.create", object_type="app_user",
                 object_id=str(user.id), payload={"username": username, "role": parsed.value, "entity": code},
                 details={"role": parsed.value, "entity": code})
    log.info("user created id=%s role=%s", user.id, parsed.value)
    return user


def list_users(session: Session, *, actor: Actor | None) -> list[UserView]:
    """Every account, by username."""
    if actor is not None:
        require(actor, Permission.MANAGE_USERS)
    return [_view(u) for u in session.scalars(select(AppUser).order_by(AppUser.username))]


def _user(session: Session, *, user_id: int | None = None, username: str | None = None) -> AppUser:
    if user_id is not None:
        user = session.get(AppUser, user_id)
    else:
        user = session.scalar(select(AppUser).where(AppUser.username == (username or "").strip().lower()))
    if user is None:
        raise NotFound(t("User {user} does not exist (see pade users list).", user=username or user_id))
    return user


def set_active(session: Session, *, user_id: int, active: bool, actor: Actor | None) -> UserView:
    """Deactivate (signing the user out everywhere) or reactivate an account."""
    if actor is not None:
        require(actor, Permission.MANAGE_USERS)
        if actor.user_id == user_id and not active:
            raise Conflict(t("You cannot deactivate your own account; ask another administrator."))
    user = _user(session, user_id=user_id)
    user.active = active
    if not active:
        session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    audit.record(session, actor=_audit_name(actor), action="user.activate" if active else "user.deactivate",
                 object_type="app_user", object_id=str(user.id), payload={"active": active})
    session.flush()
    return _view(user)


def set_password(session: Session, *, password: str, actor: Actor | None, user_id: int | None = None,
                 username: str | None = None) -> UserView:
    """Replace an account's password and close its open sessions."""
    if actor is not None:
        require(actor, Permission.MANAGE_USERS)
    user = _user(session, user_id=user_id, username=username)
    user.password_hash = hash_password(password)
    user.password_changed_at = _now()
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    audit.record(session, actor=_audit_name(actor), action="user.set_password", object_type="app_user",
                 object_id=str(user.id), payload={"changed_at": user.password_changed_at.isoformat()})
    session.flush()
    return _view(user)


def _failures_since(session: Session, key: str, since: datetime) -> list[datetime]:
    last_ok = session.scalar(select(func.max(LoginAttempt.at)).where(LoginAttempt.key == key, LoginAttempt.ok))
    start = max(since, _aware(last_ok)) if last_ok is not None else since
    rows = session.scalars(select(LoginAttempt.at).where(LoginAttempt.key == key, LoginAttempt.at > start,
                                                         LoginAttempt.ok.is_(False)).order_by(LoginAttempt.at))
    return [_aware(at) for at in rows]


def _check_rate(session: Session, keys: list[tuple[str, int]], now: datetime) -> None:
    for key, limit in keys:
        fails = _failures_since(session, key, now - LOGIN_WINDOW)
        if len(fails) >= limit:
            free_at = fails[len(fails) - limit] + LOGIN_WINDOW
            minutes = max(1, -(-int((free_at - now).total_seconds()) // 60))
            raise TooManyAttempts(t("Too many failed sign-in attempts. Wait {minutes} minute(s) and try again, "
                                    "or ask an administrator to reset your password.", minutes=minutes))


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    """What :func:`check_password` found, for :func:`record_sign_in` to write down."""

    user_key: str
    address_key: str
    at: datetime
    user_id: int | None  # the named account, when it exists
    verified_hash: str | None  # the stored hash the password matched; None: wrong password or unknown user
    new_hash: str | None  # the password hashed with today's parameters, when the stored hash is older


def check_password(session: Session, username: str, password: str, client_key: str) -> PasswordCheck:
    """The read half of a sign-in: the rate limit, then argon2 (tens of ms of CPU). Writes nothing.

    Run it outside any write lock or queue; :func:`record_sign_in` then writes the outcome.

    Raises:
        TooManyAttempts: 5 failures for this address and username, or 20 for this address,
            within 15 minutes.
    """
    name = username.strip().lower()
    now = _now()
    user_key = _sha256(f"{client_key}|{name}")
    address_key = _sha256(f"{client_key}|*")
    _check_rate(session, [(user_key, MAX_FAILS_PER_USERNAME), (address_key, MAX_FAILS_PER_ADDRESS)], now)
    user = session.scalar(select(AppUser).where(AppUser.username == name)) if name else None
    try:
        _hasher.verify(user.password_hash if user is not None else _DUMMY_HASH, password)
        verified = user.password_hash if user is not None else None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        verified = None
    new_hash = _hasher.hash(password) if verified is not None and _hasher.check_needs_rehash(verified) else None
    return PasswordCheck(user_key=user_key, address_key=address_key, at=now,
                         user_id=user.id if user is not None else None, verified_hash=verified, new_hash=new_hash)


def record_sign_in(session: Session, check: PasswordCheck) -> Actor:
    """The write half of a sign-in: record the attempt and **commit** it, even when this raises.

    The rate limit is checked again first, so failures recorded by concurrent sign-ins since
    :func:`check_password` still count. A password changed in between fails the sign-in.

    Raises:
        TooManyAttempts: the limit was reached meanwhile.
        Unauthenticated: wrong username or password, or a deactivated account.
    """
    keys = [(check.user_key, MAX_FAILS_PER_USERNAME), (check.address_key, MAX_FAILS_PER_ADDRESS)]
    _check_rate(session, keys, check.at)
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < check.at - ATTEMPTS_KEPT))
    user = session.get(AppUser, check.user_id) if check.user_id is not None else None
    if user is None or check.verified_hash is None or user.password_hash != check.verified_hash:
        session.add_all([LoginAttempt(key=check.user_key, at=check.at, ok=False),
                         LoginAttempt(key=check.address_key, at=check.at, ok=False)])
        session.commit()
        raise Unauthenticated(t("Wrong username or password."))
    if not user.active:
        session.add(LoginAttempt(key=check.user_key, at=check.at, ok=False))
        session.commit()
        raise Unauthenticated(t("This account is deactivated. Ask an administrator to reactivate it."))
    if check.new_hash is not None:
        user.password_hash = check.new_hash
        log.info("password rehashed id=%s", user.id)
    session.add(LoginAttempt(key=check.user_key, at=check.at, ok=True))
    session.commit()
    return _actor(user)


def authenticate(session: Session, username: str, password: str, client_key: str) -> Actor:
    """Check a username and password; return the actor (:func:`check_password`, then :func:`record_sign_in`).

    ``client_key`` identifies the client (its address). The attempt is recorded and
    **committed** even when this raises, so rolling back cannot erase failures.

    Raises:
        TooManyAttempts: 5 failures for this address and username, or 20 for this address,
            within 15 minutes.
        Unauthenticated: wrong username or password, or a deactivated account.
    """
    return record_sign_in(session, check_password(session, username, password, client_key))


def open_session(session: Session, actor: Actor, *, ttl: timedelta = DEFAULT_SESSION_TTL) -> tuple[str, str]:
    """Start a session for ``actor``; return ``(session_id, csrf_token)`` (the caller commits).

    Only the SHA-256 of ``session_id`` is stored.
    """
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = _now()
    session.execute(delete(UserSession).where(UserSession.user_id == actor.user_id, UserSession.expires_at < now))
    session.add(UserSession(id=_sha256(session_id), user_id=actor.user_id, csrf_token=csrf, created_at=now,
                            expires_at=now + ttl))
    session.flush()
    return session_id, csrf


def actor_for_session(session: Session, session_id: str) -> tuple[Actor, str] | None:
    """The actor and CSRF token of a live session, or None (unknown, expired, or user deactivated)."""
    row = session.execute(
        select(UserSession, AppUser).join(AppUser, AppUser.id == UserSession.user_id)
        .where(UserSession.id == _sha256(session_id))
    ).first()
    if row is None:
        return None
    user_session, user = row
    if _aware(user_session.expires_at) <= _now() or not user.active:
        return None
    return _actor(user), user_session.csrf_token


def close_session(session: Session, session_id: str) -> None:
    """End a session (signing out). Unknown ids are ignored."""
    session.execute(delete(UserSession).where(UserSession.id == _sha256(session_id)))
