"""Pure views: dashboard state -> rich renderables. No I/O, no Live, no clocks.

Everything shown is a function of ``State`` and ``Extras`` (the few figures only the live
producer knows: rate, pause, the producer's label), so the views are tested by rendering into
a recording console of a fixed size. The layout fits 80x24 and gives a larger terminal more
history and more rows.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from rich import box
from rich.console import Console, Group, RenderableType
from rich.layout import Layout
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from bytebiota import health as diagnostics
from bytebiota.netcommon import shown
from bytebiota.tui.model import State

BLOCKS = " ▁▂▃▄▅▆▇█"
TOP_ROWS = 10  # the population panel: six rows, two lines of health, two borders


@dataclass
class Extras:
    label: str = "run"  # run, replay, monitor
    rate: float | None = None  # instructions per second, live
    eta_seconds: float | None = None
    paused: bool = False
    keys: str = "q quit  p pause  s save  m map  ↑/↓ pick  ⏎ details  ? keys"
    message: str = ""
    exit_when_done: bool = True
    help: bool = False  # the keys panel (``?``) in the genotypes' place
    map_mode: str = ""  # "" the genome sizes; else the soup map, coloured as MAP_MODES say
    selected: int = -1  # the row of the top genotypes picked with the arrow keys (-1: none)
    detail: list[str] = field(default_factory=list)  # its details (tui/drill.py), on Enter
    genotypes: bool = False  # monitor: the top genotypes in the islands' place (``g``)


def detail_panel(lines: list[str], rows: int, width: int) -> RenderableType:
    """A genotype's details, wrapped to the panel; its code last, cut at the panel's foot."""
    text = Text()
    used = 0
    for line in lines:
        wrapped = Text(line).wrap(Console(width=max(10, width - 4)), max(10, width - 4))
        for part in wrapped:
            if used >= rows:
                break
            if used:
                text.append("\n")
            head, sep, rest = part.plain.partition(": ")
            if sep and used == 0:
                text.append(head, style="bold")
                text.append(sep + rest)
            else:
                text.append(part.plain)
            used += 1
    return Panel(text, title="genotype (Enter closes)", box=box.ROUNDED)


# The soup map's colourings, in the order ``m`` cycles through them (after the sizes panel).
# "energy" shows only where the stats carry it (the ecology regime), "ecotypes" once the run
# has classified a genotype (its ``ecotype`` events; ``available_map_modes``).
MAP_MODES = ("genotypes", "size classes", "ecotypes", "energy")
# The ecotypes' colours on the soup map (a genotype not classified yet: grey).
ECOTYPE_COLOURS = {"self-replicator": 33, "parasite": 196, "hyper-parasite": 201,
                   "resistant host": 46, "social": 226, "non-replicator": 240}


def available_map_modes(state: State) -> tuple[str, ...]:
    """The soup map's colourings this stream can show, in the order ``m`` cycles them."""
    return tuple(m for m in MAP_MODES if (m != "energy" or "energy" in state.soup)
                 and (m != "ecotypes" or state.ecotypes))
# Distinct colours of the 256-colour palette for genotypes (a genotype keeps its colour: it is
# chosen from its name), and a cold-to-hot ramp for sizes.
GENOTYPE_COLOURS = (196, 46, 21, 226, 201, 51, 208, 93, 118, 33, 214, 129, 160, 40, 27, 220,
                    165, 45, 202, 99)
SIZE_RAMP = (17, 19, 21, 27, 33, 39, 45, 49, 48, 82, 118, 154, 190, 226, 220, 214, 208, 202,
             196, 160)


def genotype_colour(name: str) -> str:
    return f"color({GENOTYPE_COLOURS[zlib.crc32(name.encode()) % len(GENOTYPE_COLOURS)]})"


def soup_panel(state: State, rows: int, width: int, mode: str) -> RenderableType:
    """The soup folded into ``rows`` lines of the panel's width, in soup order: each
    character a stretch of the soup, coloured by the genotype that holds most of it (or its
    size class), a full block when cells hold half of it or more, a small one when fewer;
    free memory a dark dot."""
    cells = state.soup_cells()
    held = list(state.soup.get("held", [])) or [8] * len(cells)
    energy = [int(e) for e in state.soup.get("energy", [])]
    if mode == "energy" and len(energy) != len(cells):
        mode = "genotypes (no energy in this stream)"
    top = max([e for e in energy if e > 0], default=1)
    columns = max(1, width - 4)
    chars = columns * max(1, rows)
    text = Text()
    sizes = [int(n[:4]) for n in cells if n] or [0]
    lo, hi = min(sizes), max(sizes)
    for k in range(chars if cells else 0):
        first = k * len(cells) // chars
        last = max(first + 1, (k + 1) * len(cells) // chars)
        present = [n for n in cells[first:last] if n]
        if k and k % columns == 0:
            text.append("\n")
        if not present:
            text.append("·", style="grey23")
            continue
        name = max(set(present), key=present.count)
        glyph = "█" if max(held[first:last]) >= 4 else "▪"  # half full or more, or sparse
        if mode == "size classes":
            step = (int(name[:4]) - lo) * (len(SIZE_RAMP) - 1) // max(1, hi - lo)
            text.append(glyph, style=f"color({SIZE_RAMP[step]})")
        elif mode == "ecotypes":
            kind = state.ecotypes.get(name, "")
            text.append(glyph, style=f"color({ECOTYPE_COLOURS.get(kind, 244)})")
        elif mode == "energy":  # the stretches' mean, broke cells in the ramp's coldest
            held_energy = [e for e, n in zip(energy[first:last], cells[first:last],
                                             strict=True) if n]
            mean = sum(held_energy) / len(held_energy)
            step = max(0, min(len(SIZE_RAMP) - 1, round(mean * (len(SIZE_RAMP) - 1) / top)))
            text.append(glyph, style=f"color({SIZE_RAMP[step]})")
        else:
            text.append(glyph, style=genotype_colour(name))
    if not cells:
        text.append("no soup map in this stream", style="dim")
    occupancy = state.occupancy()
    held_share = f", {occupancy:.0%} occupied" if occupancy is not None else ""
    label = (f"energy 0..{top:,}" if mode == "energy" else
             "ecotypes (" + ", ".join(sorted({ECOTYPE_WORDS.get(state.ecotypes.get(n, ""), "-")
                                             for n in cells if n is not None})) + ")"
             if mode == "ecotypes" else mode)
    where = f" of {state.soup_label}" if state.soup_label else ""
    return Panel(text, title=f"soup map{where}: {label}{held_share}", box=box.ROUNDED)


def help_panel(extras: Extras) -> RenderableType:
    """Every key of this dashboard, one per line (``keys`` lists them two spaces apart)."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", justify="right")
    table.add_column()
    for item in [*extras.keys.split("  "), "space pause"]:
        key, _, what = item.strip().partition(" ")
        table.add_row(key, what)
    return Panel(table, title="keys (? closes)", box=box.ROUNDED)


def sparkline(values: list[int], width: int) -> str:
    """The last ``width`` values as block characters, scaled to their own maximum."""
    if width <= 0:
        return ""
    tail = values[-width:]
    if not tail:
        return " " * width
    top = max(tail) or 1
    line = "".join(BLOCKS[min(8, round(8 * v / top))] if v > 0 else BLOCKS[0] for v in tail)
    return line.rjust(width)


def _num(value: float) -> str:
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= size:
            return f"{value / size:.1f}{unit}"
    return f"{value:.0f}"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


def header(state: State, extras: Extras) -> RenderableType:
    title = Text.assemble(("ByteBiota ", "bold green"), (extras.label, "bold"),
                          f"  seed {state.seed}  {state.regime}  core {state.core}")
    if extras.paused:
        title.append("  PAUSED", style="bold yellow")
    if state.ended:
        title.append("  ended", style="bold red")
    line = Text(f"step {state.step:,}")
    if state.max_steps:
        line.append(f" / {state.max_steps:,} ({100 * state.step / state.max_steps:.1f} %)")
    if extras.rate:
        line.append(f"   {_num(extras.rate)} instr/s")
    if extras.eta_seconds is not None:
        line.append(f"   ETA {_duration(extras.eta_seconds)}")
    # the header names the first keys and `?`; the keys panel (`?`) lists them all
    items = extras.keys.split("  ")
    brief = "  ".join([*items[:2], "? keys"]) if len(items) > 3 else extras.keys
    keys = Text(extras.message or brief, style="dim")
    title.append("   ")
    title.append_text(keys)
    parts: list[RenderableType] = [title, line]
    if state.max_steps:
        parts.append(ProgressBar(total=state.max_steps, completed=min(state.step,
                                                                     state.max_steps)))
    return Group(*parts)


def population_panel(state: State, width: int) -> RenderableType:
    history = list(state.history)
    spark = max(8, width - 28)
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", width=12)
    table.add_column(justify="right", width=9)
    table.add_column()
    rows = (
        ("cells", state.population, [h.population for h in history], "green"),
        ("births/int", history[-1].births if history else 0, [h.births for h in history],
         "cyan"),
        ("deaths/int", history[-1].deaths if history else 0, [h.deaths for h in history],
         "red"),
        ("genotypes", state.genotypes, [h.genotypes for h in history], "magenta"),
        ("size classes", len(state.sizes), [h.size_classes for h in history], "yellow"),
    )
    for name, value, series, colour in rows:
        table.add_row(name, f"{value:,}", Text(sparkline(series, spark), style=colour))
    last = history[-1] if history else None
    generation = last.generation_time if last else None
    mutations = last.mutations if last else 0
    label = f"mut/int {mutations:,} "
    table.add_row("gen time", _num(generation) if generation else "-",
                  Text.assemble(label, (sparkline([h.mutations for h in history],
                                                  max(4, spark - len(label))), "blue")))
    colours = {"ok": "green", "warn": "yellow", "bad": "bold red"}
    signs = Text()
    for level, sentence in health(state):
        signs.append("● ", style=colours[level])
        signs.append(sentence + "  ")
    return Panel(Group(table, signs), title="population and health", box=box.ROUNDED)


def sizes_panel(state: State, rows: int, width: int) -> RenderableType:
    table = Table.grid(padding=(0, 1))
    table.add_column(justify="right", style="bold")
    table.add_column(justify="right")
    table.add_column()
    # the most populated classes; when they do not all fit, the last row says how many more
    hidden = len(state.sizes) - rows
    top = state.top_sizes(rows - 1 if hidden > 0 else rows)
    largest = max((n for _, n in top), default=1)
    bar_width = max(4, width - 16)
    for size, cells in sorted(top):
        table.add_row(str(size), str(cells), Text("█" * max(1, round(bar_width * cells /
                                                                      largest)), style="blue"))
    if not top:
        table.add_row("-", "-", "")
    if hidden > 0:
        more = len(state.sizes) - len(top)
        table.add_row(f"+{more}", "", Text(f"more ({len(state.sizes)} in all)", style="dim"))
    return Panel(table, title="genome sizes (bytes: cells)", box=box.ROUNDED)


# The ecotype column's words (bytebiota/ecotype.py KINDS), short enough for an 80-column screen.
ECOTYPE_WORDS = {"self-replicator": "self", "hyper-parasite": "hyper", "resistant host": "resist",
                 "parasite": "para", "social": "social", "non-replicator": "sterile"}


def genotypes_panel(state: State, rows: int, selected: int = -1) -> RenderableType:
    """The most abundant genotypes; ``eco``: the class the run's background classification
    gave each (self-replicator, parasite, hyper-parasite, resistant host, social, sterile:
    a non-replicator; ``-`` not yet classified), when the stream has any."""
    table = Table(box=None, expand=True, pad_edge=False, padding=(0, 1))
    table.add_column("genotype", style="bold", no_wrap=True, min_width=7)
    table.add_column("size", justify="right")
    table.add_column("cells", justify="right")
    table.add_column("%", justify="right")
    table.add_column("parent", no_wrap=True, min_width=7)
    if state.ecotypes:
        table.add_column("eco", no_wrap=True)
    for k, (name, size, cells, parent) in enumerate(state.top_genotypes[:rows]):
        share = 100 * cells / state.population if state.population else 0
        eco = [ECOTYPE_WORDS.get(state.ecotypes.get(name, ""), "-")] if state.ecotypes else []
        table.add_row(Text(name, style=f"bold {genotype_colour(name)}"), str(size), str(cells),
                      f"{share:.0f}", parent, *eco, style="reverse" if k == selected else "")
    return Panel(table, title="top genotypes", box=box.ROUNDED)


def health(state: State) -> list[tuple[str, str]]:
    """(level, sentence): the seed's warning signs and unmet indicators, as the journal's
    ``health`` events have them (bytebiota.health), or the plain facts when the stream
    carries no configuration to judge by (a server's monitor)."""
    if state.population == 0 and state.step:
        return [("bad", "extinct")]
    if state.health is None:
        if not state.history:
            return [("ok", "no data yet")]
        ratio = state.genotypes / state.population if state.population else 0.0
        return [("ok", f"diversity {ratio:.2f} genotypes/cell")]
    found = state.health
    signs: list[tuple[str, str]] = [("bad", diagnostics.explain(found, name))
                                    for name in found["signs"]]
    signs += [("warn", "outside: " + diagnostics.explain(found, name))
              for name in diagnostics.unmet(found)]
    if not signs:
        signs.append(("ok", "healthy: " + ", ".join(
            name.replace("_", " ") for name in state.health["indicators"])))
    return signs


def ecology_panel(state: State, width: int) -> RenderableType:
    """Energy, the resource field (a strip of its regions) and the tasks performed."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", width=9)
    table.add_column()
    energy = [h.energy for h in state.history]
    spark = max(6, width - 22)
    table.add_row("energy", Text.assemble(
        f"{state.energy.get('mean', 0.0):6.1f} ",
        (sparkline([round(e) for e in energy], spark - 7), "yellow")))
    strip = [int(v) for v in state.resources.get("strip", [])]
    table.add_row("field", Text(sparkline(strip, min(len(strip), spark)) or "-",
                                style="green"))
    done = [(name, n) for name, n in state.tasks.items() if n]
    cells = max(1, state.population)
    lines = [f"{name} {100 * n / cells:.0f}%" for name, n in done] or ["none yet"]
    row: list[str] = []
    rows: list[str] = []
    for item in lines:
        if len(" ".join([*row, item])) > width - 14 and row:
            rows.append(" ".join(row))
            row = []
        row.append(item)
    rows.append(" ".join(row))
    for k, text in enumerate(rows[:4]):
        table.add_row("tasks" if k == 0 else "", Text(text, style="magenta"))
    return Panel(table, title="energy, field, tasks", box=box.ROUNDED)


def totals_panel(state: State) -> RenderableType:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("births", f"{state.births:,}")
    table.add_row("deaths", f"{state.deaths:,}")
    for kind, count in state.mutations.items():
        table.add_row(kind, f"{count:,}")
    return Panel(table, title="totals, mutations", box=box.ROUNDED)


def workers_panel(state: State, rows: int) -> RenderableType:
    table = Table(box=None, expand=True, pad_edge=False, padding=(0, 1))
    table.add_column("worker", style="bold", no_wrap=True, min_width=6)
    table.add_column("host", no_wrap=True)
    table.add_column("islands")
    table.add_column("instr/s", justify="right")
    table.add_column("seen", justify="right")
    table.add_column("state")
    for w in state.workers[:rows]:
        table.add_row(Text(shown(str(w["id"]), 64)), Text(shown(str(w.get("host", "")), 32)),
                      ",".join(str(i) for i in w.get("islands", [])) or "-",
                      _num(float(w.get("instructions_per_s", 0))),
                      f"{float(w.get('last_seen_s', 0)):.1f}s", str(w.get("state", "")))
    if not state.workers:
        table.add_row("-", "", "", "", "", "")
    return Panel(table, title=f"workers ({len(state.workers)})", box=box.ROUNDED)


def islands_panel(state: State, rows: int) -> RenderableType:
    table = Table(box=None, expand=True, pad_edge=False, padding=(0, 1))
    table.add_column("island", justify="right", style="bold")
    table.add_column("worker", no_wrap=True)
    table.add_column("cells", justify="right")
    table.add_column("epoch", justify="right")
    table.add_column("steps", justify="right")
    table.add_column("snap", justify="right")
    for i in state.islands[:rows]:
        age = i.get("snapshot_age_s")
        table.add_row(str(i["id"]), Text(shown(str(i.get("worker") or "-"), 64)),
                      str(i.get("population", 0)),
                      str(i.get("epoch", 0)), _num(float(i.get("steps", 0))),
                      f"{age:.0f}s" if age is not None else "-")
    return Panel(table, title=f"islands ({len(state.islands)})", box=box.ROUNDED)


def dashboard(state: State, extras: Extras, width: int = 80, height: int = 24) -> Layout:
    """The whole screen for a terminal of ``width`` x ``height`` (80x24 at least)."""
    layout = Layout()
    head = 4 if state.max_steps else 3
    half = width // 2
    inside = max(3, height - head - TOP_ROWS - 2)  # lines inside a bottom panel's borders
    left = (detail_panel(extras.detail, inside, half) if extras.detail
            else soup_panel(state, inside, half, extras.map_mode) if extras.map_mode
            else sizes_panel(state, inside, half))
    layout.split_column(
        Layout(header(state, extras), name="header", size=head),
        Layout(name="top", size=TOP_ROWS),
        Layout(name="bottom"),
    )
    side = min(40, max(26, width // 3))
    side_panel = (ecology_panel(state, side) if state.regime == "ecology" or state.tasks
                  else totals_panel(state))
    layout["top"].split_row(
        Layout(population_panel(state, width - side), name="population"),
        Layout(side_panel, name="totals", size=side),
    )
    rows = max(3, inside - 2)
    if extras.label == "monitor":  # a server: its workers, islands and top genotypes
        split = max(3, rows // 2)
        right = Layout(name="fleet")
        lower = (help_panel(extras) if extras.help
                 else genotypes_panel(state, rows - split) if extras.genotypes
                 else islands_panel(state, rows))
        right.split_column(Layout(workers_panel(state, split - 1), size=split + 2),
                           Layout(lower))
        layout["bottom"].split_row(Layout(left, name="sizes", size=half), right)
        return layout
    layout["bottom"].split_row(
        Layout(left, name="sizes", size=half),
        Layout(help_panel(extras) if extras.help
               else genotypes_panel(state, inside - 1, extras.selected),  # -1: its header
               name="genotypes"),
    )
    return layout
