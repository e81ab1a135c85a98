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

# workload -> digest after STEPS instructions from seed 1 (bench.py's workloads, no warm-up)
GOLDEN = {
    "ancestor": "840403c9c322324e3296f32a1d5a852628bf0b13625a78f1ed5347fde245e2b3",
    "classic": "b0578817e47c6df8e917d914554fcf90e424cb48b6df74c30a52e8b544ea7c5d",
    "ecology": "5c97cbd2f1f07b72d8e41ba881027c4dc7d99dca4eb6d71e6cc781fe86ff35ce",
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
