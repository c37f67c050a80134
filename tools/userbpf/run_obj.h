/*
 * run_obj.h - `userbpf run OBJ`: the arguments cmd_run.c parses and the entry into run_obj.c.
 */
#ifndef USERBPF_CLI_RUN_OBJ_H
#define USERBPF_CLI_RUN_OBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct run_obj_args {
	const char *file;
	const char *prog;
	const uint8_t *data; /* the input: ctx = these bytes (r1), r2 = their length */
	size_t data_len;
	uint64_t repeat; /* 0: one run, no timing line */
	uint64_t budget; /* checked engine: instruction budget, 0 = default */
	unsigned int cpu;
	bool checked, fast, trusted;
	bool kernel;
	bool json;
};

/* Open the object in buf (taken over), run a->prog, print the report. Returns the exit status. */
int cli_run_object(const struct run_obj_args *a, char *buf, size_t len);

#endif /* USERBPF_CLI_RUN_OBJ_H */
