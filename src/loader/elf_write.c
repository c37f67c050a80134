/*
 * elf_write.c - BPF ELF objects written from instructions (userbpf_object_write, cbpf.h): a
 * relocatable ELF64 little-endian EM_BPF file as clang would emit for one program without maps,
 * built through libelf:
 *
 *   [1] .strtab   section and symbol names
 *   [2] SEC       the program (SHF_ALLOC | SHF_EXECINSTR, aligned to 8)
 *   [3] license   the license string with its NUL (SHF_ALLOC | SHF_WRITE)
 *   [4] .symtab   null symbol, then the global FUNC symbol of the program and the `_license` object
 *
 * userbpf's loader, libbpf and the kernel (through userbpf_kobject__load) load it.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "userbpf/cbpf.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

static int werr(const struct userbpf_object_write_opts *o, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int werr(const struct userbpf_object_write_opts *o, int err, const char *fmt, ...)
{
	if (o && o->err_buf && o->err_size) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(o->err_buf, o->err_size, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* Append `s` with its NUL to the string table; returns its offset. */
static size_t str_add(char *tab, size_t *len, const char *s)
{
	size_t off = *len;
	size_t n = strlen(s) + 1;
	memcpy(tab + off, s, n);
	*len += n;
	return off;
}

static Elf_Scn *add_section(Elf *e, Elf64_Word name, Elf64_Word type, Elf64_Xword flags, void *buf,
			    size_t size, Elf_Type dtype, size_t align, Elf64_Xword entsize)
{
	Elf_Scn *scn = elf_newscn(e);
	if (!scn)
		return NULL;
	Elf_Data *d = elf_newdata(scn);
	if (!d)
		return NULL;
	d->d_buf = buf;
	d->d_size = size;
	d->d_type = dtype;
	d->d_align = align;
	d->d_version = EV_CURRENT;
	Elf64_Shdr *sh = elf64_getshdr(scn);
	if (!sh)
		return NULL;
	sh->sh_name = name;
	sh->sh_type = type;
	sh->sh_flags = flags;
	sh->sh_addralign = align;
	sh->sh_entsize = entsize;
	return scn;
}

int userbpf_object_write(const char *path, const char *prog_name, const char *sec_name,
			 const struct userbpf_insn *insns, size_t cnt, const struct userbpf_object_write_opts *opts)
{
	struct userbpf_object_write_opts o = {0};
	if (opts) {
		if (opts->sz < sizeof(size_t))
			return -EINVAL;
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	}
	if (o.err_buf && o.err_size)
		o.err_buf[0] = 0;
	if (!path || !prog_name || !*prog_name || !sec_name || !*sec_name || !insns || cnt == 0 ||
	    cnt > USERBPF_MAX_INSNS)
		return werr(&o, -EINVAL, "%s: need a path, a program name, a section name and 1..%u instructions",
			    path ? path : "(null)", USERBPF_MAX_INSNS);
	const char *license = o.license ? o.license : "GPL";
	if (elf_version(EV_CURRENT) == EV_NONE)
		return werr(&o, -EINVAL, "%s: libelf: %s", path, elf_errmsg(-1));

	size_t tab_cap = strlen(prog_name) + strlen(sec_name) + 64;
	char *strtab = calloc(1, tab_cap);
	Elf64_Sym *syms = calloc(3, sizeof(*syms));
	char *lic = strdup(license);
	if (!strtab || !syms || !lic) {
		free(strtab);
		free(syms);
		free(lic);
		return werr(&o, -ENOMEM, "%s: out of memory", path);
	}
	size_t tab_len = 1; /* offset 0: the empty name */
	size_t n_strtab = str_add(strtab, &tab_len, ".strtab");
	size_t n_sec = str_add(strtab, &tab_len, sec_name);
	size_t n_lic = str_add(strtab, &tab_len, "license");
	size_t n_symtab = str_add(strtab, &tab_len, ".symtab");
	size_t n_prog = str_add(strtab, &tab_len, prog_name);
	size_t n_lsym = str_add(strtab, &tab_len, "_license");

	int err = 0;
	Elf *e = NULL;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = werr(&o, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	e = elf_begin(fd, ELF_C_WRITE, NULL);
	Elf64_Ehdr *eh = e ? elf64_newehdr(e) : NULL;
	if (!eh)
		goto elf_fail;
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
	eh->e_type = ET_REL;
	eh->e_machine = EM_BPF;
	eh->e_version = EV_CURRENT;

	Elf_Scn *s_str = add_section(e, (Elf64_Word)n_strtab, SHT_STRTAB, 0, strtab, tab_len, ELF_T_BYTE, 1, 0);
	Elf_Scn *s_prog = s_str ? add_section(e, (Elf64_Word)n_sec, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR,
					      (void *)insns, cnt * sizeof(*insns), ELF_T_BYTE, 8, 0)
				: NULL;
	Elf_Scn *s_lic = s_prog ? add_section(e, (Elf64_Word)n_lic, SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, lic,
					      strlen(lic) + 1, ELF_T_BYTE, 1, 0)
				: NULL;
	if (!s_lic)
		goto elf_fail;
	syms[1] = (Elf64_Sym){.st_name = (Elf64_Word)n_prog,
			      .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
			      .st_shndx = (Elf64_Section)elf_ndxscn(s_prog),
			      .st_value = 0,
			      .st_size = cnt * sizeof(*insns)};
	syms[2] = (Elf64_Sym){.st_name = (Elf64_Word)n_lsym,
			      .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
			      .st_shndx = (Elf64_Section)elf_ndxscn(s_lic),
			      .st_value = 0,
			      .st_size = strlen(lic) + 1};
	Elf_Scn *s_sym = add_section(e, (Elf64_Word)n_symtab, SHT_SYMTAB, 0, syms, 3 * sizeof(*syms), ELF_T_SYM, 8,
				     sizeof(Elf64_Sym));
	if (!s_sym)
		goto elf_fail;
	Elf64_Shdr *sh = elf64_getshdr(s_sym);
	if (!sh)
		goto elf_fail;
	sh->sh_link = (Elf64_Word)elf_ndxscn(s_str);
	sh->sh_info = 1; /* first global symbol */
	eh->e_shstrndx = (Elf64_Half)elf_ndxscn(s_str);
	if (elf_update(e, ELF_C_WRITE) < 0)
		goto elf_fail;
	goto out;

elf_fail:
	err = werr(&o, -EIO, "%s: libelf: %s", path, elf_errmsg(-1));
out:
	if (e)
		elf_end(e);
	if (fd >= 0 && close(fd) != 0 && !err)
		err = werr(&o, -errno, "%s: %s", path, strerror(errno));
	if (err && fd >= 0)
		unlink(path);
	free(strtab);
	free(syms);
	free(lic);
	return err;
}
