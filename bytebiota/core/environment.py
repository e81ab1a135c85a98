"""The environment (the seed's Environment): resources, signals, shared storage, events.

Owns the resource field (ENV_LENGTH cells of millionths, capped at ENV_MAX_RESOURCE), its
regeneration profile (flat, or a sine, linear or hotspot gradient that moves one field cell
every ENV_GRADIENT_PERIOD steps), the signal field and its decay, the shared storage, and the
times of the scheduled events (regeneration, decay, the reaper's sweep, the stagnation
check). A soup address ``a`` lies over field cell ``a x ENV_LENGTH // soup size``.

Who calls: the VM reads and writes the fields (``harvest`` is inlined there); the scheduler
cuts slices at ``next_event`` and then calls ``world._events``, which runs what is due.

Invariants: integer arithmetic only (the profile is computed once, with an integer sine), so
every machine computes the same field; 0 <= resource <= r_max; ``next_event`` is the
earliest of the four event times that is >= 0, or -1.
"""

from __future__ import annotations

from typing import final

from librt.vecs import vec
from mypy_extensions import i64

from bytebiota.core.arith import NOBODY, UNIT
from bytebiota.core.params import GRADIENT_LINEAR, GRADIENT_SINE, Params


@final
class Environment:
    env_len: i64
    resource: vec[i64]
    signal: vec[i64]
    no_signal: vec[i64]  # ENV_LENGTH zeros, never written: a field equal to it has no signal
    storage: vec[i64]
    regen: vec[i64]  # the profile at rest (millionths per tick per field cell)
    regen_nonneg: bool  # no profile value is negative (a full field cell stays full)
    r_max: i64
    r_yield: i64
    decay_permille: i64
    gradient_period: i64  # 0: the profile stands still
    regen_interval: i64
    decay_interval: i64
    sweep_interval: i64
    stagnation_interval: i64
    next_regen: i64
    next_decay: i64
    next_sweep: i64
    next_stagnation: i64
    next_event: i64

    def __init__(self, p: Params) -> None:
        eco = p.ecology != 0
        n: i64 = p.env_length if eco else 1
        self.env_len = n
        full: i64 = p.max_resource * UNIT if eco else 0
        self.resource = vec[i64]([full] * n)
        self.signal = vec[i64]([0] * n)
        self.no_signal = vec[i64]([0] * n)
        self.storage = vec[i64]([0] * max(1, p.storage_slots))
        self.regen = vec[i64]([0] * n)
        self.regen_nonneg = True
        self.r_max = p.max_resource * UNIT
        self.r_yield = p.harvest_yield * UNIT
        self.decay_permille = i64(round(p.decay_factor * 1000.0))
        self.gradient_period = p.gradient_period if p.gradients != 0 else 0
        self.regen_interval = p.regen_interval
        self.decay_interval = p.decay_interval
        self.sweep_interval = p.sweep_interval
        self.stagnation_interval = p.stagnation_interval
        self.next_regen = NOBODY
        self.next_decay = NOBODY
        self.next_sweep = NOBODY
        self.next_stagnation = NOBODY
        self.next_event = NOBODY
        if eco:
            self.next_regen = _first(p.regen_interval)
            self.next_decay = _first(p.decay_interval)
            self.next_sweep = _first(p.sweep_interval)
            self.next_stagnation = _first(p.stagnation_interval)
            amount = p.regen_amount * UNIT
            amp = i64(round(p.gradient_amplitude * 1000.0))
            for e in range(n):
                self.regen[e] = amount * profile_permille(p, e, n, amp) // 1000
                if self.regen[e] < 0:
                    self.regen_nonneg = False
            self.schedule()

    def field_cell(self, address: i64, soup_size: i64) -> i64:
        return address * self.env_len // soup_size

    def schedule(self) -> None:
        # (no tuple of the four: it would box them as Python ints at every event)
        nxt = _earlier(NOBODY, self.next_regen)
        nxt = _earlier(nxt, self.next_decay)
        nxt = _earlier(nxt, self.next_sweep)
        self.next_event = _earlier(nxt, self.next_stagnation)

    def regenerate(self, now: i64) -> None:
        """Field cell e gains the profile's value at e - shift, where the gradient has moved
        one cell every ENV_GRADIENT_PERIOD steps."""
        L = self.env_len
        shift: i64 = 0
        if self.gradient_period > 0:
            shift = (now // self.gradient_period) % L
        # field cells 0 .. shift - 1 take profile values L - shift ..., the rest 0 ...
        self._regenerate_range(0, shift, L - shift)
        self._regenerate_range(shift, L, -shift)

    def _regenerate_range(self, first: i64, end: i64, offset: i64) -> None:
        """Field cells first .. end - 1 gain the profile's values at e + offset. A full cell
        stays full when no profile value is negative: it is skipped (most cells are full
        between harvests), which saves two of its three vector accesses."""
        resource = self.resource
        regen = self.regen
        top = self.r_max
        e = first
        if self.regen_nonneg:
            while e < end:
                cur = resource[e]
                if cur != top:
                    r = cur + regen[e + offset]
                    resource[e] = r if r < top else top
                e += 1
        else:
            while e < end:
                r = resource[e] + regen[e + offset]
                resource[e] = r if r < top else top
                e += 1

    def decay(self) -> None:
        f = self.decay_permille
        signal = self.signal
        if signal == self.no_signal:
            return  # no signal anywhere (the common case): one compare in C, not a loop here
        end = self.env_len
        e: i64 = 0
        while e < end:
            v = signal[e]
            if v != 0:
                signal[e] = v * f // 1000
            e += 1


def _earlier(nxt: i64, t: i64) -> i64:
    """The earlier of two event times, where a negative one is no event."""
    if t >= 0 and (nxt < 0 or t < nxt):
        return t
    return nxt


def _first(interval: i64) -> i64:
    return interval if interval > 0 else NOBODY


def isin_permille(x: i64, length: i64) -> i64:
    """1000 sin(2 pi x / length), by Bhaskara I's rational approximation (error < 0.2 %),
    in integers so that every machine computes the same field."""
    t = 2 * x
    sign: i64 = 1
    if t >= length:
        t -= length
        sign = -1
    u = t
    v = length - t
    return sign * (16000 * u * v) // (5 * length * length - 4 * u * v)


def profile_permille(p: Params, x: i64, length: i64, amp: i64) -> i64:
    """The regeneration multiplier (per mille) at field position x of a gradient at rest."""
    if p.gradients == 0:
        return 1000
    if p.gradient_type == GRADIENT_SINE:
        return 1000 + amp * isin_permille(x, length) // 1000
    if p.gradient_type == GRADIENT_LINEAR:
        return 1000 + amp * (2 * x - length) // length
    count = p.hotspot_count
    if count <= 0:
        return 1000
    spacing = length // count if length >= count else 1
    if x % spacing < p.hotspot_size and x // spacing < count:
        return 1000 + amp
    return 1000 - amp
