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
from dataclasses import asdict, dataclass, field

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


def reference_parasite() -> bytes:
    code = bytearray(asm.ancestor("classic").code[:PARASITE_SIZE])
    code[PARASITE_SITE] = 1
    return bytes(code)


@dataclass
class Ecotype:
    kind: str
    evidence: dict[str, object] = field(default_factory=dict)


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


def classify(genome: bytes, config: Config, steps: int = DEFAULT_STEPS) -> Ecotype:
    """Run the cultures the evidence needs (one to three of ``steps`` instructions each)."""
    host = asm.ancestor("classic").code
    parasite = reference_parasite()
    alone = culture(genome, config, steps)
    evidence: dict[str, object] = {"replicates_alone": alone.replicates,
                                   "cells_alone": alone.cells}
    if alone.replicates:
        mixed = coculture([("genotype", genome), ("parasite", parasite)], config, steps)
        me, other = (str(g["name"]) for g in mixed.genotypes)
        evidence["with_parasite"] = {
            "own_daughters": _made(mixed, me, me),
            "parasite_cpus_made_ours": _made(mixed, other, me),
            "parasite_daughters": _made(mixed, other, other)}
        return Ecotype(verdict(evidence), evidence)
    with_host = coculture([("host", host), ("genotype", genome)], config, steps)
    hname, me = (str(g["name"]) for g in with_host.genotypes)
    evidence["with_host"] = {"own_daughters": _made(with_host, me, me),
                             "host_daughters": _made(with_host, hname, hname)}
    if verdict(evidence) == "parasite":
        return Ecotype("parasite", evidence)
    pair = coculture([("genotype", genome), ("copy", genome)], config, steps)
    me = str(pair.genotypes[0]["name"])
    evidence["with_itself"] = {"own_daughters": _made(pair, me, me)}
    return Ecotype(verdict(evidence), evidence)


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
