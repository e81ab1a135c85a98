"""A run's data survives crashes (issue 14): ``kill -9`` at random moments, some in the middle
of a checkpoint, then ``--resume``; and a full disk. Real ``bytebiota run`` processes; every
wait is on a condition (a file appearing, a journal growing), with a generous deadline.

The full disk is real too, without root: RLIMIT_FSIZE (set in the child before it starts)
makes any write past the limit fail with EFBIG, as ENOSPC would on a full file system."""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bytebiota import checkpoints
from bytebiota.journal import scan
from tests import conftest
from tests.conftest import Cli, clean_environ

DEADLINE = 120.0  # generous: the machine may be busy; nothing waits this long when healthy
# A small classic soup logging (and, with cadence 0, checkpointing) every 100 slices: about
# 5,500 steps, so the run spends much of its time writing checkpoints.
KILLED_RUN = ("run", "--regime", "classic", "--set", "CONSOLE_SUMMARY=false",
              "--set", "SOUP_SIZE=20000", "--set", "LOG_INTERVAL_SLICES=100",
              "--data-dir", "d")
KILL_SEED = "11"
KILL_STEPS = 1_500_000
KILLS = 20


def events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def wait_until(condition: Callable[[], bool], what: str, pause: float = 0.001) -> None:
    # short pauses: some moments (a checkpoint being written) last milliseconds
    conftest.wait_until(condition, what, DEADLINE, pause)


def start(args: tuple[str, ...], cwd: Path, log: Path,
          file_size_limit: int | None = None) -> subprocess.Popen[bytes]:
    prefix = [sys.executable, "-m", "bytebiota"]
    if file_size_limit is not None:  # set in a small parent that then becomes bytebiota
        prefix = [sys.executable, "-c", LIMIT_THEN_EXEC, str(file_size_limit)]
    with open(log, "wb") as err:
        return subprocess.Popen([*prefix, *args], cwd=cwd, env=clean_environ(),
                                stdout=subprocess.DEVNULL, stderr=err)


# Python ignores SIGXFSZ from its start, so a write past RLIMIT_FSIZE fails with EFBIG
# instead of killing the process, as a write to a full disk fails with ENOSPC.
LIMIT_THEN_EXEC = (
    "import os, resource, sys; "
    "resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), resource.RLIM_INFINITY)); "
    "os.execv(sys.executable, [sys.executable, '-m', 'bytebiota', *sys.argv[2:]])"
)


def stats_since_start(journal: Path) -> int:
    """Stats events after the journal's last resume event (after its header if none)."""
    lines = journal.read_bytes().split(b"\n")[:-1]
    count = 0
    for raw in reversed(lines):
        if b'"event":"resume"' in raw or b'"event":"header"' in raw:
            return count
        count += b'"event":"stats"' in raw
    return count


def temporary(run: Path) -> list[Path]:
    return sorted(run.glob(".*.tmp"))


def _kill_at_moment(process: subprocess.Popen[bytes], log: Path, run: Path, kind: str,
                    stats: int, *, resuming: bool) -> bool:
    """``kill -9`` once the run has logged ``stats`` stats events since it started, and for
    the kind ``checkpoint`` once it is writing a checkpoint; whether that was left
    unfinished (its temporary file is still there)."""
    def running() -> bool:
        return process.poll() is None

    if resuming:  # the resume event is written (after the journal is cut) before this line
        wait_until(lambda: not running() or "resuming run" in log.read_text(), "it resumes")
    journal = run / "journal.jsonl"
    wait_until(lambda: not running() or stats_since_start(journal) >= stats,
               f"{stats} stats events")
    if kind == "checkpoint":
        wait_until(lambda: not running() or bool(temporary(run)), "a checkpoint being written",
                   pause=0.0002)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=DEADLINE) == -signal.SIGKILL, log.read_text()
    return bool(temporary(run))


@pytest.mark.slow
def test_kill_9_at_twenty_moments_then_resume_ends_at_the_uninterrupted_digest(
        cli: Cli, tmp_path: Path) -> None:
    reference = cli(*KILLED_RUN, "--seed", KILL_SEED, "--max-steps", str(KILL_STEPS),
                    "--data-dir", "whole", timeout=600)
    assert reference.returncode == 0, reference.stderr
    expected = events(tmp_path / "whole" / "runs" / "latest" / "journal.jsonl")[-1]

    rng = random.Random(14)  # the moments: fixed, so a failure can be replayed
    moments = [(rng.choice(("events", "events", "checkpoint")), rng.randint(1, 5))
               for _ in range(KILLS)]
    latest = tmp_path / "d" / "runs" / "latest"
    run: Path | None = None
    resumed_at: list[int] = []
    mid_checkpoint = 0
    fast = ("--set", "CHECKPOINT_CADENCE_SECONDS=0", "--max-steps", str(KILL_STEPS))
    for number, (kind, stats) in enumerate(moments):
        log = tmp_path / f"segment-{number}.log"
        if run is None:
            process = start((*KILLED_RUN, "--seed", KILL_SEED, *fast), tmp_path, log)
            wait_until((latest / "journal.jsonl").exists, "the run starts")
            run = latest.resolve()
            want = None
        else:
            found = checkpoints.newest(run, "run")
            assert found is not None
            want = found[1]["step"]
            process = start((*KILLED_RUN, "--resume", *fast), tmp_path, log)
        mid_checkpoint += _kill_at_moment(process, log, run, kind, stats,
                                          resuming=want is not None)
        text = log.read_text()
        assert "Traceback" not in text and "skipping" not in text, text
        if want is not None:  # it resumed from the newest valid checkpoint
            match = re.search(r"resuming run \S+ at step ([\d,]+) ", text)
            assert match is not None, text
            assert int(match.group(1).replace(",", "")) == want
            resumed_at.append(want)
    assert run is not None
    final = cli(*KILLED_RUN, "--resume", "--max-steps", str(KILL_STEPS), timeout=600)
    assert final.returncode == 0, final.stderr
    written = events(run / "journal.jsonl")
    assert written[-1] == expected
    # A resume from an older checkpoint cuts the resume events after it off the journal.
    assert 1 <= [e["event"] for e in written].count("resume") <= KILLS + 1
    assert not temporary(run)  # a clean start leaves no temporary file behind
    verified = cli("replay", str(run / "journal.jsonl"), "--verify", timeout=600)
    assert verified.returncode == 0, verified.stderr
    print(f"\nkill -9: {KILLS} kills, {mid_checkpoint} mid-checkpoint; resumed at steps "
          f"{resumed_at}")
    assert resumed_at == sorted(resumed_at)


# (a stats event every ~100 k steps: the classic regime's slices average 25 instructions; the
# checkpoint case needs the journal to stay well under half a checkpoint's size)
FULL_RUN = ("run", "--regime", "classic", "--set", "CONSOLE_SUMMARY=false",
            "--set", "LOG_INTERVAL_SLICES=4000", "--seed", "1")


@pytest.mark.parametrize("where", ["checkpoint", "journal"])
def test_a_full_disk_stops_the_run_with_one_line_and_the_checkpoint_intact(
        cli: Cli, tmp_path: Path, where: str) -> None:
    """Case 7's full disk: the write that fails (a checkpoint, or the journal mid-line) stops
    the run with one line naming the file, status 1; the previous checkpoint is intact, no
    temporary file is left, and ``--resume`` continues to the uninterrupted digest."""
    assert cli(*FULL_RUN, "--max-steps", "300000").returncode == 0
    run = (tmp_path / "data" / "runs" / "latest").resolve()
    before = checkpoints.listing(run, "run")[0]
    saved = before.read_bytes()
    journal = run / "journal.jsonl"
    # checkpoint: the journal has room, no checkpoint fits; journal: room for a few events
    limit = len(saved) // 2 if where == "checkpoint" else journal.stat().st_size + 3000
    log = tmp_path / "full.log"
    process = start((*FULL_RUN, "--resume", "--max-steps", "600000"), tmp_path, log,
                    file_size_limit=limit)
    assert process.wait(timeout=DEADLINE) == 1, log.read_text()
    text = log.read_text()
    assert "Traceback" not in text and "Exception ignored" not in text, text
    last = text.splitlines()[-1]
    name = r"run-\d+-\d+T\d+Z\.ckpt" if where == "checkpoint" else r"journal\.jsonl"
    assert re.fullmatch(rf"bytebiota: error: \S+/{name}: file too large", last), text
    assert before.read_bytes() == saved and checkpoints.newest(run, "run") is not None
    assert checkpoints.newest(run, "run")[0] == before  # type: ignore[index]
    assert not temporary(run) and not list(run.rglob("*.tmp"))
    # the refused line was cut off again by the writer itself (journal.Journal.append):
    # only whole events are left, nothing for the resume to repair
    assert scan(journal).problem is None

    resumed = cli(*FULL_RUN, "--resume", "--max-steps", "600000")
    assert resumed.returncode == 0, resumed.stderr
    assert "at step 300,000" in resumed.stderr
    assert "is cut off" not in resumed.stderr
    whole = cli(*FULL_RUN, "--max-steps", "600000", "--data-dir", "whole")
    assert whole.returncode == 0, whole.stderr
    assert events(journal)[-1] == \
        events(tmp_path / "whole" / "runs" / "latest" / "journal.jsonl")[-1]
