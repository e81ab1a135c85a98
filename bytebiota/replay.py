"""``bytebiota replay JOURNAL``: read a journal back, summarise it, verify it.

``--summary`` prints the final state (as in the journal's last ``stats`` event) without
animation; ``--verify`` re-simulates a local run from the header's seed and configuration and
checks every logged digest. A journal cut off mid-line (a crashed run) is read up to its last
whole event, with a warning; a file that is not a journal is refused (exit status 2).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bytebiota import health as diagnostics
from bytebiota.errors import Failure, UserError, read_user_file
from bytebiota.tui.model import State

if TYPE_CHECKING:
    from bytebiota.tui.drill import Genotypes


class NotAJournal(UserError):
    """The file is not a ByteBiota journal."""


def read_journal(path: Path, *, strict: bool = False) -> list[dict[str, Any]]:
    """Every whole event of the journal; warns about a cut-off last line. ``strict``
    (``--verify``): a journal with anything but whole events in it fails (exit status 1),
    a cut-off last line included: verifying a damaged journal would vouch for it."""
    lines = read_user_file(path, NotAJournal).split(b"\n")
    tail = lines.pop()  # after the last newline: empty, or a line cut off by a crash
    events: list[dict[str, Any]] = []
    for number, raw in enumerate(lines, start=1):
        try:
            event = json.loads(raw)
        except ValueError:
            if strict and events:
                raise Failure(f"{path}:{number}: not a JSON event: the journal is damaged "
                              "(`run --resume` cuts a damaged tail off)") from None
            raise NotAJournal(f"{path}:{number}: not a JSON event; not a journal?") from None
        if not isinstance(event, dict) or "event" not in event:
            raise NotAJournal(f"{path}:{number}: a line without an \"event\"; not a journal?")
        if number == 1 and event["event"] != "header":
            raise NotAJournal(f"{path}: the first line is not a journal header")
        if number > 1 and event["event"] == "header" and strict:
            raise Failure(f"{path}:{number}: a second header: two runs mixed in one journal")
        events.append(event)
    if tail:
        if not events:
            raise NotAJournal(f"{path}: not a journal (no complete line)")
        if strict:
            raise Failure(f"{path}:{len(lines) + 1}: the last line is cut off (a crashed run?): "
                          "the journal is damaged (`run --resume` cuts it off)")
        print(f"bytebiota: warning: {path}: the last line is cut off (a crashed run?); "
              f"replaying the {len(events)} whole events", file=sys.stderr)
    if not events:
        raise NotAJournal(f"{path}: empty; not a journal")
    return events


def reduce(events: list[dict[str, Any]], stop: int | None = None) -> State:
    """The state after every event up to step ``stop`` (all of them by default)."""
    state = State()
    for event in events:
        step = event.get("step")
        if stop is not None and isinstance(step, int) and step > stop:
            break
        state.apply(event)
    return state


def summary(state: State) -> str:
    lines = [
        f"seed {state.seed}  regime {state.regime}  core {state.core}",
        f"final step     {state.step:,}" + ("  (ended)" if state.ended else ""),
        f"population     {state.population:,}",
        f"genotypes      {state.genotypes:,}",
        f"size classes   {len(state.sizes)}",
        f"births         {state.births:,}",
        f"deaths         {state.deaths:,}",
        "mutations      " + ", ".join(f"{k} {v:,}" for k, v in state.mutations.items()),
        "most common    " + (f"{state.top[0]} ({state.top[1]} cells)" if state.top else "-"),
        *state.ecology_lines(),
        *([f"health         {diagnostics.summary(state.health)}"] if state.health else []),
        "",
        "top size classes (size: cells)",
    ]
    largest = max((n for _, n in state.sizes), default=1)
    for size, cells in state.top_sizes(10):
        bar = "#" * max(1, round(40 * cells / largest))
        lines.append(f"  {size:>6}: {cells:>6}  {bar}")
    if state.permanent:
        lines += ["", f"permanent genotypes ({len(state.permanent)})"]
        for event in state.permanent[-10:]:
            lines.append(f"  {event['name']}  parent {event['parent']}  step {event['step']:,}")
    return "\n".join(lines)


def verify(events: list[dict[str, Any]]) -> tuple[bool, int, int]:
    """Re-simulate; (all digests match, checked count, first divergent step or -1)."""
    from bytebiota.config import from_values
    from bytebiota.simulation import new_world

    header = events[0]
    config = from_values(header.get("config", {}))
    world = new_world(config, int(header["seed"]), mutations=bool(header.get("mutations", True)))
    checked = 0
    for event in events[1:]:
        if event["event"] not in ("stats", "end"):
            continue
        step = int(event["step"])
        if step < world.steps:
            return False, checked, step  # steps never go back: two runs mixed?
        world.run(step - int(world.steps))
        if world.digest() != event["digest"]:
            return False, checked, step
        checked += 1
    return True, checked, -1


class Playback:
    """The dashboard's producer for a journal: plays its events at ``speed`` stats events per
    second (None: as fast as the screen refreshes), from step ``start`` to step ``stop``."""

    SEEK = 10  # stats events per arrow key

    def __init__(self, events: list[dict[str, Any]], speed: float | None,
                 start: int | None, stop: int | None) -> None:
        from bytebiota.tui.views import Extras

        self.events = [e for e in events if stop is None or not isinstance(e.get("step"), int)
                       or e["step"] <= stop]
        self.speed = speed
        self.extras = Extras(label="replay", keys="q quit  p pause  ←/→ seek  m map  "
                             "↑/↓ pick  ⏎ details  ? keys", exit_when_done=False)
        self.pos = 0
        self.state = State()
        self.credit = 0.0
        # From the start of the journal unless ``--from`` says otherwise: then everything
        # before that step is applied at once, and playing begins there.
        while start is not None and self.pos < len(self.events) and (
                not isinstance(self.events[self.pos].get("step"), int)
                or self.events[self.pos]["step"] < start):
            self.state.apply(self.events[self.pos])
            self.pos += 1
        # What comes before the first stats event (the header: seed, regime, core; the
        # ancestor's record) is the start itself: the first frame shows it, at step 0.
        while self.pos < len(self.events) and self.events[self.pos]["event"] != "stats":
            self.state.apply(self.events[self.pos])
            self.pos += 1

    def genotypes(self) -> Genotypes:
        """What the journal says of genotypes: the recorded ones' genomes and parents (and
        the top genotypes' parents); the isolation test in the header's configuration."""
        from bytebiota.tui import drill

        recorded = {e["name"]: e for e in self.events if e["event"] == "genotype"}
        parents = {row[0]: row[3] for row in self.state.top_genotypes}
        parents.update((name, e["parent"]) for name, e in recorded.items())
        header = self.events[0] if self.events and self.events[0]["event"] == "header" else {}

        def genome(name: str) -> bytes | None:
            event = recorded.get(name)
            return bytes.fromhex(event["genome"]) if event else None

        verdict = None
        if header.get("config"):
            from bytebiota.config import from_values

            verdict = drill.culture_verdict(from_values(header["config"]))
        return drill.Genotypes(genome, parents.get, verdict)

    def _stats_positions(self) -> list[int]:
        return [i for i, e in enumerate(self.events) if e["event"] == "stats"]

    async def astep(self, seconds: float) -> bool:
        """The app's step: paced playback waits in the event loop, not in a sleep."""
        more = self.step(seconds)
        if self.speed is not None:
            await asyncio.sleep(seconds)
        return more

    def step(self, seconds: float) -> bool:
        if self.pos >= len(self.events):
            return False
        self.credit += 1e9 if self.speed is None else seconds * self.speed
        while self.pos < len(self.events) and self.credit >= 1:
            event = self.events[self.pos]
            self.state.apply(event)
            self.pos += 1
            if event["event"] == "stats":
                self.credit -= 1
                if self.speed is None:
                    break
        return self.pos < len(self.events)

    def _seek(self, target: int) -> None:
        target = max(0, min(len(self.events), target))
        self.state = State()
        for event in self.events[:target]:
            self.state.apply(event)
        self.pos = target

    def key(self, key: str) -> str | None:
        from bytebiota.tui import drill
        from bytebiota.tui.app import common_key

        shared = common_key(self.extras, key, self.state)
        if shared is not None:
            return shared
        picked = drill.key(self.extras, self.state, key, self.genotypes())
        if picked is not None:
            return picked
        stats = self._stats_positions()
        if key in ("right", "]"):
            later = [i for i in stats if i >= self.pos]
            self._seek((later[self.SEEK - 1] + 1) if len(later) >= self.SEEK else
                       len(self.events))
            return f"step {self.state.step:,}"
        if key in ("left", "["):
            earlier = [i for i in stats if i < self.pos]
            self._seek(earlier[-self.SEEK - 1] + 1 if len(earlier) > self.SEEK else 1)
            return f"step {self.state.step:,}"
        return None


def parse_speed(text: str) -> float | None:
    if text == "max":
        return None
    try:
        value = float(text)
    except ValueError:
        raise UserError(
            f"--speed {text!r}: a number of stats events per second, or max") from None
    if value <= 0:
        raise UserError(f"--speed {text!r}: must be above 0")
    return value


def journal_path(text: str) -> Path:
    """A journal named as a file, a run directory, or a run id in DATA_BASE_DIR/runs (from
    the environment, else ``data``): ``replay latest``."""
    from bytebiota.runs import JOURNAL, LEGACY_JOURNAL, RUNS

    path = Path(text)
    if not path.exists() and os.sep not in text:
        run = Path(os.environ.get("DATA_BASE_DIR") or "data") / RUNS / text
        path = run if run.is_dir() else path
    if path.is_dir():
        for name in (JOURNAL, LEGACY_JOURNAL):
            if (path / name).is_file():
                return path / name
        raise NotAJournal(f"{path}: a directory without a journal ({JOURNAL})")
    return path


def command(args: argparse.Namespace) -> None:
    path = journal_path(args.journal)
    events = read_journal(path, strict=args.verify)
    if args.verify:
        ok, checked, step = verify(events)
        if not ok:
            raise Failure(f"{path}: diverges at step {step:,} (after {checked} matching "
                          "digests)")
        print(f"{path}: verified: {checked} digests match")
        return
    if args.plot:
        from bytebiota.plots import plot

        for written in plot(events, Path(args.plot)):
            print(written)
        return
    if args.summary or not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(summary(reduce(events, args.stop)))
        return
    from bytebiota.tui import app

    app.run(Playback(events, parse_speed(args.speed), args.start, args.stop), args.refresh_hz)
