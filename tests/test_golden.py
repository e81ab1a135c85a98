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
    "ancestor": "9b8c08c2cbc1b8b32540b78b2fd69cf3f06e907f53f8bf2a6b451677f468a207",
    "classic": "e2ee07222475b1a36f23f540e21aaba4389e1e6ef933c658f28acaca78150d95",
    "ecology": "7319e4f8bbcf20259c53cea8c1110d9f6e6271ed94eb0d8de055ada9be9e1deb",
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
