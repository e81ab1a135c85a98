"""The genebank: genotypes, their Tierra names, lineage and counts.

A genotype is a genome (exact bytes). Its name is its size in four digits and three or more
letters in order of appearance within that size, as Tierra names them: ``0080aaa``,
``0080aab``... The ancestor's parent is ``0666god``, as in Tierra. A genotype becomes
*permanent* (worth saving) when it holds at least ``PERMANENT_MIN`` living cells and at least
1/``PERMANENT_SHARE_DIV`` of the population (Tierra: 2 % with at least 10 adults).

Extinct genotypes that never became permanent are forgotten and their ids reused, so the bank
stays the size of the living population however long a run lasts; a genotype that reappears
after that gets a new name, as in Tierra.

Lineage: ``lineage[gid]`` is the nearest ancestor that was permanent when the genotype
appeared (``0666god`` for the first), so the permanent genotypes form a phylogeny however
many transient genotypes lay between them.

Invariants: ``by_genome`` maps exactly the remembered genotypes; ``living`` counts those with
``alive > 0``; ids in ``free_ids`` are unused.
"""

from __future__ import annotations

from typing import Final

from librt.vecs import append, vec
from mypy_extensions import i64

GOD: Final = "0666god"
PERMANENT_MIN: Final = 10
PERMANENT_SHARE_DIV: Final = 50  # 1/50 = 2 %
LETTERS: Final = "abcdefghijklmnopqrstuvwxyz"


def letters(k: i64) -> str:
    """The k-th letter code: 'aaa', 'aab', ... 'zzz', then 'aaaa', ... (never reused)."""
    width = 3
    span: i64 = 17576  # 26 ** 3
    while k >= span:
        k -= span
        width += 1
        span *= 26
    out = ""
    for _ in range(width):
        out = LETTERS[k % 26] + out
        k //= 26
    return out


def genotype_name(size: i64, k: i64) -> str:
    return f"{size:04d}{letters(k)}"


class Genebank:
    by_genome: dict[bytes, i64]
    genomes: list[bytes]
    names: list[str]
    parents: list[str]
    lineage: list[str]
    origin: vec[i64]
    alive: vec[i64]
    born: vec[i64]
    max_alive: vec[i64]
    permanent: vec[i64]
    free_ids: list[i64]
    counters: dict[i64, i64]  # size -> how many names that size has handed out
    living: i64
    created: i64

    def __init__(self) -> None:
        self.by_genome = {}
        self.genomes = []
        self.names = []
        self.parents = []
        self.lineage = []
        self.origin = vec[i64]()
        self.alive = vec[i64]()
        self.born = vec[i64]()
        self.max_alive = vec[i64]()
        self.permanent = vec[i64]()
        self.free_ids = []
        self.counters = {}
        self.living = 0
        self.created = 0

    def lookup(self, genome: bytes) -> i64:
        return self.by_genome.get(genome, -1)

    def _new(self, genome: bytes, parent: str, ancestor: str, step: i64) -> i64:
        size = i64(len(genome))
        k = self.counters.get(size, 0)
        self.counters[size] = k + 1
        name = genotype_name(size, k)
        if self.free_ids:
            gid = self.free_ids.pop()
            self.genomes[gid] = genome
            self.names[gid] = name
            self.parents[gid] = parent
            self.lineage[gid] = ancestor
            self.origin[gid] = step
            self.alive[gid] = 0
            self.born[gid] = 0
            self.max_alive[gid] = 0
            self.permanent[gid] = 0
        else:
            gid = i64(len(self.genomes))
            self.genomes.append(genome)
            self.names.append(name)
            self.parents.append(parent)
            self.lineage.append(ancestor)
            self.origin = append(self.origin, step)
            self.alive = append(self.alive, 0)
            self.born = append(self.born, 0)
            self.max_alive = append(self.max_alive, 0)
            self.permanent = append(self.permanent, 0)
        self.by_genome[genome] = gid
        self.created += 1
        return gid

    def birth(self, genome: bytes, parent_gid: i64, step: i64) -> i64:
        """Count one new cell of ``genome``; returns its genotype id (new or known)."""
        gid = self.by_genome.get(genome, -1)
        if gid < 0:
            parent = GOD
            ancestor = GOD
            if parent_gid >= 0:
                parent = self.names[parent_gid]
                ancestor = parent if self.permanent[parent_gid] != 0 else (
                    self.lineage[parent_gid])
            gid = self._new(genome, parent, ancestor, step)
        n = self.alive[gid] + 1
        self.alive[gid] = n
        if n == 1:
            self.living += 1
        self.born[gid] += 1
        if n > self.max_alive[gid]:
            self.max_alive[gid] = n
        return gid

    def becomes_permanent(self, gid: i64, population: i64) -> bool:
        """True once, when the genotype first crosses the permanence threshold."""
        if self.permanent[gid] != 0:
            return False
        n = self.alive[gid]
        if n >= PERMANENT_MIN and n * PERMANENT_SHARE_DIV >= population:
            self.permanent[gid] = 1
            return True
        return False

    def death(self, gid: i64) -> None:
        n = self.alive[gid] - 1
        self.alive[gid] = n
        if n == 0:
            self.living -= 1
            if self.permanent[gid] == 0:
                del self.by_genome[self.genomes[gid]]
                self.genomes[gid] = b""
                self.free_ids.append(gid)
