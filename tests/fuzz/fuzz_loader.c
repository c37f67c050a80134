/*
 * fuzz_loader.c - libFuzzer target for the object loader: userbpf_object__open_mem on arbitrary
 * bytes; when an object opens, every accessor and line info query is exercised and, if its maps are
 * small, it is loaded (maps created, programs validated against them). A refused open must leave one
 * non-empty line in the log.
 *
 * Seeds: at start-up the test objects ($USERBPF_FUZZ_OBJS, default build/objs, every .o) are copied into
 * the last corpus directory on the command line, with their DWARF stripped (llvm-strip-19, when
 * present) so they fit -max_len=8192. Link with -lbpf -lelf -lz.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "userbpf/object.h"

static void mkdirs(const char *path)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			mkdir(buf, 0755);
			*p = '/';
		}
	}
	mkdir(buf, 0755);
}

static void seed(const char *dir)
{
	const char *objs = getenv("USERBPF_FUZZ_OBJS");
	DIR *d;
	struct dirent *e;
	int have_strip = system("command -v llvm-strip-19 >/dev/null 2>&1") == 0;

	if (!objs || !*objs)
		objs = "build/objs";
	d = opendir(objs);
	if (!d) {
		fprintf(stderr, "fuzz_loader: no test objects in %s (build them with make); no seeds\n",
			objs);
		return;
	}
	while ((e = readdir(d))) {
		char src[1024], dst[1024], cmd[2200];
		size_t n = strlen(e->d_name);
		if (n < 3 || strcmp(e->d_name + n - 2, ".o"))
			continue;
		snprintf(src, sizeof(src), "%s/%s", objs, e->d_name);
		snprintf(dst, sizeof(dst), "%s/seed-%s", dir, e->d_name);
		if (have_strip)
			snprintf(cmd, sizeof(cmd), "llvm-strip-19 --strip-debug -o '%s' '%s'", dst, src);
		else
			snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", src, dst);
		if (system(cmd) != 0)
			fprintf(stderr, "fuzz_loader: cannot seed from %s\n", src);
	}
	closedir(d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *last = NULL;
	for (int i = 1; i < *argc; i++) {
		if ((*argv)[i][0] == '-')
			continue;
		mkdirs((*argv)[i]);
		last = (*argv)[i];
	}
	if (last)
		seed(last);
	return 0;
}

/* Small enough to create: the sum of key + value bytes times max_entries. */
static int maps_small(const struct userbpf_object *obj)
{
	uint64_t total = 0;
	for (size_t i = 0; i < userbpf_object__map_cnt(obj); i++) {
		const struct userbpf_object_map *m = userbpf_object__map_by_index(obj, i);
		const struct userbpf_object_map *in = userbpf_object_map__inner_map(m);
		uint64_t entries = userbpf_object_map__max_entries(m);
		total += entries *
			 ((uint64_t)userbpf_object_map__key_size(m) + userbpf_object_map__value_size(m) + 64);
		if (in)
			total += (uint64_t)userbpf_object_map__max_entries(in) *
				 ((uint64_t)userbpf_object_map__key_size(in) +
				  userbpf_object_map__value_size(in) + 64);
	}
	return total < (8u << 20);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char log[512];
	struct userbpf_object_open_opts o =
	    USERBPF_OPTS_INIT(userbpf_object_open_opts, .log_buf = log, .log_size = sizeof(log));
	struct userbpf_object *obj;
	struct userbpf_program *p;
	struct userbpf_object_map *m;
	volatile size_t sink = 0;

	log[0] = 0;
	obj = userbpf_object__open_mem(data, size, &o);
	if (!obj) {
		if (!log[0] || strchr(log, '\n'))
			abort(); /* a refusal is exactly one line */
		return 0;
	}
	sink += strlen(userbpf_object__license(obj)) + userbpf_object__kversion(obj);
	userbpf_object__for_each_program(p, obj)
	{
		const struct userbpf_insn *in = userbpf_program__insns(p);
		size_t n = userbpf_program__insn_cnt(p);
		sink += strlen(userbpf_program__name(p)) + strlen(userbpf_program__section_name(p));
		for (size_t i = 0; i < n; i++) {
			const char *file = NULL, *src = NULL;
			unsigned line, col;
			sink += in[i].code;
			if (!userbpf_program__line_info(p, i, &file, &line, &col, &src))
				sink += strlen(file) + strlen(src) + line + col;
		}
		for (size_t f = 0; f < userbpf_program__func_cnt(p); f++) {
			const char *name;
			size_t off, cnt;
			uint32_t id;
			if (userbpf_program__func(p, f, &name, &off, &cnt, &id) || off + cnt > n)
				abort();
			sink += strlen(name);
		}
	}
	userbpf_object__for_each_map(m, obj)
	{
		size_t vs = 0;
		const uint8_t *v = userbpf_object_map__initial_value(m, &vs);
		sink += strlen(userbpf_object_map__name(m)) + strlen(userbpf_object_map__section_name(m));
		if (v && vs)
			sink += v[vs - 1];
	}
	if (maps_small(obj)) {
		struct userbpf_object_load_opts lo =
		    USERBPF_OPTS_INIT(userbpf_object_load_opts, .log_buf = log, .log_size = sizeof(log));
		userbpf_object__load(obj, &lo);
	}
	userbpf_object__close(obj);
	(void)sink;
	return 0;
}
