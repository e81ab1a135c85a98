"""Snapshots: a world's whole state as bytes, its digest, and the world back from them.

Owns the snapshot format (version 6, little-endian; versions 2 to 5 are read too, and 3, 4
or 5 is written when it holds the world: ``version_for``): magic, version, the packed Params, the
RNG state, the counters, the ecology's counters, the mutation means in force (formats 4 to
6: copy, flaw, background; rates per generation move them), the soup, the per-slot vectors in
the order of ``cells.SLOT_FIELDS`` (the register block by column), the other vectors, the
genebank, the seed bank; then a
SHA-256 of all that. ``digest`` is the SHA-256 of the same body:
equal digests mean equal worlds.

Invariants: ``restore(snapshot(w))`` continues exactly as ``w`` would (tests/test_golden.py,
tests/test_exactness.py); derived data (ownership map, free list, allocation, search limit,
event schedule) is left out and rebuilt; any damage raises SnapshotError, never another
exception.
"""

from __future__ import annotations

import hashlib
import struct
import sys
from typing import TYPE_CHECKING, Final

from librt.vecs import vec
from mypy_extensions import i64, u8

from bytebiota.core.cells import SLOT_FIELDS
from bytebiota.core.genebank import Genebank
from bytebiota.core.params import LEGACY_FIELDS, Params, SnapshotError, packed_size

if TYPE_CHECKING:  # annotations only: world.py imports this module
    from bytebiota.core.world import World

SNAPSHOT_MAGIC: Final = b"BBWORLD"
SNAPSHOT_VERSION: Final = 6
# Formats ``restore`` reads: the current one, and older ones whose parameters it can complete
# (params.LEGACY_FIELDS; 2: before Tierra's MAL and write semantics were variables; 3: before
# mutation rates per generation and the ecology's merit rule and mutation reach; 4: before
# EXECUTE_OWN_CODE; 5: before COPY_ADVANCES).
READABLE_VERSIONS: Final = (*sorted(LEGACY_FIELDS), SNAPSHOT_VERSION)
LITTLE_ENDIAN: Final = sys.byteorder == "little"


# The formats ``body`` writes, oldest first. A world whose parameters format 3 holds (the
# fields format 4 added at the values format 3 stands for, params.LEGACY_FIELDS[3]: fixed
# mutation rates, the boost rule, bit flips, no AGE_LIMIT) is written as format 3, byte for
# byte what the core wrote then, digest included (tests/test_golden.py: the ecology's); a
# world with rates per generation (the classic regime's) or issue 19's first opt-in
# mechanisms is written as format 4, format 5 (which adds EXECUTE_OWN_CODE) only when that
# is on, and format 6 (which adds COPY_ADVANCES) only when that is.
WRITTEN_VERSIONS: Final = (3, 4, 5, SNAPSHOT_VERSION)


def version_for(p: Params) -> int:
    """The format a snapshot of a world with these parameters is written in: the oldest
    of WRITTEN_VERSIONS that holds them exactly."""
    for version in WRITTEN_VERSIONS:
        if p.fits(version):
            return version
    return SNAPSHOT_VERSION


def header(p: Params) -> bytes:
    """What every snapshot of a world with these parameters starts with: magic, format and
    the packed parameters (the server compares it before restoring one)."""
    version = version_for(p)
    return SNAPSHOT_MAGIC + struct.pack("<H", version) + p.pack(version)


def body(w: World) -> bytes:
    """The snapshot without its checksum (what ``digest`` hashes)."""
    cells = w.cells
    mut = w.mut
    ledger = w.ledger
    env = w.env
    out: list[bytes] = [header(w.p)]
    out.append(struct.pack("<4I", *w.rng.getstate()))
    out.append(_pack_ints([
        cells.nslots, w.population, w.slicer.cur, w.slicer.slice_left, w.reaper.top,
        w.reaper.bottom, w.steps, w.slices, w.births, w.deaths, mut.background_flips,
        mut.copy_flips, mut.flaws, mut.insertions, mut.deletions, mut.bg_cd, mut.copy_cd,
        mut.flaw_cd,
    ]))
    out.append(_pack_ints([
        ledger.endowed, ledger.harvested, ledger.rewarded, ledger.spent_cpu,
        ledger.spent_rent, ledger.spilled, ledger.lost, ledger.starved, w.reaped, w.spawned,
        env.next_regen, env.next_decay, env.next_sweep, env.next_stagnation,
        w.births_at_check, w.repopulating,
    ]))
    if version_for(w.p) >= 4:  # (with fixed rates the means are the parameters')
        out.append(_pack_ints([mut.copy_mean, mut.flaw_mean, mut.background_interval]))
    out.append(bytes(w.mem.soup))
    for name, _ in SLOT_FIELDS:
        out.append(_pack_vec(cells.vector(name)))
    for v in (cells.stack, cells.free_slots, cells.inputs, cells.inbuf, env.resource,
              env.signal, env.storage, w.tasks.events, w.bank.scores):
        out.append(_pack_vec(v))
    out.append(_pack_genebank(w.genebank))
    out.append(_pack_ints([i64(len(g)) for g in w.bank.genomes]))
    out.append(b"".join(w.bank.genomes))
    out.append(_pack_strings(w.bank.names))
    return b"".join(out)


def snapshot(w: World) -> bytes:
    """Everything, RNG included, with a format version and a SHA-256 checksum."""
    data = body(w)
    return data + hashlib.sha256(data).digest()


def digest(w: World) -> str:
    """SHA-256 (hex) of the full state: equal digests mean equal worlds."""
    return hashlib.sha256(body(w)).hexdigest()


def _pack_genebank(bank: Genebank) -> bytes:
    out: list[bytes] = [struct.pack("<qq", bank.living, bank.created)]
    out.append(_pack_strings(bank.names))
    out.append(_pack_strings(bank.parents))
    out.append(_pack_strings(bank.lineage))
    out.append(_pack_ints([i64(len(g)) for g in bank.genomes]))
    out.append(b"".join(bank.genomes))
    for v in (bank.origin, bank.alive, bank.born, bank.max_alive, bank.permanent):
        out.append(_pack_vec(v))
    out.append(_pack_ints(bank.free_ids))
    counters = sorted(bank.counters.items())
    out.append(_pack_ints([x for pair in counters for x in pair]))
    return b"".join(out)


def _pack_ints(values: list[i64]) -> bytes:
    return struct.pack(f"<I{len(values)}q", len(values), *values)


def _pack_vec(values: vec[i64]) -> bytes:
    """Length, then the values as little-endian int64 (a buffer copy on little-endian hosts)."""
    if LITTLE_ENDIAN:
        return struct.pack("<I", len(values)) + bytes(values)
    return _pack_ints(list(values))


def _pack_strings(texts: list[str]) -> bytes:
    data = "\n".join(texts).encode()
    return struct.pack("<II", len(texts), len(data)) + data


class _Reader:
    data: bytes
    pos: int

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise SnapshotError("snapshot is truncated")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def ints(self) -> list[int]:
        (n,) = struct.unpack("<I", self.take(4))
        return list(struct.unpack(f"<{n}q", self.take(8 * n)))

    def vector(self) -> vec[i64]:
        (n,) = struct.unpack("<I", self.take(4))
        raw = self.take(8 * n)
        if LITTLE_ENDIAN:
            return vec[i64](memoryview(raw).cast("q"))
        return vec[i64](struct.unpack(f"<{n}q", raw))

    def blobs(self) -> list[bytes]:
        """A table of byte strings: their lengths, then their bytes end to end."""
        lengths = self.ints()
        blob = self.take(sum(lengths))
        out: list[bytes] = []
        pos = 0
        for n in lengths:
            if n < 0:
                raise SnapshotError("snapshot is inconsistent: negative length")
            out.append(blob[pos : pos + n])
            pos += n
        return out

    def strings(self) -> list[str]:
        count, size = struct.unpack("<II", self.take(8))
        if count == 0:
            self.take(size)
            return []
        texts = self.take(size).decode().split("\n")
        if len(texts) != count:
            raise SnapshotError("snapshot is inconsistent: string table")
        return texts


def restore(data: bytes) -> World:
    """The world a ``snapshot()`` was taken of. Raises SnapshotError on any damage."""
    if len(data) < len(SNAPSHOT_MAGIC) + 2 + 32:
        raise SnapshotError("snapshot is truncated")
    body, checksum = data[:-32], data[-32:]
    if not body.startswith(SNAPSHOT_MAGIC):
        raise SnapshotError("not a ByteBiota world snapshot")
    if hashlib.sha256(body).digest() != checksum:
        raise SnapshotError("snapshot checksum mismatch (corrupted or truncated)")
    r = _Reader(body)
    r.take(len(SNAPSHOT_MAGIC))
    (version,) = struct.unpack("<H", r.take(2))
    if version not in READABLE_VERSIONS:
        raise SnapshotError(f"snapshot format {version} is not one of "
                            f"{', '.join(map(str, READABLE_VERSIONS))}")
    try:
        return _restore_body(r, version)
    except (struct.error, IndexError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, SnapshotError):
            raise
        raise SnapshotError(f"snapshot is inconsistent: {exc}") from None


def _restore_body(r: _Reader, version: int) -> World:
    from bytebiota.core.world import World

    params = Params.unpack(r.take(packed_size(version)), version)
    # Bound every allocation World() makes by what the snapshot holds (it stores the soup
    # and each environment array in full): a header claiming a soup of 2**31 bytes in a
    # snapshot of a few kilobytes is refused before anything is allocated.
    held = len(r.data) - r.pos
    eco = params.ecology != 0
    claimed = params.soup_size + 8 * (2 * (params.env_length if eco else 1)
                                      + max(1, params.storage_slots))
    if params.soup_size <= 0 or params.env_length < 0 or params.storage_slots < 0 or \
            claimed > held:
        raise SnapshotError(f"snapshot is inconsistent: it claims a soup of "
                            f"{params.soup_size:,} bytes and environment arrays that need "
                            f"{claimed:,} bytes, but holds {held:,}")
    state = struct.unpack("<4I", r.take(16))
    w = World(params, 0)
    w.rng.setstate(tuple(state))
    cells = w.cells
    mut = w.mut
    ledger = w.ledger
    env = w.env
    (cells.nslots, w.population, w.slicer.cur, w.slicer.slice_left, w.reaper.top,
     w.reaper.bottom, w.steps, w.slices, w.births, w.deaths, mut.background_flips,
     mut.copy_flips, mut.flaws, mut.insertions, mut.deletions, mut.bg_cd, mut.copy_cd,
     mut.flaw_cd) = r.ints()
    (ledger.endowed, ledger.harvested, ledger.rewarded, ledger.spent_cpu, ledger.spent_rent,
     ledger.spilled, ledger.lost, ledger.starved, w.reaped, w.spawned, env.next_regen,
     env.next_decay, env.next_sweep, env.next_stagnation, w.births_at_check,
     w.repopulating) = r.ints()
    if version >= 4:  # format 3 and before: the means are the parameters' (set by World())
        mut.copy_mean, mut.flaw_mean, mut.background_interval = r.ints()
    env.schedule()
    w.mem.soup = vec[u8](r.take(w.mem.size))
    vectors = {name: r.vector() for name, _ in SLOT_FIELDS}
    (vectors["stack"], cells.free_slots, vectors["inputs"], vectors["inbuf"], env.resource,
     env.signal, env.storage, w.tasks.events, w.bank.scores) = [r.vector() for _ in range(9)]
    try:
        cells.set_vectors(vectors)
    except ValueError as exc:
        raise SnapshotError(f"snapshot is inconsistent: {exc}") from None
    if len(env.resource) != env.env_len or len(env.storage) != max(1, params.storage_slots):
        raise SnapshotError("snapshot is inconsistent: environment arrays")
    _restore_genebank(w.genebank, r)
    w.bank.genomes = r.blobs()
    w.bank.names = r.strings()
    if (len(w.bank.names) != len(w.bank.genomes)
            or len(w.bank.scores) != len(w.bank.genomes)):
        raise SnapshotError("snapshot is inconsistent: seed bank")
    w.rebuild_derived()
    return w


def _restore_genebank(bank: Genebank, r: _Reader) -> None:
    living, created = struct.unpack("<qq", r.take(16))
    bank.names = r.strings()
    bank.parents = r.strings()
    bank.lineage = r.strings()
    bank.genomes = r.blobs()
    bank.origin = r.vector()
    bank.alive = r.vector()
    bank.born = r.vector()
    bank.max_alive = r.vector()
    bank.permanent = r.vector()
    count = len(bank.genomes)
    if not (len(bank.names) == len(bank.parents) == len(bank.lineage) == count
            == len(bank.origin)
            == len(bank.alive) == len(bank.permanent)):
        raise SnapshotError("snapshot is inconsistent: genebank tables differ in length")
    for gid in range(count):
        genome = bank.genomes[gid]
        if genome or bank.alive[gid] > 0 or bank.permanent[gid] != 0:
            bank.by_genome[genome] = gid
    bank.living = living
    bank.created = created
    bank.free_ids = [i64(x) for x in r.ints()]
    flat = r.ints()
    bank.counters = {i64(flat[k]): i64(flat[k + 1]) for k in range(0, len(flat), 2)}
