"""``bytebiota run``: one world on this machine, with its journal and checkpoints.

The loop runs the world in chunks that end on stats boundaries (every LOG_INTERVAL_SLICES
slices, counted from the start of the run, so a resumed run logs at the same steps), writes
the journal, saves permanent genotypes, and checkpoints every CHECKPOINT_CADENCE_SECONDS, on
SIGTERM, SIGHUP or Ctrl-C, when stdout is closed (``run | head``), and at MAX_STEPS.
Chunking never changes the simulation: ``run(a)`` then ``run(b)`` is ``run(a + b)``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from bytebiota import __version__, checkpoints, core, health, simulation
from bytebiota.config import Config, public_values
from bytebiota.core.world import SnapshotError, World, restore
from bytebiota.errors import UserError
from bytebiota.journal import FORMAT, Journal, truncate_after
from bytebiota.locks import Locks

CHECKPOINT_PREFIX = "run"
# The longest stretch between looks at the clock and at signals: ~0.1 s compiled.
CHUNK_STEPS = 10_000_000
TOP_GENOTYPES = 10  # genotypes listed in each stats event


STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class Stop(Exception):
    """SIGTERM or SIGHUP arrived: checkpoint and leave with status 0."""


def _on_stop(signum: int, frame: FrameType | None) -> None:
    raise Stop


def stats_event(world: World) -> dict[str, Any]:
    genotypes = world.genotype_counts()
    top = [genotypes[0][0], genotypes[0][2]] if genotypes else None
    event: dict[str, Any] = {
        "step": world.steps,
        "population": world.population,
        "genotypes": world.genebank.living,
        "sizes": [[s, n] for s, n in world.size_classes()],
        "births": world.births,
        "deaths": world.deaths,
        "mutations": world.mutation_counts(),
        "top": top,
        "top_genotypes": [[name, size, cells, parent]
                          for name, size, cells, parent in genotypes[:TOP_GENOTYPES]],
        "digest": world.digest(),
    }
    if world.eco:
        event.update(world.ecology_stats())
    return event


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


class Run:
    def __init__(self, config: Config, world: World, seed: int, journal: Journal,
                 max_steps: int | None) -> None:
        self.config = config
        self.world = world
        self.seed = seed
        self.journal = journal
        self.max_steps = max_steps
        self.interval = config.logging.log_interval_slices
        self.console = config.logging.console_summary
        self.last_checkpoint = time.monotonic()
        self.logged_step = -1
        self.cadence = config.checkpoint.checkpoint_cadence_seconds
        self.genebank_dir = Path(config.global_.data_base_dir) / "genebank"
        self.clock = time.perf_counter()
        self.steps_at_clock = world.steps
        self.finished = max_steps is not None and world.steps >= max_steps
        self.health = health.Monitor(copy_rate=config.mutation.copy_bit_flip_rate,
                                     soup_size=config.soup.soup_size)

    def checkpoint(self) -> Path | None:
        if not self.config.checkpoint.checkpoint_enabled:
            return None
        self.journal.sync()
        meta = {
            "kind": "run",
            "bytebiota": __version__,
            "seed": self.seed,
            "step": self.world.steps,
            "journal": str(self.journal.path),
            "config": public_values(self.config),
        }
        path = checkpoints.write(
            Path(self.config.checkpoint.checkpoint_dir), CHECKPOINT_PREFIX,
            meta, self.world.snapshot(), keep=self.config.checkpoint.checkpoint_keep_last_n,
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
        if report.extinct:
            print("bytebiota: the soup died out", file=sys.stderr)
            self.finished = True
        elif self.max_steps is not None and world.steps >= self.max_steps:
            self.finished = True
        if time.monotonic() - self.last_checkpoint >= self.cadence:
            self.checkpoint()
        return event

    def loop(self) -> None:
        while not self.finished:
            self.advance()

    def _save_genotype(self, name: str) -> None:
        bank = self.world.genebank
        gid = bank.names.index(name)
        simulation.save_genotype(self.genebank_dir, name, bank.parents[gid],
                                 int(bank.origin[gid]), bank.genomes[gid])
        self.journal.write("genotype", name=name, parent=bank.parents[gid],
                           step=int(bank.origin[gid]), genome=bank.genomes[gid].hex())

    def finish(self) -> None:
        world = self.world
        if self.logged_step != world.steps:
            self.log_stats(None)
        path = self.checkpoint()
        self.journal.write("end", step=world.steps, digest=world.digest())
        self.journal.close()
        where = f"; checkpoint {path}" if path else ""
        print(f"bytebiota: stopped at step {world.steps:,}{where}", file=sys.stderr)


def open_checkpoint(config: Config, choice: str | None, missing: str
                    ) -> tuple[World, dict[str, Any], Path]:
    """A run's checkpoint: ``choice`` (a file) or the newest valid one in CHECKPOINT_DIR,
    restored. ``missing`` words the error when there is none (a UserError, as for damage)."""
    directory = Path(config.checkpoint.checkpoint_dir)
    if choice:
        path = Path(choice)
        meta, payload = checkpoints.read(path)
    else:
        found = checkpoints.newest(
            directory, CHECKPOINT_PREFIX,
            warn=lambda m: print(f"bytebiota: warning: {m}", file=sys.stderr),
        )
        if found is None:
            raise UserError(f"{missing} in {directory}")
        path, meta, payload = found
    if meta.get("kind") != "run":
        raise UserError(f"{path}: not a checkpoint of `bytebiota run`")
    try:
        return restore(payload), meta, path
    except SnapshotError as exc:
        raise UserError(f"{path}: {exc}") from None


def _resume(config: Config, choice: str) -> tuple[World, int, Path]:
    world, meta, _ = open_checkpoint(config, choice, "no checkpoint to resume")
    return world, int(meta["seed"]), Path(str(meta["journal"]))


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

    def key(self, key: str) -> str | None:
        from bytebiota.tui.app import common_key

        shared = common_key(self.extras, key)
        if shared is not None:
            return shared
        if key in ("s", "S"):
            path = self.runner.checkpoint()
            return f"saved {path.name}" if path else "checkpoints are off (CHECKPOINT_ENABLED)"
        return None


def _dashboard_wanted(args: argparse.Namespace) -> bool:
    return not args.headless and sys.stdin.isatty() and sys.stdout.isatty()


def command(args: argparse.Namespace, config: Config) -> None:
    # One writer per directory: the checkpoints' and the journal's places are locked before
    # anything there is read to resume or written (bytebiota/locks.py).
    with Locks() as locks:
        locks.take(Path(config.checkpoint.checkpoint_dir))
        _command(args, config, locks)


def _lock_journal(locks: Locks, path: Path, config: Config) -> None:
    """The journal is covered by the checkpoint directory's lock when it lives there (the
    default); elsewhere (``--journal PATH``) it gets a lock of its own, ``PATH.lock``, so that
    runs writing different journals into one directory do not exclude each other."""
    directory = path.parent
    if directory.resolve() != Path(config.checkpoint.checkpoint_dir).resolve():
        locks.take(directory, file_name=f"{path.name}.lock", label=str(path))


def _command(args: argparse.Namespace, config: Config, locks: Locks) -> None:
    max_steps = config.global_.max_steps
    header: dict[str, Any] | None = None
    if args.resume is not None:
        world, seed, journal_path = _resume(config, args.resume)
        if args.journal:
            journal_path = Path(args.journal)
        _lock_journal(locks, journal_path, config)
        if journal_path.exists():
            truncate_after(journal_path, world.steps)
        journal = Journal(journal_path, append=True)
        journal.write("resume", step=world.steps, digest=world.digest())
        print(f"bytebiota: resuming at step {world.steps:,} (seed {seed})", file=sys.stderr)
    else:
        seed = config.global_.seed if config.global_.seed is not None else simulation.fresh_seed()
        journal_path = Path(config.logging.log_jsonl_path)
        _lock_journal(locks, journal_path, config)
        world = simulation.new_world(config, seed, mutations=not args.no_mutations)
        journal = Journal(journal_path, append=False)
        header = {
            "format": FORMAT, "bytebiota": __version__, "core": core.describe(), "seed": seed,
            "regime": config.global_.regime, "mutations": not args.no_mutations,
            "config": public_values(config),
        }
        journal.write("header", **header)
        print(f"bytebiota: run seed {seed}, regime {config.global_.regime}, core "
              f"{core.describe()}, journal {journal_path}", file=sys.stderr)
    runner = Run(config, world, seed, journal, max_steps)
    try:
        if _dashboard_wanted(args):
            _with_dashboard(runner, config, header, journal_path)
        else:
            # SIGHUP (the terminal or ssh session went away) stops as SIGTERM does.
            previous = {sig: signal.signal(sig, _on_stop) for sig in STOP_SIGNALS}
            try:
                runner.loop()
            except Stop:
                pass
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
    except KeyboardInterrupt:
        runner.finish()
        raise
    runner.finish()


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
