"""The server's bookkeeping without I/O: leases, exactly-once accounting, migration."""

from __future__ import annotations

from typing import Any

from bytebiota.protocol.messages import REPORT_ACCEPTED, REPORT_DUPLICATE, REPORT_STALE
from bytebiota.server.coordinator import Coordinator


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def report(island: int, epoch: int, seq: int, *, steps: int = 100, population: int = 10,
           emigrants: list[bytes] | None = None) -> dict[str, Any]:
    return {"island": island, "epoch": epoch, "seq": seq, "steps": steps, "births": 3,
            "deaths": 2, "population": population, "genotypes": 1,
            "emigrants": emigrants or [], "stats": {}}


def setup(islands: int = 2) -> tuple[Coordinator, Clock]:
    clock = Clock()
    c = Coordinator(islands, 1, b"\x01" * 12, 100, clock=clock)
    c.join("a", "host-a", 1)
    c.join("b", "host-b", 1)
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
    assert c.snapshot("a", island.id, e, 1, b"snap-1")
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
    assert again is island and island.snapshot == b"snap-1" and island.epoch == e + 2
    assert c.report("a", report(island.id, e, 1)) == REPORT_STALE  # the old holder's
    assert c.report("b", report(island.id, island.epoch, 1)) == REPORT_ACCEPTED
    assert c.totals_view()["steps"] == 200


def test_snapshots_must_match_the_accounting() -> None:
    c, _ = setup()
    [island] = c.lease("a", 1)
    assert not c.snapshot("a", island.id, island.epoch, 3, b"x")  # not at next_seq
    assert not c.snapshot("b", island.id, island.epoch, 0, b"x")  # not the holder
    assert c.snapshot("a", island.id, island.epoch, 0, b"x")


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
    c.snapshot("a", island.id, island.epoch, 1, b"snapshot")
    c.report("a", report(island.id, island.epoch, 1))  # pending, but acknowledged
    meta, payload = c.state()
    fresh = Coordinator(0, 1, b"\x01" * 12, 100)
    fresh.load(meta, payload)
    restored = fresh.islands[island.id]
    assert restored.snapshot == b"snapshot" and restored.next_seq == 2
    assert restored.epoch == island.epoch and restored.holder == "a"
    assert fresh.totals_view()["steps"] == 200  # nothing acknowledged is lost
    assert fresh.report("a", report(island.id, island.epoch, 2)) == REPORT_ACCEPTED


def test_journal_events_replay_onto_a_checkpoint() -> None:
    c, _ = setup(islands=1)
    meta, payload = c.state()  # the checkpoint, before anything happened
    [island] = c.lease("a", 1)
    c.report("a", report(island.id, island.epoch, 0))
    c.snapshot("a", island.id, island.epoch, 1, b"snap")
    c.report("a", report(island.id, island.epoch, 1))
    events = list(c.events)
    fresh = Coordinator(0, 1, b"\x01" * 12, 100)
    fresh.load(meta, payload)
    for event in events:
        fresh.replay(event, b"snap" if event["event"] == "snapshot" else None)
    again = fresh.islands[island.id]
    assert (again.holder, again.epoch, again.next_seq) == ("a", island.epoch, 2)
    assert again.snapshot == b"snap" and fresh.totals_view()["steps"] == 200
