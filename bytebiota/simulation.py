"""From a configuration to a running world: the one place that maps config onto the core.

``run``, ``culture``, ``bench`` and (later) the worker all build their worlds here, so a
variable means the same thing everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from bytebiota.config import Config, isolated
from bytebiota.core.isa import ECOLOGY_OPCODE_BITS, OPCODE_BITS
from bytebiota.core.params import Params
from bytebiota.core.world import World
from bytebiota.errors import ConfigError
from bytebiota.genome import asm

# Instructions in one work cycle, the unit of BATCH_SIZE, MIN_BATCH_SIZE and MAX_BATCH_SIZE:
# the server sizes leases with it, the worker adapts its batches in it.
WORK_CYCLE = 100_000
# ENV_GRADIENT_TYPE's choices, in the core's order (GRADIENT_SINE, _LINEAR, _HOTSPOT).
GRADIENTS = ("sine", "linear", "hotspot")


# Each field of the core's Params and the configuration variable it is read from (the table
# in variables.py holds every default; the core has none). Fields not listed are derived in
# ``params``: the regime, its instruction set, two enumerations, and issue 19's opt-in
# mechanisms, which the ecology regime alone has (TASK_REWARD_RULE, MUTATION_REACH,
# AGE_LIMIT, EXECUTE_OWN_CODE, COPY_ADVANCES: in the classic regime they are always off, and
# its snapshots keep format 3).
PARAM_VARIABLES: dict[str, str] = {
    "soup_size": "SOUP_SIZE", "slicer_power": "SLICER_POWER", "base_slice": "BASE_SLICE",
    "max_slice": "MAX_SLICE", "copy_rate": "COPY_BIT_FLIP_RATE",
    "background_interval": "BACKGROUND_FLIP_INTERVAL",
    "indel_rate": "INSERTION_DELETION_RATE", "indel_insertion_bias": "INDEL_INSERTION_BIAS",
    "max_mal_mult": "MAX_MAL_MULT", "search_mult": "SEARCH_LIMIT_MULTIPLIER",
    "flaw_rate": "FLAW_RATE", "max_occupancy": "MAX_OCCUPANCY_RATIO",
    "error_move_up": "ERROR_MOVE_UP", "success_move_down": "SUCCESS_MOVE_DOWN",
    "reap_top_fraction": "REAP_TOP_FRACTION",
    "energy_initial": "ENERGY_INITIAL", "energy_max": "ENERGY_MAX",
    "cpu_cost": "CPU_COST_PER_INSTRUCTION", "rent": "MEMORY_RENT_PER_BYTE",
    "harvest_multiplier": "HARVEST_MULTIPLIER", "harvest_yield": "ENV_HARVEST_YIELD",
    "task_reward": "ENV_TASK_REWARD", "task_bonus": "TASK_BONUS",
    "child_energy": "CHILD_ENERGY_REQUIREMENT", "boost_duration": "PRIORITY_BOOST_DURATION",
    "env_length": "ENV_LENGTH", "regen_interval": "ENV_REGEN_INTERVAL",
    "regen_amount": "ENV_REGEN_AMOUNT", "max_resource": "ENV_MAX_RESOURCE",
    "decay_interval": "ENV_SIGNAL_DECAY_INTERVAL", "decay_factor": "ENV_SIGNAL_DECAY_FACTOR",
    "storage_slots": "ENV_STORAGE_SLOTS", "gradients": "ENV_ENABLE_GRADIENTS",
    "gradient_amplitude": "ENV_GRADIENT_AMPLITUDE", "hotspot_count": "ENV_HOTSPOT_COUNT",
    "hotspot_size": "ENV_HOTSPOT_SIZE", "gradient_period": "ENV_GRADIENT_PERIOD",
    "age_multiplier": "AGE_THRESHOLD_MULTIPLIER",
    "error_multiplier": "ERROR_THRESHOLD_MULTIPLIER", "sweep_interval": "AGE_ERROR_INTERVAL",
    "min_population_for_reap": "MIN_POPULATION_FOR_REAP",
    "memory_reap_threshold": "MEMORY_REAP_THRESHOLD", "reap_chance": "REAP_CHANCE",
    "repro_timeout": "REPRO_TIMEOUT_STEPS", "protect_current": "PROTECT_CURRENT_CALLER",
    "repopulation_threshold": "REPOPULATION_THRESHOLD",
    "repopulation_stop": "REPOPULATION_STOP_THRESHOLD",
    "repopulation_batch": "REPOPULATION_BATCH",
    "stagnation_interval": "STAGNATION_SPAWN_INTERVAL",
    "stagnation_count": "STAGNATION_SPAWN_COUNT", "seed_bank_size": "SEED_BANK_SIZE",
    "mal_replaces": "MAL_REPLACES_DAUGHTER", "write_free": "WRITE_FREE_MEMORY",
    "relabel": "RELABEL_CHANGED_GENOMES", "slice_fixed": "SLICE_FIXED_FRACTION",
    "slice_random": "SLICE_RANDOM_FRACTION", "gen_copy": "GENERATIONS_PER_COPY_FLIP",
    "gen_background": "GENERATIONS_PER_BACKGROUND_FLIP", "gen_flaw": "GENERATIONS_PER_FLAW",
}
# MAL_PLACEMENT's choices, by the core's number for them (params.MAL_NEAR, _RANDOM, _BETTER).
MAL_PLACEMENTS = ("near", "random", "better")
# The fields ``mutations=False`` turns off (culture runs, the bench's ancestor workload).
MUTATION_FIELDS = ("copy_rate", "background_interval", "indel_rate", "flaw_rate", "gen_copy",
                   "gen_background", "gen_flaw")


def params(config: Config, *, mutations: bool = True) -> Params:
    """The world parameters a configuration asks for (``mutations=False``: all off)."""
    fields: dict[str, float] = {}
    for field, name in PARAM_VARIABLES.items():
        value = config[name]
        assert isinstance(value, (int, float)), name  # numbers and switches only
        fields[field] = value
    ecology = config.global_.regime == "ecology"
    fields["ecology"] = 1 if ecology else 0
    fields["opcode_bits"] = ECOLOGY_OPCODE_BITS if ecology else OPCODE_BITS
    fields["mal_mode"] = MAL_PLACEMENTS.index(config.mutation.mal_placement)
    fields["gradient_type"] = GRADIENTS.index(config.environment.env_gradient_type)
    fields["merit"] = 1 if ecology and config.energy.task_reward_rule == "merit" else 0
    fields["substitute"] = 1 if ecology and config.mutation.mutation_reach == "any" else 0
    fields["age_limit"] = config.reaper.age_limit if ecology else 0
    fields["own_code"] = 1 if ecology and config.mutation.execute_own_code else 0
    fields["copy_advance"] = 1 if ecology and config.mutation.copy_advances else 0
    if not mutations:
        for field in MUTATION_FIELDS:
            fields[field] = 0
    return Params(fields)


def default_params(regime: str = "classic", *, mutations: bool = True,
                   **changes: float) -> Params:
    """The default configuration's parameters for ``regime``, with some fields changed (for
    tests and tools that build small worlds by hand)."""
    config = isolated(named_flags={"--regime": regime})
    return params(config, mutations=mutations).replace(**changes)


def fresh_seed() -> int:
    """A seed for a run that was given none (it is recorded in the journal)."""
    return int.from_bytes(os.urandom(8), "little") >> 1


def load_ancestor(config: Config) -> asm.Genome:
    genome = asm.load(config.ancestor.ancestor)
    limit = config.ancestor.ancestor_size_limit
    if len(genome.code) > limit:
        raise ConfigError(
            f"ANCESTOR={config.ancestor.ancestor!r} is {len(genome.code)} bytes, above "
            f"ANCESTOR_SIZE_LIMIT={limit}"
        )
    return genome


def new_world(config: Config, seed: int, *, mutations: bool = True) -> World:
    """A world seeded with the configured ancestor at ANCESTOR_LOAD_ADDRESS."""
    world = World(params(config, mutations=mutations), seed)
    genome = load_ancestor(config)
    try:
        world.inject(genome.code, config.ancestor.ancestor_load_address)
    except ValueError as exc:
        raise ConfigError(f"the ancestor does not fit: {exc}") from None
    return world


def save_genotype(directory: Path, name: str, parent: str, origin: int, genome: bytes, *,
                  run: str) -> Path:
    """Write a permanent genotype as ``NAME.asm`` with its header, naming the run it is from
    (atomically: a failed write leaves nothing behind)."""
    directory.mkdir(parents=True, exist_ok=True)
    text = asm.disassemble(asm.Genome(genome, {"name": name, "parent": parent,
                                               "origin": str(origin)}))
    path = directory / f"{name}.asm"
    tmp = directory / f".{name}.asm.tmp"
    try:
        tmp.write_text(f"; genotype {name} of run {run}, saved by bytebiota\n" + text)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    return path
