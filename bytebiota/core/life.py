"""Life and death (the seed's OSCalls): making a cell, killing one, MAL and DIVIDE, injecting
genomes and spawning from the seed bank.

Functions of the World (the composition root), because each touches several components:
memory, cells, slicer, reaper, genebank, energy, seed bank. Called per event: by the VM
(``mal``, ``divide``), by the scheduler and the sweep (``kill``, ``spawn``), and by the public
API (``inject``).

Invariants kept here: a living cell's memory and daughter block are allocated and owned by
it; population, ``total_cell_bytes`` and the search limit follow every birth and death; the
genebank sees every birth and death; a cell's energy is never created or destroyed outside
the ledger (a dead cell's is ``lost``, a newborn's is half its mother's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from mypy_extensions import i64, u8

from bytebiota.core.arith import wrap32
from bytebiota.core.cells import (
    INPUTS,
    R_CSIZE,
    R_DSIZE,
    R_DSTART,
    R_ENERGY,
    R_EXECUTED,
    R_MOVED,
    R_SLICE_LEN,
    R_START,
    REG_W,
)
from bytebiota.core.energy import merit_exponent
from bytebiota.core.mutation import MIN_CELL
from bytebiota.core.params import MAL_BETTER, MAL_RANDOM

if TYPE_CHECKING:  # annotations only: world.py imports this module
    from bytebiota.core.world import World

WRITTEN_NUM: Final = 7  # divide needs >= 7/10 of the daughter written by the mother
WRITTEN_DEN: Final = 10


def make_cell(w: World, start: i64, size: i64, genome: bytes, parent_gid: i64,
              born: i64) -> i64:
    """A new cell over [start, start + size), already allocated and written, born at step
    ``born``; it enters the reaper queue at the bottom (the caller places it in the ring)."""
    cells = w.cells
    c = cells.new_slot()
    cells.reset(c, start, size, born)
    cells.regs[c * REG_W + R_SLICE_LEN] = w.slicer.slice_for(size)
    for k in range(INPUTS):
        cells.inputs[c * INPUTS + k] = wrap32(w.rng.next_u32()) if w.eco != 0 else 0
    w.mem.claim(start, size, c)
    gid = w.genebank.birth(genome, parent_gid, born)
    cells.geno[c] = gid
    if w.ledger.merit:  # TASK_REWARD_RULE=merit (opt-in): the total merit
        w.ledger.merit_born(cells, c)
    w.population += 1
    w.total_cell_bytes += size
    w.update_search_limit()
    w.reaper.push_bottom(c)
    _check_permanent(w, gid)
    return c


def _check_permanent(w: World, gid: i64) -> None:
    if w.genebank.becomes_permanent(gid, w.population):
        w.new_permanent.append(w.genebank.names[gid])
        if w.eco != 0:
            w.bank.offer(w.genebank, gid)


def relabel(w: World, c: i64, step: i64) -> None:
    """Cell c's genome changed in place at ``step`` (it wrote into its own body, or a
    background flip struck it; RELABEL_CHANGED_GENOMES): it becomes a cell of its new
    genotype, as in Tierra 6.02 (bookeep.c's CellMutBookeep): a birth of the new genotype,
    the old one its parent, and a death of the old."""
    cells = w.cells
    old = cells.geno[c]
    gid = w.genebank.birth(w.genome_of(c), old, step)  # before the death: old stays named
    w.genebank.death(old)
    cells.geno[c] = gid
    _check_permanent(w, gid)


def struck(w: World, a: i64) -> None:
    """Address ``a`` changed outside any instruction (a background flip): relabel the cell
    whose body holds it, if any."""
    o = i64(w.mem.owner[a])
    if o == 0:
        return
    c = o - 1
    start = w.cells.regs[c * REG_W + R_START]
    size = w.cells.regs[c * REG_W + R_CSIZE]
    if start <= a < start + size:  # the body, not a daughter block
        relabel(w, c, w.steps)


def kill(w: World, v: i64) -> bool:
    """Remove cell v: its memory and daughter block are freed (the bytes stay). Returns
    whether it was the current cell (the scheduler then does not move on: the slicer has)."""
    cells = w.cells
    vb = v * REG_W  # the cell's block in cells.regs
    was_current = v == w.slicer.cur
    w.ledger.forfeit(cells, v)
    w.mem.free(cells.regs[vb + R_START], cells.regs[vb + R_CSIZE])
    if cells.regs[vb + R_DSTART] >= 0:
        w.mem.free(cells.regs[vb + R_DSTART], cells.regs[vb + R_DSIZE])
        cells.regs[vb + R_DSTART] = -1
        cells.regs[vb + R_DSIZE] = 0
    w.slicer.remove(v)
    w.reaper.remove(v)
    w.genebank.death(cells.geno[v])
    if w.ledger.merit:
        w.ledger.merit_died(cells, v)
    cells.release(v)
    w.population -= 1
    w.total_cell_bytes -= cells.regs[vb + R_CSIZE]
    w.deaths += 1
    w.update_search_limit()
    return was_current


def mal(w: World, c: i64, request: i64) -> i64:
    """Allocate a daughter block of ``request`` bytes for cell c, reaping until it fits;
    returns its address, or -1 (the caller counts the error).

    Where (MAL_PLACEMENT): first fit from the mother's start, from a random address, or the
    better fit anywhere. A cell already holding a daughter block fails, unless
    MAL_REPLACES_DAUGHTER: then, as in Tierra 6.02's ``mal()``, the block is freed first (and a
    request of the block's own size fails).
    """
    cells = w.cells
    rb = c * REG_W  # the cell's block in cells.regs
    mem = w.mem
    p = w.p
    held: i64 = -1
    if cells.regs[rb + R_DSTART] >= 0:
        held = cells.regs[rb + R_DSIZE]
    if request <= 0 or (held >= 0 and (p.mal_replaces == 0 or request == held)):
        return -1
    if request > p.max_mal_mult * cells.regs[rb + R_CSIZE] or request > mem.occupancy_cap:
        return -1
    if w.eco != 0 and cells.regs[rb + R_ENERGY] < 0:
        return -1  # in arrears: no reproduction
    if held >= 0:
        mem.free(cells.regs[rb + R_DSTART], held)
        cells.regs[rb + R_DSTART] = -1
        cells.regs[rb + R_DSIZE] = 0
        cells.regs[rb + R_MOVED] = 0
    mode = p.mal_mode
    near = cells.regs[rb + R_START]
    if mode == MAL_RANDOM:
        near = w.rng.below(mem.size)
    while True:
        if mem.allocated + request <= mem.occupancy_cap:
            if mode == MAL_RANDOM:
                a = mem.alloc_from(request, near)
            elif mode == MAL_BETTER:
                a = mem.alloc_best(request)
            else:
                a = mem.alloc(request, near)
            if a >= 0:
                break
        v = w.reaper.victim(w.rng, w.population, c)
        if v < 0 or v == c:
            return -1
        kill(w, v)
    cells.regs[rb + R_DSTART] = a
    cells.regs[rb + R_DSIZE] = request
    cells.regs[rb + R_MOVED] = 0
    mem.claim(a, request, c)
    w.reaper.on_success(c)
    return a


def divide(w: World, c: i64, step: i64, done: i64) -> bool:
    """Cell c's daughter block becomes a cell, if it is at least MIN_CELL bytes and 7/10
    written (and, in the ecology, the mother has CHILD_ENERGY_REQUIREMENT). ``step``: the
    world's step of this instruction (the birth step); ``done``: instructions of the
    current slice executed before this one (not yet in the mother's count)."""
    cells = w.cells
    rb = c * REG_W  # the cell's block in cells.regs
    d0 = cells.regs[rb + R_DSTART]
    if d0 < 0:
        return False
    ds = cells.regs[rb + R_DSIZE]
    if ds < MIN_CELL or cells.regs[rb + R_MOVED] * WRITTEN_DEN < ds * WRITTEN_NUM:
        return False
    if w.eco != 0 and cells.regs[rb + R_ENERGY] < w.ledger.e_child:
        return False
    ds = w.mut.indel(w.mem, w.rng, w.opcode_limit, d0, ds)
    cells.regs[rb + R_DSIZE] = ds
    genome = bytes(w.mem.soup[d0 : d0 + ds])
    cells.regs[rb + R_DSTART] = -1
    cells.regs[rb + R_DSIZE] = 0
    cells.regs[rb + R_MOVED] = 0
    d = make_cell(w, d0, ds, genome, cells.geno[c], step)
    if w.record_begets:
        names = w.genebank.names
        key = (names[cells.geno[c]], names[cells.geno[d]])
        w.begets[key] = w.begets.get(key, 0) + 1
    if w.eco != 0:
        share = cells.regs[rb + R_ENERGY] // 2
        cells.regs[rb + R_ENERGY] -= share
        cells.regs[d * REG_W + R_ENERGY] = share
        if w.ledger.merit:  # the merit rule (opt-in): from the gestation just ended
            e = merit_exponent(cells.done[c])
            w.ledger.set_merit(cells, c, e)
            w.ledger.set_merit(cells, d, e)
        cells.done[c] = 0
    cells.exec_mark[c] = cells.regs[rb + R_EXECUTED] + done + 1  # (RepInst: mutation.adjust)
    w.slicer.insert_before(d, c)
    w.births += 1
    if cells.nbirths[c] == 0:
        cells.first_cost[c] = cells.regs[rb + R_EXECUTED] + done + 1
    cells.nbirths[c] += 1
    w.reaper.on_success(c)
    return True


def place(w: World, a: i64, genome: bytes) -> i64:
    """Write ``genome`` at ``a`` (already allocated) as a new cell just before the current
    one, endowed with ENERGY_INITIAL in the ecology; returns its slot."""
    soup = w.mem.soup
    size = i64(len(genome))
    for k in range(size):
        soup[a + k] = u8(genome[k])
    c = make_cell(w, a, size, genome, -1, w.steps)
    if w.eco != 0:
        w.ledger.endow(w.cells, c)
    w.slicer.insert_before(c, w.slicer.cur)
    return c


def spawn(w: World, count: i64) -> None:
    """Inject ``count`` genomes drawn from the seed bank (repopulation, stagnation)."""
    bank = w.bank
    n = i64(len(bank.genomes))
    if n == 0:
        return
    for _ in range(count):
        genome = bank.genomes[w.rng.below(n)]
        a = w.mem.alloc_from(i64(len(genome)), w.rng.below(w.mem.size))
        if a < 0:
            return
        place(w, a, genome)
        w.spawned += 1


def inject(w: World, genome: bytes, address: i64) -> i64:
    """Place a genome in free memory (at ``address``, or the first fit) as a new cell.

    Returns its slot. Raises ValueError if it does not fit or holds non-opcode bytes.
    """
    size = i64(len(genome))
    if size < 1:
        raise ValueError("an empty genome cannot be injected")
    limit = w.opcode_limit
    for b in genome:
        if b >= limit:
            raise ValueError(f"byte {b} is not an opcode of this instruction set")
    mem = w.mem
    if address >= 0:
        if address + size > mem.size or not mem.alloc_at(address, size):
            raise ValueError(f"no free room for {size} bytes at address {address}")
        a = address
    else:
        a = mem.alloc(size, 0)
        if a < 0:
            raise ValueError(f"no free room for {size} bytes")
    c = place(w, a, genome)
    if w.eco != 0:
        w.bank.offer(w.genebank, w.cells.geno[c])
    return c
