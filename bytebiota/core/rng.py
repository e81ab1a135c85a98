"""The world's seeded random number generator: xoshiro128** on four 32-bit words.

Every random draw of a simulation comes from one of these, never from ``random`` or numpy,
so that a run is fixed by its seed and its state can be saved and restored exactly.

Why this generator: its state is four 32-bit words, so every intermediate value fits in an
``i64`` with room to spare (the largest is ``s3 << 11``, below 2**43). Compiled, the arithmetic
is native and overflow-free; pure, the same expressions on Python ints give the same bits
because every result is masked to 32 bits explicitly. Seeding uses SplitMix64 (as the
xoshiro authors recommend), on Python ints masked to 64 bits: it runs once per world.

Invariants: each word is in ``0 .. 2**32 - 1``; the four are never all zero.
References: Blackman and Vigna, "Scrambled linear pseudorandom number generators" (2018);
the known-answer vectors in ``tests/test_rng.py`` come from their C code.
"""

from __future__ import annotations

from typing import Final

from mypy_extensions import i64

MASK32: Final = 0xFFFFFFFF
MASK64: Final = 0xFFFFFFFFFFFFFFFF
TWO32: Final = 0x100000000
# 2**53 as a float: random() builds a 53-bit mantissa from two draws, as CPython does.
TWO53_F: Final = 9007199254740992.0
TWO26: Final = 67108864


def splitmix64(x: int) -> tuple[int, int]:
    """One SplitMix64 step on a 64-bit state: (new state, output)."""
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return x, z ^ (z >> 31)


class Rng:
    """xoshiro128**: ``next_u32`` is the primitive; the other draws are built on it."""

    s0: i64
    s1: i64
    s2: i64
    s3: i64

    def __init__(self, seed: int) -> None:
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        x = seed & MASK64
        x, a = splitmix64(x)
        x, b = splitmix64(x)
        self.s0 = i64(a & MASK32)
        self.s1 = i64(a >> 32)
        self.s2 = i64(b & MASK32)
        self.s3 = i64(b >> 32)
        if self.s0 == 0 and self.s1 == 0 and self.s2 == 0 and self.s3 == 0:
            self.s0 = 1

    @staticmethod
    def from_state(state: tuple[int, ...]) -> Rng:
        """A generator in exactly the given state (see ``getstate``)."""
        rng = Rng(0)
        rng.setstate(state)
        return rng

    def getstate(self) -> tuple[int, int, int, int]:
        return (int(self.s0), int(self.s1), int(self.s2), int(self.s3))

    def setstate(self, state: tuple[int, ...]) -> None:
        """Restore a state from ``getstate``; anything else is refused with ValueError."""
        if len(state) != 4:
            raise ValueError(f"an Rng state is 4 words, got {len(state)}")
        for word in state:
            if word < 0 or word > MASK32:
                raise ValueError(f"an Rng state word must be in 0..{MASK32}, got {word}")
        if state[0] == 0 and state[1] == 0 and state[2] == 0 and state[3] == 0:
            raise ValueError("an Rng state of all zeros is not allowed (the generator would stick)")
        self.s0 = i64(state[0])
        self.s1 = i64(state[1])
        self.s2 = i64(state[2])
        self.s3 = i64(state[3])

    def next_u32(self) -> i64:
        """The next 32-bit output, in ``0 .. 2**32 - 1``."""
        s0 = self.s0
        s1 = self.s1
        s2 = self.s2
        s3 = self.s3
        x = (s1 * 5) & MASK32
        result = ((((x << 7) | (x >> 25)) & MASK32) * 9) & MASK32
        t = (s1 << 9) & MASK32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 11) | (s3 >> 21)) & MASK32
        self.s0 = s0
        self.s1 = s1
        self.s2 = s2
        self.s3 = s3
        return result

    def below(self, n: i64) -> i64:
        """Uniform in ``0 .. n - 1`` without modulo bias, for ``1 <= n <= 2**32``."""
        if n < 1 or n > TWO32:
            raise ValueError(f"below(n) needs 1 <= n <= 2**32, got {n}")
        # Draws below TWO32 % n are the incomplete last bucket: reject them.
        floor = TWO32 % n
        r = self.next_u32()
        while r < floor:
            r = self.next_u32()
        return r % n

    def random(self) -> float:
        """Uniform float in [0, 1) with 53 random bits."""
        a = self.next_u32() >> 5
        b = self.next_u32() >> 6
        return float(a * TWO26 + b) / TWO53_F

    def chance(self, threshold: i64) -> bool:
        """True with probability ``threshold / 2**32`` (see ``threshold32``): one draw."""
        return self.next_u32() < threshold


def threshold32(p: float) -> i64:
    """The ``chance`` threshold for probability ``p`` (0 never, 1 always).

    Rates are converted once, outside hot loops, so a per-event test is one integer compare.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"a probability must be in 0..1, got {p}")
    return i64(int(p * 4294967296.0))
