"""The cells (the seed's Organism): every per-cell quantity, indexed by the cell's *slot*.

The quantities a slice switch touches (the registers, the daughter block, the slicer's next
link and slice length, the instruction count, the energy, the body) are side by side in one
vector, ``regs``, REG_W entries per slot: cell c's ``ax`` is ``regs[c * REG_W + R_AX]``. The
scheduler runs a slice of 25 instructions on average in the classic regime (Tierra's 0-50),
and loads and stores these at every switch: in one block they are two or three cache lines,
as one vector each they were sixteen (docs/performance.md). The rest are one ``vec[i64]``
per quantity, plus the stack (STACK_DEPTH entries per slot) and the ecology's input values
and input buffer (INPUTS per slot); the slot count and the free slots. A dead cell's slot is
reused by the next birth.

``SLOT_FIELDS`` is the one table of the per-slot quantities, in the snapshot's order (a
snapshot stores each as its own column, so the block changed no snapshot byte); the block's
are named in ``REG_FIELDS`` (their ``R_`` offsets are its order), the rest are vectors of
their own. ``WIDE_FIELDS`` does the same for the strided ones. The tables drive growth
(``new_slot``), the snapshot and ``restore``. Adding a quantity: declare it (or add it to
the block: REG_FIELDS, an ``R_`` constant, REG_W), assign it in ``__init__`` (so mypyc knows
it is always defined), add it to SLOT_FIELDS, and to ``reset`` if a newborn does not start
from the table's value. tests/test_cells.py checks that the tables, the offsets and the
declarations agree.

Invariants: every per-slot vector has ``nslots`` entries (``regs`` ``nslots x REG_W``, the
wide ones ``nslots x width``); ``alive[c]`` is 1 exactly for the living cells; the links
(``snext``/``sprev`` of the slicer ring, ``rup``/``rdown`` of the reaper queue) are -1 or
living slots. Registers hold ``ax``, ``bx``, ``ip`` in 0 .. soup size - 1 and ``cx``, ``dx``
as 32-bit values.
"""

from __future__ import annotations

from typing import Final, cast, final

from librt.vecs import append, pop, vec
from mypy_extensions import i64

from bytebiota.core.isa import STACK_DEPTH

INPUTS: Final = 3  # input values offered to each cell (the ecology regime)

# (name, value in a new slot), in snapshot order.
SLOT_FIELDS: Final[tuple[tuple[str, int], ...]] = (
    ("ax", 0), ("bx", 0), ("cx", 0), ("dx", 0), ("ip", 0), ("sp", 0), ("flag", 0),
    ("start", 0), ("csize", 0), ("dstart", -1), ("dsize", 0), ("moved", 0), ("errors", 0),
    ("executed", 0), ("nbirths", 0), ("first_cost", -1), ("geno", -1), ("born_at", 0),
    ("snext", -1), ("sprev", -1), ("rup", -1), ("rdown", -1), ("alive", 0),
    ("slice_len", 0), ("energy", 0), ("paid_at", 0), ("arrears", 0), ("boost_left", 0),
    ("boost_level", 0), ("done", 0), ("ever", 0), ("in_next", 0), ("exec_mark", 0),
)
# The block ``regs``: REG_W entries per slot, at these offsets (REG_FIELDS is their order).
# The first thirteen are what a slice switch reads and writes in the classic regime.
R_SNEXT: Final = 0  # the slicer ring's next cell
R_SLICE_LEN: Final = 1  # the slice the cell's size earns (Slicer.draw)
R_AX: Final = 2
R_BX: Final = 3
R_CX: Final = 4
R_DX: Final = 5
R_IP: Final = 6
R_SP: Final = 7
R_FLAG: Final = 8
R_DSTART: Final = 9  # the daughter block (-1: none)
R_DSIZE: Final = 10
R_MOVED: Final = 11  # bytes the cell has written into its daughter block
R_EXECUTED: Final = 12  # instructions executed in its life
R_ENERGY: Final = 13  # the ecology regime: energy (millionths)
R_START: Final = 14  # the body
R_CSIZE: Final = 15
REG_W: Final = 16
REG_FIELDS: Final[tuple[str, ...]] = (
    "snext", "slice_len", "ax", "bx", "cx", "dx", "ip", "sp", "flag", "dstart", "dsize",
    "moved", "executed", "energy", "start", "csize",
)
# a new slot's block, and the per-slot quantities outside it (name, value in a new slot)
REG_INITIAL: Final[tuple[int, ...]] = tuple(
    [dict(SLOT_FIELDS)[name] for name in REG_FIELDS] + [0] * (REG_W - len(REG_FIELDS)))
OWN_FIELDS: Final[tuple[tuple[str, int], ...]] = tuple(
    (name, initial) for name, initial in SLOT_FIELDS if name not in REG_FIELDS)
# (name, entries per slot), in snapshot order (each value in a new slot is 0).
WIDE_FIELDS: Final[tuple[tuple[str, int], ...]] = (
    ("stack", STACK_DEPTH), ("inputs", INPUTS), ("inbuf", INPUTS),
)


@final
class Cells:
    nslots: i64
    free_slots: vec[i64]
    # the registers and the other per-slice quantities, REG_W per slot (REG_FIELDS)
    regs: vec[i64]
    # the CPU
    stack: vec[i64]
    # the body and its daughter block (dstart -1: none)
    # life history
    errors: vec[i64]
    nbirths: vec[i64]
    first_cost: vec[i64]  # instructions executed up to the first daughter (-1: none yet)
    geno: vec[i64]
    born_at: vec[i64]
    alive: vec[i64]
    # the slicer ring and the reaper queue
    sprev: vec[i64]
    rup: vec[i64]
    rdown: vec[i64]
    # the ecology regime: energy (millionths), rent, boosts, tasks, inputs
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

    def __init__(self) -> None:
        self.nslots = 0
        self.free_slots = vec[i64]()
        self.regs = vec[i64]()
        self.stack = vec[i64]()
        self.errors = vec[i64]()
        self.nbirths = vec[i64]()
        self.first_cost = vec[i64]()
        self.geno = vec[i64]()
        self.born_at = vec[i64]()
        self.alive = vec[i64]()
        self.sprev = vec[i64]()
        self.rup = vec[i64]()
        self.rdown = vec[i64]()
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

    def new_slot(self) -> i64:
        """A free slot (a dead cell's, else a new one: every vector grows by the table)."""
        if len(self.free_slots) > 0:
            self.free_slots, slot = pop(self.free_slots)
            return slot
        slot = self.nslots
        self.nslots += 1
        regs = self.regs
        for k in range(REG_W):
            regs = append(regs, REG_INITIAL[k])
        self.regs = regs
        for name, initial in OWN_FIELDS:
            grown = append(cast(vec[i64], getattr(self, name)), i64(initial))  # (a local:
            setattr(self, name, grown)  # mypyc fails to box a vec passed on directly)
        for name, width in WIDE_FIELDS:
            v = cast(vec[i64], getattr(self, name))
            for _ in range(width):
                v = append(v, 0)
            setattr(self, name, v)
        return slot

    def release(self, c: i64) -> None:
        """Cell c died: its slot is free for the next birth."""
        self.alive[c] = 0
        self.free_slots = append(self.free_slots, c)

    def reset(self, c: i64, start: i64, size: i64, born: i64) -> None:
        """Slot c starts a new cell over [start, start + size) at step ``born``: registers,
        stack and counters cleared (the ecology's inputs are drawn by the caller)."""
        regs = self.regs
        r = c * REG_W
        regs[r + R_AX] = 0
        regs[r + R_BX] = 0
        regs[r + R_CX] = 0
        regs[r + R_DX] = 0
        regs[r + R_IP] = start
        regs[r + R_SP] = 0
        regs[r + R_FLAG] = 0
        regs[r + R_START] = start
        regs[r + R_CSIZE] = size
        regs[r + R_DSTART] = -1
        regs[r + R_DSIZE] = 0
        regs[r + R_MOVED] = 0
        regs[r + R_EXECUTED] = 0
        regs[r + R_ENERGY] = 0
        base = c * STACK_DEPTH
        for k in range(STACK_DEPTH):
            self.stack[base + k] = 0
        self.errors[c] = 0
        self.nbirths[c] = 0
        self.first_cost[c] = -1
        self.born_at[c] = born
        self.alive[c] = 1
        self.paid_at[c] = born
        self.arrears[c] = 0
        self.boost_left[c] = 0
        self.boost_level[c] = 0
        self.done[c] = 0
        self.ever[c] = 0
        self.in_next[c] = 0
        self.exec_mark[c] = 0
        for k in range(INPUTS):
            self.inbuf[c * INPUTS + k] = 0

    def reg(self, c: i64, name: str) -> i64:
        """Cell c's quantity ``name`` of the block (REG_FIELDS), by name: for tools and tests;
        the core indexes ``regs`` at the ``R_`` offsets."""
        return self.regs[c * REG_W + REG_FIELDS.index(name)]

    def set_reg(self, c: i64, name: str, value: i64) -> None:
        """Set cell c's quantity ``name`` of the block (tools and tests)."""
        self.regs[c * REG_W + REG_FIELDS.index(name)] = value

    def vector(self, name: str) -> vec[i64]:
        """A per-slot or wide vector by its table name (snapshots, growth); a quantity of the
        block ``regs`` as a new vector (a copy: its column)."""
        if name in REG_FIELDS:
            k = REG_FIELDS.index(name)
            column = vec[i64]()
            for c in range(self.nslots):
                column = append(column, self.regs[c * REG_W + k])
            return column
        return cast(vec[i64], getattr(self, name))

    def set_vectors(self, vectors: dict[str, vec[i64]]) -> None:
        """Replace every table vector (``restore``; the block's columns are interleaved into
        ``regs``); checks their lengths."""
        regs = vec[i64]([0] * (self.nslots * REG_W))
        for name, _ in SLOT_FIELDS:
            column = vectors[name]
            if len(column) != self.nslots:
                raise ValueError(f"slot array {name} has {len(column)} entries, "
                                 f"not {self.nslots}")
            if name in REG_FIELDS:
                k = REG_FIELDS.index(name)
                for c in range(self.nslots):
                    regs[c * REG_W + k] = column[c]
            else:
                setattr(self, name, column)
        self.regs = regs
        for name, width in WIDE_FIELDS:
            if len(vectors[name]) != self.nslots * width:
                raise ValueError(f"slot array {name} has {len(vectors[name])} entries, "
                                 f"not {self.nslots * width}")
            setattr(self, name, vectors[name])

    def living(self) -> list[i64]:
        """The living cells' slots, in slot order."""
        return [c for c in range(self.nslots) if self.alive[c] != 0]
