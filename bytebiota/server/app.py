"""``bytebiota server``: the asyncio edge around the coordinator.

One task per connection pumps bytes through a sans-IO ``Connection``; every decision is the
coordinator's. Housekeeping (lease and job expiry, operator requests, journal stats,
checkpoints) runs in its own task. A connection that misbehaves (bad frame, wrong state,
wrong token, silence during the handshake) is closed with a logged reason; everyone else
carries on. SIGTERM/SIGINT: checkpoint, tell the workers (SHUTDOWN), exit 0.

Write-ahead: what the coordinator decided is journaled before any peer hears of it, and
fsynced (group commit, server/durability.py) before an acknowledgement, a lease or immigrants
handed out leave; while the disk refuses, nothing is acknowledged. A quarantined
worker is told why (BYE) and refused at every handshake until ``bytebiota release``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from bytebiota import __version__, checkpoints, core, health, logs, simulation
from bytebiota.config import Config, public_values
from bytebiota.errors import ConfigError, Failure, UserError
from bytebiota.journal import FORMAT, Journal, cut, scan
from bytebiota.locks import Locks
from bytebiota.netcommon import (
    Stream,
    install_fast_loop,
    load_or_create_secret,
    load_or_create_token,
    monitor_token_path,
    safe_name,
    shown,
    write_credential,
)
from bytebiota.protocol import RemoteProtocolError, VersionMismatch
from bytebiota.protocol.connection import NONCE_SIZE, SERVER, Connection, derive_credential
from bytebiota.protocol.messages import (
    MONITOR,
    REPORT_ACCEPTED,
    Batches,
    Message,
    make,
    pack_batches,
    worker_id_problem,
)
from bytebiota.server import control
from bytebiota.server.coordinator import Coordinator, Island, Job
from bytebiota.server.credentials import Credentials
from bytebiota.server.durability import Durability, describe
from bytebiota.server.ecotypes import Classifier
from bytebiota.server.guard import AddressGuard
from bytebiota.server.inspection import Contents, Inspector, rerun_in_child
from bytebiota.server.phylogeny import Phylogeny

HANDSHAKE_FRAME_LIMIT = 64 * 1024  # HELLO and AUTH are tiny: a stranger buffers no more
STATS_SECONDS = 5.0  # journal cadence of the global stats
CHECKPOINT_PREFIX = "server"


def log(message: str) -> None:
    logs.emit(logs.logger("server"), message)  # LOG_LEVEL, journald: bytebiota/logs.py


class Server:
    def __init__(self, config: Config, coordinator: Coordinator, token: str, seed: int,
                 journal: Journal, *, monitor_token: str | None = None,
                 ecotypes: dict[str, Any] | None = None,
                 phylogeny: dict[str, Any] | None = None) -> None:
        self.config = config
        self.coordinator = coordinator
        self.token = token
        self.monitor_token = monitor_token or token
        self.credentials = Credentials(config.global_.data_base_dir)
        self.inspector = Inspector(simulation.params(config))
        self.arbitrating: dict[int, asyncio.Task[None]] = {}
        self.seed = seed
        self.journal = journal
        # the experiment's health, judged at each journaled stats event as `run` judges its
        # one world (bytebiota/health.py; the islands as soups side by side)
        self.health = health.Monitor.of(public_values(config), config.global_.regime)
        self.last_health: dict[str, Any] | None = None
        # newly permanent genotypes of committed snapshots, classified in the background
        self.classifier = Classifier(config, ecotypes)
        # the islands' permanent genotypes and lineages, journaled (server/phylogeny.py)
        self.phylogeny = Phylogeny(phylogeny)
        self.checkpoint_trouble: str | None = None  # why the last checkpoint failed
        self.snapshot_trouble: str | None = None  # why the last snapshot was not stored
        self.wal = Durability(journal, log, self.disk_log)
        self.stop = asyncio.Event()
        self.checkpoint_requested = False  # SIGUSR1: a checkpoint at the next tick
        self.sessions: set[Stream] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.pending = 0  # connections still in their handshake
        self.guard = AddressGuard(config.server.auth_failure_burst,
                                  config.server.auth_failure_rate)
        self.session_counter = 0
        self.checkpoint_dir = Path(config.checkpoint.checkpoint_dir) / "server"
        self.store = SnapshotStore(self.checkpoint_dir)
        self.streams: dict[str, Stream] = {}  # worker id -> its session
        self.enrolling: set[str] = set()  # enrolled by the token, WELCOME not yet confirmed
        self.port = 0

    # ---- connections -------------------------------------------------------------------

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        net = self.config.network
        peer = writer.get_extra_info("peername")
        address = peer_address(writer)
        now = time.monotonic()
        if self.pending >= self.config.server.max_pending_connections or \
                not self.guard.allow(address, now):
            writer.close()  # refused on arrival: nothing read, nothing buffered
            return
        connection = Connection(SERVER, max_message_size=min(HANDSHAKE_FRAME_LIMIT,
                                                             net.max_message_size),
                                compression_threshold=net.compression_threshold)
        stream = Stream(connection, reader, writer)
        worker_id = ""
        reason = "closed"
        self.pending += 1
        handshaking = True
        self.sessions.add(stream)
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        try:
            outcome = await asyncio.wait_for(self._handshake(stream),
                                             self.config.server.handshake_timeout)
            self.pending -= 1
            handshaking = False
            if outcome is None:
                return
            if not outcome[0]:
                reason = "refused"
                self.guard.fail(address, time.monotonic())
                return
            worker_id, settle = outcome
            connection.decoder.max_message_size = net.max_message_size
            if connection.is_monitor:
                worker_id = ""
                await self._monitor_session(stream)
            else:
                self.streams[worker_id] = stream
                await self._worker_session(stream, worker_id, settle)
        except TimeoutError:
            reason = "handshake timeout"
            self.guard.fail(address, time.monotonic())
        except VersionMismatch as exc:  # told, so that it stops (a retry cannot help)
            reason = f"protocol error: {exc}"
            if connection.state == "await_hello":
                with contextlib.suppress(ConnectionError, OSError):
                    await stream.send(make("REJECT", reason=f"incompatible: {exc}",
                                           retry=False))
        except RemoteProtocolError as exc:
            reason = f"protocol error: {exc}"
            self.guard.fail(address, time.monotonic())
        except (ConnectionError, OSError) as exc:
            reason = f"connection lost: {exc}"
        finally:
            if handshaking:
                self.pending -= 1
            self.sessions.discard(stream)
            if self.streams.get(worker_id) is stream:
                del self.streams[worker_id]
            if task is not None:
                self.tasks.discard(task)
            if reason != "closed" or (worker_id and not connection.is_monitor):
                log(f"{peer} {shown(worker_id) or '-'}: {reason}")
            if worker_id and not connection.is_monitor:
                self.coordinator.seen(worker_id)  # its leases expire after WORKER_TIMEOUT
            await stream.close()

    async def _handshake(self, stream: Stream) -> tuple[str, bool] | None:
        """The peer's worker id and whether it is a new incarnation of a worker holding
        islands; an empty id when refused (counts against its address), None when it left
        without a word (a port probe, a health check: not an offence).

        Monitors prove MONITOR_TOKEN (or SERVER_TOKEN). A worker proves its own credential
        (HELLO ``credential``), or, not enrolled yet and while WORKER_ENROLMENT=token, the
        shared token: the server then enrols it (WELCOME ``enrolment``: the salt both sides
        derive its credential from). A name that holds a credential can never be used with
        the token: the worker id is bound to its credential."""
        hello = await stream.receive()
        if hello is None:
            return None
        self.session_counter += 1
        await stream.send(make("CHALLENGE", nonce=os.urandom(NONCE_SIZE),
                               server_id=f"bytebiota {__version__}"))
        auth = await stream.receive()
        if auth is None:
            return None
        peer = stream.writer.get_extra_info("peername")
        name = hello["worker_id"]
        connection = stream.connection
        if hello["role"] == MONITOR:
            if not (connection.verify(auth, self.monitor_token) or
                    connection.verify(auth, self.token)):
                return await self._refuse(stream, "authentication failed",
                                          f"{peer}: wrong token (a monitor session)")
            await self._welcome(stream, b"")
            return f"monitor-{self.session_counter}", False
        self.credentials.reload()  # (the id's form was checked with HELLO: protocol/)
        enrol = False
        if hello["credential"]:
            secret = self.credentials.secret(name)
            if secret is None or not connection.verify(auth, secret):
                why = {None: "no such credential", "revoked": "its credential is revoked",
                       "active": "wrong credential"}[self.credentials.state(name)]
                return await self._refuse(stream, "authentication failed",
                                          f"{peer}: worker {shown(name)!r}: {why}")
        else:
            if not connection.verify(auth, self.token):
                return await self._refuse(stream, "authentication failed",
                                          f"{peer}: wrong token for {shown(name)!r}")
            state = self.credentials.state(name)
            if state == "active" and name not in self.enrolling:
                return await self._refuse(
                    stream, f"worker id {name} is enrolled: it must prove its own "
                    "credential (WORKER_CREDENTIAL), not the shared token",
                    f"{peer}: the token used for enrolled worker {shown(name)!r}")
            if state == "revoked":
                return await self._refuse(stream, f"worker {name}'s credential is revoked",
                                          f"{peer}: revoked worker {shown(name)!r}")
            if self.config.server.worker_enrolment != "token":
                return await self._refuse(
                    stream, "this server enrols workers only by `bytebiota server enroll "
                    "NAME` (WORKER_ENROLMENT=operator)",
                    f"{peer}: {shown(name)!r} tried to enrol by the token")
            enrol = True
        if self.coordinator.is_quarantined(name):
            await stream.send(make("REJECT", reason=quarantine_text(
                name, self.coordinator.quarantined[name]["reason"]), retry=False))
            return "", False
        if len(self.streams) >= self.config.server.max_workers and name not in self.streams:
            await stream.send(make("REJECT", reason="MAX_WORKERS reached", retry=True))
            return "", False
        enrolment = b""
        if enrol:  # (last: a refused worker is not enrolled, it may come back with the token)
            enrolment = os.urandom(32)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self.credentials.enrol, name,
                                       derive_credential(self.token, enrolment, name), "token")
            # Until this session's first message proves the WELCOME arrived, the token may
            # enrol the name again (a lost WELCOME must not lock the worker out for good).
            self.enrolling.add(name)
            log(f"enrolled worker {shown(name)} by the token ({peer})")
        settle = self.coordinator.join(name, hello["host"], hello["cores"], hello["software"],
                                       incarnation=hello["incarnation"],
                                       address=peer_address(stream.writer))
        await self._welcome(stream, enrolment)
        return name, settle

    async def _refuse(self, stream: Stream, reason: str, line: str) -> tuple[str, bool]:
        await stream.send(make("REJECT", reason=reason, retry=False))
        log(line)
        return "", False

    async def _welcome(self, stream: Stream, enrolment: bytes) -> None:
        await stream.send(make(
            "WELCOME", session=self.session_counter,
            heartbeat_interval=self.config.network.heartbeat_interval,
            config=public_values(self.config), enrolment=enrolment,
        ))

    async def _monitor_session(self, stream: Stream) -> None:
        while (message := await stream.receive()) is not None:
            if message.name == "STATUS_REQUEST":
                await stream.send(make("STATUS", data=self.status(message["island"])))
            elif message.name == "HEARTBEAT":
                await stream.send(make("HEARTBEAT_ACK", sent=message["sent"]))
            elif message.name == "BYE":
                return

    async def _worker_session(self, stream: Stream, worker_id: str, settle: bool) -> None:
        """A worker's messages, answered in order. What must be durable before it leaves
        (REPORT_ACK, SNAPSHOT_ACK, LEASE) goes through ``outbox``, sent once the journal is
        fsynced (at once, unless the disk refuses: then when it takes the journal again),
        while heartbeats go on being read and answered.

        ``settle``: a new process of a worker holding islands. It delivers what its
        predecessor queued (and gives those leases back) first; its first HEARTBEAT or
        LEASE_REQUEST says it is done, and the leases it still holds, which no process runs
        any more, go back to the pool at once. Immigrant batches handed to its islands and
        not entered are offered again with the first acknowledgement of each island in this
        session (the last hand-out may not have arrived)."""
        outbox: asyncio.Queue[Message | None] = asyncio.Queue()
        try:
            async with asyncio.TaskGroup() as group:
                sender = group.create_task(self._send_durable(stream, outbox))
                try:
                    await self._worker_messages(stream, worker_id, settle, outbox)
                finally:
                    outbox.put_nowait(None)
                    if not stream.connection.ready:  # nobody left to read them
                        sender.cancel()
        except ExceptionGroup as errors:  # the session's own error (a RemoteProtocolError, a
            # lost connection), unwrapped: handle() logs it and counts it against the address
            raise errors.exceptions[0] from None

    async def _send_durable(self, stream: Stream, outbox: asyncio.Queue[Message | None]) -> None:
        while (message := await outbox.get()) is not None:
            await self.wal.durable()
            if not stream.connection.ready:
                return
            with contextlib.suppress(ConnectionError, OSError):  # (the reader sees it too)
                await stream.send(message)

    async def _worker_messages(self, stream: Stream, worker_id: str, settle: bool,
                               outbox: asyncio.Queue[Message | None]) -> None:
        coordinator = self.coordinator
        info = coordinator.workers.get(worker_id)
        reoffer = set(info.islands) if info is not None else set()
        while (message := await stream.receive()) is not None:
            self.enrolling.discard(worker_id)  # (it has its credential: the token no more)
            if coordinator.is_quarantined(worker_id):
                return  # (its BYE is on the way: what it still sends is not counted)
            coordinator.seen(worker_id)
            name = message.name
            if settle and name in ("HEARTBEAT", "LEASE_REQUEST"):
                settle = False
                freed = coordinator.settle(worker_id)
                if freed:
                    log(f"worker {worker_id} restarted: islands {freed} of its previous "
                        "process go back to the pool")
            if name == "HEARTBEAT":
                await stream.send(make("HEARTBEAT_ACK", sent=message["sent"]))
            elif name == "LEASE_REQUEST":
                await self._lease_request(stream, worker_id, message["capacity"], outbox)
            elif name == "REPORT":
                status = coordinator.report(worker_id, message.fields)
                target = coordinator.islands.get(message["island"])
                batches: Batches = []
                if target is not None and status == REPORT_ACCEPTED:
                    batches = coordinator.take_immigrants(target)
                    if target.id in reoffer:
                        reoffer.discard(target.id)
                        batches = coordinator.outstanding(target)
                self.write_events()  # write-ahead: journaled before it is acknowledged
                outbox.put_nowait(make("REPORT_ACK", island=message["island"],
                                       epoch=message["epoch"], seq=message["seq"],
                                       status=status, **pack_batches(batches)))
            elif name == "SNAPSHOT":
                contents = await self.store_snapshot(worker_id, message)
                if contents is None:
                    continue  # not stored: not acknowledged (the worker keeps it queued)
                committed = coordinator.snapshot(worker_id, message["island"],
                                                 message["epoch"], message["seq"],
                                                 message["data"])
                if committed:
                    self.classifier.offer(message["island"], contents.permanent)
                    self.phylogeny.commit(message["island"], contents,
                                          int(coordinator.totals_view()["steps"]),
                                          self.wal.write)
                stored = committed or coordinator.has_snapshot(
                    worker_id, message["island"], message["epoch"], message["seq"])
                self.write_events()
                if stored:
                    outbox.put_nowait(make("SNAPSHOT_ACK", island=message["island"],
                                           epoch=message["epoch"], seq=message["seq"]))
            elif name == "VALIDATION_RESULT":
                outcome = coordinator.result(worker_id, message["job"],
                                             message["fingerprints"])
                self.write_events()
                if outcome not in ("ignored", "verified"):
                    log(f"validation job {message['job']}: {outcome} (result of {worker_id})")
            elif name == "RELEASE":
                coordinator.release(worker_id, message["island"], message["epoch"])
                self.write_events()
            elif name == "BYE":
                coordinator.lose(worker_id, "said goodbye")
                self.write_events()
                return
            await self.deliver_notices()
            job = coordinator.assign_job(worker_id)
            if job is not None:
                await stream.send(self._validate_message(job))

    async def _lease_request(self, stream: Stream, worker_id: str, capacity: int,
                             outbox: asyncio.Queue[Message | None]) -> None:
        coordinator = self.coordinator
        if self.wal.trouble is not None:  # no new lease while the disk refuses
            await stream.send(make("NO_WORK", retry_after=2.0))
            return
        hello = stream.connection.hello
        if worker_id not in coordinator.workers and hello is not None:  # expired: rejoin
            coordinator.join(worker_id, hello["host"], hello["cores"],
                             address=peer_address(stream.writer))
        granted = coordinator.lease_fairly(worker_id, capacity)
        self.write_events()
        if not granted:
            await stream.send(make("NO_WORK", retry_after=2.0))
        for island in granted:  # write-ahead: leases and hand-outs, durable before they leave
            outbox.put_nowait(self._lease_message(island))
        self.write_events()

    async def store_snapshot(self, worker_id: str, message: Message) -> Contents | None:
        """A snapshot the coordinator may accept, in its file (fsynced, in a thread: the
        loop answers heartbeats meanwhile) before the coordinator decides on it, and what
        the world it holds contains (for the background classification and the phylogeny);
        None when it is not stored (unusable, or the disk refuses it)."""
        island = self.coordinator.islands.get(message["island"])
        if island is None or island.holder != worker_id or island.epoch != message["epoch"]:
            return Contents()  # (stale: the coordinator refuses it, nothing to store)
        if message["seq"] <= island.snapshot_seq:
            return Contents()  # (sent again: the coordinator has it, and acknowledges it)
        problem, contents = await self.inspector.inspect(message["data"])
        if problem is not None:
            self.coordinator.discredit(worker_id, f"its snapshot of island {island.id} before "
                                       f"batch {message['seq']} is unusable: {problem}")
            self.write_events()
            return None
        try:
            await asyncio.get_running_loop().run_in_executor(
                None, self.store.put, message["island"], message["epoch"], message["seq"],
                message["data"])
        except OSError as exc:
            if self.snapshot_trouble is None:
                self.disk_log(f"cannot store snapshots in {self.store.directory}: "
                              f"{describe(exc)}; acknowledging none until one can be written")
            self.snapshot_trouble = describe(exc)
            return None
        if self.snapshot_trouble is not None:
            log("snapshots are stored again")
            self.snapshot_trouble = None
        return contents

    def _lease_message(self, island: Island) -> Message:
        batch = self.config.worker.batch_size * simulation.WORK_CYCLE
        return make("LEASE", island=island.id, epoch=island.epoch, next_seq=island.next_seq,
                    batch_steps=batch, seed=island.seed, snapshot=island.snapshot,
                    genomes=list(island.founders) if not island.snapshot else [],
                    **pack_batches(self.coordinator.take_immigrants(island)))

    @staticmethod
    def _validate_message(job: Job) -> Message:
        span = job.span
        entering = [span.entering(k) for k in range(len(span))]
        return make("VALIDATE", job=job.id, island=job.island, seed=job.seed,
                    snapshot=job.start.snapshot,
                    genomes=[] if job.start.snapshot else list(job.start.founders),
                    immigrants=[g for genomes in entering for g in genomes],
                    entered=[len(genomes) for genomes in entering], steps=list(span.steps))

    async def deliver_notices(self) -> None:
        """Tell other sessions what the coordinator decided, once it is journaled and
        fsynced: REVOKE a lease that was rolled back; BYE (and close) for a worker just
        quarantined."""
        if not self.coordinator.notices:
            return
        self.write_events()
        if not await self.wal.commit():
            return  # (told once the disk takes the journal again)
        notices, self.coordinator.notices = self.coordinator.notices, []
        self.arbitrations()
        for notice in notices:
            if notice[0] == "arbitrate":
                continue  # (started above)
            stream = self.streams.get(notice[1])
            if notice[0] == "quarantine":
                log(f"worker {notice[1]} quarantined: {notice[2]}")
            if stream is None or not stream.connection.ready:
                continue
            with contextlib.suppress(ConnectionError, OSError):
                if notice[0] == "revoke":
                    await stream.send(make("REVOKE", island=notice[2], epoch=notice[3]))
                else:
                    await stream.send(make("BYE", reason=quarantine_text(notice[1],
                                                                         notice[2])))
                    stream.writer.close()

    def arbitrations(self) -> None:
        """Start the server's own re-run of the oldest disputed span (disputes recorded
        before a restart included): one at a time, in a child process, so that a swarm of
        lying credentials costs the server one core at most."""
        if self.arbitrating:
            return
        for job in self.coordinator.disputes()[:1]:
            self.arbitrating[job.id] = asyncio.create_task(self._arbitrate(job))

    async def _arbitrate(self, job: Job) -> None:
        span = job.span
        entering = [span.entering(k) for k in range(len(span))]
        try:
            fingerprints = await rerun_in_child(
                public_values(self.config), job.start.snapshot, job.seed,
                [] if job.start.snapshot else list(job.start.founders),
                immigrants=[g for genomes in entering for g in genomes],
                entered=[len(genomes) for genomes in entering], steps=list(span.steps))
        except Exception as exc:  # (retried at the next housekeeping round)
            log(f"validation job {job.id}: the server's re-run failed ({exc!r}); retrying")
            await asyncio.sleep(5.0)
            self.arbitrating.pop(job.id, None)
            return
        outcome = self.coordinator.arbitrate(job.id, fingerprints)
        self.write_events()
        log(f"validation job {job.id} (island {job.island}, producer {shown(job.producer)}): "
            f"settled by the server's own re-run: {outcome}")
        self.arbitrating.pop(job.id, None)
        await self.deliver_notices()

    async def broadcast(self, message: Message) -> None:
        """``message`` to every worker session."""
        for stream in list(self.streams.values()):
            if stream.connection.ready and not stream.connection.is_monitor:
                with contextlib.suppress(ConnectionError, OSError):
                    await stream.send(message)

    # ---- housekeeping ------------------------------------------------------------------

    def journal_stats(self) -> dict[str, Any]:
        """The experiment's ``stats`` event and its ``health`` event, as `run` writes them;
        returns the stats."""
        event = self.coordinator.stats_event()
        self.wal.write("stats", **event, **self.phylogeny.stats())
        self.last_health = self.health.check(event)
        self.wal.write("health", **self.last_health)
        return event

    async def classify(self, stats: dict[str, Any]) -> None:
        """The background classification's turn, after a stats event (server/ecotypes.py)."""
        cells = {str(row[0]): int(row[2]) for row in stats.get("top_genotypes", [])}
        await self.classifier.turn(int(self.coordinator.totals_view()["steps"]), cells,
                                   self.wal.write, stopping=self.stop.is_set)

    def status(self, island: int = -1) -> dict[str, Any]:
        """The STATUS a monitor asked for: with island ``island``'s soup map (-1: none)."""
        data = self.coordinator.status()
        data["stats"] = self.coordinator.stats_event()
        data["health"] = self.last_health
        data["ecotypes"] = self.classifier.of(
            str(row[0]) for row in data["stats"].get("top_genotypes", []))
        if island >= 0:
            data["soup"] = self.coordinator.soup(island, self.config.soup.soup_size)
        data["server"] = {"version": __version__, "core": core.describe(), "seed": self.seed,
                          "data_dir": self.config.global_.data_base_dir,
                          "port": self.port, "pending_connections": self.pending,
                          "refused_connections": self.guard.refused,
                          "disk": (self.wal.trouble or self.snapshot_trouble
                                   or self.checkpoint_trouble or "ok"),
                          "fsyncs": self.wal.fsyncs, "journal_records": self.wal.records,
                          "journal_backlog": len(self.wal.backlog)}
        return data

    def disk_log(self, line: str) -> None:
        """A disk that refuses is said once, whichever file finds out first (the status
        shows it as long as it lasts)."""
        if not (self.wal.trouble or self.snapshot_trouble or self.checkpoint_trouble):
            log(line)

    def write_events(self) -> None:
        for event in self.coordinator.events:
            kind = event.pop("event")
            self.wal.write(kind, **event)
        self.coordinator.events.clear()

    def checkpoint(self) -> Path | None:
        """A checkpoint of the coordinator at the journal's durable end; None (said once)
        when the disk refuses it: the journal still holds everything, so nothing is lost."""
        self.write_events()
        if not self.wal.sync():
            return None
        meta, payload = self.coordinator.state()
        totals = self.coordinator.totals_view()
        try:
            path = checkpoints.write(
                self.checkpoint_dir, CHECKPOINT_PREFIX,
                {"kind": "server", "seed": self.seed, "coordinator": meta,
                 "steps": totals["steps"], "bytebiota": __version__,
                 "journal_offset": self.journal.tell(), "ecotypes": self.classifier.state(),
                 "phylogeny": self.phylogeny.state()},
                payload, keep=self.config.checkpoint.checkpoint_keep_last_n,
            )
        except OSError as exc:
            if self.checkpoint_trouble is None:
                self.disk_log(f"cannot write a checkpoint in {self.checkpoint_dir}: "
                              f"{describe(exc)}; the journal still holds everything; "
                              "retrying at the next one")
            self.checkpoint_trouble = describe(exc)
            return None
        if self.checkpoint_trouble is not None:
            log("checkpoints are written again")
            self.checkpoint_trouble = None
        self.store.rotate()
        return path

    def operator_requests(self) -> None:
        """``bytebiota release WORKER_ID`` requests left in DATA_BASE_DIR/control/."""
        for path, worker_id in control.pending(self.config.global_.data_base_dir):
            released = self.coordinator.release_quarantine(worker_id)
            self.write_events()
            answer = (f"released {worker_id}: it may connect and work again" if released
                      else f"{worker_id} is not quarantined; nothing to release")
            log(answer)
            control.answer(path, released, answer)

    def revocations(self) -> None:
        """``bytebiota server revoke NAME`` changed the credentials: a revoked worker still
        connected or holding islands is treated as a cheater (quarantined, its unverified
        work rolled back) and disconnected; it can no longer authenticate."""
        try:
            changed = self.credentials.reload()
        except ConfigError as exc:
            log(f"warning: {exc}; keeping the credentials read before")
            return
        if not changed:
            return
        for name in self.credentials.revoked():
            if (name in self.coordinator.workers or name in self.streams) and \
                    not self.coordinator.is_quarantined(name):
                log(f"worker {shown(name)}'s credential was revoked")
                self.coordinator.discredit(name, "its credential was revoked by the operator")
        self.write_events()

    def request_checkpoint(self) -> None:
        self.checkpoint_requested = True

    async def housekeeping(self) -> None:
        timeout = self.config.server.worker_timeout
        interval = self.config.server.checkpoint_interval
        # A validator has this long to re-run a span (a CHECKPOINT_INTERVAL of work, plus a
        # batch) before the job goes to someone else: four times that, for slower machines.
        # A lease gets twice that to show progress (an accepted report): its holder runs up
        # to 4 islands in turn and re-runs such spans first, on a machine that may be busy.
        job_timeout = 4.0 * (interval + self.config.worker.target_interval_seconds)
        progress_timeout = max(2.0 * job_timeout, timeout)
        last_checkpoint = last_stats = time.monotonic()
        while not self.stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), 0.5)
            if self.wal.retry():  # the disk takes the journal again
                await self.broadcast(make("RESEND"))
            for worker_id in self.coordinator.expire(timeout):
                freed = self.coordinator.lose(worker_id, "timeout")
                log(f"worker {worker_id} timed out; islands {freed} go back to the pool")
            stalled = self.coordinator.stalled(progress_timeout)
            if stalled:
                log(f"islands {stalled} made no progress for {progress_timeout:.0f} s; they go "
                    "back to the pool")
            self.coordinator.expire_jobs(job_timeout)
            self.operator_requests()
            self.revocations()
            self.arbitrations()
            self.write_events()
            await self.deliver_notices()
            now = time.monotonic()
            if now - last_stats >= STATS_SECONDS:
                await self.classify(self.journal_stats())
                last_stats = now
            if now - last_checkpoint >= interval or self.checkpoint_requested:
                requested, self.checkpoint_requested = self.checkpoint_requested, False
                path = self.checkpoint()
                if requested:
                    log(f"checkpoint written on request: {path}" if path
                        else "no checkpoint written on request (the disk refused it)")
                last_checkpoint = now

    async def shutdown(self) -> None:
        for stream in list(self.sessions):
            if stream.connection.ready:
                with contextlib.suppress(ConnectionError, OSError):
                    await stream.send(make("SHUTDOWN", reason="server stopping"))
            stream.writer.close()
        if self.tasks:  # the sessions end on their own once their sockets close
            await asyncio.wait(list(self.tasks), timeout=5)
        for task in self.arbitrating.values():
            task.cancel()
        self.write_events()
        path = self.checkpoint()
        # the last interval's stats and health, as `run` logs them at its end
        self.journal_stats()
        totals = self.coordinator.totals_view()
        self.wal.write("end", step=totals["steps"], **totals)
        self.wal.sync()
        self.journal.close()
        if self.wal.trouble:
            log(f"stopped; {len(self.wal.backlog)} journal records could not be written "
                f"({self.wal.trouble})")
        else:
            log(f"stopped; checkpoint {path}" if path else "stopped; no checkpoint written")

    async def main(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, self.stop.set)
        with contextlib.suppress(NotImplementedError):
            # SIGUSR1 (`s` in `run --jobs`'s dashboard; `systemctl kill -s USR1`): a
            # checkpoint within half a second, by the housekeeping that writes the others
            loop.add_signal_handler(signal.SIGUSR1, self.request_checkpoint)
        host, port = self.config.server.server_host, self.config.server.server_port
        try:
            server = await asyncio.start_server(self.handle, host, port)
        except OSError as exc:  # EADDRINUSE, EADDRNOTAVAIL, EACCES below 1024...
            reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
            raise Failure(f"cannot listen on {host}:{port}: {reason}") from None
        self.port = server.sockets[0].getsockname()[1]
        log(f"listening on {self.config.server.server_host}:{self.port} "
            f"({len(self.coordinator.islands)} islands, core {core.describe()})")
        async with server:
            async with asyncio.TaskGroup() as group:
                group.create_task(self.housekeeping())
                await self.stop.wait()
            server.close()
            await self.shutdown()


def peer_address(writer: asyncio.StreamWriter) -> str:
    """The address a peer connects from (what the guard and quorums count by)."""
    peer = writer.get_extra_info("peername")
    return str(peer[0]) if isinstance(peer, tuple) else str(peer)


def quarantine_text(worker_id: str, reason: str) -> str:
    return (f"worker {worker_id} is quarantined: {reason}; it gets no work until an operator "
            f"runs `bytebiota release {worker_id}` on the server")


class SnapshotStore:
    """Every accepted island snapshot in a file of its own, named by (island, epoch, seq)
    and written before it is acknowledged, so a restart replays the journal past the last
    checkpoint onto exactly the snapshots it names (one file per island would be overwritten
    by the next snapshot before a revocation could be replayed). Two generations are kept:
    the files since the newest checkpoint and those since the one before it (which a damaged
    newest checkpoint falls back to); older ones are deleted at each checkpoint."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "islands"
        existing = sorted(self.directory.glob("*.snap")) if self.directory.is_dir() else []
        self.generations: list[list[Path]] = [[], existing]  # before the last checkpoint, since

    def path(self, island: int, epoch: int, seq: int) -> Path:
        return self.directory / f"island-{island:05d}-{epoch}-{seq}.snap"

    def put(self, island: int, epoch: int, seq: int, data: bytes) -> None:
        """Stored durably (fsynced, like the journal record naming it): OSError if not."""
        path = self.path(island, epoch, seq)
        path.parent.mkdir(parents=True, exist_ok=True)
        checkpoints.write_atomically(
            path, checkpoints.encode({"island": island, "epoch": epoch, "seq": seq}, data))
        self.generations[1].append(path)

    def get(self, island: int, epoch: int, seq: int) -> bytes | None:
        try:
            meta, data = checkpoints.read(self.path(island, epoch, seq))
        except checkpoints.CheckpointError:
            return None
        return data if (meta.get("epoch"), meta.get("seq")) == (epoch, seq) else None

    def rotate(self) -> None:
        """A checkpoint was written: forget the generation before the one before it."""
        for path in self.generations[0]:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        self.generations = [self.generations[1], []]


def replay_journal(coordinator: Coordinator, journal_path: Path, offset: int,
                   store: SnapshotStore, others: list[dict[str, Any]] | None = None) -> int:
    """Re-apply what the journal recorded after the checkpoint; returns the events applied.
    ``others`` collects the ``ecotype`` and ``genotype`` events (the server's, not the
    coordinator's)."""
    if not journal_path.exists():
        return 0
    applied = 0
    with open(journal_path, "rb") as handle:
        handle.seek(offset)
        for raw in handle:
            if not raw.endswith(b"\n"):
                break  # a line cut off by the crash: it was never acknowledged
            try:
                event = json.loads(raw)
            except ValueError:
                break
            data = None
            if event.get("event") in ("ecotype", "genotype") and others is not None:
                others.append(event)
            if event.get("event") == "snapshot":
                data = store.get(event["island"], event["epoch"], event["seq"])
                if data is None:
                    continue
            coordinator.replay(event, data)
            applied += 1
    coordinator.events.clear()
    coordinator.notices.clear()
    return applied


def repair_journal(path: Path) -> dict[str, Any] | None:
    """Recovery as a WAL's: the journal is read to the end of its last whole event, the rest
    (a line cut off by a crash, or garbage) is cut off, durably, and reported; appending
    starts there, so nothing is ever appended after a damaged line (a later restart would
    stop reading at it and lose everything after). The damage, for a ``cut`` event."""
    if not path.exists():
        return None
    found = scan(path)
    if found.problem is None:
        return None
    log(f"warning: {path}: {found.problem}; cut {found.damaged:,} bytes back to the last "
        f"complete event (line {found.events})")
    cut(path, found.end)
    return {"reason": found.problem, "bytes": found.damaged}


def restore_coordinator(config: Config, meta: dict[str, Any], payload: bytes,
                        ancestor: bytes) -> Coordinator:
    """The coordinator a server checkpoint holds (its ``meta`` and ``payload``)."""
    coordinator = Coordinator(0, int(meta["seed"]), ancestor, config.evolution.seed_bank_size,
                              validation_rate=config.server.validation_rate,
                              max_leases=config.server.max_leases_per_worker,
                              max_batch_steps=max_batch_steps(config))
    coordinator.load(meta["coordinator"], payload)
    return coordinator


def committed_island(config: Config, island: int, run: Path | None = None
                     ) -> tuple[bytes, int, Path]:
    """Island ``island``'s snapshot as the server last committed it, for reading commands
    (``lineage --island``): the newest server checkpoint with the journal after it replayed,
    as a restart would, but nothing written (a running server's files are left alone).
    The server's is the configuration's data directory, or ``run``, the directory of a
    `run --jobs` run (its server's data and checkpoint directory). Returns the snapshot, the
    experiment's steps and the server's journal."""
    data_dir = run if run is not None else Path(config.global_.data_base_dir)
    directory = (run if run is not None else Path(config.checkpoint.checkpoint_dir)) / "server"
    journal_path = data_dir / "logs" / "server.jsonl"
    found = checkpoints.newest(directory, CHECKPOINT_PREFIX,
                               warn=lambda m: print(f"bytebiota: warning: {m}",
                                                    file=sys.stderr))
    if found is None:
        raise UserError(f"no server checkpoint in {directory}" + (
            "" if run is not None else " (a `run --jobs` run's: --run RUN --island N)"))
    path, meta, payload = found
    if meta.get("kind") != "server":
        raise UserError(f"{path}: not a checkpoint of `bytebiota server`")
    coordinator = restore_coordinator(config, meta, payload,
                                      simulation.load_ancestor(config).code)
    replay_journal(coordinator, journal_path, int(meta.get("journal_offset", 0)),
                   SnapshotStore(directory))
    if island not in coordinator.islands:
        known = sorted(coordinator.islands)
        raise UserError(f"no island {island} in the server's experiment (islands "
                        f"{known[0]}-{known[-1]})" if known else
                        f"no island {island}: the server's experiment has none")
    snapshot = coordinator.islands[island].snapshot
    if not snapshot:
        raise UserError(f"island {island} has no committed snapshot yet")
    return snapshot, coordinator.totals_view()["steps"], journal_path


def max_batch_steps(config: Config) -> int:
    """The longest batch an honest worker of this experiment runs (MAX_BATCH_SIZE work
    cycles, and at least the BATCH_SIZE leases start with)."""
    w = config.worker
    return max(w.max_batch_size, w.batch_size) * simulation.WORK_CYCLE


def island_count(config: Config) -> int:
    configured = config.server.islands
    return configured if configured is not None else min(config.server.max_workers, 8)


def credentials_command(args: Any, config: Config) -> None:
    """``server enroll NAME`` / ``revoke NAME`` / ``credentials``."""
    store = Credentials(config.global_.data_base_dir)
    if args.action == "credentials":
        for entry in store.listing():
            state = f"revoked {entry['revoked']}" if entry["revoked"] else "active"
            print(f"{shown(entry['name'], 64):<40} {entry['origin']:<9} issued "
                  f"{entry['issued']}  {state}")
        if not store.entries:
            print(f"no credentials in {store.path}")
        return
    name = (args.name or "").strip()
    problem = worker_id_problem(name)
    if problem is not None:
        raise UserError(f"server {args.action}: {problem}")
    if args.action == "revoke":
        if not store.revoke(name):
            raise Failure(f"{name} holds no active credential in {store.path}")
        print(f"revoked {name}: a running server disconnects it within a second and rolls "
              "back its unverified work; `server enroll` issues it a new credential")
        return
    output = Path(args.output) if args.output else Path(f"{safe_name(name)}.credential")
    replaced = store.state(name) is not None
    secret = store.enrol(name)
    write_credential(output, name, secret)
    print(f"{'re-' if replaced else ''}enrolled {name}; its credential is in {output} (mode "
          "0600): copy it to the worker's machine and set WORKER_CREDENTIAL to its path there"
          + ("; the previous credential no longer works" if replaced else ""))


def command(args: Any, config: Config) -> None:
    if getattr(args, "action", None):
        credentials_command(args, config)
        return
    # One writer per directory (bytebiota/locks.py): a second server on this data directory
    # would resume from the live one's checkpoint and overwrite it on stop.
    with Locks(notice=lambda m: log(f"notice: {m}")) as locks:
        locks.take(Path(config.global_.data_base_dir))
        locks.take(Path(config.checkpoint.checkpoint_dir) / "server")
        _serve(config)


def _serve(config: Config) -> None:
    loop_name = install_fast_loop()
    data_dir = Path(config.global_.data_base_dir)
    token, token_file = load_or_create_token(config.network.server_token, data_dir)
    if token_file is not None:
        log(f"token in {token_file} (workers with this data directory find it; others need "
            "SERVER_TOKEN set to its content)")
    monitor_token, monitor_file = load_or_create_secret(config.network.monitor_token,
                                                        monitor_token_path(data_dir))
    if monitor_file is not None:
        log(f"read-only monitor token in {monitor_file} (for `status` and `monitor`: "
            "MONITOR_TOKEN)")
    Credentials(data_dir)  # (a damaged or open credentials file stops the start, said why)
    ancestor = simulation.load_ancestor(config).code
    directory = Path(config.checkpoint.checkpoint_dir) / "server"
    for stale in checkpoints.remove_temporary(directory, CHECKPOINT_PREFIX):
        log(f"removed {stale}, a checkpoint a killed server did not finish")
    found = checkpoints.newest(directory, CHECKPOINT_PREFIX,
                               warn=lambda m: log(f"warning: {m}"))
    journal_path = data_dir / "logs" / "server.jsonl"
    damage = None
    ecotypes: dict[str, Any] | None = None
    phylogeny: dict[str, Any] | None = None
    classified: list[dict[str, Any]] = []  # ecotype and genotype events after the checkpoint
    if found is not None:
        path, meta, payload = found
        seed = int(meta["seed"])
        coordinator = restore_coordinator(config, meta, payload, ancestor)
        damage = repair_journal(journal_path)
        replayed = replay_journal(coordinator, journal_path,
                                  int(meta.get("journal_offset", 0)), SnapshotStore(directory),
                                  classified)
        ecotypes = meta.get("ecotypes")
        phylogeny = meta.get("phylogeny")
        log(f"resuming from {path} and {replayed} journal events after it, at "
            f"{coordinator.totals_view()['steps']:,} steps")
    else:
        seed = config.global_.seed if config.global_.seed is not None else simulation.fresh_seed()
        coordinator = Coordinator(island_count(config), seed, ancestor,
                                  config.evolution.seed_bank_size,
                                  validation_rate=config.server.validation_rate,
                                  max_leases=config.server.max_leases_per_worker,
                                  max_batch_steps=max_batch_steps(config))
    journal = Journal(journal_path, append=found is not None)
    if found is None:
        journal.write("header", format=FORMAT, bytebiota=__version__, core=core.describe(),
                      seed=seed, regime=config.global_.regime, role="server",
                      config=public_values(config))
    else:
        if damage is not None:
            journal.write("cut", step=coordinator.totals_view()["steps"], **damage)
        journal.write("resume", step=coordinator.totals_view()["steps"])
    log(f"event loop {loop_name}; journal {journal_path}")
    server = Server(config, coordinator, token, seed, journal, monitor_token=monitor_token,
                    ecotypes=ecotypes, phylogeny=phylogeny)
    for event in classified:
        if event["event"] == "ecotype":
            server.classifier.seen(event)
        else:
            server.phylogeny.seen(event)
    if found is None:
        server.checkpoint()  # a base to replay the journal onto, should we crash early
    asyncio.run(server.main())
