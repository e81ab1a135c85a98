; The ecology ancestor: the classic ancestor (classic.asm) for instruction set 1, with
; what life in the ecology regime needs and room for more:
; - a harvest in the copy loop: energy from the resource field under the cell, about once
;   every ten instructions (the field cell under a cell holds at most ENV_MAX_RESOURCE);
; - twelve filler bytes (nopx48 .. nopx59), executed once per gestation. Each is one bit
;   flip away from an environment or logic instruction (nopx48+k -> code 32+k: harvest,
;   sense_r, sense_s, emit, load, store, in, out, nand, mov_dc, swap_cd, add_cd), so
;   mutation can turn the filler into computation, as Avida's nop-C filler;
; - before the filler it reads two inputs (cx saved and restored around the block, since
;   mal needs the size in cx). It outputs nothing: it performs no logic task. Two flips
;   (nopx56 -> nand, nopx55 -> out) would make it perform NAND.
.name 0097aaa
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
push_cx        ; 34 save the size across the input block
in             ; 35 read an input (cx), the previous cx moving to dx
in             ; 36 read the next input: dx = first, cx = second
nopx56         ; 37 filler: one flip from nand (40) or mov_cd (24)
nopx55         ; 38 filler: one flip from out (39)
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
pop_cx         ; 49 restore the size for the next mal
jmp            ; 50 back to the reproduction loop
nop_0          ; 51 complement of the reproduction loop marker
nop_0          ; 52
nop_1          ; 53
nop_0          ; 54
if_cz          ; 55 separates templates
nop_1          ; 56 copy procedure marker (1100)
nop_1          ; 57
nop_0          ; 58
nop_0          ; 59
push_ax        ; 60 save the daughter's address
push_bx        ; 61 save the mother's address
push_cx        ; 62 save the size
nop_1          ; 63 copy loop marker (1010)
nop_0          ; 64
nop_1          ; 65
nop_0          ; 66
mov_iab        ; 67 copy one byte: soup[ax] = soup[bx]
harvest        ; 68 energy from the field under the cell
dec_c          ; 69 one byte fewer to copy
if_cz          ; 70 when cx is 0...
jmp            ; 71 ...leave the loop
nop_0          ; 72 complement of the copy exit marker
nop_1          ; 73
nop_0          ; 74
nop_0          ; 75
inc_a          ; 76 next daughter address
inc_b          ; 77 next mother address
jmp            ; 78 back to the copy loop
nop_0          ; 79 complement of the copy loop marker
nop_1          ; 80
nop_0          ; 81
nop_1          ; 82
if_cz          ; 83 separates templates
nop_1          ; 84 copy exit marker (1011)
nop_0          ; 85
nop_1          ; 86
nop_1          ; 87
pop_cx         ; 88 restore the size
pop_bx         ; 89 restore the mother's address
pop_ax         ; 90 restore the daughter's address
ret            ; 91 return to the caller
nop_1          ; 92 end marker (1110)
nop_1          ; 93
nop_1          ; 94
nop_0          ; 95
if_cz          ; 96 the byte after the end marker
