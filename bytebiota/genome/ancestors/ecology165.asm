; Issue 19's ecology ancestor (ANCESTOR=ecology165; opt-in, docs/ecology.md: the default is
; ecology.asm): the classic ancestor (classic.asm) for instruction set 1, with what life in
; the ecology regime needs and raw material for computation:
; - a harvest in the copy loop: energy from the resource field under the cell, about once
;   every ten instructions (the field cell under a cell holds at most ENV_MAX_RESOURCE);
; - a block of 80 filler bytes, executed once per gestation, as Avida's ancestor carries 85
;   nop-C: mutations (MUTATION_REACH=any: any opcode) turn it into computation. The block is
;   long enough for hand-written XOR and EQU programs (9 and 10 instructions with their out,
;   tools/tasks.py search) several times over;
; - before the filler it reads two inputs (cx saved and restored around the block, since
;   mal needs the size in cx): dx = the first input, cx = the second. It outputs nothing: it
;   performs no logic task. ecology.asm, the default, is the 97-byte ancestor with 12 filler
;   bytes.
.name 0165aaa
.parent 0666god
.origin 0
nop_1          ; 0 beginning marker (1111)
nop_1          ; 1
nop_1          ; 2
nop_1          ; 3
zero           ; 4 cx = 0
or1            ; 5 cx = 1
sh1            ; 6 cx = 2
sh1            ; 7 cx = 4: the template size
mov_cd         ; 8 dx = cx
adrb           ; 9 ax = address past the beginning marker (searched backward)
nop_0          ; 10 complement of the beginning marker
nop_0          ; 11
nop_0          ; 12
nop_0          ; 13
sub_ac         ; 14 ax = ax - cx: the mother's first byte
mov_ab         ; 15 bx = ax
adrf           ; 16 ax = address past the end marker (searched forward)
nop_0          ; 17 complement of the end marker
nop_0          ; 18
nop_0          ; 19
nop_1          ; 20
inc_a          ; 21 include the byte after the end marker
sub_ab         ; 22 cx = ax - bx: the mother's size
nop_1          ; 23 reproduction loop marker (1101)
nop_1          ; 24
nop_0          ; 25
nop_1          ; 26
mal            ; 27 allocate cx bytes for the daughter; ax = its address
call           ; 28 call the copy procedure
nop_0          ; 29 complement of the copy procedure marker
nop_0          ; 30
nop_1          ; 31
nop_1          ; 32
divide         ; 33 the daughter becomes a cell
push_cx        ; 34 save the size across the input block
in             ; 35 read an input (cx), the previous cx moving to dx
in             ; 36 read the next input: dx = first, cx = second
nopx56         ; 37 filler (80 bytes), executed once per gestation
nopx55         ; 38
nopx56         ; 39
nopx55         ; 40
nopx56         ; 41
nopx55         ; 42
nopx56         ; 43
nopx55         ; 44
nopx56         ; 45
nopx55         ; 46
nopx56         ; 47
nopx55         ; 48
nopx56         ; 49
nopx55         ; 50
nopx56         ; 51
nopx55         ; 52
nopx56         ; 53
nopx55         ; 54
nopx56         ; 55
nopx55         ; 56
nopx56         ; 57
nopx55         ; 58
nopx56         ; 59
nopx55         ; 60
nopx56         ; 61
nopx55         ; 62
nopx56         ; 63
nopx55         ; 64
nopx56         ; 65
nopx55         ; 66
nopx56         ; 67
nopx55         ; 68
nopx56         ; 69
nopx55         ; 70
nopx56         ; 71
nopx55         ; 72
nopx56         ; 73
nopx55         ; 74
nopx56         ; 75
nopx55         ; 76
nopx56         ; 77
nopx55         ; 78
nopx56         ; 79
nopx55         ; 80
nopx56         ; 81
nopx55         ; 82
nopx56         ; 83
nopx55         ; 84
nopx56         ; 85
nopx55         ; 86
nopx56         ; 87
nopx55         ; 88
nopx56         ; 89
nopx55         ; 90
nopx56         ; 91
nopx55         ; 92
nopx56         ; 93
nopx55         ; 94
nopx56         ; 95
nopx55         ; 96
nopx56         ; 97
nopx55         ; 98
nopx56         ; 99
nopx55         ; 100
nopx56         ; 101
nopx55         ; 102
nopx56         ; 103
nopx55         ; 104
nopx56         ; 105
nopx55         ; 106
nopx56         ; 107
nopx55         ; 108
nopx56         ; 109
nopx55         ; 110
nopx56         ; 111
nopx55         ; 112
nopx56         ; 113
nopx55         ; 114
nopx56         ; 115
nopx55         ; 116
pop_cx         ; 117 restore the size for the next mal
jmp            ; 118 back to the reproduction loop
nop_0          ; 119 complement of the reproduction loop marker
nop_0          ; 120
nop_1          ; 121
nop_0          ; 122
if_cz          ; 123 separates templates
nop_1          ; 124 copy procedure marker (1100)
nop_1          ; 125
nop_0          ; 126
nop_0          ; 127
push_ax        ; 128 save the daughter's address
push_bx        ; 129 save the mother's address
push_cx        ; 130 save the size
nop_1          ; 131 copy loop marker (1010)
nop_0          ; 132
nop_1          ; 133
nop_0          ; 134
mov_iab        ; 135 copy one byte: soup[ax] = soup[bx]
harvest        ; 136 energy from the field under the cell
dec_c          ; 137 one byte fewer to copy
if_cz          ; 138 when cx is 0...
jmp            ; 139 ...leave the loop
nop_0          ; 140 complement of the copy exit marker
nop_1          ; 141
nop_0          ; 142
nop_0          ; 143
inc_a          ; 144 next daughter address
inc_b          ; 145 next mother address
jmp            ; 146 back to the copy loop
nop_0          ; 147 complement of the copy loop marker
nop_1          ; 148
nop_0          ; 149
nop_1          ; 150
if_cz          ; 151 separates templates
nop_1          ; 152 copy exit marker (1011)
nop_0          ; 153
nop_1          ; 154
nop_1          ; 155
pop_cx         ; 156 restore the size
pop_bx         ; 157 restore the mother's address
pop_ax         ; 158 restore the daughter's address
ret            ; 159 return to the caller
nop_1          ; 160 end marker (1110)
nop_1          ; 161
nop_1          ; 162
nop_0          ; 163
if_cz          ; 164 the byte after the end marker
