"""The instruction sets, as constants for the VM and as one data table.

Set 0 (the ``classic`` regime) is Tierra's 32 opcodes, codes 0-31 in 5 bits. Set 1 (the
``ecology`` regime) is set 0 plus codes 32-63 (6 bits): environment and logic instructions
(32-43) and 20 ``nopx`` filler codes (44-63) that do nothing and are not templates (Avida's
``nop-C``). Mutations flip one of the set's bits, so with 6 bits every filler byte ``48 + k``
is one flip away from the instruction ``32 + k`` and from the classic opcode ``16 + k``:
filler that an ancestor carries is raw material mutation can turn into computation, as in
Avida, while the classic opcodes keep their codes and the classic regime never sees a byte
above 31.

The constants are ``Final`` so that mypyc inlines them into the VM's dispatch chain. The
table (``INSTRUCTIONS``) is the one source for the assembler, the disassembler and
``docs/opcode-reference.md``: code, mnemonic, family, and what the instruction does.

Semantics are Tierra 6.02's (docs/opcode-reference.md, ../shared/design/TIERRA.md), with one
correction to TIERRA.md's table: ``mov_iab`` copies ``soup[bx]`` *to* ``soup[ax]``, as in
Tierra's source and as Ray's ancestor needs (after ``mal`` the daughter's address is in ax
and the mother's start in bx).
"""

from __future__ import annotations

from typing import Final

NOP_0: Final = 0
NOP_1: Final = 1
OR1: Final = 2
SH1: Final = 3
ZERO: Final = 4
IF_CZ: Final = 5
SUB_AB: Final = 6
SUB_AC: Final = 7
INC_A: Final = 8
INC_B: Final = 9
DEC_C: Final = 10
INC_C: Final = 11
PUSH_AX: Final = 12
PUSH_BX: Final = 13
PUSH_CX: Final = 14
PUSH_DX: Final = 15
POP_AX: Final = 16
POP_BX: Final = 17
POP_CX: Final = 18
POP_DX: Final = 19
JMP: Final = 20
JMPB: Final = 21
CALL: Final = 22
RET: Final = 23
MOV_CD: Final = 24
MOV_AB: Final = 25
MOV_IAB: Final = 26
ADR: Final = 27
ADRB: Final = 28
ADRF: Final = 29
MAL: Final = 30
DIVIDE: Final = 31

# Set 1: environment, input/output and logic (the ecology regime only).
HARVEST: Final = 32
SENSE_R: Final = 33
SENSE_S: Final = 34
EMIT: Final = 35
LOAD: Final = 36
STORE: Final = 37
IN: Final = 38
OUT: Final = 39
NAND: Final = 40
MOV_DC: Final = 41
SWAP_CD: Final = 42
ADD_CD: Final = 43
NOPX_FIRST: Final = 44  # 44-63: filler

OPCODE_BITS: Final = 5  # set 0: mutations flip one of these bits, so soup bytes stay below 32
ECOLOGY_OPCODE_BITS: Final = 6  # set 1
SEARCH_BITS: Final = 6  # bits per byte in the template search's packed windows (both sets)
STACK_DEPTH: Final = 10
MAX_TEMPLATE: Final = 10  # a longer run of nops is not a template: the instruction fails

# Register numbers used by the flaw table: the register an instruction's result lands in.
REG_NONE: Final = 0
REG_AX: Final = 1
REG_BX: Final = 2
REG_CX: Final = 3
REG_DX: Final = 4

# (code, mnemonic, family, flaw target register, semantics)
INSTRUCTIONS: tuple[tuple[int, str, str, int, str], ...] = (
    (NOP_0, "nop_0", "template", REG_NONE, "no operation; a run of nops after an instruction "
     "is its template"),
    (NOP_1, "nop_1", "template", REG_NONE, "no operation; a run of nops after an instruction "
     "is its template"),
    (OR1, "or1", "arithmetic", REG_CX, "cx ^= 1"),
    (SH1, "sh1", "arithmetic", REG_CX, "cx <<= 1 (32-bit two's complement)"),
    (ZERO, "zero", "arithmetic", REG_CX, "cx = 0"),
    (IF_CZ, "if_cz", "control", REG_NONE, "execute the next instruction only if cx == 0 "
     "(otherwise skip it)"),
    (SUB_AB, "sub_ab", "arithmetic", REG_CX, "cx = ax - bx"),
    (SUB_AC, "sub_ac", "arithmetic", REG_AX, "ax = ax - cx (modulo the soup size)"),
    (INC_A, "inc_a", "arithmetic", REG_AX, "ax += 1 (modulo the soup size)"),
    (INC_B, "inc_b", "arithmetic", REG_BX, "bx += 1 (modulo the soup size)"),
    (DEC_C, "dec_c", "arithmetic", REG_CX, "cx -= 1"),
    (INC_C, "inc_c", "arithmetic", REG_CX, "cx += 1"),
    (PUSH_AX, "push_ax", "stack", REG_NONE, "push ax on the 10-deep circular stack"),
    (PUSH_BX, "push_bx", "stack", REG_NONE, "push bx"),
    (PUSH_CX, "push_cx", "stack", REG_NONE, "push cx"),
    (PUSH_DX, "push_dx", "stack", REG_NONE, "push dx"),
    (POP_AX, "pop_ax", "stack", REG_AX, "ax = pop (modulo the soup size)"),
    (POP_BX, "pop_bx", "stack", REG_BX, "bx = pop (modulo the soup size)"),
    (POP_CX, "pop_cx", "stack", REG_CX, "cx = pop"),
    (POP_DX, "pop_dx", "stack", REG_DX, "dx = pop"),
    (JMP, "jmp", "control", REG_NONE, "jump past the nearest complementary template, "
     "searching both ways; fails (skipping the template) if none is within the limit"),
    (JMPB, "jmpb", "control", REG_NONE, "the same, searching backward only"),
    (CALL, "call", "control", REG_NONE, "push the address past the template, then jump "
     "like jmp"),
    (RET, "ret", "control", REG_NONE, "ip = pop"),
    (MOV_CD, "mov_cd", "move", REG_DX, "dx = cx"),
    (MOV_AB, "mov_ab", "move", REG_BX, "bx = ax"),
    (MOV_IAB, "mov_iab", "move", REG_NONE, "soup[ax] = soup[bx]: the copy step, where copy "
     "mutations strike; fails if ax is not the cell's own memory or its daughter's (or "
     "free memory, under WRITE_FREE_MEMORY); under COPY_ADVANCES (the ecology regime) ax "
     "and bx then advance by one, whether the copy succeeded or not"),
    (ADR, "adr", "address", REG_AX, "ax = address past the nearest complementary template "
     "(both ways); cx = template size"),
    (ADRB, "adrb", "address", REG_AX, "the same, searching backward only"),
    (ADRF, "adrf", "address", REG_AX, "the same, searching forward only"),
    (MAL, "mal", "reproduction", REG_AX, "allocate cx bytes for a daughter; ax = its address; "
     "fails if cx <= 0, cx > MAX_MAL_MULT x size, or a daughter block is held already "
     "(MAL_REPLACES_DAUGHTER: the held block is freed, and only a request of its size fails)"),
    (DIVIDE, "divide", "reproduction", REG_NONE, "the daughter becomes a cell; fails if it is "
     "shorter than 12 bytes or under 70 % of it was written by the mother"),
)

_ECOLOGY: tuple[tuple[int, str, str, int, str], ...] = (
    (HARVEST, "harvest", "environment", REG_NONE, "take up to ENV_HARVEST_YIELD resource from "
     "the field cell under the cell's own start; energy += taken x HARVEST_MULTIPLIER "
     "(capped at ENERGY_MAX)"),
    (SENSE_R, "sense_r", "environment", REG_CX, "cx = resource (whole units) in the field "
     "cell under address ax"),
    (SENSE_S, "sense_s", "environment", REG_CX, "cx = signal in the field cell under "
     "address ax"),
    (EMIT, "emit", "environment", REG_NONE, "signal in the field cell under the cell's own "
     "start = cx & 0xFFFF (decays every ENV_SIGNAL_DECAY_INTERVAL steps)"),
    (LOAD, "load", "environment", REG_CX, "cx = storage[dx mod ENV_STORAGE_SLOTS] (storage "
     "is shared by all cells of the island)"),
    (STORE, "store", "environment", REG_NONE, "storage[dx mod ENV_STORAGE_SLOTS] = cx"),
    (IN, "in", "io", REG_CX, "dx = cx; cx = the cell's next input value (each cell is offered "
     "three 32-bit values, read in turn)"),
    (OUT, "out", "io", REG_NONE, "submit cx as an answer: a logic task of the inputs last "
     "read earns its reward (once per task per gestation)"),
    (NAND, "nand", "logic", REG_CX, "cx = ~(cx & dx) (32 bits)"),
    (MOV_DC, "mov_dc", "move", REG_CX, "cx = dx"),
    (SWAP_CD, "swap_cd", "move", REG_CX, "exchange cx and dx"),
    (ADD_CD, "add_cd", "logic", REG_CX, "cx = cx + dx (32-bit two's complement)"),
)
_FILLER: tuple[tuple[int, str, str, int, str], ...] = tuple(
    (code, f"nopx{code}", "filler", REG_NONE, "no operation, not a template (filler)")
    for code in range(NOPX_FIRST, 64)
)
INSTRUCTIONS_ECOLOGY: tuple[tuple[int, str, str, int, str], ...] = (
    INSTRUCTIONS + _ECOLOGY + _FILLER
)

# Energy cost of one instruction, as a multiple of CPU_COST_PER_INSTRUCTION, by family.
# The VM charges the base cost for every instruction and the rest in the branches of the
# families that cost more, so the common instructions pay nothing extra per step.
COST_ADDRESS: Final = 2
COST_REPRODUCTION: Final = 5
COST_ENVIRONMENT: Final = 2
FAMILY_COST: dict[str, int] = {
    "template": 1, "arithmetic": 1, "control": 1, "stack": 1, "move": 1,
    "address": COST_ADDRESS, "reproduction": COST_REPRODUCTION,
    "environment": COST_ENVIRONMENT, "io": 1, "logic": 1, "filler": 1,
}

# The logic tasks (Avida's nine): name, level (harder pays more), function of two 32-bit
# inputs (NOT uses the first only). Order is the bit order of a cell's task masks.
TASKS: tuple[tuple[str, int], ...] = (
    ("NOT", 1), ("NAND", 1), ("AND", 2), ("ORN", 2), ("OR", 3), ("ANDN", 3), ("NOR", 4),
    ("XOR", 4), ("EQU", 5),
)
TASK_NAMES: tuple[str, ...] = tuple(t[0] for t in TASKS)

MNEMONICS: tuple[str, ...] = tuple(row[1] for row in INSTRUCTIONS_ECOLOGY)
CODES: dict[str, int] = {row[1]: row[0] for row in INSTRUCTIONS_ECOLOGY}


def flaw_targets() -> list[int]:
    """For each opcode, the register a flaw perturbs (REG_NONE: the flaw has no effect)."""
    return [row[3] for row in INSTRUCTIONS_ECOLOGY]
