"""core/tasks.py: the nine logic tasks, checked on the inputs a cell has read."""

from __future__ import annotations

import pytest

from bytebiota.core.arith import UNIT
from bytebiota.core.cells import INPUTS, Cells
from bytebiota.core.energy import Ledger
from bytebiota.core.isa import TASKS
from bytebiota.core.tasks import READ, Tasks, task_bits
from bytebiota.simulation import default_params

M = 0xFFFFFFFF
A, B = 0b1100, 0b1010
EXPECTED = {
    "NAND": ~(A & B) & M, "AND": A & B, "ORN": (A | ~B) & M, "OR": A | B,
    "ANDN": A & ~B & M, "NOR": ~(A | B) & M, "XOR": A ^ B, "EQU": ~(A ^ B) & M,
}
NAMES = [name for name, _ in TASKS]


@pytest.mark.parametrize("task", sorted(EXPECTED))
def test_each_two_input_task(task: str) -> None:
    assert task_bits(EXPECTED[task], A, B) == 1 << NAMES.index(task)


def setup() -> tuple[Tasks, Ledger, Cells, int]:
    p = default_params("ecology", energy_max=10_000.0)
    cells = Cells()
    c = cells.new_slot()
    cells.reset(c, 0, 10, born=0)
    return Tasks(p), Ledger(p), cells, c


def read(cells: Cells, c: int, *values: int) -> None:
    for k, v in enumerate(values):
        cells.inbuf[c * INPUTS + k] = v | READ


def test_a_task_is_rewarded_once_with_its_level_and_a_first_time_bonus() -> None:
    tasks, ledger, cells, c = setup()
    read(cells, c, A, B)
    tasks.output(cells, ledger, c, EXPECTED["XOR"])
    level = dict(TASKS)["XOR"]
    reward = tasks.task_units * level + tasks.bonus_units
    assert cells.reg(c, "energy") == reward and ledger.rewarded == reward
    assert tasks.events[NAMES.index("XOR")] == 1
    tasks.output(cells, ledger, c, EXPECTED["XOR"])  # done already in this gestation
    assert cells.reg(c, "energy") == reward
    assert cells.boost_level[c] == level and cells.boost_left[c] > 0


def test_inputs_never_read_do_not_count() -> None:
    tasks, ledger, cells, c = setup()
    cells.inbuf[c * INPUTS] = A  # offered, not read
    cells.inbuf[c * INPUTS + 1] = B | READ
    tasks.output(cells, ledger, c, EXPECTED["AND"])
    tasks.output(cells, ledger, c, ~A & M)  # NOT of an unread input
    assert cells.reg(c, "energy") == 0 and list(tasks.events) == [0] * len(TASKS)


def test_not_needs_one_read_input_and_counts_per_living_cell() -> None:
    tasks, ledger, cells, c = setup()
    read(cells, c, A)
    tasks.output(cells, ledger, c, ~A & M)
    assert cells.reg(c, "energy") > 0 and tasks.counts(cells)["NOT"] == 1
    assert cells.reg(c, "energy") == tasks.task_units * dict(TASKS)["NOT"] + tasks.bonus_units
    assert tasks.task_units == default_params("ecology").task_reward * UNIT
