"""Run directories: where each ``bytebiota run`` keeps its journal, checkpoints and genebank.

Layout (docs/journal.md)::

    {DATA_BASE_DIR}/runs/
      2026-12-01-classic-seed1/     one run: its id is the date it started, regime, seed
        journal.jsonl               (and -2, -3 ... when that name is taken)
        run-00000007-20261201T152440Z.ckpt
        genebank/0045aaa.asm
        bytebiota.lock              held while a process writes here (bytebiota/locks.py)
      latest -> 2026-12-01-classic-seed1    the run last started or resumed

Invariants:

- A run's directory is created with ``mkdir`` (never reused): two runs never share one, so
  nothing of one run is ever overwritten or mixed with another's.
- ``latest`` is a symbolic link replaced atomically (a new link renamed over the old one).
- The old layout (before run directories: ``{DATA_BASE_DIR}/checkpoints/`` holding the
  journal ``experiment.jsonl`` and ``run-*.ckpt``, genotypes in ``{DATA_BASE_DIR}/genebank/``)
  is still read, as the run called ``legacy``: resumed in place, replayed, listed.
- A place the user names (CHECKPOINT_DIR set explicitly, ``--resume DIR``) is a run
  directory too, outside ``runs/``; ``--journal PATH`` puts the journal where it says.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bytebiota import checkpoints, journal, locks
from bytebiota.config import Config, is_derived
from bytebiota.errors import UserError

RUNS = "runs"
LATEST = "latest"
LEGACY = "legacy"  # the name of the old single-directory layout
JOURNAL = "journal.jsonl"
GENEBANK = "genebank"
CHECKPOINT_PREFIX = "run"
LEGACY_JOURNAL = "experiment.jsonl"
MAX_SAME_DAY = 1000  # runs of one date, regime and seed: -2 ... -1000, then an error


def root(config: Config) -> Path:
    return Path(config.global_.data_base_dir) / RUNS


def legacy_dir(config: Config) -> Path:
    return Path(config.global_.data_base_dir) / "checkpoints"


def named_place(config: Config) -> Path | None:
    """CHECKPOINT_DIR when the user set it: the run lives there, as the user said."""
    if is_derived(config.origins["CHECKPOINT_DIR"]):
        return None
    return Path(config.checkpoint.checkpoint_dir)


def run_id(regime: str, seed: int, when: float | None = None) -> str:
    return f"{time.strftime('%Y-%m-%d', time.localtime(when))}-{regime}-seed{seed}"


def create(directory: Path, regime: str, seed: int) -> Path:
    """A new, empty run directory under ``directory`` (``runs/``)."""
    directory.mkdir(parents=True, exist_ok=True)
    base = run_id(regime, seed)
    for n in range(1, MAX_SAME_DAY + 1):
        path = directory / (base if n == 1 else f"{base}-{n}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise UserError(f"{directory}: {MAX_SAME_DAY} runs named {base} already; clean up")


def set_latest(run_dir: Path) -> None:
    """Point ``runs/latest`` at ``run_dir`` (which is in ``runs/``)."""
    link = run_dir.parent / LATEST
    tmp = run_dir.parent / f".{LATEST}.{os.getpid()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(run_dir.name, tmp)
    os.replace(tmp, link)


def latest(directory: Path) -> Path | None:
    link = directory / LATEST
    if link.is_symlink() and link.resolve().is_dir():
        return directory / os.readlink(link)
    return None


def has_run(directory: Path) -> bool:
    """Whether ``directory`` holds (part of) a run: a journal or a checkpoint."""
    return any((directory / name).exists() for name in (JOURNAL, LEGACY_JOURNAL)) or bool(
        checkpoints.listing(directory, CHECKPOINT_PREFIX))


def is_legacy(run_dir: Path) -> bool:
    return not (run_dir / JOURNAL).exists() and (
        (run_dir / LEGACY_JOURNAL).exists()
        or any(checkpoints.order(p)[0] == 0
               for p in checkpoints.listing(run_dir, CHECKPOINT_PREFIX)))


def find(config: Config, name: str) -> Path:
    """The directory of the run ``name``: an id in ``runs/``, ``latest``, ``legacy``, or the
    path of a run directory. UserError (exit 2) naming what exists when there is none."""
    base = root(config)
    if name == LATEST:
        found = latest(base)
        if found is None:
            raise UserError(f"no latest run in {base}")
        return found
    if name == LEGACY:
        if not has_run(legacy_dir(config)):
            raise UserError(f"no run of the old layout in {legacy_dir(config)}")
        return legacy_dir(config)
    if os.sep not in name and name not in (".", "..") and (base / name).is_dir():
        return base / name
    path = Path(name)
    if path.is_dir():
        return path
    known = [r.name for r in listing(base)]
    hint = f"; runs there: {', '.join(known[-3:])}" if known else ""
    raise UserError(f"no run {name!r} in {base} (`bytebiota runs` lists them){hint}")


def default_run(config: Config) -> Path:
    """What ``--resume`` with no argument continues: the named place, the latest run, or
    (data from before run directories) the old layout."""
    place = named_place(config)
    if place is not None:
        return place
    found = latest(root(config))
    if found is not None:
        return found
    if has_run(legacy_dir(config)):
        return legacy_dir(config)
    raise UserError(f"no run in {root(config)}")


def listing(directory: Path) -> list[Path]:
    """The run directories in ``directory``, oldest first (by name: the date leads)."""
    if not directory.is_dir():
        return []
    return sorted((p for p in directory.iterdir()
                   if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")),
                  key=lambda p: p.name)


def genome_path(text: str, config: Config) -> str:
    """``RUN:GENOTYPE`` (``latest:0045aaa``; RUN as ``find`` knows it, GENOTYPE a name saved
    in its genebank or the start of exactly one) as the path of that run's saved genotype;
    any other text (a path, an ancestor's name) as it is. UserError (exit 2), one line: no
    such run, no such genotype, or a GENOTYPE that starts several names."""
    run, colon, name = text.rpartition(":")
    if not colon or Path(text).exists() or not run or not name:
        return text
    try:
        directory = find(config, run)
    except UserError as exc:
        raise UserError(f"{text}: no such file, and {exc}") from None
    bank = Path(config.global_.data_base_dir) / GENEBANK if is_legacy(directory) \
        else directory / GENEBANK
    path = bank / (name if name.endswith((".asm", ".bin")) else f"{name}.asm")
    if path.exists():
        return str(path)
    saved = sorted(p.stem for p in bank.glob("*.asm"))
    matches = [s for s in saved if s.startswith(name)]
    if len(matches) == 1:
        return str(bank / f"{matches[0]}.asm")
    if matches:
        raise UserError(f"{text}: ambiguous: {len(matches)} genotypes of run "
                        f"{directory.name} start with {name} ({_some(matches)})")
    hint = f" (saved: {_some(saved)})" if saved else " (it saved none)"
    raise UserError(f"{text}: run {directory.name} has no genotype {name}{hint}")


def _some(names: list[str], shown: int = 5) -> str:
    return ", ".join(names[:shown]) + (" ..." if len(names) > shown else "")


@dataclass(frozen=True)
class RunInfo:
    id: str
    regime: str
    seed: str
    steps: int
    state: str  # running (pid N), ended, stopped (no end event: killed or crashed)
    size: int  # bytes


def tail_events(path: Path) -> list[dict[str, Any]]:
    """The whole events of the journal's last 64 kB, newest first (journals grow large)."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - 65536))
            lines = handle.read().split(b"\n")
    except OSError:
        return []
    events = (journal.parse_line(raw + b"\n") for raw in reversed(lines[:-1]))
    return [event for event in events if event is not None]


def last_step(events: list[dict[str, Any]]) -> int:
    """The run's step from the newest event that has one (a server's journal ends in
    ``report`` events, whose "steps" are one batch's, and ``ecotype`` ones, which have
    none); 0 when none of ``events`` has one."""
    return next((int(event["step"]) for event in events if "step" in event), 0)


def describe(run_dir: Path, name: str | None = None) -> RunInfo:
    legacy = is_legacy(run_dir)
    path = run_dir / (LEGACY_JOURNAL if legacy else JOURNAL)
    header: dict[str, Any] = {}
    if path.exists():
        with open(path, "rb") as handle:
            header = journal.parse_line(handle.readline()) or {}
    tail = tail_events(path)
    last = tail[0] if tail else {}
    holder = locks.holder(run_dir)
    state = (f"running ({holder})" if holder else "ended" if last.get("event") == "end"
             else "stopped")
    size = sum(p.stat().st_size for p in run_dir.rglob("*")
               if p.is_file() and not p.is_symlink())  # (journal.jsonl of `run --jobs`)
    return RunInfo(name or run_dir.name, str(header.get("regime", "?")),
                   str(header.get("seed", "?")),
                   last_step(tail),
                   state, size)


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "kB", "MB"):
        if value < 1000:
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def table(config: Config) -> list[str]:
    base = root(config)
    rows = [describe(d) for d in listing(base)]
    if has_run(legacy_dir(config)):
        rows.insert(0, describe(legacy_dir(config), LEGACY))
    if not rows:
        return []
    newest = latest(base)
    width = max(len(r.id) for r in rows)
    lines = [f"  {'RUN':<{width}}  {'REGIME':<8} {'SEED':>20} {'STEPS':>16}  {'SIZE':>9}  STATE"]
    for r in rows:
        mark = "*" if newest is not None and r.id == newest.name else " "
        lines.append(f"{mark} {r.id:<{width}}  {r.regime:<8} {r.seed:>20} {r.steps:>16,}  "
                     f"{_size(r.size):>9}  {r.state}")
    return lines


def command(args: Any, config: Config) -> None:
    """``bytebiota runs``: the runs in DATA_BASE_DIR/runs, the latest marked with ``*``."""
    lines = table(config)
    if not lines:
        print(f"bytebiota: no runs in {root(config)}")
        return
    print("\n".join(lines))
