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

The ecology regime (``Params.ecology``, docs/architecture.md) adds per-slot energy, task and
input state, the resource and signal fields, shared storage, the seed bank and scheduled
events (regeneration, decay, the reaper's sweep, the stagnation check) at absolute steps;
budgets are cut at the next event as at the next background flip.

Determinism: every random draw comes from ``self.rng``; no float arithmetic feeds the
simulation except the slice length for SLICER_POWER != 1 (C ``pow``, computed once per cell),
the conversion of rates to integers at start, and the sweep's mean age and errors (IEEE
``+ * /`` only, the same everywhere). Energy and resources are integers (millionths).
``run(a); run(b)`` equals ``run(a + b)``, and ``restore(snapshot())`` continues exactly.
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
    ADD_CD,
    ADR,
    ADRB,
    ADRF,
    CALL,
    COST_ADDRESS,
    COST_ENVIRONMENT,
    COST_REPRODUCTION,
    DEC_C,
    DIVIDE,
    EMIT,
    HARVEST,
    IF_CZ,
    IN,
    INC_A,
    INC_B,
    INC_C,
    JMP,
    JMPB,
    LOAD,
    MAL,
    MAX_TEMPLATE,
    MOV_AB,
    MOV_CD,
    MOV_DC,
    MOV_IAB,
    NAND,
    NOP_1,
    NOPX_FIRST,
    OR1,
    OUT,
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
    SEARCH_BITS,
    SENSE_R,
    SENSE_S,
    SH1,
    STACK_DEPTH,
    STORE,
    SUB_AB,
    SUB_AC,
    SWAP_CD,
    TASKS,
    ZERO,
    flaw_targets,
)
from bytebiota.core.params import (
    GRADIENT_LINEAR,
    GRADIENT_SINE,
    PACKED_SIZE,
    Params,
    SnapshotError,
)
from bytebiota.core.rng import Rng, threshold32

# The core's public surface (server, worker, run, replay, bench use these names from here).
__all__ = ["Params", "Report", "SnapshotError", "World", "restore"]

MIN_CELL: Final = 12  # a daughter shorter than this cannot divide (Tierra)
WRITTEN_NUM: Final = 7  # divide needs >= 7/10 of the daughter written by the mother
WRITTEN_DEN: Final = 10
HALF32: Final = 0x80000000
MASK32: Final = 0xFFFFFFFF
SEARCH_BOTH: Final = 0
SEARCH_BACK: Final = 1
SEARCH_FWD: Final = 2
SEARCH_ONES: Final = 63  # one byte's bits in a packed search window (SEARCH_BITS ones)
SNAPSHOT_MAGIC: Final = b"BBWORLD"
LITTLE_ENDIAN: Final = sys.byteorder == "little"
SNAPSHOT_VERSION: Final = 2

# Energy and resources are integers in millionths: exact on every machine, compiled or pure.
UNIT: Final = 1_000_000
NOBODY: Final = -1
INPUTS: Final = 3  # input values offered to each cell
MASK16: Final = 0xFFFF
STRIP: Final = 32  # regions of the resource field in a stats event's strip
READ: Final = 1 << 32  # marks an input buffer entry the cell has read
HARVEST_PRODUCT_MAX: Final = 1 << 62
LEDGER_LIMIT: Final = 1 << 62  # where the energy ledger's running totals saturate


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
    """x as a 32-bit two's complement value (what cx and dx hold after every operation)."""
    return ((x + HALF32) & MASK32) - HALF32


def _ledger_add(total: i64, amount: i64) -> i64:
    """A ledger total plus one settlement, saturating at +-LEDGER_LIMIT.

    Totals grow without end (an island harvests for ever); a settlement is below 2**62 by the
    configuration's bounds (docs/opcode-reference.md, "Arithmetic"), so the sum cannot leave
    64 bits before it is clamped, and both cores clamp alike where a Python int would grow.
    """
    s = total + amount
    if s > LEDGER_LIMIT:
        return LEDGER_LIMIT
    if s < -LEDGER_LIMIT:
        return -LEDGER_LIMIT
    return s


def _pow2(k: i64) -> i64:
    """2**k for 0 <= k <= 62.

    Never write ``i64(1) << k`` (or ``1 << k``) with a variable k in the core: mypyc emits the
    literal as a C ``int``, so the shift is done in 32 bits (undefined from k = 31 on; x86
    takes k mod 32): the pure core says 2**36, the compiled one 16. tests/test_exactness.py
    refuses the pattern; a typed variable on the left makes the shift 64-bit.
    """
    one: i64 = 1
    return one << k


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
    # ---- the ecology regime (eco == 0: classic, none of this is used) ----
    eco: i64
    opcode_limit: i64
    energy: vec[i64]
    paid_at: vec[i64]
    arrears: vec[i64]
    boost_left: vec[i64]
    boost_level: vec[i64]
    done: vec[i64]
    ever: vec[i64]
    in_next: vec[i64]
    exec_mark: vec[i64]
    inputs: vec[i64]
    inbuf: vec[i64]
    cur_died: bool
    # energy in millionths (UNIT)
    e_initial: i64
    e_max: i64
    e_cpu: i64
    e_rent: i64
    e_harvest: i64
    e_child: i64
    task_units: i64
    bonus_units: i64
    # the ledger: living energy == endowed + harvested + rewarded - spent - spilled - lost
    endowed: i64
    harvested: i64
    rewarded: i64
    spent_cpu: i64
    spent_rent: i64
    spilled: i64
    lost: i64
    task_events: vec[i64]
    starved: i64
    reaped: i64
    spawned: i64
    # the environment
    env_len: i64
    resource: vec[i64]
    signal: vec[i64]
    storage: vec[i64]
    regen: vec[i64]
    r_max: i64
    r_yield: i64
    small_harvest: bool  # take x HARVEST_MULTIPLIER fits in 63 bits: one multiply suffices
    decay_permille: i64
    next_regen: i64
    next_decay: i64
    next_sweep: i64
    next_stagnation: i64
    next_event: i64
    births_at_check: i64
    repopulating: i64
    bank_genomes: list[bytes]
    bank_names: list[str]
    bank_scores: vec[i64]

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
        self.eco = params.ecology
        self.opcode_limit = _pow2(params.opcode_bits)
        self.energy = vec[i64]()
        self.paid_at = vec[i64]()
        self.arrears = vec[i64]()
        self.boost_left = vec[i64]()
        self.boost_level = vec[i64]()
        self.done = vec[i64]()
        self.ever = vec[i64]()
        self.in_next = vec[i64]()
        self.exec_mark = vec[i64]()
        self.inputs = vec[i64]()
        self.inbuf = vec[i64]()
        self.cur_died = False
        self.e_initial = _units(params.energy_initial)
        self.e_max = _units(params.energy_max)
        self.e_cpu = _units(params.cpu_cost)
        self.e_rent = _units(params.rent)
        self.e_harvest = _units(params.harvest_multiplier)
        self.e_child = params.child_energy * UNIT
        self.task_units = params.task_reward * UNIT
        self.bonus_units = params.task_bonus * UNIT
        self.endowed = 0
        self.harvested = 0
        self.rewarded = 0
        self.spent_cpu = 0
        self.spent_rent = 0
        self.spilled = 0
        self.lost = 0
        self.task_events = vec[i64]([0] * len(TASKS))
        self.starved = 0
        self.reaped = 0
        self.spawned = 0
        self.env_len = params.env_length if params.ecology != 0 else 1
        self.resource = vec[i64]([0] * self.env_len)
        self.signal = vec[i64]([0] * self.env_len)
        self.storage = vec[i64]([0] * max(1, params.storage_slots))
        self.regen = vec[i64]([0] * self.env_len)
        self.r_max = params.max_resource * UNIT
        self.r_yield = params.harvest_yield * UNIT
        self.small_harvest = self.r_yield <= HARVEST_PRODUCT_MAX // max(1, self.e_harvest)
        self.decay_permille = i64(round(params.decay_factor * 1000.0))
        self.next_regen = NOBODY
        self.next_decay = NOBODY
        self.next_sweep = NOBODY
        self.next_stagnation = NOBODY
        self.next_event = NOBODY
        self.births_at_check = 0
        self.repopulating = 0
        self.bank_genomes = []
        self.bank_names = []
        self.bank_scores = vec[i64]()
        if self.eco != 0:
            self._init_environment()

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
        self.energy = append(self.energy, 0)
        self.paid_at = append(self.paid_at, 0)
        self.arrears = append(self.arrears, 0)
        self.boost_left = append(self.boost_left, 0)
        self.boost_level = append(self.boost_level, 0)
        self.done = append(self.done, 0)
        self.ever = append(self.ever, 0)
        self.in_next = append(self.in_next, 0)
        self.exec_mark = append(self.exec_mark, 0)
        for _ in range(INPUTS):
            self.inputs = append(self.inputs, 0)
            self.inbuf = append(self.inbuf, 0)
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
        self.energy[c] = 0
        self.paid_at[c] = self.steps
        self.arrears[c] = 0
        self.boost_left[c] = 0
        self.boost_level[c] = 0
        self.done[c] = 0
        self.ever[c] = 0
        self.in_next[c] = 0
        self.exec_mark[c] = 0
        for k in range(INPUTS):
            self.inputs[c * INPUTS + k] = _wrap32(self.rng.next_u32()) if self.eco != 0 else 0
            self.inbuf[c * INPUTS + k] = 0
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
            if self.eco != 0:
                self._bank_offer(gid)
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

    def _alloc_from(self, size: i64, address: i64) -> i64:
        """Room for ``size`` bytes starting at ``address`` if it is free there, else the first
        fit after it (wrapping); -1 if nothing fits."""
        i = self._first_block_at_or_after(address + 1) - 1
        if i >= 0 and self.fstart[i] + self.flen[i] >= address + size:
            self._take(i, address, size)
            return address
        return self._alloc(size, address)

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
        if v == self.cur:
            self.cur_died = True
        self.lost = _ledger_add(self.lost, self.energy[v])
        self.energy[v] = 0
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
        near = self.start[c]
        scatter = False
        if self.eco != 0:
            if self.energy[c] < 0:
                return -1  # in arrears: no reproduction
            if self.p.mal_random != 0:
                near = self.rng.below(self.size)
                scatter = True
        while True:
            if self.allocated + request <= self.occupancy_cap:
                a = self._alloc_from(request, near) if scatter else self._alloc(request, near)
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
        if self.eco != 0 and self.energy[c] < self.e_child:
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
        if self.eco != 0:
            share = self.energy[c] // 2
            self.energy[c] -= share
            self.energy[d] = share
            self.done[c] = 0
            self.exec_mark[c] = self.executed[c] + done + 1
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
                soup[at] = u8(self.rng.below(self.opcode_limit))
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
        # Windows of tlen bytes packed 6 bits apiece (at most 60 bits): sliding a window one
        # byte costs a shift and an or, and a candidate is one integer compare.
        target: i64 = 0
        mask: i64 = 0
        b = t
        for _ in range(tlen):
            target = (target << SEARCH_BITS) | (1 - i64(soup[b]))
            mask = (mask << SEARCH_BITS) | SEARCH_ONES
            b += 1
            if b == S:
                b = 0
        top = SEARCH_BITS * (tlen - 1)
        limit = self.search_limit
        fwd = q
        fw: i64 = 0
        fend = fwd
        for _ in range(tlen):
            fw = (fw << SEARCH_BITS) | i64(soup[fend])
            fend += 1
            if fend == S:
                fend = 0
        back = t - 2
        if back < 0:
            back += S
        bw: i64 = 0
        b = back
        for _ in range(tlen):
            bw = (bw << SEARCH_BITS) | i64(soup[b])
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
                fw = ((fw << SEARCH_BITS) | i64(soup[fend])) & mask
                fend += 1
                if fend == S:
                    fend = 0
                back -= 1
                if back < 0:
                    back = S - 1
                bw = (bw >> SEARCH_BITS) | (i64(soup[back]) << top)
                k += 1
        elif mode == SEARCH_BACK:
            while k < limit:
                if bw == target:
                    return back, tlen
                back -= 1
                if back < 0:
                    back = S - 1
                bw = (bw >> SEARCH_BITS) | (i64(soup[back]) << top)
                k += 1
        else:
            while k < limit:
                if fw == target:
                    return fwd, tlen
                fwd += 1
                if fwd == S:
                    fwd = 0
                fw = ((fw << SEARCH_BITS) | i64(soup[fend])) & mask
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
        extra: i64 = 0  # base costs owed beyond one per instruction (costly families)
        # the ecology regime: harvests are inlined (the ancestor harvests every ~10 steps)
        energy = self.energy[c]
        res = self.resource
        home = self.start[c] * self.env_len // S
        r_yield = self.r_yield
        e_harvest = self.e_harvest
        small_harvest = self.small_harvest
        e_max = self.e_max
        harvested: i64 = 0
        spilled: i64 = 0
        # The CPU cost is charged lazily, but always before energy is read or moved (harvest
        # at ENERGY_MAX, OUT's reward, MAL, DIVIDE): then no result depends on where a
        # run() call cut the slice. ``charged``: instructions of this call already paid.
        e_cpu = self.e_cpu if self.eco != 0 else 0  # (the classic regime has no energy)
        charged: i64 = 0
        spent: i64 = 0
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
                            b = u8(i64(b) ^ _pow2(self.rng.below(self.p.opcode_bits)))
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
                extra += COST_ADDRESS - 1
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
                extra += COST_REPRODUCTION - 1
                owed = (n - charged + extra) * e_cpu
                energy -= owed
                spent += owed
                charged = n
                extra = 0
                self.copy_cd = copy_cd
                self.energy[c] = energy
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
                extra += COST_REPRODUCTION - 1
                owed = (n - charged + extra) * e_cpu
                energy -= owed
                spent += owed
                charged = n
                extra = 0
                self.moved[c] = moved
                self.copy_cd = copy_cd
                self.energy[c] = energy
                divided = self._divide(c, n)
                energy = self.energy[c]
                if divided:
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
            elif op >= NOPX_FIRST:
                ip += 1  # filler
            elif op == HARVEST:
                extra += COST_ENVIRONMENT - 1
                r = res[home]
                if r > 0:
                    owed = (n - charged + extra) * e_cpu
                    energy -= owed
                    spent += owed
                    charged = n
                    extra = 0
                    take = r if r < r_yield else r_yield
                    res[home] = r - take
                    if small_harvest:
                        gain = take * e_harvest // UNIT
                    else:  # the same value without the up to 10**21 product (docs)
                        gain = (take // UNIT) * e_harvest + (take % UNIT) * e_harvest // UNIT
                    harvested += gain
                    if energy + gain > e_max:
                        kept = e_max - energy if energy < e_max else 0
                        spilled += gain - kept
                        gain = kept
                    energy += gain
                ip += 1
            elif op == IN:
                dx = cx
                k = self.in_next[c]
                cx = self.inputs[c * INPUTS + k]
                self.inbuf[c * INPUTS + k] = (cx & MASK32) | READ
                self.in_next[c] = k + 1 if k + 1 < INPUTS else 0
                ip += 1
            elif op == OUT:
                owed = (n - charged + extra) * e_cpu
                energy -= owed
                spent += owed
                charged = n
                extra = 0
                self.energy[c] = energy
                self._output(c, cx)
                energy = self.energy[c]
                ip += 1
            elif op == NAND:
                cx = _wrap32(~(cx & dx))
                ip += 1
            elif op == MOV_DC:
                cx = dx
                ip += 1
            elif op == SWAP_CD:
                v = cx
                cx = dx
                dx = v
                ip += 1
            elif op == ADD_CD:
                cx = _wrap32(cx + dx)
                ip += 1
            elif op == SENSE_R or op == SENSE_S:
                extra += COST_ENVIRONMENT - 1
                e = ax * self.env_len // S
                cx = self.resource[e] // UNIT if op == SENSE_R else self.signal[e]
                ip += 1
            elif op == EMIT:
                extra += COST_ENVIRONMENT - 1
                self.signal[self.start[c] * self.env_len // S] = cx & MASK16
                ip += 1
            elif op == LOAD:
                extra += COST_ENVIRONMENT - 1
                cx = self.storage[dx % i64(len(self.storage))]
                ip += 1
            elif op == STORE:
                extra += COST_ENVIRONMENT - 1
                self.storage[dx % i64(len(self.storage))] = cx
                ip += 1
            else:
                ip += 1  # bytes above the instruction set do nothing
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
        if self.eco != 0:
            cost = (n - charged + extra) * e_cpu
            self.energy[c] = energy - cost
            self.spent_cpu = _ledger_add(self.spent_cpu, cost + spent)
            self.harvested = _ledger_add(self.harvested, harvested)
            self.spilled = _ledger_add(self.spilled, spilled)
        return n

    # ---- the ecology regime: energy, tasks, environment ----------------------------------

    def _credit(self, c: i64, amount: i64) -> i64:
        """Add energy to cell c up to ENERGY_MAX; returns what was kept (the rest spills)."""
        room = self.e_max - self.energy[c]
        if room < 0:
            room = 0
        kept = amount if amount <= room else room
        self.energy[c] += kept
        self.spilled = _ledger_add(self.spilled, amount - kept)
        return kept

    def _output(self, c: i64, value: i64) -> None:
        """Check an answer against the nine tasks on the inputs the cell has read."""
        out = value & MASK32
        base = c * INPUTS
        found: i64 = 0
        for i in range(INPUTS):
            ra = self.inbuf[base + i]
            if ra & READ == 0:
                continue  # never read: not an input of this cell's answers yet
            a = ra & MASK32
            if out == (~a) & MASK32:
                found |= 1  # NOT
            for j in range(INPUTS):
                rb = self.inbuf[base + j]
                if j == i or rb & READ == 0:
                    continue
                b = rb & MASK32
                if a != b:
                    found |= _task_bits(out, a, b)
        if found == 0:
            return
        fresh = found & ~self.done[c]
        if fresh == 0:
            return
        self.done[c] |= fresh
        level: i64 = 0
        reward: i64 = 0
        for t in range(len(TASKS)):
            if (fresh >> t) & 1:
                lv = i64(TASKS[t][1])
                reward += self.task_units * lv
                if not (self.ever[c] >> t) & 1:
                    reward += self.bonus_units
                self.task_events[t] += 1
                if lv > level:
                    level = lv
        self.ever[c] |= fresh
        self.rewarded = _ledger_add(self.rewarded, reward)
        self._credit(c, reward)
        if self.p.boost_duration > 0:
            self.boost_left[c] = self.p.boost_duration
            if level > self.boost_level[c]:
                self.boost_level[c] = level

    def _settle_rent(self, c: i64) -> None:
        """Charge rent for the bytes cell c holds since it last paid (lazily, at its slices)."""
        held = self.csize[c] + self.dsize[c]
        per_step = held * self.e_rent  # < 2**30 bytes x 10**9: fits
        steps = self.steps - self.paid_at[c]
        # Rent beyond the cell's energy plus ENERGY_MAX is forgiven: the cell is left at
        # least ENERGY_MAX in debt either way, and the product stays in 64 bits.
        ceiling = (self.energy[c] if self.energy[c] > 0 else 0) + self.e_max
        if per_step > 0 and steps > ceiling // per_step:
            owed = ceiling
        else:
            owed = per_step * steps
        self.paid_at[c] = self.steps
        self.energy[c] -= owed
        self.spent_rent = _ledger_add(self.spent_rent, owed)

    def _slice_length(self, c: i64) -> i64:
        """Start cell c's slice: settle its rent, apply a task boost; returns the length."""
        n = self.slice_len[c]
        if self.eco == 0:
            return n
        self._settle_rent(c)
        if self.boost_left[c] > 0:
            n *= 1 + self.boost_level[c]
            self.boost_left[c] -= 1
            if self.boost_left[c] == 0:
                self.boost_level[c] = 0
        return n

    def _slice_end(self, c: i64) -> None:
        """A cell in debt at the end of two slices in a row starves."""
        if self.energy[c] > 0:
            self.arrears[c] = 0
        elif self.arrears[c] != 0:
            self.starved += 1
            self.kill(c)
        else:
            self.arrears[c] = 1

    def _init_environment(self) -> None:
        p = self.p
        for e in range(self.env_len):
            self.resource[e] = self.r_max
        self.next_regen = p.regen_interval if p.regen_interval > 0 else NOBODY
        self.next_decay = p.decay_interval if p.decay_interval > 0 else NOBODY
        self.next_sweep = p.sweep_interval if p.sweep_interval > 0 else NOBODY
        self.next_stagnation = p.stagnation_interval if p.stagnation_interval > 0 else NOBODY
        self._base_regen()
        self._schedule()

    def _schedule(self) -> None:
        nxt = NOBODY
        for t in (self.next_regen, self.next_decay, self.next_sweep, self.next_stagnation):
            if t >= 0 and (nxt < 0 or t < nxt):
                nxt = t
        self.next_event = nxt

    def _base_regen(self) -> None:
        """The regeneration profile at rest (millionths per tick per field cell); integer
        arithmetic only, so every machine computes the same field. The gradient moves by
        shifting it (``_regenerate``), never by recomputing it."""
        p = self.p
        amount = p.regen_amount * UNIT
        amp = i64(round(p.gradient_amplitude * 1000.0))
        for e in range(self.env_len):
            self.regen[e] = amount * _profile_permille(p, e, self.env_len, amp) // 1000

    def _regenerate(self) -> None:
        """Field cell e gains the profile's value at e - shift, where the gradient has moved
        one cell every ENV_GRADIENT_PERIOD steps."""
        p = self.p
        L = self.env_len
        shift: i64 = 0
        if p.gradients != 0 and p.gradient_period > 0:
            shift = (self.steps // p.gradient_period) % L
        resource = self.resource
        regen = self.regen
        top = self.r_max
        x = L - shift  # the profile index for field cell 0
        for e in range(L):
            if x == L:
                x = 0
            r = resource[e] + regen[x]
            resource[e] = r if r < top else top
            x += 1

    def _decay(self) -> None:
        f = self.decay_permille
        signal = self.signal
        for e in range(self.env_len):
            v = signal[e]
            if v != 0:
                signal[e] = v * f // 1000

    def _events(self) -> None:
        """Whatever falls due at this step: regeneration, decay, the reaper's sweep, the
        stagnation check. Runs between slices (the run loop cuts budgets at next_event)."""
        p = self.p
        now = self.steps
        if self.next_regen >= 0 and now >= self.next_regen:
            self._regenerate()
            self.next_regen = now + p.regen_interval
        if self.next_decay >= 0 and now >= self.next_decay:
            self._decay()
            self.next_decay = now + p.decay_interval
        if self.next_sweep >= 0 and now >= self.next_sweep:
            self._sweep()
            self.next_sweep = now + p.sweep_interval
        if self.next_stagnation >= 0 and now >= self.next_stagnation:
            self._bank_refresh()
            if self.births == self.births_at_check:
                self._spawn(p.stagnation_count)
            self.births_at_check = self.births
            self.next_stagnation = now + p.stagnation_interval
        self._schedule()

    # ---- the ecology reaper, the seed bank -------------------------------------------------

    def _sweep(self) -> None:
        """Age, error and reproduction-timeout reaping, memory pressure, repopulation."""
        p = self.p
        protected = self.cur if p.protect_current != 0 else NOBODY
        if self.population >= p.min_population_for_reap and self.population > 0:
            age_sum: i64 = 0
            err_sum: i64 = 0
            for c in range(self.nslots):
                if self.alive[c] != 0:
                    age_sum += self.steps - self.born_at[c]
                    err_sum += self.errors[c]
            pop = self.population
            age_limit = float(age_sum) / float(pop) * p.age_multiplier
            err_limit = float(err_sum) / float(pop) * p.error_multiplier
            chance = threshold32(p.reap_chance)
            for c in self.reaper_order():
                if c == protected or self.population < p.min_population_for_reap:
                    continue
                stalled = self.executed[c] - self.exec_mark[c] > p.repro_timeout > 0
                if stalled and self.dstart[c] >= 0:
                    self._free(self.dstart[c], self.dsize[c])
                    self.dstart[c] = -1
                    self.dsize[c] = 0
                    self.moved[c] = 0
                old = float(self.steps - self.born_at[c]) > age_limit
                faulty = err_sum > 0 and float(self.errors[c]) > err_limit
                if (old or faulty or stalled) and self.rng.chance(chance):
                    self.reaped += 1
                    self.kill(c)
            limit = i64(int(p.memory_reap_threshold * float(self.occupancy_cap)))
            while self.allocated > limit and self.population > p.min_population_for_reap:
                v = self._victim(protected)
                if v < 0 or v == protected:
                    break
                self.reaped += 1
                self.kill(v)
        if self.population < p.repopulation_threshold:
            self.repopulating = 1
        if self.repopulating != 0:
            if self.population >= p.repopulation_stop:
                self.repopulating = 0
            else:
                self._spawn(p.repopulation_batch)

    def _bank_offer(self, gid: i64) -> None:
        """Keep the most successful genotypes (peak abundance), at most a tenth of the bank
        from one size class, so that no lineage crowds the others out."""
        size = self.p.seed_bank_size
        if size <= 0:
            return
        gb = self.genebank
        genome = gb.genomes[gid]
        score = gb.max_alive[gid]
        for k in range(len(self.bank_genomes)):
            if self.bank_genomes[k] == genome:
                if score > self.bank_scores[k]:
                    self.bank_scores[k] = score
                return
        if len(self.bank_genomes) < size:
            self.bank_genomes.append(genome)
            self.bank_names.append(gb.names[gid])
            self.bank_scores = append(self.bank_scores, score)
            return
        length = len(genome)
        quota = max(1, size // 10)
        same = 0
        worst = -1
        worst_same = -1
        scores = self.bank_scores
        for k in range(len(self.bank_genomes)):
            if len(self.bank_genomes[k]) == length:
                same += 1
                if worst_same < 0 or scores[k] < scores[worst_same]:
                    worst_same = k
            if worst < 0 or scores[k] < scores[worst]:
                worst = k
        victim = worst_same if same >= quota else worst
        if victim >= 0 and scores[victim] < score:
            self.bank_genomes[victim] = genome
            self.bank_names[victim] = gb.names[gid]
            scores[victim] = score

    def _bank_refresh(self) -> None:
        """Raise the banked genotypes' scores to their peak abundance so far."""
        gb = self.genebank
        for k in range(len(self.bank_genomes)):
            gid = gb.lookup(self.bank_genomes[k])
            if gid >= 0 and gb.max_alive[gid] > self.bank_scores[k]:
                self.bank_scores[k] = gb.max_alive[gid]

    def _spawn(self, count: i64) -> None:
        """Inject ``count`` genomes drawn from the seed bank (repopulation, stagnation)."""
        n = i64(len(self.bank_genomes))
        if n == 0:
            return
        for _ in range(count):
            genome = self.bank_genomes[self.rng.below(n)]
            a = self._alloc_from(i64(len(genome)), self.rng.below(self.size))
            if a < 0:
                return
            for k in range(len(genome)):
                self.soup[a + k] = u8(genome[k])
            c = self._make_cell(a, i64(len(genome)), genome, -1)
            self._endow(c)
            self._slicer_insert_before(c, self.cur)
            self.spawned += 1

    def seed_bank(self) -> list[tuple[str, i64, bytes]]:
        """The seed bank's entries: (name when banked, peak abundance, genome)."""
        return [(self.bank_names[k], self.bank_scores[k], self.bank_genomes[k])
                for k in range(len(self.bank_genomes))]

    def _endow(self, c: i64) -> None:
        if self.eco != 0:
            self.energy[c] = self.e_initial
            self.endowed = _ledger_add(self.endowed, self.e_initial)

    def task_counts(self) -> dict[str, int]:
        """For each task, the living cells that have performed it at least once."""
        counts = [0] * len(TASKS)
        for c in range(self.nslots):
            if self.alive[c] != 0 and self.ever[c] != 0:
                m = self.ever[c]
                for t in range(len(TASKS)):
                    if (m >> t) & 1:
                        counts[t] += 1
        return {TASKS[t][0]: counts[t] for t in range(len(TASKS))}

    def ecology_stats(self) -> dict[str, object]:
        """The ecology regime's part of a stats event (energies in whole units)."""
        living: i64 = 0
        broke: i64 = 0
        for c in range(self.nslots):
            if self.alive[c] != 0:
                living += self.energy[c]
                if self.energy[c] <= 0:
                    broke += 1
        resources: i64 = 0
        bins = min(STRIP, self.env_len)
        strip = [0.0] * bins
        for e in range(self.env_len):
            resources += self.resource[e]
            strip[e * bins // self.env_len] += float(self.resource[e])
        per_bin = float(self.env_len) / float(bins) * float(UNIT)
        pop = self.population
        return {
            "tasks": self.task_counts(),
            "energy": {"mean": round(float(living) / float(pop) / UNIT, 3) if pop else 0.0,
                       "total": round(float(living) / UNIT, 3), "broke": broke},
            "resources": {"total": round(float(resources) / UNIT, 3),
                          "strip": [round(v / per_bin, 1) for v in strip]},
            "task_events": {TASKS[t][0]: self.task_events[t] for t in range(len(TASKS))},
            "deaths_by": {"starved": self.starved, "reaped": self.reaped},
            "spawned": self.spawned,
        }

    def energy_ledger(self) -> dict[str, int]:
        """Where the energy came from and went (millionths); ``living`` is what cells hold."""
        living: i64 = 0
        for c in range(self.nslots):
            if self.alive[c] != 0:
                living += self.energy[c]
        return {
            "living": living, "endowed": self.endowed, "harvested": self.harvested,
            "rewarded": self.rewarded, "cpu": self.spent_cpu, "rent": self.spent_rent,
            "spilled": self.spilled, "lost": self.lost,
        }

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
        self.soup[a] = u8(i64(self.soup[a]) ^ _pow2(self.rng.below(self.p.opcode_bits)))
        self.background_flips += 1

    # ---- public API ----------------------------------------------------------------------

    def inject(self, genome: bytes, address: i64 = -1) -> i64:
        """Place a genome in free memory (at ``address``, or the first fit) as a new cell.

        Returns its slot. Raises ValueError if it does not fit or holds non-opcode bytes.
        """
        size = i64(len(genome))
        if size < 1:
            raise ValueError("an empty genome cannot be injected")
        limit = self.opcode_limit
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
        self._endow(c)
        self._slicer_insert_before(c, self.cur)
        if self.eco != 0:
            self._bank_offer(self.geno[c])
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
        eco = self.eco != 0
        while remaining > 0:
            if self.population == 0:
                if eco:
                    self._spawn(self.p.repopulation_batch)
                if self.population == 0:
                    report.extinct = True
                    break
            c = self.cur
            if self.slice_left <= 0:
                self.slice_left = self._slice_length(c)
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
                if eco and 0 <= self.next_event - self.steps < budget:
                    budget = self.next_event - self.steps
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
            if eco:
                self.cur_died = False
                if self.slice_left <= 0:
                    self._slice_end(c)
                if 0 <= self.next_event <= self.steps:
                    self._events()
                if self.cur_died:
                    # the cell died (starved or reaped): kill() moved cur on already
                    self.cur_died = False
                    self.slice_left = 0
                    self.slices += 1
                    slices_done += 1
                    if slices_done == slice_limit:
                        break
                    continue
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
        out.append(_pack_ints(self._eco_scalars()))
        out.append(bytes(self.soup))
        for v in self._slot_vectors():
            out.append(_pack_vec(v))
        for v in self._other_vectors():
            out.append(_pack_vec(v))
        out.append(self._pack_genebank())
        out.append(_pack_ints([i64(len(g)) for g in self.bank_genomes]))
        out.append(b"".join(self.bank_genomes))
        out.append(_pack_strings(self.bank_names))
        return b"".join(out)

    def _eco_scalars(self) -> list[i64]:
        return [
            self.endowed, self.harvested, self.rewarded, self.spent_cpu, self.spent_rent,
            self.spilled, self.lost, self.starved, self.reaped, self.spawned,
            self.next_regen, self.next_decay, self.next_sweep, self.next_stagnation,
            self.births_at_check, self.repopulating,
        ]

    def _other_vectors(self) -> list[vec[i64]]:
        return [
            self.stack, self.free_slots, self.inputs, self.inbuf, self.resource, self.signal,
            self.storage, self.task_events, self.bank_scores,
        ]

    def _slot_vectors(self) -> list[vec[i64]]:
        return [
            self.ax, self.bx, self.cx, self.dx, self.ip, self.sp, self.flag, self.start,
            self.csize, self.dstart, self.dsize, self.moved, self.errors, self.executed,
            self.nbirths, self.first_cost, self.geno, self.born_at, self.snext, self.sprev,
            self.rup, self.rdown, self.alive, self.slice_len, self.energy, self.paid_at,
            self.arrears, self.boost_left, self.boost_level, self.done, self.ever,
            self.in_next, self.exec_mark,
        ]

    def _pack_genebank(self) -> bytes:
        bank = self.genebank
        out: list[bytes] = [struct.pack("<qq", bank.living, bank.created)]
        out.append(_pack_strings(bank.names))
        out.append(_pack_strings(bank.parents))
        out.append(_pack_strings(bank.lineage))
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


def _units(x: float) -> i64:
    return i64(round(x * float(UNIT)))


def _task_bits(out: i64, a: i64, b: i64) -> i64:
    """The tasks (bits in TASKS order, NOT aside) that ``out`` performs on inputs a, b."""
    found: i64 = 0
    if out == (~(a & b)) & MASK32:
        found |= 1 << 1  # NAND
    if out == a & b:
        found |= 1 << 2  # AND
    if out == (a | ~b) & MASK32:
        found |= 1 << 3  # ORN
    if out == a | b:
        found |= 1 << 4  # OR
    if out == a & ~b & MASK32:
        found |= 1 << 5  # ANDN
    if out == (~(a | b)) & MASK32:
        found |= 1 << 6  # NOR
    if out == a ^ b:
        found |= 1 << 7  # XOR
    if out == (~(a ^ b)) & MASK32:
        found |= 1 << 8  # EQU
    return found


def _isin_permille(x: i64, length: i64) -> i64:
    """1000 sin(2 pi x / length), by Bhaskara I's rational approximation (error < 0.2 %),
    in integers so that every machine computes the same field."""
    t = 2 * x
    sign: i64 = 1
    if t >= length:
        t -= length
        sign = -1
    u = t
    v = length - t
    return sign * (16000 * u * v) // (5 * length * length - 4 * u * v)


def _profile_permille(p: Params, x: i64, length: i64, amp: i64) -> i64:
    """The regeneration multiplier (per mille) at field position x of a gradient at rest."""
    if p.gradients == 0:
        return 1000
    if p.gradient_type == GRADIENT_SINE:
        return 1000 + amp * _isin_permille(x, length) // 1000
    if p.gradient_type == GRADIENT_LINEAR:
        return 1000 + amp * (2 * x - length) // length
    count = p.hotspot_count
    if count <= 0:
        return 1000
    spacing = length // count if length >= count else 1
    if x % spacing < p.hotspot_size and x // spacing < count:
        return 1000 + amp
    return 1000 - amp


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

    def blobs(self) -> list[bytes]:
        """A table of byte strings: their lengths, then their bytes end to end."""
        lengths = self.ints()
        blob = self.take(sum(lengths))
        out: list[bytes] = []
        pos = 0
        for n in lengths:
            if n < 0:
                raise SnapshotError("snapshot is inconsistent: negative length")
            out.append(blob[pos : pos + n])
            pos += n
        return out

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
    params = Params.unpack(r.take(PACKED_SIZE))
    state = struct.unpack("<4I", r.take(16))
    w = World(params, 0)
    w.rng.setstate(tuple(state))
    s = r.ints()
    (w.nslots, w.population, w.cur, w.slice_left, w.reap_top, w.reap_bottom, w.steps,
     w.slices, w.births, w.deaths, w.background_flips, w.copy_flips, w.flaws, w.insertions,
     w.deletions, w.bg_cd, w.copy_cd, w.flaw_cd) = s
    (w.endowed, w.harvested, w.rewarded, w.spent_cpu, w.spent_rent, w.spilled, w.lost,
     w.starved, w.reaped, w.spawned, w.next_regen, w.next_decay, w.next_sweep,
     w.next_stagnation, w.births_at_check, w.repopulating) = r.ints()
    w._schedule()
    w.soup = vec[u8](r.take(w.size))
    vectors = [r.vector() for _ in range(33)]
    for v in vectors:
        if len(v) != w.nslots:
            raise SnapshotError("snapshot is inconsistent: slot arrays differ in length")
    (w.ax, w.bx, w.cx, w.dx, w.ip, w.sp, w.flag, w.start, w.csize, w.dstart, w.dsize, w.moved,
     w.errors, w.executed, w.nbirths, w.first_cost, w.geno, w.born_at, w.snext, w.sprev,
     w.rup, w.rdown, w.alive, w.slice_len, w.energy, w.paid_at, w.arrears, w.boost_left,
     w.boost_level, w.done, w.ever, w.in_next, w.exec_mark) = vectors
    (w.stack, w.free_slots, w.inputs, w.inbuf, w.resource, w.signal, w.storage,
     w.task_events, w.bank_scores) = [r.vector() for _ in range(9)]
    if len(w.stack) != w.nslots * STACK_DEPTH or len(w.inputs) != w.nslots * INPUTS:
        raise SnapshotError("snapshot is inconsistent: stack or input arrays")
    if len(w.resource) != w.env_len or len(w.storage) != max(1, params.storage_slots):
        raise SnapshotError("snapshot is inconsistent: environment arrays")
    _restore_genebank(w.genebank, r)
    w.bank_genomes = r.blobs()
    w.bank_names = r.strings()
    if len(w.bank_names) != len(w.bank_genomes) or len(w.bank_scores) != len(w.bank_genomes):
        raise SnapshotError("snapshot is inconsistent: seed bank")
    _rebuild_memory(w)
    return w


def _restore_genebank(bank: Genebank, r: _Reader) -> None:
    living, created = struct.unpack("<qq", r.take(16))
    bank.names = r.strings()
    bank.parents = r.strings()
    bank.lineage = r.strings()
    bank.genomes = r.blobs()
    bank.origin = r.vector()
    bank.alive = r.vector()
    bank.born = r.vector()
    bank.max_alive = r.vector()
    bank.permanent = r.vector()
    count = len(bank.genomes)
    if not (len(bank.names) == len(bank.parents) == len(bank.lineage) == count
            == len(bank.origin)
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
