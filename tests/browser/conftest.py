"""Real Chromium against PADE served by uvicorn on 127.0.0.1.

- ``live_store``: one demo store per test worker (programme, synthetic data, a compute),
  built through the CLI as a user would.
- ``live_server``: ``pade serve`` on a free port over that store; yields its base URL.
- ``browser`` / ``page`` / ``phone_page``: Debian's /usr/bin/chromium driven by Playwright
  with ``executable_path`` (never a downloaded browser), flags that keep it off the network.
- ``shot(page, name)``: saves a full-page screenshot under ``test-artifacts/screenshots/``.
- ``assert_accessible(page)``: injects the vendored axe-core and fails on serious or
  critical WCAG 2.1 A/AA violations.

Browser tests are marked ``browser``; they fail (not skip) in CI when Chromium is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = os.environ.get("PADE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 360, "height": 740}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@dataclass(frozen=True)
class LiveStore:
    """A store on disk: its environment for ``pade`` commands, and how to run them."""

    env: dict[str, str]
    data_dir: Path

    def pade(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``pade`` on this store; fail the test with its output if it fails."""
        out = subprocess.run(
            [sys.executable, "-m", "pade", *args],
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert out.returncode == 0, f"pade {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}"
        return out


@pytest.fixture(scope="session")
def live_store(tmp_path_factory: pytest.TempPathFactory) -> LiveStore:
    """A demo store: programme loaded, 3 000 synthetic firms, one compute."""
    data_dir = tmp_path_factory.mktemp("live") / "store"
    env = {
        **os.environ,
        "PADE_DATA_DIR": str(data_dir),
        "PADE_DATABASE_URL": f"sqlite:///{data_dir / 'pade.db'}",
        "PADE_API_TOKEN": "token-de-prueba-navegador",
    }
    store = LiveStore(env=env, data_dir=data_dir)
    store.pade("init")
    store.pade("programme", "load")
    store.pade("synth", "--firms", "3000", "--seed", "7")
    store.pade("compute")
    return store


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(live_store: LiveStore) -> Iterator[str]:
    """``pade serve`` over ``live_store`` on 127.0.0.1; yields the base URL."""
    port = _free_port()
    env = {**live_store.env, "PADE_HOST": "127.0.0.1", "PADE_PORT": str(port)}
    log = (live_store.data_dir / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "pade", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"pade serve did not start:\n{(live_store.data_dir / 'server.log').read_text()}")
        time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' package (.ci/run does).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A desktop-sized page in a fresh context (no cookies shared between tests)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-PE", accept_downloads=True)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    """A 360-px-wide phone page with touch, in a fresh context."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="es-PE", accept_downloads=True
    )
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def shot() -> Callable[[Any, str], Path]:
    """Save a full-page screenshot as a test artefact and return its path."""

    def _shot(pg: Any, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path

    return _shot


def axe_violations(pg: Any) -> list[dict[str, Any]]:
    """Serious or critical axe-core violations (WCAG 2.0/2.1 A and AA rules) on the current page."""
    # Evaluated through the DevTools protocol, not as a <script> tag: the pages' Content-Security-Policy
    # forbids inline scripts (pade.web.security), and the test must not weaken it.
    pg.evaluate(AXE.read_text(encoding="utf-8"))
    result = pg.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
              values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]


def assert_accessible(pg: Any) -> None:
    """Fail with a readable list when axe finds serious or critical violations."""
    found = axe_violations(pg)
    assert not found, json.dumps(
        [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"][:5]]} for v in found],
        indent=1,
        ensure_ascii=False,
    )


def compute_from_page(pg: Any, *, force: bool = False) -> str:
    """On ``/admin/calculo`` (signed in as admin): start a compute and wait until a NEW run is listed.

    The live server is shared by the tests of a worker, so the page may already show an earlier
    run's "Terminado": waiting for that text alone would return before this compute ends.
    Returns the new run's id.
    """
    from playwright.sync_api import expect

    first_cell = pg.locator("#tabla-corridas tbody tr:first-child td:first-child")
    previous = first_cell.text_content() if first_cell.count() else None
    if force:
        pg.check("input[name=force]")
    pg.click("#iniciar-calculo")
    if previous is not None:
        expect(first_cell).not_to_have_text(previous, timeout=300_000)
    else:
        expect(first_cell).to_be_visible(timeout=300_000)
    expect(pg.locator("#estado-calculo")).to_contain_text("Terminado", timeout=60_000)
    return str(first_cell.text_content()).strip()
