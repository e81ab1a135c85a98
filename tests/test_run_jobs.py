"""`bytebiota run --jobs N`: N islands on this machine as one run, with real processes (a
private server and `worker --jobs N` on loopback)."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest

from bytebiota import core
from tests.conftest import Cli, clean_environ, wait_until
from tests.test_tui import TMUX, run_in_tmux

pytestmark = pytest.mark.slow

# Short batches and frequent snapshots, so that a few seconds make a run with reports from
# both islands (the defaults aim at 5-minute batches).
FAST = ("--regime", "classic", "--set", "TARGET_INTERVAL_SECONDS=1", "--set", "BATCH_SIZE=5",
        "--set", "MIN_BATCH_SIZE=1", "--set", "MAX_BATCH_SIZE=20",
        "--set", "CHECKPOINT_INTERVAL=2", "--set", "HEARTBEAT_INTERVAL=0.5")
LATEST = Path("data", "runs", "latest")
STEPS = 20_000_000 if core.COMPILED else 2_000_000  # (the pure core is ~100x slower)


def events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def start(tmp_path: Path, *args: str, env: dict[str, str] | None = None
          ) -> subprocess.Popen[str]:
    log = open(tmp_path / "run.log", "w")  # noqa: SIM115
    return subprocess.Popen([sys.executable, "-m", "bytebiota", "run", *args],
                            cwd=tmp_path, env=clean_environ(env), stdout=log,
                            stderr=subprocess.STDOUT, text=True)


def test_jobs_2_is_one_run_with_one_journal_that_replay_reads(cli: Cli, tmp_path: Path
                                                              ) -> None:
    result = cli("run", "--jobs", "2", "--seed", "5", "--max-steps", str(STEPS), *FAST,
                 timeout=300)
    assert result.returncode == 0, result.stderr
    run = (tmp_path / LATEST).resolve()
    assert [p.name for p in (tmp_path / "data" / "runs").iterdir()
            if not p.is_symlink()] == [run.name]
    assert run.name.endswith("-classic-seed5")
    journal = events(run / "journal.jsonl")
    header, end = journal[0], journal[-1]
    assert header["event"] == "header" and header["seed"] == 5
    assert header["role"] == "server" and header["config"]["ISLANDS"] == 2
    assert end["event"] == "end" and end["steps"] >= STEPS
    stats = [e for e in journal if e["event"] == "stats"]
    assert stats and all(e["islands"] == 2 for e in stats)
    reported = {e["island"] for e in journal if e["event"] == "report"}
    assert reported == {0, 1}
    # summary lines as `run` prints them, with the islands
    assert "islands 2" in result.stdout and "step " in result.stdout
    # the private token: in the run's directory, mode 0600, never printed
    token = run / "server.token"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    assert token.read_text().strip() not in result.stdout + result.stderr
    assert list((run / "server").glob("server-*.ckpt"))
    summary = cli("replay", "latest", "--summary")
    assert summary.returncode == 0, summary.stderr
    assert f"final step     {end['steps']:,}" in summary.stdout
    listing = cli("runs")
    assert run.name in listing.stdout and "ended" in listing.stdout
    # an island's phylogeny, from the run's server files
    exported = cli("lineage", "--run", "latest", "--island", "1", "--export", "one.csv")
    assert exported.returncode == 0, exported.stderr
    assert "of island 1 (committed at" in exported.stderr
    assert (tmp_path / "one.csv").read_text().startswith("id,ancestor_list,origin_time")


def test_ctrl_c_stops_gracefully_and_resume_continues(cli: Cli, tmp_path: Path) -> None:
    process = start(tmp_path, "--jobs", "2", "--seed", "6", *FAST)
    journal_path = tmp_path / LATEST / "journal.jsonl"

    def reported() -> bool:
        return journal_path.exists() and '"event":"stats"' in journal_path.read_text() and \
            events(journal_path)[-1].get("step", 0) > 0

    wait_until(reported, "the run's journal records steps", timeout=120)
    children = descendants(process.pid)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=200) == 130, (tmp_path / "run.log").read_text()
    assert not any(alive(c) for c in children)
    journal = events(journal_path)
    assert journal[-1]["event"] == "end"
    first_end = journal[-1]["steps"]
    assert first_end > 0
    target = first_end + STEPS // 2
    below = cli("run", "--resume", "--max-steps", str(first_end - 1), *FAST)
    assert below.returncode == 2 and "is below step" in below.stderr
    assert len(below.stderr.strip().splitlines()) == 1
    resumed = cli("run", "--resume", "--max-steps", str(target), *FAST, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming run {journal_path.parent.resolve().name} at step {first_end:,}" \
        in resumed.stderr
    journal = events(journal_path)
    assert [e["event"] for e in journal].count("header") == 1
    resume = [e for e in journal if e["event"] == "resume"]
    assert resume and resume[0]["step"] == first_end  # continued, not restarted
    assert journal[-1]["event"] == "end" and journal[-1]["steps"] >= target
    steps = [e["step"] for e in journal if e["event"] == "stats"]
    assert steps == sorted(steps)
    refused = cli("run", "--resume", "--jobs", "3", *FAST)
    assert refused.returncode == 2 and "a run of 2 islands" in refused.stderr


def test_kill_9_of_the_run_leaves_no_process_behind(tmp_path: Path) -> None:
    # (no --jobs: WORKER_JOBS, which the resource preset sets, is the default)
    process = start(tmp_path, "--seed", "7", *FAST, env={"WORKER_JOBS": "2"})
    # the server, the worker's supervisor and its 2 jobs
    wait_until(lambda: len(descendants(process.pid)) >= 4, "4 child processes", timeout=120)
    children = descendants(process.pid)
    journal_path = tmp_path / LATEST / "journal.jsonl"
    wait_until(lambda: '"event":"report"' in journal_path.read_text(),
               "a report accepted", timeout=120)
    process.kill()
    process.wait(timeout=30)
    wait_until(lambda: not any(alive(c) for c in children),
               "every child of the killed run exited", timeout=150)
    # the server stopped as on SIGTERM: its checkpoint and `end` event are written
    assert events(journal_path)[-1]["event"] == "end"


def test_jobs_1_is_the_single_process_run(cli: Cli, tmp_path: Path) -> None:
    for name, extra in (("plain", ()), ("one", ("--jobs", "1"))):
        (tmp_path / name).mkdir()
        result = cli("run", "--regime", "classic", "--seed", "9", "--max-steps", "200000",
                     "--set", "CONSOLE_SUMMARY=false", *extra, cwd=tmp_path / name)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "plain" / LATEST / "journal.jsonl").read_text() == \
        (tmp_path / "one" / LATEST / "journal.jsonl").read_text()
    assert not (tmp_path / "one" / LATEST / "logs").exists()


@pytest.mark.parametrize(("args", "message"), [
    (("--jobs", "0"), "--jobs 0: must be at least 1"),
    (("--jobs", "two"), "--jobs two: not an integer"),
    (("--jobs", "2", "--no-mutations"), "--jobs 2 cannot be combined with --no-mutations"),
    (("--jobs", "2", "--journal", "j.jsonl"), "--jobs 2 cannot be combined with --journal"),
])
def test_bad_jobs_are_refused_in_one_line(cli: Cli, tmp_path: Path, args: tuple[str, ...],
                                          message: str) -> None:
    result = cli("run", *args, "--max-steps", "1000")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"bytebiota: error: {message}"] or \
        result.stderr.strip().startswith(f"bytebiota: error: {message}")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()


def test_a_one_island_run_does_not_resume_with_jobs(cli: Cli, tmp_path: Path) -> None:
    assert cli("run", "--regime", "classic", "--max-steps", "1000",
               "--set", "CONSOLE_SUMMARY=false").returncode == 0
    result = cli("run", "--resume", "--jobs", "2", "--max-steps", "2000")
    assert result.returncode == 2
    assert "a one-island run; it resumes as one" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_the_dashboard_is_the_monitors_view_and_q_stops_the_run(tmp_path: Path) -> None:
    tmux = str(TMUX)
    session = run_in_tmux(tmp_path, "--jobs", "2", *FAST)

    def capture() -> str:
        return subprocess.run([tmux, "capture-pane", "-p", "-t", session],
                              capture_output=True, text=True, check=True).stdout

    try:
        wait_until(lambda: "ByteBiota run" in capture() and "server 127.0.0.1:" in capture(),
                   "the dashboard of the run's server", timeout=120)
        wait_until(lambda: "population and health" in capture() and
                   re.search(r"step [1-9]", capture()), "the islands' first reports",
                   timeout=120)
        # the server, the worker and its 2 jobs: their data directory is in tmp_path
        children = [p for p in psutil.process_iter() if p.pid != os.getpid()
                    and str(tmp_path) in " ".join(_cmdline(p))]
        assert len(children) >= 4, [_cmdline(c)[:4] for c in children]
        # s: a checkpoint now, as in `run`'s dashboard (the server's, by SIGUSR1)
        subprocess.run([tmux, "send-keys", "-t", session, "?"], check=True)
        wait_until(lambda: "s  save" in capture(), "the keys panel", timeout=30)
        subprocess.run([tmux, "send-keys", "-t", session, "?", "s"], check=True)
        wait_until(lambda: "checkpoint requested" in capture(), "s's answer", timeout=30)
        server_log = tmp_path / LATEST / "logs" / "server.log"
        wait_until(lambda: "checkpoint written on request" in server_log.read_text(),
                   "the server's checkpoint on request", timeout=60)
        subprocess.run([tmux, "send-keys", "-t", session, "q"], check=True)
        wait_until((tmp_path / "exit").exists, "the run's end", timeout=200)
        assert (tmp_path / "exit").read_text().strip() == "EXIT=0"
    finally:
        subprocess.run([tmux, "kill-session", "-t", session], check=False)
    # the worker's jobs follow the worker within PARENT_POLL_SECONDS of its exit
    wait_until(lambda: not any(alive(c) for c in children), "every child of the run gone",
               timeout=60)
    last = events(tmp_path / LATEST / "journal.jsonl")[-1]
    assert last["event"] == "end" and last["steps"] > 0


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return []
