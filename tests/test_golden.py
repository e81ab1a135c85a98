"""Golden digests: fixed runs of the bench's three workloads and a resumed run end on recorded
digests, in both cores. Any change to the core that is meant to keep behaviour (a refactor, a
speed-up) must leave every one of them unchanged; a change meant to alter behaviour updates
them in the same commit and says why.

The runs are short (the pure core runs them too); the long compiled = pure checks live in
tests/test_exactness.py.
"""

from __future__ import annotations

import pytest

from bytebiota import simulation
from bytebiota.config import isolated
from bytebiota.core.world import World, restore

STEPS = 600_000

# workload -> digest after STEPS instructions from seed 1 (bench.py's workloads, no warm-up).
# Last changed by issue 17: the classic regime took Tierra 6.02's semantics (better-fit MAL that
# replaces a held block, writes into free memory, relabelling, 0-50 random slices, the top 30 %
# reaped, mutation rates per generation), and snapshot format 4 (three parameters, the mutation
# means in force) changed every digest, the ecology's included (its behaviour did not change);
# an empty slice (a random length of 0) is no longer counted in `slices`.
GOLDEN = {
    "ancestor": "23ea36f166df5abb59d27741b23a0ae307467301b9d1f69a1c53f81388d1b1c5",
    "classic": "5ba0977efa691925dee8a06b6dd6281fe2a3657263b9acf741a86482f95b5695",
    "ecology": "707157dd56b22a3871a0d86142c71d5c12dd92b3ac5d73c19f8a9650a66774bb",
}
WORKLOADS = {
    "ancestor": ("classic", False),
    "classic": ("classic", True),
    "ecology": ("ecology", True),
}


def _world(name: str) -> World:
    regime, mutations = WORKLOADS[name]
    config = isolated(named_flags={"--regime": regime})
    return simulation.new_world(config, 1, mutations=mutations)


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_a_fixed_run_ends_on_its_golden_digest(name: str) -> None:
    world = _world(name)
    world.run(STEPS)
    assert world.digest() == GOLDEN[name]


@pytest.mark.parametrize("name", ["classic", "ecology"])
def test_a_run_resumed_from_a_snapshot_ends_on_the_same_golden_digest(name: str) -> None:
    world = _world(name)
    world.run(STEPS // 3)
    resumed = restore(world.snapshot())
    del world
    resumed.run(STEPS - STEPS // 3)
    assert resumed.digest() == GOLDEN[name]
