"""From a configuration to a running world: the one place that maps config onto the core.

``run``, ``culture``, ``bench`` and (later) the worker all build their worlds here, so a
variable means the same thing everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from bytebiota.config import Config
from bytebiota.core.isa import ECOLOGY_OPCODE_BITS
from bytebiota.core.world import Params, World
from bytebiota.errors import ConfigError
from bytebiota.genome import asm

# Instructions in one work cycle, the unit of BATCH_SIZE, MIN_BATCH_SIZE and MAX_BATCH_SIZE:
# the server sizes leases with it, the worker adapts its batches in it.
WORK_CYCLE = 100_000
# ENV_GRADIENT_TYPE's choices, in the core's order (GRADIENT_SINE, _LINEAR, _HOTSPOT).
GRADIENTS = ("sine", "linear", "hotspot")


def params(config: Config, *, mutations: bool = True) -> Params:
    """The world parameters a configuration asks for (``mutations=False``: all off)."""
    m = config.mutation
    p = Params(
        soup_size=config.soup.soup_size,
        slicer_power=config.scheduler.slicer_power,
        base_slice=config.scheduler.base_slice,
        max_slice=config.scheduler.max_slice,
        copy_rate=m.copy_bit_flip_rate if mutations else 0.0,
        background_interval=m.background_flip_interval if mutations else 0,
        indel_rate=m.insertion_deletion_rate if mutations else 0.0,
        indel_insertion_bias=m.indel_insertion_bias,
        max_mal_mult=m.max_mal_mult,
        search_mult=config.soup.search_limit_multiplier,
        flaw_rate=m.flaw_rate if mutations else 0.0,
        max_occupancy=config.soup.max_occupancy_ratio,
        error_move_up=config.reaper.error_move_up,
        success_move_down=config.reaper.success_move_down,
        reap_top_fraction=config.reaper.reap_top_fraction,
    )
    if config.global_.regime == "ecology":
        _ecology(p, config)
    return p


def _ecology(p: Params, config: Config) -> None:
    """The ecology regime's values: instruction set 1, energy, environment, reaper."""
    en, env, r = config.energy, config.environment, config.reaper
    p.ecology = 1
    p.opcode_bits = ECOLOGY_OPCODE_BITS
    p.mal_random = 1 if config.mutation.mal_placement == "random" else 0
    p.energy_initial = float(en.energy_initial)
    p.energy_max = float(en.energy_max)
    p.cpu_cost = en.cpu_cost_per_instruction
    p.rent = en.memory_rent_per_byte
    p.harvest_multiplier = en.harvest_multiplier
    p.harvest_yield = env.env_harvest_yield
    p.task_reward = env.env_task_reward
    p.task_bonus = en.task_bonus
    p.child_energy = en.child_energy_requirement
    p.boost_duration = en.priority_boost_duration
    p.env_length = env.env_length
    p.regen_interval = env.env_regen_interval
    p.regen_amount = env.env_regen_amount
    p.max_resource = env.env_max_resource
    p.decay_interval = env.env_signal_decay_interval
    p.decay_factor = env.env_signal_decay_factor
    p.storage_slots = env.env_storage_slots
    p.gradients = 1 if env.env_enable_gradients else 0
    p.gradient_type = GRADIENTS.index(env.env_gradient_type)
    p.gradient_amplitude = env.env_gradient_amplitude
    p.hotspot_count = env.env_hotspot_count
    p.hotspot_size = env.env_hotspot_size
    p.gradient_period = env.env_gradient_period
    p.age_multiplier = r.age_threshold_multiplier
    p.error_multiplier = r.error_threshold_multiplier
    p.sweep_interval = r.age_error_interval
    p.min_population_for_reap = r.min_population_for_reap
    p.memory_reap_threshold = r.memory_reap_threshold
    p.reap_chance = r.reap_chance
    p.repro_timeout = r.repro_timeout_steps
    p.protect_current = 1 if r.protect_current_caller else 0
    p.repopulation_threshold = r.repopulation_threshold
    p.repopulation_stop = r.repopulation_stop_threshold
    p.repopulation_batch = r.repopulation_batch
    p.stagnation_interval = r.stagnation_spawn_interval
    p.stagnation_count = r.stagnation_spawn_count
    p.seed_bank_size = config.evolution.seed_bank_size


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
