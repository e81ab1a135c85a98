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
- ``run``: ``bytebiota run --jobs N --headless`` as a user starts it (its own defaults:
  N islands for N > 1, a private server and ``worker --jobs N``; N = 1 the one-island run in
  one process), in a fresh directory: instructions/s over ``--seconds`` after a warm-up, for
  N > 1 from the run's server's totals (STATUS, with the run's monitor token), for N = 1 from
  its journal's stats events, timed as they appear (one every LOG_INTERVAL_SLICES slices), and
  the CPU of every process of the run (the parent, the server, the supervisor, each job).

``--kinds`` picks the measurements (default ``spin,raw,jobs``; the figures of ``run --jobs``
in docs/performance.md are ``--kinds spin,run``). Each repetition prints the load average.

The workload is steady by default (``ancestor``: the classic regime with every mutation off,
the soup full of ancestors, as in ``bytebiota bench``); ``classic`` evolves (its speed
changes as parasites come and go); ``ecology`` is the default regime (a 5 MB soup).
VALIDATION_RATE is 0: a lone worker has nobody to check it while two check each other, which
would mix the validation's cost into the ratio.

    .venv/bin/python tools/jobscale.py [--jobs 1,2] [--seconds 20] [--repetitions 5] [--json]
        [--kinds spin,raw,jobs,run] [--workload ancestor|classic|ecology]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from loadtest import TOKEN, server_process

from bytebiota.status import fetch, open_monitor, request_status
from bytebiota.variables import BY_NAME

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


def descendants(root: psutil.Process) -> dict[str, psutil.Process]:
    """Every process of a run by role: the parent, and below it the server, the worker's
    supervisor and its jobs."""
    found = {"run": root}
    for child in root.children(recursive=True):
        line = child.cmdline()
        if "server" in line:
            found["server"] = child
        elif "--worker-id" in line:
            found[f"job {line[line.index('--worker-id') + 1]}"] = child
        elif "worker" in line:
            found["supervisor"] = child
    return found


def run(n: int, seconds: float, workload: str, warmup: float) -> dict[str, Any]:
    """``bytebiota run --jobs N --headless`` in a fresh directory: its instructions/s.

    Each island's steps move in jumps (a report a batch; a stats event an interval), so its
    rate is taken between the first and the last jump seen in the window (polled every
    0.1 s), each at the moment it was seen; the run's rate is the sum over its islands."""
    regime = "ecology" if workload == "ecology" else "classic"
    sets = [part for name, value in (NO_MUTATIONS if workload == "ancestor" else {}).items()
            for part in ("--set", f"{name}={value}")]
    env = {k: v for k, v in os.environ.items() if k not in BY_NAME}
    with tempfile.TemporaryDirectory(prefix="bytebiota-runscale-") as tmp:
        process = subprocess.Popen(
            [sys.executable, "-m", "bytebiota", "run", "--jobs", str(n), "--headless",
             "--seed", "1", "--regime", regime, "--set", "CONSOLE_SUMMARY=false", *sets],
            cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        directory = Path(tmp) / "data" / "runs" / "latest"
        sample: _JournalSampler | _StatusSampler = \
            _JournalSampler(directory / "journal.jsonl") if n == 1 else \
            _StatusSampler(directory)
        try:
            deadline = time.perf_counter() + warmup
            while time.perf_counter() < deadline:
                sample()
                time.sleep(0.1)
            processes = descendants(psutil.Process(process.pid))
            for p in processes.values():
                p.cpu_percent(None)
            jumps: dict[int, list[tuple[float, int]]] = {}
            previous = sample()
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                time.sleep(0.1)
                now = sample()
                seen = time.perf_counter()
                for island, steps in now.items():
                    if steps != previous.get(island):
                        jumps.setdefault(island, []).append((seen, steps))
                previous = now
            cpu = {name: round(p.cpu_percent(None), 1) for name, p in processes.items()}
        finally:
            sample.close()
            process.terminate()
            process.wait(timeout=300)
    measured = {island: points for island, points in jumps.items() if len(points) >= 2}
    rate = sum((points[-1][1] - points[0][1]) / (points[-1][0] - points[0][0])
               for points in measured.values())
    if len(measured) < n:
        print(f"warning: N={n}: only {len(measured)} islands moved twice in {seconds} s: "
              "lengthen --seconds", file=sys.stderr)
    return {"rate": rate, "cpu_percent": cpu}


class _JournalSampler:
    """{0: the step of the newest stats event} of a one-island run's journal."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.rest = b""
        self.last = 0

    def __call__(self) -> dict[int, int]:
        if self.path.exists():
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                data = self.rest + handle.read()
                self.offset = handle.tell()
            *lines, self.rest = data.split(b"\n")
            steps = [json.loads(line)["step"] for line in lines
                     if line.startswith(b'{"event":"stats"')]
            if steps:
                self.last = int(steps[-1])
        return {0: self.last}

    def close(self) -> None:
        pass


class _StatusSampler:
    """{island: its accepted steps} from the run's server (one monitor session), once it
    listens."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.loop = asyncio.new_event_loop()
        self.stream: Any = None

    def __call__(self) -> dict[int, int]:
        if self.stream is None:
            log = self.directory / "logs" / "server.log"
            found = re.search(r"listening on 127\.0\.0\.1:(\d+)",
                              log.read_text() if log.exists() else "")
            if not found:
                return {}
            token = (self.directory / "monitor.token").read_text().strip()
            self.stream = self.loop.run_until_complete(
                open_monitor("127.0.0.1", int(found.group(1)), token))
        data = self.loop.run_until_complete(request_status(self.stream))
        return {int(i["id"]): int(i["steps"]) for i in data["islands"]}

    def close(self) -> None:
        if self.stream is not None:
            self.loop.run_until_complete(self.stream.close())
        self.loop.close()


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
    parser.add_argument("--kinds", default="spin,raw,jobs",
                        help="the measurements, comma-separated: spin, raw, jobs, run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    ns = [int(x) for x in args.jobs.split(",")]
    kinds = [k for k in ("spin", "raw", "jobs", "run") if k in args.kinds.split(",")]
    runs: dict[str, dict[int, list[float]]] = {k: {n: [] for n in ns} for k in kinds}
    cpu: dict[str, dict[int, list[dict[str, float]]]] = {k: {n: [] for n in ns}
                                                         for k in ("jobs", "run")}
    loads: list[list[float]] = []
    for rep in range(args.repetitions):
        for n in ns:
            done = []
            if "spin" in kinds:
                runs["spin"][n].append(children(n, SPIN_CHILD, str(args.seconds / 2)))
                done.append(f"spin {runs['spin'][n][-1] / 1e6:.0f} M adds/s")
            if "raw" in kinds:
                runs["raw"][n].append(children(n, RAW_CHILD, str(args.seconds),
                                               args.workload))
                done.append(f"raw {runs['raw'][n][-1] / 1e6:.1f} M/s")
            for kind in ("jobs", "run"):
                if kind not in kinds:
                    continue
                result = jobs(n, args.seconds, args.workload, args.warmup, args.islands) \
                    if kind == "jobs" else run(n, args.seconds, args.workload, args.warmup)
                runs[kind][n].append(result["rate"])
                cpu[kind][n].append(result["cpu_percent"])
                done.append(f"{kind} {result['rate'] / 1e6:.1f} M/s, CPU "
                            f"{result['cpu_percent']}")
            loads.append([round(x, 2) for x in os.getloadavg()])
            if not args.json:
                print(f"rep {rep + 1} N={n}: {'; '.join(done)}; load {loads[-1]}", flush=True)
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
    report["cpu_percent"] = {kind: {str(n): c for n, c in by_n.items()}
                             for kind, by_n in cpu.items() if kind in kinds}
    report["load_average"] = loads
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for kind in kinds:
            print(f"{kind:>5}: " + "; ".join(
                f"N={n} median {e['median']} M/s"
                + (f" ({e['ratio_median']}x, per repetition {e['ratios']})"
                   if "ratios" in e else "") for n, e in report[kind].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
