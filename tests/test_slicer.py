"""core/slicer.py (Scheduler): slice lengths and the ring of cells."""

from __future__ import annotations

import math

import pytest

from bytebiota.core.cells import Cells
from bytebiota.core.rng import Rng
from bytebiota.core.slicer import Slicer


@pytest.mark.parametrize(("power", "base", "top", "size", "expected"), [
    (1.0, 0, 1000, 80, 80),
    (1.0, 120, 1000, 80, 200),
    (1.0, 120, 150, 80, 150),  # MAX_SLICE caps it
    (0.5, 5, 1000, 80, math.ceil(80 ** 0.5) + 5),
    (2.0, 0, 1000, 45, 1000),
    (1.0, -100, 1000, 10, 1),  # never below one instruction
])
def test_slice_length(power: float, base: int, top: int, size: int, expected: int) -> None:
    assert Slicer(Cells(), power, base, top).slice_for(size) == expected


def test_the_ring_newborns_before_their_mother_and_deaths_move_on() -> None:
    cells = Cells()
    s = Slicer(cells, 1.0, 0, 1000)
    a, b, c = cells.new_slot(), cells.new_slot(), cells.new_slot()
    s.insert_before(a, -1)  # the first cell is alone and current
    assert (s.cur, s.order(1)) == (a, [a])
    s.insert_before(b, a)  # b runs last in this round
    s.insert_before(c, a)
    assert s.order(3) == [a, b, c]
    s.advance()
    assert s.cur == b
    s.slice_left = 7
    s.remove(b)  # the current cell dies: the next one starts a fresh slice
    assert (s.cur, s.slice_left, s.order(2)) == (c, 0, [c, a])
    s.remove(a)
    s.remove(c)
    assert s.cur == -1


def test_a_random_slice_draws_around_a_fixed_part_as_in_tierra() -> None:
    # Tierra 6.02's soup_in: a length of 25, no fixed part, a random part of 2 x 25: 0 .. 50
    cells = Cells()
    c = cells.new_slot()
    cells.set_reg(c, "slice_len", 25)
    s = Slicer(cells, 1.0, 0, 1000, fixed=0.0, random=2.0)
    rng = Rng(3)
    draws = [s.draw(c, rng) for _ in range(5000)]
    assert min(draws) == 0 and max(draws) == 50 and len(set(draws)) == 51
    s = Slicer(cells, 1.0, 0, 1000, fixed=0.5, random=0.0)
    assert s.draw(c, rng) == 12  # rounded down; no draw
    assert Slicer(cells, 1.0, 0, 1000).draw(c, rng) == 25
