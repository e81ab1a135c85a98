"""Run directories (issue 14, cases 1, 2 and 5): each run in a directory of its own, the
latest one found by ``--resume``, contradicting flags refused, damaged journals repaired, the
old single-directory layout still read. Real ``bytebiota`` processes throughout."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from bytebiota import checkpoints
from bytebiota.genome import asm
from tests.conftest import Cli

CLASSIC = ("run", "--regime", "classic", "--set", "CONSOLE_SUMMARY=false",
           "--set", "LOG_INTERVAL_SLICES=500")
ECOLOGY = ("run", "--set", "CONSOLE_SUMMARY=false", "--set", "LOG_INTERVAL_SLICES=500",
           "--set", "SOUP_SIZE=100000", "--set", "ENV_LENGTH=128")
RUNS = Path("data", "runs")


def events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def files(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` but its lock, by relative path, with its bytes."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and p.name != "bytebiota.lock"}


def run_dirs(base: Path) -> list[Path]:
    return sorted(p for p in (base / RUNS).iterdir() if p.is_dir() and not p.is_symlink())


def ok(result: Any) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return str(result.stdout)


def test_a_second_run_leaves_the_first_intact_byte_for_byte(cli: Cli, tmp_path: Path) -> None:
    """Case 1: a second ``make run`` once truncated the first run's journal."""
    ok(cli(*CLASSIC, "--seed", "1", "--max-steps", "300000"))
    [first] = run_dirs(tmp_path)
    before = files(first)
    assert {"journal.jsonl", "genebank/0080aaa.asm"} <= set(before)
    ok(cli(*CLASSIC, "--seed", "1", "--max-steps", "200000"))
    assert files(first) == before
    assert [p.name for p in run_dirs(tmp_path)] == [first.name, first.name + "-2"]
    assert (tmp_path / RUNS / "latest").resolve().name == first.name + "-2"
    assert not list(tmp_path.rglob("*.tmp"))
    listing = ok(cli("runs")).splitlines()
    assert listing[0].split() == ["RUN", "REGIME", "SEED", "STEPS", "SIZE", "STATE"]
    assert listing[1].split()[:4] == [first.name, "classic", "1", "300,000"]
    assert listing[1].split()[-1] == "ended"
    assert listing[2].split()[:5] == ["*", first.name + "-2", "classic", "1", "200,000"]


def test_resume_continues_the_latest_run_and_refuses_contradictions(cli: Cli,
                                                                    tmp_path: Path) -> None:
    """Case 2, the README tour: an ecology run, a classic one, ``--regime classic --resume``
    continues the classic one (not the checkpoint with the highest step of any run)."""
    ok(cli(*ECOLOGY, "--seed", "4", "--max-steps", "400000"))
    [ecology] = run_dirs(tmp_path)
    ecology_files = files(ecology)
    ok(cli(*CLASSIC, "--seed", "1", "--max-steps", "150000"))
    classic = (tmp_path / RUNS / "latest").resolve()

    refused = cli(*CLASSIC, "--resume", "--seed", "99", "--regime", "ecology",
                  "--soup-size", "100000", "--max-steps", "300000")
    assert refused.returncode == 2, refused.stderr
    [line] = refused.stderr.splitlines()
    assert line.startswith(f"bytebiota: error: --resume {classic.name}: SEED=99 from --seed "
                           "(the run's: 1); REGIME=ecology from --regime (the run's: classic)"
                           "; SOUP_SIZE=100000 from --soup-size (the run's: 60000)"), line
    below = cli(*CLASSIC, "--resume", "--max-steps", "1000")
    assert below.returncode == 2
    assert "MAX_STEPS=1,000 from --max-steps is below step 150,000" in below.stderr
    assert below.stderr.count("\n") == 1

    resumed = cli(*CLASSIC, "--resume", "--seed", "1", "--max-steps", "300000")
    ok(resumed)  # a flag that agrees with the checkpoint is no contradiction
    assert f"resuming run {classic.name} at step 150,000 (seed 1)" in resumed.stderr
    journal = events(classic / "journal.jsonl")
    assert journal[-1]["event"] == "end" and journal[-1]["step"] == 300_000
    assert [e["event"] for e in journal].count("header") == 1
    assert files(ecology) == ecology_files

    other = cli(*ECOLOGY, "--resume", ecology.name, "--max-steps", "500000")
    ok(other)
    assert events(ecology / "journal.jsonl")[-1] == {
        "event": "end", "step": 500_000, "digest": events(ecology / "journal.jsonl")[-3]["digest"]}
    assert (tmp_path / RUNS / "latest").resolve() == ecology.resolve()
    whole = cli(*ECOLOGY, "--seed", "4", "--max-steps", "500000", "--data-dir", "whole")
    ok(whole)
    assert events(tmp_path / "whole" / "runs" / "latest" / "journal.jsonl")[-1] == \
        events(ecology / "journal.jsonl")[-1]
    missing = cli(*CLASSIC, "--resume", "no-such-run")
    assert missing.returncode == 2 and "no run 'no-such-run' in" in missing.stderr


def test_genebanks_are_per_run_and_say_which_run(cli: Cli, tmp_path: Path) -> None:
    """Case 5: ``0080aaa.asm`` of seed 1 and of seed 7 shared one directory. (Seeds 2 and 7
    now: under Tierra's semantics seed 1 has one permanent genotype until after 4 M.)"""
    for seed in ("2", "7"):
        ok(cli(*CLASSIC, "--seed", seed, "--max-steps", "1500000"))
    one, seven = run_dirs(tmp_path)
    assert one.name.endswith("-classic-seed2") and seven.name.endswith("-classic-seed7")
    for run in (one, seven):
        saved = sorted((run / "genebank").glob("*.asm"))
        assert "0080aaa.asm" in [path.name for path in saved]
        assert len(saved) >= (2 if run == one else 1)
        for path in saved:
            assert path.read_text().startswith(f"; genotype {path.stem} of run {run.name}, ")
    name = sorted(p.stem for p in (one / "genebank").glob("*.asm"))[-1]
    text = ok(cli("disasm", f"{one.name}:{name}"))
    assert asm.assemble(text).code == asm.load(one / "genebank" / f"{name}.asm").code
    culture = json.loads(ok(cli("culture", f"{one.name}:{name}", "--json", "--steps", "20000")))
    assert set(culture) == {"replicates", "cells", "first_daughter_instructions", "instructions"}
    mixed = json.loads(ok(cli("culture", f"{one.name}:{name}", "--with", "latest:0080aaa",
                              "--json", "--steps", "20000")))
    assert len(mixed["genotypes"]) == 2
    descent = [line for line in ok(cli("lineage", f"{one.name}:{name}")).splitlines()
               if not line.startswith(" ")]
    assert descent[0].startswith("0080aaa  from 0666god") and descent[-1].startswith(name)
    latest = ok(cli("disasm", "latest:0080aaa"))
    assert asm.assemble(latest).code == asm.ancestor("classic").code
    wrong = cli("disasm", f"{seven.name}:0999zzz")
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1
    assert f"run {seven.name} has no genotype 0999zzz (saved: 0080aaa" in wrong.stderr


def test_a_torn_and_garbage_journal_tail_is_cut_on_resume(cli: Cli, tmp_path: Path) -> None:
    ok(cli(*CLASSIC, "--seed", "2", "--max-steps", "200000"))
    run = (tmp_path / RUNS / "latest").resolve()
    journal = run / "journal.jsonl"
    whole_lines = journal.read_text().count("\n")
    with journal.open("ab") as handle:
        handle.write(b'{"event":"stats","step":9\x00\xff garbage\n{"event":"sta')
    stale = run / ".run-00000099-20261201T000000Z.ckpt.tmp"
    stale.write_bytes(b"BBCKPT1\n half a checkpoint")
    resumed = cli(*CLASSIC, "--resume", "--max-steps", "400000")
    ok(resumed)
    assert (f"{journal.relative_to(tmp_path)}: line {whole_lines + 1} is not a JSON event; "
            f"cut 49 bytes back to the last complete event (line {whole_lines})"
            ) in resumed.stderr
    assert f"removed {stale.name}" in resumed.stderr and not stale.exists()
    written = events(journal)  # every line whole JSON again
    cut = [e for e in written if e["event"] == "cut"]
    assert cut == [{"event": "cut", "step": 200_000, "bytes": 49,
                    "reason": f"line {whole_lines + 1} is not a JSON event"}]
    ok(cli("replay", str(journal), "--verify"))
    ok(cli(*CLASSIC, "--seed", "2", "--max-steps", "400000", "--data-dir", "whole"))
    assert written[-1] == events(tmp_path / "whole" / "runs" / "latest" / "journal.jsonl")[-1]


def _make_legacy(cli: Cli, tmp_path: Path) -> None:
    """The layout of versions before run directories: data/checkpoints/ with the journal
    experiment.jsonl and run-STEP.ckpt (paths in the metadata as the run was given them),
    data/genebank/."""
    ok(cli(*CLASSIC, "--seed", "3", "--max-steps", "300000"))
    run = (tmp_path / RUNS / "latest").resolve()
    legacy = tmp_path / "data" / "checkpoints"
    legacy.mkdir()
    shutil.copy(run / "journal.jsonl", legacy / "experiment.jsonl")
    shutil.copytree(run / "genebank", tmp_path / "data" / "genebank")
    meta, payload = checkpoints.read(checkpoints.listing(run, "run")[0])
    for key in ("run", "journal_bytes", "genebank", "mutations"):
        del meta[key]
    meta["journal"] = str(Path("data", "checkpoints", "experiment.jsonl"))
    (legacy / f"run-{meta['step']:016d}.ckpt").write_bytes(checkpoints.encode(meta, payload))
    shutil.rmtree(tmp_path / RUNS)


def test_the_legacy_layout_is_listed_resumed_in_place_replayed_and_read(
        cli: Cli, tmp_path: Path) -> None:
    _make_legacy(cli, tmp_path)
    listing = ok(cli("runs")).splitlines()
    assert listing[1].split()[:4] == ["legacy", "classic", "3", "300,000"]
    resumed = cli(*CLASSIC, "--resume", "--max-steps", "500000")
    ok(resumed)
    legacy = tmp_path / "data" / "checkpoints"
    assert "resuming run checkpoints at step 300,000 (seed 3)" in resumed.stderr
    assert not (tmp_path / RUNS).exists()
    assert events(legacy / "experiment.jsonl")[-1]["step"] == 500_000
    newest = checkpoints.listing(legacy, "run")[0]
    assert checkpoints.order(newest)[0] == 1  # named the new way, and found newest
    ok(cli("replay", str(legacy / "experiment.jsonl"), "--verify"))
    assert ok(cli("lineage", "--run", "legacy", "0080aaa")).startswith("0080aaa  from 0666god")
    assert asm.assemble(ok(cli("disasm", "legacy:0080aaa"))).code == \
        asm.ancestor("classic").code
    again = cli(*CLASSIC, "--resume", "legacy", "--max-steps", "600000")
    ok(again)
    assert "at step 500,000" in again.stderr


def test_a_named_checkpoint_dir_and_journal_are_used_as_given(cli: Cli, tmp_path: Path) -> None:
    """``--data-dir``, CHECKPOINT_DIR and ``--journal`` keep working for scripts that name
    their own places; a named directory that holds a run is not started over."""
    ok(cli(*CLASSIC, "--seed", "5", "--max-steps", "100000", "--set", "CHECKPOINT_DIR=mine"))
    mine = tmp_path / "mine"
    assert (mine / "journal.jsonl").exists() and checkpoints.listing(mine, "run")
    assert not (tmp_path / RUNS).exists()
    again = cli(*CLASSIC, "--seed", "6", "--max-steps", "100000", "--set", "CHECKPOINT_DIR=mine")
    assert again.returncode == 2 and "mine (CHECKPOINT_DIR) already holds a run" in again.stderr
    ok(cli(*CLASSIC, "--resume", "--max-steps", "200000", "--set", "CHECKPOINT_DIR=mine"))
    assert events(mine / "journal.jsonl")[-1]["step"] == 200_000
    ok(cli(*CLASSIC, "--seed", "5", "--max-steps", "100000", "--journal", "j.jsonl",
           "--data-dir", "d"))
    assert events(tmp_path / "j.jsonl")[0]["seed"] == 5
    assert not (tmp_path / "d" / "runs" / "latest" / "journal.jsonl").exists()


def test_a_stopped_server_run_is_listed_at_its_last_world_step(tmp_path: Path) -> None:
    # `run --jobs N` journals the server's events: a killed one ends with `report` events
    # (each carries its batch's "steps", not the run's) and `ecotype` ones (no step); the
    # run's step is the last event that has one (health, stats, end).
    from bytebiota import runs

    run_dir = tmp_path / "2026-12-02-classic-seed1"
    run_dir.mkdir()
    events = [{"event": "header", "regime": "classic", "seed": 1, "format": 4},
              {"event": "health", "step": 6_400_000, "regime": "classic"},
              {"event": "report", "island": 0, "epoch": 1, "seq": 3, "steps": 1_000_000},
              {"event": "ecotype", "island": 0, "name": "0045aaf", "kind": "parasite"},
              {"event": "report", "island": 1, "epoch": 1, "seq": 3, "steps": 1_000_000}]
    (run_dir / "journal.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    info = runs.describe(run_dir)
    assert (info.regime, info.seed, info.steps, info.state) == ("classic", "1", 6_400_000,
                                                                "stopped")
