"""Self-diagnosis writes in groups: one transaction and one commit for all the requests that wait.

Each write used to be its own transaction, and SQLite commits one at a time (with
``synchronous=FULL`` each commit waits for the disk), so the commit rate bounded the
self-diagnosis (decision 0016). Here each process has a :class:`GroupWriter` per event loop: a
request hands it its unit of work (start a draft, save answers, submit) and waits; one writer
task takes everything waiting, runs each kind's batch function once for all its units
(:func:`~pade.diagnostics.assessments.start_many`, ``save_many``, ``submit_many``: one transaction
each) and only then answers each request: group commit, as PostgreSQL does for concurrent
committers. A request is acknowledged after its data is durable, never before (decision 0017).
Units that arrive while a group is written form the next group.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import anyio
from sqlalchemy import Engine

from pade.core.errors import PadeError
from pade.web.deps import write_gate

MAX_GROUP = 64  # bounds one transaction's time, and so the wait of the requests behind it

Item = TypeVar("Item")
Result = TypeVar("Result")
Batch = Callable[[Engine, list[Item]], Sequence[Result | PadeError]]


class GroupWriter:
    """The write units of one event loop waiting for their group's commit."""

    def __init__(self, state: Any) -> None:
        self._state = state
        self._waiting: list[tuple[Callable[..., Sequence[Any]], Any, asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def run(self, batch: Batch[Item, Result], item: Item) -> Result:
        """Queue ``item`` for ``batch`` and wait for its group's commit.

        Raises:
            PadeError: the unit's own error (invalid answers, already submitted, …).
        """
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Any] = loop.create_future()
        self._waiting.append((batch, item, done))
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write())
        # shield: a client that leaves does not cancel the write its unit is part of
        outcome = await asyncio.shield(done)
        if isinstance(outcome, PadeError):
            raise outcome
        result: Result = outcome
        return result

    async def _write(self) -> None:
        while self._waiting:
            taken, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
            by_batch: dict[Callable[..., Sequence[Any]], list[tuple[Any, asyncio.Future[Any]]]] = {}
            for batch, item, done in taken:
                by_batch.setdefault(batch, []).append((item, done))
            for batch, units in by_batch.items():
                try:
                    async with write_gate(self._state):
                        outcomes = await anyio.to_thread.run_sync(batch, self._state.engine,
                                                                  [item for item, _ in units])
                except Exception as e:  # the group's transaction failed: every request in it gets the error
                    for _, done in units:
                        if not done.done():
                            done.set_exception(e)
                    continue
                for (_, done), outcome in zip(units, outcomes, strict=True):
                    if not done.done():
                        done.set_result(outcome)


def group_writer(state: Any) -> GroupWriter:
    """The writer of this process and event loop (a test client may start several loops)."""
    if not hasattr(state, "group_writers"):
        state.group_writers = weakref.WeakKeyDictionary()
    writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, GroupWriter] = state.group_writers
    loop = asyncio.get_running_loop()
    if loop not in writers:
        writers[loop] = GroupWriter(state)
    return writers[loop]


def run_from_thread(state: Any, batch: Batch[Item, Result], item: Item) -> Result:
    """:meth:`GroupWriter.run` from a sync route (which runs in a worker thread of the event loop)."""
    async def run() -> Result:
        return await group_writer(state).run(batch, item)

    return anyio.from_thread.run(run)
