"""``pade users``: create back-office accounts, list them, set passwords.

The operator at the command line has the store itself, so these commands act as
the CLI operator (audited as ``cli``) without signing in. Passwords are read from
standard input (``--password-stdin``) or a hidden prompt, never from an argument
(arguments end up in shell history and process lists).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from pade.auth.roles import Role
from pade.auth.service import create_user, list_users, set_password
from pade.core.db import make_engine, migrate, session_factory, transaction
from pade.core.errors import InvalidDefinition
from pade.core.i18n import t
from pade.core.settings import Settings

console = Console()

app = typer.Typer(help=t("Back-office accounts: create, list, set passwords."), no_args_is_help=True)

PasswordStdinOpt = Annotated[bool, typer.Option("--password-stdin", help=t(
    "Read the password from standard input (first line) instead of a hidden prompt."))]


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InvalidDefinition(t("No password on standard input."))
        return password
    first: str = typer.prompt(t("Password"), hide_input=True)
    second: str = typer.prompt(t("Repeat the password"), hide_input=True)
    if first != second:
        raise InvalidDefinition(t("The two passwords differ; run the command again."))
    return first


def _factory() -> sessionmaker[Session]:
    engine = make_engine(Settings())
    migrate(engine)
    return session_factory(engine)


@app.command("create", help=t("Create a back-office account (role admin, oficial, revisor or comite)."))
def create_cmd(
    username: Annotated[str, typer.Option("--username", help=t("Login name: 3 to 60 lowercase letters, digits, "
                                                               "dots, hyphens or underscores."))],
    nombre: Annotated[str, typer.Option("--nombre", help=t("Name shown in the back-office."))],
    rol: Annotated[Role, typer.Option("--rol", help=t("Role: admin, oficial, revisor or comite."))],
    entidad: Annotated[str | None, typer.Option("--entidad", help=t(
        "Entity code (siglas) of an officer, e.g. PRODUCE; only for role oficial."))] = None,
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Create an account."""
    password = _read_password(password_stdin)
    with transaction(_factory()) as session:
        user = create_user(session, username=username, display_name=nombre, role=rol, entity_code=entidad,
                           password=password, actor=None)
        console.print(t("User {username} created with role {role}.", username=user.username, role=user.role),
                      highlight=False)


@app.command("list", help=t("List the back-office accounts."))
def list_cmd() -> None:
    """List accounts."""
    with transaction(_factory()) as session:
        users = list_users(session, actor=None)
    table = Table(t("Username"), t("Name"), t("Role"), t("Entity"), t("Status"))
    for u in users:
        table.add_row(u.username, u.display_name, u.role.value, u.entity_code or "—",
                      t("active") if u.active else t("deactivated"))
    console.print(table)


@app.command("set-password", help=t("Set a new password for an account (closes its open sessions)."))
def set_password_cmd(
    username: Annotated[str, typer.Option("--username", help=t("Login name of the account."))],
    password_stdin: PasswordStdinOpt = False,
) -> None:
    """Replace a password."""
    password = _read_password(password_stdin)
    with transaction(_factory()) as session:
        user = set_password(session, username=username, password=password, actor=None)
    console.print(t("Password of {username} changed.", username=user.username), highlight=False)
