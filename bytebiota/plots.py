"""``bytebiota replay JOURNAL --plot DIR``: PNG charts of a run, drawn with matplotlib.

matplotlib is an optional extra (``pip install bytebiota[plot]``, installed by ``make
install``): servers and workers never need it. Charts: population, genotypes and size classes
over time; births and deaths per interval; the size distribution over time as a heat map;
mutations; and the logic tasks when the journal has them.
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
    return written
