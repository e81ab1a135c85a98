"""The server's background classification of the islands' newly permanent genotypes.

`run` classifies its world's genotypes as they become permanent (bytebiota/ecotype.py
``Background``); an experiment's worlds live on the workers, so the server finds them in the
island snapshots it restores before committing (server/inspection.py): every permanent
genotype of a committed snapshot not offered before is queued as ``ISLAND/NAME`` (the name
the experiment's top-genotypes tables use). At each stats event the server classifies what
the budget allows (ECOTYPE_SHARE of the experiment's instructions, counted in instructions
as in `run`; at most ``PER_TURN`` genotypes a turn), each classification in a thread so the
loop goes on serving, and journals an ``ecotype`` event for each. The queue, the budget
spent and the verdicts go into the server's checkpoint; verdicts journaled after it are read
back from the journal's tail at a restart, so no genotype is classified twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from bytebiota.config import Config
from bytebiota.culture import Cancelled
from bytebiota.ecotype import Background

PER_TURN = 8  # classifications per turn (a turn's cultures hold the GIL ~0.1 s at most each)


class Classifier:
    def __init__(self, config: Config, state: dict[str, Any] | None = None) -> None:
        share = config.logging.ecotype_share if config.global_.regime == "classic" else 0.0
        state = state or {}
        self.background = Background(config, share, state.get("background"))
        self.kinds: dict[str, str] = {str(k): str(v) for k, v in state.get("kinds", {}).items()}
        self.offered: set[str] = {str(name) for name in state.get("offered", [])}
        self.busy = False

    @property
    def enabled(self) -> bool:
        return self.background.share > 0

    def offer(self, island: int, permanent: Iterable[tuple[str, bytes]]) -> int:
        """Queue the genotypes of a committed snapshot not seen before; how many were new."""
        if not self.enabled:
            return 0
        new = 0
        for name, genome in permanent:
            key = f"{island}/{name}"
            if key not in self.offered:
                self.offered.add(key)
                self.background.offer(key, genome)
                new += 1
        return new

    def seen(self, event: dict[str, Any]) -> None:
        """An ``ecotype`` event journaled after the checkpoint this server resumed from."""
        name = str(event.get("name", ""))
        self.offered.add(name)
        self.kinds[name] = str(event.get("kind", ""))
        self.background.pending = [(n, g) for n, g in self.background.pending if n != name]
        self.background.spent += int(event.get("instructions", 0))

    async def turn(self, steps: int, cells: dict[str, int], write: Callable[..., None],
                   stopping: Callable[[], bool] = lambda: False) -> int:
        """Classify what the budget allows after ``steps`` instructions of the experiment
        (``cells``: the living cells of the most abundant genotypes, for the order); each
        verdict goes to ``write`` as an ``ecotype`` event. Returns how many were classified.
        ``stopping`` (the server's stop, asked from the classifying thread too): once true,
        the turn ends within a twentieth of the co-culture under way (or after the culture
        alone that starts a classification), and a classification it cut short goes back to
        the head of the queue (the checkpoint keeps it), writing and spending nothing."""
        if self.busy or not self.enabled:
            return 0
        self.busy = True
        done = 0
        try:
            loop = asyncio.get_running_loop()
            while (done < PER_TURN and not stopping()
                   and (job := self.background.next(steps, cells)) is not None):
                name, genome = job
                try:
                    found = await loop.run_in_executor(None, self.background.classify,
                                                       genome, stopping)
                except Cancelled:
                    self.background.pending.insert(0, job)
                    break
                self.background.spent += found.instructions
                self.kinds[name] = found.kind
                write("ecotype", step=steps, name=name, kind=found.kind,
                      evidence=found.evidence, instructions=found.instructions)
                done += 1
        finally:
            self.busy = False
        return done

    def of(self, names: Iterable[str]) -> dict[str, str]:
        """The verdicts on these genotypes (those classified)."""
        return {name: self.kinds[name] for name in names if name in self.kinds}

    def state(self) -> dict[str, Any]:
        return {"background": self.background.state(), "kinds": dict(self.kinds),
                "offered": sorted(self.offered)}
