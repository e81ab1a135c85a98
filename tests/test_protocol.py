"""The sans-IO protocol: frames, messages, state machines, authentication, and fuzzing."""

from __future__ import annotations

import os
import zlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bytebiota.protocol import LocalProtocolError, RemoteProtocolError
from bytebiota.protocol.connection import CLIENT, SERVER, Connection, auth_mac
from bytebiota.protocol.frames import HEADER, VERSION, FrameDecoder, encode_frame
from bytebiota.protocol.messages import (
    MESSAGES,
    MONITOR,
    WORKER,
    Message,
    decode,
    encode,
    make,
)

TOKEN = "s3cret"


def hello(role: int = WORKER) -> Message:
    return make("HELLO", role=role, worker_id="w1", host="box", cores=2, memory_mb=1024,
                compiled=True, software="bytebiota 0.1.0", incarnation=1,
                credential=False)


def pump(sender: Connection, message: Message, receiver: Connection) -> Message:
    receiver.receive_data(sender.send(message))
    event = receiver.next_event()
    assert event is not None
    return event


def handshake(role: int = WORKER, token: str = TOKEN) -> tuple[Connection, Connection]:
    server, client = Connection(SERVER), Connection(CLIENT, role=role)
    pump(client, hello(role), server)
    nonce = os.urandom(32)
    challenge = pump(server, make("CHALLENGE", nonce=nonce, server_id="srv"), client)
    mac = auth_mac(token, challenge["nonce"], role, "w1")
    auth = pump(client, make("AUTH", mac=mac), server)
    assert server.verify(auth, TOKEN) == (token == TOKEN)
    pump(server, make("WELCOME", session=7, heartbeat_interval=10.0, config={"a": 1},
                        enrolment=b""), client)
    return server, client


# Where a field's constraint (messages.CONSTRAINTS, tests/test_validation.py) refuses the
# generic value of its kind, a value it takes.
FITTING: dict[str, dict[str, Any]] = {
    "HELLO": {"worker_id": "w-1"},
    "CHALLENGE": {"nonce": b"n" * 32},
    "AUTH": {"mac": b"m" * 32},
    "WELCOME": {"enrolment": b"s" * 32},
    "LEASE": {"genomes": [b"a", b"bc"], "immigrants": [b"a", b"b", b"c"],
              "batches": [7, 2**64 - 1], "batch_sizes": [1, 2]},
    "REPORT": {"digest": b"d" * 32, "emigrants": [b"a", b"bc"],
               "stats": {"step": 5, "sizes": [[80, 3]], "mutations": {"copy": 1}}},
    "REPORT_ACK": {"immigrants": [b"a", b"b", b"c"], "batches": [7, 2**64 - 1],
                   "batch_sizes": [1, 2]},
    "STATUS_REQUEST": {"island": 3},
    "STATUS": {"data": {"totals": {"steps": 1}, "workers": [], "islands": [{"id": 0}]}},
    "VALIDATE": {"genomes": [b"a"], "immigrants": [b"a", b"b"], "entered": [0, 2],
                 "steps": [5, 7]},
    "VALIDATION_RESULT": {"fingerprints": [b"f" * 32]},
}


def sample(name: str) -> Message:
    values = {"u8": 1, "u16": 2, "u32": 3, "u64": 2**40, "i64": -5, "f64": 1.5, "bool": True,
              "str": "héllo", "bytes": b"\x00\xff" * 3, "blobs": [b"a", b"", b"bc"],
              "json": {"k": [1, 2, {"x": None}]}, "u64s": [0, 7, 2**64 - 1]}
    spec = MESSAGES[{v[0]: k for k, v in MESSAGES.items()}[name]][1]
    return make(name, **{f: values[kind] for f, kind in spec} | FITTING.get(name, {}))


@pytest.mark.parametrize("name", [spec[0] for spec in MESSAGES.values()])
def test_every_message_round_trips(name: str) -> None:
    message = sample(name)
    assert decode(message.code, encode(message)) == message


def test_frames_compress_above_the_threshold() -> None:
    payload = b"A" * 10_000
    frame = encode_frame(9, payload, compression_threshold=4096)
    assert len(frame) < 200 and frame[4] == 1
    decoder = FrameDecoder()
    decoder.feed(frame)
    assert decoder.next_frame() == (9, payload)
    assert encode_frame(9, payload, compression_threshold=0)[4] == 0


def test_frames_arrive_in_pieces() -> None:
    frames = [encode_frame(6, bytes([k]) * k, compression_threshold=0) for k in range(1, 6)]
    stream = b"".join(frames)
    decoder = FrameDecoder()
    out = []
    for byte in stream:
        decoder.feed(bytes([byte]))
        while (frame := decoder.next_frame()) is not None:
            out.append(frame)
    assert out == [(6, bytes([k]) * k) for k in range(1, 6)]


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        (HEADER.pack(b"GE", 1, 6, 0, 0, 8), "bad magic"),
        (HEADER.pack(b"BB", 9, 6, 0, 0, 8), "protocol version 9"),
        (HEADER.pack(b"BB", VERSION, 6, 2, 0, 8), "unknown flags"),
        (HEADER.pack(b"BB", VERSION, 6, 0, 1, 8), "unknown flags"),
        (HEADER.pack(b"BB", VERSION, 6, 0, 0, 2**31), "exceeds MAX_MESSAGE_SIZE"),
    ],
)
def test_bad_headers_are_refused_before_any_payload(header: bytes, fragment: str) -> None:
    decoder = FrameDecoder(max_message_size=1 << 20)
    decoder.feed(header)
    with pytest.raises(RemoteProtocolError, match=fragment):
        decoder.next_frame()


def test_a_zip_bomb_is_refused() -> None:
    bomb = zlib.compress(b"\x00" * (2 << 20))
    decoder = FrameDecoder(max_message_size=1 << 20)
    decoder.feed(HEADER.pack(b"BB", VERSION, 6, 1, 0, len(bomb)) + bomb)
    with pytest.raises(RemoteProtocolError, match="inflates beyond"):
        decoder.next_frame()


@pytest.mark.parametrize(
    ("code", "payload", "fragment"),
    [
        (99, b"", "unknown message type 99"),
        (6, b"\x00\x00", "ends inside a field"),
        (6, b"\x7f\xf0" + b"\x00" * 6, "not a finite number"),
        (6, b"\x00" * 9, "bytes after the fields"),
        (5, b"\x00\x00\x00\x02\xff\xfe", "not UTF-8"),
        (18, b"\x00\x00\x00\x02[]", "JSON object"),
        (18, b"\x00\x00\x00\x01{", "not JSON"),
        (20, b"\x00\x00\x00\x09abc", "ends inside a field"),
    ],
)
def test_malformed_payloads(code: int, payload: bytes, fragment: str) -> None:
    with pytest.raises(RemoteProtocolError, match=fragment):
        decode(code, payload)


def test_handshake_and_role_specific_sessions() -> None:
    server, client = handshake(WORKER)
    assert server.state == client.state == "ready_worker" and server.worker_id == "w1"
    pump(client, make("LEASE_REQUEST", capacity=1), server)
    monitor_server, monitor = handshake(MONITOR)
    assert monitor_server.state == "ready_monitor" and monitor_server.is_monitor
    pump(monitor, make("STATUS_REQUEST", island=-1), monitor_server)
    with pytest.raises(LocalProtocolError):
        monitor.send(make("LEASE_REQUEST", capacity=1))  # read-only: not even sendable
    # a monitor session fed a worker's message by a rogue peer
    monitor_server.receive_data(encode_frame(8, encode(make("LEASE_REQUEST", capacity=1)),
                                             compression_threshold=0))
    with pytest.raises(RemoteProtocolError, match="unexpected LEASE_REQUEST in state "
                                                  "ready_monitor"):
        monitor_server.next_event()


def test_a_wrong_token_fails_verification() -> None:
    handshake(WORKER, token="guess")  # asserts verify() is False inside


def test_messages_out_of_order_are_remote_errors() -> None:
    server = Connection(SERVER)
    server.receive_data(encode_frame(11, encode(sample("REPORT")), compression_threshold=0))
    with pytest.raises(RemoteProtocolError, match="unexpected REPORT in state await_hello"):
        server.next_event()
    client = Connection(CLIENT)
    with pytest.raises(LocalProtocolError):
        client.send(make("AUTH", mac=b"x"))


def test_make_checks_fields() -> None:
    with pytest.raises(LocalProtocolError):
        make("HEARTBEAT")
    with pytest.raises(LocalProtocolError):
        make("NOPE")
    with pytest.raises(LocalProtocolError):
        encode(Message("HEARTBEAT", {"sent": "soon"}))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000), st.lists(st.integers(1, 64), max_size=50))
def test_the_decoder_yields_messages_or_remote_errors_never_anything_else(
    data: bytes, cuts: list[int]
) -> None:
    connection = Connection(SERVER, max_message_size=4096)
    pieces, pos = [], 0
    for cut in cuts:
        pieces.append(data[pos : pos + cut])
        pos += cut
    pieces.append(data[pos:])
    try:
        for piece in pieces:
            connection.receive_data(piece)
            while connection.next_event() is not None:
                pass
    except RemoteProtocolError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(MESSAGES)), st.binary(max_size=300))
def test_valid_headers_with_arbitrary_payloads(code: int, payload: bytes) -> None:
    connection = Connection(SERVER, max_message_size=4096)
    try:
        connection.receive_data(encode_frame(code, payload, compression_threshold=64))
        connection.next_event()
    except RemoteProtocolError:
        pass
