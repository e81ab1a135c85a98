"""Measure the ecology's logic tasks: runs, head-to-head competitions, shortest programs.

    .venv/bin/python tools/tasks.py runs --seeds 1-6 --steps 2100e6 [--merit] [--set N=V ...]
    .venv/bin/python tools/tasks.py duel A.asm B.asm [--steps 20e6] [--mutations] [--merit]
    .venv/bin/python tools/tasks.py duel --variant xor --variant nand [--merit]
    .venv/bin/python tools/tasks.py search [--length 8]

``runs``: per seed and task, the first instruction count at which the task is performed by
>= 1 % of the living cells *and* >= 10 cells (``-``: never), its peak share, and its share at
the end; also the population (mean, last), births and seconds. A task is counted for a cell
that performed it at least once (``World.task_counts``). ``--out FILE`` appends one JSON line
per seed as soon as it is done (long runs are then safe to stop).

``duel``: two genomes (.asm files, or ``--variant`` names: the 165-byte ecology ancestor,
ecology165.asm, with its filler replaced by a hand-written program, ``VARIANTS``), one copy
each injected into a fresh world; run until one is gone or ``--steps``; prints the winner
and the trajectory. Mutations are off unless ``--mutations``. Genomes that differ by one task
show a reward rule's effect in minutes.

``--merit`` runs issue 19's experiment (``MERIT``, docs/ecology.md: the merit rule, mutations
that substitute any opcode, the 165-byte ancestor, rent 0.000001, REAP_CHANCE 0, AGE_LIMIT
20) instead of the default configuration; ``--set`` after it changes single variables.

``search``: the shortest straight-line programs in the ecology instruction set (the register,
stack and logic instructions) that end with ``out`` of each task's value, from the ancestor's
state after its two ``in`` (dx = the first input, cx = the second), by breadth-first search
over machine states on random input vectors.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bytebiota import simulation  # noqa: E402
from bytebiota.config import isolated  # noqa: E402
from bytebiota.core.isa import CODES, TASK_NAMES  # noqa: E402
from bytebiota.core.world import World  # noqa: E402
from bytebiota.genome import asm  # noqa: E402

MIN_CELLS = 10
TRACE_EVERY = 25  # windows between the points of a run's trace (``--out``)
MASK = 0xFFFFFFFF
# Issue 19's configuration (docs/ecology.md, "The merit configuration"): opt-in, since its
# targets were not met; the default ecology regime runs the seed's rules.
MERIT = ["TASK_REWARD_RULE=merit", "MUTATION_REACH=any", "ANCESTOR=ecology165",
         "MEMORY_RENT_PER_BYTE=0.000001", "REAP_CHANCE=0", "AGE_LIMIT=20"]


def settings_of(args: argparse.Namespace) -> list[str]:
    return [*(MERIT if args.merit else []), *args.set]

# ---- runs ------------------------------------------------------------------------------------


def parse_seeds(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds.extend(range(int(lo), int(hi or lo) + 1))
    return seeds


def follow(seed: int, steps: int, window: int, settings: list[str]) -> dict[str, Any]:
    """One run from the configured ancestor; per task: first step at >= 1 % and >= 10 cells,
    peak share, share at the end."""
    world = simulation.new_world(isolated(settings), seed)
    first: dict[str, int] = {}
    peak: dict[str, float] = dict.fromkeys(TASK_NAMES, 0.0)
    peak_cells: dict[str, int] = dict.fromkeys(TASK_NAMES, 0)
    pops: list[int] = []
    trace: list[list[int]] = []  # every TRACE_EVERY windows: M instructions, cells, births,
    # then the cells per task
    size_trace: list[list[int]] = []  # at the same points: M instructions, the living cells'
    # genome sizes (mean, median, 90th percentile, largest), instructions per birth since
    # the previous point
    last_steps, last_births = 0, 0
    extinct = False
    started = time.perf_counter()
    while world.steps < steps:
        report = world.run(min(window, steps - world.steps))
        if report.extinct:
            extinct = True
            break
        pop = world.population
        pops.append(pop)
        counts = world.task_counts()
        if len(pops) % TRACE_EVERY == 0:
            trace.append([world.steps // 1_000_000, pop, world.births,
                          *(counts[name] for name in TASK_NAMES)])
            body = sorted(world.cells.reg(c, "csize") for c in world.living())
            if body:
                born = world.births - last_births
                size_trace.append([world.steps // 1_000_000, sum(body) // len(body),
                                   body[len(body) // 2], body[len(body) * 9 // 10], body[-1],
                                   (world.steps - last_steps) // born if born else 0])
            last_steps, last_births = world.steps, world.births
        for name, cells in counts.items():
            share = cells / pop if pop else 0.0
            if name not in first and cells * 100 >= pop > 0 and cells >= MIN_CELLS:
                first[name] = world.steps
            peak[name] = max(peak[name], share)
            peak_cells[name] = max(peak_cells[name], cells)
    pop = world.population
    end = world.task_counts()
    sizes = [size for _, size, _, _ in world.genotype_counts()[:1]]
    return {
        "seed": seed, "steps": world.steps, "extinct": extinct, "population": pop,
        "mean_population": round(sum(pops) / len(pops), 1) if pops else 0,
        "births": world.births, "top_genotype_size": sizes[0] if sizes else 0,
        "first_at_1pct_10cells": {name: first.get(name) for name in TASK_NAMES},
        "peak_share": {name: round(peak[name], 4) for name in TASK_NAMES},
        "peak_cells": peak_cells,
        "end_share": {name: round(end[name] / pop, 4) if pop else 0.0 for name in TASK_NAMES},
        "seconds": round(time.perf_counter() - started, 1), "trace": trace,
        "sizes": size_trace,
    }


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown: first M at 1 % (>= 10 cells) / peak % / end % per task and seed."""
    head = "| task | " + " | ".join(f"seed {r['seed']}" for r in rows) + " |"
    lines = [head, "|---|" + "---|" * len(rows)]
    for name in TASK_NAMES:
        cells = []
        for r in rows:
            at = r["first_at_1pct_10cells"][name]
            first = "-" if at is None else f"{at / 1e6:.0f}"
            cells.append(f"{first} / {100 * r['peak_share'][name]:.0f} / "
                         f"{100 * r['end_share'][name]:.0f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| cells (mean, end) | " + " | ".join(
        f"{r['mean_population']:.0f}, {r['population']}" for r in rows) + " |")
    lines.append("| births (M) | " + " | ".join(
        f"{r['births'] / 1e6:.2f}" for r in rows) + " |")
    if all(r.get("sizes") for r in rows):  # (runs written before the size trace: none)
        lines.append("| genome size, end (mean, median, max) | " + " | ".join(
            "{1}, {2}, {4}".format(*r["sizes"][-1]) for r in rows) + " |")
        lines.append("| instructions per birth (whole run) | " + " | ".join(
            f"{r['steps'] // max(1, r['births']):,}" for r in rows) + " |")
    lines.append("| seconds | " + " | ".join(f"{r['seconds']:.0f}" for r in rows) + " |")
    lines.append("| instructions (M) | " + " | ".join(
        f"{r['steps'] / 1e6:.0f}" + (" extinct" if r["extinct"] else "") for r in rows) + " |")
    return "\n".join(lines)


def targets(rows: list[dict[str, Any]]) -> list[str]:
    """Issue 19's targets over these seeds, one line each: what was measured, met or not."""
    n = len(rows)
    need = -(-2 * n // 3)  # 4 of 6
    reached = {name: [r["seed"] for r in rows if r["first_at_1pct_10cells"][name] is not None]
               for name in TASK_NAMES}
    equ = reached["EQU"]
    equ_held = [r["seed"] for r in rows if r["seed"] in equ and r["end_share"]["EQU"] >= 0.10]
    xe = [r["seed"] for r in rows if max(r["peak_share"]["XOR"], r["peak_share"]["EQU"]) >= 0.10]
    per_seed = [sum(r["first_at_1pct_10cells"][name] is not None for name in TASK_NAMES)
                for r in rows]
    few = min(len(seeds) for seeds in reached.values())
    extinct = [r["seed"] for r in rows if r["extinct"]]

    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    return [
        f"EQU at 1 % and 10 cells: seeds {equ or '-'} ({len(equ)} of {n}, need {need}); "
        f"held by >= 10 % at the end in {equ_held or '-'}: "
        f"{met(len(equ) >= need and equ_held == equ)}",
        f"XOR or EQU >= 10 % at some point: seeds {xe or '-'} ({len(xe)} of {n}): "
        f"{met(len(xe) >= need)}",
        f"every task at 1 % in at least {few} seeds (need {n // 2}): {met(few >= n // 2)}",
        f"tasks at 1 % per seed: {per_seed} (need >= 7 each): {met(min(per_seed) >= 7)}",
        f"extinct: {extinct or 'none'}: {met(not extinct)}",
    ]


def command_runs(args: argparse.Namespace) -> None:
    rows = []
    for seed in parse_seeds(args.seeds):
        row = follow(seed, int(args.steps), int(args.window), settings_of(args))
        row["settings"] = settings_of(args)
        rows.append(row)
        if args.out:
            with open(args.out, "a") as f:
                f.write(json.dumps(row) + "\n")
        print(f"seed {seed}: {row['seconds']} s, {row['population']} cells", flush=True)
    print(json.dumps(rows, indent=1) if args.json else table(rows))
    if not args.json:
        print("\n".join(targets(rows)))


def command_table(args: argparse.Namespace) -> None:
    rows = [json.loads(line) for line in Path(args.file).read_text().splitlines() if line]
    print(table(rows))
    print("\n".join(targets(rows)))


# ---- duels -----------------------------------------------------------------------------------

# Programs that replace the first of the 165-byte ancestor's 80 filler bytes (37-116,
# ecology165.asm), run with dx = the first input and cx = the second (the ancestor's two
# ``in`` precede them); padded with filler.
SAVE = ["push_dx", "push_cx"]  # the stack: the size, the first input, the second
RESTORE = ["pop_cx", "pop_dx", "push_dx", "push_cx"]
DROP = ["pop_cx", "pop_dx"]  # the size on top again, for the ancestor's pop_cx
XOR = ["push_cx", "nand", "inc_c", "swap_cd", "add_cd", "add_cd", "pop_dx", "add_cd", "out"]
VARIANTS: dict[str, list[str]] = {
    "none": [],
    "nand": ["nand", "out"],
    "not": ["mov_dc", "nand", "out"],
    "nand_orn": ["nand", "out", "push_cx", "mov_dc", "nand", "swap_cd", "pop_cx", "nand",
                 "out"],
    # a ^ b = a + b - 2 (a & b), with -(a & b) = ~(a & b) + 1 (found by ``search``)
    "xor": XOR,
    "equ": [*XOR[:-1], "mov_cd", "nand", "out"],
    "xor_equ": [*XOR, "mov_cd", "nand", "out"],
    # three tasks, and the same three plus XOR (the inputs kept on the stack between them)
    "nand_orn_andn": [*SAVE, "nand", "out", *RESTORE, "nand", "nand", "out", *RESTORE,
                      "nand", "add_cd", "inc_c", "out", *DROP],
    "nand_orn_andn_xor": [*SAVE, "nand", "out", *RESTORE, "nand", "nand", "out", *RESTORE,
                          "nand", "add_cd", "inc_c", "out", *RESTORE, *XOR, *DROP],
}


def variant(name: str) -> bytes:
    """The 165-byte ecology ancestor with its filler replaced by VARIANTS[name] (or an .asm
    file)."""
    base = bytearray(asm.ancestor("ecology165").code)
    if name not in VARIANTS:
        return asm.load(name).code
    program = VARIANTS[name]
    filler = [i for i, b in enumerate(base) if b >= CODES["nopx44"]]
    if len(program) > len(filler):
        raise SystemExit(f"tasks.py: variant {name} is longer than the filler block")
    for k, i in enumerate(filler):
        base[i] = CODES[program[k]] if k < len(program) else base[i]
    return bytes(base)


def duel(a: bytes, b: bytes, *, steps: int, window: int, settings: list[str], seed: int,
         mutations: bool) -> dict[str, Any]:
    config = isolated(settings)
    world = World(simulation.params(config, mutations=mutations), seed)
    half = world.size // 2
    world.inject(a, 0)
    world.inject(b, half)
    trace: list[tuple[int, int, int]] = []
    winner = ""
    while world.steps < steps:
        report = world.run(window)
        na = nb = 0
        for c in world.living():
            g = world.genome_of(c)
            na += g == a
            nb += g == b
        trace.append((world.steps, na, nb))
        if report.extinct or (not mutations and (na == 0 or nb == 0)):
            winner = "a" if na > nb else "b" if nb > na else "none"
            break
    if not winner:
        _, na, nb = trace[-1]
        winner = "a" if na > nb else "b" if nb > na else "none"
    return {"winner": winner, "steps": world.steps, "trace": trace,
            "tasks_end": world.task_counts()}


def command_duel(args: argparse.Namespace) -> None:
    names = list(args.genomes) + list(args.variant)
    if len(names) != 2:
        raise SystemExit("tasks.py: a duel needs two genomes (files or --variant)")
    a, b = (variant(n) for n in names)
    for seed in parse_seeds(args.seeds):
        result = duel(a, b, steps=int(args.steps), window=int(args.window),
                      settings=settings_of(args), seed=seed, mutations=args.mutations)
        won = {"a": names[0], "b": names[1]}.get(result["winner"], "none")
        _, na, nb = result["trace"][-1]
        print(f"seed {seed}: {names[0]} {na} vs {names[1]} {nb} cells at "
              f"{result['steps'] / 1e6:.1f} M: winner {won}")
        if args.json:
            print(json.dumps(result))


# ---- search ----------------------------------------------------------------------------------

State = tuple[tuple[int, ...], tuple[int, ...], tuple[tuple[int, ...], ...], int]
# (cx per vector, dx per vector, stack per vector (top last), next input)
OPS: dict[str, Callable[[int, int, tuple[int, ...], int], tuple[int, int, tuple[int, ...]]]]
OPS = {
    "nand": lambda cx, dx, st, k: (~(cx & dx) & MASK, dx, st),
    "mov_dc": lambda cx, dx, st, k: (dx, dx, st),
    "mov_cd": lambda cx, dx, st, k: (cx, cx, st),
    "swap_cd": lambda cx, dx, st, k: (dx, cx, st),
    "add_cd": lambda cx, dx, st, k: ((cx + dx) & MASK, dx, st),
    "push_cx": lambda cx, dx, st, k: (cx, dx, ((*st, cx))[-10:]),
    "push_dx": lambda cx, dx, st, k: (cx, dx, ((*st, dx))[-10:]),
    "pop_cx": lambda cx, dx, st, k: (st[-1] if st else 0, dx, st[:-1]),
    "pop_dx": lambda cx, dx, st, k: (cx, st[-1] if st else 0, st[:-1]),
    "zero": lambda cx, dx, st, k: (0, dx, st),
    "or1": lambda cx, dx, st, k: (cx ^ 1, dx, st),
    "sh1": lambda cx, dx, st, k: ((cx << 1) & MASK, dx, st),
    "inc_c": lambda cx, dx, st, k: ((cx + 1) & MASK, dx, st),
    "dec_c": lambda cx, dx, st, k: ((cx - 1) & MASK, dx, st),
}
# Candidate instructions, for asking what a change to the instruction set would shorten.
CANDIDATES: dict[str, Callable[[int, int, tuple[int, ...], int],
                               tuple[int, int, tuple[int, ...]]]] = {
    "nand_d": lambda cx, dx, st, k: (cx, ~(cx & dx) & MASK, st),
    "nand_s": lambda cx, dx, st, k: ((~(cx & st[-1]) & MASK) if st else MASK, dx, st),
    "dup_s": lambda cx, dx, st, k: (cx, dx, (st + st[-1:])[-10:]),
    "swap_cs": lambda cx, dx, st, k: ((st[-1], dx, (*st[:-1], cx)) if st else (0, dx, (cx,))),
}
TASK_FUNCS: dict[str, Callable[[int, int], int]] = {
    "NOT": lambda a, b: ~a & MASK,
    "NAND": lambda a, b: ~(a & b) & MASK,
    "AND": lambda a, b: a & b,
    "ORN": lambda a, b: (a | ~b) & MASK,
    "OR": lambda a, b: a | b,
    "ANDN": lambda a, b: a & ~b & MASK,
    "NOR": lambda a, b: ~(a | b) & MASK,
    "XOR": lambda a, b: a ^ b,
    "EQU": lambda a, b: ~(a ^ b) & MASK,
}


def _targets(vectors: list[tuple[int, int, int]], read: int) -> dict[str, set[tuple[int, ...]]]:
    """For each task, the output tuples (one value per vector) that perform it on the inputs
    read so far (any ordered pair of distinct inputs; NOT of any input)."""
    out: dict[str, set[tuple[int, ...]]] = {name: set() for name in TASK_FUNCS}
    for i in range(read):
        out["NOT"].add(tuple(TASK_FUNCS["NOT"](v[i], 0) for v in vectors))
        for j in range(read):
            if i != j:
                for name, f in TASK_FUNCS.items():
                    if name != "NOT":
                        out[name].add(tuple(f(v[i], v[j]) for v in vectors))
    return out


def search(max_length: int, ops: list[str], seed: int = 7,
           max_states: int = 3_000_000) -> dict[str, list[str] | None]:
    """Shortest programs (ending with ``out``) per task, from dx = input 1, cx = input 2."""
    import random

    rnd = random.Random(seed)
    vectors = [(rnd.getrandbits(32), rnd.getrandbits(32), rnd.getrandbits(32))
               for _ in range(4)]
    targets = {read: _targets(vectors, read) for read in (2, 3)}
    start: State = (tuple(v[1] for v in vectors), tuple(v[0] for v in vectors),
                    tuple(() for _ in vectors), 2)
    found: dict[str, list[str] | None] = dict.fromkeys(TASK_FUNCS)
    seen = {start: ()}
    frontier: list[tuple[State, tuple[str, ...]]] = [(start, ())]
    names = [*ops, "in"]
    for depth in range(max_length):
        nxt: list[tuple[State, tuple[str, ...]]] = []
        for state, prog in frontier:
            cxs, dxs, sts, k = state
            for name, goal in targets[min(k, 3)].items():
                if found[name] is None and cxs in goal:
                    found[name] = [*prog, "out"]
            if depth == max_length - 1 or len(seen) > max_states:
                continue
            for op in names:
                if op == "in":
                    if k >= 3:
                        continue
                    new: State = (tuple(v[k] for v in vectors), cxs, sts, k + 1)
                else:
                    f = OPS[op]
                    results = [f(cxs[i], dxs[i], sts[i], k) for i in range(len(vectors))]
                    new = (tuple(r[0] for r in results), tuple(r[1] for r in results),
                           tuple(r[2] for r in results), k)
                if new not in seen:
                    seen[new] = ()
                    nxt.append((new, (*prog, op)))
        frontier = nxt
        if all(found.values()) or not frontier:
            break
    return found


def command_search(args: argparse.Namespace) -> None:
    ops = [op for op in OPS if op not in args.without] + args.extra
    OPS.update({name: CANDIDATES[name] for name in args.extra})
    found = search(args.length, ops)
    for name in TASK_FUNCS:
        prog = found[name]
        print(f"{name:5} " + (f"{len(prog):2}: {' '.join(prog)}" if prog else
                              f" -: none within {args.length}"))


def _run_options(p: argparse.ArgumentParser, seeds: str, steps: float, window: float) -> None:
    """What runs and duels both take, with their own defaults."""
    p.add_argument("--seeds", default=seeds)
    p.add_argument("--steps", type=float, default=steps)
    p.add_argument("--window", type=float, default=window)
    p.add_argument("--merit", action="store_true",
                   help="issue 19's configuration (MERIT) instead of the defaults")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    p.add_argument("--json", action="store_true")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("runs")
    _run_options(p, seeds="1-6", steps=2100e6, window=1e6)
    p.add_argument("--out", help="append one JSON line per seed to this file")
    p = sub.add_parser("table", help="the table of a runs --out file")
    p.add_argument("file")
    p = sub.add_parser("duel")
    _run_options(p, seeds="1", steps=20e6, window=0.5e6)
    p.add_argument("genomes", nargs="*")
    p.add_argument("--variant", action="append", default=[])
    p.add_argument("--mutations", action="store_true")
    p = sub.add_parser("search")
    p.add_argument("--length", type=int, default=8)
    p.add_argument("--without", action="append", default=[], metavar="OP")
    p.add_argument("--extra", action="append", default=[], choices=sorted(CANDIDATES),
                   help="a candidate instruction to add to the search")
    args = parser.parse_args()
    try:
        {"runs": command_runs, "table": command_table, "duel": command_duel,
         "search": command_search}[args.command](args)
    except (ValueError, OSError) as exc:
        raise SystemExit(f"tasks.py: {exc}") from None


if __name__ == "__main__":
    main()
