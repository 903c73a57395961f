"""The interactive API docs work offline: every asset they load is served by PADE itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from pade.core.db import make_engine, migrate
from pade.core.i18n import DEFAULT_LOCALE, _table
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


def _texts(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("summary", "description") and isinstance(value, str):
                yield f"{where}.{key}", value
            else:
                yield from _texts(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _texts(value, f"{where}[{i}]")


def test_every_text_of_the_api_docs_is_spanish_from_the_catalogue(sqlite_settings: Settings) -> None:
    """Summaries, descriptions and answers of every operation, and the fields of the API's own models, come
    through the catalogue: no English docstring or FastAPI default ("Successful Response") reaches the docs."""
    import pade.web

    spanish = set(_table(DEFAULT_LOCALE).values())
    spec = create_app(sqlite_settings).openapi()
    texts = [("info.description", spec["info"]["description"]), *_texts(spec["paths"], "paths")]
    web_models = {name for name, obj in _web_classes(pade.web)}
    for name, schema in spec["components"]["schemas"].items():
        if name in web_models:
            texts += list(_texts(schema, f"components.{name}"))
    assert len(texts) > 60
    foreign = [(where, text) for where, text in texts if text not in spanish]
    assert not foreign, foreign


def _web_classes(package: Any) -> Iterator[tuple[str, type]]:
    import importlib
    import pkgutil

    from pydantic import BaseModel

    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, obj in vars(module).items():
            if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == module.__name__:
                yield name, obj
