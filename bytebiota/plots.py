"""``bytebiota replay JOURNAL --plot DIR``: PNG charts of a run, drawn with matplotlib.

matplotlib is an optional extra (``pip install bytebiota[plot]``, installed by ``make
install``): servers and workers never need it. Charts: population, genotypes and size classes
over time; births and deaths per interval; the size distribution over time as a heat map;
mutations; a Muller plot of the lineages that mattered (each descendant's band nested in its
ancestor's); the phylogeny of the lineages that mattered; and, when the journal has them (the
ecology regime), the logic tasks, energy and the resource field.

The Muller plot and the phylogeny read the journal's lineage records (``Lineages``): every
recorded (permanent) genotype, its nearest recorded ancestor, and at each stats event the
cells of each lineage (``lineages``: each living cell counted under its nearest permanent
genotype). Journals of older versions have only the ten most common genotypes of each
event (a server's journal, none): what those do not cover is drawn as "not attributed",
with its share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bytebiota.errors import UserError


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, no display needed
        import matplotlib.pyplot as plt
    except ImportError:
        raise UserError(
            "plots need matplotlib: pip install 'bytebiota[plot]' (make install does it)"
        ) from None
    return plt


def plot(events: list[dict[str, Any]], directory: Path) -> list[Path]:
    plt = _pyplot()
    directory.mkdir(parents=True, exist_ok=True)
    stats = [e for e in events if e["event"] == "stats"]
    if not stats:
        raise UserError("the journal has no stats events to plot")
    header = events[0]
    title = f"seed {header.get('seed')}, {header.get('regime', '')}"
    steps = [e["step"] / 1e6 for e in stats]
    span = (steps[0], max(steps[-1], steps[0] + 1e-6))  # one stats event: a sliver of time
    written: list[Path] = []

    def save(fig: Any, name: str) -> None:
        path = directory / f"{name}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=120, bbox_inches="tight")  # (the legends outside the axes)
        plt.close(fig)
        written.append(path)

    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.plot(steps, [e["population"] for e in stats], label="cells", color="tab:green")
    ax.plot(steps, [e["genotypes"] for e in stats], label="genotypes", color="tab:purple")
    ax.plot(steps, [len(e["sizes"]) for e in stats], label="size classes", color="tab:orange")
    ax.set(xlabel="million instructions", ylabel="count", title=f"Population ({title})")
    ax.legend()
    ax.grid(alpha=0.3)
    save(fig, "population")

    fig, ax = plt.subplots(figsize=(9, 4.5))
    births = [b - a for a, b in zip([0] + [e["births"] for e in stats[:-1]],
                                    [e["births"] for e in stats], strict=True)]
    deaths = [b - a for a, b in zip([0] + [e["deaths"] for e in stats[:-1]],
                                    [e["deaths"] for e in stats], strict=True)]
    ax.plot(steps, births, label="births", color="tab:cyan")
    ax.plot(steps, deaths, label="deaths", color="tab:red")
    ax.set(xlabel="million instructions", ylabel="per interval",
           title=f"Births and deaths ({title})")
    ax.legend()
    ax.grid(alpha=0.3)
    save(fig, "births_deaths")

    sizes = sorted({s for e in stats for s, _ in e["sizes"]})
    lo, hi = (min(sizes), max(sizes)) if sizes else (0, 1)
    hi = min(hi, lo + 400)  # keep the map readable: the 400 smallest sizes
    grid = [[0.0] * len(stats) for _ in range(hi - lo + 1)]
    for col, event in enumerate(stats):
        for size, cells in event["sizes"]:
            if lo <= size <= hi:
                grid[size - lo][col] = cells
    from matplotlib.colors import LogNorm

    masked = [[cells if cells > 0 else float("nan") for cells in row] for row in grid]
    fig, ax = plt.subplots(figsize=(9, 5))
    image = ax.imshow(masked, aspect="auto", origin="lower", cmap="viridis",
                      interpolation="nearest",
                      norm=LogNorm(vmin=1, vmax=max(2.0, *(max(row) for row in grid))),
                      extent=(*span, lo - 0.5, hi + 0.5))
    ax.set_facecolor("black")
    fig.colorbar(image, ax=ax, label="cells (log scale)")
    ax.set(xlabel="million instructions", ylabel="genome size (bytes)",
           title=f"Size distribution over time ({title})")
    save(fig, "sizes_heatmap")

    fig, ax = plt.subplots(figsize=(9, 4.5))
    for kind in stats[-1].get("mutations", {}):
        ax.plot(steps, [e["mutations"].get(kind, 0) for e in stats], label=kind)
    ax.set(xlabel="million instructions", ylabel="total", title=f"Mutations ({title})")
    if stats[-1].get("mutations"):
        ax.legend()
    ax.grid(alpha=0.3)
    save(fig, "mutations")

    tasks = sorted({t for e in stats for t in e.get("tasks", {})})
    if tasks:
        fig, ax = plt.subplots(figsize=(9, 4.5))
        for task in tasks:
            ax.plot(steps, [e.get("tasks", {}).get(task, 0) for e in stats], label=task)
        ax.set(xlabel="million instructions", ylabel="cells that performed it",
               title=f"Logic tasks ({title})")
        ax.legend()
        ax.grid(alpha=0.3)
        save(fig, "tasks")

    if any("energy" in e for e in stats):
        fig, ax = plt.subplots(figsize=(9, 4.5))
        ax.plot(steps, [e.get("energy", {}).get("mean", 0.0) for e in stats],
                label="mean energy of a cell", color="tab:orange")
        ax.set(xlabel="million instructions", ylabel="energy (units)",
               title=f"Energy ({title})")
        broke = ax.twinx()
        broke.plot(steps, [e.get("energy", {}).get("broke", 0) for e in stats],
                   label="cells at or below zero", color="tab:red", alpha=0.6)
        broke.set_ylabel("cells at or below zero")
        fig.legend(loc="upper right")
        ax.grid(alpha=0.3)
        save(fig, "energy")

    if any("resources" in e for e in stats):
        strips = [e.get("resources", {}).get("strip", []) for e in stats]
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True,
                                          gridspec_kw={"height_ratios": [1, 2]})
        top.plot(steps, [e.get("resources", {}).get("total", 0.0) for e in stats],
                 color="tab:green")
        top.set(ylabel="in the field", title=f"Resources ({title})")
        top.grid(alpha=0.3)
        width = max((len(strip) for strip in strips), default=0)
        if width:
            grid = [[strip[k] if k < len(strip) else float("nan") for strip in strips]
                    for k in range(width)]
            image = bottom.imshow(grid, aspect="auto", origin="lower", cmap="YlGn",
                                  interpolation="nearest",
                                  extent=(*span, 0, width))
            fig.colorbar(image, ax=bottom, label="resource per region")
        bottom.set(xlabel="million instructions", ylabel="field region (soup order)")
        save(fig, "resources")

    _muller(plt, events, title, save)
    _phylogeny(plt, events, title, save)
    return written


GOD = "0666god"  # the parent of a run's ancestors, as in Tierra (core.genebank.GOD)
MULLER_LINEAGES = 12  # lineages drawn in their own colour; the others are in their ancestors'
MULLER_MIN_SHARE = 0.02  # ... and only those that ever held this share of the cells
PHYLOGENY_NODES = 40  # lineages drawn in the phylogeny (with their ancestors)


@dataclass
class Lineages:
    """What a journal says of its lineages: each recorded genotype's nearest recorded
    ancestor and, at each stats event, the living cells counted under it (its own and those
    of its descendants that were never recorded). ``GOD`` stands for the cells that had no
    recorded ancestor yet (the first generations) and is the root of every tree."""

    steps: list[int]  # the stats events' steps
    population: list[int]
    own: dict[str, list[int]]  # name -> cells counted under it at each stats event
    ancestor: dict[str, str]  # name -> nearest recorded ancestor (GOD for a root)
    origin: dict[str, int]  # name -> the step it appeared
    size: dict[str, int]  # name -> genome size
    via: set[str] = field(default_factory=set)  # linked through never-recorded genotypes
    inferred: set[str] = field(default_factory=set)  # linked by guess (the journal lacks it)
    exact: bool = True  # every stats event had the ``lineages`` field

    def unattributed(self) -> list[int]:
        """Cells at each stats event that the journal does not attribute to a lineage."""
        return [max(0, pop - sum(row[t] for row in self.own.values()))
                for t, pop in enumerate(self.population)]

    def children(self) -> dict[str, list[str]]:
        kids: dict[str, list[str]] = {}
        for name in sorted(self.ancestor, key=lambda n: (self.origin.get(n, 0), n)):
            kids.setdefault(self.ancestor[name], []).append(name)
        return kids

    def clades(self) -> dict[str, list[int]]:
        """name -> cells of its clade (its own and every descendant's) at each stats event;
        GOD's clade is every attributed cell."""
        kids = self.children()
        total: dict[str, list[int]] = {}
        for name in reversed(preorder(kids)):
            row = list(self.own.get(name, [0] * len(self.steps)))
            for kid in kids.get(name, []):
                row = [a + b for a, b in zip(row, total[kid], strict=True)]
            total[name] = row
        return total

    def path(self, name: str) -> list[str]:
        """From ``name`` up to GOD (a loop, which only a damaged journal could make, ends
        there too)."""
        line = [name]
        while line[-1] != GOD:
            above = self.ancestor.get(line[-1], GOD)
            line.append(GOD if above in line else above)
        return line


def preorder(kids: dict[str, list[str]], root: str = GOD) -> list[str]:
    order: list[str] = []
    stack = [root]
    while stack:
        name = stack.pop()
        order.append(name)
        stack.extend(reversed(kids.get(name, [])))
    return order


def lineages(events: list[dict[str, Any]]) -> Lineages:
    stats = [e for e in events if e["event"] == "stats"]
    recorded = {e["name"]: e for e in events if e["event"] == "genotype"}
    parent = {name: str(e["parent"]) for name, e in recorded.items()}
    ancestor: dict[str, str] = {}
    for event in stats:  # the nearest permanent ancestor, when the journal has it
        for name, _cells, above in event.get("lineages", []):
            if above is not None:
                ancestor[name] = str(above)
        for name, _size, _cells, mother in event.get("top_genotypes", []):
            parent.setdefault(name, str(mother))
    # (a server's lineages count its islands' last committed snapshots: ``lineage_cells``)
    model = Lineages([int(e["step"]) for e in stats],
                     [int(e.get("lineage_cells", e["population"])) for e in stats],
                     {}, {}, {}, {}, exact=all("lineages" in e for e in stats))
    roots = [n for n, e in recorded.items() if e["parent"] == GOD]

    def nearest(name: str) -> tuple[str | None, bool]:
        """The nearest recorded genotype above ``name`` by true parents, and whether the
        way passes through genotypes never recorded; None: the chain breaks."""
        seen = {name}
        step, skipped = parent.get(name), False
        while step is not None and step != GOD and step not in recorded:
            if step in seen:
                return None, skipped
            seen.add(step)
            step, skipped = parent.get(step), True
        return step, skipped

    for name, event in recorded.items():
        model.origin[name] = int(event["step"])
        model.size[name] = len(event["genome"]) // 2
        mother = str(event["parent"])
        if mother == GOD or mother in recorded:
            model.ancestor[name] = mother
            continue
        model.via.add(name)
        above = ancestor.get(name)
        if above is None or (above != GOD and above not in recorded):
            above, _ = nearest(name)
        if above is None or (above != GOD and above not in recorded):
            # a guess: the first root of its own world (a server names an island's
            # genotypes ISLAND/NAME; each island is a world of its own, with its own roots)
            world = name.rpartition("/")[0]
            above = next((r for r in roots if r != name and r.rpartition("/")[0] == world),
                         GOD)
            model.inferred.add(name)
        model.ancestor[name] = above
    blank = [0] * len(stats)
    for t, event in enumerate(stats):
        if "lineages" in event:
            for name, cells, _above in event["lineages"]:
                if name == GOD or name in recorded:
                    model.own.setdefault(name, list(blank))[t] += int(cells)
            continue
        for name, _size, cells, _mother in event.get("top_genotypes", []):
            home = name if name in recorded else nearest(name)[0]
            if home is not None:
                model.own.setdefault(home, list(blank))[t] += int(cells)
    return model


@dataclass
class Band:
    name: str
    colour: int  # index into the palette; -1: GOD's grey
    lower: list[float]  # share of the cells, at each stats event
    upper: list[float]
    peak: float  # the highest share of its clade
    own: list[float]  # share of the cells in it and in none of its drawn children
    members: int  # recorded genotypes drawn in this band (itself and the hidden below it)


@dataclass
class Muller:
    bands: list[Band]  # parents before their children: each drawn over its ancestor's
    unattributed: list[float]  # share of the cells the journal does not attribute
    hidden: int  # recorded genotypes with no band of their own (drawn in an ancestor's)


def muller(model: Lineages, count: int = MULLER_LINEAGES,
           min_share: float = MULLER_MIN_SHARE) -> Muller:
    """The Muller plot's bands: the ``count`` lineages whose own cells (those counted under
    the genotype, not its recorded descendants') reached the highest share, at least
    ``min_share``, and their ancestors; every other lineage's cells are in the band of its
    nearest drawn ancestor. Each band spans its clade; its drawn children are stacked in
    its middle, in order of appearance, so its own cells show above and below them."""
    pops = [max(1, p) for p in model.population]
    blank = [0] * len(pops)
    peak_own = {n: max((c / p for c, p in zip(row, pops, strict=True)), default=0.0)
                for n, row in model.own.items() if n != GOD}
    chosen = [n for n in sorted(peak_own, key=lambda n: (-peak_own[n], n))
              if peak_own[n] >= min_share][:count]
    drawn = {GOD}
    for name in chosen:
        drawn.update(model.path(name))
    own: dict[str, list[int]] = {n: list(blank) for n in drawn}
    for name, row in model.own.items():
        home = next(n for n in model.path(name) if n in drawn)
        own[home] = [a + b for a, b in zip(own[home], row, strict=True)]
    kids: dict[str, list[str]] = {}
    for name in sorted(drawn - {GOD}, key=lambda n: (model.origin.get(n, 0), n)):
        kids.setdefault(next(n for n in model.path(name)[1:] if n in drawn), []).append(name)
    order = preorder(kids)
    clade: dict[str, list[int]] = {}
    for name in reversed(order):
        row = own[name]
        for kid in kids.get(name, []):
            row = [a + b for a, b in zip(row, clade[kid], strict=True)]
        clade[name] = row
    lower: dict[str, list[float]] = {GOD: [0.0] * len(pops)}
    bands = []
    for k, name in enumerate(order):
        bottom = lower[name]
        top = [b + c / p for b, c, p in zip(bottom, clade[name], pops, strict=True)]
        below = [b + o / p / 2 for b, o, p in zip(bottom, own[name], pops, strict=True)]
        for kid in kids.get(name, []):
            lower[kid] = below
            below = [b + c / p for b, c, p in zip(below, clade[kid], pops, strict=True)]
        members = sum(1 for n in model.ancestor
                      if next(m for m in model.path(n) if m in drawn) == name)
        bands.append(Band(name, k - 1, bottom, top,
                          max((c / p for c, p in zip(clade[name], pops, strict=True)),
                              default=0.0),
                          [o / p for o, p in zip(own[name], pops, strict=True)], members))
    unattributed = [u / p for u, p in zip(model.unattributed(), pops, strict=True)]
    return Muller(bands, unattributed, len(model.ancestor) - len(drawn - {GOD}))


def _muller(plt: Any, events: list[dict[str, Any]], title: str, save: Any) -> None:
    model = lineages(events)
    chart = muller(model)
    steps = [s / 1e6 for s in model.steps]
    palette = plt.cm.tab20.colors
    fig, ax = plt.subplots(figsize=(10, 5.5))
    for band in chart.bands:
        if band.name == GOD:
            colour, label = "gainsboro", "no recorded ancestor yet"
        else:
            colour = palette[(2 * band.colour) % 20 + (band.colour // 10) % 2]
            hidden = f", +{band.members - 1} below" if band.members > 1 else ""
            label = f"{band.name} (clade peak {100 * band.peak:.0f}%{hidden})"
        if band.name == GOD and not any(band.own):
            continue  # no cell without a recorded ancestor: GOD's band is all covered
        ax.fill_between(steps, band.lower, band.upper, color=colour, label=label, lw=0)
        # named where its own cells (below its children, which sit in its middle) are most
        widest = max(range(len(steps)), key=lambda t: band.own[t])
        if band.name != GOD and band.own[widest] > 0.1:
            edge = "left" if widest == 0 else "right" if widest == len(steps) - 1 else "center"
            ax.text(steps[widest], band.lower[widest] + band.own[widest] / 4, band.name,
                    ha=edge, va="center", fontsize=7)
    top = [1.0 - u for u in chart.unattributed]
    worst = max(chart.unattributed, default=0.0)
    ax.fill_between(steps, top, [1.0] * len(steps), facecolor="white", edgecolor="grey",
                    hatch="///", lw=0,
                    label=f"not attributed: at most {100 * worst:.1f}% of the cells" if worst
                    else "not attributed: none (every cell is in a lineage)")
    notes = [f"{chart.hidden} more recorded genotypes\nshown in their ancestors' bands"
             if chart.hidden else "", "" if model.exact else
             "(this journal counts no lineages:\nonly the top genotypes it lists\nare attributed)"]
    ax.set(xlabel="million instructions", ylabel="share of the cells", ylim=(0, 1),
           xlim=(steps[0], steps[-1]) if len(steps) > 1 else None,
           title=f"Muller plot: lineages nested in their ancestors' ({title})")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small",
              title="\n".join(n for n in notes if n) or None, title_fontsize="small")
    save(fig, "muller")


@dataclass
class Tree:
    rows: list[str]  # the genotypes drawn, one a row, each parent above its children
    ancestor: dict[str, str]  # name -> its drawn ancestor (GOD for a root)
    alive: dict[str, tuple[int, int]]  # name -> (first, last) step its lineage had cells
    hidden: int  # recorded genotypes not drawn
    threshold: float  # the clade peak share of the least drawn one


def tree(model: Lineages, count: int = PHYLOGENY_NODES) -> Tree:
    """The lineages that mattered: the ``count`` recorded genotypes whose clades reached
    the highest share of the cells, and their ancestors, each linked to its nearest
    recorded ancestor (the never-recorded genotypes between collapsed into the link)."""
    pops = [max(1, p) for p in model.population]
    clades = model.clades()
    peak = {n: max((c / p for c, p in zip(clades[n], pops, strict=True)), default=0.0)
            for n in model.ancestor}
    chosen = sorted(model.ancestor, key=lambda n: (-peak[n], model.origin[n], n))[:count]
    shown: set[str] = set()
    for name in chosen:
        shown.update(n for n in model.path(name) if n != GOD)
    kids: dict[str, list[str]] = {}
    for name in sorted(shown, key=lambda n: (model.origin[n], n)):
        kids.setdefault(model.ancestor[name], []).append(name)
    rows = preorder(kids)[1:]
    alive = {}
    for name in rows:
        seen = [model.steps[t] for t, c in enumerate(model.own.get(name, [])) if c > 0]
        alive[name] = (model.origin[name], max([model.origin[name], *seen]))
    threshold = min((peak[n] for n in chosen), default=0.0)
    return Tree(rows, {n: model.ancestor[n] for n in rows}, alive,
                len(model.ancestor) - len(rows), threshold)


def _phylogeny(plt: Any, events: list[dict[str, Any]], title: str, save: Any) -> None:
    """The lineages that mattered as a tree: a row per genotype, a bar from its appearance
    to the last stats event its lineage had cells, a link down from its parent's row at its
    appearance (dotted: through genotypes never recorded; dashed red: the journal does not
    say, guessed from the run's first genotype)."""
    from matplotlib.lines import Line2D

    model = lineages(events)
    drawing = tree(model)
    row = {name: k for k, name in enumerate(drawing.rows)}
    height = min(14.0, max(4.0, 0.22 * len(drawing.rows) + 1.5))
    fig, ax = plt.subplots(figsize=(10, height))
    sizes = [model.size[n] for n in drawing.rows] or [0]
    norm = plt.Normalize(min(sizes), max(sizes) + (min(sizes) == max(sizes)))
    cmap = plt.cm.viridis
    for name in drawing.rows:
        y = row[name]
        first, last = (s / 1e6 for s in drawing.alive[name])
        colour = cmap(norm(model.size[name]))
        ax.plot([first, last], [y, y], color=colour, lw=3, solid_capstyle="butt", zorder=2)
        ax.scatter([first], [y], color=colour, s=14, zorder=3)
        ax.text(first, y - 0.25, f" {name}", fontsize=6, va="bottom", ha="left", zorder=4)
        above = drawing.ancestor[name]
        if above in row:
            style = ("--" if name in model.inferred else
                     ":" if name in model.via else "-")
            ax.plot([first, first], [row[above], y], color="tab:red" if style == "--" else
                    "grey", ls=style, lw=0.9, zorder=1)
    points = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(points, ax=ax, label="genome size (bytes)")
    ax.legend(handles=[
        Line2D([], [], color="grey", lw=0.9, label="from its true parent"),
        Line2D([], [], color="grey", ls=":", lw=0.9,
               label="through genotypes never recorded"),
        Line2D([], [], color="tab:red", ls="--", lw=0.9,
               label="parent unknown to the journal")], loc="lower left", fontsize="small")
    hidden = (f"; {drawing.hidden} more hidden (their clades never above "
              f"{100 * drawing.threshold:.1f}% of the cells)" if drawing.hidden else "")
    ax.set(xlabel="million instructions (bar: from appearance to the lineage's last cells)",
           title=f"Phylogeny ({title})\n{len(drawing.rows)} recorded genotypes{hidden}")
    ax.set_ylim(len(drawing.rows) - 0.5 if drawing.rows else 1, -1)
    ax.set_yticks([])
    save(fig, "phylogeny")
