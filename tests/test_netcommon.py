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
