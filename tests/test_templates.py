"""Template search (core/templates.py) against a byte-by-byte reference: random soups full of
nops (so that templates and complements abound), every mode, limits small and large, templates
that wrap around the soup's end, in whichever core this run uses."""

from __future__ import annotations

import random

import pytest
from librt.vecs import vec
from mypy_extensions import u8

from bytebiota.core.isa import MAX_TEMPLATE
from bytebiota.core.templates import SEARCH_BACK, SEARCH_BOTH, SEARCH_FWD, search


def reference(soup: list[int], t: int, mode: int, limit: int) -> tuple[int, int]:
    """The search as the docs state it, one byte at a time."""
    S = len(soup)
    tlen = 0
    while tlen <= MAX_TEMPLATE and soup[(t + tlen) % S] <= 1:
        tlen += 1
    if tlen == 0:
        return -1, 0
    if tlen > MAX_TEMPLATE:
        return -1, MAX_TEMPLATE
    complement = [1 - soup[(t + i) % S] for i in range(tlen)]

    def matches(a: int) -> bool:
        return all(soup[(a + i) % S] == complement[i] for i in range(tlen))

    fwd = (t + tlen) % S
    back = (t - 2) % S
    for k in range(max(limit, 0)):
        if mode != SEARCH_BACK and matches((fwd + k) % S):
            return (fwd + k) % S, tlen
        if mode != SEARCH_FWD and matches((back - k) % S):
            return (back - k) % S, tlen
    return -1, tlen


@pytest.mark.parametrize("seed", range(40))
def test_search_agrees_with_the_byte_by_byte_reference(seed: int) -> None:
    rng = random.Random(seed)
    S = rng.choice([256, 300, 1000])
    nop_share = rng.choice([0.5, 0.8, 0.95])
    soup = [rng.randrange(2) if rng.random() < nop_share else rng.randrange(2, 32)
            for _ in range(S)]
    packed = vec[u8](bytes(soup))
    for _ in range(60):
        t = rng.choice([rng.randrange(S), S - 1, S - 2, S - 3, 0, 1])
        mode = rng.choice([SEARCH_BOTH, SEARCH_BACK, SEARCH_FWD])
        limit = rng.choice([0, 1, 2, 5, 40, S, 3 * S])
        assert search(packed, S, t, mode, limit) == reference(soup, t, mode, limit), (
            seed, t, mode, limit)
