"""``bytebiota culture GENOME [--with OTHER ...]``: Tierra's isolation test and co-cultures.

Alone: the genome in a fresh, mutation-free soup of the classic regime (of the ecology
regime for a genome that uses its instructions: harvest, in, out ...), for a bounded number
of instructions. A genome *replicates alone* when it makes a daughter identical to itself
without help: a parasite, which runs its host's copy procedure, finds no host and cannot.

With others (``--with``): the genomes side by side in one such soup. The report says, for
every pair, how many daughters of each genotype the CPUs of each genotype made ("who begets
whom": a parasite's CPU running its host's code still makes parasites; a hyper-parasite turns
a parasite's CPU to making its own daughters), each genotype's cells over time, and whether
each persists.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from bytebiota import runs
from bytebiota.config import Config
from bytebiota.core.isa import MNEMONICS, OPCODE_BITS
from bytebiota.core.world import World
from bytebiota.errors import UserError
from bytebiota.genome import asm
from bytebiota.simulation import params

DEFAULT_STEPS = 2_000_000
SAMPLES = 20  # population samples over a co-culture
CULTURE_SEED = 1  # no mutations: the seed only matters for the reaper's random victims


class Cancelled(Exception):
    """A co-culture given up at one of its samples (``coculture``'s ``cancelled``)."""


@dataclass
class CultureResult:
    replicates: bool
    cells: int
    first_daughter_instructions: int | None
    instructions: int = 0  # what the culture ran (fewer than asked when it died out)


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
    return CultureResult(replicates, int(world.population), first, done)


@dataclass
class CocultureResult:
    genotypes: list[dict[str, object]]  # label, name, size, in placement order
    begets: list[tuple[str, str, int]]  # (mother's genotype, daughter's, daughters made)
    steps: list[int] = field(default_factory=list)  # when the populations were sampled
    populations: dict[str, list[int]] = field(default_factory=dict)  # genotype -> cells
    persists: dict[str, bool] = field(default_factory=dict)  # alive at the end

    @property
    def instructions(self) -> int:
        """What the co-culture ran (fewer than asked when it died out)."""
        return self.steps[-1] if self.steps else 0


def coculture(genomes: list[tuple[str, bytes]], config: Config, steps: int = DEFAULT_STEPS,
              samples: int = SAMPLES,
              cancelled: Callable[[], bool] | None = None) -> CocultureResult:
    """Run the labelled genomes side by side (placed one after another from address 0, in
    the given order; classic regime values from ``config``, mutations off). ``cancelled``:
    asked before each of the ``samples`` stretches; True raises Cancelled."""
    world = World(params(config, mutations=False), CULTURE_SEED)
    world.record_begets = True
    placed: list[dict[str, object]] = []
    address = 0
    for label, genome in genomes:
        try:
            c = world.inject(genome, address)
        except ValueError as exc:
            raise UserError(f"cannot culture {label}: {exc}") from None
        name = world.genebank.names[world.cells.geno[c]]
        placed.append({"label": label, "name": name, "size": len(genome)})
        address += len(genome)
    result = CocultureResult(placed, [])
    names = [str(g["name"]) for g in placed]
    done = 0
    step = max(1, steps // max(1, samples))
    while True:
        counts = {row[0]: int(row[2]) for row in world.genotype_counts()}
        result.steps.append(done)
        for name in set(names) | set(counts) | set(result.populations):
            series = result.populations.setdefault(name, [0] * (len(result.steps) - 1))
            series.append(counts.get(name, 0))
        if done >= steps or world.population == 0:
            break
        if cancelled is not None and cancelled():
            raise Cancelled
        done += int(world.run(min(step, steps - done)).steps)
    result.begets = sorted(((m, d, int(n)) for (m, d), n in world.begets.items()),
                           key=lambda row: (-row[2], row[0], row[1]))
    result.persists = {name: series[-1] > 0 for name, series in result.populations.items()}
    return result


def _coculture_text(result: CocultureResult, steps: int) -> str:
    labels = {str(g["name"]): str(g["label"]) for g in result.genotypes}

    def show(name: str) -> str:
        label = labels.get(name)
        return f"{name} ({label})" if label and label != name else name

    lines = [f"co-culture of {len(result.genotypes)} genotypes, {steps:,} instructions, "
             "no mutations"]
    shown: set[str] = set()
    for g in result.genotypes:
        name = str(g["name"])
        if name in shown:
            continue  # the same genotype placed twice
        shown.add(name)
        series = result.populations.get(name, [0])
        verdict = "persists" if result.persists.get(name) else "dies out"
        lines.append(f"  {show(name)}: {g['size']} bytes, {series[-1]} cells at the end, "
                     f"peak {max(series)}; {verdict}")
    others = [n for n in result.populations if n not in labels and max(result.populations[n])]
    if others:
        lines.append(f"  other genotypes that appeared: {len(others)}")
    lines.append("who begets whom (daughters made by CPUs of a genotype):")
    if not result.begets:
        lines.append("  nobody made a daughter")
    for mother, daughter, n in result.begets[:20]:
        what = "its own kind" if mother == daughter else show(daughter)
        lines.append(f"  {show(mother):>24} -> {what}: {n:,}")
    if len(result.begets) > 20:
        lines.append(f"  ... and {len(result.begets) - 20} more pairs (--json has all)")
    return "\n".join(lines)


def _first_ecology_opcode(code: bytes) -> int | None:
    """The offset of the first byte beyond the classic instruction set, or None."""
    return next((k for k, b in enumerate(code) if b >= 1 << OPCODE_BITS), None)


def implied_regime(args: argparse.Namespace, config: Config) -> tuple[tuple[str, str], ...]:
    """The regime the genomes ask for: ecology when one of them uses an instruction beyond
    the classic set (harvest, in, out ...), unless the user named a regime."""
    if getattr(args, "flag_regime", None) is not None:
        return ()
    names = [args.genome, *(args.others or [])]
    if any(_first_ecology_opcode(asm.load(runs.genome_path(n, config)).code) is not None
           for n in names):
        return (("--regime", "ecology"),)
    return ()


def command(args: argparse.Namespace, config: Config) -> None:
    genome = asm.load(runs.genome_path(args.genome, config))
    offset = _first_ecology_opcode(genome.code)
    if offset is not None and config.global_.regime == "classic":
        raise UserError(
            f"{args.genome} uses instructions of the ecology set ({MNEMONICS[genome.code[offset]]}"
            f" at byte {offset} is not a classic opcode): culture it in the ecology regime "
            "(leave out --regime classic)")
    if args.others:
        genomes = [(genome.name or args.genome, genome.code)]
        for other in args.others:
            g = asm.load(runs.genome_path(other, config))
            genomes.append((g.name or other, g.code))
        mixed = coculture(genomes, config, args.steps)
        print(json.dumps(asdict(mixed)) if args.json else _coculture_text(mixed, args.steps))
        return
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
