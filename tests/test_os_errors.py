"""OS errors are user errors (issue 14, case 7): every path a user names and every port, when
the operating system refuses it, ends the command with one line naming it and the reason,
exit status 1, never a traceback.

Each command that writes somewhere is walked with three kinds of place: a directory it may
not write (``/sys`` for root, who may write anything else; a mode-0555 directory otherwise),
a directory that does not exist, and a regular file where a directory should be."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, Cli, clean_environ

RUN = ("run", "--regime", "classic", "--set", "CONSOLE_SUMMARY=false",
       "--set", "LOG_INTERVAL_SLICES=500", "--seed", "2", "--max-steps", "100000")

# command -> (arguments with {P} for the place, whether a missing place is created)
COMMANDS: dict[str, tuple[tuple[str, ...], bool]] = {
    "asm -o": (("asm", "g.asm", "-o", "{P}/x.bin"), False),
    "lineage --export": (("lineage", "--data-dir", "prepared", "--export", "{P}/p.csv"), False),
    "replay --plot": (("replay", "prepared/runs/latest/journal.jsonl", "--plot", "{P}"),
                      True),
    "run --data-dir": ((*RUN, "--data-dir", "{P}"), True),
    "run --journal": ((*RUN, "--data-dir", "own", "--journal", "{P}/j.jsonl"), True),
    "server --data-dir": (("server", "--port", "0", "--data-dir", "{P}"), True),
    "worker --data-dir": (("worker", "--data-dir", "{P}", "--set", "SERVER_TOKEN=t"), True),
}
KINDS = ("unwritable", "missing", "not-a-directory")
REASONS = {"unwritable": ("permission denied", "operation not permitted"),
           "missing": ("no such directory",),
           "not-a-directory": ("not a directory",)}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with a genome to assemble and a finished run (journal, checkpoint)."""
    directory = tmp_path_factory.mktemp("prepared")
    shutil.copy(REPO / "bytebiota" / "genome" / "ancestors" / "classic.asm", directory / "g.asm")
    subprocess.run([sys.executable, "-m", "bytebiota", *RUN, "--data-dir", "prepared"],
                   cwd=directory, env=clean_environ(), check=True, capture_output=True,
                   timeout=120)
    return directory


def place(kind: str, directory: Path) -> Path:
    if kind == "unwritable":
        if os.geteuid() == 0:
            if not Path("/sys/kernel").is_dir():
                pytest.skip("root, and no /sys to be refused by")
            return Path("/sys")
        locked = directory / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        return locked
    if kind == "missing":
        return directory / "no" / "such"
    plain = directory / "plain-file"
    plain.write_text("not a directory\n")
    return plain


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_command_names_the_place_and_the_reason(cli: Cli, prepared: Path, tmp_path: Path,
                                                     name: str, kind: str) -> None:
    template, creates = COMMANDS[name]
    if kind == "missing" and creates:
        if name.startswith(("server", "worker")):
            pytest.skip("a missing data directory is created and the command serves on")
        where = place(kind, tmp_path)
        args = [a.replace("{P}", str(where)) for a in template]
        result = cli(*args, cwd=prepared)
        assert result.returncode == 0, result.stderr
        assert where.is_dir()
        return
    where = place(kind, tmp_path)
    args = [a.replace("{P}", str(where)) for a in template]
    result = cli(*args, cwd=prepared, env={"RECONNECT_MAX_ATTEMPTS": "1"})
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("bytebiota: error: ") and str(where) in line, line
    assert any(reason in line.lower() for reason in REASONS[kind]), line


def test_a_port_in_use_is_one_line(cli: Cli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("server", "--host", "127.0.0.1", "--port", str(port))
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stderr
    line = result.stderr.splitlines()[-1]
    assert line == (f"bytebiota: error: cannot listen on 127.0.0.1:{port}: "
                    "address already in use"), result.stderr
