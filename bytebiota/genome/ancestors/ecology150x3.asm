; Issue 19's three-block ecology ancestor (ANCESTOR=ecology150x3; opt-in, docs/ecology.md): the
; ecology150 ancestor (its 7-instruction-per-byte copy loop, its block before MAL) with its
; input and filler block split in three: each block reads two fresh inputs (in in) and
; has 25-26 filler bytes, 76 in all (ecology150: one block, 80). In ecology150's runs EQU
; was performed only by genomes of 400-2,400 bytes, copies of several cells end to end
; that run several input blocks per gestation; this ancestor has three in 150 bytes.
; It outputs nothing: it performs no logic task.
.name 0150aab
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
in             ; 28 block 1: read an input (cx), the previous cx moving to dx
in             ; 29 read the next input: dx = one input, cx = the next
nopx56         ; 30 filler of block 1 (25 bytes)
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
in             ; 55 block 2: read an input (cx), the previous cx moving to dx
in             ; 56 read the next input: dx = one input, cx = the next
nopx56         ; 57 filler of block 2 (25 bytes)
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
in             ; 82 block 3: read an input (cx), the previous cx moving to dx
in             ; 83 read the next input: dx = one input, cx = the next
nopx56         ; 84 filler of block 3 (26 bytes)
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
pop_cx         ; 110 restore the size
mal            ; 111 allocate cx bytes for the daughter; ax = its address
push_bx        ; 112 save the mother's address
push_cx        ; 113 save the size
call           ; 114 call the copy loop
nop_0          ; 115 complement of the copy loop marker
nop_0          ; 116
nop_1          ; 117
nop_1          ; 118
pop_cx         ; 119 restore the size
pop_bx         ; 120 restore the mother's address
divide         ; 121 the daughter becomes a cell
jmpb           ; 122 back to the reproduction loop
nop_0          ; 123 complement of the reproduction loop marker
nop_0          ; 124
nop_1          ; 125
nop_0          ; 126
if_cz          ; 127 separates templates
nop_1          ; 128 copy loop marker (1100)
nop_1          ; 129
nop_0          ; 130
nop_0          ; 131
mov_iab        ; 132 copy one byte: soup[ax] = soup[bx]
harvest        ; 133 energy from the field under the cell
inc_a          ; 134 next daughter address
inc_b          ; 135 next mother address
dec_c          ; 136 one byte fewer to copy
if_cz          ; 137 when cx is 0...
ret            ; 138 ...return to the caller (one byte: no exit template)
jmpb           ; 139 else back to the copy loop
nop_0          ; 140 complement of the copy loop marker
nop_0          ; 141
nop_1          ; 142
nop_1          ; 143
if_cz          ; 144 separates templates
nop_1          ; 145 end marker (1110)
nop_1          ; 146
nop_1          ; 147
nop_0          ; 148
if_cz          ; 149 the byte after the end marker
