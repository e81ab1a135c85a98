"""`bytebiota run`, `culture`, `asm`, `disasm` and `bench` as real processes."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bytebiota import checkpoints
from bytebiota.genome import asm
from tests.conftest import Cli, clean_environ

CLASSIC_RUN = ("run", "--regime", "classic", "--set", "CONSOLE_SUMMARY=false",
               "--set", "LOG_INTERVAL_SLICES=500")


ECOLOGY_RUN = ("run", "--set", "CONSOLE_SUMMARY=false", "--set", "LOG_INTERVAL_SLICES=500",
               "--set", "SOUP_SIZE=100000", "--set", "ENV_LENGTH=128",
               "--set", "AGE_ERROR_INTERVAL=2000")
REGIMES = pytest.mark.parametrize("regime_run", [CLASSIC_RUN, ECOLOGY_RUN],
                                  ids=["classic", "ecology"])


def events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


LATEST = Path("data", "runs", "latest")  # the latest run's directory, from the current one
JOURNAL = LATEST / "journal.jsonl"


def test_run_writes_a_journal_and_a_final_checkpoint(cli: Cli, tmp_path: Path) -> None:
    result = cli(*CLASSIC_RUN, "--seed", "3", "--max-steps", "400000")
    assert result.returncode == 0, result.stderr
    journal = events(tmp_path / JOURNAL)
    header, *middle, end = journal
    assert header["event"] == "header" and header["seed"] == 3 and header["format"] == 1
    assert header["core"] in ("compiled", "pure") and header["config"]["SOUP_SIZE"] == 60000
    stats = [e for e in middle if e["event"] == "stats"]
    assert len(stats) >= 3
    last = stats[-1]
    assert last["step"] == 400_000 and end == {"event": "end", "step": 400_000,
                                              "digest": last["digest"]}
    assert sum(n for _, n in last["sizes"]) == last["population"]
    assert set(last["mutations"]) == {"background", "copy", "flaw", "insertion", "deletion"}
    genotypes = [e for e in middle if e["event"] == "genotype"]
    assert genotypes[0]["name"] == "0080aaa" and genotypes[0]["parent"] == "0666god"
    run = (tmp_path / LATEST).resolve()
    saved = run / "genebank" / "0080aaa.asm"
    assert asm.load(saved).code == asm.ancestor("classic").code
    assert asm.load(saved).meta["parent"] == "0666god"
    assert saved.read_text().startswith(f"; genotype 0080aaa of run {run.name}, saved by ")
    steps = [checkpoints.read(p)[0]["step"] for p in checkpoints.listing(run, "run")]
    assert steps == [400_000, 0]  # newest first; the first at the run's start


def test_same_seed_same_journal(cli: Cli, tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        cli(*CLASSIC_RUN, "--seed", "9", "--max-steps", "200000", cwd=tmp_path / name)
    assert (tmp_path / "a" / JOURNAL).read_text() == (tmp_path / "b" / JOURNAL).read_text()


@REGIMES
def test_compiled_and_pure_give_the_same_journal(cli: Cli, tmp_path: Path,
                                                 regime_run: tuple[str, ...]) -> None:
    for mode in ("compiled", "pure"):
        (tmp_path / mode).mkdir()
        result = cli(*regime_run, "--seed", "4", "--max-steps", "150000",
                     env={"BYTEBIOTA_CORE": mode}, cwd=tmp_path / mode)
        if result.returncode != 0 and "no compiled core" in result.stderr:
            pytest.skip("no compiled core here")
        assert result.returncode == 0, result.stderr
    compiled, pure = events(tmp_path / "compiled" / JOURNAL), events(tmp_path / "pure" / JOURNAL)
    assert compiled[0].pop("core") == "compiled" and pure[0].pop("core") == "pure"
    assert compiled == pure


@REGIMES
def test_resume_continues_exactly(cli: Cli, tmp_path: Path, regime_run: tuple[str, ...]) -> None:
    whole = cli(*regime_run, "--seed", "5", "--max-steps", "300000", "--journal", "whole.jsonl",
                "--data-dir", "one")
    assert whole.returncode == 0, whole.stderr
    half = cli(*regime_run, "--seed", "5", "--max-steps", "150000", "--data-dir", "two")
    assert half.returncode == 0, half.stderr
    rest = cli(*regime_run, "--resume", "--max-steps", "300000", "--data-dir", "two")
    assert rest.returncode == 0, rest.stderr
    resumed = events(tmp_path / "two" / "runs" / "latest" / "journal.jsonl")
    original = events(tmp_path / "whole.jsonl")
    assert resumed[-1] == original[-1]  # the same final step and digest
    assert next(e for e in resumed if e["event"] == "resume")["step"] == 150_000
    later = [e for e in resumed if e["event"] == "stats" and e["step"] > 150_000]
    assert later == [e for e in original if e["event"] == "stats" and e["step"] > 150_000]


def test_a_damaged_checkpoint_is_refused_and_nothing_is_overwritten(cli: Cli,
                                                                    tmp_path: Path) -> None:
    assert cli(*CLASSIC_RUN, "--seed", "5", "--max-steps", "50000").returncode == 0
    directory = tmp_path / LATEST
    last, first = checkpoints.listing(directory, "run")
    journal = directory / "journal.jsonl"
    before = journal.read_bytes()
    data = last.read_bytes()
    for damaged in (data[: len(data) // 2], data[:100] + bytes([data[100] ^ 1]) + data[101:]):
        last.write_bytes(damaged)
        result = cli(*CLASSIC_RUN, "--resume", str(last), "--max-steps", "90000")
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1 and "checksum" in result.stderr
        assert last.read_bytes() == damaged and journal.read_bytes() == before
    first.write_bytes(first.read_bytes()[:1000])
    result = cli(*CLASSIC_RUN, "--resume", "--max-steps", "90000")
    assert result.returncode == 2 and "no checkpoint to resume" in result.stderr
    assert result.stderr.count("warning: skipping") == 2


def _running(tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    """An unbounded classic run, once its journal has a few events."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bytebiota", *CLASSIC_RUN, "--seed", "1"],
        cwd=tmp_path, env=clean_environ(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )
    journal = tmp_path / JOURNAL
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not journal.exists() or
                                           journal.read_text().count("\n") < 3):
        time.sleep(0.05)
    return process, journal


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_checkpoint_and_exit_zero(tmp_path: Path, signum: int) -> None:
    """SIGHUP (the terminal went away, issue 14 case 6) stops like SIGTERM: with a
    checkpoint, not a death without one."""
    process, journal = _running(tmp_path)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    end = events(journal)[-1]
    assert end["event"] == "end"
    checkpoint = checkpoints.listing(journal.parent, "run")[0]
    assert checkpoints.read(checkpoint)[0]["step"] == end["step"]
    # Stopped between chunks, never inside the world: the final state is an exact one.
    verified = subprocess.run([sys.executable, "-m", "bytebiota", "replay", str(journal),
                               "--verify"], env=clean_environ(), capture_output=True,
                              text=True, timeout=300, check=False)
    assert verified.returncode == 0, verified.stderr


def test_a_closed_stdout_checkpoints_and_ends_the_journal(tmp_path: Path) -> None:
    """``bytebiota run | head -1`` (issue 14, case 6): the reader goes away after one line;
    the run stops as on SIGTERM, with a checkpoint and an ``end`` event, and no traceback."""
    command = [sys.executable, "-m", "bytebiota", "run", "--regime", "classic", "--seed", "1",
               "--set", "LOG_INTERVAL_SLICES=500"]
    result = subprocess.run(f"{shlex.join(command)} 2>run.err | head -1", shell=True,
                            cwd=tmp_path, env=clean_environ(), capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.stdout.startswith("step ") and result.stdout.count("\n") == 1
    err = (tmp_path / "run.err").read_text()
    assert "Traceback" not in err and "Exception ignored" not in err, err
    journal = tmp_path / JOURNAL
    end = events(journal)[-1]
    assert end["event"] == "end", err
    checkpoint = checkpoints.listing(journal.parent, "run")[0]
    assert checkpoints.read(checkpoint)[0]["step"] == end["step"]
    assert "stdout closed" in err


def test_ctrl_c_checkpoints_and_exits_130(tmp_path: Path) -> None:
    process, journal = _running(tmp_path)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert events(journal)[-1]["event"] == "end"


def test_culture_of_the_ancestor_and_of_a_parasite(cli: Cli, tmp_path: Path) -> None:
    result = cli("culture", "classic", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["replicates"] is True
    assert 750 <= report["first_daughter_instructions"] <= 900
    assert 300 <= report["cells"] <= 450
    # The classic parasite: the ancestor's first 45 bytes with site 42 made nop_1.
    parasite = bytearray(asm.ancestor("classic").code[:45])
    parasite[42] = 1
    (tmp_path / "p.bin").write_bytes(bytes(parasite))
    report = json.loads(cli("culture", "p.bin", "--json", "--steps", "200000").stdout)
    assert report == {"replicates": False, "cells": 1, "first_daughter_instructions": None,
                      "instructions": 200_000}  # it ran the whole culture
    text = cli("culture", "classic", "--steps", "10000").stdout
    assert "replicates alone" in text and "827 instructions" in text


def test_asm_and_disasm_round_trip(cli: Cli, tmp_path: Path) -> None:
    source = asm.ANCESTORS / "classic.asm"
    result = cli("asm", str(source), "-o", "a.bin")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "a.bin").read_bytes() == asm.ancestor("classic").code
    text = cli("disasm", "a.bin").stdout
    (tmp_path / "b.asm").write_text(text)
    assert asm.load(tmp_path / "b.asm").code == asm.ancestor("classic").code


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("nop_0\nnop_9\n", "bad.asm:2: unknown mnemonic 'nop_9'"),
        ("nop_0 nop_1\n", "bad.asm:1: one mnemonic per line"),
        (".colour red\nnop_0\n", "bad.asm:1: unknown header .colour"),
        (".size 3\nnop_0\n", "header says .size 3 but there are 1 instructions"),
        ("; nothing\n", "bad.asm: no instructions"),
    ],
)
def test_bad_genomes_exit_2_naming_file_and_line(cli: Cli, tmp_path: Path, content: str,
                                                 fragment: str) -> None:
    (tmp_path / "bad.asm").write_text(content)
    result = cli("asm", "bad.asm")
    assert result.returncode == 2 and fragment in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_bad_binary_genome(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "x.bin").write_bytes(bytes([1, 2, 200]))
    result = cli("disasm", "x.bin")
    assert result.returncode == 2 and "byte 2 is 200" in result.stderr
    assert cli("disasm", "missing.bin").returncode == 2


@pytest.mark.slow
def test_bench_quick_json(cli: Cli) -> None:
    result = cli("bench", "--quick", "--json", "--repetitions", "1", timeout=600)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data["workloads"]) == {"ancestor", "classic", "ecology"}
    for row in data["workloads"].values():
        assert row["pure_ips"] > 0
        if data["machine"]["core"] == "compiled":
            assert row["ratio"] == pytest.approx(row["compiled_ips"] / row["pure_ips"])
    assert os.cpu_count() is None or data["machine"]["cores"] >= 1


def test_genome_diff_aligns_a_point_mutation_and_a_truncation(cli: Cli, tmp_path: Path) -> None:
    parasite = bytearray(asm.ancestor("classic").code[:45])
    parasite[42] = 1
    (tmp_path / "p.bin").write_bytes(bytes(parasite))
    result = cli("genome", "diff", "classic", "p.bin")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split()[:4] == ["42", "nop_0", "~", "42"] for line in lines)
    assert sum(1 for line in lines if line.rstrip().endswith("<")) == 35
    assert lines[-1] == "80 vs 45 bytes; 44 aligned identical, 36 differ"
    same = cli("genome", "diff", "classic", "classic").stdout.splitlines()
    assert same[-1] == "80 vs 80 bytes; 80 aligned identical, 0 differ"


def test_a_resumed_run_keeps_its_worlds_configuration(cli: Cli, tmp_path: Path) -> None:
    """A resumed classic run, resumed without --regime, is judged and checkpointed as the
    classic world it continues: its health events stay classic, its checkpoint records
    REGIME=classic, so a second resume that names --regime classic is no contradiction.
    (The invocation's defaults, the ecology regime's, had leaked into both.)"""
    assert cli(*CLASSIC_RUN, "--seed", "5", "--max-steps", "150000").returncode == 0
    first = cli("run", "--headless", "--resume", "--max-steps", "300000")
    assert first.returncode == 0, first.stderr
    newest = checkpoints.listing(tmp_path / LATEST, "run")[0]
    assert checkpoints.read(newest)[0]["config"]["REGIME"] == "classic"
    second = cli("run", "--headless", "--regime", "classic", "--resume", "--max-steps",
                 "450000")
    assert second.returncode == 0, second.stderr
    health = [e for e in events(tmp_path / JOURNAL) if e["event"] == "health"]
    assert health[-1]["step"] == 450_000 and {e["regime"] for e in health} == {"classic"}
