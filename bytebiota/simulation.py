"""From a configuration to a running world: the one place that maps config onto the core.

``run``, ``culture``, ``bench`` and (later) the worker all build their worlds here, so a
variable means the same thing everywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

from bytebiota.config import Config
from bytebiota.core.world import Params, World
from bytebiota.errors import ConfigError
from bytebiota.genome import asm

# Instructions in one work cycle, the unit of BATCH_SIZE, MIN_BATCH_SIZE and MAX_BATCH_SIZE:
# the server sizes leases with it, the worker adapts its batches in it.
WORK_CYCLE = 100_000


def params(config: Config, *, mutations: bool = True) -> Params:
    """The world parameters a configuration asks for (``mutations=False``: all off)."""
    m = config.mutation
    return Params(
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


def save_genotype(directory: Path, name: str, parent: str, origin: int, genome: bytes) -> Path:
    """Write a permanent genotype as ``NAME.asm`` with its header (atomically)."""
    directory.mkdir(parents=True, exist_ok=True)
    text = asm.disassemble(asm.Genome(genome, {"name": name, "parent": parent,
                                               "origin": str(origin)}))
    path = directory / f"{name}.asm"
    tmp = path.with_suffix(".asm.tmp")
    tmp.write_text(f"; genotype {name}, saved by bytebiota\n" + text)
    tmp.replace(path)
    return path
