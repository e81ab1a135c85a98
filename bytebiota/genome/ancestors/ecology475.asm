; Issue 19's five-block ancestor for COPY_ADVANCES (ANCESTOR=ecology475; opt-in,
; docs/ecology.md): ecology311 with its input and filler block five times over (each
; reads two fresh inputs and has 80 filler bytes); with the four-instruction copy loop
; a gestation takes about as many instructions as ecology314's. Without COPY_ADVANCES
; it does not replicate. It outputs nothing: it performs no logic task. Needs
; ANCESTOR_SIZE_LIMIT >= 475.
.name 0475aaa
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
in             ; 356 block 5: read an input (cx), the previous cx moving to dx
in             ; 357 read the next input: dx = one input, cx = the next
nopx56         ; 358 filler of block 5 (80 bytes)
nopx55         ; 359
nopx56         ; 360
nopx55         ; 361
nopx56         ; 362
nopx55         ; 363
nopx56         ; 364
nopx55         ; 365
nopx56         ; 366
nopx55         ; 367
nopx56         ; 368
nopx55         ; 369
nopx56         ; 370
nopx55         ; 371
nopx56         ; 372
nopx55         ; 373
nopx56         ; 374
nopx55         ; 375
nopx56         ; 376
nopx55         ; 377
nopx56         ; 378
nopx55         ; 379
nopx56         ; 380
nopx55         ; 381
nopx56         ; 382
nopx55         ; 383
nopx56         ; 384
nopx55         ; 385
nopx56         ; 386
nopx55         ; 387
nopx56         ; 388
nopx55         ; 389
nopx56         ; 390
nopx55         ; 391
nopx56         ; 392
nopx55         ; 393
nopx56         ; 394
nopx55         ; 395
nopx56         ; 396
nopx55         ; 397
nopx56         ; 398
nopx55         ; 399
nopx56         ; 400
nopx55         ; 401
nopx56         ; 402
nopx55         ; 403
nopx56         ; 404
nopx55         ; 405
nopx56         ; 406
nopx55         ; 407
nopx56         ; 408
nopx55         ; 409
nopx56         ; 410
nopx55         ; 411
nopx56         ; 412
nopx55         ; 413
nopx56         ; 414
nopx55         ; 415
nopx56         ; 416
nopx55         ; 417
nopx56         ; 418
nopx55         ; 419
nopx56         ; 420
nopx55         ; 421
nopx56         ; 422
nopx55         ; 423
nopx56         ; 424
nopx55         ; 425
nopx56         ; 426
nopx55         ; 427
nopx56         ; 428
nopx55         ; 429
nopx56         ; 430
nopx55         ; 431
nopx56         ; 432
nopx55         ; 433
nopx56         ; 434
nopx55         ; 435
nopx56         ; 436
nopx55         ; 437
pop_cx         ; 438 restore the size
mal            ; 439 allocate cx bytes for the daughter; ax = its address
push_bx        ; 440 save the mother's address
push_cx        ; 441 save the size
call           ; 442 call the copy loop
nop_0          ; 443 complement of the copy loop marker
nop_0          ; 444
nop_1          ; 445
nop_1          ; 446
pop_cx         ; 447 restore the size
pop_bx         ; 448 restore the mother's address
divide         ; 449 the daughter becomes a cell
jmpb           ; 450 back to the reproduction loop
nop_0          ; 451 complement of the reproduction loop marker
nop_0          ; 452
nop_1          ; 453
nop_0          ; 454
if_cz          ; 455 separates templates
nop_1          ; 456 copy loop marker (1100)
nop_1          ; 457
nop_0          ; 458
nop_0          ; 459
mov_iab        ; 460 copy one byte: soup[ax] = soup[bx]; COPY_ADVANCES moves ax and bx on
dec_c          ; 461 one byte fewer to copy
if_cz          ; 462 when cx is 0...
ret            ; 463 ...return to the caller (one byte: no exit template)
jmpb           ; 464 else back to the copy loop
nop_0          ; 465 complement of the copy loop marker
nop_0          ; 466
nop_1          ; 467
nop_1          ; 468
if_cz          ; 469 separates templates
nop_1          ; 470 end marker (1110)
nop_1          ; 471
nop_1          ; 472
nop_0          ; 473
if_cz          ; 474 the byte after the end marker
