"""The sections of the back-office home (``/admin``): one entry per page, shown by permission.

Each back-office feature appends its entry here; ``/admin`` lists those the signed-in
actor's role allows (entity-scoped permissions count for the officer's own entity).
Labels and descriptions go through :func:`t` here so the catalogue extracts them.
"""

from __future__ import annotations

from dataclasses import dataclass

from pade.auth.roles import Actor, Permission, allowed
from pade.core.i18n import t


@dataclass(frozen=True, slots=True)
class NavEntry:
    """A link on the back-office home."""

    label: str
    url: str
    permission: Permission
    description: str = ""


NAV: list[NavEntry] = [
    NavEntry(t("Users"), "/admin/usuarios", Permission.MANAGE_USERS,
             t("Create accounts, deactivate them and reset passwords.")),
    NavEntry(t("Imports"), "/admin/importaciones", Permission.VIEW_ENTITY_DATA,
             t("Upload CSV or XLSX files, read the validation report, fix the quarantine and see the history.")),
    NavEntry(t("Import review"), "/admin/importaciones/revision", Permission.REVIEW,
             t("Approve or reject the batches the entities uploaded: only approved ones count.")),
    NavEntry(t("Compute"), "/admin/calculo", Permission.RUN_COMPUTE,
             t("Compute the indicators, follow the progress and see the runs with their lineage.")),
]


def entries_for(actor: Actor) -> list[NavEntry]:
    """The entries ``actor`` may use, in declaration order."""
    return [e for e in NAV if allowed(actor, e.permission, actor.entity_code)]
