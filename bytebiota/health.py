"""Health diagnostics: the seed's "Healthy Evolution Indicators" and "Stagnation Warning
Signs", computed at every log interval from the stats events, with its troubleshooting step
for each sign that fires (docs/journal.md, ``health`` events).

A ``Monitor`` keeps what the signs need across intervals (the peak population, the previous
interval's births and deaths); ``check`` is a pure function of that and one stats event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The seed's bounds.
POPULATION_RANGE = (20, 500)
DIVERSITY_MIN = 0.5
MUTATION_RANGE = (0.001, 0.01)  # 0.1 % .. 1.0 % per copied byte
MUTATION_HIGH = 0.05
OCCUPANCY_MAX = 0.10
CRASH_BELOW = 50
LOW_BIRTHS_PER_CELL = 0.01  # births per living cell in an interval below this: "very low"

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
INDICATORS = ("population_stable", "turnover", "diversity", "mutation_rate", "occupancy")
SIGNS = tuple(ADVICE)


@dataclass
class Monitor:
    copy_rate: float  # COPY_BIT_FLIP_RATE
    soup_size: int
    peak: int = 0
    births: int | None = None
    deaths: int | None = None

    def check(self, event: dict[str, Any]) -> dict[str, Any]:
        """The ``health`` event for one stats event (and remember what the next one needs)."""
        population = int(event["population"])
        births = int(event["births"]) - (self.births if self.births is not None else 0)
        deaths = int(event["deaths"]) - (self.deaths if self.deaths is not None else 0)
        first = self.births is None
        self.births, self.deaths = int(event["births"]), int(event["deaths"])
        self.peak = max(self.peak, population)
        ratio = event["genotypes"] / population if population else 0.0
        occupancy = sum(size * count for size, count in event["sizes"]) / self.soup_size
        lo, hi = POPULATION_RANGE
        indicators = {
            "population_stable": lo <= population <= hi,
            "turnover": births > 0 and deaths > 0,
            "diversity": ratio > DIVERSITY_MIN,
            "mutation_rate": MUTATION_RANGE[0] <= self.copy_rate <= MUTATION_RANGE[1],
            "occupancy": occupancy < OCCUPANCY_MAX,
        }
        energy = event.get("energy")
        few_births = not first and births <= LOW_BIRTHS_PER_CELL * population
        fired = {
            "population_crash": self.peak >= CRASH_BELOW > population,
            "low_birth_rate": few_births,
            "energy_starvation": energy is not None and population > 0
                                 and energy["broke"] == population,
            "no_evolution": population > 1 and ratio == 1.0,
            "mutation_catastrophe": self.copy_rate > MUTATION_HIGH and few_births,
        }
        signs = [name for name in SIGNS if fired[name]]
        return {
            "step": event["step"],
            "indicators": indicators,
            "signs": signs,
            "advice": list(dict.fromkeys(ADVICE[name] for name in signs)),
        }


def summary(health: dict[str, Any]) -> str:
    """A few words for ``run``'s periodic line."""
    if health["signs"]:
        return "warning: " + ", ".join(health["signs"])
    unmet = [name for name, ok in health["indicators"].items() if not ok]
    return "healthy" if not unmet else "outside " + ", ".join(unmet)
