"""Measure the classic regime against Tierra's published results (docs/fidelity.md).

For each seed: one ancestor in the classic regime's 60,000-byte soup, run in 500,000-step
chunks to ``--steps`` (30 M by default). Reports, per seed:

- the first step at which one size class between 40 and 50 bytes holds >= 10 cells;
- the living genotypes at the end;
- every genotype that became permanent, and for those under 60 bytes whether it
  replicates alone (``bytebiota culture``; parasites do not);
- the smallest size class that held >= 10 cells at a chunk's end;
- with ``--classify``, the ecotype of every permanent genotype of 60 bytes or more
  (bytebiota/ecotype.py: self-replicator, hyper-parasite, resistant host, ...), and the
  hyper-parasites found;
- and, once, the ancestor's culture and its mutation-free fill at 2 M instructions.

    .venv/bin/python tools/fidelity.py [--seeds 1 2 3] [--steps 30000000] [--json]
                                       [--set NAME=VALUE ...] [--classify]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from bytebiota.config import Config, isolated
from bytebiota.culture import culture
from bytebiota.ecotype import classify
from bytebiota.genome import asm
from bytebiota.simulation import new_world

CHUNK = 500_000


def classic(settings: list[str]) -> Config:
    return isolated(settings, {"--regime": "classic"})


def one_seed(config: Config, seed: int, steps: int, ecotypes: bool = False
             ) -> dict[str, Any]:
    world = new_world(config, seed)
    first: int | None = None
    best = 0
    smallest: int | None = None
    permanent: list[str] = []
    start = time.perf_counter()
    while world.steps < steps:
        report = world.run(min(CHUNK, steps - world.steps))
        permanent.extend(report.permanent)
        classes = world.size_classes()
        crowded = [size for size, n in classes if n >= 10]
        if crowded and (smallest is None or min(crowded) < smallest):
            smallest = int(min(crowded))
        small = [n for size, n in classes if 40 <= size <= 50]
        if small:
            best = max(best, *small)
            if first is None and max(small) >= 10:
                first = int(world.steps)
        if report.extinct:
            break
    elapsed = time.perf_counter() - start
    bank = world.genebank
    cultures = []
    kinds: dict[str, str] = {}
    for name in permanent:
        gid = bank.names.index(name)
        genome = bank.genomes[gid]
        if len(genome) < 60:
            result = culture(genome, config, 1_000_000)
            cultures.append({"name": name, "replicates": result.replicates})
        elif ecotypes:
            kinds[name] = classify(genome, config).kind
    return {
        "seed": seed,
        "steps": int(world.steps),
        "first_40_50_class_of_10": first,
        "largest_40_50_class": best,
        "genotypes_alive": int(bank.living),
        "population": int(world.population),
        "permanent": permanent,
        "small_permanent_cultures": cultures,
        "top_sizes": sorted(world.size_classes(), key=lambda x: -x[1])[:8],
        "smallest_class_of_10": smallest,
        "ecotypes": kinds,
        "hyper_parasites": sorted(n for n, k in kinds.items() if k == "hyper-parasite"),
        "mips": int(world.steps) / elapsed / 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--steps", type=int, default=30_000_000)
    parser.add_argument("--set", dest="settings", action="append", default=[])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--classify", action="store_true",
                        help="classify every permanent genotype of 60 bytes or more")
    args = parser.parse_args()
    config = classic(args.settings)
    ancestor = culture(asm.ancestor("classic").code, config, 2_000_000)
    rows: list[dict[str, Any]] = []
    a = {"replicates": ancestor.replicates, "cells_at_2M": ancestor.cells,
         "first_daughter_instructions": ancestor.first_daughter_instructions}
    for seed in args.seeds:
        row = one_seed(config, seed, args.steps, args.classify)
        rows.append(row)
        if not args.json:
            small = ", ".join(f"{c['name']}:{'replicates' if c['replicates'] else 'parasite'}"
                              for c in row["small_permanent_cultures"]) or "none"
            print(f"seed {seed}: 40-50 class of >=10 cells first at "
                  f"{row['first_40_50_class_of_10']} (largest {row['largest_40_50_class']}); "
                  f"{row['genotypes_alive']} genotypes alive at {row['steps']:,}; "
                  f"{row['mips']:.0f} M/s; smallest class of >=10 cells "
                  f"{row['smallest_class_of_10']}; small permanent genotypes: {small}", flush=True)
            if args.classify:
                counts: dict[str, int] = {}
                for kind in row["ecotypes"].values():
                    counts[kind] = counts.get(kind, 0) + 1
                print(f"  ecotypes of the permanent genotypes >= 60 bytes: {counts}; "
                      f"hyper-parasites: {', '.join(row['hyper_parasites']) or 'none'}",
                      flush=True)
    if args.json:
        print(json.dumps({"ancestor": a, "seeds": rows}, indent=2))
    else:
        print(f"ancestor: replicates={a['replicates']}, first daughter "
              f"{a['first_daughter_instructions']} instructions, {a['cells_at_2M']} cells "
              "at 2 M without mutations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
