"""The server journal's durability: write-ahead, group commit, and a disk that refuses.

Every decision of the coordinator is a journal record, written before any peer hears of it
and fsynced before its acknowledgement leaves (REPORT_ACK, SNAPSHOT_ACK, LEASE): a power cut
loses nothing acknowledged. fsync is the cost, so it is shared (group commit, as a database's
WAL writer does): one fsync covers every record written before it started; sessions that
finish deciding in the same turn of the event loop share one fsync, run at the end of that
turn.

A write or an fsync the system refuses (ENOSPC, EFBIG, EDQUOT, EIO) puts the journal in
*trouble*: records not yet written stay here in memory, in order (``backlog``); nothing is
acknowledged any more (``commit`` says False, ``durable`` waits) and the server grants no
new lease; the trouble is logged once and shown in ``status``; ``retry`` (from
housekeeping) writes the backlog and fsyncs once the disk takes it again, the withheld
acknowledgements leave, and the server asks its workers to resend what it could not store.

Invariants: ``synced <= journal.tell()``; a record is in the file only after every record
decided before it; ``commit`` returns True only when everything decided so far is fsynced.
"""

from __future__ import annotations

import asyncio
import errno
import os
from collections import deque
from collections.abc import Callable
from typing import Any

from bytebiota.journal import Journal, line

FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


def describe(exc: OSError) -> str:
    """One line for a refused write: "disk full (...)" for the errors that say so."""
    reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
    return f"disk full ({reason})" if exc.errno in FULL else reason


class Durability:
    def __init__(self, journal: Journal, log: Callable[[str], None],
                 trouble_log: Callable[[str], None] | None = None) -> None:
        self.journal = journal
        self.log = log
        self.trouble_log = trouble_log or log  # (the server says a full disk once)
        self.backlog: deque[bytes] = deque()  # decided, not yet in the file
        self.synced = journal.tell()  # the file is durable up to here
        self.flight: asyncio.Future[None] | None = None  # the fsync under way
        self.trouble: str | None = None  # why nothing is acknowledged now
        self.writable = asyncio.Event()  # set while not in trouble
        self.writable.set()
        self.fsyncs = 0
        self.records = 0

    # ---- writing -----------------------------------------------------------------------

    def write(self, event: str, **fields: Any) -> None:
        """Journal one record (kept in memory while the disk refuses)."""
        self.backlog.append(line(event, **fields))
        self.records += 1
        self.flush()

    def flush(self) -> bool:
        """Write the backlog; False (and in trouble) when the system refuses."""
        while self.backlog:
            try:
                self.journal.append(self.backlog[0])
            except OSError as exc:
                self.fail(f"cannot write the journal {self.journal.path}: {describe(exc)}")
                return False
            self.backlog.popleft()
        return True

    def fail(self, why: str) -> None:
        """Enter trouble (logged once per episode)."""
        if self.trouble is None:
            self.trouble_log(f"{why}; acknowledging nothing until it can be written "
                             "(heartbeats and status go on)")
            self.trouble = why
            self.writable.clear()

    # ---- committing --------------------------------------------------------------------

    async def commit(self) -> bool:
        """Wait until every record decided so far is fsynced: True; False in trouble."""
        if self.trouble is not None or not self.flush():
            return False
        target = self.journal.tell()
        while self.synced < target and self.trouble is None:
            if self.flight is None:
                await self._sync()
            else:  # someone's fsync is under way: wait for it (it may not cover us)
                await asyncio.shield(self.flight)
        return self.trouble is None

    async def durable(self) -> None:
        """Wait until every record decided so far is fsynced, through any trouble."""
        while not await self.commit():
            await self.writable.wait()

    async def _sync(self) -> None:
        """One fsync for every commit of this turn of the event loop: it runs after the
        callbacks already due (so each session deciding in this turn is covered), inline:
        on a journal's small appends an fsync takes well under a millisecond, far less than
        handing it to a thread costs the loop (measured: docs/performance.md)."""
        loop = asyncio.get_running_loop()
        flight = self.flight = loop.create_future()
        loop.call_soon(self._fsync, flight)
        await asyncio.shield(flight)

    def _fsync(self, flight: asyncio.Future[None]) -> None:
        covers = self.journal.tell()
        try:
            self.journal.sync()
            self.synced = max(self.synced, covers)
            self.fsyncs += 1
        except OSError as exc:
            self.fail(f"cannot fsync the journal {self.journal.path}: {describe(exc)}")
        finally:
            self.flight = None
            flight.set_result(None)

    def sync(self) -> bool:
        """Write and fsync now, blocking (checkpoints, shutdown): True when durable."""
        if not self.flush():
            return False
        try:
            self.journal.sync()
        except OSError as exc:
            self.fail(f"cannot fsync the journal {self.journal.path}: {describe(exc)}")
            return False
        self.synced = self.journal.tell()
        return True

    def retry(self) -> bool:
        """In trouble: try again; True when it just ended (the disk takes writes again)."""
        if self.trouble is None or not self.sync():
            return False  # (a failure while in trouble is the same episode: not logged)
        self.trouble = None
        self.writable.set()
        self.log("the journal is writable again; acknowledging again")
        return True
