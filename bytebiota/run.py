"""``bytebiota run``: one world on this machine, with its journal and checkpoints.

The loop runs the world in chunks that end on stats boundaries (every LOG_INTERVAL_SLICES
slices, counted from the start of the run, so a resumed run logs at the same steps), writes
the journal, saves permanent genotypes, and checkpoints every CHECKPOINT_CADENCE_SECONDS, on
SIGTERM, SIGHUP or Ctrl-C, when stdout is closed (``run | head``), and at MAX_STEPS.
Chunking never changes the simulation: ``run(a)`` then ``run(b)`` is ``run(a + b)``.

Each run lives in a directory of its own (bytebiota/runs.py), locked while it runs
(bytebiota/locks.py), with a checkpoint from its first step, so every run can be resumed.
``--resume`` continues the latest run, a named one, or a checkpoint file: it refuses flags
that contradict the checkpoint's world, cuts a torn or garbage journal tail back to the last
complete event (saying so, and journaling a ``cut`` event), then cuts the journal back to the
position the checkpoint names, and appends from there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from bytebiota import (
    __version__,
    checkpoints,
    core,
    ecotype,
    health,
    journal,
    observe,
    runs,
    simulation,
)
from bytebiota.config import USER_SOURCES, Config, is_derived, public_values, resumed
from bytebiota.core.world import SnapshotError, World, restore
from bytebiota.errors import UserError
from bytebiota.journal import FORMAT, Journal
from bytebiota.locks import Locks
from bytebiota.runs import CHECKPOINT_PREFIX
from bytebiota.variables import VARIABLES

# The longest stretch between looks at the clock and at signals: ~0.1 s compiled, ~0.6 s
# pure (at 0.8 M/s).
CHUNK_STEPS = 10_000_000 if core.COMPILED else 500_000


# SIGHUP (the terminal or ssh session went away) stops as SIGTERM does; Ctrl-C too, but
# exits 130. Each only asks: the run stops between chunks, never inside the world's
# ``run`` (an exception raised there by a signal handler, between two bytecodes of the pure
# core, left a half-executed instruction in the final checkpoint: not the exact state).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)

# What a resumed run cannot change: the restored world was built with them. The other
# variables (MAX_STEPS, logging, checkpoints, CPU_THROTTLE_DELAY ...) may differ.
WORLD_GROUPS = ("soup", "scheduler", "mutation", "reaper", "environment", "energy",
                "evolution", "ancestor")
WORLD_SHAPING = tuple(v.name for v in VARIABLES
                      if (v.group in WORLD_GROUPS or v.name in ("SEED", "REGIME"))
                      and not v.ignored)


def stats_event(world: World) -> dict[str, Any]:
    figures = observe.figures(world)
    first = figures["top_genotypes"][:1]
    return {
        "step": world.steps,
        "population": world.population,
        "genotypes": world.genebank.living,
        "births": world.births,
        "deaths": world.deaths,
        "top": [first[0][0], first[0][2]] if first else None,
        "digest": world.digest(),
        **figures,
        "lineages": observe.lineage_counts(world),
    }


def summary_line(event: dict[str, Any], rate: float | None) -> str:
    top = event["top"]
    top_text = f"{top[0]} x{top[1]}" if top else "-"
    speed = f"  {rate / 1e6:6.1f} M/s" if rate else ""
    ecology = ""
    if "energy" in event:
        done = [f"{name}:{n}" for name, n in event["tasks"].items() if n]
        ecology = (f"  energy {event['energy']['mean']:6.1f}  tasks "
                   f"{' '.join(done) if done else '-'}")
    return (
        f"step {event['step']:>14,}  cells {event['population']:>6}  genotypes "
        f"{event['genotypes']:>5}  sizes {len(event['sizes']):>4}  births {event['births']:>9,}"
        f"  deaths {event['deaths']:>9,}  top {top_text}{ecology}{speed}"
    )


class Place:
    """Where a run writes: its directory (checkpoints), journal and genebank."""

    def __init__(self, directory: Path, journal_path: Path, genebank: Path) -> None:
        self.directory = directory
        self.journal = journal_path
        self.genebank = genebank
        self.name = directory.resolve().name

    def ref(self, path: Path) -> str:
        """``path`` as a checkpoint records it: relative to the run's directory when inside
        it (a run directory can be moved or read from elsewhere), else absolute."""
        full = path.resolve()
        try:
            return str(full.relative_to(self.directory.resolve()))
        except ValueError:
            return str(full)


class Run:
    def __init__(self, config: Config, world: World, seed: int, journal: Journal, *,
                 max_steps: int | None, place: Place, mutations: bool = True,
                 ecotypes: dict[str, Any] | None = None) -> None:
        self.config = config
        self.world = world
        self.seed = seed
        self.journal = journal
        self.max_steps = max_steps
        self.place = place
        self.mutations = mutations
        self.interval = config.logging.log_interval_slices
        self.console = config.logging.console_summary
        self.last_checkpoint = time.monotonic()
        self.logged_step = -1
        self.cadence = config.checkpoint.checkpoint_cadence_seconds
        self.throttle = config.global_.cpu_throttle_delay
        self.clock = time.perf_counter()
        self.steps_at_clock = world.steps
        self.finished = max_steps is not None and world.steps >= max_steps
        self.stopped_by: int | None = None  # the signal that asked the run to stop
        self.health = health.Monitor.of(public_values(config), config.global_.regime)
        # newly permanent genotypes classified in the background (classic regime): its state
        # (waiting genotypes, instructions spent) goes into the checkpoint
        share = config.logging.ecotype_share if config.global_.regime == "classic" else 0.0
        self.ecotypes = ecotype.Background(config, share, ecotypes)

    def checkpoint(self) -> Path | None:
        if not self.config.checkpoint.checkpoint_enabled:
            return None
        # The journal is on disk before the checkpoint names its position in it.
        self.journal.sync()
        meta = {
            "kind": "run",
            "bytebiota": __version__,
            "run": self.place.name,
            "seed": self.seed,
            "step": self.world.steps,
            "mutations": self.mutations,
            "journal": self.place.ref(self.journal.path),
            "journal_bytes": self.journal.tell(),
            "genebank": self.place.ref(self.place.genebank),
            "config": public_values(self.config),
            "ecotypes": self.ecotypes.state(),
        }
        path = checkpoints.write(
            self.place.directory, CHECKPOINT_PREFIX, meta, self.world.snapshot(),
            keep=self.config.checkpoint.checkpoint_keep_last_n,
        )
        self.last_checkpoint = time.monotonic()
        return path

    def log_stats(self, rate: float | None) -> dict[str, Any]:
        self.logged_step = self.world.steps
        event = stats_event(self.world)
        self.journal.write("stats", **event)
        diagnosis = self.health.check(event)
        self.journal.write("health", **diagnosis)
        if self.console:
            try:
                print(f"{summary_line(event, rate)}  {health.summary(diagnosis)}", flush=True)
            except BrokenPipeError:
                self._stdout_closed()
        return event

    def _stdout_closed(self) -> None:
        """The reader of the summary lines went away (``run | head -1``): stop as on
        SIGTERM, with a checkpoint and an ``end`` event. What is still buffered for stdout
        goes to /dev/null, so the interpreter's last flush does not fail on the pipe."""
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        self.console = False
        self.finished = True
        print("bytebiota: stdout closed; stopping", file=sys.stderr)

    def advance(self, budget: int = CHUNK_STEPS) -> dict[str, Any] | None:
        """Run up to ``budget`` instructions, stopping at the next stats boundary; log and
        checkpoint as due. Returns the stats event if one was logged. ``finished`` says
        when MAX_STEPS is reached or the soup died out."""
        world = self.world
        boundary = (world.slices // self.interval + 1) * self.interval
        if self.max_steps is not None:
            budget = min(budget, self.max_steps - world.steps)
        report = world.run(budget, boundary - world.slices)
        for name in report.permanent:
            self._save_genotype(name)
        event = None
        if world.slices == boundary or report.extinct:
            now = time.perf_counter()
            done = int(world.steps - self.steps_at_clock)
            rate = done / (now - self.clock) if now > self.clock else None
            self.clock, self.steps_at_clock = now, world.steps
            event = self.log_stats(rate)
            self.classify()
        if report.extinct:
            print("bytebiota: the soup died out", file=sys.stderr)
            self.finished = True
        elif self.max_steps is not None and world.steps >= self.max_steps:
            self.finished = True
        if time.monotonic() - self.last_checkpoint >= self.cadence:
            self.checkpoint()
        if self.throttle > 0:  # CPU_THROTTLE_DELAY: once per batch, never inside the VM loop
            time.sleep(self.throttle)
        return event

    def final_stats(self) -> dict[str, Any] | None:
        """Once finished, the last interval's stats event, logged now if it was not yet."""
        if not self.finished or self.logged_step == self.world.steps:
            return None
        return self.log_stats(None)

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        """A signal handler: stop at the end of the current chunk."""
        self.stopped_by = signum

    def loop(self) -> None:
        while not self.finished and self.stopped_by is None:
            self.advance()

    def _save_genotype(self, name: str) -> None:
        bank = self.world.genebank
        gid = bank.names.index(name)
        simulation.save_genotype(self.place.genebank, name, bank.parents[gid],
                                 int(bank.origin[gid]), bank.genomes[gid], run=self.place.name)
        self.journal.write("genotype", name=name, parent=bank.parents[gid],
                           step=int(bank.origin[gid]), genome=bank.genomes[gid].hex())
        self.ecotypes.offer(name, bank.genomes[gid])

    def classify(self) -> None:
        """The background classification's turn, at a stats boundary (ecotype.Background:
        within ECOTYPE_SHARE of the run's instructions)."""
        if not self.ecotypes.pending:
            return
        cells = {name: int(n) for name, _, n, _ in self.world.genotype_counts()}
        for name, found in self.ecotypes.due(int(self.world.steps), cells):
            self.journal.write("ecotype", step=self.world.steps, name=name, kind=found.kind,
                               evidence=found.evidence, instructions=found.instructions)

    def finish(self) -> None:
        world = self.world
        if self.logged_step != world.steps:
            self.log_stats(None)
        path = self.checkpoint()
        self.journal.write("end", step=world.steps, digest=world.digest())
        self.journal.close()
        where = f"; checkpoint {path}" if path else ""
        print(f"bytebiota: stopped at step {world.steps:,}{where}", file=sys.stderr)


def open_checkpoint(source: Path, missing: str) -> tuple[World, dict[str, Any], Path]:
    """A run's checkpoint: ``source`` itself (a file) or the newest valid one in ``source``
    (a directory), restored. ``missing`` words the error when there is none (a UserError, as
    for damage)."""
    if source.is_file():
        path = source
        meta, payload = checkpoints.read(path)
    else:
        found = checkpoints.newest(
            source, CHECKPOINT_PREFIX,
            warn=lambda m: print(f"bytebiota: warning: {m}", file=sys.stderr),
        )
        if found is None:
            raise UserError(f"{missing} in {source}")
        path, meta, payload = found
    if meta.get("kind") != "run":
        raise UserError(f"{path}: not a checkpoint of `bytebiota run`")
    try:
        return restore(payload), meta, path
    except SnapshotError as exc:
        raise UserError(f"{path}: {exc}") from None


def checkpoint_source(config: Config, run: str | None, file: str | None = None) -> Path:
    """The checkpoint a reading command (``lineage``) opens: a file, or the newest of a run
    (by name, or the latest, or the old layout's)."""
    if file:
        return Path(file)
    return runs.find(config, run) if run else runs.default_run(config)


def contradictions(config: Config, meta: dict[str, Any], no_mutations: bool) -> list[str]:
    """The user's settings that differ from the world a checkpoint holds, one phrase each."""
    recorded = dict(meta.get("config", {}))
    recorded["SEED"] = meta.get("seed")
    found = []
    for name in WORLD_SHAPING:
        origin = config.origins[name]
        if origin.source not in USER_SOURCES or name not in recorded:
            continue
        if config.values[name] != recorded[name]:
            found.append(f"{name}={config.values[name]} from {origin.describe()} "
                         f"(the run's: {recorded[name]})")
    if no_mutations and meta.get("mutations", True):
        found.append("--no-mutations (the run mutates)")
    return found


def _resume(args: argparse.Namespace, config: Config, locks: Locks
            ) -> tuple[Run, Path]:
    """Lock the run, restore its newest valid checkpoint, check the flags against it, repair
    and cut its journal, and append a ``resume`` event."""
    choice = Path(args.resume) if args.resume else None
    if choice is not None and choice.is_file():
        directory = choice.parent
    else:
        directory = runs.find(config, args.resume) if args.resume else runs.default_run(config)
        choice = directory
    locks.take(directory)
    for stale in checkpoints.remove_temporary(directory, CHECKPOINT_PREFIX):
        print(f"bytebiota: removed {stale.name}, a checkpoint its writer did not finish",
              file=sys.stderr)
    world, meta, path = open_checkpoint(choice, "no checkpoint to resume")
    seed = int(meta["seed"])
    problems = contradictions(config, meta, args.no_mutations)
    if problems:
        raise UserError(f"--resume {meta.get('run', directory.name)}: "
                        f"{'; '.join(problems)}: a resumed run keeps the world of its "
                        "checkpoint; leave these out, or start a new run")
    max_steps = config.global_.max_steps
    if max_steps is not None and max_steps < world.steps:
        raise UserError(f"MAX_STEPS={max_steps:,} from {config.origins['MAX_STEPS'].describe()}"
                        f" is below step {world.steps:,}, where {path.name} resumes")
    config = resumed(config, meta.get("config", {}), WORLD_SHAPING)
    place = _resumed_place(args, config, meta, directory)
    _lock_journal(locks, place)
    damage = _repair_journal(place.journal, meta, path, world.steps)
    log = Journal(place.journal, append=True)
    if damage is not None:
        log.write("cut", step=world.steps, **damage)
    log.write("resume", step=world.steps, digest=world.digest())
    if directory.resolve().parent == runs.root(config).resolve():
        runs.set_latest(directory)
    print(f"bytebiota: resuming run {place.name} at step {world.steps:,} (seed {seed}) "
          f"from {path}", file=sys.stderr)
    runner = Run(config, world, seed, log, max_steps=max_steps, place=place,
                 mutations=bool(meta.get("mutations", True)), ecotypes=meta.get("ecotypes"))
    return runner, place.journal


def _resumed_place(args: argparse.Namespace, config: Config, meta: dict[str, Any],
                   directory: Path) -> Place:
    if "run" in meta:  # paths relative to the run's directory
        journal_path = directory / str(meta["journal"])
        genebank = directory / str(meta.get("genebank", runs.GENEBANK))
    else:  # the old layout: the journal's path as given, genotypes in DATA_BASE_DIR/genebank
        journal_path = Path(str(meta["journal"]))
        genebank = Path(config.global_.data_base_dir) / runs.GENEBANK
    if args.journal:
        journal_path = Path(args.journal)
    return Place(directory, journal_path, genebank)


def _repair_journal(path: Path, meta: dict[str, Any], checkpoint: Path,
                    step: int) -> dict[str, Any] | None:
    """Cut the journal back to the checkpoint's position; a torn or garbage tail is
    reported (and returned, for a ``cut`` event). Refuses another run's journal."""
    if not path.exists():
        print(f"bytebiota: warning: {path}: missing; starting it anew from step {step:,}",
              file=sys.stderr)
        return None
    found = journal.scan(path)
    if found.header is None:
        raise UserError(f"{path}: not a journal ({found.problem or 'empty'}); name the run's "
                        "journal with --journal, or another path to start one")
    if found.header.get("seed") != meta["seed"]:
        raise UserError(f"{path} is the journal of seed {found.header.get('seed')}, "
                        f"{checkpoint} of seed {meta['seed']}: not one run")
    position = meta.get("journal_bytes")
    keep = (journal.position_at_step(path, step, found.end) if position is None
            else min(int(position), found.end))
    damage = None
    if found.problem is not None:
        damage = {"reason": found.problem, "bytes": found.damaged}
        print(f"bytebiota: warning: {path}: {found.problem}; cut {found.damaged:,} bytes "
              f"back to the last complete event (line {found.events})", file=sys.stderr)
        if position is not None and int(position) > found.end:
            print(f"bytebiota: warning: {path}: events before step {step:,} were in the "
                  "damaged part and are lost from the journal", file=sys.stderr)
    journal.cut(path, keep)
    return damage


class LiveRun:
    """The dashboard's producer for a run: advances it in steps of about 50 ms."""

    def __init__(self, runner: Run, state: Any) -> None:
        from bytebiota.tui.app import Rate
        from bytebiota.tui.views import Extras

        self.runner = runner
        self.state = state
        self.extras = Extras(label="run")
        self.rate = Rate()
        self.budget = 100_000

    def step(self, seconds: float) -> bool:
        runner = self.runner
        if runner.finished:
            return False
        start = time.perf_counter()
        event = runner.advance(self.budget)
        if event is None:
            # the last frame shows the last interval: its stats now, not after the dashboard
            # has closed (finish() then finds them logged)
            event = runner.final_stats()
        elapsed = time.perf_counter() - start
        if elapsed > 0:  # aim the next step at ``seconds``
            self.budget = max(1_000, min(CHUNK_STEPS, int(self.budget * seconds / elapsed)))
        if event is not None:
            self.state.apply({"event": "stats", **event})
        world = runner.world
        self.state.step = int(world.steps)
        self.state.population = int(world.population)
        rate = self.rate.update(int(world.steps))
        self.extras.rate = rate
        if rate and runner.max_steps is not None:
            self.extras.eta_seconds = (runner.max_steps - int(world.steps)) / rate
        return not runner.finished

    def genotypes(self) -> Any:
        """What the run's genebank knows: every living or permanent genotype's genome and
        parent; the isolation test in the run's configuration."""
        from bytebiota.tui import drill

        bank = self.runner.world.genebank
        known = {bank.names[g]: g for g in range(len(bank.genomes)) if bank.genomes[g]}
        return drill.Genotypes(
            lambda name: bank.genomes[known[name]] if name in known else None,
            lambda name: bank.parents[known[name]] if name in known else None,
            drill.culture_verdict(self.runner.config))

    def key(self, key: str) -> str | None:
        from bytebiota.tui import drill
        from bytebiota.tui.app import common_key

        shared = common_key(self.extras, key, self.state)
        if shared is not None:
            return shared
        picked = drill.key(self.extras, self.state, key, self.genotypes())
        if picked is not None:
            return picked
        if key in ("s", "S"):
            path = self.runner.checkpoint()
            return f"saved {path.name}" if path else "checkpoints are off (CHECKPOINT_ENABLED)"
        return None


def _dashboard_wanted(args: argparse.Namespace) -> bool:
    return not args.headless and sys.stdin.isatty() and sys.stdout.isatty()


def command(args: argparse.Namespace, config: Config) -> None:
    from bytebiota import multirun

    islands = multirun.jobs_for(args, config)
    if islands > 1:  # N islands: a private server and `worker --jobs N` (multirun.py)
        multirun.command(args, config, islands)
        return
    # One writer per directory: a run's directory, and a journal elsewhere, are locked before
    # anything there is read to resume or written (bytebiota/locks.py).
    with Locks() as locks:
        if args.resume is not None:
            runner, journal_path = _resume(args, config, locks)
            header = None
        else:
            runner, header = _start(args, config, locks)
            journal_path = runner.place.journal
        _drive(args, runner.config, runner, header, journal_path)


def _lock_journal(locks: Locks, place: Place) -> None:
    """The journal is covered by its run directory's lock when it lives there (the default);
    elsewhere (``--journal PATH``) it gets a lock of its own, ``PATH.lock``, so that runs
    writing different journals into one directory do not exclude each other."""
    directory = place.journal.parent
    if directory.resolve() != place.directory.resolve():
        locks.take(directory, file_name=f"{place.journal.name}.lock", label=str(place.journal))


def _start(args: argparse.Namespace, config: Config, locks: Locks
           ) -> tuple[Run, dict[str, Any]]:
    """A new run in a new directory of ``runs/`` (or the CHECKPOINT_DIR the user named, if it
    holds no run yet), with its header and a checkpoint of step 0."""
    seed = config.global_.seed if config.global_.seed is not None else simulation.fresh_seed()
    regime = config.global_.regime
    world = simulation.new_world(config, seed, mutations=not args.no_mutations)
    named = runs.named_place(config)
    directory = runs.create(runs.root(config), regime, seed) if named is None else named
    try:
        locks.take(directory)
        if named is not None and runs.has_run(named):
            raise UserError(f"{named} (CHECKPOINT_DIR) already holds a run: continue it with "
                            "--resume, or name an empty directory")
        checkpoints.remove_temporary(directory, CHECKPOINT_PREFIX)
        journal_path = (directory / runs.JOURNAL
                        if is_derived(config.origins["LOG_JSONL_PATH"])
                        else Path(config.logging.log_jsonl_path))
        place = Place(directory, journal_path, directory / runs.GENEBANK)
        _lock_journal(locks, place)
        log = Journal(journal_path, append=False)
    except BaseException:
        if named is None:  # the directory this run created holds nothing yet
            shutil.rmtree(directory, ignore_errors=True)
        raise
    header = {
        "format": FORMAT, "bytebiota": __version__, "core": core.describe(), "seed": seed,
        "regime": regime, "mutations": not args.no_mutations,
        "config": public_values(config),
    }
    log.write("header", **header)
    if named is None:
        runs.set_latest(directory)
    print(f"bytebiota: run {place.name}: seed {seed}, regime {regime}, core "
          f"{core.describe()}, in {directory}", file=sys.stderr)
    runner = Run(config, world, seed, log, max_steps=config.global_.max_steps, place=place,
                 mutations=not args.no_mutations)
    runner.checkpoint()  # resumable from its first step
    return runner, header


def _drive(args: argparse.Namespace, config: Config, runner: Run,
           header: dict[str, Any] | None, journal_path: Path) -> None:
    if _dashboard_wanted(args):
        try:
            _with_dashboard(runner, config, header, journal_path)
        except KeyboardInterrupt:
            runner.finish()
            raise
        runner.finish()
        return
    previous = {sig: signal.signal(sig, runner.request_stop) for sig in STOP_SIGNALS}
    try:
        runner.loop()
        runner.finish()  # a signal arriving now is noted, and changes nothing
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if runner.stopped_by == signal.SIGINT:
        raise KeyboardInterrupt


def _with_dashboard(runner: Run, config: Config, header: dict[str, Any] | None,
                    journal_path: Path) -> None:
    from bytebiota.journal import read_events
    from bytebiota.tui import app
    from bytebiota.tui.model import State

    runner.console = False
    state = State()
    if header is not None:
        state.apply({"event": "header", **header})
    else:
        for _, event in read_events(journal_path):
            state.apply(event)
    state.max_steps = runner.max_steps
    app.run(LiveRun(runner, state), config.logging.refresh_hz)
