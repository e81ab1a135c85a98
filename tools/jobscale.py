"""Multi-core scaling (a benchmark, not a test): what ``worker --jobs N`` delivers, against
what the machine gives N processes at best.

Three measurements for each N, interleaved within each repetition (a virtual machine's share
of its host drifts from minute to minute, so only measurements taken side by side compare):

- ``spin``: N processes of a pure-Python integer loop (no shared data at all): how much of
  N cores the machine really gives right now;
- ``raw``: N bare processes each running one world (``World.run`` in 2 M-instruction
  chunks: no network, no reports): the ceiling for N simulations;
- ``jobs``: one real server and ``bytebiota worker --jobs N`` (RESOURCE_PRESET=full: no
  throttle, normal priority) on loopback, the same ISLANDS (``--islands``, 2) for every N; the
  experiment's accepted instructions/s over ``--seconds`` after a warm-up, from the server's
  own totals, and the CPU each process used meanwhile (server, supervisor, each job).

The workload is steady by default (``ancestor``: the classic regime with every mutation off,
the soup full of ancestors, as in ``bytebiota bench``); ``classic`` evolves (its speed
changes as parasites come and go); ``ecology`` is the default regime (a 5 MB soup).
VALIDATION_RATE is 0: a lone worker has nobody to check it while two check each other, which
would mix the validation's cost into the ratio.

    .venv/bin/python tools/jobscale.py [--jobs 1,2] [--seconds 20] [--repetitions 5] [--json]
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

NO_MUTATIONS = {"COPY_BIT_FLIP_RATE": "0", "BACKGROUND_FLIP_INTERVAL": "0",
                "INSERTION_DELETION_RATE": "0", "FLAW_RATE": "0"}
SPIN_CHILD = """
import sys, time
n, until = 0, time.perf_counter() + float(sys.argv[1])
start = time.perf_counter()
while time.perf_counter() < until:
    for i in range(100_000):
        n += 1
print(n / (time.perf_counter() - start))
"""
RAW_CHILD = """
import sys, time
from bytebiota import simulation
from bytebiota.config import isolated
config = isolated(named_flags={"--regime": "ecology" if sys.argv[2] == "ecology" else "classic"})
world = simulation.new_world(config, 1, mutations=sys.argv[2] != "ancestor")
world.run(2_000_000)
steps, until = 0, time.perf_counter() + float(sys.argv[1])
start = time.perf_counter()
while time.perf_counter() < until:
    steps += int(world.run(2_000_000).steps)
print(steps / (time.perf_counter() - start))
"""


def children(n: int, code: str, *args: str) -> float:
    """The sum of what N copies of ``code``, run at once, print."""
    procs = [subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                              text=True) for _ in range(n)]
    return sum(float(p.communicate()[0]) for p in procs)


def totals(port: int) -> tuple[int, float]:
    data = asyncio.run(fetch("127.0.0.1", port, TOKEN))
    return int(data["totals"]["steps"]), time.perf_counter()


def jobs(n: int, seconds: float, workload: str, warmup: float,
         islands: int) -> dict[str, Any]:
    settings = {"REGIME": "ecology" if workload == "ecology" else "classic",
                "VALIDATION_RATE": "0", "ISLANDS": str(islands),
                "SEED": "1",
                "CHECKPOINT_INTERVAL": "300", **(NO_MUTATIONS if workload == "ancestor" else {})}
    with server_process(settings) as (server, port):
        env = {**os.environ, **settings, "SERVER_URL": f"127.0.0.1:{port}",
               "SERVER_TOKEN": TOKEN, "RESOURCE_PRESET": "full", "WORKER_ID": "scale"}
        worker = subprocess.Popen([sys.executable, "-m", "bytebiota", "worker", "--jobs",
                                   str(n)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
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
    return {"rate": (steps1 - steps0) / (t1 - t0), "cpu_percent": cpu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", default="1,2", help="comma-separated N values")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=12.0)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--workload", default="ancestor",
                        choices=("ancestor", "classic", "ecology"))
    parser.add_argument("--islands", type=int, default=2,
                        help="the experiment's islands, the same for every N (default 2)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    ns = [int(x) for x in args.jobs.split(",")]
    runs: dict[str, dict[int, list[float]]] = {k: {n: [] for n in ns}
                                               for k in ("spin", "raw", "jobs")}
    cpu: dict[int, list[dict[str, float]]] = {n: [] for n in ns}
    for rep in range(args.repetitions):
        for n in ns:
            runs["spin"][n].append(children(n, SPIN_CHILD, str(args.seconds / 2)))
            runs["raw"][n].append(children(n, RAW_CHILD, str(args.seconds), args.workload))
            result = jobs(n, args.seconds, args.workload, args.warmup, args.islands)
            runs["jobs"][n].append(result["rate"])
            cpu[n].append(result["cpu_percent"])
            if not args.json:
                print(f"rep {rep + 1} N={n}: spin {runs['spin'][n][-1] / 1e6:.0f} M adds/s, "
                      f"raw {runs['raw'][n][-1] / 1e6:.1f} M/s, jobs "
                      f"{result['rate'] / 1e6:.1f} M/s, CPU {result['cpu_percent']}",
                      flush=True)
    base = ns[0]
    report: dict[str, Any] = {}
    for kind, by_n in runs.items():
        report[kind] = {}
        for n, values in by_n.items():
            entry: dict[str, Any] = {"runs": [round(v / 1e6, 1) for v in values],
                                     "median": round(statistics.median(values) / 1e6, 1)}
            if n != base:  # ratio within each repetition (side by side), then its median
                ratios = [v / b for v, b in zip(values, by_n[base], strict=True)]
                entry["ratios"] = [round(r, 2) for r in ratios]
                entry["ratio_median"] = round(statistics.median(ratios), 2)
            report[kind][str(n)] = entry
    report["cpu_percent"] = {str(n): c for n, c in cpu.items()}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for kind in ("spin", "raw", "jobs"):
            print(f"{kind:>5}: " + "; ".join(
                f"N={n} median {e['median']} M/s"
                + (f" ({e['ratio_median']}x, per repetition {e['ratios']})"
                   if "ratios" in e else "") for n, e in report[kind].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
