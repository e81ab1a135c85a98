"""The ``bytebiota`` command: argument parsing, the command table, and exit statuses.

Commands are a table of ``name -> "module:function"``; a command's module is imported only
when that command runs, so ``bytebiota worker`` never imports rich and ``--help`` is fast.
Exit statuses are decided here and nowhere else (``Exit``): handlers return nothing and raise
``UserError``/``ConfigError`` (status 2) or ``Failure`` (status 1); Ctrl-C is 130. An
``OSError`` that reaches here (a path or port the system refused) is one line naming the path
and the reason, status 1: a user's mistake about their machine, not a bug to trace.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from bytebiota import __version__
from bytebiota.errors import Failure, UserError, os_error_line

if TYPE_CHECKING:
    from bytebiota.config import Config


class Exit(IntEnum):
    OK = 0
    FAILURE = 1
    USAGE = 2
    INTERRUPTED = 130


@dataclass(frozen=True)
class Command:
    target: str  # "module:function", imported when the command runs
    summary: str
    needs_config: bool = True
    # named flags this command implies unless the user gives them (culture is classic)
    implied: tuple[tuple[str, str], ...] = ()
    # "module:function(args, config)": flags implied by the command's input, read with the
    # first configuration (culture's regime follows its genomes' instruction set)
    refine: str = ""


# What a command that takes a genome accepts (culture, classify).
GENOME_HELP = (".asm or .bin file, RUN:GENOTYPE (a run's saved genotype, e.g. latest:0045aaa), "
               "or 'classic'")

COMMANDS: dict[str, Command] = {
    "config": Command(
        "bytebiota.config:command",
        "print the effective configuration and where each value came from",
    ),
    "run": Command("bytebiota.run:command", "run one world here, with journal and checkpoints"),
    "runs": Command("bytebiota.runs:command",
                    "list the runs: id, regime, seed, steps, size, state"),
    "culture": Command(
        "bytebiota.culture:command",
        "isolation test (does a genome replicate alone?) and co-cultures (--with)",
        implied=(("--regime", "classic"),),
        refine="bytebiota.culture:implied_regime",
    ),
    "classify": Command(
        "bytebiota.ecotype:command",
        "ecotype of a genome: self-replicator, parasite, hyper-parasite, social ... with the "
        "evidence of its cultures",
        implied=(("--regime", "classic"),),
    ),
    "asm": Command("bytebiota.genome.asm:command_asm", "assemble a .asm genome into .bin"),
    "disasm": Command("bytebiota.genome.asm:command_disasm", "print a genome as assembly"),
    "genome": Command("bytebiota.genome.diff:command",
                      "genome tools: `genome diff A B` aligns two genomes side by side"),
    "server": Command("bytebiota.server.app:command",
                      "serve an experiment: islands leased to workers over TCP"),
    "worker": Command("bytebiota.worker.client:command",
                      "lend this machine to a server: lease islands and run them"),
    "status": Command("bytebiota.status:command", "one snapshot of a server's state"),
    "release": Command("bytebiota.server.control:command",
                       "let a quarantined worker work again (run on the server's machine)"),
    "monitor": Command("bytebiota.status:command_monitor",
                       "a live dashboard of a server (read-only)"),
    "lineage": Command("bytebiota.lineage:command",
                       "a genotype's line of descent, or the run's phylogeny as CSV"),
    "bench": Command("bytebiota.bench:command", "measure instructions/s, compiled and pure",
                     needs_config=False),
    "replay": Command("bytebiota.replay:command",
                      "play a run journal back on the dashboard, summarise or verify it",
                      needs_config=False),
}


def _core_line() -> str:
    from bytebiota import core

    return f"core: {core.describe()}"


def _version_text() -> str:
    return (
        f"bytebiota {__version__}\n{_core_line()}\n"
        f"python: {platform.python_implementation()} {platform.python_version()}"
    )


class _VersionAction(argparse.Action):
    """--version, computed only when asked (it imports the core to say which one it is)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and core kind")

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(_version_text())
        parser.exit()


def _config_options() -> argparse.ArgumentParser:
    """The options every configured command takes; none has a default (absent = not given)."""
    from bytebiota.config import NAMED_FLAGS
    from bytebiota.variables import BY_NAME

    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("configuration (see docs/configuration.md)")
    group.add_argument(
        "--config", dest="config_file", metavar="FILE", default=argparse.SUPPRESS,
        help="read variables from a TOML file (below .env, the environment and flags)",
    )
    group.add_argument(
        "--set", dest="settings", metavar="NAME=VALUE", action="append",
        default=argparse.SUPPRESS, help="set any variable (repeatable)",
    )
    for flag, name in NAMED_FLAGS.items():
        group.add_argument(
            flag, dest=_flag_dest(flag), metavar=BY_NAME[name].kind.value.upper(),
            default=argparse.SUPPRESS, help=f"sets {name}",
        )
    return parent


def _flag_dest(flag: str) -> str:
    return "flag_" + flag.lstrip("-").replace("-", "_")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bytebiota",
        description="ByteBiota: a Tierra-style digital-evolution platform.",
        epilog="Configuration: docs/configuration.md. Exit status: 0 ok, 1 failure, "
        "2 usage or configuration error, 130 interrupted.",
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    config_options = _config_options()

    config = commands.add_parser(
        "config", parents=[config_options], help=COMMANDS["config"].summary,
        description="Print the effective configuration: every variable, its value and its "
        "source (default, preset, regime, file, .env, environment, flag).",
    )
    form = config.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true",
                      help='print {NAME: {"value": V, "source": S}}')
    form.add_argument("--toml", action="store_true",
                      help="print TOML that --config reads back to the same configuration")
    config.add_argument("--changed", action="store_true",
                        help="show only the variables not at their default")
    config.add_argument("--show-secrets", action="store_true",
                        help="print SERVER_TOKEN and MONITOR_TOKEN instead of ******** "
                        "(with --toml: only into --output FILE, written with mode 0600)")
    config.add_argument("--output", metavar="FILE",
                        help="with --toml: write the file (mode 0600) instead of printing it")

    run = commands.add_parser(
        "run", parents=[config_options], help=COMMANDS["run"].summary,
        description="Run one world on this machine, in a directory of its own, "
        "DATA_BASE_DIR/runs/DATE-REGIME-seedSEED (`bytebiota runs` lists them): its JSONL "
        "journal, its genebank, and checkpoints at its start, every "
        "CHECKPOINT_CADENCE_SECONDS, on SIGTERM, SIGHUP or Ctrl-C, when stdout is closed, "
        "and at MAX_STEPS.",
    )
    run.add_argument("--journal", metavar="PATH",
                     help="write the journal here instead (sets LOG_JSONL_PATH)")
    run.add_argument("--resume", nargs="?", const="", default=None, metavar="RUN",
                     help="continue a run from its newest valid checkpoint: the latest run "
                     "if none is named, else a run id (see `bytebiota runs`), a run "
                     "directory, `legacy` (data/checkpoints of older versions) or a "
                     "checkpoint file; flags that would change its world are refused")
    run.add_argument("--no-mutations", action="store_true",
                     help="turn every mutation off (background, copy, flaw, indel)")
    run.add_argument("--headless", action="store_true",
                     help="plain periodic lines instead of the dashboard (what a "
                     "non-terminal gets anyway)")
    run.add_argument("--jobs", metavar="N",
                     help="run N islands with migration on this machine, one process each "
                     "(a private server and `worker --jobs N`), as one run: one directory, "
                     "journal and dashboard; 1: one island in this process, the "
                     "reproducible run (default: WORKER_JOBS, from the resource preset)")

    culture = commands.add_parser(
        "culture", parents=[config_options], help=COMMANDS["culture"].summary,
        description="Run GENOME alone in a fresh mutation-free soup of the classic regime "
        "and report whether it replicates alone, the cells reached and the cost of its "
        "first daughter.",
    )
    culture.add_argument("genome", metavar="GENOME", help=GENOME_HELP)
    culture.add_argument("--steps", type=_positive_int, default=2_000_000,
                         help="instructions to run (default 2,000,000)")
    culture.add_argument("--with", dest="others", action="append", default=[],
                         metavar="OTHER", help="co-culture: place OTHER beside GENOME "
                         "(repeatable) and report who begets whom")
    culture.add_argument("--json", action="store_true",
                         help='print {"replicates", "cells", "first_daughter_instructions"} '
                         "(with --with: genotypes, begets, steps, populations, persists)")

    classify = commands.add_parser(
        "classify", parents=[config_options], help=COMMANDS["classify"].summary,
        description="Culture GENOME alone, beside the classic ancestor and beside the classic "
        "parasite (each in a fresh mutation-free classic soup) and name its ecotype: "
        "self-replicator, hyper-parasite, resistant host, parasite, social or non-replicator.",
    )
    classify.add_argument("genome", metavar="GENOME", help=GENOME_HELP)
    classify.add_argument("--steps", type=_positive_int, default=1_000_000,
                          help="instructions per culture (default 1,000,000)")
    classify.add_argument("--json", action="store_true", help='print {"kind", "evidence"}')

    assemble = commands.add_parser("asm", parents=[config_options],
                                   help=COMMANDS["asm"].summary)
    assemble.add_argument("file", metavar="GENOME", help=GENOME_HELP)
    assemble.add_argument("-o", "--output", metavar="FILE.bin",
                          help="output (default: FILE.bin beside a file; NAME.bin in the "
                          "current directory for RUN:GENOTYPE or an ancestor)")
    disassemble = commands.add_parser("disasm", parents=[config_options],
                                      help=COMMANDS["disasm"].summary)
    disassemble.add_argument("file", metavar="GENOME", help=GENOME_HELP)
    commands.add_parser(
        "runs", parents=[config_options], help=COMMANDS["runs"].summary,
        description="The runs in DATA_BASE_DIR/runs, oldest first, the latest marked *: "
        "id, regime, seed, steps, size on disk, and state (running, with the process; "
        "ended; stopped: killed or crashed, resumable). Data of older versions "
        "(DATA_BASE_DIR/checkpoints) is listed as `legacy`.",
    )

    genome = commands.add_parser("genome", help=COMMANDS["genome"].summary)
    genome_commands = genome.add_subparsers(dest="genome_command", metavar="TOOL", required=True)
    diff = genome_commands.add_parser(
        "diff", parents=[config_options], help="two genomes aligned side by side",
        description="Two genomes aligned side by side, each an .asm or .bin file, a shipped "
        "ancestor (classic, ecology) or RUN:GENOTYPE, a genotype a run saved "
        "(latest:0045aaa, 2026-12-01-classic-seed1:0045aaa; the start of one name will do).")
    diff.add_argument("a", metavar="A", help=GENOME_HELP)
    diff.add_argument("b", metavar="B", help=GENOME_HELP)
    diff.add_argument("--context", type=int, default=3, metavar="N",
                      help="aligned identical lines shown around each difference (default 3)")
    diff.add_argument("--all", action="store_true", help="show every line")

    server = commands.add_parser(
        "server", parents=[config_options], help=COMMANDS["server"].summary,
        description="Serve an experiment on SERVER_HOST:SERVER_PORT: ISLANDS islands leased "
        "to workers, checkpoints every CHECKPOINT_INTERVAL seconds in CHECKPOINT_DIR/server "
        "(resumed from the newest on start), a journal in DATA_BASE_DIR/logs/server.jsonl. "
        "SIGTERM or Ctrl-C: checkpoint, tell the workers, exit 0. "
        "`server enroll NAME` issues worker NAME its own credential (a file to copy to its "
        "machine, WORKER_CREDENTIAL there); `server revoke NAME` locks it out (a running "
        "server disconnects it and rolls back its unverified work); `server credentials` "
        "lists them. Run these on the server's machine (DATA_BASE_DIR/credentials.json).",
    )
    server.add_argument("action", nargs="?", choices=("enroll", "revoke", "credentials"),
                        help="manage per-worker credentials instead of serving")
    server.add_argument("name", nargs="?", metavar="NAME", help="the worker's id")
    server.add_argument("--output", metavar="FILE",
                        help="enroll: where to write the credential (default NAME.credential)")
    worker = commands.add_parser(
        "worker", parents=[config_options], help=COMMANDS["worker"].summary,
        description="Connect to SERVER_URL (host:port, tcp://host:port or a legacy http:// "
        "URL), prove SERVER_TOKEN, lease islands and run them; reconnects by itself.",
    )
    worker.add_argument("--jobs", type=_positive_int, metavar="N",
                        help="run N island processes (default: WORKER_JOBS, from the "
                        "resource preset)")
    status = commands.add_parser("status", parents=[config_options],
                                 help=COMMANDS["status"].summary)
    status.add_argument("--json", action="store_true", help="machine-readable")
    status.add_argument("--island", type=_island, metavar="N", default=-1,
                        help="with island N's soup map (the latest its worker reported)")
    release = commands.add_parser(
        "release", parents=[config_options], help=COMMANDS["release"].summary,
        description="A worker whose results the server's own re-run contradicted is "
        "quarantined: it "
        "gets no work until an operator releases it. Run this on the server's machine with "
        "the server's DATA_BASE_DIR (the request is a file there, not a network message: "
        "every volunteer holds the token). `bytebiota status` lists quarantined workers.",
    )
    release.add_argument("worker_id", metavar="WORKER_ID")
    release.add_argument("--wait", type=_seconds, default=10.0, metavar="SECONDS",
                         help="how long to wait for the server's answer (default 10; 0: "
                         "leave the request and return)")
    commands.add_parser(
        "monitor", parents=[config_options], help=COMMANDS["monitor"].summary,
        description="The dashboard for a running server (BYTEBIOTA_SERVER_URL or SERVER_URL; "
        "--server-url): population, sizes, workers and islands, over a read-only session "
        "with the token. It says when the server is unreachable and keeps retrying.",
    )

    bench = commands.add_parser(
        "bench", help=COMMANDS["bench"].summary,
        description="Fixed workloads (ancestor, classic, ecology), median of repetitions, compiled "
        "and pure side by side.",
    )
    bench.add_argument("--json", action="store_true", help="machine-readable figures")
    bench.add_argument("--quick", action="store_true", help="runs 10x shorter")
    bench.add_argument("--repetitions", type=_positive_int, default=0,
                       help="repetitions per figure (default 3)")

    lineage = commands.add_parser(
        "lineage", parents=[config_options], help=COMMANDS["lineage"].summary,
        description="From a run's checkpoint (the newest of the latest run, of RUN in "
        "RUN:GENOTYPE or --run RUN, or --checkpoint FILE) or a server's island (--island N): "
        "GENOTYPE's line of descent, each genotype from its true parent, with the mutations "
        "between each step; --export writes the run's phylogeny (every permanent genotype "
        "and the parents they came from) in the ALife phylogeny data standard (id, "
        "ancestor_list, origin_time, ...) or, with --format newick, in Newick.",
    )
    lineage.add_argument("genotype", metavar="GENOTYPE", nargs="?",
                         help="e.g. 0097aab, or RUN:0097aab for another run than the "
                         "latest, or 1/0097aab for island 1 of a server (as --island 1)")
    lineage.add_argument("--run", metavar="RUN", help="a run id (`bytebiota runs`), a run "
                         "directory, or `legacy`")
    lineage.add_argument("--export", metavar="FILE", help="write the phylogeny here")
    lineage.add_argument("--format", choices=("csv", "newick"), default="csv",
                         help="of --export: the ALife standard's CSV (default) or Newick, "
                         "one tree per line")
    lineage.add_argument("--checkpoint", metavar="FILE", help="a run checkpoint to read")
    lineage.add_argument("--island", metavar="N", type=_island,
                         help="a server's island instead of a run: as the server (of this "
                         "data directory) last committed it")
    replay = commands.add_parser(
        "replay", help=COMMANDS["replay"].summary,
        description="Read a JSONL journal back: --summary prints its final state, --verify "
        "re-simulates it from its header's seed and configuration and checks every digest "
        "(exit 0 if all match, 1 at the first divergence).",
    )
    replay.add_argument("journal", metavar="JOURNAL",
                        help="a journal file, a run directory, or a run id (`latest`)")
    mode = replay.add_mutually_exclusive_group()
    mode.add_argument("--summary", action="store_true", help="final tables, no animation "
                      "(also what a non-terminal gets)")
    mode.add_argument("--verify", action="store_true", help="re-simulate and check digests")
    mode.add_argument("--plot", metavar="DIR", help="write PNG charts into DIR "
                      "(needs the plot extra: pip install 'bytebiota[plot]')")
    replay.add_argument("--speed", default="4", metavar="N|max",
                        help="stats events per second (default 4), or max")
    replay.add_argument("--from", dest="start", type=_positive_int, metavar="STEP",
                        help="start playing at this step (default: the journal's start)")
    replay.add_argument("--to", dest="stop", type=_positive_int, metavar="STEP",
                        help="stop at this step")
    replay.add_argument("--refresh-hz", type=float, default=4.0, metavar="HZ",
                        help="dashboard refreshes per second (default 4)")
    return parser


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} must be within 0..3600")
    return value


def _int_at_least(text: str, least: int) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least {least}")
    return value


def _positive_int(text: str) -> int:
    return _int_at_least(text, 1)


def _island(text: str) -> int:
    value = _int_at_least(text, 0)
    if value >= 2**32:
        raise argparse.ArgumentTypeError(f"{text!r} is not an island number")
    return value


def load_config(args: argparse.Namespace, implied: tuple[tuple[str, str], ...] = ()) -> Config:
    """The configuration a command runs with, from its flags and the other layers."""
    from bytebiota.config import NAMED_FLAGS, load

    named = dict(implied)
    named.update(
        (flag, getattr(args, _flag_dest(flag)))
        for flag in NAMED_FLAGS
        if hasattr(args, _flag_dest(flag))
    )
    settings = list(getattr(args, "settings", []))
    if getattr(args, "journal", None):  # run --journal PATH sets LOG_JSONL_PATH
        settings.append(f"LOG_JSONL_PATH={args.journal}")
    config = load(
        config_file=getattr(args, "config_file", None),
        settings=settings,
        named_flags=named,
    )
    for notice in config.notices:
        print(f"bytebiota: notice: {notice}", file=sys.stderr)
    return config


def _function(target: str) -> Callable[..., Any]:
    """``module:function``, its module imported now."""
    module_name, _, function = target.partition(":")
    found: Callable[..., Any] = getattr(importlib.import_module(module_name), function)
    return found


def _handler(command: Command) -> Callable[..., None]:
    return _function(command.target)


def _error(message: str) -> None:
    print(f"bytebiota: error: {message}", file=sys.stderr)


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return Exit.USAGE
    command = COMMANDS[args.command]
    handler = _handler(command)
    if command.needs_config:
        config = load_config(args, command.implied)
        if command.refine:
            refined: tuple[tuple[str, str], ...] = _function(command.refine)(args, config)
            if refined:
                config = load_config(args, (*command.implied, *refined))
        from bytebiota import logs

        logs.setup(config.logging.log_level)
        handler(args, config)
    else:
        handler(args)
    return Exit.OK


def _leaf(exc: BaseException) -> BaseException:
    """The one exception inside (nested) groups of one: a TaskGroup wraps what its task
    raised, and the status depends on that, not on the wrapping."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def _status(exc: BaseException) -> int | None:
    """The exit status for an exception that ends a command, its one line printed; None
    for what is not ours to explain (a bug: its traceback is wanted)."""
    if isinstance(exc, KeyboardInterrupt):
        print("bytebiota: interrupted", file=sys.stderr)
        return Exit.INTERRUPTED
    if isinstance(exc, UserError):  # ConfigError included
        _error(str(exc))
        return Exit.USAGE
    if isinstance(exc, ImportError):
        # bytebiota.core.CoreUnavailable (BYTEBIOTA_CORE asks for a core that is not there),
        # recognised without importing the core, which is what failed.
        if not getattr(exc, "core_unavailable", False):
            return None
        _error(str(exc))
        return Exit.USAGE
    if isinstance(exc, Failure):
        _error(str(exc))
        return Exit.FAILURE
    if isinstance(exc, BrokenPipeError):
        # The reader went away (``bytebiota config | head``): not an error of ours.
        sys.stdout = None  # stop the interpreter's final flush on a closed pipe
        return Exit.OK
    if isinstance(exc, OSError):
        # The system refused a path or a port the user named (a missing or unwritable
        # directory, a file where a directory should be, a full disk): one line, status 1.
        _error(os_error_line(exc))
        return Exit.FAILURE
    return None


def main(argv: Sequence[str] | None = None) -> int:
    # Ctrl-C must mean "checkpoint and stop" (status 130) even when started from a context
    # that ignores SIGINT (background jobs of non-interactive shells, some CI runners).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if "BYTEBIOTA_PARENT_PID" in os.environ:  # a child of `run --jobs N`: follow it
        from bytebiota.multirun import follow_parent

        follow_parent()
    try:
        return _run(argv)
    except BaseException as exc:  # SystemExit (argparse, --help) falls through: None
        status = _status(_leaf(exc))
        if status is None:
            raise
        return status
