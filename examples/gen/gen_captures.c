/*
 * gen_captures.c - writes the example captures (examples/gen/gen.h) as pcap files:
 *   gen_captures OUTDIR [NAME...]
 * writes OUTDIR/NAME.pcap for every capture (or the ones named). Deterministic: the same bytes on
 * every run and every machine.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gen.h"

static int write_one(const char *dir, const char *name)
{
	struct gen_capture cap;
	char path[4096];
	int err;

	err = gen_capture_build(name, &cap);
	if (err) {
		fprintf(stderr, "gen_captures: %s: %s\n", name,
			err == -ENOENT ? "no such capture" : strerror(-err));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s.pcap", dir, name);
	err = gen_capture_write(&cap, path);
	if (err)
		fprintf(stderr, "gen_captures: %s: %s\n", path, strerror(-err));
	gen_capture_free(&cap);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: gen_captures OUTDIR [NAME...]\n");
		return 2;
	}
	if (argc == 2) {
		for (size_t i = 0; gen_capture_names[i]; i++)
			rc |= write_one(argv[1], gen_capture_names[i]);
	} else {
		for (int i = 2; i < argc; i++)
			rc |= write_one(argv[1], argv[i]);
	}
	return rc;
}
