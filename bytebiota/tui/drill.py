"""Genotype drill-down: a row of the top genotypes table picked with the arrow keys, and, on
Enter, what is known of it: size, cells and parent, its line of descent, whether it
replicates alone (Tierra's isolation test, ``bytebiota culture``), and its code.

The producer says what it knows through a ``Genotypes`` source (a live run: its genebank; a
replay: the journal's ``genotype`` events); ``details`` turns that into the panel's lines.
No rich here: the lines are plain text, drawn by views.detail_panel.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bytebiota.tui.model import State
from bytebiota.tui.views import Extras

GOD = "0666god"
DESCENT_SHOWN = 6  # generations listed above the genotype
CULTURE_STEPS = 500_000  # the isolation test's length here (`culture` runs 2 M by default)


@dataclass
class Genotypes:
    """What a producer knows of genotypes by name: genome (None: not kept), parent."""

    genome: Callable[[str], bytes | None]
    parent: Callable[[str], str | None]
    culture: Callable[[bytes], str] | None = None  # a verdict in words, when it can run one


def key(extras: Extras, state: State, pressed: str, source: Genotypes) -> str | None:
    """Up and down pick a row of the top genotypes, Enter shows (or hides) its details;
    None for any other key."""
    rows = len(state.top_genotypes)
    if pressed in ("up", "down"):
        if not rows:
            return "no genotypes yet"
        if extras.selected < 0:
            extras.selected = 0 if pressed == "down" else rows - 1
        else:
            step = 1 if pressed == "down" else -1
            extras.selected = (extras.selected + step) % rows
        name = state.top_genotypes[extras.selected][0]
        if extras.detail:  # the panel follows the selection
            extras.detail = details(name, state, source)
        return f"{name}: Enter for details"
    if pressed in ("\r", "\n"):
        if extras.detail or not rows or extras.selected < 0:
            extras.detail = []
            return "details closed" if rows else "no genotypes yet"
        name = state.top_genotypes[min(extras.selected, rows - 1)][0]
        extras.detail = details(name, state, source)
        return f"{name}: Enter closes"
    return None


def details(name: str, state: State, source: Genotypes) -> list[str]:
    row = next((r for r in state.top_genotypes if r[0] == name), None)
    genome = source.genome(name)
    size = row[1] if row else (len(genome) if genome else int(name[:4]))
    cells = f"{row[2]:,} cells" if row else "not among the top genotypes now"
    parent = source.parent(name) or (row[3] if row else "?")
    lines = [f"{name}: {size} bytes, {cells}, parent {parent}"]
    line = [name]
    above: str | None = parent
    while above and above != GOD and len(line) <= DESCENT_SHOWN:
        line.append(above)
        above = source.parent(above)
    more = "" if not above or above == GOD else " ..."
    lines.append("descent: " + " < ".join(line) + more)
    if name in state.ecotypes:
        lines.append(f"ecotype: {state.ecotypes[name]} (the run's background classification)")
    if genome is None:
        lines.append("its genome was not kept (it never became permanent)")
        return lines
    if source.culture is not None:
        lines.append("alone: " + source.culture(genome))
    from bytebiota.core.isa import MNEMONICS

    code = [MNEMONICS[b] if b < len(MNEMONICS) else f"byte{b}" for b in genome]
    lines.append("code: " + " ".join(code))
    return lines


def culture_verdict(config: object, steps: int = CULTURE_STEPS) -> Callable[[bytes], str]:
    """``bytebiota culture``'s isolation test, in the regime of ``config``, in words."""
    from bytebiota.config import Config
    from bytebiota.culture import culture
    from bytebiota.errors import UserError

    assert isinstance(config, Config)

    def verdict(genome: bytes) -> str:
        try:
            result = culture(genome, config, steps)
        except UserError as exc:
            return str(exc)
        if not result.replicates:
            return f"does NOT replicate ({steps:,} instructions alone)"
        return (f"replicates: {result.cells} cells after {steps:,} instructions, the first "
                f"daughter after {result.first_daughter_instructions}")

    return verdict
