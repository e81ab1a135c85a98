"""The ecology regime against issue 5's targets (default configuration, seeds 1, 2, 3).

For each seed, from the ecology ancestor, in windows of ``--window`` instructions (a log
interval's worth): does the population ever die out, does it stay above 50 cells once it
first passed 50, are there births and deaths in every window, how many genotypes are alive
at 100 M; and for each logic task, the first step at which at least 1 % of the cells have
performed it (the ancestor performs none). Prints a table, or JSON with ``--json``.

    .venv/bin/python tools/ecology_targets.py --seeds 1,2,3 --steps 500e6
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from bytebiota import simulation
from bytebiota.config import isolated
from bytebiota.core.isa import TASK_NAMES

SURVIVAL_HORIZON = 100_000_000
FLOOR = 50


def follow(seed: int, steps: int, window: int, settings: list[str]) -> dict[str, Any]:
    world = simulation.new_world(isolated(settings), seed)
    filled_at = None
    below_after_fill = 0
    quiet_windows = 0
    extinct = False
    low = None
    first: dict[str, int] = {}
    genotypes_at_horizon = None
    started = time.perf_counter()
    while world.steps < steps:
        report = world.run(window)
        if report.extinct:
            extinct = True
            break
        pop = world.population
        if filled_at is None and pop > FLOOR:
            filled_at = world.steps
        elif filled_at is not None and world.steps <= SURVIVAL_HORIZON:
            low = pop if low is None else min(low, pop)
            if pop <= FLOOR:
                below_after_fill += 1
        if world.steps <= SURVIVAL_HORIZON and (report.births == 0 or report.deaths == 0):
            quiet_windows += 1
        if genotypes_at_horizon is None and world.steps >= SURVIVAL_HORIZON:
            genotypes_at_horizon = world.genebank.living
        for name, cells in world.task_counts().items():
            if name not in first and cells * 100 >= pop > 0:
                first[name] = world.steps
    return {
        "seed": seed, "steps": world.steps, "extinct": extinct, "filled_at": filled_at,
        "lowest_after_fill_to_100M": low, "windows_at_or_below_50": below_after_fill,
        "windows_without_births_or_deaths": quiet_windows,
        "genotypes_at_100M": genotypes_at_horizon, "population": world.population,
        "tasks_first_at_1pct": {name: first[name] for name in TASK_NAMES if name in first},
        "tasks_at_end": world.task_counts(), "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--steps", type=float, default=500e6)
    parser.add_argument("--window", type=float, default=1e6)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = [follow(int(s), int(args.steps), int(args.window), args.set)
            for s in args.seeds.split(",")]
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    for row in rows:
        tasks = ", ".join(f"{name} {at / 1e6:.0f} M" for name, at in
                          row["tasks_first_at_1pct"].items()) or "none"
        print(f"seed {row['seed']}: extinct {row['extinct']}; filled (>50) at "
              f"{(row['filled_at'] or 0) / 1e6:.1f} M; lowest to 100 M "
              f"{row['lowest_after_fill_to_100M']}"
              f"; windows <= 50: {row['windows_at_or_below_50']}; windows without births or "
              f"deaths: {row['windows_without_births_or_deaths']}; genotypes at 100 M "
              f"{row['genotypes_at_100M']}; tasks reaching 1 %: {tasks}; {row['seconds']} s")


if __name__ == "__main__":
    main()
