"""The wire protocol, sans-IO: frames, typed messages, per-role state machines, auth.

Nothing here does I/O or imports asyncio or socket: a ``Connection`` takes bytes in
(``receive_data``), hands messages out (``next_event``), and turns messages into bytes
(``send``). The server, the worker and the monitor wrap it in a tiny asyncio edge.
docs/protocol.md specifies the wire format.
"""

from bytebiota.protocol.errors import (
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    VersionMismatch,
)

__all__ = ["LocalProtocolError", "ProtocolError", "RemoteProtocolError", "VersionMismatch"]
