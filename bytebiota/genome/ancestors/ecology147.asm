; Issue 19's fast ecology ancestor for COPY_ADVANCES (ANCESTOR=ecology147; opt-in,
; docs/ecology.md): ecology150 (one input and filler block of 80 filler bytes, run at
; the start of every gestation) with Avida's copy step: under COPY_ADVANCES mov_iab
; moves ax and bx on by itself, so the copy loop is mov_iab dec_c if_cz ret jmpb, four
; instructions per byte instead of seven (no inc_a, inc_b, and no harvest: it is meant
; for a configuration without CPU cost or rent). Without COPY_ADVANCES its daughters
; are not copies. It outputs nothing: it performs no logic task.
.name 0147aaa
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
mov_iab        ; 132 copy one byte: soup[ax] = soup[bx]; COPY_ADVANCES moves ax and bx on
dec_c          ; 133 one byte fewer to copy
if_cz          ; 134 when cx is 0...
ret            ; 135 ...return to the caller (one byte: no exit template)
jmpb           ; 136 else back to the copy loop
nop_0          ; 137 complement of the copy loop marker
nop_0          ; 138
nop_1          ; 139
nop_1          ; 140
if_cz          ; 141 separates templates
nop_1          ; 142 end marker (1110)
nop_1          ; 143
nop_1          ; 144
nop_0          ; 145
if_cz          ; 146 the byte after the end marker
