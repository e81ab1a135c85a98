"""Hostile peers against a live server (issue 16): every message a client may send, with one
field mutated, fed to a real server process on loopback next to an honest worker; the server
closes that peer (or ignores what it may) and lives, and the honest island advances."""

from __future__ import annotations

import contextlib
import os
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bytebiota.netcommon import find_token
from bytebiota.protocol import RemoteProtocolError
from bytebiota.protocol.connection import CLIENT, Connection, auth_mac, derive_credential
from bytebiota.protocol.frames import encode_frame
from bytebiota.protocol.messages import (
    CODES,
    MESSAGES,
    MONITOR,
    REPORT_ACCEPTED,
    WORKER,
    Message,
    _encode_field,
    encode,
    make,
)
from tests.conftest import wait_until
from tests.test_distributed import Cluster

pytestmark = pytest.mark.slow

HONEST = "honest-4f2c"  # the honest worker's id: nothing the mutations draw
IO_TIMEOUT = 60.0  # a guard against a hang, not a synchronisation: a healthy server answers
# at once
HOSTILE_ENV = {
    "AUTH_FAILURE_BURST": "1000000",  # every closed peer counts against 127.0.0.1
    "VALIDATION_RATE": "0",  # no re-runs: the mutant's fake reports would get it quarantined
    "MAX_WORKERS": "100000",  # mutated HELLOs join under many ids
    "ISLANDS": "6",  # the honest worker holds at most 4: the attacker can lease one
}
# The messages a client may send, and the session role that may send each.
CLIENT_MESSAGES = [spec[0] for spec in MESSAGES.values() if spec[2] in "cb"]


# ---- a raw client ----------------------------------------------------------------------------


class Peer:
    """A client over a blocking socket: the sans-IO Connection reads (and checks) what the
    server sends; what we send may be any frame at all."""

    def __init__(self, port: int, role: int = WORKER) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
        self.connection = Connection(CLIENT, role=role)

    def send(self, message: Message, payload: bytes | None = None) -> None:
        """``message`` through the state machine; on the wire, ``payload`` if given (a
        mutated or garbage payload under the message's type)."""
        frame = self.connection.send(message)
        if payload is not None:
            frame = encode_frame(message.code, payload, compression_threshold=4096)
        with contextlib.suppress(OSError):  # the server closed first: what it said is
            self.sock.sendall(frame)  # still to be read

    def receive(self) -> Message | None:
        """The next message; None at EOF (or a reset: the server closed on us)."""
        while True:
            event = self.connection.next_event()
            if event is not None:
                return event
            if self.connection.closed:
                return None
            try:
                data = self.sock.recv(1 << 16)
            except (ConnectionResetError, BrokenPipeError):
                return None
            if not data:
                return None
            self.connection.receive_data(data)

    def close(self) -> None:
        self.sock.close()


def hello(worker_id: str, role: int = WORKER, *, credential: bool = False) -> Message:
    return make("HELLO", role=role, worker_id=worker_id, host="hostile", cores=1,
                memory_mb=0, compiled=True, software="tests/test_hostile_peers.py",
                incarnation=1, credential=credential)


def handshake(peer: Peer, token: str | bytes, first: Message, payload: bytes | None = None,
              auth: Callable[[bytes], tuple[Message, bytes | None]] | None = None
              ) -> Message | None:
    """HELLO (``first``, sent as ``payload`` if given), CHALLENGE, AUTH: the server's last
    word (WELCOME or REJECT), or None when it closed."""
    peer.send(first, payload)
    challenge = peer.receive()
    if challenge is None or challenge.name != "CHALLENGE":
        return challenge
    if auth is not None:
        peer.send(*auth(challenge["nonce"]))
    else:
        role, worker_id = first["role"], first["worker_id"]
        peer.send(make("AUTH", mac=auth_mac(token, challenge["nonce"], role, worker_id)))
    return peer.receive()


# ---- the attacker's memory: its id and the islands it holds ----------------------------------


@dataclass
class Attacker:
    token: str
    port: int
    log: Path  # the server's
    serial: int = 0
    leases: dict[int, list[int]] = field(default_factory=dict)  # island: [epoch, next_seq]
    outcomes: dict[str, int] = field(default_factory=dict)
    credentials: dict[str, bytes] = field(default_factory=dict)  # id: its own, once enrolled

    @property
    def worker_id(self) -> str:
        return f"mutant-{self.serial}"

    def saw(self, message: Message) -> None:
        """Keep track of the leases the server gave and took back."""
        if message.name in ("LEASE", "NO_WORK"):
            self.outcomes[message.name] = self.outcomes.get(message.name, 0) + 1
        if message.name == "LEASE":
            self.leases[message["island"]] = [message["epoch"], message["next_seq"]]
        elif message.name == "REVOKE":
            self.leases.pop(message["island"], None)
        elif message.name == "REPORT_ACK":
            key = f"report {message['status']}"
            self.outcomes[key] = self.outcomes.get(key, 0) + 1
            lease = self.leases.get(message["island"])
            if message["status"] != REPORT_ACCEPTED:
                self.leases.pop(message["island"], None)
            elif lease is not None and lease[0] == message["epoch"]:
                lease[1] = max(lease[1], message["seq"] + 1)
        elif message.name in ("REJECT", "BYE") and "quarantined" in message["reason"]:
            self.serial += 1  # (a SNAPSHOT that contradicted a report): go on as another id
            self.leases.clear()

    def read_until(self, peer: Peer, names: tuple[str, ...],
                   seen: set[str] | None = None) -> Message | None:
        """What the server sends, up to one of ``names`` (None: it closed); the names of
        the messages read go into ``seen``."""
        while (message := peer.receive()) is not None:
            self.saw(message)
            if seen is not None:
                seen.add(message.name)
            if message.name in names:
                return message
        return None

    def session(self, role: int = WORKER) -> Peer | None:
        """An open session (None: refused; a quarantine moves on to the next id)."""
        peer = Peer(self.port, role)
        worker_id = self.worker_id if role == WORKER else ""
        own = self.credentials.get(worker_id)
        last = handshake(peer, own or self.token,
                         hello(worker_id, role, credential=own is not None))
        if last is not None and last.name == "WELCOME":
            if last["enrolment"]:  # enrolled by the token: its credential from now on
                self.credentials[worker_id] = derive_credential(self.token, last["enrolment"],
                                                                worker_id)
            return peer
        if last is not None:
            self.saw(last)
        peer.close()
        return None

    def ensure_lease(self, peer: Peer) -> None:
        if not self.leases:
            peer.send(make("LEASE_REQUEST", capacity=1))
            self.read_until(peer, ("LEASE", "NO_WORK"))


# ---- what is sent: valid-looking messages, then one mutation -----------------------------------


def base_message(name: str, attacker: Attacker) -> Message:
    """A message that would pass (what an honest peer could send now)."""
    island, (epoch, seq) = next(iter(attacker.leases.items()), (0, [0, 0]))
    genome = bytes(range(80))
    if name == "HELLO":
        return hello(attacker.worker_id)
    if name == "AUTH":
        return make("AUTH", mac=b"\0" * 32)  # (replaced by the right one unless mutated)
    if name in ("HEARTBEAT", "HEARTBEAT_ACK"):
        return make(name, sent=1.0)
    if name == "LEASE_REQUEST":
        return make(name, capacity=1)
    if name == "REPORT":
        return make(name, island=island, epoch=epoch, seq=seq, steps=1000, births=1,
                    deaths=1, population=10, genotypes=2, digest=os.urandom(32), consumed=[],
                    emigrants=[genome], stats={"step": 1000 * (seq + 1), "sizes": [[80, 10]],
                                               "mutations": {"copy": 3, "flaw": 1}})
    if name == "SNAPSHOT":  # one batch ahead: refused, not a contradiction
        return make(name, island=island, epoch=epoch, seq=seq + 1, data=os.urandom(100))
    if name == "RELEASE":
        return make(name, island=999_999, epoch=0)
    if name == "STATUS_REQUEST":
        return make(name, island=0)
    if name == "BYE":
        return make(name, reason="bye")
    if name == "VALIDATION_RESULT":
        return make(name, job=2**40, fingerprints=[os.urandom(32)])
    raise AssertionError(name)


NASTY_TEXT = ["", "\n", "w1\n12:00:00 bytebiota server: forged", "\x1b[2J\x1b[31mred",
              "\u202etxt.exe", "x\x00y", "tab\there", "é", "a" * 129, "a" * 5000,
              "honest-4f2c ", "\ud7ff", "<script>"]
NASTY_JSON = [
    {"sizes": "abc"}, {"sizes": [[1]]}, {"sizes": [[1, 2, 3]]}, {"sizes": [["a", 1]]},
    {"sizes": [[-1, 5]]}, {"sizes": [[2**64, 1]]}, {"sizes": [[1.5, 1]]},
    {"sizes": [[1, 1]] * 70_000},
    {"sizes": {"80": 10}}, {"mutations": "x"}, {"mutations": {"copy": "1"}},
    {"mutations": {"copy": -1}}, {"mutations": {"\x1b[2J": 1}}, {"mutations": [["copy", 1]]},
    {"mutations": {f"k{k}": 1 for k in range(300)}}, {"step": 1.5}, {"step": True},
    {"step": 10**30}, {"step": None}, {"extra": 1}, {"sizes": [[True, 1]]},
    {"totals": {}, "workers": [], "islands": []}, {},
]
RAW_JSON = [b'{"step": NaN}', b'{"sizes": [[1, Infinity]]}', b'{"step": -Infinity}',
            b"[" * 100_000, b'{"a":' * 5000, b"1" * 5000, b'{"step": 1e400}', b"\xff\xfe",
            b'{"sizes": [[1, 2]]} trailing', b'"a string"', b"null"]


def _ints(bits: int) -> st.SearchStrategy[int]:
    top = 2**bits - 1
    return st.one_of(st.sampled_from([0, 1, 2, 31, 32, 33, 1024, 1025, 4097, top // 2,
                                      2**31 - 1, 2**40 + 1, 2**53, top - 1, top]
                                     ).filter(lambda v: v <= top),
                     st.integers(0, top))


_BYTES = st.one_of(st.binary(max_size=40),
                   st.sampled_from([0, 1, 31, 33, 2**20 + 1]).map(lambda n: b"\x01" * n))
_JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                       st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
_JSON = st.recursive(_JSON_LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20)
# Stats a REPORT may carry, extreme but within the schema (the server sums them).
_BIG = st.one_of(st.sampled_from([0, 1, 2**30, 2**53 - 1]), st.integers(0, 2**53 - 1))
VALID_STATS = st.fixed_dictionaries({}, optional={
    "step": _BIG,
    "sizes": st.lists(st.tuples(st.integers(0, 2**30), st.integers(0, 2**30)).map(list),
                      max_size=5),
    "mutations": st.dictionaries(st.from_regex(r"[a-z_]{1,12}", fullmatch=True), _BIG,
                                 max_size=5)})
EXTREME_STATS = {"step": 2**53 - 1, "sizes": [[2**30, 2**30]] * 2**16,
                 "mutations": {f"kind{k}": 2**53 - 1 for k in range(256)}}
# the dashboards' figures at their bounds: genotypes, a soup map, the ecology's sums
EXTREME_FIGURES = {
    "top_genotypes": [["9" * 64, 2**20, 2**30, "z" * 64]] * 64,
    "soup": {"segments": 4096, "names": ["a" * 64] * 4096, "runs": [[4095, 1]] * 4096,
             "held": [8] * 4096, "energy": [-(2**53) + 1] * 4096},
    "tasks": {f"t{k}": 2**30 for k in range(256)},
    "energy": {"mean": 2**53 - 1, "total": -(2**53) + 1, "broke": 2**30},
    "resources": {"total": 2**53 - 1, "strip": [2.0**53 - 1] * 4096},
    "task_events": {f"t{k}": 2**53 - 1 for k in range(256)},
    "deaths_by": {"starved": 2**53 - 1}, "spawned": 2**53 - 1}
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "u8": _ints(8), "u16": _ints(16), "u32": _ints(32), "u64": _ints(64),
    "i64": st.integers(-(2**63), 2**63 - 1),
    "f64": st.floats(allow_nan=True, allow_infinity=True), "bool": st.booleans(),
    "str": st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=30)),
    "bytes": _BYTES,
    "blobs": st.one_of(st.lists(_BYTES, max_size=6),
                       st.sampled_from([[b""], [b"x" * (2**20 + 1)], [b"a"] * 100,
                                        [b"f" * 32] * 2001])),
    "u64s": st.one_of(st.lists(_ints(64), max_size=6), st.just([0] * 70_000)),
    "json": st.one_of(st.sampled_from(NASTY_JSON), VALID_STATS,
                      st.dictionaries(st.sampled_from(["step", "sizes", "mutations", "x"]),
                                      _JSON, max_size=3),
                      st.dictionaries(st.text(max_size=8), _JSON, max_size=3)),
}


def payload(message: Message, raw: dict[str, bytes]) -> bytes:
    """``message``'s payload, with the encodings of the fields in ``raw`` replaced."""
    out: list[bytes] = []
    for name, kind in MESSAGES[message.code][1]:
        if name in raw:
            out.append(raw[name])
        else:
            _encode_field(out, kind, message.fields[name])
    return b"".join(out)


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, str, Any]:
    """(message name, how, what): how is "value" (a field, a value of its kind), "raw" (a
    field's encoding replaced by bytes), "payload" (the whole payload: garbage), "cut" or
    "extend" (the honest payload, cut short or with bytes after), or "none"."""
    name = draw(st.sampled_from(CLIENT_MESSAGES))
    fields = MESSAGES[CODES[name]][1]
    hows = ["payload", "cut", "extend", "none"] + (["value"] * 5 + ["raw"] if fields else [])
    how = draw(st.sampled_from(hows))
    if how in ("value", "raw"):
        json_fields = [f for f in fields if f[1] == "json"]
        pick_json = bool(json_fields) and draw(st.booleans())
        field_name, kind = draw(st.sampled_from(json_fields if pick_json else fields))
        if how == "value":
            return name, how, (field_name, draw(VALUES[kind]))
        if kind == "json" and draw(st.booleans()):
            text = draw(st.sampled_from(RAW_JSON))
            return name, how, (field_name, struct.pack(">I", len(text)) + text)
        return name, how, (field_name, draw(st.binary(max_size=40)))
    if how == "payload":
        return name, how, draw(st.binary(max_size=200))
    if how in ("cut", "extend"):
        return name, how, draw(st.integers(1, 16))
    return name, how, None


def mutate(message: Message, how: str, what: Any) -> tuple[Message, bytes | None]:
    if how == "value":
        field_name, value = what
        return Message(message.name, {**message.fields, field_name: value}), None
    if how == "raw":
        field_name, data = what
        return message, payload(message, {field_name: data})
    if how == "payload":
        return message, what
    if how == "cut":
        data = encode(message)
        return message, data[: max(0, len(data) - what)]
    if how == "extend":
        return message, encode(message) + b"\0" * what
    return message, None


def attack(attacker: Attacker, name: str, how: str, what: Any) -> str:
    """One hostile session; how it ended: "answered" (the server read the message and
    answered the heartbeat after it), "closed" or "refused"."""
    if name in ("HELLO", "AUTH"):
        raw = Peer(attacker.port)
        try:
            base = base_message(name, attacker)
            if name == "HELLO":
                message, data = mutate(base, how, what)
                role = message.fields.get("role")
                raw.connection.role = role if role in (WORKER, MONITOR) else WORKER
                if how == "value":  # the mac proves the token for what the HELLO says
                    last = handshake(raw, attacker.token, message)
                else:
                    last = handshake(raw, attacker.token, base, payload=data)
            else:
                def auth(nonce: bytes) -> tuple[Message, bytes | None]:
                    good = make("AUTH", mac=auth_mac(attacker.token, nonce, WORKER,
                                                     attacker.worker_id))
                    return mutate(good, how, what) if how != "none" else (good, None)
                last = handshake(raw, attacker.token, hello(attacker.worker_id), auth=auth)
            if last is None:
                return "closed"
            attacker.saw(last)
            if last.name != "WELCOME":
                return "refused"
            return after(attacker, raw, name)
        finally:
            raw.close()
    role = MONITOR if name == "STATUS_REQUEST" else WORKER
    peer = attacker.session(role)
    if peer is None:
        return "refused"
    try:
        if name in ("REPORT", "SNAPSHOT"):
            attacker.ensure_lease(peer)
        message, data = mutate(base_message(name, attacker), how, what)
        if name == "BYE":
            attacker.leases.clear()  # (if the server reads it, the leases go back)
        peer.send(message, data)
        if peer.connection.closed:  # a BYE: nothing more may be said
            return "closed" if peer.receive() is None else "answered"
        return after(attacker, peer, name)
    finally:
        peer.close()


def after(attacker: Attacker, peer: Peer, name: str) -> str:
    """A HEARTBEAT after what was sent: its echo says the server read (and judged) it."""
    peer.send(make("HEARTBEAT", sent=2.0))
    seen: set[str] = set()
    if attacker.read_until(peer, ("HEARTBEAT_ACK",), seen) is None:
        return "closed"
    if name == "REPORT" and "REPORT_ACK" not in seen:  # (acknowledged once journaled:
        attacker.read_until(peer, ("REPORT_ACK",))  # possibly after the echo)
    return "answered"


# ---- the live server -----------------------------------------------------------------------


def start(cluster: Cluster) -> tuple[Attacker, dict[int, int]]:
    """Server and honest worker running, the honest worker's island advancing: the attacker,
    and the steps of each island the honest worker holds."""
    cluster.env.update(HOSTILE_ENV)
    cluster.server()
    cluster.worker(HONEST)
    token = find_token(None, Path(cluster.directory) / "data")
    attacker = Attacker(token, cluster.port, cluster.directory / "server.log")
    wait_until(lambda: honest_steps(attacker), "the honest worker's first report")
    return attacker, honest_steps(attacker)


def status(attacker: Attacker) -> dict[str, Any]:
    peer = attacker.session(MONITOR)
    assert peer is not None, "a monitor is refused"
    try:
        peer.send(make("STATUS_REQUEST", island=0))
        reply = peer.receive()
        assert reply is not None and reply.name == "STATUS", \
            f"no STATUS ({reply}):\n" + Path(attacker.log).read_text()[-3000:]
        data: dict[str, Any] = reply["data"]
        return data
    finally:
        peer.close()


def honest_steps(attacker: Attacker) -> dict[int, int]:
    """Steps of each island the honest worker holds (by the server's STATUS)."""
    return {i["id"]: i["steps"] for i in status(attacker)["islands"]
            if i["worker"] == HONEST and i["steps"] > 0}


def journal_stats(cluster: Cluster) -> int:
    """The server's housekeeping `stats` events so far (each sums every island's stats)."""
    return sum(e["event"] == "stats" for e in cluster.journal())


def finish(cluster: Cluster, attacker: Attacker, before: dict[int, int]) -> None:
    """The server lives through its housekeeping and a STATUS, and an island the honest
    worker held at the start advanced."""
    server = cluster.processes["server"]
    seen = journal_stats(cluster)
    wait_until(lambda: server.poll() is not None or journal_stats(cluster) > seen,
               "a housekeeping stats event after the attack")
    assert server.poll() is None, cluster.log("server")[-3000:]
    wait_until(lambda: any(steps > before.get(island, steps)
                           for island, steps in honest_steps(attacker).items()),
               "the honest worker's island advancing")
    assert server.poll() is None, cluster.log("server")[-3000:]


# ---- the tests -------------------------------------------------------------------------------


# Case 1 of the issue: reports whose stats passed the codec (it checked only that `stats` is
# an object) and then broke STATUS at once and the housekeeping within 5 s, killing the server.
MISSHAPEN_STATS = [{"sizes": "abc"}, {"sizes": [[80]]}, {"mutations": "copy"},
                   {"sizes": [[80, "x"]]}, {"mutations": {"copy": [1]}}]


def test_a_report_with_misshapen_stats_closes_that_peer_and_the_server_lives(
        cluster: Cluster) -> None:
    attacker, before = start(cluster)
    for stats in MISSHAPEN_STATS:
        peer = attacker.session()
        assert peer is not None
        try:
            attacker.ensure_lease(peer)
            assert attacker.leases, "no island for the attacker"
            report = base_message("REPORT", attacker)
            peer.send(Message("REPORT", {**report.fields, "stats": stats}))
            assert attacker.read_until(peer, ("REPORT_ACK",)) is None, \
                f"a REPORT with stats {stats} was answered"
        finally:
            peer.close()
        status(attacker)  # STATUS sums the islands' stats
        assert cluster.processes["server"].poll() is None, cluster.log("server")[-3000:]
    assert "protocol error: REPORT.stats" in cluster.log("server")
    finish(cluster, attacker, before)


def test_every_message_mutated_the_server_survives_and_the_honest_island_advances(
        cluster: Cluster) -> None:
    attacker, before = start(cluster)
    server = cluster.processes["server"]

    @settings(max_examples=200, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(mutations())
    @example(("REPORT", "none", None))  # accepted: the attacker holds an island
    @example(("REPORT", "value", ("stats", EXTREME_STATS)))  # accepted: the largest sums
    @example(("REPORT", "value", ("stats", EXTREME_FIGURES)))  # accepted: shown by STATUS
    @example(("STATUS_REQUEST", "none", None))  # which STATUS sums (and island 0's soup)
    @example(("REPORT", "value", ("stats", {"sizes": "abc"})))  # case 1 of the issue
    @example(("REPORT", "raw", ("stats", struct.pack(">I", 13) + b'{"step": NaN}')))
    def one(mutation: tuple[str, str, Any]) -> None:
        name, how, what = mutation
        try:
            outcome = attack(attacker, name, how, what)
        except RemoteProtocolError as exc:  # the server sent something malformed
            raise AssertionError(f"the server's answer to {mutation!r:.200}: {exc}") from None
        attacker.outcomes[outcome] = attacker.outcomes.get(outcome, 0) + 1
        assert server.poll() is None, (f"the server died after {mutation!r:.200}:\n"
                                       + cluster.log("server")[-3000:])
        # A STATUS sums every island's stats as the housekeeping does (every 5 s): what was
        # accepted cannot break either.
        status(attacker)

    one()
    # Every way happened: hostile messages refused (their peer closed), harmless ones read,
    # reports accepted (their stats summed by STATUS and the housekeeping).
    outcomes = attacker.outcomes
    assert outcomes.get("closed") and outcomes.get("answered") and \
        outcomes.get(f"report {REPORT_ACCEPTED}"), outcomes
    finish(cluster, attacker, before)
