"""core/cells.py: the table of per-slot fields agrees with the declarations, and drives
growth, reset and the snapshot."""

from __future__ import annotations

import ast

from bytebiota.core.cells import (
    INPUTS,
    R_AX,
    R_CSIZE,
    R_IP,
    REG_FIELDS,
    REG_W,
    SLOT_FIELDS,
    WIDE_FIELDS,
    Cells,
)
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
    assert set(REG_FIELDS) <= set(slot)
    own = set(slot) - set(REG_FIELDS)  # the per-slot quantities outside the block
    assert own | set(wide) | {"regs"} == _declared_vectors()


def test_the_blocks_offsets_are_its_table_order() -> None:
    """Each ``R_`` constant is its field's place in REG_FIELDS, and the block holds them all
    (read from the source: the constants are the ones the core indexes with)."""
    tree = ast.parse((REPO / "bytebiota" / "core" / "cells.py").read_text())
    offsets = {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body
               if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
               and node.targets[0].id.startswith("R_")}
    offsets |= {node.target.id: ast.literal_eval(node.value) for node in tree.body
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
                and node.target.id.startswith("R_") and node.value is not None}
    assert offsets == {"R_" + name.upper(): k for k, name in enumerate(REG_FIELDS)}
    assert len(REG_FIELDS) <= REG_W
    assert tuple(REG_FIELDS.index(n) for n in ("ax", "ip", "csize")) == (R_AX, R_IP, R_CSIZE)


def test_the_blocks_columns_round_trip_through_set_vectors() -> None:
    """``vector`` reads a column of the block, ``set_vectors`` interleaves it back: what
    snapshots rely on to keep their per-quantity layout."""
    cells = Cells()
    for _ in range(3):
        cells.new_slot()
    for k in range(len(REG_FIELDS)):
        for c in range(3):
            cells.regs[c * REG_W + k] = 100 * k + c
    vectors = {name: cells.vector(name) for name, _ in SLOT_FIELDS}
    vectors |= {name: cells.vector(name) for name, _ in WIDE_FIELDS}
    other = Cells()
    for _ in range(3):
        other.new_slot()
    other.set_vectors(vectors)
    assert list(other.regs) == list(cells.regs)
    assert [other.reg(c, "ip") for c in range(3)] == [100 * R_IP + c for c in range(3)]


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
    cells.set_reg(a, "ax", 5)
    cells.errors[a] = 3
    cells.stack[a * STACK_DEPTH] = 9
    cells.release(a)
    assert cells.alive[a] == 0
    b = cells.new_slot()
    assert b == a and cells.nslots == 1
    cells.reset(b, 300, 45, born=11)
    assert (cells.reg(b, "ax"), cells.errors[b], cells.stack[b * STACK_DEPTH]) == (0, 0, 0)
    assert ([cells.reg(b, name) for name in ("ip", "start", "csize")], cells.born_at[b]) == (
        [300, 300, 45], 11)
    assert cells.alive[b] == 1 and cells.reg(b, "dstart") == -1 and cells.first_cost[b] == -1
