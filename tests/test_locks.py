"""One writer per directory (issue 14, cases 3 and 4): run, server and worker lock the places
they write; a second process is refused with one line naming the holder; a lock left by a
killed process is taken over."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bytebiota.errors import Failure
from bytebiota.locks import LOCK_FILE, Locks
from tests.conftest import Cli, clean_environ, wait_until

RUN = ("run", "--regime", "classic", "--set", "CONSOLE_SUMMARY=false",
       "--set", "LOG_INTERVAL_SLICES=500", "--seed", "1", "--data-dir", "shared")
DEADLINE = 60.0  # generous: the machine may be busy; nothing waits this long when healthy


def events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


class Processes:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[subprocess.Popen[str]] = []

    def start(self, name: str, *args: str, env: dict[str, str] | None = None
              ) -> subprocess.Popen[str]:
        log = open(self.directory / f"{name}.log", "w")  # noqa: SIM115
        process = subprocess.Popen([sys.executable, "-m", "bytebiota", *args],
                                   cwd=self.directory, env=clean_environ(env), stdout=log,
                                   stderr=subprocess.STDOUT, text=True)
        self.started.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    group = Processes(tmp_path)
    yield group
    for process in group.started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def test_a_second_lock_names_the_holder_and_a_release_frees_it(tmp_path: Path) -> None:
    with Locks() as first:
        first.take(tmp_path / "d")
        first.take(tmp_path / "d")  # the same process again: nothing to do
        with pytest.raises(Failure) as refused:
            Locks().take(tmp_path / "d")
        text = str(refused.value)
        assert text.startswith(f"{tmp_path / 'd'} is in use by pid ")
        assert f"on {socket.gethostname()} (bytebiota " in text
    assert (tmp_path / "d" / LOCK_FILE).read_bytes() == b""  # released cleanly
    notices: list[str] = []
    with Locks(notices.append) as second:
        second.take(tmp_path / "d")
    assert notices == []


def test_two_runs_on_one_data_directory(cli: Cli, tmp_path: Path,
                                        processes: Processes) -> None:
    """Issue 14, case 3: two runs at once on one data directory each get a directory of their
    own; resuming the one that is running is refused, naming it; nothing is mixed."""
    first = processes.start("first", *RUN)
    runs = tmp_path / "shared" / "runs"

    def journals() -> list[Path]:
        return [p for p in runs.glob("*/journal.jsonl") if p.parent.name != "latest"]

    wait_until(lambda: len(journals()) == 1, "the first run has a journal")
    [first_dir] = [p.parent for p in journals()]
    wait_until(lambda: (first_dir / "journal.jsonl").read_text().count("\n") >= 3,
               "the first run's journal has events")
    second = processes.start("second", *RUN, "--seed", "2")
    wait_until(lambda: len(journals()) == 2, "the second run starts")
    [second_dir] = [p.parent for p in journals() if p.parent != first_dir]
    resumed = cli(*RUN, "--resume", first_dir.name, "--max-steps", "400000000")
    assert resumed.returncode == 1, resumed.stderr
    [line] = resumed.stderr.splitlines()
    assert line.startswith(f"bytebiota: error: {Path('shared', 'runs', first_dir.name)} is in "
                           f"use by pid {first.pid} on {socket.gethostname()} (bytebiota run "
                           ), line
    for process in (first, second):
        process.send_signal(signal.SIGTERM)
    assert first.wait(timeout=DEADLINE) == 0, processes.log("first")
    assert second.wait(timeout=DEADLINE) == 0, processes.log("second")
    for directory, seed in ((first_dir, 1), (second_dir, 2)):
        written = events(directory / "journal.jsonl")
        assert [e["event"] for e in written].count("header") == 1
        assert written[0]["seed"] == seed and written[-1]["event"] == "end"
        assert not any(e["event"] == "resume" for e in written)
        steps = [e["step"] for e in written if e["event"] == "stats"]
        assert steps == sorted(steps)
        verified = cli("replay", str(directory / "journal.jsonl"), "--verify", timeout=300)
        assert verified.returncode == 0, verified.stderr


def test_the_lock_of_a_killed_run_is_taken_over(cli: Cli, tmp_path: Path,
                                                processes: Processes) -> None:
    first = processes.start("first", *RUN)
    latest = tmp_path / "shared" / "runs" / "latest"
    wait_until(lambda: any(latest.glob("run-*.ckpt")), "a first checkpoint")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=DEADLINE)
    assert f'"pid": {first.pid}' in (latest / LOCK_FILE).read_text()
    resumed = cli(*RUN, "--resume", "--max-steps", "2000000")
    assert resumed.returncode == 0, resumed.stderr
    assert (f"bytebiota: notice: {Path('shared', 'runs', latest.resolve().name)}: taking over "
            f"the lock left by pid {first.pid} on {socket.gethostname()} (bytebiota run "
            ) in resumed.stderr
    assert events(latest / "journal.jsonl")[-1]["event"] == "end"


def test_two_servers_on_one_data_directory(cli: Cli, tmp_path: Path,
                                           processes: Processes) -> None:
    server = ("server", "--host", "127.0.0.1", "--port", "0", "--regime", "classic",
              "--set", "ISLANDS=1")
    first = processes.start("first", *server)
    wait_until(lambda: "listening on" in processes.log("first"), "the first server listens")
    journal = tmp_path / "data" / "logs" / "server.jsonl"
    before = journal.read_bytes()
    second = cli(*server)
    assert second.returncode == 1, second.stderr
    [line] = second.stderr.splitlines()
    assert line.startswith(f"bytebiota: error: data is in use by pid {first.pid} on "), line
    assert journal.read_bytes().startswith(before)
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=DEADLINE) == 0, processes.log("first")
    written = [e["event"] for e in events(journal)]
    assert written.count("header") == 1 and written.count("end") == 1
    assert "resume" not in written


def test_two_workers_with_one_id_in_one_directory(cli: Cli, processes: Processes) -> None:
    env = {"SERVER_TOKEN": "t", "SERVER_URL": "127.0.0.1:1", "WORKER_ID": "same"}
    first = processes.start("first", "worker", env=env)
    wait_until(lambda: "unreachable" in processes.log("first"), "the first worker retries")
    second = cli("worker", env=env)
    assert second.returncode == 1, second.stderr
    [line] = second.stderr.splitlines()
    assert line.startswith("bytebiota: error: worker same's cache in "), line
    assert f"is in use by pid {first.pid} on " in line
    other = cli("worker", env={**env, "WORKER_ID": "other", "RECONNECT_MAX_ATTEMPTS": "1"})
    assert "in use" not in other.stderr and "unreachable after" in other.stderr
