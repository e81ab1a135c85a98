"""BYTEBIOTA_CORE picks the compiled or the pure core, and a stale compiled build is caught."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bytebiota.core
from tests.conftest import REPO, clean_environ

PROBE = "import bytebiota.core as c, bytebiota.core.rng as r; print(c.describe(), r.__file__)"


def _probe(mode: str, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = clean_environ({"BYTEBIOTA_CORE": mode})
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=pythonpath or REPO,
                          capture_output=True, text=True, check=False)


def test_pure_mode_loads_sources_even_beside_a_build() -> None:
    result = _probe("pure")
    assert result.returncode == 0, result.stderr
    kind, path = result.stdout.split()
    assert kind == "pure" and path.endswith("rng.py")


needs_build = pytest.mark.skipif(not bytebiota.core.COMPILED, reason="no compiled core here")


@needs_build
def test_compiled_mode_loads_the_extension() -> None:
    result = _probe("compiled")
    assert result.returncode == 0, result.stderr
    kind, path = result.stdout.split()
    assert kind == "compiled" and not path.endswith(".py")


@needs_build
def test_a_stale_build_is_refused_or_bypassed(tmp_path: Path) -> None:
    copy = tmp_path / "bytebiota"
    shutil.copytree(REPO / "bytebiota", copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / "core" / "rng.py").open("a") as handle:
        handle.write("\n# an edit made after the build\n")
    strict = _probe("compiled", tmp_path)
    assert strict.returncode != 0
    assert "CoreUnavailable" in strict.stderr and "other sources" in strict.stderr
    lenient = _probe("auto", tmp_path)
    assert lenient.returncode == 0, lenient.stderr
    assert lenient.stdout.split()[0] == "pure"
    assert str(tmp_path) in lenient.stdout
    assert "using the pure core" in lenient.stderr


def test_no_build_means_pure_in_auto_and_an_error_in_compiled(tmp_path: Path) -> None:
    copy = tmp_path / "bytebiota"
    shutil.copytree(REPO / "bytebiota", copy,
                    ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.pyd", "_stamp.py"))
    assert _probe("auto", tmp_path).stdout.split()[0] == "pure"
    strict = _probe("compiled", tmp_path)
    assert strict.returncode != 0 and "no compiled core is built" in strict.stderr
