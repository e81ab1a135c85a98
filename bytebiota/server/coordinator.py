"""The experiment's bookkeeping, without I/O: islands, leases, reports, migration, seed bank.

Exactly-once accounting. Every report names (island, epoch, seq). A report is *accepted*
when its epoch is the island's and its seq the next expected one; a seq already seen is a
*duplicate* (acknowledged again, counted once); anything else is *stale* (refused). Reports
accepted since the island's last snapshot are *pending*: if the lease is lost, the island goes
to another worker from that snapshot with epoch + 1, its pending reports are rolled back (the
new holder redoes that work), and the totals never count a step twice. A snapshot commits the
pending reports before it.

Invariants: ``totals.steps`` is the sum of the steps of accepted, not rolled-back reports;
every island has at most one holder; epochs only grow.
"""

from __future__ import annotations

import random
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from bytebiota.protocol.messages import REPORT_ACCEPTED, REPORT_DUPLICATE, REPORT_STALE


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

    @property
    def steps(self) -> int:
        return self.committed.steps + self.pending.steps


@dataclass
class Totals:
    reports_accepted: int = 0
    reports_duplicate: int = 0
    reports_stale: int = 0
    reports_rolled_back: int = 0
    leases: int = 0
    migrants: int = 0


@dataclass
class WorkerInfo:
    id: str
    host: str = ""
    cores: int = 1
    joined: float = 0.0
    last_seen: float = 0.0
    islands: set[int] = field(default_factory=set)
    steps: int = 0  # accepted
    rate: float = 0.0  # instructions per second, smoothed over recent reports
    last_report: float = 0.0


class Coordinator:
    """All the server's decisions; the asyncio edge only moves messages."""

    INBOX_LIMIT = 50  # immigrants waiting per island; older ones are dropped
    STAGNANT_REPORTS = 3  # reports in a row without a birth make an island stagnant
    SILENT_SECONDS = 15.0  # shown as "silent" after this; leases expire at WORKER_TIMEOUT

    def __init__(self, islands: int, seed: int, ancestor: bytes, seed_bank_size: int,
                 clock: Any = time.monotonic) -> None:
        self.clock = clock
        self.rng = random.Random(seed)  # server-side choices only: never simulation draws
        self.ancestor = ancestor
        self.islands = {
            i: Island(id=i, seed=self.rng.getrandbits(63), founders=[ancestor])
            for i in range(islands)
        }
        self.totals = Totals()
        self.workers: dict[str, WorkerInfo] = {}
        self.seed_bank: deque[bytes] = deque(maxlen=max(1, seed_bank_size))
        self.events: list[dict[str, Any]] = []  # island/worker events for the journal

    # ---- workers and leases ------------------------------------------------------------

    def join(self, worker_id: str, host: str, cores: int) -> None:
        now = self.clock()
        self.workers[worker_id] = WorkerInfo(worker_id, host, cores, now, now)
        self.events.append({"event": "worker", "id": worker_id, "host": host, "change": "join"})

    def seen(self, worker_id: str) -> None:
        if worker_id in self.workers:
            self.workers[worker_id].last_seen = self.clock()

    def lose(self, worker_id: str, reason: str) -> list[int]:
        """A worker is gone: its islands go back to the pool (from their last snapshot)."""
        info = self.workers.pop(worker_id, None)
        if info is None:
            return []
        freed = sorted(info.islands)
        for island_id in freed:
            self._revoke(self.islands[island_id])
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
        island.holder = None
        island.epoch += 1
        self.events.append({"event": "island", "id": island.id, "change": "revoked",
                            "epoch": island.epoch, "resume_seq": island.next_seq})

    def lease(self, worker_id: str, capacity: int) -> list[Island]:
        """Free islands for this worker, least advanced first."""
        info = self.workers[worker_id]
        free = sorted((i for i in self.islands.values() if i.holder is None),
                      key=lambda i: (i.steps, i.id))
        granted = free[:max(0, capacity)]
        for island in granted:
            island.holder = worker_id
            island.epoch += 1
            info.islands.add(island.id)
            self.totals.leases += 1
            self.events.append({"event": "island", "id": island.id, "change": "leased",
                                "worker": worker_id, "epoch": island.epoch,
                                "from_seq": island.next_seq})
        return granted

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
        self.workers[worker_id].islands.discard(island_id)
        self._revoke(island)

    def take_immigrants(self, island: Island) -> list[bytes]:
        out, island.inbox = island.inbox, []
        island.immigrants_in += len(out)
        return out

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
        self._accept(island, seq, fields["steps"], fields["births"], fields["deaths"],
                     population=fields["population"], genotypes=fields["genotypes"])
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
                            "seq": seq, "steps": fields["steps"], "births": fields["births"],
                            "deaths": fields["deaths"], "population": fields["population"],
                            "genotypes": fields["genotypes"]})
        self._migrate(island, fields["emigrants"])
        island.idle_reports = island.idle_reports + 1 if fields["births"] == 0 else 0
        if island.population == 0:
            self._reseed(island, "extinct")
        elif island.idle_reports >= self.STAGNANT_REPORTS:
            self._reseed(island, "stagnant")
            island.idle_reports = 0
        return REPORT_ACCEPTED

    def _accept(self, island: Island, seq: int, steps: int, births: int, deaths: int, *,
                population: int, genotypes: int) -> None:
        island.next_seq = seq + 1
        island.pending.add(Counters(steps, births, deaths, 1))
        island.population = population
        island.genotypes = genotypes
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
        island = self.islands.get(island_id)
        if island is None or island.holder != worker_id or island.epoch != epoch:
            return False
        if seq != island.next_seq:
            return False
        self._commit(island, seq, data)
        self.events.append({"event": "snapshot", "island": island.id, "epoch": epoch,
                            "seq": seq})
        return True

    def _commit(self, island: Island, seq: int, data: bytes) -> None:
        island.snapshot = data
        island.snapshot_seq = seq
        island.founders = []
        island.committed.add(island.pending)
        island.pending = Counters()
        island.last_snapshot = self.clock()

    # ---- views -------------------------------------------------------------------------

    def totals_view(self) -> dict[str, Any]:
        steps = sum(i.steps for i in self.islands.values())
        births = sum(i.committed.births + i.pending.births for i in self.islands.values())
        deaths = sum(i.committed.deaths + i.pending.deaths for i in self.islands.values())
        return {
            "steps": steps, "births": births, "deaths": deaths,
            "population": sum(i.population for i in self.islands.values()),
            "reports_accepted": self.totals.reports_accepted,
            "reports_duplicate": self.totals.reports_duplicate,
            "reports_stale": self.totals.reports_stale,
            "reports_rolled_back": self.totals.reports_rolled_back,
            "leases": self.totals.leases, "migrants": self.totals.migrants,
            "seed_bank": len(self.seed_bank),
        }

    def stats_event(self) -> dict[str, Any]:
        """The experiment's ``stats`` journal event, as ``bytebiota run`` writes one, summed
        over the islands' latest reports (``genotypes`` sums the islands' counts)."""
        totals = self.totals_view()
        sizes: dict[int, int] = {}
        mutations: dict[str, int] = {}
        for island in self.islands.values():
            for size, cells in island.stats.get("sizes", []):
                sizes[int(size)] = sizes.get(int(size), 0) + int(cells)
            for kind, count in island.stats.get("mutations", {}).items():
                mutations[str(kind)] = mutations.get(str(kind), 0) + int(count)
        return {
            "step": totals["steps"], "population": totals["population"],
            "genotypes": sum(i.genotypes for i in self.islands.values()),
            "sizes": [[s, n] for s, n in sorted(sizes.items())],
            "births": totals["births"], "deaths": totals["deaths"], "mutations": mutations,
            "islands": len(self.islands), "workers": len(self.workers),
            "reports_accepted": totals["reports_accepted"], "migrants": totals["migrants"],
        }

    def status(self) -> dict[str, Any]:
        now = self.clock()
        return {
            "totals": self.totals_view(),
            "workers": [{"id": w.id, "host": w.host, "islands": sorted(w.islands),
                         "last_seen_s": round(now - w.last_seen, 3),
                         "instructions_per_s": round(w.rate),
                         "state": ("silent" if now - w.last_seen > self.SILENT_SECONDS
                                   else "computing" if w.islands else "idle")}
                        for w in sorted(self.workers.values(), key=lambda w: w.id)],
            "islands": [{"id": i.id, "epoch": i.epoch, "worker": i.holder, "steps": i.steps,
                         "population": i.population, "genotypes": i.genotypes,
                         "immigrants": i.immigrants_in, "reseeds": i.reseeds,
                         "snapshot_age_s": round(now - i.last_snapshot, 1)
                         if i.last_snapshot else None}
                        for i in self.islands.values()],
        }

    # ---- persistence -------------------------------------------------------------------

    def state(self) -> tuple[dict[str, Any], bytes]:
        """(metadata, payload) for a checkpoint: every island with its holder, epoch,
        accounting and last snapshot (the payload is the snapshots, concatenated)."""
        blobs: list[bytes] = []
        islands = []
        for island in self.islands.values():
            islands.append({
                "id": island.id, "seed": island.seed, "epoch": island.epoch,
                "holder": island.holder, "next_seq": island.next_seq,
                "snapshot_seq": island.snapshot_seq, "snapshot_len": len(island.snapshot),
                "committed": dict(vars(island.committed)), "pending": dict(vars(island.pending)),
                "population": island.population, "genotypes": island.genotypes,
                "immigrants_in": island.immigrants_in, "reseeds": island.reseeds,
                "founders": [f.hex() for f in island.founders],
                "inbox": [g.hex() for g in island.inbox],
            })
            blobs.append(island.snapshot)
        meta = {
            "islands": islands,
            "totals": dict(vars(self.totals)),
            "seed_bank": [g.hex() for g in self.seed_bank],
        }
        return meta, b"".join(blobs)

    def load(self, meta: dict[str, Any], payload: bytes) -> None:
        """Restore from ``state()``. Leases survive a server restart: each holder gets
        WORKER_TIMEOUT from now to reconnect and go on (or its islands are revoked)."""
        pos = 0
        self.islands = {}
        now = self.clock()
        for entry in meta["islands"]:
            size = int(entry["snapshot_len"])
            island = Island(id=int(entry["id"]), seed=int(entry["seed"]),
                            epoch=int(entry["epoch"]), holder=entry["holder"],
                            next_seq=int(entry["next_seq"]),
                            snapshot=payload[pos : pos + size],
                            snapshot_seq=int(entry["snapshot_seq"]),
                            committed=Counters(**entry["committed"]),
                            pending=Counters(**entry["pending"]),
                            population=int(entry["population"]),
                            genotypes=int(entry["genotypes"]),
                            immigrants_in=int(entry["immigrants_in"]),
                            reseeds=int(entry["reseeds"]),
                            founders=[bytes.fromhex(f) for f in entry["founders"]],
                            inbox=[bytes.fromhex(g) for g in entry["inbox"]])
            pos += size
            self.islands[island.id] = island
            if island.holder is not None:
                info = self.workers.setdefault(
                    island.holder, WorkerInfo(island.holder, joined=now, last_seen=now))
                info.islands.add(island.id)
        self.totals = Totals(**meta["totals"])
        self.seed_bank.extend(bytes.fromhex(g) for g in meta["seed_bank"])

    def replay(self, event: dict[str, Any], snapshot: bytes | None = None) -> None:
        """Re-apply one journal event written after the checkpoint (write-ahead log): the
        leases, accepted reports, snapshots and revocations the server acknowledged."""
        kind = event.get("event")
        island = self.islands.get(event.get("id", event.get("island", -1)))
        if island is None:
            return
        if kind == "island" and event.get("change") == "leased":
            island.holder = event["worker"]
            island.epoch = event["epoch"]
            now = self.clock()
            info = self.workers.setdefault(island.holder or "",
                                           WorkerInfo(island.holder or "", joined=now,
                                                      last_seen=now))
            info.islands.add(island.id)
            self.totals.leases += 1
        elif kind == "island" and event.get("change") == "revoked":
            for info in self.workers.values():
                info.islands.discard(island.id)
            self._revoke(island)
            island.epoch = event["epoch"]
        elif kind == "report" and event["epoch"] == island.epoch and \
                event["seq"] == island.next_seq:
            self._accept(island, event["seq"], event["steps"], event["births"],
                         event["deaths"], population=event["population"],
                         genotypes=event["genotypes"])
        elif kind == "snapshot" and event["epoch"] == island.epoch and snapshot is not None \
                and event["seq"] == island.next_seq:
            self._commit(island, event["seq"], snapshot)
