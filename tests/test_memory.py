"""core/memory.py (SoupMemory): allocation, freeing and the free list's invariants."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from bytebiota.core.memory import Memory

SIZE = 256


def check(mem: Memory, held: dict[int, tuple[int, int]]) -> None:
    """The free list is sorted, disjoint and maximal, and covers exactly what is not held."""
    blocks = mem.free_blocks()
    for (s0, n0), (s1, _) in itertools.pairwise(blocks):
        assert s0 + n0 < s1, "free blocks must not touch or overlap"
    assert all(n > 0 for _, n in blocks)
    taken = [False] * SIZE
    for start, size in held.values():
        for a in range(start, start + size):
            assert not taken[a], "two allocations overlap"
            taken[a] = True
    free = [not t for t in taken]
    listed = [False] * SIZE
    for s, n in blocks:
        for a in range(s, s + n):
            listed[a] = True
    assert listed == free
    assert mem.allocated == sum(size for _, size in held.values())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(1, 40), st.integers(0, SIZE - 1)),
                max_size=80))
def test_allocation_keeps_the_free_list_exact(ops: list[tuple[int, int, int]]) -> None:
    mem = Memory(SIZE, 1.0)
    held: dict[int, tuple[int, int]] = {}
    key = 0
    for kind, size, address in ops:
        if kind == 3 and held:
            start, n = held.pop(sorted(held)[address % len(held)])
            mem.free(start, n)
        else:
            if kind == 0:
                a = mem.alloc(size, address)
            elif kind == 1:
                a = mem.alloc_from(size, address)
            else:
                a = address if address + size <= SIZE and mem.alloc_at(address, size) else -1
            if a >= 0:
                assert a + size <= SIZE
                held[key] = (a, size)
                key += 1
        check(mem, held)


def test_first_fit_at_or_after_the_address_then_wrapping() -> None:
    mem = Memory(SIZE, 1.0)
    assert mem.alloc_at(0, 100) and mem.alloc_at(150, 50)  # free: [100, 150) and [200, 256)
    assert mem.alloc(30, 120) == 200  # the first block starting at or after 120
    assert mem.alloc(30, 240) == 100  # nothing after 240 fits: wraps to the start
    assert mem.alloc(60, 0) == -1


def test_alloc_from_takes_the_exact_address_when_it_is_free() -> None:
    mem = Memory(SIZE, 1.0)
    assert mem.alloc_from(10, 37) == 37
    assert mem.alloc_from(10, 40) == 47  # 40 is taken: the next fit after it
    assert mem.free_blocks() == [(0, 37), (57, SIZE - 57)]


def test_freed_neighbours_coalesce_and_ownership_is_cleared() -> None:
    mem = Memory(SIZE, 1.0)
    for a in (0, 10, 20):
        assert mem.alloc_at(a, 10)
        mem.claim(a, 10, a)
    mem.free(0, 10)
    mem.free(20, 10)
    assert mem.free_blocks() == [(0, 10), (20, SIZE - 20)]
    mem.free(10, 10)
    assert mem.free_blocks() == [(0, SIZE)] and mem.allocated == 0
    assert list(mem.owner) == [0] * SIZE


def test_the_free_list_is_rebuilt_from_ownership() -> None:
    mem = Memory(SIZE, 0.5)
    assert mem.occupancy_cap == SIZE // 2
    for a, n in ((5, 10), (100, 3)):
        assert mem.alloc_at(a, n)
        mem.claim(a, n, 0)
    expected = mem.free_blocks()
    copy = Memory(SIZE, 0.5)
    copy.claim(5, 10, 0)
    copy.claim(100, 3, 0)
    copy.rebuild_free_list()
    assert copy.free_blocks() == expected and copy.allocated == 13


def test_the_better_fit_is_the_smallest_block_that_fits_leftmost_of_equals() -> None:
    mem = Memory(SIZE, 1.0)
    for a, n in ((10, 20), (40, 30), (80, 40), (130, 50)):
        assert mem.alloc_at(a, n)
    # free: [0, 10) 10, [30, 40) 10, [70, 80) 10, [120, 130) 10, [180, 256) 76
    assert mem.alloc_best(10) == 0
    assert mem.alloc_best(8) == 30  # three blocks of 10 fit best: the leftmost
    assert mem.alloc_best(11) == 180
    assert mem.alloc_best(100) == -1
