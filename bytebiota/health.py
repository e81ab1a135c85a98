"""Health diagnostics, judged by the regime's own expectations, computed at every log interval
from the stats events, with a troubleshooting step for each sign that fires (docs/journal.md,
``health`` events).

- The **ecology** regime is judged by the seed's "Healthy Evolution Indicators" and
  "Stagnation Warning Signs": 20-500 cells, births and deaths in the interval, genotypes/cells
  above 0.5, COPY_BIT_FLIP_RATE in 0.1-1 %, memory occupancy below 10 %.
- The **classic** regime is judged by what Tierra's soups do (Ray 1991; docs/fidelity.md):
  turnover (births and deaths in the interval), diversity (at least
  ``CLASSIC_GENOTYPES_MIN`` genotypes alive), and parasites present (cells of
  ``PARASITE_SHARES`` of the ancestor's size: Tierra's first parasites were 45 bytes beside
  the 80-byte ancestor, 56 %). The seed's bounds on population and occupancy are its own
  regime's: a Tierra soup is kept full by the reaper (MEMORY_REAP_THRESHOLD), and its copy
  mutations are Ray's, so neither is judged.

Every indicator and sign names its measured value and its threshold (``measures``), so a
line that says "outside" says by how much.

A ``Monitor`` keeps what the signs need across intervals (the peak population, the previous
interval's births and deaths); ``check`` is a pure function of that and one stats event.

A server's stats event sums its islands (``islands`` in the event): an experiment of N
islands is judged as N soups side by side, so the bounds on population (and the crash's) are
N times one soup's, and occupancy is of N soups; diversity, turnover and the rest are judged
as they stand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The seed's bounds (the ecology regime).
POPULATION_RANGE = (20, 500)
DIVERSITY_MIN = 0.5
MUTATION_RANGE = (0.001, 0.01)  # 0.1 % .. 1.0 % per copied byte
MUTATION_HIGH = 0.05
OCCUPANCY_MAX = 0.10
CRASH_BELOW = 50
LOW_BIRTHS_PER_CELL = 0.01  # births per living cell in an interval below this: "very low"
# Tierra's (the classic regime). A soup of 60,000 bytes holds ~750 cells of 80 bytes; once
# evolution is under way, tens to hundreds of genotypes live at once (seed 1, 60 M steps: 72
# at 2 M, 130-206 from 13 M on): fewer than 10 is a monoculture. Parasites: cells of 40 to
# 60 % of the ancestor's size (Ray's 45 of 80 bytes is 56 %). Size is a proxy until the stats
# carry ecotypes: in that run `classify` calls 0045aaa, 0040aad and 0038abk, the most common
# genotypes in 32..48 bytes, parasites, and 0022aav, one of the fragments of 22-27 bytes that
# live from 2 M steps on, a non-replicator (hence the lower bound).
CLASSIC_GENOTYPES_MIN = 10
PARASITE_SHARES = (0.4, 0.6)

# The seed's troubleshooting steps, by the sign they answer.
ADVICE = {
    "energy_starvation": "Energy starvation: reduce MEMORY_RENT_PER_BYTE, increase "
                         "ENV_HARVEST_YIELD",
    "no_evolution": "No selection: enable the reaper with REAP_CHANCE=0.01, lower the "
                    "threshold multipliers",
    "mutation_catastrophe": "Mutation catastrophe: reduce INSERTION_DELETION_RATE to 0.001",
    "population_crash": "Population crashes: check the energy balance and reduce mutation "
                        "rates",
    "low_birth_rate": "Population crashes: check the energy balance and reduce mutation rates",
}
INDICATORS = {
    "ecology": ("population_stable", "turnover", "diversity", "mutation_rate", "occupancy"),
    "classic": ("turnover", "diversity", "parasites"),
}
SIGNS = tuple(ADVICE)


@dataclass
class Monitor:
    copy_rate: float  # COPY_BIT_FLIP_RATE
    soup_size: int
    regime: str = "ecology"
    ancestor_size: int | None = None  # the classic regime's parasites are judged against it
    peak: int = 0
    births: int | None = None
    deaths: int | None = None

    @classmethod
    def of(cls, config: Mapping[str, Any], regime: str) -> Monitor:
        """The monitor of an experiment, from its configuration's public values (a journal
        header's ``config``, a WELCOME's, or ``config.public_values``)."""
        return cls(copy_rate=float(config.get("COPY_BIT_FLIP_RATE", 0.0)),
                   soup_size=max(1, int(config.get("SOUP_SIZE", 1))),
                   regime="classic" if regime == "classic" else "ecology",
                   ancestor_size=ancestor_size(config.get("ANCESTOR", "")))

    def check(self, event: dict[str, Any]) -> dict[str, Any]:
        """The ``health`` event for one stats event (and remember what the next one needs)."""
        islands = max(1, int(event.get("islands", 1)))
        population = int(event["population"])
        births = int(event["births"]) - (self.births if self.births is not None else 0)
        deaths = int(event["deaths"]) - (self.deaths if self.deaths is not None else 0)
        first = self.births is None
        self.births, self.deaths = int(event["births"]), int(event["deaths"])
        self.peak = max(self.peak, population)
        if self.ancestor_size is None and event.get("top_genotypes"):
            # no ancestor named: the most common genotype of the first interval seen
            self.ancestor_size = int(event["top_genotypes"][0][1])
        genotypes = int(event["genotypes"])
        ratio = genotypes / population if population else 0.0
        occupied = sum(size * count for size, count in event["sizes"])
        occupancy = occupied / (self.soup_size * islands)
        lo, hi = (bound * islands for bound in POPULATION_RANGE)
        crash = CRASH_BELOW * islands
        soups = f" for {islands} islands" if islands > 1 else ""
        checks: dict[str, tuple[bool, str]] = {
            "population_stable": (lo <= population <= hi,
                                  f"population {population:,} (wanted {lo:,}..{hi:,}{soups})"),
            "turnover": (births > 0 and deaths > 0,
                         f"{births:,} births and {deaths:,} deaths in the interval "
                         f"(wanted: both above 0)"),
            "mutation_rate": (MUTATION_RANGE[0] <= self.copy_rate <= MUTATION_RANGE[1],
                              f"copy flip rate {self.copy_rate:g} (wanted "
                              f"{MUTATION_RANGE[0]:g}..{MUTATION_RANGE[1]:g})"),
            "occupancy": (occupancy < OCCUPANCY_MAX,
                          f"occupancy {occupancy:.0%} (wanted below {OCCUPANCY_MAX:.0%})"),
        }
        if self.regime == "classic":
            checks["diversity"] = (genotypes >= CLASSIC_GENOTYPES_MIN,
                                   f"{genotypes:,} genotypes alive (wanted at least "
                                   f"{CLASSIC_GENOTYPES_MIN})")
            lo_share, hi_share = PARASITE_SHARES
            least = math.ceil(lo_share * (self.ancestor_size or 0))
            most = int(hi_share * (self.ancestor_size or 0))
            small = sum(count for size, count in event["sizes"] if least <= size <= most)
            checks["parasites"] = (small > 0, f"{small:,} cells of {least}..{most} bytes "
                                   f"({lo_share:.0%}..{hi_share:.0%} of the "
                                   f"{self.ancestor_size}-byte ancestor; wanted: some)")
        else:
            checks["diversity"] = (ratio > DIVERSITY_MIN,
                                   f"{ratio:.2f} genotypes per cell (wanted above "
                                   f"{DIVERSITY_MIN})")
        energy = event.get("energy")
        few_births = not first and births <= LOW_BIRTHS_PER_CELL * population
        broke = int(energy["broke"]) if energy is not None else 0
        signs_checked: dict[str, tuple[bool, str]] = {
            "population_crash": (self.peak >= crash > population,
                                 f"population {population:,} after a peak of "
                                 f"{self.peak:,} (a crash: below {crash} after "
                                 f"{crash} or more{soups})"),
            "low_birth_rate": (few_births, f"{births:,} births for {population:,} cells "
                               f"(at most {LOW_BIRTHS_PER_CELL:.0%} of the cells is low)"),
            "energy_starvation": (energy is not None and population > 0
                                  and broke == population,
                                  f"{broke:,} of {population:,} cells at or below zero "
                                  f"energy (all of them is starvation)"),
            "no_evolution": (population > 1 and ratio == 1.0,
                             f"{genotypes:,} genotypes for {population:,} cells (one "
                             f"each: no selection)"),
            "mutation_catastrophe": (self.copy_rate > MUTATION_HIGH and few_births,
                                     f"copy flip rate {self.copy_rate:g} (above "
                                     f"{MUTATION_HIGH:g}) with few births"),
        }
        indicators = {name: checks[name][0] for name in INDICATORS[self.regime]}
        signs = [name for name in SIGNS if signs_checked[name][0]]
        measures = {name: checks[name][1] for name in indicators}
        measures.update((name, signs_checked[name][1]) for name in signs)
        return {
            "step": event["step"],
            "regime": self.regime,
            "indicators": indicators,
            "signs": signs,
            "measures": measures,
            "advice": list(dict.fromkeys(ADVICE[name] for name in signs)),
        }


def ancestor_size(ancestor: object) -> int | None:
    """The size of the ANCESTOR a configuration names (a shipped name or a file), or None
    when it cannot be read here (a journal from another machine)."""
    from bytebiota.errors import UserError
    from bytebiota.genome import asm

    try:
        return len(asm.load(str(ancestor)).code)
    except (UserError, OSError, ValueError):
        return None


def unmet(health: dict[str, Any]) -> list[str]:
    return [name for name, ok in health["indicators"].items() if not ok]


def explain(health: dict[str, Any], name: str) -> str:
    """``name``'s measured value and threshold (a journal of an older version has none)."""
    measure = health.get("measures", {}).get(name)
    return f"{name.replace('_', ' ')}: {measure}" if measure else name.replace("_", " ")


def summary(health: dict[str, Any]) -> str:
    """A few words for ``run``'s periodic line, each sign with its value and threshold."""
    if health["signs"]:
        return "warning: " + "; ".join(explain(health, name) for name in health["signs"])
    missing = unmet(health)
    return "healthy" if not missing else "outside: " + "; ".join(
        explain(health, name) for name in missing)
