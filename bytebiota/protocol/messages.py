"""Typed messages and their explicit binary encoding (never pickle, never eval).

Each message type is a code, a name and an ordered list of (field, kind). Payloads are the
fields in order, big-endian:

    u8 u16 u32 u64 i64   unsigned/signed integers of that width
    f64                  IEEE 754 double
    bool                 one byte, 0 or 1
    str                  u32 length, then UTF-8
    bytes                u32 length, then raw bytes
    blobs                u32 count, then that many ``bytes``
    u64s                 u32 count, then that many u64
    json                 a ``str`` holding a JSON object (data only: status, config)

A payload must be consumed exactly: trailing bytes, short fields, bad UTF-8, a bool that is
neither 0 nor 1, or a json field that is not an object (or holds NaN or Infinity) are
RemoteProtocolError. ``MESSAGES`` is the table docs/protocol.md is written from.

Validated at arrival: once a payload is parsed, ``decode`` checks every field against
``CONSTRAINTS`` (ranges, lengths, printable text, the shape of json fields, in the small rule
language of protocol/schema.py) and each message against ``RELATIONS`` (fields that must
agree), before anything else sees the message; a failure is a RemoteProtocolError naming
message.field and what was wrong, which closes that peer's connection (and only it). Every
``str``, ``bytes``, ``blobs``, ``u64s`` and ``json`` field has a constraint (a test checks):
nothing a peer sends is unbounded or unchecked. ``REPORT_STATS`` is the schema of a REPORT's
``stats`` (the figures the server sums): a key it does not name is refused, and adding a
figure is adding one line there.

Verified results: a batch's *fingerprint* (``batch_fingerprint``) is what a second worker
must reproduce when the server has it re-run: its counters, its end digest and its
emigrants, hashed together. ``MAX_SPAN_BATCHES`` bounds the reports an island may carry
between two snapshots (the span a validation re-runs).
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bytebiota.protocol.errors import LocalProtocolError, RemoteProtocolError
from bytebiota.protocol.schema import (
    AnyJson,
    Blob,
    Int,
    ListOf,
    MapOf,
    Num,
    Obj,
    OneOf,
    Row,
    Rule,
    Text,
)

WORKER = 1
MONITOR = 2
ROLES = {WORKER: "worker", MONITOR: "monitor"}

REPORT_ACCEPTED = 0
REPORT_DUPLICATE = 1
REPORT_STALE = 2
REPORT_REFUSED = 3  # inconsistent with the server's records: the lease is revoked
REPORT_STATUSES = {REPORT_ACCEPTED: "accepted", REPORT_DUPLICATE: "duplicate",
                   REPORT_STALE: "stale", REPORT_REFUSED: "refused"}

# Reports an island may carry between two snapshots while VALIDATION_RATE > 0 (a worker
# snapshots after half as many at the latest): the longest span a validation re-runs.
MAX_SPAN_BATCHES = 2000

# code: (name, fields, direction: c = client to server, s = server to client, b = both)
MESSAGES: dict[int, tuple[str, tuple[tuple[str, str], ...], str, str]] = {
    1: ("HELLO", (("role", "u8"), ("worker_id", "str"), ("host", "str"), ("cores", "u16"),
                  ("memory_mb", "u32"), ("compiled", "bool"), ("software", "str"),
                  ("incarnation", "u64"), ("credential", "bool")), "c",
        "opens a session: who is asking, and with what; `incarnation` is drawn afresh by "
        "each worker process (a new one for a known worker id: the server settles the old "
        "process's leases once the new one has delivered its queue); `credential`: the AUTH "
        "will prove the worker's own credential (else the shared token, to enrol)"),
    2: ("CHALLENGE", (("nonce", "bytes"), ("server_id", "str")), "s",
        "a fresh 32-byte nonce to prove the token on"),
    3: ("AUTH", (("mac", "bytes"),), "c",
        "HMAC-SHA256(secret, nonce ‖ role ‖ worker_id), the secret being the worker's "
        "credential, or the token (enrolment, monitors): no secret ever travels"),
    4: ("WELCOME", (("session", "u64"), ("heartbeat_interval", "f64"), ("config", "json"),
                    ("enrolment", "bytes")),
        "s", "the session is open; the experiment's configuration; `enrolment`: a 32-byte "
        "salt when the server has just enrolled the worker by the token (its credential is "
        "HMAC-SHA256(token, \"bytebiota credential\\0\" ‖ salt ‖ worker_id)), else empty"),
    5: ("REJECT", (("reason", "str"), ("retry", "bool")), "s",
        "the session is refused; the server closes. retry: a transient refusal (the server "
        "is full), try again later; else final (wrong token, incompatible version, "
        "quarantine)"),
    6: ("HEARTBEAT", (("sent", "f64"),), "b", "I am alive; echo this time back"),
    7: ("HEARTBEAT_ACK", (("sent", "f64"),), "b", "the echo of a HEARTBEAT's time"),
    8: ("LEASE_REQUEST", (("capacity", "u16"),), "c", "a worker asks for up to N islands"),
    9: ("LEASE", (("island", "u32"), ("epoch", "u32"), ("next_seq", "u64"),
                  ("batch_steps", "u64"), ("seed", "u64"), ("snapshot", "bytes"),
                  ("genomes", "blobs"), ("immigrants", "blobs"), ("batches", "u64s"),
                  ("batch_sizes", "u64s")), "s",
        "an island to run: its snapshot, or (empty snapshot) a seed and founding genomes; "
        "immigrant batches to enter (ids in `batches`, sizes in `batch_sizes`, genomes in "
        "order in `immigrants`)"),
    10: ("NO_WORK", (("retry_after", "f64"),), "s", "nothing to lease now"),
    11: ("REPORT", (("island", "u32"), ("epoch", "u32"), ("seq", "u64"), ("steps", "u64"),
                    ("births", "u64"), ("deaths", "u64"), ("population", "u32"),
                    ("genotypes", "u32"), ("digest", "bytes"), ("consumed", "u64s"),
                    ("emigrants", "blobs"), ("stats", "json")), "c",
         "one batch done: counters, end digest (SHA-256 of the world's state), the ids of "
         "the immigrant batches that entered before it (in the order they entered), "
         "emigrants"),
    12: ("REPORT_ACK", (("island", "u32"), ("epoch", "u32"), ("seq", "u64"), ("status", "u8"),
                        ("immigrants", "blobs"), ("batches", "u64s"),
                        ("batch_sizes", "u64s")), "s",
         "status 0 accepted, 1 duplicate, 2 stale (the lease is gone), 3 refused "
         "(inconsistent: the lease is revoked); immigrant batches to enter before a later "
         "batch (as in LEASE; a batch offered again in a new session is entered once)"),
    13: ("SNAPSHOT", (("island", "u32"), ("epoch", "u32"), ("seq", "u64"), ("data", "bytes")),
         "c", "the island's full state before batch seq; its checksum must equal the "
         "digest reported for batch seq - 1"),
    14: ("SNAPSHOT_ACK", (("island", "u32"), ("epoch", "u32"), ("seq", "u64")), "s",
         "the snapshot is stored"),
    15: ("RELEASE", (("island", "u32"), ("epoch", "u32")), "c", "the worker gives a lease back"),
    16: ("REVOKE", (("island", "u32"), ("epoch", "u32")), "s", "the server takes a lease back"),
    17: ("STATUS_REQUEST", (("island", "i64"),), "c",
         "a monitor asks for the experiment's state, with island `island`'s soup map "
         "(-1: none)"),
    18: ("STATUS", (("data", "json"),), "s",
         "the experiment's state: totals, workers, islands, the summed `stats` and their "
         "`health`, and the `soup` map asked for"),
    19: ("SHUTDOWN", (("reason", "str"),), "s", "the server is stopping; reconnect later"),
    20: ("BYE", (("reason", "str"),), "b", "a clean goodbye"),
    21: ("VALIDATE", (("job", "u64"), ("island", "u32"), ("seed", "u64"), ("snapshot", "bytes"),
                      ("genomes", "blobs"), ("immigrants", "blobs"), ("entered", "u64s"),
                      ("steps", "u64s")), "s",
         "re-run another worker's batches: the start state (a snapshot, or a seed and "
         "founding genomes), then per batch the number of immigrants entering before it "
         "(taken in order from `immigrants`) and its length"),
    22: ("VALIDATION_RESULT", (("job", "u64"), ("fingerprints", "blobs")), "c",
         "the fingerprint of each re-run batch (none: the start state could not be read)"),
    23: ("RESEND", (), "s",
         "the server could not store what it was sent (its disk was full) and can now: send "
         "again everything not acknowledged"),
}
CODES: dict[str, int] = {spec[0]: code for code, spec in MESSAGES.items()}
_INT_FORMATS = {"u8": ">B", "u16": ">H", "u32": ">I", "u64": ">Q", "i64": ">q", "f64": ">d"}


# ---- what a field may hold (checked at arrival) ---------------------------------------------
# Bounds of the protocol itself, generous against what an honest peer sends (named there):
DIGEST_SIZE = 32  # SHA-256: a REPORT's digest, AUTH's mac, CHALLENGE's nonce, fingerprints
MAX_COUNT = 2**53 - 1  # a cumulative count in json (exact as a JSON number anywhere)
MAX_BATCH_STEPS = 2**40  # instructions in one batch (MAX_BATCH_SIZE's 10^6 work cycles of
# 10^5 instructions are 10^11); births and deaths in a batch are at most as many
MAX_CELLS = 2**30  # cells or genotypes of an island: each holds a byte of a soup of at most
# 2^30 bytes (SOUP_SIZE's bound)
MAX_GENOME_SIZE = 2**20  # bytes of a genome that travels (the ancestor has 80; the server
# keeps emigrants in its seed bank, inboxes and journal)
MAX_EMIGRANTS = 64  # emigrants in a REPORT (a worker sends EMIGRANTS_PER_BATCH, 2)
MAX_FOUNDERS = 4096  # founding genomes of a LEASE or a VALIDATE
MAX_IMMIGRANTS = 2**16  # immigrant genomes of a LEASE or REPORT_ACK (a batch is one inbox,
# at most Coordinator.INBOX_LIMIT, 50)
MAX_BATCH_IDS = 2**16  # immigrant batch ids in a LEASE, REPORT_ACK or a REPORT's consumed
MAX_SPAN_IMMIGRANTS = 2**20  # immigrant genomes a VALIDATE's span entered
MAX_CAPACITY = 1024  # islands one LEASE_REQUEST asks for (a worker process asks for 1)
MAX_CORES = 4096  # HELLO's cores (0: a monitor's)
MAX_SIZE_CLASSES = 2**16  # distinct genome sizes in a REPORT's stats
MAX_NAMED = 256  # entries of a json map keyed by name (mutation kinds, tasks, ...)
MAX_TOP_GENOTYPES = 64  # genotypes listed in a REPORT's stats (a worker sends 10)
MAX_SOUP_SEGMENTS = 4096  # stretches of a REPORT's soup map (a worker sends 512)
MAX_STRIP = 4096  # regions of a REPORT's resource strip (a worker sends at most 64)
MAX_SNAPSHOT = 2**31 - 1  # MAX_MESSAGE_SIZE's own bound (the frame limit comes first)
MAX_LINE = 256  # a host name, a software description, a server id
MAX_REASON = 4096  # a REJECT, BYE or SHUTDOWN reason
# Worker ids: the default (host name, a dash, 8 hex digits: Linux host names have at most 64
# characters) and `--jobs` suffixes fit; no space, quote, control or escape character can
# forge a log line or a terminal display, and the id is safe in a file name.
MAX_WORKER_ID = 128
WORKER_ID_CHARS = "A-Za-z0-9._:@-"

COUNT = Int(0, MAX_COUNT)
NAME = Text(64, 1, "A-Za-z0-9_.-")  # a key of a json map: a mutation kind, a task, ...
GENOTYPE = Text(64, 1, "A-Za-z0-9")  # a genotype's name: 0080aab (its parent's: 0666god)
ENERGY = Num(-MAX_COUNT, MAX_COUNT)  # an amount of energy, in whole units
GENOME = Blob(1, MAX_GENOME_SIZE)
DIGEST = Blob(DIGEST_SIZE, DIGEST_SIZE)
WORKER_ID = Text(MAX_WORKER_ID, 0, WORKER_ID_CHARS)
BATCH_STEPS = Int(0, MAX_BATCH_STEPS)

# The figures a REPORT's `stats` may carry, one line each; a key not named here is refused
# (the whole REPORT with it). Reporting a new figure (worker/client.py ``report_message``) is
# adding its line here; the server sums them in Coordinator.stats_event. Every key is
# optional: the server sums what is there.
REPORT_STATS = Obj({
    "step": COUNT,  # the island's steps so far
    "sizes": ListOf(Row(Int(0, MAX_CELLS), Int(0, MAX_CELLS)),  # [size, cells]
                    MAX_SIZE_CLASSES),
    "mutations": MapOf(NAME, COUNT, MAX_NAMED),  # kind: count so far
    "top_genotypes": ListOf(Row(GENOTYPE, Int(1, MAX_GENOME_SIZE), Int(1, MAX_CELLS), GENOTYPE),
                            MAX_TOP_GENOTYPES),  # [name, size, cells, parent], most cells first
    "soup": Obj({  # the soup map (bytebiota/observe.py ``soup_map``)
        "segments": Int(1, MAX_SOUP_SEGMENTS), "names": ListOf(GENOTYPE, MAX_SOUP_SEGMENTS),
        "runs": ListOf(Row(Int(-1, MAX_SOUP_SEGMENTS - 1), Int(1, MAX_SOUP_SEGMENTS)),
                       MAX_SOUP_SEGMENTS),
        "held": ListOf(Int(0, 8), MAX_SOUP_SEGMENTS), "energy": ListOf(ENERGY, MAX_SOUP_SEGMENTS),
    }),
    # the ecology regime (core/stats.py ``ecology_stats``)
    "tasks": MapOf(NAME, Int(0, MAX_CELLS), MAX_NAMED),  # task: cells that performed it
    "energy": Obj({"mean": ENERGY, "total": ENERGY, "broke": Int(0, MAX_CELLS)}),
    "resources": Obj({"total": ENERGY, "strip": ListOf(ENERGY, MAX_STRIP)}),
    "task_events": MapOf(NAME, COUNT, MAX_NAMED),  # task: rewarded so far
    "deaths_by": MapOf(NAME, COUNT, MAX_NAMED),  # cause: deaths so far
    "spawned": COUNT,  # cells injected from the seed bank so far
})


def soup_map_holds(stats: dict[str, Any]) -> bool:
    """A REPORT's soup map (when it has one) is whole: its runs name only its names and
    cover its segments, one ``held`` (and ``energy``, when given) per segment."""
    soup = stats.get("soup")
    if soup is None:
        return True
    if not {"segments", "names", "runs", "held"} <= set(soup):
        return False
    segments, names = soup["segments"], soup["names"]
    return (all(slot < len(names) for slot, _ in soup["runs"])
            and sum(count for _, count in soup["runs"]) == segments
            and len(soup["held"]) == segments
            and len(soup.get("energy", soup["held"])) == segments)


# STATUS, loosely: the monitor shows these parts; anything else may come, nested a little.
_STATUS_ROW = Obj({}, extra=AnyJson(4))
STATUS_DATA = Obj({"totals": Obj({}, extra=AnyJson(2)),
                   "workers": ListOf(_STATUS_ROW, 2**24),
                   "islands": ListOf(_STATUS_ROW, 2**24)}, extra=AnyJson(6))

# message: field: rule. A field not named is bounded by its kind alone (an integer's width).
CONSTRAINTS: dict[str, dict[str, Rule]] = {
    "HELLO": {"role": OneOf(ROLES), "worker_id": WORKER_ID, "host": Text(MAX_LINE),
              "cores": Int(0, MAX_CORES), "software": Text(MAX_LINE),
              "incarnation": Int(0, 2**63 - 1)},
    "CHALLENGE": {"nonce": DIGEST, "server_id": Text(MAX_LINE)},
    "AUTH": {"mac": DIGEST},
    "WELCOME": {"heartbeat_interval": Num(0.001, 86400.0), "enrolment": Blob(0, DIGEST_SIZE),
                "config": MapOf(Text(64, 1, "A-Za-z0-9_"), AnyJson(2), 4096)},
    "REJECT": {"reason": Text(MAX_REASON)},
    "LEASE_REQUEST": {"capacity": Int(1, MAX_CAPACITY)},
    "LEASE": {"batch_steps": Int(1, MAX_BATCH_STEPS), "snapshot": Blob(0, MAX_SNAPSHOT),
              "genomes": ListOf(GENOME, MAX_FOUNDERS),
              "immigrants": ListOf(GENOME, MAX_IMMIGRANTS),
              "batches": ListOf(None, MAX_BATCH_IDS),
              "batch_sizes": ListOf(Int(0, MAX_IMMIGRANTS), MAX_BATCH_IDS)},
    "NO_WORK": {"retry_after": Num(0.0, 3600.0)},
    "STATUS_REQUEST": {"island": Int(-1, 2**32 - 1)},
    "REPORT": {"steps": BATCH_STEPS, "births": BATCH_STEPS, "deaths": BATCH_STEPS,
               "population": Int(0, MAX_CELLS), "genotypes": Int(0, MAX_CELLS),
               "digest": DIGEST, "consumed": ListOf(None, MAX_BATCH_IDS),
               "emigrants": ListOf(GENOME, MAX_EMIGRANTS), "stats": REPORT_STATS},
    "REPORT_ACK": {"status": OneOf(REPORT_STATUSES),
                   "immigrants": ListOf(GENOME, MAX_IMMIGRANTS),
                   "batches": ListOf(None, MAX_BATCH_IDS),
                   "batch_sizes": ListOf(Int(0, MAX_IMMIGRANTS), MAX_BATCH_IDS)},
    "SNAPSHOT": {"data": Blob(1, MAX_SNAPSHOT)},
    "STATUS": {"data": STATUS_DATA},
    "SHUTDOWN": {"reason": Text(MAX_REASON)},
    "BYE": {"reason": Text(MAX_REASON)},
    "VALIDATE": {"snapshot": Blob(0, MAX_SNAPSHOT), "genomes": ListOf(GENOME, MAX_FOUNDERS),
                 "immigrants": ListOf(GENOME, MAX_SPAN_IMMIGRANTS),
                 "entered": ListOf(Int(0, MAX_SPAN_IMMIGRANTS), MAX_SPAN_BATCHES),
                 "steps": ListOf(BATCH_STEPS, MAX_SPAN_BATCHES)},
    "VALIDATION_RESULT": {"fingerprints": ListOf(DIGEST, MAX_SPAN_BATCHES)},
}


def _batches_add_up(f: dict[str, Any]) -> bool:
    return len(f["batches"]) == len(f["batch_sizes"]) and \
        sum(f["batch_sizes"]) == len(f["immigrants"])


# message: (what must hold, as the docs say it, and the check), after CONSTRAINTS passed.
RELATIONS: dict[str, tuple[tuple[str, Callable[[dict[str, Any]], bool]], ...]] = {
    "HELLO": (("a worker (role 1) names itself (`worker_id` not empty) and has a core",
               lambda f: f["role"] != WORKER or (f["worker_id"] != "" and f["cores"] >= 1)),),
    "LEASE": (("one size in `batch_sizes` per id in `batches`, adding up to the count of "
               "`immigrants`", _batches_add_up),),
    "REPORT": (("the soup map in `stats` is whole: its runs name only its names and cover its "
                "segments, with one `held` (and `energy`) per segment",
                lambda f: soup_map_holds(f["stats"])),),
    "REPORT_ACK": (("as in LEASE", _batches_add_up),),
    "VALIDATE": (("one count in `entered` per batch in `steps`, adding up to the count of "
                  "`immigrants`", lambda f: len(f["entered"]) == len(f["steps"]) and
                  sum(f["entered"]) == len(f["immigrants"])),),
}


def validate(message: Message) -> None:
    """RemoteProtocolError unless every field of ``message`` keeps its constraint and its
    fields agree (RELATIONS): what ``decode`` checks at arrival."""
    name = message.name
    for field_name, rule in CONSTRAINTS.get(name, {}).items():
        rule.check(message.fields[field_name], f"{name}.{field_name}")
    for text, holds in RELATIONS.get(name, ()):
        if not holds(message.fields):
            raise RemoteProtocolError(f"{name}: fields disagree: {text}")


def worker_id_problem(worker_id: str) -> str | None:
    """Why ``worker_id`` cannot be a worker's id on the wire (None: it can). A worker id
    names a credential, journal records and files: no spaces, control characters or
    escapes that could forge a log line."""
    try:
        Text(MAX_WORKER_ID, 1, WORKER_ID_CHARS).check(worker_id, "worker id")
    except RemoteProtocolError as exc:
        return str(exc)
    return None


Batches = list[tuple[int, list[bytes]]]  # immigrant batches: (id, genomes)


def pack_batches(batches: Batches) -> dict[str, Any]:
    """The LEASE / REPORT_ACK fields carrying immigrant batches."""
    return {"immigrants": [g for _, genomes in batches for g in genomes],
            "batches": [b for b, _ in batches],
            "batch_sizes": [len(genomes) for _, genomes in batches]}


def unpack_batches(message: Message) -> Batches:
    """The immigrant batches of a LEASE or REPORT_ACK (RemoteProtocolError: do not add up)."""
    ids, sizes, genomes = message["batches"], message["batch_sizes"], message["immigrants"]
    if len(ids) != len(sizes) or sum(sizes) != len(genomes):
        raise RemoteProtocolError(f"{message.name}: its immigrant batches do not add up")
    out: Batches = []
    taken = 0
    for batch, size in zip(ids, sizes, strict=True):
        out.append((batch, genomes[taken : taken + size]))
        taken += size
    return out


def batch_fingerprint(*, steps: int, births: int, deaths: int, population: int,
                      genotypes: int, digest: bytes, emigrants: list[bytes]) -> bytes:
    """SHA-256 over what a batch must give when it is re-run: its counters, its end digest
    and its emigrants (each length-prefixed), so two workers agree only on the same result."""
    h = hashlib.sha256(struct.pack(">QQQQQ", steps, births, deaths, population, genotypes))
    h.update(struct.pack(">I", len(digest)) + digest)
    for genome in emigrants:
        h.update(struct.pack(">I", len(genome)) + genome)
    return h.digest()


@dataclass(frozen=True)
class Message:
    """A decoded (or to-be-encoded) message: its name and its fields."""

    name: str
    fields: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.fields[key]

    @property
    def code(self) -> int:
        return CODES[self.name]


def make(name: str, **fields: Any) -> Message:
    """A message, checked against the table (LocalProtocolError on a mistake of ours)."""
    if name not in CODES:
        raise LocalProtocolError(f"no message called {name}")
    spec = MESSAGES[CODES[name]][1]
    expected = [f for f, _ in spec]
    if sorted(fields) != sorted(expected):
        raise LocalProtocolError(f"{name} takes {expected}, got {sorted(fields)}")
    return Message(name, fields)


def encode(message: Message) -> bytes:
    out: list[bytes] = []
    for name, kind in MESSAGES[message.code][1]:
        value = message.fields[name]
        try:
            _encode_field(out, kind, value)
        except (struct.error, TypeError, ValueError, UnicodeEncodeError) as exc:
            raise LocalProtocolError(f"{message.name}.{name}={value!r}: {exc}") from None
    return b"".join(out)


def _encode_field(out: list[bytes], kind: str, value: Any) -> None:
    if kind in _INT_FORMATS:
        out.append(struct.pack(_INT_FORMATS[kind], value))
    elif kind == "bool":
        out.append(b"\x01" if value else b"\x00")
    elif kind == "str":
        data = value.encode()
        out.append(struct.pack(">I", len(data)) + data)
    elif kind == "bytes":
        out.append(struct.pack(">I", len(value)) + bytes(value))
    elif kind == "blobs":
        out.append(struct.pack(">I", len(value)))
        for blob in value:
            out.append(struct.pack(">I", len(blob)) + bytes(blob))
    elif kind == "u64s":
        out.append(struct.pack(f">I{len(value)}Q", len(value), *value))
    elif kind == "json":
        if not isinstance(value, dict):
            raise TypeError("a json field holds an object")
        data = json.dumps(value, separators=(",", ":"), allow_nan=False).encode()
        out.append(struct.pack(">I", len(data)) + data)
    else:  # pragma: no cover - the table has no other kinds
        raise LocalProtocolError(f"unknown field kind {kind}")


class _Cursor:
    def __init__(self, data: bytes, name: str) -> None:
        self.data = data
        self.pos = 0
        self.name = name

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise RemoteProtocolError(f"{self.name}: payload ends inside a field")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def sized(self) -> bytes:
        (n,) = struct.unpack(">I", self.take(4))
        return self.take(n)


def decode(code: int, payload: bytes) -> Message:
    """A message from a frame's type and payload; RemoteProtocolError if malformed."""
    if code not in MESSAGES:
        raise RemoteProtocolError(f"unknown message type {code}")
    name, spec, _, _ = MESSAGES[code]
    cursor = _Cursor(payload, name)
    fields: dict[str, Any] = {}
    for field_name, kind in spec:
        fields[field_name] = _decode_field(cursor, kind, f"{name}.{field_name}")
    if cursor.pos != len(payload):
        raise RemoteProtocolError(f"{name}: {len(payload) - cursor.pos} bytes after the fields")
    message = Message(name, fields)
    validate(message)
    return message


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN, Infinity, -Infinity: Python's extension


def _decode_field(cursor: _Cursor, kind: str, where: str) -> Any:
    if kind in _INT_FORMATS:
        fmt = _INT_FORMATS[kind]
        (value,) = struct.unpack(fmt, cursor.take(struct.calcsize(fmt)))
        if kind == "f64" and not math.isfinite(value):
            raise RemoteProtocolError(f"{where}: not a finite number")
        return value
    if kind == "bool":
        byte = cursor.take(1)[0]
        if byte > 1:
            raise RemoteProtocolError(f"{where}: a bool must be 0 or 1, got {byte}")
        return byte == 1
    if kind == "str":
        try:
            return cursor.sized().decode()
        except UnicodeDecodeError:
            raise RemoteProtocolError(f"{where}: not UTF-8") from None
    if kind == "bytes":
        return cursor.sized()
    if kind == "blobs":
        (count,) = struct.unpack(">I", cursor.take(4))
        if count > len(cursor.data):  # each blob takes at least 4 bytes: cheap sanity bound
            raise RemoteProtocolError(f"{where}: {count} blobs cannot fit")
        return [cursor.sized() for _ in range(count)]
    if kind == "u64s":
        (count,) = struct.unpack(">I", cursor.take(4))
        if count * 8 > len(cursor.data):
            raise RemoteProtocolError(f"{where}: {count} integers cannot fit")
        return list(struct.unpack(f">{count}Q", cursor.take(8 * count)))
    if kind == "json":
        try:
            value = json.loads(cursor.sized().decode(), parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise RemoteProtocolError(f"{where}: not JSON") from None
        if not isinstance(value, dict):
            raise RemoteProtocolError(f"{where}: a JSON object is expected")
        return value
    raise RemoteProtocolError(f"{where}: unknown field kind {kind}")  # pragma: no cover
