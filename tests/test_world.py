"""The world as a whole: the ancestor, determinism, snapshots, memory invariants, mutations."""

from __future__ import annotations

import contextlib
import hashlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bytebiota.config import isolated
from bytebiota.core import life
from bytebiota.core.genebank import genotype_name, letters
from bytebiota.core.params import LEGACY_FIELDS, PARAM_FIELDS, packed_size
from bytebiota.core.snapshot import SNAPSHOT_MAGIC, SNAPSHOT_VERSION
from bytebiota.core.world import SnapshotError, World, restore
from bytebiota.genome import asm
from tests.conftest import classic_params

ANCESTOR = asm.ancestor("classic").code
CLASSIC = {"soup_size": 60_000, "max_occupancy": 1.0, "reap_top_fraction": 0.3, "max_mal_mult": 3}
RAY = {**CLASSIC, "background_interval": 10_000, "copy_rate": 0.0005, "flaw_rate": 0.00004}


def ancestor_world(seed: int = 1, **params: object) -> World:
    world = World(classic_params(**{**CLASSIC, **params}), seed)  # type: ignore[arg-type]
    world.inject(ANCESTOR, 0)
    return world


def test_the_ancestor_is_80_instructions() -> None:
    assert len(ANCESTOR) == 80
    assert asm.ancestor("classic").name == "0080aaa"


def test_ancestor_daughter_costs() -> None:
    world = ancestor_world()
    mother = world.slicer.cur
    world.run(827)
    assert world.births == 1 and world.cells.first_cost[mother] == 827  # Tierra 6.02: 827
    while world.cells.nbirths[mother] < 2:
        world.run(1)
    assert world.cells.reg(mother, "executed") == 827 + 809  # and 809 for each later daughter
    assert [row[0] for row in world.genotype_counts()] == ["0080aaa"]


def test_the_ancestor_fills_the_soup_without_mutations() -> None:
    world = ancestor_world()
    world.run(2_000_000)
    assert 300 <= world.population <= 450
    assert world.size_classes() == [(80, world.population)]
    assert world.deaths > 0  # the reaper is at work


def test_same_seed_same_world_different_seed_different_world() -> None:
    a, b, c = ancestor_world(7, **RAY), ancestor_world(7, **RAY), ancestor_world(8, **RAY)
    for w in (a, b, c):
        w.run(300_000)
    assert a.digest() == b.digest() != c.digest()


def test_running_in_pieces_equals_running_at_once() -> None:
    whole = ancestor_world(3, **RAY)
    whole.run(250_000)
    pieces = ancestor_world(3, **RAY)
    for n in (1, 99, 1000, 48_900, 200_000):
        pieces.run(n)
    assert pieces.steps == whole.steps == 250_000
    assert pieces.digest() == whole.digest()


def test_snapshot_restore_continues_exactly() -> None:
    world = ancestor_world(5, **RAY)
    world.run(123_457)  # mid-slice
    copy = restore(world.snapshot())
    assert copy.digest() == world.digest()
    world.run(200_000)
    copy.run(200_000)
    assert copy.digest() == world.digest()
    assert copy.snapshot() == world.snapshot()


def test_slice_limit_stops_at_slice_boundaries() -> None:
    world = ancestor_world()
    report = world.run(10_000_000, 5)
    assert world.slices == 5 and report.steps == world.steps < 10_000_000


@pytest.mark.parametrize("damage", ["truncate", "flip", "magic", "empty"])
def test_damaged_snapshots_are_refused(damage: str) -> None:
    data = bytearray(ancestor_world().snapshot())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data[len(data) // 2] ^= 1
    elif damage == "magic":
        data[0] ^= 1
    else:
        data = bytearray()
    with pytest.raises(SnapshotError):
        restore(bytes(data))


def test_mutations_off_means_none() -> None:
    world = ancestor_world()
    world.run(500_000)
    assert world.mutation_counts() == {
        "background": 0, "copy": 0, "flaw": 0, "insertion": 0, "deletion": 0}


def test_mutation_rates_are_about_right() -> None:
    world = ancestor_world(11, **RAY)
    world.run(2_000_000)
    counts = world.mutation_counts()
    assert 150 <= counts["background"] <= 250  # 1 per 10,000 instructions
    # 1 per 25,000 instructions, counted where the instruction writes a register (about a
    # third of the ancestor's instructions)
    assert 15 <= counts["flaw"] <= 60
    assert counts["copy"] > 0 and counts["insertion"] == counts["deletion"] == 0


def test_indels_change_daughter_sizes() -> None:
    world = ancestor_world(2, indel_rate=1.0, indel_insertion_bias=0.5)
    world.run(400_000)
    counts = world.mutation_counts()
    assert counts["insertion"] > 0 and counts["deletion"] > 0
    assert {size for size, _ in world.size_classes()} != {80}


def test_genotype_names() -> None:
    assert [letters(k) for k in (0, 1, 25, 26, 17575, 17576)] == [
        "aaa", "aab", "aaz", "aba", "zzz", "aaaa"]
    assert genotype_name(80, 0) == "0080aaa"
    assert genotype_name(45, 27) == "0045abb"


def test_permanent_genotypes_are_reported_once() -> None:
    world = ancestor_world()
    first = world.run(400_000)
    second = world.run(400_000)
    assert first.permanent == ["0080aaa"] and second.permanent == []


# ---- memory invariants under random injections and deaths ----------------------------------


def check_memory(world: World) -> None:
    starts = list(world.mem.fstart)
    lengths = list(world.mem.flen)
    assert starts == sorted(starts)
    for k in range(len(starts) - 1):
        assert starts[k] + lengths[k] < starts[k + 1], "free blocks must not touch or overlap"
    free = sum(lengths)
    assert world.mem.allocated + free == world.size
    owned = [0] * world.size
    for c in world.living():
        start, size = world.cells.reg(c, "start"), world.cells.reg(c, "csize")
        for a in range(start, start + size):
            assert owned[a] == 0
            owned[a] = c + 1
        if world.cells.reg(c, "dstart") >= 0:
            dstart, dsize = world.cells.reg(c, "dstart"), world.cells.reg(c, "dsize")
            for a in range(dstart, dstart + dsize):
                assert owned[a] == 0
                owned[a] = c + 1
    assert owned == list(world.mem.owner)
    for s, n in zip(starts, lengths, strict=True):
        assert all(owned[a] == 0 for a in range(s, s + n))
    assert sorted(world.living()) == sorted(world.reaper_order())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(1, 60), st.integers(0, 10**6)),
                max_size=60))
def test_allocation_invariants(ops: list[tuple[bool, int, int]]) -> None:
    world = World(classic_params(soup_size=512), 1)
    for inject, size, pick in ops:
        cells = world.living()
        if inject or not cells:
            with contextlib.suppress(ValueError):
                world.inject(bytes(size), -1)
        else:
            life.kill(world, cells[pick % len(cells)])
        check_memory(world)


def test_memory_stays_consistent_in_an_evolving_soup() -> None:
    world = ancestor_world(4, **{**RAY, "indel_rate": 0.2})
    for _ in range(5):
        world.run(100_000)
        check_memory(world)
    check_memory(restore(world.snapshot()))


def test_inject_refuses_what_does_not_fit() -> None:
    world = World(classic_params(soup_size=128), 1)
    with pytest.raises(ValueError, match="not an opcode"):
        world.inject(bytes([40]))
    with pytest.raises(ValueError, match="no free room"):
        world.inject(bytes(100), 50)
    with pytest.raises(ValueError, match="empty"):
        world.inject(b"")


def test_a_format_2_snapshot_is_read_with_the_semantics_it_had() -> None:
    # A checkpoint written before MAL_REPLACES_DAUGHTER and WRITE_FREE_MEMORY existed: its
    # packed parameters lack them; it resumes with both off, as it ran.
    world = ancestor_world(3, **RAY)
    world.run(200_000)
    data = world.snapshot()
    body = data[:-32]
    start = len(SNAPSHOT_MAGIC) + 2
    (written,) = struct.unpack("<H", body[start - 2 : start])  # 3: it holds a classic world
    assert written == 3 < SNAPSHOT_VERSION
    legacy = dict(LEGACY_FIELDS[2])
    old_params = b"".join(struct.pack("<" + code, getattr(world.p, name))
                          for name, code in PARAM_FIELDS if name not in legacy)
    old_body = (SNAPSHOT_MAGIC + struct.pack("<H", 2) + old_params
                + body[start + packed_size(written):])
    old = restore(old_body + hashlib.sha256(old_body).digest())
    assert (old.p.mal_replaces, old.p.write_free) == (0, 0)
    assert old.digest() == world.digest()
    old.run(100_000)
    world.run(100_000)
    assert old.digest() == world.digest()


def test_with_relabelling_every_cell_is_labelled_with_the_genome_it_holds() -> None:
    # RELABEL_CHANGED_GENOMES (Tierra): a cell whose body changes, by a background flip or
    # by writing into itself, becomes a cell of its new genotype.
    world = ancestor_world(5, **{**RAY, "background_interval": 50, "relabel": 1})
    bank = world.genebank
    world.run(400_000)
    assert world.mut.background_flips > 5000
    for c in world.living():
        assert bank.genomes[world.cells.geno[c]] == world.genome_of(c)
    assert sum(int(x) for x in bank.alive) == world.population
    plain = ancestor_world(5, **{**RAY, "background_interval": 50})
    plain.run(400_000)
    assert any(plain.genebank.genomes[plain.cells.geno[c]] != plain.genome_of(c)
               for c in plain.living())  # without it, struck cells keep their birth label


def test_a_relabelled_cell_descends_from_its_old_genotype() -> None:
    world = ancestor_world(1, relabel=1)
    c = world.living()[0]
    world.mem.soup[world.cells.reg(c, "start") + 5] ^= 1  # as a background flip would
    life.struck(world, world.cells.reg(c, "start") + 5)
    gid = world.cells.geno[c]
    assert world.genebank.names[gid] == "0080aab"
    assert world.genebank.parents[gid] == "0080aaa"
    assert world.genebank.alive[gid] == 1 and world.genebank.living == 1


def test_slices_started_inside_run_slice_equal_slices_started_by_run() -> None:
    # In the classic regime run_slice starts the next cells' slices itself until the budget
    # World.run gave it ends (the next background flip, flaw or rate adjustment); with
    # slice_limit=1 every slice is one call started by World.run, as before. Mutations,
    # flaws, background flips, per-generation rates (an adjustment at 1 M) and Tierra's
    # random slices all on: the two must be the same world at every stop.
    from bytebiota.simulation import new_world

    config = isolated(["SOUP_SIZE=20000", "FLAW_RATE=0.002", "BACKGROUND_FLIP_INTERVAL=997"],
                      named_flags={"--regime": "classic"})
    inside, one_by_one = new_world(config, 5), new_world(config, 5)
    for stop in range(1, 13):
        inside.run(100_000 * stop - inside.steps)
        while one_by_one.steps < inside.steps:
            one_by_one.run(inside.steps - one_by_one.steps, slice_limit=1)
        assert one_by_one.steps == inside.steps
        assert one_by_one.slices == inside.slices, stop
        assert one_by_one.digest() == inside.digest(), stop
    assert inside.births > 100 and inside.mut.background_flips > 100


def test_a_run_stopped_by_slices_and_one_stopped_by_steps_agree_at_every_stop() -> None:
    # `run` stops at slice counts (LOG_INTERVAL_SLICES), `replay` re-runs by steps; with
    # Tierra's random slices some are empty (length 0). An empty slice once counted as a
    # slice, so a run could stop just after one while a replay stopped at the same step just
    # before it: the same step, two states (replay --verify failed at step 213,781 of a run).
    from bytebiota.simulation import new_world

    config = isolated(["SOUP_SIZE=20000"], named_flags={"--regime": "classic"})
    by_slices, by_steps = new_world(config, 11), new_world(config, 11)
    assert by_slices.p.slice_random > 0 and by_slices.p.slice_fixed == 0  # 0-50 instructions
    for _ in range(3000):  # one slice in 51 is empty: 3000 stops of 3 slices meet many
        by_slices.run(10**9, slice_limit=3)
        by_steps.run(by_slices.steps - by_steps.steps)
        assert by_steps.digest() == by_slices.digest(), by_slices.steps
