"""Connections: the frame decoder, the message codec and a state machine, per side.

The state machine is a literal table: ``TRANSITIONS[(side, state, direction, message)]``
gives the next state; anything not in the table is an error (RemoteProtocolError for what
the peer sent, LocalProtocolError for what we tried to send). The server learns the peer's
role from HELLO, so the ready states are per role: a monitor's session is read-only (it may
ask for STATUS and send heartbeats, nothing else).

Handshake:  client HELLO -> server CHALLENGE -> client AUTH -> server WELCOME (or REJECT).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from bytebiota.protocol.errors import LocalProtocolError, RemoteProtocolError
from bytebiota.protocol.frames import (
    DEFAULT_COMPRESSION_THRESHOLD,
    DEFAULT_MAX_MESSAGE_SIZE,
    FrameDecoder,
    encode_frame,
)
from bytebiota.protocol.messages import MONITOR, ROLES, WORKER, Message, decode, encode

SERVER: Final = "server"
CLIENT: Final = "client"
NEED_DATA: Final = None
NONCE_SIZE: Final = 32

SEND, RECV = "send", "recv"

_WORKER_IN = ("HEARTBEAT", "HEARTBEAT_ACK", "LEASE_REQUEST", "REPORT", "SNAPSHOT", "RELEASE",
              "VALIDATION_RESULT")
_WORKER_OUT = ("HEARTBEAT", "HEARTBEAT_ACK", "LEASE", "NO_WORK", "REPORT_ACK", "SNAPSHOT_ACK",
               "REVOKE", "VALIDATE", "RESEND")
_MONITOR_IN = ("HEARTBEAT", "HEARTBEAT_ACK", "STATUS_REQUEST")
_MONITOR_OUT = ("HEARTBEAT", "HEARTBEAT_ACK", "STATUS")


def _table() -> dict[tuple[str, str, str, str], str]:
    t: dict[tuple[str, str, str, str], str] = {
        # server side
        (SERVER, "await_hello", RECV, "HELLO"): "hello_received",
        (SERVER, "await_hello", SEND, "REJECT"): "closed",  # an incompatible version
        (SERVER, "hello_received", SEND, "CHALLENGE"): "challenged",
        (SERVER, "hello_received", SEND, "REJECT"): "closed",
        (SERVER, "challenged", RECV, "AUTH"): "authenticating",
        (SERVER, "authenticating", SEND, "WELCOME"): "ready",  # ready_<role>, see below
        (SERVER, "authenticating", SEND, "REJECT"): "closed",
        # client side
        (CLIENT, "start", SEND, "HELLO"): "hello_sent",
        (CLIENT, "hello_sent", RECV, "CHALLENGE"): "challenged",
        (CLIENT, "hello_sent", RECV, "REJECT"): "closed",
        (CLIENT, "challenged", SEND, "AUTH"): "auth_sent",
        (CLIENT, "auth_sent", RECV, "WELCOME"): "ready",
        (CLIENT, "auth_sent", RECV, "REJECT"): "closed",
    }
    for role, incoming, outgoing in (("worker", _WORKER_IN, _WORKER_OUT),
                                     ("monitor", _MONITOR_IN, _MONITOR_OUT)):
        ready = f"ready_{role}"
        for name in incoming:
            t[(SERVER, ready, RECV, name)] = ready
            t[(CLIENT, ready, SEND, name)] = ready
        for name in outgoing:
            t[(SERVER, ready, SEND, name)] = ready
            t[(CLIENT, ready, RECV, name)] = ready
        for side in (SERVER, CLIENT):
            t[(side, ready, SEND, "BYE")] = "closed"
            t[(side, ready, RECV, "BYE")] = "closed"
        t[(SERVER, ready, SEND, "SHUTDOWN")] = "closed"
        t[(CLIENT, ready, RECV, "SHUTDOWN")] = "closed"
    return t


TRANSITIONS: dict[tuple[str, str, str, str], str] = _table()


def auth_mac(key: str | bytes, nonce: bytes, role: int, worker_id: str) -> bytes:
    """What AUTH carries: HMAC-SHA256 keyed by the secret (the shared token, or a worker's
    own credential) over nonce | role | worker id."""
    message = nonce + bytes([role]) + worker_id.encode()
    return hmac.new(key.encode() if isinstance(key, str) else key, message,
                    hashlib.sha256).digest()


def derive_credential(token: str, salt: bytes, worker_id: str) -> bytes:
    """A worker's own credential when the server enrols it by the shared token: both sides
    compute it from the token and the WELCOME's salt, so the credential never travels."""
    return hmac.new(token.encode(), b"bytebiota credential\0" + salt + worker_id.encode(),
                    hashlib.sha256).digest()


class Connection:
    """One side of one connection. Feed it bytes, take messages; give it messages, take
    bytes. It never blocks and never touches a socket."""

    def __init__(self, side: str, *, max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
                 compression_threshold: int = DEFAULT_COMPRESSION_THRESHOLD,
                 role: int = WORKER) -> None:
        if side not in (SERVER, CLIENT):
            raise LocalProtocolError(f"side must be {SERVER} or {CLIENT}")
        self.side = side
        self.state = "await_hello" if side == SERVER else "start"
        self.role = role if side == CLIENT else 0
        self.decoder = FrameDecoder(max_message_size)
        self.compression_threshold = compression_threshold
        self.worker_id = ""
        self.hello: Message | None = None  # server side: the peer's HELLO (who, with what)
        self.nonce = b""
        self.received = 0
        self.sent = 0

    # ---- input -------------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        if self.state == "closed":
            raise RemoteProtocolError("data after the connection closed")
        self.decoder.feed(data)

    def next_event(self) -> Message | None:
        """The next whole message, or NEED_DATA (None)."""
        frame = self.decoder.next_frame()
        if frame is None:
            return NEED_DATA
        message = decode(*frame)
        self._advance(RECV, message)
        if message.name == "HELLO" and self.side == SERVER:
            if message["role"] not in ROLES:
                raise RemoteProtocolError(f"unknown role {message['role']}")
            self.role = message["role"]
            self.worker_id = message["worker_id"]
            self.hello = message
        self.received += 1
        return message

    # ---- output ------------------------------------------------------------------------

    def send(self, message: Message) -> bytes:
        self._advance(SEND, message)
        if message.name == "CHALLENGE":
            self.nonce = message["nonce"]
        self.sent += 1
        return encode_frame(message.code, encode(message),
                            compression_threshold=self.compression_threshold)

    # ---- the table ---------------------------------------------------------------------

    def _advance(self, direction: str, message: Message) -> None:
        nxt = TRANSITIONS.get((self.side, self.state, direction, message.name))
        if nxt is None:
            what = f"{message.name} in state {self.state}"
            if direction == RECV:
                raise RemoteProtocolError(f"unexpected {what}")
            raise LocalProtocolError(f"cannot send {what}")
        if nxt == "ready":
            nxt = f"ready_{ROLES[self.role]}"
        self.state = nxt

    def verify(self, message: Message, key: str | bytes) -> bool:
        """Server side: does this AUTH prove the secret for our nonce?"""
        expected = auth_mac(key, self.nonce, self.role, self.worker_id)
        return hmac.compare_digest(expected, message["mac"])

    @property
    def ready(self) -> bool:
        return self.state.startswith("ready_")

    @property
    def closed(self) -> bool:
        return self.state == "closed"

    @property
    def is_monitor(self) -> bool:
        return self.role == MONITOR
