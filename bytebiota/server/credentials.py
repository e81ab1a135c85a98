"""Per-worker credentials: who may lease, report and vote, one secret per worker.

The store is one JSON file, ``DATA_BASE_DIR/credentials.json``, mode 0600, written atomically
under an advisory lock (``credentials.lock``) so that ``bytebiota server enroll`` or
``revoke`` on the server's machine and the running server (which enrols workers by the
shared token when WORKER_ENROLMENT=token) never lose each other's changes. The running server
re-reads the file when it changes, so a revocation takes effect within a second.

Each entry: the worker's name (its worker id: what leases, reports, votes and quarantine
are bound to), its secret (hex), how it was issued (``operator`` or ``token``), when, and
when it was revoked (a revoked name is refused until an operator enrols it again).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bytebiota.errors import ConfigError
from bytebiota.netcommon import check_private, write_private

STORE = "credentials.json"


class Credentials:
    def __init__(self, data_dir: str | Path) -> None:
        self.path = Path(data_dir) / STORE
        self.entries: dict[str, dict[str, Any]] = {}
        self.stamp: tuple[int, int] | None = None
        self.mutex = threading.Lock()  # (the server enrols in executor threads)
        self.reload()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size

    def reload(self) -> bool:
        """Read the file again if it changed; True when it did."""
        if self.mutex.locked():
            return False  # (being written by this process: it has the latest)
        stamp = self._stamp()
        if stamp == self.stamp:
            return False
        self.stamp = stamp
        self.entries = self._read()
        return True

    def _read(self) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
        check_private(self.path)
        try:
            data = json.loads(self.path.read_text())
            entries = data["workers"]
            if not isinstance(entries, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise ConfigError(f"{self.path}: not a credentials file (damaged?); restore it "
                              "from a backup or remove it and enrol the workers again") from None
        return entries

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.path.with_suffix(".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            self.mutex.acquire()
            fcntl.flock(fd, fcntl.LOCK_EX)
            self.entries = self._read()  # (the latest, under the lock)
            yield
            write_private(self.path, json.dumps({"workers": self.entries}, indent=1) + "\n")
            self.stamp = self._stamp()
        finally:
            os.close(fd)
            if self.mutex.locked():
                self.mutex.release()

    def secret(self, name: str) -> bytes | None:
        """The secret of an enrolled, unrevoked worker; None otherwise."""
        entry = self.entries.get(name)
        if entry is None or entry.get("revoked"):
            return None
        return bytes.fromhex(entry["secret"])

    def state(self, name: str) -> str | None:
        """"active", "revoked" or None (never enrolled)."""
        entry = self.entries.get(name)
        if entry is None:
            return None
        return "revoked" if entry.get("revoked") else "active"

    def revoked(self) -> list[str]:
        return sorted(n for n, e in self.entries.items() if e.get("revoked"))

    def enrol(self, name: str, secret: bytes | None = None, origin: str = "operator") -> bytes:
        """Issue ``name`` a credential (a fresh random one unless given), replacing any
        earlier one; returns it."""
        secret = secret if secret is not None else secrets.token_bytes(32)
        with self._locked():
            self.entries[name] = {"secret": secret.hex(), "origin": origin,
                                  "issued": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                  "revoked": None}
        return secret

    def revoke(self, name: str) -> bool:
        with self._locked():
            entry = self.entries.get(name)
            if entry is None or entry.get("revoked"):
                return False
            entry["revoked"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return True

    def listing(self) -> list[dict[str, Any]]:
        return [{"name": n, "origin": e.get("origin"), "issued": e.get("issued"),
                 "revoked": e.get("revoked")} for n, e in sorted(self.entries.items())]
