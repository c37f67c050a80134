/*
 * ctx.h - shared by ctx_tables.c, ctx_access.c and hook.c (not installed): the per-type field rules
 * of the contexts userbpf knows, and the checks of a host hook's description.
 */
#ifndef USERBPF_PROGS_CTX_H
#define USERBPF_PROGS_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "progs.h"

/** True when `prog_type` has a field table (the packet types and USERBPF_PROG_TYPE_HOOK). */
bool progs_ctx_has_table(unsigned int prog_type);

/** What the messages call the context: "xdp_md", "__sk_buff", "hook NAME". */
void progs_ctx_name(unsigned int prog_type, const struct userbpf_ctx_desc *desc, char *buf, size_t size);

/**
 * Check one access of `size` bytes (1, 2, 4, 8) at byte `off` of the context. `write`: a store;
 * `sx`: a sign-extending load. NULL when allowed; else why not (written to why[], one phrase).
 * For the 4-byte load of a pointer field, *host_off is set to the offset of the host pointer in the
 * progs_*_ctx (the load is to become an 8-byte load there), else to -1.
 */
const char *progs_ctx_check(unsigned int prog_type, unsigned int attach, const struct userbpf_ctx_desc *desc,
			    int64_t off, unsigned int size, bool write, bool sx, int *host_off, char *why,
			    size_t why_size);

/** 0 when the description is usable (fields within size, no overlap, flags known); -EINVAL + one line. */
int progs_desc_check(const struct userbpf_ctx_desc *desc, char *log, size_t log_size);

/** The name of a packet type in messages: "xdp", "socket filter", "tc classifier", ... */
const char *progs_type_label(unsigned int prog_type);

/** The disassembly of insn idx for messages; a helper call reads "call bpf_skb_load_bytes#26". */
void progs_fmt_insn(const struct userbpf_insn *insns, size_t cnt, size_t idx, char *buf, size_t size);

#endif /* USERBPF_PROGS_CTX_H */
