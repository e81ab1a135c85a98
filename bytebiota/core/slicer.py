"""The slicer (the seed's Scheduler): whose turn it is, and for how long.

Owns the ring of living cells (``snext``/``sprev`` in Cells, circular, doubly linked), the
current cell and what is left of its slice, and each cell's slice length, fixed at birth:
``ceil(size ** SLICER_POWER) + BASE_SLICE``, at most MAX_SLICE, at least 1. Each slice is
``length x SLICE_FIXED_FRACTION`` plus, when SLICE_RANDOM_FRACTION > 0, a uniform draw in
``0 .. length x SLICE_RANDOM_FRACTION`` (Tierra 6.02's RanSlicerQueue; fractions are kept in
thousandths so the arithmetic is integer). The ecology's per-slice adjustments (rent,
boosts) are applied by the scheduler (``world.run``) through energy.py.

Invariants: ``cur`` is a living slot, or -1 exactly when no cell lives; a newborn enters the
ring just before its mother (so it runs last in this round), an injected cell just before
``cur``; a death moves ``cur`` on to the next cell with a fresh slice.
"""

from __future__ import annotations

import math
from typing import final

from mypy_extensions import i64

from bytebiota.core.cells import R_SLICE_LEN, R_SNEXT, REG_W, Cells
from bytebiota.core.rng import Rng


@final
class Slicer:
    cells: Cells
    cur: i64
    slice_left: i64
    power: float
    base_slice: i64
    max_slice: i64
    fixed_permille: i64
    random_permille: i64

    def __init__(self, cells: Cells, power: float, base_slice: i64, max_slice: i64,
                 fixed: float = 1.0, random: float = 0.0) -> None:
        self.cells = cells
        self.cur = -1
        self.slice_left = 0
        self.power = power
        self.base_slice = base_slice
        self.max_slice = max_slice
        self.fixed_permille = i64(round(fixed * 1000.0))
        self.random_permille = i64(round(random * 1000.0))

    def draw(self, c: i64, rng: Rng) -> i64:
        """The length of the slice cell c is starting."""
        n = self.cells.regs[c * REG_W + R_SLICE_LEN]
        if self.fixed_permille == 1000 and self.random_permille == 0:
            return n
        fixed = n * self.fixed_permille // 1000
        if self.random_permille == 0:
            return fixed
        return fixed + rng.below(n * self.random_permille // 1000 + 1)

    def slice_for(self, size: i64) -> i64:
        if self.power == 1.0:
            n = size
        else:
            n = i64(math.ceil(float(size) ** self.power))
        n += self.base_slice
        if n > self.max_slice:
            n = self.max_slice
        if n < 1:
            n = 1
        return n

    def insert_before(self, c: i64, m: i64) -> None:
        """Put cell c in the ring just before m (m = -1: c is alone and current)."""
        cells = self.cells
        if m < 0:
            cells.regs[c * REG_W + R_SNEXT] = c
            cells.sprev[c] = c
            self.cur = c
            self.slice_left = 0
            return
        p = cells.sprev[m]
        cells.regs[p * REG_W + R_SNEXT] = c
        cells.sprev[c] = p
        cells.regs[c * REG_W + R_SNEXT] = m
        cells.sprev[m] = c

    def remove(self, v: i64) -> None:
        """Take cell v out of the ring; if it was current, the next cell's slice begins."""
        cells = self.cells
        nxt = cells.regs[v * REG_W + R_SNEXT]
        if nxt == v:
            self.cur = -1
        else:
            prv = cells.sprev[v]
            cells.regs[prv * REG_W + R_SNEXT] = nxt
            cells.sprev[nxt] = prv
            if self.cur == v:
                self.cur = nxt
                self.slice_left = 0

    def advance(self) -> None:
        """The current slice is over: the next cell's turn."""
        self.cur = self.cells.regs[self.cur * REG_W + R_SNEXT]

    def order(self, population: i64) -> list[i64]:
        """Living cells' slots in slicer order, starting at the current one."""
        out: list[i64] = []
        c = self.cur
        for _ in range(population):
            out.append(c)
            c = self.cells.regs[c * REG_W + R_SNEXT]
        return out
