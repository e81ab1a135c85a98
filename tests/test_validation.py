"""Messages validated at arrival (issue 16): every field against its declared constraint,
before anything sees it; what honest peers send passes, the rest is a RemoteProtocolError
naming message.field, in ASCII on one line."""

from __future__ import annotations

import socket
import struct
from typing import Any

import pytest

from bytebiota import __version__, core, observe
from bytebiota.batches import EMIGRANTS_PER_BATCH
from bytebiota.config import isolated, public_values
from bytebiota.protocol import RemoteProtocolError
from bytebiota.protocol.messages import (
    CODES,
    CONSTRAINTS,
    MAX_BATCH_STEPS,
    MAX_CELLS,
    MAX_COUNT,
    MAX_SPAN_BATCHES,
    MESSAGES,
    MONITOR,
    RELATIONS,
    REPORT_STATS,
    WORKER,
    Message,
    decode,
    encode,
    make,
    validate,
    worker_id_problem,
)
from bytebiota.protocol.schema import AnyJson, Int, Num, Obj, number
from bytebiota.simulation import new_world
from bytebiota.worker.client import machine_id, software_description

BOUNDED_KINDS = ("str", "bytes", "blobs", "u64s", "json")


def arrive(message: Message) -> Message:
    """``message`` as the peer would read it."""
    return decode(message.code, encode(message))


def test_every_unbounded_field_has_a_constraint_and_every_constraint_a_field() -> None:
    for name, fields, _, _ in MESSAGES.values():
        declared = CONSTRAINTS.get(name, {})
        for field_name, kind in fields:
            if kind in BOUNDED_KINDS:
                assert field_name in declared, f"{name}.{field_name} ({kind}) is unbounded"
        assert set(declared) <= {f for f, _ in fields}, name
    assert set(CONSTRAINTS) | set(RELATIONS) <= set(CODES)


# ---- what honest peers send passes ------------------------------------------------------------


@pytest.mark.parametrize("regime", ["classic", "ecology"])
def test_an_honest_workers_report_passes(regime: str) -> None:
    """Built as worker/client.py's report_message builds it, from a world that ran: the
    ecology regime's figures (tasks, energy, the resource field ...) and the soup map too."""
    config = isolated([f"REGIME={regime}", "SOUP_SIZE=60000"])
    world = new_world(config, 7)
    world.run(400_000)
    assert world.population > 1
    stats = {"step": int(world.steps), **observe.figures(world)}
    assert stats["soup"]["runs"] and stats["top_genotypes"]
    assert ("energy" in stats and "energy" in stats["soup"]) == (regime == "ecology")
    report = make("REPORT", island=3, epoch=2, seq=40, steps=400_000, births=100, deaths=90,
                  population=world.population, genotypes=5, digest=bytes.fromhex(world.digest()),
                  consumed=[4, 9], emigrants=world.emigrants(EMIGRANTS_PER_BATCH), stats=stats)
    assert arrive(report) == report


def test_honest_handshakes_pass() -> None:
    worker = make("HELLO", role=WORKER, worker_id=machine_id(), host=socket.gethostname(),
                  cores=1, memory_mb=0, compiled=core.COMPILED,
                  software=software_description(), incarnation=2**63 - 1, credential=True)
    monitor = make("HELLO", role=MONITOR, worker_id="", host=socket.gethostname(), cores=0,
                   memory_mb=0, compiled=core.COMPILED, software=f"bytebiota {__version__}",
                   incarnation=0, credential=False)
    welcome = make("WELCOME", session=1, heartbeat_interval=10.0,
                   config=public_values(isolated()), enrolment=b"s" * 32)
    for message in (worker, monitor, welcome, make("CHALLENGE", nonce=b"\1" * 32,
                                                   server_id=f"bytebiota {__version__}")):
        assert arrive(message) == message
    for jobs in ("box-1", "box-1024"):  # `worker --jobs N` ids
        assert worker_id_problem(jobs) is None
    assert worker_id_problem(f"{'h' * 64}-0123abcd-1024") is None  # the longest host name


def test_bounds_are_inclusive() -> None:
    top = make("REPORT", island=2**32 - 1, epoch=2**32 - 1, seq=2**64 - 1,
               steps=MAX_BATCH_STEPS, births=MAX_BATCH_STEPS, deaths=MAX_BATCH_STEPS,
               population=MAX_CELLS, genotypes=MAX_CELLS, digest=b"\xff" * 32,
               consumed=[2**64 - 1] * 10, emigrants=[b"\0" * 2**20] * 2,
               stats={"step": MAX_COUNT, "sizes": [[MAX_CELLS, MAX_CELLS]],
                      "mutations": {"a.b-c_D9": MAX_COUNT}})
    assert arrive(top) == top
    empty = make("REPORT", island=0, epoch=0, seq=0, steps=0, births=0, deaths=0,
                 population=0, genotypes=0, digest=b"\0" * 32, consumed=[], emigrants=[],
                 stats={})
    assert arrive(empty) == empty
    result = make("VALIDATION_RESULT", job=1, fingerprints=[b"f" * 32] * MAX_SPAN_BATCHES)
    assert arrive(result) == result


# ---- what does not ----------------------------------------------------------------------------

REPORT = {"island": 1, "epoch": 1, "seq": 0, "steps": 10, "births": 1, "deaths": 1,
          "population": 5, "genotypes": 1, "digest": b"d" * 32, "consumed": [],
          "emigrants": [b"g"], "stats": {"step": 10, "sizes": [[80, 5]],
                                         "mutations": {"copy": 1}}}
HELLO = {"role": WORKER, "worker_id": "w-1", "host": "box", "cores": 1, "memory_mb": 0,
         "compiled": True, "software": "bytebiota", "incarnation": 1, "credential": False}
BASES: dict[str, dict[str, Any]] = {
    "REPORT": REPORT, "HELLO": HELLO,
    "LEASE": {"island": 1, "epoch": 1, "next_seq": 0, "batch_steps": 500_000, "seed": 1,
              "snapshot": b"", "genomes": [b"a"], "immigrants": [b"x", b"y"], "batches": [4],
              "batch_sizes": [2]},
    "VALIDATE": {"job": 1, "island": 1, "seed": 1, "snapshot": b"s", "genomes": [],
                 "immigrants": [b"x"], "entered": [0, 1], "steps": [10, 10]},
}

REFUSED: list[tuple[str, dict[str, Any], str]] = [
    # case 1 of the issue: the shapes that passed the codec and crashed the server
    ("REPORT", {"stats": {"sizes": "abc"}}, "REPORT.stats.sizes: a list is expected"),
    ("REPORT", {"stats": {"sizes": [[80]]}}, r"REPORT.stats.sizes\[0\]: a list of 2 items"),
    ("REPORT", {"stats": {"sizes": [[80, 5, 1]]}}, r"sizes\[0\]: a list of 2 items"),
    ("REPORT", {"stats": {"sizes": [[80, "5"]]}}, r"sizes\[0\]\[1\]: an integer is expected"),
    ("REPORT", {"stats": {"sizes": [[80, True]]}}, r"an integer is expected, got True"),
    ("REPORT", {"stats": {"sizes": [[-1, 5]]}}, r"-1 is outside 0 to 2"),
    ("REPORT", {"stats": {"sizes": [[1.5, 5]]}}, "an integer is expected"),
    ("REPORT", {"stats": {"sizes": [[1, 1]] * (2**16 + 1)}}, "65537 items, more than 2"),
    ("REPORT", {"stats": {"mutations": "copy"}}, "REPORT.stats.mutations: an object"),
    ("REPORT", {"stats": {"mutations": {"copy": 10**30}}}, "is outside 0"),
    ("REPORT", {"stats": {"mutations": {"\x1b[2J": 1}}}, r"mutations key: '\\x1b\[2J'"),
    ("REPORT", {"stats": {"mutations": {f"k{k}": 1 for k in range(257)}}}, "257 entries"),
    ("REPORT", {"stats": {"step": 2**53}}, "REPORT.stats.step: 9007199254740992 is outside"),
    ("REPORT", {"stats": {"task": {}}}, "REPORT.stats: unknown key 'task'"),
    ("REPORT", {"stats": {"sizes": [[[[[[1]]]]]]}}, "a list of 2 items"),
    # the figures the dashboards show: genotypes, the soup map, the ecology's
    ("REPORT", {"stats": {"top_genotypes": [["0080aaa", 80, 5]]}}, "a list of 4 items"),
    ("REPORT", {"stats": {"top_genotypes": [["\x1b[2J", 80, 5, "0666god"]]}},
     r"top_genotypes\[0\]\[0\]"),
    ("REPORT", {"stats": {"top_genotypes": [["0080aaa", 80, 5, "0666god"]] * 65}}, "65 items"),
    ("REPORT", {"stats": {"soup": {"segments": 2, "names": ["0080aaa"], "runs": [[1, 2]],
                                   "held": [8, 8]}}}, "the soup map in `stats` is whole"),
    ("REPORT", {"stats": {"soup": {"segments": 2, "names": [], "runs": [[-1, 3]],
                                   "held": [0, 0]}}}, "the soup map in `stats` is whole"),
    ("REPORT", {"stats": {"soup": {"segments": 1, "names": [], "runs": [[-1, 1]],
                                   "held": [0], "energy": []}}}, "the soup map"),
    ("REPORT", {"stats": {"soup": {"segments": 1, "runs": [[-1, 1]], "held": [0]}}},
     "the soup map"),
    ("REPORT", {"stats": {"soup": {"segments": 1, "names": [], "runs": [[-1, 1]],
                                   "held": [9]}}}, r"held\[0\]: 9 is outside"),
    ("REPORT", {"stats": {"energy": {"mean": 1e300}}}, "energy.mean: 1e\\+300 is outside"),
    ("REPORT", {"stats": {"energy": {"mean": 1.0, "peak": 2}}}, "unknown key 'peak'"),
    ("REPORT", {"stats": {"tasks": {"NAND": -1}}}, r"tasks\['NAND'\]: -1 is outside"),
    ("REPORT", {"stats": {"resources": {"strip": [1.0] * 4097}}}, "4097 items"),
    # the report's own figures
    ("REPORT", {"digest": b"d" * 31}, "REPORT.digest: 31 bytes, outside exactly 32 bytes"),
    ("REPORT", {"steps": MAX_BATCH_STEPS + 1}, "REPORT.steps"),
    ("REPORT", {"population": 2**32 - 1}, "REPORT.population"),
    ("REPORT", {"emigrants": [b"g"] * 65}, "REPORT.emigrants: 65 items"),
    ("REPORT", {"emigrants": [b""]}, r"REPORT.emigrants\[0\]: 0 bytes"),
    ("REPORT", {"emigrants": [b"g" * (2**20 + 1)]}, r"REPORT.emigrants\[0\]: 1048577 bytes"),
    ("REPORT", {"consumed": [1] * (2**16 + 1)}, "REPORT.consumed: 65537 items"),
    # peer strings
    ("HELLO", {"worker_id": "w\n12:00:00 bytebiota server: forged"}, "HELLO.worker_id"),
    ("HELLO", {"worker_id": "\x1b[31mred"}, "HELLO.worker_id"),
    ("HELLO", {"worker_id": "a b"}, "HELLO.worker_id"),
    ("HELLO", {"worker_id": "w" * 129}, "HELLO.worker_id: 129 characters"),
    ("HELLO", {"worker_id": "wörker"}, "HELLO.worker_id"),
    ("HELLO", {"worker_id": ""}, "HELLO: fields disagree: a worker"),
    ("HELLO", {"host": "box\r\nX"}, "HELLO.host: .* unprintable"),
    ("HELLO", {"host": "x" * 257}, "HELLO.host: 257 characters"),
    ("HELLO", {"software": "\u202eexe.txt"}, "HELLO.software"),  # a bidi override
    ("HELLO", {"software": "a\tb"}, "HELLO.software"),
    ("HELLO", {"role": 0}, "HELLO.role: 0 is not one of 1 \\(worker\\), 2 \\(monitor\\)"),
    ("HELLO", {"cores": 0}, "HELLO: fields disagree"),
    ("HELLO", {"cores": 4097}, "HELLO.cores"),
    ("HELLO", {"incarnation": 2**63}, "HELLO.incarnation"),
    ("BYE", {"reason": "done\nforged"}, "BYE.reason"),
    ("BYE", {"reason": "x" * 4097}, "BYE.reason: 4097 characters"),
    ("REJECT", {"reason": "\x07", "retry": False}, "REJECT.reason"),
    # the others
    ("AUTH", {"mac": b"m" * 31}, "AUTH.mac"),
    ("CHALLENGE", {"nonce": b"", "server_id": "s"}, "CHALLENGE.nonce"),
    ("LEASE_REQUEST", {"capacity": 0}, "LEASE_REQUEST.capacity: 0 is outside 1"),
    ("LEASE_REQUEST", {"capacity": 65535}, "LEASE_REQUEST.capacity"),
    ("LEASE", {"batch_steps": 0}, "LEASE.batch_steps"),
    ("LEASE", {"batch_sizes": [3]}, "LEASE: fields disagree"),
    ("LEASE", {"batches": [4, 5]}, "LEASE: fields disagree"),
    ("LEASE", {"genomes": [b""]}, r"LEASE.genomes\[0\]"),
    ("VALIDATE", {"entered": [1]}, "VALIDATE: fields disagree"),
    ("VALIDATE", {"entered": [0, 2]}, "VALIDATE: fields disagree"),
    ("VALIDATE", {"steps": [10, MAX_BATCH_STEPS + 1]}, r"VALIDATE.steps\[1\]"),
    ("VALIDATION_RESULT", {"job": 1, "fingerprints": [b"f" * 33]},
     r"VALIDATION_RESULT.fingerprints\[0\]"),
    ("VALIDATION_RESULT", {"job": 1, "fingerprints": [b"f" * 32] * (MAX_SPAN_BATCHES + 1)},
     "VALIDATION_RESULT.fingerprints: 2001 items"),
    ("SNAPSHOT", {"island": 1, "epoch": 1, "seq": 1, "data": b""}, "SNAPSHOT.data"),
    ("REPORT_ACK", {"island": 1, "epoch": 1, "seq": 1, "status": 4, "immigrants": [],
                    "batches": [], "batch_sizes": []}, "REPORT_ACK.status"),
    ("NO_WORK", {"retry_after": -1.0}, "NO_WORK.retry_after"),
    ("WELCOME", {"session": 1, "heartbeat_interval": 0.0, "config": {}, "enrolment": b""},
     "WELCOME.heartbeat_interval"),
    ("WELCOME", {"session": 1, "heartbeat_interval": 1.0, "config": {"A": [[[[1]]]]},
                 "enrolment": b""},
     "WELCOME.config"),
    ("STATUS", {"data": {"totals": [], "workers": [], "islands": []}}, "STATUS.data.totals"),
    ("STATUS", {"data": {"workers": {}}}, "STATUS.data.workers: a list"),
]


@pytest.mark.parametrize(("name", "changes", "fragment"), REFUSED,
                         ids=[f"{n}-{'-'.join(c)}-{k}" for k, (n, c, _) in enumerate(REFUSED)])
def test_misfits_are_refused_at_arrival(name: str, changes: dict[str, Any],
                                        fragment: str) -> None:
    message = Message(name, {**BASES.get(name, {}), **changes})
    with pytest.raises(RemoteProtocolError, match=fragment) as caught:
        decode(message.code, encode(message))
    text = str(caught.value)
    assert text.isascii() and text.isprintable(), text  # safe to log and to print
    assert len(text) < 300, text


@pytest.mark.parametrize("name", sorted(BASES))
def test_the_bases_pass(name: str) -> None:
    message = make(name, **BASES[name])
    assert arrive(message) == message


@pytest.mark.parametrize("text", [b'{"step": NaN}', b'{"step": Infinity}',
                                  b'{"sizes": [[1, -Infinity]]}', b"[" * 100_000,
                                  b'{"step": ' + b"9" * 5000 + b"}"])
def test_json_beyond_the_standard_is_refused(text: bytes) -> None:
    """Python's json reads NaN and Infinity (and deep nesting, up to its recursion limit):
    a peer's json may not carry them."""
    with pytest.raises(RemoteProtocolError, match=r"STATUS\.data: not JSON"):
        decode(CODES["STATUS"], struct.pack(">I", len(text)) + text)


def test_validate_is_what_decode_applies() -> None:
    message = Message("REPORT", {**REPORT, "stats": {"sizes": "abc"}})
    with pytest.raises(RemoteProtocolError, match=r"REPORT\.stats\.sizes"):
        validate(message)
    assert worker_id_problem("a b") is not None and worker_id_problem("") is not None


def test_the_stats_schema_is_a_table_a_figure_is_one_line() -> None:
    """How another figure joins (see REPORT_STATS in protocol/messages.py)."""
    assert isinstance(REPORT_STATS, Obj) and set(REPORT_STATS.fields) >= {"step", "sizes",
                                                                            "mutations"}
    extended = Obj({**REPORT_STATS.fields, "energy": Obj({"mean": Num(0, 1e12),
                                                          "broke": Int(0, MAX_CELLS)})})
    extended.check({"energy": {"mean": 1.5, "broke": 2}, "step": 3}, "stats")
    with pytest.raises(RemoteProtocolError, match=r"stats.energy.mean: .* outside"):
        extended.check({"energy": {"mean": float("inf")}}, "stats")


def test_any_json_bounds_depth_without_recursion() -> None:
    deep: Any = 1
    for _ in range(10_000):
        deep = [deep]
    with pytest.raises(RemoteProtocolError, match="nested more than 6 deep"):
        AnyJson(6).check(deep, "x")
    AnyJson(2).check({"a": [1, 2], "b": None}, "x")
    assert (number(2**40), number(2**53 - 1), number(4096)) == ("2^40", "2^53 - 1", "4,096")
