"""Differential fuzzer: the compiled and the pure core run the same worlds in lockstep and must
agree bit for bit (docs/architecture.md, "Exact and deterministic").

Each case is a world built from a random configuration within the documented ranges
(``bytebiota.variables``): either regime, small and large soups, high copy, flaw, background
and indel rates, random slicer and reaper settings, the ecology's task reward rule, mutation
reach, age limit and ancestor, random genomes injected beside the ancestor. The same world
runs in two child processes, one per core, in chunks of random length; after every chunk the
full digests (``World.digest``: the whole state, RNG included) are compared. Between
chunks, at random: immigrants (random genomes and the world's own emigrants) enter both
worlds; a run is cut by a slice limit; one child saves a snapshot,
restores it and goes on (a cut run must equal the uncut one); the pure child takes the
compiled child's snapshot instead of its own state (a snapshot restores in either core).

On a difference the fuzzer narrows it to the first instruction at which the two worlds differ
(bisection from the last agreeing snapshot, which ``run(a); run(b) == run(a + b)`` allows) and
prints the cell, its opcode, its registers before, and every field that differs after, in both
cores; the failing case is saved (``--save``) so that ``--replay FILE`` re-runs it.

    .venv/bin/python tools/difffuzz.py [--seed S] [--cases N] [--steps N] [--seconds T]

``--seed`` fixes the whole sequence of cases (the seed is printed first, so any run can be
repeated); ``--cases``, ``--steps`` (total instructions) and ``--seconds`` bound it (the first
bound reached ends it). Exit status: 0 all agreed, 1 a difference, 2 a usage or setup error.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import struct
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

CORES = ("compiled", "pure")
FAULT_STEP = "DIFFFUZZ_FAULT_STEP"  # set in the pure child only (``--fault-step``)
_LEN = struct.Struct("<II")


# ---- the child: one core, one world, commands on stdin --------------------------------------


def _send(out: IO[bytes], header: dict[str, Any], blob: bytes = b"") -> None:
    text = json.dumps(header).encode()
    out.write(_LEN.pack(len(text), len(blob)) + text + blob)
    out.flush()


def _receive(inp: IO[bytes]) -> tuple[dict[str, Any], bytes] | None:
    head = inp.read(_LEN.size)
    if len(head) < _LEN.size:
        return None
    n, m = _LEN.unpack(head)
    header = json.loads(inp.read(n))
    return header, inp.read(m)


def _probe(world: Any) -> dict[str, Any]:
    """The current cell as the next instruction will find it."""
    c = int(world.slicer.cur)
    if world.population == 0:
        return {"steps": int(world.steps), "cell": None}
    cells = world.cells
    ip = int(cells.reg(c, "ip"))
    return {
        "steps": int(world.steps), "cell": c, "start": int(cells.reg(c, "start")),
        "size": int(cells.reg(c, "csize")), "ip": ip, "opcode": int(world.mem.soup[ip]),
        **{name: int(cells.reg(c, name)) for name in ("ax", "bx", "cx", "dx", "sp")},
        "slice_left": int(world.slicer.slice_left),
        "energy": int(cells.reg(c, "energy")) if world.eco else None,
        "rng": list(world.rng.getstate()),
    }


def child_main() -> None:
    """Serve commands for one core (chosen by BYTEBIOTA_CORE, set by the parent)."""
    from bytebiota import core, simulation
    from bytebiota.config import isolated
    from bytebiota.core import world as W

    inp, out = sys.stdin.buffer, sys.stdout.buffer
    # FAULT_STEP: this child changes its world (cx ^= 1 in the current cell) when a run
    # crosses that step, so that tests can check that the fuzzer sees and narrows a difference
    fault = int(os.environ.get(FAULT_STEP, "-1"))
    world: Any = None
    _send(out, {"core": core.describe()})
    while True:
        message = _receive(inp)
        if message is None:
            return
        cmd, blob = message
        op = cmd["op"]
        reply: dict[str, Any] = {}
        data = b""
        try:
            if op == "new":
                world = simulation.new_world(isolated(cmd["settings"]), cmd["seed"])
            elif op == "restore":
                world = W.restore(blob)
            elif op == "inject":
                try:
                    reply["slot"] = int(world.inject(blob, cmd["address"]))
                except ValueError as exc:
                    reply["refused"] = str(exc)
            elif op == "immigrate":
                reply["placed"] = bool(world.immigrate(blob))
            elif op == "emigrants":
                genomes = world.emigrants(cmd["k"])
                reply["lengths"] = [len(g) for g in genomes]
                data = b"".join(genomes)
            elif op == "run":
                n, limit = cmd["n"], cmd.get("slice_limit", -1)
                ran = births = 0
                permanent: list[str] = []
                if world.steps <= fault < world.steps + n:  # (a test of the fuzzer itself)
                    report = world.run(fault - world.steps, limit)
                    ran, births, permanent = report.steps, report.births, report.permanent
                    from bytebiota.core.cells import R_CX, REG_W
                    world.cells.regs[world.slicer.cur * REG_W + R_CX] ^= 1
                report = world.run(n - ran, limit)
                reply["ran"] = int(ran + report.steps)
                reply["births"] = int(births + report.births)
                reply["permanent"] = list(permanent) + list(report.permanent)
            elif op == "cut":  # snapshot, restore from it, go on with the restored world
                world = W.restore(world.snapshot())
            elif op == "snapshot":
                data = world.snapshot()
            elif op == "digest":
                pass
            elif op == "probe":
                reply = _probe(world)
            else:
                raise ValueError(f"unknown command {op!r}")
            if op not in ("probe", "snapshot"):
                reply["digest"] = world.digest() if world is not None else ""
        except Exception as exc:  # reported to the parent, which compares the two cores
            where = traceback.extract_tb(exc.__traceback__)[-1]
            reply = {"error": f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:"
                              f"{where.lineno}: {where.line})"}
        _send(out, reply, data)


# ---- the parent: two children in lockstep ----------------------------------------------------


class Child:
    def __init__(self, core_mode: str, fault_step: int = -1) -> None:
        env = dict(os.environ, BYTEBIOTA_CORE=core_mode, PYTHONHASHSEED="0")
        env[FAULT_STEP] = str(fault_step)
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--child"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, env=env)
        hello = self.receive()
        if hello[0].get("core") != core_mode:
            raise SystemExit(f"difffuzz: the {core_mode} core is not available here "
                             f"(got {hello[0]!r}); run `make install`")

    def send(self, header: dict[str, Any], blob: bytes = b"") -> None:
        assert self.proc.stdin is not None
        _send(self.proc.stdin, header, blob)

    def receive(self) -> tuple[dict[str, Any], bytes]:
        assert self.proc.stdout is not None
        message = _receive(self.proc.stdout)
        if message is None:
            raise SystemExit(f"difffuzz: a child core exited (status {self.proc.wait()})")
        return message

    def ask(self, header: dict[str, Any], blob: bytes = b"") -> tuple[dict[str, Any], bytes]:
        self.send(header, blob)
        return self.receive()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait()


class Divergence(Exception):
    def __init__(self, report: str) -> None:
        super().__init__(report)
        self.report = report


@dataclass
class Case:
    """One world and what happens to it: everything needed to replay it."""

    index: int
    seed: int
    settings: list[str]
    injected: list[tuple[int, str]] = field(default_factory=list)  # (address, genome hex)
    actions: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "seed": self.seed, "settings": self.settings,
                "injected": self.injected, "actions": self.actions}


def _pick(rnd: random.Random, lo: float, hi: float, log: bool = False) -> float:
    if log and lo > 0:
        return math.exp(rnd.uniform(math.log(lo), math.log(hi)))
    return rnd.uniform(lo, hi)


# The energy economy's amounts and rates: drawn around their defaults, or up to the top of
# their documented ranges (both read from the configuration table).
ENERGY_AMOUNTS = ("ENERGY_INITIAL", "ENERGY_MAX", "ENV_TASK_REWARD", "TASK_BONUS",
                  "CHILD_ENERGY_REQUIREMENT", "ENV_REGEN_AMOUNT", "ENV_MAX_RESOURCE",
                  "ENV_HARVEST_YIELD")
ENERGY_RATES = ("CPU_COST_PER_INSTRUCTION", "MEMORY_RENT_PER_BYTE", "HARVEST_MULTIPLIER")


def _default_and_top(name: str) -> tuple[float, float]:
    from bytebiota.variables import BY_NAME

    var = BY_NAME[name]
    assert isinstance(var.default, (int, float)) and var.hi is not None, name
    return float(var.default), float(var.hi)


def random_settings(rnd: random.Random) -> list[str]:
    """A configuration within the documented ranges, biased to stress the core."""
    regime = rnd.choice(("classic", "ecology"))
    s: dict[str, object] = {"REGIME": regime}
    s["SOUP_SIZE"] = rnd.choice((2_000, 5_000, 12_000, 30_000, 60_000, 250_000, 1_000_000))
    s["COPY_BIT_FLIP_RATE"] = f"{_pick(rnd, 1e-5, 0.05, log=True):.6g}"
    s["BACKGROUND_FLIP_INTERVAL"] = rnd.choice((0, 50, 500, 5_000, 10_000))
    s["FLAW_RATE"] = f"{_pick(rnd, 1e-5, 0.02, log=True):.6g}"
    s["INSERTION_DELETION_RATE"] = f"{_pick(rnd, 0.0, 0.3):.4g}"
    s["INDEL_INSERTION_BIAS"] = f"{rnd.uniform(0, 1):.3g}"
    s["SLICER_POWER"] = rnd.choice(("1.0", "1.0", "0.5", "0.8", "1.3"))
    s["BASE_SLICE"] = rnd.choice((1, 7, 25, 80, 120))
    s["MAX_MAL_MULT"] = rnd.choice((2, 3, 5))
    s["REAP_TOP_FRACTION"] = f"{rnd.uniform(0.0, 1.0):.3g}"
    s["MAX_OCCUPANCY_RATIO"] = f"{rnd.uniform(0.3, 1.0):.3g}"
    s["SEARCH_LIMIT_MULTIPLIER"] = rnd.choice((1, 5, 40))
    s["MAL_PLACEMENT"] = rnd.choice(("near", "random", "better"))
    s["MAL_REPLACES_DAUGHTER"] = rnd.choice(("true", "false"))
    s["WRITE_FREE_MEMORY"] = rnd.choice(("true", "false"))
    s["RELABEL_CHANGED_GENOMES"] = rnd.choice(("true", "false"))
    if rnd.random() < 0.5:  # rates per generation (adjusted every million instructions)
        s["GENERATIONS_PER_COPY_FLIP"] = rnd.choice(("0", "0.5", "3", "12.5"))
        s["GENERATIONS_PER_BACKGROUND_FLIP"] = rnd.choice(("0", "0.2", "5", "20"))
        s["GENERATIONS_PER_FLAW"] = rnd.choice(("0", "1", "30"))
    if rnd.random() < 0.4:
        s["SLICE_FIXED_FRACTION"] = rnd.choice(("0", "0.5", "1"))
        s["SLICE_RANDOM_FRACTION"] = rnd.choice(("0.3", "1", "2"))
    if regime == "ecology":
        s["SOUP_SIZE"] = rnd.choice((5_000, 12_000, 60_000, 250_000, 1_000_000, 5_000_000))
        length = rnd.choice((1, 16, 100, 1000, 4096))
        s["ENV_LENGTH"] = length
        s["ENV_GRADIENT_TYPE"] = rnd.choice(("sine", "linear", "hotspot"))
        s["ENV_ENABLE_GRADIENTS"] = rnd.choice(("true", "false"))
        s["ENV_GRADIENT_AMPLITUDE"] = f"{rnd.uniform(0, 1):.3g}"
        s["ENV_HOTSPOT_COUNT"] = rnd.choice((0, 1, 5, 50))
        s["ENV_HOTSPOT_SIZE"] = rnd.choice((1, 80, 5000))
        s["ENV_GRADIENT_PERIOD"] = rnd.choice((1, 1000, 100_000))
        # a whole-field pass per interval: keep it to ~20 field cells a step (pure speed)
        s["ENV_REGEN_INTERVAL"] = max(length // 20, rnd.choice((1, 10, 50, 500, 3000)))
        s["ENV_SIGNAL_DECAY_INTERVAL"] = max(length // 20, rnd.choice((1, 10, 100, 2000)))
        s["ENV_SIGNAL_DECAY_FACTOR"] = f"{rnd.uniform(0, 1):.3g}"
        s["ENV_STORAGE_SLOTS"] = rnd.choice((0, 1, 4, 64, 256))
        s["PRIORITY_BOOST_DURATION"] = rnd.choice((0, 5, 100))
        # energy: mostly near the defaults, sometimes at the top of the documented ranges
        # (the 64-bit bounds of docs/opcode-reference.md, "Arithmetic")
        extreme = rnd.random() < 0.25
        for name in ENERGY_AMOUNTS:
            amount, top = (int(x) for x in _default_and_top(name))
            s[name] = (rnd.choice((0, amount, top, rnd.randrange(top + 1)))
                       if extreme else int(_pick(rnd, amount / 4, amount * 4, log=True)))
        for name in ENERGY_RATES:
            rate, top_rate = _default_and_top(name)
            value = (rnd.choice((0.0, rate, top_rate, rnd.uniform(0, top_rate))) if extreme
                     else _pick(rnd, rate / 10, rate * 10, log=True))
            s[name] = f"{value:.6g}"
        s["AGE_ERROR_INTERVAL"] = rnd.choice((100, 1_000, 10_000))
        s["REAP_CHANCE"] = f"{rnd.uniform(0.0, 1.0):.3g}"
        s["REPRO_TIMEOUT_STEPS"] = rnd.choice((1_000, 50_000, 500_000))
        s["STAGNATION_SPAWN_INTERVAL"] = rnd.choice((1_000, 100_000))
        # issue 19's opt-in mechanisms (docs/ecology.md), each on or off on its own
        s["TASK_REWARD_RULE"] = rnd.choice(("boost", "merit"))
        s["MUTATION_REACH"] = rnd.choice(("bit", "any"))
        s["AGE_LIMIT"] = rnd.choice((0, 0, 2, 20, 200))
        s["EXECUTE_OWN_CODE"] = rnd.choice(("false", "true"))
        s["ANCESTOR"] = rnd.choice(("ecology", "ecology165", "ecology165c", "ecology150",
                                    "ecology311"))
        s["COPY_ADVANCES"] = rnd.choice(("false", "true"))
        if s["ANCESTOR"] == "ecology311":
            s["ANCESTOR_SIZE_LIMIT"] = 400
    return [f"{k}={v}" for k, v in s.items()]


def _valid_settings(settings: list[str]) -> list[str]:
    """Drop any setting the configuration refuses (the ranges are the table's to decide)."""
    from bytebiota.config import isolated
    from bytebiota.errors import ConfigError

    kept: list[str] = []
    for item in settings:
        try:
            isolated([*kept, item])
        except ConfigError:
            continue
        kept.append(item)
    return kept


def random_genome(rnd: random.Random, bits: int) -> bytes:
    return bytes(rnd.randrange(1 << bits) for _ in range(rnd.randrange(12, 120)))


class Pair:
    """The two cores, fed the same commands, compared after every one."""

    def __init__(self, fault_step: int = -1) -> None:
        self.children = [Child(mode, fault_step if mode == "pure" else -1) for mode in CORES]

    def close(self) -> None:
        for child in self.children:
            child.close()

    def both(self, header: dict[str, Any], blob: bytes = b""
             ) -> list[tuple[dict[str, Any], bytes]]:
        for child in self.children:
            child.send(header, blob)
        return [child.receive() for child in self.children]

    def same(self, header: dict[str, Any], blob: bytes = b"") -> tuple[dict[str, Any], bytes]:
        (a, x), (b, y) = self.both(header, blob)
        if a != b or x != y:
            raise Divergence(f"{header['op']} differs: compiled {_short(a)}, pure {_short(b)}")
        if "error" in a:
            raise Divergence(f"{header['op']} failed in both cores: {a['error']}")
        return a, x


def _short(reply: dict[str, Any]) -> str:
    text = json.dumps(reply)
    return text if len(text) < 300 else text[:300] + "..."


def play(pair: Pair, case: Case, rnd: random.Random | None, budget: int) -> int:
    """Build the case's world in both cores and run it (drawing actions from ``rnd``, or
    replaying ``case.actions`` when ``rnd`` is None). Returns the instructions compared."""
    pair.same({"op": "new", "settings": case.settings, "seed": case.seed})
    for address, genome in case.injected:
        pair.same({"op": "inject", "address": address}, bytes.fromhex(genome))
    actions = case.actions if rnd is None else []
    compared = 0
    i = 0
    while True:
        if rnd is None:
            if i >= len(actions):
                break
            action = actions[i]
            i += 1
        else:
            if compared >= budget:
                break
            action = _draw_action(rnd, budget - compared)
            case.actions.append(action)
        kind = action["op"]
        if kind == "run":
            # the state both agree on (the digests matched after the previous command)
            agreed = pair.children[0].ask({"op": "snapshot"})[1]
            header = {"op": "run", "n": action["n"], "slice_limit": action.get("slice_limit", -1)}
            (a, _), (b, _) = pair.both(header)
            if a != b and ("error" in a or "error" in b):
                raise Divergence(f"run of {action['n']} failed in one core: compiled "
                                 f"{_short(a)}, pure {_short(b)}")
            if a != b:
                raise Divergence(narrow(pair, agreed, action))
            if "error" in a:
                raise Divergence(f"run failed in both cores: {a['error']}")
            compared += a["ran"]
            if rnd is not None and a["ran"] == 0:
                break  # extinct
        elif kind == "cut":
            # one child cuts (snapshot, restore, go on); the other runs on uncut
            cut, _ = pair.children[action["who"]].ask({"op": "cut"})
            uncut, _ = pair.children[1 - action["who"]].ask({"op": "digest"})
            if cut != uncut:
                raise Divergence(f"a snapshot and restore changed the world: {_short(cut)} "
                                 f"after the cut, {_short(uncut)} without it")
        elif kind == "cross":
            # the pure child continues from the compiled child's snapshot: the snapshots
            # must be byte-identical already, and the restored world identical too
            snaps = [child.ask({"op": "snapshot"})[1] for child in pair.children]
            if snaps[0] != snaps[1]:
                raise Divergence("snapshots differ although digests agreed")
            pair.same({"op": "restore"}, snaps[0])
        elif kind == "immigrate":
            if action.get("genome"):
                pair.same({"op": "immigrate"}, bytes.fromhex(action["genome"]))
            else:  # the world's own emigrants, back in
                reply, blob = pair.same({"op": "emigrants", "k": action["k"]})
                for n in reply["lengths"]:
                    pair.same({"op": "immigrate"}, blob[:n])
                    blob = blob[n:]
        else:
            raise ValueError(f"unknown action {kind!r}")
    return compared


def _draw_action(rnd: random.Random, left: int) -> dict[str, Any]:
    roll = rnd.random()
    if roll < 0.06:
        return {"op": "cut", "who": rnd.randrange(2)}
    if roll < 0.09:
        return {"op": "cross"}
    if roll < 0.13:
        if rnd.random() < 0.5:
            return {"op": "immigrate", "k": rnd.randrange(1, 4)}
        bits = 6 if rnd.random() < 0.5 else 5
        return {"op": "immigrate", "genome": random_genome(rnd, bits).hex()}
    n = min(left, int(_pick(rnd, 1, 400_000, log=True)))
    action: dict[str, Any] = {"op": "run", "n": max(1, n)}
    if rnd.random() < 0.1:
        action["slice_limit"] = rnd.randrange(1, 50)
    return action


def narrow(pair: Pair, snapshot: bytes, action: dict[str, Any]) -> str:
    """The first instruction after ``snapshot`` at which the cores differ, described."""
    slice_limit = action.get("slice_limit", -1)

    def differs(k: int) -> bool:
        pair.both({"op": "restore"}, snapshot)
        (a, _), (b, _) = pair.both({"op": "run", "n": k, "slice_limit": slice_limit})
        return a != b

    lo, hi = 0, action["n"]  # agree after lo instructions, differ after hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if differs(mid):
            hi = mid
        else:
            lo = mid
    pair.both({"op": "restore"}, snapshot)
    if lo:
        pair.both({"op": "run", "n": lo, "slice_limit": slice_limit})
    before = pair.children[0].ask({"op": "probe"})[0]
    pair.both({"op": "run", "n": hi - lo, "slice_limit": slice_limit})
    after = [child.ask({"op": "probe"})[0] for child in pair.children]
    snaps = [child.ask({"op": "snapshot"})[1] for child in pair.children]
    lines = [f"first difference at instruction {lo + 1} after the last agreeing chunk "
             f"(world step {before['steps']} -> {after[0]['steps']} compiled, "
             f"{after[1]['steps']} pure)"]
    if before.get("cell") is not None:
        lines.append(
            f"  cell slot {before['cell']} at {before['start']} (+{before['size']}), "
            f"ip {before['ip']} opcode {before['opcode']} ({_opname(before['opcode'])}), "
            f"before: ax={before['ax']} bx={before['bx']} cx={before['cx']} dx={before['dx']} "
            f"sp={before['sp']} slice_left={before['slice_left']} energy={before['energy']}")
    for mode, probe in zip(CORES, after, strict=True):
        lines.append(f"  {mode:8} after: " + " ".join(
            f"{k}={probe.get(k)}" for k in ("cell", "ip", "ax", "bx", "cx", "dx", "energy")))
    lines.extend("  " + line for line in field_diff(snaps[0], snaps[1]))
    return "\n".join(lines)


def _opname(op: int) -> str:
    from bytebiota.core import isa
    return isa.MNEMONICS[op] if 0 <= op < len(isa.MNEMONICS) else "?"


def _fields(obj: Any, prefix: str, seen: set[int]) -> Iterator[tuple[str, Any]]:
    """(dotted name, value) of every data attribute of a world, descending into its
    components (``cells.cx``, ``mem.soup``...; the cells' register block by column), each
    component once."""
    seen.add(id(obj))
    for name in sorted(n for n in dir(obj) if not n.startswith("__")):
        try:
            value = getattr(obj, name)
        except AttributeError:
            continue
        if callable(value) or name in ("p", "genebank", "rng"):
            continue
        if name == "regs" and hasattr(obj, "reg"):  # the cells' block: one column per field
            from bytebiota.core.cells import REG_FIELDS
            for field_name in REG_FIELDS:
                yield prefix + field_name, obj.vector(field_name)
            continue
        if type(value).__module__.startswith("bytebiota.core."):
            if id(value) not in seen:
                yield from _fields(value, f"{prefix}{name}.", seen)
            continue
        yield prefix + name, value


def field_diff(a: bytes, b: bytes, limit: int = 20) -> list[str]:
    """Every world field that differs between two snapshots (restored in this process)."""
    from bytebiota.core import world as W

    wa, wb = W.restore(a), W.restore(b)
    out: list[str] = []
    others: dict[str, Any] = dict(_fields(wb, "", set()))
    for name, x in _fields(wa, "", set()):
        y: Any = others.get(name)
        try:
            xs, ys = list(x), list(y)
        except TypeError:
            if x != y:
                out.append(f"{name}: compiled {x!r} pure {y!r}")
            continue
        diffs = [i for i in range(max(len(xs), len(ys)))
                 if i >= len(xs) or i >= len(ys) or xs[i] != ys[i]]
        if diffs:
            shown = ", ".join(
                f"[{i}] {xs[i] if i < len(xs) else '-'} / {ys[i] if i < len(ys) else '-'}"
                for i in diffs[:6])
            out.append(f"{name}: {len(diffs)} entries differ (compiled / pure): {shown}")
    if wa.rng.getstate() != wb.rng.getstate():
        out.append(f"rng: compiled {wa.rng.getstate()} pure {wb.rng.getstate()}")
    return out[:limit]


def new_case(rnd: random.Random, index: int) -> Case:
    from bytebiota.config import isolated
    from bytebiota.simulation import params

    settings = _valid_settings(random_settings(rnd))
    case = Case(index, rnd.randrange(1 << 62), settings)
    bits = int(params(isolated(settings)).opcode_bits)
    size = int(params(isolated(settings)).soup_size)
    for _ in range(rnd.randrange(0, 4)):
        genome = random_genome(rnd, bits)
        address = rnd.randrange(size - len(genome)) if rnd.random() < 0.5 else -1
        case.injected.append((address, genome.hex()))
    return case


@dataclass
class Totals:
    cases: int = 0
    instructions: int = 0
    by_regime: dict[str, int] = field(default_factory=dict)


def fuzz(seed: int, *, cases: int, steps: int, seconds: float, per_case: int,
         save: Path | None, out: IO[str], fault_step: int = -1
         ) -> tuple[Totals, Case | None, str]:
    """Run fresh random cases until a bound is reached; (totals, failing case, report)."""
    rnd = random.Random(seed)
    totals = Totals()
    pair = Pair(fault_step)
    deadline = time.monotonic() + seconds
    try:
        while (totals.cases < cases and totals.instructions < steps
               and time.monotonic() < deadline):
            case = new_case(rnd, totals.cases)
            budget = int(_pick(rnd, per_case / 20, per_case * 2, log=True))
            began = time.monotonic()
            try:
                ran = play(pair, case, random.Random(rnd.randrange(1 << 62)), budget)
            except Divergence as exc:
                if save is not None:
                    save.write_text(json.dumps(case.to_json(), indent=1))
                return totals, case, exc.report
            totals.cases += 1
            totals.instructions += ran
            regime = "ecology" if "REGIME=ecology" in case.settings else "classic"
            totals.by_regime[regime] = totals.by_regime.get(regime, 0) + ran
            print(f"case {case.index}: {regime:7} {ran:>11,} instructions agreed "
                  f"({len(case.actions)} actions, {len(case.injected)} injected, "
                  f"{time.monotonic() - began:.1f} s); "
                  f"total {totals.instructions:,}", file=out, flush=True)
    finally:
        pair.close()
    return totals, None, ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=None, help="seed of the case sequence")
    parser.add_argument("--cases", type=int, default=1 << 62, help="stop after N worlds")
    parser.add_argument("--steps", type=float, default=float("inf"),
                        help="stop after N instructions compared in all")
    parser.add_argument("--seconds", type=float, default=float("inf"),
                        help="stop after T seconds")
    parser.add_argument("--per-case", type=float, default=1_000_000,
                        help="typical instructions per world (drawn from /20 to x2)")
    parser.add_argument("--save", type=Path, default=Path("difffuzz-failure.json"),
                        help="where a failing case is written")
    parser.add_argument("--replay", type=Path, help="re-run a saved failing case")
    parser.add_argument("--fault-step", type=int, default=-1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child_main()
        return 0
    if args.replay is not None:
        data = json.loads(args.replay.read_text())
        saved = Case(data["index"], data["seed"], data["settings"],
                     [(int(a), str(g)) for a, g in data["injected"]], data["actions"])
        pair = Pair(args.fault_step)
        try:
            ran = play(pair, saved, None, 0)
        except Divergence as exc:
            print(exc.report)
            return 1
        finally:
            pair.close()
        print(f"replayed: {ran:,} instructions agreed")
        return 0
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 32)
    print(f"difffuzz: seed {seed} (repeat with --seed {seed})", flush=True)
    start = time.monotonic()
    totals, case, report = fuzz(seed, cases=args.cases, steps=int(min(args.steps, 1 << 62)),
                                seconds=args.seconds, per_case=int(args.per_case),
                                save=args.save, out=sys.stdout, fault_step=args.fault_step)
    elapsed = time.monotonic() - start
    if case is not None:
        print(f"DIFFERENCE in case {case.index} (seed {seed}); settings: "
              f"{' '.join(case.settings)}\n{report}\nsaved to {args.save} "
              f"(replay: tools/difffuzz.py --replay {args.save})")
        return 1
    print(f"difffuzz: seed {seed}: {totals.cases} worlds, {totals.instructions:,} instructions "
          f"({', '.join(f'{k} {v:,}' for k, v in sorted(totals.by_regime.items()))}) agreed "
          f"in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
