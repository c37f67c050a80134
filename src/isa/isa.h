/*
 * isa.h - the BPF instruction set as userbpf sees it: opcode fields, instruction forms, decoding.
 *
 * Owns: the opcode field constants (kernel names, BPF_ALU64 | BPF_ADD | BPF_K), the form table
 * generated from opcodes.def, and isa_decode(), the single place that turns an instruction slot into
 * a form. Everything that needs to know "what instruction is this" (validator, disassembler,
 * assembler, interpreter pre-decoding, verifier, JIT) asks isa_decode() and never re-derives it.
 * Depends on libc only.
 */
#ifndef USERBPF_ISA_H
#define USERBPF_ISA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "userbpf/userbpf.h"

#define USERBPF_HIDDEN __attribute__((visibility("hidden")))

/* Instruction classes (low 3 bits). */
#define BPF_CLASS(code) ((code) & 0x07)
#define BPF_LD 0x00
#define BPF_LDX 0x01
#define BPF_ST 0x02
#define BPF_STX 0x03
#define BPF_ALU 0x04
#define BPF_JMP 0x05
#define BPF_JMP32 0x06
#define BPF_ALU64 0x07

/* ALU and JMP: operation (high 4 bits) and source (bit 3). */
#define BPF_OP(code) ((code) & 0xf0)
#define BPF_SRC(code) ((code) & 0x08)
#define BPF_K 0x00
#define BPF_X 0x08
#define BPF_ADD 0x00
#define BPF_SUB 0x10
#define BPF_MUL 0x20
#define BPF_DIV 0x30
#define BPF_OR 0x40
#define BPF_AND 0x50
#define BPF_LSH 0x60
#define BPF_RSH 0x70
#define BPF_NEG 0x80
#define BPF_MOD 0x90
#define BPF_XOR 0xa0
#define BPF_MOV 0xb0
#define BPF_ARSH 0xc0
#define BPF_END 0xd0
#define BPF_TO_LE 0x00
#define BPF_TO_BE 0x08
#define BPF_JA 0x00
#define BPF_JEQ 0x10
#define BPF_JGT 0x20
#define BPF_JGE 0x30
#define BPF_JSET 0x40
#define BPF_JNE 0x50
#define BPF_JSGT 0x60
#define BPF_JSGE 0x70
#define BPF_CALL 0x80
#define BPF_EXIT 0x90
#define BPF_JLT 0xa0
#define BPF_JLE 0xb0
#define BPF_JSLT 0xc0
#define BPF_JSLE 0xd0

/* Loads and stores: size (bits 3-4) and mode (bits 5-7). */
#define BPF_SIZE(code) ((code) & 0x18)
#define BPF_MODE(code) ((code) & 0xe0)
#define BPF_W 0x00
#define BPF_H 0x08
#define BPF_B 0x10
#define BPF_DW 0x18
#define BPF_IMM 0x00
#define BPF_ABS 0x20
#define BPF_IND 0x40
#define BPF_MEM 0x60
#define BPF_MEMSX 0x80
#define BPF_ATOMIC 0xc0

/* Atomic operations (imm of BPF_ATOMIC). */
#define BPF_FETCH 0x01
#define BPF_XCHG (0xe0 | BPF_FETCH)
#define BPF_CMPXCHG (0xf0 | BPF_FETCH)

/* src_reg of call and lddw. */
#define BPF_PSEUDO_CALL 1
#define BPF_PSEUDO_KFUNC_CALL 2
#define BPF_PSEUDO_MAP_FD 1
#define BPF_PSEUDO_MAP_VALUE 2
#define BPF_PSEUDO_BTF_ID 3
#define BPF_PSEUDO_FUNC 4
#define BPF_PSEUDO_MAP_IDX 5
#define BPF_PSEUDO_MAP_IDX_VALUE 6

#define BPF_REG_FP 10 /* frame pointer, read-only */
#define ISA_NR_REGS 11

/* Which field, besides the opcode byte, selects a form. */
enum isa_variant { ISA_VAR_NONE, ISA_VAR_OFF, ISA_VAR_IMM, ISA_VAR_SRC };

/* Operand shape of a form: which fields carry operands. Every field a kind does not use must be 0. */
enum isa_kind {
	ISA_KIND_ALU_K,       /* dst op= imm                      uses dst, imm (off is the variant) */
	ISA_KIND_ALU_X,       /* dst op= src                      uses dst, src (off is the variant) */
	ISA_KIND_NEG,         /* dst = -dst                       uses dst */
	ISA_KIND_MOVSX,       /* dst = (sN)src                    uses dst, src (off = N) */
	ISA_KIND_END,         /* byte swap of dst                 uses dst (imm = width) */
	ISA_KIND_JA,          /* goto +off                        uses off */
	ISA_KIND_JA32,        /* goto +imm                        uses imm */
	ISA_KIND_JCC_K,       /* if dst op imm goto +off          uses dst, off, imm */
	ISA_KIND_JCC_X,       /* if dst op src goto +off          uses dst, src, off */
	ISA_KIND_CALL_HELPER, /* call imm                         uses imm */
	ISA_KIND_CALL_LOCAL,  /* call pc+imm                      uses imm */
	ISA_KIND_EXIT,        /* return r0                        uses nothing */
	ISA_KIND_LDX,         /* dst = *(size *)(src + off)       uses dst, src, off */
	ISA_KIND_ST,          /* *(size *)(dst + off) = imm       uses dst, off, imm */
	ISA_KIND_STX,         /* *(size *)(dst + off) = src       uses dst, src, off */
	ISA_KIND_ATOMIC,      /* atomic op on *(dst + off) with src   uses dst, src, off (imm = op) */
	ISA_KIND_LDDW,        /* dst = imm64 (two slots)          uses dst, imm, next.imm (src = variant) */
	ISA_KIND_LDABS,       /* r0 = ntoh(packet[imm])           uses imm */
	ISA_KIND_LDIND,       /* r0 = ntoh(packet[src + imm])     uses src, imm */
	ISA_KIND__COUNT
};

/* RFC 9669 conformance groups. */
enum isa_group {
	ISA_GROUP_BASE32,
	ISA_GROUP_BASE64,
	ISA_GROUP_ATOMIC32,
	ISA_GROUP_ATOMIC64,
	ISA_GROUP_DIVMUL32,
	ISA_GROUP_DIVMUL64,
	ISA_GROUP_PACKET,
};

/* Form ids: ISA_OP_ADD64_K, ... in table order. */
enum isa_op {
#define X(ID, CODE, VAR, VAL, KIND, CPU, GROUP, MNEM) ISA_OP_##ID,
#include "opcodes.def"
#undef X
	ISA_NR_OPS
};

struct isa_form {
	uint16_t op;      /* enum isa_op */
	uint8_t code;     /* opcode byte */
	uint8_t variant;  /* enum isa_variant */
	int32_t value;    /* what the variant field holds */
	uint8_t kind;     /* enum isa_kind */
	uint8_t cpu;      /* first CPU version */
	uint8_t group;    /* enum isa_group */
	const char *id;   /* "ADD64_K" */
	const char *mnem; /* conformance mnemonic: "add", "lock fetch add32", ... */
};

USERBPF_HIDDEN extern const struct isa_form isa_forms[ISA_NR_OPS];

/*
 * The form of `insn`, or NULL when no form has its opcode byte and variant field. Only the opcode
 * and the variant are looked at: unused-field rules are isa_check_fields()'s job.
 */
USERBPF_HIDDEN const struct isa_form *isa_decode(const struct userbpf_insn *insn);

/* True when some form has this opcode byte (so a failed decode is a bad variant, not a bad opcode). */
USERBPF_HIDDEN bool isa_code_known(uint8_t code);

/*
 * Check the fields `form` does not use are zero, and registers are in range. Returns NULL when the
 * slot is well-formed, else a short phrase naming the field ("src_reg must be 0").
 * For lddw, `next` is the second slot (NULL when missing).
 */
USERBPF_HIDDEN const char *isa_check_fields(const struct isa_form *form, const struct userbpf_insn *insn,
					    const struct userbpf_insn *next);

/* Slots used by a form: 2 for lddw, else 1. */
static inline int isa_slots(const struct isa_form *form)
{
	return form->kind == ISA_KIND_LDDW ? 2 : 1;
}

/* Access size in bytes of a load/store/atomic form (1, 2, 4, 8), 0 for others. */
USERBPF_HIDDEN int isa_access_size(const struct isa_form *form);

/* Name of a group ("base32", ...), of a kind ("ALU_K"). */
USERBPF_HIDDEN const char *isa_group_name(int group);

#endif /* USERBPF_ISA_H */
