"""``bytebiota status``: one snapshot of the server's state over a read-only monitor session."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

from bytebiota import __version__, core
from bytebiota.config import Config
from bytebiota.errors import Failure
from bytebiota.netcommon import Stream, find_token, parse_server_url
from bytebiota.protocol import RemoteProtocolError
from bytebiota.protocol.connection import CLIENT, Connection, auth_mac
from bytebiota.protocol.messages import MONITOR, make

TIMEOUT = 10.0


async def fetch(host: str, port: int, token: str) -> dict[str, Any]:
    reader, writer = await asyncio.open_connection(host, port)
    stream = Stream(Connection(CLIENT, role=MONITOR), reader, writer)
    try:
        await stream.send(make("HELLO", role=MONITOR, worker_id="", host=socket.gethostname(),
                               cores=0, memory_mb=0, compiled=core.COMPILED,
                               software=f"bytebiota {__version__}"))
        challenge = await stream.receive()
        if challenge is None or challenge.name != "CHALLENGE":
            raise Failure("the server refused the session")
        await stream.send(make("AUTH", mac=auth_mac(token, challenge["nonce"], MONITOR, "")))
        welcome = await stream.receive()
        if welcome is None or welcome.name != "WELCOME":
            reason = welcome["reason"] if welcome is not None else "closed"
            raise Failure(f"the server refused the session: {reason}")
        await stream.send(make("STATUS_REQUEST"))
        status = await stream.receive()
        if status is None or status.name != "STATUS":
            raise Failure("the server closed the session")
        await stream.send(make("BYE", reason="done"))
        data: dict[str, Any] = status["data"]
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
        "",
        f"workers ({len(data['workers'])})",
    ]
    for w in data["workers"]:
        lines.append(f"  {w['id']:<28} islands {w['islands']}  last seen {w['last_seen_s']} s")
    lines += ["", f"islands ({len(data['islands'])})"]
    for i in data["islands"]:
        lines.append(f"  {i['id']:>3}  epoch {i['epoch']:>3}  worker {i['worker'] or '-':<28} "
                     f"steps {i['steps']:>14,}  cells {i['population']:>5}  immigrants "
                     f"{i['immigrants']}")
    return "\n".join(lines)


def command(args: Any, config: Config) -> None:
    url = config.network.bytebiota_server_url or config.network.server_url
    host, port = parse_server_url(url)
    token = find_token(config.network.server_token, config.global_.data_base_dir)
    try:
        data = asyncio.run(asyncio.wait_for(fetch(host, port, token), TIMEOUT))
    except TimeoutError:
        raise Failure(f"server {host}:{port} did not answer within {TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise Failure(f"server {host}:{port} unreachable: {exc.strerror or exc}") from None
    except RemoteProtocolError as exc:
        raise Failure(f"server {host}:{port}: protocol error: {exc}") from None
    print(json.dumps(data, indent=2) if args.json else text(data))
