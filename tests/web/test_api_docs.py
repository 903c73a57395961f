"""The interactive API docs work offline: every asset they load is served by PADE itself."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from pade.core.db import make_engine, migrate
from pade.core.settings import Settings
from pade.web.app import create_app


def test_api_docs_load_only_local_assets(sqlite_settings: Settings, tmp_path: Path) -> None:
    migrate(make_engine(sqlite_settings))
    with TestClient(create_app(sqlite_settings)) as client:
        page = client.get("/api/v1/docs")
        assert page.status_code == 200
        urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", page.text)
        assert urls, "the docs page references no asset"
        for url in urls:
            assert url.startswith("/"), f"the API docs load {url} from outside PADE"
            assert client.get(url).status_code == 200, url
