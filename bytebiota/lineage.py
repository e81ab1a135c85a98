"""``bytebiota lineage``: the line of descent of a permanent genotype, and the phylogeny of a
run in the ALife community's phylogeny data standard.

The data is the genebank of a run's checkpoint (the newest of the latest run, of the run
``RUN`` in ``RUN:GENOTYPE`` or ``--run RUN``, or ``--checkpoint FILE``): every genotype that
was ever permanent, with its nearest permanent ancestor (``Genebank.lineage``) and the step
it appeared. The export is a CSV with the standard's ``id`` and ``ancestor_list``
(``[NONE]`` for a root), its optional ``origin_time``, ``num_orgs`` (living cells at the
checkpoint) and ``total_orgs`` (cells ever born), and our own ``name``, ``size`` and
``sequence`` (the genome in hex) columns.
"""

from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from bytebiota.config import Config
from bytebiota.core.genebank import GOD, Genebank
from bytebiota.errors import UserError
from bytebiota.genome import asm, diff
from bytebiota.run import checkpoint_source, open_checkpoint


@dataclass(frozen=True)
class Taxon:
    id: int
    name: str
    ancestor: str  # nearest permanent ancestor's name, or GOD
    origin: int
    genome: bytes
    alive: int
    born: int


def phylogeny(bank: Genebank) -> dict[str, Taxon]:
    """The permanent genotypes by name, ids in order of appearance."""
    gids = sorted((gid for gid in range(len(bank.genomes)) if bank.permanent[gid] != 0),
                  key=lambda gid: (bank.origin[gid], bank.names[gid]))
    return {
        bank.names[gid]: Taxon(k, bank.names[gid], bank.lineage[gid], int(bank.origin[gid]),
                               bank.genomes[gid], int(bank.alive[gid]), int(bank.born[gid]))
        for k, gid in enumerate(gids)
    }


def descent(taxa: dict[str, Taxon], name: str) -> list[Taxon]:
    """From the root down to ``name``."""
    if name not in taxa:
        raise UserError(f"{name} is not a permanent genotype of this run "
                        f"({len(taxa)} are; see `bytebiota lineage --export`)")
    line = [taxa[name]]
    while line[-1].ancestor in taxa:
        line.append(taxa[line[-1].ancestor])
    return line[::-1]


def write_csv(taxa: dict[str, Taxon], path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        handle = tmp.open("w", newline="")
    except OSError as exc:  # named as the user wrote it, not as our temporary file
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    with handle:
        out = csv.writer(handle)
        out.writerow(["id", "ancestor_list", "origin_time", "num_orgs", "total_orgs", "name",
                      "size", "sequence"])
        for taxon in taxa.values():
            parent = taxa.get(taxon.ancestor)
            ancestors = f"[{parent.id}]" if parent is not None else "[NONE]"
            out.writerow([taxon.id, ancestors, taxon.origin, taxon.alive, taxon.born,
                          taxon.name, len(taxon.genome), taxon.genome.hex()])
    tmp.replace(path)


def command(args: argparse.Namespace, config: Config) -> None:
    run, colon, genotype = (args.genotype or "").rpartition(":")
    if colon:  # RUN:GENOTYPE
        args.genotype = genotype
    world, _, path = open_checkpoint(checkpoint_source(config, run or args.run, args.checkpoint),
                                     "no run checkpoint to read")
    bank = world.genebank
    taxa = phylogeny(bank)
    if args.export:
        write_csv(taxa, Path(args.export))
        print(f"bytebiota: wrote {len(taxa)} genotypes of {path} to {args.export}",
              file=sys.stderr)
    if not args.genotype:
        if not args.export:
            raise UserError("name a GENOTYPE, or give --export FILE")
        return
    line = descent(taxa, args.genotype)
    previous: Taxon | None = None
    for taxon in line:
        parent = previous.name if previous else GOD
        print(f"{taxon.name}  from {parent}  at step {taxon.origin:,}  "
              f"({taxon.alive} alive, {taxon.born} born)")
        if previous is not None:
            rows = diff.render(asm.Genome(previous.genome), asm.Genome(taxon.genome),
                               previous.name, taxon.name, context=0)
            print("\n".join("    " + row for row in rows))
        previous = taxon
