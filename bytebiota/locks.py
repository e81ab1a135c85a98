"""One writer per directory: an exclusive ``flock`` on a lock file inside it.

``run`` locks its checkpoint directory and its journal's directory, ``server`` its data
directory and its checkpoint directory, each worker its cache (one lock per worker id, so the
jobs of ``worker --jobs N`` share the cache directory and two workers with one id do not),
before writing anything there. A second process on the same place gets ``Failure`` with one
line naming the holder (pid, host, command): exit status 1.

Invariants:

- The lock is the kernel's ``flock`` on an open file, not the file's existence: it is released
  when its process ends in any way, ``kill -9`` included, so a lock can never be left stale.
  The next process simply takes it over (and says whose it was).
- The file is never deleted: deleting it would let two processes hold locks on two files of
  one name. On a clean release its content is emptied, so a non-empty file found unlocked
  was left by a process that died.
- The file holds one JSON line, ``{"pid", "host", "command"}``, for the refusal message.
- ``flock`` is reliable on local file systems; over NFS it depends on the server (see
  docs/deployment.md).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shlex
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from bytebiota.errors import Failure

LOCK_FILE = "bytebiota.lock"
COMMAND_CHARS = 200  # enough to recognise a command line, short enough for one line


def holder_text(raw: bytes) -> str:
    """``pid N on HOST (COMMAND)`` from a lock file's content, or what is known of it."""
    try:
        record = json.loads(raw)
        return f"pid {record['pid']} on {record['host']} ({record['command']})"
    except (ValueError, TypeError, KeyError):
        return "another process (its lock file names no holder)"


def _content(fd: int) -> bytes:
    return os.pread(fd, 4096, 0).strip()


def _this_process() -> bytes:
    command = shlex.join(["bytebiota", *sys.argv[1:]])[:COMMAND_CHARS]
    record = {"pid": os.getpid(), "host": socket.gethostname(), "command": command}
    return json.dumps(record).encode() + b"\n"


def holder(directory: Path, file_name: str = LOCK_FILE) -> str | None:
    """Who holds ``directory``'s lock now (``pid N on HOST (COMMAND)``), or None, judged
    from the lock file's content and whether that process lives. It takes no lock, even for
    a moment, so asking (``bytebiota runs``) never makes a starting process find the place
    in use; a holder on another host is reported as holding it."""
    try:
        raw = (directory / file_name).read_bytes().strip()
        record = json.loads(raw) if raw else {}
        pid, host = int(record["pid"]), str(record["host"])
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if host == socket.gethostname():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None  # it died; its lock went with it
        except PermissionError:
            pass  # alive, another user's
    return holder_text(raw)


class Locks:
    """The locks one process holds, released together (``with Locks() as locks:``)."""

    def __init__(self, notice: Callable[[str], None] | None = None) -> None:
        self.notice = notice or (lambda m: print(f"bytebiota: notice: {m}", file=sys.stderr))
        self.held: dict[Path, int] = {}  # lock file -> its open descriptor

    def take(self, directory: Path, *, file_name: str = LOCK_FILE,
             label: str | None = None) -> None:
        """Lock ``directory`` (created if missing) for this process, or Failure naming the
        process that holds it. Taking a place this process already holds does nothing."""
        directory.mkdir(parents=True, exist_ok=True)
        path = (directory / file_name).resolve()
        if path in self.held:
            return
        what = label or str(directory)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = holder_text(_content(fd))
            os.close(fd)
            raise Failure(f"{what} is in use by {holder}") from None
        except BaseException:
            os.close(fd)
            raise
        previous = _content(fd)
        if previous:
            self.notice(f"{what}: taking over the lock left by {holder_text(previous)}, "
                        "which has ended")
        os.ftruncate(fd, 0)
        os.pwrite(fd, _this_process(), 0)
        self.held[path] = fd

    def release(self) -> None:
        for fd in self.held.values():
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)  # an empty file: released cleanly, not left by a crash
            os.close(fd)  # closing the last descriptor releases the flock
        self.held.clear()

    def __enter__(self) -> Locks:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.release()
