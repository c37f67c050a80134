/*
 * loader_util.h - helpers for the loader tests: paths of the test objects ($BUILD/objs/NAME.o),
 * reading them, and finding sections/relocations in a raw ELF image to corrupt it.
 */
#ifndef USERBPF_LOADER_UTIL_H
#define USERBPF_LOADER_UTIL_H

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "userbpf/object.h"

static inline const char *lu_obj_path(const char *name)
{
	static char path[4][512];
	static int slot;
	const char *build = getenv("BUILD");
	char *p = path[slot++ & 3];
	snprintf(p, sizeof(path[0]), "%s/objs/%s.o", build && *build ? build : "build", name);
	return p;
}

/* Whole file, malloc'ed; NULL if missing. */
static inline unsigned char *lu_read(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*size = (size_t)n;
	return buf;
}

static inline Elf64_Shdr *lu_shdr(unsigned char *img, int idx)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	return (Elf64_Shdr *)(img + eh->e_shoff) + idx;
}

/* Index of the section called `name`, or -1. */
static inline int lu_sec(unsigned char *img, const char *name)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	const char *names = (const char *)img + lu_shdr(img, eh->e_shstrndx)->sh_offset;
	for (int i = 1; i < eh->e_shnum; i++)
		if (!strcmp(names + lu_shdr(img, i)->sh_name, name))
			return i;
	return -1;
}

/* The first SHT_REL section applying to section `target`, or NULL. */
static inline Elf64_Shdr *lu_rel_for(unsigned char *img, int target)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	for (int i = 1; i < eh->e_shnum; i++)
		if (lu_shdr(img, i)->sh_type == SHT_REL && (int)lu_shdr(img, i)->sh_info == target)
			return lu_shdr(img, i);
	return NULL;
}

#endif /* USERBPF_LOADER_UTIL_H */
