"""Roles, the acting user, and the permission matrix: the one place that says who may do what.

Every service that changes or reveals back-office data calls :func:`require` with
the acting user; the web layer resolves the user from the session and passes it
down (pages only hide buttons for comfort, never for safety).

| permission          | admin | oficial (own entity) | revisor | comite |
|---------------------|:-----:|:--------------------:|:-------:|:------:|
| VIEW_BACKOFFICE     |   ✓   |          ✓           |    ✓    |   ✓    |
| VIEW_ENTITY_DATA    |   ✓   |          ✓ own       |    ✓    |   ✓    |
| VIEW_UNPUBLISHED    |   ✓   |                      |    ✓    |   ✓    |
| IMPORT_RECORDS      |   ✓   |          ✓ own       |         |        |
| REPORT_VALUES       |   ✓   |          ✓ own       |         |        |
| REVIEW              |   ✓   |                      |    ✓    |        |
| RUN_COMPUTE         |   ✓   |                      |         |        |
| MANAGE_CALENDAR     |   ✓   |                      |         |        |
| MANAGE_USERS        |   ✓   |                      |         |        |
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pade.core.errors import Forbidden, Unauthenticated
from pade.core.i18n import t


class Role(StrEnum):
    """Back-office roles (see docs/decisions/0011-web-platform.md)."""

    ADMIN = "admin"  # SGTD administrator: everything
    OFICIAL = "oficial"  # officer of one responsible entity: that entity's uploads and reports
    REVISOR = "revisor"  # SGTD reviewer: approves or rejects reported values and imports
    COMITE = "comite"  # committee member: read-only, unpublished results included


class Permission(StrEnum):
    """Actions guarded on the server."""

    VIEW_BACKOFFICE = "view_backoffice"
    VIEW_ENTITY_DATA = "view_entity_data"  # an entity's imports, quarantine, reported values and history
    VIEW_UNPUBLISHED = "view_unpublished"  # runs, lineage and results across entities before publication
    IMPORT_RECORDS = "import_records"
    REPORT_VALUES = "report_values"
    REVIEW = "review"
    RUN_COMPUTE = "run_compute"
    MANAGE_CALENDAR = "manage_calendar"
    MANAGE_USERS = "manage_users"


# Permissions an officer holds only for their own entity.
ENTITY_SCOPED: frozenset[Permission] = frozenset(
    {Permission.VIEW_ENTITY_DATA, Permission.IMPORT_RECORDS, Permission.REPORT_VALUES}
)

MATRIX: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.OFICIAL: frozenset(
        {Permission.VIEW_BACKOFFICE, Permission.VIEW_ENTITY_DATA, Permission.IMPORT_RECORDS, Permission.REPORT_VALUES}
    ),
    Role.REVISOR: frozenset(
        {Permission.VIEW_BACKOFFICE, Permission.VIEW_ENTITY_DATA, Permission.VIEW_UNPUBLISHED, Permission.REVIEW}
    ),
    Role.COMITE: frozenset({Permission.VIEW_BACKOFFICE, Permission.VIEW_ENTITY_DATA, Permission.VIEW_UNPUBLISHED}),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in user acting on a request (or a CLI operator acting as admin)."""

    user_id: int
    username: str
    role: Role
    entity_code: str | None = None  # set for, and only for, role ``oficial``

    @property
    def audit_name(self) -> str:
        """How the audit log names this actor: a username, never a personal name."""
        return f"{self.role.value}:{self.username}"


def allowed(actor: Actor | None, permission: Permission, entity_code: str | None = None) -> bool:
    """Whether ``actor`` may do ``permission`` (on ``entity_code``'s data when given)."""
    if actor is None or permission not in MATRIX[actor.role]:
        return False
    if actor.role is Role.OFICIAL and permission in ENTITY_SCOPED:
        return entity_code is not None and entity_code == actor.entity_code
    return True


def require(actor: Actor | None, permission: Permission, entity_code: str | None = None) -> Actor:
    """Return ``actor`` if allowed, else raise :class:`Unauthenticated` or :class:`Forbidden`."""
    if actor is None:
        raise Unauthenticated(t("Sign in to continue: this page needs a back-office account."))
    if not allowed(actor, permission, entity_code):
        if actor.role is Role.OFICIAL and permission in ENTITY_SCOPED and permission in MATRIX[actor.role]:
            raise Forbidden(
                t(
                    "Your account belongs to entity {own} and cannot act on data of entity {other}.",
                    own=actor.entity_code or "-",
                    other=entity_code or "-",
                )
            )
        raise Forbidden(t("Your role ({role}) does not allow this action.", role=actor.role.value))
    return actor


def visible_entities(actor: Actor, all_codes: list[str]) -> list[str]:
    """Entity codes whose back-office data ``actor`` may see."""
    return [c for c in all_codes if allowed(actor, Permission.VIEW_ENTITY_DATA, c)]
