"""The VM, one opcode and edge case at a time (py65-style), on tiny programs."""

from __future__ import annotations

import pytest

from bytebiota.core.isa import CODES, INSTRUCTIONS, INSTRUCTIONS_ECOLOGY, MNEMONICS
from bytebiota.core.params import MAL_BETTER, Params
from bytebiota.core.world import World
from tests.conftest import classic_params

SOUP = 1000
AT = 100


def code(program: str) -> bytes:
    return bytes(CODES[word] for word in program.split())


def machine(program: str, *, soup: int = SOUP, at: int = AT, **registers: int
            ) -> tuple[World, int]:
    return machine_with(classic_params(soup_size=soup), program, at=at, **registers)


def machine_with(params: Params, program: str, *, at: int = AT, **registers: int
                 ) -> tuple[World, int]:
    world = World(params, 1)
    cell = world.inject(code(program), at)
    for name, value in registers.items():
        world.cells.set_reg(cell, name, value)
    return world, cell


def regs(world: World, cell: int) -> dict[str, int]:
    return {name: int(world.cells.reg(cell, name)) for name in ("ax", "bx", "cx", "dx", "ip")}


def test_the_table_is_instruction_set_0() -> None:
    assert [row[0] for row in INSTRUCTIONS] == list(range(32))
    assert MNEMONICS[0x1A] == "mov_iab" and MNEMONICS[0x1F] == "divide"
    assert len(set(MNEMONICS)) == 64  # set 1 extends set 0: one table, 6-bit codes
    assert [row[0] for row in INSTRUCTIONS_ECOLOGY] == list(range(64))


@pytest.mark.parametrize("nop", ["nop_0", "nop_1"])
def test_nops_only_advance(nop: str) -> None:
    world, c = machine(f"{nop} zero", ax=5, bx=6, cx=7, dx=8)
    world.run(1)
    assert regs(world, c) == {"ax": 5, "bx": 6, "cx": 7, "dx": 8, "ip": AT + 1}
    assert world.cells.errors[c] == 0


@pytest.mark.parametrize(
    ("program", "before", "after"),
    [
        ("or1", {"cx": 6}, {"cx": 7}),
        ("or1", {"cx": 7}, {"cx": 6}),
        ("sh1", {"cx": 5}, {"cx": 10}),
        ("sh1", {"cx": 0x40000000}, {"cx": -(2**31)}),  # 32-bit two's complement
        ("sh1", {"cx": -(2**31)}, {"cx": 0}),
        ("zero", {"cx": 99}, {"cx": 0}),
        ("sub_ab", {"ax": 10, "bx": 30}, {"cx": -20}),
        ("sub_ac", {"ax": 10, "cx": 30}, {"ax": SOUP - 20}),  # modulo the soup size
        ("inc_a", {"ax": SOUP - 1}, {"ax": 0}),
        ("inc_b", {"bx": 41}, {"bx": 42}),
        ("dec_c", {"cx": -(2**31)}, {"cx": 2**31 - 1}),
        ("inc_c", {"cx": 2**31 - 1}, {"cx": -(2**31)}),
        ("mov_cd", {"cx": 9, "dx": 1}, {"dx": 9}),
        ("mov_ab", {"ax": 9, "bx": 1}, {"bx": 9}),
    ],
)
def test_register_instructions(program: str, before: dict[str, int],
                               after: dict[str, int]) -> None:
    world, c = machine(program + " nop_0", **before)
    world.run(1)
    state = regs(world, c)
    for name, value in after.items():
        assert state[name] == value, name
    assert state["ip"] == AT + 1
    assert world.cells.errors[c] == 0


@pytest.mark.parametrize(("cx", "ip"), [(0, AT + 1), (1, AT + 2), (-3, AT + 2)])
def test_if_cz_runs_the_next_instruction_only_when_cx_is_zero(cx: int, ip: int) -> None:
    world, c = machine("if_cz inc_a inc_b", cx=cx)
    world.run(1)
    assert world.cells.reg(c, "ip") == ip


def test_push_and_pop_every_register() -> None:
    world, c = machine("push_ax push_bx push_cx push_dx pop_ax pop_bx pop_cx pop_dx",
                       ax=1, bx=2, cx=3, dx=4)
    world.run(8)
    assert regs(world, c) == {"ax": 4, "bx": 3, "cx": 2, "dx": 1, "ip": AT + 8}


def test_the_stack_is_ten_deep_and_circular() -> None:
    world, c = machine(" ".join(["inc_c", "push_cx"] * 11) + " pop_ax pop_bx" + " nop_0" * 9)
    world.run(24)
    # 11 pushes into 10 places: the 11th overwrote the 1st; pops see 11 then 10.
    assert world.cells.reg(c, "ax") == 11 and world.cells.reg(c, "bx") == 10
    world2, c2 = machine("pop_dx", dx=5)
    world2.run(1)
    # an empty stack pops zeros
    assert world2.cells.reg(c2, "dx") == 0 and world2.cells.errors[c2] == 0


def test_pop_into_address_registers_is_kept_in_the_soup() -> None:
    world, c = machine("push_cx pop_ax push_cx pop_bx", cx=SOUP + 7)
    world.run(4)
    assert world.cells.reg(c, "ax") == 7 and world.cells.reg(c, "bx") == 7


def test_jmp_lands_past_the_nearest_complement_forward() -> None:
    # jmp 0 1 -> complement 1 0
    world, c = machine("jmp nop_0 nop_1 inc_a nop_1 nop_0 inc_b")
    world.run(1)
    assert world.cells.reg(c, "ip") == AT + 6
    assert world.cells.errors[c] == 0


def test_jmp_searches_backward_too_and_the_nearest_wins() -> None:
    prog = "nop_1 nop_0 inc_a jmp nop_0 nop_1 inc_b inc_b inc_b inc_b nop_1 nop_0"
    world, c = machine(prog, at=AT)
    world.cells.set_reg(c, "ip", AT + 3)
    world.run(1)
    # backward match (distance 2) beats forward (distance 4)
    assert world.cells.reg(c, "ip") == AT + 2


def test_jmp_forward_wins_a_tie() -> None:
    prog = "nop_1 inc_a inc_a jmp nop_0 inc_b nop_1"
    world, c = machine(prog)
    world.cells.set_reg(c, "ip", AT + 3)
    world.run(1)
    assert world.cells.reg(c, "ip") == AT + 7


def test_jmpb_searches_backward_only() -> None:
    prog = "nop_1 nop_1 inc_a jmpb nop_0 nop_0 inc_b nop_1 nop_1"
    world, c = machine(prog)
    world.cells.set_reg(c, "ip", AT + 3)
    world.run(1)
    assert world.cells.reg(c, "ip") == AT + 2  # the forward match at distance 1 is not looked at


def test_template_search_wraps_around_the_soup() -> None:
    world = World(classic_params(soup_size=256), 1)
    c = world.inject(code("jmp nop_0 nop_0 inc_a"), 0)
    world.inject(code("inc_b nop_1 nop_1"), 250)  # the complement, behind address 0
    world.slicer.cur = c
    world.run(1)
    assert world.cells.reg(c, "ip") == 253 and world.cells.errors[c] == 0


def test_a_failed_search_errs_and_skips_the_template() -> None:
    world, c = machine("jmp nop_0 nop_0 nop_0 inc_a")
    world.run(1)
    assert world.cells.reg(c, "ip") == AT + 4
    assert world.cells.errors[c] == 1 and world.cells.reg(c, "flag") == 1


def test_an_empty_template_fails() -> None:
    world, c = machine("jmp inc_a")
    world.run(1)
    assert world.cells.reg(c, "ip") == AT + 1 and world.cells.errors[c] == 1


def test_a_template_longer_than_ten_fails() -> None:
    world, c = machine("jmp " + "nop_0 " * 11 + "inc_a " + "nop_1 " * 11)
    world.run(1)
    assert world.cells.errors[c] == 1


def test_the_search_limit_is_respected() -> None:
    far = "jmp nop_0 " + "inc_a " * 60 + "nop_1"
    world, c = machine(far)
    world.search_limit = 50
    world.run(1)
    assert world.cells.errors[c] == 1
    world2, c2 = machine(far)
    world2.search_limit = 70
    world2.run(1)
    assert world2.cells.errors[c2] == 0 and world2.cells.reg(c2, "ip") == AT + 63


def test_call_pushes_the_return_address_and_ret_pops_it() -> None:
    world, c = machine("call nop_0 inc_b nop_1 ret")
    world.run(1)
    assert world.cells.reg(c, "ip") == AT + 4
    world.run(1)  # ret
    assert world.cells.reg(c, "ip") == AT + 2


@pytest.mark.parametrize(("op", "ip", "found"), [("adr", 3, 9), ("adrf", 3, 9), ("adrb", 3, 2)])
def test_adr_family(op: str, ip: int, found: int) -> None:
    prog = f"nop_1 nop_0 inc_a {op} nop_0 nop_1 inc_b nop_1 nop_0 inc_a"
    world, c = machine(prog)
    world.cells.set_reg(c, "ip", AT + ip)
    world.run(1)
    assert world.cells.reg(c, "ax") == AT + found and world.cells.reg(c, "cx") == 2
    assert world.cells.reg(c, "ip") == AT + ip + 3


def test_mov_iab_copies_bx_to_ax_within_own_memory() -> None:
    world, c = machine("mov_iab nop_0 inc_b", ax=AT + 1, bx=AT + 2)
    world.run(1)
    assert world.mem.soup[AT + 1] == CODES["inc_b"]
    assert world.cells.errors[c] == 0


def test_mov_iab_may_read_but_not_write_another_cell() -> None:
    world, c = machine("mov_iab nop_0 nop_0")
    other = world.inject(code("inc_a inc_b"), 500)
    world.cells.set_reg(c, "ax", AT + 1)
    world.cells.set_reg(c, "bx", 500)
    world.run(1)
    assert world.mem.soup[AT + 1] == CODES["inc_a"]  # reading another cell is allowed
    world.cells.set_reg(c, "ax", 501)
    world.cells.set_reg(c, "bx", AT)
    world.cells.set_reg(c, "ip", AT)
    before = bytes(world.mem.soup[500:502])
    world.run(1)
    assert bytes(world.mem.soup[500:502]) == before and world.cells.errors[c] == 1
    assert world.cells.alive[other]


def test_mov_iab_may_not_write_free_memory() -> None:
    world, c = machine("mov_iab", ax=700, bx=AT)
    world.run(1)
    assert world.mem.soup[700] == 0 and world.cells.errors[c] == 1


def test_mal_allocates_and_copying_into_the_daughter_counts() -> None:
    world, c = machine("mal mov_iab nop_0 nop_0", cx=4, bx=AT)
    world.run(1)
    daughter = world.cells.reg(c, "ax")
    assert world.cells.reg(c, "dstart") == daughter and world.cells.reg(c, "dsize") == 4
    assert world.mem.owner[daughter] == c + 1
    world.run(1)
    assert world.mem.soup[daughter] == CODES["mal"] and world.cells.reg(c, "moved") == 1


@pytest.mark.parametrize("cx", [0, -1, 3 * 4 + 1])
def test_mal_refuses_bad_sizes(cx: int) -> None:
    world, c = machine("mal nop_0 nop_0 nop_0", cx=cx)
    world.run(1)
    assert world.cells.reg(c, "dstart") == -1 and world.cells.errors[c] == 1


def test_one_daughter_block_at_a_time() -> None:
    world, c = machine("mal mal nop_0 nop_0", cx=4)
    world.run(2)
    assert world.cells.errors[c] == 1 and world.mem.allocated == 8


def test_a_second_mal_replaces_the_daughter_block_as_in_tierra() -> None:
    world, c = machine_with(classic_params(soup_size=SOUP, mal_replaces=1),
                            "mal mal mal nop_0", cx=4)
    world.run(1)
    first = world.cells.reg(c, "dstart")
    world.cells.set_reg(c, "cx", 6)
    world.run(1)  # a new size: the held block is freed, a new one allocated
    assert world.cells.errors[c] == 0 and world.cells.reg(c, "dsize") == 6
    assert world.mem.allocated == 4 + 6 and world.cells.reg(c, "moved") == 0
    held = {a for a in range(SOUP) if world.mem.owner[a] == c + 1}
    assert len(held) == 10 and world.cells.reg(c, "dstart") in held
    assert first == world.cells.reg(c, "dstart") or world.mem.owner[first] == 0
    world.run(1)  # the same size again fails, and the block stays
    assert world.cells.errors[c] == 1 and world.cells.reg(c, "dsize") == 6


def test_mov_iab_may_write_free_memory_when_allowed() -> None:
    world, c = machine_with(classic_params(soup_size=SOUP, write_free=1),
                            "mov_iab mov_iab", ax=700, bx=AT)
    other = world.inject(code("inc_a inc_b"), 500)
    world.run(1)
    assert world.mem.soup[700] == CODES["mov_iab"] and world.cells.errors[c] == 0
    assert world.mem.owner[700] == 0  # written, not taken
    world.cells.set_reg(c, "ax", 500)
    world.run(1)  # other cells' memory stays protected
    assert world.mem.soup[500] == CODES["inc_a"] and world.cells.errors[c] == 1
    assert world.cells.alive[other]


def test_mal_better_fit_takes_the_smallest_block_that_fits() -> None:
    world, c = machine_with(classic_params(soup_size=1000, mal_mode=MAL_BETTER),
                            "mal nop_0 nop_0 nop_0 nop_0", at=0, cx=10)
    for start, size in ((30, 200), (250, 12), (300, 11)):
        world.inject(bytes(size), start)
    # free: [5, 30) 25 bytes, [230, 250) 20, [262, 300) 38, [311, 1000) 689
    world.run(1)
    assert world.cells.reg(c, "dstart") == 230  # first fit from the mother would be 5


def _grow(world: World, c: int, size: int) -> None:
    """Give cell c a daughter block of ``size`` bytes, all written by it."""
    world.cells.set_reg(c, "cx", size)
    world.cells.set_reg(c, "ip", world.cells.reg(c, "start"))
    world.mem.soup[world.cells.reg(c, "start")] = CODES["mal"]
    world.run(1)
    world.cells.set_reg(c, "moved", size)


def test_divide_makes_a_cell_and_names_it() -> None:
    genome = code("mal " + "nop_0 " * 12 + "divide")
    world = World(classic_params(soup_size=SOUP), 1)
    c = world.inject(genome, AT)
    world.cells.set_reg(c, "cx", len(genome))
    world.run(1)
    d0 = world.cells.reg(c, "dstart")
    for k in range(len(genome)):
        world.mem.soup[d0 + k] = genome[k]
    world.cells.set_reg(c, "moved", len(genome))
    world.cells.set_reg(c, "ip", AT + len(genome) - 1)
    world.run(1)
    assert world.population == 2 and world.births == 1
    names = [row[0] for row in world.genotype_counts()]
    assert names == ["0014aaa"]  # an identical daughter keeps its mother's genotype
    daughter = next(x for x in world.living() if x != c)
    assert world.cells.reg(daughter, "start") == d0 and world.mem.owner[d0] == daughter + 1
    assert world.cells.reg(c, "dstart") == -1


def test_divide_needs_seventy_percent_written_and_twelve_bytes() -> None:
    world, c = machine("mal divide " + "nop_0 " * 20)
    _grow(world, c, 20)
    world.cells.set_reg(c, "moved", 13)  # 65 % written
    world.cells.set_reg(c, "ip", AT + 1)
    world.run(1)
    assert world.population == 1 and world.cells.errors[c] == 1
    world.cells.set_reg(c, "moved", 14)  # 70 %
    world.cells.set_reg(c, "ip", AT + 1)
    world.run(1)
    assert world.population == 2
    small, s = machine("mal divide " + "nop_0 " * 20)
    _grow(small, s, 11)
    small.cells.set_reg(s, "ip", AT + 1)
    small.run(1)
    assert small.population == 1 and small.cells.errors[s] == 1


def test_a_new_genome_gets_the_next_name_and_its_parent() -> None:
    world, c = machine("mal divide " + "nop_0 " * 10)
    _grow(world, c, 12)
    world.cells.set_reg(c, "ip", AT + 1)
    world.run(1)
    rows = {row[0]: row for row in world.genotype_counts()}
    assert set(rows) == {"0012aaa", "0012aab"}
    assert rows["0012aab"][3] == "0012aaa" and rows["0012aaa"][3] == "0666god"


def test_mal_reaps_until_the_daughter_fits_never_the_requester() -> None:
    world = World(classic_params(soup_size=256), 1)
    victims = [world.inject(code("nop_0 " * 50), 50 * k) for k in range(4)]
    requester = world.inject(code("mal " + "nop_0 " * 49), 200)
    world.reaper.top, world.reaper.bottom = world.reaper.top, world.reaper.bottom
    world.slicer.cur = requester
    world.cells.set_reg(requester, "cx", 100)
    world.cells.set_reg(requester, "ip", 200)
    world.run(1)
    assert world.cells.alive[requester] and world.cells.reg(requester, "dstart") >= 0
    assert world.deaths == 2
    assert not world.cells.alive[victims[0]] and not world.cells.alive[victims[1]]


def test_mal_fails_when_only_the_requester_is_left() -> None:
    world, c = machine("mal nop_0", soup=128, at=0, cx=200)
    world.run(1)
    assert world.cells.errors[c] == 1 and world.population == 1


def test_occupancy_cap_reaps_before_the_soup_is_full() -> None:
    world = World(classic_params(soup_size=1000, max_occupancy=0.5), 1)
    old = world.inject(code("nop_0 " * 300), 0)
    c = world.inject(code("mal " + "nop_0 " * 99), 500)
    world.slicer.cur = c
    world.cells.set_reg(c, "cx", 150)
    world.cells.set_reg(c, "ip", 500)
    world.run(1)
    assert not world.cells.alive[old] and world.cells.reg(c, "dstart") >= 0


def test_a_cell_writing_into_its_own_body_changes_genotype_when_relabelling() -> None:
    for relabel, expected in ((0, "0004aaa"), (1, "0004aab")):
        world, c = machine_with(classic_params(soup_size=SOUP, relabel=relabel),
                                "mov_iab nop_0 nop_1 inc_a", ax=AT + 1, bx=AT + 3)
        world.run(1)
        assert world.mem.soup[AT + 1] == CODES["inc_a"] and world.cells.errors[c] == 0
        assert world.genebank.names[world.cells.geno[c]] == expected
