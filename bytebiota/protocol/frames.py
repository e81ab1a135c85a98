"""Frames: a fixed 10-byte header, then the payload.

    offset size field
    0      2    magic b"BB"
    2      1    protocol version (VERSION)
    3      1    message type
    4      1    flags: bit 0 = payload is zlib-compressed; the other bits must be 0
    5      1    reserved, must be 0
    6      4    payload length on the wire, big-endian unsigned

The length is checked against the limit (MAX_MESSAGE_SIZE) as soon as the header is in,
before any payload is buffered; a compressed payload is inflated with the same limit, so a
small frame cannot expand into a large message (a "zip bomb"). The decoder holds at most
one header plus one payload, so a connection's memory is bounded by the limit.
"""

from __future__ import annotations

import struct
import zlib
from typing import Final

from bytebiota.protocol.errors import RemoteProtocolError, VersionMismatch

MAGIC: Final = b"BB"
VERSION: Final = 5  # 2: REPORT carries `entered`; VALIDATE and VALIDATION_RESULT
# 3: HELLO carries `incarnation`, REJECT `retry`; immigrant batches with ids (REPORT names
# those it consumed); RESEND. 4: per-worker credentials (HELLO `credential`, WELCOME
# `enrolment`). 5: STATUS_REQUEST names an island (its soup map comes back); REPORT's stats
# carry top genotypes, the soup map and the ecology's figures
HEADER = struct.Struct(">2sBBBBI")
HEADER_SIZE: Final = HEADER.size  # 10
FLAG_COMPRESSED: Final = 0x01
DEFAULT_MAX_MESSAGE_SIZE: Final = 64 * 1024 * 1024
DEFAULT_COMPRESSION_THRESHOLD: Final = 4096


def encode_frame(kind: int, payload: bytes, *, compression_threshold: int) -> bytes:
    flags = 0
    if compression_threshold and len(payload) > compression_threshold:
        packed = zlib.compress(payload, 1)  # level 1: snapshots are large, latency matters
        if len(packed) < len(payload):
            payload, flags = packed, FLAG_COMPRESSED
    return HEADER.pack(MAGIC, VERSION, kind, flags, 0, len(payload)) + payload


class FrameDecoder:
    """Bytes in, (type, payload) frames out; raises RemoteProtocolError on a bad stream."""

    def __init__(self, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self.max_message_size = max_message_size
        self._buffer = bytearray()
        self._header: tuple[int, int, int] | None = None  # type, flags, length

    def feed(self, data: bytes) -> None:
        self._buffer += data
        # A stream that stalls mid-header can hold only a header's worth; mid-payload, at
        # most the announced length, which the header check has already bounded.
        if self._header is None and len(self._buffer) > HEADER_SIZE + self.max_message_size:
            raise RemoteProtocolError("too much data before a complete frame")

    def next_frame(self) -> tuple[int, bytes] | None:
        if self._header is None:
            if len(self._buffer) < HEADER_SIZE:
                return None
            magic, version, kind, flags, reserved, length = HEADER.unpack_from(self._buffer)
            if magic != MAGIC:
                raise RemoteProtocolError(f"bad magic {bytes(magic)!r}: not a ByteBiota peer")
            if version != VERSION:
                raise VersionMismatch(f"protocol version {version}, this side speaks "
                                      f"{VERSION}")
            if flags & ~FLAG_COMPRESSED or reserved:
                raise RemoteProtocolError(f"unknown flags {flags:#x}/{reserved:#x}")
            if length > self.max_message_size:
                raise RemoteProtocolError(
                    f"frame of {length} bytes exceeds MAX_MESSAGE_SIZE {self.max_message_size}")
            self._header = (kind, flags, length)
            del self._buffer[:HEADER_SIZE]
        kind, flags, length = self._header
        if len(self._buffer) < length:
            return None
        payload = bytes(self._buffer[:length])
        del self._buffer[:length]
        self._header = None
        if flags & FLAG_COMPRESSED:
            payload = self._inflate(payload)
        return kind, payload

    def _inflate(self, data: bytes) -> bytes:
        inflater = zlib.decompressobj()
        try:
            out = inflater.decompress(data, self.max_message_size + 1)
        except zlib.error as exc:
            raise RemoteProtocolError(f"bad compressed payload: {exc}") from None
        if len(out) > self.max_message_size or inflater.unconsumed_tail:
            raise RemoteProtocolError("compressed payload inflates beyond MAX_MESSAGE_SIZE")
        if not inflater.eof:
            raise RemoteProtocolError("truncated compressed payload")
        return out

    @property
    def buffered(self) -> int:
        return len(self._buffer)
