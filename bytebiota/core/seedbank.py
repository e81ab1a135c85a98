"""The seed bank of the ecology regime: successful genomes kept to repopulate the soup.

Owns up to SEED_BANK_SIZE genomes with the name they had when banked and their score (the
genotype's peak abundance). A genotype is offered when it becomes permanent or is injected;
the scores are refreshed at each stagnation check; repopulation and stagnation spawns draw
from it (life.spawn).

Invariants: genomes in the bank are distinct; ``names``, ``genomes`` and ``scores`` have one
entry per banked genome; no size class holds more than a tenth of a full bank unless it wins
against the worst of its own class, so that no lineage crowds the others out.
"""

from __future__ import annotations

from typing import final

from librt.vecs import append, vec
from mypy_extensions import i64

from bytebiota.core.genebank import Genebank


@final
class SeedBank:
    capacity: i64
    genomes: list[bytes]
    names: list[str]
    scores: vec[i64]

    def __init__(self, capacity: i64) -> None:
        self.capacity = capacity
        self.genomes = []
        self.names = []
        self.scores = vec[i64]()

    def offer(self, gb: Genebank, gid: i64) -> None:
        """Keep the most successful genotypes (peak abundance), at most a tenth of the bank
        from one size class, so that no lineage crowds the others out."""
        size = self.capacity
        if size <= 0:
            return
        genome = gb.genomes[gid]
        score = gb.max_alive[gid]
        for k in range(len(self.genomes)):
            if self.genomes[k] == genome:
                if score > self.scores[k]:
                    self.scores[k] = score
                return
        if len(self.genomes) < size:
            self.genomes.append(genome)
            self.names.append(gb.names[gid])
            self.scores = append(self.scores, score)
            return
        length = len(genome)
        quota = max(1, size // 10)
        same = 0
        worst = -1
        worst_same = -1
        scores = self.scores
        for k in range(len(self.genomes)):
            if len(self.genomes[k]) == length:
                same += 1
                if worst_same < 0 or scores[k] < scores[worst_same]:
                    worst_same = k
            if worst < 0 or scores[k] < scores[worst]:
                worst = k
        victim = worst_same if same >= quota else worst
        if victim >= 0 and scores[victim] < score:
            self.genomes[victim] = genome
            self.names[victim] = gb.names[gid]
            scores[victim] = score

    def refresh(self, gb: Genebank) -> None:
        """Raise the banked genotypes' scores to their peak abundance so far."""
        for k in range(len(self.genomes)):
            gid = gb.lookup(self.genomes[k])
            if gid >= 0 and gb.max_alive[gid] > self.scores[k]:
                self.scores[k] = gb.max_alive[gid]

    def entries(self) -> list[tuple[str, i64, bytes]]:
        """(name when banked, peak abundance, genome) of each entry."""
        return [(self.names[k], self.scores[k], self.genomes[k])
                for k in range(len(self.genomes))]
