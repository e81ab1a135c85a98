"""Template addressing: find the complement of a template of nops in the soup.

Owns one pure function, ``search``: no state, no World. It is called per event from the VM
(``jmp``, ``jmpb``, ``call``, ``adr``, ``adrb``, ``adrf``: twice per turn of the ancestor's
copy loop), so it works on a packed window: ``tlen`` bytes of 6 bits each slide through one
64-bit integer, and a candidate is one integer compare.

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


def search(soup: vec[u8], S: i64, t: i64, mode: i64, limit: i64) -> tuple[i64, i64]:
    """Find the complement of the template starting at ``t``.

    Returns (address of the match or -1, template length). Forward candidates start just
    past the template, backward ones just before the instruction; a two-way search tries
    forward then backward at each distance, up to ``limit`` in each direction. ``soup`` is
    read only; ``S`` is its length.
    """
    tlen: i64 = 0
    q = t
    while tlen <= MAX_TEMPLATE:
        if soup[q] > 1:
            break
        tlen += 1
        q += 1
        if q == S:
            q = 0
    if tlen == 0:
        return -1, 0
    if tlen > MAX_TEMPLATE:
        return -1, MAX_TEMPLATE
    # Windows of tlen bytes packed 6 bits apiece (at most 60 bits): sliding a window one
    # byte costs a shift and an or, and a candidate is one integer compare.
    target: i64 = 0
    mask: i64 = 0
    b = t
    for _ in range(tlen):
        target = (target << SEARCH_BITS) | (1 - i64(soup[b]))
        mask = (mask << SEARCH_BITS) | SEARCH_ONES
        b += 1
        if b == S:
            b = 0
    top = SEARCH_BITS * (tlen - 1)
    fwd = q
    fw: i64 = 0
    fend = fwd
    for _ in range(tlen):
        fw = (fw << SEARCH_BITS) | i64(soup[fend])
        fend += 1
        if fend == S:
            fend = 0
    back = t - 2
    if back < 0:
        back += S
    bw: i64 = 0
    b = back
    for _ in range(tlen):
        bw = (bw << SEARCH_BITS) | i64(soup[b])
        b += 1
        if b == S:
            b = 0
    k: i64 = 0
    if mode == SEARCH_BOTH:
        while k < limit:
            if fw == target:
                return fwd, tlen
            if bw == target:
                return back, tlen
            fwd += 1
            if fwd == S:
                fwd = 0
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
            if bw == target:
                return back, tlen
            back -= 1
            if back < 0:
                back = S - 1
            bw = (bw >> SEARCH_BITS) | (i64(soup[back]) << top)
            k += 1
    else:
        while k < limit:
            if fw == target:
                return fwd, tlen
            fwd += 1
            if fwd == S:
                fwd = 0
            fw = ((fw << SEARCH_BITS) | i64(soup[fend])) & mask
            fend += 1
            if fend == S:
                fend = 0
            k += 1
    return -1, tlen
