"""The dependency rules of docs/architecture.md, checked on the import statements."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "bytebiota"
# Third-party modules the compiled core may use at run time.
CORE_THIRD_PARTY = {"mypy_extensions", "librt"}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


# The self-contained layers; protocol/ joins the list when it exists.
SEALED = [name for name in ("core", "protocol") if (PACKAGE / name).is_dir()]


@pytest.mark.parametrize("layer", SEALED)
def test_core_and_protocol_import_nothing_of_ours_outside_themselves(layer: str) -> None:
    for path in (PACKAGE / layer).rglob("*.py"):
        for module in _imports(path):
            if module.startswith("bytebiota"):
                assert module.startswith(f"bytebiota.{layer}"), f"{path.name} imports {module}"


def test_the_core_imports_no_io_or_heavy_modules() -> None:
    forbidden = {"asyncio", "socket", "json", "rich", "numpy", "os", "io", "pathlib"}
    for path in (PACKAGE / "core").glob("*.py"):
        if path.name in {"__init__.py", "_sources.py"}:
            continue  # the switch and the build helper run before the core, as plain Python
        imported = {m.split(".")[0] for m in _imports(path)}
        assert not imported & forbidden, f"{path.name} imports {imported & forbidden}"


def test_config_layer_does_not_import_commands_or_ui() -> None:
    for name in ("config.py", "variables.py", "resources.py", "errors.py"):
        for module in _imports(PACKAGE / name):
            assert module.split(".")[0] not in {"rich", "asyncio"}, (name, module)
            assert not module.startswith(("bytebiota.cli", "bytebiota.tui",
                                          "bytebiota.server", "bytebiota.worker")), (name, module)


def test_the_protocol_does_no_io() -> None:
    for path in (PACKAGE / "protocol").glob("*.py"):
        imported = {m.split(".")[0] for m in _imports(path)}
        assert not imported & {"asyncio", "socket", "selectors", "ssl"}, path.name
