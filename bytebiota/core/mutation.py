"""Mutations (the seed's MutationEngine): when they strike and what they do.

Owns the three schedules (background flips every BACKGROUND_FLIP_INTERVAL instructions on
average, copy flips every 1/COPY_BIT_FLIP_RATE bytes copied, flaws every 1/FLAW_RATE
instructions), kept as countdowns drawn from the world's RNG, the insertion/deletion odds at
DIVIDE, and the counts of each kind.

Who calls: the VM decrements ``copy_cd`` in a local during a slice and calls ``copy_flip``
when it reaches 0; the scheduler (``world.run``) cuts slices at the background and flaw
countdowns and calls ``background_flip`` and ``flaw`` between slices, so the loop never asks
"is it time yet?"; ``divide`` calls ``indel``.

Rates per generation (Tierra's CalcFlawRates, bookeep.c): when GENERATIONS_PER_COPY_FLIP,
GENERATIONS_PER_BACKGROUND_FLIP or GENERATIONS_PER_FLAW is above 0, the scheduler calls
``adjust`` every ADJUST_INTERVAL instructions (at exact multiples: run() cuts its budgets
there) and that mean is set from the soup as it is then: a copy flip every G x mean cell
size bytes copied; a flaw every G x RepInst instructions; a background flip every
G x pop x RepInst x mean size / soup size instructions, where RepInst is the living cells'
instructions per daughter (what they had executed at their last birth over their daughters;
10 x the mean size while none has a daughter) and pop x RepInst is the instructions of one
generation (while none has a daughter, the population of a quarter-full soup, as Tierra
assumes). The
fixed rates hold until the first adjustment. A new mean applies from the next draw: the
countdown running keeps its gap.

What a copy or background mutation does (MUTATION_REACH, ecology only; docs/ecology.md):
flip one of the instruction set's bits (``substitute == 0``: 5 or 6 neighbours of each
opcode) or replace the byte with any other opcode, uniformly (``substitute == 1``, as Avida's
substitutions: 63 neighbours); one RNG draw either way.

Invariants: a countdown is -1 (never), or >= 1; gaps are integers uniform in
1 .. 2 x mean - 1 (not exponential: runs stay exact on every machine); every draw comes
from the world's RNG, in a fixed order; a mean is >= 1 while its rate is on.
"""

from __future__ import annotations

from typing import Final, final

from librt.vecs import vec
from mypy_extensions import i64, u8

from bytebiota.core.arith import pow2, wrap32
from bytebiota.core.cells import R_AX, R_BX, R_CX, R_DX, REG_W, Cells
from bytebiota.core.isa import REG_AX, REG_BX, REG_CX, REG_DX, flaw_targets
from bytebiota.core.memory import Memory
from bytebiota.core.params import Params
from bytebiota.core.rng import Rng, threshold32

MIN_CELL: Final = 12  # a daughter shorter than this cannot divide (Tierra)
ADJUST_INTERVAL: Final = 1_000_000  # instructions between adjustments (Tierra's million)


def mean_gap(rate: float) -> i64:
    """The mean gap between events of probability ``rate`` (0: never)."""
    if rate <= 0.0:
        return 0
    if rate >= 1.0:
        return 1
    return i64(round(1.0 / rate))


def at_least_one(mean: float) -> i64:
    """A mean gap, rounded, at least 1 (and at most 2**40, the fixed intervals' bound)."""
    if mean >= 1099511627776.0:
        return 1099511627776
    n = i64(round(mean))
    if n < 1:
        n = 1
    return n


def gap(rng: Rng, mean: i64) -> i64:
    """Events a mean of ``mean`` apart: a gap uniform in 1 .. 2 * mean - 1; -1 = never.

    Integer draws (not the exponential distribution) keep runs exact across machines.
    """
    if mean <= 0:
        return -1
    if mean == 1:
        return 1
    return 1 + rng.below(2 * mean - 1)


@final
class Mutation:
    opcode_bits: i64
    substitute: bool
    background_interval: i64
    copy_mean: i64
    flaw_mean: i64
    indel_threshold: i64
    insertion_threshold: i64
    flaw_target: vec[i64]
    # rates per generation (0.0: the fixed rate above)
    gen_copy: float
    gen_background: float
    gen_flaw: float
    per_generation: bool
    # countdowns
    bg_cd: i64
    copy_cd: i64
    flaw_cd: i64
    # counts
    background_flips: i64
    copy_flips: i64
    flaws: i64
    insertions: i64
    deletions: i64

    def __init__(self, p: Params, rng: Rng) -> None:
        copy_mean = mean_gap(p.copy_rate)
        flaw_mean = mean_gap(p.flaw_rate)
        self.opcode_bits = p.opcode_bits
        self.substitute = p.substitute != 0
        self.background_interval = p.background_interval
        self.copy_mean = copy_mean
        self.flaw_mean = flaw_mean
        self.indel_threshold = threshold32(p.indel_rate)
        self.insertion_threshold = threshold32(p.indel_insertion_bias)
        self.flaw_target = vec[i64](flaw_targets())
        self.gen_copy = p.gen_copy
        self.gen_background = p.gen_background
        self.gen_flaw = p.gen_flaw
        self.per_generation = p.gen_copy > 0.0 or p.gen_background > 0.0 or p.gen_flaw > 0.0
        # the first draws of a world's RNG, in this order
        self.bg_cd = gap(rng, p.background_interval)
        self.copy_cd = gap(rng, copy_mean)
        self.flaw_cd = gap(rng, flaw_mean)
        self.background_flips = 0
        self.copy_flips = 0
        self.flaws = 0
        self.insertions = 0
        self.deletions = 0

    def adjust(self, cells: Cells, population: i64, cell_bytes: i64, soup_size: i64) -> None:
        """Set the per-generation means from the soup as it is (``population`` cells holding
        ``cell_bytes`` bytes in a soup of ``soup_size``); nothing while no cell lives."""
        if population <= 0 or cell_bytes <= 0:
            return
        size = float(cell_bytes) / float(population)
        executed: i64 = 0
        daughters: i64 = 0
        slot: i64 = 0
        while slot < cells.nslots:
            if cells.alive[slot] != 0 and cells.nbirths[slot] > 0:
                executed += cells.exec_mark[slot]
                daughters += cells.nbirths[slot]
            slot += 1
        if daughters > 0:
            rep_inst = float(executed) / float(daughters)
            generation = float(population) * rep_inst
        else:
            rep_inst = 10.0 * size
            generation = rep_inst * float(soup_size // (4 * (cell_bytes // population)))
        if self.gen_copy > 0.0:
            self.copy_mean = at_least_one(self.gen_copy * size)
        if self.gen_flaw > 0.0:
            self.flaw_mean = at_least_one(self.gen_flaw * rep_inst)
        if self.gen_background > 0.0:
            self.background_interval = at_least_one(
                self.gen_background * generation * size / float(soup_size))

    def mutate(self, rng: Rng, b: i64) -> i64:
        """The byte ``b`` mutated: one bit flipped, or (substitute) any other opcode."""
        if self.substitute:
            limit = pow2(self.opcode_bits)
            return (b + 1 + rng.below(limit - 1)) & (limit - 1)
        return b ^ pow2(rng.below(self.opcode_bits))

    def copy_flip(self, rng: Rng, b: i64) -> i64:
        """The byte ``b`` being copied, mutated; the next copy mutation scheduled."""
        b = self.mutate(rng, b)
        self.copy_flips += 1
        self.copy_cd = gap(rng, self.copy_mean)
        return b

    def background_flip(self, mem: Memory, rng: Rng) -> i64:
        """Mutate a random byte of the soup; the next one scheduled. Returns the address
        struck."""
        a = rng.below(mem.size)
        mem.soup[a] = u8(self.mutate(rng, i64(mem.soup[a])) & 0xFF)
        self.background_flips += 1
        self.bg_cd = gap(rng, self.background_interval)
        return a

    def flaw(self, cells: Cells, rng: Rng, size: i64, c: i64, op: i64) -> None:
        """Perturb by +-1 the register the instruction ``op`` of cell c just wrote; the next
        flaw scheduled."""
        target: i64 = 0
        if 0 <= op < len(self.flaw_target):
            target = self.flaw_target[op]
        if target != 0:
            delta: i64 = 1
            if rng.below(2) != 0:
                delta = -1
            rb = c * REG_W  # the cell's block in cells.regs
            if target == REG_AX:
                cells.regs[rb + R_AX] = (cells.regs[rb + R_AX] + delta) % size
            elif target == REG_BX:
                cells.regs[rb + R_BX] = (cells.regs[rb + R_BX] + delta) % size
            elif target == REG_CX:
                cells.regs[rb + R_CX] = wrap32(cells.regs[rb + R_CX] + delta)
            elif target == REG_DX:
                cells.regs[rb + R_DX] = wrap32(cells.regs[rb + R_DX] + delta)
            self.flaws += 1
        self.flaw_cd = gap(rng, self.flaw_mean)

    def indel(self, mem: Memory, rng: Rng, opcode_limit: i64, d0: i64, ds: i64) -> i64:
        """At DIVIDE, with chance INSERTION_DELETION_RATE: one insertion (a random opcode at
        a random place, if the byte after the daughter is free) or deletion in the daughter
        at [d0, d0 + ds); returns the new size."""
        if self.indel_threshold <= 0 or not rng.chance(self.indel_threshold):
            return ds
        soup = mem.soup
        if rng.chance(self.insertion_threshold):
            end = d0 + ds
            if end < mem.size and mem.owner[end] == 0 and mem.alloc_at(end, 1):
                at = d0 + rng.below(ds + 1)
                k = end
                while k > at:
                    soup[k] = soup[k - 1]
                    k -= 1
                soup[at] = u8(rng.below(opcode_limit))
                self.insertions += 1
                return ds + 1
            return ds
        if ds <= MIN_CELL:
            return ds
        at = d0 + rng.below(ds)
        for k in range(at, d0 + ds - 1):
            soup[k] = soup[k + 1]
        mem.free(d0 + ds - 1, 1)
        self.deletions += 1
        return ds - 1
