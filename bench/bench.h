/*
 * bench.h - what the benchmark harness shares between its files: the benchmarks (a program, the
 * memory it runs on, its native twin) and the engine interface each column of the table implements.
 */
#ifndef USERBPF_BENCH_H
#define USERBPF_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include <userbpf/userbpf.h>

/* One benchmark: a program of bench/progs/, built twice (BPF bytecode and native code). */
struct bench {
	const char *name;
	size_t mem_size;
	/* With --small: a size the kernel's verifier can walk (it explores every loop iteration). */
	size_t small_size;
	/* Fill the memory the program runs on; called before every engine, so runs start alike. */
	void (*init)(uint8_t *mem, size_t size);
	/* The same source compiled for the host. */
	uint64_t (*native)(void *mem, uint64_t len);
	const char *what;
};

/* A benchmark ready to run: its bytecode (read from the build) and its memory. */
struct bench_run {
	const struct bench *bench;
	const struct userbpf_insn *insns;
	size_t insn_cnt;
	uint8_t *mem;
	uint64_t expect;   /* the native result */
	uint64_t executed; /* instructions one run executes (counted by the checked engine), or 0 */
};

/* engine->open() returns this (> 0) when the engine declines a program: the cell says "refused". */
#define ENGINE_REFUSED 1

/*
 * An engine is one column of the table. Only run() is required; a new engine is a run() function
 * (plus open/close if it needs per-program state) and one line in engines[] of bench_interp.c.
 */
struct engine {
	const char *name; /* column header and JSON key prefix */
	/* Once per process: 0 to take part, else a reason in `why` and the column is left out. */
	int (*probe)(char *why, size_t size);
	/* Once per benchmark: set *state. 0, ENGINE_REFUSED (reason in `why`) or -errno (fatal). */
	int (*open)(const struct bench_run *br, void **state, char *why, size_t size);
	/*
	 * Run the program `reps` times on br->mem. 0 with *ret = the result of the last run; if the
	 * engine times itself (the kernel does), it sets *self_ns to the ns of one run, else leaves it.
	 */
	int (*run)(const struct bench_run *br, void *state, uint64_t reps, uint64_t *ret, double *self_ns);
	void (*close)(void *state);
	/* The part of a result this engine can report (the kernel returns 32 bits); NULL: all 64. */
	uint64_t (*fold)(uint64_t result);
};

/* The kernel column (bench_kernel.c): the same bytecode under the kernel's verifier and JIT. */
extern const struct engine kernel_engine;

#endif /* USERBPF_BENCH_H */
