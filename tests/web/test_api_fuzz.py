"""The JSON API fuzzed with schemathesis, through its Python API against the ASGI app (no server, no CLI).

Every operation of ``/api/v1/openapi.json`` gets generated requests (valid and invalid) over a store
with the programme, a small demo and one compute. Each response must not be a 5xx, and its status
code, content type, headers and body must be the ones the OpenAPI documents for that operation.
The records upload gets the bearer token, so its validation path is exercised, not only the 401.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.web.stores import programme_store

from pade.core.settings import Settings
from pade.indicators.service import run_compute
from pade.records.synth import load_demo
from pade.web.app import create_app

TOKEN = "token-de-fuzzing"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# A dozen operations at ~30 examples each keeps the module well under a few minutes on 2 cores.
MAX_EXAMPLES = 30


@pytest.fixture(scope="module")
def fuzz_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A store with the programme, 200 synthetic firms and one compute, built once for the module."""
    root: Path = tmp_path_factory.mktemp("fuzz")
    s = Settings(database_url=f"sqlite:///{root / 'pade.db'}", data_dir=root,
                 api_token=TOKEN)  # type: ignore[arg-type]
    engine = programme_store(s)
    load_demo(engine, firms=200, seed=3, work_dir=root / "demo", today=date(2025, 6, 30))
    run_compute(engine, s, today=date(2025, 6, 30))
    engine.dispose()
    return s


@pytest.fixture(scope="module")
def fuzz_app(fuzz_settings: Settings) -> Any:
    return create_app(fuzz_settings)


# The OpenAPI document does not depend on the data, so it is read from an app over an in-memory store
# (nothing touches a disk at collection); every call goes to ``fuzz_app``, the one with the demo.
# ``schemathesis.pytest.from_fixture`` would be the natural loader, but schemathesis 4.32 sets
# ``node._nodeid``, which pytest 9 no longer has.
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(Settings(database_url="sqlite://")))


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_api_answers_only_what_it_documents(case: schemathesis.Case, fuzz_app: Any) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"} if case.path.startswith("/api/v1/records/") else None
    case.call_and_validate(headers=headers, checks=CHECKS, app=fuzz_app)


def test_every_api_operation_is_fuzzed(fuzz_settings: Settings) -> None:
    """The schema the fuzzer reads covers every /api route; HTML pages stay out of it."""
    with TestClient(create_app(fuzz_settings)) as c:
        spec = c.get("/api/v1/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/api/v1/health", "/api/v1/programme", "/api/v1/records/{kind}",
            "/api/v1/diagnostics/assessments/{assessment_id}/submit"} <= paths
    assert all(p.startswith("/api/v1/") for p in paths), sorted(p for p in paths if not p.startswith("/api/v1/"))
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            if "requestBody" in op or op.get("parameters"):
                assert "422" in codes, f"{method.upper()} {path} takes input but does not document 422"
