"""Flood test (a benchmark, not a test): one server's abuse limits, measured.

Against one real ``bytebiota server`` on loopback (default limits), while one legitimate
simulated worker (127.0.0.1) heartbeats every 100 ms, an attacker process (other loopback
addresses: 127.0.0.2 and up, ``--addresses`` of them) runs one phase after another:

1. ``churn``: opens and drops ``--churn`` connections (10,000), CONCURRENCY at a time;
2. ``half-open``: holds ``--half-open`` connections (1,000): a third send nothing, a third
   half a header, a third a frame of the largest size a stranger may send (64 KiB) but
   its last byte (``--heavy``: all of them), so the server buffers all it ever would; each
   is held HOLD_SECONDS (past HANDSHAKE_TIMEOUT), and the tool counts those the server
   closed on arrival (MAX_PENDING_CONNECTIONS, or the address's failure budget) and later
   (the handshake timeout);
3. ``wrong-tokens``: handshakes with a wrong token for ``--seconds`` seconds, CONCURRENCY at
   a time (each address gets AUTH_FAILURE_BURST tries, then AUTH_FAILURE_RATE per second;
   the rest are closed on arrival).

A quiet phase comes before and after. For each phase it reports the legitimate worker's
heartbeat round trip (p50, p99, max, count), the server's peak RSS (sampled every 50 ms) and
CPU, and what the attacker saw; ``--json`` prints it all as one object.

    .venv/bin/python tools/flood.py [--json] [--addresses 50] [--churn 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import time
from typing import Any

import psutil
from loadtest import authenticate, percentile, server_process

from bytebiota.netcommon import Stream
from bytebiota.protocol import RemoteProtocolError
from bytebiota.protocol.connection import CLIENT, Connection
from bytebiota.protocol.frames import HEADER, VERSION
from bytebiota.protocol.messages import WORKER, make
from bytebiota.server.app import HANDSHAKE_FRAME_LIMIT

CONCURRENCY = 100
HEARTBEAT_SECONDS = 0.1
HANDSHAKE_TIMEOUT = 10.0  # the server's default, which this run keeps
HOLD_SECONDS = HANDSHAKE_TIMEOUT + 5.0
QUIET_SECONDS = 5.0
PHASES = ("churn", "half-open", "wrong-tokens")


# ---- the attacker (a process of its own, so its work does not delay the measurements) ------

def addresses(n: int) -> list[str]:
    return [f"127.0.0.{2 + k}" for k in range(n)]


async def connect(port: int, source: str
                  ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    """A connection to the server from ``source``, or None when it could not be opened."""
    try:
        return await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    except OSError:
        return None


async def churn(port: int, sources: list[str], count: int) -> dict[str, Any]:
    gate = asyncio.Semaphore(CONCURRENCY)
    failed = 0

    async def one(k: int) -> None:
        nonlocal failed
        async with gate:
            opened = await connect(port, sources[k % len(sources)])
            if opened is None:
                failed += 1
                return
            opened[1].close()

    started = time.perf_counter()
    await asyncio.gather(*(one(k) for k in range(count)))
    elapsed = time.perf_counter() - started
    return {"connections": count, "failed": failed, "seconds": round(elapsed, 2),
            "per_s": round(count / elapsed)}


async def half_open(port: int, sources: list[str], count: int,
                    heavy: bool) -> dict[str, Any]:
    gate = asyncio.Semaphore(CONCURRENCY)
    on_arrival = later = failed = 0
    writers: list[asyncio.StreamWriter] = []
    partial_header = HEADER.pack(b"BB", VERSION, 1, 0, 0, 100)[:5]
    almost = (HEADER.pack(b"BB", VERSION, 1, 0, 0, HANDSHAKE_FRAME_LIMIT)
              + b"\0" * (HANDSHAKE_FRAME_LIMIT - 1))

    async def one(k: int) -> None:
        nonlocal on_arrival, later, failed
        async with gate:
            opened = await connect(port, sources[k % len(sources)])
            if opened is None:
                failed += 1
                return
            reader, writer = opened
            writers.append(writer)
            if heavy or k % 3 == 2:
                writer.write(almost)
            elif k % 3 == 1:
                writer.write(partial_header)
        since = time.monotonic()
        try:
            await asyncio.wait_for(reader.read(1), HOLD_SECONDS)
        except TimeoutError:
            return  # still held by the server
        except OSError:
            pass
        if time.monotonic() - since < 1.0:
            on_arrival += 1
        else:
            later += 1

    await asyncio.gather(*(one(k) for k in range(count)))
    for writer in writers:
        writer.close()
    return {"connections": count, "failed": failed, "closed_on_arrival": on_arrival,
            "closed_by_timeout": later, "still_open": count - failed - on_arrival - later}


async def wrong_tokens(port: int, sources: list[str], seconds: float) -> dict[str, Any]:
    until = time.monotonic() + seconds
    tries = challenged = refused = failed = 0

    async def loop(k: int) -> None:
        nonlocal tries, challenged, refused, failed
        while time.monotonic() < until:
            tries += 1
            opened = await connect(port, sources[(k + tries) % len(sources)])
            if opened is None:
                failed += 1
                await asyncio.sleep(0.01)
                continue
            stream = Stream(Connection(CLIENT, role=WORKER), *opened)
            try:
                await stream.send(make("HELLO", role=WORKER, worker_id=f"intruder-{k}",
                                       host="x", cores=1, memory_mb=0, compiled=True,
                                       software="flood", incarnation=k + 1,
                                       credential=False))
                challenge = await stream.receive()
                if challenge is None:
                    refused += 1  # closed on arrival: its address ran out of tries
                    continue
                challenged += 1
                await stream.send(make("AUTH", mac=b"\0" * 32))
                await stream.receive()
            except (OSError, RemoteProtocolError):
                failed += 1
            finally:
                await stream.close()

    await asyncio.gather(*(loop(k) for k in range(CONCURRENCY // 2)))
    return {"handshakes": tries, "challenged": challenged, "refused_on_arrival": refused,
            "failed": failed, "per_s": round(tries / seconds)}


def attack(args: argparse.Namespace) -> int:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # 1,000 sockets held at once
    sources = addresses(args.addresses)
    if args.attack == "churn":
        result = asyncio.run(churn(args.port, sources, args.churn))
    elif args.attack == "half-open":
        result = asyncio.run(half_open(args.port, sources, args.half_open, args.heavy))
    else:
        result = asyncio.run(wrong_tokens(args.port, sources, args.seconds))
    print(json.dumps(result))
    return 0


# ---- the measurement ---------------------------------------------------------------------

class Probe:
    """The legitimate worker and the server's memory, sampled phase by phase."""

    def __init__(self, server_pid: int) -> None:
        self.process = psutil.Process(server_pid)
        self.phase = "quiet-before"
        self.rtts: dict[str, list[float]] = {}
        self.peak_rss: dict[str, float] = {}
        self.stop = asyncio.Event()

    async def heartbeats(self, port: int) -> None:
        stream, _ = await authenticate(port, "legit")
        await stream.send(make("LEASE_REQUEST", capacity=1))
        sent: dict[float, str] = {}

        async def receive() -> None:
            while (message := await stream.receive()) is not None:
                if message.name == "HEARTBEAT_ACK" and message["sent"] in sent:
                    phase = sent.pop(message["sent"])
                    rtt = time.perf_counter() - message["sent"]
                    self.rtts.setdefault(phase, []).append(rtt)

        task = asyncio.create_task(receive())
        try:
            while not self.stop.is_set():
                now = time.perf_counter()
                sent[now] = self.phase
                await stream.send(make("HEARTBEAT", sent=now))
                await asyncio.sleep(HEARTBEAT_SECONDS)
        finally:
            task.cancel()
            await stream.close()

    async def memory(self) -> None:
        while not self.stop.is_set():
            rss = self.process.memory_info().rss / 2**20
            self.peak_rss[self.phase] = max(self.peak_rss.get(self.phase, 0.0), rss)
            await asyncio.sleep(0.05)

    def report(self, phase: str, cpu: float, seconds: float) -> dict[str, Any]:
        rtts = sorted(self.rtts.get(phase, []))
        return {
            "seconds": round(seconds, 1),
            "hb_count": len(rtts),
            "hb_p50_ms": round(1000 * statistics.median(rtts), 2) if rtts else None,
            "hb_p99_ms": round(1000 * percentile(rtts, 0.99), 2) if rtts else None,
            "hb_max_ms": round(1000 * rtts[-1], 2) if rtts else None,
            "server_peak_rss_mb": round(self.peak_rss.get(phase, 0.0), 1),
            "server_cpu_percent": round(cpu, 1),
        }


async def run_phases(args: argparse.Namespace, server_pid: int, port: int) -> dict[str, Any]:
    probe = Probe(server_pid)
    tasks = [asyncio.create_task(probe.heartbeats(port)), asyncio.create_task(probe.memory())]
    results: dict[str, Any] = {}
    rounds = [f"{p}-{r}" if args.rounds > 1 else p
              for r in range(1, args.rounds + 1) for p in PHASES]
    for phase in ["quiet-before", *rounds, "quiet-after"]:
        probe.phase = phase
        probe.process.cpu_percent(None)
        started = time.perf_counter()
        attacker: dict[str, Any] = {}
        if phase.startswith("quiet"):
            await asyncio.sleep(QUIET_SECONDS)
        else:
            child = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--attack", phase.rsplit("-", 1)[0]
                if args.rounds > 1 else phase, "--port", str(port),
                "--addresses", str(args.addresses), "--churn", str(args.churn),
                "--half-open", str(args.half_open), "--seconds", str(args.seconds),
                *(["--heavy"] if args.heavy else []), stdout=asyncio.subprocess.PIPE)
            out, _ = await child.communicate()
            attacker = json.loads(out)
        seconds = time.perf_counter() - started
        results[phase] = probe.report(phase, probe.process.cpu_percent(None), seconds)
        if attacker:
            results[phase]["attacker"] = attacker
        if not args.json:
            r = results[phase]
            print(f"{phase:>13}: {r['seconds']:5.1f} s  heartbeat p50 {r['hb_p50_ms']} ms "
                  f"p99 {r['hb_p99_ms']} ms max {r['hb_max_ms']} ms ({r['hb_count']})  "
                  f"server peak RSS {r['server_peak_rss_mb']} MB, CPU "
                  f"{r['server_cpu_percent']} %  {attacker or ''}", flush=True)
    probe.stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    worst = max(r["hb_p99_ms"] or 0.0 for r in results.values())
    results["summary"] = {"hb_p99_ms_worst": worst,
                          "server_peak_rss_mb": max(r["server_peak_rss_mb"]
                                                    for r in results.values())}
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--addresses", type=int, default=50,
                        help="loopback addresses the attacker uses (default 50)")
    parser.add_argument("--churn", type=int, default=10_000,
                        help="connections opened and dropped (default 10,000)")
    parser.add_argument("--half-open", type=int, default=1_000,
                        help="half-open connections held (default 1,000)")
    parser.add_argument("--seconds", type=float, default=15.0,
                        help="seconds of wrong tokens (default 15)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run the three attacks this many times (memory must not grow)")
    parser.add_argument("--heavy", action="store_true",
                        help="every half-open connection sends 64 KiB but a byte")
    parser.add_argument("--attack", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.addresses <= 250:
        parser.error("--addresses must be within 1..250")
    if not 1 <= args.rounds <= 100:
        parser.error("--rounds must be within 1..100")
    if args.attack is not None:
        return attack(args)
    with server_process({"ISLANDS": "2"}) as (server, port):
        results = asyncio.run(run_phases(args, server.pid, port))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        s = results["summary"]
        print(f"worst heartbeat p99 {s['hb_p99_ms_worst']} ms; server peak RSS "
              f"{s['server_peak_rss_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
