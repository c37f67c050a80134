/*
 * semantics.h - RFC 9669 meaning of ALU operations, conditional jumps, byte swaps and memory
 * access, written once and expanded by both interpreters (interp.c, interp_checked.c).
 *
 * Each SEM_<OP>(U, S, M, a, b) is an expression on operands a, b of unsigned type U (uint64_t or
 * uint32_t), with S the signed type of the same width and M the shift mask (63 or 31). Callers
 * assign the result to a U and then zero-extend into the 64-bit register, which gives the RFC's
 * "32-bit results are zero-extended". No expression has undefined behaviour for any input:
 * division by zero, INT_MIN / -1 and INT_MIN % -1 are special-cased, shifts are masked.
 */
#ifndef USERBPF_SEMANTICS_H
#define USERBPF_SEMANTICS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "isa/isa.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "userbpf's interpreters assume a little-endian host"
#endif

#define SEM_ADD(U, S, M, a, b) ((a) + (b))
#define SEM_SUB(U, S, M, a, b) ((a) - (b))
#define SEM_MUL(U, S, M, a, b) ((a) * (b))
/* Unsigned division by zero gives 0. */
#define SEM_DIV(U, S, M, a, b) ((b) ? (a) / (b) : (U)0)
/* Signed division (off = 1): by zero gives 0; by -1 is negation, which wraps INT_MIN to itself. */
#define SEM_SDIV(U, S, M, a, b) ((b) == 0 ? (U)0 : (S)(b) == -1 ? (U)0 - (a) : (U)((S)(a) / (S)(b)))
#define SEM_OR(U, S, M, a, b)	((a) | (b))
#define SEM_AND(U, S, M, a, b)	((a) & (b))
#define SEM_LSH(U, S, M, a, b)	((U)((a) << ((b) & (M))))
#define SEM_RSH(U, S, M, a, b)	((a) >> ((b) & (M)))
/* Unsigned modulo by zero leaves dst unchanged (for 32-bit ops: its low half, zero-extended). */
#define SEM_MOD(U, S, M, a, b) ((b) ? (a) % (b) : (a))
/* Signed modulo: by zero leaves dst; by -1 is 0 (INT_MIN % -1 would trap on x86); sign of dividend. */
#define SEM_SMOD(U, S, M, a, b) ((b) == 0 ? (a) : (S)(b) == -1 ? (U)0 : (U)((S)(a) % (S)(b)))
#define SEM_XOR(U, S, M, a, b)	((a) ^ (b))
#define SEM_MOV(U, S, M, a, b)	(b)
/* Arithmetic shift: gcc and clang define >> of a negative signed value as sign-propagating. */
#define SEM_ARSH(U, S, M, a, b) ((U)((S)(a) >> ((b) & (M))))

/* The binary ALU operations; each has 64/32-bit and K/X forms in opcodes.def. */
#define SEM_ALU_OPS(ALU)                                                                                     \
	ALU(ADD)                                                                                             \
	ALU(SUB)                                                                                             \
	ALU(MUL)                                                                                             \
	ALU(DIV)                                                                                             \
	ALU(SDIV)                                                                                            \
	ALU(OR)                                                                                              \
	ALU(AND)                                                                                             \
	ALU(LSH)                                                                                             \
	ALU(RSH)                                                                                             \
	ALU(MOD)                                                                                             \
	ALU(SMOD)                                                                                            \
	ALU(XOR)                                                                                             \
	ALU(MOV)                                                                                             \
	ALU(ARSH)

/* Conditions of conditional jumps, on a, b of unsigned type U, S signed. */
#define SEM_JEQ(U, S, a, b)  ((a) == (b))
#define SEM_JGT(U, S, a, b)  ((a) > (b))
#define SEM_JGE(U, S, a, b)  ((a) >= (b))
#define SEM_JSET(U, S, a, b) (((a) & (b)) != 0)
#define SEM_JNE(U, S, a, b)  ((a) != (b))
#define SEM_JSGT(U, S, a, b) ((S)(a) > (S)(b))
#define SEM_JSGE(U, S, a, b) ((S)(a) >= (S)(b))
#define SEM_JLT(U, S, a, b)  ((a) < (b))
#define SEM_JLE(U, S, a, b)  ((a) <= (b))
#define SEM_JSLT(U, S, a, b) ((S)(a) < (S)(b))
#define SEM_JSLE(U, S, a, b) ((S)(a) <= (S)(b))

#define SEM_JMP_OPS(J)                                                                                       \
	J(JEQ)                                                                                               \
	J(JGT)                                                                                               \
	J(JGE)                                                                                               \
	J(JSET)                                                                                              \
	J(JNE)                                                                                               \
	J(JSGT)                                                                                              \
	J(JSGE)                                                                                              \
	J(JLT)                                                                                               \
	J(JLE)                                                                                               \
	J(JSLT)                                                                                              \
	J(JSLE)

/* K operands: sign-extended imm for 64-bit operations, its low 32 bits for 32-bit ones. */
#define SEM_IMM64(imm) ((uint64_t)(int64_t)(int32_t)(imm))
#define SEM_IMM32(imm) ((uint32_t)(imm))

/* Byte swaps (le*: truncate on a little-endian host; be* and bswap*: swap). */
#define SEM_LE16(x) ((uint64_t)(uint16_t)(x))
#define SEM_LE32(x) ((uint64_t)(uint32_t)(x))
#define SEM_LE64(x) ((uint64_t)(x))
#define SEM_BE16(x) ((uint64_t)__builtin_bswap16((uint16_t)(x)))
#define SEM_BE32(x) ((uint64_t)__builtin_bswap32((uint32_t)(x)))
#define SEM_BE64(x) ((uint64_t)__builtin_bswap64((uint64_t)(x)))
#define SEM_BSWAP16 SEM_BE16
#define SEM_BSWAP32 SEM_BE32
#define SEM_BSWAP64 SEM_BE64

/* movsx: sign-extend the low N bits of src; 32-bit forms zero-extend the 32-bit result. */
#define SEM_MOVSX8_64(x)  ((uint64_t)(int64_t)(int8_t)(x))
#define SEM_MOVSX16_64(x) ((uint64_t)(int64_t)(int16_t)(x))
#define SEM_MOVSX32_64(x) ((uint64_t)(int64_t)(int32_t)(x))
#define SEM_MOVSX8_32(x)  ((uint64_t)(uint32_t)(int32_t)(int8_t)(x))
#define SEM_MOVSX16_32(x) ((uint64_t)(uint32_t)(int32_t)(int16_t)(x))

/* Unaligned-safe loads and stores of type T at an address held in a uint64_t (memcpy compiles to
 * one mov on x86-64 and arm64, and has no alignment or aliasing UB). */
#define SEM_LOAD(T, addr)                                                                                    \
	({                                                                                                   \
		T v_;                                                                                        \
		memcpy(&v_, (const void *)(uintptr_t)(addr), sizeof(v_));                                    \
		v_;                                                                                          \
	})
#define SEM_STORE(T, addr, val)                                                                              \
	do {                                                                                                 \
		T v_ = (T)(val);                                                                             \
		memcpy((void *)(uintptr_t)(addr), &v_, sizeof(v_));                                          \
	} while (0)

/* Big-endian loads for LD_ABS/LD_IND. */
static inline uint64_t sem_load_be(const uint8_t *p, int size)
{
	switch (size) {
	case 1:
		return p[0];
	case 2: {
		uint16_t v;
		memcpy(&v, p, 2);
		return __builtin_bswap16(v);
	}
	default: {
		uint32_t v;
		memcpy(&v, p, 4);
		return __builtin_bswap32(v);
	}
	}
}

/*
 * Atomic read-modify-write of width T at p (must be naturally aligned), op one of the BPF_ATOMIC
 * imm values. Returns the old value. Sequentially consistent, as the kernel's fetch variants are
 * full barriers.
 */
#define SEM_ATOMIC_RMW(T, p, opimm, val, cmp)                                                                \
	({                                                                                                   \
		T *ap_ = (T *)(p);                                                                           \
		T v2_ = (T)(val), old_;                                                                      \
		switch ((opimm) & ~BPF_FETCH) {                                                              \
		case BPF_ADD:                                                                                \
			old_ = __atomic_fetch_add(ap_, v2_, __ATOMIC_SEQ_CST);                               \
			break;                                                                               \
		case BPF_OR:                                                                                 \
			old_ = __atomic_fetch_or(ap_, v2_, __ATOMIC_SEQ_CST);                                \
			break;                                                                               \
		case BPF_AND:                                                                                \
			old_ = __atomic_fetch_and(ap_, v2_, __ATOMIC_SEQ_CST);                               \
			break;                                                                               \
		case BPF_XOR:                                                                                \
			old_ = __atomic_fetch_xor(ap_, v2_, __ATOMIC_SEQ_CST);                               \
			break;                                                                               \
		case BPF_XCHG & ~BPF_FETCH:                                                                  \
			old_ = __atomic_exchange_n(ap_, v2_, __ATOMIC_SEQ_CST);                              \
			break;                                                                               \
		default: /* BPF_CMPXCHG */                                                                   \
			old_ = (T)(cmp);                                                                     \
			__atomic_compare_exchange_n(ap_, &old_, v2_, false, __ATOMIC_SEQ_CST,                \
						    __ATOMIC_SEQ_CST);                                       \
			break;                                                                               \
		}                                                                                            \
		old_;                                                                                        \
	})

/* Every atomic form: A(FORM, width type, BPF_ATOMIC imm). */
#define SEM_ATOMIC_OPS(A)                                                                                    \
	A(ATOMIC_ADDW, uint32_t, BPF_ADD)                                                                    \
	A(ATOMIC_FETCH_ADDW, uint32_t, BPF_ADD | BPF_FETCH)                                                  \
	A(ATOMIC_ORW, uint32_t, BPF_OR)                                                                      \
	A(ATOMIC_FETCH_ORW, uint32_t, BPF_OR | BPF_FETCH)                                                    \
	A(ATOMIC_ANDW, uint32_t, BPF_AND)                                                                    \
	A(ATOMIC_FETCH_ANDW, uint32_t, BPF_AND | BPF_FETCH)                                                  \
	A(ATOMIC_XORW, uint32_t, BPF_XOR)                                                                    \
	A(ATOMIC_FETCH_XORW, uint32_t, BPF_XOR | BPF_FETCH)                                                  \
	A(ATOMIC_XCHGW, uint32_t, BPF_XCHG)                                                                  \
	A(ATOMIC_CMPXCHGW, uint32_t, BPF_CMPXCHG)                                                            \
	A(ATOMIC_ADDDW, uint64_t, BPF_ADD)                                                                   \
	A(ATOMIC_FETCH_ADDDW, uint64_t, BPF_ADD | BPF_FETCH)                                                 \
	A(ATOMIC_ORDW, uint64_t, BPF_OR)                                                                     \
	A(ATOMIC_FETCH_ORDW, uint64_t, BPF_OR | BPF_FETCH)                                                   \
	A(ATOMIC_ANDDW, uint64_t, BPF_AND)                                                                   \
	A(ATOMIC_FETCH_ANDDW, uint64_t, BPF_AND | BPF_FETCH)                                                 \
	A(ATOMIC_XORDW, uint64_t, BPF_XOR)                                                                   \
	A(ATOMIC_FETCH_XORDW, uint64_t, BPF_XOR | BPF_FETCH)                                                 \
	A(ATOMIC_XCHGDW, uint64_t, BPF_XCHG)                                                                 \
	A(ATOMIC_CMPXCHGDW, uint64_t, BPF_CMPXCHG)

/*
 * Where the result of an atomic goes: cmpxchg writes the old value to r0, the other fetch forms to
 * src, the rest nowhere. The old value of a 32-bit form is zero-extended.
 */
#define SEM_ATOMIC_RESULT(opimm, reg, srcreg, old)                                                           \
	do {                                                                                                 \
		if ((opimm) == BPF_CMPXCHG)                                                                  \
			(reg)[0] = (old);                                                                    \
		else if ((opimm)&BPF_FETCH)                                                                  \
			(reg)[srcreg] = (old);                                                               \
	} while (0)

/* Loads, sign-extending loads and stores: L(FORM, type), with a signed type for ldxs*. */
#define SEM_LDX_OPS(L)                                                                                       \
	L(LDXB, uint8_t)                                                                                     \
	L(LDXH, uint16_t)                                                                                    \
	L(LDXW, uint32_t)                                                                                    \
	L(LDXDW, uint64_t)                                                                                   \
	L(LDXSB, int8_t)                                                                                     \
	L(LDXSH, int16_t)                                                                                    \
	L(LDXSW, int32_t)
#define SEM_ST_OPS(L)                                                                                        \
	L(STB, STXB, uint8_t)                                                                                \
	L(STH, STXH, uint16_t)                                                                               \
	L(STW, STXW, uint32_t)                                                                               \
	L(STDW, STXDW, uint64_t)

/* LD_ABS / LD_IND: P(FORM, size, indirect). */
#define SEM_LDPKT_OPS(P)                                                                                     \
	P(LDABSB, 1, 0)                                                                                      \
	P(LDABSH, 2, 0)                                                                                      \
	P(LDABSW, 4, 0)                                                                                      \
	P(LDINDB, 1, 1)                                                                                      \
	P(LDINDH, 2, 1)                                                                                      \
	P(LDINDW, 4, 1)

/*
 * Packet offset of LD_ABS (imm) or LD_IND (src + imm). The kernel computes it as a 32-bit int and
 * treats negative values as out of bounds (its SKF_* negative offsets have no meaning here).
 */
#define SEM_PKT_OFF(ind, srcval, imm)                                                                        \
	((ind) ? (int64_t)(int32_t)(uint32_t)((srcval) + (uint64_t)(int64_t)(imm)) : (int64_t)(imm))

#endif /* USERBPF_SEMANTICS_H */
