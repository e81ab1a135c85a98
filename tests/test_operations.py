"""Operations: logging (LOG_LEVEL, journald), what `config` prints where, variables that act
or say they do not, the worker's HELLO, the server's default address."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from bytebiota.protocol.frames import FrameDecoder
from bytebiota.protocol.messages import decode
from bytebiota.variables import BY_NAME, VARIABLES, Var
from tests.conftest import REPO, Cli, clean_environ, wait_until

# (JOURNAL_STREAM empty: the tests may themselves run under systemd)
UNREACHABLE = {"SERVER_TOKEN": "abc", "RECONNECT_MAX_ATTEMPTS": "1", "RESOURCE_PRESET": "minimal",
               "SERVER_URL": "tcp://127.0.0.1:9", "JOURNAL_STREAM": ""}
STAMP = re.compile(r"^\d\d:\d\d:\d\d bytebiota worker: ", re.MULTILINE)


def test_log_level_info_shows_the_worker_lines_with_a_time(cli: Cli) -> None:
    result = cli("worker", env=UNREACHABLE)
    assert result.returncode == 1
    assert len(STAMP.findall(result.stderr)) >= 2, result.stderr  # start, retry
    # the final error is the CLI's one line, whatever the level
    assert result.stderr.splitlines()[-1].startswith("bytebiota: error: server 127.0.0.1:9")


def test_log_level_error_silences_info_lines(cli: Cli) -> None:
    result = cli("worker", env={**UNREACHABLE, "LOG_LEVEL": "ERROR"})
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        line for line in result.stderr.splitlines() if line.startswith("bytebiota: error:")]
    assert len(result.stderr.splitlines()) == 1, result.stderr


def test_under_journald_log_lines_carry_no_time_of_their_own(cli: Cli) -> None:
    result = cli("worker", env={**UNREACHABLE, "JOURNAL_STREAM": "8:12345"})
    assert result.returncode == 1
    assert not STAMP.search(result.stderr), result.stderr
    assert re.search(r"^bytebiota worker: .* on ", result.stderr, re.MULTILINE), result.stderr


def test_config_prints_only_the_table_on_stdout(cli: Cli) -> None:
    result = cli("config", "--preset", "auto")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("[global] ")
    assert "Auto-detecting" not in result.stdout
    assert result.stderr.startswith("Auto-detecting optimal resource configuration...")
    assert "Recommended preset: " in result.stderr


# Presets compute MEMORY_MB and DISK_MB and report them; computing a limit is not acting on it.
COMPUTED_ONLY = {"resources.py"}


def _sources() -> dict[Path, str]:
    skip = {"variables.py", "docgen.py"}  # the table itself and the docs made from it
    return {p: p.read_text() for p in (REPO / "bytebiota").rglob("*.py") if p.name not in skip}


def _readers(name: str, sources: dict[Path, str]) -> list[Path]:
    """The modules that read the variable: its group's field (``config.worker.cpu_percent``;
    not psutil's ``machine.memory_mb``), or its name in quotes (as
    simulation.py's table of world parameters names them), but not as a key given a value
    (a preset that merely sets ``"MEMORY_MB": ...`` does not read it)."""
    var = BY_NAME[name]
    group = "global_" if var.group == "global" else var.group
    pattern = re.compile(rf"\b(?:{group}|[a-z])\.{var.field}\b|[\"']{var.name}[\"'](?!\s*:)")
    return sorted(p for p, text in sources.items()
                  if pattern.search(text) and p.name not in COMPUTED_ONLY)


@pytest.mark.parametrize("var", [v for v in VARIABLES if not v.ignored], ids=lambda v: v.name)
def test_every_variable_acts_or_says_it_has_no_effect(var: Var) -> None:
    readers = _readers(var.name, _sources())
    if var.no_effect:
        assert readers == [], (f"{var.name} is marked 'accepted, no effect' but is read in "
                               f"{readers}: drop the mark")
    else:
        assert readers, (f"{var.name} is read nowhere: make it act, or mark it accepted with "
                         f"no effect and say why")


def _hello_from_a_real_worker(tmp_path: Path) -> dict[str, object]:
    """A listening socket that reads the worker's first frame (its HELLO) and hangs up."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        worker = subprocess.Popen(
            [sys.executable, "-m", "bytebiota", "worker", "--server-url", f"127.0.0.1:{port}"],
            cwd=tmp_path, env=clean_environ({"SERVER_TOKEN": "abc"}),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            listener.settimeout(60)
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(60)
                decoder = FrameDecoder()
                frames: list[tuple[int, bytes]] = []

                def got_a_frame() -> bool:
                    decoder.feed(conn.recv(65536))
                    frame = decoder.next_frame()
                    if frame is not None:
                        frames.append(frame)
                    return bool(frames)

                wait_until(got_a_frame, "the worker's HELLO")
        finally:
            worker.kill()
            worker.wait()
    message = decode(*frames[0])
    assert message.name == "HELLO"
    return message.fields


def test_hello_carries_the_real_cores_and_memory(tmp_path: Path) -> None:
    hello = _hello_from_a_real_worker(tmp_path)
    assert hello["cores"] == psutil.cpu_count(logical=True)
    assert hello["memory_mb"] == psutil.virtual_memory().total // 2**20


def test_the_server_listens_on_loopback_by_default(cli: Cli) -> None:
    assert BY_NAME["SERVER_HOST"].default == "127.0.0.1"
    result = cli("config", "--json")
    assert '"SERVER_HOST": {\n    "value": "127.0.0.1"' in result.stdout or \
        '"SERVER_HOST": {"value": "127.0.0.1"' in result.stdout
