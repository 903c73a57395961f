"""``pade publish``: the open outputs of a run, after disclosure control (mounted by ``pade.cli``).

A thin shell over :func:`~pade.reports.opendata.publish_opendata` and
:func:`~pade.reports.opensdg.publish_opensdg`; errors are :class:`~pade.core.errors.PadeError` and the
root CLI turns them into exit code 1 with their message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pade.core.db import make_engine, session_factory
from pade.core.i18n import t
from pade.core.settings import Settings

console = Console()

publish_app = typer.Typer(help=t("Publish the indicators as open data (statistical disclosure control applied)."),
                          no_args_is_help=True)

RunOpt = Annotated[int | None, typer.Option("--run", help=t("Indicator run to publish (default: the latest)."))]
KOpt = Annotated[int | None, typer.Option("--k", min=2, help=t(
    "Minimum number of units a published cell counts (default: PADE_DISCLOSURE_K or 5)."))]


@publish_app.command("opendata", help=t("Write the open data package (Frictionless Data Package, CSV + JSON)."))
def opendata_cmd(
    output: Annotated[Path, typer.Argument(help=t("Folder to write into."), file_okay=False)],
    run: RunOpt = None,
    k: KOpt = None,
    licence: Annotated[str, typer.Option("--licence", help=t("Licence of the data (default CC-BY-4.0)."))]
    = "CC-BY-4.0",
) -> None:
    """Write the open data package."""
    from pade.reports.opendata import publish_opendata

    settings = Settings()
    threshold = k or settings.disclosure_k
    with session_factory(make_engine(settings))() as session:
        path = publish_opendata(session, output, run_id=run, k=threshold, licence=licence)
    console.print(t("Open data package written: {path} (k = {k})", path=path, k=threshold))


@publish_app.command("opensdg", help=t("Write the Open SDG data and metadata files (data/ and meta/)."))
def opensdg_cmd(
    output: Annotated[Path, typer.Argument(help=t("Folder to write into."), file_okay=False)],
    run: RunOpt = None,
    k: KOpt = None,
) -> None:
    """Write the Open SDG files."""
    from pade.reports.opensdg import publish_opensdg

    settings = Settings()
    threshold = k or settings.disclosure_k
    with session_factory(make_engine(settings))() as session:
        path = publish_opensdg(session, output, run_id=run, k=threshold)
    console.print(t("Open SDG files written: {path} (k = {k})", path=path, k=threshold))
