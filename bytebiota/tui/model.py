"""Dashboard state, reduced from journal events (or monitor messages later). No rich here.

``State.apply(event)`` folds one event into the state; views are pure functions of it, so
they can be tested without a terminal. Histories are bounded (``HISTORY`` points), so a
state costs the same after a year as after a minute.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from bytebiota import health as diagnostics

HISTORY = 600


@dataclass
class Sample:
    step: int
    population: int
    genotypes: int
    size_classes: int
    births: int  # in the interval ending at this step
    deaths: int
    energy: float = 0.0  # mean energy of a cell (ecology)
    steps: int = 0  # the interval's length in instructions
    mutations: int = 0  # mutations of every kind in the interval

    @property
    def generation_time(self) -> float | None:
        """Mean instructions from a cell's birth to its first daughter's, over the interval:
        each of ``population`` cells begets ``births / population`` daughters in ``steps``
        instructions (Tierra measures generations the same way, in instructions)."""
        return self.population * self.steps / self.births if self.births else None


@dataclass
class State:
    seed: int | None = None
    regime: str = ""
    core: str = ""
    max_steps: int | None = None
    step: int = 0
    population: int = 0
    genotypes: int = 0
    sizes: list[tuple[int, int]] = field(default_factory=list)
    births: int = 0
    deaths: int = 0
    mutations: dict[str, int] = field(default_factory=dict)
    top: tuple[str, int] | None = None
    top_genotypes: list[tuple[str, int, int, str]] = field(default_factory=list)
    digest: str = ""
    permanent: list[dict[str, Any]] = field(default_factory=list)
    history: deque[Sample] = field(default_factory=lambda: deque(maxlen=HISTORY))
    ended: bool = False
    resumes: int = 0
    events: int = 0
    workers: list[dict[str, Any]] = field(default_factory=list)  # from a server (monitor)
    islands: list[dict[str, Any]] = field(default_factory=list)
    # the ecology regime
    tasks: dict[str, int] = field(default_factory=dict)
    energy: dict[str, float] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)
    # the seed's diagnostics, computed as the journal's `health` events are (bytebiota.health)
    monitor: diagnostics.Monitor | None = None
    health: dict[str, Any] | None = None
    last_status_stats: dict[str, Any] = field(default_factory=dict)  # the last STATUS applied
    task_events: dict[str, int] = field(default_factory=dict)  # ecology: rewarded, in all
    deaths_by: dict[str, int] = field(default_factory=dict)  # ecology: starved, reaped
    spawned: int = 0  # ecology: cells injected from the seed bank
    soup: dict[str, Any] = field(default_factory=dict)  # the folded soup map (observe.soup_map)
    soup_size: int = 0
    ecotypes: dict[str, str] = field(default_factory=dict)  # genotype: its ecological class
    soup_label: str = ""  # whose soup the map shows, when the stream has several (a server)

    def apply_status(self, status: dict[str, Any]) -> None:
        """Fold in a server's STATUS (``bytebiota monitor``)."""
        server = status.get("server", {})
        self.seed = server.get("seed", self.seed)
        self.core = str(server.get("core", self.core))
        stats = status.get("stats")
        # The monitor polls several times a second and the server's totals move only when a
        # report lands: a poll that brings the same totals is no interval (applied, it would
        # read as one with 0 births and deaths, and the next as a spike).
        if stats and stats != self.last_status_stats:
            self.last_status_stats = dict(stats)
            self.apply({"event": "stats", **stats})
        self.workers = list(status.get("workers", []))
        self.islands = list(status.get("islands", []))
        if self.monitor is None and status.get("health"):
            self.health = dict(status["health"])  # judged by the server (bytebiota.health)
        soup = status.get("soup")
        self.soup = dict(soup) if soup else {}
        self.soup_label = f"island {soup['island']}" if soup else ""

    def apply(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        self.events += 1
        if kind == "header":
            self.seed = event.get("seed")
            self.regime = str(event.get("regime", ""))
            self.core = str(event.get("core", ""))
            config = event.get("config") or {}
            max_steps = config.get("MAX_STEPS")
            self.max_steps = int(max_steps) if isinstance(max_steps, int) else None
            self.soup_size = int(config.get("SOUP_SIZE", 0))
            self.monitor = diagnostics.Monitor.of(config, self.regime)
        elif kind == "stats":
            births, deaths = int(event["births"]), int(event["deaths"])
            mutations = sum(int(v) for v in event.get("mutations", {}).values())
            self.history.append(Sample(
                step=int(event["step"]),
                population=int(event["population"]),
                genotypes=int(event["genotypes"]),
                size_classes=len(event["sizes"]),
                births=max(0, births - self.births),
                deaths=max(0, deaths - self.deaths),
                energy=float(event.get("energy", {}).get("mean", 0.0)),
                steps=max(0, int(event["step"]) - self.step) if self.history else 0,
                mutations=max(0, mutations - sum(self.mutations.values()))
                if self.history else 0,
            ))
            self.step = int(event["step"])
            self.population = int(event["population"])
            self.genotypes = int(event["genotypes"])
            self.sizes = [(int(s), int(n)) for s, n in event["sizes"]]
            self.births, self.deaths = births, deaths
            self.mutations = {str(k): int(v) for k, v in event.get("mutations", {}).items()}
            self.top_genotypes = [(str(n), int(z), int(c), str(p))
                                  for n, z, c, p in event.get("top_genotypes", [])]
            top = event.get("top")
            self.top = (str(top[0]), int(top[1])) if top else None
            self.digest = str(event.get("digest", ""))
            self.tasks = {str(k): int(v) for k, v in event.get("tasks", {}).items()}
            self.energy = dict(event.get("energy", {}))
            self.resources = dict(event.get("resources", {}))
            if "soup" in event:
                self.soup = dict(event["soup"])
            self.task_events = {str(k): int(v) for k, v in event.get("task_events", {}).items()}
            self.deaths_by = {str(k): int(v) for k, v in event.get("deaths_by", {}).items()}
            self.spawned = int(event.get("spawned", 0))
            if self.monitor is not None:
                self.health = self.monitor.check(event)
        elif kind == "genotype":
            self.permanent.append(event)
        elif kind == "ecotype":
            self.ecotypes[str(event.get("name"))] = str(event.get("kind"))
        elif kind == "resume":
            self.resumes += 1
            self.ended = False
        elif kind == "end":
            self.ended = True
            self.step = int(event.get("step", self.step))
            self.digest = str(event.get("digest", ""))  # a server's end has no one digest

    def soup_cells(self) -> list[str | None]:
        """The soup map, one genotype name (None: free memory) per segment, in soup order."""
        names = list(self.soup.get("names", []))
        out: list[str | None] = []
        for k, length in self.soup.get("runs", []):
            out.extend([names[k] if k >= 0 else None] * int(length))
        return out

    def occupancy(self) -> float | None:
        """The share of the soup held by cells (their own memory), when the size is known
        (or the map's own, a server's island)."""
        if self.soup.get("occupancy") is not None:
            return float(self.soup["occupancy"])
        if not self.soup_size:
            return None
        return sum(size * cells for size, cells in self.sizes) / self.soup_size

    def ecology_lines(self) -> list[str]:
        """Energy, resources, tasks, causes of death and spawns, as lines of text (none
        outside the ecology regime): `replay --summary` and `status` show them."""
        if not self.energy:
            return []
        cells = max(1, self.population)
        done = [f"{name} {n:,} ({100 * n / cells:.0f}%)" for name, n in self.tasks.items() if n]
        rewarded = sum(self.task_events.values())
        made_room = self.deaths - sum(self.deaths_by.values())
        return [
            f"energy         mean {float(self.energy.get('mean', 0.0)):,.1f}, total "
            f"{float(self.energy.get('total', 0.0)):,.0f}, "
            f"{int(self.energy.get('broke', 0)):,} cells at or below zero",
            f"resources      {float(self.resources.get('total', 0.0)):,.0f} in the field",
            "tasks          " + (", ".join(done) if done else "none performed by a living cell")
            + f"; {rewarded:,} rewarded performances in all",
            "deaths by      " + ", ".join(f"{k} {v:,}" for k, v in self.deaths_by.items())
            + f", making room {made_room:,}",
            f"spawned        {self.spawned:,} from the seed bank",
        ]

    def top_sizes(self, n: int) -> list[tuple[int, int]]:
        """The n most populated size classes, most cells first."""
        return sorted(self.sizes, key=lambda x: (-x[1], x[0]))[:n]
