"""PADE's error hierarchy.

Every error PADE raises on purpose derives from :class:`PadeError` and from the
builtin that matches its meaning, so callers may catch either. Messages are
user-facing Spanish text built through the i18n catalogue: they say what
failed, where, and how to fix it.
"""

from __future__ import annotations


class PadeError(Exception):
    """Root of PADE's errors. ``http_status`` is used by the web layer."""

    http_status = 500


class InvalidDefinition(PadeError, ValueError):
    """A programme or questionnaire definition is malformed or inconsistent."""

    http_status = 422


class NotFound(PadeError, LookupError):
    """A requested object does not exist."""

    http_status = 404


class Unauthenticated(PadeError, PermissionError):
    """The request needs a signed-in user and has none (or the session expired)."""

    http_status = 401


class Forbidden(PadeError, PermissionError):
    """The signed-in user's role or entity does not allow this action."""

    http_status = 403


class Conflict(PadeError, ValueError):
    """The action conflicts with the object's state (e.g. approving a value twice)."""

    http_status = 409


class StoreError(PadeError, RuntimeError):
    """The system of record cannot be reached, created or migrated."""

    http_status = 503


class ConfigError(PadeError, ValueError):
    """A setting is missing or invalid."""

    http_status = 500
