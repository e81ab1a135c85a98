"""The reaper (the seed's Reaper): who dies when memory is needed, and the ecology's sweep.

Owns the reaper queue, a doubly linked list through ``rup``/``rdown`` in Cells from ``top``
(next to die) down to ``bottom`` (newborns enter there), and its rules: an error moves a cell
one place up (when it has at least as many errors as the cell above, ERROR_MOVE_UP), a
successful MAL or DIVIDE one place down (SUCCESS_MOVE_DOWN); the victim is the top cell, or
one drawn among the top REAP_TOP_FRACTION of the queue. ``sweep`` is the ecology regime's
periodic reaping (age, errors, reproduction timeout, memory pressure, repopulation).

Invariants: the queue holds exactly the living cells; ``top``/``bottom`` are -1 exactly when
it is empty; ``victim`` never returns the excluded cell while another cell lives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, final

from mypy_extensions import i64

from bytebiota.core.arith import NOBODY
from bytebiota.core.cells import R_DSIZE, R_DSTART, R_EXECUTED, R_MOVED, REG_W, Cells
from bytebiota.core.rng import Rng, threshold32

if TYPE_CHECKING:  # annotations only: world.py imports this module
    from bytebiota.core.world import World


@final
class ReaperQueue:
    cells: Cells
    top: i64
    bottom: i64
    error_move_up: i64
    success_move_down: i64
    top_fraction: float

    def __init__(self, cells: Cells, error_move_up: i64, success_move_down: i64,
                 top_fraction: float) -> None:
        self.cells = cells
        self.top = -1
        self.bottom = -1
        self.error_move_up = error_move_up
        self.success_move_down = success_move_down
        self.top_fraction = top_fraction

    def push_bottom(self, c: i64) -> None:
        """A newborn enters at the bottom."""
        cells = self.cells
        cells.rdown[c] = -1
        cells.rup[c] = self.bottom
        if self.bottom >= 0:
            cells.rdown[self.bottom] = c
        else:
            self.top = c
        self.bottom = c

    def remove(self, v: i64) -> None:
        cells = self.cells
        up = cells.rup[v]
        down = cells.rdown[v]
        if up >= 0:
            cells.rdown[up] = down
        else:
            self.top = down
        if down >= 0:
            cells.rup[down] = up
        else:
            self.bottom = up

    def on_error(self, c: i64) -> None:
        cells = self.cells
        n = cells.errors[c] + 1
        cells.errors[c] = n
        if self.error_move_up != 0:
            above = cells.rup[c]
            if above >= 0 and n >= cells.errors[above]:
                self._swap(above, c)

    def on_success(self, c: i64) -> None:
        if self.success_move_down != 0:
            below = self.cells.rdown[c]
            if below >= 0:
                self._swap(c, below)

    def victim(self, rng: Rng, population: i64, exclude: i64) -> i64:
        cells = self.cells
        v = self.top
        frac = self.top_fraction
        if frac > 0.0:
            span = i64(int(frac * float(population)))
            if span > 1:
                # an i64 counter: ``for _ in range(...)`` boxes its variable at every turn
                steps = rng.below(span)
                while steps > 0:
                    nxt = cells.rdown[v]
                    if nxt < 0:
                        break
                    v = nxt
                    steps -= 1
        if v == exclude:
            if cells.rdown[v] >= 0:
                v = cells.rdown[v]
            else:
                v = cells.rup[v]
        return v

    def order(self) -> list[i64]:
        """Living cells' slots from the top of the queue down."""
        out: list[i64] = []
        c = self.top
        while c >= 0:
            out.append(c)
            c = self.cells.rdown[c]
        return out

    def _swap(self, a: i64, b: i64) -> None:
        """a is directly above b in the queue: put b above a."""
        cells = self.cells
        up = cells.rup[a]
        down = cells.rdown[b]
        if up >= 0:
            cells.rdown[up] = b
        else:
            self.top = b
        cells.rup[b] = up
        cells.rdown[b] = a
        cells.rup[a] = b
        cells.rdown[a] = down
        if down >= 0:
            cells.rup[down] = a
        else:
            self.bottom = a


def sweep(w: World) -> bool:
    """The ecology's periodic reaping: cells older than AGE_THRESHOLD_MULTIPLIER x the mean
    age, with more than ERROR_THRESHOLD_MULTIPLIER x the mean errors, or stalled for
    REPRO_TIMEOUT_STEPS (whose daughter block is freed) die with chance REAP_CHANCE; then the
    queue is reaped while memory is above MEMORY_REAP_THRESHOLD; then repopulation from the
    seed bank below REPOPULATION_THRESHOLD cells. Returns whether the current cell died."""
    from bytebiota.core import life

    p = w.p
    cells = w.cells
    mem = w.mem
    died = False
    protected = w.slicer.cur if p.protect_current != 0 else NOBODY
    if w.population >= p.min_population_for_reap and w.population > 0:
        age_sum: i64 = 0
        err_sum: i64 = 0
        for c in range(cells.nslots):
            if cells.alive[c] != 0:
                age_sum += w.steps - cells.born_at[c]
                err_sum += cells.errors[c]
        pop = w.population
        age_limit = float(age_sum) / float(pop) * p.age_multiplier
        err_limit = float(err_sum) / float(pop) * p.error_multiplier
        chance = threshold32(p.reap_chance)
        for c in w.reaper.order():
            if c == protected or w.population < p.min_population_for_reap:
                continue
            stalled = cells.regs[c * REG_W + R_EXECUTED] - cells.exec_mark[c] > p.repro_timeout > 0
            if stalled and cells.regs[c * REG_W + R_DSTART] >= 0:
                mem.free(cells.regs[c * REG_W + R_DSTART], cells.regs[c * REG_W + R_DSIZE])
                cells.regs[c * REG_W + R_DSTART] = -1
                cells.regs[c * REG_W + R_DSIZE] = 0
                cells.regs[c * REG_W + R_MOVED] = 0
            old = float(w.steps - cells.born_at[c]) > age_limit
            faulty = err_sum > 0 and float(cells.errors[c]) > err_limit
            if (old or faulty or stalled) and w.rng.chance(chance):
                w.reaped += 1
                died = life.kill(w, c) or died
        limit = i64(int(p.memory_reap_threshold * float(mem.occupancy_cap)))
        while mem.allocated > limit and w.population > p.min_population_for_reap:
            v = w.reaper.victim(w.rng, w.population, protected)
            if v < 0 or v == protected:
                break
            w.reaped += 1
            died = life.kill(w, v) or died
    if w.population < p.repopulation_threshold:
        w.repopulating = 1
    if w.repopulating != 0:
        if w.population >= p.repopulation_stop:
            w.repopulating = 0
        else:
            life.spawn(w, p.repopulation_batch)
    return died
