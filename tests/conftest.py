"""Shared fixtures: which core this run tests, and a clean way to run the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import bytebiota.core
from bytebiota.core.params import Params
from bytebiota.simulation import default_params
from bytebiota.variables import ALIASES, BY_NAME

if TYPE_CHECKING:
    from tests.test_distributed import Cluster

REPO = Path(__file__).resolve().parent.parent


def pytest_report_header() -> str:
    requested = os.environ.get(bytebiota.core.ENV_SWITCH, "auto")
    return f"bytebiota core: {bytebiota.core.describe()} ({bytebiota.core.ENV_SWITCH}={requested})"


def clean_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The current environment without any ByteBiota variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in BY_NAME and k not in ALIASES}
    env.update(extra or {})
    return env


# One world from settings, run in a fresh process on the core it names (each_core).
_CORE_RUN = """
import sys
sys.path.insert(0, {repo!r})
from bytebiota import simulation
from bytebiota.config import isolated
import bytebiota.core
w = simulation.new_world(isolated({settings!r}), {seed})
w.run({steps})
print(bytebiota.core.describe(), w.digest(), w.births)
"""


def each_core(settings: list[str], seed: int, steps: int) -> dict[str, tuple[str, str]]:
    """A world from ``settings`` and ``seed`` run ``steps`` instructions in a fresh process
    per core: {core: (digest, births)}; each process must say it ran that core."""
    out: dict[str, tuple[str, str]] = {}
    for mode in ("compiled", "pure"):
        result = subprocess.run(
            [sys.executable, "-c", _CORE_RUN.format(repo=str(REPO), settings=settings,
                                                    seed=seed, steps=steps)],
            env=clean_environ({"BYTEBIOTA_CORE": mode}), capture_output=True, text=True,
            check=True, timeout=600)
        core, digest, births = result.stdout.split()
        assert core == mode
        out[mode] = (digest, births)
    return out


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
# (from the configuration table, like every world) with mutations off, slices of exactly the
# cell's size, the reaper's top cell always the victim, even indel odds, and the semantics
# the classic regime had before it took Tierra 6.02's (first fit near the mother, a second
# MAL fails, writes only into the cell's own memory, birth labels kept; tests set them).
PLAIN_CLASSIC = {"base_slice": 0, "reap_top_fraction": 0.0, "indel_insertion_bias": 0.5,
                 "slicer_power": 1.0, "slice_fixed": 1.0, "slice_random": 0.0, "mal_mode": 0,
                 "mal_replaces": 0, "write_free": 0, "relabel": 0}


def classic_params(**changes: float) -> Params:
    return default_params("classic", mutations=False, **{**PLAIN_CLASSIC, **changes})


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    """Server and workers as real processes in ``tmp_path`` (tests/test_distributed.py),
    every one of them killed at the end."""
    from tests.test_distributed import Cluster

    c = Cluster(tmp_path)
    try:
        yield c
    finally:
        c.stop()


def wait_until(condition: Callable[[], object], what: str, timeout: float = 60.0,
               pause: float = 0.05) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds (a
    generous deadline: the machine may be busy; nothing waits this long when healthy)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"never happened within {timeout} s: {what}"
        time.sleep(pause)
