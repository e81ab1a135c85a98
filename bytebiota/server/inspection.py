"""Snapshots checked before the server commits them (and hands them to other workers).

A SNAPSHOT whose digest matches its sender's last report is self-consistent, yet it may still
be unrestorable (a lie, or a bug) or belong to another experiment; committed, it would stall
the island and crash every honest worker it is leased to. So the server first checks that it
opens with the experiment's own header (format and parameters: soup size, regime, rates, the
very bytes a fresh world of this experiment packs) and that the core restores it, in a
separate process (a restore of a large soup takes long enough to delay heartbeats, and a
hostile snapshot must not cost the server's memory). A holder whose snapshot fails is treated
as a cheater.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from bytebiota.core.params import packed_size
from bytebiota.core.snapshot import SNAPSHOT_MAGIC, SNAPSHOT_VERSION
from bytebiota.core.world import Params, SnapshotError, World, restore

T = TypeVar("T")


def header_of(params: Params) -> bytes:
    """The bytes every snapshot of this experiment starts with: magic, format, parameters."""
    return World(params, 0).snapshot()[: len(SNAPSHOT_MAGIC) + 2 + packed_size(SNAPSHOT_VERSION)]


def _restorable(data: bytes) -> str | None:
    try:
        world = restore(data)
    except SnapshotError as exc:
        return str(exc)
    except (MemoryError, ValueError, OverflowError, IndexError) as exc:  # (a damaged file)
        return f"it cannot be restored ({type(exc).__name__}: {exc})"
    if world.digest() != data[-32:].hex():
        return "its state does not hash to its checksum once restored"
    return None


def _follow_parent(parent: int) -> None:
    """In the child: exit as soon as the server is gone (killed: -9 included), instead of
    living on as an orphan (a spawned pool worker never sees its queue close)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


class ChildPool:
    """One child process (spawned on first use, respawned if it dies) for work that would
    hold the event loop too long: snapshot checks, re-runs of disputed spans. It follows
    the server: it exits within a second of the server's death."""

    def __init__(self) -> None:
        self.pool: concurrent.futures.ProcessPoolExecutor | None = None

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in the child; BrokenProcessPool if the child died."""
        if self.pool is None:
            self.pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                initializer=_follow_parent, initargs=(os.getpid(),))
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self.pool, functools.partial(fn, *args, **kwargs))
        except concurrent.futures.process.BrokenProcessPool:
            self.pool = None
            raise

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)


class Inspector:
    """Checks snapshots against the experiment's header, restoring them in a child process."""

    def __init__(self, params: Params) -> None:
        self.header = header_of(params)
        self.child = ChildPool()

    async def problem(self, data: bytes) -> str | None:
        """Why this snapshot must not be committed; None when it is sound."""
        if not data.startswith(self.header):
            return ("it is not a snapshot of this experiment (its format or parameters differ "
                    "from the experiment's)")
        try:
            return await self.child.call(_restorable, data)
        except concurrent.futures.process.BrokenProcessPool:
            return "restoring it killed the checking process"

    def close(self) -> None:
        self.child.close()
