"""The genome assembly format, its assembler and disassembler.

A genome file is text, one instruction mnemonic per line (``docs/opcode-reference.md``), with ``;``
starting a comment and ``.key value`` header lines for metadata, for example::

    ; Ray's ancestor
    .name   0080aaa
    .parent 0666god
    .origin 0
    nop_1        ; beginning marker
    ...

Known header keys: ``name``, ``parent``, ``origin`` (the step the genotype appeared),
``size`` (checked against the instructions when present). A ``.bin`` file is the raw bytes.
Errors name ``file:line`` and what is wrong (``GenomeError``, a user error: exit status 2).
"""

from __future__ import annotations

import argparse
import difflib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bytebiota.core.isa import CODES, MNEMONICS
from bytebiota.errors import UserError, read_user_file

if TYPE_CHECKING:
    from bytebiota.config import Config

HEADER_KEYS = ("name", "parent", "origin", "size")
ANCESTORS = Path(__file__).resolve().parent / "ancestors"


class GenomeError(UserError):
    """A genome file that cannot be read: names the file, the line and the fault."""


@dataclass
class Genome:
    code: bytes
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.meta.get("name", "")


def assemble(text: str, source: str = "<text>") -> Genome:
    code = bytearray()
    meta: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        where = f"{source}:{number}"
        if line.startswith("."):
            key, _, value = line[1:].partition(" ")
            key = key.strip().lower()
            if key not in HEADER_KEYS:
                raise GenomeError(
                    f"{where}: unknown header .{key}; known: "
                    + ", ".join("." + k for k in HEADER_KEYS)
                )
            meta[key] = value.strip()
            continue
        words = line.split()
        if len(words) != 1:
            raise GenomeError(f"{where}: one mnemonic per line, got {line!r}")
        mnemonic = words[0].lower()
        if mnemonic not in CODES:
            close = difflib.get_close_matches(mnemonic, MNEMONICS, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise GenomeError(f"{where}: unknown mnemonic {words[0]!r}{hint}")
        code.append(CODES[mnemonic])
    if not code:
        raise GenomeError(f"{source}: no instructions")
    if meta.get("size", str(len(code))) != str(len(code)):
        raise GenomeError(
            f"{source}: header says .size {meta['size']} but there are {len(code)} instructions"
        )
    return Genome(bytes(code), meta)


def disassemble(genome: Genome, *, offsets: bool = True) -> str:
    lines = []
    meta = dict(genome.meta)
    meta["size"] = str(len(genome.code))
    for key in HEADER_KEYS:
        if meta.get(key):
            lines.append(f".{key} {meta[key]}")
    for offset, byte in enumerate(genome.code):
        mnemonic = MNEMONICS[byte] if byte < len(MNEMONICS) else f"; byte {byte}"
        lines.append(f"{mnemonic:<10} ; {offset}" if offsets else mnemonic)
    return "\n".join(lines) + "\n"


def from_binary(data: bytes, source: str = "<bytes>") -> Genome:
    if not data:
        raise GenomeError(f"{source}: empty genome")
    for offset, byte in enumerate(data):
        if byte >= len(MNEMONICS):
            raise GenomeError(
                f"{source}: byte {offset} is {byte}, not an opcode (0..{len(MNEMONICS) - 1})"
            )
    return Genome(bytes(data), {})


def load(path: str | Path) -> Genome:
    """A genome from an ``.asm`` or ``.bin`` file, or a shipped ancestor by name."""
    p = Path(path)
    if not p.exists() and (ANCESTORS / f"{path}.asm").exists():
        p = ANCESTORS / f"{path}.asm"
    data = read_user_file(p, GenomeError)
    if p.suffix == ".bin":
        return from_binary(data, str(p))
    try:
        text = data.decode()
    except UnicodeDecodeError:
        raise GenomeError(f"{p}: not text; binary genomes need a .bin name") from None
    return assemble(text, str(p))


def resolve(text: str, config: Config) -> Genome:
    """The one loader of the genome commands: a file (``.asm`` or ``.bin``), a shipped
    ancestor's name (``classic``), or ``RUN:GENOTYPE``, a genotype a run saved
    (``latest:0045aaa``; ``bytebiota.runs.genome_path``), of either instruction set."""
    from bytebiota.runs import genome_path

    return load(genome_path(text, config))


def ancestor(name: str = "classic") -> Genome:
    path = ANCESTORS / f"{name}.asm"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in ANCESTORS.glob("*.asm")))
        raise GenomeError(f"no ancestor called {name!r}; shipped: {known}")
    return load(path)


def command_asm(args: argparse.Namespace, config: Config) -> None:
    from bytebiota.runs import genome_path

    path = Path(genome_path(args.file, config))
    genome = load(path)
    if args.output:
        out = Path(args.output)
    elif Path(args.file).exists():
        out = path.with_suffix(".bin")
    else:  # RUN:GENOTYPE or an ancestor: not beside the run's genebank or the package's files
        out = Path(f"{path.stem}.bin")
    out.write_bytes(genome.code)
    print(f"{out}: {len(genome.code)} bytes")


FAMILY_STYLES = {"template": "cyan", "control": "bold magenta", "reproduction": "bold red",
                 "move": "green", "address": "yellow", "stack": "blue", "arithmetic": "",
                 "environment": "bold green", "io": "bold cyan", "logic": "bold yellow",
                 "filler": "dim"}


def command_disasm(args: argparse.Namespace, config: Config) -> None:
    genome = resolve(args.file, config)
    text = disassemble(genome)
    if not sys.stdout.isatty():
        print(text, end="")
        return
    from rich.console import Console
    from rich.text import Text

    from bytebiota.core.isa import INSTRUCTIONS_ECOLOGY  # both sets: the classic is its start

    family = {row[1]: row[2] for row in INSTRUCTIONS_ECOLOGY}
    console = Console(highlight=False)
    for line in text.splitlines():
        mnemonic = line.split()[0] if line and not line.startswith(".") else ""
        style = FAMILY_STYLES.get(family.get(mnemonic, ""), "")
        console.print(Text(line, style=style or ("dim" if line.startswith(".") else "")))
