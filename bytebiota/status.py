"""``bytebiota status``: one snapshot of the server's state over a read-only monitor session."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

from bytebiota import __version__, core
from bytebiota.config import Config
from bytebiota.errors import Failure
from bytebiota.netcommon import Stream, find_monitor_token, parse_server_url, shown
from bytebiota.protocol import RemoteProtocolError
from bytebiota.protocol.connection import CLIENT, Connection, auth_mac
from bytebiota.protocol.messages import MONITOR, make

TIMEOUT = 10.0
BUSY = ("the server closed the connection before the challenge: it is busy "
        "(MAX_PENDING_CONNECTIONS handshakes under way) or refuses this address for now; "
        "try again")


async def open_monitor(host: str, port: int, token: str) -> Stream:
    """A read-only monitor session, authenticated; Failure if the server refuses it."""
    reader, writer = await asyncio.open_connection(host, port)
    stream = Stream(Connection(CLIENT, role=MONITOR), reader, writer)
    try:
        try:
            await stream.send(make("HELLO", role=MONITOR, worker_id="",
                                   host=socket.gethostname(), cores=0, memory_mb=0,
                                   compiled=core.COMPILED, software=f"bytebiota {__version__}",
                                   incarnation=0, credential=False))
            challenge = await stream.receive()
        except ConnectionError:  # (closed on arrival, and our HELLO met the reset)
            challenge = None
        if challenge is None:
            raise Failure(BUSY)
        if challenge.name != "CHALLENGE":
            raise Failure("the server refused the session")
        await stream.send(make("AUTH", mac=auth_mac(token, challenge["nonce"], MONITOR, "")))
        welcome = await stream.receive()
        if welcome is None or welcome.name != "WELCOME":
            reason = welcome["reason"] if welcome is not None else "closed"
            raise Failure(f"the server refused the session: {reason}")
    except BaseException:
        await stream.close()
        raise
    return stream


async def request_status(stream: Stream, island: int = -1) -> dict[str, Any]:
    """The server's STATUS (with island ``island``'s soup map; -1: none)."""
    await stream.send(make("STATUS_REQUEST", island=island))
    status = await stream.receive()
    if status is None or status.name != "STATUS":
        raise Failure("the server closed the session")
    data: dict[str, Any] = status["data"]
    return data


async def fetch(host: str, port: int, token: str, island: int = -1) -> dict[str, Any]:
    stream = await open_monitor(host, port, token)
    try:
        data = await request_status(stream, island)
        await stream.send(make("BYE", reason="done"))
        return data
    finally:
        await stream.close()


def text(data: dict[str, Any]) -> str:
    t = data["totals"]
    lines = [
        f"steps {t['steps']:,}  population {t['population']:,}  reports accepted "
        f"{t['reports_accepted']:,} (duplicate {t['reports_duplicate']}, stale "
        f"{t['reports_stale']}, rolled back {t['reports_rolled_back']})  migrants "
        f"{t['migrants']:,}",
    ]
    if "steps_verified" in t and data.get("validation", {}).get("rate", 0) > 0:
        verified = t["steps_verified"]
        share = 100.0 * verified / t["steps"] if t["steps"] else 0.0
        lines.append(f"credit: {verified:,} steps confirmed by a second result ({share:.1f} %), "
                     f"{t['steps'] - verified:,} pending (unconfirmed: undone if their "
                     "producer is caught cheating)")
    from bytebiota import health
    from bytebiota.tui.model import State

    state = State()
    state.apply_status(data)
    if data.get("health"):
        lines.append(f"health: {health.summary(data['health'])}")
    lines += state.ecology_lines()
    disk = data.get("server", {}).get("disk", "ok")
    if disk != "ok":
        lines.append(f"DISK: {disk}; nothing is acknowledged until it can be written")
    v = data.get("validation")
    if v is not None:
        lines.append(
            f"validation at rate {v['rate']}: {v['opened']} spans checked, {v['verified']} "
            f"verified, {v['failed']} failed, {v['inconclusive']} inconclusive, {v['open']} "
            f"open ({v['disputed_open']} in dispute); {t.get('reports_invalid', 0)} reports "
            "invalidated")
    lines += ["", f"workers ({len(data['workers'])})"]
    for w in data["workers"]:
        job = f"  validating job {w['job']}" if w.get("job") is not None else ""
        lines.append(f"  {shown(w['id'], 64):<28} {shown(w.get('host', ''), 32):<16} islands "
                     f"{w['islands']}  last seen {w['last_seen_s']} s" + job)
    quarantined = data.get("quarantined", [])
    if quarantined:
        lines += ["", f"quarantined ({len(quarantined)}; `bytebiota release ID` on the "
                  "server lets one work again)"]
        for q in quarantined:
            lines.append(f"  {shown(q['id'], 64):<28} {shown(q['reason'], 200)}")
    lines += ["", f"islands ({len(data['islands'])})"]
    for i in data["islands"]:
        lines.append(f"  {i['id']:>3}  epoch {i['epoch']:>3}  worker "
                     f"{shown(i['worker'] or '-', 64):<28} "
                     f"steps {i['steps']:>14,}  cells {i['population']:>5}  immigrants "
                     f"{i['immigrants']}")
    return "\n".join(lines)


def command(args: Any, config: Config) -> None:
    url = config.network.bytebiota_server_url or config.network.server_url
    host, port = parse_server_url(url)
    token = find_monitor_token(config.network.monitor_token, config.network.server_token,
                               config.global_.data_base_dir)
    try:
        data = asyncio.run(asyncio.wait_for(fetch(host, port, token, args.island), TIMEOUT))
    except TimeoutError:
        raise Failure(f"server {host}:{port} did not answer within {TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise Failure(f"server {host}:{port} unreachable: {exc.strerror or exc}") from None
    except RemoteProtocolError as exc:
        raise Failure(f"server {host}:{port}: protocol error: {exc}") from None
    print(json.dumps(data, indent=2) if args.json else text(data))


class MonitorProducer:
    """The dashboard's producer for ``bytebiota monitor``: one monitor session, a STATUS a
    second; when the server is unreachable it says so and keeps retrying."""

    POLL_SECONDS = 1.0
    RETRY_SECONDS = 2.0

    def __init__(self, host: str, port: int, token: str) -> None:
        from bytebiota.tui.model import State
        from bytebiota.tui.views import Extras

        self.host, self.port, self.token = host, port, token
        self.state = State(regime="server")
        self.extras = Extras(label="monitor", keys="q quit  p pause  m map  i island  "
                             "g genotypes/islands  ? keys", exit_when_done=False)
        self.stream: Stream | None = None
        self.next_poll = 0.0
        self.island = 0  # whose soup map the map panel shows

    async def astep(self, seconds: float) -> bool:
        import time

        now = time.monotonic()
        if now < self.next_poll:
            await asyncio.sleep(min(seconds, self.next_poll - now))
            return True
        try:
            if self.stream is None:
                self.stream = await asyncio.wait_for(
                    open_monitor(self.host, self.port, self.token), TIMEOUT)
            status = await asyncio.wait_for(request_status(self.stream, self.island), TIMEOUT)
        except (OSError, TimeoutError, RemoteProtocolError, Failure) as exc:
            if self.stream is not None:
                await self.stream.close()
                self.stream = None
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.extras.message = (f"server {self.host}:{self.port} unreachable "
                                   f"({reason or 'timeout'}); retrying")
            self.next_poll = time.monotonic() + self.RETRY_SECONDS
            return True
        self.state.apply_status(status)
        self.extras.message = f"server {self.host}:{self.port}"
        self.next_poll = time.monotonic() + self.POLL_SECONDS
        return True

    def step(self, seconds: float) -> bool:  # the app uses astep
        return True

    def key(self, key: str) -> str | None:
        from bytebiota.tui.app import common_key

        if key in ("i", "I"):  # the next island's soup map
            ids = sorted(int(i["id"]) for i in self.state.islands)
            if not ids:
                return "no islands yet"
            later = [i for i in ids if i > self.island]
            self.island = later[0] if later else ids[0]
            self.next_poll = 0.0
            if not self.extras.map_mode:
                self.extras.map_mode = "genotypes"
            return f"soup map of island {self.island}"
        if key in ("g", "G"):
            self.extras.genotypes = not self.extras.genotypes
            return "top genotypes of all islands (island/name)" if self.extras.genotypes \
                else "islands"
        return common_key(self.extras, key, self.state)  # p pauses the polling


def command_monitor(args: Any, config: Config) -> None:
    import sys

    url = config.network.bytebiota_server_url or config.network.server_url
    host, port = parse_server_url(url)
    token = find_monitor_token(config.network.monitor_token, config.network.server_token,
                               config.global_.data_base_dir)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise Failure("monitor needs a terminal; use `bytebiota status` (--json) in scripts")
    from bytebiota.tui import app

    app.run(MonitorProducer(host, port, token), config.logging.refresh_hz)
