"""Rewarded tasks of the ecology regime: the nine logic functions of Avida's default
environment, checked when a cell outputs a value.

Owns the reward sizes (ENV_TASK_REWARD x the task's level, plus TASK_BONUS the first time a
cell performs the task: ``ever``), the count of rewarded task events per task, and
the check itself: ``output`` compares a value with NOT of each input the cell has read and
with the eight two-input functions of each pair of distinct inputs it has read.

Invariants: inputs are 32-bit values (``inbuf`` entries carry a READ mark once read); a task
is rewarded once per cell until the cell divides (``done`` is cleared then); under the merit
rule ``done`` at DIVIDE sets the merit of mother and daughter (energy.py, life.py), under the
boost rule a task boosts the next slices (energy.py).
"""

from __future__ import annotations

from typing import Final, final

from librt.vecs import vec
from mypy_extensions import i64

from bytebiota.core.arith import MASK32, UNIT, ledger_add
from bytebiota.core.cells import INPUTS, Cells
from bytebiota.core.energy import Ledger
from bytebiota.core.isa import TASKS
from bytebiota.core.params import Params

READ: Final = 1 << 32  # marks an input buffer entry the cell has read


@final
class Tasks:
    task_units: i64
    bonus_units: i64
    events: vec[i64]  # rewarded task events, per task

    def __init__(self, p: Params) -> None:
        self.task_units = p.task_reward * UNIT
        self.bonus_units = p.task_bonus * UNIT
        self.events = vec[i64]([0] * len(TASKS))

    def output(self, cells: Cells, ledger: Ledger, c: i64, value: i64) -> None:
        """Check cell c's answer against the nine tasks on the inputs it has read; reward
        the new ones."""
        out = value & MASK32
        base = c * INPUTS
        found: i64 = 0
        for i in range(INPUTS):
            ra = cells.inbuf[base + i]
            if ra & READ == 0:
                continue  # never read: not an input of this cell's answers yet
            a = ra & MASK32
            if out == (~a) & MASK32:
                found |= 1  # NOT
            for j in range(INPUTS):
                rb = cells.inbuf[base + j]
                if j == i or rb & READ == 0:
                    continue
                b = rb & MASK32
                if a != b:
                    found |= task_bits(out, a, b)
        if found == 0:
            return
        fresh = found & ~cells.done[c]
        if fresh == 0:
            return
        cells.done[c] |= fresh
        level: i64 = 0
        reward: i64 = 0
        for t in range(len(TASKS)):
            if (fresh >> t) & 1:
                lv = i64(TASKS[t][1])
                reward += self.task_units * lv
                if not (cells.ever[c] >> t) & 1:
                    reward += self.bonus_units
                self.events[t] += 1
                if lv > level:
                    level = lv
        cells.ever[c] |= fresh
        ledger.rewarded = ledger_add(ledger.rewarded, reward)
        ledger.credit(cells, c, reward)
        ledger.boost(cells, c, level)

    def counts(self, cells: Cells) -> dict[str, int]:
        """For each task, the living cells that have performed it at least once."""
        counts = [0] * len(TASKS)
        for c in range(cells.nslots):
            if cells.alive[c] != 0 and cells.ever[c] != 0:
                m = cells.ever[c]
                for t in range(len(TASKS)):
                    if (m >> t) & 1:
                        counts[t] += 1
        return {TASKS[t][0]: counts[t] for t in range(len(TASKS))}


def task_bits(out: i64, a: i64, b: i64) -> i64:
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
