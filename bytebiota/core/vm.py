"""The virtual CPU (the seed's ISA interpreter): the one hot function of the core.

``run_slice`` runs one cell for a budget of instructions with its registers in ``i64``
locals and an ``if/elif`` chain ordered by how often the ancestor executes each opcode (a
table of handlers is about half as fast under mypyc: docs/performance.md). Rare events are
calls into the components: template search (templates.py), copy flips (mutation.py), errors
(reaper.py), MAL and DIVIDE (life.py), OUT (tasks.py). Background flips, flaws, rent,
boosts and the environment's events happen between slices (world.run), so the loop never
asks "is it time yet?".

Invariants: a cell never dies inside ``run_slice`` (MAL reaps others; starvation is judged
at the slice's end); the result does not depend on where ``world.run`` cut a slice (the CPU
cost is charged before energy is read or moved); every per-slot vector held in a local is
loaded again after a DIVIDE, which may grow them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mypy_extensions import i32, i64, u8

from bytebiota.core.arith import HALF32, MASK16, MASK32, UNIT
from bytebiota.core.cells import (
    INPUTS,
    R_AX,
    R_BX,
    R_CSIZE,
    R_CX,
    R_DSIZE,
    R_DSTART,
    R_DX,
    R_ENERGY,
    R_EXECUTED,
    R_FLAG,
    R_IP,
    R_MOVED,
    R_SNEXT,
    R_SP,
    R_START,
    REG_W,
)
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
    RET,
    SENSE_R,
    SENSE_S,
    SH1,
    STACK_DEPTH,
    STORE,
    SUB_AB,
    SUB_AC,
    SWAP_CD,
    ZERO,
)
from bytebiota.core.life import divide, mal
from bytebiota.core.life import relabel as relabel_cell
from bytebiota.core.tasks import READ
from bytebiota.core.templates import SEARCH_BACK, SEARCH_BOTH, SEARCH_FWD, search

if TYPE_CHECKING:  # annotations only: world.py imports this module
    from bytebiota.core.world import World


def run_slice(w: World, c: i64, budget: i64, switches: i64) -> i64:
    """Run ``budget`` instructions from cell c's slice on (no cell being run dies meanwhile);
    returns how many ran. The slice ends at ``w.slicer.slice_left`` instructions; what is
    left of it when the call returns is stored back there.

    ``switches`` > 0 (the classic regime): when a slice ends before the budget does, the next
    cell's slice is started here, as ``World.run`` would start it (the slicer moves on, an
    empty slice is skipped, the slice counts), at most ``switches`` times. World.run cuts the
    budget at the next step where anything else is due (a background flip, a flaw, a rate
    adjustment), so nothing but the slicer acts between these slices. Slices are 25
    instructions on average there, and one call per slice cost ~430 machine instructions of
    set-up (docs/performance.md). ``w.steps`` stays at the call's first step: a step inside
    the call is ``w.steps + n``.

    Everything the loop touches per instruction is in locals for the call: the soup, the
    ownership map, the stack, the registers, the daughter block's bounds, the copy-flip
    countdown, the cell's energy and the cost accumulators, the environment's vectors.
    Components are called per event only (template search, copy flip, error, MAL, DIVIDE,
    OUT). A DIVIDE may grow every per-slot vector (a new slot): the locals that hold them are
    loaded again after it, never written through a stale one.
    """
    cells = w.cells
    mem = w.mem
    mut = w.mut
    env = w.env
    ledger = w.ledger
    reaper = w.reaper
    rng = w.rng
    soup = mem.soup
    owner = mem.owner
    S = mem.size
    write_free = mem.write_free  # WRITE_FREE_MEMORY: mov_iab may write free bytes
    relabel = w.relabel  # RELABEL_CHANGED_GENOMES
    stack = cells.stack
    inputs = cells.inputs
    inbuf = cells.inbuf
    in_next = cells.in_next
    copy_cd = mut.copy_cd
    search_limit = w.search_limit
    extra: i64 = 0  # base costs owed beyond one per instruction (costly families)
    # the ecology regime: harvests are inlined (the ancestor harvests every ~10 steps)
    eco = w.eco != 0
    own_code = w.p.own_code != 0  # EXECUTE_OWN_CODE
    advance = w.p.copy_advance != 0  # COPY_ADVANCES: mov_iab advances ax and bx
    env_len = env.env_len
    res = env.resource
    signal = env.signal
    storage = env.storage
    nstore = i64(len(storage))
    r_yield = env.r_yield
    e_harvest = ledger.e_harvest
    small_harvest = ledger.small_harvest
    e_max = ledger.e_max
    harvested: i64 = 0
    spilled: i64 = 0
    # The CPU cost is charged lazily, but always before energy is read or moved (harvest
    # at ENERGY_MAX, OUT's reward, MAL, DIVIDE): then no result depends on where a
    # run() call cut the slice. ``charged``: instructions of this call already paid. (Four
    # places settle it with the same three lines: mypyc does not inline functions, and the
    # block updates three locals.)
    # 0 in the classic regime (it has no energy); CPU_COST_PER_INSTRUCTION, or under
    # TASK_REWARD_RULE=merit the slice's own price (Ledger.merit_slice)
    e_cpu = ledger.price
    charged: i64 = 0
    spent: i64 = 0
    slicer = w.slicer
    slice_end = slicer.slice_left  # n at which the current cell's slice ends
    nbase: i64 = 0  # n at which it began (in this call)
    n: i64 = 0
    while True:
        me = i32(c + 1)
        # the cell's registers are side by side in one block (two or three cache lines)
        regs = cells.regs
        rb = c * REG_W  # the cell's block in regs
        ax = regs[rb + R_AX]
        bx = regs[rb + R_BX]
        cx = regs[rb + R_CX]
        dx = regs[rb + R_DX]
        ip = regs[rb + R_IP]
        sp = regs[rb + R_SP]
        flag: i64 = 0  # (every instruction sets it before anything reads it: not loaded)
        dstart = regs[rb + R_DSTART]
        # (No conditional expression that mixes an i64 and a literal in the core: mypyc
        # makes its value a Python int, boxed, even assigned to an i64 local; an if
        # statement does not.)
        dend: i64 = -1
        if dstart >= 0:
            dend = dstart + regs[rb + R_DSIZE]
        moved = regs[rb + R_MOVED]
        # EXECUTE_OWN_CODE (the ecology, opt-in): the IP stays in the cell's own body, as
        # Avida's: past its end, or sent outside by a jump or return, it goes back to the
        # start. Off, [lo, wrap_at) is the whole soup [0, S): the same tests as before.
        lo: i64 = 0
        wrap_at = S
        if own_code:
            lo = regs[rb + R_START]
            wrap_at = lo + regs[rb + R_CSIZE]
            if ip < lo or ip >= wrap_at:
                ip = lo
        base = c * STACK_DEPTH
        ibase = c * INPUTS
        energy = regs[rb + R_ENERGY]
        home: i64 = 0  # the field cell under the cell (harvest, emit: the ecology regime)
        if eco:
            home = regs[rb + R_START] * env_len // S
        limit = budget
        if slice_end < limit:
            limit = slice_end
        while n < limit:
            op = i64(soup[ip])
            flag = 0
            if op <= NOP_1:
                ip += 1
            elif op == MOV_IAB:
                if owner[ax] == me or (write_free and owner[ax] == 0):
                    b = soup[bx]
                    if copy_cd > 0:
                        copy_cd -= 1
                        if copy_cd == 0:
                            b = u8(mut.copy_flip(rng, i64(b)))
                            copy_cd = mut.copy_cd
                    if dstart <= ax < dend:
                        moved += 1
                        soup[ax] = b
                    elif relabel and owner[ax] == me and soup[ax] != b:
                        soup[ax] = b  # the cell changed its own genome
                        relabel_cell(w, c, w.steps + n)
                    else:
                        soup[ax] = b
                else:
                    flag = 1
                    reaper.on_error(c)
                if advance:  # COPY_ADVANCES (the ecology, opt-in): Avida's h-copy
                    ax += 1
                    if ax == S:
                        ax = 0
                    bx += 1
                    if bx == S:
                        bx = 0
                ip += 1
            elif op == DEC_C:
                cx = ((cx - 1 + HALF32) & MASK32) - HALF32  # arith.wrap32, inlined
                ip += 1
            elif op == IF_CZ:
                if cx == 0:
                    ip += 1
                else:
                    ip += 2
                if ip >= wrap_at:  # (the IP was in [lo, wrap_at): one test, as without)
                    if own_code:
                        ip = lo
                    else:
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
                mode: i64 = SEARCH_BOTH
                if op == JMPB:
                    mode = SEARCH_BACK
                found, tlen = search(soup, S, t, mode, search_limit)
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
                    reaper.on_error(c)
                    ip = t + tlen
                if ip >= S:
                    ip -= S
                if ip < lo or ip >= wrap_at:
                    ip = lo
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
                if ip < lo or ip >= wrap_at:
                    ip = lo
            elif op == ADR or op == ADRB or op == ADRF:
                t = ip + 1
                if t == S:
                    t = 0
                if op == ADR:
                    mode = SEARCH_BOTH
                elif op == ADRB:
                    mode = SEARCH_BACK
                else:
                    mode = SEARCH_FWD
                extra += COST_ADDRESS - 1
                found, tlen = search(soup, S, t, mode, search_limit)
                if found >= 0:
                    ax = found + tlen
                    if ax >= S:
                        ax -= S
                    cx = tlen
                else:
                    flag = 1
                    reaper.on_error(c)
                ip = t + tlen
                if ip >= S:
                    ip -= S
                if ip < lo or ip >= wrap_at:
                    ip = lo
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
                cx = (((cx << 1) + HALF32) & MASK32) - HALF32
                ip += 1
            elif op == ZERO:
                cx = 0
                ip += 1
            elif op == INC_C:
                cx = ((cx + 1 + HALF32) & MASK32) - HALF32
                ip += 1
            elif op == MAL:
                extra += COST_REPRODUCTION - 1
                owed = (n - charged + extra) * e_cpu
                energy -= owed
                spent += owed
                charged = n
                extra = 0
                mut.copy_cd = copy_cd
                cells.regs[rb + R_ENERGY] = energy
                a = mal(w, c, cx)
                search_limit = w.search_limit  # MAL may have reaped cells for room
                if a >= 0:
                    ax = a
                    dstart = a
                    dend = a + cx
                    moved = 0
                else:
                    flag = 1
                    reaper.on_error(c)
                ip += 1
            elif op == DIVIDE:
                extra += COST_REPRODUCTION - 1
                owed = (n - charged + extra) * e_cpu
                energy -= owed
                spent += owed
                charged = n
                extra = 0
                cells.regs[rb + R_MOVED] = moved
                mut.copy_cd = copy_cd
                cells.regs[rb + R_ENERGY] = energy
                divided = divide(w, c, w.steps + n, n - nbase)
                energy = cells.regs[rb + R_ENERGY]
                if divided:
                    dstart = -1
                    dend = -1
                    moved = 0
                    # a new slot may have grown the per-slot vectors into new vecs: never
                    # write through the stale ones
                    stack = cells.stack
                    inputs = cells.inputs
                    inbuf = cells.inbuf
                    in_next = cells.in_next
                    search_limit = w.search_limit
                else:
                    flag = 1
                    reaper.on_error(c)
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
                        kept: i64 = 0
                        if energy < e_max:
                            kept = e_max - energy
                        spilled += gain - kept
                        gain = kept
                    energy += gain
                ip += 1
            elif op == IN:
                dx = cx
                k = in_next[c]
                cx = inputs[ibase + k]
                inbuf[ibase + k] = (cx & MASK32) | READ
                k += 1
                if k >= INPUTS:
                    k = 0
                in_next[c] = k
                ip += 1
            elif op == OUT:
                owed = (n - charged + extra) * e_cpu
                energy -= owed
                spent += owed
                charged = n
                extra = 0
                cells.regs[rb + R_ENERGY] = energy
                w.tasks.output(cells, ledger, c, cx)
                energy = cells.regs[rb + R_ENERGY]
                ip += 1
            elif op == NAND:
                cx = ((~(cx & dx) + HALF32) & MASK32) - HALF32
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
                cx = ((cx + dx + HALF32) & MASK32) - HALF32
                ip += 1
            elif op == SENSE_R or op == SENSE_S:
                extra += COST_ENVIRONMENT - 1
                e = ax * env_len // S
                cx = res[e] // UNIT if op == SENSE_R else signal[e]
                ip += 1
            elif op == EMIT:
                extra += COST_ENVIRONMENT - 1
                signal[home] = cx & MASK16
                ip += 1
            elif op == LOAD:
                extra += COST_ENVIRONMENT - 1
                cx = storage[dx % nstore]
                ip += 1
            elif op == STORE:
                extra += COST_ENVIRONMENT - 1
                storage[dx % nstore] = cx
                ip += 1
            else:
                ip += 1  # bytes above the instruction set do nothing
            if ip == wrap_at:
                ip = lo
            n += 1
        regs = cells.regs  # (a DIVIDE may have grown it into a new vec)
        regs[rb + R_AX] = ax
        regs[rb + R_BX] = bx
        regs[rb + R_CX] = cx
        regs[rb + R_DX] = dx
        regs[rb + R_IP] = ip
        regs[rb + R_SP] = sp
        regs[rb + R_FLAG] = flag
        regs[rb + R_MOVED] = moved
        regs[rb + R_EXECUTED] += n - nbase
        if n >= budget or switches <= 0:
            break
        # The slice ended with budget left: the next cell's turn, as World.run gives it.
        switches -= 1
        w.slices += 1
        c = regs[rb + R_SNEXT]
        length = slicer.draw(c, rng)
        while length <= 0:  # an empty slice: nothing runs, it is not counted
            c = regs[c * REG_W + R_SNEXT]
            length = slicer.draw(c, rng)
        slicer.cur = c
        nbase = n
        slice_end = n + length
    slicer.slice_left = slice_end - n
    mut.copy_cd = copy_cd
    if eco:
        cost = (n - charged + extra) * e_cpu
        cells.regs[rb + R_ENERGY] = energy - cost
        ledger.settle(cost + spent, harvested, spilled)
    return n
