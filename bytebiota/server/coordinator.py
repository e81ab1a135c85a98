"""The experiment's bookkeeping, without I/O: islands, leases, reports, migration, seed bank,
and the verification of volunteers' results.

Exactly-once accounting. Every report names (island, epoch, seq). A report is *accepted*
when its epoch is the island's and its seq the next expected one; a seq already seen is a
*duplicate* (acknowledged again, counted once); anything else is *stale* (refused). Reports
accepted since the island's last snapshot are *pending*: if the lease is lost, the island goes
to another worker from that snapshot with epoch + 1, its pending reports are rolled back (the
new holder redoes that work), and the totals never count a step twice. A snapshot commits the
pending reports before it.

Verified results (docs/deployment.md, "Verified results"). A batch is fixed by its start
state, the immigrants entering before it and its length, so it can be re-run elsewhere. The
reports between two snapshots of one lease form a *span*; the server keeps, for each, its
length, its immigrants and its *fingerprint*.
A snapshot must hash to the digest the report before it gave (the *chain*: a worker whose
snapshot contradicts its own report is quarantined at once). When a snapshot closes a span,
the span is sampled with probability VALIDATION_RATE (an unpredictable draw) and becomes a
*job*: its start state and batches, re-run by a second worker; equal fingerprints verify it;
different ones put it in dispute (its counts are withheld) and the server re-runs it itself
(``arbitrate``: heads are never counted, so colluding credentials cannot outvote an honest
producer). Every voter that disagrees with the server's result is quarantined: it gets no
work until an operator releases it, every island it holds rolls back to the start of its
lease there (its *anchor*), and every island where it produced a committed span nobody
confirmed, in a lease long ended or not, rolls back to that span's start, with what others
built on it (each island keeps its last HISTORY_SPANS committed spans for this, from the
oldest unconfirmed one). Rolled-back reports leave the totals (``reports_invalid``).

Exactly-once migration. Immigrants are handed to a lease in *batches*, each with an id
(``Island.issued``: handed out, not yet entered); a report names the batches that entered
before it, in the order they entered, and exactly those genomes go into its span, so a
validation re-runs what the worker ran. A batch whose hand-out never reached the worker (an
acknowledgement lost with a crash) stays issued: it is offered again in the holder's next
session, never charged to a batch that did not enter it; when the lease ends, what was not
entered goes back to the inbox.

Worker incarnations. Each worker process says who it is (worker id) and which process it is
(a fresh *incarnation*). A new incarnation of a worker that holds islands is a restarted
process that knows nothing of them: ``settle`` gives them back at once (from their last
snapshot). A lease whose holder sends no accepted report for a deadline (``stalled``) is
given back too, heartbeats or not.

Every state change is one journal event, applied by one primitive (the ``_``-methods that
append to ``events``); ``replay`` re-applies those events after a restart without deciding
anything again (no draw, no vote count), so a server restarted mid-validation neither loses
nor double-counts.

Invariants: ``totals.steps`` is the sum of the steps of accepted reports that were neither
rolled back nor invalidated, minus those of disputed spans; every island has at most one
holder; epochs only grow; a quarantined worker holds no island and no job.
"""

from __future__ import annotations

import hashlib
import random
import time
from array import array
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bytebiota.observe import TOP_GENOTYPES
from bytebiota.protocol.messages import (
    MAX_SPAN_BATCHES,
    REPORT_ACCEPTED,
    REPORT_DUPLICATE,
    REPORT_REFUSED,
    REPORT_STALE,
    Batches,
    batch_fingerprint,
)

FINGERPRINTED = ("steps", "births", "deaths", "population", "genotypes", "digest", "emigrants")
JOBS_PER_ISLAND = 2  # open validation jobs per island (each holds a start snapshot)


def snapshot_digest(data: bytes) -> bytes | None:
    """The digest a snapshot claims: a world snapshot (core/snapshot.py) is its body followed by
    the body's SHA-256, which is also ``World.digest()``. None when it is not a snapshot."""
    if len(data) <= 32 or hashlib.sha256(data[:-32]).digest() != data[-32:]:
        return None
    return data[-32:]


def combined(fingerprints: bytes) -> bytes:
    """One value for a span's results (its fingerprints, concatenated): votes compare these."""
    return hashlib.sha256(fingerprints).digest()


@dataclass
class Counters:
    steps: int = 0
    births: int = 0
    deaths: int = 0
    reports: int = 0

    def add(self, other: Counters) -> None:
        self.steps += other.steps
        self.births += other.births
        self.deaths += other.deaths
        self.reports += other.reports

    def copy(self) -> Counters:
        return Counters(self.steps, self.births, self.deaths, self.reports)


@dataclass
class Anchor:
    """A state an island can go back to: a snapshot (empty: the fresh start from the seed
    and ``founders``), the seq of the batch it starts, and the island's counts up to it."""

    seq: int
    snapshot: bytes
    founders: list[bytes]
    counts: Counters


@dataclass
class Segment:
    """A committed span of an island's history, kept while it may still have to be undone:
    the state it started from, the seq its snapshot ended it at, who produced it, what it
    counted, and whether a second worker (or the server) confirmed it."""

    start: Anchor
    end_seq: int
    producer: str
    counts: Counters
    verified: bool = False


class Span:
    """The reports accepted since an island's last snapshot, as re-running them takes
    (each batch's length, the immigrants entering before it) and must give (each batch's
    fingerprint). Compact, because an island may carry MAX_SPAN_BATCHES of them and a server
    a thousand islands: two flat buffers, a dict for the rare batches with immigrants, one
    sum of counts (no object per batch for the garbage collector to walk)."""

    __slots__ = ("counts", "fingerprints", "immigrants", "start", "steps")

    def __init__(self, start: int) -> None:
        self.start = start  # the seq of its first batch
        self.steps = array("Q")
        self.fingerprints = b""
        self.immigrants: dict[int, list[bytes]] = {}  # batch index -> genomes entering
        self.counts = Counters()

    def __len__(self) -> int:
        return len(self.steps)

    def add(self, steps: int, immigrants: list[bytes], fingerprint: bytes,
            counts: Counters) -> None:
        if immigrants:
            self.immigrants[len(self.steps)] = immigrants
        self.steps.append(steps)
        self.fingerprints += fingerprint
        self.counts.add(counts)

    def fingerprint(self, k: int) -> bytes:
        return self.fingerprints[32 * k : 32 * k + 32]

    def entering(self, k: int) -> list[bytes]:
        return self.immigrants.get(k, [])

    def meta(self, blob: Callable[[bytes], int]) -> dict[str, Any]:
        return {"start": self.start, "steps_len": blob(self.steps.tobytes()),
                "fingerprints_len": blob(self.fingerprints),
                "immigrants": {str(k): [g.hex() for g in v] for k, v in self.immigrants.items()},
                "counts": dict(vars(self.counts))}

    @staticmethod
    def from_meta(entry: dict[str, Any], blob: Callable[[int], bytes]) -> Span:
        span = Span(int(entry["start"]))
        span.steps.frombytes(blob(int(entry["steps_len"])))
        span.fingerprints = blob(int(entry["fingerprints_len"]))
        span.immigrants = {int(k): [bytes.fromhex(g) for g in v]
                           for k, v in entry["immigrants"].items()}
        span.counts = Counters(**entry["counts"])
        return span


@dataclass
class Job:
    """A span chosen for validation: re-run it from ``start`` and compare fingerprints."""

    id: int
    island: int
    epoch: int  # the producer's lease
    producer: str
    host: str  # the producer's host: validators from other hosts are preferred
    seed: int
    start: Anchor
    span: Span
    votes: dict[str, bytes]  # worker -> combined fingerprints; the producer's first
    holder: str | None = None
    assigned: float = 0.0
    offered: set[str] = field(default_factory=set)  # workers it was given to
    disputed: bool = False

    @property
    def end_seq(self) -> int:
        return self.start.seq + len(self.span)


@dataclass
class Island:
    id: int
    seed: int
    epoch: int = 0
    holder: str | None = None
    next_seq: int = 0
    snapshot: bytes = b""
    snapshot_seq: int = 0
    committed: Counters = field(default_factory=Counters)
    pending: Counters = field(default_factory=Counters)
    population: int = 0
    genotypes: int = 0
    immigrants_in: int = 0
    inbox: list[bytes] = field(default_factory=list)
    founders: list[bytes] = field(default_factory=list)  # for a fresh island
    stats: dict[str, Any] = field(default_factory=dict)  # the latest report's extra figures
    idle_reports: int = 0  # reports in a row without a birth
    last_snapshot: float = 0.0
    reseeds: int = 0
    issued: dict[int, list[bytes]] = field(default_factory=dict)  # batch id -> genomes:
    # handed to the lease, not yet entered (in the order they were handed out)
    progress: float = 0.0  # when the lease last advanced (leased, or a report accepted)
    span: Span | None = None  # the pending reports, while VALIDATION_RATE > 0
    last_digest: bytes | None = None  # end digest of report next_seq - 1
    anchor: Anchor | None = None  # where the current lease started
    history: list[Segment] = field(default_factory=list)  # committed spans that may be
    # undone (from the oldest unverified one, at most HISTORY_SPANS), while VALIDATION_RATE > 0
    verified_steps: int = 0  # of the counted steps, those a second result confirmed

    @property
    def steps(self) -> int:
        return self.committed.steps + self.pending.steps

    def here(self) -> Anchor:
        """The island's committed state, as an anchor."""
        return Anchor(self.snapshot_seq, self.snapshot, list(self.founders),
                      self.committed.copy())


@dataclass
class Totals:
    reports_accepted: int = 0
    reports_duplicate: int = 0
    reports_stale: int = 0
    reports_rolled_back: int = 0
    reports_refused: int = 0
    reports_invalid: int = 0  # rolled back because of a failed validation or a quarantine
    steps_invalid: int = 0
    leases: int = 0
    migrants: int = 0
    validations_opened: int = 0
    validations_verified: int = 0
    validations_disputed: int = 0
    validations_failed: int = 0  # the producer lost the vote
    validations_inconclusive: int = 0
    validations_skipped: int = 0  # sampled while the island had JOBS_PER_ISLAND open
    quarantines: int = 0


@dataclass
class WorkerInfo:
    id: str
    host: str = ""  # as it says (HELLO): shown, never trusted
    cores: int = 1
    machine: str = ""  # the address it connects from (else its host): quorums need two
    joined: float = 0.0
    last_seen: float = 0.0
    islands: set[int] = field(default_factory=set)
    steps: int = 0  # accepted
    rate: float = 0.0  # instructions per second, smoothed over recent reports
    last_report: float = 0.0


class Coordinator:
    """All the server's decisions; the asyncio edge only moves messages.

    ``notices`` tells the edge what to say to other sessions: ``("revoke", worker, island,
    epoch)`` (send REVOKE) and ``("quarantine", worker, reason)`` (say BYE and close)."""

    INBOX_LIMIT = 50  # immigrants waiting per island; older ones are dropped
    HISTORY_SPANS = 16  # committed spans per island that a quarantine can still undo,
    HISTORY_BYTES = 32 * 2**20  # and the most their start snapshots may take (per island)
    ARBITER = "(server)"  # the server's own vote in a dispute (no worker id has parentheses)
    STAGNANT_REPORTS = 3  # reports in a row without a birth make an island stagnant
    SILENT_SECONDS = 15.0  # shown as "silent" after this; leases expire at WORKER_TIMEOUT

    def __init__(self, islands: int, seed: int, ancestor: bytes, seed_bank_size: int,
                 clock: Any = time.monotonic, *, validation_rate: float = 0.0,
                 sample: Callable[[], float] | None = None, max_leases: int = 4,
                 max_batch_steps: int = 2**62) -> None:
        self.clock = clock
        self.max_leases = max_leases
        self.max_batch_steps = max_batch_steps  # MAX_BATCH_SIZE work cycles: no batch is longer
        self.rng = random.Random(seed)  # server-side choices only: never simulation draws
        # Which spans are checked must be unpredictable to workers: not the seeded rng.
        self.sample = sample or random.SystemRandom().random
        self.validation_rate = validation_rate
        self.ancestor = ancestor
        self.islands = {
            i: Island(id=i, seed=self.rng.getrandbits(63), founders=[ancestor])
            for i in range(islands)
        }
        self.totals = Totals()
        self.workers: dict[str, WorkerInfo] = {}
        self.seed_bank: deque[bytes] = deque(maxlen=max(1, seed_bank_size))
        self.events: list[dict[str, Any]] = []  # island/worker events for the journal
        self.notices: list[tuple[Any, ...]] = []
        self.jobs: dict[int, Job] = {}
        self.next_job = 1
        self.quarantined: dict[str, dict[str, Any]] = {}  # worker -> reason, job
        self.next_batch = 1  # the id of the next immigrant batch handed out
        self.incarnations: dict[str, int] = {}  # worker -> its process's incarnation
        self.holding: dict[str, int] = {}  # worker -> the job it is re-running
        self.hosts: dict[str, int] = {}  # host -> workers connected from it
        for island in self.islands.values():
            island.span = self._new_span(island)

    # ---- workers and leases ------------------------------------------------------------

    def join(self, worker_id: str, host: str, cores: int, software: str = "", *,
             incarnation: int = 0, address: str = "") -> bool:
        """A worker says hello (again: it keeps its leases, its host is refreshed, and a job
        it held goes back to the queue: a restarted process no longer has it). ``software``
        (version, core, Python, platform) goes into the journal's join event. True when this
        is a new incarnation of a worker that holds islands: ``settle`` them once it has
        delivered what its predecessor queued."""
        now = self.clock()
        self._unhold(worker_id)
        info = self._add_worker(worker_id)
        self._count_host(info.machine, -1)
        info.host, info.cores, info.last_seen = host, max(1, cores), now
        info.machine = address or host
        self._count_host(info.machine, +1)
        before = self.incarnations.get(worker_id)
        if incarnation:
            self.incarnations[worker_id] = incarnation
        self.events.append({"event": "worker", "id": worker_id, "host": host, "change": "join",
                            "software": software, "incarnation": incarnation})
        return bool(incarnation) and before is not None and before != incarnation and \
            bool(info.islands)

    def settle(self, worker_id: str) -> list[int]:
        """A new process of this worker has delivered its predecessor's queue: the leases
        it still holds are the old process's, which nobody runs any more: back to the pool
        at once (from their last snapshot), not after a timeout its heartbeats would
        keep off."""
        info = self.workers.get(worker_id)
        freed = sorted(info.islands) if info is not None else []
        for island_id in freed:
            self.notices.append(("revoke", worker_id, island_id, self.islands[island_id].epoch))
            self._revoke(self.islands[island_id])
        if freed:
            self.events.append({"event": "worker", "id": worker_id, "change": "restarted",
                                "islands": freed})
        return freed

    def stalled(self, deadline: float) -> list[int]:
        """Leases with no accepted report for ``deadline`` seconds go back to the pool, even
        while their holder heartbeats (a holder that lost track of them, or is stuck); not
        while it re-runs a validation job (which has a deadline of its own)."""
        now = self.clock()
        freed = sorted(i.id for i in self.islands.values()
                       if i.holder is not None and i.holder not in self.holding
                       and now - i.progress > deadline)
        for island_id in freed:
            island = self.islands[island_id]
            self.notices.append(("revoke", island.holder, island.id, island.epoch))
            self._revoke(island)
        return freed

    def _add_worker(self, worker_id: str) -> WorkerInfo:
        info = self.workers.get(worker_id)
        if info is None:
            now = self.clock()
            info = self.workers[worker_id] = WorkerInfo(worker_id, joined=now, last_seen=now)
            self._count_host(info.machine, +1)
        return info

    def _count_host(self, host: str, delta: int) -> None:
        self.hosts[host] = self.hosts.get(host, 0) + delta
        if not self.hosts[host]:
            del self.hosts[host]

    def _remove_worker(self, worker_id: str) -> WorkerInfo | None:
        info = self.workers.pop(worker_id, None)
        if info is not None:
            self._count_host(info.machine, -1)
        self._unhold(worker_id)
        return info

    def _unhold(self, worker_id: str) -> None:
        job = self.holding.pop(worker_id, None)
        if job is not None and job in self.jobs:
            self.jobs[job].holder = None

    def seen(self, worker_id: str) -> None:
        if worker_id in self.workers:
            self.workers[worker_id].last_seen = self.clock()

    def lose(self, worker_id: str, reason: str) -> list[int]:
        """A worker is gone: its islands go back to the pool (from their last snapshot)."""
        info = self.workers.get(worker_id)
        if info is None:
            return []
        freed = sorted(info.islands)
        for island_id in freed:
            self._revoke(self.islands[island_id])
        self._remove_worker(worker_id)
        self.events.append({"event": "worker", "id": worker_id, "change": "lost",
                            "reason": reason, "islands": freed})
        return freed

    def expire(self, timeout: float) -> list[str]:
        """Workers silent for longer than ``timeout`` seconds."""
        now = self.clock()
        return [w.id for w in self.workers.values() if now - w.last_seen > timeout]

    def _revoke(self, island: Island) -> None:
        if island.pending.reports:
            self.totals.reports_rolled_back += island.pending.reports
        island.pending = Counters()
        island.next_seq = island.snapshot_seq
        self._vacate(island)
        self.events.append({"event": "island", "id": island.id, "change": "revoked",
                            "epoch": island.epoch, "resume_seq": island.next_seq})

    def _vacate(self, island: Island) -> None:
        """No holder any more: epoch + 1, the open span dropped, immigrants handed out and
        not entered back in the inbox."""
        if island.holder is not None and island.holder in self.workers:
            self.workers[island.holder].islands.discard(island.id)
        island.holder = None
        island.epoch += 1
        island.span = self._new_span(island)
        island.last_digest = snapshot_digest(island.snapshot) if island.snapshot else None
        island.inbox[:0] = [g for genomes in island.issued.values() for g in genomes]
        island.issued = {}
        del island.inbox[:-self.INBOX_LIMIT]

    def lease(self, worker_id: str, capacity: int) -> list[Island]:
        """Free islands for this worker, least advanced first: as many as it asks for, up to
        MAX_LEASES_PER_WORKER and the cores it reported, counting those it holds."""
        info = self.workers[worker_id]
        capacity = min(capacity, min(self.max_leases, info.cores) - len(info.islands))
        free = sorted((i for i in self.islands.values() if i.holder is None),
                      key=lambda i: (i.steps, i.id))
        granted = free[:max(0, capacity)]
        for island in granted:
            self._lease(island, worker_id, island.epoch + 1)
            info.islands.add(island.id)
            self.events.append({"event": "island", "id": island.id, "change": "leased",
                                "worker": worker_id, "epoch": island.epoch,
                                "from_seq": island.next_seq})
        return granted

    def _lease(self, island: Island, worker_id: str, epoch: int) -> None:
        island.holder = worker_id
        island.epoch = epoch
        island.progress = self.clock()
        island.anchor = island.here()
        self.totals.leases += 1

    def lease_fairly(self, worker_id: str, capacity: int) -> list[Island]:
        """Lease, but a worker that holds islands gets another only while no other worker
        holds fewer: free islands spread over the workers before anyone gets two."""
        held = len(self.workers[worker_id].islands)
        if held and any(len(w.islands) < held for w in self.workers.values()):
            return []
        return self.lease(worker_id, capacity)

    def release(self, worker_id: str, island_id: int, epoch: int) -> None:
        island = self.islands.get(island_id)
        if island is None or island.holder != worker_id or island.epoch != epoch:
            return
        self._revoke(island)

    def take_immigrants(self, island: Island) -> Batches:
        """The inbox, handed to the island's lease as one batch (journaled: a report later
        names the batches that entered before it); none when the inbox is empty."""
        out, island.inbox = island.inbox, []
        if not out:
            return []
        batch = self.next_batch
        self._issue(island, batch, out)
        return [(batch, out)]

    def outstanding(self, island: Island) -> Batches:
        """Every batch handed to the lease and not entered yet: offered again in the
        holder's next session (its hand-out may have been lost)."""
        return list(island.issued.items())

    def _issue(self, island: Island, batch: int, genomes: list[bytes]) -> None:
        island.immigrants_in += len(genomes)
        island.issued[batch] = genomes
        self.next_batch = max(self.next_batch, batch + 1)
        self.events.append({"event": "immigrants", "island": island.id, "batch": batch,
                            "epoch": island.epoch, "genomes": [g.hex() for g in genomes]})

    # ---- reports and snapshots ---------------------------------------------------------

    def report(self, worker_id: str, fields: dict[str, Any]) -> int:
        island = self.islands.get(fields["island"])
        if island is None or island.holder != worker_id or fields["epoch"] != island.epoch:
            self.totals.reports_stale += 1
            return REPORT_STALE
        seq = fields["seq"]
        if seq < island.next_seq:
            self.totals.reports_duplicate += 1
            return REPORT_DUPLICATE
        if seq > island.next_seq:
            self.totals.reports_stale += 1
            return REPORT_STALE
        if fields["steps"] > self.max_batch_steps:
            self.totals.reports_refused += 1
            self.discredit(worker_id, f"it reported {fields['steps']:,} instructions for one "
                           f"batch of island {island.id}; no batch is longer than "
                           f"{self.max_batch_steps:,}")
            return REPORT_REFUSED
        consumed = list(fields["consumed"])
        if len(set(consumed)) != len(consumed) or any(b not in island.issued for b in consumed) \
                or (self.validation_rate > 0 and
                island.next_seq - island.snapshot_seq >= MAX_SPAN_BATCHES):
            # Immigrants it was not given (or twice), or a span no validation could re-run
            # (MAX_SPAN_BATCHES without a snapshot): not work the experiment can vouch for.
            self.totals.reports_refused += 1
            self.notices.append(("revoke", worker_id, island.id, island.epoch))
            self._revoke(island)
            return REPORT_REFUSED
        fingerprint = batch_fingerprint(**{k: fields[k] for k in FINGERPRINTED})
        self._accept(island, seq, fields["steps"], fields["births"], fields["deaths"],
                     population=fields["population"], genotypes=fields["genotypes"],
                     digest=fields["digest"], fingerprint=fingerprint, consumed=consumed)
        island.stats = fields.get("stats") or {}
        worker = self.workers.get(worker_id)
        if worker is not None:
            now = self.clock()
            if worker.last_report and now > worker.last_report:
                sample = fields["steps"] / (now - worker.last_report)
                worker.rate = sample if not worker.rate else 0.7 * worker.rate + 0.3 * sample
            worker.last_report = now
            worker.steps += fields["steps"]
        self.events.append({"event": "report", "island": island.id, "epoch": island.epoch,
                            "seq": seq, "worker": worker_id, "steps": fields["steps"],
                            "births": fields["births"], "deaths": fields["deaths"],
                            "population": fields["population"],
                            "genotypes": fields["genotypes"],
                            "digest": fields["digest"].hex(), "consumed": consumed,
                            "fingerprint": fingerprint.hex()})
        self._migrate(island, fields["emigrants"])
        island.idle_reports = island.idle_reports + 1 if fields["births"] == 0 else 0
        if island.population == 0:
            self._reseed(island, "extinct")
        elif island.idle_reports >= self.STAGNANT_REPORTS:
            self._reseed(island, "stagnant")
            island.idle_reports = 0
        return REPORT_ACCEPTED

    def _accept(self, island: Island, seq: int, steps: int, births: int, deaths: int, *,
                population: int, genotypes: int, digest: bytes, fingerprint: bytes,
                consumed: list[int]) -> None:
        counts = Counters(steps, births, deaths, 1)
        entering = [g for b in consumed for g in island.issued.pop(b, [])]
        island.progress = self.clock()
        island.next_seq = seq + 1
        island.pending.add(counts)
        island.population = population
        island.genotypes = genotypes
        island.last_digest = digest
        if island.span is not None:
            island.span.add(steps, entering, fingerprint, counts)
        self.totals.reports_accepted += 1

    def _migrate(self, source: Island, emigrants: list[bytes]) -> None:
        others = [i for i in self.islands.values() if i.id != source.id]
        for genome in emigrants:
            self.seed_bank.append(genome)
            if not others:
                continue
            target = self.rng.choice(others)
            target.inbox.append(genome)
            del target.inbox[:-self.INBOX_LIMIT]
            self.totals.migrants += 1

    def _reseed(self, island: Island, why: str) -> None:
        """An extinct island, or one where nothing is born any more, gets a founder from the
        seed bank (or the ancestor) with its next batch."""
        founder = self.rng.choice(list(self.seed_bank)) if self.seed_bank else self.ancestor
        island.inbox.append(founder)
        island.reseeds += 1
        self.events.append({"event": "island", "id": island.id, "change": "reseeded",
                            "why": why})

    def snapshot(self, worker_id: str, island_id: int, epoch: int, seq: int,
                 data: bytes) -> bool:
        """Commit the island's state before batch ``seq``. Refused (False) unless it comes
        from the holder at the next seq and hashes to the digest of report seq - 1; a holder
        whose snapshot contradicts its own report is quarantined. Closing a span may open a
        validation job for it."""
        island = self.islands.get(island_id)
        if island is None or island.holder != worker_id or island.epoch != epoch:
            return False
        if seq != island.next_seq or island.last_digest is None:
            return False  # (no report before it: nothing to commit)
        if snapshot_digest(data) != island.last_digest:
            self.discredit(worker_id, f"its snapshot of island {island.id} before batch {seq} "
                           "does not match the digest it reported for the batch before")
            return False
        span = island.span
        if span is not None and len(span) == seq - island.snapshot_seq > 0 and \
                self.sample() < self.validation_rate:
            if sum(j.island == island.id for j in self.jobs.values()) < JOBS_PER_ISLAND:
                self._open_job(island, self.next_job)
            else:
                self.totals.validations_skipped += 1
        self._commit(island, seq, data)
        self.events.append({"event": "snapshot", "island": island.id, "epoch": epoch,
                            "seq": seq})
        return True

    def has_snapshot(self, worker_id: str, island_id: int, epoch: int, seq: int) -> bool:
        """A snapshot sent again (its acknowledgement lost, or withheld while the disk was
        full) that the island's committed state already covers: acknowledged again."""
        island = self.islands.get(island_id)
        return island is not None and island.holder == worker_id and \
            island.epoch == epoch and seq <= island.snapshot_seq

    def _commit(self, island: Island, seq: int, data: bytes) -> None:
        if self.validation_rate > 0 and seq > island.snapshot_seq:
            island.history.append(Segment(island.here(), seq, island.holder or "",
                                          island.pending.copy()))
            self._settle(island)
        island.snapshot = data
        island.snapshot_seq = seq
        island.founders = []
        island.committed.add(island.pending)
        island.pending = Counters()
        island.span = self._new_span(island)
        island.last_snapshot = self.clock()

    def _settle(self, island: Island) -> None:
        """Forget what can no longer be undone: verified spans at the front of the history,
        and spans beyond HISTORY_SPANS or HISTORY_BYTES of start snapshots (settled: a
        quarantine later leaves them counted)."""
        history = island.history
        held = sum(len(g.start.snapshot) for g in history)
        while history and (history[0].verified or len(history) > self.HISTORY_SPANS or
                           held > self.HISTORY_BYTES):
            held -= len(history.pop(0).start.snapshot)

    def _verified(self, job: Job) -> None:
        """A job's span was confirmed: its segment of the island's history is verified."""
        island = self.islands.get(job.island)
        if island is None:
            return
        for segment in island.history:
            if segment.start.seq == job.start.seq and segment.end_seq == job.end_seq and \
                    not segment.verified:
                segment.verified = True
                island.verified_steps += segment.counts.steps
        self._settle(island)

    def _new_span(self, island: Island) -> Span | None:
        """Spans are recorded only while they may be checked (at the committed state)."""
        return Span(island.snapshot_seq) if self.validation_rate > 0 else None

    # ---- validation --------------------------------------------------------------------

    def _open_job(self, island: Island, job_id: int) -> Job:
        """The island's open span (before the snapshot that closes it is committed)."""
        producer = island.holder or ""
        info = self.workers.get(producer)
        span = island.span or Span(island.snapshot_seq)
        island.span = None  # (the commit that follows starts a new one)
        job = Job(job_id, island.id, island.epoch, producer, info.machine if info else "",
                  island.seed, island.here(), span, {producer: combined(span.fingerprints)})
        self.jobs[job.id] = job
        self.next_job = max(self.next_job, job.id + 1)
        self.totals.validations_opened += 1
        self.events.append({"event": "validation", "change": "opened", "job": job.id,
                            "island": island.id, "epoch": island.epoch, "producer": producer,
                            "from_seq": job.start.seq, "to_seq": job.end_seq})
        return job

    def assign_job(self, worker_id: str) -> Job | None:
        """An open job for this worker to re-run, if one is due: never its own, never one it
        voted on, one at a time, and from another host than the producer's while a worker
        of another host is connected."""
        if not self.jobs or worker_id not in self.workers or worker_id in self.holding:
            return None
        host = self.workers[worker_id].machine
        elsewhere = len(self.hosts) > 1  # some worker runs on another machine
        for job in self.jobs.values():
            if job.holder is not None or worker_id == job.producer or \
                    worker_id in job.votes or job.disputed:
                continue
            if host == job.host and elsewhere:
                continue  # leave it to a worker on another machine
            job.holder = worker_id
            job.assigned = self.clock()
            job.offered.add(worker_id)
            self.holding[worker_id] = job.id
            return job
        return None

    def expire_jobs(self, timeout: float) -> None:
        """A job held for longer than ``timeout`` seconds goes to someone else."""
        now = self.clock()
        for job in self.jobs.values():
            if job.holder is not None and now - job.assigned > timeout:
                self.holding.pop(job.holder, None)
                job.holder = None

    def result(self, worker_id: str, job_id: int, fingerprints: list[bytes]) -> str:
        """A validator's fingerprints for a job it was given: the outcome ("ignored",
        "verified", "disputed"). A dispute is settled by the server itself (``arbitrate``):
        it re-runs the span, and whoever disagrees with it is quarantined. Votes never count
        heads, so colluding credentials cannot outvote an honest producer."""
        job = self.jobs.get(job_id)
        if job is None or worker_id not in job.offered or worker_id in job.votes or \
                worker_id in self.quarantined or job.disputed:
            return "ignored"
        if job.holder == worker_id:
            job.holder = None
            self.holding.pop(worker_id, None)
            for island_id in self.workers[worker_id].islands if worker_id in self.workers \
                    else ():  # its leases waited for the job: their deadline starts again
                self.islands[island_id].progress = self.clock()
        value = self._record(job, worker_id, fingerprints)
        if value == job.votes[job.producer]:
            self._close(job, "verified")
            return "verified"
        self._dispute(job)
        self.notices.append(("arbitrate", job.id))
        return "disputed"

    def _record(self, job: Job, worker_id: str, fingerprints: list[bytes]) -> bytes:
        first_difference = job.start.seq + next(
            (k for k, f in enumerate(fingerprints[:len(job.span)])
             if job.span.fingerprint(k) != f), min(len(fingerprints), len(job.span)))
        value = combined(b"".join(fingerprints))
        self._vote(job, worker_id, value, first_difference)
        return value

    def disputes(self) -> list[Job]:
        """Jobs in dispute that the server has not re-run yet (also after a restart)."""
        return [j for j in self.jobs.values() if j.disputed and self.ARBITER not in j.votes]

    def arbitrate(self, job_id: int, fingerprints: list[bytes]) -> str:
        """The server's own re-run of a disputed span decides: every voter that disagrees
        with it is quarantined; the outcome ("verified": the producer was right, "failed")."""
        job = self.jobs.get(job_id)
        if job is None or not job.disputed or self.ARBITER in job.votes:
            return "ignored"
        truth = self._record(job, self.ARBITER, fingerprints)
        losers = [w for w, v in job.votes.items() if v != truth and w != self.ARBITER]
        island = self.islands[job.island]
        if job.producer not in losers:
            self._close(job, "verified")
        elif island.epoch == job.epoch:  # the producer's lease goes on: back to its anchor
            self._close(job, "failed")
        else:  # a later lease built on the wrong result: back to the span's start
            self._rollback(island, job.start, to_job=job.id, outcome="failed")
        reason = (f"its result for island {job.island}, batches {job.start.seq}.."
                  f"{job.end_seq - 1} (job {job.id}), disagreed with the server's own re-run")
        for worker in losers:
            self.discredit(worker, reason, job.id)
        return "failed" if job.producer in losers else "verified"

    def discredit(self, worker_id: str, reason: str, job_id: int | None = None) -> None:
        """Quarantine a worker: every island goes back to the start of the first span it
        produced there that nobody confirmed (leases long ended included: what others built
        on it goes too, all of it leaves the totals), every island it holds to where its
        lease started; then it is disconnected and refused until an operator releases it."""
        info = self.workers.get(worker_id)
        for island_id in sorted(info.islands if info else ()):
            island = self.islands[island_id]
            if island.anchor is not None:
                self._rollback(island, island.anchor, to_job=None, outcome="cancelled")
        for island in self.islands.values():  # its spans nobody confirmed, of ended leases
            first = next((g for g in island.history
                          if g.producer == worker_id and not g.verified), None)
            if first is not None:
                self._rollback(island, first.start, to_job=None, outcome="cancelled",
                               to="history")
        if worker_id not in self.quarantined:
            self._quarantine(worker_id, reason, job_id)

    def _vote(self, job: Job, worker_id: str, value: bytes, first_difference: int) -> None:
        job.votes[worker_id] = value
        self.events.append({"event": "validation", "change": "vote", "job": job.id,
                            "worker": worker_id, "value": value.hex(),
                            "agrees": value == job.votes[job.producer],
                            "first_difference": first_difference})

    def _dispute(self, job: Job) -> None:
        job.disputed = True
        self.totals.validations_disputed += 1
        self.events.append({"event": "validation", "change": "disputed", "job": job.id})

    def _close(self, job: Job, outcome: str) -> None:
        """The job is done: "verified", "failed" (the producer lost the vote),
        "inconclusive" (no majority) or "cancelled" (its island went back before it)."""
        if self.jobs.pop(job.id, None) is None:
            return
        if job.holder is not None:
            self.holding.pop(job.holder, None)
        if outcome == "verified":
            self.totals.validations_verified += 1
            self._verified(job)
        elif outcome == "failed":
            self.totals.validations_failed += 1
        elif outcome == "inconclusive":
            self.totals.validations_inconclusive += 1
        self.events.append({"event": "validation", "change": "closed", "job": job.id,
                            "outcome": outcome})

    def _rollback(self, island: Island, target: Anchor, *, to_job: int | None,
                  outcome: str, to: str | None = None) -> None:
        """The island goes back to ``target`` (its lease's anchor, or job ``to_job``'s
        start): what was accepted after it leaves the totals, the lease is revoked, and the
        jobs on that stretch are closed (job ``to_job`` with ``outcome``, the others as
        cancelled)."""
        if island.holder is not None:
            self.notices.append(("revoke", island.holder, island.id, island.epoch))
        before = island.committed.copy()
        before.add(island.pending)
        undone = [g for g in island.history if g.start.seq >= target.seq]
        island.history = [g for g in island.history if g.start.seq < target.seq]
        island.verified_steps -= sum(g.counts.steps for g in undone if g.verified)
        island.snapshot = target.snapshot
        island.snapshot_seq = target.seq
        island.founders = list(target.founders)
        island.committed = target.counts.copy()
        island.pending = Counters()
        island.next_seq = target.seq
        island.anchor = None
        self._vacate(island)
        self.totals.reports_invalid += before.reports - target.counts.reports
        self.totals.steps_invalid += before.steps - target.counts.steps
        self.events.append({"event": "island", "id": island.id, "change": "rolled_back",
                            "epoch": island.epoch, "seq": target.seq,
                            "to": to or ("anchor" if to_job is None else "job"), "job": to_job,
                            "outcome": outcome, "reports": before.reports - target.counts.reports})
        for job in [j for j in self.jobs.values()
                    if j.island == island.id and j.start.seq >= target.seq]:
            self._close(job, outcome if job.id == to_job else "cancelled")

    def _quarantine(self, worker_id: str, reason: str, job_id: int | None) -> None:
        self.quarantined[worker_id] = {"reason": reason, "job": job_id}
        self.totals.quarantines += 1
        info = self.workers.get(worker_id)
        for island_id in sorted(info.islands if info else ()):
            self._revoke(self.islands[island_id])  # (islands without an anchor)
        self._remove_worker(worker_id)
        for job in self.jobs.values():
            if worker_id != job.producer and job.votes.pop(worker_id, None) is not None:
                job.disputed = len(set(job.votes.values())) > 1  # its vote is withdrawn
        self.notices.append(("quarantine", worker_id, reason))
        self.events.append({"event": "worker", "id": worker_id, "change": "quarantined",
                            "reason": reason, "job": job_id})

    def release_quarantine(self, worker_id: str) -> bool:
        """An operator vouches for a quarantined worker: it may work again."""
        if self.quarantined.pop(worker_id, None) is None:
            return False
        self.events.append({"event": "worker", "id": worker_id, "change": "released"})
        return True

    def is_quarantined(self, worker_id: str) -> bool:
        return worker_id in self.quarantined

    def counts(self) -> dict[int, Counters]:
        """Each island's counts as the experiment reports them: accepted and not rolled
        back, less its spans in dispute (withheld until a third worker decides)."""
        withheld: dict[int, Counters] = {}
        for job in self.jobs.values():
            if job.disputed:
                withheld.setdefault(job.island, Counters()).add(job.span.counts)
        out = {}
        for island in self.islands.values():
            total = island.committed.copy()
            total.add(island.pending)
            w = withheld.get(island.id)
            if w is not None:
                total = Counters(total.steps - w.steps, total.births - w.births,
                                 total.deaths - w.deaths, total.reports - w.reports)
            out[island.id] = total
        return out

    # ---- views -------------------------------------------------------------------------

    def totals_view(self) -> dict[str, Any]:
        counts = list(self.counts().values())
        return {
            "steps": sum(c.steps for c in counts), "births": sum(c.births for c in counts),
            "deaths": sum(c.deaths for c in counts),
            "population": sum(i.population for i in self.islands.values()),
            "reports_accepted": self.totals.reports_accepted,
            "reports_duplicate": self.totals.reports_duplicate,
            "reports_stale": self.totals.reports_stale,
            "reports_rolled_back": self.totals.reports_rolled_back,
            "reports_refused": self.totals.reports_refused,
            "reports_invalid": self.totals.reports_invalid,
            "steps_invalid": self.totals.steps_invalid,
            "steps_verified": sum(i.verified_steps for i in self.islands.values()),
            "leases": self.totals.leases, "migrants": self.totals.migrants,
            "seed_bank": len(self.seed_bank),
        }

    def validation_view(self) -> dict[str, Any]:
        t = self.totals
        return {
            "rate": self.validation_rate, "open": len(self.jobs),
            "disputed_open": sum(j.disputed for j in self.jobs.values()),
            "opened": t.validations_opened, "verified": t.validations_verified,
            "disputed": t.validations_disputed, "failed": t.validations_failed,
            "inconclusive": t.validations_inconclusive, "skipped": t.validations_skipped,
            "quarantines": t.quarantines,
        }

    def stats_event(self) -> dict[str, Any]:
        """The experiment's ``stats`` journal event, as ``bytebiota run`` writes one, summed
        over the islands' latest reports (bytebiota/observe.py ``figures``): ``genotypes``
        sums the islands' counts; ``top_genotypes`` are the most abundant of all islands,
        each named ``island/name`` (names are an island's own: 0080aab of two islands are
        two genotypes); in the ecology regime, cells doing each task, energy (the mean over
        all cells), the resource field (its total, and each region's mean over the islands),
        rewarded task events, causes of death and spawns."""
        totals = self.totals_view()
        sizes: dict[int, int] = {}
        sums: dict[str, dict[str, int]] = {"mutations": {}, "tasks": {}, "task_events": {},
                                           "deaths_by": {}}
        top: list[list[Any]] = []
        energy = {"total": 0.0, "broke": 0}
        resources = 0.0
        strips: list[list[float]] = []
        spawned = 0
        ecology = False
        for island in self.islands.values():
            stats = island.stats
            for size, cells in stats.get("sizes", []):
                sizes[int(size)] = sizes.get(int(size), 0) + int(cells)
            for key, into in sums.items():
                for name, count in stats.get(key, {}).items():
                    into[str(name)] = into.get(str(name), 0) + int(count)
            top += [[f"{island.id}/{name}", size, cells, f"{island.id}/{parent}"]
                    for name, size, cells, parent in stats.get("top_genotypes", [])]
            if "energy" in stats:
                ecology = True
                energy["total"] += float(stats["energy"].get("total", 0.0))
                energy["broke"] += int(stats["energy"].get("broke", 0))
                resources += float(stats.get("resources", {}).get("total", 0.0))
                strips.append([float(v) for v in stats.get("resources", {}).get("strip", [])])
                spawned += int(stats.get("spawned", 0))
        top.sort(key=lambda row: (-int(row[2]), row[0]))
        event: dict[str, Any] = {
            "step": totals["steps"], "population": totals["population"],
            "genotypes": sum(i.genotypes for i in self.islands.values()),
            "sizes": [[s, n] for s, n in sorted(sizes.items())],
            "births": totals["births"], "deaths": totals["deaths"],
            "mutations": sums["mutations"], "top_genotypes": top[:TOP_GENOTYPES],
            "top": [top[0][0], top[0][2]] if top else None,
            "islands": len(self.islands), "workers": len(self.workers),
            "reports_accepted": totals["reports_accepted"], "migrants": totals["migrants"],
        }
        if ecology:
            population = totals["population"]
            width = min((len(strip) for strip in strips), default=0)
            event.update({
                "tasks": sums["tasks"],
                "energy": {"mean": round(energy["total"] / population, 3) if population else 0.0,
                           "total": round(energy["total"], 3), "broke": energy["broke"]},
                "resources": {"total": round(resources, 3),
                              "strip": [round(sum(s[k] for s in strips) / len(strips), 1)
                                        for k in range(width)]},
                "task_events": sums["task_events"], "deaths_by": sums["deaths_by"],
                "spawned": spawned,
            })
        return event

    def soup(self, island_id: int, soup_size: int) -> dict[str, Any] | None:
        """Island ``island_id``'s soup map from its latest report (None: no such island, or
        no map yet), with ``island`` and its ``occupancy`` (of ``soup_size`` bytes)."""
        island = self.islands.get(island_id)
        if island is None or "soup" not in island.stats:
            return None
        held = sum(int(size) * int(cells) for size, cells in island.stats.get("sizes", []))
        return {**island.stats["soup"], "island": island.id,
                "occupancy": held / soup_size if soup_size else None}

    def status(self) -> dict[str, Any]:
        now = self.clock()
        holding = self.holding
        counts = self.counts()
        return {
            "totals": self.totals_view(),
            "validation": self.validation_view(),
            "quarantined": [{"id": w, **info} for w, info in sorted(self.quarantined.items())],
            "workers": [{"id": w.id, "host": w.host, "islands": sorted(w.islands),
                         "job": holding.get(w.id),
                         "last_seen_s": round(now - w.last_seen, 3),
                         "instructions_per_s": round(w.rate),
                         "state": ("silent" if now - w.last_seen > self.SILENT_SECONDS
                                   else "computing" if w.islands or w.id in holding
                                   else "idle")}
                        for w in sorted(self.workers.values(), key=lambda w: w.id)],
            "islands": [{"id": i.id, "epoch": i.epoch, "worker": i.holder,
                         "steps": counts[i.id].steps,
                         "population": i.population, "genotypes": i.genotypes,
                         "immigrants": i.immigrants_in, "reseeds": i.reseeds,
                         "snapshot_age_s": round(now - i.last_snapshot, 1)
                         if i.last_snapshot else None}
                        for i in self.islands.values()],
        }

    # ---- persistence -------------------------------------------------------------------

    def state(self) -> tuple[dict[str, Any], bytes]:
        """(metadata, payload) for a checkpoint: every island with its holder, epoch,
        accounting, open span, anchor and last snapshot, the open jobs with their start
        states, the quarantined workers (the payload is the snapshots, concatenated)."""
        blobs: list[bytes] = []

        def blob(data: bytes) -> int:
            blobs.append(data)
            return len(data)

        islands = []
        for island in self.islands.values():
            islands.append({
                "id": island.id, "seed": island.seed, "epoch": island.epoch,
                "holder": island.holder, "next_seq": island.next_seq,
                "snapshot_seq": island.snapshot_seq, "snapshot_len": blob(island.snapshot),
                "committed": dict(vars(island.committed)), "pending": dict(vars(island.pending)),
                "population": island.population, "genotypes": island.genotypes,
                "immigrants_in": island.immigrants_in, "reseeds": island.reseeds,
                "founders": [f.hex() for f in island.founders],
                "inbox": [g.hex() for g in island.inbox],
                "issued": [[b, [g.hex() for g in genomes]]
                           for b, genomes in island.issued.items()],
                "span": None if island.span is None else island.span.meta(blob),
                "last_digest": island.last_digest.hex() if island.last_digest else None,
                "anchor": None if island.anchor is None else _anchor_meta(island.anchor, blob),
                "history": [{"start": _anchor_meta(g.start, blob), "end_seq": g.end_seq,
                             "producer": g.producer, "counts": dict(vars(g.counts)),
                             "verified": g.verified} for g in island.history],
                "verified_steps": island.verified_steps,
            })
        jobs = [{"id": j.id, "island": j.island, "epoch": j.epoch, "producer": j.producer,
                 "host": j.host, "seed": j.seed, "start": _anchor_meta(j.start, blob),
                 "span": j.span.meta(blob),
                 "votes": {w: v.hex() for w, v in j.votes.items()},
                 "offered": sorted(j.offered), "disputed": j.disputed}
                for j in self.jobs.values()]
        meta = {
            "islands": islands,
            "totals": dict(vars(self.totals)),
            "seed_bank": [g.hex() for g in self.seed_bank],
            "jobs": jobs, "next_job": self.next_job, "next_batch": self.next_batch,
            "incarnations": self.incarnations,
            "quarantined": self.quarantined,
        }
        return meta, b"".join(blobs)

    def load(self, meta: dict[str, Any], payload: bytes) -> None:
        """Restore from ``state()``. Leases survive a server restart: each holder gets
        WORKER_TIMEOUT from now to reconnect and go on (or its islands are revoked); jobs
        held by validators go back to the queue."""
        pos = 0

        def blob(size: int) -> bytes:
            nonlocal pos
            data = payload[pos : pos + size]
            pos += size
            return data

        self.islands = {}
        for entry in meta["islands"]:
            island = Island(id=int(entry["id"]), seed=int(entry["seed"]),
                            epoch=int(entry["epoch"]), holder=entry["holder"],
                            next_seq=int(entry["next_seq"]),
                            snapshot=blob(int(entry["snapshot_len"])),
                            snapshot_seq=int(entry["snapshot_seq"]),
                            committed=Counters(**entry["committed"]),
                            pending=Counters(**entry["pending"]),
                            population=int(entry["population"]),
                            genotypes=int(entry["genotypes"]),
                            immigrants_in=int(entry["immigrants_in"]),
                            reseeds=int(entry["reseeds"]),
                            founders=[bytes.fromhex(f) for f in entry["founders"]],
                            inbox=[bytes.fromhex(g) for g in entry["inbox"]],
                            issued={int(b): [bytes.fromhex(g) for g in genomes]
                                    for b, genomes in entry.get("issued", [])},
                            progress=self.clock())
            digest = entry.get("last_digest")
            island.last_digest = bytes.fromhex(digest) if digest else (
                snapshot_digest(island.snapshot) if island.snapshot else None)
            # (blobs in the order state() wrote them: snapshot, span, anchor, history)
            if entry.get("span") is not None:
                island.span = Span.from_meta(entry["span"], blob)
            elif island.next_seq == island.snapshot_seq:
                island.span = self._new_span(island)  # (else: incomplete, until the next)
            if entry.get("anchor") is not None:
                island.anchor = _anchor(entry["anchor"], blob)
            island.history = [Segment(_anchor(g["start"], blob), int(g["end_seq"]),
                                      g["producer"], Counters(**g["counts"]),
                                      bool(g["verified"])) for g in entry.get("history", [])]
            island.verified_steps = int(entry.get("verified_steps", 0))
            self.islands[island.id] = island
            if island.holder is not None:
                self._add_worker(island.holder).islands.add(island.id)
        for entry in meta.get("jobs", []):
            job = Job(int(entry["id"]), int(entry["island"]), int(entry["epoch"]),
                      entry["producer"], entry["host"], int(entry["seed"]),
                      _anchor(entry["start"], blob), Span.from_meta(entry["span"], blob),
                      {w: bytes.fromhex(v) for w, v in entry["votes"].items()},
                      offered=set(entry["offered"]), disputed=bool(entry["disputed"]))
            self.jobs[job.id] = job
        self.next_job = int(meta.get("next_job", 1))
        self.next_batch = int(meta.get("next_batch", 1))
        self.incarnations = {w: int(i) for w, i in meta.get("incarnations", {}).items()}
        self.quarantined = dict(meta.get("quarantined", {}))
        self.totals = Totals(**meta["totals"])
        self.seed_bank.extend(bytes.fromhex(g) for g in meta["seed_bank"])

    def replay(self, event: dict[str, Any], snapshot: bytes | None = None) -> None:
        """Re-apply one journal event written after the checkpoint (write-ahead log): the
        leases, accepted reports, hand-outs, snapshots, revocations and the validation
        events the server acknowledged or acted on. Nothing is decided again."""
        kind = event.get("event")
        change = event.get("change")
        if kind == "worker":
            if change == "join" and event.get("incarnation"):
                self.incarnations[event["id"]] = int(event["incarnation"])
            elif change == "quarantined":
                self._quarantine(event["id"], event["reason"], event.get("job"))
            elif change == "released":
                self.release_quarantine(event["id"])
            return
        if kind == "validation":
            self._replay_validation(event)
            return
        island = self.islands.get(event.get("id", event.get("island", -1)))
        if island is None:
            return
        if kind == "island" and change == "leased":
            self._lease(island, event["worker"], event["epoch"])
            self._add_worker(event["worker"]).islands.add(island.id)
        elif kind == "island" and change == "revoked":
            self._revoke(island)
            island.epoch = event["epoch"]
        elif kind == "island" and change == "rolled_back":
            job = self.jobs.get(event.get("job") or -1)
            if event["to"] == "history":
                target = next((g.start for g in island.history if g.start.seq == event["seq"]),
                              None)
            else:
                target = island.anchor if event["to"] == "anchor" else (
                    job.start if job else None)
            if target is not None and target.seq == event["seq"]:
                self._rollback(island, target, to_job=event.get("job"),
                               outcome=event.get("outcome", "failed"), to=event["to"])
            island.epoch = event["epoch"]
        elif kind == "immigrants" and event["epoch"] == island.epoch:
            genomes = [bytes.fromhex(g) for g in event["genomes"]]
            for genome in genomes:
                if genome in island.inbox:
                    island.inbox.remove(genome)
            self._issue(island, int(event["batch"]), genomes)
        elif kind == "report" and event["epoch"] == island.epoch and \
                event["seq"] == island.next_seq:
            self._accept(island, event["seq"], event["steps"], event["births"],
                         event["deaths"], population=event["population"],
                         genotypes=event["genotypes"],
                         digest=bytes.fromhex(event.get("digest", "")),
                         fingerprint=bytes.fromhex(event.get("fingerprint", "")),
                         consumed=[int(b) for b in event["consumed"]])
        elif kind == "snapshot" and event["epoch"] == island.epoch and snapshot is not None \
                and event["seq"] == island.next_seq:
            self._commit(island, event["seq"], snapshot)

    def _replay_validation(self, event: dict[str, Any]) -> None:
        change = event.get("change")
        if change == "opened":
            island = self.islands.get(event["island"])
            if island is not None and island.epoch == event["epoch"] and \
                    island.snapshot_seq == event["from_seq"] and \
                    island.next_seq == event["to_seq"]:
                self._open_job(island, event["job"])
            return
        job = self.jobs.get(event.get("job", -1))
        if job is None:
            return
        if change == "vote":
            job.offered.add(event["worker"])
            self._vote(job, event["worker"], bytes.fromhex(event["value"]),
                       event.get("first_difference", 0))
        elif change == "disputed":
            self._dispute(job)
        elif change == "closed":
            self._close(job, event["outcome"])


def _anchor_meta(anchor: Anchor, blob: Callable[[bytes], int]) -> dict[str, Any]:
    return {"seq": anchor.seq, "snapshot_len": blob(anchor.snapshot),
            "founders": [f.hex() for f in anchor.founders], "counts": dict(vars(anchor.counts))}


def _anchor(entry: dict[str, Any], blob: Callable[[int], bytes]) -> Anchor:
    return Anchor(int(entry["seq"]), blob(int(entry["snapshot_len"])),
                  [bytes.fromhex(f) for f in entry["founders"]], Counters(**entry["counts"]))

