/*
 * insn.h - build BPF instructions in C for the unit tests, without the assembler.
 * Each macro is a struct userbpf_insn initializer; I_LDDW is two of them (use it inside an array).
 * Raw opcodes are spelled with isa.h's field constants, as RFC 9669 composes them.
 */
#ifndef USERBPF_TEST_INSN_H
#define USERBPF_TEST_INSN_H

#include "isa/isa.h"

#define I_RAW(CODE, DST, SRC, OFF, IMM)                                                                      \
	((struct userbpf_insn){.code = (CODE),                                                               \
			       .dst_reg = (DST),                                                             \
			       .src_reg = (SRC),                                                             \
			       .off = (int16_t)(OFF),                                                        \
			       .imm = (int32_t)(IMM)})

/* ALU: OP is BPF_ADD, BPF_SUB, ...; OFF 1 selects sdiv/smod. */
#define I_ALU64_IMM(OP, DST, IMM)  I_RAW(BPF_ALU64 | (OP) | BPF_K, DST, 0, 0, IMM)
#define I_ALU64_REG(OP, DST, SRC)  I_RAW(BPF_ALU64 | (OP) | BPF_X, DST, SRC, 0, 0)
#define I_ALU32_IMM(OP, DST, IMM)  I_RAW(BPF_ALU | (OP) | BPF_K, DST, 0, 0, IMM)
#define I_ALU32_REG(OP, DST, SRC)  I_RAW(BPF_ALU | (OP) | BPF_X, DST, SRC, 0, 0)
#define I_SALU64_IMM(OP, DST, IMM) I_RAW(BPF_ALU64 | (OP) | BPF_K, DST, 0, 1, IMM)
#define I_SALU64_REG(OP, DST, SRC) I_RAW(BPF_ALU64 | (OP) | BPF_X, DST, SRC, 1, 0)
#define I_SALU32_IMM(OP, DST, IMM) I_RAW(BPF_ALU | (OP) | BPF_K, DST, 0, 1, IMM)
#define I_SALU32_REG(OP, DST, SRC) I_RAW(BPF_ALU | (OP) | BPF_X, DST, SRC, 1, 0)
#define I_MOV64_IMM(DST, IMM)	   I_ALU64_IMM(BPF_MOV, DST, IMM)
#define I_MOV64_REG(DST, SRC)	   I_ALU64_REG(BPF_MOV, DST, SRC)
#define I_MOV32_IMM(DST, IMM)	   I_ALU32_IMM(BPF_MOV, DST, IMM)
#define I_MOV32_REG(DST, SRC)	   I_ALU32_REG(BPF_MOV, DST, SRC)
#define I_NEG64(DST)		   I_RAW(BPF_ALU64 | BPF_NEG, DST, 0, 0, 0)
#define I_NEG32(DST)		   I_RAW(BPF_ALU | BPF_NEG, DST, 0, 0, 0)
/* movsx: BITS is 8, 16 or 32 (32 only for 64-bit). */
#define I_MOVSX64(DST, SRC, BITS) I_RAW(BPF_ALU64 | BPF_MOV | BPF_X, DST, SRC, BITS, 0)
#define I_MOVSX32(DST, SRC, BITS) I_RAW(BPF_ALU | BPF_MOV | BPF_X, DST, SRC, BITS, 0)
/* Byte swaps: to little / big endian (ALU class) and unconditional bswap (ALU64 class). */
#define I_LE(DST, BITS)	   I_RAW(BPF_ALU | BPF_END | BPF_TO_LE, DST, 0, 0, BITS)
#define I_BE(DST, BITS)	   I_RAW(BPF_ALU | BPF_END | BPF_TO_BE, DST, 0, 0, BITS)
#define I_BSWAP(DST, BITS) I_RAW(BPF_ALU64 | BPF_END, DST, 0, 0, BITS)

/* Jumps: OP is BPF_JEQ, ...; OFF relative to the next instruction. */
#define I_JA(OFF)		       I_RAW(BPF_JMP | BPF_JA, 0, 0, OFF, 0)
#define I_JA32(IMM)		       I_RAW(BPF_JMP32 | BPF_JA, 0, 0, 0, IMM)
#define I_JMP_IMM(OP, DST, IMM, OFF)   I_RAW(BPF_JMP | (OP) | BPF_K, DST, 0, OFF, IMM)
#define I_JMP_REG(OP, DST, SRC, OFF)   I_RAW(BPF_JMP | (OP) | BPF_X, DST, SRC, OFF, 0)
#define I_JMP32_IMM(OP, DST, IMM, OFF) I_RAW(BPF_JMP32 | (OP) | BPF_K, DST, 0, OFF, IMM)
#define I_JMP32_REG(OP, DST, SRC, OFF) I_RAW(BPF_JMP32 | (OP) | BPF_X, DST, SRC, OFF, 0)
#define I_CALL(ID)		       I_RAW(BPF_JMP | BPF_CALL, 0, 0, 0, ID)
#define I_CALL_LOCAL(IMM)	       I_RAW(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, IMM)
#define I_EXIT()		       I_RAW(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Memory: SIZE is BPF_B, BPF_H, BPF_W or BPF_DW. */
#define I_LDX(SIZE, DST, SRC, OFF)  I_RAW(BPF_LDX | BPF_MEM | (SIZE), DST, SRC, OFF, 0)
#define I_LDXS(SIZE, DST, SRC, OFF) I_RAW(BPF_LDX | BPF_MEMSX | (SIZE), DST, SRC, OFF, 0)
#define I_ST(SIZE, DST, OFF, IMM)   I_RAW(BPF_ST | BPF_MEM | (SIZE), DST, 0, OFF, IMM)
#define I_STX(SIZE, DST, SRC, OFF)  I_RAW(BPF_STX | BPF_MEM | (SIZE), DST, SRC, OFF, 0)
/* Atomics: SIZE BPF_W or BPF_DW, OP BPF_ADD, BPF_ADD | BPF_FETCH, ..., BPF_XCHG, BPF_CMPXCHG. */
#define I_ATOMIC(SIZE, OP, DST, SRC, OFF) I_RAW(BPF_STX | BPF_ATOMIC | (SIZE), DST, SRC, OFF, OP)

/* 64-bit immediate load: two slots. */
#define I_LDDW(DST, IMM64)                                                                                   \
	I_RAW(BPF_LD | BPF_IMM | BPF_DW, DST, 0, 0, (uint32_t)(uint64_t)(IMM64)),                            \
	    I_RAW(0, 0, 0, 0, (uint32_t)((uint64_t)(IMM64) >> 32))

/* Legacy packet loads. */
#define I_LDABS(SIZE, IMM)	I_RAW(BPF_LD | BPF_ABS | (SIZE), 0, 0, 0, IMM)
#define I_LDIND(SIZE, SRC, IMM) I_RAW(BPF_LD | BPF_IND | (SIZE), 0, SRC, 0, IMM)

#endif /* USERBPF_TEST_INSN_H */
