"""`genome diff`, `disasm` and `asm` take RUN:GENOTYPE as well as files, for both instruction sets,
through one loader; bad operands are one line and exit status 2."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bytebiota.genome.asm import ANCESTORS, load
from tests.conftest import Cli

RUN_ID = "2026-12-01-classic-seed1"
ECOLOGY_ID = "2026-12-01-ecology-seed1"


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    """Two run directories with saved genotypes, as `run` leaves them: a classic run (the
    ancestor, a point mutant and a parasite) and an ecology run (its ancestor)."""
    base = tmp_path / "data" / "runs"
    classic = (ANCESTORS / "classic.asm").read_text().splitlines()
    bank = base / RUN_ID / "genebank"
    bank.mkdir(parents=True)
    (bank / "0080aaa.asm").write_text("\n".join(classic) + "\n")
    body = [line.split(";")[0].strip() for line in classic]
    body = [line for line in body if line and not line.startswith(".")]
    mutant = [*body[:10], "nop_1" if body[10] != "nop_1" else "nop_0", *body[11:]]
    (bank / "0080aab.asm").write_text("\n".join(mutant) + "\n")
    (bank / "0045aaa.asm").write_text("\n".join(body[:45]) + "\n")
    ecology = base / ECOLOGY_ID / "genebank"
    ecology.mkdir(parents=True)
    (ecology / "0097aaa.asm").write_text((ANCESTORS / "ecology.asm").read_text())
    os.symlink(ECOLOGY_ID, base / "latest")
    return base


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bytebiota: error: "), result.stderr
    return lines[0]


def test_genome_diff_takes_run_genotypes_of_both_instruction_sets(cli: Cli, runs: Path) -> None:
    same = cli("genome", "diff", f"{RUN_ID}:0080aaa", "classic")
    assert same.returncode == 0, same.stderr
    assert same.stdout.splitlines()[-1] == "80 vs 80 bytes; 80 aligned identical, 0 differ"
    point = cli("genome", "diff", f"{RUN_ID}:0080aaa", f"{runs / RUN_ID}:0080aab")
    assert point.returncode == 0, point.stderr
    assert point.stdout.splitlines()[-1] == "80 vs 80 bytes; 79 aligned identical, 1 differ"
    parasite = cli("genome", "diff", f"{RUN_ID}:0080aaa", f"{RUN_ID}:0045")  # a unique start
    assert parasite.stdout.splitlines()[-1] == "80 vs 45 bytes; 45 aligned identical, 35 differ"
    across = cli("genome", "diff", f"{RUN_ID}:0080aaa", "latest:0097aaa", "--all")
    assert across.returncode == 0, across.stderr
    assert "0097aaa" in across.stdout.splitlines()[0]
    assert across.stdout.splitlines()[-1].startswith("80 vs 97 bytes")
    ecology = (ANCESTORS / "ecology.asm").read_text()
    mnemonics = {line.split(";")[0].strip() for line in ecology.splitlines()} - {""}
    assert any(m in across.stdout for m in mnemonics - set(
        (ANCESTORS / "classic.asm").read_text().split()))  # the ecology set's own opcodes
    data_dir = cli("genome", "diff", f"{RUN_ID}:0080aaa", f"{RUN_ID}:0080aab",
                   "--data-dir", str(runs.parent), cwd=runs.parent.parent.parent)
    assert data_dir.returncode == 0, data_dir.stderr


def test_disasm_uses_the_same_loader(cli: Cli, runs: Path) -> None:
    result = cli("disasm", f"{RUN_ID}:0045")
    assert result.returncode == 0, result.stderr
    assert ".size 45" in result.stdout
    assert _one_line(cli("disasm", f"{RUN_ID}:0080")).endswith(
        f"{RUN_ID}:0080: ambiguous: 2 genotypes of run {RUN_ID} start with 0080 "
        "(0080aaa, 0080aab)")


@pytest.mark.parametrize(("operand", "says"), [
    ("nosuch:0080aaa", "nosuch:0080aaa: no such file, and no run 'nosuch' in"),
    (f"{RUN_ID}:0080zzz", f"run {RUN_ID} has no genotype 0080zzz (saved: 0045aaa, 0080aaa, "
     "0080aab)"),
    (f"{RUN_ID}:0080", "ambiguous: 2 genotypes of run"),
    ("missing.asm", "missing.asm: no such file"),
])
def test_a_bad_operand_is_one_line(cli: Cli, runs: Path, operand: str, says: str) -> None:
    assert says in _one_line(cli("genome", "diff", "classic", operand))
    assert says in _one_line(cli("genome", "diff", operand, "classic"))


def test_asm_uses_the_same_loader(cli: Cli, runs: Path, tmp_path: Path) -> None:
    result = cli("asm", f"{RUN_ID}:0045")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "0045aaa.bin: 45 bytes\n"  # in the current directory
    out = tmp_path / "0045aaa.bin"
    assert out.read_bytes() == load(runs / RUN_ID / "genebank" / "0045aaa.asm").code
    assert not (runs / RUN_ID / "genebank" / "0045aaa.bin").exists()
    assert cli("asm", "latest:0097aaa", "-o", "e.bin").returncode == 0
    assert len((tmp_path / "e.bin").read_bytes()) == 97
    assert "no such file, and no run 'nosuch'" in _one_line(cli("asm", "nosuch:0080aaa"))
