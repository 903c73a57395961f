"""A browser that asks for a missing page gets the Spanish error page, never Starlette's English JSON."""

from __future__ import annotations

from fastapi.testclient import TestClient

from pade.core.db import make_engine, migrate
from pade.core.settings import Settings
from pade.web.app import create_app


def test_unknown_page_and_wrong_method_answer_in_spanish(sqlite_settings: Settings) -> None:
    migrate(make_engine(sqlite_settings))
    with TestClient(create_app(sqlite_settings)) as client:
        missing = client.get("/no-existe/%2F<script>")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("text/html")
        assert "Esta página no existe" in missing.text and "<script>" not in missing.text
        wrong = client.post("/indicadores")
        assert wrong.status_code == 405 and "Esta dirección no acepta" in wrong.text
        assert "allow" in {k.lower() for k in wrong.headers}
        api = client.get("/api/v1/no-existe")
        assert api.status_code == 404 and api.headers["content-type"] == "application/json"
