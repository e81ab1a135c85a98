; Issue 19's large four-block ecology ancestor (ANCESTOR=ecology396; opt-in,
; docs/ecology.md): ecology314 with its input and filler block four times over instead of
; three (each block reads two fresh inputs and has 80 filler bytes: 320 filler bytes in
; all), the same start, copy loop and end marker. Held at its size (MAX_MAL_MULT=1),
; ecology314 brought EQU to 1 % in 3 of 6 seeds and ecology150x3 (76 filler bytes) in none;
; this one asks whether more executed filler helps. Needs ANCESTOR_SIZE_LIMIT >= 396.
; It outputs nothing: it performs no logic task.
.name 0396aaa
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
nopx56         ; 30 filler of block 1 (80 bytes)
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
in             ; 110 block 2: read an input (cx), the previous cx moving to dx
in             ; 111 read the next input: dx = one input, cx = the next
nopx56         ; 112 filler of block 2 (80 bytes)
nopx55         ; 113
nopx56         ; 114
nopx55         ; 115
nopx56         ; 116
nopx55         ; 117
nopx56         ; 118
nopx55         ; 119
nopx56         ; 120
nopx55         ; 121
nopx56         ; 122
nopx55         ; 123
nopx56         ; 124
nopx55         ; 125
nopx56         ; 126
nopx55         ; 127
nopx56         ; 128
nopx55         ; 129
nopx56         ; 130
nopx55         ; 131
nopx56         ; 132
nopx55         ; 133
nopx56         ; 134
nopx55         ; 135
nopx56         ; 136
nopx55         ; 137
nopx56         ; 138
nopx55         ; 139
nopx56         ; 140
nopx55         ; 141
nopx56         ; 142
nopx55         ; 143
nopx56         ; 144
nopx55         ; 145
nopx56         ; 146
nopx55         ; 147
nopx56         ; 148
nopx55         ; 149
nopx56         ; 150
nopx55         ; 151
nopx56         ; 152
nopx55         ; 153
nopx56         ; 154
nopx55         ; 155
nopx56         ; 156
nopx55         ; 157
nopx56         ; 158
nopx55         ; 159
nopx56         ; 160
nopx55         ; 161
nopx56         ; 162
nopx55         ; 163
nopx56         ; 164
nopx55         ; 165
nopx56         ; 166
nopx55         ; 167
nopx56         ; 168
nopx55         ; 169
nopx56         ; 170
nopx55         ; 171
nopx56         ; 172
nopx55         ; 173
nopx56         ; 174
nopx55         ; 175
nopx56         ; 176
nopx55         ; 177
nopx56         ; 178
nopx55         ; 179
nopx56         ; 180
nopx55         ; 181
nopx56         ; 182
nopx55         ; 183
nopx56         ; 184
nopx55         ; 185
nopx56         ; 186
nopx55         ; 187
nopx56         ; 188
nopx55         ; 189
nopx56         ; 190
nopx55         ; 191
in             ; 192 block 3: read an input (cx), the previous cx moving to dx
in             ; 193 read the next input: dx = one input, cx = the next
nopx56         ; 194 filler of block 3 (80 bytes)
nopx55         ; 195
nopx56         ; 196
nopx55         ; 197
nopx56         ; 198
nopx55         ; 199
nopx56         ; 200
nopx55         ; 201
nopx56         ; 202
nopx55         ; 203
nopx56         ; 204
nopx55         ; 205
nopx56         ; 206
nopx55         ; 207
nopx56         ; 208
nopx55         ; 209
nopx56         ; 210
nopx55         ; 211
nopx56         ; 212
nopx55         ; 213
nopx56         ; 214
nopx55         ; 215
nopx56         ; 216
nopx55         ; 217
nopx56         ; 218
nopx55         ; 219
nopx56         ; 220
nopx55         ; 221
nopx56         ; 222
nopx55         ; 223
nopx56         ; 224
nopx55         ; 225
nopx56         ; 226
nopx55         ; 227
nopx56         ; 228
nopx55         ; 229
nopx56         ; 230
nopx55         ; 231
nopx56         ; 232
nopx55         ; 233
nopx56         ; 234
nopx55         ; 235
nopx56         ; 236
nopx55         ; 237
nopx56         ; 238
nopx55         ; 239
nopx56         ; 240
nopx55         ; 241
nopx56         ; 242
nopx55         ; 243
nopx56         ; 244
nopx55         ; 245
nopx56         ; 246
nopx55         ; 247
nopx56         ; 248
nopx55         ; 249
nopx56         ; 250
nopx55         ; 251
nopx56         ; 252
nopx55         ; 253
nopx56         ; 254
nopx55         ; 255
nopx56         ; 256
nopx55         ; 257
nopx56         ; 258
nopx55         ; 259
nopx56         ; 260
nopx55         ; 261
nopx56         ; 262
nopx55         ; 263
nopx56         ; 264
nopx55         ; 265
nopx56         ; 266
nopx55         ; 267
nopx56         ; 268
nopx55         ; 269
nopx56         ; 270
nopx55         ; 271
nopx56         ; 272
nopx55         ; 273
in             ; 274 block 4: read an input (cx), the previous cx moving to dx
in             ; 275 read the next input: dx = one input, cx = the next
nopx56         ; 276 filler of block 4 (80 bytes)
nopx55         ; 277
nopx56         ; 278
nopx55         ; 279
nopx56         ; 280
nopx55         ; 281
nopx56         ; 282
nopx55         ; 283
nopx56         ; 284
nopx55         ; 285
nopx56         ; 286
nopx55         ; 287
nopx56         ; 288
nopx55         ; 289
nopx56         ; 290
nopx55         ; 291
nopx56         ; 292
nopx55         ; 293
nopx56         ; 294
nopx55         ; 295
nopx56         ; 296
nopx55         ; 297
nopx56         ; 298
nopx55         ; 299
nopx56         ; 300
nopx55         ; 301
nopx56         ; 302
nopx55         ; 303
nopx56         ; 304
nopx55         ; 305
nopx56         ; 306
nopx55         ; 307
nopx56         ; 308
nopx55         ; 309
nopx56         ; 310
nopx55         ; 311
nopx56         ; 312
nopx55         ; 313
nopx56         ; 314
nopx55         ; 315
nopx56         ; 316
nopx55         ; 317
nopx56         ; 318
nopx55         ; 319
nopx56         ; 320
nopx55         ; 321
nopx56         ; 322
nopx55         ; 323
nopx56         ; 324
nopx55         ; 325
nopx56         ; 326
nopx55         ; 327
nopx56         ; 328
nopx55         ; 329
nopx56         ; 330
nopx55         ; 331
nopx56         ; 332
nopx55         ; 333
nopx56         ; 334
nopx55         ; 335
nopx56         ; 336
nopx55         ; 337
nopx56         ; 338
nopx55         ; 339
nopx56         ; 340
nopx55         ; 341
nopx56         ; 342
nopx55         ; 343
nopx56         ; 344
nopx55         ; 345
nopx56         ; 346
nopx55         ; 347
nopx56         ; 348
nopx55         ; 349
nopx56         ; 350
nopx55         ; 351
nopx56         ; 352
nopx55         ; 353
nopx56         ; 354
nopx55         ; 355
pop_cx         ; 356 restore the size
mal            ; 357 allocate cx bytes for the daughter; ax = its address
push_bx        ; 358 save the mother's address
push_cx        ; 359 save the size
call           ; 360 call the copy loop
nop_0          ; 361 complement of the copy loop marker
nop_0          ; 362
nop_1          ; 363
nop_1          ; 364
pop_cx         ; 365 restore the size
pop_bx         ; 366 restore the mother's address
divide         ; 367 the daughter becomes a cell
jmpb           ; 368 back to the reproduction loop
nop_0          ; 369 complement of the reproduction loop marker
nop_0          ; 370
nop_1          ; 371
nop_0          ; 372
if_cz          ; 373 separates templates
nop_1          ; 374 copy loop marker (1100)
nop_1          ; 375
nop_0          ; 376
nop_0          ; 377
mov_iab        ; 378 copy one byte: soup[ax] = soup[bx]
harvest        ; 379 energy from the field under the cell
inc_a          ; 380 next daughter address
inc_b          ; 381 next mother address
dec_c          ; 382 one byte fewer to copy
if_cz          ; 383 when cx is 0...
ret            ; 384 ...return to the caller (one byte: no exit template)
jmpb           ; 385 else back to the copy loop
nop_0          ; 386 complement of the copy loop marker
nop_0          ; 387
nop_1          ; 388
nop_1          ; 389
if_cz          ; 390 separates templates
nop_1          ; 391 end marker (1110)
nop_1          ; 392
nop_1          ; 393
nop_0          ; 394
if_cz          ; 395 the byte after the end marker
