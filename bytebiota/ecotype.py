"""Ecological classification of a genotype (the seed's taxonomy tagging), from cultures.

A genome is tried alone, beside the classic ancestor (the reference host) and beside the
classic parasite (the reference parasite: the ancestor's first 45 bytes with the nop_0 at
site 42 made a nop_1, the mutation that founds the 45-byte parasites of Tierra and of the
classic regime), each in a fresh mutation-free classic soup (culture.py):

- **self-replicator**: replicates alone;
- **hyper-parasite**: replicates alone, and beside the parasite the parasite's CPUs make at
  least as many of its daughters as of their own (the parasite's CPU, running this genome's
  code, builds this genome *instead of* the parasite: Ray's signature). A few such daughters
  are no sign: under Tierra's semantics the ancestor itself gets 20 from parasite CPUs that
  make 201 of their own in 1 M instructions;
- **resistant host**: replicates alone, and beside it the parasite makes no daughter;
- **parasite**: fails alone, and replicates beside the host;
- **social**: fails alone and beside the host, and replicates beside a copy of itself;
- **non-replicator**: none of the above.

Each verdict carries its evidence: the daughters made in each culture, by whose CPU.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from bytebiota import runs
from bytebiota.config import Config
from bytebiota.culture import CocultureResult, coculture, culture
from bytebiota.errors import UserError
from bytebiota.genome import asm

KINDS = ("self-replicator", "hyper-parasite", "resistant host", "parasite", "social",
         "non-replicator")
PARASITE_SITE = 42  # the ancestor's nop_0 whose change to nop_1 makes the classic parasite
PARASITE_SIZE = 45
DEFAULT_STEPS = 1_000_000
# A run's background classification: each culture this long (the 88 permanent genotypes of a
# classic 60 M run, seed 1, get the same verdicts at 100 k as at 1 M: 66 parasites, 21
# self-replicators, 1 non-replicator; 0.021 s of CPU each at 100 k, 0.21 s at 1 M)
BACKGROUND_STEPS = 100_000


def reference_parasite() -> bytes:
    code = bytearray(asm.ancestor("classic").code[:PARASITE_SIZE])
    code[PARASITE_SITE] = 1
    return bytes(code)


@dataclass
class Ecotype:
    kind: str
    evidence: dict[str, object] = field(default_factory=dict)
    instructions: int = 0  # what its cultures ran, together


def _made(result: CocultureResult, mother: str, daughter: str) -> int:
    """Daughters of genotype ``daughter`` made by CPUs of genotype ``mother``."""
    return sum(n for m, d, n in result.begets if m == mother and d == daughter)


def verdict(evidence: dict[str, object]) -> str:
    """The kind the evidence of ``classify`` shows (the rules in the module's docstring)."""
    if evidence.get("replicates_alone"):
        mixed = evidence.get("with_parasite")
        if isinstance(mixed, dict):
            turned = mixed["parasite_cpus_made_ours"]
            if turned > 0 and turned >= mixed["parasite_daughters"]:
                return "hyper-parasite"
            if mixed["parasite_daughters"] == 0:
                return "resistant host"
        return "self-replicator"
    with_host = evidence.get("with_host")
    if isinstance(with_host, dict) and with_host["own_daughters"] > 0:
        return "parasite"
    with_itself = evidence.get("with_itself")
    if isinstance(with_itself, dict) and with_itself["own_daughters"] > 0:
        return "social"
    return "non-replicator"


def classify(genome: bytes, config: Config, steps: int = DEFAULT_STEPS,
             cancelled: Callable[[], bool] | None = None) -> Ecotype:
    """Run the cultures the evidence needs (one to three of ``steps`` instructions each).
    ``cancelled``: asked by the co-cultures before each twentieth of their run; True raises
    culture.Cancelled (a server that stops waits for that much, not a classification)."""
    host = asm.ancestor("classic").code
    parasite = reference_parasite()
    alone = culture(genome, config, steps)
    evidence: dict[str, object] = {"replicates_alone": alone.replicates,
                                   "cells_alone": alone.cells}
    ran = alone.instructions
    if alone.replicates:
        mixed = coculture([("genotype", genome), ("parasite", parasite)], config, steps,
                          cancelled=cancelled)
        me, other = (str(g["name"]) for g in mixed.genotypes)
        evidence["with_parasite"] = {
            "own_daughters": _made(mixed, me, me),
            "parasite_cpus_made_ours": _made(mixed, other, me),
            "parasite_daughters": _made(mixed, other, other)}
        return Ecotype(verdict(evidence), evidence, ran + mixed.instructions)
    with_host = coculture([("host", host), ("genotype", genome)], config, steps,
                          cancelled=cancelled)
    ran += with_host.instructions
    hname, me = (str(g["name"]) for g in with_host.genotypes)
    evidence["with_host"] = {"own_daughters": _made(with_host, me, me),
                             "host_daughters": _made(with_host, hname, hname)}
    if verdict(evidence) == "parasite":
        return Ecotype("parasite", evidence, ran)
    pair = coculture([("genotype", genome), ("copy", genome)], config, steps,
                     cancelled=cancelled)
    me = str(pair.genotypes[0]["name"])
    evidence["with_itself"] = {"own_daughters": _made(pair, me, me)}
    return Ecotype(verdict(evidence), evidence, ran + pair.instructions)


class Background:
    """A run's classification of its newly permanent genotypes, in its own instruction
    budget: at each stats boundary, the genotypes waiting are classified, the most abundant
    first (then in the order they became permanent), while the instructions all
    classifications ran stay within ``share`` of the instructions the run has executed
    (ECOTYPE_SHARE): one starts when the budget left holds two cultures (the least a
    classification runs; a third, for a genotype that fails alone and beside the host, may
    overdraw by one culture, repaid before the next starts). Counted in
    instructions, not seconds, the schedule is the same on every machine and core, so a
    resumed run journals the same ``ecotype`` events at the same steps (``state`` goes into
    the checkpoint). Classic regime only: the cultures are classic soups."""

    def __init__(self, config: Config, share: float, state: dict[str, Any] | None = None,
                 steps: int = BACKGROUND_STEPS) -> None:
        self.config, self.share, self.steps = config, share, steps
        state = state or {}
        self.pending: list[tuple[str, bytes]] = [(str(n), bytes.fromhex(g))
                                                 for n, g in state.get("pending", [])]
        self.spent = int(state.get("spent", 0))

    def offer(self, name: str, genome: bytes) -> None:
        if self.share > 0:
            self.pending.append((name, genome))

    def due(self, run_steps: int, cells: dict[str, int]) -> list[tuple[str, Ecotype]]:
        """Classify what the budget allows after ``run_steps`` instructions of the run
        (``cells``: the living cells of each genotype, for the order)."""
        done: list[tuple[str, Ecotype]] = []
        while (job := self.next(run_steps, cells)) is not None:
            found = self.classify(job[1])
            self.spent += found.instructions
            done.append((job[0], found))
        return done

    def next(self, run_steps: int, cells: dict[str, int]) -> tuple[str, bytes] | None:
        """The waiting genotype to classify now, taken from the queue (the most abundant,
        then the first offered), or None when the budget or the queue is empty. The caller
        runs ``classify`` on it and adds its instructions to ``spent``."""
        if not self.pending or self.spent + 2 * self.steps > self.share * run_steps:
            return None
        first = max(range(len(self.pending)),
                    key=lambda k: (cells.get(self.pending[k][0], 0), -k))
        return self.pending.pop(first)

    def classify(self, genome: bytes, cancelled: Callable[[], bool] | None = None) -> Ecotype:
        """One classification at this budget's culture length (touches no state: the
        server runs it in a thread; ``cancelled``: as ``classify``'s)."""
        try:
            return classify(genome, self.config, self.steps, cancelled)
        except UserError as exc:  # a genome no soup can hold: said as such
            return Ecotype("non-replicator", {"error": str(exc)})

    def state(self) -> dict[str, Any]:
        return {"pending": [[n, g.hex()] for n, g in self.pending], "spent": self.spent}


def command(args: argparse.Namespace, config: Config) -> None:
    if config.global_.regime != "classic":
        raise UserError("classify runs in the classic regime; use --regime classic")
    genome = asm.load(runs.genome_path(args.genome, config))
    try:
        result = classify(genome.code, config, args.steps)
    except ValueError as exc:
        raise UserError(f"cannot classify {args.genome}: {exc}") from None
    if args.json:
        print(json.dumps(asdict(result)))
        return
    name = genome.name or args.genome
    print(f"{name} ({len(genome.code)} bytes): {result.kind}")
    for key, value in result.evidence.items():
        shown = (", ".join(f"{k.replace('_', ' ')} {v}" for k, v in value.items())
                 if isinstance(value, dict) else value)
        print(f"  {key.replace('_', ' ')}: {shown}")
