"""World parameters: what a world needs to know of the configuration.

Owns ``Params`` (one flat record, ``@final``), ``PARAM_FIELDS`` (every field, in snapshot
order, with its struct code) and their packing for snapshots.

Invariants: a ``Params`` has no defaults of its own. It is built complete from a mapping that
names every field exactly once (``bytebiota.simulation.params`` builds that mapping from the
configuration table, the one place defaults live; a test checks it); a missing or unknown
field is a ValueError. ``pack(v)`` then ``unpack(..., v)`` gives back an equal record for
every format ``v`` that ``fits`` it.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from typing import Final, final

from mypy_extensions import i64


class SnapshotError(ValueError):
    """A snapshot that is truncated, corrupted, or of another format version."""


MIN_SOUP: Final = 64
GRADIENT_SINE: Final = 0
GRADIENT_LINEAR: Final = 1
GRADIENT_HOTSPOT: Final = 2

PARAM_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("soup_size", "q"), ("slicer_power", "d"), ("base_slice", "q"), ("max_slice", "q"),
    ("copy_rate", "d"), ("background_interval", "q"), ("indel_rate", "d"),
    ("indel_insertion_bias", "d"), ("max_mal_mult", "q"), ("search_mult", "q"),
    ("flaw_rate", "d"), ("error_move_up", "q"), ("success_move_down", "q"),
    ("opcode_bits", "q"), ("reap_top_fraction", "d"), ("max_occupancy", "d"),
    # the ecology regime (ecology == 0: none of what follows applies)
    ("ecology", "q"), ("mal_mode", "q"),
    ("energy_initial", "d"), ("energy_max", "d"), ("cpu_cost", "d"), ("rent", "d"),
    ("harvest_multiplier", "d"), ("harvest_yield", "q"), ("task_reward", "q"),
    ("task_bonus", "q"), ("child_energy", "q"), ("boost_duration", "q"),
    ("env_length", "q"), ("regen_interval", "q"), ("regen_amount", "q"),
    ("max_resource", "q"), ("decay_interval", "q"), ("decay_factor", "d"),
    ("storage_slots", "q"), ("gradients", "q"), ("gradient_type", "q"),
    ("gradient_amplitude", "d"), ("hotspot_count", "q"), ("hotspot_size", "q"),
    ("gradient_period", "q"),
    ("age_multiplier", "d"), ("error_multiplier", "d"), ("sweep_interval", "q"),
    ("min_population_for_reap", "q"), ("memory_reap_threshold", "d"), ("reap_chance", "d"),
    ("repro_timeout", "q"), ("protect_current", "q"), ("repopulation_threshold", "q"),
    ("repopulation_stop", "q"), ("repopulation_batch", "q"), ("stagnation_interval", "q"),
    ("stagnation_count", "q"), ("seed_bank_size", "q"),
    # since snapshot format 3 (Tierra 6.02's semantics, docs/fidelity.md)
    ("mal_replaces", "q"), ("write_free", "q"), ("relabel", "q"),
    ("slice_fixed", "d"), ("slice_random", "d"),
    # since snapshot format 4 (Tierra's mutation rates per generation; the ecology's merit
    # rule and mutation reach, docs/ecology.md)
    ("gen_copy", "d"), ("gen_background", "d"), ("gen_flaw", "d"),
    ("merit", "q"), ("substitute", "q"), ("age_limit", "q"),
    # since snapshot format 5 (the ecology's EXECUTE_OWN_CODE, docs/ecology.md)
    ("own_code", "q"),
    # since snapshot format 6 (the ecology's COPY_ADVANCES, docs/ecology.md)
    ("copy_advance", "q"),
)
# The fields each snapshot format added, with the value that reproduces how a world behaved
# before it: {format: ((name, value), ...)}.
ADDED_FIELDS: Final[dict[int, tuple[tuple[str, float], ...]]] = {
    3: (("mal_replaces", 0), ("write_free", 0), ("relabel", 0), ("slice_fixed", 1.0),
        ("slice_random", 0.0)),
    4: (("gen_copy", 0.0), ("gen_background", 0.0), ("gen_flaw", 0.0), ("merit", 0),
        ("substitute", 0), ("age_limit", 0)),
    5: (("own_code", 0),),
    6: (("copy_advance", 0),),
}
# Fields a snapshot of an older format lacks (those every later format added), with those
# values: {format: ((name, value), ...)} for each format before the current one.
LEGACY_FIELDS: Final[dict[int, tuple[tuple[str, float], ...]]] = {
    old: tuple(field for new in sorted(ADDED_FIELDS) if new > old for field in ADDED_FIELDS[new])
    for old in range(2, max(ADDED_FIELDS))
}
MAL_NEAR: Final = 0  # first fit at or after the mother's address (wrapping)
MAL_RANDOM: Final = 1  # first fit at or after a random address
MAL_BETTER: Final = 2  # the smallest free block that fits, anywhere (Tierra 6.02's MalMode 1)
PARAM_NAMES: Final = frozenset(name for name, _ in PARAM_FIELDS)
_PARAMS: Final = struct.Struct("<" + "".join(code for _, code in PARAM_FIELDS))


@final
class Params:
    """Every parameter of a world; ``ecology == 0`` (classic) ignores the ecology fields.

    Each field has a class default (``__init__`` sets them all from ``fields``) so that mypyc
    knows it is always defined and emits no "is it defined?" check where the core reads it.
    """

    soup_size: i64 = 0
    slicer_power: float = 0.0
    base_slice: i64 = 0
    max_slice: i64 = 0
    copy_rate: float = 0.0
    background_interval: i64 = 0
    indel_rate: float = 0.0
    indel_insertion_bias: float = 0.0
    max_mal_mult: i64 = 0
    search_mult: i64 = 0
    flaw_rate: float = 0.0
    max_occupancy: float = 0.0
    error_move_up: i64 = 0
    success_move_down: i64 = 0
    reap_top_fraction: float = 0.0
    opcode_bits: i64 = 0
    ecology: i64 = 0
    mal_mode: i64 = 0  # MAL_NEAR, MAL_RANDOM or MAL_BETTER
    energy_initial: float = 0.0
    energy_max: float = 0.0
    cpu_cost: float = 0.0
    rent: float = 0.0
    harvest_multiplier: float = 0.0
    harvest_yield: i64 = 0
    task_reward: i64 = 0
    task_bonus: i64 = 0
    child_energy: i64 = 0
    boost_duration: i64 = 0
    env_length: i64 = 0
    regen_interval: i64 = 0
    regen_amount: i64 = 0
    max_resource: i64 = 0
    decay_interval: i64 = 0
    decay_factor: float = 0.0
    storage_slots: i64 = 0
    gradients: i64 = 0
    gradient_type: i64 = 0
    gradient_amplitude: float = 0.0
    hotspot_count: i64 = 0
    hotspot_size: i64 = 0
    gradient_period: i64 = 0
    age_multiplier: float = 0.0
    error_multiplier: float = 0.0
    sweep_interval: i64 = 0
    min_population_for_reap: i64 = 0
    memory_reap_threshold: float = 0.0
    reap_chance: float = 0.0
    repro_timeout: i64 = 0
    protect_current: i64 = 0
    repopulation_threshold: i64 = 0
    repopulation_stop: i64 = 0
    repopulation_batch: i64 = 0
    stagnation_interval: i64 = 0
    stagnation_count: i64 = 0
    seed_bank_size: i64 = 0
    mal_replaces: i64 = 0  # a second MAL frees the daughter block it holds (Tierra)
    write_free: i64 = 0  # mov_iab may write into free memory (Tierra's MemModeFree 0)
    relabel: i64 = 0  # a cell whose genome changes in place changes genotype (Tierra)
    slice_fixed: float = 0.0  # a slice: fixed x length + a uniform draw in 0 .. random x length
    slice_random: float = 0.0
    # mutation rates per generation (Tierra's GenPerMovMut, GenPerBkgMut, GenPerFlaw; 0: the
    # fixed rate); see mutation.Mutation.adjust
    gen_copy: float = 0.0
    gen_background: float = 0.0
    gen_flaw: float = 0.0
    merit: i64 = 0  # 1: tasks pay as CPU share (the merit rule); 0: energy and a boost (the seed's)
    substitute: i64 = 0  # 1: a mutation replaces the byte with any other opcode; 0: flips a bit
    age_limit: i64 = 0  # the ecology: death after age_limit x size instructions without a DIVIDE
    own_code: i64 = 0  # the ecology: 1: a cell executes only its own body (EXECUTE_OWN_CODE)
    copy_advance: i64 = 0  # the ecology: 1: mov_iab advances ax and bx (COPY_ADVANCES)

    def __init__(self, fields: Mapping[str, float]) -> None:
        missing = [name for name, _ in PARAM_FIELDS if name not in fields]
        unknown = sorted(name for name in fields if name not in PARAM_NAMES)
        if missing or unknown:
            raise ValueError("world parameters: " + "; ".join(
                part for part in (f"missing {', '.join(missing)}" if missing else "",
                                  f"unknown {', '.join(unknown)}" if unknown else "") if part))
        for name, code in PARAM_FIELDS:
            value = fields[name]
            setattr(self, name, int(value) if code == "q" else float(value))
        if self.soup_size < MIN_SOUP:
            raise ValueError(f"soup_size must be >= {MIN_SOUP}, got {self.soup_size}")

    def fields(self) -> dict[str, float]:
        """Every field by name (what ``Params`` was, or could have been, built from)."""
        return {name: getattr(self, name) for name, _ in PARAM_FIELDS}

    def replace(self, **changes: float) -> Params:
        """A copy with some fields changed."""
        return Params({**self.fields(), **changes})

    def fits(self, version: int) -> bool:
        """Whether a snapshot of format ``version`` holds this record exactly: every field
        its format lacks has the LEGACY_FIELDS value that format stands for."""
        return all(getattr(self, name) == value
                   for name, value in LEGACY_FIELDS.get(version, ()))

    def pack(self, version: int = 0) -> bytes:
        """The fields a snapshot of format ``version`` holds, packed (by default, or for the
        current format: all of them). ValueError if that format cannot hold this record."""
        if version not in LEGACY_FIELDS:
            return _PARAMS.pack(*[getattr(self, name) for name, _ in PARAM_FIELDS])
        if not self.fits(version):
            raise ValueError(f"a snapshot of format {version} cannot hold these parameters")
        legacy = dict(LEGACY_FIELDS[version])
        return _struct_for(version).pack(*[getattr(self, name) for name, _ in PARAM_FIELDS
                                           if name not in legacy])

    @staticmethod
    def unpack(data: bytes, version: int) -> Params:
        """The Params a snapshot of format ``version`` packed (``packed_size(version)``
        bytes); fields its format lacks get their LEGACY_FIELDS value."""
        legacy = dict(LEGACY_FIELDS.get(version, ()))
        fields_of = [(name, code) for name, code in PARAM_FIELDS if name not in legacy]
        values = _struct_for(version).unpack(data)
        fields: dict[str, float] = {
            name: value for (name, _), value in zip(fields_of, values, strict=True)}
        fields.update(legacy)
        if int(fields["soup_size"]) < MIN_SOUP:
            raise SnapshotError(f"snapshot has soup_size {fields['soup_size']}")
        return Params(fields)


def _struct_for(version: int) -> struct.Struct:
    legacy = dict(LEGACY_FIELDS.get(version, ()))
    return struct.Struct("<" + "".join(code for name, code in PARAM_FIELDS
                                       if name not in legacy))


def packed_size(version: int) -> int:
    """Bytes of packed Params in a snapshot of format ``version``."""
    return _struct_for(version).size


