"""The per-address token bucket of the server's abuse resistance."""

from __future__ import annotations

from bytebiota.server.guard import AddressGuard


def test_an_address_is_refused_after_its_burst_and_forgiven_over_time() -> None:
    guard = AddressGuard(burst=3, rate=0.5)
    for _ in range(3):
        assert guard.allow("10.0.0.1", 0.0)
        guard.fail("10.0.0.1", 0.0)
    assert not guard.allow("10.0.0.1", 0.0)
    assert guard.allow("10.0.0.2", 0.0)  # other addresses are not affected
    assert not guard.allow("10.0.0.1", 1.0)  # half a token back
    assert guard.allow("10.0.0.1", 2.0)  # a whole one
    assert guard.refused == 2


def test_the_table_is_bounded() -> None:
    guard = AddressGuard(burst=1, rate=0.0)
    guard.MAX_ADDRESSES = 100
    for k in range(1000):
        guard.fail(f"10.0.{k // 256}.{k % 256}", 0.0)
    assert len(guard.buckets) == 100
    assert guard.allow("10.0.0.0", 0.0)  # forgotten: the oldest went first
    assert not guard.allow("10.0.3.231", 0.0)
