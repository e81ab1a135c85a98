"""``bytebiota bench`` / ``make bench``: fixed workloads, compiled and pure side by side.

Workloads (seed 1):

- ``ancestor``: the classic regime's mutation-free ancestor soup, timed from a soup already
  filled (2 M instructions in), so the figure is the VM's steady state;
- ``classic``: the evolving classic soup (Ray's mutation regime) over its first 20 M
  instructions, from one ancestor;
- ``ecology``: the default regime (ecology, default configuration) over its first 20 M
  instructions, from one ecology ancestor.

Each figure is the median of several repetitions, each in a fresh child process (so the
compiled and the pure core never share one). The pure core is ~100x slower, so its runs are
shorter (the same workload's first stretch). ``docs/performance.md`` records the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bytebiota.config import isolated
from bytebiota.errors import Failure


@dataclass(frozen=True)
class Workload:
    name: str
    regime: str
    warmup: int  # instructions run before timing (not timed)
    mutations: bool
    compiled_steps: int
    pure_steps: int
    description: str


WORKLOADS = (
    Workload("ancestor", "classic", 2_000_000, False, 100_000_000, 1_000_000,
             "mutation-free ancestor soup, already filled"),
    Workload("classic", "classic", 0, True, 20_000_000, 1_000_000,
             "classic evolving soup, its first 20 M instructions"),
    Workload("ecology", "ecology", 0, True, 20_000_000, 500_000,
             "the default regime, its first 20 M instructions"),
)
QUICK_DIVISOR = 10


def prepare(workload: Workload, directory: Path) -> Path:
    """The world a workload starts from, as a snapshot file (built once, compiled if we can)."""
    from bytebiota import simulation

    config = isolated(named_flags={"--regime": workload.regime})
    world = simulation.new_world(config, 1, mutations=workload.mutations)
    if workload.warmup:
        world.run(workload.warmup)
    path = directory / f"{workload.name}.world"
    path.write_bytes(world.snapshot())
    return path


def measure(snapshot: Path, steps: int) -> dict[str, Any]:
    """Run in this process: restore, time ``steps`` instructions."""
    from bytebiota import core
    from bytebiota.core.world import restore

    world = restore(snapshot.read_bytes())
    start = time.perf_counter()
    report = world.run(steps)
    elapsed = time.perf_counter() - start
    steps_done = int(report.steps)
    return {"core": core.describe(), "steps": steps_done, "seconds": elapsed,
            "ips": steps_done / elapsed}


def _child(snapshot: Path, steps: int, core_mode: str) -> dict[str, Any]:
    env = dict(os.environ, BYTEBIOTA_CORE=core_mode)
    result = subprocess.run(
        [sys.executable, "-m", "bytebiota.bench", str(snapshot), str(steps)],
        env=env, capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise Failure(f"bench child ({core_mode}) failed: {result.stderr.strip()[-300:]}")
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def machine() -> dict[str, Any]:
    import psutil

    from bytebiota import __version__, core

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        mypy_version = version("mypy")
    except Exception:
        mypy_version = "unknown"
    return {
        "cpu": cpu,
        "cores": psutil.cpu_count(logical=True),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "mypy": mypy_version,
        "bytebiota": __version__,
        "core": core.describe(),
    }


def run_bench(quick: bool, repetitions: int, progress: bool) -> dict[str, Any]:
    from bytebiota import core

    results: dict[str, Any] = {}
    divisor = QUICK_DIVISOR if quick else 1
    with tempfile.TemporaryDirectory(prefix="bytebiota-bench-") as tmp:
        for workload in WORKLOADS:
            snapshot = prepare(workload, Path(tmp))
            row: dict[str, Any] = {"description": workload.description}
            modes = ["compiled", "pure"] if core.COMPILED else ["pure"]
            for mode in modes:
                steps = (workload.compiled_steps if mode == "compiled"
                         else workload.pure_steps) // divisor
                figures = []
                for rep in range(repetitions):
                    if progress:
                        print(f"  {workload.name}: {mode} run {rep + 1}/{repetitions} "
                              f"({steps:,} instructions)", file=sys.stderr, flush=True)
                    figures.append(_child(snapshot, steps, mode)["ips"])
                row[f"{mode}_ips"] = statistics.median(figures)
                row[f"{mode}_runs"] = figures
                row[f"{mode}_steps"] = steps
            if "compiled_ips" in row:
                row["ratio"] = row["compiled_ips"] / row["pure_ips"]
            else:
                row["compiled_ips"] = None
                row["ratio"] = None
            results[workload.name] = row
    return {"workloads": results, "machine": machine(), "repetitions": repetitions,
            "quick": quick}


def command(args: argparse.Namespace) -> None:
    repetitions = args.repetitions or 3
    data = run_bench(args.quick, repetitions, progress=not args.json)
    if args.json:
        print(json.dumps(data, indent=2))
        return
    m = data["machine"]
    print(f"bytebiota bench: {m['cpu']}, {m['cores']} cores, Python {m['python']}, "
          f"mypy {m['mypy']}; median of {repetitions}")
    print(f"{'workload':<10} {'compiled M/s':>13} {'pure M/s':>10} {'ratio':>7}  description")
    for name, row in data["workloads"].items():
        compiled = f"{row['compiled_ips'] / 1e6:13.1f}" if row["compiled_ips"] else f"{'-':>13}"
        ratio = f"{row['ratio']:7.0f}x" if row["ratio"] else f"{'-':>8}"
        print(f"{name:<10} {compiled} {row['pure_ips'] / 1e6:10.2f} {ratio}  "
              f"{row['description']}")


if __name__ == "__main__":
    # Child mode: python -m bytebiota.bench SNAPSHOT STEPS -> one JSON line.
    print(json.dumps(measure(Path(sys.argv[1]), int(sys.argv[2]))))
