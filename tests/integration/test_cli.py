"""The `pade` command as a user runs it (real subprocesses, real store)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from pade.programme.loader import default_definition_path, load_programme


def pade(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pade", *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200", **(env or {})}, check=False, timeout=120)


def test_check_lists_every_observacion_and_exits_zero() -> None:
    r = pade("programme", "check")
    assert r.returncode == 0, r.stderr
    ids = [obs.id for _, obs in load_programme().observaciones_todas()]
    for obs_id in ids:
        assert obs_id in r.stdout
    assert f"0 error(es), {len(ids)} observación(es)" in r.stdout
    assert "Definición válida" in r.stdout


def test_check_fails_with_precise_message(tmp_path: Path, programme_dict: dict[str, Any]) -> None:
    programme_dict["objetivos"][0]["acciones"][0]["actividades"][0]["catalizadores"] = ["nube"]
    broken = tmp_path / "roto.yaml"
    broken.write_text(yaml.safe_dump(programme_dict, allow_unicode=True), encoding="utf-8")
    r = pade("programme", "check", "--file", str(broken))
    assert r.returncode == 1
    assert "OE1.AE1.1.A01: catalizador desconocido nube" in r.stderr


def test_broken_yaml_exits_one_without_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "roto.yaml"
    broken.write_text("metadatos: [\n", encoding="utf-8")
    r = pade("programme", "check", "-f", str(broken))
    assert r.returncode == 1
    assert "roto.yaml, línea" in r.stderr and "Traceback" not in r.stderr


def test_init_and_load_are_idempotent(tmp_path: Path) -> None:
    env = {"PADE_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    assert pade("init", env=env).returncode == 0
    first = pade("programme", "load", env=env)
    second = pade("programme", "load", env=env)
    assert first.returncode == second.returncode == 0
    assert "guardado" in first.stdout and "ya estaba guardado" in second.stdout


def test_show_export_ficha_diff(tmp_path: Path) -> None:
    show = pade("programme", "show", "--oe", "OE2")
    assert show.returncode == 0 and "OE2-09" in show.stdout and "OE1-01" not in show.stdout
    exported = pade("programme", "export", "--format", "json")
    assert exported.returncode == 0
    assert json.loads(exported.stdout)["metadatos"]["version"] == "1.0.0"
    as_yaml = pade("programme", "export", "--format", "yaml")
    assert yaml.safe_load(as_yaml.stdout)["metadatos"]["version"] == "1.0.0"
    ficha = pade("programme", "ficha", "OE1.AE1.1.A05.I1")
    assert ficha.returncode == 0 and ficha.stdout.startswith("# Ficha técnica del indicador OE1-05")
    unknown = pade("programme", "ficha", "OE9-99")
    assert unknown.returncode != 0 and "indicador desconocido OE9-99" in unknown.stderr
    revised = yaml.safe_load(default_definition_path().read_text(encoding="utf-8"))
    revised["metadatos"]["version"] = "1.1.0"
    path = tmp_path / "pade-1.1.0.yaml"
    path.write_text(yaml.safe_dump(revised, allow_unicode=True), encoding="utf-8")
    diff = pade("programme", "diff", str(default_definition_path()), str(path))
    assert diff.returncode == 0 and "1.1.0" in diff.stdout and "1 cambio(s)" in diff.stdout
