"""The public portal's pages, rendered once per published run, and warmed before anyone asks (decision 0016).

:class:`PortalPageCache` is a pure ASGI middleware in front of the whole app. For an anonymous ``GET`` of
a public portal page (``/``, ``/indicadores``, ``/indicadores/{codigo}``, ``/datos``) it answers from the
HTML rendered for the same *portal state*, address and htmx headers, and renders it only on a miss.

- The portal state is (latest run id, its signature, latest programme version id): one indexed query
  per request, so a new compute or programme version shows at once; when it changes, every stored page
  is dropped.
- Only requests without the session cookie are served from or stored in the cache: ``base.html`` shows
  the signed-in user and a CSRF token. Back-office pages, other paths, errors and responses that set a
  cookie are never stored.
- Stored pages carry an ``ETag`` (``If-None-Match`` gets a 304 while the run is unchanged), ``Cache-Control:
  no-cache`` (browsers revalidate, so a new run shows at once) and ``Vary: Cookie``; a gzip copy is made
  once and sent to clients that accept it.

:class:`PortalWarmer` is a thread started with the server (ASGI lifespan): it builds the published run
(disclosure control), every indicator's chart, breakdown tables and map before the first visitor asks,
and again whenever a new run appears (a compute from the back-office or the command line).
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pade.core.settings import Settings
from pade.reports import portal
from pade.web.security import COOKIE_NAME

log = logging.getLogger(__name__)

PUBLIC_PAGES = re.compile(r"^/(?:indicadores(?:/[^/]+(?<!\.csv))?|datos)?$")  # not the CSV nor the open data files
MAX_PAGES = 256  # per process; every page of the portal with a handful of filter combinations
WARM_POLL_S = 5.0

State = portal.PublishedState


@dataclass(frozen=True)
class Page:
    """One rendered page: its headers (without length and encoding), body, gzip body and ETag."""

    headers: list[tuple[bytes, bytes]]
    body: bytes
    gzipped: bytes
    etag: bytes


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return b""


def _accepts_gzip(scope: Scope) -> bool:
    accepted = _header(scope, b"accept-encoding").decode("latin-1").lower()
    return any(part.split(";")[0].strip() == "gzip" and "q=0" not in part.replace(" ", "")
               for part in accepted.split(","))


class PortalState:
    """The current portal state, read with one query on a connection kept per thread."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._local = threading.local()
        self.inline = engine.url.get_backend_name() == "sqlite"  # a local file: cheaper than a thread hop

    def read(self) -> State:
        conn: Connection | None = getattr(self._local, "conn", None)
        try:
            if conn is None:
                conn = self._local.conn = self._engine.connect()
            state = portal.portal_state(conn)
            conn.rollback()  # end the read transaction: the next query must see new commits
            return state
        except Exception:
            self._local.conn = None
            if conn is not None:
                conn.invalidate()
            raise

    async def current(self) -> State:
        if self.inline:
            return self.read()
        return await anyio.to_thread.run_sync(self.read)


class PortalPageCache:
    """Serve anonymous GETs of the public portal pages from HTML rendered once per portal state."""

    def __init__(self, app: ASGIApp, *, state: PortalState, warmer: PortalWarmer | None = None,
                 max_pages: int = MAX_PAGES) -> None:
        self.app = app
        self.state = state
        self.warmer = warmer
        self.max_pages = max_pages
        self._pages: OrderedDict[tuple[Any, ...], Page] = OrderedDict()
        self._seen: State | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" and self.warmer is not None:
            await self.app(scope, receive, self.warmer.lifespan(send))
            return
        if (scope["type"] != "http" or scope["method"] != "GET" or not PUBLIC_PAGES.match(scope["path"])
                or f"{COOKIE_NAME}=".encode() in _header(scope, b"cookie")):
            await self.app(scope, receive, send)
            return
        state = await self.state.current()
        if state != self._seen:
            self._pages.clear()
            self._seen = state
        key = (state, scope["scheme"], _header(scope, b"host"), scope.get("root_path", ""), scope["path"],
               scope["query_string"], _header(scope, b"hx-request"), _header(scope, b"hx-history-restore-request"))
        page = self._pages.get(key)
        if page is None:
            page = await self._render(scope, receive, send)
            if page is None:
                return  # not storable: already sent as the app answered
            if self._seen == state:
                self._pages[key] = page
                while len(self._pages) > self.max_pages:
                    self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(key)
        await self._send(page, scope, send)

    async def _render(self, scope: Scope, receive: Receive, send: Send) -> Page | None:
        """Run the app; return the page if it may be stored, else pass the answer through and return None."""
        start: Message | None = None
        chunks: list[bytes] = []
        passing = False

        async def capture(message: Message) -> None:
            nonlocal start, passing
            if passing:
                await send(message)
            elif message["type"] == "http.response.start":
                headers = {k.lower(): v for k, v in message.get("headers", [])}
                storable = (message["status"] == 200 and headers.get(b"content-type", b"").startswith(b"text/html")
                            and b"set-cookie" not in headers and b"content-encoding" not in headers)
                if storable:
                    start = message
                else:
                    passing = True
                    await send(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        if passing or start is None:
            return None
        body = b"".join(chunks)
        headers = [(k, v) for k, v in start.get("headers", [])
                   if k.lower() not in (b"content-length", b"etag", b"cache-control", b"vary")]
        vary = {v.strip() for k, v in start.get("headers", []) if k.lower() == b"vary" for v in v.split(b",")}
        vary |= {b"Cookie", b"Accept-Encoding"}
        headers += [(b"cache-control", b"no-cache"), (b"vary", b", ".join(sorted(vary)))]
        etag = hashlib.blake2b(body, digest_size=12).hexdigest().encode()
        return Page(headers, body, gzip.compress(body, compresslevel=6, mtime=0), b'"' + etag + b'"')

    async def _send(self, page: Page, scope: Scope, send: Send) -> None:
        zipped = _accepts_gzip(scope)
        etag = page.etag[:-1] + b'-gz"' if zipped else page.etag
        if etag in (t.strip() for t in _header(scope, b"if-none-match").split(b",")):
            headers = [(k, v) for k, v in page.headers if k in (b"cache-control", b"vary")]
            await send({"type": "http.response.start", "status": 304, "headers": [*headers, (b"etag", etag)]})
            await send({"type": "http.response.body", "body": b""})
            return
        body = page.gzipped if zipped else page.body
        headers = [*page.headers, (b"etag", etag), (b"content-length", str(len(body)).encode())]
        if zipped:
            headers.append((b"content-encoding", b"gzip"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class PortalWarmer:
    """A thread that builds the published run and every indicator page's parts before visitors ask."""

    def __init__(self, sessions: sessionmaker[Session], k: int, cache: portal.PublishedCache,
                 poll_s: float = WARM_POLL_S) -> None:
        self._sessions = sessions
        self._k = k
        self._cache = cache
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.warmed: tuple[int, str, int] | None = None  # the key of the last run fully warmed

    def lifespan(self, send: Send) -> Callable[[Message], Any]:
        """Wrap the lifespan ``send``: start with the server's startup, stop at its shutdown."""

        async def _send(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                self.start()
            elif message["type"].startswith("lifespan.shutdown"):
                await anyio.to_thread.run_sync(self.stop)
            await send(message)

        return _send

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="pade-portal-warmer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.warm_once()
            except Exception:  # a store being migrated or gone: try again at the next poll
                log.warning("portal warm-up failed", exc_info=True)
            self._stop.wait(self._poll_s)

    def warm_once(self) -> None:
        """Build the latest run's published view and each indicator page's chart, tables and map."""
        with self._sessions() as session:
            pub = portal.published(session, k=self._k, cache=self._cache)
        if pub is None or pub.key == self.warmed:
            return
        for ind in pub.programme.indicadores():
            if self._stop.is_set():
                return
            portal.indicator_page(pub, ind.codigo, year=None, cache=self._cache)
        self.warmed = pub.key
        log.info("portal warmed run=%s", pub.run.id)


def install(app: FastAPI) -> None:
    """Put the page cache in front of ``app`` (outermost: stored answers keep the security headers)."""
    cache = app.state.published_cache = portal.PublishedCache()
    settings: Settings = app.state.settings
    warmer = app.state.portal_warmer = PortalWarmer(app.state.sessions, settings.disclosure_k, cache)
    app.add_middleware(PortalPageCache, state=PortalState(app.state.engine), warmer=warmer)
