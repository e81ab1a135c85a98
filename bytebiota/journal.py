"""The JSONL run journal: a header line, then one event per line (docs/journal.md).

Append-only and streamable, like asciinema's recordings: each line is one JSON object with
an ``"event"`` key. Lines are written whole and unbuffered, straight to the file, so a crash
can cut off at most the last line and a failed write (a full disk) raises at once, naming the
journal. Readers skip a cut-off tail; a resumed run cuts it off (``repair``) before it
appends, so nothing is ever appended after a torn line. Journals carry no wall-clock time,
so the same seed and configuration give the same journal.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

FORMAT = 1
EVENTS = ("header", "stats", "health", "genotype", "ecotype", "resume", "cut", "end")


class Journal:
    """Writes events to a journal file: each line with whole ``write`` calls on an unbuffered
    binary file, so a line is either in the file or (a write refused: disk full, EFBIG, EIO)
    cut off again and the error raised, naming the journal; ``tell`` is the end of the last
    whole line."""

    def __init__(self, path: Path, *, append: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Unbuffered: each event is one write() of whole lines, never held back in a buffer
        # that a later flush (or the interpreter's exit) could fail to write. O_APPEND: every
        # write goes to the end, also after a refused one was cut off.
        self._handle: BinaryIO = open(path, "ab", buffering=0)  # noqa: SIM115
        if not append:
            os.ftruncate(self._handle.fileno(), 0)
        self.end = os.fstat(self._handle.fileno()).st_size

    def write(self, event: str, **fields: Any) -> None:
        self.append(line(event, **fields))

    def append(self, record: bytes) -> None:
        """One whole line, or none: a partial write is cut off and the OSError raised."""
        view = memoryview(record)
        try:
            while view:
                written = self._handle.write(view)
                view = view[written or 0 :]
        except OSError as exc:  # a full disk: name the journal, not just "no space left"
            with contextlib.suppress(OSError):
                os.ftruncate(self._handle.fileno(), self.end)
            raise OSError(exc.errno, exc.strerror, str(self.path)) from None
        self.end += len(record)

    def sync(self) -> None:
        try:
            os.fsync(self._handle.fileno())
        except OSError as exc:
            raise OSError(exc.errno, exc.strerror, str(self.path)) from None

    def fileno(self) -> int:
        return self._handle.fileno()

    def tell(self) -> int:
        """The byte offset just after the last event written."""
        return self.end

    def close(self) -> None:
        self._handle.close()


def line(event: str, **fields: Any) -> bytes:
    """One event as the journal stores it: compact JSON and a newline."""
    return (json.dumps({"event": event, **fields}, separators=(",", ":")) + "\n").encode()


def read_events(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, event) for each whole line; a cut-off last line is skipped."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.endswith("\n"):
                return
            yield number, json.loads(line)


def parse_line(raw: bytes) -> dict[str, Any] | None:
    """The event of one whole line (with its newline), or None for anything else."""
    if not raw.endswith(b"\n"):
        return None
    try:
        event = json.loads(raw)
    except ValueError:  # UnicodeDecodeError included
        return None
    return event if isinstance(event, dict) and isinstance(event.get("event"), str) else None


@dataclass(frozen=True)
class Scan:
    """A journal read as far as it is sound."""

    end: int  # byte offset after the last complete event of the sound prefix
    events: int  # complete events in it
    size: int  # the file's size
    header: dict[str, Any] | None  # the first event, when it is a header
    problem: str | None  # what stops the sound prefix, when something does

    @property
    def damaged(self) -> int:
        """Bytes after the sound prefix (a torn or garbage tail)."""
        return self.size - self.end if self.problem else 0


def scan(path: Path) -> Scan:
    """Read ``path`` up to its first line that is not a whole JSON event."""
    end = events = 0
    header: dict[str, Any] | None = None
    problem = None
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        for raw in handle:
            event = parse_line(raw)
            number = events + 1
            if event is None:
                problem = (f"line {number} is cut off" if not raw.endswith(b"\n")
                           else f"line {number} is not a JSON event")
                break
            if events == 0:
                if event["event"] != "header":
                    problem = "line 1 is not a journal header"
                    break
                header = event
            elif event["event"] == "header":
                problem = f"line {number} is a second header"
                break
            events += 1
            end += len(raw)
    return Scan(end, events, size, header, problem)


def position_at_step(path: Path, step: int, limit: int) -> int:
    """The offset after the last event at or before ``step`` (and before any ``end``), within
    the first ``limit`` bytes: where a checkpoint without a recorded position resumes."""
    keep = offset = 0
    with open(path, "rb") as handle:
        for raw in handle:
            offset += len(raw)
            event = parse_line(raw)
            if offset > limit or event is None:
                break
            if event["event"] == "end" or event.get("step", -1) > step:
                break
            keep = offset
    return keep


def cut(path: Path, offset: int) -> None:
    """Truncate the journal to ``offset`` bytes (durably: a resumed run appends after it)."""
    with open(path, "r+b") as handle:
        handle.truncate(offset)
        handle.flush()
        os.fsync(handle.fileno())
