"""Load test (a benchmark, not a test): N simulated workers against one real server.

Each simulated worker speaks the real protocol over loopback: it enrols by the token (its
own credential, as a new worker does), then authenticates with that credential, takes an
island, sends a heartbeat every second (timing its round trip) and a small report every
REPORT_SECONDS (realistic: a real worker reports every few seconds to minutes). The server
is a real ``bytebiota server`` process; its CPU and RSS are sampled with psutil.

    .venv/bin/python tools/loadtest.py --workers 100,1000 [--seconds 20] [--json]

``--json`` prints ``{"N": {"reports_per_s", "hb_p50_ms", "hb_p99_ms", "server_cpu_percent",
"server_rss_mb"}}`` for each N.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil

from bytebiota.netcommon import Stream
from bytebiota.protocol.connection import CLIENT, Connection, auth_mac, derive_credential
from bytebiota.protocol.messages import WORKER, Message, make

REPORT_SECONDS = 5.0
HEARTBEAT_SECONDS = 1.0
TOKEN = "loadtest"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def server_process(settings: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """A real ``bytebiota server`` on loopback in a temporary directory (token TOKEN), with
    ``settings`` over the benchmark's defaults; stopped (SIGTERM) on the way out."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bytebiota-load-") as tmp:
        env = {**os.environ, "SERVER_HOST": "127.0.0.1", "SERVER_PORT": str(port),
               "REGIME": "classic", "SERVER_TOKEN": TOKEN, "CHECKPOINT_INTERVAL": "3600",
               "WORKER_TIMEOUT": "60",
               "VALIDATION_RATE": "0",  # simulated workers run no world: nothing to re-run
               "DATA_BASE_DIR": str(Path(tmp) / "data"), **settings}
        log = open(Path(tmp) / "server.log", "wb")  # noqa: SIM115 (a pipe nobody reads blocks)
        server = subprocess.Popen([sys.executable, "-m", "bytebiota", "server"], cwd=tmp,
                                  env=env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.monotonic() + 30
            while True:
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start")
                time.sleep(0.1)
            yield server, port
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()


async def authenticate(port: int, worker_id: str, key: str | bytes = TOKEN, *,
                       credential: bool = False, host: str = "127.0.0.1"
                       ) -> tuple[Stream, Message]:
    """A worker session, through HELLO, CHALLENGE, AUTH and WELCOME (proving the token, or
    with ``credential`` the worker's own credential)."""
    reader, writer = await asyncio.open_connection(host, port)
    stream = Stream(Connection(CLIENT, role=WORKER), reader, writer)
    await stream.send(make("HELLO", role=WORKER, worker_id=worker_id, host="sim", cores=1,
                           memory_mb=0, compiled=True, software="loadtest",
                           incarnation=1, credential=credential))
    challenge = await stream.receive()
    assert challenge is not None and challenge.name == "CHALLENGE", challenge
    await stream.send(make("AUTH", mac=auth_mac(key, challenge["nonce"], WORKER,
                                                worker_id)))
    welcome = await stream.receive()
    assert welcome is not None and welcome.name == "WELCOME", welcome
    return stream, welcome


async def enrol(port: int, worker_id: str, token: str = TOKEN) -> bytes:
    """Enrol by the token, as a new worker does on first contact: its own credential."""
    stream, welcome = await authenticate(port, worker_id, token)
    await stream.send(make("BYE", reason="enrolled"))
    await stream.close()
    assert welcome["enrolment"], "the server did not enrol the worker"
    return derive_credential(token, welcome["enrolment"], worker_id)


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


class Sim:
    def __init__(self, index: int, port: int, token: str) -> None:
        self.index = index
        self.port = port
        self.token = token
        self.rtts: list[float] = []
        self.reports = 0
        self.credential = b""

    async def run(self, until: float, measuring_from: float) -> None:
        stream, _ = await authenticate(self.port, f"sim-{self.index}", self.credential,
                                       credential=True)
        await stream.send(make("LEASE_REQUEST", capacity=1))
        lease = None
        pending_hb: dict[float, float] = {}

        async def receiver() -> None:
            nonlocal lease
            while (message := await stream.receive()) is not None:
                if message.name == "LEASE":
                    lease = message
                elif message.name == "HEARTBEAT_ACK":
                    sent = pending_hb.pop(message["sent"], None)
                    if sent is not None and sent >= measuring_from:
                        self.rtts.append(time.perf_counter() - sent)
                elif message.name == "REPORT_ACK" and message["status"] == 0 and \
                        time.perf_counter() >= measuring_from:
                    self.reports += 1

        task = asyncio.create_task(receiver())
        seq = 0
        next_report = time.perf_counter() + REPORT_SECONDS * (self.index % 10 + 1) / 10
        try:
            while time.perf_counter() < until:
                now = time.perf_counter()
                pending_hb[now] = now
                await stream.send(make("HEARTBEAT", sent=now))
                if lease is not None and now >= next_report:
                    await stream.send(make(
                        "REPORT", island=lease["island"], epoch=lease["epoch"], seq=seq,
                        steps=1_000_000, births=10, deaths=10, population=300, genotypes=5,
                        digest=bytes(32), consumed=[], emigrants=[], stats={"step": seq}))
                    seq += 1
                    next_report = now + REPORT_SECONDS
                await asyncio.sleep(HEARTBEAT_SECONDS)
            await stream.send(make("BYE", reason="done"))
        finally:
            task.cancel()
            await stream.close()


async def drive(n: int, port: int, token: str, seconds: float,
                proc: psutil.Process) -> tuple[list[Sim], float]:
    """The simulated workers enrol, warm up, then run ``seconds`` measured; also the
    server's CPU seconds over the measured window alone."""
    sims = [Sim(i, port, token) for i in range(n)]
    for k in range(0, n, 100):  # each enrols (per-worker credentials), 100 at a time
        credentials = await asyncio.gather(*(enrol(port, f"sim-{s.index}", token)
                                             for s in sims[k : k + 100]))
        for sim, credential in zip(sims[k : k + 100], credentials, strict=True):
            sim.credential = credential
    start = time.perf_counter()
    warmup = 3.0 + n / 500  # connecting 1,000 workers takes a moment
    until = start + warmup + seconds

    async def cpu_of_window() -> float:
        await asyncio.sleep(warmup)
        before = proc.cpu_times()
        await asyncio.sleep(max(0.0, until - time.perf_counter()))
        after = proc.cpu_times()
        return (after.user + after.system) - (before.user + before.system)

    window = asyncio.create_task(cpu_of_window())
    await asyncio.gather(*(s.run(until, start + warmup) for s in sims))
    return sims, await window


def measure(n: int, seconds: float) -> dict[str, Any]:
    settings = {"ISLANDS": str(n), "MAX_WORKERS": str(n + 10),
                "MAX_PENDING_CONNECTIONS": str(n + 10)}
    with server_process(settings) as (server, port):
        proc = psutil.Process(server.pid)
        sims, cpu_seconds = asyncio.run(drive(n, port, TOKEN, seconds, proc))
        cpu = 100.0 * cpu_seconds / max(seconds, 1e-9)
        rss = proc.memory_info().rss / 2**20
    rtts = sorted(r for s in sims for r in s.rtts)
    reports = sum(s.reports for s in sims)
    return {
        "reports_per_s": round(reports / seconds, 1),
        "hb_p50_ms": round(1000 * statistics.median(rtts), 2) if rtts else None,
        "hb_p99_ms": round(1000 * percentile(rtts, 0.99), 2) if rtts else None,
        "server_cpu_percent": round(cpu, 1),
        "server_rss_mb": round(rss, 1),
        "heartbeats": len(rtts),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="100,1000", help="comma-separated N values")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per N")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {}
    for n in (int(x) for x in args.workers.split(",")):
        results[str(n)] = measure(n, args.seconds)
        if not args.json:
            r = results[str(n)]
            print(f"N={n}: {r['reports_per_s']} reports/s accepted, heartbeat p50 "
                  f"{r['hb_p50_ms']} ms p99 {r['hb_p99_ms']} ms, server CPU "
                  f"{r['server_cpu_percent']} %, RSS {r['server_rss_mb']} MB", flush=True)
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
