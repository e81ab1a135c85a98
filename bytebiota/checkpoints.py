"""Checkpoint files: atomic, checksummed, the last N kept; shared by ``run`` and the server.

A checkpoint is one file::

    b"BBCKPT1\\n" | u32 metadata length | metadata (JSON, UTF-8)
                 | u64 payload length  | payload (a world snapshot, or server state)
                 | SHA-256 of all the above

It is written to a temporary file in the same directory, flushed and fsynced, then renamed
over its final name (and the directory fsynced), so a crash leaves either the old set of
checkpoints or the new one, never a torn file. A write that fails (a full disk) removes its
temporary file and leaves the older checkpoints as they were; a temporary file left by a
killed process is removed by the next writer (``remove_temporary``), which holds the
directory's lock. Reading verifies the checksum before trusting a single byte; ``newest``
skips damaged files (reporting each) and falls back to older ones.

Names order by writing, never by content: ``PREFIX-SEQUENCE-TIME.ckpt``, the sequence one
above the highest in the directory and the UTC time of writing, so the newest written is the
newest, whatever its step (two runs' checkpoints once mixed in one directory were ordered by
step, and the wrong run was resumed). Names of the old form, ``PREFIX-STEP.ckpt`` (16 digits),
are still read, as older than any of the new form.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bytebiota.errors import UserError, read_user_file

MAGIC = b"BBCKPT1\n"
SUFFIX = ".ckpt"
TEMPORARY = ".tmp"
SEQUENCE_DIGITS = 8  # 10**8 checkpoints: 380 years at one a minute; wider still sorts right
# PREFIX-SEQUENCE-TIME.ckpt (this version) or PREFIX-STEP.ckpt (before: 16 digits, by step)
_NAME = re.compile(rf"-(?:(\d{{{SEQUENCE_DIGITS},}})-\d{{8}}T\d{{6}}Z|(\d{{16}}))\{SUFFIX}$")


class CheckpointError(UserError):
    """A checkpoint that is missing, truncated, corrupted or not a checkpoint."""


def encode(meta: dict[str, Any], payload: bytes) -> bytes:
    head = json.dumps(meta, sort_keys=True).encode()
    body = MAGIC + struct.pack("<I", len(head)) + head + struct.pack("<Q", len(payload)) + payload
    return body + hashlib.sha256(body).digest()


def decode(data: bytes, source: str) -> tuple[dict[str, Any], bytes]:
    if not data.startswith(MAGIC):
        raise CheckpointError(f"{source}: not a ByteBiota checkpoint")
    if len(data) < len(MAGIC) + 4 + 8 + 32:
        raise CheckpointError(f"{source}: truncated checkpoint")
    body, checksum = data[:-32], data[-32:]
    if hashlib.sha256(body).digest() != checksum:
        raise CheckpointError(f"{source}: checksum mismatch (truncated or corrupted)")
    pos = len(MAGIC)
    (head_len,) = struct.unpack_from("<I", body, pos)
    pos += 4
    try:
        meta = json.loads(body[pos : pos + head_len])
    except ValueError:
        raise CheckpointError(f"{source}: unreadable metadata") from None
    pos += head_len
    (payload_len,) = struct.unpack_from("<Q", body, pos)
    pos += 8
    payload = body[pos:]
    if len(payload) != payload_len or not isinstance(meta, dict):
        raise CheckpointError(f"{source}: inconsistent lengths")
    return meta, payload


def order(path: Path) -> tuple[int, int]:
    """Sort key: (1, sequence) for names of this version, (0, step) for the old ones, and
    (-1, 0) for a name of neither form."""
    match = _NAME.search(path.name)
    if match is None:
        return (-1, 0)
    if match.group(1) is not None:
        return (1, int(match.group(1)))
    return (0, int(match.group(2)))


def file_name(prefix: str, sequence: int, when: float | None = None) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(when))
    return f"{prefix}-{sequence:0{SEQUENCE_DIGITS}d}-{stamp}{SUFFIX}"


def write(directory: Path, prefix: str, meta: dict[str, Any], payload: bytes,
          *, keep: int) -> Path:
    """Write atomically as the newest checkpoint of ``prefix``, then delete all but the
    ``keep`` newest. On failure (OSError naming the checkpoint) nothing is left behind and
    the older checkpoints are untouched."""
    directory.mkdir(parents=True, exist_ok=True)
    existing = listing(directory, prefix)
    newest_order = order(existing[0]) if existing else (0, 0)
    sequence = newest_order[1] + 1 if newest_order[0] == 1 else 1
    path = directory / file_name(prefix, sequence)
    tmp = directory / f".{path.name}{TEMPORARY}"
    data = encode(meta, payload)
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and exc.filename is None:
            # a failed write() names no file: name the checkpoint
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        raise
    _fsync_directory(directory)
    for old in listing(directory, prefix)[keep:]:
        with contextlib.suppress(FileNotFoundError):
            old.unlink()
    return path


def remove_temporary(directory: Path, prefix: str) -> list[Path]:
    """Delete the temporary files of checkpoints whose writer died (``kill -9`` mid-write);
    only the holder of the directory's lock may call this. Returns what was removed."""
    if not directory.is_dir():
        return []
    removed = []
    for tmp in directory.glob(f".{prefix}-*{SUFFIX}{TEMPORARY}"):
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
            removed.append(tmp)
    return removed


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # not possible on every platform; the rename itself is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read(path: Path) -> tuple[dict[str, Any], bytes]:
    return decode(read_user_file(path, CheckpointError, "no such checkpoint"), str(path))


def listing(directory: Path, prefix: str) -> list[Path]:
    """Checkpoints of ``prefix`` in ``directory``, newest (last written) first."""
    if not directory.is_dir():
        return []
    found = [p for p in directory.glob(f"{prefix}-*{SUFFIX}") if order(p)[0] >= 0]
    return sorted(found, key=lambda p: (order(p), p.name), reverse=True)


def newest(directory: Path, prefix: str,
           warn: Callable[[str], None] | None = None) -> tuple[Path, dict[str, Any], bytes] | None:
    """The newest valid checkpoint, skipping (and reporting) damaged ones."""
    for path in listing(directory, prefix):
        try:
            meta, payload = read(path)
        except CheckpointError as exc:
            if warn is not None:
                warn(f"skipping {exc}")
            continue
        return path, meta, payload
    return None
