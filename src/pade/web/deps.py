"""Named dependencies shared by routes (see STYLE.md: the HTTP layer stops at the router)."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData, UploadFile


def _session(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    with factory() as session:
        yield session


SessionDep = Annotated[Session, Depends(_session)]


# Write units of work at once per process: SQLite has one writer, so more only wait for its lock.
SQLITE_WRITERS = 1
OTHER_WRITERS = 16


def write_gate(state: Any) -> asyncio.Semaphore:
    """The write units of work queue of this process and event loop (decision 0016).

    A thread waiting for SQLite's write lock holds one of the thread pool's tokens; with enough of
    them waiting, the lock holder finds no thread to commit in, and every writer waits out the
    busy timeout ("database is locked"). Waiting here takes no thread, and the queue is FIFO.
    """
    if not hasattr(state, "write_gates"):
        state.write_gates = weakref.WeakKeyDictionary()
    gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = state.write_gates
    loop = asyncio.get_running_loop()  # a semaphore belongs to one loop; a test client may start several
    if loop not in gates:
        sqlite = state.engine.url.get_backend_name() == "sqlite"
        gates[loop] = asyncio.Semaphore(SQLITE_WRITERS if sqlite else OTHER_WRITERS)
    return gates[loop]


async def _write_gate(request: Request) -> AsyncIterator[None]:
    """Queue write units of work on the event loop, not in worker threads (see :func:`write_gate`)."""
    async with write_gate(request.app.state):
        yield


WriteGate = Annotated[None, Depends(_write_gate, scope="function")]
"""A parameter of a route that writes through the engine itself (``_gate: WriteGate``)."""


def _transaction(request: Request, _gate: WriteGate) -> Iterator[Session]:
    """A session whose work commits when the route returns, or rolls back on error."""
    factory: sessionmaker[Session] = request.app.state.sessions
    with factory() as session, session.begin():
        yield session


async def _form(request: Request) -> FormData:
    return await request.form()


FormDep = Annotated[FormData, Depends(_form)]
"""The posted form, parsed when this parameter's turn comes: declared after the permission checks
(``ActorDep``, ``requires``, ``CsrfDep``), a visitor who may not post is refused before the body is read.
(Route parameters declared with ``Form()``/``File()`` are parsed before any dependency runs.)"""


def form_text(form: FormData, name: str) -> str:
    """A text field of ``form`` ("" when missing or a file)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def form_file(form: FormData, name: str) -> UploadFile | None:
    """A file field of ``form`` with a file name, else None."""
    value = form.get(name)
    return value if isinstance(value, UploadFile) and value.filename else None


# scope="function": the commit runs before the response is sent, so a 2xx means the work is stored
# (FastAPI's default for yield dependencies runs their exit after the response).
TxSessionDep = Annotated[Session, Depends(_transaction, scope="function")]
