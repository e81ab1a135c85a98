"""EXECUTE_OWN_CODE (issue 19's opt-in experiment, docs/ecology.md): in the ecology regime a
cell executes only its own body, as Avida's organisms do. Its instruction pointer, past the
body's end or sent outside it by a jump, a call, a return or an if_cz, goes back to the
body's start. Off (the default, and always in the classic regime) a cell runs whatever code
it reaches, as in Tierra."""

from __future__ import annotations

import struct

import pytest

import bytebiota.core
from bytebiota import simulation
from bytebiota.config import isolated
from bytebiota.core.isa import CODES, STACK_DEPTH
from bytebiota.core.snapshot import SNAPSHOT_MAGIC
from bytebiota.core.world import World, restore
from bytebiota.genome import asm
from tests.conftest import each_core

AT = 100
OTHER = 200


def code(program: str) -> bytes:
    return bytes(CODES[word] for word in program.split())


def world(own: int) -> World:
    p = simulation.default_params("ecology", mutations=False, soup_size=4096, env_length=64,
                                  rent=0.0, cpu_cost=0.0, sweep_interval=0,
                                  repopulation_threshold=0, stagnation_interval=0,
                                  own_code=own)
    return World(p, 1)


def test_off_by_default_and_never_in_the_classic_regime() -> None:
    assert simulation.default_params("ecology").own_code == 0
    assert simulation.params(isolated(["EXECUTE_OWN_CODE=true"])).own_code == 1
    assert simulation.params(isolated(["REGIME=classic", "EXECUTE_OWN_CODE=true"])).own_code == 0


@pytest.mark.parametrize(("own", "ip"), [(0, AT + 5), (1, AT)])
def test_past_the_bodys_end_the_ip_returns_to_its_start(own: int, ip: int) -> None:
    w = world(own)
    c = w.inject(code("nopx44 " * 5), AT)
    w.run(5)
    assert w.cells.reg(c, "ip") == ip


@pytest.mark.parametrize(("own", "ip"), [(0, OTHER + 2), (1, AT)])
def test_a_jump_into_another_cell_returns_to_the_start(own: int, ip: int) -> None:
    w = world(own)
    c = w.inject(code("jmp nop_0 nop_1 nopx44 nopx44"), AT)
    w.inject(code("nop_1 nop_0 nopx44"), OTHER)  # the only complement: in another cell
    w.search_limit = 1000
    w.slicer.cur = c
    w.slicer.slice_left = 0
    w.run(1)
    assert w.cells.reg(c, "ip") == ip and w.cells.errors[c] == 0


@pytest.mark.parametrize(("own", "ip"), [(0, 500), (1, AT)])
def test_a_return_outside_the_body_returns_to_the_start(own: int, ip: int) -> None:
    w = world(own)
    c = w.inject(code("ret nopx44"), AT)
    w.cells.stack[c * STACK_DEPTH + w.cells.reg(c, "sp")] = 500
    w.run(1)
    assert w.cells.reg(c, "ip") == ip


@pytest.mark.parametrize(("own", "ip"), [(0, AT + 3), (1, AT)])
def test_an_if_cz_that_skips_past_the_end_returns_to_the_start(own: int, ip: int) -> None:
    w = world(own)
    c = w.inject(code("nopx44 if_cz"), AT)
    w.cells.set_reg(c, "cx", 1)  # not zero: skip the next instruction
    w.run(2)
    assert w.cells.reg(c, "ip") == ip


def test_the_ancestors_replicate_under_it() -> None:
    for ancestor in ("ecology165", "ecology165c", "ecology150", "ecology150x3", "ecology314",
                     "ecology396"):
        config = isolated([f"ANCESTOR={ancestor}", "EXECUTE_OWN_CODE=true",
                           "SOUP_SIZE=100000", "ENV_LENGTH=256", "ANCESTOR_SIZE_LIMIT=400"])
        w = simulation.new_world(config, 1, mutations=False)
        w.run(80_000)
        assert w.births >= 4, ancestor
        assert list(w.tasks.events) == [0] * 9, ancestor  # no logic task


def test_the_three_block_ancestors_read_two_inputs_per_block() -> None:
    """ecology150x3 is ecology150 with its input and filler block split in three (the same
    length, the same copy code); ecology314 has the 80-byte block three times, ecology396
    four times."""
    one = asm.ancestor("ecology150").code
    three = asm.ancestor("ecology150x3").code
    big = asm.ancestor("ecology314").code
    bigger = asm.ancestor("ecology396").code
    assert len(three) == len(one) == 150 and len(big) == 314 and len(bigger) == 396
    assert three[:28] == one[:28] == big[:28] == bigger[:28]
    assert three[110:] == one[110:] == big[274:] == bigger[356:]
    assert one[28:110].count(CODES["in"]) == 2
    assert three[28:110].count(CODES["in"]) == 6 and big[28:274].count(CODES["in"]) == 6
    assert bigger[28:356].count(CODES["in"]) == 8
    assert all(bigger[at:at + 82] == one[28:110] for at in (28, 110, 192, 274))


SETTINGS = ["TASK_REWARD_RULE=merit", "MUTATION_REACH=any", "ANCESTOR=ecology150",
            "AGE_LIMIT=20", "EXECUTE_OWN_CODE=true", "SOUP_SIZE=60000", "ENV_LENGTH=256",
            "REAP_TOP_FRACTION=1"]


def test_a_world_with_it_is_written_as_format_5_and_resumes_exactly() -> None:
    w = simulation.new_world(isolated(SETTINGS), 4)
    w.run(400_000)
    data = w.snapshot()
    assert data[len(SNAPSHOT_MAGIC):len(SNAPSHOT_MAGIC) + 2] == struct.pack("<H", 5)
    back = restore(data)
    assert back.p.own_code == 1
    back.run(200_000)
    w.run(200_000)
    assert back.digest() == w.digest()
    off = simulation.new_world(isolated(SETTINGS[:4]), 4).snapshot()
    assert off[len(SNAPSHOT_MAGIC):len(SNAPSHOT_MAGIC) + 2] == struct.pack("<H", 4)


@pytest.mark.skipif(not bytebiota.core.COMPILED, reason="needs the compiled core")
def test_both_cores_agree() -> None:
    out = each_core(SETTINGS, 6, 300_000)
    assert out["compiled"] == out["pure"]
    assert int(out["pure"][1]) > 10
