"""The experiment's phylogeny in the server's journal, as `run` keeps its one world's.

A run journals a ``genotype`` event when a genotype becomes permanent and counts every
living cell under its nearest permanent genotype in each ``stats`` event (``lineages``), so
`replay --plot` draws its Muller plot and phylogeny. An experiment's worlds live on the
workers; the server learns them from the island snapshots it restores before committing
(server/inspection.py). For each committed snapshot it journals a ``genotype`` event for
every permanent genotype not recorded before, named ``ISLAND/NAME`` as the top-genotypes
tables name them (``parent`` likewise; 0666god stays the root), with ``step`` the
experiment's instructions when the server learnt of it and ``island_step`` the island's own
step when it appeared; and its stats events carry the LINEAGES largest of the islands'
``lineages``, each island's as of its last committed snapshot (so they change at each
commit, not at each report), with ``lineage_cells``, the living cells of those snapshots
(the share a Muller plot draws is of those). What was recorded
and the islands' lineages go into the server's checkpoint; ``genotype`` events journaled
after it are read back at a restart, so no genotype is recorded twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bytebiota.core.genebank import GOD
from bytebiota.observe import LINEAGES
from bytebiota.server.inspection import Contents


def named(island: int, name: str | None) -> str | None:
    """A genotype of island ``island`` as the experiment names it (GOD and None unchanged)."""
    return name if name is None or name == GOD else f"{island}/{name}"


class Phylogeny:
    def __init__(self, state: dict[str, Any] | None = None) -> None:
        state = state or {}
        self.recorded: set[str] = set(state.get("recorded", []))
        self.islands: dict[int, list[list[Any]]] = {
            int(island): rows for island, rows in state.get("lineages", {}).items()}
        self.population: dict[int, int] = {
            int(island): cells for island, cells in state.get("population", {}).items()}

    def state(self) -> dict[str, Any]:
        return {"recorded": sorted(self.recorded),
                "lineages": {str(island): rows for island, rows in self.islands.items()},
                "population": {str(island): n for island, n in self.population.items()}}

    def seen(self, event: dict[str, Any]) -> None:
        """A ``genotype`` event journaled after the checkpoint this server resumed from."""
        self.recorded.add(str(event.get("name", "")))

    def commit(self, island: int, contents: Contents, steps: int,
               write: Callable[..., None]) -> None:
        """Island ``island``'s snapshot, holding ``contents``, was committed at ``steps``
        instructions of the experiment: its new permanent genotypes go to ``write`` as
        ``genotype`` events, and its lineages replace the ones it had."""
        for name, genome in contents.permanent:
            key = f"{island}/{name}"
            if key in self.recorded:
                continue
            self.recorded.add(key)
            parent, origin = contents.parents[name]
            write("genotype", name=key, parent=named(island, parent), step=steps,
                  island=island, island_step=origin, genome=genome.hex())
        self.islands[island] = [[named(island, name), cells, named(island, above)]
                                for name, cells, above in contents.lineages]
        self.population[island] = contents.population

    def stats(self) -> dict[str, Any]:
        """A stats event's ``lineages`` and ``lineage_cells`` (the cells of the snapshots
        they count, which the experiment's ``population``, from the reports, runs ahead of;
        none before the first commit)."""
        return {"lineages": self.lineages(), "lineage_cells": sum(self.population.values())}

    def lineages(self) -> list[list[Any]]:
        """The islands' LINEAGES largest lineages, most cells first (a stats event's
        ``lineages``; the cells of no permanent lineage yet, 0666god's, summed)."""
        rows: dict[str, list[Any]] = {}
        for island in sorted(self.islands):
            for name, cells, above in self.islands[island]:
                if name in rows:
                    rows[name][1] += int(cells)
                else:
                    rows[name] = [name, int(cells), above]
        return sorted(rows.values(), key=lambda row: (-row[1], str(row[0])))[:LINEAGES]
