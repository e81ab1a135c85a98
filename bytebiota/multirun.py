"""``bytebiota run --jobs N``: N islands with migration on this machine, as one run.

What it starts: the real ``bytebiota server`` and a real ``bytebiota worker --jobs N`` (the
same code as those commands, in child processes), on a private endpoint: the server listens on
127.0.0.1 on a port the system picks (SERVER_PORT=0) and proves a token it generates into the
run's directory (``server.token``, mode 0600; never printed, never taken from SERVER_TOKEN).
The run's directory is the server's data directory, so it holds one journal
(``logs/server.jsonl``, reachable as ``journal.jsonl``: ``replay RUN`` reads it), the server's
checkpoints (``server/``), the workers' caches and credentials, and the children's logs
(``logs/server.log``, ``logs/workers.log``). ``run --resume`` of such a run restarts the
server (which resumes from its newest checkpoint and the journal after it) and the workers.

Why child processes and not the server's event loop in this process: each of the N islands
needs a core of its own (one Python process each, as ``worker --jobs`` already does), the
server and the dashboard must not wait on each other, and the children are exactly the
commands an operator would start by hand, so nothing here is a second implementation.

Stopping (Ctrl-C, SIGTERM, SIGHUP, ``q``, MAX_STEPS reached): the workers first (each
reports its last batch and snapshots its island), then the server (it checkpoints and writes
its ``end`` event). The children run in a session of their own (a Ctrl-C on the terminal
reaches only this process, which stops them in that order) and follow their parent
(BYTEBIOTA_PARENT_PID, read by cli.py): if this process dies, even by ``kill -9``, each child
sees it within half a second and stops as on SIGTERM; the worker's own jobs follow the worker
the same way.

MAX_STEPS is the experiment's total over its islands, read from the server once a second: the
run stops once the total reaches it, a few batches past it (a batch is at most
MAX_BATCH_SIZE work cycles an island), not on the exact step as a one-island run does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from bytebiota import core, health, journal, locks, runs, simulation
from bytebiota.config import USER_SOURCES, Config, Value, is_derived
from bytebiota.errors import Failure, UserError
from bytebiota.variables import BY_NAME

PARENT_ENV = "BYTEBIOTA_PARENT_PID"  # a child of `run --jobs`: follow that process
PARENT_POLL_SECONDS = 0.5
PARENT_GRACE_SECONDS = 120.0  # after the parent's death, the most a child takes to stop
SERVER_JOURNAL = Path("logs") / "server.jsonl"
SERVER_LOG = Path("logs") / "server.log"
WORKERS_LOG = Path("logs") / "workers.log"
WORKER_ID = "run"  # the jobs are run-1 .. run-N
START_SECONDS = 120.0  # the server's start (a resume replays its journal) at most
STOP_SECONDS = 120.0  # each child's graceful stop at most, then it is killed
POLL_SECONDS = 0.5  # (MAX_STEPS is overshot by what the islands run meanwhile)
# What the parent decides for its children, whatever the user's layers say: the private
# endpoint, the credentials in the run's directory, and logs at INFO (the parent reads the
# port from the server's "listening on" line).
PRIVATE = {"SERVER_HOST": "127.0.0.1", "SERVER_PORT": "0", "SERVER_TOKEN": "",
           "MONITOR_TOKEN": "", "WORKER_CREDENTIAL": "", "WORKER_ENROLMENT": "token",
           "BYTEBIOTA_SERVER_URL": ""}
SINGLE_ONLY = ("--journal", "--no-mutations")  # options only the one-island run has


# ---- the children's side: follow the parent --------------------------------------------------


def follow_parent() -> None:
    """In a child of ``run --jobs`` (BYTEBIOTA_PARENT_PID names its parent): stop as on
    SIGTERM once the parent is gone (killed with -9 included), and exit if that takes longer
    than PARENT_GRACE_SECONDS. The variable is set to this process for its own children
    (the jobs of ``worker --jobs``), so they follow it in turn."""
    try:
        parent = int(os.environ[PARENT_ENV])
    except (KeyError, ValueError):
        return
    os.environ[PARENT_ENV] = str(os.getpid())

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(PARENT_GRACE_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


# ---- deciding -----------------------------------------------------------------------------------


def parse_jobs(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise UserError(f"--jobs {text}: not an integer (the islands to run at once)") from None
    if value < 1:
        raise UserError(f"--jobs {text}: must be at least 1 (1: the one-island run)")
    return value


def is_multi(directory: Path) -> bool:
    """Whether a run directory holds a run of ``run --jobs N`` (a server's journal)."""
    return (directory / SERVER_JOURNAL).exists()


def resume_directory(args: argparse.Namespace, config: Config) -> Path:
    """The run directory ``--resume`` names (as run.py's ``_resume`` finds it)."""
    choice = Path(args.resume) if args.resume else None
    if choice is not None and choice.is_file():
        return choice.parent
    return runs.find(config, args.resume) if args.resume else runs.default_run(config)


def jobs_for(args: argparse.Namespace, config: Config) -> int:
    """How many islands this ``run`` runs: 1 is today's single-process run. UserError for
    --jobs values and combinations that cannot be."""
    given = parse_jobs(getattr(args, "jobs", None))
    single = [flag for flag, used in (("--journal", args.journal),
                                      ("--no-mutations", args.no_mutations)) if used]
    if args.resume is not None:
        directory = resume_directory(args, config)
        if not is_multi(directory):
            if given is not None and given > 1:
                raise UserError(f"--resume {directory.name}: a one-island run; it resumes as "
                                "one (leave --jobs out), --jobs N starts new runs")
            return 1
        islands = recorded_islands(directory)
        if given is not None and given != islands:
            raise UserError(f"--resume {directory.name}: a run of {islands} islands; it "
                            f"resumes with {islands} jobs (leave --jobs out)")
        if single:
            raise UserError(f"--resume {directory.name}: {' and '.join(single)} only apply "
                            f"to one-island runs; this one has {islands} islands")
        return islands
    if given is not None:
        if given > 1 and single:
            raise UserError(f"--jobs {given} cannot be combined with {' and '.join(single)} "
                            "(a one-island run's options; the islands' journal is the "
                            "server's)")
        return given
    default = config.worker.worker_jobs or 1
    if default > 1 and single:
        print(f"bytebiota: notice: one island ({' and '.join(single)}), not WORKER_JOBS="
              f"{default} from {config.origins['WORKER_JOBS'].describe()}", file=sys.stderr)
        return 1
    return default


def recorded_islands(directory: Path) -> int:
    header = journal_header(directory)
    islands = header.get("config", {}).get("ISLANDS")
    if not isinstance(islands, int) or islands < 1:
        raise UserError(f"{directory / SERVER_JOURNAL}: its header names no ISLANDS")
    return islands


def journal_header(directory: Path) -> dict[str, Any]:
    path = directory / SERVER_JOURNAL
    with open(path, "rb") as handle:
        header = journal.parse_line(handle.readline())
    if header is None or header.get("event") != "header":
        raise UserError(f"{path}: not a journal (no header)")
    return header


def last_step(directory: Path) -> int:
    """The experiment's steps as the journal last recorded them: its last ``stats``,
    ``resume`` or ``end`` event (read from the end: journals grow large; a server killed
    with -9 may have accepted a few reports since, which its restart counts)."""
    path = directory / SERVER_JOURNAL
    with open(path, "rb") as handle:
        end = handle.seek(0, os.SEEK_END)
        chunk = 1 << 16
        while True:
            start = max(0, end - chunk)
            handle.seek(start)
            lines = handle.read(end - start).split(b"\n")[1 if start else 0:]
            for raw in reversed(lines):
                event = journal.parse_line(raw + b"\n")
                if event is None or event.get("event") not in ("stats", "resume", "end"):
                    continue
                return int(event.get("step", event.get("steps", 0)))
            if start == 0:
                return 0
            chunk *= 4


# ---- the children -------------------------------------------------------------------------------


def _text(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def user_settings(config: Config) -> dict[str, str]:
    """The values the user chose (file, .env, environment, flags), secrets and paths derived
    from DATA_BASE_DIR left out: what the children are told with ``--set``, so that flags
    given to ``run`` reach them, whatever their own layers say."""
    settings = {}
    for name, value in config.values.items():
        origin = config.origins[name]
        if origin.source in USER_SOURCES and not is_derived(origin) and \
                not BY_NAME[name].ignored:
            settings[name] = _text(value)
    return settings


def child_settings(config: Config, directory: Path, *, islands: int, seed: int | None,
                   recorded: dict[str, Any] | None) -> dict[str, str]:
    settings = user_settings(config)
    if recorded is not None:  # a resumed run: the world its checkpoint was built with
        from bytebiota.run import WORLD_SHAPING

        for name in WORLD_SHAPING:
            if name in recorded:
                settings[name] = _text(recorded[name])
    if seed is not None:
        settings["SEED"] = str(seed)
    settings["ISLANDS"] = str(islands)
    where = str(directory.resolve())
    settings.update(PRIVATE, DATA_BASE_DIR=where, CHECKPOINT_DIR=where)
    # A machine's own islands need no volunteer checking (unless asked): the jobs would
    # re-run each other's spans and that share of the work would not count.
    if "VALIDATION_RATE" not in settings:
        settings["VALIDATION_RATE"] = "0"
    # The jobs run as `run` itself does: unthrottled at normal priority, unless the user
    # chose a preset or a CPU share for them.
    if "RESOURCE_PRESET" not in settings and "CPU_PERCENT" not in settings:
        settings["RESOURCE_PRESET"] = "full"
    return settings


def _flags(settings: dict[str, str]) -> list[str]:
    return [part for name, value in settings.items() for part in ("--set", f"{name}={value}")]


class Children:
    """The server and the worker supervisor, started in a session of their own, each told
    to follow this process."""

    def __init__(self, directory: Path, settings: dict[str, str], islands: int) -> None:
        self.directory = directory
        self.settings = settings
        self.islands = islands
        self.server: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.logs: list[IO[bytes]] = []

    def _start(self, log: Path, *args: str, extra: dict[str, str]) -> subprocess.Popen[bytes]:
        log.parent.mkdir(parents=True, exist_ok=True)
        handle = open(log, "ab")  # noqa: SIM115 (closed in close())
        self.logs.append(handle)
        env = {**os.environ, PARENT_ENV: str(os.getpid())}
        env.pop("JOURNAL_STREAM", None)  # the children's logs are files: keep their times
        return subprocess.Popen(
            [sys.executable, "-m", "bytebiota", *args, *_flags({**self.settings, **extra})],
            stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT, env=env,
            start_new_session=True)

    def start(self) -> None:
        log = self.directory / SERVER_LOG
        offset = log.stat().st_size if log.exists() else 0
        self.server = self._start(log, "server", extra={"LOG_LEVEL": "INFO"})
        self.port = self._listening(log, offset)
        self.worker = self._start(self.directory / WORKERS_LOG, "worker", "--jobs",
                                  str(self.islands),
                                  extra={"SERVER_URL": f"127.0.0.1:{self.port}",
                                         "WORKER_ID": WORKER_ID})

    def request_checkpoint(self) -> str:
        """Ask the server for a checkpoint now (SIGUSR1: it writes one within half a second,
        its log says which); the message for the dashboard."""
        if self.server is None or self.server.poll() is not None:
            return "the run's server is not running: no checkpoint"
        self.server.send_signal(signal.SIGUSR1)
        return f"checkpoint requested: {self.directory / 'server'} (the server's log names it)"

    def _listening(self, log: Path, offset: int) -> int:
        """The port the server reports in its log; Failure with its last words if it
        stops first."""
        assert self.server is not None
        deadline = time.monotonic() + START_SECONDS
        while True:
            with open(log, "rb") as handle:
                handle.seek(offset)
                text = handle.read().decode(errors="replace")
            found = re.search(r"listening on 127\.0\.0\.1:(\d+)", text)
            if found:
                return int(found.group(1))
            if self.server.poll() is not None or time.monotonic() > deadline:
                lines = [line for line in text.splitlines() if line.strip()]
                why = lines[-1] if lines else f"exit status {self.server.poll()}"
                self.stop()
                raise Failure(f"the run's server did not start: {why} (see {log})")
            time.sleep(0.05)

    def trouble(self) -> str | None:
        """Why the run cannot go on: a child that ended by itself."""
        for name, child, log in (("server", self.server, SERVER_LOG),
                                 ("worker", self.worker, WORKERS_LOG)):
            if child is not None and child.poll() is not None:
                return (f"the run's {name} exited with status {child.returncode} "
                        f"(see {self.directory / log})")
        return None

    def stop(self) -> None:
        """Workers first (last reports and snapshots), then the server (checkpoint, end)."""
        for child in (self.worker, self.server):
            if child is None:
                continue
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for handle in self.logs:
            handle.close()
        self.logs.clear()


# ---- the run ------------------------------------------------------------------------------------


def summary_line(event: dict[str, Any], rate: float | None, islands: int) -> str:
    from bytebiota.run import summary_line as line

    return f"{line({'top': None, **event}, rate)}  islands {islands}"


class Watch:
    """What the parent follows: the server's STATUS once a second (a read-only monitor
    session with the run's token), MAX_STEPS, the children's health."""

    def __init__(self, config: Config, children: Children, max_steps: int | None) -> None:
        from bytebiota.netcommon import find_monitor_token

        self.children = children
        self.max_steps = max_steps
        self.token = find_monitor_token(None, None, children.directory)
        self.health = health.Monitor(copy_rate=config.mutation.copy_bit_flip_rate,
                                     soup_size=config.soup.soup_size,
                                     regime=config.global_.regime,
                                     ancestor_size=health.ancestor_size(
                                         config.ancestor.ancestor))
        self.steps = 0
        self.reason: str | None = None  # why the run ended by itself
        self.last_stats: dict[str, Any] = {}

    def check(self, status: dict[str, Any] | None) -> bool:
        """Whether the run goes on after this STATUS (None: none could be had)."""
        if status is not None:
            self.steps = int(status["totals"]["steps"])
        trouble = self.children.trouble()
        if trouble is not None:
            self.reason = trouble
            return False
        return self.max_steps is None or self.steps < self.max_steps


async def _status(port: int, token: str) -> dict[str, Any] | None:
    from bytebiota.protocol import RemoteProtocolError
    from bytebiota.status import fetch

    try:
        return await asyncio.wait_for(fetch("127.0.0.1", port, token), 10.0)
    except (OSError, TimeoutError, RemoteProtocolError, Failure):
        return None


async def _headless(watch: Watch, console: bool) -> int | None:
    """Summary lines while the run goes on; the signal that stopped it, if one did."""
    loop = asyncio.get_running_loop()
    stopped: list[int] = []
    wake = asyncio.Event()

    def stop(signum: int) -> None:
        stopped.append(signum)
        wake.set()

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        loop.add_signal_handler(sig, stop, sig)
    clock, steps_at = time.perf_counter(), watch.steps
    try:
        while not stopped:
            status = await _status(watch.children.port, watch.token)
            going = watch.check(status)
            stats = status.get("stats") if status else None
            if console and status and stats and stats.get("step") and \
                    stats.get("step") != watch.last_stats.get("step"):
                watch.last_stats = dict(stats)
                now = time.perf_counter()
                rate = (watch.steps - steps_at) / (now - clock) if now > clock else None
                clock, steps_at = now, watch.steps
                diagnosis = watch.health.check(stats)
                try:
                    print(f"{summary_line(stats, rate, len(status['islands']))}  "
                          f"{health.summary(diagnosis)}", flush=True)
                except BrokenPipeError:
                    devnull = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(devnull, sys.stdout.fileno())
                    os.close(devnull)
                    console = False
                    print("bytebiota: stdout closed; stopping", file=sys.stderr)
                    break
            if not going:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), POLL_SECONDS)
    finally:
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return stopped[0] if stopped else None


def _dashboard(watch: Watch, header: dict[str, Any], refresh_hz: float) -> None:
    from bytebiota.status import MonitorProducer
    from bytebiota.tui import app

    class RunMonitor(MonitorProducer):
        """The monitor's view of the run's private server, ending with the run."""

        async def astep(self, seconds: float) -> bool:
            polled = self.next_poll
            await super().astep(seconds)
            if self.next_poll == polled:
                return True  # (no poll this step)
            going = watch.check(None)
            if self.state.step:
                watch.steps = max(watch.steps, int(self.state.step))
                going = going and watch.check(None)
            if not going and watch.reason:
                self.extras.message = watch.reason
            return going

        def key(self, key: str) -> str | None:
            if key in ("s", "S"):  # as `run`'s `s`: a checkpoint now (the server's)
                return watch.children.request_checkpoint()
            return super().key(key)

    producer = RunMonitor("127.0.0.1", watch.children.port, watch.token)
    producer.state.apply({"event": "header", **header})
    producer.state.max_steps = watch.max_steps
    producer.extras.label = "run"
    producer.extras.keys = producer.extras.keys.replace("p pause  ", "p pause  s save  ")
    producer.extras.exit_when_done = True
    app.run(producer, refresh_hz)


def command(args: argparse.Namespace, config: Config, islands: int) -> None:
    """``run --jobs N`` (N > 1), new or resumed."""
    max_steps = config.global_.max_steps
    if args.resume is not None:
        directory = resume_directory(args, config)
        header = journal_header(directory)
        from bytebiota.run import contradictions

        problems = contradictions(config, {"config": header.get("config", {}),
                                           "seed": header.get("seed")}, False)
        if problems:
            raise UserError(f"--resume {directory.name}: {'; '.join(problems)}: a resumed "
                            "run keeps its world; leave these out, or start a new run")
        step = last_step(directory)
        if max_steps is not None and max_steps < step:
            raise UserError(f"MAX_STEPS={max_steps:,} from "
                            f"{config.origins['MAX_STEPS'].describe()} is below step "
                            f"{step:,}, where run {directory.name} resumes")
        holder = locks.holder(directory)
        if holder is not None:
            raise Failure(f"{directory} is in use by {holder}")
        settings = child_settings(config, directory, islands=islands, seed=None,
                                  recorded=header.get("config", {}))
        if directory.resolve().parent == runs.root(config).resolve():
            runs.set_latest(directory)
        print(f"bytebiota: resuming run {directory.name} at step {step:,} (seed "
              f"{header.get('seed')}, {islands} islands) from {directory / 'server'}",
              file=sys.stderr)
    else:
        seed = config.global_.seed if config.global_.seed is not None else \
            simulation.fresh_seed()
        named = runs.named_place(config)
        if named is not None and runs.has_run(named):
            raise UserError(f"{named} (CHECKPOINT_DIR) already holds a run: continue it "
                            "with --resume, or name an empty directory")
        directory = runs.create(runs.root(config), config.global_.regime, seed) \
            if named is None else named
        directory.mkdir(parents=True, exist_ok=True)
        link = directory / runs.JOURNAL
        if not link.is_symlink():
            os.symlink(SERVER_JOURNAL, link)  # `replay RUN` and `runs` read it there
        settings = child_settings(config, directory, islands=islands, seed=seed,
                                  recorded=None)
        if named is None:
            runs.set_latest(directory)
        print(f"bytebiota: run {directory.name}: seed {seed}, regime "
              f"{config.global_.regime}, core {core.describe()}, {islands} islands (a server "
              f"and `worker --jobs {islands}` on this machine), in {directory}; islands "
              "exchange migrants as timing allows, so such a run is not reproducible bit for "
              "bit: --jobs 1 is", file=sys.stderr)
    children = Children(directory, settings, islands)
    interrupted = False
    try:
        children.start()
        watch = Watch(config, children, max_steps)
        wanted = not args.headless and sys.stdin.isatty() and sys.stdout.isatty()
        if wanted:
            try:
                _dashboard(watch, journal_header(directory), config.logging.refresh_hz)
            except KeyboardInterrupt:
                interrupted = True
        else:
            stopped = asyncio.run(_headless(watch, config.logging.console_summary))
            interrupted = stopped == signal.SIGINT
    finally:
        # (a second Ctrl-C while the children stop must not leave them behind)
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            children.stop()
        finally:
            signal.signal(signal.SIGINT, previous)
    if watch.reason is not None:
        raise Failure(watch.reason)
    print(f"bytebiota: stopped at step {last_step(directory):,} ({islands} islands); "
          f"checkpoint in {directory / 'server'}", file=sys.stderr)
    if interrupted:
        raise KeyboardInterrupt
