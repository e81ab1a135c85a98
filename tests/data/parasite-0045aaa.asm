; a 45-byte parasite from a classic run (seed 1, saved at 2.0 M instructions by bytebiota)
.name 0045aaa
.parent 0080aeu
.origin 1999141
.size 45
nop_1      ; 0
nop_1      ; 1
nop_1      ; 2
nop_1      ; 3
zero       ; 4
or1        ; 5
sh1        ; 6
sh1        ; 7
mov_cd     ; 8
adrb       ; 9
nop_0      ; 10
nop_0      ; 11
nop_0      ; 12
nop_0      ; 13
sub_ac     ; 14
mov_ab     ; 15
adrf       ; 16
nop_0      ; 17
nop_0      ; 18
nop_0      ; 19
nop_1      ; 20
inc_a      ; 21
sub_ab     ; 22
nop_1      ; 23
nop_1      ; 24
nop_0      ; 25
nop_1      ; 26
mal        ; 27
call       ; 28
nop_0      ; 29
nop_0      ; 30
nop_1      ; 31
nop_1      ; 32
divide     ; 33
jmp        ; 34
nop_0      ; 35
nop_0      ; 36
nop_1      ; 37
nop_0      ; 38
if_cz      ; 39
nop_1      ; 40
nop_1      ; 41
nop_1      ; 42
nop_0      ; 43
push_ax    ; 44
