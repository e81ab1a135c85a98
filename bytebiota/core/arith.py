"""The core's integer arithmetic, shared by every component.

Owns the register and ledger helpers and the fixed-point unit. Invariants: everything here
is exact 64-bit integer arithmetic, the same in the compiled and the pure core (docs/
opcode-reference.md, "Arithmetic"): registers wrap to 32-bit two's complement, energy and
resources are integers in millionths (``UNIT``), ledger totals saturate at +-``LEDGER_LIMIT``,
and every power of two goes through ``pow2`` (a literal shifted by a variable is a 32-bit C
shift under mypyc; tests/test_exactness.py refuses it anywhere in the core).
"""

from __future__ import annotations

from typing import Final

from mypy_extensions import i64

HALF32: Final = 0x80000000
MASK32: Final = 0xFFFFFFFF
MASK16: Final = 0xFFFF
# Energy and resources are integers in millionths: exact on every machine, compiled or pure.
UNIT: Final = 1_000_000
LEDGER_LIMIT: Final = 1 << 62  # where the energy ledger's running totals saturate
NOBODY: Final = -1


def wrap32(x: i64) -> i64:
    """x as a 32-bit two's complement value (what cx and dx hold after every operation)."""
    return ((x + HALF32) & MASK32) - HALF32


def ledger_add(total: i64, amount: i64) -> i64:
    """A ledger total plus one settlement, saturating at +-LEDGER_LIMIT.

    Totals grow without end (an island harvests for ever); a settlement is below 2**62 by the
    configuration's bounds (docs/opcode-reference.md, "Arithmetic"), so the sum cannot leave
    64 bits before it is clamped, and both cores clamp alike where a Python int would grow.
    """
    s = total + amount
    if s > LEDGER_LIMIT:
        return LEDGER_LIMIT
    if s < -LEDGER_LIMIT:
        return -LEDGER_LIMIT
    return s


def pow2(k: i64) -> i64:
    """2**k for 0 <= k <= 62.

    Never write ``i64(1) << k`` (or ``1 << k``) with a variable k in the core: mypyc emits the
    literal as a C ``int``, so the shift is done in 32 bits (undefined from k = 31 on; x86
    takes k mod 32): the pure core says 2**36, the compiled one 16. tests/test_exactness.py
    refuses the pattern; a typed variable on the left makes the shift 64-bit.
    """
    one: i64 = 1
    return one << k


def units(x: float) -> i64:
    """A configured amount (a float of whole units) in millionths."""
    return i64(round(x * float(UNIT)))
