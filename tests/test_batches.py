"""What verified results rest on (docs/deployment.md, "Verified results"): a batch is fixed
by its start state, the immigrants entering before it and its length, however it is sliced.

A worker runs a batch in chunks sized by the clock (about 20 ms each); a validator re-runs
it from a restored snapshot in other chunks. So ``run(a)`` then ``run(b)`` must be
``run(a + b)`` wherever the cut falls (mid-slice, just before a DIVIDE...), and a restored
world must go on exactly as the original, in every regime: an honest worker would otherwise
be outvoted and quarantined.
"""

from __future__ import annotations

import random

import pytest

from bytebiota import simulation
from bytebiota.config import isolated
from bytebiota.core.world import World, restore

WARMUP = 1_000_000  # a soup past its first generations: divisions in every slice
TOTAL = 300_000


@pytest.mark.parametrize("regime", ["classic", "ecology"])
def test_cutting_a_run_anywhere_changes_nothing(regime: str) -> None:
    world = simulation.new_world(isolated(named_flags={"--regime": regime}), 5)
    world.run(WARMUP)
    start = world.snapshot()
    whole = restore(start)
    whole.run(TOTAL)
    rng = random.Random(1)
    for _ in range(3):  # about 130 cuts each, of 1 to 20,000 instructions
        cut = restore(start)
        left = TOTAL
        while left:
            n = min(left, rng.choice([1, 7, 100, 1234, rng.randrange(1, 20_000)]))
            cut.run(n)
            left -= n
        assert cut.digest() == whole.digest()
    world.run(TOTAL)  # the original, never restored
    assert world.digest() == whole.digest()


def test_a_batch_with_immigrants_and_emigrants_re_runs_the_same() -> None:
    config = isolated(named_flags={"--regime": "classic"})
    world = simulation.new_world(config, 9)
    world.run(WARMUP)
    start = world.snapshot()
    immigrant = simulation.load_ancestor(config).code

    def batch(w: World, chunks: list[int]) -> tuple[str, list[bytes]]:
        w.immigrate(immigrant)
        for n in chunks:
            w.run(n)
        emigrants = w.emigrants(2)
        return w.digest(), emigrants

    assert batch(world, [TOTAL]) == batch(restore(start), [1, 99_999, 150_000, 50_000])
