"""Faults cost nothing (issue 15): kill -9 of the server or of a worker, stopped workers,
refused handshakes, a full disk, a damaged journal: real processes on loopback.

Every wait is on a condition (status, logs, files) with a generous deadline; nothing asserts
how long anything took. The repeated faults run a few times in the suite and 20 times with
BYTEBIOTA_LONG_TESTS=1 (or BYTEBIOTA_FAULT_REPEATS=N).
"""

from __future__ import annotations

import asyncio
import functools
import os
import random
import resource
import signal
import socket
import struct
import time
from collections import Counter
from typing import Any

import pytest

from tests.conftest import wait_until
from tests.test_distributed import Cluster, surviving_reports

pytestmark = pytest.mark.slow
LONG = os.environ.get("BYTEBIOTA_LONG_TESTS") == "1"
REPEATS = int(os.environ.get("BYTEBIOTA_FAULT_REPEATS", "20" if LONG else "3"))
WORKERS = ("w1", "w2", "w3")


def connections(cluster: Cluster, name: str) -> int:
    return cluster.log(name).count("connected to ")


def reconnected(cluster: Cluster, seen: dict[str, int]) -> bool:
    """Every worker connected again since ``seen`` was counted."""
    return all(connections(cluster, n) > seen[n] for n in WORKERS)


def more_than(reports: int) -> Any:
    """A status condition: more than ``reports`` accepted."""
    return lambda d: bool(d["totals"]["reports_accepted"] > reports)


def audit(cluster: Cluster) -> list[dict[str, Any]]:
    """Stop the server and check its journal: no report key twice, and the final count is
    the sum of the reports no revocation or rollback took back."""
    cluster.stop_server()
    events = cluster.journal()
    keys = Counter((e["island"], e["epoch"], e["seq"]) for e in events
                   if e["event"] == "report")
    assert [k for k, n in keys.items() if n > 1] == []
    end = events[-1]
    assert end["event"] == "end"
    kept = surviving_reports(events)
    assert end["steps"] == sum(r["steps"] for island in kept.values() for r in island)
    return events


def test_kill_9_of_the_server_at_random_moments(cluster: Cluster) -> None:
    """3 workers, every span validated: each acknowledged report counted once, no honest
    span disputed, nobody quarantined, the workers back after each restart."""
    cluster.env.update({"VALIDATION_RATE": "1", "WORKER_TIMEOUT": "30"})
    seed = int(os.environ.get("BYTEBIOTA_FAULT_SEED", str(random.randrange(10**6))))
    rng = random.Random(seed)
    print(f"seed {seed}, {REPEATS} kills")
    cluster.server()
    for name in WORKERS:
        cluster.worker(name)
    data = cluster.wait_for(lambda d: d["totals"]["reports_accepted"] > 3, 90)
    back: list[float] = []
    for _ in range(REPEATS):
        target = data["totals"]["reports_accepted"] + rng.randint(1, 8)
        data = cluster.wait_for(more_than(target - 1), 120)
        seen = {name: connections(cluster, name) for name in WORKERS}
        cluster.processes["server"].send_signal(signal.SIGKILL)
        cluster.processes["server"].wait(timeout=10)
        killed = time.monotonic()
        cluster.server()
        wait_until(functools.partial(reconnected, cluster, seen),
                   "all three workers reconnect", 120)
        back.append(time.monotonic() - killed)
        assert cluster.status()["totals"]["steps"] >= data["totals"]["steps"]
    later = cluster.wait_for(  # the experiment goes on, validation included
        lambda d: d["totals"]["reports_accepted"] > data["totals"]["reports_accepted"] + 5,
        120)
    print(f"workers back after {max(back):.1f} s at most; validation {later['validation']}")
    v = later["validation"]
    assert v["disputed"] == v["failed"] == v["inconclusive"] == v["quarantines"] == 0
    assert later["quarantined"] == [] and later["totals"]["reports_invalid"] == 0
    for name in WORKERS:
        assert cluster.processes[name].poll() is None, cluster.log(name)[-2000:]
    audit(cluster)


def test_a_worker_killed_and_restarted_with_its_id_advances_again(cluster: Cluster) -> None:
    """The systemd unit's restart: the new process gets islands that advance, at once (the
    old process's leases are settled, not kept alive by the new one's heartbeats)."""
    cluster.env.update({"WORKER_TIMEOUT": "600", "ISLANDS": "2"})  # no expiry to help
    cluster.server()
    cluster.worker("w1")
    for k in range(REPEATS):
        data = cluster.wait_for(lambda d: any(i["worker"] == "w1" and i["steps"] > 0
                                              for i in d["islands"]), 120)
        steps = {i["id"]: i["steps"] for i in data["islands"]}
        cluster.processes["w1"].send_signal(signal.SIGKILL)
        cluster.processes["w1"].wait(timeout=10)
        restarted = time.monotonic()
        cluster.worker("w1")
        def advanced(d: dict[str, Any], s: dict[int, int] = steps) -> bool:
            return any(i["worker"] == "w1" and i["steps"] > s[i["id"]] for i in d["islands"])

        data = cluster.wait_for(advanced, 120)
        print(f"restart {k + 1}: an island advanced again after "
              f"{time.monotonic() - restarted:.1f} s")
        assert data["totals"]["steps"] == sum(i["steps"] for i in data["islands"])
    assert "go back to the pool" in cluster.log("server")
    audit(cluster)


def test_ctrl_c_and_sigterm_of_workers_never_lower_the_total(cluster: Cluster) -> None:
    """Every island a stopping worker holds gets a final snapshot: nothing is rolled back."""
    cluster.env.update({"ISLANDS": "4", "CHECKPOINT_INTERVAL": "600"})  # (snapshots rare)
    cluster.server()
    cluster.worker("w1")
    cluster.worker("w2")
    data = cluster.wait_for(lambda d: all(i["worker"] is not None for i in d["islands"])
                            and d["totals"]["reports_accepted"] > 8, 120)
    highest = data["totals"]["steps"]
    for name, sig in (("w1", signal.SIGINT), ("w2", signal.SIGTERM)):
        cluster.processes[name].send_signal(sig)
        deadline = time.monotonic() + 120
        while cluster.processes[name].poll() is None:  # sampling the total while it stops
            assert time.monotonic() < deadline, f"{name} never stopped"
            data = cluster.status()
            assert data["totals"]["steps"] >= highest
            highest = data["totals"]["steps"]
            time.sleep(0.2)
        assert cluster.processes[name].returncode == 0, cluster.log(name)[-2000:]
        data = cluster.status()
        assert data["totals"]["steps"] >= highest
        highest = data["totals"]["steps"]
    data = cluster.wait_for(lambda d: not d["workers"], 30)
    assert data["totals"]["reports_rolled_back"] == 0 and data["totals"]["steps"] == highest
    assert all(i["worker"] is None for i in data["islands"])
    audit(cluster)


def hold_the_handshake_slot(port: int) -> socket.socket:
    """A silent connection the server keeps in its handshake (not one it closed on arrival
    because the probe that saw it listening still held the only slot)."""
    deadline = time.monotonic() + 60
    while True:
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.settimeout(1.0)
        try:
            if s.recv(1) == b"":  # closed on arrival: the slot was taken
                s.close()
                assert time.monotonic() < deadline, "the handshake slot never freed"
                continue
        except TimeoutError:
            return s  # held: the server waits for its HELLO
        raise AssertionError("the server sent something before HELLO")


def test_a_refused_worker_keeps_retrying_and_joins_once_a_slot_frees(
        cluster: Cluster) -> None:
    cluster.env.update({"MAX_PENDING_CONNECTIONS": "1", "HANDSHAKE_TIMEOUT": "600",
                        "MAX_WORKERS": "1", "AUTH_FAILURE_BURST": "100000",
                        "AUTH_FAILURE_RATE": "1000"})
    cluster.server()
    silent = hold_the_handshake_slot(cluster.port)
    try:
        assert cluster.poll_status(busy_ok=True) is None  # status, refused, says why
        cluster.worker("w1")
        cluster.wait_log("w1", "closed before the challenge", 60)
        cluster.wait_log("w1", "retrying", 60)
    finally:
        silent.close()  # the slot frees: w1 gets in
    cluster.wait_for(lambda d: [w["id"] for w in d["workers"]] == ["w1"], 120, busy_ok=True)
    cluster.worker("w2")  # MAX_WORKERS reached: refused, and retries
    cluster.wait_log("w2", "MAX_WORKERS reached", 60)
    cluster.processes["w1"].send_signal(signal.SIGTERM)
    assert cluster.processes["w1"].wait(timeout=60) == 0
    cluster.wait_for(lambda d: [w["id"] for w in d["workers"]] == ["w2"]
                     and any(i["worker"] == "w2" for i in d["islands"]), 120, busy_ok=True)
    assert cluster.processes["w2"].poll() is None


def test_a_full_disk_stops_acknowledgements_and_the_server_catches_up(
        cluster: Cluster) -> None:
    """RLIMIT_FSIZE (lowered on the running server, unprivileged) makes its files refuse to
    grow, as a full disk does: it keeps serving status and heartbeats, acknowledges nothing
    it could not write, and catches up by itself once the limit is lifted."""
    cluster.env.update({"WORKER_TIMEOUT": "600"})
    cluster.server()
    cluster.worker("w1")
    cluster.wait_for(lambda d: d["totals"]["reports_accepted"] > 3, 60)
    journal = cluster.directory / "data" / "logs" / "server.jsonl"
    pid = cluster.processes["server"].pid
    limit = journal.stat().st_size + 4096
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    full = cluster.wait_for(lambda d: d["server"]["journal_backlog"] > 0, 120)
    assert "disk full" in full["server"]["disk"]
    frozen = full["totals"]["reports_accepted"]
    sessions = connections(cluster, "w1")
    # Status answers, the worker stays connected (its heartbeats answered) and goes on
    # reporting; what the server decides waits in memory, unwritten and unacknowledged.
    data = cluster.wait_for(lambda d: d["totals"]["reports_accepted"] > frozen + 2
                            and d["workers"] and d["workers"][0]["last_seen_s"] < 3, 120)
    assert data["server"]["journal_backlog"] > full["server"]["journal_backlog"]
    assert "disk full" in data["server"]["disk"]
    assert connections(cluster, "w1") == sessions
    assert cluster.log("server").count("disk full") == 1  # said once
    assert journal.stat().st_size <= limit
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,
                                                  resource.RLIM_INFINITY))
    data = cluster.wait_for(lambda d: d["server"]["disk"] == "ok"
                            and d["server"]["journal_backlog"] == 0
                            and d["totals"]["reports_accepted"] > frozen + 5, 120)
    assert "writable again" in cluster.log("server")
    assert data["totals"]["reports_stale"] == 0 and data["totals"]["reports_refused"] == 0
    assert data["totals"]["steps"] == sum(i["steps"] for i in data["islands"])
    assert connections(cluster, "w1") == sessions
    audit(cluster)


@pytest.mark.parametrize("damage", ["cut", "garbage"])
def test_a_damaged_journal_tail_is_cut_and_nothing_acknowledged_is_lost(
        cluster: Cluster, damage: str) -> None:
    """The last line cut off, or garbage after it, then a restart and more kill -9s: the
    damage is cut off (and said), appending starts after the last whole event, so a later
    restart reads everything acknowledged since; no report key twice."""
    cluster.env.update({"WORKER_TIMEOUT": "60", "CHECKPOINT_INTERVAL": "1000"})
    cluster.server()
    cluster.worker("w1")
    data = cluster.wait_for(lambda d: d["totals"]["reports_accepted"] > 5, 60)
    journal = cluster.directory / "data" / "logs" / "server.jsonl"
    for k in range(2):
        cluster.processes["server"].send_signal(signal.SIGKILL)
        cluster.processes["server"].wait(timeout=10)
        before = cluster.journal_reports() if k else 0
        if k == 0:  # (a cut-off last line may be an acknowledged report: allowed to go)
            body = journal.read_bytes()
            journal.write_bytes(body[:-7] if damage == "cut" else body + b'{"event": "rep\x00\n')
            before = data["totals"]["reports_accepted"] - 1
        cluster.server()  # replays the journal before it listens: the count is back at once
        assert cluster.status()["totals"]["reports_accepted"] >= before
        said = "bytes back to the last complete event" in cluster.log("server")
        assert said == (k == 0)  # the damage, once; the second kill left a sound journal
        data = cluster.wait_for(more_than(before + 5), 90)
    events = audit(cluster)
    [cut] = [e for e in events if e["event"] == "cut"]
    assert cut["bytes"] > 0 and cut["reason"].endswith(
        "is cut off" if damage == "cut" else "is not a JSON event")


@pytest.mark.parametrize("reset", [False, True])
def test_status_closed_on_arrival_says_the_server_is_busy(reset: bool) -> None:
    """A server that closes a connection on arrival (its handshake slots full, or the
    address rate-limited): `status` says so, whether the close reaches it as an end of
    stream or, once its HELLO has met the closed socket, as a reset."""
    from bytebiota.errors import Failure
    from bytebiota.status import BUSY, open_monitor

    async def scenario() -> str:
        def close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if reset:  # RST instead of FIN
                writer.get_extra_info("socket").setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.close()

        server = await asyncio.start_server(close, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            await open_monitor("127.0.0.1", port, "token")
        except Failure as exc:
            return str(exc)
        finally:
            server.close()
        return "no failure"

    assert asyncio.run(scenario()) == BUSY
