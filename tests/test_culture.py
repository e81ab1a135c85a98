"""``culture --with``: co-cultures and who begets whom."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bytebiota.config import isolated
from bytebiota.culture import Cancelled, coculture
from bytebiota.genome import asm
from tests.conftest import REPO, Cli

PARASITE = REPO / "tests" / "data" / "parasite-0045aaa.asm"


def test_a_parasite_persists_beside_its_host_and_begets_its_own_kind() -> None:
    host = asm.ancestor("classic").code
    parasite = asm.load(PARASITE).code
    config = isolated(named_flags={"--regime": "classic"})
    result = coculture([("host", host), ("parasite", parasite)], config, 400_000, 4)
    assert [(g["label"], g["name"], g["size"]) for g in result.genotypes] == [
        ("host", "0080aaa", 80), ("parasite", "0045aaa", 45)]
    begets = {(m, d): n for m, d, n in result.begets}
    assert begets[("0080aaa", "0080aaa")] > 50 and begets[("0045aaa", "0045aaa")] > 50
    assert result.persists["0080aaa"] and result.persists["0045aaa"]
    assert result.steps == [0, 100_000, 200_000, 300_000, 400_000]
    assert result.populations["0045aaa"][0] == 1 and max(result.populations["0045aaa"]) > 10
    assert all(len(series) == len(result.steps) for series in result.populations.values())


def test_alone_a_parasite_begets_nothing() -> None:
    config = isolated(named_flags={"--regime": "classic"})
    parasite = asm.load(PARASITE).code
    result = coculture([("p", parasite)], config, 100_000, 4)
    assert result.begets == [] and result.populations["0045aaa"] == [1] * 5


def test_the_command_reports_a_coculture(cli: Cli) -> None:
    result = cli("culture", "classic", "--with", str(PARASITE), "--steps", "100000")
    assert result.returncode == 0, result.stderr
    assert "0045aaa: 45 bytes" in result.stdout and "who begets whom" in result.stdout
    data = json.loads(cli("culture", "classic", "--with", str(PARASITE), "--steps", "50000",
                          "--json").stdout)
    assert set(data) == {"genotypes", "begets", "steps", "populations", "persists"}
    bad = cli("culture", "classic", "--with", "nowhere.asm")
    assert bad.returncode != 0 and "nowhere.asm" in bad.stderr and "Traceback" not in bad.stderr


def test_an_ecology_genome_is_cultured_in_its_own_regime(cli: Cli) -> None:
    # the ecology ancestor uses harvest and the other environment instructions: it is
    # cultured in the ecology regime, where it replicates
    result = cli("culture", "ecology", "--steps", "300000")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("0097aaa (97 bytes): replicates alone"), result.stdout
    forced = cli("culture", "ecology", "--regime", "classic")
    assert forced.returncode == 2
    assert forced.stderr.splitlines() == [
        "bytebiota: error: ecology uses instructions of the ecology set (in at byte 35 is "
        "not a classic opcode): culture it in the ecology regime (leave out --regime "
        "classic)"], forced.stderr


def test_disasm_asm_and_genome_diff_take_both_instruction_sets(cli: Cli, tmp_path: Path
                                                               ) -> None:
    from bytebiota.genome.asm import ANCESTORS

    text = cli("disasm", str(ANCESTORS / "ecology.asm"), "--regime", "classic")
    assert text.returncode == 0, text.stderr
    assert "harvest" in text.stdout
    (tmp_path / "e.asm").write_text(text.stdout)
    made = cli("asm", "e.asm", "-o", "e.bin")
    assert made.returncode == 0, made.stderr
    assert len((tmp_path / "e.bin").read_bytes()) == 97
    again = cli("disasm", "e.bin")
    assert again.returncode == 0 and "harvest" in again.stdout
    diff = cli("genome", "diff", str(ANCESTORS / "ecology.asm"), "e.bin")
    assert diff.returncode == 0, diff.stderr


def test_a_coculture_asks_whether_to_go_on_before_each_twentieth_of_its_run() -> None:
    config = isolated(named_flags={"--regime": "classic"})
    pair = [("host", asm.ancestor("classic").code), ("copy", asm.ancestor("classic").code)]
    asked: list[int] = []

    def after(n: int) -> bool:
        asked.append(1)
        return len(asked) > n

    whole = coculture(pair, config, 200_000, cancelled=lambda: after(20))
    assert len(asked) == 20 and whole == coculture(pair, config, 200_000)  # asking changes nothing
    asked.clear()
    with pytest.raises(Cancelled):
        coculture(pair, config, 200_000, cancelled=lambda: after(4))
    assert len(asked) == 5
