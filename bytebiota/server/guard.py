"""Abuse resistance without I/O: a token bucket per address for handshake failures.

Each address may cause AUTH_FAILURE_BURST failures (a wrong token, a protocol error, a
handshake timeout) at once; the bucket refills at AUTH_FAILURE_RATE per second. While an
address's bucket is empty its new connections are closed on arrival, before any byte is
read. The table is bounded (MAX_ADDRESSES, least recently seen forgotten first), so a flood
from many addresses cannot grow it without limit.
"""

from __future__ import annotations

from collections import OrderedDict


class AddressGuard:
    MAX_ADDRESSES = 65_536

    def __init__(self, burst: int, rate: float) -> None:
        self.burst = float(burst)
        self.rate = rate
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, when
        self.refused = 0

    def _tokens(self, address: str, now: float) -> float:
        tokens, then = self.buckets.get(address, (self.burst, now))
        return min(self.burst, tokens + (now - then) * self.rate)

    def allow(self, address: str, now: float) -> bool:
        if address not in self.buckets:
            return True
        if self._tokens(address, now) >= 1.0:
            return True
        self.refused += 1
        return False

    def fail(self, address: str, now: float) -> None:
        self.buckets[address] = (max(0.0, self._tokens(address, now) - 1.0), now)
        self.buckets.move_to_end(address)
        while len(self.buckets) > self.MAX_ADDRESSES:
            self.buckets.popitem(last=False)
