"""core/mutation.py (MutationEngine): schedules, flips, flaws and indels."""

from __future__ import annotations

from collections import Counter

from bytebiota.config import isolated
from bytebiota.core.cells import Cells
from bytebiota.core.isa import CODES
from bytebiota.core.memory import Memory
from bytebiota.core.mutation import ADJUST_INTERVAL, MIN_CELL, Mutation, gap, mean_gap
from bytebiota.core.rng import Rng
from bytebiota.core.world import World, restore
from bytebiota.genome import asm
from tests.conftest import classic_params


def test_mean_gaps() -> None:
    assert (mean_gap(0.0), mean_gap(-1.0), mean_gap(1.0), mean_gap(2.0)) == (0, 0, 1, 1)
    assert mean_gap(0.001) == 1000 and mean_gap(0.00004) == 25_000


def test_gaps_are_uniform_in_one_to_twice_the_mean() -> None:
    rng = Rng(3)
    assert gap(rng, 0) == -1 and gap(rng, 1) == 1
    draws = [gap(rng, 10) for _ in range(20_000)]
    assert min(draws) == 1 and max(draws) == 19
    assert abs(sum(draws) / len(draws) - 10) < 0.2
    assert len(Counter(draws)) == 19


def test_no_rates_no_schedules() -> None:
    m = Mutation(classic_params(), Rng(1))
    assert (m.bg_cd, m.copy_cd, m.flaw_cd, m.indel_threshold) == (-1, -1, -1, 0)


def test_a_copy_flip_flips_one_bit_within_the_instruction_set() -> None:
    p = classic_params(copy_rate=0.01)
    m = Mutation(p, Rng(5))
    rng = Rng(9)
    for b in range(32):
        flipped = m.copy_flip(rng, b)
        assert bin(flipped ^ b).count("1") == 1 and 0 <= flipped < 32
        assert 1 <= m.copy_cd <= 199
    assert m.copy_flips == 32


def test_a_background_flip_changes_one_bit_of_the_soup() -> None:
    m = Mutation(classic_params(background_interval=100), Rng(1))
    mem = Memory(1000, 1.0)
    m.background_flip(mem, Rng(2))
    assert sum(bin(x).count("1") for x in bytes(mem.soup)) == 1
    assert m.background_flips == 1 and 1 <= m.bg_cd <= 199


def test_a_flaw_nudges_the_register_the_instruction_wrote() -> None:
    m = Mutation(classic_params(flaw_rate=0.01), Rng(1))
    cells = Cells()
    c = cells.new_slot()
    cells.set_reg(c, "ax", 0)
    m.flaw(cells, Rng(4), 1000, c, CODES["inc_a"])
    assert cells.reg(c, "ax") in (1, 999) and m.flaws == 1
    m.flaw(cells, Rng(4), 1000, c, CODES["nop_0"])  # writes no register: no flaw
    assert m.flaws == 1


def test_indels_grow_or_shrink_the_daughter_by_one() -> None:
    p = classic_params(indel_rate=1.0, indel_insertion_bias=0.5)
    m = Mutation(p, Rng(1))
    rng = Rng(11)
    sizes: Counter[int] = Counter()
    for _ in range(200):
        mem = Memory(200, 1.0)
        assert mem.alloc_at(50, 20)
        size = m.indel(mem, rng, 32, 50, 20)
        sizes[size] += 1
        assert mem.allocated == size
    assert set(sizes) == {19, 21} and m.insertions + m.deletions == 200


def test_no_insertion_without_a_free_byte_after_and_no_deletion_below_the_minimum() -> None:
    m = Mutation(classic_params(indel_rate=1.0, indel_insertion_bias=1.0), Rng(1))
    mem = Memory(200, 1.0)
    assert mem.alloc_at(50, 21)
    assert m.indel(mem, Rng(2), 32, 50, 20) == 20  # byte 70 is taken
    m = Mutation(classic_params(indel_rate=1.0, indel_insertion_bias=0.0), Rng(1))
    assert m.indel(mem, Rng(2), 32, 50, MIN_CELL) == MIN_CELL


def _tierra_world(seed: int = 2) -> World:
    from bytebiota.simulation import new_world

    return new_world(isolated(named_flags={"--regime": "classic"}), seed)


def test_rates_per_generation_follow_the_soup_from_the_first_million_on() -> None:
    # the classic regime: GENERATIONS_PER_COPY_FLIP 8, _BACKGROUND_FLIP 25, _FLAW 30
    world = _tierra_world()
    mut = world.mut
    assert (mut.copy_mean, mut.background_interval, mut.flaw_mean) == (1000, 10_000, 25_000)
    world.run(ADJUST_INTERVAL - 1)
    assert mut.copy_mean == 1000  # the fixed rates hold until the first adjustment
    world.run(1)
    cells = world.cells
    living = [c for c in range(cells.nslots) if cells.alive[c]]
    size = int(world.total_cell_bytes) / int(world.population)
    executed = sum(int(cells.exec_mark[c]) for c in living if cells.nbirths[c] > 0)
    daughters = sum(int(cells.nbirths[c]) for c in living if cells.nbirths[c] > 0)
    rep_inst = executed / daughters
    assert 780 < rep_inst < 900  # the ancestor's 809-827 instructions a daughter
    p = world.p
    assert (p.gen_copy, p.gen_background, p.gen_flaw) == (8.0, 25.0, 30.0)
    assert mut.copy_mean == round(8.0 * size)
    assert mut.flaw_mean == round(30.0 * rep_inst)
    assert mut.background_interval == round(
        25.0 * int(world.population) * rep_inst * size / int(world.size))


def test_rates_per_generation_do_not_depend_on_how_a_run_is_cut_or_resumed() -> None:
    whole = _tierra_world(4)
    whole.run(1_500_000)
    cut = _tierra_world(4)
    for _ in range(3):
        cut.run(300_001)
    cut = restore(cut.snapshot())  # resumed before the first adjustment
    cut.run(400_000)
    cut = restore(cut.snapshot())  # and after it
    cut.run(1_500_000 - cut.steps)
    assert cut.steps == whole.steps and cut.digest() == whole.digest()
    assert cut.mut.copy_mean != 1000  # the soup has moved the means


def test_fixed_rates_are_written_as_format_3_and_rates_per_generation_as_format_4() -> None:
    from bytebiota.core.snapshot import SNAPSHOT_VERSION

    fixed = World(classic_params(copy_rate=0.001, background_interval=10_000), 3)
    fixed.inject(asm.ancestor("classic").code, 0)
    fixed.run(300_000)
    data = fixed.snapshot()
    assert data[7:9] == (3).to_bytes(2, "little")  # what the core wrote before issue 17
    again = restore(data)
    assert (again.mut.copy_mean, again.mut.background_interval) == (1000, 10_000)
    again.run(200_000)
    fixed.run(200_000)
    assert again.digest() == fixed.digest()
    tierra = _tierra_world(3)
    tierra.run(1_100_000)  # past the first adjustment
    data = tierra.snapshot()
    assert data[7:9] == (4).to_bytes(2, "little") == (SNAPSHOT_VERSION - 2).to_bytes(2, "little")
    assert restore(data).mut.copy_mean == tierra.mut.copy_mean != 1000


def test_with_mutation_reach_any_a_mutation_substitutes_any_other_opcode_uniformly() -> None:
    from bytebiota.simulation import default_params

    m = Mutation(default_params("ecology", copy_rate=0.01, substitute=1), Rng(5))
    assert m.substitute
    rng = Rng(11)
    draws = Counter(m.copy_flip(rng, 40) for _ in range(63_000))
    assert set(draws) == set(range(64)) - {40}  # every other opcode, never the same
    assert min(draws.values()) > 850 and max(draws.values()) < 1150
    mem = Memory(1000, 1.0)
    for _ in range(200):
        a = m.background_flip(mem, rng)
        assert mem.soup[a] != 0 and mem.soup[a] < 64
        mem.soup[a] = 0


def test_by_default_and_in_the_classic_regime_a_mutation_flips_one_bit() -> None:
    from bytebiota.simulation import default_params

    assert not Mutation(classic_params(copy_rate=0.01), Rng(5)).substitute
    m = Mutation(default_params("ecology", copy_rate=0.01), Rng(5))  # MUTATION_REACH=bit
    assert not m.substitute
    rng = Rng(11)
    assert {m.copy_flip(rng, 40) ^ 40 for _ in range(600)} == {1, 2, 4, 8, 16, 32}
