"""Protocol errors: whose fault it was decides what happens next."""

from __future__ import annotations


class ProtocolError(Exception):
    """Base class."""


class RemoteProtocolError(ProtocolError):
    """The peer misbehaved (bad frame, unknown type, wrong state, too large): close that
    connection with a logged reason; everyone else carries on."""


class LocalProtocolError(ProtocolError):
    """We misused the protocol (sent a message the state does not allow): a bug of ours."""


class VersionMismatch(RemoteProtocolError):
    """The peer speaks another protocol version: no retry can help (an upgrade can)."""
