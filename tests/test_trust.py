"""Trust against adversaries (issue 16): credentials, fair share and hygiene, with a real
server and real workers on loopback, and attackers speaking the real protocol."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bytebiota.netcommon import Stream, read_credential
from bytebiota.protocol.connection import CLIENT, Connection, auth_mac
from bytebiota.protocol.messages import MONITOR, WORKER, Message, make
from tests.conftest import Cli, wait_until
from tests.test_distributed import Cluster

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


def islands_of(data: dict[str, object], worker: str) -> list[int]:
    return [i["id"] for i in data["islands"] if i["worker"] == worker]  # type: ignore[index, union-attr, attr-defined]


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
    enrol = subprocess.run([sys.executable, "-m", "bytebiota", "server", "enroll", "box-1",
                            "--output", str(tmp_path / "box-1.credential")],
                           cwd=cluster.directory, env=cluster.env, capture_output=True,
                           text=True, timeout=60, check=False)
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
    enrol2 = subprocess.run([sys.executable, "-m", "bytebiota", "server", "enroll", "box-2",
                             "--output", str(tmp_path / "box-2.credential")],
                            cwd=cluster.directory, env=cluster.env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert enrol2.returncode == 0, enrol2.stderr
    cluster.start("box-2", "worker", extra={
        "WORKER_CREDENTIAL": str(tmp_path / "box-2.credential"),
        "DATA_BASE_DIR": str(box / "data2")})
    data = cluster.wait_for(lambda d: {w["id"] for w in d["workers"]} == {"box-1", "box-2"}
                            and d["totals"]["reports_accepted"] > 4, 60)
    revoke = subprocess.run([sys.executable, "-m", "bytebiota", "server", "revoke", "box-1"],
                            cwd=cluster.directory, env=cluster.env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert revoke.returncode == 0, revoke.stderr
    assert cluster.processes["box-1"].wait(timeout=60) == 1
    assert "revoked" in cluster.log("box-1")
    after = cluster.wait_for(lambda d: [q["id"] for q in d["quarantined"]] == ["box-1"], 60)
    assert "box-1" not in [w["id"] for w in after["workers"]]
    cluster.wait_for(lambda d: d["totals"]["reports_accepted"] >
                     after["totals"]["reports_accepted"] + 3, 60)  # box-2 goes on
    listing = subprocess.run([sys.executable, "-m", "bytebiota", "server", "credentials"],
                             cwd=cluster.directory, env=cluster.env, capture_output=True,
                             text=True, timeout=60, check=True).stdout
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
        await stream.send(make("LEASE_REQUEST", capacity=65535))
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

    leases = asyncio.run(attack())
    assert len(leases) == 2  # MAX_LEASES_PER_WORKER, whatever it asked for
    cluster.worker("honest")
    data = cluster.wait_for(lambda d: d["totals"]["reports_accepted"] > 2, 60)
    assert len(islands_of(data, "honest")) >= 1
    assert "MAX_WORKERS reached" not in cluster.log("honest")


def test_forged_worker_ids_are_refused_and_peer_strings_escaped(cluster: Cluster) -> None:
    cluster.server()
    token = token_of(cluster)
    for forged in ("evil\n12:00:00 bytebiota server: worker w1 quarantined",
                   "\x1b[2J\x1b[31mred", "x" * 65, ""):
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
