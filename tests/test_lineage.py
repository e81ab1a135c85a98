"""``bytebiota lineage``: lines of descent and the phylogeny export, read back by the ALife
standard's own tool (ALifeStdDev)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import newick
from ALifeStdDev.phylogeny import load_phylogeny_to_networkx

from tests.conftest import Cli

ECOLOGY_RUN = ("run", "--headless", "--set", "SOUP_SIZE=300000", "--set", "ENV_LENGTH=256",
               "--seed", "2", "--max-steps", "30000000")


def test_lineage_and_a_phylogeny_the_standard_tool_reads(cli: Cli, tmp_path: Path) -> None:
    result = cli(*ECOLOGY_RUN, timeout=600)
    assert result.returncode == 0, result.stderr
    journal = [json.loads(line) for line in
               (tmp_path / "data" / "runs" / "latest" / "journal.jsonl").read_text().splitlines()]
    recorded = {e["name"]: e["parent"] for e in journal if e["event"] == "genotype"}
    assert len(recorded) >= 3

    out = tmp_path / "phylogeny.csv"
    result = cli("lineage", "--export", str(out))
    assert result.returncode == 0, result.stderr
    tree = load_phylogeny_to_networkx(str(out))
    names = {tree.nodes[n]["name"]: n for n in tree.nodes}
    # every recorded genotype, linked to its true parent (the journal's), the parents that
    # never became permanent included: one tree, rooted at the ancestor
    assert set(recorded) <= set(names)
    for name, parent in recorded.items():
        if parent != "0666god":
            assert [tree.nodes[p]["name"] for p in tree.predecessors(names[name])] == [parent]
    transient = set(names) - set(recorded)
    assert transient <= set(recorded.values())
    roots = [n for n in tree.nodes if tree.in_degree(n) == 0]
    assert [tree.nodes[n]["name"] for n in roots] == ["0097aaa"]
    assert tree.nodes[roots[0]]["origin"] is None  # the standard's [NONE]: a root
    assert tree.number_of_edges() == tree.number_of_nodes() - 1  # a tree
    for parent, child in tree.edges:
        assert tree.nodes[parent]["origin_time"] <= tree.nodes[child]["origin_time"]

    # the same tree in Newick, read back by a Newick parser
    nwk = tmp_path / "phylogeny.nwk"
    result = cli("lineage", "--export", str(nwk), "--format", "newick")
    assert result.returncode == 0, result.stderr
    # (newick 1.11 reads the final line break as one more, empty tree: strip it)
    trees = newick.loads(nwk.read_text().rstrip())
    assert len(trees) == 1 and trees[0].name == "0097aaa"
    edges = {(node.ancestor.name, node.name) for node in trees[0].walk() if node.ancestor}
    assert edges == {(tree.nodes[p]["name"], tree.nodes[c]["name"]) for p, c in tree.edges}

    last = list(recorded)[-1]
    result = cli("lineage", last)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith("    ")]
    assert lines[0].startswith("0097aaa  from 0666god") and lines[-1].startswith(last)
    for above, below in itertools.pairwise(lines):  # each step names the one above it
        assert below.split()[2] == above.split()[0], (above, below)

    result = cli("lineage", "0097zzz")
    assert result.returncode == 2 and "0097zzz is not a genotype of this run" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_bad_export_format_is_one_line(cli: Cli) -> None:
    result = cli("lineage", "--export", "x.nwk", "--format", "nexus")
    assert result.returncode == 2
    assert "invalid choice: 'nexus'" in result.stderr
    assert "Traceback" not in result.stderr


def test_lineage_without_a_checkpoint_says_so(cli: Cli, tmp_path: Path) -> None:
    result = cli("lineage", "0097aaa")
    assert result.returncode == 2
    assert result.stderr == f"bytebiota: error: no run in {Path('data', 'runs')}\n"


def test_a_genotype_born_before_its_ancestry_was_permanent_is_no_false_root() -> None:
    # The case: 0097aab appears while 0097aaa has fewer than 10 cells (its nearest
    # permanent ancestor then: none, 0666god), from a parent that never becomes permanent
    # and dies out; the old export made it a second root.
    from bytebiota.core.genebank import GOD, Genebank
    from bytebiota.lineage import phylogeny

    bank = Genebank()
    ancestor = bank.birth(b"\x01" * 97, -1, 0)
    transient = bank.birth(b"\x02" * 97, ancestor, 10)
    child = bank.birth(b"\x03" * 97, transient, 20)
    assert bank.lineage[child] == GOD  # what the old export read
    for _ in range(9):
        bank.birth(b"\x01" * 97, ancestor, 30)
        bank.birth(b"\x03" * 97, child, 30)
    assert bank.becomes_permanent(ancestor, 20) and bank.becomes_permanent(child, 20)
    bank.death(transient)  # extinct, never permanent: forgotten
    taxa = phylogeny(bank)
    names = {bank.names[g] for g in (ancestor, child)}
    gone = (set(taxa) - names).pop()
    assert [t.name for t in taxa.values() if t.ancestor not in taxa] == [bank.names[ancestor]]
    assert taxa[bank.names[child]].ancestor == gone and not taxa[gone].permanent
    assert taxa[gone].ancestor == bank.names[ancestor] and taxa[gone].inferred
    assert taxa[gone].origin <= taxa[bank.names[child]].origin


def test_an_island_without_a_server_says_so(cli: Cli, tmp_path: Path) -> None:
    result = cli("lineage", "--island", "0", "--export", "tree.csv")
    assert result.returncode == 2
    assert result.stderr == ("bytebiota: error: no server checkpoint in "
                             f"{Path('data', 'checkpoints', 'server')} (a `run --jobs` "
                             "run's: --run RUN --island N)\n")
    result = cli("lineage", "--island", "0", "--checkpoint", "x.ckpt", "0080aaa")
    assert result.returncode == 2 and "--island reads a server's islands" in result.stderr
    assert not (tmp_path / "tree.csv").exists()
