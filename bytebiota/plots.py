"""``bytebiota replay JOURNAL --plot DIR``: PNG charts of a run, drawn with matplotlib.

matplotlib is an optional extra (``pip install bytebiota[plot]``, installed by ``make
install``): servers and workers never need it. Charts: population, genotypes and size classes
over time; births and deaths per interval; the size distribution over time as a heat map;
mutations; genotype abundance (a Muller-style chart of the most abundant genotypes); the
phylogeny of the recorded genotypes; and, when the journal has them (the ecology regime), the
logic tasks, energy and the resource field.
"""

from __future__ import annotations

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
    written: list[Path] = []

    def save(fig: Any, name: str) -> None:
        path = directory / f"{name}.png"
        fig.tight_layout()
        fig.savefig(path, dpi=120)
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
                      interpolation="nearest", norm=LogNorm(vmin=1),
                      extent=(steps[0], steps[-1], lo - 0.5, hi + 0.5))
    ax.set_facecolor("black")
    fig.colorbar(image, ax=ax, label="cells (log scale)")
    ax.set(xlabel="million instructions", ylabel="genome size (bytes)",
           title=f"Size distribution over time ({title})")
    save(fig, "sizes_heatmap")

    fig, ax = plt.subplots(figsize=(9, 4.5))
    for kind in stats[-1].get("mutations", {}):
        ax.plot(steps, [e["mutations"].get(kind, 0) for e in stats], label=kind)
    ax.set(xlabel="million instructions", ylabel="total", title=f"Mutations ({title})")
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
                                  extent=(steps[0], steps[-1], 0, width))
            fig.colorbar(image, ax=bottom, label="resource per region")
        bottom.set(xlabel="million instructions", ylabel="field region (soup order)")
        save(fig, "resources")

    _muller(plt, stats, steps, title, save)
    _phylogeny(plt, events, title, save)
    return written


MULLER_GENOTYPES = 12  # bands drawn; every other genotype is in "others"


def _muller(plt: Any, stats: list[dict[str, Any]], steps: list[float], title: str,
            save: Any) -> None:
    """Genotype abundance over time: the most abundant genotypes (summed over the run) as
    stacked bands, each a share of the population, in order of appearance with each band
    above its parent's when the parent is drawn too (a Muller-style chart, from the top
    genotypes each stats event lists; what they do not list is in "others")."""
    totals: dict[str, int] = {}
    first: dict[str, int] = {}
    parents: dict[str, str] = {}
    for col, event in enumerate(stats):
        for name, _size, cells, parent in event.get("top_genotypes", []):
            totals[name] = totals.get(name, 0) + int(cells)
            first.setdefault(name, col)
            parents[name] = parent
    chosen = sorted(totals, key=lambda n: -totals[n])[:MULLER_GENOTYPES]
    order: list[str] = []
    for name in sorted(chosen, key=lambda n: (first[n], n)):  # a parent before its children
        parent = parents[name]
        at = order.index(parent) + 1 if parent in order else len(order)
        order.insert(at, name)
    rows = []
    for name in order:
        row = []
        for event in stats:
            cells = {n: c for n, _s, c, _p in event.get("top_genotypes", [])}.get(name, 0)
            row.append(cells / event["population"] if event["population"] else 0.0)
        rows.append(row)
    others = [max(0.0, 1.0 - sum(r[col] for r in rows)) if stats[col]["population"] else 0.0
              for col in range(len(stats))]
    fig, ax = plt.subplots(figsize=(9, 5))
    ax.stackplot(steps, [others, *rows], labels=["others", *order],
                 colors=["lightgrey", *plt.cm.tab20.colors[:len(order)]], alpha=0.9)
    ax.set(xlabel="million instructions", ylabel="share of the cells", ylim=(0, 1),
           title=f"Genotype abundance ({title})")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    save(fig, "muller")


def _phylogeny(plt: Any, events: list[dict[str, Any]], title: str, save: Any) -> None:
    """The recorded (permanent) genotypes as a tree: each at the step it appeared, joined to
    its parent; a parent that was never recorded is drawn as a hollow point (its own
    parent unknown: joined, dashed, to the run's first genotype)."""
    recorded = [e for e in events if e["event"] == "genotype"]
    fig, ax = plt.subplots(figsize=(9, 6))
    if recorded:
        origin = {e["name"]: e["step"] / 1e6 for e in recorded}
        parent = {e["name"]: e["parent"] for e in recorded}
        root = recorded[0]["name"]
        for e in recorded:  # transient parents: drawn at their first child's step
            if e["parent"] not in origin and e["parent"] != "0666god":
                origin[e["parent"]] = e["step"] / 1e6
                parent[e["parent"]] = root
        children: dict[str, list[str]] = {}
        for name in sorted(origin, key=lambda n: (origin[n], n)):
            children.setdefault(parent.get(name, ""), []).append(name)
        rank: dict[str, float] = {}
        leaves = 0
        stack = [(name, False) for name in reversed(children.get("0666god", []))]
        while stack:  # leaves take the next row; a parent sits at its children's mean
            name, done = stack.pop()
            kids = children.get(name, [])
            if not kids:
                rank[name] = float(leaves)
                leaves += 1
            elif done:
                rank[name] = sum(rank[k] for k in kids) / len(kids)
            else:
                stack.append((name, True))
                stack.extend((k, False) for k in reversed(kids))
        recorded_names = {e["name"] for e in recorded}
        for name, y in rank.items():
            above = parent.get(name)
            if above in rank:
                dashed = name not in recorded_names
                ax.plot([origin[above], origin[above], origin[name]], [rank[above], y, y],
                        color="grey", lw=0.6, ls="--" if dashed else "-",
                        alpha=0.3 if dashed else 1.0)
        xs = [origin[n] for n in rank if n in recorded_names]
        ys = [rank[n] for n in rank if n in recorded_names]
        sizes = {e["name"]: len(e["genome"]) // 2 for e in recorded}
        points = ax.scatter(xs, ys, c=[sizes[n] for n in rank if n in recorded_names],
                            cmap="viridis", s=12, zorder=3)
        fig.colorbar(points, ax=ax, label="genome size (bytes)")
        hollow = [n for n in rank if n not in recorded_names]
        ax.scatter([origin[n] for n in hollow], [rank[n] for n in hollow], s=10,
                   facecolors="none", edgecolors="grey", zorder=3)
    ax.set(xlabel="million instructions (appearance)", ylabel="lineages",
           title=f"Phylogeny of the recorded genotypes ({title})")
    ax.set_yticks([])
    save(fig, "phylogeny")
