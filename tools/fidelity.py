"""Measure the classic regime against Tierra's published results (docs/fidelity.md).

For each seed: one ancestor in the classic regime's 60,000-byte soup, run in 500,000-step
chunks to ``--steps`` (60 M by default). Reports, per seed:

- the first step at which one size class between 40 and 50 bytes holds >= 10 cells, and the
  largest such class;
- the living genotypes at 40 M (when the run gets there) and at the end (with the classic
  regime's RELABEL_CHANGED_GENOMES, counted Tierra's way);
- every genotype that became permanent, and for those under 60 bytes whether it
  replicates alone (``bytebiota culture``; parasites do not);
- the smallest size class that held >= 10 cells at a chunk's end;
- with ``--classify``, the ecotype of every permanent genotype of 60 bytes or more
  (bytebiota/ecotype.py: self-replicator, hyper-parasite, resistant host, ...), and the
  hyper-parasites found with the co-culture evidence that makes them so;
- and, once, the ancestor's culture (instructions to its first and second daughters) and its
  mutation-free fill at 2 M instructions.

Then each of issue 17's targets, met or not, over the seeds run. ``--csv`` writes one row per
seed; ``--json`` prints everything; ``--jobs`` runs seeds side by side (one process each).

    .venv/bin/python tools/fidelity.py [--seeds 1 2 3] [--steps 60000000] [--classify]
                                       [--set NAME=VALUE ...] [--jobs N] [--csv FILE] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bytebiota.config import Config, isolated
from bytebiota.core.world import World
from bytebiota.culture import CULTURE_SEED, culture
from bytebiota.ecotype import classify
from bytebiota.genome import asm
from bytebiota.simulation import new_world, params

CHUNK = 500_000
SAMPLE_AT = 40_000_000  # live genotypes are also counted here (Tierra's 40 M figure)
# issue 17's targets (classic regime, seeds 1-9, 60 M instructions each)
TIERRA_LIVE = (150, 250)  # live genotypes at 40 M and 60 M
FILL = (370, 400)  # mutation-free fill at 2 M
CSV_FIELDS = ("seed", "steps", "first_40_50_class_of_10", "largest_40_50_class",
              "genotypes_alive_40M", "genotypes_alive", "population", "small_permanent",
              "small_permanent_replicating_alone", "smallest_class_of_10", "hyper_parasites",
              "ecotypes", "mips")


def classic(settings: list[str]) -> Config:
    return isolated(settings, {"--regime": "classic"})


def one_seed(config: Config, seed: int, steps: int, ecotypes: bool = False
             ) -> dict[str, Any]:
    world = new_world(config, seed)
    first: int | None = None
    best = 0
    smallest: int | None = None
    alive_40: int | None = None
    permanent: list[str] = []
    start = time.perf_counter()
    while world.steps < steps:
        chunk = min(CHUNK, steps - world.steps)
        if world.steps < SAMPLE_AT < world.steps + chunk:
            chunk = SAMPLE_AT - world.steps
        report = world.run(chunk)
        permanent.extend(report.permanent)
        if world.steps == SAMPLE_AT:
            alive_40 = int(world.genebank.living)
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
    evidence: dict[str, Any] = {}
    for name in permanent:
        gid = bank.names.index(name)
        genome = bank.genomes[gid]
        if len(genome) < 60:
            result = culture(genome, config, 1_000_000)
            cultures.append({"name": name, "replicates": result.replicates})
        elif ecotypes:
            found = classify(genome, config)
            kinds[name] = found.kind
            if found.kind == "hyper-parasite":
                evidence[name] = found.evidence
    return {
        "seed": seed,
        "steps": int(world.steps),
        "first_40_50_class_of_10": first,
        "largest_40_50_class": best,
        "genotypes_alive_40M": alive_40,
        "genotypes_alive": int(bank.living),
        "population": int(world.population),
        "permanent": permanent,
        "small_permanent_cultures": cultures,
        "top_sizes": sorted(world.size_classes(), key=lambda x: -x[1])[:8],
        "smallest_class_of_10": smallest,
        "ecotypes": kinds,
        "hyper_parasites": sorted(evidence),
        "hyper_parasite_evidence": evidence,
        "mips": int(world.steps) / elapsed / 1e6,
    }


def ancestor_figures(config: Config) -> dict[str, Any]:
    """The ancestor alone, mutations off: instructions to its first and second daughters, and
    the cells the soup holds at 2 M instructions."""
    genome = asm.ancestor("classic").code
    world = World(params(config, mutations=False), CULTURE_SEED)
    mother = world.inject(genome, 0)
    cells = world.cells
    while cells.alive[mother] and cells.nbirths[mother] < 2 and world.steps < 100_000:
        world.run(1)
    second = None
    if cells.alive[mother] and cells.nbirths[mother] >= 2:
        second = int(cells.exec_mark[mother] - cells.first_cost[mother])
    fill = culture(genome, config, 2_000_000)
    return {"replicates": fill.replicates, "cells_at_2M": fill.cells,
            "first_daughter_instructions": fill.first_daughter_instructions,
            "second_daughter_instructions": second}


def targets(rows: list[dict[str, Any]], ancestor: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """Issue 17's targets: (what, measured, met) over the seeds run."""
    n = len(rows)

    def count(test: Any) -> int:
        return sum(1 for row in rows if test(row))

    def in_range(value: int | None) -> bool:
        return value is not None and TIERRA_LIVE[0] <= value <= TIERRA_LIVE[1]

    parasites = count(lambda r: r["first_40_50_class_of_10"] is not None)
    small = sum(len(r["small_permanent_cultures"]) for r in rows)
    alone = sum(c["replicates"] for r in rows for c in r["small_permanent_cultures"])
    hyper = count(lambda r: r["hyper_parasites"])
    tiny = count(lambda r: r["smallest_class_of_10"] is not None
                 and r["smallest_class_of_10"] <= 30)
    live40 = count(lambda r: in_range(r["genotypes_alive_40M"]))
    live60 = count(lambda r: in_range(r["genotypes_alive"]))
    fill = ancestor["cells_at_2M"]
    need = (8 * n + 8) // 9  # 8 of 9, scaled to the seeds run
    return [
        ("parasites (a 40-50 class of >= 10 cells)", f"{parasites} of {n} seeds",
         parasites >= need),
        ("small permanent genotypes that replicate alone", f"{alone} of {small}", alone == 0),
        ("the ancestor's first and second daughters",
         f"{ancestor['first_daughter_instructions']} / {ancestor['second_daughter_instructions']}"
         " instructions", (ancestor["first_daughter_instructions"],
                           ancestor["second_daughter_instructions"]) == (827, 809)),
        ("hyper-parasites found by the classifier", f"{hyper} of {n} seeds",
         hyper >= (3 * n + 8) // 9),
        ("smallest class of >= 10 cells at or below 30 bytes", f"{tiny} of {n} seeds",
         tiny >= (4 * n + 8) // 9),
        ("live genotypes at 40 M in 150-250", f"{live40} of {n} seeds", live40 == n),
        ("live genotypes at the end in 150-250", f"{live60} of {n} seeds", live60 == n),
        ("mutation-free fill in 370-400 cells", f"{fill} cells", FILL[0] <= fill <= FILL[1]),
    ]


def kind_counts(row: dict[str, Any]) -> dict[str, int]:
    """How many of a seed's classified genotypes are of each kind."""
    return dict(Counter(row["ecotypes"].values()))


def _seed_job(job: tuple[list[str], int, int, bool]) -> dict[str, Any]:
    settings, seed, steps, ecotypes = job
    return one_seed(classic(settings), seed, steps, ecotypes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--steps", type=int, default=60_000_000)
    parser.add_argument("--set", dest="settings", action="append", default=[])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--csv", type=Path, help="write one row per seed to this file")
    parser.add_argument("--jobs", type=int, default=1, help="seeds run side by side")
    parser.add_argument("--classify", action="store_true",
                        help="classify every permanent genotype of 60 bytes or more")
    args = parser.parse_args()
    config = classic(args.settings)
    a = ancestor_figures(config)
    jobs = [(args.settings, seed, args.steps, args.classify) for seed in args.seeds]
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for row in pool.map(_seed_job, jobs):
            rows.append(row)
            if not args.json:
                _print_seed(row, args.classify)
    if args.csv:
        with args.csv.open("w", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
            writer.writeheader()
            for row in rows:
                kinds = kind_counts(row)
                writer.writerow({
                    **{k: row[k] for k in CSV_FIELDS if k in row},
                    "small_permanent": len(row["small_permanent_cultures"]),
                    "small_permanent_replicating_alone": sum(
                        c["replicates"] for c in row["small_permanent_cultures"]),
                    "hyper_parasites": " ".join(row["hyper_parasites"]),
                    "ecotypes": " ".join(f"{k}={v}" for k, v in sorted(kinds.items())),
                    "mips": f"{row['mips']:.1f}",
                })
    met = targets(rows, a)
    if args.json:
        print(json.dumps({"ancestor": a, "seeds": rows,
                          "targets": [{"target": t, "measured": m, "met": ok}
                                      for t, m, ok in met]}, indent=2))
        return 0
    print(f"ancestor: replicates={a['replicates']}, daughters after "
          f"{a['first_daughter_instructions']} and {a['second_daughter_instructions']} "
          f"instructions, {a['cells_at_2M']} cells at 2 M without mutations")
    for target, measured, ok in met:
        print(f"{'met' if ok else 'NOT met':>8}  {target}: {measured}")
    return 0


def _print_seed(row: dict[str, Any], classified: bool) -> None:
    small = ", ".join(f"{c['name']}:{'replicates' if c['replicates'] else 'parasite'}"
                      for c in row["small_permanent_cultures"]) or "none"
    print(f"seed {row['seed']}: 40-50 class of >=10 cells first at "
          f"{row['first_40_50_class_of_10']} (largest {row['largest_40_50_class']}); "
          f"genotypes alive {row['genotypes_alive_40M']} at 40 M, {row['genotypes_alive']} at "
          f"{row['steps']:,}; {row['mips']:.0f} M/s; smallest class of >=10 cells "
          f"{row['smallest_class_of_10']}; small permanent genotypes: {small}", flush=True)
    if classified:
        print(f"  ecotypes of the permanent genotypes >= 60 bytes: {kind_counts(row)}; "
              f"hyper-parasites: {', '.join(row['hyper_parasites']) or 'none'}", flush=True)
        for name, evidence in row["hyper_parasite_evidence"].items():
            print(f"  {name}: {json.dumps(evidence)}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
