"""The cells (the seed's Organism): every per-cell quantity, as a structure of arrays.

Owns one ``vec[i64]`` per quantity, indexed by the cell's *slot*, plus the stack
(STACK_DEPTH entries per slot) and the ecology's input values and input buffer (INPUTS per
slot); the slot count and the free slots. A dead cell's slot is reused by the next birth.

``SLOT_FIELDS`` is the one table of the per-slot quantities: it drives growth (``new_slot``),
the snapshot's order and ``restore``; ``WIDE_FIELDS`` does the same for the strided ones.
Adding a quantity: declare it, assign it in ``__init__`` (so mypyc knows it is always
defined), add it to the table, and to ``reset`` if a newborn does not start from the table's
value. tests/test_cells.py checks that the table and the declarations agree.

Invariants: every per-slot vector has ``nslots`` entries (the wide ones ``nslots x width``);
``alive[c]`` is 1 exactly for the living cells; the links (``snext``/``sprev`` of the
slicer ring, ``rup``/``rdown`` of the reaper queue) are -1 or living slots. Registers hold
``ax``, ``bx``, ``ip`` in 0 .. soup size - 1 and ``cx``, ``dx`` as 32-bit values.
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
# (name, entries per slot), in snapshot order (each value in a new slot is 0).
WIDE_FIELDS: Final[tuple[tuple[str, int], ...]] = (
    ("stack", STACK_DEPTH), ("inputs", INPUTS), ("inbuf", INPUTS),
)


@final
class Cells:
    nslots: i64
    free_slots: vec[i64]
    # the CPU
    ax: vec[i64]
    bx: vec[i64]
    cx: vec[i64]
    dx: vec[i64]
    ip: vec[i64]
    sp: vec[i64]
    flag: vec[i64]
    stack: vec[i64]
    # the body and its daughter block (dstart -1: none)
    start: vec[i64]
    csize: vec[i64]
    dstart: vec[i64]
    dsize: vec[i64]
    moved: vec[i64]  # bytes the cell has written into its daughter block
    # life history
    errors: vec[i64]
    executed: vec[i64]
    nbirths: vec[i64]
    first_cost: vec[i64]  # instructions executed up to the first daughter (-1: none yet)
    geno: vec[i64]
    born_at: vec[i64]
    alive: vec[i64]
    # the slicer ring and the reaper queue
    snext: vec[i64]
    sprev: vec[i64]
    rup: vec[i64]
    rdown: vec[i64]
    slice_len: vec[i64]
    # the ecology regime: energy (millionths), rent, boosts, tasks, inputs
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

    def __init__(self) -> None:
        self.nslots = 0
        self.free_slots = vec[i64]()
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
        self.alive = vec[i64]()
        self.snext = vec[i64]()
        self.sprev = vec[i64]()
        self.rup = vec[i64]()
        self.rdown = vec[i64]()
        self.slice_len = vec[i64]()
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

    def new_slot(self) -> i64:
        """A free slot (a dead cell's, else a new one: every vector grows by the table)."""
        if len(self.free_slots) > 0:
            self.free_slots, slot = pop(self.free_slots)
            return slot
        slot = self.nslots
        self.nslots += 1
        for name, initial in SLOT_FIELDS:
            grown = append(self.vector(name), i64(initial))
            setattr(self, name, grown)
        for name, width in WIDE_FIELDS:
            v = self.vector(name)
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
        self.born_at[c] = born
        self.alive[c] = 1
        self.energy[c] = 0
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

    def vector(self, name: str) -> vec[i64]:
        """A per-slot or wide vector by its table name (snapshots, growth)."""
        return cast(vec[i64], getattr(self, name))

    def set_vectors(self, vectors: dict[str, vec[i64]]) -> None:
        """Replace every table vector (``restore``); checks their lengths."""
        for name, _ in SLOT_FIELDS:
            if len(vectors[name]) != self.nslots:
                raise ValueError(f"slot array {name} has {len(vectors[name])} entries, "
                                 f"not {self.nslots}")
            setattr(self, name, vectors[name])
        for name, width in WIDE_FIELDS:
            if len(vectors[name]) != self.nslots * width:
                raise ValueError(f"slot array {name} has {len(vectors[name])} entries, "
                                 f"not {self.nslots * width}")
            setattr(self, name, vectors[name])

    def living(self) -> list[i64]:
        """The living cells' slots, in slot order."""
        return [c for c in range(self.nslots) if self.alive[c] != 0]
