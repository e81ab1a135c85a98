"""The compiled hot functions, read in the C mypyc generated (tools/codegen_check.py): no
generic attribute lookups, no "is it defined?" checks, no Python-int arithmetic and no boxed
integers in ``vm.run_slice``, the template search, the scheduler and what runs per slice, MAL
or reaping (the pre-split ``World._exec`` had 34 definedness checks and 69 Python-int
operations; a boxed loop variable in the search once cost 32 machine instructions per VM
instruction)."""

from __future__ import annotations

import importlib.util

import pytest

import bytebiota.core
from tests.conftest import REPO

_spec = importlib.util.spec_from_file_location("codegen_check", REPO / "tools" / "codegen_check.py")
assert _spec is not None and _spec.loader is not None
codegen_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(codegen_check)


def test_function_source_finds_a_definition_not_a_prototype() -> None:
    text = "int64_t f(int x);\nint64_t f(int x) {\n    return CPY_GET_ATTR(y);\n}\n"
    body = codegen_check.function_source(text, "f")
    assert body.startswith("int64_t f(int x) {") and codegen_check.counts(body)[
        "generic_lookups"] == 1


@pytest.mark.skipif(not bytebiota.core.COMPILED, reason="no compiled core in this run")
@pytest.mark.parametrize("name", codegen_check.HOT)
def test_a_hot_function_has_no_generic_lookups_definedness_checks_or_python_ints(
        name: str) -> None:
    text = codegen_check.GENERATED.read_text()  # `make install` leaves it in build/
    found = codegen_check.counts(codegen_check.function_source(text, name))
    assert found["generic_lookups"] == 0 and found["definedness_checks"] == 0, found
    assert found["python_int_ops"] == 0 and found["boxed_ints"] == 0, found


def test_counts_see_a_boxed_integer() -> None:
    body = "int64_t f(int64_t x) {\n    y = PyLong_FromLongLong(x);\n}\n"
    assert codegen_check.counts(body)["boxed_ints"] == 1
