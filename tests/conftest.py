"""Shared fixtures: which core this run tests, and a clean way to run the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

import bytebiota.core
from bytebiota.core.params import Params
from bytebiota.simulation import default_params
from bytebiota.variables import ALIASES, BY_NAME

REPO = Path(__file__).resolve().parent.parent


def pytest_report_header() -> str:
    requested = os.environ.get(bytebiota.core.ENV_SWITCH, "auto")
    return f"bytebiota core: {bytebiota.core.describe()} ({bytebiota.core.ENV_SWITCH}={requested})"


def clean_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The current environment without any ByteBiota variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in BY_NAME and k not in ALIASES}
    env.update(extra or {})
    return env


Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """Run ``python -m bytebiota ARGS`` as a real process, by default in an empty directory
    with no ByteBiota variable in its environment."""

    def run(
        *args: str,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bytebiota", *args],
            cwd=cwd or tmp_path,
            env=clean_environ(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run


# The plain Tierra machine the VM and world tests reason about: the classic regime's defaults
# (from the configuration table, like every world) with mutations off, no base slice, the
# reaper's top cell always the victim, and even indel odds.
PLAIN_CLASSIC = {"base_slice": 0, "reap_top_fraction": 0.0, "indel_insertion_bias": 0.5}


def classic_params(**changes: float) -> Params:
    return default_params("classic", mutations=False, **{**PLAIN_CLASSIC, **changes})
