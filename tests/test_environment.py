"""core/environment.py (Environment): regeneration and its gradients, decay, the schedule."""

from __future__ import annotations

import math

import pytest

from bytebiota.core.arith import UNIT
from bytebiota.core.environment import Environment, isin_permille, profile_permille
from bytebiota.core.params import GRADIENT_HOTSPOT, GRADIENT_LINEAR, GRADIENT_SINE
from bytebiota.simulation import default_params


def env_params(**changes: float) -> Environment:
    return Environment(default_params("ecology", env_length=64).replace(**changes))


def test_the_classic_regime_has_a_field_of_one_empty_cell_and_no_events() -> None:
    env = Environment(default_params("classic"))
    assert env.env_len == 1 and list(env.resource) == [0] and env.next_event == -1


def test_the_field_starts_full_and_events_are_scheduled_at_their_intervals() -> None:
    env = env_params(regen_interval=300, decay_interval=200, sweep_interval=0,
                     stagnation_interval=500)
    assert set(env.resource) == {env.r_max}
    assert (env.next_regen, env.next_decay, env.next_sweep, env.next_stagnation) == (
        300, 200, -1, 500)
    assert env.next_event == 200
    env.next_decay = 900
    env.schedule()
    assert env.next_event == 300


def test_regeneration_adds_the_profile_and_stops_at_the_maximum() -> None:
    env = env_params(gradients=0, regen_amount=3, max_resource=10)
    for e in range(env.env_len):
        env.resource[e] = 0
    env.regenerate(0)
    assert set(env.resource) == {3 * UNIT}
    for _ in range(5):
        env.regenerate(0)
    assert set(env.resource) == {10 * UNIT}


def test_the_gradient_moves_one_field_cell_per_period() -> None:
    env = env_params(gradient_type=GRADIENT_LINEAR, gradient_period=100, max_resource=1000)
    before = list(env.regen)
    for e in range(env.env_len):
        env.resource[e] = 0
    env.regenerate(100)  # moved by one cell
    assert list(env.resource) == [before[(e - 1) % env.env_len] for e in range(env.env_len)]


@pytest.mark.parametrize("kind", [GRADIENT_SINE, GRADIENT_LINEAR, GRADIENT_HOTSPOT])
def test_profiles_vary_around_the_mean_within_the_amplitude(kind: int) -> None:
    p = default_params("ecology", gradient_type=kind, gradient_amplitude=0.6)
    values = [profile_permille(p, x, 64, 600) for x in range(64)]
    assert min(values) >= 400 and max(values) <= 1600 and min(values) < max(values)


def test_the_integer_sine_is_within_three_per_mille() -> None:
    # Bhaskara's approximation is within 1.7 per mille; floor division adds up to 1
    for x in range(0, 1000, 7):
        assert abs(int(isin_permille(x, 1000)) - 1000 * math.sin(2 * math.pi * x / 1000)) < 3


def test_signals_decay_by_the_factor() -> None:
    env = env_params(decay_factor=0.5)
    env.signal[3] = 1000
    env.signal[4] = -7
    env.decay()
    assert (env.signal[3], env.signal[4]) == (500, -4)  # floor division, both cores
