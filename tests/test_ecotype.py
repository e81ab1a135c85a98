"""Ecological classification from cultures (bytebiota/ecotype.py)."""

from __future__ import annotations

import json

import pytest

from bytebiota.config import isolated
from bytebiota.ecotype import KINDS, classify, reference_parasite, verdict
from bytebiota.genome import asm
from tests.conftest import REPO, Cli

DATA = REPO / "tests" / "data"
STEPS = 300_000


def test_the_reference_parasite_is_the_one_evolution_finds_first() -> None:
    assert asm.load(DATA / "parasite-0045aaa.asm").code == reference_parasite()


@pytest.mark.parametrize(("path", "kind"), [
    ("parasite-0079aaf.asm", "parasite"),
    ("host-0080aae.asm", "self-replicator"),
])
def test_saved_genotypes_are_classified_with_their_evidence(path: str, kind: str) -> None:
    config = isolated(named_flags={"--regime": "classic"})
    result = classify(asm.load(DATA / path).code, config, STEPS)
    assert result.kind == kind, result.evidence
    if kind == "parasite":
        assert result.evidence["replicates_alone"] is False
        assert result.evidence["with_host"]["own_daughters"] > 10  # type: ignore[index]
    else:
        assert result.evidence["with_parasite"]["parasite_daughters"] > 10  # type: ignore[index]


def test_a_genome_that_copies_nothing_is_a_non_replicator() -> None:
    config = isolated(named_flags={"--regime": "classic"})
    result = classify(bytes(20), config, STEPS)
    assert result.kind == "non-replicator"
    assert result.evidence["with_itself"] == {"own_daughters": 0}


@pytest.mark.parametrize(("evidence", "kind"), [
    ({"replicates_alone": True}, "self-replicator"),
    ({"replicates_alone": True, "with_parasite": {
        "own_daughters": 9, "parasite_cpus_made_ours": 5, "parasite_daughters": 5}},
     "hyper-parasite"),
    ({"replicates_alone": True, "with_parasite": {
        "own_daughters": 508, "parasite_cpus_made_ours": 20, "parasite_daughters": 201}},
     "self-replicator"),
    ({"replicates_alone": True, "with_parasite": {
        "own_daughters": 9, "parasite_cpus_made_ours": 0, "parasite_daughters": 0}},
     "resistant host"),
    ({"replicates_alone": True, "with_parasite": {
        "own_daughters": 9, "parasite_cpus_made_ours": 0, "parasite_daughters": 4}},
     "self-replicator"),
    ({"replicates_alone": False, "with_host": {"own_daughters": 2}}, "parasite"),
    ({"replicates_alone": False, "with_host": {"own_daughters": 0},
      "with_itself": {"own_daughters": 6}}, "social"),
    ({"replicates_alone": False, "with_host": {"own_daughters": 0},
      "with_itself": {"own_daughters": 0}}, "non-replicator"),
])
def test_the_verdicts(evidence: dict[str, object], kind: str) -> None:
    assert verdict(evidence) == kind and kind in KINDS


def test_the_command_names_the_kind_and_its_evidence(cli: Cli) -> None:
    result = cli("classify", str(DATA / "parasite-0079aaf.asm"), "--steps", str(STEPS))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "0079aaf (79 bytes): parasite"
    assert "with host: own daughters" in result.stdout
    data = json.loads(cli("classify", "classic", "--steps", "200000", "--json").stdout)
    assert data["kind"] == "self-replicator" and data["evidence"]["replicates_alone"] is True
    bad = cli("classify", "nowhere.asm")
    assert bad.returncode == 2 and "nowhere.asm" in bad.stderr and "Traceback" not in bad.stderr
