"""The merit rule of the ecology (TASK_REWARD_RULE=merit, issue 19's opt-in experiment,
docs/ecology.md): a cell's CPU share is its merit, 2 to the sum of the levels of the distinct
tasks it performed in the gestation just ended, given to mother and daughter at DIVIDE and
held until the next; the extra instructions a merit buys cost no extra energy per round.
AGE_LIMIT ends cells that run too long without dividing. Both are off by default."""

from __future__ import annotations

import importlib.util
import re
import struct

from bytebiota import simulation
from bytebiota.config import isolated
from bytebiota.core.cells import Cells
from bytebiota.core.energy import Ledger, merit_exponent
from bytebiota.core.isa import CODES, TASKS
from bytebiota.core.snapshot import SNAPSHOT_MAGIC
from bytebiota.core.world import World, restore
from bytebiota.genome import asm
from tests.conftest import REPO

NAMES = [name for name, _ in TASKS]
# Issue 19's configuration, as docs/ecology.md gives it.
MERIT = ["TASK_REWARD_RULE=merit", "MUTATION_REACH=any", "ANCESTOR=ecology165",
         "MEMORY_RENT_PER_BYTE=0.000001", "REAP_CHANCE=0", "AGE_LIMIT=20"]


def mask(*names: str) -> int:
    return sum(1 << NAMES.index(n) for n in names)


def with_program(*program: str) -> bytes:
    """The 165-byte ecology ancestor with its first filler bytes replaced by ``program``."""
    genome = bytearray(asm.ancestor("ecology165").code)
    filler = [i for i, b in enumerate(genome) if b >= CODES["nopx44"]]
    for k, word in enumerate(program):
        genome[filler[k]] = CODES[word]
    return bytes(genome)


def test_the_merit_exponent_sums_the_levels_of_distinct_tasks() -> None:
    assert merit_exponent(0) == 0
    assert merit_exponent(mask("NAND")) == 1
    assert merit_exponent(mask("NOT", "NAND", "XOR")) == 1 + 1 + 4
    assert merit_exponent((1 << len(TASKS)) - 1) == sum(level for _, level in TASKS) == 25


def test_the_seeds_boost_is_the_default_and_merit_is_reachable() -> None:
    assert simulation.default_params("ecology").merit == 0
    assert simulation.params(isolated(["TASK_REWARD_RULE=merit"])).merit == 1
    assert simulation.default_params("classic").merit == 0


def test_the_documented_merit_configuration_is_the_tools() -> None:
    text = (REPO / "docs" / "ecology.md").read_text()
    line = next(x for x in text.splitlines() if x.strip().startswith("bytebiota run --set"))
    assert re.findall(r"--set (\S+)", line) == MERIT
    spec = importlib.util.spec_from_file_location("tasks_tool", REPO / "tools" / "tasks.py")
    assert spec is not None and spec.loader is not None
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.MERIT == MERIT
    config = isolated(MERIT)
    p = simulation.params(config)
    assert (p.merit, p.substitute, p.age_limit, p.rent, p.reap_chance) == (
        1, 1, 20, 0.000001, 0.0)
    assert len(simulation.load_ancestor(config).code) == 165


def merit_ledger() -> tuple[Ledger, Cells, list[int]]:
    ledger = Ledger(simulation.default_params("ecology", rent=0.0, merit=1))
    cells = Cells()
    slots = []
    for k in range(4):
        c = cells.new_slot()
        cells.reset(c, 100 * k, 100, born=0)
        ledger.merit_born(cells, c)
        slots.append(c)
    return ledger, cells, slots


def test_a_slice_is_the_cells_share_of_the_total_merit_at_the_base_price() -> None:
    ledger, cells, (a, b, _, _) = merit_ledger()
    assert ledger.merit_total == 4
    ledger.set_merit(cells, a, 3)  # 8 of 8 + 1 + 1 + 1
    assert ledger.merit_total == 11
    n = ledger.merit_slice(cells, a, 0, 105, 4)
    assert n == 105 * 8 * 4 // 11 == 305
    # the cell pays per round what a cell of average merit pays for 105 instructions
    assert cells.boost_left[a] == ledger.e_cpu * 105 // 305
    assert ledger.merit_slice(cells, b, 0, 105, 4) == 105 * 4 // 11
    assert cells.boost_left[b] == ledger.e_cpu * 105 // (105 * 4 // 11)
    ledger.merit_died(cells, a)
    assert ledger.merit_total == 3


def test_a_slice_is_at_least_one_instruction() -> None:
    ledger, cells, (a, b, _, _) = merit_ledger()
    ledger.set_merit(cells, a, 25)
    assert ledger.merit_slice(cells, b, 0, 10, 4) == 1


def test_mother_and_daughter_hold_the_merit_of_the_gestation_just_ended() -> None:
    p = simulation.default_params("ecology", mutations=False, soup_size=100_000,
                                  env_length=64, rent=0.0, repopulation_threshold=0,
                                  stagnation_interval=0, merit=1)
    w = World(p, 3)
    mother = w.inject(with_program("nand", "out", "mov_dc", "nand", "out"), 0)
    levels = []
    for births in (1, 2):
        while w.cells.nbirths[mother] < births:
            w.run(1)
        levels.append(w.cells.boost_level[max(w.living())])  # the newest slot: her daughter
    # first gestation: nothing done before its DIVIDE; then NAND and NOT before the second
    assert levels == [0, 2]
    assert w.cells.boost_level[mother] == 2
    assert w.ledger.merit_total == sum(1 << w.cells.boost_level[c] for c in w.living())


def test_the_merit_total_is_rebuilt_on_restore() -> None:
    w = simulation.new_world(isolated([*MERIT, "SOUP_SIZE=200000", "ENV_LENGTH=256"]), 4)
    w.run(2_000_000)
    total = sum(1 << w.cells.boost_level[c] for c in w.living())
    assert w.ledger.merit_total == total
    data = w.snapshot()  # format 4: format 3 cannot say TASK_REWARD_RULE=merit
    assert data[len(SNAPSHOT_MAGIC):len(SNAPSHOT_MAGIC) + 2] == struct.pack("<H", 4)
    back = restore(data)
    assert back.ledger.merit and back.ledger.merit_total == total
    assert w.slicer.slice_left > 0  # cut inside a slice: its price comes back with it
    assert back.ledger.price == w.ledger.price == w.cells.boost_left[w.slicer.cur]
    assert (back.p.substitute, back.p.age_limit) == (1, 20)
    back.run(300_000)
    w.run(300_000)
    assert back.digest() == w.digest()


def test_a_cell_that_runs_age_limit_times_its_size_without_dividing_dies() -> None:
    p = simulation.default_params("ecology", mutations=False, soup_size=4096, env_length=64,
                                  rent=0.0, cpu_cost=0.0, age_limit=3, sweep_interval=0,
                                  repopulation_threshold=0, stagnation_interval=0, merit=1)
    w = World(p, 5)
    c = w.inject(bytes([CODES["nopx44"]] * 20), 100)  # sterile: 20 bytes of filler
    w.ledger.set_merit(w.cells, c, 20)  # a large merit does not keep it alive longer
    w.run(60)
    assert w.population == 1 and w.cells.reg(c, "executed") == 60
    w.run(1)  # its slice was cut one instruction past the limit (3 x 20)
    assert w.deaths == 1 and w.reaped == 1 and w.cells.alive[c] == 0


def test_age_limit_0_is_never() -> None:
    p = simulation.default_params("ecology", mutations=False, soup_size=4096, env_length=64,
                                  rent=0.0, cpu_cost=0.0, age_limit=0, sweep_interval=0)
    w = World(p, 5)
    w.inject(bytes([CODES["nopx44"]] * 20), 100)
    w.run(10_000)
    assert w.population == 1


def test_under_the_boost_rule_the_age_limit_ends_a_cell_at_its_slice_end() -> None:
    p = simulation.default_params("ecology", mutations=False, soup_size=4096, env_length=64,
                                  rent=0.0, cpu_cost=0.0, age_limit=3, sweep_interval=0,
                                  repopulation_threshold=0, stagnation_interval=0)
    assert p.merit == 0
    w = World(p, 5)
    c = w.inject(bytes([CODES["nopx44"]] * 20), 100)
    while w.cells.alive[c]:
        w.run(1)
    assert w.deaths == 1 and w.reaped == 1
    assert 3 * 20 < w.steps <= 3 * 20 + p.max_slice  # at the end of the slice past the limit
