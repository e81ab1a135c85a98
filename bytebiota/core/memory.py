"""The soup and its memory map (the seed's SoupMemory).

Owns the soup (``vec[u8]``, circular: addresses wrap at ``size``), the ownership map and the
free list, and allocation: first fit at or after an address (wrapping), the smallest fit
anywhere, room at an exact address, and freeing with coalescing.

Invariants:
- ``owner[a]`` is the slot + 1 of the cell whose memory or daughter block holds address
  ``a``, 0 when ``a`` is free;
- the free blocks (``fstart``/``flen``) are sorted, disjoint and maximal (adjacent free
  blocks are merged), and cover exactly the addresses whose owner is 0 and that are not
  allocated; ``allocated`` + the free blocks' lengths == ``size``;
- the soup's length never changes, so a ``vec`` of it loaded into a local stays valid;
- writes (``mov_iab``, checked in vm.py) go only to bytes the writer owns, or also to free
  bytes when ``write_free``: other cells' memory is always protected (reading is free).
``owner``, the free list and ``allocated`` are derived data: snapshots leave them out and
``restore`` rebuilds them (``rebuild_free_list``).
"""

from __future__ import annotations

from typing import final

from librt.vecs import append, pop, vec
from mypy_extensions import i32, i64, u8


@final
class Memory:
    size: i64
    soup: vec[u8]
    owner: vec[i32]
    fstart: vec[i64]
    flen: vec[i64]
    allocated: i64
    occupancy_cap: i64  # allocation stops at this many bytes (MAX_OCCUPANCY_RATIO)
    write_free: bool  # a cell may write free bytes, not only its own (WRITE_FREE_MEMORY)

    def __init__(self, size: i64, max_occupancy: float, write_free: bool = False) -> None:
        self.size = size
        self.soup = vec[u8](bytes(size))
        self.owner = vec[i32]([0] * size)
        self.fstart = vec[i64]([0])
        self.flen = vec[i64]([size])
        self.allocated = 0
        self.occupancy_cap = i64(int(max_occupancy * float(size)))
        self.write_free = write_free

    def first_block_at_or_after(self, address: i64) -> i64:
        lo: i64 = 0
        hi = i64(len(self.fstart))
        while lo < hi:
            mid = (lo + hi) >> 1
            if self.fstart[mid] < address:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def alloc(self, size: i64, near: i64) -> i64:
        """First fit at or after ``near``, wrapping to the soup's start; -1 if nothing fits."""
        n = i64(len(self.fstart))
        if n == 0:
            return -1
        first = self.first_block_at_or_after(near)
        for k in range(n):
            i = first + k
            if i >= n:
                i -= n
            if self.flen[i] >= size:
                a = self.fstart[i]
                self._take(i, a, size)
                return a
        return -1

    def alloc_best(self, size: i64) -> i64:
        """The smallest free block that fits (the leftmost of equals), from its start; -1 if
        nothing fits. (Tierra 6.02's "better fit" descends a cartesian tree of the free
        blocks towards the better-fitting side; the smallest fit is what it approximates.)"""
        best: i64 = -1
        n = i64(len(self.fstart))
        for i in range(n):
            length = self.flen[i]
            if length >= size and (best < 0 or length < self.flen[best]):
                best = i
                if length == size:
                    break
        if best < 0:
            return -1
        a = self.fstart[best]
        self._take(best, a, size)
        return a

    def alloc_from(self, size: i64, address: i64) -> i64:
        """Room for ``size`` bytes starting at ``address`` if it is free there, else the first
        fit after it (wrapping); -1 if nothing fits."""
        i = self.first_block_at_or_after(address + 1) - 1
        if i >= 0 and self.fstart[i] + self.flen[i] >= address + size:
            self._take(i, address, size)
            return address
        return self.alloc(size, address)

    def alloc_at(self, address: i64, size: i64) -> bool:
        """Take exactly [address, address + size) if it is all free."""
        i = self.first_block_at_or_after(address + 1) - 1
        if i < 0 or i >= len(self.fstart):
            return False
        if self.fstart[i] + self.flen[i] < address + size:
            return False
        self._take(i, address, size)
        return True

    def claim(self, start: i64, size: i64, slot: i64) -> None:
        """Mark [start, start + size), already allocated, as held by ``slot``."""
        mark = i32(slot + 1)
        owner = self.owner
        for a in range(start, start + size):
            owner[a] = mark

    def free(self, start: i64, size: i64) -> None:
        """Give [start, start + size) back (the bytes stay as they are)."""
        owner = self.owner
        for a in range(start, start + size):
            owner[a] = 0
        self.allocated -= size
        i = self.first_block_at_or_after(start)
        n = i64(len(self.fstart))
        merge_prev = i > 0 and self.fstart[i - 1] + self.flen[i - 1] == start
        merge_next = i < n and start + size == self.fstart[i]
        if merge_prev and merge_next:
            self.flen[i - 1] += size + self.flen[i]
            self._remove_block(i)
        elif merge_prev:
            self.flen[i - 1] += size
        elif merge_next:
            self.fstart[i] = start
            self.flen[i] += size
        else:
            self._insert_block(i, start, size)

    def rebuild_free_list(self) -> None:
        """Derive the free list and ``allocated`` from ``owner`` (after a restore)."""
        owner = self.owner
        starts: list[i64] = []
        lengths: list[i64] = []
        allocated: i64 = 0
        a: i64 = 0
        while a < self.size:
            if owner[a] == 0:
                b = a
                while b < self.size and owner[b] == 0:
                    b += 1
                starts.append(a)
                lengths.append(b - a)
                a = b
            else:
                allocated += 1
                a += 1
        self.fstart = vec[i64](starts)
        self.flen = vec[i64](lengths)
        self.allocated = allocated

    def free_blocks(self) -> list[tuple[i64, i64]]:
        """(start, length) of each free block, in address order."""
        return [(self.fstart[i], self.flen[i]) for i in range(len(self.fstart))]

    def _take(self, i: i64, a: i64, size: i64) -> None:
        """Remove [a, a + size) from free block i, which contains it."""
        b0 = self.fstart[i]
        b1 = b0 + self.flen[i]
        if a == b0 and a + size == b1:
            self._remove_block(i)
        elif a == b0:
            self.fstart[i] = a + size
            self.flen[i] = b1 - a - size
        elif a + size == b1:
            self.flen[i] = a - b0
        else:
            self.flen[i] = a - b0
            self._insert_block(i + 1, a + size, b1 - a - size)
        self.allocated += size

    def _remove_block(self, i: i64) -> None:
        # (the vectors in locals: an attribute read per element costs a reference count)
        fstart = self.fstart
        flen = self.flen
        n = i64(len(fstart))
        k = i
        while k < n - 1:
            fstart[k] = fstart[k + 1]
            flen[k] = flen[k + 1]
            k += 1
        self.fstart, _ = pop(fstart)
        self.flen, _ = pop(flen)

    def _insert_block(self, i: i64, start: i64, length: i64) -> None:
        fstart = append(self.fstart, 0)
        flen = append(self.flen, 0)
        self.fstart = fstart
        self.flen = flen
        k = i64(len(fstart)) - 1
        while k > i:
            fstart[k] = fstart[k - 1]
            flen[k] = flen[k - 1]
            k -= 1
        fstart[i] = start
        flen[i] = length
