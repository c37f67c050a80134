/*
 * isa.c - the instruction form table and the decoder built from opcodes.def.
 *
 * Owns isa_forms[], isa_decode(), isa_check_fields(). Decoding is a 256-entry index from opcode byte
 * to the first of its forms (forms sharing an opcode byte are adjacent after sorting by the index
 * builder), then a short scan over the variants. The index is built once, lazily and thread-safely.
 */
#include "isa.h"

#include <pthread.h>
#include <stdbool.h>

const struct isa_form isa_forms[ISA_NR_OPS] = {
#define X(ID, CODE, VAR, VAL, KIND, CPU, GROUP, MNEM)                                                  \
	[ISA_OP_##ID] = {.op = ISA_OP_##ID,                                                            \
			 .code = CODE,                                                                 \
			 .variant = ISA_VAR_##VAR,                                                     \
			 .value = VAL,                                                                 \
			 .kind = ISA_KIND_##KIND,                                                      \
			 .cpu = CPU,                                                                   \
			 .group = ISA_GROUP_##GROUP,                                                   \
			 .id = #ID,                                                                    \
			 .mnem = MNEM},
#include "opcodes.def"
#undef X
};

/* by_code[c] lists the forms with opcode byte c: forms_of[by_code[c] .. by_code[c + 1]). */
static uint16_t by_code[257];
static uint16_t forms_of[ISA_NR_OPS];
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static void build_index(void)
{
	uint16_t count[256] = {0};
	for (int i = 0; i < ISA_NR_OPS; i++)
		count[isa_forms[i].code]++;
	by_code[0] = 0;
	for (int c = 0; c < 256; c++)
		by_code[c + 1] = by_code[c] + count[c];
	uint16_t fill[256];
	for (int c = 0; c < 256; c++)
		fill[c] = by_code[c];
	for (int i = 0; i < ISA_NR_OPS; i++)
		forms_of[fill[isa_forms[i].code]++] = (uint16_t)i;
}

const struct isa_form *isa_decode(const struct userbpf_insn *insn)
{
	/* A form whose variant field matches wins over a NONE form sharing the opcode (sdiv vs div). */
	const struct isa_form *fallback = NULL;
	pthread_once(&index_once, build_index);
	for (unsigned i = by_code[insn->code]; i < by_code[insn->code + 1]; i++) {
		const struct isa_form *f = &isa_forms[forms_of[i]];
		switch (f->variant) {
		case ISA_VAR_NONE:
			fallback = f;
			break;
		case ISA_VAR_OFF:
			if (insn->off == f->value)
				return f;
			break;
		case ISA_VAR_IMM:
			if (insn->imm == f->value)
				return f;
			break;
		case ISA_VAR_SRC:
			if (insn->src_reg == f->value)
				return f;
			break;
		}
	}
	return fallback;
}

bool isa_code_known(uint8_t code)
{
	pthread_once(&index_once, build_index);
	return by_code[code + 1] > by_code[code];
}

/* Field-use bits per kind. */
enum { U_DST = 1, U_SRC = 2, U_OFF = 4, U_IMM = 8 };

static const uint8_t kind_uses[ISA_KIND__COUNT] = {
	[ISA_KIND_ALU_K] = U_DST | U_IMM,
	[ISA_KIND_ALU_X] = U_DST | U_SRC,
	[ISA_KIND_NEG] = U_DST,
	[ISA_KIND_MOVSX] = U_DST | U_SRC,
	[ISA_KIND_END] = U_DST,
	[ISA_KIND_JA] = U_OFF,
	[ISA_KIND_JA32] = U_IMM,
	[ISA_KIND_JCC_K] = U_DST | U_OFF | U_IMM,
	[ISA_KIND_JCC_X] = U_DST | U_SRC | U_OFF,
	[ISA_KIND_CALL_HELPER] = U_IMM,
	[ISA_KIND_CALL_LOCAL] = U_IMM,
	[ISA_KIND_EXIT] = 0,
	[ISA_KIND_LDX] = U_DST | U_SRC | U_OFF,
	[ISA_KIND_ST] = U_DST | U_OFF | U_IMM,
	[ISA_KIND_STX] = U_DST | U_SRC | U_OFF,
	[ISA_KIND_ATOMIC] = U_DST | U_SRC | U_OFF,
	[ISA_KIND_LDDW] = U_DST | U_IMM,
	[ISA_KIND_LDABS] = U_IMM,
	[ISA_KIND_LDIND] = U_SRC | U_IMM,
};

const char *isa_check_fields(const struct isa_form *form, const struct userbpf_insn *insn,
			     const struct userbpf_insn *next)
{
	uint8_t uses = kind_uses[form->kind];
	/* The variant field is "used" (it must hold the form's value, which decoding checked). */
	if (form->variant == ISA_VAR_OFF)
		uses |= U_OFF;
	else if (form->variant == ISA_VAR_IMM)
		uses |= U_IMM;
	else if (form->variant == ISA_VAR_SRC)
		uses |= U_SRC;

	if (!(uses & U_DST) && insn->dst_reg != 0)
		return "dst_reg must be 0";
	if (!(uses & U_SRC) && insn->src_reg != 0)
		return "src_reg must be 0";
	if (!(uses & U_OFF) && insn->off != 0)
		return "offset must be 0";
	if (!(uses & U_IMM) && insn->imm != 0)
		return "imm must be 0";
	if ((uses & U_DST) && insn->dst_reg >= ISA_NR_REGS)
		return "dst_reg is not a register (r0-r10)";
	if ((uses & U_SRC) && form->variant != ISA_VAR_SRC && insn->src_reg >= ISA_NR_REGS)
		return "src_reg is not a register (r0-r10)";
	if (form->kind == ISA_KIND_LDDW) {
		if (!next)
			return "lddw needs a second instruction slot";
		if (next->code != 0 || next->dst_reg != 0 || next->src_reg != 0 || next->off != 0)
			return "second slot of lddw must have code, registers and offset 0";
	}
	return NULL;
}

int isa_access_size(const struct isa_form *form)
{
	switch (form->kind) {
	case ISA_KIND_LDX:
	case ISA_KIND_ST:
	case ISA_KIND_STX:
	case ISA_KIND_ATOMIC:
	case ISA_KIND_LDABS:
	case ISA_KIND_LDIND:
		switch (BPF_SIZE(form->code)) {
		case BPF_B:
			return 1;
		case BPF_H:
			return 2;
		case BPF_W:
			return 4;
		default:
			return 8;
		}
	default:
		return 0;
	}
}

const char *isa_group_name(int group)
{
	static const char *const names[] = {"base32",   "base64",   "atomic32", "atomic64",
					    "divmul32", "divmul64", "packet"};
	return group >= 0 && group < (int)(sizeof(names) / sizeof(names[0])) ? names[group] : "?";
}
