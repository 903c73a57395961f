"""Refuse an oversized upload before its body is read (decision 0015).

Starlette spools a multipart body to disk before the route runs, so a size check in the
route (``uploads.save_upload``) only protects the import, not the server: a 2 GB post would
be written to a temporary file first. :class:`BodyLimit` sits in front of the app and answers
413 at once when ``Content-Length`` is over the route's limit, and stops a body sent without
``Content-Length`` (chunked) as soon as the bytes received pass it. The answer is the Spanish
error page for the back-office forms and ``{"detail": ...}`` for ``/api/``.

The limits are read on every request from the modules that own them (tests patch them).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pade.core.i18n import t
from pade.records import uploads
from pade.reporting import evidence

# Form fields, part headers and boundaries around the file: generous, the text fields are short.
MULTIPART_OVERHEAD_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Limit:
    """The body limit of the routes whose ``method`` and path match: bytes, and the Spanish refusal."""

    method: str
    path: re.Pattern[str]
    max_bytes: Callable[[], int]
    message: Callable[[], str]


def _mb(size_bytes: int) -> int:
    return max(1, size_bytes // (1024 * 1024))


def upload_limits() -> list[Limit]:
    """The routes that take a file or a batch of rows, with their limits."""
    return [
        Limit("POST", re.compile(r"/admin/importaciones/[^/]+"),
              lambda: uploads.MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES,
              lambda: t("The file sent is larger than {limit} MB, the most an import through the back-office "
                        "accepts. Split it into several files and upload them one by one, or ask the SGTD to load "
                        "it with `pade import`.", limit=_mb(uploads.MAX_UPLOAD_BYTES))),
        Limit("POST", re.compile(r"/admin/valores"),
              lambda: evidence.MAX_EVIDENCE_BYTES + MULTIPART_OVERHEAD_BYTES,
              lambda: t("The evidence file is larger than {limit} MB, the most a reported value accepts. Attach a "
                        "smaller file (e.g. the PDF compressed) or give the document's address (URL) instead.",
                        limit=_mb(evidence.MAX_EVIDENCE_BYTES))),
        Limit("POST", re.compile(r"/api/v1/records/[^/]+"), lambda: uploads.MAX_UPLOAD_BYTES,
              lambda: t("The request body is larger than {limit} MB, the most /api/v1/records accepts. Send the "
                        "rows in several smaller batches, or load the file with `pade import`.",
                        limit=_mb(uploads.MAX_UPLOAD_BYTES))),
    ]


class _TooLarge(Exception):
    """Raised into the app by the limited ``receive`` once the body passes the limit."""


class BodyLimit:
    """Pure ASGI middleware: 413 for a request body over its route's :class:`Limit`."""

    def __init__(self, app: ASGIApp, limits: list[Limit]) -> None:
        self.app = app
        self.limits = limits

    def _limit(self, scope: Scope) -> Limit | None:
        if scope["type"] != "http":
            return None
        path = str(scope.get("path", ""))
        return next((x for x in self.limits if x.method == scope["method"] and x.path.fullmatch(path)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self._limit(scope)
        if limit is None:
            await self.app(scope, receive, send)
            return
        max_bytes = limit.max_bytes()
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            await _refuse(scope, send, limit.message())  # nothing of the body is read
            return
        received = 0
        over = started = False

        async def limited_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    over = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:  # the app's own answer to a body cut short (FastAPI makes it a 400) is replaced
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        # FastAPI turns _TooLarge into a 400 when it parses the body itself (dropped by guarded_send);
        # raised while a dependency reads the form (the CSRF check), it comes through.
        with contextlib.suppress(_TooLarge):
            await self.app(scope, limited_receive, guarded_send)
        if over and not started:
            await _refuse(scope, send, limit.message())


async def _refuse(scope: Scope, send: Send, message: str) -> None:
    if str(scope.get("path", "")).startswith("/api/"):
        body, media = json.dumps({"detail": message}, ensure_ascii=False).encode(), b"application/json"
    else:
        page = scope["app"].state.templates.get_template("error.html")
        body, media = page.render(request=Request(scope), message=message).encode(), b"text/html; charset=utf-8"
    # Connection: close, because the rest of the body is never read and the connection cannot be reused.
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", media), (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


def install(app: FastAPI) -> None:
    """Put :class:`BodyLimit` with :func:`upload_limits` in front of ``app``'s routes.

    Call it before ``security.install``, so the refusal still gets the security headers.
    """
    app.add_middleware(BodyLimit, limits=upload_limits())
