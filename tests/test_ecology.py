"""The ecology regime: environment opcodes, tasks, energy, environment, reaper, seed bank."""

from __future__ import annotations

import pytest

from bytebiota import config, health, simulation
from bytebiota.core import reaper
from bytebiota.core.arith import UNIT
from bytebiota.core.cells import (
    INPUTS,
)
from bytebiota.core.isa import CODES, TASK_NAMES
from bytebiota.core.params import GRADIENT_HOTSPOT, GRADIENT_LINEAR, GRADIENT_SINE, Params
from bytebiota.core.tasks import READ
from bytebiota.core.world import World, restore

MASK = 0xFFFFFFFF


def code(program: str) -> bytes:
    return bytes(CODES[word] for word in program.split())


def eco_params(**values: float) -> Params:
    """A small ecology world on the real defaults (the configuration table), with no costs,
    no mutations and no scheduled events unless asked."""
    quiet = {"soup_size": 4096, "env_length": 64, "cpu_cost": 0.0, "rent": 0.0,
             "regen_interval": 0, "decay_interval": 0, "sweep_interval": 0,
             "stagnation_interval": 0}
    return simulation.default_params("ecology", mutations=False, **{**quiet, **values})


def machine(program: str, at: int = 640, **values: float) -> tuple[World, int]:
    world = World(eco_params(**values), 7)
    return world, world.inject(code(program), at)


def signed(x: int) -> int:
    x &= MASK
    return x - (1 << 32) if x & 0x80000000 else x


def test_harvest_takes_the_yield_from_the_field_cell_under_the_cell() -> None:
    world, c = machine("harvest harvest")
    e = 640 * 64 // 4096
    before = world.cells.reg(c, "energy")
    world.run(1)
    assert world.env.resource[e] == (50 - 10) * UNIT
    assert world.cells.reg(c, "energy") - before == 12 * UNIT  # 10 x HARVEST_MULTIPLIER 1.2
    world.env.resource[e] = 3 * UNIT  # less than the yield: take what is there
    world.run(1)
    assert world.env.resource[e] == 0 and world.cells.reg(c, "energy") - before == (12 + 3.6) * UNIT


def test_harvest_spills_above_energy_max() -> None:
    world, c = machine("harvest")
    world.cells.set_reg(c, "energy", 395 * UNIT)
    world.run(1)
    assert world.cells.reg(c, "energy") == 400 * UNIT and world.ledger.spilled == 7 * UNIT


def test_sense_reads_resource_and_signal_at_address_ax_and_emit_writes_under_the_cell() -> None:
    world, c = machine("sense_r sense_s emit")
    world.cells.set_reg(c, "ax", 3000)
    far = 3000 * 64 // 4096
    world.env.resource[far] = 17 * UNIT + 5
    world.env.signal[far] = 99
    world.run(1)
    assert world.cells.reg(c, "cx") == 17
    world.run(1)
    assert world.cells.reg(c, "cx") == 99
    world.cells.set_reg(c, "cx", 0x12345)
    world.run(1)
    assert world.env.signal[640 * 64 // 4096] == 0x2345


def test_store_and_load_share_storage_by_dx() -> None:
    world, c = machine("store zero load")
    world.cells.set_reg(c, "cx", -77)
    world.cells.set_reg(c, "dx", 256 + 5)  # modulo ENV_STORAGE_SLOTS (256)
    world.run(1)
    assert world.env.storage[5] == -77
    world.run(2)
    assert world.cells.reg(c, "cx") == -77


def test_in_reads_the_inputs_in_turn_and_shifts_cx_to_dx() -> None:
    world, c = machine("in in in in")
    values = [signed(world.cells.inputs[c * INPUTS + k]) for k in range(INPUTS)]
    world.cells.set_reg(c, "cx", 5)
    world.run(2)
    assert (world.cells.reg(c, "dx"), world.cells.reg(c, "cx")) == (values[0], values[1])
    world.run(2)
    assert (world.cells.reg(c, "dx"), world.cells.reg(c, "cx")) == (values[2], values[0])
    assert all(world.cells.inbuf[c * INPUTS + k] & READ for k in range(INPUTS))


@pytest.mark.parametrize(("program", "cx", "dx", "expected"), [
    ("nand", 0b1100, 0b1010, ~0b1000),
    ("nand", -1, -1, 0),
    ("mov_dc", 1, 9, 9),
    ("add_cd", 0x7FFFFFFF, 1, -0x80000000),
])
def test_logic_and_moves(program: str, cx: int, dx: int, expected: int) -> None:
    world, c = machine(program)
    world.cells.set_reg(c, "cx", cx)
    world.cells.set_reg(c, "dx", dx)
    world.run(1)
    assert world.cells.reg(c, "cx") == expected


def test_swap_cd() -> None:
    world, c = machine("swap_cd")
    world.cells.set_reg(c, "cx", 1)
    world.cells.set_reg(c, "dx", 2)
    world.run(1)
    assert (world.cells.reg(c, "cx"), world.cells.reg(c, "dx")) == (2, 1)


ANSWERS = {
    "NOT": lambda a, b: ~a, "NAND": lambda a, b: ~(a & b), "AND": lambda a, b: a & b,
    "ORN": lambda a, b: a | ~b, "OR": lambda a, b: a | b, "ANDN": lambda a, b: a & ~b,
    "NOR": lambda a, b: ~(a | b), "XOR": lambda a, b: a ^ b, "EQU": lambda a, b: ~(a ^ b),
}
LEVELS = {"NOT": 1, "NAND": 1, "AND": 2, "ORN": 2, "OR": 3, "ANDN": 3, "NOR": 4, "XOR": 4,
          "EQU": 5}


def read_inputs(world: World, c: int, a: int, b: int) -> None:
    world.cells.inputs[c * INPUTS] = signed(a)
    world.cells.inputs[c * INPUTS + 1] = signed(b)
    world.run(2)  # in in


@pytest.mark.parametrize("task", TASK_NAMES)
def test_each_task_is_rewarded_once_per_gestation_with_its_level(task: str) -> None:
    a, b = 0x0F0F1234, 0x00FF5678
    world, c = machine("in in out out", task_reward=60, task_bonus=7, boost_duration=5,
                       energy_max=1000.0)
    read_inputs(world, c, a, b)
    world.cells.set_reg(c, "cx", signed(ANSWERS[task](a, b)))
    before = world.cells.reg(c, "energy")
    world.run(1)
    bit = 1 << TASK_NAMES.index(task)
    assert world.cells.done[c] & bit and world.cells.ever[c] & bit
    assert world.cells.reg(c, "energy") - before == (60 * LEVELS[task] + 7) * UNIT
    assert world.cells.boost_left[c] == 5 and world.cells.boost_level[c] == LEVELS[task]
    assert world.task_counts()[task] == 1
    world.run(1)  # the same answer again: no second reward in this gestation
    assert world.cells.reg(c, "energy") - before == (60 * LEVELS[task] + 7) * UNIT


def test_answers_need_inputs_that_were_read() -> None:
    world, c = machine("out")
    world.cells.set_reg(c, "cx", -1)  # NOT of 0, but nothing was read
    world.run(1)
    assert world.cells.done[c] == 0 and world.ledger.rewarded == 0


def test_an_echo_or_a_wrong_answer_earns_nothing() -> None:
    world, c = machine("in in out")
    read_inputs(world, c, 0x0F0F1234, 0x00FF5678)
    world.run(1)  # cx is the second input itself
    assert world.cells.done[c] == 0


def test_a_boost_lengthens_the_next_slices() -> None:
    world, c = machine("nop_0 " * 40, boost_duration=2)
    world.cells.boost_left[c], world.cells.boost_level[c] = 2, 3
    n = world.cells.reg(c, "slice_len")
    lengths = [world.ledger.slice_length(world.cells, c, world.steps, n) for _ in range(3)]
    assert lengths == [4 * n, 4 * n, n]
    assert world.cells.boost_level[c] == 0


def test_cpu_cost_by_family_and_rent_per_byte_per_step() -> None:
    world, c = machine("nop_0 harvest mal", cpu_cost=0.5, rent=0.01)
    world.env.resource[640 * 64 // 4096] = 0
    start = world.cells.reg(c, "energy")
    world.cells.set_reg(c, "cx", 0)  # mal fails (size 0) but is charged as reproduction
    world.run(3)
    assert start - world.cells.reg(c, "energy") == (0.5 * (1 + 2 + 5)) * UNIT
    world.steps += 1000  # time passes while others run
    world.ledger.slice_length(world.cells, c, world.steps, world.cells.reg(c, "slice_len"))
    assert start - world.cells.reg(c, "energy") == (4 + 3 * 0.01 * 1003) * UNIT


def test_cells_in_debt_two_slice_ends_running_starve() -> None:
    world, c = machine("nop_0 " * 20, cpu_cost=1.0)
    world.cells.set_reg(c, "energy", 3 * UNIT)
    world.run(25)  # one slice of 20 + BASE_SLICE 5: 25 energy, now in debt
    assert world.population == 1 and world.cells.arrears[c] == 1
    world.run(25)
    assert world.population == 0 and world.ledger.starved == 1


def test_the_energy_ledger_balances_in_a_living_soup() -> None:
    cfg = config.isolated(["SOUP_SIZE=200000", "ENV_LENGTH=256"])
    world = simulation.new_world(cfg, 3)
    world.run(3_000_000)
    ledger = world.energy_ledger()
    assert world.births > 50 and ledger["harvested"] > 0 and ledger["rent"] > 0
    assert ledger["living"] == (ledger["endowed"] + ledger["harvested"] + ledger["rewarded"]
                                - ledger["cpu"] - ledger["rent"] - ledger["spilled"]
                                - ledger["lost"])


def test_daughters_get_half_the_mothers_energy() -> None:
    cfg = config.isolated(["SOUP_SIZE=200000", "ENV_LENGTH=256"])
    world = simulation.new_world(cfg, 1, mutations=False)
    mother = world.living()[0]
    while world.births == 0:
        before = world.cells.reg(mother, "energy")
        world.run(1)
    daughter = next(c for c in world.living() if c != mother)
    assert world.cells.reg(daughter, "energy") + world.cells.reg(mother, "energy") <= before
    assert -UNIT <= world.cells.reg(daughter, "energy") - world.cells.reg(mother, "energy") <= UNIT


def test_regeneration_follows_the_profile_and_stops_at_the_maximum() -> None:
    world, _ = machine("nop_0", regen_interval=100, regen_amount=20, gradients=0)
    for e in range(64):
        world.env.resource[e] = 0
    world.env.resource[1] = 45 * UNIT
    world.run(100)
    assert world.env.resource[0] == 20 * UNIT and world.env.resource[1] == 50 * UNIT


@pytest.mark.parametrize("kind", [GRADIENT_SINE, GRADIENT_LINEAR, GRADIENT_HOTSPOT])
def test_gradients_vary_regeneration_and_move(kind: int) -> None:
    world, _ = machine("nop_0", regen_interval=100, regen_amount=10, gradient_type=kind,
                       gradient_amplitude=0.5, hotspot_count=4, hotspot_size=4,
                       gradient_period=1000)
    first = list(world.env.regen)
    assert max(first) <= 15 * UNIT and min(first) >= 5 * UNIT and max(first) > min(first)
    for e in range(64):
        world.env.resource[e] = 0
    world.steps = 1000
    world.env.regenerate(world.steps)
    assert list(world.env.resource) == first[-1:] + first[:-1]  # moved one field cell


def test_signals_decay() -> None:
    world, _ = machine("nop_0", decay_interval=50, decay_factor=0.5)
    world.env.signal[3] = 1001
    world.run(50)
    assert world.env.signal[3] == 500
    world.run(50)
    assert world.env.signal[3] == 250


def test_the_sweep_reaps_the_old_and_protects_the_current_cell() -> None:
    p = eco_params(sweep_interval=10, reap_chance=1.0, age_multiplier=1.5,
                   min_population_for_reap=1, error_multiplier=1000.0,
                   repopulation_threshold=0)
    world = World(p, 1)
    young = [world.inject(code("nop_0"), 100 * k) for k in range(1, 5)]
    old = world.inject(code("nop_0"), 900)
    for c in young:
        world.cells.born_at[c] = 0
    world.cells.born_at[old] = -1_000_000
    world.steps = 10
    world.slicer.cur = old
    reaper.sweep(world)
    assert world.cells.alive[old] == 1  # protected: the current cell
    world.slicer.cur = young[0]
    reaper.sweep(world)
    assert world.cells.alive[old] == 0 and world.reaped == 1 and world.population == 4


def test_a_stalled_reproduction_is_released_and_reaped() -> None:
    p = eco_params(reap_chance=1.0, repro_timeout=100, min_population_for_reap=1,
                   error_multiplier=1000.0, age_multiplier=1000.0, repopulation_threshold=0)
    world = World(p, 1)
    a = world.inject(code("nop_0"), 100)
    b = world.inject(code("nop_0"), 200)
    world.cells.set_reg(b, "dstart", 300)
    world.cells.set_reg(b, "dsize", 20)
    world.mem.alloc_at(300, 20)
    world.cells.set_reg(b, "executed", 500)
    world.slicer.cur = a
    reaper.sweep(world)
    assert world.cells.alive[b] == 0 and world.mem.allocated == 1


def test_repopulation_refills_from_the_seed_bank() -> None:
    p = eco_params(sweep_interval=0, repopulation_threshold=2, repopulation_stop=6,
                   repopulation_batch=3, energy_initial=50.0)
    world = World(p, 1)
    c = world.inject(code("nop_0 nop_1"), 100)
    assert [name for name, _, _ in world.seed_bank()] == ["0002aaa"]
    reaper.sweep(world)
    assert world.population == 4 and world.repopulating == 1 and world.spawned == 3
    reaper.sweep(world)
    assert world.population == 7
    reaper.sweep(world)
    assert world.population == 7 and world.repopulating == 0
    assert world.cells.reg(world.living()[-1], "energy") == 50 * UNIT and world.cells.alive[c]


def test_the_seed_bank_keeps_the_best_with_a_quota_per_size_class() -> None:
    p = eco_params(seed_bank_size=10)  # quota: one per size class when full
    world = World(p, 1)
    bank = world.genebank
    for k in range(12):
        genome = bytes([CODES["nop_0"]] * (12 + k % 2) + [44 + k])
        gid = bank.birth(genome, -1, 0)
        bank.max_alive[gid] = 10 + k
        world.bank.offer(world.genebank, gid)
    entries = world.seed_bank()
    assert len(entries) == 10
    scores = sorted(score for _, score, _ in entries)
    assert scores[0] > 10  # the weakest were displaced
    sizes = [len(genome) for _, _, genome in entries]
    assert set(sizes) == {13, 14}


def test_snapshots_carry_the_ecology_exactly() -> None:
    cfg = config.isolated(["SOUP_SIZE=200000", "ENV_LENGTH=256"])
    world = simulation.new_world(cfg, 5)
    world.run(1_500_000)
    copy = restore(world.snapshot())
    assert copy.digest() == world.digest()
    world.run(700_000)
    copy.run(300_000)
    copy.run(400_000)
    assert copy.digest() == world.digest()
    assert copy.energy_ledger() == world.energy_ledger() and copy.seed_bank() == world.seed_bank()


def event(population: int, genotypes: int, births: int, deaths: int, broke: int = 0
          ) -> dict[str, object]:
    return {"step": 1, "population": population, "genotypes": genotypes,
            "births": births, "deaths": deaths, "sizes": [[100, population]],
            "energy": {"mean": 1.0, "total": 1.0, "broke": broke}}


def test_health_is_quiet_for_a_healthy_soup() -> None:
    monitor = health.Monitor(copy_rate=0.005, soup_size=1_000_000)
    monitor.check(event(200, 150, 1000, 900))
    result = monitor.check(event(210, 150, 2000, 1800))
    assert result["signs"] == [] and all(result["indicators"].values())
    assert health.summary(result) == "healthy"


def test_health_signs_fire_with_their_advice() -> None:
    monitor = health.Monitor(copy_rate=0.08, soup_size=1_000_000)
    monitor.check(event(300, 100, 1000, 900))
    result = monitor.check(event(30, 30, 1000, 2000, broke=30))
    assert set(result["signs"]) == {"population_crash", "low_birth_rate", "energy_starvation",
                                    "no_evolution", "mutation_catastrophe"}
    assert any("MEMORY_RENT_PER_BYTE" in text for text in result["advice"])
    assert any("INSERTION_DELETION_RATE" in text for text in result["advice"])
    assert not result["indicators"]["turnover"] and not result["indicators"]["mutation_rate"]
    assert health.summary(result).startswith("warning: ")


# the default ancestor (0097aaa), and issue 19's 165-byte one under its configuration
# (docs/ecology.md, "The merit configuration")
ANCESTOR_RUNS = {
    "ecology": [],
    "ecology165": ["TASK_REWARD_RULE=merit", "MUTATION_REACH=any", "ANCESTOR=ecology165",
                   "MEMORY_RENT_PER_BYTE=0.000001", "REAP_CHANCE=0", "AGE_LIMIT=20"],
}


@pytest.mark.parametrize("ancestor", sorted(ANCESTOR_RUNS))
def test_the_ecology_ancestor_replicates_harvests_and_performs_no_task(ancestor: str) -> None:
    cfg = config.isolated([*ANCESTOR_RUNS[ancestor], "SOUP_SIZE=300000", "ENV_LENGTH=256"])
    world = simulation.new_world(cfg, 2, mutations=False)
    world.run(3_000_000)
    assert world.births > 100 and world.population > 20
    assert world.ledger.harvested > world.ledger.spent_cpu  # it earns more than it spends
    assert list(world.tasks.events) == [0] * 9 and world.ledger.rewarded == 0
