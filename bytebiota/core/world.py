"""One world (one island): the soup, the cells and their CPUs, slicer, reaper, mutations,
genebank and RNG, with exact snapshots.

Data layout (for mypyc speed, see docs/performance.md): the soup is a ``vec[u8]``; each
per-cell quantity is a ``vec[i64]`` indexed by the cell's *slot*; the slicer queue is a
circular doubly linked list through ``snext``/``sprev``; the reaper queue a doubly linked list
from ``reap_top`` down through ``rdown``. ``owner[a]`` is the slot + 1 of the cell whose memory
(or daughter block) holds address ``a``, or 0 when it is free; the free blocks are kept in a
sorted list (``fstart``/``flen``), always maximal (freed blocks coalesce). ``owner``, the
free list and ``allocated`` are derived data: snapshots leave them out and ``restore``
rebuilds them.

The VM (``_exec``) runs one cell for a budget of instructions with its registers in ``i64``
locals and an ``if/elif`` chain ordered by how often the ancestor executes each opcode. Rare
events (mal, divide, errors, template searches) are method calls; background flips and flaws
are scheduled between slices by countdowns, so the loop itself never asks "is it time yet?".

Determinism: every random draw comes from ``self.rng``; no float arithmetic feeds the
simulation except the slice length for SLICER_POWER != 1 (C ``pow``, computed once per cell)
and the conversion of rates to integer thresholds at start. ``run(a); run(b)`` equals
``run(a + b)``, and ``restore(snapshot())`` continues exactly.
"""

from __future__ import annotations

import hashlib
import math
import struct
import sys
from typing import Final

from librt.vecs import append, pop, vec
from mypy_extensions import i32, i64, u8

from bytebiota.core.genebank import Genebank
from bytebiota.core.isa import (
    ADR,
    ADRB,
    ADRF,
    CALL,
    DEC_C,
    DIVIDE,
    IF_CZ,
    INC_A,
    INC_B,
    INC_C,
    JMP,
    JMPB,
    MAL,
    MAX_TEMPLATE,
    MOV_AB,
    MOV_CD,
    MOV_IAB,
    NOP_1,
    OPCODE_BITS,
    OR1,
    POP_AX,
    POP_BX,
    POP_CX,
    POP_DX,
    PUSH_AX,
    PUSH_BX,
    PUSH_CX,
    PUSH_DX,
    REG_AX,
    REG_BX,
    REG_CX,
    REG_DX,
    RET,
    SH1,
    STACK_DEPTH,
    SUB_AB,
    SUB_AC,
    ZERO,
    flaw_targets,
)
from bytebiota.core.rng import Rng, threshold32

MIN_CELL: Final = 12  # a daughter shorter than this cannot divide (Tierra)
WRITTEN_NUM: Final = 7  # divide needs >= 7/10 of the daughter written by the mother
WRITTEN_DEN: Final = 10
HALF32: Final = 0x80000000
MASK32: Final = 0xFFFFFFFF
SEARCH_BOTH: Final = 0
SEARCH_BACK: Final = 1
SEARCH_FWD: Final = 2
SNAPSHOT_MAGIC: Final = b"BBWORLD"
LITTLE_ENDIAN: Final = sys.byteorder == "little"
SNAPSHOT_VERSION: Final = 1
_PARAMS = struct.Struct("<qdqqdqddqqdqqqdd")


class SnapshotError(ValueError):
    """A snapshot that is truncated, corrupted, or of another format version."""


class Params:
    """What a world needs to know of the configuration (the core does not read config)."""

    soup_size: i64
    slicer_power: float
    base_slice: i64
    max_slice: i64
    copy_rate: float
    background_interval: i64
    indel_rate: float
    indel_insertion_bias: float
    max_mal_mult: i64
    search_mult: i64
    flaw_rate: float
    max_occupancy: float
    error_move_up: i64
    success_move_down: i64
    reap_top_fraction: float
    opcode_bits: i64

    def __init__(
        self,
        soup_size: i64 = 60_000,
        slicer_power: float = 1.0,
        base_slice: i64 = 0,
        max_slice: i64 = 1000,
        copy_rate: float = 0.0,
        background_interval: i64 = 0,
        indel_rate: float = 0.0,
        indel_insertion_bias: float = 0.5,
        max_mal_mult: i64 = 3,
        search_mult: i64 = 5,
        flaw_rate: float = 0.0,
        max_occupancy: float = 1.0,
        error_move_up: bool = True,
        success_move_down: bool = True,
        reap_top_fraction: float = 0.0,
    ) -> None:
        if soup_size < 64:
            raise ValueError(f"soup_size must be >= 64, got {soup_size}")
        self.soup_size = soup_size
        self.slicer_power = slicer_power
        self.base_slice = base_slice
        self.max_slice = max_slice
        self.copy_rate = copy_rate
        self.background_interval = background_interval
        self.indel_rate = indel_rate
        self.indel_insertion_bias = indel_insertion_bias
        self.max_mal_mult = max_mal_mult
        self.search_mult = search_mult
        self.flaw_rate = flaw_rate
        self.max_occupancy = max_occupancy
        self.error_move_up = 1 if error_move_up else 0
        self.success_move_down = 1 if success_move_down else 0
        self.reap_top_fraction = reap_top_fraction
        self.opcode_bits = OPCODE_BITS

    def pack(self) -> bytes:
        return _PARAMS.pack(
            self.soup_size, self.slicer_power, self.base_slice, self.max_slice,
            self.copy_rate, self.background_interval, self.indel_rate,
            self.indel_insertion_bias, self.max_mal_mult, self.search_mult, self.flaw_rate,
            self.error_move_up, self.success_move_down, self.opcode_bits,
            self.reap_top_fraction, self.max_occupancy,
        )

    @staticmethod
    def unpack(data: bytes) -> Params:
        f = _PARAMS.unpack(data)
        return Params(
            soup_size=f[0], slicer_power=f[1], base_slice=f[2], max_slice=f[3],
            copy_rate=f[4], background_interval=f[5], indel_rate=f[6],
            indel_insertion_bias=f[7], max_mal_mult=f[8], search_mult=f[9], flaw_rate=f[10],
            error_move_up=f[11] != 0, success_move_down=f[12] != 0,
            reap_top_fraction=f[14], max_occupancy=f[15],
        )


class Report:
    """What one ``run(n)`` did."""

    steps: i64
    births: i64
    deaths: i64
    new_genotypes: i64
    permanent: list[str]
    population: i64
    extinct: bool

    def __init__(self) -> None:
        self.steps = 0
        self.births = 0
        self.deaths = 0
        self.new_genotypes = 0
        self.permanent = []
        self.population = 0
        self.extinct = False


def _wrap32(x: i64) -> i64:
    return ((x + HALF32) & MASK32) - HALF32


class World:
    p: Params
    size: i64
    soup: vec[u8]
    owner: vec[i32]
    rng: Rng
    genebank: Genebank
    # per-slot CPU and cell state
    nslots: i64
    ax: vec[i64]
    bx: vec[i64]
    cx: vec[i64]
    dx: vec[i64]
    ip: vec[i64]
    sp: vec[i64]
    flag: vec[i64]
    stack: vec[i64]
    start: vec[i64]
    csize: vec[i64]
    dstart: vec[i64]
    dsize: vec[i64]
    moved: vec[i64]
    errors: vec[i64]
    executed: vec[i64]
    nbirths: vec[i64]
    first_cost: vec[i64]
    geno: vec[i64]
    born_at: vec[i64]
    snext: vec[i64]
    sprev: vec[i64]
    rup: vec[i64]
    rdown: vec[i64]
    alive: vec[i64]
    slice_len: vec[i64]
    free_slots: vec[i64]
    # queues
    population: i64
    cur: i64
    slice_left: i64
    reap_top: i64
    reap_bottom: i64
    # memory
    fstart: vec[i64]
    flen: vec[i64]
    allocated: i64
    occupancy_cap: i64
    total_cell_bytes: i64
    search_limit: i64
    # counters
    steps: i64
    slices: i64
    births: i64
    deaths: i64
    background_flips: i64
    copy_flips: i64
    flaws: i64
    insertions: i64
    deletions: i64
    # mutation schedule
    bg_cd: i64
    copy_cd: i64
    copy_mean: i64
    flaw_cd: i64
    flaw_mean: i64
    indel_threshold: i64
    insertion_threshold: i64
    flaw_target: vec[i64]
    new_permanent: list[str]

    def __init__(self, params: Params, seed: int) -> None:
        self.p = params
        self.size = params.soup_size
        self.soup = vec[u8](bytes(self.size))
        self.owner = vec[i32]([0] * self.size)
        self.rng = Rng(seed)
        self.genebank = Genebank()
        self.nslots = 0
        self.ax = vec[i64]()
        self.bx = vec[i64]()
        self.cx = vec[i64]()
        self.dx = vec[i64]()
        self.ip = vec[i64]()
        self.sp = vec[i64]()
        self.flag = vec[i64]()
        self.stack = vec[i64]()
        self.start = vec[i64]()
        self.csize = vec[i64]()
        self.dstart = vec[i64]()
        self.dsize = vec[i64]()
        self.moved = vec[i64]()
        self.errors = vec[i64]()
        self.executed = vec[i64]()
        self.nbirths = vec[i64]()
        self.first_cost = vec[i64]()
        self.geno = vec[i64]()
        self.born_at = vec[i64]()
        self.snext = vec[i64]()
        self.sprev = vec[i64]()
        self.rup = vec[i64]()
        self.rdown = vec[i64]()
        self.alive = vec[i64]()
        self.slice_len = vec[i64]()
        self.free_slots = vec[i64]()
        self.population = 0
        self.cur = -1
        self.slice_left = 0
        self.reap_top = -1
        self.reap_bottom = -1
        self.fstart = vec[i64]([0])
        self.flen = vec[i64]([self.size])
        self.allocated = 0
        self.occupancy_cap = i64(int(params.max_occupancy * float(self.size)))
        self.total_cell_bytes = 0
        self.search_limit = 1
        self.steps = 0
        self.slices = 0
        self.births = 0
        self.deaths = 0
        self.background_flips = 0
        self.copy_flips = 0
        self.flaws = 0
        self.insertions = 0
        self.deletions = 0
        self.flaw_target = vec[i64](flaw_targets())
        self.new_permanent = []
        self._init_mutations()

    # ---- mutation schedule ---------------------------------------------------------------

    def _init_mutations(self) -> None:
        p = self.p
        self.copy_mean = _mean_gap(p.copy_rate)
        self.flaw_mean = _mean_gap(p.flaw_rate)
        self.indel_threshold = threshold32(p.indel_rate)
        self.insertion_threshold = threshold32(p.indel_insertion_bias)
        self.bg_cd = self._gap(p.background_interval)
        self.copy_cd = self._gap(self.copy_mean)
        self.flaw_cd = self._gap(self.flaw_mean)

    def _gap(self, mean: i64) -> i64:
        """Events a mean of ``mean`` apart: a gap uniform in 1 .. 2 * mean - 1; -1 = never.

        Integer draws (not the exponential distribution) keep runs exact across machines.
        """
        if mean <= 0:
            return -1
        if mean == 1:
            return 1
        return 1 + self.rng.below(2 * mean - 1)

    # ---- slots ---------------------------------------------------------------------------

    def _new_slot(self) -> i64:
        if len(self.free_slots) > 0:
            self.free_slots, slot = pop(self.free_slots)
            return slot
        slot = self.nslots
        self.nslots += 1
        self.ax = append(self.ax, 0)
        self.bx = append(self.bx, 0)
        self.cx = append(self.cx, 0)
        self.dx = append(self.dx, 0)
        self.ip = append(self.ip, 0)
        self.sp = append(self.sp, 0)
        self.flag = append(self.flag, 0)
        for _ in range(STACK_DEPTH):
            self.stack = append(self.stack, 0)
        self.start = append(self.start, 0)
        self.csize = append(self.csize, 0)
        self.dstart = append(self.dstart, -1)
        self.dsize = append(self.dsize, 0)
        self.moved = append(self.moved, 0)
        self.errors = append(self.errors, 0)
        self.executed = append(self.executed, 0)
        self.nbirths = append(self.nbirths, 0)
        self.first_cost = append(self.first_cost, -1)
        self.geno = append(self.geno, -1)
        self.born_at = append(self.born_at, 0)
        self.snext = append(self.snext, -1)
        self.sprev = append(self.sprev, -1)
        self.rup = append(self.rup, -1)
        self.rdown = append(self.rdown, -1)
        self.alive = append(self.alive, 0)
        self.slice_len = append(self.slice_len, 0)
        return slot

    def _slice_for(self, size: i64) -> i64:
        p = self.p
        if p.slicer_power == 1.0:
            n = size
        else:
            n = i64(math.ceil(float(size) ** p.slicer_power))
        n += p.base_slice
        if n > p.max_slice:
            n = p.max_slice
        return n if n >= 1 else 1

    def _make_cell(self, start: i64, size: i64, genome: bytes, parent_gid: i64) -> i64:
        """A new cell over [start, start + size), already allocated and written."""
        c = self._new_slot()
        self.ax[c] = 0
        self.bx[c] = 0
        self.cx[c] = 0
        self.dx[c] = 0
        self.ip[c] = start
        self.sp[c] = 0
        self.flag[c] = 0
        base = c * STACK_DEPTH
        for k in range(STACK_DEPTH):
            self.stack[base + k] = 0
        self.start[c] = start
        self.csize[c] = size
        self.dstart[c] = -1
        self.dsize[c] = 0
        self.moved[c] = 0
        self.errors[c] = 0
        self.executed[c] = 0
        self.nbirths[c] = 0
        self.first_cost[c] = -1
        self.born_at[c] = self.steps
        self.alive[c] = 1
        self.slice_len[c] = self._slice_for(size)
        mark = i32(c + 1)
        owner = self.owner
        for a in range(start, start + size):
            owner[a] = mark
        gid = self.genebank.birth(genome, parent_gid, self.steps)
        self.geno[c] = gid
        self.population += 1
        self.total_cell_bytes += size
        self._update_search_limit()
        # reaper: newborns enter at the bottom
        self.rdown[c] = -1
        self.rup[c] = self.reap_bottom
        if self.reap_bottom >= 0:
            self.rdown[self.reap_bottom] = c
        else:
            self.reap_top = c
        self.reap_bottom = c
        if self.genebank.becomes_permanent(gid, self.population):
            self.new_permanent.append(self.genebank.names[gid])
        return c

    def _slicer_insert_before(self, c: i64, m: i64) -> None:
        if m < 0:
            self.snext[c] = c
            self.sprev[c] = c
            self.cur = c
            self.slice_left = 0
            return
        p = self.sprev[m]
        self.snext[p] = c
        self.sprev[c] = p
        self.snext[c] = m
        self.sprev[m] = c

    def _update_search_limit(self) -> None:
        if self.population > 0:
            mean = self.total_cell_bytes // self.population
            self.search_limit = max(1, self.p.search_mult * mean)

    # ---- memory --------------------------------------------------------------------------

    def _first_block_at_or_after(self, address: i64) -> i64:
        lo: i64 = 0
        hi = i64(len(self.fstart))
        while lo < hi:
            mid = (lo + hi) >> 1
            if self.fstart[mid] < address:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _alloc(self, size: i64, near: i64) -> i64:
        """First fit at or after ``near``, wrapping to the soup's start; -1 if nothing fits."""
        n = i64(len(self.fstart))
        if n == 0:
            return -1
        first = self._first_block_at_or_after(near)
        for k in range(n):
            i = first + k
            if i >= n:
                i -= n
            if self.flen[i] >= size:
                a = self.fstart[i]
                self._take(i, a, size)
                return a
        return -1

    def _take(self, i: i64, a: i64, size: i64) -> None:
        """Remove [a, a + size) from free block i, which contains it."""
        b0 = self.fstart[i]
        b1 = b0 + self.flen[i]
        if a == b0 and a + size == b1:
            self._remove_block(i)
        elif a == b0:
            self.fstart[i] = a + size
            self.flen[i] = b1 - a - size
        elif a + size == b1:
            self.flen[i] = a - b0
        else:
            self.flen[i] = a - b0
            self._insert_block(i + 1, a + size, b1 - a - size)
        self.allocated += size

    def _remove_block(self, i: i64) -> None:
        n = i64(len(self.fstart))
        for k in range(i, n - 1):
            self.fstart[k] = self.fstart[k + 1]
            self.flen[k] = self.flen[k + 1]
        self.fstart, _ = pop(self.fstart)
        self.flen, _ = pop(self.flen)

    def _insert_block(self, i: i64, start: i64, length: i64) -> None:
        self.fstart = append(self.fstart, 0)
        self.flen = append(self.flen, 0)
        n = i64(len(self.fstart))
        k = n - 1
        while k > i:
            self.fstart[k] = self.fstart[k - 1]
            self.flen[k] = self.flen[k - 1]
            k -= 1
        self.fstart[i] = start
        self.flen[i] = length

    def _free(self, start: i64, size: i64) -> None:
        owner = self.owner
        for a in range(start, start + size):
            owner[a] = 0
        self.allocated -= size
        i = self._first_block_at_or_after(start)
        n = i64(len(self.fstart))
        merge_prev = i > 0 and self.fstart[i - 1] + self.flen[i - 1] == start
        merge_next = i < n and start + size == self.fstart[i]
        if merge_prev and merge_next:
            self.flen[i - 1] += size + self.flen[i]
            self._remove_block(i)
        elif merge_prev:
            self.flen[i - 1] += size
        elif merge_next:
            self.fstart[i] = start
            self.flen[i] += size
        else:
            self._insert_block(i, start, size)

    def _alloc_at(self, address: i64, size: i64) -> bool:
        i = self._first_block_at_or_after(address + 1) - 1
        if i < 0 or i >= len(self.fstart):
            return False
        if self.fstart[i] + self.flen[i] < address + size:
            return False
        self._take(i, address, size)
        return True

    # ---- the reaper ----------------------------------------------------------------------

    def _reap_swap(self, a: i64, b: i64) -> None:
        """a is directly above b in the reaper queue: put b above a."""
        up = self.rup[a]
        down = self.rdown[b]
        if up >= 0:
            self.rdown[up] = b
        else:
            self.reap_top = b
        self.rup[b] = up
        self.rdown[b] = a
        self.rup[a] = b
        self.rdown[a] = down
        if down >= 0:
            self.rup[down] = a
        else:
            self.reap_bottom = a

    def _error(self, c: i64) -> None:
        n = self.errors[c] + 1
        self.errors[c] = n
        if self.p.error_move_up != 0:
            above = self.rup[c]
            if above >= 0 and n >= self.errors[above]:
                self._reap_swap(above, c)

    def _success(self, c: i64) -> None:
        if self.p.success_move_down != 0:
            below = self.rdown[c]
            if below >= 0:
                self._reap_swap(c, below)

    def _victim(self, exclude: i64) -> i64:
        v = self.reap_top
        frac = self.p.reap_top_fraction
        if frac > 0.0:
            span = i64(int(frac * float(self.population)))
            if span > 1:
                for _ in range(self.rng.below(span)):
                    nxt = self.rdown[v]
                    if nxt < 0:
                        break
                    v = nxt
        if v == exclude:
            v = self.rdown[v] if self.rdown[v] >= 0 else self.rup[v]
        return v

    def kill(self, v: i64) -> None:
        """Remove cell v: its memory and daughter block are freed (the bytes stay)."""
        self._free(self.start[v], self.csize[v])
        if self.dstart[v] >= 0:
            self._free(self.dstart[v], self.dsize[v])
            self.dstart[v] = -1
            self.dsize[v] = 0
        # slicer
        nxt = self.snext[v]
        if nxt == v:
            self.cur = -1
        else:
            prv = self.sprev[v]
            self.snext[prv] = nxt
            self.sprev[nxt] = prv
            if self.cur == v:
                self.cur = nxt
                self.slice_left = 0
        # reaper
        up = self.rup[v]
        down = self.rdown[v]
        if up >= 0:
            self.rdown[up] = down
        else:
            self.reap_top = down
        if down >= 0:
            self.rup[down] = up
        else:
            self.reap_bottom = up
        self.genebank.death(self.geno[v])
        self.alive[v] = 0
        self.population -= 1
        self.total_cell_bytes -= self.csize[v]
        self.deaths += 1
        self.free_slots = append(self.free_slots, v)
        self._update_search_limit()

    # ---- reproduction --------------------------------------------------------------------

    def _mal(self, c: i64, request: i64) -> i64:
        if self.dstart[c] >= 0 or request <= 0:
            return -1
        if request > self.p.max_mal_mult * self.csize[c] or request > self.occupancy_cap:
            return -1
        while True:
            if self.allocated + request <= self.occupancy_cap:
                a = self._alloc(request, self.start[c])
                if a >= 0:
                    break
            v = self._victim(c)
            if v < 0 or v == c:
                return -1
            self.kill(v)
        self.dstart[c] = a
        self.dsize[c] = request
        self.moved[c] = 0
        mark = i32(c + 1)
        owner = self.owner
        for x in range(a, a + request):
            owner[x] = mark
        self._success(c)
        return a

    def _divide(self, c: i64, done: i64) -> bool:
        """``done``: instructions of the current slice executed before this one."""
        d0 = self.dstart[c]
        if d0 < 0:
            return False
        ds = self.dsize[c]
        if ds < MIN_CELL or self.moved[c] * WRITTEN_DEN < ds * WRITTEN_NUM:
            return False
        if self.indel_threshold > 0 and self.rng.chance(self.indel_threshold):
            ds = self._indel(d0, ds)
            self.dsize[c] = ds
        genome = bytes(self.soup[d0 : d0 + ds])
        self.dstart[c] = -1
        self.dsize[c] = 0
        self.moved[c] = 0
        steps_before = self.steps
        self.steps += done  # so the daughter's birth step is exact
        d = self._make_cell(d0, ds, genome, self.geno[c])
        self.steps = steps_before
        self._slicer_insert_before(d, c)
        self.births += 1
        if self.nbirths[c] == 0:
            self.first_cost[c] = self.executed[c] + done + 1
        self.nbirths[c] += 1
        self._success(c)
        return True

    def _indel(self, d0: i64, ds: i64) -> i64:
        """One insertion or deletion in the daughter at [d0, d0 + ds); returns the new size."""
        soup = self.soup
        if self.rng.chance(self.insertion_threshold):
            end = d0 + ds
            if end < self.size and self.owner[end] == 0 and self._alloc_at(end, 1):
                at = d0 + self.rng.below(ds + 1)
                k = end
                while k > at:
                    soup[k] = soup[k - 1]
                    k -= 1
                soup[at] = u8(self.rng.below(i64(1) << OPCODE_BITS))
                self.insertions += 1
                return ds + 1
            return ds
        if ds <= MIN_CELL:
            return ds
        at = d0 + self.rng.below(ds)
        for k in range(at, d0 + ds - 1):
            soup[k] = soup[k + 1]
        self._free(d0 + ds - 1, 1)
        self.deletions += 1
        return ds - 1

    # ---- templates -----------------------------------------------------------------------

    def _search(self, t: i64, mode: i64) -> tuple[i64, i64]:
        """Find the complement of the template starting at ``t``.

        Returns (address of the match or -1, template length). Forward candidates start just
        past the template, backward ones just before the instruction; a two-way search tries
        forward then backward at each distance, up to ``search_limit`` in each direction.
        """
        soup = self.soup
        S = self.size
        tlen: i64 = 0
        q = t
        while tlen <= MAX_TEMPLATE:
            if soup[q] > 1:
                break
            tlen += 1
            q += 1
            if q == S:
                q = 0
        if tlen == 0:
            return -1, 0
        if tlen > MAX_TEMPLATE:
            return -1, MAX_TEMPLATE
        # Windows of tlen bytes packed 5 bits apiece (at most 50 bits): sliding a window one
        # byte costs a shift and an or, and a candidate is one integer compare.
        target: i64 = 0
        b = t
        for _ in range(tlen):
            target = (target << OPCODE_BITS) | (1 - i64(soup[b]))
            b += 1
            if b == S:
                b = 0
        mask = (i64(1) << (OPCODE_BITS * tlen)) - 1
        top = OPCODE_BITS * (tlen - 1)
        limit = self.search_limit
        fwd = q
        fw: i64 = 0
        fend = fwd
        for _ in range(tlen):
            fw = (fw << OPCODE_BITS) | i64(soup[fend])
            fend += 1
            if fend == S:
                fend = 0
        back = t - 2
        if back < 0:
            back += S
        bw: i64 = 0
        b = back
        for _ in range(tlen):
            bw = (bw << OPCODE_BITS) | i64(soup[b])
            b += 1
            if b == S:
                b = 0
        k: i64 = 0
        if mode == SEARCH_BOTH:
            while k < limit:
                if fw == target:
                    return fwd, tlen
                if bw == target:
                    return back, tlen
                fwd += 1
                if fwd == S:
                    fwd = 0
                fw = ((fw << OPCODE_BITS) | i64(soup[fend])) & mask
                fend += 1
                if fend == S:
                    fend = 0
                back -= 1
                if back < 0:
                    back = S - 1
                bw = (bw >> OPCODE_BITS) | (i64(soup[back]) << top)
                k += 1
        elif mode == SEARCH_BACK:
            while k < limit:
                if bw == target:
                    return back, tlen
                back -= 1
                if back < 0:
                    back = S - 1
                bw = (bw >> OPCODE_BITS) | (i64(soup[back]) << top)
                k += 1
        else:
            while k < limit:
                if fw == target:
                    return fwd, tlen
                fwd += 1
                if fwd == S:
                    fwd = 0
                fw = ((fw << OPCODE_BITS) | i64(soup[fend])) & mask
                fend += 1
                if fend == S:
                    fend = 0
                k += 1
        return -1, tlen

    # ---- the VM --------------------------------------------------------------------------

    def _exec(self, c: i64, budget: i64) -> i64:
        """Run cell c for ``budget`` instructions (it never dies meanwhile)."""
        soup = self.soup
        owner = self.owner
        stack = self.stack
        S = self.size
        me = i32(c + 1)
        ax = self.ax[c]
        bx = self.bx[c]
        cx = self.cx[c]
        dx = self.dx[c]
        ip = self.ip[c]
        sp = self.sp[c]
        flag = self.flag[c]
        dstart = self.dstart[c]
        dend = dstart + self.dsize[c] if dstart >= 0 else -1
        moved = self.moved[c]
        copy_cd = self.copy_cd
        base = c * STACK_DEPTH
        n: i64 = 0
        while n < budget:
            op = i64(soup[ip])
            flag = 0
            if op <= NOP_1:
                ip += 1
            elif op == MOV_IAB:
                if owner[ax] == me:
                    b = soup[bx]
                    if copy_cd > 0:
                        copy_cd -= 1
                        if copy_cd == 0:
                            b = u8(i64(b) ^ (i64(1) << self.rng.below(OPCODE_BITS)))
                            self.copy_flips += 1
                            copy_cd = self._gap(self.copy_mean)
                    soup[ax] = b
                    if dstart <= ax < dend:
                        moved += 1
                else:
                    flag = 1
                    self._error(c)
                ip += 1
            elif op == DEC_C:
                cx = _wrap32(cx - 1)
                ip += 1
            elif op == IF_CZ:
                ip += 1 if cx == 0 else 2
                if ip >= S:
                    ip -= S
            elif op == INC_A:
                ax += 1
                if ax == S:
                    ax = 0
                ip += 1
            elif op == INC_B:
                bx += 1
                if bx == S:
                    bx = 0
                ip += 1
            elif op == JMP or op == JMPB or op == CALL:
                t = ip + 1
                if t == S:
                    t = 0
                found, tlen = self._search(t, SEARCH_BACK if op == JMPB else SEARCH_BOTH)
                if found >= 0:
                    if op == CALL:
                        sp += 1
                        if sp == STACK_DEPTH:
                            sp = 0
                        ret = t + tlen
                        stack[base + sp] = ret - S if ret >= S else ret
                    ip = found + tlen
                else:
                    flag = 1
                    self._error(c)
                    ip = t + tlen
                if ip >= S:
                    ip -= S
            elif op >= PUSH_AX and op <= PUSH_DX:
                sp += 1
                if sp == STACK_DEPTH:
                    sp = 0
                if op == PUSH_AX:
                    stack[base + sp] = ax
                elif op == PUSH_BX:
                    stack[base + sp] = bx
                elif op == PUSH_CX:
                    stack[base + sp] = cx
                else:
                    stack[base + sp] = dx
                ip += 1
            elif op >= POP_AX and op <= POP_DX:
                v = stack[base + sp]
                sp -= 1
                if sp < 0:
                    sp = STACK_DEPTH - 1
                if op == POP_AX:
                    ax = v % S
                elif op == POP_BX:
                    bx = v % S
                elif op == POP_CX:
                    cx = v
                else:
                    dx = v
                ip += 1
            elif op == RET:
                v = stack[base + sp]
                sp -= 1
                if sp < 0:
                    sp = STACK_DEPTH - 1
                ip = v % S
            elif op == ADR or op == ADRB or op == ADRF:
                t = ip + 1
                if t == S:
                    t = 0
                mode = SEARCH_BOTH if op == ADR else (SEARCH_BACK if op == ADRB else SEARCH_FWD)
                found, tlen = self._search(t, mode)
                if found >= 0:
                    ax = found + tlen
                    if ax >= S:
                        ax -= S
                    cx = tlen
                else:
                    flag = 1
                    self._error(c)
                ip = t + tlen
                if ip >= S:
                    ip -= S
            elif op == MOV_CD:
                dx = cx
                ip += 1
            elif op == MOV_AB:
                bx = ax
                ip += 1
            elif op == SUB_AB:
                cx = ax - bx
                ip += 1
            elif op == SUB_AC:
                ax = (ax - cx) % S
                ip += 1
            elif op == OR1:
                cx ^= 1
                ip += 1
            elif op == SH1:
                cx = _wrap32(cx << 1)
                ip += 1
            elif op == ZERO:
                cx = 0
                ip += 1
            elif op == INC_C:
                cx = _wrap32(cx + 1)
                ip += 1
            elif op == MAL:
                self.copy_cd = copy_cd
                a = self._mal(c, cx)
                if a >= 0:
                    ax = a
                    dstart = a
                    dend = a + cx
                    moved = 0
                else:
                    flag = 1
                    self._error(c)
                ip += 1
            elif op == DIVIDE:
                self.moved[c] = moved
                self.copy_cd = copy_cd
                if self._divide(c, n):
                    dstart = -1
                    dend = -1
                    moved = 0
                    # a new slot may have grown self.stack into a new vec: never write
                    # through the stale one
                    stack = self.stack
                else:
                    flag = 1
                    self._error(c)
                ip += 1
            else:
                ip += 1  # bytes above the instruction set (never made by mutation) do nothing
            if ip == S:
                ip = 0
            n += 1
        self.ax[c] = ax
        self.bx[c] = bx
        self.cx[c] = cx
        self.dx[c] = dx
        self.ip[c] = ip
        self.sp[c] = sp
        self.flag[c] = flag
        self.moved[c] = moved
        self.executed[c] += n
        self.copy_cd = copy_cd
        return n

    def _flaw(self, c: i64, op: i64) -> None:
        """Perturb by +-1 the register the instruction just executed wrote."""
        target = self.flaw_target[op] if 0 <= op < len(self.flaw_target) else 0
        if target == 0:
            return
        delta: i64 = 1 if self.rng.below(2) == 0 else -1
        S = self.size
        if target == REG_AX:
            self.ax[c] = (self.ax[c] + delta) % S
        elif target == REG_BX:
            self.bx[c] = (self.bx[c] + delta) % S
        elif target == REG_CX:
            self.cx[c] = _wrap32(self.cx[c] + delta)
        elif target == REG_DX:
            self.dx[c] = _wrap32(self.dx[c] + delta)
        self.flaws += 1

    def _background_flip(self) -> None:
        a = self.rng.below(self.size)
        self.soup[a] = u8(i64(self.soup[a]) ^ (i64(1) << self.rng.below(OPCODE_BITS)))
        self.background_flips += 1

    # ---- public API ----------------------------------------------------------------------

    def inject(self, genome: bytes, address: i64 = -1) -> i64:
        """Place a genome in free memory (at ``address``, or the first fit) as a new cell.

        Returns its slot. Raises ValueError if it does not fit or holds non-opcode bytes.
        """
        size = i64(len(genome))
        if size < 1:
            raise ValueError("an empty genome cannot be injected")
        limit = i64(1) << OPCODE_BITS
        for b in genome:
            if b >= limit:
                raise ValueError(f"byte {b} is not an opcode of this instruction set")
        if address >= 0:
            if address + size > self.size or not self._alloc_at(address, size):
                raise ValueError(f"no free room for {size} bytes at address {address}")
            a = address
        else:
            a = self._alloc(size, 0)
            if a < 0:
                raise ValueError(f"no free room for {size} bytes")
        for k in range(size):
            self.soup[a + k] = u8(genome[k])
        c = self._make_cell(a, size, genome, -1)
        self._slicer_insert_before(c, self.cur)
        return c

    def run(self, n: i64, slice_limit: i64 = -1) -> Report:
        """Execute ``n`` instructions (fewer if the soup dies out, or if ``slice_limit``
        slices end first) and report what happened."""
        report = Report()
        births0 = self.births
        deaths0 = self.deaths
        created0 = self.genebank.created
        self.new_permanent = []
        remaining = n
        slices_done: i64 = 0
        while remaining > 0:
            if self.population == 0:
                report.extinct = True
                break
            c = self.cur
            if self.slice_left <= 0:
                self.slice_left = self.slice_len[c]
            if self.flaw_cd == 1:
                op = i64(self.soup[self.ip[c]])
                ran = self._exec(c, 1)
                self._flaw(c, op)
                self.flaw_cd = self._gap(self.flaw_mean)
            else:
                budget = self.slice_left if self.slice_left < remaining else remaining
                if 0 < self.bg_cd < budget:
                    budget = self.bg_cd
                if 0 < self.flaw_cd <= budget:
                    budget = self.flaw_cd - 1
                ran = self._exec(c, budget)
                if self.flaw_cd > 0:
                    self.flaw_cd -= ran
            self.steps += ran
            remaining -= ran
            self.slice_left -= ran
            if self.bg_cd > 0:
                self.bg_cd -= ran
                if self.bg_cd == 0:
                    self._background_flip()
                    self.bg_cd = self._gap(self.p.background_interval)
            if self.slice_left <= 0:
                self.slices += 1
                slices_done += 1
                self.cur = self.snext[self.cur]
                if slices_done == slice_limit:
                    break
        report.steps = n - remaining
        report.births = self.births - births0
        report.deaths = self.deaths - deaths0
        report.new_genotypes = self.genebank.created - created0
        report.permanent = self.new_permanent
        report.population = self.population
        return report

    def emigrants(self, k: i64) -> list[bytes]:
        """Genomes of ``k`` living cells drawn with the world's RNG (the cells stay): copies
        that travel to other islands. Deterministic given the world's state."""
        out: list[bytes] = []
        if self.population == 0:
            return out
        order = self.cells()
        for _ in range(k):
            out.append(self.genome_of(order[self.rng.below(self.population)]))
        return out

    def immigrate(self, genome: bytes) -> bool:
        """Place an immigrant (a new cell at the bottom of the reaper queue) in the first free
        block that fits; False (and nothing changes) when none does or it is not a genome."""
        try:
            self.inject(genome, -1)
        except ValueError:
            return False
        return True

    def cells(self) -> list[i64]:
        """Living cells' slots in slicer order, starting at the current one."""
        out: list[i64] = []
        c = self.cur
        for _ in range(self.population):
            out.append(c)
            c = self.snext[c]
        return out

    def reaper_order(self) -> list[i64]:
        """Living cells' slots from the top of the reaper queue down."""
        out: list[i64] = []
        c = self.reap_top
        while c >= 0:
            out.append(c)
            c = self.rdown[c]
        return out

    def genome_of(self, c: i64) -> bytes:
        return bytes(self.soup[self.start[c] : self.start[c] + self.csize[c]])

    def size_classes(self) -> list[tuple[i64, i64]]:
        counts: dict[i64, i64] = {}
        for c in range(self.nslots):
            if self.alive[c] != 0:
                s = self.csize[c]
                counts[s] = counts.get(s, 0) + 1
        return sorted(counts.items())

    def genotype_counts(self) -> list[tuple[str, i64, i64, str]]:
        """Living genotypes as (name, size, cells, parent), most cells first."""
        bank = self.genebank
        out: list[tuple[str, i64, i64, str]] = []
        for gid in range(len(bank.genomes)):
            if bank.alive[gid] > 0:
                out.append((bank.names[gid], i64(len(bank.genomes[gid])), bank.alive[gid],
                            bank.parents[gid]))
        out.sort(key=_by_cells_then_name)
        return out

    def mutation_counts(self) -> dict[str, int]:
        return {
            "background": self.background_flips,
            "copy": self.copy_flips,
            "flaw": self.flaws,
            "insertion": self.insertions,
            "deletion": self.deletions,
        }

    # ---- snapshots -----------------------------------------------------------------------

    def _body(self) -> bytes:
        out: list[bytes] = [SNAPSHOT_MAGIC, struct.pack("<H", SNAPSHOT_VERSION)]
        out.append(self.p.pack())
        out.append(struct.pack("<4I", *self.rng.getstate()))
        scalars = [
            self.nslots, self.population, self.cur, self.slice_left, self.reap_top,
            self.reap_bottom, self.steps, self.slices, self.births, self.deaths,
            self.background_flips, self.copy_flips, self.flaws, self.insertions,
            self.deletions, self.bg_cd, self.copy_cd, self.flaw_cd,
        ]
        out.append(_pack_ints(scalars))
        out.append(bytes(self.soup))
        for v in self._slot_vectors():
            out.append(_pack_vec(v))
        out.append(_pack_vec(self.stack))
        out.append(_pack_vec(self.free_slots))
        out.append(self._pack_genebank())
        return b"".join(out)

    def _slot_vectors(self) -> list[vec[i64]]:
        return [
            self.ax, self.bx, self.cx, self.dx, self.ip, self.sp, self.flag, self.start,
            self.csize, self.dstart, self.dsize, self.moved, self.errors, self.executed,
            self.nbirths, self.first_cost, self.geno, self.born_at, self.snext, self.sprev,
            self.rup, self.rdown, self.alive, self.slice_len,
        ]

    def _pack_genebank(self) -> bytes:
        bank = self.genebank
        out: list[bytes] = [struct.pack("<qq", bank.living, bank.created)]
        out.append(_pack_strings(bank.names))
        out.append(_pack_strings(bank.parents))
        out.append(_pack_ints([i64(len(g)) for g in bank.genomes]))
        out.append(b"".join(bank.genomes))
        for v in (bank.origin, bank.alive, bank.born, bank.max_alive, bank.permanent):
            out.append(_pack_vec(v))
        out.append(_pack_ints(bank.free_ids))
        counters = sorted(bank.counters.items())
        out.append(_pack_ints([x for pair in counters for x in pair]))
        return b"".join(out)

    def snapshot(self) -> bytes:
        """Everything, RNG included, with a format version and a SHA-256 checksum."""
        body = self._body()
        return body + hashlib.sha256(body).digest()

    def digest(self) -> str:
        """SHA-256 (hex) of the full state: equal digests mean equal worlds."""
        return hashlib.sha256(self._body()).hexdigest()


def _by_cells_then_name(row: tuple[str, i64, i64, str]) -> tuple[i64, str]:
    return -row[2], row[0]


def _mean_gap(rate: float) -> i64:
    if rate <= 0.0:
        return 0
    if rate >= 1.0:
        return 1
    return i64(round(1.0 / rate))


def _pack_ints(values: list[i64]) -> bytes:
    return struct.pack(f"<I{len(values)}q", len(values), *values)


def _pack_vec(values: vec[i64]) -> bytes:
    """Length, then the values as little-endian int64 (a buffer copy on little-endian hosts)."""
    if LITTLE_ENDIAN:
        return struct.pack("<I", len(values)) + bytes(values)
    return _pack_ints(list(values))


def _pack_strings(texts: list[str]) -> bytes:
    data = "\n".join(texts).encode()
    return struct.pack("<II", len(texts), len(data)) + data


class _Reader:
    data: bytes
    pos: int

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise SnapshotError("snapshot is truncated")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def ints(self) -> list[int]:
        (n,) = struct.unpack("<I", self.take(4))
        return list(struct.unpack(f"<{n}q", self.take(8 * n)))

    def vector(self) -> vec[i64]:
        (n,) = struct.unpack("<I", self.take(4))
        raw = self.take(8 * n)
        if LITTLE_ENDIAN:
            return vec[i64](memoryview(raw).cast("q"))
        return vec[i64](struct.unpack(f"<{n}q", raw))

    def strings(self) -> list[str]:
        count, size = struct.unpack("<II", self.take(8))
        if count == 0:
            self.take(size)
            return []
        texts = self.take(size).decode().split("\n")
        if len(texts) != count:
            raise SnapshotError("snapshot is inconsistent: string table")
        return texts


def restore(data: bytes) -> World:
    """The world a ``snapshot()`` was taken of. Raises SnapshotError on any damage."""
    if len(data) < len(SNAPSHOT_MAGIC) + 2 + 32:
        raise SnapshotError("snapshot is truncated")
    body, checksum = data[:-32], data[-32:]
    if not body.startswith(SNAPSHOT_MAGIC):
        raise SnapshotError("not a ByteBiota world snapshot")
    if hashlib.sha256(body).digest() != checksum:
        raise SnapshotError("snapshot checksum mismatch (corrupted or truncated)")
    r = _Reader(body)
    r.take(len(SNAPSHOT_MAGIC))
    (version,) = struct.unpack("<H", r.take(2))
    if version != SNAPSHOT_VERSION:
        raise SnapshotError(f"snapshot format {version} is not {SNAPSHOT_VERSION}")
    try:
        return _restore_body(r)
    except (struct.error, IndexError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, SnapshotError):
            raise
        raise SnapshotError(f"snapshot is inconsistent: {exc}") from None


def _restore_body(r: _Reader) -> World:
    params = Params.unpack(r.take(_PARAMS.size))
    state = struct.unpack("<4I", r.take(16))
    w = World(params, 0)
    w.rng.setstate(tuple(state))
    s = r.ints()
    (w.nslots, w.population, w.cur, w.slice_left, w.reap_top, w.reap_bottom, w.steps,
     w.slices, w.births, w.deaths, w.background_flips, w.copy_flips, w.flaws, w.insertions,
     w.deletions, w.bg_cd, w.copy_cd, w.flaw_cd) = s
    w.soup = vec[u8](r.take(w.size))
    vectors = [r.vector() for _ in range(24)]
    for v in vectors:
        if len(v) != w.nslots:
            raise SnapshotError("snapshot is inconsistent: slot arrays differ in length")
    (w.ax, w.bx, w.cx, w.dx, w.ip, w.sp, w.flag, w.start, w.csize, w.dstart, w.dsize, w.moved,
     w.errors, w.executed, w.nbirths, w.first_cost, w.geno, w.born_at, w.snext, w.sprev,
     w.rup, w.rdown, w.alive, w.slice_len) = vectors
    w.stack = r.vector()
    w.free_slots = r.vector()
    _restore_genebank(w.genebank, r)
    _rebuild_memory(w)
    return w


def _restore_genebank(bank: Genebank, r: _Reader) -> None:
    living, created = struct.unpack("<qq", r.take(16))
    bank.names = r.strings()
    bank.parents = r.strings()
    lengths = r.ints()
    blob = r.take(sum(lengths))
    bank.genomes = []
    pos = 0
    for n in lengths:
        bank.genomes.append(blob[pos : pos + n])
        pos += n
    bank.origin = r.vector()
    bank.alive = r.vector()
    bank.born = r.vector()
    bank.max_alive = r.vector()
    bank.permanent = r.vector()
    count = len(bank.genomes)
    if not (len(bank.names) == len(bank.parents) == count == len(bank.origin)
            == len(bank.alive) == len(bank.permanent)):
        raise SnapshotError("snapshot is inconsistent: genebank tables differ in length")
    for gid in range(count):
        genome = bank.genomes[gid]
        if genome or bank.alive[gid] > 0 or bank.permanent[gid] != 0:
            bank.by_genome[genome] = gid
    bank.living = living
    bank.created = created
    bank.free_ids = [i64(x) for x in r.ints()]
    flat = r.ints()
    bank.counters = {i64(flat[k]): i64(flat[k + 1]) for k in range(0, len(flat), 2)}


def _rebuild_memory(w: World) -> None:
    """Derive owner, the free list, allocation and search limit from the cells."""
    owner = w.owner
    total: i64 = 0
    for c in range(w.nslots):
        if w.alive[c] == 0:
            continue
        mark = i32(c + 1)
        for x in range(w.start[c], w.start[c] + w.csize[c]):
            owner[x] = mark
        total += w.csize[c]
        if w.dstart[c] >= 0:
            for x in range(w.dstart[c], w.dstart[c] + w.dsize[c]):
                owner[x] = mark
    w.total_cell_bytes = total
    starts: list[i64] = []
    lengths: list[i64] = []
    allocated: i64 = 0
    a: i64 = 0
    while a < w.size:
        if owner[a] == 0:
            b = a
            while b < w.size and owner[b] == 0:
                b += 1
            starts.append(a)
            lengths.append(b - a)
            a = b
        else:
            allocated += 1
            a += 1
    w.fstart = vec[i64](starts)
    w.flen = vec[i64](lengths)
    w.allocated = allocated
    w._update_search_limit()
