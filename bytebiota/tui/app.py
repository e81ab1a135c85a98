"""The dashboard app: the one owner of ``rich.live.Live``.

A *producer* (a live run, a replay) does its work in short steps; the app runs it in one
asyncio task, refreshes the screen from another at REFRESH_HZ at most, and hands keys read
from the terminal (in cbreak mode, restored on exit) to the producer. Drawing is a pure
function of the producer's ``State`` (``views.dashboard``), so it costs one render per
refresh whatever the simulation's speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator
from typing import Protocol

from rich.console import Console
from rich.live import Live

from bytebiota.tui.model import State
from bytebiota.tui.views import MAP_MODES, Extras, available_map_modes, dashboard

QUIT = "quit"
STEP_SECONDS = 0.05  # a producer step's target length: keys and refreshes wait no longer
KEY_NAMES = {"\x1b[C": "right", "\x1b[D": "left", "\x1b[A": "up", "\x1b[B": "down"}


class Producer(Protocol):
    state: State
    extras: Extras

    def step(self, seconds: float) -> bool:
        """Work for about ``seconds``; False when there is nothing more to do. (A producer
        that waits on the network defines ``async def astep`` instead, used when present.)"""

    def key(self, key: str) -> str | None:
        """React to a key; return a message to show, or QUIT."""


def common_key(extras: Extras, key: str, state: State | None = None) -> str | None:
    """The keys every dashboard shares: q quits, p (or space) pauses and resumes, m cycles
    the bottom left panel (the sizes, then the soup map's colourings: energy only where
    ``state``'s map carries it), ? lists every key of this dashboard."""
    if key in ("q", "Q"):
        return QUIT
    if key in ("m", "M"):  # the bottom left panel: sizes, then the soup map's colourings
        modes = ("", *(available_map_modes(state) if state is not None
                       else (m for m in MAP_MODES if m not in ("energy", "ecotypes"))))
        extras.map_mode = modes[(modes.index(extras.map_mode) + 1) % len(modes)]
        return f"soup map: {extras.map_mode}" if extras.map_mode else "genome sizes"
    if key == "?":
        extras.help = not extras.help
        return "? closes the keys" if extras.help else "running"
    if key in ("p", "P", " "):
        extras.paused = not extras.paused
        return "paused: p to go on" if extras.paused else "running"
    return None


@contextlib.contextmanager
def cbreak(stream: int) -> Iterator[bool]:
    """Single keys without echo while inside (Ctrl-C still interrupts); restored after."""
    try:
        import termios
        import tty
    except ImportError:  # not on Windows
        yield False
        return
    try:
        saved = termios.tcgetattr(stream)
    except termios.error:
        yield False
        return
    try:
        tty.setcbreak(stream)
        yield True
    finally:
        termios.tcsetattr(stream, termios.TCSADRAIN, saved)


class App:
    def __init__(self, producer: Producer, refresh_hz: float, console: Console | None = None):
        self.producer = producer
        self.interval = 1.0 / max(0.5, refresh_hz)
        self.console = console or Console()
        self.done = asyncio.Event()
        self.keys: asyncio.Queue[str] = asyncio.Queue()
        self.renders = 0

    def render(self) -> object:
        size = self.console.size
        return dashboard(self.producer.state, self.producer.extras, size.width, size.height)

    async def _refresher(self, live: Live) -> None:
        while not self.done.is_set():
            live.update(self.render(), refresh=True)  # type: ignore[arg-type]
            self.renders += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.done.wait(), self.interval)
        live.update(self.render(), refresh=True)  # type: ignore[arg-type]

    async def _worker(self) -> None:
        producer = self.producer
        more = True
        while not self.done.is_set():
            while not self.keys.empty():
                message = producer.key(self.keys.get_nowait())
                if message == QUIT:
                    self.done.set()
                    return
                if message:
                    producer.extras.message = message
            if more and not producer.extras.paused:
                astep = getattr(producer, "astep", None)
                more = await astep(STEP_SECONDS) if astep else producer.step(STEP_SECONDS)
                if not more and producer.extras.exit_when_done:
                    self.done.set()
                    return
                await asyncio.sleep(0)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._key_arrived(), 0.1)

    async def _key_arrived(self) -> None:
        key = await self.keys.get()
        await self.keys.put(key)

    def _read_keys(self, fd: int) -> None:
        data = os.read(fd, 32).decode(errors="ignore")
        while data:
            for sequence, name in KEY_NAMES.items():
                if data.startswith(sequence):
                    self.keys.put_nowait(name)
                    data = data[len(sequence):]
                    break
            else:
                self.keys.put_nowait(data[0])
                data = data[1:]

    async def main(self) -> None:
        loop = asyncio.get_running_loop()
        fd = sys.stdin.fileno()
        for sig in (signal.SIGTERM, signal.SIGHUP):  # SIGHUP: the terminal went away
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, self.done.set)
        with cbreak(fd) as interactive, Live(console=self.console, auto_refresh=False,
                                             screen=False, transient=False) as live:
            if interactive:
                loop.add_reader(fd, self._read_keys, fd)
            try:
                async with asyncio.TaskGroup() as group:
                    group.create_task(self._refresher(live))
                    group.create_task(self._worker())
            finally:
                if interactive:
                    loop.remove_reader(fd)
                for sig in (signal.SIGTERM, signal.SIGHUP):
                    with contextlib.suppress(NotImplementedError):
                        loop.remove_signal_handler(sig)


def run(producer: Producer, refresh_hz: float) -> int:
    """Show the dashboard until the producer is done and the user quits (or SIGTERM);
    returns the number of screen refreshes."""
    app = App(producer, refresh_hz)
    asyncio.run(app.main())
    return app.renders


class Rate:
    """Instructions per second, smoothed over about the last few seconds."""

    def __init__(self) -> None:
        self.value: float | None = None
        self._last: tuple[float, int] | None = None

    def update(self, steps: int) -> float | None:
        now = time.perf_counter()
        if self._last is not None and now > self._last[0]:
            sample = (steps - self._last[1]) / (now - self._last[0])
            self.value = sample if self.value is None else 0.8 * self.value + 0.2 * sample
        self._last = (now, steps)
        return self.value
