"""``bytebiota genome diff A B``: two genomes aligned side by side, each a file, a shipped
ancestor's name or ``RUN:GENOTYPE`` (a genotype a run saved), of either instruction set.

The alignment is difflib's (longest matching blocks of opcodes), which is what a person
reading a mutation wants: an insertion shifts the rest instead of making every later line
differ. Each row shows both offsets and mnemonics and a marker: ``=`` same, ``~`` changed,
``<`` only in A, ``>`` only in B.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from bytebiota.core.isa import MNEMONICS
from bytebiota.genome.asm import Genome, resolve

if TYPE_CHECKING:
    from bytebiota.config import Config

Row = tuple[str, int | None, int | None]  # marker, offset in A, offset in B


def align(a: bytes, b: bytes) -> Iterator[Row]:
    matcher = difflib.SequenceMatcher(a=list(a), b=list(b), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                yield "=", i1 + k, j1 + k
        elif tag == "replace":
            for k in range(max(i2 - i1, j2 - j1)):
                yield ("~", i1 + k if i1 + k < i2 else None, j1 + k if j1 + k < j2 else None)
        elif tag == "delete":
            for k in range(i1, i2):
                yield "<", k, None
        else:
            for k in range(j1, j2):
                yield ">", None, k


def render(a: Genome, b: Genome, name_a: str, name_b: str, *, context: int | None) -> list[str]:
    rows = list(align(a.code, b.code))
    keep = set(range(len(rows)))
    if context is not None:
        changed = [i for i, row in enumerate(rows) if row[0] != "="]
        keep = {j for i in changed for j in range(i - context, i + context + 1)}
    width = 18
    out = [f"{'':>5} {name_a[:width]:<{width}}   {'':>5} {name_b[:width]}"]
    previous = -2
    for i, (marker, ia, ib) in enumerate(rows):
        if i not in keep:
            continue
        if i != previous + 1 and previous >= 0:
            out.append("  ...")
        previous = i
        left = f"{ia:>5} {MNEMONICS[a.code[ia]]:<{width}}" if ia is not None else " " * (width + 6)
        right = f"{ib:>5} {MNEMONICS[b.code[ib]]}" if ib is not None else ""
        out.append(f"{left} {marker} {right}".rstrip())
    same = sum(1 for row in rows if row[0] == "=")
    out.append(f"{len(a.code)} vs {len(b.code)} bytes; {same} aligned identical, "
               f"{len(rows) - same} differ")
    return out


def command(args: argparse.Namespace, config: Config) -> None:
    a, b = resolve(args.a, config), resolve(args.b, config)
    lines = render(a, b, a.name or args.a, b.name or args.b,
                   context=None if args.all else args.context)
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.text import Text

        styles = {"~": "bold yellow", "<": "bold red", ">": "bold green"}
        console = Console(highlight=False)
        for line in lines:
            marker = line[25:26] if len(line) > 25 else ""
            console.print(Text(line, style=styles.get(marker, "")))
    else:
        print("\n".join(lines))
