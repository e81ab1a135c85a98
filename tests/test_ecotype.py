"""Ecological classification from cultures (bytebiota/ecotype.py)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

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
    ("parasite-0045aaa.asm", "parasite"),
    # saved as a parasite of a run with slices of size + 120; under Tierra 6.02's 0-50
    # random slices (the classic regime's since issue 17) it makes no daughter beside the
    # ancestor in 1 M instructions, and 26-48 beside a copy of itself
    ("parasite-0079aaf.asm", "social"),
    ("host-0080aae.asm", "self-replicator"),
])
def test_saved_genotypes_are_classified_with_their_evidence(path: str, kind: str) -> None:
    config = isolated(named_flags={"--regime": "classic"})
    result = classify(asm.load(DATA / path).code, config, STEPS)
    assert result.kind == kind, result.evidence
    if kind == "parasite":
        assert result.evidence["replicates_alone"] is False
        assert result.evidence["with_host"]["own_daughters"] > 10  # type: ignore[index]
    elif kind == "social":
        assert result.evidence["with_host"]["own_daughters"] == 0  # type: ignore[index]
        assert result.evidence["with_itself"]["own_daughters"] > 10  # type: ignore[index]
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
    result = cli("classify", str(DATA / "parasite-0045aaa.asm"), "--steps", str(STEPS))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "0045aaa (45 bytes): parasite"
    assert "with host: own daughters" in result.stdout
    data = json.loads(cli("classify", "classic", "--steps", "200000", "--json").stdout)
    assert data["kind"] == "self-replicator" and data["evidence"]["replicates_alone"] is True
    bad = cli("classify", "nowhere.asm")
    assert bad.returncode == 2 and "nowhere.asm" in bad.stderr and "Traceback" not in bad.stderr


def test_the_background_classifies_the_most_abundant_first_within_its_share() -> None:
    from bytebiota.ecotype import Background

    config = isolated(named_flags={"--regime": "classic"})
    parasite = reference_parasite()
    host = asm.ancestor("classic").code
    background = Background(config, 0.1, steps=100_000)
    background.offer("0080aaa", host)
    background.offer("0045aaa", parasite)
    assert background.due(1_000_000, {"0080aaa": 5, "0045aaa": 9}) == []  # 2 cultures: 200 k
    [(name, found)] = background.due(2_000_000, {"0080aaa": 5, "0045aaa": 9})
    assert name == "0045aaa" and found.kind == "parasite"  # the more abundant first
    assert found.instructions == 200_000  # alone, then beside the host
    state = background.state()
    assert state == {"pending": [["0080aaa", host.hex()]], "spent": 200_000}
    again = Background(config, 0.1, state, steps=100_000)  # as a resumed run has it
    assert again.due(3_999_999, {}) == []  # 200 k + 200 k > 10 % of 3,999,999
    [(name, found)] = again.due(4_000_000, {})
    assert name == "0080aaa" and found.kind == "self-replicator" and again.spent == 400_000
    off = Background(config, 0.0)
    off.offer("0080aaa", host)
    assert off.pending == [] and off.due(10**9, {}) == []


def test_the_servers_classifier_queues_each_island_genotype_once_and_keeps_its_state() -> None:
    import asyncio

    from bytebiota.server.ecotypes import Classifier

    config = isolated(["ECOTYPE_SHARE=0.1"], named_flags={"--regime": "classic"})
    host = asm.ancestor("classic").code
    parasite = reference_parasite()
    classifier = Classifier(config)
    assert classifier.offer(0, [("0080aaa", host), ("0045aaa", parasite)]) == 2
    assert classifier.offer(0, [("0080aaa", host)]) == 0  # the next snapshot of island 0
    assert classifier.offer(1, [("0080aaa", host)]) == 1  # island 1's is another genotype
    written: list[dict[str, object]] = []

    def write(event: str, **fields: object) -> None:
        written.append({"event": event, **fields})

    done = asyncio.run(classifier.turn(4_000_000, {"0/0045aaa": 9}, write))
    assert done == 2 and [e["name"] for e in written] == ["0/0045aaa", "0/0080aaa"]
    assert classifier.of(["0/0045aaa", "1/0080aaa"]) == {"0/0045aaa": "parasite"}
    state = json.loads(json.dumps(classifier.state()))  # as the checkpoint keeps it
    resumed = Classifier(config, state)
    resumed.seen({**written[0], "name": "1/0080aaa", "instructions": 0})  # after the checkpoint
    assert resumed.background.pending == [] and resumed.offer(1, [("0080aaa", host)]) == 0
    assert resumed.of(["0/0080aaa"]) == {"0/0080aaa": "self-replicator"}
    assert not Classifier(isolated(named_flags={"--regime": "ecology"})).enabled


ECOTYPE_RUN = ("run", "--regime", "classic", "--seed", "1", "--headless")


def test_a_run_journals_its_genotypes_ecotypes_and_a_resumed_run_the_same(
        cli: Cli, tmp_path: Path) -> None:
    """Issue 17: newly permanent genotypes classified in the background of `run`, journaled
    as `ecotype` events at the same steps whether the run was resumed or not, shown in the
    lineage export; within ECOTYPE_SHARE of the run's instructions."""
    env = {"ECOTYPE_SHARE": "0.3"}
    whole = cli(*ECOTYPE_RUN, "--max-steps", "8000000", "--journal", "whole.jsonl",
                "--data-dir", "one", env=env, timeout=600)
    assert whole.returncode == 0, whole.stderr
    half = cli(*ECOTYPE_RUN, "--max-steps", "4000000", "--data-dir", "two", env=env,
               timeout=600)
    assert half.returncode == 0, half.stderr
    rest = cli(*ECOTYPE_RUN[:1], "--resume", "--max-steps", "8000000", "--data-dir", "two",
               "--headless", env=env, timeout=600)
    assert rest.returncode == 0, rest.stderr
    original = [json.loads(line) for line in (tmp_path / "whole.jsonl").read_text().splitlines()]
    resumed = [json.loads(line) for line in
               (tmp_path / "two" / "runs" / "latest" / "journal.jsonl").read_text().splitlines()]
    found = [e for e in original if e["event"] == "ecotype"]
    assert [e for e in resumed if e["event"] == "ecotype"] == found
    assert len(found) >= 2, found
    assert {e["kind"] for e in found} <= set(KINDS)
    assert next(e for e in found if e["name"] == "0080aaa")["kind"] == "self-replicator"
    # within its share: at most one third culture (300 k) over 30 % of the steps
    assert sum(e["instructions"] for e in found) <= 0.3 * 8_000_000 + 300_000
    exported = cli("lineage", "--run", "latest", "--export", "tree.csv", "--data-dir", "two")
    assert exported.returncode == 0, exported.stderr
    rows = {row["name"]: row for row in csv.DictReader((tmp_path / "tree.csv").open())}
    assert rows["0080aaa"]["ecotype"] == "self-replicator"
    assert {rows[e["name"]]["ecotype"] for e in found if e["name"] in rows} == \
        {e["kind"] for e in found if e["name"] in rows}


def test_a_stopping_server_waits_for_one_culture_and_keeps_the_genotype_queued() -> None:
    """The server's stop (SIGTERM) is asked before each classification of a turn and, from
    the classifying thread, before each twentieth of a co-culture: a classification cut
    short goes back to the head of the queue, writes nothing and spends nothing (a CI run
    once timed out waiting 30 s for a pure-core server's turn of up to eight
    classifications, a parasite's taking ~7 s alone in the pure core)."""
    import asyncio

    from bytebiota.server.ecotypes import Classifier

    config = isolated(["ECOTYPE_SHARE=0.1"], named_flags={"--regime": "classic"})
    host = asm.ancestor("classic").code
    parasite = reference_parasite()
    written: list[dict[str, object]] = []

    def write(event: str, **fields: object) -> None:
        written.append({"event": event, **fields})

    stopped = Classifier(config)
    stopped.offer(0, [("0080aaa", host), ("0045aaa", parasite)])
    assert asyncio.run(stopped.turn(4_000_000, {}, write, stopping=lambda: True)) == 0
    assert written == [] and len(stopped.background.pending) == 2

    asked: list[int] = []

    def stop_after_the_first_culture() -> bool:  # asked by the turn, then by the co-culture
        asked.append(1)
        return len(asked) > 1

    cut = Classifier(config)
    cut.offer(0, [("0080aaa", host), ("0045aaa", parasite)])
    assert asyncio.run(cut.turn(4_000_000, {"0/0045aaa": 9}, write,
                                stopping=stop_after_the_first_culture)) == 0
    assert written == [] and cut.background.spent == 0 and len(asked) == 2
    assert [name for name, _ in cut.background.pending] == ["0/0045aaa", "0/0080aaa"]
    done = asyncio.run(cut.turn(4_000_000, {"0/0045aaa": 9}, write))  # after a restart
    assert done == 2 and [e["name"] for e in written] == ["0/0045aaa", "0/0080aaa"]
    assert cut.of(["0/0045aaa"]) == {"0/0045aaa": "parasite"}
