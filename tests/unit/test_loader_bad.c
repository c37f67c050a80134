/*
 * test_loader_bad.c - malformed objects: test objects truncated or with headers, relocations, map
 * definitions, BTF and code corrupted programmatically; each open fails with errno EINVAL (or the
 * errno named) and one line naming the object, the section and the offset. A seeded random-mutation
 * pass checks that nothing crashes (run it under `make check SANITIZE=1`).
 */
#include <errno.h>

#include "isa/isa.h"
#include "loader_util.h"
#include "test.h"

static char logbuf[512];

#define LOAD_IMG(name, img, size)                                                                            \
	do {                                                                                                 \
		img = lu_read(lu_obj_path(name), &size);                                                     \
		if (!img)                                                                                    \
			SKIP("%s missing (no clang-19 to build tests/objs?)", lu_obj_path(name));            \
	} while (0)

/* Open `img`, expect failure with `err` and a log containing `want`. */
static int expect_fail(const unsigned char *img, size_t size, int err, const char *want)
{
	struct userbpf_object_open_opts o = USERBPF_OPTS_INIT(
	    userbpf_object_open_opts, .object_name = "prog.o", .log_buf = logbuf, .log_size = sizeof(logbuf));
	struct userbpf_object *obj;

	logbuf[0] = 0;
	obj = userbpf_object__open_mem(img, size, &o);
	if (obj) {
		fprintf(stderr, "opened, expected: %s\n", want);
		userbpf_object__close(obj);
		return 0;
	}
	if (errno != err || !strstr(logbuf, want) || strchr(logbuf, '\n') || strncmp(logbuf, "prog.o: ", 8)) {
		fprintf(stderr, "errno %d (want %d), log \"%s\", want \"%s\"\n", errno, err, logbuf, want);
		return 0;
	}
	return 1;
}

TEST(truncated)
{
	unsigned char *img;
	size_t size = 0;
	LOAD_IMG("globals", img, size);
	CHECK(expect_fail(img, 0, EINVAL, "prog.o: file of 0 bytes is too short for an ELF header"));
	CHECK(expect_fail(img, 40, EINVAL, "too short for an ELF header"));
	CHECK(expect_fail(img, 64, EINVAL, "section header table"));
	CHECK(expect_fail(img, size / 2, EINVAL, "section header table"));
	CHECK(expect_fail(img, size - 1, EINVAL, "section header table"));
	/* every prefix fails cleanly */
	for (size_t n = 0; n < size; n += 13) {
		struct userbpf_object *obj = userbpf_object__open_mem(img, n, NULL);
		CHECK(!obj);
		userbpf_object__close(obj);
	}
	free(img);
}

TEST(bad_headers)
{
	unsigned char *img, *c;
	size_t size = 0;
	LOAD_IMG("globals", img, size);
	c = malloc(size);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)c;
	int xdp = lu_sec(img, "xdp"), text = lu_sec(img, ".text"), bss = lu_sec(img, ".bss");
	CHECK(xdp > 0 && text > 0 && bss > 0);

#define RESET() memcpy(c, img, size)
	RESET();
	c[0] = 'X';
	CHECK(expect_fail(c, size, EINVAL, "not an ELF file (bad magic)"));
	RESET();
	c[EI_CLASS] = ELFCLASS32;
	CHECK(expect_fail(c, size, EINVAL, "not a 64-bit ELF file"));
	RESET();
	c[EI_DATA] = ELFDATA2MSB;
	CHECK(expect_fail(c, size, EINVAL, "big-endian BPF is not supported"));
	RESET();
	eh->e_machine = EM_X86_64;
	CHECK(expect_fail(c, size, EINVAL, "not a BPF object (e_machine 62, expected 247)"));
	RESET();
	eh->e_shoff = size - 10;
	CHECK(expect_fail(c, size, EINVAL, "section header table"));
	RESET();
	eh->e_shstrndx = 999;
	CHECK(expect_fail(c, size, EINVAL, ""));

	/* A section past the end of the file. */
	RESET();
	lu_shdr(c, xdp)->sh_offset = size - 8;
	CHECK(expect_fail(c, size, EINVAL, "section 'xdp' offset 0x"));
	CHECK_CONTAINS(logbuf, "goes past the end of the file");
	RESET();
	lu_shdr(c, xdp)->sh_size = 0xffffffffffff;
	CHECK(expect_fail(c, size, EINVAL, "section 'xdp' offset 0x"));
	/* Sections overlapping. */
	RESET();
	lu_shdr(c, xdp)->sh_offset = lu_shdr(c, text)->sh_offset + 8;
	CHECK(expect_fail(c, size, EINVAL, "overlaps section '.text'"));
	RESET();
	lu_shdr(c, xdp)->sh_offset = 0;
	CHECK(expect_fail(c, size, EINVAL, "overlaps the ELF header"));
	/* Code not a multiple of 8. */
	RESET();
	lu_shdr(c, xdp)->sh_size -= 4;
	CHECK(expect_fail(c, size, EINVAL, "section 'xdp' offset 0x0: code size"));
	/* A section name outside the name table. */
	RESET();
	lu_shdr(c, xdp)->sh_name = 0x7fffffff;
	CHECK(expect_fail(c, size, EINVAL, "name offset 0x7fffffff is outside the name table"));
	/* Absurd .bss. */
	RESET();
	lu_shdr(c, bss)->sh_size = 1ull << 40;
	CHECK(expect_fail(c, size, EINVAL, "section '.bss' offset 0x0: absurd size 0x10000000000"));
	/* No symbol table. */
	RESET();
	lu_shdr(c, lu_sec(c, ".symtab"))->sh_type = SHT_PROGBITS;
	CHECK(expect_fail(c, size, EINVAL, "no symbol table"));
	free(c);
	free(img);
}

TEST(bad_relocations)
{
	unsigned char *img, *c;
	size_t size = 0;
	char want[128];
	LOAD_IMG("globals", img, size);
	c = malloc(size);
	int xdp = lu_sec(img, "xdp"), text = lu_sec(img, ".text");
	Elf64_Shdr *rs = lu_rel_for(img, xdp);
	CHECK(rs);
	if (!rs) {
		free(c);
		free(img);
		return;
	}
	size_t roff = rs->sh_offset;
	Elf64_Rel *rel = (Elf64_Rel *)(c + roff);

	/* symbol index out of range */
	RESET();
	rel[0].r_info = ELF64_R_INFO(9999, ELF64_R_TYPE(rel[0].r_info));
	snprintf(want, sizeof(want),
		 "prog.o: section 'xdp' offset 0x%llx: relocation against symbol 9999 which does not exist",
		 (unsigned long long)rel[0].r_offset);
	CHECK(expect_fail(c, size, EINVAL, want));
	/* offset outside the section, and not on an instruction */
	RESET();
	rel[0].r_offset = 0x100000;
	CHECK(expect_fail(c, size, EINVAL, "section 'xdp' offset 0x100000: relocation outside the section"));
	RESET();
	rel[0].r_offset += 3;
	CHECK(expect_fail(c, size, EINVAL, "not on an instruction boundary"));
	/* unknown type */
	RESET();
	rel[0].r_info = ELF64_R_INFO(ELF64_R_SYM(rel[0].r_info), 77);
	CHECK(expect_fail(c, size, EINVAL, "unsupported relocation type 77"));
	/* a 64-bit relocation on something that is not lddw: point it at the first instruction (a mov) */
	RESET();
	rel[0].r_offset = 0;
	CHECK(expect_fail(c, size, EINVAL, "section 'xdp' offset 0x0: 64-bit relocation against"));
	/* entry size */
	RESET();
	lu_shdr(c, (int)(rs - lu_shdr(img, 0)))->sh_entsize = 24;
	CHECK(expect_fail(c, size, EINVAL, "do not fit Elf64_Rel"));

	/* A call into nowhere: a relocated call (xdp_one -> shared) retargeted by its imm ... */
	{
		size_t n = rs->sh_size / sizeof(Elf64_Rel), k;
		RESET();
		for (k = 0; k < n && ELF64_R_TYPE(rel[k].r_info) != 10 /* R_BPF_64_32 */; k++)
			;
		CHECK(k < n);
		if (k < n) {
			struct userbpf_insn *insn =
			    (struct userbpf_insn *)(c + lu_shdr(c, xdp)->sh_offset + rel[k].r_offset);
			insn->imm += 2;
			snprintf(want, sizeof(want), "section 'xdp' offset 0x%llx: call to instruction",
				 (unsigned long long)rel[k].r_offset);
			CHECK(expect_fail(c, size, EINVAL, want));
			CHECK_CONTAINS(logbuf, "of '.text' where no function starts");
			insn->imm = 1000000;
			CHECK(expect_fail(c, size, EINVAL, "where no function starts"));
		}
	}
	/* ... and a call without relocation (shared -> add3, both in .text). */
	{
		struct userbpf_insn *insn = (struct userbpf_insn *)(c + lu_shdr(c, text)->sh_offset);
		size_t n = lu_shdr(c, text)->sh_size / 8, k;
		RESET();
		for (k = 0; k < n && !(insn[k].code == (BPF_JMP | BPF_CALL) && insn[k].src_reg == 1); k++)
			;
		CHECK(k < n);
		if (k < n) {
			insn[k].imm += 1;
			snprintf(want, sizeof(want), "section '.text' offset 0x%zx: call to instruction",
				 k * 8);
			CHECK(expect_fail(c, size, EINVAL, want));
		}
	}
	/* A global data reference past the section: the lddw of `table` in xdp_two with a big addend. */
	RESET();
	{
		size_t n = rs->sh_size / sizeof(Elf64_Rel);
		for (size_t k = 0; k < n; k++) {
			struct userbpf_insn *insn =
			    (struct userbpf_insn *)(c + lu_shdr(c, xdp)->sh_offset + rel[k].r_offset);
			if (insn->code == (BPF_LD | BPF_IMM | BPF_DW) && insn->imm == 0)
				insn->imm = 4096;
		}
		CHECK(expect_fail(c, size, EINVAL, "is outside section"));
	}
	/* A local call without relocation into the middle of nowhere. */
	RESET();
	{
		struct userbpf_insn *insn = (struct userbpf_insn *)(c + lu_shdr(c, xdp)->sh_offset);
		insn[0] =
		    (struct userbpf_insn){.code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_CALL, .imm = 1};
		CHECK(
		    expect_fail(c, size, EINVAL,
				"section 'xdp' offset 0x0: call to instruction 2 where no function starts"));
	}
	free(c);
	free(img);
}

TEST(bad_maps)
{
	unsigned char *img, *c;
	size_t size = 0;
	LOAD_IMG("maps_legacy", img, size);
	c = malloc(size);
	int maps = lu_sec(img, "maps");
	CHECK(maps > 0);
	uint32_t *def = (uint32_t *)(c + lu_shdr(img, maps)->sh_offset);

	RESET();
	def[0] = 99;
	CHECK(expect_fail(c, size, EINVAL,
			  "prog.o: section 'maps' offset 0x0: map 'counters': unknown map type 99"));
	RESET();
	lu_shdr(c, maps)->sh_size -= 1;
	CHECK(expect_fail(c, size, EINVAL,
			  "section 'maps' offset 0x0: size 39 is not a multiple of its 2 map definitions"));
	RESET();
	lu_shdr(c, maps)->sh_size = 16; /* 8 bytes per map */
	CHECK(expect_fail(c, size, EINVAL, "too small"));
	/* A version section of the wrong size. */
	RESET();
	lu_shdr(c, lu_sec(c, "version"))->sh_size = 2;
	CHECK(expect_fail(c, size, EINVAL, "section 'version' offset 0x0: size 2, expected 4"));
	free(c);
	free(img);

	/* BTF map definitions: a map-in-map slot pointing at a non-map, and corrupt BTF. */
	LOAD_IMG("maps_btf", img, size);
	c = malloc(size);
	int dmaps = lu_sec(img, ".maps");
	Elf64_Shdr *rs = lu_rel_for(img, dmaps);
	CHECK(rs);
	if (rs) {
		Elf64_Rel *rel = (Elf64_Rel *)(c + rs->sh_offset);
		RESET();
		rel[0].r_offset = 0; /* inside inner_a, which has no values */
		CHECK(expect_fail(
		    c, size, EINVAL,
		    "section '.maps' offset 0x0: relocation against 'inner_a' outside the 'values'"));
		RESET();
		rel[0].r_info = ELF64_R_INFO(12345, 2);
		CHECK(expect_fail(c, size, EINVAL, "relocation against symbol 12345 which does not exist"));
	}
	RESET();
	c[lu_shdr(c, lu_sec(c, ".BTF"))->sh_offset] ^= 0xff;
	CHECK(expect_fail(c, size, EINVAL, "section '.BTF' offset 0x0: invalid BTF"));
	RESET();
	c[lu_shdr(c, lu_sec(c, ".BTF.ext"))->sh_offset] ^= 0xff;
	CHECK(expect_fail(c, size, EINVAL, "section '.BTF.ext' offset 0x0: bad magic"));
	RESET();
	{
		/* line info length past the section */
		uint32_t *h = (uint32_t *)(c + lu_shdr(c, lu_sec(c, ".BTF.ext"))->sh_offset);
		h[5] = 0x100000;
		CHECK(expect_fail(c, size, EINVAL,
				  "section '.BTF.ext' offset 0x8: func/line info goes past the end"));
	}
	free(c);
	free(img);
}

/* xorshift, for a reproducible mutation pass */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

TEST(random_mutations_never_crash)
{
	static const char *const names[] = {"globals", "maps_btf", "maps_legacy", "globals.v1"};
	int opened = 0, failed = 0;
	for (int o = 0; o < 4; o++) {
		unsigned char *img, *c;
		size_t size = 0;
		LOAD_IMG(names[o], img, size);
		c = malloc(size);
		for (int iter = 0; iter < 600; iter++) {
			struct userbpf_object_open_opts op = USERBPF_OPTS_INIT(
			    userbpf_object_open_opts, .log_buf = logbuf, .log_size = sizeof(logbuf));
			struct userbpf_object *obj;
			int flips = 1 + (int)(rng() % 8);
			memcpy(c, img, size);
			for (int f = 0; f < flips; f++) {
				size_t at = rng() % size;
				/* half the time aim at the headers, which matter most */
				if (rng() & 1) {
					Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
					size_t span = (size_t)eh->e_shnum * sizeof(Elf64_Shdr);
					at = eh->e_shoff + rng() % span;
				}
				c[at] = (unsigned char)rng();
			}
			obj = userbpf_object__open_mem(c, size, &op);
			if (obj) {
				opened++;
				struct userbpf_program *p;
				userbpf_object__for_each_program(
				    p, obj) for (size_t i = 0; i < userbpf_program__insn_cnt(p); i++)
				    userbpf_program__line_info(p, i, NULL, NULL, NULL, NULL);
			} else {
				failed++;
				CHECK(logbuf[0] && !strchr(logbuf, '\n'));
			}
			userbpf_object__close(obj);
		}
		free(c);
		free(img);
	}
	fprintf(stderr, "mutations: %d opened, %d refused\n", opened, failed);
}
