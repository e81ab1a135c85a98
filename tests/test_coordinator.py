"""The server's bookkeeping without I/O: leases, exactly-once accounting, migration, and
the verification of results (spans, jobs, votes, quarantine, rollback, replay)."""

from __future__ import annotations

import hashlib
from typing import Any

from bytebiota.protocol.messages import (
    REPORT_ACCEPTED,
    REPORT_DUPLICATE,
    REPORT_REFUSED,
    REPORT_STALE,
    batch_fingerprint,
)
from bytebiota.server.coordinator import (
    FINGERPRINTED,
    Coordinator,
    Island,
    Job,
    snapshot_digest,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def snap(tag: str) -> tuple[bytes, bytes]:
    """A stand-in world snapshot (its body, then the body's SHA-256) and its digest."""
    body = f"world {tag}".encode()
    digest = hashlib.sha256(body).digest()
    return body + digest, digest


def report(island: int, epoch: int, seq: int, *, steps: int = 100, population: int = 10,
           emigrants: list[bytes] | None = None, births: int = 3,
           consumed: list[int] | None = None,
           end: str | None = None) -> dict[str, Any]:
    """A REPORT's fields; its end digest is that of ``snap(end)`` (default: "i.seq+1")."""
    return {"island": island, "epoch": epoch, "seq": seq, "steps": steps, "births": births,
            "deaths": 2, "population": population, "genotypes": 1,
            "digest": snap(end or f"{island}.{seq + 1}")[1], "consumed": consumed or [],
            "emigrants": emigrants or [], "stats": {}}


def fingerprint(fields: dict[str, Any]) -> bytes:
    return batch_fingerprint(**{k: fields[k] for k in FINGERPRINTED})


def setup(islands: int = 2, *, rate: float = 0.0) -> tuple[Coordinator, Clock]:
    clock = Clock()
    c = Coordinator(islands, 1, b"\x01" * 12, 100, clock=clock, validation_rate=rate,
                    sample=lambda: 0.0)
    c.join("a", "host-a", 4)
    c.join("b", "host-b", 4)
    return c, clock


def test_reports_are_counted_exactly_once() -> None:
    c, _ = setup()
    [island] = c.lease("a", 1)
    e = island.epoch
    assert c.report("a", report(island.id, e, 0)) == REPORT_ACCEPTED
    assert c.report("a", report(island.id, e, 0)) == REPORT_DUPLICATE
    assert c.report("a", report(island.id, e, 2)) == REPORT_STALE  # a gap
    assert c.report("a", report(island.id, e - 1, 1)) == REPORT_STALE  # an old epoch
    assert c.report("b", report(island.id, e, 1)) == REPORT_STALE  # not the holder
    assert c.report("a", report(island.id, e, 1)) == REPORT_ACCEPTED
    totals = c.totals_view()
    assert totals["steps"] == 200 and totals["reports_accepted"] == 2
    assert totals["reports_duplicate"] == 1 and totals["reports_stale"] == 3


def test_a_lost_lease_rolls_back_to_the_last_snapshot() -> None:
    c, clock = setup(islands=1)
    [island] = c.lease("a", 1)
    e = island.epoch
    c.report("a", report(island.id, e, 0))
    assert c.snapshot("a", island.id, e, 1, snap(f"{island.id}.1")[0])
    c.report("a", report(island.id, e, 1))
    c.report("a", report(island.id, e, 2))
    assert c.totals_view()["steps"] == 300
    clock.now = 100
    assert c.expire(10) == ["a", "b"]
    c.lose("a", "timeout")
    assert island.holder is None and island.epoch == e + 1 and island.next_seq == 1
    assert c.totals_view()["steps"] == 100  # the two uncommitted reports are gone
    assert c.totals.reports_rolled_back == 2
    [again] = c.lease("b", 1)
    assert again is island and island.snapshot == snap(f"{island.id}.1")[0]
    assert island.epoch == e + 2
    assert c.report("a", report(island.id, e, 1)) == REPORT_STALE  # the old holder's
    assert c.report("b", report(island.id, island.epoch, 1)) == REPORT_ACCEPTED
    assert c.totals_view()["steps"] == 200


def test_snapshots_must_match_the_accounting() -> None:
    c, _ = setup()
    [island] = c.lease("a", 1)
    data, _ = snap(f"{island.id}.1")
    assert not c.snapshot("a", island.id, island.epoch, 0, data)  # no report before it
    c.report("a", report(island.id, island.epoch, 0))
    assert not c.snapshot("a", island.id, island.epoch, 3, data)  # not at next_seq
    assert not c.snapshot("b", island.id, island.epoch, 1, data)  # not the holder
    assert c.snapshot("a", island.id, island.epoch, 1, data)


def test_snapshot_digest_is_the_worlds_own() -> None:
    from bytebiota import simulation
    from bytebiota.config import isolated

    world = simulation.new_world(isolated(named_flags={"--regime": "classic"}), 3)
    world.run(20_000)
    assert snapshot_digest(world.snapshot()) == bytes.fromhex(world.digest())
    assert snapshot_digest(b"not a snapshot" * 4) is None


def test_leases_spread_before_anyone_gets_two() -> None:
    c, _ = setup(islands=3)
    assert len(c.lease_fairly("a", 1)) == 1
    assert c.lease_fairly("a", 1) == []  # b holds none yet
    assert len(c.lease_fairly("b", 1)) == 1
    assert len(c.lease_fairly("a", 1)) == 1  # nobody holds fewer than a now
    assert c.lease_fairly("b", 1) == []  # nothing free


def test_emigrants_reach_other_islands_and_the_seed_bank() -> None:
    c, _ = setup(islands=3)
    [island] = c.lease("a", 1)
    c.report("a", report(island.id, island.epoch, 0, emigrants=[b"\x02" * 20, b"\x03" * 20]))
    inboxes = [len(i.inbox) for i in c.islands.values() if i.id != island.id]
    assert sum(inboxes) == 2 and len(island.inbox) == 0
    assert list(c.seed_bank) == [b"\x02" * 20, b"\x03" * 20]


def test_an_extinct_island_is_reseeded() -> None:
    c, _ = setup()
    [island] = c.lease("a", 1)
    c.report("a", report(island.id, island.epoch, 0, population=0))
    assert island.reseeds == 1 and island.inbox == [b"\x01" * 12]


def test_a_stagnant_island_is_reseeded() -> None:
    c, _ = setup()
    [island] = c.lease("a", 1)
    for seq in range(3):
        fields = report(island.id, island.epoch, seq)
        fields["births"] = 0
        c.report("a", fields)
    assert island.reseeds == 1
    assert c.events[-1] == {"event": "island", "id": island.id, "change": "reseeded",
                            "why": "stagnant"}


def test_state_round_trip_keeps_leases_and_accounting() -> None:
    c, _ = setup()
    [island] = c.lease("a", 1)
    c.report("a", report(island.id, island.epoch, 0))
    c.snapshot("a", island.id, island.epoch, 1, snap(f"{island.id}.1")[0])
    c.report("a", report(island.id, island.epoch, 1))  # pending, but acknowledged
    meta, payload = c.state()
    fresh = Coordinator(0, 1, b"\x01" * 12, 100)
    fresh.load(meta, payload)
    restored = fresh.islands[island.id]
    assert restored.snapshot == snap(f"{island.id}.1")[0] and restored.next_seq == 2
    assert restored.epoch == island.epoch and restored.holder == "a"
    assert fresh.totals_view()["steps"] == 200  # nothing acknowledged is lost
    assert fresh.report("a", report(island.id, island.epoch, 2)) == REPORT_ACCEPTED


def test_journal_events_replay_onto_a_checkpoint() -> None:
    c, _ = setup(islands=1)
    meta, payload = c.state()  # the checkpoint, before anything happened
    [island] = c.lease("a", 1)
    c.report("a", report(island.id, island.epoch, 0))
    data = snap(f"{island.id}.1")[0]
    c.snapshot("a", island.id, island.epoch, 1, data)
    c.report("a", report(island.id, island.epoch, 1))
    events = list(c.events)
    fresh = Coordinator(0, 1, b"\x01" * 12, 100)
    fresh.load(meta, payload)
    for event in events:
        fresh.replay(event, data if event["event"] == "snapshot" else None)
    again = fresh.islands[island.id]
    assert (again.holder, again.epoch, again.next_seq) == ("a", island.epoch, 2)
    assert again.snapshot == data and fresh.totals_view()["steps"] == 200


# ---- verified results ---------------------------------------------------------------------


def run_span(c: Coordinator, worker: str, island_id: int, first: int, n: int, *,
             births: int = 3) -> list[dict[str, Any]]:
    """``worker`` reports batches first..first+n-1 of its lease, then snapshots: one span."""
    island = c.islands[island_id]
    fields = [report(island_id, island.epoch, seq, births=births) for seq in
              range(first, first + n)]
    for f in fields:
        assert c.report(worker, f) == REPORT_ACCEPTED
    assert c.snapshot(worker, island_id, island.epoch, first + n,
                      snap(f"{island_id}.{first + n}")[0])
    return fields


def vote(c: Coordinator, worker: str, job: Job, fields: list[dict[str, Any]]) -> str:
    assert c.assign_job(worker) is job
    return c.result(worker, job.id, [fingerprint(f) for f in fields])


def test_a_sampled_span_becomes_a_job_for_another_worker() -> None:
    c, _ = setup(rate=1.0)
    [island] = c.lease("a", 1)
    fields = run_span(c, "a", island.id, 0, 2)
    [job] = c.jobs.values()
    assert (job.island, job.producer, job.start.seq, job.end_seq) == (island.id, "a", 0, 2)
    assert job.start.snapshot == b"" and job.start.founders == [b"\x01" * 12]  # fresh start
    assert list(job.span.steps) == [100, 100] and job.span.counts.steps == 200
    assert c.assign_job("a") is None  # never its own
    assert vote(c, "b", job, fields) == "verified"
    assert not c.jobs and c.validation_view()["verified"] == 1
    assert c.totals_view()["steps"] == 200


def test_a_report_names_the_immigrant_batches_that_entered_before_it() -> None:
    c, _ = setup(rate=1.0)
    [island] = c.lease("a", 1)
    island.inbox = [b"\x07" * 12]
    [(first, genomes)] = c.take_immigrants(island)
    assert genomes == [b"\x07" * 12]
    island.inbox = [b"\x08" * 12]
    [(second, _)] = c.take_immigrants(island)
    f0 = report(island.id, island.epoch, 0, consumed=[second])  # the later batch first
    f1 = report(island.id, island.epoch, 1, consumed=[first])
    assert c.report("a", f0) == REPORT_ACCEPTED and c.report("a", f1) == REPORT_ACCEPTED
    c.snapshot("a", island.id, island.epoch, 2, snap(f"{island.id}.2")[0])
    [job] = c.jobs.values()  # re-run with exactly what entered, in that order
    assert [job.span.entering(k) for k in (0, 1)] == [[b"\x08" * 12], [b"\x07" * 12]]
    f2 = report(island.id, island.epoch, 2, consumed=[first])  # entered already
    assert c.report("a", f2) == REPORT_REFUSED
    assert island.holder is None and ("revoke", "a", island.id, island.epoch - 1) in c.notices


def test_a_batch_whose_hand_out_was_lost_is_never_charged_to_another() -> None:
    """Issue 15, failure 1: a hand-out journaled but never delivered (the server was killed
    before its acknowledgement left); the worker's reports enter later batches only. Each
    report is charged exactly what it names; the lost batch is offered again."""
    c, _ = setup(rate=1.0)
    [island] = c.lease("a", 1)
    island.inbox = [bytes([k]) * 12 for k in range(13)]
    [(lost, _)] = c.take_immigrants(island)  # never arrived
    island.inbox = [b"\x63" * 12]
    [(later, _)] = c.take_immigrants(island)
    assert c.report("a", report(island.id, island.epoch, 0, consumed=[later])) == \
        REPORT_ACCEPTED
    assert island.span is not None and island.span.entering(0) == [b"\x63" * 12]
    assert [b for b, _ in c.outstanding(island)] == [lost]  # offered again, whole
    assert c.report("a", report(island.id, island.epoch, 1, consumed=[lost])) == \
        REPORT_ACCEPTED
    assert island.span.entering(1) == [bytes([k]) * 12 for k in range(13)]
    assert not c.outstanding(island)
    # the journal replays the same charges onto a restarted coordinator
    meta, payload = Coordinator(1, 1, b"\x01" * 12, 100, validation_rate=1.0).state()
    fresh = Coordinator(1, 1, b"\x01" * 12, 100, validation_rate=1.0)
    fresh.load(meta, payload)
    for event in c.events:
        fresh.replay(event)
    replayed = fresh.islands[island.id]
    assert replayed.span is not None and replayed.span.immigrants == island.span.immigrants


def test_a_new_incarnation_settles_the_old_leases_and_a_stalled_lease_is_freed() -> None:
    c, clock = setup(islands=3)
    assert not c.join("a", "host-a", 4, incarnation=11)  # first seen: nothing to settle
    c.lease("a", 2)
    assert not c.join("a", "host-a", 4, incarnation=11)  # reconnection: keeps its leases
    assert c.join("a", "host-a", 4, incarnation=12)  # a restarted process
    held = sorted(c.workers["a"].islands)
    assert c.settle("a") == held and not c.workers["a"].islands
    assert all(c.islands[i].holder is None for i in held)
    [island] = c.lease("b", 1)
    clock.now += 50
    c.seen("b")  # heartbeats do not keep a lease that makes no progress
    assert c.stalled(60) == []
    clock.now += 20
    c.holding["b"] = 99  # re-running a validation job: its leases wait
    assert c.stalled(60) == []
    del c.holding["b"]
    assert c.stalled(60) == [island.id] and island.holder is None
    assert ("revoke", "b", island.id, island.epoch - 1) in c.notices


def three_workers(islands: int) -> tuple[Coordinator, Island, Island, list[dict[str, Any]]]:
    """Workers a, b and c (rate 1); a and b hold an island each; a has run a 2-batch span."""
    c, _ = setup(islands=islands, rate=1.0)
    c.join("c", "host-c", 4)
    [mine] = c.lease("a", 1)
    [theirs] = c.lease("b", 1)
    return c, mine, theirs, run_span(c, "a", mine.id, 0, 2)


def fps(fields: list[dict[str, Any]]) -> list[bytes]:
    return [fingerprint(f) for f in fields]


def test_a_validator_that_disagrees_with_the_servers_rerun_is_quarantined() -> None:
    c, mine, theirs, fields = three_workers(3)
    run_span(c, "b", theirs.id, 0, 1)
    job = next(j for j in c.jobs.values() if j.island == mine.id)
    before = c.totals_view()["steps"]
    wrong = [dict(f, births=f["births"] + 1) for f in fields]
    assert vote(c, "b", job, wrong) == "disputed"
    assert c.totals_view()["steps"] == before - 200  # both results set aside
    assert ("arbitrate", job.id) in c.notices and c.disputes() == [job]
    assert c.assign_job("c") is not job  # a dispute is the server's to settle
    assert c.arbitrate(job.id, fps(fields)) == "verified"
    assert c.is_quarantined("b") and "b" not in c.workers
    assert c.totals_view()["steps"] == before - 100  # a's span counts again; b's is gone
    assert theirs.holder is None and theirs.next_seq == 0 and theirs.snapshot == b""
    assert ("quarantine", "b", c.quarantined["b"]["reason"]) in c.notices
    assert c.totals.reports_invalid == 1 and c.validation_view()["quarantines"] == 1


def test_a_producer_in_the_minority_loses_all_of_its_lease() -> None:
    c, _ = setup(islands=2, rate=1.0)
    c.join("c", "host-c", 4)
    [first, second] = c.lease("a", 2)
    good = run_span(c, "a", first.id, 0, 1)
    other = run_span(c, "a", second.id, 0, 2)
    lied = run_span(c, "a", first.id, 1, 2, births=9)
    jobs = sorted(c.jobs.values(), key=lambda j: j.id)
    assert vote(c, "b", jobs[0], good) == "verified"
    assert vote(c, "b", jobs[1], other) == "verified"  # (verified work is still undone)
    truth = [dict(f, births=3) for f in lied]
    lying = next(j for j in c.jobs.values() if j.island == first.id)
    assert vote(c, "b", lying, truth) == "disputed"
    assert c.arbitrate(lying.id, fps(truth)) == "failed"
    assert c.is_quarantined("a") and c.quarantined["a"]["job"] == lying.id
    for island in (first, second):  # every island it held, back to where its lease began
        assert island.holder is None and island.next_seq == 0 and island.snapshot == b""
    assert c.totals_view()["steps"] == 0 and c.totals.reports_invalid == 5
    assert not c.jobs  # the jobs on discarded work are closed
    assert c.validation_view()["failed"] == 1
    assert c.result("b", lying.id, []) == "ignored"


def test_a_later_lease_built_on_a_wrong_span_goes_back_to_its_start() -> None:
    c, _ = setup(islands=1, rate=1.0)
    c.join("c", "host-c", 4)
    [island] = c.lease("a", 1)
    good = run_span(c, "a", island.id, 0, 1)
    lied = run_span(c, "a", island.id, 1, 1, births=9)
    first, second = sorted(c.jobs.values(), key=lambda j: j.id)
    assert vote(c, "b", first, good) == "verified"
    c.lose("a", "timeout")  # a leaves; b carries the island on from a's last snapshot
    [again] = c.lease("b", 1)
    lease_b = again.epoch
    run_span(c, "b", island.id, 2, 2)
    assert c.totals_view()["steps"] == 400
    truth = [dict(f, births=3) for f in lied]
    assert vote(c, "c", second, truth) == "disputed"
    assert c.arbitrate(second.id, fps(truth)) == "failed"
    assert c.is_quarantined("a") and not c.quarantined.keys() - {"a"}
    assert island.next_seq == 1 and island.holder is None  # back to the span's start
    assert c.totals_view()["steps"] == 100  # b's work on top of the wrong result is gone
    assert ("revoke", "b", island.id, lease_b) in c.notices


def test_a_snapshot_that_contradicts_its_own_report_quarantines_at_once() -> None:
    c, _ = setup(rate=0.0)
    [island] = c.lease("a", 1)
    c.report("a", report(island.id, island.epoch, 0))
    assert not c.snapshot("a", island.id, island.epoch, 1, snap("something else")[0])
    assert c.is_quarantined("a") and island.holder is None and c.totals_view()["steps"] == 0


def test_when_producer_and_validator_both_differ_from_the_server_both_are_quarantined(
        ) -> None:
    c, _ = setup(islands=1, rate=1.0)
    c.join("c", "host-c", 4)
    [island] = c.lease("a", 1)
    fields = run_span(c, "a", island.id, 0, 1)
    [job] = c.jobs.values()
    assert vote(c, "b", job, [dict(fields[0], births=7)]) == "disputed"
    assert c.arbitrate(job.id, fps([dict(fields[0], births=8)])) == "failed"
    assert sorted(c.quarantined) == ["a", "b"]
    assert island.holder is None and island.next_seq == 0
    assert c.arbitrate(job.id, []) == "ignored"


def test_two_colluding_validators_cannot_get_an_honest_producer_quarantined() -> None:
    c, _ = setup(islands=2, rate=1.0)
    c.join("c", "host-c", 4)
    c.join("d", "host-d", 4)
    [island] = c.lease("a", 1)
    fields = run_span(c, "a", island.id, 0, 2)
    [job] = c.jobs.values()
    lie = [dict(f, births=0) for f in fields]
    assert vote(c, "b", job, lie) == "disputed"
    assert c.assign_job("c") is None  # the second colluder gets no vote on it
    assert c.result("c", job.id, fps(lie)) == "ignored"
    assert c.arbitrate(job.id, fps(fields)) == "verified"
    assert list(c.quarantined) == ["b"] and not c.is_quarantined("a")
    assert c.totals_view()["steps"] == 200 and c.totals_view()["steps_verified"] == 200


def test_a_cheaters_spans_of_ended_leases_are_undone_with_what_was_built_on_them() -> None:
    """Issue 16, case 4: a cheater that gives its leases back after each snapshot keeps
    none of its unverified work once caught, wherever it lies."""
    c, _ = setup(islands=2, rate=1.0)
    c.join("c", "host-c", 4)
    [first] = c.lease("a", 1)
    run_span(c, "a", first.id, 0, 2, births=9)  # false, never checked (its job stays open)
    c.release("a", first.id, first.epoch)
    held = c.lease("b", 2)  # b carries it on from a's snapshot
    [second] = [i for i in held if i is not first]
    c.release("b", second.id, second.epoch)
    honest_on_top = run_span(c, "b", first.id, 2, 1)
    on_top = next(j for j in c.jobs.values() if j.producer == "b")
    on_top.offered.add("c")  # (given to c: assign_job would give it a's older job first)
    assert c.result("c", on_top.id, fps(honest_on_top)) == "verified"
    assert c.lease("a", 1) == [second]
    lied = run_span(c, "a", second.id, 0, 1, births=9)
    job = next(j for j in c.jobs.values() if j.island == second.id)
    truth = [dict(f, births=3) for f in lied]
    job.offered.add("c")
    assert c.result("c", job.id, fps(truth)) == "disputed"
    assert c.arbitrate(job.id, fps(truth)) == "failed"
    assert c.is_quarantined("a")
    assert first.next_seq == 0 and first.snapshot == b"" and first.holder is None
    assert c.totals_view()["steps"] == 0 and c.totals_view()["steps_verified"] == 0
    assert c.totals.steps_invalid == 400  # its 300 and the 100 built on them


def test_a_checkpoint_with_open_spans_anchors_and_history_loads_back() -> None:
    c, mine, theirs, _ = three_workers(2)
    run_span(c, "b", theirs.id, 0, 1)
    c.report("a", report(mine.id, mine.epoch, 2))  # an open span on top of the lease anchor
    meta, payload = c.state()
    fresh = Coordinator(0, 1, b"\x01" * 12, 100, validation_rate=1.0)
    fresh.load(meta, payload)
    for island in c.islands.values():
        again = fresh.islands[island.id]
        assert again.span is not None and island.span is not None
        assert list(again.span.steps) == list(island.span.steps)
        assert again.span.fingerprints == island.span.fingerprints
        assert (again.anchor is None) == (island.anchor is None)
        assert [(g.start.seq, g.end_seq, g.producer) for g in again.history] == \
            [(g.start.seq, g.end_seq, g.producer) for g in island.history]
    assert fresh.totals_view() == c.totals_view()


def test_jobs_go_to_another_host_first_and_expire() -> None:
    c, clock = setup(rate=1.0)
    c.join("a2", "host-a", 4)  # a second process on a's machine
    [island] = c.lease("a", 1)
    run_span(c, "a", island.id, 0, 1)
    [job] = c.jobs.values()
    assert c.assign_job("a2") is None  # b, on another machine, is there
    assert c.assign_job("b") is job and c.assign_job("b") is None  # one at a time
    clock.now = 100
    c.expire_jobs(50)
    assert job.holder is None
    c.lose("b", "timeout")
    assert c.assign_job("a2") is job  # nobody else left


def test_validation_survives_a_checkpoint_and_a_replayed_journal() -> None:
    c, _, theirs, fields = three_workers(2)
    meta, payload = c.state()  # a checkpoint with the job open
    start = len(c.events)
    job = next(iter(c.jobs.values()))
    vote(c, "b", job, [dict(f, births=0) for f in fields])  # b disagrees
    run_span(c, "b", theirs.id, 0, 1)
    c.arbitrate(job.id, fps(fields))  # the server sides with a: b is quarantined
    events = c.events[start:]
    snapshots = {(e["island"], e["seq"]): snap(f"{e['island']}.{e['seq']}")[0]
                 for e in events if e["event"] == "snapshot"}
    fresh = Coordinator(0, 1, b"\x01" * 12, 100, validation_rate=1.0)
    fresh.load(meta, payload)
    assert list(fresh.jobs) == [job.id] and fresh.jobs[job.id].start.founders
    for event in events:
        fresh.replay(event, snapshots.get((event.get("island"), event.get("seq"))))
    assert fresh.quarantined == c.quarantined and list(fresh.jobs) == list(c.jobs)
    assert fresh.totals_view() == c.totals_view()
    assert fresh.validation_view() == c.validation_view()
    assert fresh.islands[theirs.id].epoch == theirs.epoch
    assert fresh.release_quarantine("b") and not fresh.is_quarantined("b")
    assert not fresh.release_quarantine("b")


def test_the_experiments_stats_sum_the_islands_figures() -> None:
    """Issue 18: each island's reported figures (bytebiota/observe.py) summed into the
    server's stats event: genotypes named by island, ecology sums, the field's mean strip."""
    c, _ = setup()
    leased = c.lease("a", 2)
    figures = {
        0: {"top_genotypes": [["0097aab", 97, 6, "0097aaa"], ["0097aaa", 97, 4, "0666god"]],
            "sizes": [[97, 10]], "mutations": {"copy": 5}, "tasks": {"NOT": 4, "NAND": 1},
            "energy": {"mean": 2.0, "total": 20.0, "broke": 1},
            "resources": {"total": 100.0, "strip": [1.0, 3.0]}, "task_events": {"NOT": 9},
            "deaths_by": {"starved": 2, "reaped": 1}, "spawned": 1},
        1: {"top_genotypes": [["0097aab", 97, 8, "0097aaa"]], "sizes": [[97, 8], [45, 2]],
            "mutations": {"copy": 1}, "tasks": {"NOT": 3},
            "energy": {"mean": 4.0, "total": 40.0, "broke": 0},
            "resources": {"total": 50.0, "strip": [3.0, 5.0]}, "task_events": {"NOT": 1},
            "deaths_by": {"starved": 1}, "spawned": 0},
    }
    for island in leased:
        fields = {**report(island.id, island.epoch, 0, population=10),
                  "stats": {"step": 100, **figures[island.id]}}
        assert c.report("a", fields) == REPORT_ACCEPTED
    event = c.stats_event()
    assert event["top_genotypes"] == [["1/0097aab", 97, 8, "1/0097aaa"],
                                      ["0/0097aab", 97, 6, "0/0097aaa"],
                                      ["0/0097aaa", 97, 4, "0/0666god"]]
    assert event["top"] == ["1/0097aab", 8]
    assert event["sizes"] == [[45, 2], [97, 18]] and event["mutations"] == {"copy": 6}
    assert event["tasks"] == {"NOT": 7, "NAND": 1} and event["task_events"] == {"NOT": 10}
    assert event["energy"] == {"mean": 3.0, "total": 60.0, "broke": 1}  # 60 over 20 cells
    assert event["resources"] == {"total": 150.0, "strip": [2.0, 4.0]}
    assert event["deaths_by"] == {"starved": 3, "reaped": 1} and event["spawned"] == 1
    assert c.soup(0, 1000) is None  # no map reported
    c.islands[0].stats["soup"] = {"segments": 1, "names": [], "runs": [[-1, 1]], "held": [0]}
    assert c.soup(0, 1000) == {"segments": 1, "names": [], "runs": [[-1, 1]], "held": [0],
                               "island": 0, "occupancy": 0.97}
    assert c.soup(7, 1000) is None


def test_a_classic_experiments_stats_have_no_ecology_figures() -> None:
    c, _ = setup()
    [island] = c.lease("a", 1)
    fields = {**report(island.id, island.epoch, 0), "stats": {"step": 100, "sizes": [[80, 10]]}}
    assert c.report("a", fields) == REPORT_ACCEPTED
    event = c.stats_event()
    assert "energy" not in event and "tasks" not in event and event["top"] is None
