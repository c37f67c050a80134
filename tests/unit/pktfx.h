/*
 * pktfx.h - a fixture for the packet runner tests: assemble a program (C syntax), load it trusted
 * with the packet, kernel and map helpers, make a runner for a packet type and engine, run packets.
 */
#ifndef USERBPF_TEST_PKTFX_H
#define USERBPF_TEST_PKTFX_H

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "test.h"
#include "userbpf/maps.h"
#include "userbpf/object.h"
#include "userbpf/packet.h"

struct fx {
	struct userbpf_helpers *h;
	struct userbpf_prog *prog;
	struct userbpf_pktrun *run;
	struct userbpf_pkt_result res;
	char err[256];
	char log[512];
	int rc;
};

/* Load `text` (prog_type 0, trusted) and make a runner of `type` on engine `exec`. */
static inline bool fx_open(struct fx *f, const char *text, unsigned int type, enum userbpf_exec exec,
			   struct userbpf_map **maps, size_t nr_maps)
{
	struct userbpf_insn *insns = NULL;
	size_t cnt = 0;
	memset(f, 0, sizeof(*f));
	struct userbpf_asm_opts ao = USERBPF_OPTS_INIT(userbpf_asm_opts, .err_buf = f->err, .err_size = sizeof(f->err));
	if (userbpf_asm(text, &insns, &cnt, &ao)) {
		fprintf(stderr, "asm: %s\n", f->err);
		return false;
	}
	f->h = userbpf_helpers__new();
	if (!f->h || userbpf_helpers__add_packet(f->h) || userbpf_helpers__add_kernel(f->h) ||
	    userbpf_helpers__add_maps(f->h)) {
		free(insns);
		return false;
	}
	struct userbpf_prog_opts po =
	    USERBPF_OPTS_INIT(userbpf_prog_opts, .helpers = f->h, .log_buf = f->log, .log_size = sizeof(f->log),
			      .flags = USERBPF_PROG_F_TRUSTED, .maps = maps, .nr_maps = nr_maps);
	f->prog = userbpf_prog__load(insns, cnt, &po);
	free(insns);
	if (!f->prog) {
		fprintf(stderr, "load: %s\n", f->log);
		return false;
	}
	struct userbpf_pktrun_opts ro = USERBPF_OPTS_INIT(userbpf_pktrun_opts, .prog_type = type, .exec = exec,
							  .err_buf = f->err, .err_size = sizeof(f->err));
	f->run = userbpf_pktrun__new(f->prog, &ro);
	if (!f->run)
		fprintf(stderr, "pktrun: %s\n", f->err);
	return f->run != NULL;
}

static inline int fx_run(struct fx *f, const void *pkt, uint32_t len, const struct userbpf_pkt_meta *meta)
{
	f->rc = userbpf_pktrun__run(f->run, pkt, len, meta, &f->res, f->err, sizeof(f->err));
	return f->rc;
}

static inline void fx_close(struct fx *f)
{
	userbpf_pktrun__free(f->run);
	userbpf_prog__free(f->prog);
	userbpf_helpers__free(f->h);
	memset(f, 0, sizeof(*f));
}

/* Both engines, for tests that must agree on each. */
static const enum userbpf_exec fx_engines[2] = {USERBPF_EXEC_FAST, USERBPF_EXEC_CHECKED};

#define T_XDP USERBPF_PROG_TYPE_XDP
#define T_CLS USERBPF_PROG_TYPE_SCHED_CLS
#define T_ACT USERBPF_PROG_TYPE_SCHED_ACT
#define T_SOCK USERBPF_PROG_TYPE_SOCKET_FILTER
#define T_CG USERBPF_PROG_TYPE_CGROUP_SKB

#endif /* USERBPF_TEST_PKTFX_H */
