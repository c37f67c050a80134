/*
 * elf.c - the ELF layer of the loader: headers, sections and symbols through libelf, with every
 * offset and size checked against the file before anything reads it (sections inside the file and
 * not overlapping each other or the headers, symbol table and names well-formed).
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

static const char *elf_msg(void)
{
	const char *m = elf_errmsg(-1);
	return m ? m : "unknown libelf error";
}

int elf_find_sec(const struct userbpf_object *obj, const char *name)
{
	for (size_t i = 1; i < obj->nr_secs; i++)
		if (obj->secs[i].name && strcmp(obj->secs[i].name, name) == 0)
			return (int)i;
	return -1;
}

static bool has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static bool is_data_name(const char *n)
{
	return !strcmp(n, ".data") || !strcmp(n, ".rodata") || !strcmp(n, ".bss") ||
	       has_prefix(n, ".data.") || has_prefix(n, ".rodata.") || has_prefix(n, ".bss.");
}

struct span {
	uint64_t start, end;
	int sec; /* -1: ELF header, -2: section header table */
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

static void span_name(const struct userbpf_object *obj, const struct span *s, char *buf, size_t size)
{
	if (s->sec == -1)
		snprintf(buf, size, "the ELF header");
	else if (s->sec == -2)
		snprintf(buf, size, "the section header table");
	else
		snprintf(buf, size, "section '%s'", loader_sec_name(obj, s->sec));
}

/* Every section with file contents lies inside the file and overlaps nothing else. */
static int check_layout(struct userbpf_object *obj, const GElf_Ehdr *eh)
{
	struct span *sp = calloc(obj->nr_secs + 2, sizeof(*sp));
	size_t n = 0;
	int err = 0;

	if (!sp)
		return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
	sp[n++] = (struct span){0, sizeof(Elf64_Ehdr), -1};
	sp[n++] = (struct span){eh->e_shoff, eh->e_shoff + obj->nr_secs * (uint64_t)sizeof(Elf64_Shdr), -2};
	for (size_t i = 1; i < obj->nr_secs; i++) {
		struct loader_sec *s = &obj->secs[i];
		if (s->type == SHT_NOBITS || s->type == SHT_NULL || s->size == 0)
			continue;
		sp[n++] = (struct span){s->offset, s->offset + s->size, (int)i};
	}
	qsort(sp, n, sizeof(*sp), cmp_span);
	for (size_t i = 1; i < n; i++) {
		if (sp[i].start < sp[i - 1].end) {
			const struct span *a = sp[i].sec >= 0 ? &sp[i] : &sp[i - 1];
			const struct span *b = a == &sp[i] ? &sp[i - 1] : &sp[i];
			char bname[300];
			span_name(obj, b, bname, sizeof(bname));
			err = loader_err(obj, a->sec >= 0 ? a->sec : -1, a->start,
					 "overlaps %s (0x%llx..0x%llx)", bname, (unsigned long long)b->start,
					 (unsigned long long)b->end);
			break;
		}
	}
	free(sp);
	return err;
}

static int read_symbols(struct userbpf_object *obj, Elf *elf)
{
	struct loader_sec *st = &obj->secs[obj->symtab_sec];
	Elf_Scn *scn = elf_getscn(elf, obj->symtab_sec);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	size_t n;

	if (!d)
		return loader_err(obj, (int)obj->symtab_sec, 0, "cannot read symbols: %s", elf_msg());
	if (st->link == 0 || st->link >= obj->nr_secs || obj->secs[st->link].type != SHT_STRTAB)
		return loader_err(obj, (int)obj->symtab_sec, 0, "string table index %u is not a string table",
				  st->link);
	n = d->d_size / sizeof(Elf64_Sym);
	if (n > st->size / sizeof(Elf64_Sym))
		return loader_err(obj, (int)obj->symtab_sec, 0, "symbol data larger than the section");
	obj->syms = calloc(n ? n : 1, sizeof(*obj->syms));
	if (!obj->syms)
		return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
	obj->nr_syms = n;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		const char *name;
		if (!gelf_getsym(d, (int)i, &sym))
			return loader_err(obj, (int)obj->symtab_sec, i * sizeof(Elf64_Sym),
					  "cannot read symbol %zu: %s", i, elf_msg());
		name = sym.st_name ? elf_strptr(elf, st->link, sym.st_name) : "";
		if (!name)
			return loader_err(obj, (int)obj->symtab_sec, i * sizeof(Elf64_Sym),
					  "symbol %zu: name offset 0x%x is outside the string table", i,
					  sym.st_name);
		obj->syms[i] = (struct loader_sym){
		    .name = name,
		    .value = sym.st_value,
		    .size = sym.st_size,
		    .shndx = sym.st_shndx,
		    .type = GELF_ST_TYPE(sym.st_info),
		    .bind = GELF_ST_BIND(sym.st_info),
		};
		/* Section symbols are named after their section. */
		if (obj->syms[i].type == STT_SECTION && !*name && sym.st_shndx < obj->nr_secs)
			obj->syms[i].name = obj->secs[sym.st_shndx].name;
	}
	return 0;
}

static void classify(struct userbpf_object *obj, struct loader_sec *s)
{
	s->map_idx = -1;
	if (s->type == SHT_REL) {
		s->kind = LOADER_SEC_REL;
	} else if (s->type == SHT_PROGBITS && (s->flags & SHF_EXECINSTR) && s->size) {
		s->kind = LOADER_SEC_PROG;
	} else if (!strcmp(s->name, "maps") && s->type == SHT_PROGBITS) {
		s->kind = LOADER_SEC_MAPS_LEGACY;
	} else if (!strcmp(s->name, ".maps") && s->type == SHT_PROGBITS) {
		s->kind = LOADER_SEC_MAPS_BTF;
	} else if (is_data_name(s->name) && (s->type == SHT_PROGBITS || s->type == SHT_NOBITS) &&
		   (s->flags & SHF_ALLOC) && !(s->flags & SHF_EXECINSTR)) {
		s->kind = LOADER_SEC_DATA;
	}
}

static int read_license_version(struct userbpf_object *obj)
{
	int i = elf_find_sec(obj, "license");
	if (i > 0 && obj->secs[i].data) {
		const struct loader_sec *s = &obj->secs[i];
		size_t n = s->size < sizeof(obj->license) - 1 ? s->size : sizeof(obj->license) - 1;
		memcpy(obj->license, s->data, n);
		obj->license[n] = 0;
	}
	i = elf_find_sec(obj, "version");
	if (i > 0) {
		const struct loader_sec *s = &obj->secs[i];
		if (s->size != 4 || !s->data)
			return loader_err(obj, i, 0, "size %llu, expected 4 (a u32 kernel version)",
					  (unsigned long long)s->size);
		memcpy(&obj->kversion, s->data, 4);
	}
	return 0;
}

int elf_parse(struct userbpf_object *obj)
{
	Elf *elf;
	GElf_Ehdr eh;
	size_t shnum, shstrndx;
	int err;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return loader_errno(obj, EOPNOTSUPP, -1, 0, "libelf is too old: %s", elf_msg());
	if (obj->image_size < sizeof(Elf64_Ehdr))
		return loader_err(obj, -1, 0, "file of %zu bytes is too short for an ELF header",
				  obj->image_size);
	if (memcmp(obj->image, ELFMAG, SELFMAG) != 0)
		return loader_err(obj, -1, 0, "not an ELF file (bad magic)");
	if (obj->image[EI_CLASS] != ELFCLASS64)
		return loader_err(obj, -1, 0, "not a 64-bit ELF file (class %u)", obj->image[EI_CLASS]);
	if (obj->image[EI_DATA] != ELFDATA2LSB)
		return loader_err(obj, -1, 0,
				  "not a little-endian ELF file (big-endian BPF is not supported)");

	elf = elf_memory((char *)obj->image, obj->image_size);
	if (!elf)
		return loader_err(obj, -1, 0, "not a valid ELF file: %s", elf_msg());
	obj->elf = elf;
	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh))
		return loader_err(obj, -1, 0, "not a valid ELF file: %s", elf_msg());
	if (eh.e_machine != EM_BPF)
		return loader_err(obj, -1, 0, "not a BPF object (e_machine %u, expected %u)", eh.e_machine,
				  EM_BPF);
	if (eh.e_type != ET_REL)
		return loader_err(obj, -1, 0, "not a relocatable object (e_type %u)", eh.e_type);
	if (elf_getshdrnum(elf, &shnum) || elf_getshdrstrndx(elf, &shstrndx))
		return loader_err(obj, -1, 0, "cannot read the section headers: %s", elf_msg());
	if (shnum == 0 || eh.e_shoff > obj->image_size ||
	    shnum > (obj->image_size - eh.e_shoff) / sizeof(Elf64_Shdr))
		return loader_err(obj, -1, eh.e_shoff,
				  "section header table (%zu entries) is outside the file", shnum);
	if (shstrndx >= shnum)
		return loader_err(obj, -1, 0, "section name table index %zu does not exist", shstrndx);

	obj->secs = calloc(shnum, sizeof(*obj->secs));
	if (!obj->secs)
		return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
	obj->nr_secs = shnum;
	obj->text_sec = -1;
	obj->btf_sec = obj->btf_ext_sec = -1;
	obj->secs[0].name = "";
	obj->secs[0].map_idx = -1;
	for (size_t i = 1; i < shnum; i++) {
		Elf_Scn *scn = elf_getscn(elf, i);
		GElf_Shdr sh;
		struct loader_sec *s = &obj->secs[i];
		if (!scn || !gelf_getshdr(scn, &sh))
			return loader_err(obj, -1, 0, "cannot read section header %zu: %s", i, elf_msg());
		s->name = elf_strptr(elf, shstrndx, sh.sh_name);
		s->type = sh.sh_type;
		s->flags = sh.sh_flags;
		s->offset = sh.sh_offset;
		s->size = sh.sh_size;
		s->link = sh.sh_link;
		s->info = sh.sh_info;
		s->entsize = (uint32_t)sh.sh_entsize;
		s->map_idx = -1;
		if (!s->name) {
			s->name = "";
			return loader_err(obj, -1, 0,
					  "section %zu: name offset 0x%x is outside the name table", i,
					  sh.sh_name);
		}
		if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL && sh.sh_size) {
			if (sh.sh_offset > obj->image_size || sh.sh_size > obj->image_size - sh.sh_offset)
				return loader_err(obj, (int)i, sh.sh_offset,
						  "size 0x%llx goes past the end of the file (0x%zx bytes)",
						  (unsigned long long)sh.sh_size, obj->image_size);
			s->data = obj->image + sh.sh_offset;
		}
		if (sh.sh_type == SHT_SYMTAB) {
			if (obj->symtab_sec)
				return loader_err(obj, (int)i, 0, "a second symbol table");
			obj->symtab_sec = (uint32_t)i;
		}
	}
	if ((err = check_layout(obj, &eh)))
		return err;
	for (size_t i = 1; i < shnum; i++)
		classify(obj, &obj->secs[i]);
	for (size_t i = 1; i < shnum; i++) {
		struct loader_sec *s = &obj->secs[i];
		if (s->kind == LOADER_SEC_PROG && s->size % 8)
			return loader_err(obj, (int)i, 0, "code size %llu is not a multiple of 8",
					  (unsigned long long)s->size);
		if (s->kind == LOADER_SEC_PROG && !strcmp(s->name, ".text"))
			obj->text_sec = (int)i;
		if (!strcmp(s->name, ".BTF") && s->data)
			obj->btf_sec = (int)i;
		if (!strcmp(s->name, ".BTF.ext") && s->data)
			obj->btf_ext_sec = (int)i;
		if (s->type == SHT_RELA && s->info < shnum && obj->secs[s->info].kind != LOADER_SEC_OTHER)
			return loader_err(obj, (int)i, 0, "RELA relocations are not supported for BPF");
	}
	if (!obj->symtab_sec)
		return loader_err(obj, -1, 0, "no symbol table (was it stripped?)");
	if ((err = read_symbols(obj, elf)))
		return err;
	return read_license_version(obj);
}

int elf_read_rels(struct userbpf_object *obj, uint32_t sec, struct loader_rel **out, size_t *n)
{
	const struct loader_sec *s = &obj->secs[sec];
	struct loader_rel *r;
	size_t cnt;

	*out = NULL;
	*n = 0;
	if (s->entsize != sizeof(Elf64_Rel) || s->size % sizeof(Elf64_Rel))
		return loader_err(obj, (int)sec, 0, "entry size %u / section size %llu do not fit Elf64_Rel",
				  s->entsize, (unsigned long long)s->size);
	if (s->link != obj->symtab_sec)
		return loader_err(obj, (int)sec, 0, "linked to section %u, not to the symbol table", s->link);
	cnt = s->size / sizeof(Elf64_Rel);
	if (!cnt)
		return 0;
	r = calloc(cnt, sizeof(*r));
	if (!r)
		return loader_errno(obj, ENOMEM, -1, 0, "out of memory");
	for (size_t i = 0; i < cnt; i++) {
		Elf64_Rel e;
		memcpy(&e, s->data + i * sizeof(e), sizeof(e));
		r[i].offset = e.r_offset;
		r[i].type = (uint32_t)ELF64_R_TYPE(e.r_info);
		r[i].sym = (uint32_t)ELF64_R_SYM(e.r_info);
		r[i].at = s->offset + i * sizeof(e);
	}
	*out = r;
	*n = cnt;
	return 0;
}

void elf_release(struct userbpf_object *obj)
{
	if (obj->elf)
		elf_end(obj->elf);
	obj->elf = NULL;
}
