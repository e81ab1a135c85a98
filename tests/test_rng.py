"""The seeded generator: known answers from the reference C code, and pure == compiled."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bytebiota.core
from bytebiota.core.rng import MASK32, Rng, splitmix64, threshold32
from tests.conftest import REPO

# From Blackman and Vigna's xoshiro128starstar.c and splitmix64.c, compiled with gcc -O2:
# the state (1, 2, 3, 4), and SplitMix64 from 1234567.
XOSHIRO_1234 = [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849]
SPLITMIX_1234567 = [
    6457827717110365317,
    3203168211198807973,
    9817491932198370423,
    4593380528125082431,
    16408922859458223821,
]


def test_core_module_matches_the_requested_mode() -> None:
    from bytebiota.core import rng

    requested = os.environ.get("BYTEBIOTA_CORE", "auto")
    compiled_file = not rng.__file__.endswith(".py")
    assert compiled_file == bytebiota.core.COMPILED
    if requested == "compiled":
        assert bytebiota.core.COMPILED
    if requested == "pure":
        assert not bytebiota.core.COMPILED


def test_xoshiro128starstar_reference_vector() -> None:
    rng = Rng.from_state((1, 2, 3, 4))
    assert [rng.next_u32() for _ in XOSHIRO_1234] == XOSHIRO_1234


def test_splitmix64_reference_vector() -> None:
    x = 1234567
    out = []
    for _ in SPLITMIX_1234567:
        x, z = splitmix64(x)
        out.append(z)
    assert out == SPLITMIX_1234567


def test_seeding_uses_two_splitmix_outputs() -> None:
    rng = Rng(1234567)
    a, b = SPLITMIX_1234567[0], SPLITMIX_1234567[1]
    assert rng.getstate() == (a & MASK32, a >> 32, b & MASK32, b >> 32)


def test_same_seed_same_stream_and_different_seeds_differ() -> None:
    a, b, c = Rng(42), Rng(42), Rng(43)
    sa = [a.next_u32() for _ in range(100)]
    assert sa == [b.next_u32() for _ in range(100)]
    assert sa != [c.next_u32() for _ in range(100)]


def test_state_round_trip_continues_exactly() -> None:
    rng = Rng(7)
    for _ in range(1000):
        rng.next_u32()
    saved = rng.getstate()
    expected = [rng.below(1000) for _ in range(50)]
    again = Rng.from_state(saved)
    assert [again.below(1000) for _ in range(50)] == expected


@pytest.mark.parametrize(
    "state",
    [(0, 0, 0, 0), (1, 2, 3), (1, 2, 3, 2**32), (-1, 0, 0, 1)],
)
def test_bad_states_are_refused(state: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        Rng(1).setstate(state)


def test_negative_seed_is_refused() -> None:
    with pytest.raises(ValueError):
        Rng(-1)


def test_huge_seeds_are_reduced_to_64_bits() -> None:
    assert Rng(2**64 + 5).getstate() == Rng(5).getstate()


@given(st.integers(min_value=0, max_value=2**64 - 1), st.integers(min_value=1, max_value=2**32))
def test_below_stays_in_range(seed: int, n: int) -> None:
    rng = Rng(seed)
    for _ in range(20):
        assert 0 <= rng.below(n) < n


def test_below_is_roughly_uniform() -> None:
    rng = Rng(99)
    counts = [0] * 6
    draws = 60_000
    for _ in range(draws):
        counts[rng.below(6)] += 1
    # Each face expects 10,000; 5 standard deviations (~456) is far outside chance.
    assert all(abs(c - 10_000) < 460 for c in counts), counts


def test_below_refuses_an_empty_range() -> None:
    with pytest.raises(ValueError):
        Rng(1).below(0)


def test_random_is_in_unit_interval_with_mean_one_half() -> None:
    rng = Rng(5)
    xs = [rng.random() for _ in range(20_000)]
    assert all(0.0 <= x < 1.0 for x in xs)
    assert abs(sum(xs) / len(xs) - 0.5) < 0.01


def test_chance_thresholds() -> None:
    rng = Rng(11)
    assert not any(rng.chance(threshold32(0.0)) for _ in range(1000))
    assert all(rng.chance(threshold32(1.0)) for _ in range(1000))
    hits = sum(rng.chance(threshold32(0.25)) for _ in range(40_000))
    assert abs(hits - 10_000) < 450  # 5 standard deviations
    with pytest.raises(ValueError):
        threshold32(1.5)


def _stream(seed: int) -> dict[str, list[int] | list[float]]:
    rng = Rng(seed)
    return {
        "u32": [int(rng.next_u32()) for _ in range(500)],
        "below": [int(rng.below(n)) for n in (1, 2, 3, 7, 1000, 60000, 2**31, 2**32) * 20],
        "random": [rng.random() for _ in range(100)],
    }


@pytest.mark.skipif(not bytebiota.core.COMPILED, reason="compared from the compiled run")
def test_pure_and_compiled_give_the_same_stream() -> None:
    """This process's core against the pure core in a child process."""
    script = (
        "import json, sys; from tests.test_rng import _stream; "
        "print(json.dumps({s: _stream(s) for s in (0, 1, 42, 2**63 + 9)}))"
    )
    env = dict(os.environ, BYTEBIOTA_CORE="pure")
    child = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    ours = {str(s): _stream(s) for s in (0, 1, 42, 2**63 + 9)}
    assert json.loads(child.stdout) == json.loads(json.dumps(ours))
