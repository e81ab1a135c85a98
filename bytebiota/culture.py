"""``bytebiota culture GENOME``: Tierra's isolation test.

The genome alone in a fresh, mutation-free soup of the classic regime, for a bounded number
of instructions. A genome *replicates alone* when it makes a daughter identical to itself
without help: a parasite, which runs its host's copy procedure, finds no host and cannot.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass

from bytebiota import runs
from bytebiota.config import Config
from bytebiota.core.world import World
from bytebiota.errors import UserError
from bytebiota.genome import asm
from bytebiota.simulation import params

DEFAULT_STEPS = 2_000_000
CULTURE_SEED = 1  # no mutations: the seed only matters for the reaper's random victims


@dataclass
class CultureResult:
    replicates: bool
    cells: int
    first_daughter_instructions: int | None


def culture(genome: bytes, config: Config, steps: int = DEFAULT_STEPS) -> CultureResult:
    """Run ``genome`` alone (classic regime values from ``config``, mutations off)."""
    world = World(params(config, mutations=False), CULTURE_SEED)
    try:
        mother = world.inject(genome, 0)
    except ValueError as exc:
        raise UserError(f"cannot culture this genome: {exc}") from None
    gid = world.cells.geno[mother]
    first: int | None = None
    done = 0
    while done < steps:
        report = world.run(min(100_000, steps - done))
        done += report.steps
        if first is None and world.cells.alive[mother] and world.cells.first_cost[mother] >= 0:
            first = int(world.cells.first_cost[mother])
        if report.extinct:
            break
    replicates = int(world.genebank.born[gid]) >= 2
    return CultureResult(replicates, int(world.population), first)


def command(args: argparse.Namespace, config: Config) -> None:
    if config.global_.regime != "classic":
        raise UserError("culture runs in the classic regime; use --regime classic")
    genome = asm.load(runs.genome_path(args.genome, config))
    result = culture(genome.code, config, args.steps)
    if args.json:
        print(json.dumps(asdict(result)))
        return
    name = genome.name or args.genome
    verdict = "replicates alone" if result.replicates else "does NOT replicate alone"
    cost = (f"{result.first_daughter_instructions} instructions"
            if result.first_daughter_instructions is not None else "none made")
    print(f"{name} ({len(genome.code)} bytes): {verdict}; {result.cells} cells after "
          f"{args.steps:,} instructions; first daughter: {cost}")
