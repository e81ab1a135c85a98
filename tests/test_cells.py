"""core/cells.py: the table of per-slot fields agrees with the declarations, and drives
growth, reset and the snapshot."""

from __future__ import annotations

import ast

from bytebiota.core.cells import INPUTS, SLOT_FIELDS, WIDE_FIELDS, Cells
from bytebiota.core.isa import STACK_DEPTH
from tests.conftest import REPO


def _declared_vectors() -> set[str]:
    """The ``vec`` attributes declared in class Cells, read from the source (a compiled class
    keeps no annotations)."""
    tree = ast.parse((REPO / "bytebiota" / "core" / "cells.py").read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Cells")
    return {node.target.id for node in cls.body
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
            and ast.unparse(node.annotation).startswith("vec")
            and node.target.id != "free_slots"}


def test_every_declared_vector_is_in_exactly_one_table() -> None:
    slot = [name for name, _ in SLOT_FIELDS]
    wide = [name for name, _ in WIDE_FIELDS]
    assert len(set(slot + wide)) == len(slot) + len(wide)
    assert set(slot + wide) == _declared_vectors()


def test_a_new_slot_grows_every_vector_with_the_tables_values() -> None:
    cells = Cells()
    for expected in range(3):
        assert cells.new_slot() == expected
    assert cells.nslots == 3
    for name, initial in SLOT_FIELDS:
        assert list(cells.vector(name)) == [initial] * 3, name
    for name, width in WIDE_FIELDS:
        assert list(cells.vector(name)) == [0] * (3 * width), name
    assert dict(WIDE_FIELDS) == {"stack": STACK_DEPTH, "inputs": INPUTS, "inbuf": INPUTS}


def test_a_released_slot_is_reused_and_reset() -> None:
    cells = Cells()
    a = cells.new_slot()
    cells.reset(a, 100, 80, born=7)
    cells.ax[a] = 5
    cells.errors[a] = 3
    cells.stack[a * STACK_DEPTH] = 9
    cells.release(a)
    assert cells.alive[a] == 0
    b = cells.new_slot()
    assert b == a and cells.nslots == 1
    cells.reset(b, 300, 45, born=11)
    assert (cells.ax[b], cells.errors[b], cells.stack[b * STACK_DEPTH]) == (0, 0, 0)
    assert (cells.ip[b], cells.start[b], cells.csize[b], cells.born_at[b]) == (300, 300, 45, 11)
    assert cells.alive[b] == 1 and cells.dstart[b] == -1 and cells.first_cost[b] == -1
