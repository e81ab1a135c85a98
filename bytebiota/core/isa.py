"""Instruction set 0: Tierra's 32 opcodes, as constants for the VM and as a data table.

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

OPCODE_BITS: Final = 5  # mutations flip one of these bits, so soup bytes stay below 32
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
     "mutations strike; fails if ax is not the cell's own memory or its daughter's"),
    (ADR, "adr", "address", REG_AX, "ax = address past the nearest complementary template "
     "(both ways); cx = template size"),
    (ADRB, "adrb", "address", REG_AX, "the same, searching backward only"),
    (ADRF, "adrf", "address", REG_AX, "the same, searching forward only"),
    (MAL, "mal", "reproduction", REG_AX, "allocate cx bytes for a daughter; ax = its address; "
     "fails if cx <= 0, cx > MAX_MAL_MULT x size, or a daughter block is held already"),
    (DIVIDE, "divide", "reproduction", REG_NONE, "the daughter becomes a cell; fails if it is "
     "shorter than 12 bytes or under 70 % of it was written by the mother"),
)

MNEMONICS: tuple[str, ...] = tuple(row[1] for row in INSTRUCTIONS)
CODES: dict[str, int] = {row[1]: row[0] for row in INSTRUCTIONS}


def flaw_targets() -> list[int]:
    """For each opcode, the register a flaw perturbs (REG_NONE: the flaw has no effect)."""
    return [row[3] for row in INSTRUCTIONS]
