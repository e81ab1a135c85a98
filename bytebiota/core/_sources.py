"""Which core modules are compiled, and a digest of their sources.

This file is plain Python on purpose: `setup.py` loads it by path (before the package
exists) to learn what to hand to mypyc, and `bytebiota.core` uses it at import time to tell a
compiled core built from the current sources from a stale one. It is never compiled itself.

Exclusions from compilation, each with its reason:
- `__init__.py`: it chooses between the compiled and the pure core, so it must run as Python;
- `_sources.py` (this file): build-time helper, needed before anything is compiled;
- `_stamp.py`: generated at build time; holds the digest of the sources that were compiled.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

EXCLUDED = frozenset({"__init__.py", "_sources.py", "_stamp.py"})


def compiled_sources(core_dir: Path) -> list[Path]:
    """The core modules mypyc compiles, in a stable order."""
    return sorted(p for p in core_dir.glob("*.py") if p.name not in EXCLUDED)


def source_digest(core_dir: Path) -> str:
    """SHA-256 over the names and bytes of the compiled modules' sources."""
    h = hashlib.sha256()
    for path in compiled_sources(core_dir):
        h.update(path.name.encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()
