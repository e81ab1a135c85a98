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
    "ancestor": "fa5c2b533f1f351844764f08af54c669007c9a9ef09f0fbdcb1148c857c56106",
    "classic": "ec9e447695faf5f4a802963739c088c44ccd0deaa0af31c0b53ed8365b8ad600",
    "ecology": "c94095fd45e3b51b8c824edfae684260ff10b6a57179756f176a97445710689c",
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
