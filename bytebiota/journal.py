"""The JSONL run journal: a header line, then one event per line (docs/journal.md).

Append-only and streamable, like asciinema's recordings: each line is one JSON object with
an ``"event"`` key. Lines are written whole and flushed, so a crash can cut off at most the
last line; readers skip such a tail. Journals carry no wall-clock time, so the same seed and
configuration give the same journal.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

FORMAT = 1
EVENTS = ("header", "stats", "genotype", "resume", "end")


class Journal:
    """Writes events to a journal file."""

    def __init__(self, path: Path, *, append: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._handle: TextIO = open(path, "a" if append else "w", encoding="utf-8")  # noqa: SIM115

    def write(self, event: str, **fields: Any) -> None:
        record = {"event": event, **fields}
        self._handle.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._handle.flush()

    def sync(self) -> None:
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def tell(self) -> int:
        """The byte offset just after the last event written."""
        self._handle.flush()
        return self._handle.tell()

    def close(self) -> None:
        self._handle.close()


def read_events(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, event) for each whole line; a cut-off last line is skipped."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.endswith("\n"):
                return
            yield number, json.loads(line)


def truncate_after(path: Path, step: int) -> None:
    """Drop everything after the last event at or before ``step`` (and any ``end`` event):
    a resumed run re-creates those events exactly, so the journal ends up as if the run had
    never stopped (plus a ``resume`` line)."""
    keep = 0
    offset = 0
    with open(path, "rb") as handle:
        for raw in handle:
            offset += len(raw)
            if not raw.endswith(b"\n"):
                break
            try:
                event = json.loads(raw)
            except ValueError:
                break
            if event.get("event") == "end" or event.get("step", -1) > step:
                break
            keep = offset
    with open(path, "r+b") as handle:
        handle.truncate(keep)
