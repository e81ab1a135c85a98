"""COPY_ADVANCES (issue 19's opt-in experiment, docs/ecology.md): in the ecology regime
mov_iab moves ax and bx on by one after each copy, as Avida's h-copy moves its read and write
heads, so a copy loop needs four instructions per byte instead of seven. Off (the default,
and always in the classic regime) mov_iab leaves both registers as they were, as in Tierra."""

from __future__ import annotations

import struct

import pytest

import bytebiota.core
from bytebiota import simulation
from bytebiota.config import isolated
from bytebiota.core.isa import CODES
from bytebiota.core.snapshot import SNAPSHOT_MAGIC
from bytebiota.core.world import World, restore
from bytebiota.genome import asm
from tests.conftest import each_core

AT = 100
SOUP = 4096
# What the two ancestors need: the copy step, their own code only, no energy economy
# (they do not harvest), room for them; no genomes injected from the seed bank.
ANCESTOR_SETTINGS = ["COPY_ADVANCES=true", "EXECUTE_OWN_CODE=true", "SOUP_SIZE=100000",
                     "ENV_LENGTH=256", "ANCESTOR_SIZE_LIMIT=500", "CPU_COST_PER_INSTRUCTION=0",
                     "MEMORY_RENT_PER_BYTE=0", "REPOPULATION_THRESHOLD=0",
                     "STAGNATION_SPAWN_INTERVAL=1000000000"]


def world(advance: int) -> World:
    p = simulation.default_params("ecology", mutations=False, soup_size=SOUP, env_length=64,
                                  rent=0.0, cpu_cost=0.0, sweep_interval=0,
                                  repopulation_threshold=0, stagnation_interval=0,
                                  copy_advance=advance)
    return World(p, 1)


def copy_once(advance: int, ax: int, bx: int) -> tuple[World, int]:
    w = world(advance)
    c = w.inject(bytes([CODES["mov_iab"]]) + bytes([CODES["nopx44"]]) * 7, AT)
    w.cells.set_reg(c, "ax", ax)
    w.cells.set_reg(c, "bx", bx)
    w.run(1)
    return w, c


def test_off_by_default_and_never_in_the_classic_regime() -> None:
    assert simulation.default_params("ecology").copy_advance == 0
    assert simulation.params(isolated(["COPY_ADVANCES=true"])).copy_advance == 1
    assert simulation.params(isolated(["REGIME=classic", "COPY_ADVANCES=true"])).copy_advance == 0


@pytest.mark.parametrize(("advance", "moved"), [(0, 0), (1, 1)])
def test_mov_iab_moves_ax_and_bx_on_under_it(advance: int, moved: int) -> None:
    w, c = copy_once(advance, AT + 5, 40)
    assert w.mem.soup[AT + 5] == w.mem.soup[40]  # the copy itself, as ever
    assert (w.cells.reg(c, "ax"), w.cells.reg(c, "bx")) == (AT + 5 + moved, 40 + moved)
    assert w.cells.errors[c] == 0


def test_the_addresses_wrap_at_the_soups_end() -> None:
    w, c = copy_once(1, AT + 1, SOUP - 1)
    assert (w.cells.reg(c, "ax"), w.cells.reg(c, "bx")) == (AT + 2, 0)


def test_a_copy_that_fails_moves_them_on_too() -> None:
    """A write outside the cell's memory fails (and counts an error), and the heads still
    move on, as Avida's h-copy always does: a loop stays in step with its count."""
    w, c = copy_once(1, SOUP - 1, 7)
    assert w.cells.errors[c] == 1
    assert (w.cells.reg(c, "ax"), w.cells.reg(c, "bx")) == (0, 8)


def copies(w: World, genome: bytes) -> int:
    """Living cells whose body is ``genome``."""
    return sum(w.genome_of(c) == genome for c in w.living())


@pytest.mark.parametrize("ancestor", ["ecology147", "ecology311", "ecology475"])
def test_its_ancestors_replicate_under_it_and_only_under_it(ancestor: str) -> None:
    genome = asm.ancestor(ancestor).code
    w = simulation.new_world(isolated([f"ANCESTOR={ancestor}", *ANCESTOR_SETTINGS]), 1,
                             mutations=False)
    w.run(80_000)
    assert w.births >= 8 and copies(w, genome) == len(w.living()) >= 9, ancestor
    assert list(w.tasks.events) == [0] * 9, ancestor  # no logic task
    # without it every byte is copied onto the daughter's first: her body is not a copy
    without = simulation.new_world(isolated([f"ANCESTOR={ancestor}", *ANCESTOR_SETTINGS[1:]]),
                                   1, mutations=False)
    without.run(80_000)
    assert without.births >= 1 and copies(without, genome) == 1, ancestor


def first_cost(ancestor: str, settings: list[str]) -> int:
    w = simulation.new_world(isolated([f"ANCESTOR={ancestor}", *settings]), 1,
                             mutations=False)
    w.run(40_000)
    costs = [w.cells.first_cost[c] for c in w.living() if w.cells.nbirths[c] > 0]
    assert costs, ancestor
    return min(costs)


def test_its_ancestors_copy_in_four_instructions_per_byte() -> None:
    """ecology311 is ecology314 (the same head and three 80-byte blocks) with the copy loop
    mov_iab dec_c if_cz ret jmpb; ecology475 has five blocks. The first daughter costs four
    instructions per byte copied plus the head and the blocks."""
    old = asm.ancestor("ecology314").code
    new = asm.ancestor("ecology311").code
    five = asm.ancestor("ecology475").code
    assert (len(new), len(five)) == (311, 475)
    assert new[:274] == old[:274] and new[28:274] == new[28:110] * 3
    assert five[:28] == new[:28] and five[28:438] == new[28:110] * 5 and five[438:] == new[274:]
    loop = bytes(CODES[w] for w in ("mov_iab", "dec_c", "if_cz", "ret", "jmpb"))
    assert loop in new and loop in five
    cost_311 = first_cost("ecology311", ANCESTOR_SETTINGS)
    cost_314 = first_cost("ecology314", ANCESTOR_SETTINGS[1:])
    assert 311 * 4 < cost_311 < 311 * 5 < cost_314


def test_ecology147_is_ecology150_with_the_four_instruction_loop() -> None:
    fast = asm.ancestor("ecology147").code
    old = asm.ancestor("ecology150").code
    assert fast == old[:133] + old[136:]  # without harvest, inc_a, inc_b after mov_iab
    assert old[132:136] == bytes(CODES[w] for w in ("mov_iab", "harvest", "inc_a", "inc_b"))
    cost = first_cost("ecology147", ANCESTOR_SETTINGS)
    assert 147 * 4 < cost < 147 * 5 < first_cost("ecology150", ANCESTOR_SETTINGS[1:])


SETTINGS = ["TASK_REWARD_RULE=merit", "MUTATION_REACH=any", "ANCESTOR=ecology311",
            "COPY_ADVANCES=true", "EXECUTE_OWN_CODE=true", "ANCESTOR_SIZE_LIMIT=400",
            "SOUP_SIZE=60000", "ENV_LENGTH=256", "REAP_TOP_FRACTION=1", "AGE_LIMIT=20",
            "CPU_COST_PER_INSTRUCTION=0", "MEMORY_RENT_PER_BYTE=0"]


def test_a_world_with_it_is_written_as_format_6_and_resumes_exactly() -> None:
    w = simulation.new_world(isolated(SETTINGS), 4)
    w.run(400_000)
    assert w.births > 20
    data = w.snapshot()
    assert data[len(SNAPSHOT_MAGIC):len(SNAPSHOT_MAGIC) + 2] == struct.pack("<H", 6)
    back = restore(data)
    assert back.p.copy_advance == 1
    back.run(200_000)
    w.run(200_000)
    assert back.digest() == w.digest()


@pytest.mark.skipif(not bytebiota.core.COMPILED, reason="needs the compiled core")
def test_both_cores_agree() -> None:
    out = each_core(SETTINGS, 6, 300_000)
    assert out["compiled"] == out["pure"]
    assert int(out["pure"][1]) > 10
