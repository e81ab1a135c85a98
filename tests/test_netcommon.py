"""Server addresses and the shared token."""

from __future__ import annotations

from pathlib import Path

import pytest

from bytebiota.errors import ConfigError
from bytebiota.netcommon import find_token, load_or_create_token, parse_server_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("localhost:8080", ("localhost", 8080)),
        ("tcp://10.0.0.5:9000", ("10.0.0.5", 9000)),
        ("http://server:8080", ("server", 8080)),  # the seed's legacy form
        ("http://server", ("server", 8080)),
        ("tcp://[::1]:7000", ("::1", 7000)),
    ],
)
def test_server_urls(url: str, expected: tuple[str, int]) -> None:
    assert parse_server_url(url) == expected


@pytest.mark.parametrize("url", ["ftp://x:1", "tcp://:8080", "host:99999", "host:port"])
def test_bad_server_urls(url: str) -> None:
    with pytest.raises(ConfigError, match="SERVER_URL"):
        parse_server_url(url)


def test_the_token_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    token, path = load_or_create_token(None, tmp_path)
    assert path is not None and oct(path.stat().st_mode & 0o777) == "0o600"
    assert load_or_create_token(None, tmp_path) == (token, path)
    assert find_token(None, tmp_path) == token
    assert load_or_create_token("given", tmp_path) == ("given", None)
    with pytest.raises(ConfigError, match="SERVER_TOKEN"):
        find_token(None, tmp_path / "elsewhere")


@pytest.mark.parametrize("loop_kind", ["asyncio", "uvloop"])
def test_a_send_on_a_closed_connection_is_a_connection_error(loop_kind: str) -> None:
    # uvloop raises RuntimeError for a write to a closed transport; the worker's session
    # handles ConnectionError and reconnects, so a RuntimeError used to kill the worker
    # (seen when a server was killed while a heartbeat was being sent).
    import asyncio

    from bytebiota.netcommon import Stream
    from bytebiota.protocol.connection import CLIENT, Connection
    from bytebiota.protocol.messages import WORKER, make

    async def scenario() -> None:
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        stream = Stream(Connection(CLIENT, role=WORKER), reader, writer)
        writer.close()
        await writer.wait_closed()
        hello = make("HELLO", role=WORKER, worker_id="w", host="h", cores=1, memory_mb=0,
                     compiled=False, software="test", incarnation=1, credential=False)
        with pytest.raises(ConnectionError):
            await stream.send(hello)
        server.close()

    if loop_kind == "uvloop":
        uvloop = pytest.importorskip("uvloop")
        uvloop.run(scenario())
    else:
        asyncio.run(scenario())
