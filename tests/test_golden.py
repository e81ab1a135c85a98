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
# reaped, mutation rates per generation); a world with rates per generation (classic) or issue
# 19's mechanisms is written in snapshot format 4, others in format 3 as before (the ecology's
# digest is the one it had before both); an empty slice is no longer counted in `slices`.
GOLDEN = {
    "ancestor": "f344fffee1b8c6b69ccf254af6e42c4640bf926bfd7559aa1753dd14a20eb6cd",
    "classic": "7ef627c50fe8773f8043dc5d3bf231656608d9034dceb7d5b249c074281d49b8",
    "ecology": "78e3b63b600d63e1a3d30545d9d585466933f1279208cc07b9098a90fe2d7e01",
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
