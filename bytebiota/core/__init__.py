"""The simulation core: compiled by mypyc as one unit when it can be, pure Python otherwise.

This module is the one switch between the two. It reads ``BYTEBIOTA_CORE``:

- ``auto`` (the default): the compiled core when it is built and current, else the pure one
  (with a warning on stderr when a compiled build exists but is stale);
- ``compiled``: the compiled core or an error (``CoreUnavailable``), never a silent fallback;
- ``pure``: the Python sources, even when a compiled build sits beside them.

The test suite runs once with ``BYTEBIOTA_CORE=compiled`` and once with ``BYTEBIOTA_CORE=pure``.

Invariants: ``COMPILED`` tells which core every ``bytebiota.core.*`` module of this process
comes from; the core imports nothing of ByteBiota's outside ``bytebiota.core`` and does no I/O
(this module, which runs before the core exists, is the only exception: it reads its own
sources to detect a stale build).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from bytebiota.core._sources import source_digest

MODES = ("auto", "compiled", "pure")
ENV_SWITCH = "BYTEBIOTA_CORE"
_CORE_DIR = Path(__file__).resolve().parent


class CoreUnavailable(ImportError):
    """The core asked for (``BYTEBIOTA_CORE``) cannot be provided."""

    core_unavailable = True  # how cli.py recognises this error without importing the core


class _SourceOnlyFinder(importlib.abc.MetaPathFinder):
    """Finds ``bytebiota.core.*`` modules as ``.py`` sources only, skipping compiled builds.

    Python's path finder prefers an extension module over a source file of the same name, so
    the pure core needs a finder of its own, placed ahead of the path finder.
    """

    prefix = __name__ + "."

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(self.prefix):
            return None
        leaf = fullname.rpartition(".")[2]
        for directory in path or [str(_CORE_DIR)]:
            source = Path(directory, leaf + ".py")
            if source.is_file():
                return importlib.util.spec_from_file_location(fullname, source)
            package = Path(directory, leaf, "__init__.py")
            if package.is_file():
                return importlib.util.spec_from_file_location(
                    fullname, package, submodule_search_locations=[str(package.parent)]
                )
        return None


def _compiled_build_digest() -> str | None:
    """The source digest recorded by the compiled build, or None when there is none."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    built = [p for p in _CORE_DIR.iterdir() if p.name.endswith(suffixes)]
    if not any(p.name.startswith("rng.") for p in built):
        return None
    try:
        from bytebiota.core import _stamp
    except ImportError:
        return None
    digest: str = _stamp.SOURCE_DIGEST
    return digest


def _choose() -> tuple[str, bool]:
    mode = os.environ.get(ENV_SWITCH, "auto").strip().lower() or "auto"
    if mode not in MODES:
        raise CoreUnavailable(
            f"{ENV_SWITCH}={mode!r} is not a core mode; use one of: {', '.join(MODES)}"
        )
    if mode == "pure":
        return mode, False
    built = _compiled_build_digest()
    if built is None:
        if mode == "compiled":
            raise CoreUnavailable(
                f"{ENV_SWITCH}=compiled but no compiled core is built here; run `make install` "
                "(it needs a C compiler)"
            )
        return mode, False
    if built != source_digest(_CORE_DIR):
        message = (
            "the compiled core was built from other sources than the ones beside it "
            "(a core module changed since `make install`)"
        )
        if mode == "compiled":
            raise CoreUnavailable(f"{ENV_SWITCH}=compiled but {message}; run `make install`")
        print(f"bytebiota: warning: {message}; using the pure core", file=sys.stderr)
        return mode, False
    return mode, True


MODE, COMPILED = _choose()
if not COMPILED:
    sys.meta_path.insert(0, _SourceOnlyFinder())


def describe() -> str:
    """``compiled`` or ``pure``, as ``bytebiota --version`` and the journal header say it."""
    return "compiled" if COMPILED else "pure"
