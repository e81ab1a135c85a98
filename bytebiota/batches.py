"""A batch of an island, as every party runs it: the worker for its own islands and for the
spans it re-runs for others (VALIDATE), and the server when it settles a dispute itself.

A batch is fixed by its start state, the immigrants entering before it and its length:
the immigrants enter, the instructions run (in any slicing: ``run(a)`` then ``run(b)`` is
``run(a + b)``), the run stops early only at extinction, then EMIGRANTS_PER_BATCH emigrants
are drawn (a draw: before the digest) and the end digest is taken. ``Outcome`` is what a
REPORT carries of it, and its fingerprint what a re-run must reproduce.
"""

from __future__ import annotations

from dataclasses import dataclass

from bytebiota import simulation
from bytebiota.core.world import Params, World, restore
from bytebiota.protocol.messages import batch_fingerprint

EMIGRANTS_PER_BATCH = 2


@dataclass
class Outcome:
    """What one batch gave: the REPORT's figures, and whether it ran to its end."""

    steps: int
    births: int
    deaths: int
    population: int
    genotypes: int
    digest: bytes
    emigrants: list[bytes]
    complete: bool

    def fingerprint(self) -> bytes:
        return batch_fingerprint(steps=self.steps, births=self.births, deaths=self.deaths,
                                 population=self.population, genotypes=self.genotypes,
                                 digest=self.digest, emigrants=self.emigrants)


def finish(world: World, births: int, deaths: int, steps: int, *, complete: bool) -> Outcome:
    """The end of a batch that ran ``steps`` instructions from ``births`` and ``deaths``."""
    emigrants = world.emigrants(EMIGRANTS_PER_BATCH)
    return Outcome(steps, int(world.births - births), int(world.deaths - deaths),
                   int(world.population), int(world.genebank.living),
                   bytes.fromhex(world.digest()), emigrants, complete)


def start(params: Params, snapshot: bytes, seed: int, founders: list[bytes]) -> World:
    """A LEASE's or a VALIDATE's start state: its snapshot (SnapshotError if unusable), or a
    fresh world of the experiment from its seed and founding genomes."""
    if snapshot:
        return restore(snapshot)
    world = World(params, seed)
    for genome in founders:
        world.immigrate(genome)
    return world


def rerun(params: Params, snapshot: bytes, seed: int, founders: list[bytes], *,
          immigrants: list[bytes], entered: list[int], steps: list[int]) -> list[bytes]:
    """The fingerprints of a span re-run in one go (the server's arbitration; a worker runs
    the same batches in slices between heartbeats)."""
    world = start(params, snapshot, seed, founders)
    fingerprints = []
    taken = 0
    for count, length in zip(entered, steps, strict=True):
        for genome in immigrants[taken : taken + count]:
            world.immigrate(genome)
        taken += count
        births, deaths, left = world.births, world.deaths, length
        while left > 0:
            report = world.run(left)
            left -= int(report.steps)
            if report.extinct:
                break
        fingerprints.append(finish(world, births, deaths, length - left,
                                   complete=True).fingerprint())
    return fingerprints


def rerun_for(values: dict[str, object], snapshot: bytes, seed: int, founders: list[bytes],
              *, immigrants: list[bytes], entered: list[int], steps: list[int]) -> list[bytes]:
    """``rerun`` for the experiment of these public configuration values (plain data: what
    a child process is handed)."""
    from bytebiota.config import from_values

    params = simulation.params(from_values(values))  # type: ignore[arg-type]
    return rerun(params, snapshot, seed, founders, immigrants=immigrants, entered=entered,
                 steps=steps)
