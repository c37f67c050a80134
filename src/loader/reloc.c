/*
 * reloc.c - from code sections to programs: functions found from the symbol table, relocations
 * applied (map references -> lddw src=BPF_PSEUDO_MAP_IDX, global data -> src=BPF_PSEUDO_MAP_IDX_VALUE,
 * calls and function addresses -> targets), then each program linked as libbpf does it: its body,
 * followed by every subprogram it reaches (once each), with call offsets and line info rebased.
 */
#include <errno.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"
#include "loader.h"

#ifndef R_BPF_64_64
#define R_BPF_64_64 1
#endif
#ifndef R_BPF_64_32
#define R_BPF_64_32 10
#endif
#define R_BPF_NONE_   0
#define BPF_LDDW      (BPF_LD | BPF_IMM | BPF_DW)
#define BPF_CALL_INSN (BPF_JMP | BPF_CALL)

static int cmp_func(const void *a, const void *b)
{
	const struct loader_func *x = a, *y = b;
	if (x->sec != y->sec)
		return x->sec < y->sec ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

static int add_func(struct userbpf_object *obj, const struct loader_func *f)
{
	if ((obj->nr_funcs & (obj->nr_funcs - 1)) == 0) {
		void *v = realloc(obj->funcs, (obj->nr_funcs ? 2 * obj->nr_funcs : 8) * sizeof(*f));
		if (!v)
			return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
		obj->funcs = v;
	}
	obj->funcs[obj->nr_funcs++] = *f;
	return 0;
}

/* Function of section `sec` starting at instruction `insn`, or -1. */
static int func_at(const struct userbpf_object *obj, uint32_t sec, uint64_t insn)
{
	size_t lo = 0, hi = obj->nr_funcs;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct loader_func *f = &obj->funcs[mid];
		if (f->sec < sec || (f->sec == sec && f->start < insn))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < obj->nr_funcs && obj->funcs[lo].sec == sec && obj->funcs[lo].start == insn)
		return (int)lo;
	return -1;
}

static int sec_funcs(struct userbpf_object *obj, uint32_t si)
{
	struct loader_sec *s = &obj->secs[si];
	size_t first = obj->nr_funcs;
	int err;

	s->insn_cnt = s->size / 8;
	s->insns = malloc(s->size);
	s->call_target = malloc(s->insn_cnt * sizeof(*s->call_target));
	if (!s->insns || !s->call_target)
		return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
	memcpy(s->insns, s->data, s->size);
	memset(s->call_target, 0xff, s->insn_cnt * sizeof(*s->call_target));

	for (size_t i = 1; i < obj->nr_syms; i++) {
		const struct loader_sym *sym = &obj->syms[i];
		struct loader_func f = {0};
		if (sym->shndx != si || sym->type != STT_FUNC)
			continue;
		if (sym->value % 8 || sym->value >= s->size)
			return loader_err(obj, (int)si, sym->value, "function '%s' is %s", sym->name,
					  sym->value % 8 ? "not on an instruction boundary"
							 : "outside the section");
		if (sym->size % 8 || sym->size > s->size - sym->value)
			return loader_err(obj, (int)si, sym->value,
					  "function '%s' of size %llu does not fit the section", sym->name,
					  (unsigned long long)sym->size);
		if (!*sym->name)
			return loader_err(obj, (int)si, sym->value, "function without a name");
		f.name = sym->name;
		f.sec = si;
		f.start = (uint32_t)(sym->value / 8);
		f.cnt = (uint32_t)(sym->size / 8);
		f.global = sym->bind == STB_GLOBAL || sym->bind == STB_WEAK;
		if ((err = add_func(obj, &f)))
			return err;
	}
	if (obj->nr_funcs == first) {
		/* No symbols (hand-written or old objects): the section is one function named after it. */
		struct loader_func f = {
		    .name = s->name, .sec = si, .start = 0, .cnt = (uint32_t)s->insn_cnt, .global = true};
		return add_func(obj, &f);
	}
	/* Sort this section's functions; drop aliases; give size-less ones the room to the next. */
	qsort(obj->funcs + first, obj->nr_funcs - first, sizeof(*obj->funcs), cmp_func);
	size_t w = first;
	for (size_t r = first; r < obj->nr_funcs; r++) {
		if (w > first && obj->funcs[w - 1].start == obj->funcs[r].start)
			continue;
		obj->funcs[w++] = obj->funcs[r];
	}
	obj->nr_funcs = w;
	for (size_t i = first; i < obj->nr_funcs; i++) {
		struct loader_func *f = &obj->funcs[i];
		uint32_t end = i + 1 < obj->nr_funcs ? obj->funcs[i + 1].start : (uint32_t)s->insn_cnt;
		if (!f->cnt)
			f->cnt = end - f->start;
		if (f->start + f->cnt > end)
			return loader_err(obj, (int)si, (uint64_t)f->start * 8, "function '%s' overlaps '%s'",
					  f->name, obj->funcs[i + 1].name);
	}
	return 0;
}

int loader_collect_funcs(struct userbpf_object *obj)
{
	size_t nprogs = 0;
	int err;

	for (size_t i = 1; i < obj->nr_secs; i++)
		if (obj->secs[i].kind == LOADER_SEC_PROG && (err = sec_funcs(obj, (uint32_t)i)))
			return err;
	for (size_t i = 0; i < obj->nr_funcs; i++)
		nprogs += (int)obj->funcs[i].sec != obj->text_sec || obj->funcs[i].global;
	obj->progs = calloc(nprogs ? nprogs : 1, sizeof(*obj->progs));
	if (!obj->progs)
		return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
	for (size_t i = 0; i < obj->nr_funcs; i++) {
		const struct loader_func *f = &obj->funcs[i];
		struct userbpf_program *p;
		bool text = (int)f->sec == obj->text_sec;
		if (text && !f->global)
			continue;
		p = &obj->progs[obj->nr_progs];
		p->obj = obj;
		p->idx = obj->nr_progs++;
		p->name = f->name;
		p->sec_name = obj->secs[f->sec].name;
		p->func = (uint32_t)i;
		p->autoload = !text;
		/* libbpf: SEC("?NAME") is a program of NAME's type not loaded unless asked for */
		if (!text && p->sec_name[0] == '?') {
			p->autoload = false;
			loader_sec_def(p->sec_name + 1, &p->type, &p->attach_type);
		} else if (!text) {
			loader_sec_def(p->sec_name, &p->type, &p->attach_type);
		}
	}
	return 0;
}

/* Apply one relocation of code section `si`. */
static int apply_rel(struct userbpf_object *obj, uint32_t si, const struct loader_rel *rel)
{
	struct loader_sec *s = &obj->secs[si];
	const struct loader_sym *sym;
	struct userbpf_insn *insn;
	const struct loader_sec *ts;
	size_t idx;

	if (rel->type == R_BPF_NONE_)
		return 0;
	if (rel->offset % 8 || rel->offset >= s->size)
		return loader_err(obj, (int)si, rel->offset, "relocation %s the section",
				  rel->offset % 8 ? "not on an instruction boundary of" : "outside");
	if (rel->sym >= obj->nr_syms)
		return loader_err(obj, (int)si, rel->offset,
				  "relocation against symbol %u which does not exist", rel->sym);
	idx = rel->offset / 8;
	insn = &s->insns[idx];
	sym = &obj->syms[rel->sym];
	if (sym->shndx == SHN_UNDEF)
		return loader_errno(obj, EOPNOTSUPP, (int)si, rel->offset,
				    "relocation against extern '%s' (kconfig/ksym externs are not supported)",
				    sym->name);
	if (sym->shndx >= obj->nr_secs)
		return loader_err(obj, (int)si, rel->offset,
				  "relocation against '%s' in special section 0x%x", sym->name, sym->shndx);
	ts = &obj->secs[sym->shndx];

	if (rel->type == R_BPF_64_32) {
		int64_t target;
		int f;
		if (insn->code != BPF_CALL_INSN || insn->src_reg != BPF_PSEUDO_CALL)
			return loader_err(obj, (int)si, rel->offset,
					  "call relocation on an instruction that is not a "
					  "local call (opcode 0x%02x)",
					  insn->code);
		if (ts->kind != LOADER_SEC_PROG)
			return loader_err(obj, (int)si, rel->offset,
					  "call to '%s' in section '%s' which holds no code", sym->name,
					  ts->name);
		if (sym->value % 8)
			return loader_err(obj, (int)si, rel->offset,
					  "call to '%s' which is not on an instruction", sym->name);
		target = (int64_t)(sym->value / 8) + insn->imm + 1;
		f = target >= 0 ? func_at(obj, sym->shndx, (uint64_t)target) : -1;
		if (f < 0)
			return loader_err(obj, (int)si, rel->offset,
					  "call to instruction %lld of '%s' where no function starts",
					  (long long)target, ts->name);
		s->call_target[idx] = f;
		return 0;
	}
	if (rel->type != R_BPF_64_64)
		return loader_err(obj, (int)si, rel->offset, "unsupported relocation type %u against '%s'",
				  rel->type, sym->name);
	if (insn->code != BPF_LDDW || idx + 1 >= s->insn_cnt)
		return loader_err(obj, (int)si, rel->offset,
				  "64-bit relocation against '%s' on an instruction that "
				  "is not lddw (opcode 0x%02x)",
				  sym->name, insn->code);
	if (insn->src_reg != 0)
		return loader_err(obj, (int)si, rel->offset, "relocated lddw already has src_reg %u",
				  insn->src_reg);

	int64_t off = (int64_t)sym->value + insn->imm;
	switch (ts->kind) {
	case LOADER_SEC_PROG: {
		int f = off >= 0 && off % 8 == 0 ? func_at(obj, sym->shndx, (uint64_t)off / 8) : -1;
		if (f < 0)
			return loader_err(obj, (int)si, rel->offset,
					  "address of '%s'+%d in '%s' which is not the start of a function",
					  sym->name, insn->imm, ts->name);
		s->call_target[idx] = f;
		insn->src_reg = BPF_PSEUDO_FUNC;
		insn->imm = 0;
		insn[1].imm = 0;
		return 0;
	}
	case LOADER_SEC_MAPS_LEGACY:
	case LOADER_SEC_MAPS_BTF: {
		int m = off >= 0 ? loader_map_at(obj, sym->shndx, (uint64_t)off) : -1;
		if (m < 0)
			return loader_err(obj, (int)si, rel->offset,
					  "reference to '%s'+%d in '%s' which is not the start of a map",
					  sym->name, insn->imm, ts->name);
		insn->src_reg = BPF_PSEUDO_MAP_IDX;
		insn->imm = m;
		insn[1].imm = 0;
		return 0;
	}
	case LOADER_SEC_DATA:
		if (ts->map_idx < 0 || off < 0 || (uint64_t)off >= ts->size)
			return loader_err(obj, (int)si, rel->offset,
					  "reference to '%s'+%d is outside section '%s' (%llu bytes)",
					  sym->name, insn->imm, ts->name, (unsigned long long)ts->size);
		insn->src_reg = BPF_PSEUDO_MAP_IDX_VALUE;
		insn->imm = ts->map_idx;
		insn[1].imm = (int32_t)off;
		return 0;
	default:
		return loader_err(obj, (int)si, rel->offset,
				  "reference to '%s' in section '%s' which is not code, a map or global data",
				  sym->name, ts->name);
	}
}

int loader_relocate(struct userbpf_object *obj)
{
	int err = 0;

	for (size_t rs = 1; rs < obj->nr_secs; rs++) {
		const struct loader_sec *r = &obj->secs[rs];
		struct loader_rel *rels;
		size_t n;
		if (r->kind != LOADER_SEC_REL || r->info >= obj->nr_secs ||
		    obj->secs[r->info].kind != LOADER_SEC_PROG)
			continue;
		if ((err = elf_read_rels(obj, (uint32_t)rs, &rels, &n)))
			return err;
		for (size_t i = 0; i < n && !err; i++)
			err = apply_rel(obj, r->info, &rels[i]);
		free(rels);
		if (err)
			return err;
	}
	/* Local calls and function addresses without relocations: relative to the instruction. */
	for (size_t si = 1; si < obj->nr_secs; si++) {
		struct loader_sec *s = &obj->secs[si];
		if (s->kind != LOADER_SEC_PROG)
			continue;
		for (size_t i = 0; i < s->insn_cnt; i++) {
			const struct userbpf_insn *in = &s->insns[i];
			bool call = in->code == BPF_CALL_INSN && in->src_reg == BPF_PSEUDO_CALL;
			bool addr = in->code == BPF_LDDW && in->src_reg == BPF_PSEUDO_FUNC;
			int64_t target;
			int f;
			if ((!call && !addr) || s->call_target[i] >= 0)
				continue;
			target = (int64_t)i + in->imm + 1;
			f = target >= 0 ? func_at(obj, (uint32_t)si, (uint64_t)target) : -1;
			if (f < 0)
				return loader_err(obj, (int)si, i * 8,
						  "%s to instruction %lld where no function starts",
						  call ? "call" : "function address", (long long)target);
			s->call_target[i] = f;
		}
	}
	return 0;
}

/* First line record of `lines` (sorted) at or after instruction `insn`. */
static size_t lines_from(const struct loader_line *lines, size_t n, uint32_t insn)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (lines[mid].insn < insn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Link program `p`: its function, then every function reached, each once. slot[f] is f's index in
 * the layout while the program is linked (-1 otherwise; reset before returning).
 */
static int link_program(struct userbpf_object *obj, struct userbpf_program *p, int32_t *slot)
{
	struct loader_prog_func *lay = NULL;
	size_t nlay = 0, cap = 0, total, lines = 0;
	struct userbpf_insn *out;
	int err = 0;

	total = obj->funcs[p->func].cnt;
	cap = 4;
	lay = malloc(cap * sizeof(*lay));
	if (!lay)
		return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
	lay[nlay++] = (struct loader_prog_func){p->func, 0};
	slot[p->func] = 0;
	/* First pass: the layout. */
	for (size_t i = 0; i < nlay; i++) {
		const struct loader_func *f = &obj->funcs[lay[i].func];
		const struct loader_sec *s = &obj->secs[f->sec];
		for (uint32_t j = 0; j < f->cnt; j++) {
			int t = s->call_target[f->start + j];
			if (t < 0 || slot[t] >= 0)
				continue;
			if (total + obj->funcs[t].cnt > USERBPF_MAX_INSNS) {
				for (size_t k = 0; k < nlay; k++)
					slot[lay[k].func] = -1;
				free(lay);
				return loader_errno(
				    obj, E2BIG, (int)f->sec, (uint64_t)(f->start + j) * 8,
				    "program '%s' with its subprograms exceeds %u instructions", p->name,
				    USERBPF_MAX_INSNS);
			}
			if (nlay == cap) {
				void *v = realloc(lay, 2 * cap * sizeof(*lay));
				if (!v) {
					for (size_t k = 0; k < nlay; k++)
						slot[lay[k].func] = -1;
					free(lay);
					return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
				}
				lay = v;
				cap *= 2;
			}
			slot[t] = (int32_t)nlay;
			lay[nlay++] = (struct loader_prog_func){(uint32_t)t, (uint32_t)total};
			total += obj->funcs[t].cnt;
		}
	}
	out = malloc((total ? total : 1) * sizeof(*out));
	if (!out) {
		for (size_t k = 0; k < nlay; k++)
			slot[lay[k].func] = -1;
		free(lay);
		return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
	}
	/* Second pass: copy, fix calls, count line records. */
	for (size_t i = 0; i < nlay; i++) {
		const struct loader_func *f = &obj->funcs[lay[i].func];
		const struct loader_sec *s = &obj->secs[f->sec];
		memcpy(out + lay[i].start, s->insns + f->start, f->cnt * sizeof(*out));
		for (uint32_t j = 0; j < f->cnt; j++) {
			int t = s->call_target[f->start + j];
			if (t < 0)
				continue;
			out[lay[i].start + j].imm =
			    (int32_t)((int64_t)lay[slot[t]].start - (lay[i].start + j) - 1);
		}
		if (obj->sec_nr_lines) {
			const struct loader_line *ls = obj->sec_lines[f->sec];
			size_t n = obj->sec_nr_lines[f->sec];
			lines += lines_from(ls, n, f->start + f->cnt) - lines_from(ls, n, f->start);
		}
	}
	for (size_t k = 0; k < nlay; k++)
		slot[lay[k].func] = -1;
	p->insns = out;
	p->insn_cnt = total;
	p->funcs = lay;
	p->nr_funcs = nlay;
	if (lines) {
		p->lines = malloc(lines * sizeof(*p->lines));
		if (!p->lines)
			return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
		for (size_t i = 0; i < nlay; i++) {
			const struct loader_func *f = &obj->funcs[lay[i].func];
			const struct loader_line *ls = obj->sec_lines[f->sec];
			size_t n = obj->sec_nr_lines[f->sec], end = lines_from(ls, n, f->start + f->cnt);
			for (size_t l = lines_from(ls, n, f->start); l < end; l++) {
				struct loader_line ln = ls[l];
				ln.insn = ln.insn - f->start + lay[i].start;
				p->lines[p->nr_lines++] = ln;
			}
		}
	}
	return err;
}

int loader_link_programs(struct userbpf_object *obj)
{
	int32_t *slot = malloc((obj->nr_funcs ? obj->nr_funcs : 1) * sizeof(*slot));
	int err = 0;

	if (!slot)
		return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
	memset(slot, 0xff, (obj->nr_funcs ? obj->nr_funcs : 1) * sizeof(*slot));
	for (size_t i = 0; i < obj->nr_progs && !err; i++)
		err = link_program(obj, &obj->progs[i], slot);
	free(slot);
	return err;
}

int loader_func_at(const struct userbpf_object *obj, uint32_t sec, uint64_t insn)
{
	return func_at(obj, sec, insn);
}
