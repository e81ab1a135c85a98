"""``bytebiota lineage``: the line of descent of a genotype, and the phylogeny of a run in the
ALife community's phylogeny data standard or in Newick.

The data is the genebank of a run's checkpoint (the newest of the latest run, of the run
``RUN`` in ``RUN:GENOTYPE`` or ``--run RUN``, or ``--checkpoint FILE``): every genotype that
was ever permanent (recorded: a ``genotype`` event of the journal and a file in genebank/),
with its true parent (``Genebank.parents``: the genotype of the mother of its first cell, as
the journal's ``genotype`` event records it) and the step it appeared.

A parent that never became permanent (a *transient* genotype: Tierra forgets those once they
die out) is in the tree too, by the name the records give it, so that every recorded
genotype hangs from its true parent and the run is one tree per ancestor. What a transient's
own parent was is known while it still lives in the checkpoint's genebank; once it is gone,
it is linked to its nearest ancestor that was permanent when it appeared
(``Genebank.lineage``), or, when none was yet (the first generations, before the ancestor
itself had ten cells), to the run's ancestor. Those links are *inferred*: the genotypes
between are not known, and the export says which links they are.

The CSV has the standard's ``id`` and ``ancestor_list`` (``[NONE]`` for a root), its optional
``origin_time``, ``num_orgs`` (living cells at the checkpoint) and ``total_orgs`` (cells ever
born), and our own ``name``, ``size``, ``sequence`` (the genome in hex; empty for a transient
whose genome was not kept), ``permanent``, ``inferred`` (whether the link to the ancestor
is inferred) and ``ecotype`` (its ecological class, from the journal's ``ecotype`` events;
empty when the run did not classify it) columns. Newick: one tree per root, each node named
by its genotype, branch lengths in steps (instructions) from the parent's appearance to the
child's.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from bytebiota import runs
from bytebiota.config import Config
from bytebiota.core.genebank import GOD, Genebank
from bytebiota.core.world import SnapshotError, World, restore
from bytebiota.errors import UserError
from bytebiota.genome import asm, diff
from bytebiota.run import checkpoint_source, open_checkpoint

FORMATS = ("csv", "newick")


@dataclass
class Taxon:
    id: int
    name: str
    ancestor: str  # the true parent's name, or GOD for a root
    origin: int
    genome: bytes  # b"" for a transient genotype whose genome was not kept
    alive: int
    born: int
    permanent: bool = True
    inferred: bool = False  # the link to ``ancestor`` skips genotypes nobody recorded
    ecotype: str = ""  # its ecological class, when the run classified it (``ecotype`` events)

    @property
    def size(self) -> int:
        return len(self.genome) if self.genome else int(self.name[:4])


def phylogeny(bank: Genebank) -> dict[str, Taxon]:
    """Every recorded genotype and the transient parents they name, by name, each linked to
    its parent; ids in order of appearance (parents before their children)."""
    live = {bank.names[gid]: gid for gid in range(len(bank.genomes)) if bank.genomes[gid]}
    permanent = sorted((gid for gid in range(len(bank.genomes)) if bank.permanent[gid] != 0),
                       key=lambda gid: (bank.origin[gid], bank.names[gid]))
    taxa: dict[str, Taxon] = {}
    for gid in permanent:
        taxa[bank.names[gid]] = Taxon(0, bank.names[gid], bank.parents[gid],
                                      int(bank.origin[gid]), bank.genomes[gid],
                                      int(bank.alive[gid]), int(bank.born[gid]))
    roots = [t.name for t in taxa.values() if t.ancestor == GOD]
    first_root = roots[0] if roots else GOD
    pending = [(taxa[bank.names[gid]], bank.lineage[gid]) for gid in permanent]
    while pending:
        child, nearest = pending.pop()
        name = child.ancestor
        if name == GOD or name in taxa:
            continue
        kept = live.get(name)
        if kept is not None:  # a transient still alive at the checkpoint: its record is whole
            parent = Taxon(0, name, bank.parents[kept], int(bank.origin[kept]),
                           bank.genomes[kept], int(bank.alive[kept]), int(bank.born[kept]),
                           permanent=False)
            pending.append((parent, bank.lineage[kept]))
        else:  # gone: it appeared before its child, after its nearest permanent ancestor
            above = nearest if nearest != GOD else first_root
            parent = Taxon(0, name, above, child.origin, b"", 0, 0, permanent=False,
                           inferred=True)
        taxa[name] = parent
    # A gone transient's origin is only known to precede its children's: the earliest one.
    for taxon in taxa.values():
        gone = taxa.get(taxon.ancestor)
        if gone is not None and gone.inferred:
            gone.origin = min(gone.origin, taxon.origin)
    ordered = sorted(taxa.values(), key=lambda t: (t.origin, depth(taxa, t.name), t.name))
    for k, taxon in enumerate(ordered):
        taxon.id = k
    return {t.name: t for t in ordered}


def depth(taxa: dict[str, Taxon], name: str) -> int:
    """How many links from ``name`` up to its root."""
    n = 0
    while taxa[name].ancestor in taxa:
        name = taxa[name].ancestor
        n += 1
    return n


def descent(taxa: dict[str, Taxon], name: str) -> list[Taxon]:
    """From the root down to ``name``."""
    if name not in taxa:
        raise UserError(f"{name} is not a genotype of this run's phylogeny "
                        f"({len(taxa)} are; see `bytebiota lineage --export`)")
    line = [taxa[name]]
    while line[-1].ancestor in taxa:
        line.append(taxa[line[-1].ancestor])
    return line[::-1]


def ecotypes(journal: Path, prefix: str = "") -> dict[str, str]:
    """The ecological class of each genotype the run classified (its journal's ``ecotype``
    events; none when the journal is gone or unreadable: the export goes on without).
    ``prefix``: only the names that start with it, without it (a server's are
    ``ISLAND/NAME``)."""
    found: dict[str, str] = {}
    try:
        with journal.open("rb") as handle:
            for raw in handle:
                if b'"ecotype"' not in raw:
                    continue
                try:
                    event = json.loads(raw)
                except ValueError:
                    continue
                name = str(event.get("name"))
                if event.get("event") == "ecotype" and name.startswith(prefix):
                    found[name[len(prefix):]] = str(event.get("kind"))
    except OSError:
        return {}
    return found


def write_csv(taxa: dict[str, Taxon], path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        handle = tmp.open("w", newline="")
    except OSError as exc:  # named as the user wrote it, not as our temporary file
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    with handle:
        out = csv.writer(handle)
        out.writerow(["id", "ancestor_list", "origin_time", "num_orgs", "total_orgs", "name",
                      "size", "sequence", "permanent", "inferred", "ecotype"])
        for taxon in taxa.values():
            parent = taxa.get(taxon.ancestor)
            ancestors = f"[{parent.id}]" if parent is not None else "[NONE]"
            out.writerow([taxon.id, ancestors, taxon.origin, taxon.alive, taxon.born,
                          taxon.name, taxon.size, taxon.genome.hex(),
                          str(taxon.permanent).lower(), str(taxon.inferred).lower(),
                          taxon.ecotype])
    tmp.replace(path)


def newick(taxa: dict[str, Taxon]) -> str:
    """One Newick tree per root, one per line; branch lengths in steps."""
    children: dict[str, list[Taxon]] = {}
    for taxon in taxa.values():
        children.setdefault(taxon.ancestor, []).append(taxon)

    def text(root: Taxon) -> str:
        # iterative (a line of descent can be thousands deep): post-order, children first
        done: dict[str, str] = {}
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            kids = children.get(node.name, [])
            if expanded or not kids:
                inner = ",".join(done.pop(k.name) for k in kids)
                above = taxa.get(node.ancestor)
                length = f":{node.origin - above.origin}" if above is not None else ""
                done[node.name] = (f"({inner})" if inner else "") + node.name + length
            else:
                stack.append((node, True))
                stack.extend((k, False) for k in kids)
        return done[root.name] + ";"

    return "".join(text(root) + "\n" for root in taxa.values() if root.ancestor not in taxa)


def write_newick(taxa: dict[str, Taxon], path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(newick(taxa))
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    tmp.replace(path)


def island_source(config: Config, island: int, run: str | None
                  ) -> tuple[World, str, dict[str, str]]:
    """Island ``island`` of the server whose data directory the configuration names, or of
    the `run --jobs` run ``run``: its world as last committed, a description, and the
    ecotypes the server journaled for it."""
    from bytebiota.server.app import committed_island  # (the server's modules, only here)

    snapshot, steps, journal = committed_island(config, island,
                                                runs.find(config, run) if run else None)
    try:
        world = restore(snapshot)
    except SnapshotError as exc:
        raise UserError(f"island {island}'s committed snapshot: {exc}") from None
    return (world, f"island {island} (committed at {world.steps:,} of the experiment's "
            f"{steps:,} steps)", ecotypes(journal, f"{island}/"))


def command(args: argparse.Namespace, config: Config) -> None:
    run, colon, genotype = (args.genotype or "").rpartition(":")
    if colon:  # RUN:GENOTYPE
        args.genotype = genotype
    island, slash, genotype = (args.genotype or "").partition("/")
    if slash and island.isdigit():  # ISLAND/GENOTYPE, as a server's tables name them
        if args.island is not None and args.island != int(island):
            raise UserError(f"{args.genotype} is of island {island}, not --island "
                            f"{args.island}")
        args.island, args.genotype = int(island), genotype
    if args.island is not None:
        if args.checkpoint:
            raise UserError("--island reads a server's islands: it goes without --checkpoint")
        world, source, classified = island_source(config, args.island, run or args.run)
    else:
        world, meta, path = open_checkpoint(checkpoint_source(config, run or args.run,
                                                              args.checkpoint),
                                            "no run checkpoint to read")
        source = str(path)
        classified = ecotypes(path.parent / str(meta.get("journal", "journal.jsonl")))
    taxa = phylogeny(world.genebank)
    for name, kind in classified.items():
        if name in taxa:
            taxa[name].ecotype = kind
    if args.export:
        (write_newick if args.format == "newick" else write_csv)(taxa, Path(args.export))
        transient = sum(not t.permanent for t in taxa.values())
        print(f"bytebiota: wrote {len(taxa)} genotypes of {source} ({transient} of them "
              f"parents that never became permanent) to {args.export}", file=sys.stderr)
    if not args.genotype:
        if not args.export:
            raise UserError("name a GENOTYPE, or give --export FILE")
        return
    line = descent(taxa, args.genotype)
    previous: Taxon | None = None
    for taxon in line:
        parent = previous.name if previous else GOD
        if taxon.permanent:
            print(f"{taxon.name}  from {parent}  at step {taxon.origin:,}  "
                  f"({taxon.alive} alive, {taxon.born} born)")
        else:
            seen = ("" if taxon.genome else
                    "; its genome was not kept, and genotypes between it and "
                    f"{parent} were not recorded")
            print(f"{taxon.name}  from {parent}  by step {taxon.origin:,}  "
                  f"(never permanent{seen})")
        if previous is not None and previous.genome and taxon.genome:
            rows = diff.render(asm.Genome(previous.genome), asm.Genome(taxon.genome),
                               previous.name, taxon.name, context=0)
            print("\n".join("    " + row for row in rows))
        previous = taxon
