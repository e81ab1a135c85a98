; The classic ancestor: an 80-instruction self-replicator for instruction set 0,
; written for ByteBiota from the published description of Ray's ancestor (Ray 1991;
; Tierra's 0080aaa). It finds its own ends with templates, allocates a daughter of its
; size, copies itself with a loop in a called procedure, divides, and starts over.
; Template convention: an instruction followed by nops searches for the complementary
; pattern (nop_0 <-> nop_1); execution continues just past the match.
.name 0080aaa
.parent 0666god
.origin 0

nop_1          ; 0  beginning marker (1111)
nop_1          ; 1
nop_1          ; 2
nop_1          ; 3
zero           ; 4  cx = 0
or1            ; 5  cx = 1
sh1            ; 6  cx = 2
sh1            ; 7  cx = 4: the template size
mov_cd         ; 8  dx = cx
adrb           ; 9  ax = address past the beginning marker (searched backward)
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
jmp            ; 34 back to the reproduction loop
nop_0          ; 35 complement of the reproduction loop marker
nop_0          ; 36
nop_1          ; 37
nop_0          ; 38
if_cz          ; 39 separates templates
nop_1          ; 40 copy procedure marker (1100)
nop_1          ; 41
nop_0          ; 42
nop_0          ; 43
push_ax        ; 44 save the daughter's address
push_bx        ; 45 save the mother's address
push_cx        ; 46 save the size
nop_1          ; 47 copy loop marker (1010)
nop_0          ; 48
nop_1          ; 49
nop_0          ; 50
mov_iab        ; 51 copy one byte: soup[ax] = soup[bx]
dec_c          ; 52 one byte fewer to copy
if_cz          ; 53 when cx is 0...
jmp            ; 54 ...leave the loop
nop_0          ; 55 complement of the copy exit marker
nop_1          ; 56
nop_0          ; 57
nop_0          ; 58
inc_a          ; 59 next daughter address
inc_b          ; 60 next mother address
jmp            ; 61 back to the copy loop
nop_0          ; 62 complement of the copy loop marker
nop_1          ; 63
nop_0          ; 64
nop_1          ; 65
if_cz          ; 66 separates templates
nop_1          ; 67 copy exit marker (1011)
nop_0          ; 68
nop_1          ; 69
nop_1          ; 70
pop_cx         ; 71 restore the size
pop_bx         ; 72 restore the mother's address
pop_ax         ; 73 restore the daughter's address
ret            ; 74 return to the caller
nop_1          ; 75 end marker (1110)
nop_1          ; 76
nop_1          ; 77
nop_0          ; 78
if_cz          ; 79 the byte after the end marker
