"""Checkpoint files: atomic, checksummed, the last N kept; shared by ``run`` and the server.

A checkpoint is one file::

    b"BBCKPT1\\n" | u32 metadata length | metadata (JSON, UTF-8)
                 | u64 payload length  | payload (a world snapshot, or server state)
                 | SHA-256 of all the above

It is written to a temporary file in the same directory, flushed and fsynced, then renamed
over its final name (and the directory fsynced), so a crash leaves either the old set of
checkpoints or the new one, never a torn file. Reading verifies the checksum before trusting
a single byte; ``newest`` skips damaged files (reporting each) and falls back to older ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bytebiota.errors import UserError, read_user_file

MAGIC = b"BBCKPT1\n"
SUFFIX = ".ckpt"


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


def file_name(prefix: str, step: int) -> str:
    return f"{prefix}-{step:016d}{SUFFIX}"


def write(directory: Path, prefix: str, step: int, meta: dict[str, Any], payload: bytes,
          *, keep: int) -> Path:
    """Write atomically, then delete all but the ``keep`` newest checkpoints of ``prefix``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / file_name(prefix, step)
    write_atomically(path, encode(meta, payload))
    for old in listing(directory, prefix)[keep:]:
        with contextlib.suppress(FileNotFoundError):
            old.unlink()
    return path


def write_atomically(path: Path, data: bytes) -> None:
    """``data`` as ``path``, whole or not at all: a temporary file, fsynced, renamed over
    ``path``, the directory fsynced. A refused write (disk full) removes the temporary file
    and raises the OSError."""
    tmp = path.parent / f".{path.name}.tmp"
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_directory(path.parent)


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
    """Checkpoints of ``prefix`` in ``directory``, newest (highest step) first."""
    if not directory.is_dir():
        return []
    return sorted(directory.glob(f"{prefix}-*{SUFFIX}"), reverse=True)


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
