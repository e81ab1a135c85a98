"""What server, worker and monitor share at the network edge: addresses, the token, the
asyncio stream pump around a sans-IO ``Connection``, and the event loop policy."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import stat
from pathlib import Path
from urllib.parse import urlsplit

from bytebiota.errors import ConfigError
from bytebiota.protocol.connection import Connection
from bytebiota.protocol.messages import Message

TOKEN_FILE = "server.token"
MONITOR_TOKEN_FILE = "monitor.token"  # read-only: monitor sessions only
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


def monitor_token_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / MONITOR_TOKEN_FILE


def check_private(path: Path) -> None:
    """A secret file must be its owner's alone: ConfigError (one line) if the group or
    others may read or write it."""
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise ConfigError(f"{path} holds a secret but has mode {mode:04o} (others may read "
                          f"it): run `chmod 600 {path}` if nobody else did, else replace the "
                          "secret")


def read_private(path: Path) -> str:
    check_private(path)
    return path.read_text().strip()


def write_private(path: Path, text: str) -> None:
    """``text`` in ``path``, mode 0600 from the start, atomically and durably."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    try:
        os.fchmod(fd, stat.S_IRUSR | stat.S_IWUSR)  # (an old file of that name kept its mode)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)


def load_or_create_secret(configured: str | None, path: Path) -> tuple[str, Path | None]:
    """A server secret: the configured one, else the one stored in ``path``, else a new one
    stored there with mode 0600 (returns the path when it was read or created there)."""
    if configured:
        return configured, None
    if path.exists():
        return read_private(path), path
    token = secrets.token_urlsafe(32)
    write_private(path, token + "\n")
    return token, path


def load_or_create_token(configured: str | None, data_dir: str | Path) -> tuple[str, Path | None]:
    """The server's token: SERVER_TOKEN, else the stored one, else a new one (0600)."""
    return load_or_create_secret(configured, token_path(data_dir))


def find_token(configured: str | None, data_dir: str | Path) -> str:
    """A client's token: SERVER_TOKEN, else the server's file in the same data directory."""
    if configured:
        return configured
    path = token_path(data_dir)
    if path.exists():
        return read_private(path)
    raise ConfigError(
        f"no SERVER_TOKEN set and no {path}: set SERVER_TOKEN to the server's token "
        "(the server prints where it stored it)"
    )


def find_monitor_token(monitor: str | None, server: str | None, data_dir: str | Path) -> str:
    """A monitor's secret: MONITOR_TOKEN, else SERVER_TOKEN when set (the server accepts
    both), else the server's monitor.token in the same data directory, else its token file:
    the operator's own machine."""
    if monitor:
        return monitor
    if server:
        return server
    path = monitor_token_path(data_dir)
    if path.exists():
        return read_private(path)
    if server or token_path(data_dir).exists():
        return find_token(server, data_dir)
    raise ConfigError(
        f"no MONITOR_TOKEN set and no {path}: set MONITOR_TOKEN to the content of the "
        "server's monitor.token (it opens read-only sessions)"
    )


def credential_path(config_path: str | None, data_dir: str | Path, worker_id: str) -> Path:
    """Where a worker's own credential lives: WORKER_CREDENTIAL, else under its data
    directory, named after the worker."""
    if config_path:
        return Path(config_path)
    return Path(data_dir) / "credentials" / f"worker-{safe_name(worker_id)}.credential"


def read_credential(path: Path) -> tuple[str, bytes]:
    """(worker id, secret) from a credential file (``bytebiota server enroll`` wrote it)."""
    try:
        data = json.loads(read_private(path))
        name, secret = str(data["worker_id"]), bytes.fromhex(data["secret"])
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"{path}: not a ByteBiota credential file") from None
    if len(secret) < 16:
        raise ConfigError(f"{path}: the secret is too short")
    return name, secret


def write_credential(path: Path, worker_id: str, secret: bytes) -> None:
    write_private(path, json.dumps({"worker_id": worker_id, "secret": secret.hex()}) + "\n")


def safe_name(name: str) -> str:
    """``name`` as a file name: letters, digits, -_. kept, anything else _."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "worker"


def shown(text: str, limit: int = 80) -> str:
    """A peer's string for a log line or a table: control characters (newlines, ANSI
    escapes) escaped, at most ``limit`` characters, so it cannot forge or garble output."""
    out = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return out if len(out) <= limit else out[: limit - 1] + "…"


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
