"""``bytebiota worker``: connect, lease islands, run them in short slices, report.

The island runs in slices of about 50 ms inside the event loop, so heartbeats are answered
and sent between slices and never stall. A batch is ``batch_steps`` instructions (BATCH_SIZE
work cycles of 100,000 instructions, adapted toward TARGET_INTERVAL_SECONDS within
MIN_BATCH_SIZE..MAX_BATCH_SIZE by ADJUSTMENT_FACTOR); after each batch the worker sends a
REPORT (counters, end digest, how many immigrants entered before it, emigrants) and, on the
experiment's CHECKPOINT_INTERVAL cadence (and at least every MAX_SPAN_BATCHES / 2 batches), a
SNAPSHOT. Immigrant batches from an acknowledgement enter before a later batch (each batch
once: the server may offer one again in a new session), and the report names the batches
that entered, so a batch is fixed by (start state, immigrants, length): ``advance`` is the
one place a batch runs, for the worker's own islands and for VALIDATE jobs (another worker's
batches, re-run so the server can compare fingerprints), which run before the next batch.

Faults. Each process has a fresh incarnation (HELLO), so the server knows a restarted
worker from a reconnecting one. Connection lost, refused before the challenge, a handshake
that times out, a full server: reconnect with exponential backoff and jitter
(RECONNECT_MAX_ATTEMPTS failed attempts in a row, 0 = forever), computing offline meanwhile;
only a wrong token, an incompatible version or a quarantine end the worker. RESEND (the
server's disk took writes again): everything unacknowledged goes again. SIGTERM / Ctrl-C:
the slice under way ends, its batch is reported, every island with reports since its last
snapshot is snapshotted, and each lease whose messages are all acknowledged is released
(the others stay queued on disk for the next start), so the server rolls nothing back.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bytebiota import __version__, core, logs, observe, resources, simulation
from bytebiota.batches import Outcome, finish, start
from bytebiota.config import Config, from_values
from bytebiota.core.world import SnapshotError, World
from bytebiota.errors import ConfigError, Failure
from bytebiota.locks import Locks
from bytebiota.netcommon import (
    Stream,
    credential_path,
    find_token,
    install_fast_loop,
    parse_server_url,
    read_credential,
    safe_name,
    write_credential,
)
from bytebiota.protocol import RemoteProtocolError, VersionMismatch
from bytebiota.protocol.connection import CLIENT, Connection, auth_mac, derive_credential
from bytebiota.protocol.frames import FrameDecoder, encode_frame
from bytebiota.protocol.messages import (
    MAX_CORES,
    MAX_SPAN_BATCHES,
    REPORT_REFUSED,
    REPORT_STALE,
    WORKER,
    Batches,
    Message,
    decode,
    encode,
    make,
    unpack_batches,
    worker_id_problem,
)

SLICE_SECONDS = 0.02  # the longest the event loop waits: heartbeats, acks
BACKOFF_CAP = 30.0
MAX_ISLANDS = 4  # islands one worker process runs in turn
FINAL_ACK_SECONDS = 20.0  # stopping: how long the last reports and snapshots may take



def software_description() -> str:
    """What the server records of this worker's software: version, core and platform (the
    cores agree bit for bit, docs/architecture.md; this is what a dispute is traced with)."""
    return (f"bytebiota {__version__}; core {core.describe()}; "
            f"{platform.python_implementation()} {platform.python_version()}; "
            f"{platform.system()} {platform.machine()}")

def machine_fields() -> dict[str, int]:
    """HELLO's ``cores`` and ``memory_mb``: this machine's logical cores and total memory
    (psutil), clamped to what the protocol accepts (MAX_CORES, u32)."""
    machine = resources.detect()
    return {"cores": min(machine.cores, MAX_CORES), "memory_mb": min(machine.memory_mb,
                                                                     2**32 - 1)}


class Refused(Exception):
    """A transient refusal (closed before the challenge, the server full): retry later."""


def log(message: str) -> None:
    logs.emit(logs.logger("worker"), message)  # LOG_LEVEL, journald: bytebiota/logs.py


def machine_id() -> str:
    """A stable id for this machine: its host name and a hash of its hardware address."""
    digest = hashlib.sha256(f"{socket.gethostname()}-{uuid.getnode()}".encode()).hexdigest()
    return f"{socket.gethostname()}-{digest[:8]}"


class Throttle:
    """CPU_PERCENT as a duty cycle: after computing for t seconds, sleep t * (100 / p - 1)
    (THROTTLE_SLEEP_MS caps each pause; DISABLE_THROTTLE or 100 % turns it off). Sleeping in
    the event loop keeps heartbeats flowing during the pause."""

    def __init__(self, config: Config) -> None:
        w = config.worker
        percent = w.cpu_percent if w.cpu_percent is not None else 100.0
        self.factor = 0.0 if w.disable_throttle or percent >= 100.0 else 100.0 / percent - 1.0
        self.cap = (w.throttle_sleep_ms / 1000.0) if w.throttle_sleep_ms else None

    async def pause(self, busy_seconds: float) -> None:
        delay = busy_seconds * self.factor
        if self.cap is not None:
            delay = min(delay, self.cap)
        await asyncio.sleep(delay)


def lower_priority(config: Config) -> None:
    """Run below interactive work when the preset asks for it: nice 10 (background,
    minimal), or the BELOW_NORMAL class on Windows."""
    if config.worker.resource_preset not in ("background", "minimal", "auto"):
        return
    try:
        import psutil

        process = psutil.Process()
        if sys.platform == "win32":
            process.nice(psutil.BELOW_NORMAL_PRIORITY_CLASS)
        else:
            process.nice(max(process.nice(), 10))
    except Exception as exc:  # never fatal: a worker at normal priority still works
        log(f"could not lower the process priority: {exc}")


@dataclass
class Lease:
    island: int
    epoch: int
    seq: int
    batch_steps: int
    world: World
    immigrants: Batches = field(default_factory=list)  # to enter before the next batch
    seen: set[int] = field(default_factory=set)  # batch ids received (entered once each)
    last_snapshot: float = 0.0
    span: int = 0  # batches since the last snapshot

    def offer(self, batches: Batches) -> None:
        for batch, genomes in batches:
            if batch not in self.seen:
                self.seen.add(batch)
                self.immigrants.append((batch, genomes))


class Worker:
    def __init__(self, config: Config, worker_id: str, token: str | None,
                 credential: bytes | None = None, credential_file: Path | None = None) -> None:
        self.config = config
        self.worker_id = worker_id
        self.token = token  # the enrolment secret: used only while it has no credential
        self.credential = credential
        self.credential_file = credential_file or credential_path(
            None, config.global_.data_base_dir, worker_id)
        self.host, self.port = parse_server_url(config.network.server_url)
        self.stop = asyncio.Event()
        self.leases: dict[int, Lease] = {}
        self.experiment: Config | None = None
        self.rtts: list[float] = []
        self.steps_done = 0
        self.unacked: list[Message] = []  # REPORT and SNAPSHOT messages awaiting their ack
        self.cache_limit = config.worker.offline_cache_max_mb * 1024 * 1024
        self.cache_path = (Path(config.global_.data_base_dir) / "cache" /
                           f"worker-{safe_name(worker_id)}.queue")
        self.orphans: set[tuple[int, int]] = set()  # leases of a previous run of this worker
        self.jobs: list[Message] = []  # VALIDATE messages to run, before the next batch
        self.results: list[Message] = []  # VALIDATION_RESULTs computed while cut off
        self.outgoing: list[Message] = []  # replies decided while handling a message
        self.incarnation = random.SystemRandom().getrandbits(63) | 1  # this process
        self.welcomed = False  # the last attempt got through the handshake
        self._load_cache()
        self.throttle = Throttle(config)

    async def main(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, self.stop.set)
        failures = 0
        limit = self.config.network.reconnect_max_attempts
        while not self.stop.is_set():
            why = await self.attempt()
            if self.stop.is_set():
                break
            if self.welcomed:
                failures = 0
                delay = random.uniform(0.2, 1.0)
            else:
                failures += 1
                if limit and failures > limit:
                    raise Failure(f"server {self.host}:{self.port} unreachable after {limit} "
                                  f"attempts (RECONNECT_MAX_ATTEMPTS); the last: {why}")
                delay = min(BACKOFF_CAP, 0.5 * 2 ** min(failures, 6)) * random.uniform(0.5, 1)
            log(f"server {self.host}:{self.port}: {why}; retrying in {delay:.1f} s"
                + (" (computing offline)" if self.leases else ""))
            await self.offline(delay)
        if any(lease.span for lease in self.leases.values()):
            await self.finish(None)  # stopped while cut off: queued on disk for next time

    async def attempt(self) -> str:
        """One connection, as long as it lasts: why it ended. Raises Failure only for what
        no retry can mend (wrong token, incompatible version, quarantine)."""
        self.welcomed = False
        timeout = self.config.server.handshake_timeout
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), timeout)
        except TimeoutError:
            return "unreachable (connection timed out)"
        except OSError as exc:
            return f"unreachable ({exc.strerror or exc})"
        stream = Stream(Connection(
            CLIENT, role=WORKER,
            max_message_size=self.config.network.max_message_size,
            compression_threshold=self.config.network.compression_threshold,
        ), reader, writer)
        why = "session ended"
        try:
            welcome = await asyncio.wait_for(self.handshake(stream), timeout)
            self.welcomed = True
            await self.session(stream, welcome)
        except* Refused as group:
            why = f"refused ({group.exceptions[0]})"
        except* VersionMismatch as group:
            raise Failure(f"server {self.host}:{self.port} is incompatible: "
                          f"{group.exceptions[0]}; upgrade one side") from None
        except* RemoteProtocolError as group:
            why = f"protocol error: {group.exceptions[0]}"
        except* TimeoutError:
            why = "no answer to the handshake in HANDSHAKE_TIMEOUT"
        except* (ConnectionError, OSError) as group:
            why = f"connection lost ({group.exceptions[0]})"
        finally:
            await stream.close()
        return why

    async def offline(self, seconds: float) -> None:
        """Wait ``seconds`` before reconnecting, computing meanwhile: reports queue up in
        memory (OFFLINE_CACHE_MAX_MB at most) and are delivered on reconnect. The server
        refuses those of a lease it gave away meanwhile."""
        deadline = time.monotonic() + seconds
        while not self.stop.is_set() and time.monotonic() < deadline:
            if self.leases and self.queued_bytes() < self.cache_limit:
                for lease in list(self.leases.values()):
                    await self.batch(None, lease, None)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), max(0.0, deadline -
                                                                 time.monotonic()))

    def _load_cache(self) -> None:
        """Reports and snapshots a previous run of this worker queued and never delivered:
        they are still valid work while the server keeps those leases."""
        try:
            data = self.cache_path.read_bytes()
        except FileNotFoundError:
            return
        decoder = FrameDecoder(self.config.network.max_message_size)
        decoder.feed(data)
        try:
            while (frame := decoder.next_frame()) is not None:
                message = decode(*frame)
                if message.name in ("REPORT", "SNAPSHOT"):
                    self.unacked.append(message)
                    self.orphans.add((message["island"], message["epoch"]))
        except RemoteProtocolError as exc:
            log(f"{self.cache_path}: damaged ({exc}); keeping what came before")
        if self.unacked:
            log(f"{len(self.unacked)} queued messages from a previous run in {self.cache_path}")

    def _save_cache(self) -> None:
        """The queue on disk (atomically), so a worker killed while offline loses nothing."""
        if not self.unacked:
            self.cache_path.unlink(missing_ok=True)
            return
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.cache_path.with_suffix(".tmp")
        tmp.write_bytes(b"".join(encode_frame(m.code, encode(m), compression_threshold=4096)
                                 for m in self.unacked))
        os.replace(tmp, self.cache_path)

    def queued_bytes(self) -> int:
        return sum(len(m.fields.get("data", b"")) + 200 for m in self.unacked)

    async def handshake(self, stream: Stream) -> Message:
        """HELLO, CHALLENGE, AUTH, WELCOME: the WELCOME. Refused (retry) for a connection
        closed on the way or a transient REJECT; Failure for a final one."""
        await stream.send(make("HELLO", role=WORKER, worker_id=self.worker_id,
                               host=socket.gethostname()[:64], **machine_fields(),
                               compiled=core.COMPILED, software=software_description(),
                               incarnation=self.incarnation,
                               credential=self.credential is not None))
        challenge = await stream.receive()
        if challenge is None:
            raise Refused("closed before the challenge: the server is busy, or refuses this "
                          "address for now")
        self._refusal(challenge)
        key = self.credential if self.credential is not None else self.token
        if key is None:
            raise Failure(f"no credential in {self.credential_file} and no SERVER_TOKEN to "
                          "enrol with")
        await stream.send(make("AUTH", mac=auth_mac(key, challenge["nonce"], WORKER,
                                                    self.worker_id)))
        welcome = await stream.receive()
        if welcome is None:
            raise Refused("closed during the handshake")
        self._refusal(welcome)
        if welcome["enrolment"] and self.credential is None and self.token is not None:
            # Enrolled by the token: from now on this worker proves its own credential.
            self.credential = derive_credential(self.token, welcome["enrolment"],
                                                self.worker_id)
            write_credential(self.credential_file, self.worker_id, self.credential)
            log(f"enrolled as {self.worker_id}; credential stored in {self.credential_file}")
        return welcome

    @staticmethod
    def _refusal(message: Message) -> None:
        if message.name != "REJECT":
            return
        reason = message["reason"]
        if message["retry"]:
            raise Refused(reason)
        hint = (" (is SERVER_TOKEN, or WORKER_CREDENTIAL, right?)"
                if reason == "authentication failed" else "")
        raise Failure(f"server refused: {reason}{hint}")

    async def session(self, stream: Stream, welcome: Message) -> None:
        self.experiment = from_values(welcome["config"])
        log(f"connected to {self.host}:{self.port} as {self.worker_id}"
            + (f"; delivering {len(self.unacked)} queued messages" if self.unacked else ""))
        for message in list(self.unacked):  # in order: the server acknowledges each
            await stream.send(message)
        for island, epoch in sorted(self.orphans):  # no world for these: give them back
            await stream.send(make("RELEASE", island=island, epoch=epoch))
        self.orphans.clear()
        results, self.results = self.results, []
        for result in results:
            await stream.send(result)
        done = asyncio.Event()
        lost: list[Exception] = []
        async with asyncio.TaskGroup() as group:
            group.create_task(self._until_lost(
                self.heartbeats(stream, welcome["heartbeat_interval"], done), done, lost))
            group.create_task(self._until_lost(self.receiver(stream, done), done, lost))
            group.create_task(self.runner(stream, done))
        if lost:
            raise lost[0]

    @staticmethod
    async def _until_lost(work: Coroutine[Any, Any, None], done: asyncio.Event,
                          lost: list[Exception]) -> None:
        """A lost connection (or a peer's protocol error) ends the session without
        cancelling the runner: a batch cut off mid-way would leave its world advanced past
        what any report says (its immigrants entered, part of its steps run), and every
        later report of that island unreproducible (an honest worker disputed). The runner
        sees ``done``, finishes its batch and queues the report."""
        try:
            await work
        except (ConnectionError, OSError, RemoteProtocolError) as exc:
            lost.append(exc)
        finally:
            done.set()

    async def heartbeats(self, stream: Stream, interval: float, done: asyncio.Event) -> None:
        while not done.is_set() and not self.stop.is_set() and stream.connection.ready:
            await stream.send(make("HEARTBEAT", sent=time.monotonic()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), interval)

    async def receiver(self, stream: Stream, done: asyncio.Event) -> None:
        try:
            while (message := await stream.receive()) is not None:
                self.handle(message)
                outgoing, self.outgoing = self.outgoing, []
                for reply in outgoing:
                    await stream.send(reply)
                if message.name == "RESEND":  # the server can store them again
                    for queued in list(self.unacked):
                        await stream.send(queued)
                if message.name == "SHUTDOWN":
                    log("server is shutting down; will reconnect")
                    return
        finally:
            done.set()

    def _forget(self, island: int, epoch: int) -> None:
        self.leases.pop(island, None)
        self.unacked = [m for m in self.unacked
                        if (m["island"], m["epoch"]) != (island, epoch)]
        self._save_cache()

    def _acknowledged(self, name: str, message: Message) -> None:
        key = (message["island"], message["epoch"], message["seq"])
        before = len(self.unacked)
        self.unacked = [m for m in self.unacked
                        if not (m.name == name and (m["island"], m["epoch"], m["seq"]) == key)]
        if len(self.unacked) != before:
            self._save_cache()

    def handle(self, message: Message) -> None:
        name = message.name
        if name == "HEARTBEAT_ACK":
            self.rtts.append(time.monotonic() - message["sent"])
            del self.rtts[:-1000]
        elif name == "LEASE":
            old = self.leases.get(message["island"])
            if old is not None:
                self._forget(old.island, old.epoch)
            lease = self._lease(message)
            if lease is not None:
                self.leases[message["island"]] = lease
        elif name == "REPORT_ACK":
            self._acknowledged("REPORT", message)
            lease = self.leases.get(message["island"])
            if lease is not None and lease.epoch == message["epoch"]:
                if message["status"] in (REPORT_STALE, REPORT_REFUSED):
                    why = ("the lease went to another worker"
                           if message["status"] == REPORT_STALE
                           else "it does not match the server's records")
                    log(f"island {lease.island}: report {message['seq']} refused ({why}); "
                        "dropping it")
                    self._forget(lease.island, lease.epoch)
                else:
                    lease.offer(unpack_batches(message))
        elif name == "SNAPSHOT_ACK":
            self._acknowledged("SNAPSHOT", message)
        elif name == "REVOKE":
            lease = self.leases.get(message["island"])
            if lease is not None and lease.epoch == message["epoch"]:
                log(f"island {lease.island}: the server took the lease back")
                self._forget(lease.island, lease.epoch)
        elif name == "VALIDATE":
            if len(message["entered"]) != len(message["steps"]) or \
                    sum(message["entered"]) != len(message["immigrants"]):
                raise RemoteProtocolError(f"VALIDATE job {message['job']}: its batches do "
                                          "not add up")
            self.jobs.append(message)
        elif name == "BYE":
            log(f"the server said goodbye: {message['reason']}")

    def _lease(self, message: Message) -> Lease | None:
        world = self._start_world(message)
        if world is None:  # given back: the server may lease it to a worker that can read it
            self.outgoing.append(make("RELEASE", island=message["island"],
                                      epoch=message["epoch"]))
            return None
        log(f"leased island {message['island']} (epoch {message['epoch']}, from report "
            f"{message['next_seq']}, step {world.steps:,})")
        lease = Lease(message["island"], message["epoch"], message["next_seq"],
                      message["batch_steps"], world)
        lease.offer(unpack_batches(message))
        return lease

    async def runner(self, stream: Stream, done: asyncio.Event) -> None:
        requested = 0.0
        while not done.is_set() and not self.stop.is_set():
            # Ask for an island when idle, and now and then for one more (the server only
            # grants it while islands lie idle and no worker holds fewer).
            wait = self.config.worker.poll_interval if not self.leases else 5.0
            if len(self.leases) < MAX_ISLANDS and time.monotonic() - requested > wait:
                await stream.send(make("LEASE_REQUEST", capacity=1))
                requested = time.monotonic()
            if self.jobs:  # another worker's batches wait for a verdict: they come first
                await self.validate(stream, self.jobs.pop(0), done)
                continue
            if not self.leases:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), 0.2)
                continue
            for lease in list(self.leases.values()):
                if done.is_set() or self.stop.is_set():
                    break
                await self.batch(stream, lease, done)
        if self.stop.is_set():
            await self.finish(stream if not done.is_set() else None)

    async def finish(self, stream: Stream | None) -> None:
        """Stopping: a snapshot of every island with reports since its last one; then, once
        acknowledged, each lease is released (nothing of it is rolled back) and BYE. What is
        not acknowledged in FINAL_ACK_SECONDS (or cannot be sent) stays queued on disk: the
        next start delivers it and releases those leases."""
        for lease in self.leases.values():
            if lease.span:
                await self._send(stream, make("SNAPSHOT", island=lease.island,
                                              epoch=lease.epoch, seq=lease.seq,
                                              data=lease.world.snapshot()))
                lease.span = 0
        if stream is None or not stream.connection.ready:
            self._save_cache()
            return
        deadline = time.monotonic() + FINAL_ACK_SECONDS
        while self.unacked and stream.connection.ready and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        waiting = {(m["island"], m["epoch"]) for m in self.unacked}
        for lease in list(self.leases.values()):
            if (lease.island, lease.epoch) not in waiting and stream.connection.ready:
                await stream.send(make("RELEASE", island=lease.island, epoch=lease.epoch))
                del self.leases[lease.island]
        self._save_cache()
        if stream.connection.ready:
            await stream.send(make("BYE", reason="worker stopping"))

    async def _send(self, stream: Stream | None, message: Message) -> None:
        """Queue until acknowledged (on disk too while offline); send now when connected.
        A connection lost meanwhile is not this batch's concern (the receiver sees it): the
        batch's bookkeeping goes on, or its next batch would reuse its seq."""
        self.unacked.append(message)
        if stream is not None and stream.connection.ready:
            with contextlib.suppress(ConnectionError, OSError):
                await stream.send(message)
                return
        self._save_cache()

    async def advance(self, world: World, immigrants: list[bytes], steps: int,
                      going: Callable[[], bool]) -> Outcome:
        """One batch, exactly as another worker can re-run it: the immigrants enter, ``steps``
        instructions run in slices of about SLICE_SECONDS (heartbeats flow between them, the
        throttle pauses), then EMIGRANTS_PER_BATCH emigrants are drawn and the end digest is
        taken. Slicing never changes the result (``run(a)`` then ``run(b)`` is
        ``run(a + b)``). Stops early, incomplete, when ``going()`` turns false."""
        for genome in immigrants:
            world.immigrate(genome)
        births, deaths, left = world.births, world.deaths, steps
        chunk = 100_000
        complete = True
        while left > 0:
            t = time.perf_counter()
            report = world.run(min(chunk, left))
            left -= int(report.steps)
            elapsed = time.perf_counter() - t
            if elapsed > 0:  # keep each slice near SLICE_SECONDS
                chunk = max(1_000, min(50_000_000, int(chunk * SLICE_SECONDS / elapsed)))
            await self.throttle.pause(elapsed)
            if report.extinct:
                break
            if left > 0 and not going():
                complete = False
                break
        return finish(world, births, deaths, steps - left, complete=complete)

    async def batch(self, stream: Stream | None, lease: Lease,
                    done: asyncio.Event | None) -> None:
        start = time.perf_counter()
        batches, lease.immigrants = lease.immigrants, []
        immigrants = [g for _, genomes in batches for g in genomes]
        outcome = await self.advance(
            lease.world, immigrants, lease.batch_steps,
            lambda: lease.island in self.leases and not self.stop.is_set())
        if lease.island not in self.leases:
            return  # (stopping: the partial batch is still reported, and snapshotted)
        if done is not None and done.is_set():
            stream = None  # the connection went away mid-batch: queue the report
        self.steps_done += outcome.steps
        await self._send(stream, self.report_message(lease, outcome, [b for b, _ in batches]))
        lease.seq += 1
        lease.span += 1
        now = time.monotonic()
        if now - lease.last_snapshot >= self._experiment().server.checkpoint_interval or \
                lease.last_snapshot == 0.0 or self.stop.is_set() or \
                lease.span >= MAX_SPAN_BATCHES // 2:
            await self._send(stream, make("SNAPSHOT", island=lease.island, epoch=lease.epoch,
                                          seq=lease.seq, data=lease.world.snapshot()))
            lease.last_snapshot = now
            lease.span = 0
        self._adapt(lease, time.perf_counter() - start)

    def _experiment(self) -> Config:
        return self.experiment if self.experiment is not None else self.config

    def report_message(self, lease: Lease, outcome: Outcome, consumed: list[int]) -> Message:
        world = lease.world
        return make(
            "REPORT", island=lease.island, epoch=lease.epoch, seq=lease.seq,
            steps=outcome.steps, births=outcome.births, deaths=outcome.deaths,
            population=outcome.population, genotypes=outcome.genotypes,
            digest=outcome.digest, consumed=consumed, emigrants=outcome.emigrants,
            stats={"step": int(world.steps), **observe.figures(world)},
        )

    async def validate(self, stream: Stream, job: Message, done: asyncio.Event) -> None:
        """Re-run another worker's batches from the start state the server holds, and send
        their fingerprints (none when that state cannot be read: a disagreement too)."""
        fingerprints: list[bytes] = []
        world = self._start_world(job)
        if world is not None:
            immigrants = job["immigrants"]
            taken = 0
            for entered, steps in zip(job["entered"], job["steps"], strict=True):
                outcome = await self.advance(world, immigrants[taken : taken + entered],
                                             steps, lambda: not self.stop.is_set())
                taken += entered
                if not outcome.complete:
                    return  # stopping: the server gives the job to another worker
                fingerprints.append(outcome.fingerprint())
        result = self.result_message(job["job"], fingerprints)
        if not done.is_set() and stream.connection.ready:
            with contextlib.suppress(ConnectionError, OSError):
                await stream.send(result)
                return
        self.results.append(result)  # delivered on reconnection

    def result_message(self, job: int, fingerprints: list[bytes]) -> Message:
        """What this worker answers a VALIDATE with (the cheater of the tests lies here)."""
        return make("VALIDATION_RESULT", job=job, fingerprints=fingerprints)

    def _start_world(self, message: Message) -> World | None:
        """The world a LEASE or a VALIDATE starts from: its snapshot, or a fresh world of
        the experiment from its seed and founding genomes."""
        try:
            return start(simulation.params(self._experiment()), message["snapshot"],
                         message["seed"], message["genomes"])
        except (SnapshotError, MemoryError, ValueError, OverflowError, IndexError) as exc:
            # (every allocation is bounded by the snapshot's own length: core/snapshot.py)
            log(f"island {message['island']}: refused its start state: it cannot be "
                f"restored ({exc})")
            return None

    def _adapt(self, lease: Lease, elapsed: float) -> None:
        w = self.config.worker
        if elapsed <= 0:
            return
        target = w.target_interval_seconds
        ideal = lease.batch_steps * target / elapsed
        new = lease.batch_steps + w.adjustment_factor * (ideal - lease.batch_steps)
        # (within the experiment's bounds too: the server refuses a longer batch as a lie)
        bounds = self._experiment().worker
        lo = min(w.min_batch_size, bounds.max_batch_size) * simulation.WORK_CYCLE
        hi = min(w.max_batch_size, bounds.max_batch_size) * simulation.WORK_CYCLE
        lease.batch_steps = int(max(lo, min(hi, new)))


def supervise(jobs: int, worker_id: str, argv: list[str]) -> None:
    """``worker --jobs N``: N island processes, each a worker with its own connection
    (WORKER_ID-1 .. WORKER_ID-N). One connection per child keeps the protocol and the
    server unchanged and lets each child's heartbeats flow from its own event loop; a child
    that crashes is restarted (after 1 s, then up to 30 s while it keeps crashing); SIGTERM
    or Ctrl-C stops them all (each sends its final report) and exits 0."""
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    children: dict[int, subprocess.Popen[bytes]] = {}
    restarts: dict[int, float] = {}
    delays = dict.fromkeys(range(1, jobs + 1), 1.0)

    def start(k: int) -> None:
        # The last occurrence of a flag wins: each child gets its own id and one job.
        children[k] = subprocess.Popen([sys.executable, "-m", "bytebiota", "worker", *argv,
                                        "--worker-id", f"{worker_id}-{k}", "--jobs", "1"])
        log(f"job {k} started (pid {children[k].pid}) as {worker_id}-{k}")

    for k in range(1, jobs + 1):
        start(k)
    while not stopping:
        time.sleep(0.5)
        for k, child in list(children.items()):
            code = child.poll()
            if code is None or stopping:
                continue
            due = restarts.get(k)
            if due is None:
                log(f"job {k} exited with status {code}; restarting in {delays[k]:.0f} s")
                restarts[k] = time.monotonic() + delays[k]
                delays[k] = min(30.0, delays[k] * 2)
            elif time.monotonic() >= due:
                del restarts[k]
                start(k)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for k, child in children.items():
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            log(f"job {k} did not stop in 60 s; killing it")
            child.kill()
            child.wait()
    log(f"{jobs} jobs stopped")


def identity(config: Config) -> tuple[str, bytes | None, Path]:
    """This worker's id, its own credential (None: not enrolled yet) and the credential's
    file. WORKER_CREDENTIAL names the id (WORKER_ID, if set, must agree); else WORKER_ID or
    the machine's id, with the credential the server issued it under DATA_BASE_DIR."""
    configured = config.network.worker_credential
    worker_id = config.worker.worker_id or ""
    if configured:
        name, secret = read_credential(Path(configured))
        if worker_id and worker_id != name:
            raise ConfigError(f"WORKER_ID={worker_id} but WORKER_CREDENTIAL={configured} is "
                              f"{name}'s credential")
        return name, secret, Path(configured)
    worker_id = worker_id or machine_id()
    problem = worker_id_problem(worker_id)
    if problem is not None:
        raise ConfigError(f"WORKER_ID: {problem}")
    path = credential_path(None, config.global_.data_base_dir, worker_id)
    if path.exists():
        name, secret = read_credential(path)
        if name == worker_id:
            return worker_id, secret, path
    return worker_id, None, path


def command(args: Any, config: Config) -> None:
    jobs = args.jobs if args.jobs is not None else (config.worker.worker_jobs or 1)
    if jobs > 1:
        if config.network.worker_credential:
            raise ConfigError("WORKER_CREDENTIAL is one worker's credential: with --jobs N "
                              "each job needs its own (enrol them by the token, or run one "
                              "worker per credential)")
        supervise(jobs, config.worker.worker_id or machine_id(), sys.argv[2:])
        return
    worker_id, credential, path = identity(config)
    # One writer per cache (bytebiota/locks.py): two workers with one id in one data
    # directory would overwrite each other's queue. The jobs of --jobs N have ids of their own.
    cache = Path(config.global_.data_base_dir) / "cache"
    with Locks(notice=log) as locks:
        locks.take(cache, file_name=f"worker-{safe_name(worker_id)}.lock",
                   label=f"worker {worker_id}'s cache in {cache}")
        _work(config, worker_id, credential, path)


def _work(config: Config, worker_id: str, credential: bytes | None, path: Path) -> None:
    loop_name = install_fast_loop()
    token = None if credential is not None else \
        find_token(config.network.server_token, config.global_.data_base_dir)
    log(f"{worker_id} on {platform.node()}, core {core.describe()}, event loop {loop_name}")
    if config.worker.resource_preset == "auto" and config.machine is not None:
        from bytebiota.resources import detection_report

        for line in detection_report(config.machine):
            log(line)
    lower_priority(config)
    worker = Worker(config, worker_id, token, credential, path)
    started = time.perf_counter()
    asyncio.run(worker.main())
    elapsed = time.perf_counter() - started
    rtt = sorted(worker.rtts)
    heartbeat = (f"; heartbeat round trip p50 {1000 * rtt[len(rtt) // 2]:.1f} ms, p99 "
                 f"{1000 * rtt[min(len(rtt) - 1, int(len(rtt) * 0.99))]:.1f} ms over "
                 f"{len(rtt)}" if rtt else "")
    log(f"stopped after {worker.steps_done:,} instructions in {elapsed:.1f} s "
        f"({worker.steps_done / elapsed / 1e6:.1f} M/s){heartbeat}")
