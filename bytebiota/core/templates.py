"""Template addressing: find the complement of a template of nops in the soup.

Owns one pure function, ``search``: no state, no World. It is called per event from the VM
(``jmp``, ``jmpb``, ``call``, ``adr``, ``adrb``, ``adrf``: once per turn of the ancestor's
copy loop, a tenth of its instructions), so it works on a packed window: ``tlen`` bytes of
6 bits each slide through one 64-bit integer, and a candidate is one integer compare.

Invariants: a template is 1 to MAX_TEMPLATE nops (``nop_0`` = 0, ``nop_1`` = 1); the search
visits at most ``limit`` candidates in each direction; every mask is built by shifting a
64-bit variable (a literal shifted by a variable is a 32-bit C shift under mypyc: see
tests/test_exactness.py).
"""

from __future__ import annotations

from typing import Final

from librt.vecs import vec
from mypy_extensions import i64, u8

from bytebiota.core.isa import MAX_TEMPLATE, SEARCH_BITS

SEARCH_BOTH: Final = 0
SEARCH_BACK: Final = 1
SEARCH_FWD: Final = 2
SEARCH_ONES: Final = 63  # one byte's bits in a packed search window (SEARCH_BITS ones)
SEARCH_LOWS: Final = 0x41041041041041  # the lowest bit of each of MAX_TEMPLATE bytes


def search(soup: vec[u8], S: i64, t: i64, mode: i64, limit: i64) -> tuple[i64, i64]:
    """Find the complement of the template starting at ``t``.

    Returns (address of the match or -1, template length). Forward candidates start just
    past the template, backward ones just before the instruction; a two-way search tries
    forward then backward at each distance, up to ``limit`` in each direction. ``soup`` is
    read only; ``S`` is its length.
    """
    # The template's bytes are read once: its length, its complement (``target``) and the
    # window mask are built in the same loop. Every loop counts with an ``i64`` (a ``for _ in
    # range(n)`` makes mypyc box the loop variable as a Python int at every turn).
    tlen: i64 = 0
    q = t
    target: i64 = 0
    mask: i64 = 0
    while True:
        x = i64(soup[q])
        if x > 1:
            break
        if tlen == MAX_TEMPLATE:
            return i64(-1), i64(MAX_TEMPLATE)  # one nop too many: not a template
        target = (target << SEARCH_BITS) | (1 - x)
        mask = (mask << SEARCH_BITS) | SEARCH_ONES
        tlen += 1
        q += 1
        if q == S:
            q = 0
    if tlen == 0:
        return i64(-1), i64(0)
    # Windows of tlen bytes packed 6 bits apiece (at most 60 bits): sliding a window one
    # byte costs a shift and an or, and a candidate is one integer compare.
    top = SEARCH_BITS * (tlen - 1)
    # The first forward window, [q, q + tlen), starts with x, the byte that ended the
    # template.
    fw = x
    fend = q + 1
    if fend == S:
        fend = 0
    i: i64 = 1
    while i < tlen:
        fw = (fw << SEARCH_BITS) | i64(soup[fend])
        fend += 1
        if fend == S:
            fend = 0
        i += 1
    # The first backward window, [t - 2, t - 2 + tlen), is the two bytes before the template
    # (the one before the instruction, and the instruction) and the template's first tlen - 2
    # bytes, which are known: a nop's byte is 1 - its complement's, and the complement of
    # each is one bit of ``target``.
    back = t - 2
    if back < 0:
        back += S
    bw = i64(soup[back])
    if tlen >= 2:
        b = back + 1
        if b == S:
            b = 0
        raw = target ^ (mask & SEARCH_LOWS)  # the template's own bytes, packed
        bw = (bw << top) | (i64(soup[b]) << (top - SEARCH_BITS)) | (raw >> (2 * SEARCH_BITS))
    # The forward candidate starts tlen bytes before ``fend`` (it is worked out on a match
    # only); the backward one starts at ``back``. The loops run in stretches in which
    # neither address wraps around the soup's end, and take a wrapping step between them.
    k: i64 = 0
    if mode == SEARCH_BOTH:
        while k < limit:
            stop = limit
            if k + (S - 1 - fend) < stop:
                stop = k + (S - 1 - fend)
            if k + back < stop:
                stop = k + back
            while k < stop:
                if fw == target:
                    return start_of(fend, tlen, S), tlen
                if bw == target:
                    return back, tlen
                fw = ((fw << SEARCH_BITS) | i64(soup[fend])) & mask
                fend += 1
                back -= 1
                bw = (bw >> SEARCH_BITS) | (i64(soup[back]) << top)
                k += 1
            if k < limit:  # a step that wraps (or the last one before the limit)
                if fw == target:
                    return start_of(fend, tlen, S), tlen
                if bw == target:
                    return back, tlen
                fw = ((fw << SEARCH_BITS) | i64(soup[fend])) & mask
                fend += 1
                if fend == S:
                    fend = 0
                back -= 1
                if back < 0:
                    back = S - 1
                bw = (bw >> SEARCH_BITS) | (i64(soup[back]) << top)
                k += 1
    elif mode == SEARCH_BACK:
        while k < limit:
            stop = limit
            if k + back < stop:
                stop = k + back
            while k < stop:
                if bw == target:
                    return back, tlen
                back -= 1
                bw = (bw >> SEARCH_BITS) | (i64(soup[back]) << top)
                k += 1
            if k < limit:
                if bw == target:
                    return back, tlen
                back -= 1
                if back < 0:
                    back = S - 1
                bw = (bw >> SEARCH_BITS) | (i64(soup[back]) << top)
                k += 1
    else:
        while k < limit:
            stop = limit
            if k + (S - 1 - fend) < stop:
                stop = k + (S - 1 - fend)
            while k < stop:
                if fw == target:
                    return start_of(fend, tlen, S), tlen
                fw = ((fw << SEARCH_BITS) | i64(soup[fend])) & mask
                fend += 1
                k += 1
            if k < limit:
                if fw == target:
                    return start_of(fend, tlen, S), tlen
                fw = ((fw << SEARCH_BITS) | i64(soup[fend])) & mask
                fend += 1
                if fend == S:
                    fend = 0
                k += 1
    return i64(-1), tlen


def start_of(end: i64, tlen: i64, S: i64) -> i64:
    """The address ``tlen`` bytes before ``end`` in a soup of ``S`` bytes (circular)."""
    a = end - tlen
    if a < 0:
        a += S
    return a
