; Issue 19's ecology ancestor that computes first (ANCESTOR=ecology165c; opt-in,
; docs/ecology.md): ecology165.asm with its input and filler block moved from after DIVIDE
; to before MAL, so that a cell runs the block (two in, 80 filler bytes) at the start of
; every gestation, its first included, as Avida's ancestor runs its nop-C block before it
; copies: a daughter performs what its genome computes before it copies itself. The same
; 165 instructions in another order; it performs no logic task.
.name 0165aab
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
push_cx        ; 27 save the size across the input block (the start of every gestation)
in             ; 28 read an input (cx), the previous cx moving to dx
in             ; 29 read the next input: dx = first, cx = second
nopx56         ; 30 filler (80 bytes), executed once per gestation
nopx55         ; 31
nopx56         ; 32
nopx55         ; 33
nopx56         ; 34
nopx55         ; 35
nopx56         ; 36
nopx55         ; 37
nopx56         ; 38
nopx55         ; 39
nopx56         ; 40
nopx55         ; 41
nopx56         ; 42
nopx55         ; 43
nopx56         ; 44
nopx55         ; 45
nopx56         ; 46
nopx55         ; 47
nopx56         ; 48
nopx55         ; 49
nopx56         ; 50
nopx55         ; 51
nopx56         ; 52
nopx55         ; 53
nopx56         ; 54
nopx55         ; 55
nopx56         ; 56
nopx55         ; 57
nopx56         ; 58
nopx55         ; 59
nopx56         ; 60
nopx55         ; 61
nopx56         ; 62
nopx55         ; 63
nopx56         ; 64
nopx55         ; 65
nopx56         ; 66
nopx55         ; 67
nopx56         ; 68
nopx55         ; 69
nopx56         ; 70
nopx55         ; 71
nopx56         ; 72
nopx55         ; 73
nopx56         ; 74
nopx55         ; 75
nopx56         ; 76
nopx55         ; 77
nopx56         ; 78
nopx55         ; 79
nopx56         ; 80
nopx55         ; 81
nopx56         ; 82
nopx55         ; 83
nopx56         ; 84
nopx55         ; 85
nopx56         ; 86
nopx55         ; 87
nopx56         ; 88
nopx55         ; 89
nopx56         ; 90
nopx55         ; 91
nopx56         ; 92
nopx55         ; 93
nopx56         ; 94
nopx55         ; 95
nopx56         ; 96
nopx55         ; 97
nopx56         ; 98
nopx55         ; 99
nopx56         ; 100
nopx55         ; 101
nopx56         ; 102
nopx55         ; 103
nopx56         ; 104
nopx55         ; 105
nopx56         ; 106
nopx55         ; 107
nopx56         ; 108
nopx55         ; 109
pop_cx         ; 110 restore the size for the next mal
mal            ; 111 allocate cx bytes for the daughter; ax = its address
call           ; 112 call the copy procedure
nop_0          ; 113 complement of the copy procedure marker
nop_0          ; 114
nop_1          ; 115
nop_1          ; 116
divide         ; 117 the daughter becomes a cell
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
