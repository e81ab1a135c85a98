"""What server, worker and monitor share at the network edge: addresses, the token, the
asyncio stream pump around a sans-IO ``Connection``, and the event loop policy."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import stat
from pathlib import Path
from urllib.parse import urlsplit

from bytebiota.errors import ConfigError
from bytebiota.protocol.connection import Connection
from bytebiota.protocol.messages import Message

TOKEN_FILE = "server.token"
READ_SIZE = 65536


def parse_server_url(url: str) -> tuple[str, int]:
    """``host:port``, ``tcp://host:port``, or a legacy ``http://host:port`` -> (host, port)."""
    text = url.strip()
    if "://" not in text:
        text = "tcp://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("tcp", "http", "https", "ws", "wss") or not parts.hostname:
        raise ConfigError(f"SERVER_URL={url!r}: expected host:port or tcp://host:port")
    try:
        port = parts.port or 8080
    except ValueError:
        raise ConfigError(f"SERVER_URL={url!r}: the port is not a number in 0..65535") from None
    return parts.hostname, port


def token_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / TOKEN_FILE


def load_or_create_token(configured: str | None, data_dir: str | Path) -> tuple[str, Path | None]:
    """The server's token: SERVER_TOKEN, else the stored one, else a new one stored with mode
    0600 (returns the path when it was read or created there)."""
    if configured:
        return configured, None
    path = token_path(data_dir)
    if path.exists():
        return path.read_text().strip(), path
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token, path


def find_token(configured: str | None, data_dir: str | Path) -> str:
    """A client's token: SERVER_TOKEN, else the server's file in the same data directory."""
    if configured:
        return configured
    path = token_path(data_dir)
    if path.exists():
        return path.read_text().strip()
    raise ConfigError(
        f"no SERVER_TOKEN set and no {path}: set SERVER_TOKEN to the server's token "
        "(the server prints where it stored it)"
    )


class Stream:
    """A sans-IO connection over an asyncio stream: send messages, await messages."""

    def __init__(self, connection: Connection, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.connection = connection
        self.reader = reader
        self.writer = writer

    async def send(self, message: Message) -> None:
        """Send one message; a transport that closed meanwhile is a ConnectionError, as
        with the stdlib loop (uvloop raises RuntimeError for a write to a closed one)."""
        data = self.connection.send(message)
        try:
            self.writer.write(data)
            await self.writer.drain()
        except RuntimeError as exc:  # uvloop: "unable to perform operation on <TCP...>"
            raise ConnectionResetError(str(exc)) from None

    async def receive(self) -> Message | None:
        """The next message, or None when the connection is over (the peer closed it, or
        one side said goodbye: what still arrives after our BYE is not for us)."""
        while not self.connection.closed:
            event = self.connection.next_event()
            if event is not None:
                return event
            data = await self.reader.read(READ_SIZE)
            if not data:
                return None
            self.connection.receive_data(data)
        return None

    async def close(self) -> None:
        with contextlib.suppress(ConnectionError, OSError, RuntimeError):  # (uvloop: closed)
            self.writer.close()
            await self.writer.wait_closed()


def install_fast_loop() -> str:
    """Use uvloop when it is installed; returns the loop's name."""
    try:
        import uvloop
    except ImportError:
        return "asyncio"
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return "uvloop"
