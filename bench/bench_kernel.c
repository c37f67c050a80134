/*
 * bench_kernel.c - the "kernel" column of `make bench`: the same bytecode loaded into Linux with a
 * raw bpf(BPF_PROG_LOAD) (no libbpf) and timed with BPF_PROG_TEST_RUN's repeat (so it runs under the
 * kernel's JIT when net.core.bpf_jit_enable is 1, as on x86-64 by default).
 *
 * The kernel will not let a program read memory it was handed as two plain integers, so the body is
 * wrapped: a prologue looks up element 0 of an array map whose value is the program's memory and
 * enters the body with r1 = that value and r2 = its size (a constant the verifier tracks), and every
 * `exit` of the body becomes a jump to an epilogue that folds r0 to 32 bits (test runs report a u32
 * retval). The verifier must still walk every loop iteration, so it refuses the long loops: those
 * cells say "refused" with the verifier's last line on stderr.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

struct kernel_prog {
	int map_fd;
	int prog_fd;
};

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int map_create(size_t value_size)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = value_size;
	attr.max_entries = 1;
	return sys_bpf(BPF_MAP_CREATE, &attr);
}

static int kernel_probe(char *why, size_t size)
{
	int fd = map_create(8), jit = 0;
	FILE *f;

	if (fd < 0) {
		snprintf(why, size, "bpf(BPF_MAP_CREATE) refused: %s", strerror(errno));
		return -errno;
	}
	close(fd);
	f = fopen("/proc/sys/net/core/bpf_jit_enable", "r");
	if (!f || fscanf(f, "%d", &jit) != 1 || jit == 0)
		fprintf(stderr, "bench: the kernel column may be the kernel's interpreter, not its JIT "
				"(net.core.bpf_jit_enable is not 1)\n");
	if (f)
		fclose(f);
	return 0;
}

static struct userbpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct userbpf_insn i = {.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};

	return i;
}

/* Prologue + body (exits turned into jumps) + epilogue. NULL on ENOMEM or a body too long to jump over. */
static struct userbpf_insn *wrap(const struct bench_run *br, int map_fd, size_t *cnt)
{
	size_t body = 10, tail = body + br->insn_cnt, n = 0, i;
	struct userbpf_insn *p = calloc(tail + 4, sizeof(*p));

	if (!p || br->insn_cnt > 32000) {
		free(p);
		return NULL;
	}
	p[n++] = insn(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd);
	p[n++] = insn(0, 0, 0, 0, 0);
	p[n++] = insn(BPF_ST | BPF_W | BPF_MEM, BPF_REG_10, 0, -4, 0);
	p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0);
	p[n++] = insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4);
	p[n++] = insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
	p[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 1, 0);
	p[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_0, 0, 0);
	p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, (int32_t)br->bench->mem_size);
	for (i = 0; i < br->insn_cnt; i++, n++) {
		p[n] = br->insns[i];
		if (p[n].code == (BPF_JMP | BPF_EXIT))
			p[n] = insn(BPF_JMP | BPF_JA, 0, 0, (int16_t)(tail - (n + 1)), 0);
	}
	/* epilogue: w0 = low ^ high */
	p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_0, 0, 0);
	p[n++] = insn(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_1, 0, 0, 32);
	p[n++] = insn(BPF_ALU | BPF_XOR | BPF_X, BPF_REG_0, BPF_REG_1, 0, 0);
	p[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	*cnt = n;
	return p;
}

static int prog_load(const struct userbpf_insn *insns, size_t cnt, char *log, size_t log_size)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = cnt;
	attr.license = (uintptr_t) "GPL";
	if (log) {
		attr.log_buf = (uintptr_t)log;
		attr.log_size = log_size;
		attr.log_level = 1;
	}
	return sys_bpf(BPF_PROG_LOAD, &attr);
}

/* Why the verifier refused: the last line of its log that is not one of its closing statistics. */
static void last_line(const char *log, char *why, size_t size)
{
	const char *end = log + strlen(log), *start;

	for (;;) {
		while (end > log && end[-1] == '\n')
			end--;
		start = end;
		while (start > log && start[-1] != '\n')
			start--;
		if (start == log ||
		    (strncmp(start, "processed ", 10) && strncmp(start, "verification time", 17)))
			break;
		end = start;
	}
	snprintf(why, size, "kernel refused: %.*s", (int)(end - start), start);
}

static int kernel_open(const struct bench_run *br, void **state, char *why, size_t size)
{
	struct kernel_prog *kp = calloc(1, sizeof(*kp));
	struct userbpf_insn *prog = NULL;
	uint32_t key = 0;
	union bpf_attr attr;
	size_t cnt;
	int err;

	if (!kp)
		return -ENOMEM;
	kp->prog_fd = -1;
	kp->map_fd = map_create(br->bench->mem_size);
	if (kp->map_fd < 0) {
		snprintf(why, size, "kernel refused a %zu-byte array map: %s", br->bench->mem_size,
			 strerror(errno));
		err = ENGINE_REFUSED;
		goto fail;
	}
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = kp->map_fd;
	attr.key = (uintptr_t)&key;
	attr.value = (uintptr_t)br->mem;
	if (sys_bpf(BPF_MAP_UPDATE_ELEM, &attr) < 0) {
		err = -errno;
		goto fail;
	}
	prog = wrap(br, kp->map_fd, &cnt);
	if (!prog) {
		err = -ENOMEM;
		goto fail;
	}
	kp->prog_fd = prog_load(prog, cnt, NULL, 0);
	if (kp->prog_fd < 0) {
		/* Load again with a log to say why; the log keeps its tail when it overflows. */
		size_t log_size = 1 << 20;
		char *log = calloc(1, log_size);

		if (log && prog_load(prog, cnt, log, log_size) < 0)
			last_line(log, why, size);
		else
			snprintf(why, size, "kernel refused: %s", strerror(errno));
		free(log);
		err = ENGINE_REFUSED;
		goto fail;
	}
	free(prog);
	*state = kp;
	return 0;
fail:
	free(prog);
	if (kp->map_fd >= 0)
		close(kp->map_fd);
	free(kp);
	return err;
}

static int kernel_run(const struct bench_run *br, void *state, uint64_t reps, uint64_t *ret, double *self_ns)
{
	struct kernel_prog *kp = state;
	uint8_t packet[64] = {0}; /* a socket filter test run wants at least an Ethernet header */
	union bpf_attr attr;

	(void)br;
	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = kp->prog_fd;
	attr.test.data_in = (uintptr_t)packet;
	attr.test.data_size_in = sizeof(packet);
	attr.test.repeat = reps > UINT32_MAX ? UINT32_MAX : (uint32_t)reps;
	if (sys_bpf(BPF_PROG_TEST_RUN, &attr) < 0)
		return -errno;
	*ret = attr.test.retval;
	*self_ns = attr.test.duration; /* the kernel's mean ns per run */
	return 0;
}

static void kernel_close(void *state)
{
	struct kernel_prog *kp = state;

	close(kp->prog_fd);
	close(kp->map_fd);
	free(kp);
}

static uint64_t kernel_fold(uint64_t result)
{
	return (uint32_t)(result ^ (result >> 32));
}

const struct engine kernel_engine = {
    .name = "kernel",
    .probe = kernel_probe,
    .open = kernel_open,
    .run = kernel_run,
    .close = kernel_close,
    .fold = kernel_fold,
};
