"""Trust against adversaries (issue 16): credentials, fair share and hygiene, with a real
server and real workers on loopback, and attackers speaking the real protocol."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bytebiota.core.params import Params
from bytebiota.netcommon import Stream, read_credential
from bytebiota.protocol.connection import CLIENT, Connection, auth_mac
from bytebiota.protocol.messages import MONITOR, WORKER, Message, make
from tests.conftest import Cli
from tests.test_distributed import Cluster, surviving_reports

pytestmark = pytest.mark.slow


def token_of(cluster: Cluster) -> str:
    return (cluster.directory / "data" / "server.token").read_text().strip()


async def session(port: int, worker_id: str, key: str | bytes, *, credential: bool = False,
                  role: int = WORKER) -> tuple[Stream, Message]:
    """A session as an attacker opens one: HELLO, CHALLENGE, AUTH; the WELCOME or REJECT."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    stream = Stream(Connection(CLIENT, role=role), reader, writer)
    await stream.send(make("HELLO", role=role, worker_id=worker_id, host="attacker", cores=64,
                           memory_mb=0, compiled=True, software="attack", incarnation=7,
                           credential=credential))
    challenge = await stream.receive()
    assert challenge is not None and challenge.name == "CHALLENGE", challenge
    await stream.send(make("AUTH", mac=auth_mac(key, challenge["nonce"], role, worker_id)))
    answer = await stream.receive()
    assert answer is not None
    return stream, answer


def islands_of(data: dict[str, Any], worker: str) -> list[int]:
    return [i["id"] for i in data["islands"] if i["worker"] == worker]


def test_an_impostor_holding_the_token_cannot_act_as_an_enrolled_worker(
        cluster: Cluster, tmp_path: Path) -> None:
    cluster.server()
    cluster.worker("w1")
    before = cluster.wait_for(lambda d: d["totals"]["reports_accepted"] > 2, 60)
    credential = cluster.directory / "data" / "credentials" / "worker-w1.credential"
    assert read_credential(credential)[0] == "w1"
    assert credential.stat().st_mode & 0o777 == 0o600
    assert (cluster.directory / "data" / "credentials.json").stat().st_mode & 0o777 == 0o600
    # The impostor: the real worker program, the shared token, the victim's id, another
    # machine (its own data directory: it has no credential of w1's).
    elsewhere = tmp_path / "impostor"
    elsewhere.mkdir()
    cluster.start("impostor", "worker", extra={
        "WORKER_ID": "w1", "SERVER_TOKEN": token_of(cluster),
        "DATA_BASE_DIR": str(elsewhere / "data")})
    assert cluster.processes["impostor"].wait(timeout=60) == 1
    assert "is enrolled: it must prove its own credential" in cluster.log("impostor")
    assert "the token used for enrolled worker 'w1'" in cluster.log("server")
    # With a made-up credential it fares no better.
    stream, answer = asyncio.run(session(cluster.port, "w1", os.urandom(32), credential=True))
    asyncio.run(stream.close())
    assert answer.name == "REJECT" and answer["reason"] == "authentication failed"
    later = cluster.wait_for(
        lambda d: d["totals"]["reports_accepted"] > before["totals"]["reports_accepted"] + 3, 60)
    assert later["totals"]["reports_duplicate"] == 0  # nobody reported on w1's behalf
    assert [w["id"] for w in later["workers"]] == ["w1"]


def test_the_operator_enrols_and_revokes_one_worker(cluster: Cluster, tmp_path: Path) -> None:
    cluster.env["WORKER_ENROLMENT"] = "operator"
    enrol = cluster.command("server", "enroll", "box-1", "--output",
                            str(tmp_path / "box-1.credential"), timeout=60)
    assert enrol.returncode == 0, enrol.stderr
    assert "enrolled box-1" in enrol.stdout
    assert (tmp_path / "box-1.credential").stat().st_mode & 0o777 == 0o600
    cluster.server()
    # The token no longer enrols anyone: a worker without a credential is refused.
    cluster.worker("w-token")
    assert cluster.processes["w-token"].wait(timeout=60) == 1
    assert "WORKER_ENROLMENT=operator" in cluster.log("w-token")
    # The enrolled worker runs on "another machine": no token at all, only its credential.
    box = tmp_path / "box"
    box.mkdir()
    env = {k: v for k, v in cluster.env.items() if k != "SERVER_TOKEN"}
    cluster.env = env
    cluster.start("box-1", "worker", extra={
        "WORKER_CREDENTIAL": str(tmp_path / "box-1.credential"),
        "DATA_BASE_DIR": str(box / "data")})
    cluster.env = {**env, "DATA_BASE_DIR": str(cluster.directory / "data")}
    enrol2 = cluster.command("server", "enroll", "box-2", "--output",
                             str(tmp_path / "box-2.credential"), timeout=60)
    assert enrol2.returncode == 0, enrol2.stderr
    cluster.start("box-2", "worker", extra={
        "WORKER_CREDENTIAL": str(tmp_path / "box-2.credential"),
        "DATA_BASE_DIR": str(box / "data2")})
    data = cluster.wait_for(lambda d: {w["id"] for w in d["workers"]} == {"box-1", "box-2"}
                            and d["totals"]["reports_accepted"] > 4, 60)
    revoke = cluster.command("server", "revoke", "box-1", timeout=60)
    assert revoke.returncode == 0, revoke.stderr
    assert cluster.processes["box-1"].wait(timeout=60) == 1
    assert "revoked" in cluster.log("box-1")
    after = cluster.wait_for(lambda d: [q["id"] for q in d["quarantined"]] == ["box-1"], 60)
    assert "box-1" not in [w["id"] for w in after["workers"]]
    cluster.wait_for(lambda d: d["totals"]["reports_accepted"] >
                     after["totals"]["reports_accepted"] + 3, 60)  # box-2 goes on
    listing = cluster.output("server", "credentials", timeout=60)
    assert "box-1" in listing and "revoked" in listing and "box-2" in listing
    assert data["totals"]["steps"] > 0


def test_hoarding_is_capped_and_ids_that_drop_do_not_lock_anyone_out(cluster: Cluster) -> None:
    cluster.env.update({"ISLANDS": "6", "MAX_WORKERS": "5", "MAX_LEASES_PER_WORKER": "2",
                        "WORKER_TIMEOUT": "600"})
    cluster.server()
    token = token_of(cluster)

    async def hoard() -> list[Message]:
        stream, welcome = await session(cluster.port, "hoarder", token)
        assert welcome.name == "WELCOME"
        await stream.send(make("LEASE_REQUEST", capacity=65535))  # beyond any worker's
        assert await stream.receive() is None  # refused at arrival: that peer is closed
        stream, welcome = await session(cluster.port, "hoarder-2", token)
        assert welcome.name == "WELCOME"
        await stream.send(make("LEASE_REQUEST", capacity=1024))  # the most one may ask
        leases = []
        while (message := await stream.receive()) is not None:
            if message.name == "LEASE":
                leases.append(message)
                if len(leases) == 2:
                    break
            elif message.name == "NO_WORK":
                break
        return leases

    async def connect_and_drop(k: int) -> None:
        stream, welcome = await session(cluster.port, f"drop-{k}", token)
        assert welcome.name == "WELCOME"
        await stream.close()

    async def attack() -> list[Message]:
        leases = await hoard()
        for k in range(100):  # one after another: each one is enrolled, then gone
            await connect_and_drop(k)
        return leases

    leases = asyncio.run(asyncio.wait_for(attack(), 120))
    assert len(leases) == 2  # MAX_LEASES_PER_WORKER, whatever it asked for
    cluster.worker("honest")
    data = cluster.wait_for(lambda d: d["totals"]["reports_accepted"] > 2, 60)
    assert len(islands_of(data, "honest")) >= 1
    assert "MAX_WORKERS reached" not in cluster.log("honest")


def test_forged_worker_ids_are_refused_and_peer_strings_escaped(cluster: Cluster) -> None:
    cluster.server()
    token = token_of(cluster)
    for forged in ("evil\n12:00:00 bytebiota server: worker w1 quarantined",
                   "\x1b[2J\x1b[31mred", "x" * 129, ""):
        with pytest.raises((AssertionError, ConnectionError)):
            stream, answer = asyncio.run(session(cluster.port, forged, token))
            asyncio.run(stream.close())
            assert answer.name == "WELCOME"  # (it must not be)
    log = cluster.log("server")
    assert "\x1b" not in log and "\n12:00:00 bytebiota server: worker w1" not in log
    # A monitor's token opens monitor sessions only: as a worker it is refused.
    monitor = (cluster.directory / "data" / "monitor.token").read_text().strip()
    assert (cluster.directory / "data" / "monitor.token").stat().st_mode & 0o777 == 0o600
    stream, answer = asyncio.run(session(cluster.port, "w9", monitor))
    asyncio.run(stream.close())
    assert answer.name == "REJECT" and answer["reason"] == "authentication failed"
    stream, answer = asyncio.run(session(cluster.port, "", monitor, role=MONITOR))
    asyncio.run(stream.close())
    assert answer.name == "WELCOME"
    cluster.worker("w1")
    cluster.wait_for(lambda d: d["totals"]["reports_accepted"] > 0, 60)
    only_monitor = {k: v for k, v in cluster.env.items() if k != "SERVER_TOKEN"}
    status = subprocess.run([sys.executable, "-m", "bytebiota", "status"],
                            cwd=cluster.directory, env={**only_monitor,
                                                        "MONITOR_TOKEN": monitor},
                            capture_output=True, text=True, timeout=60, check=False)
    assert status.returncode == 0, status.stderr
    assert "w1" in status.stdout


def test_secrets_are_masked_and_open_secret_files_refused(cli: Cli, tmp_path: Path) -> None:
    env = {"SERVER_TOKEN": "hunter2-secret", "MONITOR_TOKEN": "peek-only"}
    shown = cli("config", env=env)
    assert shown.returncode == 0
    assert "hunter2-secret" not in shown.stdout and "peek-only" not in shown.stdout
    assert "********" in shown.stdout
    assert "hunter2-secret" in cli("config", "--show-secrets", env=env).stdout
    assert "hunter2-secret" not in cli("config", "--json", env=env).stdout
    toml = cli("config", "--toml", env=env)
    assert toml.returncode == 0 and "hunter2" not in toml.stdout and "SERVER_TOKEN" not in \
        toml.stdout
    refused = cli("config", "--toml", "--show-secrets", env=env)
    assert refused.returncode == 2 and "--output FILE" in refused.stderr
    written = cli("config", "--toml", "--show-secrets", "--output", "c.toml", env=env)
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "c.toml").stat().st_mode & 0o777 == 0o600
    assert "hunter2-secret" in (tmp_path / "c.toml").read_text()
    # A token file others can read is refused, in one line, by every side.
    data = tmp_path / "data"
    data.mkdir()
    (data / "server.token").write_text("open-secret\n")
    (data / "server.token").chmod(0o644)
    for command in (("status",), ("worker",), ("server",)):
        result = cli(*command, env={"DATA_BASE_DIR": str(data), "SERVER_PORT": "0",
                                    "SERVER_URL": "127.0.0.1:9"}, timeout=60)
        assert result.returncode == 2, (command, result.stderr)
        assert "mode 0644" in result.stderr and "chmod 600" in result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def forged_snapshots(params: Params) -> tuple[bytes, bytes]:
    """Two self-consistent snapshots (each ends with the SHA-256 of its body) that no core can
    use: the experiment's header followed by garbage, and a real snapshot whose header claims
    a soup of 2**31 bytes."""
    import hashlib
    import struct

    from bytebiota.core.params import LEGACY_FIELDS, PARAM_FIELDS, packed_size
    from bytebiota.core.snapshot import SNAPSHOT_MAGIC
    from bytebiota.core.world import World

    world = World(params, 7)
    real = world.snapshot()
    head = len(SNAPSHOT_MAGIC) + 2
    (version,) = struct.unpack("<H", real[head - 2 : head])  # the format it was written in
    garbage = real[: head + packed_size(version)] + os.urandom(4000)
    legacy = dict(LEGACY_FIELDS.get(version, ()))
    fields = struct.Struct("<" + "".join(code for name, code in PARAM_FIELDS
                                         if name not in legacy))
    values = list(fields.unpack(real[head : head + fields.size]))
    values[[n for n, _ in PARAM_FIELDS if n not in legacy].index("soup_size")] = 2**31
    huge = real[:head] + fields.pack(*values) + real[head + fields.size : -32]
    return (garbage + hashlib.sha256(garbage).digest(), huge + hashlib.sha256(huge).digest())


@pytest.mark.parametrize("kind", ["unrestorable", "huge"])
def test_a_poisoned_snapshot_is_refused_and_honest_workers_live(cluster: Cluster,
                                                               kind: str) -> None:
    from bytebiota.config import load
    from bytebiota.simulation import params as experiment_params

    cluster.env.update({"ISLANDS": "2"})
    cluster.server()
    config = load(environ=cluster.env, use_dotenv=False)
    garbage, huge = forged_snapshots(experiment_params(config))
    poison = garbage if kind == "unrestorable" else huge

    async def attack() -> str:
        stream, welcome = await session(cluster.port, "poisoner", token_of(cluster))
        assert welcome.name == "WELCOME"
        await stream.send(make("LEASE_REQUEST", capacity=1))
        while (lease := await stream.receive()) is not None and lease.name != "LEASE":
            pass
        assert lease is not None
        fake = {"island": lease["island"], "epoch": lease["epoch"], "seq": lease["next_seq"],
                "steps": 1000, "births": 5, "deaths": 1, "population": 10, "genotypes": 2,
                "digest": poison[-32:], "consumed": [], "emigrants": [],
                "stats": {"step": 1000, "sizes": [[80, 10]], "mutations": {}}}
        await stream.send(make("REPORT", **fake))
        await stream.send(make("SNAPSHOT", island=lease["island"], epoch=lease["epoch"],
                               seq=lease["next_seq"] + 1, data=poison))
        said = []
        while (message := await stream.receive()) is not None:
            said.append(message.name)
            if message.name == "BYE":
                return str(message["reason"])
        return " ".join(said)

    reason = asyncio.run(asyncio.wait_for(attack(), 60))
    assert "is quarantined" in reason and "unusable" in reason, reason
    assert ("not a snapshot of this experiment" in reason) == (kind == "huge"), reason
    cluster.worker("w1")
    cluster.worker("w2")
    data = cluster.wait_for(lambda d: d["totals"]["reports_accepted"] > 8 and
                            all(i["steps"] > 0 for i in d["islands"]), 90)
    assert [q["id"] for q in data["quarantined"]] == ["poisoner"]
    assert cluster.processes["w1"].poll() is None and cluster.processes["w2"].poll() is None
    assert cluster.processes["server"].poll() is None


def test_a_snapshot_claiming_a_huge_soup_is_refused_before_allocating() -> None:
    """(In this process's core: the suite runs once with each.)"""
    from bytebiota.core.params import SnapshotError
    from bytebiota.core.world import restore
    from bytebiota.simulation import default_params

    _, huge = forged_snapshots(default_params("classic"))
    with pytest.raises(SnapshotError, match="claims a soup of 2,147,483,648 bytes"):
        restore(huge)


# Every span validated, and short batches: the pure core on a busy machine re-runs them in
# time (deadlines, not bounds, are generous for the same reason).
SHORT_SPANS = {"VALIDATION_RATE": "1", "BATCH_SIZE": "1", "MIN_BATCH_SIZE": "1",
               "MAX_BATCH_SIZE": "2"}


def test_two_colluding_validators_cannot_get_honest_producers_quarantined(
        cluster: Cluster) -> None:
    """Issue 16, case 3: the two colluders contradict every span they re-run; the server
    re-runs each dispute itself, and only they are quarantined."""
    cluster.env.update(SHORT_SPANS)
    cluster.server()
    cluster.worker("w1")
    cluster.worker("w2")  # a third, independent worker that confirms w1's results
    cluster.cheater("c1", "votes")
    cluster.cheater("c2", "votes")
    data = cluster.wait_for(lambda d: sorted(q["id"] for q in d["quarantined"]) ==
                            ["c1", "c2"], 600)
    assert data["validation"]["verified"] + data["validation"]["failed"] > 0
    later = cluster.wait_for(lambda d: d["validation"]["verified"] >
                             data["validation"]["verified"] + 2, 600)
    assert sorted(q["id"] for q in later["quarantined"]) == ["c1", "c2"]
    assert {w["id"] for w in later["workers"]} == {"w1", "w2"}
    cluster.stop_server()
    events = cluster.journal()
    quarantines = [e for e in events if e.get("change") == "quarantined"]
    assert sorted(e["id"] for e in quarantines) == ["c1", "c2"]
    assert all("server's own re-run" in e["reason"] for e in quarantines)


@pytest.mark.parametrize("mode", ["smart", "steps"])
def test_a_caught_cheaters_false_steps_count_for_nothing(cluster: Cluster, mode: str) -> None:
    """Issue 16, case 4: a cheater that lies and gives each lease back after its snapshot
    (``smart``), or claims a thousand times its work (``steps``): once caught, none of its
    reports counts, wherever they lie and whatever was built on them."""
    cluster.env.update(SHORT_SPANS)
    cluster.server()
    cluster.worker("w1")
    cluster.worker("w2")
    cluster.cheater("liar", mode)
    data = cluster.wait_for(lambda d: [q["id"] for q in d["quarantined"]] == ["liar"], 600)
    reason = data["quarantined"][0]["reason"]
    assert ("no batch is longer" in reason) == (mode == "steps"), reason
    cluster.wait_for(lambda d: d["totals"]["reports_accepted"] >
                     data["totals"]["reports_accepted"] + 5, 600)
    cluster.stop_server()
    events = cluster.journal()
    kept = [r for island in surviving_reports(events).values() for r in island]
    assert not [r for r in kept if r["worker"] == "liar"]
    end = events[-1]
    assert end["event"] == "end" and end["steps"] == sum(r["steps"] for r in kept)
    lies = [e for e in events if e["event"] == "report" and e["worker"] == "liar"]
    print(f"{mode}: {len(lies)} accepted reports of the liar, none counted at the end")
