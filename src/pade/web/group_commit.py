"""Self-diagnosis submissions written in groups: one transaction and one commit for all that wait.

Each submission used to be its own transaction, and SQLite commits one at a time (with
``synchronous=FULL`` each commit waits for the disk), so the commit rate bounded submissions
(decision 0016). Here every submission of a process joins a queue; one writer task takes all
that are waiting, scores and writes them with :func:`pade.diagnostics.assessments.submit_many`
(one commit), and only then answers each request: group commit, as PostgreSQL does for
concurrent committers. A request is acknowledged after its data is durable, never before
(decision 0017). Submissions that arrive while a group is written form the next group.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import anyio

from pade.core.errors import PadeError
from pade.diagnostics.assessments import Submission, Submitted, submit_many
from pade.web.deps import write_gate

MAX_GROUP = 64  # bounds one transaction's time, and so the wait of the requests behind it


class SubmissionQueue:
    """The submissions of one event loop waiting for their group's commit."""

    def __init__(self, state: Any) -> None:
        self._state = state
        self._waiting: list[tuple[Submission, asyncio.Future[Submitted | PadeError]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: Submission) -> Submitted:
        """Queue ``item`` and wait for its group's commit.

        Raises:
            PadeError: the submission's own error (invalid answers, already submitted, …).
        """
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Submitted | PadeError] = loop.create_future()
        self._waiting.append((item, done))
        if self._writer is None or self._writer.done():
            self._writer = loop.create_task(self._write())
        # shield: a client that leaves does not cancel the write its submission is part of
        outcome = await asyncio.shield(done)
        if isinstance(outcome, PadeError):
            raise outcome
        return outcome

    async def _write(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
            try:
                async with write_gate(self._state):
                    outcomes = await anyio.to_thread.run_sync(submit_many, self._state.engine,
                                                              [item for item, _ in group])
            except Exception as e:  # the group's transaction failed: every request in it gets the error
                for _, done in group:
                    if not done.done():
                        done.set_exception(e)
                continue
            for (_, done), outcome in zip(group, outcomes, strict=True):
                if not done.done():
                    done.set_result(outcome)


def submission_queue(state: Any) -> SubmissionQueue:
    """The queue of this process and event loop (a test client may start several loops)."""
    if not hasattr(state, "submission_queues"):
        state.submission_queues = weakref.WeakKeyDictionary()
    queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SubmissionQueue] = state.submission_queues
    loop = asyncio.get_running_loop()
    if loop not in queues:
        queues[loop] = SubmissionQueue(state)
    return queues[loop]
