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
    NavEntry(t("Reported values"), "/admin/valores", Permission.VIEW_ENTITY_DATA,
             t("Report the values of the variables without microdata, with their evidence, and see their history.")),
    NavEntry(t("Review of reported values"), "/admin/revision", Permission.REVIEW,
             t("Approve or reject the values the entities reported; approved ones count in the next compute.")),
    NavEntry(t("Reporting calendar"), "/admin/calendario", Permission.MANAGE_CALENDAR,
             t("Set by when each year's data is due, per reported variable and record kind.")),
    NavEntry(t("Data quality"), "/admin/calidad", Permission.VIEW_ENTITY_DATA,
             t("Per entity: which periods have data, what is late, pending review or in quarantine.")),
]


def entries_for(actor: Actor) -> list[NavEntry]:
    """The entries ``actor`` may use, in declaration order."""
    return [e for e in NAV if allowed(actor, e.permission, actor.entity_code)]
