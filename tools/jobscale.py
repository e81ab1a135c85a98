"""Multi-core scaling (a benchmark, not a test): what ``worker --jobs N`` delivers.

Two measurements, each repeated and reported as the median:

- ``raw``: N bare processes each running one world (``World.run`` in 100 ms chunks, no
  network, no reports) for ``--seconds``; the sum of their instructions/s is what this
  machine gives N simulations at best;
- ``jobs``: one real server and ``bytebiota worker --jobs N`` (RESOURCE_PRESET=full: no
  throttle, normal priority) on loopback; the experiment's accepted instructions/s over
  ``--seconds`` after a warm-up, from the server's own totals, and the CPU each process
  used meanwhile (server, supervisor, each job).

    .venv/bin/python tools/jobscale.py [--jobs 1,2] [--seconds 30] [--repetitions 3] [--json]

VALIDATION_RATE is 0 here (a single worker has nobody to check it, two would check each
other: the ratio would mix the validation's cost into the engine's scaling).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import psutil
from loadtest import TOKEN, server_process

from bytebiota.status import fetch

RAW_CHILD = """
import sys, time
from bytebiota import core, simulation
from bytebiota.config import isolated
config = isolated(named_flags={"--regime": sys.argv[1]})
world = simulation.new_world(config, int(sys.argv[3]))
world.run(2_000_000)
steps, until = 0, time.perf_counter() + float(sys.argv[2])
start = time.perf_counter()
while time.perf_counter() < until:
    steps += int(world.run(2_000_000).steps)
print(steps / (time.perf_counter() - start))
"""


def raw(n: int, seconds: float, regime: str) -> float:
    children = [subprocess.Popen([sys.executable, "-c", RAW_CHILD, regime, str(seconds),
                                  str(k + 1)], stdout=subprocess.PIPE, text=True)
                for k in range(n)]
    return sum(float(c.communicate()[0]) for c in children)


def totals(port: int) -> tuple[int, float]:
    data = asyncio.run(fetch("127.0.0.1", port, TOKEN))
    return int(data["totals"]["steps"]), time.perf_counter()


def jobs(n: int, seconds: float, regime: str, warmup: float) -> dict[str, Any]:
    settings = {"REGIME": regime, "VALIDATION_RATE": "0", "ISLANDS": str(max(2, 2 * n)),
                "CHECKPOINT_INTERVAL": "300"}
    with server_process(settings) as (server, port):
        env = {**settings, "SERVER_URL": f"127.0.0.1:{port}", "SERVER_TOKEN": TOKEN,
               "RESOURCE_PRESET": "full", "WORKER_ID": "scale"}
        worker = subprocess.Popen([sys.executable, "-m", "bytebiota", "worker", "--jobs",
                                   str(n)], env={**os.environ, **env},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(warmup)
            processes = {"server": psutil.Process(server.pid),
                         "supervisor": psutil.Process(worker.pid)}
            if n > 1:
                for k, child in enumerate(processes["supervisor"].children(), start=1):
                    processes[f"job {k}"] = child
            for p in processes.values():
                p.cpu_percent(None)
            steps0, t0 = totals(port)
            time.sleep(seconds)
            steps1, t1 = totals(port)
            cpu = {name: round(p.cpu_percent(None), 1) for name, p in processes.items()}
        finally:
            worker.terminate()
            worker.wait(timeout=60)
    return {"instructions_per_s": (steps1 - steps0) / (t1 - t0), "cpu_percent": cpu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", default="1,2", help="comma-separated N values")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=15.0)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--regime", default="classic", choices=("classic", "ecology"))
    parser.add_argument("--skip-raw", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    ns = [int(x) for x in args.jobs.split(",")]
    results: dict[str, Any] = {"raw": {}, "jobs": {}}
    for n in ns:
        if not args.skip_raw:
            runs = [raw(n, args.seconds, args.regime) for _ in range(args.repetitions)]
            results["raw"][str(n)] = {"runs_m": [round(r / 1e6, 1) for r in runs],
                                      "median_m": round(statistics.median(runs) / 1e6, 1)}
            if not args.json:
                print(f"raw   N={n}: {results['raw'][str(n)]}", flush=True)
        runs_j = [jobs(n, args.seconds, args.regime, args.warmup)
                  for _ in range(args.repetitions)]
        rates = [r["instructions_per_s"] for r in runs_j]
        results["jobs"][str(n)] = {"runs_m": [round(r / 1e6, 1) for r in rates],
                                   "median_m": round(statistics.median(rates) / 1e6, 1),
                                   "cpu_percent": [r["cpu_percent"] for r in runs_j]}
        if not args.json:
            print(f"jobs  N={n}: {results['jobs'][str(n)]}", flush=True)
    for kind in ("raw", "jobs"):
        base = results[kind].get(str(ns[0]))
        for n in ns[1:]:
            if base and str(n) in results[kind]:
                results[kind][str(n)]["ratio"] = round(
                    results[kind][str(n)]["median_m"] / base["median_m"], 2)
    print(json.dumps(results, indent=2) if args.json else
          f"ratios: raw {[results['raw'].get(str(n), {}).get('ratio') for n in ns[1:]]}, "
          f"jobs {[results['jobs'][str(n)].get('ratio') for n in ns[1:]]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
