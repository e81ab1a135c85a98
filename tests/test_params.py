"""core/params.py: a world's parameters have no defaults of their own; every field comes from
the configuration table (variables.py, plus the regime's defaults in config.py)."""

from __future__ import annotations

import struct

import pytest

from bytebiota import simulation
from bytebiota.config import REGIME_DEFAULTS, isolated
from bytebiota.core.params import (
    LEGACY_FIELDS,
    MAL_BETTER,
    MAL_NEAR,
    MAL_RANDOM,
    PARAM_FIELDS,
    PARAM_NAMES,
    Params,
    SnapshotError,
    packed_size,
)
from bytebiota.core.snapshot import SNAPSHOT_MAGIC, SNAPSHOT_VERSION, header, version_for
from bytebiota.variables import BY_NAME

# Fields simulation.params derives instead of reading one variable.
DERIVED = {"ecology", "opcode_bits", "mal_mode", "gradient_type", "merit", "substitute",
           "age_limit", "own_code", "copy_advance"}
# Issue 19's configuration (docs/ecology.md): opt-in.
MERIT = ["TASK_REWARD_RULE=merit", "MUTATION_REACH=any", "AGE_LIMIT=20"]


def test_params_cannot_be_built_from_nothing() -> None:
    with pytest.raises(TypeError):
        Params()  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="missing soup_size, slicer_power"):
        Params({})


def test_an_unknown_or_missing_field_is_named() -> None:
    fields = simulation.default_params().fields()
    with pytest.raises(ValueError, match="unknown soup_sise"):
        Params({**fields, "soup_sise": 1})
    del fields["reap_chance"]
    with pytest.raises(ValueError, match=r"missing reap_chance$"):
        Params(fields)


def test_every_field_is_read_from_one_variable_or_derived() -> None:
    assert set(simulation.PARAM_VARIABLES) | DERIVED == PARAM_NAMES
    assert not set(simulation.PARAM_VARIABLES) & DERIVED
    for name in simulation.PARAM_VARIABLES.values():
        assert name in BY_NAME


@pytest.mark.parametrize("regime", sorted(REGIME_DEFAULTS))
def test_a_regimes_params_are_the_tables_defaults(regime: str) -> None:
    fields = simulation.params(isolated(named_flags={"--regime": regime})).fields()
    for field, name in simulation.PARAM_VARIABLES.items():
        expected = REGIME_DEFAULTS[regime].get(name, BY_NAME[name].default)
        assert fields[field] == expected, (field, name)
    assert fields["ecology"] == (1 if regime == "ecology" else 0)


def test_the_ecology_defaults_once_drifted_in_the_core_are_the_tables() -> None:
    p = simulation.default_params("ecology")
    assert p.rent == BY_NAME["MEMORY_RENT_PER_BYTE"].default == 0.00001
    assert p.regen_amount == BY_NAME["ENV_REGEN_AMOUNT"].default == 50
    assert p.reap_chance == BY_NAME["REAP_CHANCE"].default == 0.01


def test_issue_19s_mechanisms_are_off_by_default() -> None:
    for regime in ("ecology", "classic"):
        p = simulation.default_params(regime)
        assert (p.merit, p.substitute, p.age_limit) == (0, 0, 0)
    p = simulation.params(isolated(MERIT))
    assert (p.merit, p.substitute, p.age_limit) == (1, 1, 20)


def test_pack_then_unpack_is_the_same_record() -> None:
    p = simulation.default_params("ecology", soup_size=1234, rent=0.5)
    q = Params.unpack(p.pack(), SNAPSHOT_VERSION)
    assert q.fields() == p.fields()
    assert [name for name, _ in PARAM_FIELDS] == list(q.fields())


def test_a_packed_soup_below_the_minimum_is_a_snapshot_error() -> None:
    p = simulation.default_params()
    p.soup_size = 10
    with pytest.raises(SnapshotError, match="soup_size 10"):
        Params.unpack(p.pack(), SNAPSHOT_VERSION)


def test_an_older_formats_params_get_the_values_that_reproduce_it() -> None:
    p = simulation.default_params("classic", mal_replaces=1, write_free=1)
    legacy = dict(LEGACY_FIELDS[2])
    old = b"".join(
        struct.pack("<" + code, getattr(p, name)) for name, code in PARAM_FIELDS
        if name not in legacy)
    assert len(old) == packed_size(2) < packed_size(SNAPSHOT_VERSION)
    q = Params.unpack(old, 2)
    assert (q.mal_replaces, q.write_free) == (0, 0)
    assert {k: v for k, v in q.fields().items() if k not in legacy} == {
        k: v for k, v in p.fields().items() if k not in legacy}


def test_a_format_3_snapshots_params_keep_the_bit_flips_and_the_boost() -> None:
    p = simulation.params(isolated(MERIT))
    legacy = dict(LEGACY_FIELDS[3])
    old = b"".join(
        struct.pack("<" + code, getattr(p, name)) for name, code in PARAM_FIELDS
        if name not in legacy)
    assert len(old) == packed_size(3) == packed_size(4) - 48  # 6 fields
    assert packed_size(4) == packed_size(SNAPSHOT_VERSION) - 16  # 5: own_code, 6: copy_advance
    q = Params.unpack(old, 3)
    assert (q.merit, q.substitute, q.age_limit) == (0, 0, 0)
    assert (p.merit, p.substitute, p.age_limit) == (1, 1, 20)


@pytest.mark.parametrize("regime", sorted(REGIME_DEFAULTS))
def test_a_world_without_format_4s_mechanisms_is_written_as_format_3(regime: str) -> None:
    # byte for byte what the core wrote before format 4: the golden digests stand (the
    # classic regime's rates per generation are format 4's: without mutations it is format 3)
    p = simulation.default_params(regime, mutations=regime != "classic")
    assert p.fits(3) and version_for(p) == 3
    assert len(p.pack(3)) == packed_size(3)
    assert Params.unpack(p.pack(3), 3).fields() == p.fields()
    assert header(p) == SNAPSHOT_MAGIC + struct.pack("<H", 3) + p.pack(3)


@pytest.mark.parametrize("setting", MERIT)
def test_a_world_with_one_of_them_is_written_as_format_4(setting: str) -> None:
    p = simulation.params(isolated([setting]))
    assert not p.fits(3) and version_for(p) == 4
    with pytest.raises(ValueError, match="format 3 cannot hold"):
        p.pack(3)
    assert Params.unpack(p.pack(4), 4).fields() == p.fields()


def test_the_merit_rule_and_substitutions_are_the_ecologys_only() -> None:
    classic = simulation.params(isolated(MERIT, named_flags={"--regime": "classic"}))
    assert (classic.merit, classic.substitute, classic.age_limit) == (0, 0, 0)
    seed = simulation.params(isolated(["TASK_REWARD_RULE=boost", "MUTATION_REACH=bit"]))
    assert (seed.merit, seed.substitute) == (0, 0)


def test_mal_placement_numbers() -> None:
    assert [simulation.MAL_PLACEMENTS.index(name) for name in ("near", "random", "better")] == [
        MAL_NEAR, MAL_RANDOM, MAL_BETTER]


def test_the_classic_regimes_rates_per_generation_are_written_as_format_4() -> None:
    p = simulation.default_params("classic")
    assert p.gen_copy > 0 and not p.fits(3) and version_for(p) == 4


def test_execute_own_code_is_written_as_format_5() -> None:
    p = simulation.params(isolated(["EXECUTE_OWN_CODE=true"]))
    assert not p.fits(4) and version_for(p) == 5
    with pytest.raises(ValueError, match="format 4 cannot hold"):
        p.pack(4)
    assert Params.unpack(p.pack(5), 5).fields() == p.fields()
    assert Params.unpack(p.replace(own_code=0).pack(4), 4).own_code == 0


def test_copy_advances_is_written_as_format_6_and_older_formats_read_it_off() -> None:
    p = simulation.params(isolated(["COPY_ADVANCES=true"]))
    assert p.copy_advance == 1
    assert not p.fits(5) and version_for(p) == SNAPSHOT_VERSION == 6
    with pytest.raises(ValueError, match="format 5 cannot hold"):
        p.pack(5)
    assert Params.unpack(p.pack(6), 6).fields() == p.fields()
    assert len(p.pack(6)) == packed_size(5) + 8
    for version in (3, 4, 5):
        assert Params.unpack(p.replace(copy_advance=0).pack(version), version).copy_advance == 0
    assert simulation.default_params("ecology").copy_advance == 0
    assert simulation.params(isolated(["REGIME=classic", "COPY_ADVANCES=true"])).copy_advance == 0
