"""``bytebiota lineage``: lines of descent and the phylogeny export, read back by the ALife
standard's own tool (ALifeStdDev)."""

from __future__ import annotations

import json
from pathlib import Path

from ALifeStdDev.phylogeny import load_phylogeny_to_networkx

from tests.conftest import Cli

ECOLOGY_RUN = ("run", "--headless", "--set", "SOUP_SIZE=300000", "--set", "ENV_LENGTH=256",
               "--seed", "2", "--max-steps", "30000000")


def test_lineage_and_a_phylogeny_the_standard_tool_reads(cli: Cli, tmp_path: Path) -> None:
    result = cli(*ECOLOGY_RUN, timeout=600)
    assert result.returncode == 0, result.stderr
    journal = [json.loads(line) for line in
               (tmp_path / "data" / "runs" / "latest" / "journal.jsonl").read_text().splitlines()]
    permanent = [e["name"] for e in journal if e["event"] == "genotype"]
    assert len(permanent) >= 3

    out = tmp_path / "phylogeny.csv"
    result = cli("lineage", "--export", str(out))
    assert result.returncode == 0, result.stderr
    tree = load_phylogeny_to_networkx(str(out))
    names = {tree.nodes[n]["name"]: n for n in tree.nodes}
    assert set(names) == set(permanent)
    roots = [n for n in tree.nodes if tree.in_degree(n) == 0]
    assert [tree.nodes[n]["name"] for n in roots] == ["0165aaa"]
    assert tree.nodes[roots[0]]["origin"] is None  # the standard's [NONE]: a root
    for parent, child in tree.edges:
        assert tree.nodes[parent]["origin_time"] <= tree.nodes[child]["origin_time"]

    last = permanent[-1]
    result = cli("lineage", last)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith("    ")]
    assert lines[0].startswith("0165aaa  from 0666god") and lines[-1].startswith(last)
    assert result.stdout.count(" differ") == len(lines) - 1  # one diff per step

    result = cli("lineage", "0165zzz")
    assert result.returncode == 2 and "0165zzz is not a permanent genotype" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_lineage_without_a_checkpoint_says_so(cli: Cli, tmp_path: Path) -> None:
    result = cli("lineage", "0165aaa")
    assert result.returncode == 2
    assert result.stderr == f"bytebiota: error: no run in {Path('data', 'runs')}\n"
