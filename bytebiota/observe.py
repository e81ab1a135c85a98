"""What a world shows of itself between two looks: the figures of a ``stats`` journal event.

``bytebiota run`` journals them for its one world (run.stats_event); a worker sends them in
each REPORT's ``stats`` for its island (worker/client.py), checked at the server against
protocol/messages.py REPORT_STATS, and the server combines its islands' into its own
``stats`` events (server/coordinator.py ``stats_event``). One function for both, so a
dashboard, a replay and a monitor read the same figures wherever the world ran.

Everything here reads the world and changes nothing of it (no random draw): calling it
between two chunks never changes the simulation.
"""

from __future__ import annotations

from typing import Any

from bytebiota.core.arith import UNIT
from bytebiota.core.world import World

SOUP_MAP_SEGMENTS = 512  # the soup folded into this many stretches in each stats event
TOP_GENOTYPES = 10  # genotypes listed in each stats event
LINEAGES = 50  # permanent lineages counted in a run's stats events (Muller plots)


def figures(world: World) -> dict[str, Any]:
    """The island's figures beyond its counters: size classes, mutations so far, the most
    abundant genotypes ([name, size, cells, parent]), the soup map, and in the ecology
    regime tasks, energy, the resource field, rewarded task events, causes of death and
    spawns (core/stats.py ``ecology_stats``)."""
    genotypes = world.genotype_counts()
    out: dict[str, Any] = {
        "sizes": [[int(s), int(n)] for s, n in world.size_classes()],
        "mutations": world.mutation_counts(),
        "top_genotypes": [[name, int(size), int(cells), parent]
                          for name, size, cells, parent in genotypes[:TOP_GENOTYPES]],
        "soup": soup_map(world),
    }
    if world.eco:
        out.update(world.ecology_stats())
    return out


def soup_map(world: World) -> dict[str, Any]:
    """Where the genotypes live: the soup in SOUP_MAP_SEGMENTS stretches, each named by the
    genotype holding most of its bytes (a cell's own memory; the soup's wrap-around split at
    its end), or free when no cell holds any; run-length encoded (``runs``: [index into
    ``names`` or -1, count]) with ``held``, the bytes held per stretch in 1/8ths of it (so a
    sparse soup's lone cells still show, and a view can tell them from a full stretch). In
    the ecology regime ``energy`` is, per stretch, the mean energy (whole units) of the
    cells holding it, weighted by the bytes each holds there (0 for a free stretch). One
    pass over the living cells: its cost follows the population, not the soup's size."""
    cells, bank = world.cells, world.genebank
    size = int(world.mem.size)
    segments = min(SOUP_MAP_SEGMENTS, size)
    eco = bool(world.eco)
    held: list[dict[int, int]] = [{} for _ in range(segments)]
    energy = [0] * segments  # energy x bytes held, per stretch (millionths)
    for c in range(int(cells.nslots)):
        if not cells.alive[c]:
            continue
        gid, a, left = int(cells.geno[c]), int(cells.reg(c, "start")), int(cells.reg(c, "csize"))
        units = int(cells.reg(c, "energy")) if eco else 0
        while left > 0:
            k = a * segments // size
            while (k + 1) * size // segments <= a:  # the stretches' bounds are rounded down
                k += 1
            end = min((k + 1) * size // segments, a + left)
            held[k][gid] = held[k].get(gid, 0) + end - a
            energy[k] += units * (end - a)
            left -= end - a
            a = end % size
    names: list[str] = []
    index: dict[str, int] = {}
    runs: list[list[int]] = []
    eighths: list[int] = []
    held_bytes = [sum(owners.values()) for owners in held]
    for k, owners in enumerate(held):
        slot = -1
        if owners:
            name = bank.names[max(owners, key=lambda g: (owners[g], g))]
            slot = index.setdefault(name, len(names))
            if slot == len(names):
                names.append(name)
        span = (k + 1) * size // segments - k * size // segments
        eighths.append(min(8, -(-8 * held_bytes[k] // span)))
        if runs and runs[-1][0] == slot:
            runs[-1][1] += 1
        else:
            runs.append([slot, 1])
    out: dict[str, Any] = {"segments": segments, "names": names, "runs": runs,
                           "held": eighths}
    if eco:
        out["energy"] = [round(e / n / UNIT) if n else 0
                         for e, n in zip(energy, held_bytes, strict=True)]
    return out


def lineage_counts(world: World) -> list[list[Any]]:
    """Every living cell counted under its nearest permanent genotype (its own genotype's
    when that is permanent, else the nearest ancestor that was permanent when its genotype
    appeared; 0666god when none was yet), the LINEAGES largest, most cells first, as
    ``[name, cells, ancestor]``: ``ancestor`` is that genotype's own nearest permanent
    ancestor, so the journal knows the permanent genotypes' tree (null for 0666god).
    A run's stats events carry them (`replay --plot`'s Muller plot); a REPORT does not."""
    bank = world.genebank
    cells: dict[str, int] = {}
    permanent: dict[str, str] = {}
    for gid in range(len(bank.genomes)):
        if bank.permanent[gid]:
            permanent[bank.names[gid]] = bank.lineage[gid]
        if bank.alive[gid] > 0:
            name = bank.names[gid] if bank.permanent[gid] else bank.lineage[gid]
            cells[name] = cells.get(name, 0) + int(bank.alive[gid])
    largest = sorted(cells.items(), key=lambda kv: (-kv[1], kv[0]))[:LINEAGES]
    return [[name, n, permanent.get(name)] for name, n in largest]
