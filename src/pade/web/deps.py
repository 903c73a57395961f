"""Named dependencies shared by routes (see STYLE.md: the HTTP layer stops at the router)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker


def _session(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    with factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(_session)]


def _transaction(request: Request) -> Iterator[Session]:
    """A session whose work commits when the route returns, or rolls back on error."""
    factory: sessionmaker[Session] = request.app.state.sessions
    with factory() as session, session.begin():
        yield session


TxSessionDep = Annotated[Session, Depends(_transaction)]
