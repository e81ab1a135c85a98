"""Statistics of a world, for journals, dashboards and tests: never called during a run.

Owns nothing: functions of the World that count (size classes, genotypes, mutations, the
ecology's energy, resources, tasks and deaths). The ecology figures are rounded here for
the journal (3 decimals of a unit; the resource strip to 0.1), the same in both cores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from mypy_extensions import i64

from bytebiota.core.arith import UNIT
from bytebiota.core.cells import R_CSIZE, R_ENERGY, REG_W
from bytebiota.core.isa import TASKS

if TYPE_CHECKING:  # annotations only: world.py imports this module
    from bytebiota.core.world import World

STRIP: Final = 32  # regions of the resource field in a stats event's strip


def size_classes(w: World) -> list[tuple[i64, i64]]:
    """(size, living cells of that size), by size."""
    cells = w.cells
    counts: dict[i64, i64] = {}
    for c in range(cells.nslots):
        if cells.alive[c] != 0:
            s = cells.regs[c * REG_W + R_CSIZE]
            counts[s] = counts.get(s, 0) + 1
    return sorted(counts.items())


def genotype_counts(w: World) -> list[tuple[str, i64, i64, str]]:
    """Living genotypes as (name, size, cells, parent), most cells first."""
    bank = w.genebank
    out: list[tuple[str, i64, i64, str]] = []
    for gid in range(len(bank.genomes)):
        if bank.alive[gid] > 0:
            out.append((bank.names[gid], i64(len(bank.genomes[gid])), bank.alive[gid],
                        bank.parents[gid]))
    out.sort(key=_by_cells_then_name)
    return out


def _by_cells_then_name(row: tuple[str, i64, i64, str]) -> tuple[i64, str]:
    return -row[2], row[0]


def mutation_counts(w: World) -> dict[str, int]:
    m = w.mut
    return {
        "background": m.background_flips,
        "copy": m.copy_flips,
        "flaw": m.flaws,
        "insertion": m.insertions,
        "deletion": m.deletions,
    }


def living_energy(w: World) -> i64:
    cells = w.cells
    living: i64 = 0
    for c in range(cells.nslots):
        if cells.alive[c] != 0:
            living += cells.regs[c * REG_W + R_ENERGY]
    return living


def ecology_stats(w: World) -> dict[str, object]:
    """The ecology regime's part of a stats event (energies in whole units)."""
    cells = w.cells
    env = w.env
    living: i64 = 0
    broke: i64 = 0
    for c in range(cells.nslots):
        if cells.alive[c] != 0:
            living += cells.regs[c * REG_W + R_ENERGY]
            if cells.regs[c * REG_W + R_ENERGY] <= 0:
                broke += 1
    resources: i64 = 0
    bins = min(STRIP, env.env_len)
    strip = [0.0] * bins
    for e in range(env.env_len):
        resources += env.resource[e]
        strip[e * bins // env.env_len] += float(env.resource[e])
    per_bin = float(env.env_len) / float(bins) * float(UNIT)
    pop = w.population
    ledger = w.ledger
    return {
        "tasks": w.tasks.counts(cells),
        "energy": {"mean": round(float(living) / float(pop) / UNIT, 3) if pop else 0.0,
                   "total": round(float(living) / UNIT, 3), "broke": broke},
        "resources": {"total": round(float(resources) / UNIT, 3),
                      "strip": [round(v / per_bin, 1) for v in strip]},
        "task_events": {TASKS[t][0]: w.tasks.events[t] for t in range(len(TASKS))},
        "deaths_by": {"starved": ledger.starved, "reaped": w.reaped},
        "spawned": w.spawned,
    }


def energy_ledger(w: World) -> dict[str, int]:
    """Where the energy came from and went (millionths); ``living`` is what cells hold."""
    ledger = w.ledger
    return {
        "living": living_energy(w), "endowed": ledger.endowed,
        "harvested": ledger.harvested, "rewarded": ledger.rewarded, "cpu": ledger.spent_cpu,
        "rent": ledger.spent_rent, "spilled": ledger.spilled, "lost": ledger.lost,
    }
